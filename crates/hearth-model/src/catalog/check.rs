//! Loading the catalog files and checking that they agree with each other.
//!
//! Every problem is collected (not just the first), with the file it was found in, so one run
//! tells a catalog author everything to fix.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::defs::{Capability, DeviceType, EnumDef, EnumScope, Field, TypeSpec, Unit};
use super::states::{self, StateMachine};
use super::{Catalog, ConstraintKind, DEVICE_TYPE_ENUMS};
use crate::StatusCode;

/// One problem found in the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogIssue {
    /// The file, relative to `spec/catalog/`.
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

/// Every problem found while loading a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    /// The problems, in file order.
    pub issues: Vec<CatalogIssue>,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for issue in &self.issues {
            writeln!(f, "{}: {}", issue.file, issue.problem)?;
        }
        Ok(())
    }
}

/// Deepest nesting of list and struct types the catalog may define.
const MAX_TYPE_DEPTH: usize = 6;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitsFile {
    units: Vec<Unit>,
}

struct Issues(Vec<CatalogIssue>);

impl Issues {
    fn add(&mut self, file: &str, problem: impl Into<String>) {
        self.0.push(CatalogIssue {
            file: file.to_owned(),
            problem: problem.into(),
        });
    }

    /// The file at `path` parsed, or `None` with the parse error noted.
    fn parse<T: serde::de::DeserializeOwned>(&mut self, path: &str, text: &str) -> Option<T> {
        toml::from_str(text)
            .map_err(|e| self.add(path, format!("does not parse: {e}")))
            .ok()
    }

    /// The definition in the file at `path`, whose `name` must be the file's `stem`; a parse
    /// error or another name is noted (a misnamed definition is still returned).
    fn parse_named<T: serde::de::DeserializeOwned>(
        &mut self,
        path: &str,
        stem: &str,
        text: &str,
        name: impl Fn(&T) -> &str,
    ) -> Option<T> {
        let def = self.parse::<T>(path, text)?;
        if name(&def) != stem {
            self.add(
                path,
                format!("name `{}` differs from the file name", name(&def)),
            );
        }
        Some(def)
    }
}

