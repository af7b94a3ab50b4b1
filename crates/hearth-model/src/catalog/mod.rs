//! The Hearth catalog: every capability, device type, enumeration and unit of the standard.
//!
//! The data lives in `spec/catalog/` and is embedded at compile time, so a binary needs no
//! files at run time. [`Catalog::standard`] parses and checks it once; [`Catalog::from_files`]
//! does the same for any set of files, which tests use to prove the checks catch mistakes.
//! Lookups go by numeric id (what travels on the wire) or by name (what people type).
//! A capability whose state moves (`operational-state`) also defines its state machine,
//! which loading resolves to ids and codes once ([`Catalog::state_machine`]): firmware and
//! the conformance suite ask that one table what each state allows.

mod check;
mod defs;
pub mod markdown;
mod states;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use check::{CatalogError, CatalogIssue};
pub use defs::{
    Access, Action, Capability, ComponentSpec, ConstraintKind, DeviceType, EffectDef, EnumDef,
    EnumScope, EnumValue, Event, FaultValue, Field, IntSpec, ModeValue, NullDef, PreconditionDef,
    Priority, Privilege, Property, RequirementDef, Rule, SettingsDef, StateMachineDef,
    TransitionDef, TypeSpec, Unit,
};
pub use states::{Effect, Precondition, State, StateMachine, Transition};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/catalog_files.rs"));
}

/// Names of the enumerations device types extend, and the device-type key that extends each.
pub const DEVICE_TYPE_ENUMS: [(&str, &str); 3] = [
    ("mode", "modes"),
    ("cycle-phase", "phases"),
    ("fault-code", "faults"),
];

/// The parsed, cross-checked catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    units: Vec<Unit>,
    enums: BTreeMap<String, EnumDef>,
    capabilities: Vec<Capability>,
    device_types: Vec<DeviceType>,
    state_machines: BTreeMap<u16, StateMachine>,
}

/// One code of an enumeration as seen by a particular device type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code<'a> {
    /// The code carried on the wire.
    pub code: u16,
    /// Catalog name.
    pub name: &'a str,
    /// What the code means.
    pub summary: &'a str,
}

impl Catalog {
    /// The standard catalog embedded in this build.
    ///
    /// # Panics
    /// Only if the embedded catalog is inconsistent, which the crate's tests rule out; it is
    /// build data, never input.
    pub fn standard() -> &'static Self {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| match Self::from_files(embedded::FILES) {
            Ok(catalog) => catalog,
            Err(err) => panic!("the embedded catalog is inconsistent:\n{err}"),
        })
    }

    /// The embedded catalog files, as (path relative to `spec/catalog/`, contents).
    pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
        embedded::FILES
    }

    /// Parse and cross-check a catalog from (relative path, TOML text) pairs laid out as in
    /// `spec/catalog/`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Self, CatalogError> {
        check::load(files)
    }

    /// All units.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// The unit with this name.
    pub fn unit(&self, name: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.name == name)
    }

    /// All enumerations, by name.
    pub fn enums(&self) -> impl Iterator<Item = &EnumDef> {
        self.enums.values()
    }

    /// The enumeration with this name.
    pub fn enumeration(&self, name: &str) -> Option<&EnumDef> {
        self.enums.get(name)
    }

    /// All capabilities, in id order.
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }

    /// The capability with this id.
    pub fn capability(&self, id: u16) -> Option<&Capability> {
        self.capabilities.iter().find(|c| c.id == id)
    }

    /// The capability with this name.
    pub fn capability_named(&self, name: &str) -> Option<&Capability> {
        self.capabilities.iter().find(|c| c.name == name)
    }

    /// The state machine of the capability with this id, resolved to ids and codes, if the
    /// capability defines one (`operational-state`).
    pub fn state_machine(&self, capability: u16) -> Option<&StateMachine> {
        self.state_machines.get(&capability)
    }

    /// All device types, in id order.
    pub fn device_types(&self) -> &[DeviceType] {
        &self.device_types
    }

    /// The device type with this id.
    pub fn device_type(&self, id: u16) -> Option<&DeviceType> {
        self.device_types.iter().find(|d| d.id == id)
    }

    /// The device type with this name.
    pub fn device_type_named(&self, name: &str) -> Option<&DeviceType> {
        self.device_types.iter().find(|d| d.name == name)
    }

    /// The standard codes of an enumeration for a device type: the enumeration's own codes
    /// plus, for device-type enumerations, the ones the device type adds. Sorted by code.
    pub fn codes<'a>(
        &'a self,
        enumeration: &str,
        device_type: Option<&'a DeviceType>,
    ) -> Vec<Code<'a>> {
        let mut out: Vec<Code<'a>> = match self.enums.get(enumeration) {
            Some(def) => def
                .values
                .iter()
                .map(|v| Code {
                    code: v.code,
                    name: &v.name,
                    summary: &v.summary,
                })
                .collect(),
            None => Vec::new(),
        };
        if let Some(dt) = device_type {
            match enumeration {
                "mode" => out.extend(dt.modes.iter().map(|m| Code {
                    code: m.code,
                    name: &m.name,
                    summary: &m.summary,
                })),
                "cycle-phase" => out.extend(dt.phases.iter().map(|p| Code {
                    code: p.code,
                    name: &p.name,
                    summary: &p.summary,
                })),
                "fault-code" => out.extend(dt.faults.iter().map(|f| Code {
                    code: f.code,
                    name: &f.name,
                    summary: &f.summary,
                })),
                _ => {}
            }
        }
        out.sort_by_key(|c| c.code);
        out
    }

    /// The standard code with this value, for a device type.
    pub fn code<'a>(
        &'a self,
        enumeration: &str,
        device_type: Option<&'a DeviceType>,
        code: u16,
    ) -> Option<Code<'a>> {
        self.codes(enumeration, device_type)
            .into_iter()
            .find(|c| c.code == code)
    }

    /// The standard code with this name, for a device type.
    pub fn code_named<'a>(
        &'a self,
        enumeration: &str,
        device_type: Option<&'a DeviceType>,
        name: &str,
    ) -> Option<Code<'a>> {
        self.codes(enumeration, device_type)
            .into_iter()
            .find(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_loads_and_is_consistent() {
        if let Err(err) = Catalog::from_files(Catalog::embedded_files()) {
            panic!("catalog problems:\n{err}");
        }
    }

    #[test]
    fn status_codes_match_the_catalog_table() {
        let catalog = Catalog::standard();
        let table = catalog.codes("status-code", None);
        assert_eq!(table.len(), crate::StatusCode::ALL.len());
        for code in table {
            let status = crate::StatusCode::from_code(code.code).expect("generated from the table");
            assert_eq!(status.name(), code.name);
        }
    }
}
