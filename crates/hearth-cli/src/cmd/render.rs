//! Shared views of model and wire data for `ctl` and `decode`: paths with catalog names,
//! values in human units (via `hearth_model::text`), descriptions and message bodies. Each
//! view is a plain struct that serializes for `--json` and renders for the terminal, so
//! both outputs come from the same data.

use std::fmt::Write as _;

use hearth_model::catalog::{DeviceType, Field, TypeSpec};
use hearth_model::text::{self, Context};
use hearth_model::{Catalog, Constraint, Description, EnumEntry, MemberKind, Path, Value};
use hearth_wire::{Availability, Body};
use serde::Serialize;

/// The standard catalog.
pub(crate) fn catalog() -> &'static Catalog {
    Catalog::standard()
}

/// The catalog entry of a device type, by id.
pub(crate) fn device_type(id: u16) -> Option<&'static DeviceType> {
    catalog().device_type(id)
}

/// A path with catalog names, e.g. `1/temperature-control/setpoint`.
pub(crate) fn path_name(path: &Path, kind: MemberKind) -> String {
    path.display(catalog(), kind).to_string()
}

/// The catalog type of a property, if the catalog defines it.
pub(crate) fn property_type(path: &Path) -> Option<&'static TypeSpec> {
    catalog()
        .capability(path.capability)
        .and_then(|c| c.property(path.member))
        .map(|p| &p.ty)
}

/// The enum codes a description declares for a property, with their labels.
pub(crate) fn declared_codes<'a>(desc: Option<&'a Description>, path: &Path) -> &'a [EnumEntry] {
    desc.and_then(|d| d.instance(path.component, path.capability))
        .and_then(|i| i.constraint(path.member))
        .and_then(|c| c.values.as_deref())
        .unwrap_or(&[])
}

/// A struct type made of these fields (action arguments and results, event fields).
pub(crate) fn struct_of(fields: &[Field]) -> TypeSpec {
    TypeSpec::Struct {
        fields: fields.to_vec(),
    }
}

/// A value formatted for people, given its type when known.
pub(crate) fn show(
    value: &Value,
    ty: Option<&TypeSpec>,
    dt: Option<&DeviceType>,
    labels: &[EnumEntry],
) -> String {
    match ty {
        Some(ty) => text::format(value, ty, &Context::new(catalog(), dt).with_labels(labels)),
        None => value.to_string(),
    }
}

/// One path and its value.
#[derive(Debug, Serialize)]
pub(crate) struct PathValue {
    /// The path with catalog names.
    pub(crate) path: String,
    /// The value for people.
    pub(crate) value: String,
    /// The value as on the wire.
    pub(crate) raw: Value,
}

impl PathValue {
    /// The value of a property.
    pub(crate) fn property(
        path: &Path,
        value: &Value,
        dt: Option<&DeviceType>,
        desc: Option<&Description>,
    ) -> Self {
        Self {
            path: path_name(path, MemberKind::Property),
            value: show(value, property_type(path), dt, declared_codes(desc, path)),
            raw: value.clone(),
        }
    }
}

/// One path and its status (and value, for reads).
#[derive(Debug, Serialize)]
pub(crate) struct PathStatus {
    /// The path with catalog names.
    pub(crate) path: String,
    /// The status name, e.g. `success`, `constraint-error`.
    pub(crate) status: String,
    /// The value for people, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
    /// The value as on the wire, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) raw: Option<Value>,
}

impl PathStatus {
    /// Whether the status is success.
    pub(crate) fn ok(&self) -> bool {
        self.status == hearth_model::StatusCode::Success.name()
    }

    /// The terminal line: `path = value` or `path: status`.
    pub(crate) fn line(&self) -> String {
        match (&self.value, self.ok()) {
            (Some(v), true) => format!("{} = {v}", self.path),
            _ => format!("{}: {}", self.path, self.status),
        }
    }
}

/// A device description rendered with catalog names.
#[derive(Debug, Serialize)]
pub(crate) struct DescriptionView {
    /// `vvvv/device`.
    pub(crate) id: String,
    /// Vendor id.
    pub(crate) vendor_id: u16,
    /// Device type id.
    pub(crate) device_type_id: u16,
    /// Device type name, if the catalog knows it.
    pub(crate) device_type: Option<String>,
    /// Specification version the device implements.
    pub(crate) spec_version: u16,
    /// Components.
    pub(crate) components: Vec<ComponentView>,
}