pub(super) fn load(files: &[(&str, &str)]) -> Result<Catalog, CatalogError> {
    let mut issues = Issues(Vec::new());
    let mut units = Vec::new();
    let mut enums: BTreeMap<String, (String, EnumDef)> = BTreeMap::new();
    let mut capabilities: Vec<(String, Capability)> = Vec::new();
    let mut device_types: Vec<(String, DeviceType)> = Vec::new();

    for (path, text) in files {
        let stem = path
            .rsplit('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".toml");
        if *path == "units.toml" {
            if let Some(f) = issues.parse::<UnitsFile>(path, text) {
                units = f.units;
            }
        } else if path.starts_with("enums/") {
            if let Some(def) = issues.parse_named::<EnumDef>(path, stem, text, |d| &d.name) {
                enums.insert(def.name.clone(), ((*path).to_owned(), def));
            }
        } else if path.starts_with("capabilities/") {
            if let Some(def) = issues.parse_named::<Capability>(path, stem, text, |d| &d.name) {
                capabilities.push(((*path).to_owned(), def));
            }
        } else if path.starts_with("device-types/") {
            if let Some(def) = issues.parse_named::<DeviceType>(path, stem, text, |d| &d.name) {
                device_types.push(((*path).to_owned(), def));
            }
        } else {
            issues.add(path, "is not part of the catalog layout (units.toml, enums/, capabilities/, device-types/)");
        }
    }

    check_units(&units, &mut issues);
    let unit_names: BTreeSet<&str> = units.iter().map(|u| u.name.as_str()).collect();
    for (file, def) in enums.values() {
        check_enum(file, def, &mut issues);
    }
    for (name, _) in DEVICE_TYPE_ENUMS {
        match enums.get(name) {
            Some((file, def)) if def.scope != EnumScope::DeviceType => {
                issues.add(file, "must have scope = \"device-type\"");
            }
            Some(_) => {}
            None => issues.add(&format!("enums/{name}.toml"), "is missing"),
        }
    }
    for name in ["status-code", "mode-tag", "fault-severity", "user-action"] {
        if !enums.contains_key(name) {
            issues.add(&format!("enums/{name}.toml"), "is missing");
        }
    }
    if let Some((file, def)) = enums.get("status-code") {
        let table: Vec<(u16, &str)> = def
            .values
            .iter()
            .map(|v| (v.code, v.name.as_str()))
            .collect();
        let generated: Vec<(u16, &str)> = StatusCode::ALL
            .iter()
            .map(|s| (s.code(), s.name()))
            .collect();
        if table != generated {
            issues.add(file, "differs from the generated StatusCode type; rebuild");
        }
    }

    let ctx = Ctx {
        units: &unit_names,
        enums: &enums,
    };
    let mut cap_ids = BTreeMap::new();
    let mut cap_names = BTreeSet::new();
    for (file, cap) in &capabilities {
        if !(1..=0x7FFF).contains(&cap.id) {
            issues.add(
                file,
                format!(
                    "capability id {:#06x} is outside the standard range 0x0001–0x7FFF",
                    cap.id
                ),
            );
        }
        if let Some(other) = cap_ids.insert(cap.id, file.clone()) {
            issues.add(
                file,
                format!("capability id {} is also used by {other}", cap.id),
            );
        }
        cap_names.insert(cap.name.clone());
        check_capability(file, cap, &ctx, &mut issues);
    }

    let mut dt_ids = BTreeMap::new();
    for (file, dt) in &device_types {
        if !(1..=0x7FFF).contains(&dt.id) {
            issues.add(
                file,
                format!("device type id {:#06x} is outside 0x0001–0x7FFF", dt.id),
            );
        }
        if let Some(other) = dt_ids.insert(dt.id, file.clone()) {
            issues.add(
                file,
                format!("device type id {} is also used by {other}", dt.id),
            );
        }
        check_device_type(file, dt, &capabilities, &ctx, &mut issues);
    }

    // A mode, phase or fault code means one thing across all device types.
    let mut owners: BTreeMap<(&str, u16), (&str, &str)> = BTreeMap::new();
    for (file, dt) in &device_types {
        let codes = dt
            .modes
            .iter()
            .map(|m| ("mode", m.code, m.name.as_str()))
            .chain(
                dt.phases
                    .iter()
                    .map(|p| ("cycle-phase", p.code, p.name.as_str())),
            )
            .chain(
                dt.faults
                    .iter()
                    .map(|f| ("fault-code", f.code, f.name.as_str())),
            );
        for (enum_name, code, name) in codes {
            match owners.get(&(enum_name, code)) {
                Some((other_type, other_name)) if *other_type != dt.name.as_str() && *other_name != name => issues.add(
                    file,
                    format!("{enum_name} code {code:#06x} (`{name}`) is `{other_name}` in {other_type}"),
                ),
                Some(_) => {}
                None => {
                    owners.insert((enum_name, code), (dt.name.as_str(), name));
                }
            }
        }
    }

    let state_machines = state_machines(&capabilities, &device_types, &enums, &mut issues);

    if !issues.0.is_empty() {
        return Err(CatalogError { issues: issues.0 });
    }
    capabilities.sort_by_key(|(_, c)| c.id);
    device_types.sort_by_key(|(_, d)| d.id);
    Ok(Catalog {
        units,
        enums: enums.into_iter().map(|(k, (_, v))| (k, v)).collect(),
        capabilities: capabilities.into_iter().map(|(_, c)| c).collect(),
        device_types: device_types.into_iter().map(|(_, d)| d).collect(),
        state_machines,
    })
}

/// The requirement ids the generated chapter states by itself.
pub(super) const CHAPTER_REQUIREMENTS: [&str; 2] = ["HRT-CAT-001", "HRT-CAT-002"];

/// Check and resolve every capability's state machine, and the requirement ids they state:
/// `HRT-CAT-NNN`, each once in the whole catalog and not one the chapter states itself.
fn state_machines(
    capabilities: &[(String, Capability)],
    device_types: &[(String, DeviceType)],
    enums: &BTreeMap<String, (String, EnumDef)>,
    issues: &mut Issues,
) -> BTreeMap<u16, StateMachine> {
    let caps: Vec<&Capability> = capabilities.iter().map(|(_, c)| c).collect();
    let dts: Vec<&DeviceType> = device_types.iter().map(|(_, d)| d).collect();
    let enums: BTreeMap<&str, &EnumDef> = enums
        .iter()
        .map(|(name, (_, def))| (name.as_str(), def))
        .collect();
    let mut ids: BTreeMap<String, String> = CHAPTER_REQUIREMENTS
        .iter()
        .map(|id| ((*id).to_owned(), "the catalog chapter".to_owned()))
        .collect();
    let mut out = BTreeMap::new();
    for (file, cap) in capabilities {
        let Some(def) = &cap.state_machine else {
            continue;
        };
        for (id, what) in states::requirement_ids(def) {
            let well_formed = id
                .strip_prefix("HRT-CAT-")
                .is_some_and(|n| n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()));
            if !well_formed {
                issues.add(
                    file,
                    format!("state_machine {what}: `{id}` is not of the form HRT-CAT-NNN"),
                );
            }
            if let Some(first) = ids.insert(id.to_owned(), file.clone()) {
                issues.add(
                    file,
                    format!("state_machine {what}: {id} is also stated by {first}"),
                );
            }
        }
        match states::resolve(cap, def, &caps, &enums, &dts) {
            Ok(sm) => {
                out.insert(cap.id, sm);
            }
            Err(problems) => {
                for p in problems {
                    issues.add(file, p);
                }
            }
        }
    }
    out
}

