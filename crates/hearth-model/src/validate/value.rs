//! Checking values against a path of a described device: writes, invocations, reports, events.

use crate::catalog::{Capability, Catalog, DeviceType, Field, Property, TypeSpec};
use crate::description::{CapabilityInstance, Constraint, Description};
use crate::path::{MemberKind, Path};
use crate::value::{Value, MAX_DEPTH};
use crate::StatusCode;

/// Why a value or request does not fit a described device.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The component is not in the description.
    #[error("component {0} does not exist")]
    UnsupportedComponent(u16),
    /// The capability is not on that component.
    #[error("capability {0:#06x} is not on this component")]
    UnsupportedCapability(u16),
    /// The property is not implemented.
    #[error("property {0:#06x} is not implemented")]
    UnsupportedProperty(u16),
    /// The action is not implemented.
    #[error("action {0:#06x} is not implemented")]
    UnsupportedAction(u16),
    /// The event is not implemented.
    #[error("event {0:#06x} is not implemented")]
    UnsupportedEvent(u16),
    /// The property is read-only.
    #[error("property is read-only")]
    ReadOnly,
    /// The value has the wrong data type.
    #[error("{at}expected {expected}, found {found}")]
    InvalidType {
        /// Where inside the value (`field 2: `), empty at the top.
        at: String,
        /// The catalog type.
        expected: String,
        /// The kind of value found.
        found: &'static str,
    },
    /// Null where the catalog does not allow it.
    #[error("{at}null is not allowed here")]
    NullNotAllowed {
        /// Where inside the value.
        at: String,
    },
    /// Outside the effective range.
    #[error("{at}{value} is outside {min}..={max}")]
    OutOfRange {
        /// Where inside the value.
        at: String,
        /// The value.
        value: i64,
        /// Effective minimum.
        min: i64,
        /// Effective maximum.
        max: i64,
    },
    /// Not on the step grid.
    #[error("{at}{value} is not on the grid {min} + k·{step}")]
    OffStep {
        /// Where inside the value.
        at: String,
        /// The value.
        value: i64,
        /// Grid origin.
        min: i64,
        /// Grid spacing.
        step: u64,
    },
    /// An enum code the device does not support.
    #[error("{at}code {code:#06x} is not a supported {enumeration} value")]
    UnsupportedCode {
        /// Where inside the value.
        at: String,
        /// The code.
        code: i64,
        /// The enumeration.
        enumeration: String,
    },
    /// Text or bytes too long, or a list too long.
    #[error("{at}length {len} exceeds {max}")]
    TooLong {
        /// Where inside the value.
        at: String,
        /// The length.
        len: usize,
        /// The limit.
        max: u32,
    },
    /// A mandatory struct field is missing.
    #[error("{at}field {field} ({name}) is missing")]
    MissingField {
        /// Where inside the value.
        at: String,
        /// Field id.
        field: u16,
        /// Field name.
        name: String,
    },
    /// A struct field the catalog does not define.
    #[error("{at}field {0} is not defined", .field)]
    UnknownField {
        /// Where inside the value.
        at: String,
        /// Field id.
        field: u16,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("value nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

impl ValueError {
    /// The requirement of the model chapter this error enforces.
    pub fn requirement(&self) -> &'static str {
        match self {
            Self::UnsupportedComponent(_)
            | Self::UnsupportedCapability(_)
            | Self::UnsupportedProperty(_)
            | Self::UnsupportedAction(_)
            | Self::UnsupportedEvent(_) => "HRT-MOD-040",
            Self::ReadOnly => "HRT-MOD-041",
            Self::InvalidType { .. } => "HRT-MOD-042",
            Self::NullNotAllowed { .. } => "HRT-MOD-043",
            Self::OutOfRange { .. } | Self::OffStep { .. } => "HRT-MOD-044",
            Self::UnsupportedCode { .. } => "HRT-MOD-045",
            Self::TooLong { .. } => "HRT-MOD-046",
            Self::MissingField { .. } | Self::UnknownField { .. } => "HRT-MOD-047",
            Self::TooDeep => "HRT-MOD-048",
        }
    }

    /// The status code a device answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedComponent(_) => StatusCode::UnsupportedComponent,
            Self::UnsupportedCapability(_) => StatusCode::UnsupportedCapability,
            Self::UnsupportedProperty(_) | Self::UnsupportedEvent(_) => {
                StatusCode::UnsupportedProperty
            }
            Self::UnsupportedAction(_) => StatusCode::UnsupportedAction,
            Self::ReadOnly => StatusCode::ReadOnly,
            Self::InvalidType { .. }
            | Self::NullNotAllowed { .. }
            | Self::MissingField { .. }
            | Self::UnknownField { .. } => StatusCode::InvalidType,
            Self::OutOfRange { .. }
            | Self::OffStep { .. }
            | Self::UnsupportedCode { .. }
            | Self::TooLong { .. } => StatusCode::ConstraintError,
            Self::TooDeep => StatusCode::Malformed,
        }
    }
}

