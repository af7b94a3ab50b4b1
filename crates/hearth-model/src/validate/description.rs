//! Checking a description against the catalog and its device type.

use std::collections::BTreeSet;
use std::fmt;

use crate::catalog::{
    Capability, Catalog, ComponentSpec, ConstraintKind, DeviceType, Property, TypeSpec,
};
use crate::description::{CapabilityInstance, Constraint, Description, SPEC_VERSION};
use crate::device_id::DeviceId;

/// Longest label a description may carry, in UTF-8 bytes.
pub const MAX_LABEL_LEN: usize = 64;

/// One way a description breaks the model rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptionError {
    /// The specification version is not one this implementation knows.
    #[error("spec version {0} is not supported (this implementation speaks {SPEC_VERSION})")]
    SpecVersion(u16),
    /// The vendor id lies outside 0x0001–0xFFFE.
    #[error("vendor id {} is outside 0001–fffe", crate::vendor::Hex(*.0))]
    VendorId(u16),
    /// The device id is empty, too long or uses characters outside `A–Z a–z 0–9 . _ -`.
    #[error("device id {0:?} must be 1–64 characters from A–Z a–z 0–9 . _ -")]
    DeviceId(String),
    /// The device type id is not in the catalog.
    #[error("device type {0} is not in the catalog")]
    UnknownDeviceType(u16),
    /// There is no component 0.
    #[error("component 0 (the device itself) is missing")]
    MissingComponentZero,
    /// A component id appears twice.
    #[error("component {0} appears twice")]
    DuplicateComponent(u16),
    /// A component the device type requires is missing.
    #[error("required component {id} ({name}) is missing")]
    MissingComponent {
        /// Component id.
        id: u16,
        /// Component name.
        name: String,
    },
    /// A component id the device type does not define.
    #[error("component {0} is not defined for this device type")]
    UnknownComponent(u16),
    /// A label is longer than [`MAX_LABEL_LEN`] or empty.
    #[error("{at}: label must be 1–{MAX_LABEL_LEN} bytes")]
    Label {
        /// Where.
        at: String,
    },
    /// DeviceInfo or Faults is missing on component 0.
    #[error("component 0 must carry {0}")]
    MissingCommon(&'static str),
    /// A mandatory capability is missing from a component.
    #[error("component {component}: mandatory capability {capability} is missing")]
    MissingCapability {
        /// Component id.
        component: u16,
        /// Capability name.
        capability: String,
    },
    /// A standard capability the device type does not allow on that component.
    #[error("component {component}: capability {capability} is not allowed here")]
    CapabilityNotAllowed {
        /// Component id.
        component: u16,
        /// Capability name.
        capability: String,
    },
    /// A capability appears twice on one component.
    #[error("component {component}: capability {capability:#06x} appears twice")]
    DuplicateCapability {
        /// Component id.
        component: u16,
        /// Capability id.
        capability: u16,
    },
    /// A capability id that is reserved, or standard but not in the catalog.
    #[error("component {component}: capability id {capability:#06x} is reserved or unknown")]
    CapabilityId {
        /// Component id.
        component: u16,
        /// Capability id.
        capability: u16,
    },
    /// A listed member id is reserved.
    #[error("{at}: {kind} id {id:#06x} is reserved")]
    MemberId {
        /// Where.
        at: String,
        /// `property`, `action` or `event`.
        kind: &'static str,
        /// The id.
        id: u16,
    },
    /// A listed member is not defined by the capability, is mandatory or is listed twice.
    #[error("{at}: {kind} {id:#06x} {problem}")]
    Member {
        /// Where.
        at: String,
        /// `property`, `action` or `event`.
        kind: &'static str,
        /// The id.
        id: u16,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A constraint names a property not implemented, or a kind the catalog does not allow.
    #[error("{at}: {detail}")]
    ConstraintNotAllowed {
        /// Where.
        at: String,
        /// What is wrong.
        detail: String,
    },
    /// A declared constraint lies outside the catalog bounds.
    #[error("{at}: {detail}")]
    ConstraintOutOfBounds {
        /// Where.
        at: String,
        /// What is wrong.
        detail: String,
    },
    /// A declared constraint breaks a device-type rule.
    #[error("{at}: {detail}")]
    Rule {
        /// Where.
        at: String,
        /// What is wrong.
        detail: String,
    },
    /// A declared set of enum values is empty, repeats or names unknown codes.
    #[error("{at}: {detail}")]
    EnumValues {
        /// Where.
        at: String,
        /// What is wrong.
        detail: String,
    },
    /// A code in the standard range that the catalog does not define: a standard code used
    /// for a meaning of the device's own.
    #[error("{at}: code {code:#06x} lies in the standard range but the catalog defines no such {enumeration} value")]
    UndefinedStandardCode {
        /// Where.
        at: String,
        /// The enumeration.
        enumeration: String,
        /// The code.
        code: u16,
    },
    /// A vendor code without a label.
    #[error("{at}: vendor code {code:#06x} needs a label")]
    VendorCodeUnlabelled {
        /// Where.
        at: String,
        /// The code.
        code: u16,
    },
    /// A mode the device type requires is not supported.
    #[error("{at}: required mode {mode} is not among the supported modes")]
    RequiredModeMissing {
        /// Where.
        at: String,
        /// Mode name.
        mode: String,
    },
    /// A constraint the catalog requires is not declared.
    #[error("{at}: the description must declare `{kind}`")]
    MissingConstraint {
        /// Where.
        at: String,
        /// Constraint key.
        kind: &'static str,
    },
}

impl DescriptionError {
    /// The requirement of the model chapter this error enforces.
    pub fn requirement(&self) -> &'static str {
        match self {
            Self::SpecVersion(_) | Self::UnknownDeviceType(_) => "HRT-MOD-061",
            Self::VendorId(_) => "HRT-MOD-001",
            Self::DeviceId(_) => "HRT-MOD-002",
            Self::MissingComponentZero => "HRT-MOD-010",
            Self::DuplicateComponent(_) => "HRT-MOD-011",
            Self::MissingComponent { .. } | Self::UnknownComponent(_) => "HRT-MOD-012",
            Self::Label { .. } => "HRT-MOD-100",
            Self::MissingCommon(_) => "HRT-MOD-024",
            Self::MissingCapability { .. } => "HRT-MOD-020",
            Self::CapabilityNotAllowed { .. } => "HRT-MOD-021",
            Self::DuplicateCapability { .. } => "HRT-MOD-022",
            Self::CapabilityId { .. } => "HRT-MOD-003",
            Self::MemberId { .. } => "HRT-MOD-004",
            Self::Member { .. } => "HRT-MOD-023",
            Self::ConstraintNotAllowed { .. } => "HRT-MOD-030",
            Self::ConstraintOutOfBounds { .. } => "HRT-MOD-031",
            Self::Rule { .. } => "HRT-MOD-032",
            Self::EnumValues { .. } => "HRT-MOD-033",
            Self::VendorCodeUnlabelled { .. } => "HRT-MOD-006",
            Self::UndefinedStandardCode { .. } => "HRT-MOD-005",
            Self::RequiredModeMissing { .. } => "HRT-MOD-034",
            Self::MissingConstraint { .. } => "HRT-MOD-035",
        }
    }
}