struct Ctx<'a> {
    units: &'a BTreeSet<&'a str>,
    enums: &'a BTreeMap<String, (String, EnumDef)>,
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && s.as_bytes()[0].is_ascii_lowercase()
}

fn check_name(file: &str, what: &str, name: &str, issues: &mut Issues) {
    if !is_name(name) {
        issues.add(
            file,
            format!("{what} name `{name}` is not lower-case kebab-case"),
        );
    }
}

fn check_units(units: &[Unit], issues: &mut Issues) {
    if units.is_empty() {
        issues.add("units.toml", "is missing or lists no units");
    }
    let mut seen = BTreeSet::new();
    for u in units {
        check_name("units.toml", "unit", &u.name, issues);
        if !seen.insert(&u.name) {
            issues.add("units.toml", format!("unit `{}` is defined twice", u.name));
        }
        if u.scale.is_nan() || u.scale <= 0.0 {
            issues.add(
                "units.toml",
                format!("unit `{}` has a non-positive scale", u.name),
            );
        }
    }
}

fn check_enum(file: &str, def: &EnumDef, issues: &mut Issues) {
    check_name(file, "enum", &def.name, issues);
    let mut codes = BTreeSet::new();
    let mut names = BTreeSet::new();
    for v in &def.values {
        check_name(file, "value", &v.name, issues);
        if v.code >= 0x8000 {
            issues.add(
                file,
                format!("code {:#06x} ({}) lies in the vendor range", v.code, v.name),
            );
        }
        if !codes.insert(v.code) {
            issues.add(file, format!("code {:#06x} is used twice", v.code));
        }
        if !names.insert(&v.name) {
            issues.add(file, format!("value name `{}` is used twice", v.name));
        }
    }
    if def.scope == EnumScope::Global && def.values.is_empty() {
        issues.add(file, "a global enum needs at least one value");
    }
}

