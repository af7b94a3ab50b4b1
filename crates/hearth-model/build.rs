//! Embeds the catalog in `spec/catalog/` and generates the status-code type and the id
//! constants from it.
//!
//! The catalog is the single source of truth: this script lists every TOML file under it so
//! that the library can `include_str!` them (the binary needs no files at run time), turns
//! `enums/status-code.toml` into the `StatusCode` enum, and the capability and device-type
//! files into the constants of `hearth_model::ids`, so that no code table or id is copied by
//! hand.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let catalog = manifest.join("../../spec/catalog");
    let catalog = catalog.canonicalize().unwrap_or(catalog);
    println!("cargo:rerun-if-changed={}", catalog.display());

    let mut files = Vec::new();
    collect(&catalog, &catalog, &mut files);
    files.sort();

    let mut out = String::from("/// Every catalog file, as (path relative to `spec/catalog/`, contents).\npub(crate) static FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("catalog_files.rs"), out).expect("write catalog_files.rs");

    let status = std::fs::read_to_string(catalog.join("enums/status-code.toml"))
        .expect("spec/catalog/enums/status-code.toml exists");
    std::fs::write(out_dir.join("status_code.rs"), status_code_enum(&status))
        .expect("write status_code.rs");

    let read_all = |dir: &str| -> Vec<String> {
        files
            .iter()
            .filter(|(rel, _)| rel.starts_with(dir))
            .map(|(rel, abs)| {
                std::fs::read_to_string(abs).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
            })
            .collect()
    };
    let ids = ids_module(
        &read_all("capabilities/"),
        &read_all("device-types/"),
        &read_all("enums/"),
    );
    std::fs::write(out_dir.join("ids.rs"), ids).expect("write ids.rs");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "toml") {
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.push((rel, path));
        }
    }
}

#[derive(serde::Deserialize)]
struct EnumFile {
    values: Vec<EnumValue>,
}

#[derive(serde::Deserialize)]
struct EnumValue {
    code: u16,
    name: String,
    summary: String,
}

fn status_code_enum(text: &str) -> String {
    let file: EnumFile = toml::from_str(text).expect("status-code.toml parses");
    let mut variants = String::new();
    let mut all = String::new();
    let mut names = String::new();
    let mut from = String::new();
    for v in &file.values {
        let ident: String = v
            .name
            .split('-')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        writeln!(variants, "    /// {}\n    {ident} = {},", v.summary, v.code).expect("write");
        writeln!(all, "        Self::{ident},").expect("write");
        writeln!(names, "            Self::{ident} => {:?},", v.name).expect("write");
        writeln!(from, "            {} => Some(Self::{ident}),", v.code).expect("write");
    }
    format!(
        "/// The outcome of a request for one path, as defined by the catalog's `status-code` table.\n\
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]\n\
#[serde(into = \"u16\", try_from = \"u16\")]\n\
#[repr(u16)]\n\
pub enum StatusCode {{\n{variants}}}\n\n\
impl StatusCode {{\n\
    /// Every status code, in code order.\n\
    pub const ALL: &'static [Self] = &[\n{all}    ];\n\n\
    /// The catalog name of this code, e.g. `constraint-error`.\n\
    pub fn name(self) -> &'static str {{\n        match self {{\n{names}        }}\n    }}\n\n\
    /// The numeric code carried on the wire.\n\
    pub fn code(self) -> u16 {{\n        self as u16\n    }}\n\n\
    /// The status code with this numeric value, if the catalog defines one.\n\
    pub fn from_code(code: u16) -> Option<Self> {{\n        match code {{\n{from}            _ => None,\n        }}\n    }}\n\n\
    /// The status code with this catalog name, if any.\n\
    pub fn from_name(name: &str) -> Option<Self> {{\n        Self::ALL.iter().copied().find(|s| s.name() == name)\n    }}\n\
}}\n"
    )
}

#[derive(serde::Deserialize)]
struct Named {
    id: u16,
    name: String,
    #[serde(default)]
    summary: String,
}

#[derive(serde::Deserialize)]
struct Coded {
    code: u16,
    name: String,
    #[serde(default)]
    summary: String,
}

#[derive(serde::Deserialize)]
struct DeviceTypeFile {
    id: u16,
    name: String,
    title: String,
    #[serde(default)]
    modes: Vec<Coded>,
    #[serde(default)]
    phases: Vec<Coded>,
    #[serde(default)]
    faults: Vec<Coded>,
}

#[derive(serde::Deserialize)]
struct EnumDefFile {
    name: String,
    title: String,
    #[serde(default)]
    values: Vec<Coded>,
}

#[derive(serde::Deserialize)]
struct CapabilityFile {
    id: u16,
    name: String,
    title: String,
    #[serde(default)]
    properties: Vec<Named>,
    #[serde(default)]
    actions: Vec<Named>,
    #[serde(default)]
    events: Vec<Named>,
}