/// Every problem found in a description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct DescriptionErrors(pub Vec<DescriptionError>);

impl fmt::Display for DescriptionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "[{}] {e}", e.requirement())?;
        }
        Ok(())
    }
}

/// Whether a device id is valid (`HRT-MOD-002`); the rule is [`DeviceId::is_valid`].
pub fn device_id_is_valid(id: &str) -> bool {
    DeviceId::is_valid(id)
}

fn label_ok(label: &str) -> bool {
    !label.is_empty() && label.len() <= MAX_LABEL_LEN
}

/// Check a description against the catalog and its device type, collecting every problem.
pub fn check_description(catalog: &Catalog, desc: &Description) -> Result<(), DescriptionErrors> {
    let mut errors = Vec::new();
    if desc.spec_version != SPEC_VERSION {
        errors.push(DescriptionError::SpecVersion(desc.spec_version));
    }
    if desc.vendor_id == 0 || desc.vendor_id == 0xFFFF {
        errors.push(DescriptionError::VendorId(desc.vendor_id));
    }
    if !DeviceId::is_valid(&desc.device_id) {
        errors.push(DescriptionError::DeviceId(
            desc.device_id.chars().take(80).collect(),
        ));
    }
    let Some(dt) = catalog.device_type(desc.device_type) else {
        errors.push(DescriptionError::UnknownDeviceType(desc.device_type));
        return Err(DescriptionErrors(errors));
    };

    let mut seen = BTreeSet::new();
    for comp in &desc.components {
        if !seen.insert(comp.id) {
            errors.push(DescriptionError::DuplicateComponent(comp.id));
        }
    }
    match desc.component(0) {
        None => errors.push(DescriptionError::MissingComponentZero),
        Some(root) => {
            for (name, label) in [("device-info", "DeviceInfo"), ("faults", "Faults")] {
                let present = catalog
                    .capability_named(name)
                    .is_some_and(|c| root.instance(c.id).is_some());
                if !present {
                    errors.push(DescriptionError::MissingCommon(label));
                }
            }
        }
    }
    for spec in &dt.components {
        if spec.required && spec.id != 0 && desc.component(spec.id).is_none() {
            errors.push(DescriptionError::MissingComponent {
                id: spec.id,
                name: spec.name.clone(),
            });
        }
    }
    for comp in &desc.components {
        if let Some(label) = &comp.label {
            if !label_ok(label) {
                errors.push(DescriptionError::Label {
                    at: format!("component {}", comp.id),
                });
            }
        }
        let Some(spec) = dt.component(comp.id) else {
            errors.push(DescriptionError::UnknownComponent(comp.id));
            continue;
        };
        check_component(catalog, dt, spec, comp.id, &comp.capabilities, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DescriptionErrors(errors))
    }
}