fn check_capability(file: &str, cap: &Capability, ctx: &Ctx<'_>, issues: &mut Issues) {
    check_name(file, "capability", &cap.name, issues);
    let mut seen = Members::new(file, "property");
    for p in &cap.properties {
        let at = seen.check(p.id, &p.name, issues);
        check_type(file, &at, &p.ty, ctx, 0, issues);
        let mut kinds = BTreeSet::new();
        for kind in &p.constrain {
            if !kinds.insert(kind) {
                issues.add(
                    file,
                    format!("{at}: constraint `{}` listed twice", kind.key()),
                );
            }
            let allowed = match kind {
                ConstraintKind::Min | ConstraintKind::Max | ConstraintKind::Step => {
                    p.ty.int_spec().is_some()
                }
                ConstraintKind::MaxLen => {
                    matches!(p.ty, TypeSpec::String { .. } | TypeSpec::Bytes { .. })
                }
                ConstraintKind::MaxCount => matches!(p.ty, TypeSpec::List { .. }),
                ConstraintKind::Values => matches!(p.ty, TypeSpec::Enum { .. }),
            };
            if !allowed {
                issues.add(
                    file,
                    format!(
                        "{at}: constraint `{}` does not apply to type {}",
                        kind.key(),
                        p.ty.type_name()
                    ),
                );
            }
        }
        if p.constrain_required && p.constrain.is_empty() {
            issues.add(
                file,
                format!("{at}: constrain_required without any constrain kinds"),
            );
        }
    }
    let mut seen = Members::new(file, "action");
    for a in &cap.actions {
        let at = seen.check(a.id, &a.name, issues);
        check_fields(file, &format!("{at} args"), &a.args, ctx, 1, issues);
        check_fields(file, &format!("{at} results"), &a.results, ctx, 1, issues);
        for e in &a.errors {
            if StatusCode::from_name(e).is_none() {
                issues.add(file, format!("{at}: error `{e}` is not a status code"));
            }
        }
    }
    let mut seen = Members::new(file, "event");
    for e in &cap.events {
        let at = seen.check(e.id, &e.name, issues);
        check_fields(file, &at, &e.fields, ctx, 1, issues);
    }
}

/// The members of one kind of a capability checked so far, to find an id or a name used
/// twice.
struct Members<'f> {
    file: &'f str,
    kind: &'static str,
    ids: BTreeSet<u16>,
    names: BTreeSet<String>,
}

impl<'f> Members<'f> {
    fn new(file: &'f str, kind: &'static str) -> Self {
        Self {
            file,
            kind,
            ids: BTreeSet::new(),
            names: BTreeSet::new(),
        }
    }

    /// Check the next member's name and id; the label its issues carry.
    fn check(&mut self, id: u16, name: &str, issues: &mut Issues) -> String {
        let at = format!("{} `{name}`", self.kind);
        let (ids, names) = (&mut self.ids, &mut self.names);
        check_member(self.file, &at, id, name, ids, names, issues);
        at
    }
}

fn check_member(
    file: &str,
    at: &str,
    id: u16,
    name: &str,
    ids: &mut BTreeSet<u16>,
    names: &mut BTreeSet<String>,
    issues: &mut Issues,
) {
    check_name(file, "member", name, issues);
    if !(1..=0x7FFF).contains(&id) {
        issues.add(
            file,
            format!("{at}: id {id:#06x} is outside the standard range 0x0001–0x7FFF"),
        );
    }
    if !ids.insert(id) {
        issues.add(file, format!("{at}: id {id} is used twice"));
    }
    if !names.insert(name.to_owned()) {
        issues.add(file, format!("{at}: name is used twice"));
    }
}

fn check_fields(
    file: &str,
    at: &str,
    fields: &[Field],
    ctx: &Ctx<'_>,
    depth: usize,
    issues: &mut Issues,
) {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for f in fields {
        let at = format!("{at} field `{}`", f.name);
        check_name(file, "field", &f.name, issues);
        if !ids.insert(f.id) {
            issues.add(file, format!("{at}: id {} is used twice", f.id));
        }
        if !names.insert(&f.name) {
            issues.add(file, format!("{at}: name is used twice"));
        }
        check_type(file, &at, &f.ty, ctx, depth, issues);
    }
}