/// One component of a description.
#[derive(Debug, Serialize)]
pub(crate) struct ComponentView {
    /// Component id.
    pub(crate) id: u16,
    /// The device type's name for this component slot.
    pub(crate) name: Option<String>,
    /// The device's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) label: Option<String>,
    /// Capability instances.
    pub(crate) capabilities: Vec<CapabilityView>,
}

/// One capability instance.
#[derive(Debug, Serialize)]
pub(crate) struct CapabilityView {
    /// Capability id.
    pub(crate) id: u16,
    /// Catalog name.
    pub(crate) name: Option<String>,
    /// Properties implemented.
    pub(crate) properties: Vec<PropertyView>,
    /// Actions implemented (names, or hex ids).
    pub(crate) actions: Vec<String>,
    /// Events implemented.
    pub(crate) events: Vec<String>,
}

/// One property with its type and declared constraints.
#[derive(Debug, Serialize)]
pub(crate) struct PropertyView {
    /// Property id.
    pub(crate) id: u16,
    /// Catalog name, or the hex id of a vendor property.
    pub(crate) name: String,
    /// Type name (`uint`, `enum mode`, …), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) r#type: Option<String>,
    /// Unit symbol, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
    /// Whether it can be written.
    pub(crate) writable: bool,
    /// Declared constraints, in human units.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) constraints: Vec<String>,
    /// Supported enum codes, with names or labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) values: Vec<String>,
}

fn member_name(name: Option<&str>, id: u16) -> String {
    name.map_or_else(|| format!("{id:#06x}"), str::to_owned)
}