fn check_component(
    catalog: &Catalog,
    dt: &DeviceType,
    spec: &ComponentSpec,
    component: u16,
    instances: &[CapabilityInstance],
    errors: &mut Vec<DescriptionError>,
) {
    let mut seen = BTreeSet::new();
    for inst in instances {
        if !seen.insert(inst.capability) {
            errors.push(DescriptionError::DuplicateCapability {
                component,
                capability: inst.capability,
            });
        }
    }
    for name in &spec.mandatory {
        let present = catalog
            .capability_named(name)
            .is_some_and(|c| seen.contains(&c.id));
        if !present {
            errors.push(DescriptionError::MissingCapability {
                component,
                capability: name.clone(),
            });
        }
    }
    for inst in instances {
        if inst.capability == 0 || inst.capability == 0xFFFF {
            errors.push(DescriptionError::CapabilityId {
                component,
                capability: inst.capability,
            });
            continue;
        }
        if inst.capability >= 0x8000 {
            // Vendor capability: allowed anywhere; its members are the vendor's business, but
            // the ids it lists must still avoid the reserved values.
            check_reserved_ids(
                &format!("{component}/{:#06x}", inst.capability),
                inst,
                errors,
            );
            continue;
        }
        let Some(cap) = catalog.capability(inst.capability) else {
            errors.push(DescriptionError::CapabilityId {
                component,
                capability: inst.capability,
            });
            continue;
        };
        if !spec
            .mandatory
            .iter()
            .chain(&spec.optional)
            .any(|n| *n == cap.name)
        {
            errors.push(DescriptionError::CapabilityNotAllowed {
                component,
                capability: cap.name.clone(),
            });
            continue;
        }
        check_instance(catalog, dt, spec, component, cap, inst, errors);
    }
}

fn check_reserved_ids(at: &str, inst: &CapabilityInstance, errors: &mut Vec<DescriptionError>) {
    for (kind, ids) in [
        ("property", &inst.properties),
        ("action", &inst.actions),
        ("event", &inst.events),
    ] {
        for &id in ids {
            if id == 0 || id == 0xFFFF {
                errors.push(DescriptionError::MemberId {
                    at: at.to_owned(),
                    kind,
                    id,
                });
            }
        }
    }
}