fn check_type(
    file: &str,
    at: &str,
    ty: &TypeSpec,
    ctx: &Ctx<'_>,
    depth: usize,
    issues: &mut Issues,
) {
    if depth > MAX_TYPE_DEPTH {
        issues.add(
            file,
            format!("{at}: types nest deeper than {MAX_TYPE_DEPTH}"),
        );
        return;
    }
    match ty {
        TypeSpec::Bool => {}
        TypeSpec::Int(s) | TypeSpec::Uint(s) => {
            if s.min > s.max {
                issues.add(file, format!("{at}: min {} > max {}", s.min, s.max));
            }
            if s.step == 0 {
                issues.add(file, format!("{at}: step must be at least 1"));
            }
            if matches!(ty, TypeSpec::Uint(_)) && s.min < 0 {
                issues.add(file, format!("{at}: a uint cannot have a negative min"));
            }
            if let Some(unit) = &s.unit {
                if !ctx.units.contains(unit.as_str()) {
                    issues.add(file, format!("{at}: unit `{unit}` is not in units.toml"));
                }
            }
        }
        TypeSpec::Enum { enumeration } => {
            if !ctx.enums.contains_key(enumeration) {
                issues.add(file, format!("{at}: enum `{enumeration}` does not exist"));
            }
        }
        TypeSpec::String { max_len } | TypeSpec::Bytes { max_len } => {
            if *max_len == 0 {
                issues.add(file, format!("{at}: max_len must be at least 1"));
            }
        }
        TypeSpec::List { items, max_count } => {
            if *max_count == 0 {
                issues.add(file, format!("{at}: max_count must be at least 1"));
            }
            check_type(file, &format!("{at} items"), items, ctx, depth + 1, issues);
        }
        TypeSpec::Struct { fields } => {
            if fields.is_empty() {
                issues.add(file, format!("{at}: a struct needs at least one field"));
            }
            check_fields(file, at, fields, ctx, depth + 1, issues);
        }
    }
}

fn enum_names(ctx: &Ctx<'_>, name: &str) -> BTreeSet<String> {
    ctx.enums
        .get(name)
        .map(|(_, def)| def.values.iter().map(|v| v.name.clone()).collect())
        .unwrap_or_default()
}