/// What a path resolves to in a description. Vendor capabilities and vendor members are not
/// checked by the standard: their meaning is the vendor's.
enum Resolved<'a> {
    Standard {
        dt: &'a DeviceType,
        cap: &'a Capability,
        inst: &'a CapabilityInstance,
    },
    Vendor,
}

fn resolve<'a>(
    kind: MemberKind,
    catalog: &'a Catalog,
    desc: &'a Description,
    path: &Path,
) -> Result<Resolved<'a>, ValueError> {
    let comp = desc
        .component(path.component)
        .ok_or(ValueError::UnsupportedComponent(path.component))?;
    let inst = comp
        .instance(path.capability)
        .ok_or(ValueError::UnsupportedCapability(path.capability))?;
    if path.capability >= 0x8000 {
        return Ok(Resolved::Vendor);
    }
    if path.member >= 0x8000 {
        // A vendor member of a standard capability: present if the description lists it.
        let (listed, missing) = match kind {
            MemberKind::Property => (
                &inst.properties,
                ValueError::UnsupportedProperty(path.member),
            ),
            MemberKind::Action => (&inst.actions, ValueError::UnsupportedAction(path.member)),
            MemberKind::Event => (&inst.events, ValueError::UnsupportedEvent(path.member)),
        };
        return if listed.contains(&path.member) {
            Ok(Resolved::Vendor)
        } else {
            Err(missing)
        };
    }
    let cap = catalog
        .capability(path.capability)
        .ok_or(ValueError::UnsupportedCapability(path.capability))?;
    let dt = catalog
        .device_type(desc.device_type)
        .ok_or(ValueError::UnsupportedComponent(path.component))?;
    Ok(Resolved::Standard { dt, cap, inst })
}

fn property<'a>(
    cap: &'a Capability,
    inst: &CapabilityInstance,
    id: u16,
) -> Result<&'a Property, ValueError> {
    match cap.property(id) {
        Some(p) if inst.implements_property(p) => Ok(p),
        _ => Err(ValueError::UnsupportedProperty(id)),
    }
}

/// Check a write of `value` to the property at `path` ([HRT-MOD-040]–[HRT-MOD-048]).
pub fn check_write(
    catalog: &Catalog,
    desc: &Description,
    path: &Path,
    value: &Value,
) -> Result<(), ValueError> {
    with_property(catalog, desc, path, |dt, p, declared| {
        if !p.writable() {
            return Err(ValueError::ReadOnly);
        }
        check_property(catalog, dt, p, declared, value)
    })
}

/// Check that `value` is a valid value of the property at `path`, as a device reports it or a
/// read returns it. Access is not considered.
pub fn check_value(
    catalog: &Catalog,
    desc: &Description,
    path: &Path,
    value: &Value,
) -> Result<(), ValueError> {
    with_property(catalog, desc, path, |dt, p, declared| {
        check_property(catalog, dt, p, declared, value)
    })
}

