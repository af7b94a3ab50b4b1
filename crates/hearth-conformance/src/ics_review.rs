//! The review of an ICS without a device (`hearth test --check-ics`, `spec/06-conformance.md`
//! §3 and §13.2): everything that can be known about a statement before the device is
//! connected, each problem at the line of the file it is on, with a suggestion where a name
//! is close to one the catalog has.
//!
//! It goes further than [`Ics::parse`], which checks only the form of §3: the device type,
//! the components, the capabilities and their optional members are looked up in the catalog
//! (a misspelt name, a capability the device type does not carry, a mandatory member listed
//! as optional, a mandatory capability missing), the `[actuation]` flags are compared with
//! the capabilities they act on, and the credentials the statement names are read and
//! validated against the trusted root — the faults that otherwise show only as a run of
//! failures or timeouts. Time comes in as an argument; the files are read here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hearth_model::catalog::{Capability, ComponentSpec, DeviceType};
use hearth_model::Catalog;
use hearth_security::cert::{validate_chain, Role, TrustStore};
use hearth_security::fs::{read_cert, read_chain, read_credential, read_key};
use hearth_security::revocation::RevocationSet;

use crate::ics::{Ics, IcsError};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The statement is wrong: the run would refuse it, or fail or time out because of it.
    Error,
    /// Probably not what was meant, but not wrong: a flag that allows nothing.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One problem of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The line of the file (from 1) the problem is on, where it is on one.
    pub line: Option<usize>,
    /// The key, e.g. `device.type` or `components.0.fan-contrl`.
    pub key: String,
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong, with a suggestion where there is one.
    pub message: String,
}

impl Finding {
    /// The finding as a compiler writes one: `FILE:LINE: error: KEY: MESSAGE`.
    pub fn render(&self, file: &Path) -> String {
        let at = match self.line {
            Some(line) => format!("{}:{line}", file.display()),
            None => file.display().to_string(),
        };
        format!(
            "{at}: {}: {}: {}",
            self.severity.name(),
            self.key,
            self.message
        )
    }
}

/// What the review needs besides the text.
#[derive(Debug, Clone)]
pub struct ReviewContext<'a> {
    /// The folder of the ICS file, against which its paths resolve (HRT-CONF-018).
    pub base: &'a Path,
    /// The trusted root to validate chains against when the ICS names none (`trust`):
    /// `root.cert` of `--pki`, if given.
    pub default_root: Option<PathBuf>,
    /// The time to validate certificates at, in seconds since the Unix epoch.
    pub now: u64,
}

/// Review the statement `text`: its form (§3), its names against the catalog, its actuation
/// flags against its capabilities, and its credentials against the trusted root. An empty
/// list, or one of warnings only, is a statement a run accepts.
pub fn review(text: &str, cx: &ReviewContext<'_>) -> Vec<Finding> {
    let mut found = Found::new(text);
    let mut ics = match Ics::parse(text) {
        Ok(ics) => ics,
        Err(IcsError::Parse(message)) => {
            let (line, message) =
                Ics::parse_error_at(text).map_or((None, message), |(line, m)| (Some(line), m));
            found.0.push(Finding {
                line,
                key: "(toml)".into(),
                severity: Severity::Error,
                message: format!("{message} (HRT-CONF-001)"),
            });
            return found.0;
        }
        Err(IcsError::Invalid(problems)) => {
            for p in problems {
                found.error(&p.key, p.rule);
            }
            return found.finish();
        }
    };
    catalog_names(&ics, Catalog::standard(), &mut found);
    actuation(&ics, &mut found);
    ics.resolve_paths(cx.base);
    credentials(&ics, cx, &mut found);
    found.finish()
}

/// The findings so far and the text they point into.
struct Found<'t>(Vec<Finding>, &'t str);

impl<'t> Found<'t> {
    fn new(text: &'t str) -> Self {
        Self(Vec::new(), text)
    }

    fn push(&mut self, key: &str, severity: Severity, message: String) {
        self.0.push(Finding {
            line: line_of(self.1, key),
            key: key.to_owned(),
            severity,
            message,
        });
    }