fn constraint_texts(
    c: &Constraint,
    ty: Option<&TypeSpec>,
    dt: Option<&DeviceType>,
) -> (Vec<String>, Vec<String>) {
    let mut out = Vec::new();
    let quantity = |v: i64| show(&Value::Int(v), ty, dt, &[]);
    if let Some(min) = c.min {
        out.push(format!("min {}", quantity(min)));
    }
    if let Some(max) = c.max {
        out.push(format!("max {}", quantity(max)));
    }
    if let Some(step) = c.step {
        let unit = ty
            .and_then(TypeSpec::int_spec)
            .and_then(|s| s.unit.as_deref())
            .and_then(|u| catalog().unit(u));
        let shown = match (unit, i64::try_from(step)) {
            (Some(unit), Ok(step)) => text::format_quantity(step, unit),
            _ => step.to_string(),
        };
        out.push(format!("step {shown}"));
    }
    if let Some(n) = c.max_len {
        out.push(format!("max_len {n}"));
    }
    if let Some(n) = c.max_count {
        out.push(format!("max_count {n}"));
    }
    let values = c
        .values
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            show(
                &Value::Int(i64::from(e.code)),
                ty,
                dt,
                c.values.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    (out, values)
}

impl DescriptionView {
    /// Render a description with catalog names.
    pub(crate) fn new(desc: &Description) -> Self {
        let cat = catalog();
        let dt = device_type(desc.device_type);
        let components = desc
            .components
            .iter()
            .map(|comp| ComponentView {
                id: comp.id,
                name: dt
                    .and_then(|d| d.component(comp.id))
                    .map(|c| c.name.clone()),
                label: comp.label.clone(),
                capabilities: comp
                    .capabilities
                    .iter()
                    .map(|inst| {
                        let cap = cat.capability(inst.capability);
                        let mut properties = Vec::new();
                        if let Some(cap) = cap {
                            for p in cap
                                .properties
                                .iter()
                                .filter(|p| !p.optional || inst.properties.contains(&p.id))
                            {
                                let (constraints, values) = inst
                                    .constraint(p.id)
                                    .map(|c| constraint_texts(c, Some(&p.ty), dt))
                                    .unwrap_or_default();
                                properties.push(PropertyView {
                                    id: p.id,
                                    name: p.name.clone(),
                                    r#type: Some(p.ty.type_name()),
                                    unit: p
                                        .ty
                                        .int_spec()
                                        .and_then(|s| s.unit.as_deref())
                                        .and_then(|u| cat.unit(u))
                                        .map(|u| u.symbol.clone()),
                                    writable: p.writable(),
                                    constraints,
                                    values,
                                });
                            }
                        }
                        for id in inst
                            .properties
                            .iter()
                            .filter(|id| cap.and_then(|c| c.property(**id)).is_none())
                        {
                            let (constraints, values) = inst
                                .constraint(*id)
                                .map(|c| constraint_texts(c, None, dt))
                                .unwrap_or_default();
                            properties.push(PropertyView {
                                id: *id,
                                name: format!("{id:#06x}"),
                                r#type: None,
                                unit: None,
                                writable: false,
                                constraints,
                                values,
                            });
                        }
                        let actions = match cap {
                            Some(cap) => cap
                                .actions
                                .iter()
                                .filter(|a| !a.optional || inst.actions.contains(&a.id))
                                .map(|a| a.name.clone())
                                .chain(
                                    inst.actions
                                        .iter()
                                        .filter(|id| cap.action(**id).is_none())
                                        .map(|id| member_name(None, *id)),
                                )
                                .collect(),
                            None => inst
                                .actions
                                .iter()
                                .map(|id| member_name(None, *id))
                                .collect(),
                        };
                        let events = match cap {
                            Some(cap) => cap
                                .events
                                .iter()
                                .filter(|e| !e.optional || inst.events.contains(&e.id))
                                .map(|e| e.name.clone())
                                .chain(
                                    inst.events
                                        .iter()
                                        .filter(|id| cap.event(**id).is_none())
                                        .map(|id| member_name(None, *id)),
                                )
                                .collect(),
                            None => inst
                                .events
                                .iter()
                                .map(|id| member_name(None, *id))
                                .collect(),
                        };
                        CapabilityView {
                            id: inst.capability,
                            name: cap.map(|c| c.name.clone()),
                            properties,
                            actions,
                            events,
                        }
                    })
                    .collect(),
            })
            .collect();
        Self {
            id: format!("{:04x}/{}", desc.vendor_id, desc.device_id),
            vendor_id: desc.vendor_id,
            device_type_id: desc.device_type,
            device_type: dt.map(|d| d.name.clone()),
            spec_version: desc.spec_version,
            components,
        }
    }

    /// The terminal rendering, one component, capability and member per line.
    pub(crate) fn text(&self, indent: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{indent}{}: {} ({:#06x}), vendor {:#06x}, spec version {}",
            self.id,
            self.device_type.as_deref().unwrap_or("unknown device type"),
            self.device_type_id,
            self.vendor_id,
            self.spec_version
        );
        for comp in &self.components {
            let _ = write!(
                out,
                "{indent}component {} {}",
                comp.id,
                comp.name.as_deref().unwrap_or("?")
            );
            if let Some(label) = &comp.label {
                let _ = write!(out, " {label:?}");
            }
            out.push('\n');
            for cap in &comp.capabilities {
                let _ = writeln!(
                    out,
                    "{indent}  {} ({:#06x})",
                    cap.name.as_deref().unwrap_or("vendor capability"),
                    cap.id
                );
                for p in &cap.properties {
                    let mut line = format!(
                        "{indent}    {} ({}{})",
                        p.name,
                        p.r#type.as_deref().unwrap_or("vendor"),
                        if p.writable { ", writable" } else { "" }
                    );
                    if let Some(unit) = &p.unit {
                        let _ = write!(line, " in {unit}");
                    }
                    if !p.constraints.is_empty() {
                        let _ = write!(line, ": {}", p.constraints.join(", "));
                    }
                    if !p.values.is_empty() {
                        let _ = write!(line, ": values {}", p.values.join(", "));
                    }
                    let _ = writeln!(out, "{line}");
                }
                if !cap.actions.is_empty() {
                    let _ = writeln!(out, "{indent}    actions: {}", cap.actions.join(", "));
                }
                if !cap.events.is_empty() {
                    let _ = writeln!(out, "{indent}    events: {}", cap.events.join(", "));
                }
            }
        }
        out
    }
}

/// An event rendered with catalog names.
#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    /// The event's path.
    pub(crate) path: String,
    /// The device's event number.
    pub(crate) number: u64,
    /// The fields for people.
    pub(crate) fields: String,
    /// The fields as on the wire.
    pub(crate) raw: Value,
}

impl EventView {
    /// Render an event body.
    pub(crate) fn new(event: &hearth_wire::EventBody, dt: Option<&DeviceType>) -> Self {
        let ty = catalog()
            .capability(event.path.capability)
            .and_then(|c| c.event(event.path.member))
            .map(|e| struct_of(&e.fields));
        Self {
            path: path_name(&event.path, MemberKind::Event),
            number: event.number,
            fields: show(&event.fields, ty.as_ref(), dt, &[]),
            raw: event.fields.clone(),
        }
    }
}

/// The arguments or results of an action, rendered with field names.
pub(crate) fn action_struct(path: &Path, value: &Value, results: bool) -> String {
    let ty = catalog()
        .capability(path.capability)
        .and_then(|c| c.action(path.member))
        .map(|a| struct_of(if results { &a.results } else { &a.args }));
    show(value, ty.as_ref(), None, &[])
}

/// A message body rendered with catalog names.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum BodyView {
    /// A description.
    Description(DescriptionView),
    /// A status.
    Status {
        /// `online` or `offline`.
        availability: &'static str,
        /// Boot id.
        boot_id: u64,
    },
    /// A report.
    Report {
        /// Snapshot or changes.
        full: bool,
        /// Values.
        values: Vec<PathValue>,
    },
    /// An event.
    Event(EventView),
    /// A read request.
    Read {
        /// Paths.
        paths: Vec<String>,
    },
    /// A write request.
    Write {
        /// Values.
        values: Vec<PathValue>,
    },
    /// An invoke request.
    Invoke {
        /// The action.
        path: String,
        /// Its arguments.
        args: String,
        /// Arguments as on the wire.
        raw: Value,
    },
    /// A read response.
    ReadResponse {
        /// Results.
        results: Vec<PathStatus>,
    },
    /// A write response.
    WriteResponse {
        /// Results.
        results: Vec<PathStatus>,
    },
    /// An invoke response.
    InvokeResponse {
        /// The action.
        path: String,
        /// Status name.
        status: String,
        /// Results for people.
        #[serde(skip_serializing_if = "Option::is_none")]
        results: Option<String>,
    },
}