/// Check that the property at `path` exists in the description and may be read
/// ([HRT-MOD-104]).
pub fn check_read(catalog: &Catalog, desc: &Description, path: &Path) -> Result<(), ValueError> {
    with_property(catalog, desc, path, |_, _, _| Ok(()))
}

/// Apply `check` to the implemented standard property at `path` (with its declared
/// constraint); vendor properties are not checked.
fn with_property<'a>(
    catalog: &'a Catalog,
    desc: &'a Description,
    path: &Path,
    check: impl FnOnce(&'a DeviceType, &'a Property, Option<&'a Constraint>) -> Result<(), ValueError>,
) -> Result<(), ValueError> {
    match resolve(MemberKind::Property, catalog, desc, path)? {
        Resolved::Vendor => Ok(()),
        Resolved::Standard { dt, cap, inst } => {
            let p = property(cap, inst, path.member)?;
            check(dt, p, inst.constraint(p.id))
        }
    }
}

/// Check an invocation of the action at `path` with `args` (a struct of argument fields, or
/// null for none) ([HRT-MOD-050]).
pub fn check_invoke(
    catalog: &Catalog,
    desc: &Description,
    path: &Path,
    args: &Value,
) -> Result<(), ValueError> {
    let args = match args {
        Value::Null => &Value::Struct(Default::default()),
        other => other,
    };
    check_fields(MemberKind::Action, catalog, desc, path, args)
}

/// Check an event's fields (a struct) for the event at `path`.
pub fn check_event(
    catalog: &Catalog,
    desc: &Description,
    path: &Path,
    fields: &Value,
) -> Result<(), ValueError> {
    check_fields(MemberKind::Event, catalog, desc, path, fields)
}

/// Check `value`, a struct, against the fields of the implemented action (its arguments) or
/// event at `path`; vendor members are not checked.
fn check_fields(
    kind: MemberKind,
    catalog: &Catalog,
    desc: &Description,
    path: &Path,
    value: &Value,
) -> Result<(), ValueError> {
    let Resolved::Standard { dt, cap, inst } = resolve(kind, catalog, desc, path)? else {
        return Ok(());
    };
    let id = path.member;
    let fields = match kind {
        MemberKind::Action => cap
            .action(id)
            .filter(|a| inst.implements_action(a))
            .map(|a| &a.args)
            .ok_or(ValueError::UnsupportedAction(id)),
        MemberKind::Event => cap
            .event(id)
            .filter(|e| inst.implements_event(e))
            .map(|e| &e.fields)
            .ok_or(ValueError::UnsupportedEvent(id)),
        MemberKind::Property => Err(ValueError::UnsupportedProperty(id)),
    }?;
    check_depth(value)?;
    check_struct(catalog, dt, fields, value, "")
}

/// A length of at most `max` (bytes of a string, items of a list).
fn within(at: &str, len: usize, max: u32) -> Result<(), ValueError> {
    if len > max as usize {
        return Err(ValueError::TooLong {
            at: at.to_owned(),
            len,
            max,
        });
    }
    Ok(())
}

fn check_depth(value: &Value) -> Result<(), ValueError> {
    if value.depth() > MAX_DEPTH {
        Err(ValueError::TooDeep)
    } else {
        Ok(())
    }
}

fn check_property(
    catalog: &Catalog,
    dt: &DeviceType,
    p: &Property,
    declared: Option<&Constraint>,
    value: &Value,
) -> Result<(), ValueError> {
    check_depth(value)?;
    if *value == Value::Null {
        return if p.nullable {
            Ok(())
        } else {
            Err(ValueError::NullNotAllowed { at: String::new() })
        };
    }
    check_typed(catalog, dt, &p.ty, declared, value, "")
}