    fn error(&mut self, key: &str, message: String) {
        self.push(key, Severity::Error, message);
    }

    fn warning(&mut self, key: &str, message: String) {
        self.push(key, Severity::Warning, message);
    }

    /// In the order of the file, errors before warnings on one line.
    fn finish(mut self) -> Vec<Finding> {
        self.0
            .sort_by_key(|f| (f.line.unwrap_or(usize::MAX), f.severity));
        self.0
    }
}

/// The closest of `candidates` to `name`, if one is close enough to be what was meant: one
/// that contains it or that it contains, or one similar enough by Jaro–Winkler.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = if name.len() >= 3 && (c.contains(name) || name.contains(c)) {
            1.0
        } else {
            strsim::jaro_winkler(name, c)
        };
        if score > best.map_or(0.0, |(s, _)| s) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.85).map(|(_, c)| c)
}

/// `; did you mean `x`?` or nothing.
fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(name, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// A list of names as a sentence writes it: `a, b and c`.
fn listed<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| format!("`{n}`")).collect();
    match names.split_last() {
        None => "none".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn is_vendor_id(name: &str) -> bool {
    name.starts_with("0x")
}

/// The device type, the components, the capabilities and their members, in the catalog.
fn catalog_names(ics: &Ics, catalog: &Catalog, found: &mut Found<'_>) {
    let type_name = &ics.device.device_type;
    let dt = catalog.device_type_named(type_name);
    if dt.is_none() {
        found.error(
            "device.type",
            format!(
                "`{type_name}` is not a device type of the catalog{}; the device types are {} (HRT-CONF-004)",
                suggestion(type_name, catalog.device_types().iter().map(|d| d.name.as_str())),
                listed(catalog.device_types().iter().map(|d| d.name.as_str()))
            ),
        );
    }
    for (&cid, caps) in &ics.components {
        let table = format!("components.{cid}");
        let slot = match dt {
            Some(dt) => match dt.component(cid) {
                Some(slot) => Some(slot),
                None => {
                    found.error(
                        &table,
                        format!(
                            "a {} has no component {cid}; its components are {} (HRT-CONF-005)",
                            dt.name,
                            components_of(dt)
                        ),
                    );
                    continue;
                }
            },
            None => None,
        };
        for (cap_name, members) in caps {
            let key = format!("{table}.{cap_name}");
            if is_vendor_id(cap_name) {
                continue;
            }
            let Some(cap) = catalog.capability_named(cap_name) else {
                found.error(
                    &key,
                    format!(
                        "`{cap_name}` is not a capability of the catalog{} (HRT-CONF-005)",
                        suggestion(cap_name, slot_or_all(slot, catalog))
                    ),
                );
                continue;
            };
            if let (Some(dt), Some(slot)) = (dt, slot) {
                if !slot.mandatory.contains(cap_name) && !slot.optional.contains(cap_name) {
                    found.error(
                        &key,
                        format!(
                            "a {}'s component {cid} ({}) does not carry `{cap_name}`{}; it carries {} and may carry {} (HRT-CONF-005)",
                            dt.name,
                            slot.name,
                            suggestion(cap_name, slot_names(slot)),
                            listed(slot.mandatory.iter().map(String::as_str)),
                            listed(slot.optional.iter().map(String::as_str))
                        ),
                    );
                }
            }
            members_of(cap, members, &key, found);
        }
        if let (Some(dt), Some(slot)) = (dt, slot) {
            for mandatory in &slot.mandatory {
                if !caps.contains_key(mandatory) {
                    found.error(
                        &table,
                        format!(
                            "lists no `{mandatory}`, which every {} carries on component {cid} ({}) (HRT-CONF-005)",
                            dt.name, slot.name
                        ),
                    );
                }
            }
        }
    }
    if let Some(dt) = dt {
        for slot in dt.components.iter().filter(|c| c.required) {
            if !ics.components.contains_key(&slot.id) {
                found.error(
                    "components",
                    format!(
                        "lists no component {} ({}), which every {} has (HRT-CONF-005)",
                        slot.id, slot.name, dt.name
                    ),
                );
            }
        }
    }
}

/// `0 (device), 1 (fridge-compartment) and 2 (freezer-compartment)`.
fn components_of(dt: &DeviceType) -> String {
    let names: Vec<String> = dt
        .components
        .iter()
        .map(|c| format!("{} ({})", c.id, c.name))
        .collect();
    names.join(", ")
}

fn slot_names(slot: &ComponentSpec) -> impl Iterator<Item = &str> {
    slot.mandatory
        .iter()
        .chain(&slot.optional)
        .map(String::as_str)
}

/// The capability names to suggest from: the component's, or the whole catalog's.
fn slot_or_all<'a>(slot: Option<&'a ComponentSpec>, catalog: &'a Catalog) -> Vec<&'a str> {
    match slot {
        Some(slot) => slot_names(slot).collect(),
        None => catalog
            .capabilities()
            .iter()
            .map(|c| c.name.as_str())
            .collect(),
    }
}

/// The members an ICS lists for `cap`: each an optional member of it.
fn members_of(cap: &Capability, members: &[String], key: &str, found: &mut Found<'_>) {
    let all: Vec<(&str, bool)> = cap
        .properties
        .iter()
        .map(|p| (p.name.as_str(), p.optional))
        .chain(cap.actions.iter().map(|a| (a.name.as_str(), a.optional)))
        .chain(cap.events.iter().map(|e| (e.name.as_str(), e.optional)))
        .collect();
    let optional = || all.iter().filter(|(_, o)| *o).map(|(n, _)| *n);
    for m in members {
        if m.contains(':') {
            continue; // a vendor member, whose form `Ics::parse` checked
        }
        match all.iter().find(|(n, _)| n == m) {
            Some((_, true)) => {}
            Some((_, false)) => found.error(
                key,
                format!(
                    "`{m}` is a mandatory member of `{}`: list only the optional members the device implements, here {} (HRT-CONF-005)",
                    cap.name,
                    listed(optional())
                ),
            ),
            None => found.error(
                key,
                format!(
                    "`{m}` is not a member of `{}`{}; its optional members are {} (HRT-CONF-005)",
                    cap.name,
                    suggestion(m, all.iter().map(|(n, _)| *n)),
                    listed(optional())
                ),
            ),
        }
    }
}

/// Flags that allow what no capability of the statement offers.
fn actuation(ics: &Ics, found: &mut Found<'_>) {
    let has = |name: &str| ics.components.values().any(|caps| caps.contains_key(name));
    let member = |cap: &str, m: &str| {
        ics.components
            .values()
            .any(|caps| caps.get(cap).is_some_and(|ms| ms.iter().any(|x| x == m)))
    };
    let vendor_action = ics.components.values().any(|caps| {
        caps.iter()
            .any(|(cap, ms)| is_vendor_id(cap) || ms.iter().any(|m| m.starts_with("action:")))
    });
    let a = &ics.actuation;
    let checks = [
        (a.power, "power", has("on-off"), "`on-off`"),
        (
            a.setpoints,
            "setpoints",
            has("temperature-control") || has("water-heater-control"),
            "`temperature-control` or `water-heater-control`",
        ),
        (a.modes, "modes", has("mode"), "`mode`"),
        (
            a.start_cycle,
            "start_cycle",
            has("operational-state"),
            "`operational-state`",
        ),
        (
            a.pause_resume,
            "pause_resume",
            member("operational-state", "pause"),
            "`operational-state` with `pause`",
        ),
        (a.door, "door", has("door"), "`door`"),
        (
            a.firmware_update,
            "firmware_update",
            has("firmware-update"),
            "`firmware-update`",
        ),
        (
            a.vendor_actions,
            "vendor_actions",
            vendor_action,
            "a vendor capability or vendor action",
        ),
    ];
    for (set, flag, offered, what) in checks {
        if set && !offered {
            found.warning(
                &format!("actuation.{flag}"),
                format!("allows what no capability of the statement offers: it lists no {what}"),
            );
        }
    }
}

/// Every credential file the statement names: readable, the key that of the certificate,
/// the chain leading to the trusted root.
fn credentials(ics: &Ics, cx: &ReviewContext<'_>, found: &mut Found<'_>) {
    let root_path = ics
        .parameters
        .trust
        .clone()
        .map(PathBuf::from)
        .or_else(|| cx.default_root.clone());
    let root_key = if ics.parameters.trust.is_some() {
        "parameters.trust"
    } else {
        "parameters"
    };
    let trust = match &root_path {
        None => {
            found.warning(
                "parameters",
                "names no `trust` root, so the chains are not checked: set `trust` in [parameters] (a path relative to this file) or give --pki".into(),
            );
            None
        }
        Some(path) => match read_cert(path) {
            Err(e) => {
                found.error(root_key, format!("{e}{}", PKI_HINT));
                None
            }
            Ok(cert) => {
                let mut trust = TrustStore::new();
                match trust.add_root(cert) {
                    Ok(()) => Some(trust),
                    Err(e) => {
                        found.error(
                            root_key,
                            format!("{}: not a trust anchor: {e}", path.display()),
                        );
                        None
                    }
                }
            }
        },
    };
    if let Some(ca) = &ics.parameters.broker_ca {
        if !Path::new(ca).is_file() {
            found.error(
                "parameters.broker_ca",
                format!("{ca}: no such file (the CA of the broker's TLS certificate)"),
            );
        }
    }
    for (i, c) in ics.controllers.iter().enumerate() {
        let key = read_key(Path::new(&c.key));
        if let Err(e) = &key {
            found.error(&format!("controllers[{i}].key"), format!("{e}{PKI_HINT}"));
        }
        let chain_key = format!("controllers[{i}].chain");
        let chain = match read_chain(Path::new(&c.chain)) {
            Ok(chain) => Some(chain),
            Err(e) => {
                found.error(&chain_key, format!("{e}{PKI_HINT}"));
                None
            }
        };
        let (Ok(key), Some(chain)) = (key, chain) else {
            continue;
        };
        let Some(leaf) = chain.first() else { continue };
        if leaf.claims().key != *key.public_key() {
            let reversed = chain
                .iter()
                .skip(1)
                .any(|c| c.claims().key == *key.public_key());
            found.error(
                &chain_key,
                if reversed {
                    format!("{}: lists its certificates leaf last; a chain file lists the controller's certificate first, then its issuer (03-security.md §13.5)", c.chain)
                } else {
                    format!("{}: its first certificate is not that of the key {}", c.chain, c.key)
                },
            );
            continue;
        }
        if leaf.claims().role != Role::Controller {
            found.error(
                &chain_key,
                format!(
                    "{}: the certificate is a {} certificate, not a controller's",
                    c.chain,
                    leaf.claims().role
                ),
            );
        }
        if let Some(trust) = &trust {
            let mut anchored = chain.clone();
            anchored.reverse();
            if let Err(e) = validate_chain(trust, &anchored, cx.now, &RevocationSet::new()) {
                found.error(
                    &chain_key,
                    format!(
                        "{}: does not lead to the trusted root {}: {e}",
                        c.chain,
                        root_path
                            .as_deref()
                            .map_or_else(String::new, |p| p.display().to_string())
                    ),
                );
            }
        }
    }
    if let Some(a) = &ics.authority {
        match read_credential(Path::new(&a.cert), Path::new(&a.key)) {
            Err(e) => found.error("authority", format!("{e}{PKI_HINT}")),
            Ok(cred) => {
                let role = cred.cert.claims().role;
                if role != Role::Vendor && role != Role::Root {
                    found.error(
                        "authority.cert",
                        format!("{}: a {role} certificate; the authority is a vendor CA or a trust anchor (§3.9)", a.cert),
                    );
                } else if let Some(trust) = &trust {
                    let is_anchor = trust.get(cred.cert.subject_kid()).is_some();
                    if !is_anchor {
                        if let Err(e) = validate_chain(
                            trust,
                            std::slice::from_ref(&cred.cert),
                            cx.now,
                            &RevocationSet::new(),
                        ) {
                            found.error(
                                "authority.cert",
                                format!("{}: not issued by the trusted root: {e}", a.cert),
                            );
                        }
                    }
                }
            }
        }
    }
}

/// What a missing credential file suggests.
const PKI_HINT: &str = "; `hearth pki init --dir DIR` writes the lab's credentials (manage, operate, view and stranger with .key and .chain, authority.key and authority.cert)";

/// The line (from 1) of `key` in the TOML text: `device.type`, `components.0.door`,
/// `controllers[1].chain`, `controllers`, `ics_version`. A key not written in the file (a
/// table's missing entry) gives the line of its table, if that is there.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let (path, index) = match key.split_once('[') {
        Some((table, rest)) => {
            let (n, leaf) = rest.split_once(']').unwrap_or((rest, ""));
            let index = n.parse::<usize>().unwrap_or(0);
            (format!("{table}{leaf}"), Some(index))
        }
        None => (key.to_owned(), None),
    };
    let tables = headers(text);
    // The longest prefix of the path that is a table of the file; the rest is the key.
    let parts: Vec<&str> = path.split('.').collect();
    for split in (0..=parts.len()).rev() {
        let table = parts[..split].join(".");
        let leaf = parts[split..].join(".");
        let Some(lines) = tables.get(table.as_str()) else {
            continue;
        };
        let Some(&(start, end)) = lines.get(index.unwrap_or(0)) else {
            continue;
        };
        if leaf.is_empty() {
            return (start > 0).then_some(start);
        }
        let body = text.lines().enumerate().skip(start).take(end - start);
        for (n, line) in body {
            if key_of(line) == Some(leaf.as_str()) {
                return Some(n + 1);
            }
        }
        return (start > 0).then_some(start);
    }
    None
}

