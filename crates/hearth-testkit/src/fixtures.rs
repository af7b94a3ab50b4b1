//! Sample descriptions: the realistic description of every device type kept in
//! `crates/hearth-model/tests/descriptions/`, the fan most runtime tests use, the properties a
//! description implements, and a valid starting value for each.
//!
//! Not a generator of arbitrary descriptions (that is [`crate::arb`]). The files are read
//! when asked for, so a test names the file that is missing or does not parse.

use std::path::PathBuf;

use hearth_model::catalog::{Property, TypeSpec};
use hearth_model::{
    CapabilityInstance, Catalog, ComponentDescription, Constraint, Description, Path, Value,
};
use hearth_security::pki::TEST_VENDOR_ID;

/// The folder holding one `<device-type>.json` description per device type.
pub fn descriptions_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../hearth-model/tests/descriptions"
    ))
}

/// The sample description of the device type `name` (e.g. `"air-conditioner"`), as written.
pub fn description(name: &str) -> Description {
    let path = descriptions_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("sample description {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every sample description with the name of its file, sorted by name.
pub fn descriptions() -> Vec<(String, Description)> {
    let dir = descriptions_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("sample descriptions {}: {e}", dir.display()));
    let mut names: Vec<String> = entries
        .map(|e| e.expect("readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let desc = description(&name);
            (name, desc)
        })
        .collect()
}

/// The sample fan under the test PKI's vendor and the device id `id`, so tests that share a
/// broker do not collide.
pub fn fan(id: &str) -> Description {
    let mut desc = description("fan");
    desc.vendor_id = TEST_VENDOR_ID;
    desc.device_id = id.into();
    desc
}

/// The fields of a `fault-raised` event (0/2/1) of the sample fan: general failure with
/// `vendor_code` (a test numbers its events by it), severity warning, no user action, time
/// unknown.
pub fn fault_fields(vendor_code: i64) -> Value {
    Value::structure(fault(vendor_code))
}

/// The fields of a `fault-cleared` event (0/2/2) of the sample fan: those of
/// [`fault_fields`] and the fault's duration in seconds.
pub fn fault_cleared_fields(vendor_code: i64, duration: i64) -> Value {
    Value::structure(
        fault(vendor_code)
            .into_iter()
            .chain([(6, Value::Int(duration))]),
    )
}

fn fault(vendor_code: i64) -> [(u16, Value); 5] {
    [
        (1, Value::Int(1)),
        (2, Value::Int(vendor_code)),
        (3, Value::Int(1)),
        (4, Value::Int(0)),
        (5, Value::Null),
    ]
}

/// The path of `member` of the catalog capability named `capability` on `component`.
pub fn path(component: u16, capability: &str, member: u16) -> Path {
    let cap = Catalog::standard()
        .capability_named(capability)
        .unwrap_or_else(|| panic!("{capability} is a capability of the catalog"));
    Path::new(component, cap.id, member)
}

/// One property a description implements: where it is, the catalog's definition and the
/// instance that declares it (with its constraints).
#[derive(Debug, Clone, Copy)]
pub struct Implemented<'a> {
    /// Its path.
    pub path: Path,
    /// The component it is on.
    pub component: &'a ComponentDescription,
    /// The capability instance that declares it.
    pub instance: &'a CapabilityInstance,
    /// The catalog's definition.
    pub property: &'static Property,
}

impl Implemented<'_> {
    /// The constraint the description declares for it, if any.
    pub fn constraint(&self) -> Option<&Constraint> {
        self.instance.constraint(self.property.id)
    }
}

/// Every standard property `desc` implements ([`Description::implemented`] without vendor
/// members), with the component that carries it.
pub fn implemented(desc: &Description) -> Vec<Implemented<'_>> {
    let catalog: &'static Catalog = Catalog::standard();
    desc.implemented(catalog)
        .filter_map(|m| {
            Some(Implemented {
                path: m.path,
                component: desc.component(m.path.component)?,
                instance: m.instance,
                property: m.def?,
            })
        })
        .collect()
}

/// A value of type `ty` that satisfies `constraint` ([`TypeSpec::initial`]).
pub fn initial(ty: &TypeSpec, constraint: Option<&Constraint>) -> Value {
    ty.initial(constraint)
}

/// The starting value of an implemented property: null where it is nullable, else
/// [`initial`] under its declared constraint.
pub fn initial_value(p: &Implemented<'_>) -> Value {
    if p.property.nullable {
        Value::Null
    } else {
        initial(&p.property.ty, p.constraint())
    }
}
