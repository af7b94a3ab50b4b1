//! Messages and descriptions for people: paths by catalog name (`1/temperature-control/
//! setpoint`), values in the unit's human form (`26.50 °C`, `cool (0x0102)`, via
//! [`hearth_model::text`]), descriptions with their members, types and constraints, and
//! every message body.
//!
//! Each view is a plain struct built from decoded data; it serializes (serde) for
//! machine-readable output and renders as terminal text, so both outputs come from the same
//! data. The command line's `ctl` and `decode`, a conformance trace and a report can all
//! show a message the same way. It is not a codec and checks nothing: it shows what it is
//! given, numbers where the catalog has no name, and reads no clock and does no I/O. Data
//! flows one way: a [`Body`] or [`Description`] (with the device type, when known, to name
//! modes, phases and faults) goes into [`BodyView::new`] or [`DescriptionView::new`], and
//! out come the view's fields and its [`BodyView::text`].

use std::fmt::Write as _;
use std::iter::Peekable;

use hearth_model::catalog::{DeviceType, Field, Property, TypeSpec};
use hearth_model::text::{self, Context};
use hearth_model::{
    CapabilityInstance, Catalog, Constraint, Description, EnumEntry, Implemented, MemberKind, Path,
    StatusCode, Value,
};
use serde::Serialize;

use crate::commissioning::{
    AclOperation, PakeConfirm, WindowControl, WindowParams, WindowState, WindowType,
};
use crate::message::{Availability, Body, EventBody, ReadResult};

/// The standard catalog.
fn catalog() -> &'static Catalog {
    Catalog::standard()
}

/// The catalog entry of a device type, by id.
pub fn device_type(id: u16) -> Option<&'static DeviceType> {
    catalog().device_type(id)
}

/// A path with catalog names, e.g. `1/temperature-control/setpoint`.
pub fn path_name(path: &Path, kind: MemberKind) -> String {
    path.display(catalog(), kind).to_string()
}

/// The catalog type of a property, if the catalog defines it.
pub fn property_type(path: &Path) -> Option<&'static TypeSpec> {
    catalog()
        .capability(path.capability)
        .and_then(|c| c.property(path.member))
        .map(|p| &p.ty)
}

/// The enum codes a description declares for a property, with their labels.
pub fn declared_codes<'a>(desc: Option<&'a Description>, path: &Path) -> &'a [EnumEntry] {
    desc.and_then(|d| d.instance(path.component, path.capability))
        .and_then(|i| i.constraint(path.member))
        .and_then(|c| c.values.as_deref())
        .unwrap_or(&[])
}

/// A struct type made of these fields (action arguments and results, event fields).
pub fn struct_of(fields: &[Field]) -> TypeSpec {
    TypeSpec::Struct {
        fields: fields.to_vec(),
    }
}