impl BodyView {
    /// Render a body; `dt` names modes, phases and faults.
    pub(crate) fn new(body: &Body, dt: Option<&DeviceType>) -> Self {
        match body {
            Body::Description(d) => Self::Description(DescriptionView::new(d)),
            Body::Status(s) => Self::Status {
                availability: match s.availability {
                    Availability::Online => "online",
                    Availability::Offline => "offline",
                },
                boot_id: s.boot_id,
            },
            Body::Report(r) => Self::Report {
                full: r.full,
                values: r
                    .values
                    .iter()
                    .map(|(p, v)| PathValue::property(p, v, dt, None))
                    .collect(),
            },
            Body::Event(e) => Self::Event(EventView::new(e, dt)),
            Body::Read(paths) => Self::Read {
                paths: paths
                    .iter()
                    .map(|p| path_name(p, MemberKind::Property))
                    .collect(),
            },
            Body::Write(values) => Self::Write {
                values: values
                    .iter()
                    .map(|(p, v)| PathValue::property(p, v, dt, None))
                    .collect(),
            },
            Body::Invoke { path, args } => Self::Invoke {
                path: path_name(path, MemberKind::Action),
                args: action_struct(path, args, false),
                raw: args.clone(),
            },
            Body::ReadResponse(results) => Self::ReadResponse {
                results: results
                    .iter()
                    .map(|r| PathStatus {
                        path: path_name(&r.path, MemberKind::Property),
                        status: r.status.name().to_owned(),
                        value: r
                            .value
                            .as_ref()
                            .map(|v| show(v, property_type(&r.path), dt, &[])),
                        raw: r.value.clone(),
                    })
                    .collect(),
            },
            Body::WriteResponse(results) => Self::WriteResponse {
                results: results
                    .iter()
                    .map(|(p, s)| PathStatus {
                        path: path_name(p, MemberKind::Property),
                        status: s.name().to_owned(),
                        value: None,
                        raw: None,
                    })
                    .collect(),
            },
            Body::InvokeResponse(r) => Self::InvokeResponse {
                path: path_name(&r.path, MemberKind::Action),
                status: r.status.name().to_owned(),
                results: r.results.as_ref().map(|v| action_struct(&r.path, v, true)),
            },
        }
    }