fn check_device_type(
    file: &str,
    dt: &DeviceType,
    capabilities: &[(String, Capability)],
    ctx: &Ctx<'_>,
    issues: &mut Issues,
) {
    check_name(file, "device type", &dt.name, issues);
    let cap = |name: &str| capabilities.iter().map(|(_, c)| c).find(|c| c.name == name);

    let mut comp_ids = BTreeSet::new();
    let mut comp_names = BTreeSet::new();
    for comp in &dt.components {
        let at = format!("component {} `{}`", comp.id, comp.name);
        check_name(file, "component", &comp.name, issues);
        if !comp_ids.insert(comp.id) {
            issues.add(file, format!("{at}: id used twice"));
        }
        if !comp_names.insert(&comp.name) {
            issues.add(file, format!("{at}: name used twice"));
        }
        let mut listed = BTreeSet::new();
        for name in comp.mandatory.iter().chain(&comp.optional) {
            if cap(name).is_none() {
                issues.add(file, format!("{at}: capability `{name}` does not exist"));
            }
            if !listed.insert(name) {
                issues.add(file, format!("{at}: capability `{name}` listed twice"));
            }
        }
        for rule in &comp.rules {
            let rat = format!("{at} rule on {}/{}", rule.capability, rule.property);
            if !listed.contains(&rule.capability) {
                issues.add(
                    file,
                    format!("{rat}: capability is not listed for this component"),
                );
            }
            match cap(&rule.capability).and_then(|c| c.property_named(&rule.property)) {
                Some(p) => match p.ty.int_spec() {
                    Some(spec) => {
                        for [lo, hi] in [rule.within, rule.cover].into_iter().flatten() {
                            if lo > hi || lo < spec.min || hi > spec.max {
                                issues.add(file, format!("{rat}: interval [{lo}, {hi}] is empty or outside the catalog bounds"));
                            }
                        }
                        if let (Some([wl, wh]), Some([cl, ch])) = (rule.within, rule.cover) {
                            if cl < wl || ch > wh {
                                issues.add(file, format!("{rat}: cover lies outside within"));
                            }
                        }
                        if rule.max_step.is_some_and(|s| s == 0 || s % spec.step != 0) {
                            issues.add(file, format!("{rat}: max_step must be a positive multiple of the catalog step"));
                        }
                    }
                    None => issues.add(file, format!("{rat}: the property is not numeric")),
                },
                None => issues.add(file, format!("{rat}: the property does not exist")),
            }
        }
    }
    match dt.component(0) {
        Some(root) => {
            if !root.required {
                issues.add(file, "component 0 must be required");
            }
            for common in ["device-info", "faults"] {
                if !root.mandatory.iter().any(|c| c == common) {
                    issues.add(
                        file,
                        format!("component 0 must list `{common}` as mandatory"),
                    );
                }
            }
        }
        None => issues.add(file, "has no component 0 (the device itself)"),
    }

    let tags = enum_names(ctx, "mode-tag");
    let severities = enum_names(ctx, "fault-severity");
    let actions = enum_names(ctx, "user-action");
    let mut seen: BTreeMap<&str, BTreeSet<u16>> = BTreeMap::new();
    for (enum_name, _) in DEVICE_TYPE_ENUMS {
        let common = ctx
            .enums
            .get(enum_name)
            .map(|(_, d)| d.values.iter().map(|v| v.code).collect())
            .unwrap_or_default();
        seen.insert(enum_name, common);
    }
    let mut add_code = |issues: &mut Issues, enum_name: &str, code: u16, name: &str| {
        check_name(file, enum_name, name, issues);
        if code >= 0x8000 {
            issues.add(
                file,
                format!("{enum_name} `{name}`: code {code:#06x} lies in the vendor range"),
            );
        }
        if let Some(codes) = seen.get_mut(enum_name) {
            if !codes.insert(code) {
                issues.add(
                    file,
                    format!("{enum_name} `{name}`: code {code:#06x} is already used"),
                );
            }
        }
    };
    for m in &dt.modes {
        add_code(issues, "mode", m.code, &m.name);
        for t in &m.tags {
            if !tags.contains(t) {
                issues.add(
                    file,
                    format!("mode `{}`: tag `{t}` is not in mode-tag", m.name),
                );
            }
        }
    }
    for p in &dt.phases {
        add_code(issues, "cycle-phase", p.code, &p.name);
    }
    for f in &dt.faults {
        add_code(issues, "fault-code", f.code, &f.name);
        if !severities.contains(&f.severity) {
            issues.add(
                file,
                format!(
                    "fault `{}`: severity `{}` is not in fault-severity",
                    f.name, f.severity
                ),
            );
        }
        if !actions.contains(&f.action) {
            issues.add(
                file,
                format!(
                    "fault `{}`: action `{}` is not in user-action",
                    f.name, f.action
                ),
            );
        }
    }
    let has_mode = dt
        .components
        .iter()
        .any(|c| c.mandatory.iter().chain(&c.optional).any(|n| n == "mode"));
    if has_mode && dt.modes.is_empty() {
        issues.add(file, "carries the mode capability but defines no modes");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_replaced(path: &str, from: &str, to: &str) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = Catalog::embedded_files()
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        let file = files
            .iter_mut()
            .find(|(p, _)| p == path)
            .expect("file exists");
        assert!(file.1.contains(from), "{path} contains {from:?}");
        file.1 = file.1.replacen(from, to, 1);
        files
    }

    fn problems(files: &[(String, String)]) -> String {
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        match Catalog::from_files(&refs) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    /// Replacing the first `from` by `to` in the catalog file `path` must make the check fail
    /// with a problem that says `expected`.
    fn caught(path: &str, from: &str, to: &str, expected: &str) {
        let p = problems(&with_replaced(path, from, to));
        assert!(p.contains(expected), "{p}");
    }

    #[test]
    fn duplicate_capability_id_is_caught() {
        caught(
            "capabilities/on-off.toml",
            "id = 3",
            "id = 1",
            "capability id 1 is also used by",
        );
    }

    #[test]
    fn dangling_enum_reference_is_caught() {
        caught(
            "capabilities/operational-state.toml",
            "enum = \"operational-state\"",
            "enum = \"no-such-enum\"",
            "enum `no-such-enum` does not exist",
        );
    }

    #[test]
    fn unknown_capability_in_device_type_is_caught() {
        caught(
            "device-types/fan.toml",
            "\"device-info\"",
            "\"device-inf0\"",
            "capability `device-inf0` does not exist",
        );
    }

    #[test]
    fn vendor_range_code_in_catalog_is_caught() {
        caught(
            "enums/status-code.toml",
            "code = 13",
            "code = 40000",
            "lies in the vendor range",
        );
    }

    #[test]
    fn one_code_with_two_meanings_across_device_types_is_caught() {
        let fan = Catalog::embedded_files()
            .iter()
            .find(|(p, _)| *p == "device-types/fan.toml")
            .expect("fan")
            .1;
        let first_fan_mode = fan.split("[[modes]]").nth(1).expect("fan has modes");
        let code_line = first_fan_mode
            .lines()
            .find(|l| l.starts_with("code"))
            .expect("code line");
        let ac = Catalog::embedded_files()
            .iter()
            .find(|(p, _)| *p == "device-types/air-conditioner.toml")
            .expect("ac")
            .1;
        let ac_code = ac
            .split("[[modes]]")
            .nth(1)
            .and_then(|m| m.lines().find(|l| l.starts_with("code")))
            .expect("ac mode code");
        caught(
            "device-types/fan.toml",
            code_line,
            ac_code,
            "in air-conditioner",
        );
    }

    #[test]
    fn state_machine_naming_an_unknown_state_is_caught() {
        caught(
            "capabilities/operational-state.toml",
            "from = [\"paused\"]\nto = \"running\"",
            "from = [\"suspended\"]\nto = \"running\"",
            "`suspended` is not a value of `operational-state`",
        );
    }

    #[test]
    fn action_without_a_transition_is_caught() {
        caught(
            "capabilities/operational-state.toml",
            "action = \"pause\"\nfrom",
            "from",
            "action `pause` has no transition",
        );
    }

    #[test]
    fn writable_capability_without_a_settings_row_is_caught() {
        caught("capabilities/operational-state.toml", "\"laundry-controls\", ", "", "capability `laundry-controls`, which washing-machine component `device` may carry, has no settings row");
    }

    #[test]
    fn requirement_id_stated_twice_is_caught() {
        caught(
            "capabilities/operational-state.toml",
            "id = \"HRT-CAT-046\"",
            "id = \"HRT-CAT-045\"",
            "HRT-CAT-045 is also stated by",
        );
        caught(
            "capabilities/operational-state.toml",
            "id = \"HRT-CAT-040\"",
            "id = \"HRT-CAT-001\"",
            "HRT-CAT-001 is also stated by the catalog chapter",
        );
    }

    #[test]
    fn precondition_on_a_non_boolean_property_is_caught() {
        caught(
            "capabilities/operational-state.toml",
            "property = \"remote-start-enabled\"",
            "property = \"progress\"",
            "is not a boolean property",
        );
    }

    #[test]
    fn unknown_key_is_caught() {
        caught(
            "device-types/fan.toml",
            "title =",
            "titel =",
            "does not parse",
        );
    }
}