/// A value formatted for people, given its type when known.
pub fn show(
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
pub struct PathValue {
    /// The path with catalog names.
    pub path: String,
    /// The value for people.
    pub value: String,
    /// The value as on the wire.
    pub raw: Value,
}

impl PathValue {
    /// The value of a property.
    pub fn property(
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
pub struct PathStatus {
    /// The path with catalog names.
    pub path: String,
    /// The status name, e.g. `success`, `constraint-error`.
    pub status: String,
    /// The value for people, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value as on the wire, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<Value>,
}

impl PathStatus {
    /// The result of reading one path; `desc` names the enum codes it declares.
    pub fn read(r: &ReadResult, dt: Option<&DeviceType>, desc: Option<&Description>) -> Self {
        Self {
            path: path_name(&r.path, MemberKind::Property),
            status: r.status.name().to_owned(),
            value: r
                .value
                .as_ref()
                .map(|v| show(v, property_type(&r.path), dt, declared_codes(desc, &r.path))),
            raw: r.value.clone(),
        }
    }

    /// The result of writing one path.
    pub fn written(path: &Path, status: StatusCode) -> Self {
        Self {
            path: path_name(path, MemberKind::Property),
            status: status.name().to_owned(),
            value: None,
            raw: None,
        }
    }

    /// Whether the status is success.
    pub fn ok(&self) -> bool {
        self.status == StatusCode::Success.name()
    }

    /// The terminal line: `path = value` or `path: status`.
    pub fn line(&self) -> String {
        match (&self.value, self.ok()) {
            (Some(v), true) => format!("{} = {v}", self.path),
            _ => format!("{}: {}", self.path, self.status),
        }
    }
}

/// A device description rendered with catalog names.
#[derive(Debug, Serialize)]
pub struct DescriptionView {
    /// `vvvv/device`.
    pub id: String,
    /// Vendor id, four lower-case hexadecimal digits as in topics (`fff1`).
    pub vendor_id: String,
    /// Device type id.
    pub device_type_id: u16,
    /// Device type name, if the catalog knows it.
    pub device_type: Option<String>,
    /// Specification version the device implements.
    pub spec_version: u16,
    /// Components.
    pub components: Vec<ComponentView>,
}

/// One component of a description.
#[derive(Debug, Serialize)]
pub struct ComponentView {
    /// Component id.
    pub id: u16,
    /// The device type's name for this component slot.
    pub name: Option<String>,
    /// The device's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Capability instances.
    pub capabilities: Vec<CapabilityView>,
}

/// One capability instance.
#[derive(Debug, Serialize)]
pub struct CapabilityView {
    /// Capability id.
    pub id: u16,
    /// Catalog name.
    pub name: Option<String>,
    /// Properties implemented.
    pub properties: Vec<PropertyView>,
    /// Actions implemented (names, or hex ids).
    pub actions: Vec<String>,
    /// Events implemented.
    pub events: Vec<String>,
}

/// One property with its type and declared constraints.
#[derive(Debug, Serialize)]
pub struct PropertyView {
    /// Property id.
    pub id: u16,
    /// Catalog name, or the hex id of a vendor property.
    pub name: String,
    /// Type name (`uint`, `enum mode`, …), if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Unit symbol, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Whether it can be written.
    pub writable: bool,
    /// Declared constraints, in human units.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    /// Supported enum codes, with names or labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
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

impl PropertyView {
    /// A property a description implements, with its declared constraints.
    fn new(m: &Implemented<'_, '_, Property>, dt: Option<&DeviceType>) -> Self {
        let ty = m.def.map(|p| &p.ty);
        let (constraints, values) = m
            .instance
            .constraint(m.path.member)
            .map(|c| constraint_texts(c, ty, dt))
            .unwrap_or_default();
        Self {
            id: m.path.member,
            name: member_name(m.def.map(|p| p.name.as_str()), m.path.member),
            r#type: ty.map(TypeSpec::type_name),
            unit: ty
                .and_then(TypeSpec::int_spec)
                .and_then(|s| s.unit.as_deref())
                .and_then(|u| catalog().unit(u))
                .map(|u| u.symbol.clone()),
            writable: m.def.is_some_and(Property::writable),
            constraints,
            values,
        }
    }
}

/// The items of `members` that belong to `inst`, taken off its front: the walks of
/// [`Description::implemented`] go instance by instance, so each instance's members come
/// in one run.
fn run_of<'a, D: 'a>(
    members: &mut Peekable<impl Iterator<Item = Implemented<'a, 'a, D>>>,
    inst: &CapabilityInstance,
) -> Vec<Implemented<'a, 'a, D>> {
    std::iter::from_fn(|| members.next_if(|m| std::ptr::eq(m.instance, inst))).collect()
}

impl DescriptionView {
    /// Render a description with catalog names.
    pub fn new(desc: &Description) -> Self {
        let cat = catalog();
        let dt = device_type(desc.device_type);
        let mut properties = desc.implemented(cat).peekable();
        let mut actions = desc.implemented_actions(cat).peekable();
        let mut events = desc.implemented_events(cat).peekable();
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
                    .map(|inst| CapabilityView {
                        id: inst.capability,
                        name: cat.capability(inst.capability).map(|c| c.name.clone()),
                        properties: run_of(&mut properties, inst)
                            .iter()
                            .map(|m| PropertyView::new(m, dt))
                            .collect(),
                        actions: run_of(&mut actions, inst)
                            .iter()
                            .map(|m| member_name(m.def.map(|a| a.name.as_str()), m.path.member))
                            .collect(),
                        events: run_of(&mut events, inst)
                            .iter()
                            .map(|m| member_name(m.def.map(|e| e.name.as_str()), m.path.member))
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Self {
            id: format!(
                "{}/{}",
                hearth_model::vendor::Hex(desc.vendor_id),
                desc.device_id
            ),
            vendor_id: hearth_model::vendor::hex(desc.vendor_id),
            device_type_id: desc.device_type,
            device_type: dt.map(|d| d.name.clone()),
            spec_version: desc.spec_version,
            components,
        }
    }

    /// The terminal rendering, one component, capability and member per line.
    pub fn text(&self, indent: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{indent}{}: {} ({:#06x}), vendor {}, spec version {}",
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
pub struct EventView {
    /// The event's path.
    pub path: String,
    /// The device's event number.
    pub number: u64,
    /// The fields for people.
    pub fields: String,
    /// The fields as on the wire.
    pub raw: Value,
}

impl EventView {
    /// Render an event body.
    pub fn new(event: &EventBody, dt: Option<&DeviceType>) -> Self {
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
pub fn action_struct(path: &Path, value: &Value, results: bool) -> String {
    let ty = catalog()
        .capability(path.capability)
        .and_then(|c| c.action(path.member))
        .map(|a| struct_of(if results { &a.results } else { &a.args }));
    show(value, ty.as_ref(), None, &[])
}

/// A message body rendered with catalog names.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BodyView {
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
    /// A commissioning or access-control management message (`spec/07-commissioning.md`),
    /// field by field.
    Commissioning {
        /// The message kind's name.
        message: &'static str,
        /// Its fields for people: name and value.
        fields: Vec<(&'static str, String)>,
    },
}

impl BodyView {
    /// Render a body; `dt` names modes, phases and faults.
    pub fn new(body: &Body, dt: Option<&DeviceType>) -> Self {
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
                    .map(|r| PathStatus::read(r, dt, None))
                    .collect(),
            },
            Body::WriteResponse(results) => Self::WriteResponse {
                results: results
                    .iter()
                    .map(|(p, s)| PathStatus::written(p, *s))
                    .collect(),
            },
            Body::InvokeResponse(r) => Self::InvokeResponse {
                path: path_name(&r.path, MemberKind::Action),
                status: r.status.name().to_owned(),
                results: r.results.as_ref().map(|v| action_struct(&r.path, v, true)),
            },
            Body::Window(_)
            | Body::PakeStart(_)
            | Body::PakeResponse(_)
            | Body::PakeConfirm(_)
            | Body::CommissionResult(_)
            | Body::AclRead
            | Body::AclReadResponse(_)
            | Body::AclChange(_)
            | Body::AclChangeResponse(_)
            | Body::WindowControl(_)
            | Body::WindowControlResponse(_) => Self::Commissioning {
                message: body.kind().name(),
                fields: commissioning_fields(body),
            },
        }
    }

    /// The rendering in one line, for a trace entry or a report: items separated by `; `,
    /// a description by its id, type and size rather than member by member.
    pub fn line(&self) -> String {
        let values = |v: &[PathValue]| {
            v.iter()
                .map(|v| format!("{} = {}", v.path, v.value))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let results = |r: &[PathStatus]| r.iter().map(PathStatus::line).collect::<Vec<_>>();
        match self {
            Self::Description(d) => {
                let capabilities: usize = d.components.iter().map(|c| c.capabilities.len()).sum();
                format!(
                    "{}: {}, {} components, {capabilities} capabilities",
                    d.id,
                    d.device_type.as_deref().unwrap_or("unknown device type"),
                    d.components.len()
                )
            }
            Self::Status {
                availability,
                boot_id,
            } => format!("{availability} (boot id {boot_id:#x})"),
            Self::Report { full, values: v } => format!(
                "{}: {}",
                if *full { "full snapshot" } else { "changes" },
                values(v)
            ),
            Self::Write { values: v } => values(v),
            Self::Event(e) => format!("{} #{}: {}", e.path, e.number, e.fields),
            Self::Read { paths } => paths.join("; "),
            Self::Invoke { path, args, .. } => format!("{path} {args}"),
            Self::ReadResponse { results: r } | Self::WriteResponse { results: r } => {
                results(r).join("; ")
            }
            Self::InvokeResponse {
                path,
                status,
                results,
            } => match results {
                Some(r) => format!("{path}: {status} {r}"),
                None => format!("{path}: {status}"),
            },
            Self::Commissioning { fields, .. } => fields
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    /// The terminal rendering.
    pub fn text(&self, indent: &str) -> String {
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
            Self::Commissioning { fields, .. } => {
                for (k, v) in fields {
                    let _ = writeln!(out, "{indent}{k} = {v}");
                }
            }
        }
        out
    }
}

/// The fields of a commissioning body for people. Shares and confirmations are shown in
/// hexadecimal; a verifier record, which lets its holder test passcodes, is not shown.
fn commissioning_fields(body: &Body) -> Vec<(&'static str, String)> {
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let params = |p: &WindowParams| {
        vec![
            ("discriminator", p.discriminator.to_string()),
            ("salt", hex(&p.salt)),
            ("iterations", p.iterations.to_string()),
        ]
    };
    let subject = |s: &hearth_security::AclSubject| match s {
        hearth_security::AclSubject::Key(k) => format!("key {}", k.to_hex()),
        hearth_security::AclSubject::Ca(k) => format!("CA {}", k.to_hex()),
    };
    match body {
        Body::Window(WindowState::Closed) => vec![("open", "false".into())],
        Body::Window(WindowState::Open(w)) => {
            let mut f = vec![("open", "true".into())];
            f.extend(params(&w.params));
            f.push(("closes in", format!("{} s", w.closes_in)));
            let kind = match w.window_type {
                WindowType::Basic => "basic",
                WindowType::Enhanced => "enhanced",
            };
            f.push(("window", kind.into()));
            f
        }
        Body::PakeStart(share) => vec![("shareP", hex(&share.0))],
        Body::PakeResponse(r) => vec![("shareV", hex(&r.share.0)), ("confirmV", hex(&r.confirm.0))],
        Body::PakeConfirm(PakeConfirm::Confirm(c)) => vec![("confirmP", hex(&c.0))],
        Body::PakeConfirm(PakeConfirm::Abort(a)) => vec![("abort", format!("{a:?}"))],
        Body::CommissionResult(r) => {
            let mut f = vec![("status", r.status.name().to_owned())];
            if let Some(n) = r.sessions_left {
                f.push(("sessions left", n.to_string()));
            }
            f
        }
        Body::AclReadResponse(r) => {
            let mut f: Vec<_> = r
                .entries
                .iter()
                .map(|e| {
                    (
                        "entry",
                        format!("{} {}", subject(&e.subject), e.privilege.name()),
                    )
                })
                .collect();
            f.push(("max entries", r.max_entries.to_string()));
            f
        }
        Body::AclChange(ops) => ops
            .iter()
            .map(|op| match op {
                AclOperation::Add(e) => (
                    "add",
                    format!("{} {}", subject(&e.subject), e.privilege.name()),
                ),
                AclOperation::Set {
                    subject: s,
                    privilege,
                } => ("set", format!("{} {}", subject(s), privilege.name())),
                AclOperation::Remove(s) => ("remove", subject(s)),
            })
            .collect(),
        Body::AclChangeResponse(r) => {
            let mut f = vec![("status", r.status.name().to_owned())];
            if let Some(i) = r.failed_at {
                f.push(("failed operation", i.to_string()));
            }
            f
        }
        Body::WindowControl(WindowControl::Close) => vec![("open", "false".into())],
        Body::WindowControl(WindowControl::Open(w)) => {
            let mut f = vec![("open", "true".into())];
            f.extend(params(&w.params));
            f.push(("duration", format!("{} s", w.duration)));
            f.push(("privilege", w.privilege.name().to_owned()));
            f
        }
        Body::WindowControlResponse(status) => vec![("status", status.name().to_owned())],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_model::ids::{cap, fan_control, faults};

    fn fan() -> Description {
        let text = include_str!("../../hearth-model/tests/descriptions/fan.json");
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
        let event = EventBody {
            path: Path::new(0, cap::FAULTS, faults::FAULT_RAISED),
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
                Path::new(0, cap::FAN_CONTROL, fan_control::LEVEL),
                StatusCode::ConstraintError,
            )]),
            dt,
        );
        assert_eq!(body.text(""), "0/fan-control/level: constraint-error\n");
        assert_eq!(body.line(), "0/fan-control/level: constraint-error");
    }

    #[test]
    fn lines_name_paths_units_and_statuses() {
        let dt = catalog().device_type_named("fan");
        let level = Path::new(0, cap::FAN_CONTROL, fan_control::LEVEL);
        let report = Body::Report(crate::message::Report {
            full: false,
            values: vec![(level, Value::Int(3))],
        });
        assert_eq!(
            BodyView::new(&report, dt).line(),
            "changes: 0/fan-control/level = 3"
        );
        let read = Body::ReadResponse(vec![
            ReadResult {
                path: level,
                status: StatusCode::Success,
                value: Some(Value::Int(3)),
            },
            ReadResult {
                path: Path::new(0, cap::FAN_CONTROL, 0x7f00),
                status: StatusCode::UnsupportedProperty,
                value: None,
            },
        ]);
        assert_eq!(
            BodyView::new(&read, dt).line(),
            "0/fan-control/level = 3; 0/fan-control/0x7f00: unsupported-property"
        );
        let desc = Body::Description(fan());
        let line = BodyView::new(&desc, dt).line();
        assert!(line.starts_with("fff1/fan-bedroom-01: fan, "), "{line}");
        assert!(!line.contains('\n'), "{line}");
    }
}