    /// The terminal rendering.
    pub(crate) fn text(&self, indent: &str) -> String {
        let mut out = String::new();
        match self {
            Self::Description(d) => out.push_str(&d.text(indent)),
            Self::Status {
                availability,
                boot_id,
            } => {
                let _ = writeln!(out, "{indent}{availability} (boot id {boot_id:#x})");
            }
            Self::Report { full, values } => {
                let _ = writeln!(
                    out,
                    "{indent}{}",
                    if *full { "full snapshot" } else { "changes" }
                );
                for v in values {
                    let _ = writeln!(out, "{indent}{} = {}", v.path, v.value);
                }
            }
            Self::Write { values } => {
                for v in values {
                    let _ = writeln!(out, "{indent}{} = {}", v.path, v.value);
                }
            }
            Self::Event(e) => {
                let _ = writeln!(out, "{indent}{} #{}: {}", e.path, e.number, e.fields);
            }
            Self::Read { paths } => {
                for p in paths {
                    let _ = writeln!(out, "{indent}{p}");
                }
            }
            Self::Invoke { path, args, .. } => {
                let _ = writeln!(out, "{indent}{path} {args}");
            }
            Self::ReadResponse { results } | Self::WriteResponse { results } => {
                for r in results {
                    let _ = writeln!(out, "{indent}{}", r.line());
                }
            }
            Self::InvokeResponse {
                path,
                status,
                results,
            } => {
                let _ = write!(out, "{indent}{path}: {status}");
                if let Some(r) = results {
                    let _ = write!(out, " {r}");
                }
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fan() -> Description {
        let text = include_str!("../../../hearth-model/tests/descriptions/fan.json");
        let mut desc: Description = serde_json::from_str(text).expect("fixture parses");
        desc.vendor_id = 0xfff1;
        desc
    }

    #[test]
    fn descriptions_show_names_units_and_labels() {
        let view = DescriptionView::new(&fan());
        assert_eq!(view.device_type.as_deref(), Some("fan"));
        let text = view.text("");
        for expected in [
            "fff1/fan-bedroom-01: fan (0x0008)",
            "component 0 device \"Bedroom\"",
            "level (uint, writable): max 12",
            "values normal (0x0801), natural (0x0802), sleep (0x0803), auto (0x0804), Baby breeze (0x8001)",
            "off-delay (uint, writable) in s: max 28800 s, step 1800 s",
            "oscillation-angle (uint, writable) in °: min 30 °, max 120 °, step 30 °",
            "actions: check",
            "events: fault-raised, fault-cleared",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
    }

    #[test]
    fn events_and_responses_show_names() {
        let dt = catalog().device_type_named("fan");
        let motor = catalog()
            .code_named("fault-code", dt, "motor")
            .expect("fans have motor faults")
            .code;
        let event = hearth_wire::EventBody {
            path: Path::new(0, 2, 1),
            number: 4,
            fields: Value::structure([
                (1, Value::Int(i64::from(motor))),
                (3, Value::Int(2)),
                (4, Value::Int(1)),
                (5, Value::Int(1_700_000_000)),
            ]),
        };
        let view = EventView::new(&event, dt);
        assert_eq!(view.path, "0/faults/fault-raised");
        assert!(
            view.fields
                .starts_with(&format!("{{code: motor ({motor:#06x}), severity: ")),
            "{}",
            view.fields
        );
        assert!(
            view.fields.ends_with("raised-at: 2023-11-14T22:13:20Z}"),
            "{}",
            view.fields
        );
        let body = BodyView::new(
            &Body::WriteResponse(vec![(
                Path::new(0, 9, 1),
                hearth_model::StatusCode::ConstraintError,
            )]),
            dt,
        );
        assert_eq!(body.text(""), "0/fan-control/level: constraint-error\n");
    }
}