/// `operational-state` → `OPERATIONAL_STATE`.
fn constant(name: &str) -> String {
    name.replace('-', "_").to_ascii_uppercase()
}

/// The first sentence of a summary, on one line, for a doc comment.
fn sentence(summary: &str) -> String {
    let flat = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(end) => flat[..=end].to_owned(),
        None => flat,
    }
}

/// `pub mod {module} { /// doc\n pub const NAME: u16 = 0x….; … }` for enumeration codes.
fn code_module(out: &mut String, indent: &str, module: &str, doc: &str, codes: &[Coded]) {
    writeln!(out, "{indent}/// {doc}\n{indent}pub mod {module} {{").expect("write");
    for c in codes {
        writeln!(
            out,
            "{indent}    /// `{}` ({:#06x}): {}\n{indent}    pub const {}: u16 = {:#06x};",
            c.name,
            c.code,
            sentence(&c.summary),
            constant(&c.name),
            c.code
        )
        .expect("write");
    }
    writeln!(out, "{indent}}}").expect("write");
}

/// The `ids` module: `cap` and `device_type` constants, one module of member constants per
/// capability, the codes each device type adds (modes, phases, faults) and the codes of the
/// global enumerations.
fn ids_module(capabilities: &[String], device_types: &[String], enums: &[String]) -> String {
    let mut caps: Vec<CapabilityFile> = capabilities
        .iter()
        .map(|t| toml::from_str(t).expect("capability file parses"))
        .collect();
    caps.sort_by_key(|c| c.id);
    let mut types: Vec<DeviceTypeFile> = device_types
        .iter()
        .map(|t| toml::from_str(t).expect("device-type file parses"))
        .collect();
    types.sort_by_key(|d| d.id);
    let mut enums: Vec<EnumDefFile> = enums
        .iter()
        .map(|t| toml::from_str(t).expect("enumeration file parses"))
        .collect();
    enums.sort_by(|a, b| a.name.cmp(&b.name));

    let mut out = String::from("/// Capability ids, by catalog name.\npub mod cap {\n");
    for c in &caps {
        writeln!(
            out,
            "    /// `{}` ({}): {}\n    pub const {}: u16 = {};",
            c.name,
            c.id,
            c.title,
            constant(&c.name),
            c.id
        )
        .expect("write");
    }
    out.push_str("}\n\n/// Device type ids, by catalog name.\npub mod device_type {\n");
    for d in &types {
        writeln!(
            out,
            "    /// `{}` ({}): {}\n    pub const {}: u16 = {};",
            d.name,
            d.id,
            d.title,
            constant(&d.name),
            d.id
        )
        .expect("write");
    }
    for d in &types {
        writeln!(
            out,
            "\n    /// The codes `{}` adds to the device-type enumerations.\n    pub mod {} {{",
            d.name,
            d.name.replace('-', "_")
        )
        .expect("write");
        code_module(
            &mut out,
            "        ",
            "mode",
            "Standard modes (`mode`).",
            &d.modes,
        );
        code_module(
            &mut out,
            "        ",
            "phase",
            "Cycle phases (`cycle-phase`).",
            &d.phases,
        );
        code_module(
            &mut out,
            "        ",
            "fault",
            "Fault codes (`fault-code`).",
            &d.faults,
        );
        out.push_str("    }\n");
    }
    out.push_str("}\n\n/// The codes of the catalog's enumerations, by name: for `mode`, `cycle-phase` and `fault-code` the codes common to every device type ([`crate::StatusCode`] is the status-code table).\npub mod enums {\n");
    for e in enums.iter().filter(|e| e.name != "status-code") {
        code_module(
            &mut out,
            "    ",
            &e.name.replace('-', "_"),
            &format!("`{}`: {}.", e.name, e.title),
            &e.values,
        );
    }
    out.push_str("}\n");
    for c in &caps {
        assert!(
            !matches!(c.name.as_str(), "cap" | "device-type"),
            "capability {} would shadow ids::{}",
            c.name,
            c.name.replace('-', "_")
        );
        writeln!(
            out,
            "\n/// Members of `{}` (capability {}): properties, actions and events by name.\npub mod {} {{",
            c.name,
            c.id,
            c.name.replace('-', "_")
        )
        .expect("write");
        let mut seen = std::collections::BTreeSet::new();
        for (kind, members) in [
            ("Property", &c.properties),
            ("Action", &c.actions),
            ("Event", &c.events),
        ] {
            for m in members {
                let name = constant(&m.name);
                assert!(
                    seen.insert(name.clone()),
                    "capability {}: two members are named {} (ids::{} needs one name per member)",
                    c.name,
                    m.name,
                    c.name.replace('-', "_")
                );
                writeln!(
                    out,
                    "    /// {kind} `{}` ({}): {}\n    pub const {name}: u16 = {};",
                    m.name,
                    m.id,
                    sentence(&m.summary),
                    m.id
                )
                .expect("write");
            }
        }
        out.push_str("}\n");
    }
    out
}