fn check_typed(
    catalog: &Catalog,
    dt: &DeviceType,
    ty: &TypeSpec,
    declared: Option<&Constraint>,
    value: &Value,
    at: &str,
) -> Result<(), ValueError> {
    let wrong = || ValueError::InvalidType {
        at: at.to_owned(),
        expected: ty.type_name(),
        found: value.kind(),
    };
    match (ty, value) {
        (TypeSpec::Bool, Value::Bool(_)) => Ok(()),
        (TypeSpec::Int(s) | TypeSpec::Uint(s), Value::Int(v)) => {
            let min = declared.and_then(|c| c.min).unwrap_or(s.min);
            let max = declared.and_then(|c| c.max).unwrap_or(s.max);
            let step = declared.and_then(|c| c.step).unwrap_or(s.step).max(1);
            if *v < min || *v > max {
                return Err(ValueError::OutOfRange {
                    at: at.to_owned(),
                    value: *v,
                    min,
                    max,
                });
            }
            if (i128::from(*v) - i128::from(min)) % i128::from(step) != 0 {
                return Err(ValueError::OffStep {
                    at: at.to_owned(),
                    value: *v,
                    min,
                    step,
                });
            }
            Ok(())
        }
        (TypeSpec::Enum { enumeration }, Value::Int(code)) => {
            let supported = match declared.and_then(|c| c.values.as_ref()) {
                Some(values) => values.iter().any(|e| i64::from(e.code) == *code),
                // Nested enum fields cannot be declared, so they carry standard codes only
                // (HRT-MOD-006); vendor detail travels in fields of its own.
                None => u16::try_from(*code)
                    .is_ok_and(|c| catalog.code(enumeration, Some(dt), c).is_some()),
            };
            if supported {
                Ok(())
            } else {
                Err(ValueError::UnsupportedCode {
                    at: at.to_owned(),
                    code: *code,
                    enumeration: enumeration.clone(),
                })
            }
        }
        (TypeSpec::String { max_len }, Value::Text(s)) => within(
            at,
            s.len(),
            declared.and_then(|c| c.max_len).unwrap_or(*max_len),
        ),
        (TypeSpec::Bytes { max_len }, Value::Bytes(b)) => within(
            at,
            b.len(),
            declared.and_then(|c| c.max_len).unwrap_or(*max_len),
        ),
        (TypeSpec::List { items, max_count }, Value::List(list)) => {
            let max = declared.and_then(|c| c.max_count).unwrap_or(*max_count);
            within(at, list.len(), max)?;
            for (i, item) in list.iter().enumerate() {
                let at = format!("{at}item {i}: ");
                if *item == Value::Null {
                    return Err(ValueError::NullNotAllowed { at });
                }
                check_typed(catalog, dt, items, None, item, &at)?;
            }
            Ok(())
        }
        (TypeSpec::Struct { fields }, Value::Struct(_)) => {
            check_struct(catalog, dt, fields, value, at)
        }
        _ => Err(wrong()),
    }
}

fn check_struct(
    catalog: &Catalog,
    dt: &DeviceType,
    fields: &[Field],
    value: &Value,
    at: &str,
) -> Result<(), ValueError> {
    let Value::Struct(map) = value else {
        return Err(ValueError::InvalidType {
            at: at.to_owned(),
            expected: "struct".into(),
            found: value.kind(),
        });
    };
    for id in map.keys() {
        if !fields.iter().any(|f| f.id == *id) {
            return Err(ValueError::UnknownField {
                at: at.to_owned(),
                field: *id,
            });
        }
    }
    for f in fields {
        let fat = format!("{at}field {} ({}): ", f.id, f.name);
        match map.get(&f.id) {
            None if f.optional => {}
            None => {
                return Err(ValueError::MissingField {
                    at: at.to_owned(),
                    field: f.id,
                    name: f.name.clone(),
                })
            }
            Some(Value::Null) if f.nullable => {}
            Some(Value::Null) => return Err(ValueError::NullNotAllowed { at: fat }),
            Some(v) => check_typed(catalog, dt, &f.ty, None, v, &fat)?,
        }
    }
    Ok(())
}