fn check_instance(
    catalog: &Catalog,
    dt: &DeviceType,
    spec: &ComponentSpec,
    component: u16,
    cap: &Capability,
    inst: &CapabilityInstance,
    errors: &mut Vec<DescriptionError>,
) {
    let at = format!("{component}/{}", cap.name);
    check_reserved_ids(&at, inst, errors);
    let optional_props: Vec<(u16, bool)> =
        cap.properties.iter().map(|p| (p.id, p.optional)).collect();
    let optional_actions: Vec<(u16, bool)> =
        cap.actions.iter().map(|a| (a.id, a.optional)).collect();
    let optional_events: Vec<(u16, bool)> = cap.events.iter().map(|e| (e.id, e.optional)).collect();
    for (kind, listed, defined) in [
        ("property", &inst.properties, &optional_props),
        ("action", &inst.actions, &optional_actions),
        ("event", &inst.events, &optional_events),
    ] {
        let mut seen = BTreeSet::new();
        for &id in listed {
            if id == 0 || id == 0xFFFF {
                continue; // reported as MemberId
            }
            let problem = if !seen.insert(id) {
                Some("is listed twice")
            } else if id >= 0x8000 {
                None
            } else {
                match defined.iter().find(|(d, _)| *d == id) {
                    None => Some("is not defined by the capability"),
                    Some((_, false)) => Some("is mandatory and must not be listed as optional"),
                    Some((_, true)) => None,
                }
            };
            if let Some(problem) = problem {
                errors.push(DescriptionError::Member {
                    at: at.clone(),
                    kind,
                    id,
                    problem,
                });
            }
        }
    }

    let mut constrained = BTreeSet::new();
    for c in &inst.constraints {
        if !constrained.insert(c.property) {
            errors.push(DescriptionError::ConstraintNotAllowed {
                at: at.clone(),
                detail: format!("property {} is constrained twice", c.property),
            });
            continue;
        }
        match cap.property(c.property) {
            Some(p) if inst.implements_property(p) => {
                check_constraint(catalog, dt, spec, &at, cap, p, c, errors)
            }
            _ => errors.push(DescriptionError::ConstraintNotAllowed {
                at: at.clone(),
                detail: format!(
                    "constraint on property {} which the instance does not implement",
                    c.property
                ),
            }),
        }
    }
    for p in cap
        .properties
        .iter()
        .filter(|p| p.constrain_required && inst.implements_property(p))
    {
        let pat = format!("{at}/{}", p.name);
        let declared = inst.constraint(p.id);
        for kind in &p.constrain {
            let has = declared.is_some_and(|c| match kind {
                ConstraintKind::Min => c.min.is_some(),
                ConstraintKind::Max => c.max.is_some(),
                ConstraintKind::Step => c.step.is_some(),
                ConstraintKind::MaxLen => c.max_len.is_some(),
                ConstraintKind::MaxCount => c.max_count.is_some(),
                ConstraintKind::Values => c.values.is_some(),
            });
            if !has {
                errors.push(DescriptionError::MissingConstraint {
                    at: pat.clone(),
                    kind: kind.key(),
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_constraint(
    catalog: &Catalog,
    dt: &DeviceType,
    spec: &ComponentSpec,
    at: &str,
    cap: &Capability,
    p: &Property,
    c: &Constraint,
    errors: &mut Vec<DescriptionError>,
) {
    let at = format!("{at}/{}", p.name);
    let declared: [(ConstraintKind, bool); 6] = [
        (ConstraintKind::Min, c.min.is_some()),
        (ConstraintKind::Max, c.max.is_some()),
        (ConstraintKind::Step, c.step.is_some()),
        (ConstraintKind::MaxLen, c.max_len.is_some()),
        (ConstraintKind::MaxCount, c.max_count.is_some()),
        (ConstraintKind::Values, c.values.is_some()),
    ];
    for (kind, present) in declared {
        if present && !p.constrain.contains(&kind) {
            errors.push(DescriptionError::ConstraintNotAllowed {
                at: at.clone(),
                detail: format!(
                    "the catalog does not let a description declare `{}` here",
                    kind.key()
                ),
            });
        }
    }
    let out = |detail: String| DescriptionError::ConstraintOutOfBounds {
        at: at.clone(),
        detail,
    };
    match &p.ty {
        TypeSpec::Int(s) | TypeSpec::Uint(s) => {
            let min = c.min.unwrap_or(s.min);
            let max = c.max.unwrap_or(s.max);
            if min < s.min {
                errors.push(out(format!(
                    "min {min} is below the catalog minimum {}",
                    s.min
                )));
            }
            if max > s.max {
                errors.push(out(format!(
                    "max {max} is above the catalog maximum {}",
                    s.max
                )));
            }
            if min > max {
                errors.push(out(format!("min {min} is above max {max}")));
            }
            if let Some(step) = c.step {
                if step == 0 || step % s.step != 0 {
                    errors.push(out(format!(
                        "step {step} is not a positive multiple of the catalog step {}",
                        s.step
                    )));
                }
            }
            if c.min.is_some()
                && s.step > 1
                && (i128::from(min) - i128::from(s.min)) % i128::from(s.step) != 0
            {
                errors.push(out(format!(
                    "min {min} is off the catalog grid (step {} from {})",
                    s.step, s.min
                )));
            }
            let step = c.step.unwrap_or(s.step);
            for rule in spec
                .rules
                .iter()
                .filter(|r| r.capability == cap.name && r.property == p.name)
            {
                let bad = |detail: String| DescriptionError::Rule {
                    at: at.clone(),
                    detail,
                };
                if let Some([lo, hi]) = rule.within {
                    if min < lo || max > hi {
                        errors.push(bad(format!(
                            "range {min}..{max} must lie within {lo}..{hi}"
                        )));
                    }
                }
                if let Some([lo, hi]) = rule.cover {
                    if min > lo || max < hi {
                        errors.push(bad(format!("range {min}..{max} must cover {lo}..{hi}")));
                    }
                }
                if let Some(limit) = rule.max_step {
                    if step > limit {
                        errors.push(bad(format!("step {step} exceeds {limit}")));
                    }
                }
            }
        }
        TypeSpec::String { max_len } | TypeSpec::Bytes { max_len } => {
            if let Some(len) = c.max_len {
                if len == 0 || len > *max_len {
                    errors.push(out(format!("max_len {len} must be 1..={max_len}")));
                }
            }
        }
        TypeSpec::List { max_count, .. } => {
            if let Some(count) = c.max_count {
                if count == 0 || count > *max_count {
                    errors.push(out(format!("max_count {count} must be 1..={max_count}")));
                }
            }
        }
        TypeSpec::Enum { enumeration } => {
            if let Some(values) = &c.values {
                check_enum_values(catalog, dt, &at, enumeration, values, errors);
            }
        }
        TypeSpec::Bool | TypeSpec::Struct { .. } => {}
    }
}

fn check_enum_values(
    catalog: &Catalog,
    dt: &DeviceType,
    at: &str,
    enumeration: &str,
    values: &[crate::description::EnumEntry],
    errors: &mut Vec<DescriptionError>,
) {
    let bad = |detail: String| DescriptionError::EnumValues {
        at: at.to_owned(),
        detail,
    };
    if values.is_empty() {
        errors.push(bad("the set of supported values is empty".into()));
    }
    let standard = catalog.codes(enumeration, Some(dt));
    let tags = catalog.codes("mode-tag", None);
    let mut seen = BTreeSet::new();
    for v in values {
        if !seen.insert(v.code) {
            errors.push(bad(format!("code {:#06x} is listed twice", v.code)));
        }
        if let Some(label) = &v.label {
            if !label_ok(label) {
                errors.push(DescriptionError::Label {
                    at: format!("{at} code {:#06x}", v.code),
                });
            }
        }
        if v.code >= 0x8000 && v.code != 0xFFFF {
            if v.label.is_none() {
                errors.push(DescriptionError::VendorCodeUnlabelled {
                    at: at.to_owned(),
                    code: v.code,
                });
            }
        } else if !catalog.device_types().iter().any(|t| {
            catalog
                .codes(enumeration, Some(t))
                .iter()
                .any(|s| s.code == v.code)
        }) {
            errors.push(DescriptionError::UndefinedStandardCode {
                at: at.to_owned(),
                enumeration: enumeration.to_owned(),
                code: v.code,
            });
        } else if !standard.iter().any(|s| s.code == v.code) {
            errors.push(bad(format!(
                "code {:#06x} is not defined for {enumeration} on {}",
                v.code, dt.name
            )));
        }
        if enumeration != "mode" && !v.tags.is_empty() {
            errors.push(bad(format!("code {:#06x}: only modes carry tags", v.code)));
        }
        for t in &v.tags {
            if !tags.iter().any(|s| s.code == *t) {
                errors.push(bad(format!(
                    "code {:#06x}: tag {t} is not a mode tag",
                    v.code
                )));
            }
        }
    }
    if enumeration == "mode" {
        for m in dt.modes.iter().filter(|m| m.required) {
            if !values.iter().any(|v| v.code == m.code) {
                errors.push(DescriptionError::RequiredModeMissing {
                    at: at.to_owned(),
                    mode: m.name.clone(),
                });
            }
        }
    }
}