/// The tables of the file: name → for each occurrence (array tables have several), the
/// lines it spans as (line of its header, from 1, or 0 for the top level; index after its
/// last line).
fn headers(text: &str) -> BTreeMap<&str, Vec<(usize, usize)>> {
    let mut tables: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    let mut current = ("", 0usize);
    let mut count = 0;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim();
        let name = t
            .strip_prefix("[[")
            .and_then(|r| r.split_once("]]"))
            .or_else(|| t.strip_prefix('[').and_then(|r| r.split_once(']')))
            .map(|(name, _)| name.trim());
        if let Some(name) = name {
            tables.entry(current.0).or_default().push((current.1, n));
            current = (name, n + 1);
        }
        count = n + 1;
    }
    tables
        .entry(current.0)
        .or_default()
        .push((current.1, count));
    tables
}

/// The key of a `key = value` line, unquoted.
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    Some(key.trim_matches('"').trim_matches('\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAN: &str = "ics_version = 1\nspec_version = 1\n\n[device]\nvendor = \"fff1\"\nid = \"fan-1\"\ntype = \"fan\"\nvendor_name = \"V\"\nmodel = \"M\"\nfirmware = \"1\"\n\n[components.0]\ndevice-info = []\nfaults = []\non-off = []\nfan-control = []\nairflow = [\"horizontal-swing\"]\n\n[actuation]\nsettings = true\n\n[[controllers]]\nkey = \"lab/operate.key\"\nchain = \"lab/operate.chain\"\nprivilege = \"operate\"\n";

    /// Some finding of `f` is one `pred` looks for.
    fn assert_any(f: &[Finding], pred: impl Fn(&Finding) -> bool) {
        assert!(f.iter().any(pred), "{f:?}");
    }

    fn catalog_review(text: &str) -> Vec<Finding> {
        let mut found = Found::new(text);
        match Ics::parse(text) {
            Ok(ics) => {
                catalog_names(&ics, Catalog::standard(), &mut found);
                actuation(&ics, &mut found);
            }
            Err(e) => panic!("{e}"),
        }
        found.finish()
    }

    #[test]
    fn a_correct_statement_has_no_finding() {
        assert_eq!(catalog_review(FAN), []);
        let example = include_str!("../ics/example.toml");
        assert_eq!(catalog_review(example), []);
    }

    /// A misspelt device type is named at its line, with the type meant.
    #[test]
    fn a_misspelt_device_type() {
        let f = catalog_review(&FAN.replace("type = \"fan\"", "type = \"frige\""));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].line, f[0].key.as_str()), (Some(7), "device.type"));
        assert!(
            f[0].message.contains("did you mean `refrigerator`?"),
            "{f:?}"
        );
    }

    /// A capability of another device type: not on a fan, with what a fan carries.
    #[test]
    fn a_refrigerator_capability_on_a_fan() {
        let f = catalog_review(&FAN.replace("faults = []", "faults = []\nconsumables = []"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].line, f[0].key.as_str()),
            (Some(15), "components.0.consumables")
        );
        assert!(
            f[0].message.contains("does not carry `consumables`")
                && f[0].message.contains("`fan-control`"),
            "{f:?}"
        );
        let f = catalog_review(&FAN.replace("type = \"fan\"", "type = \"refrigerator\""));
        assert_any(&f, |f| {
            f.key == "components.0.fan-control" && f.line == Some(16)
        });
    }

    /// A misspelt capability: at its line, with the name meant; and the mandatory one it
    /// was meant to be is missing.
    #[test]
    fn a_misspelt_capability() {
        let f = catalog_review(&FAN.replace("fan-control = []", "fan-contrl = []"));
        let typo = f
            .iter()
            .find(|f| f.key == "components.0.fan-contrl")
            .unwrap_or_else(|| panic!("{f:?}"));
        assert_eq!(typo.line, Some(16));
        assert!(
            typo.message.contains("did you mean `fan-control`?"),
            "{typo:?}"
        );
        assert_any(&f, |f| {
            f.key == "components.0" && f.message.contains("lists no `fan-control`")
        });
    }

    #[test]
    fn members_and_flags() {
        let f = catalog_review(&FAN.replace("\"horizontal-swing\"", "\"horizontal-swng\""));
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("did you mean `horizontal-swing`?"),
            "{f:?}"
        );
        assert_eq!(f[0].line, Some(17));
        let f = catalog_review(&FAN.replace("fan-control = []", "fan-control = [\"level\"]"));
        assert!(f[0].message.contains("mandatory member"), "{f:?}");
        let f =
            catalog_review(&FAN.replace("settings = true", "settings = true\nstart_cycle = true"));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].severity, f[0].key.as_str(), f[0].line),
            (Severity::Warning, "actuation.start_cycle", Some(21))
        );
        let f = catalog_review(&FAN.replace(
            "[components.0]",
            "[components.3]\ndoor = []\n\n[components.0]",
        ));
        assert_any(&f, |f| f.key == "components.3" && f.line == Some(12));
    }

    #[test]
    fn lines_of_keys() {
        let text = "a = 1\n\n[t]\nx = 1\n\"y\" = 2\n\n[[c]]\nk = 1\n\n[[c]]\nk = 2\n";
        assert_eq!(line_of(text, "a"), Some(1));
        assert_eq!(line_of(text, "t.y"), Some(5));
        assert_eq!(line_of(text, "t.z"), Some(3));
        assert_eq!(line_of(text, "c[1].k"), Some(11));
        assert_eq!(line_of(text, "c[1]"), Some(10));
        assert_eq!(line_of(text, "c"), Some(7));
        assert_eq!(line_of(text, "nowhere.x"), None);
    }

    #[test]
    fn suggestions() {
        let names = ["fan-control", "airflow", "refrigerator", "door"];
        assert_eq!(did_you_mean("fan-contrl", names), Some("fan-control"));
        assert_eq!(did_you_mean("frige", names), Some("refrigerator"));
        assert_eq!(did_you_mean("dor", names), Some("door"));
        assert_eq!(did_you_mean("washing", names), None);
    }

    #[test]
    fn a_parse_error_is_at_its_line() {
        let f = review(
            &FAN.replace("[actuation]", "[actuaton]"),
            &ReviewContext {
                base: Path::new("."),
                default_root: None,
                now: 0,
            },
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].line, Some(19), "{f:?}");
        assert!(f[0].message.contains("actuaton"), "{f:?}");
    }
}
