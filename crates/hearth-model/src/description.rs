//! The device description: what a device declares about itself.
//!
//! A description is a device's on-wire conformance statement: its identity, its components,
//! the capability instances on each, the optional members it implements and the actual
//! constraints it honours (setpoint range and step, supported modes, …). Controllers rely on
//! it to know what they may write; the conformance suite checks the device keeps to it.
//! The field names here are the JSON form used by tools and the model chapter; the compact
//! CBOR encoding with integer keys belongs to the message layer.

use serde::{Deserialize, Serialize};

use crate::catalog::{Action, Capability, Catalog, Event, Property};
use crate::path::Path;

/// The major version of the Hearth specification this crate implements.
pub const SPEC_VERSION: u16 = 1;

/// A device's self-description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// Major version of the specification the device implements.
    pub spec_version: u16,
    /// Vendor id (0x0001–0xFFFE).
    pub vendor_id: u16,
    /// Device id, unique within the vendor; usable as an MQTT topic level.
    pub device_id: String,
    /// Device type id from the catalog.
    pub device_type: u16,
    /// Components, component 0 (the device itself) first by convention.
    pub components: Vec<ComponentDescription>,
}

/// One component of a device and the capability instances it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDescription {
    /// Component id as defined by the device type.
    pub id: u16,
    /// Optional human-readable label, e.g. "Lower drawer".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Capability instances.
    pub capabilities: Vec<CapabilityInstance>,
}

/// A capability on a component, with the optional parts implemented and actual constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityInstance {
    /// Capability id.
    pub capability: u16,
    /// Optional properties implemented (mandatory ones are implied).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<u16>,
    /// Optional actions implemented.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<u16>,
    /// Optional events implemented.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<u16>,
    /// Declared constraints, at most one per property.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
}

/// The actual constraints a device honours for one property.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    /// Property id.
    pub property: u16,
    /// Smallest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest accepted value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Grid spacing from `min`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// Longest accepted string or byte string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<u32>,
    /// Most list items accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    /// Supported enum codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<EnumEntry>>,
}

/// One supported enum code; vendor codes carry a label, modes may carry tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumEntry {
    /// The code.
    pub code: u16,
    /// Human-readable label (required for vendor codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Mode tag codes, for modes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<u16>,
}

impl EnumEntry {
    /// A standard code with no label.
    pub fn standard(code: u16) -> Self {
        Self {
            code,
            label: None,
            tags: Vec::new(),
        }
    }
}

/// One member a description implements (see [`Description::implemented`]): where it is,
/// the capability instance that declares it, and its catalog definition — `None` for a
/// vendor member (or any member of a capability the catalog does not define). `'d` is the
/// description's lifetime, `'c` the catalog's (often `'static`).
#[derive(Debug, Clone, Copy)]
pub struct Implemented<'d, 'c, D> {
    /// Component, capability and member id.
    pub path: Path,
    /// The capability instance that carries it.
    pub instance: &'d CapabilityInstance,
    /// The catalog definition of a standard member.
    pub def: Option<&'c D>,
}

/// What the implemented-member walk needs of a kind of member.
trait MemberDef {
    fn id(&self) -> u16;
    fn optional(&self) -> bool;
}

macro_rules! member_def {
    ($($ty:ty),*) => {$(
        impl MemberDef for $ty {
            fn id(&self) -> u16 {
                self.id
            }
            fn optional(&self) -> bool {
                self.optional
            }
        }
    )*};
}
member_def!(Property, Action, Event);

/// Per capability instance: the catalog's mandatory members and the optional ones the
/// instance lists, in catalog order, then the listed ids the catalog does not define, in
/// listed order.
fn implemented_members<'d, 'c: 'd, D: MemberDef + 'c>(
    desc: &'d Description,
    catalog: &'c Catalog,
    defs: fn(&'c Capability) -> &'c [D],
    listed: fn(&'d CapabilityInstance) -> &'d [u16],
) -> impl Iterator<Item = Implemented<'d, 'c, D>> + 'd {
    desc.components.iter().flat_map(move |comp| {
        comp.capabilities.iter().flat_map(move |instance| {
            let cap = catalog.capability(instance.capability);
            let defs = cap.map_or(&[][..], defs);
            let at = move |member| Path::new(comp.id, instance.capability, member);
            let standard = defs
                .iter()
                .filter(move |d| instance.implements(*d, listed(instance)))
                .map(move |d| Implemented {
                    path: at(d.id()),
                    instance,
                    def: Some(d),
                });
            let vendor = listed(instance)
                .iter()
                .filter(move |id| !defs.iter().any(|d| d.id() == **id))
                .map(move |id| Implemented {
                    path: at(*id),
                    instance,
                    def: None,
                });
            standard.chain(vendor)
        })
    })
}

impl Description {
    /// Every property this description implements, component by component and capability
    /// instance by instance: the catalog's mandatory properties and the optional ones the
    /// instance lists (in catalog order, with their definitions), then the listed properties
    /// the catalog does not define (vendor properties, in listed order, `def` `None`).
    pub fn implemented<'d, 'c: 'd>(
        &'d self,
        catalog: &'c Catalog,
    ) -> impl Iterator<Item = Implemented<'d, 'c, Property>> + 'd {
        implemented_members(self, catalog, |c| &c.properties, |i| &i.properties)
    }

    /// A starting value for every standard property this description implements: null
    /// where the catalog allows it, else [`TypeSpec::initial`](crate::catalog::TypeSpec::initial)
    /// under the declared constraint. What an appliance that knows nothing better holds.
    pub fn initial_values(
        &self,
        catalog: &Catalog,
    ) -> std::collections::BTreeMap<Path, crate::Value> {
        self.implemented(catalog)
            .filter_map(|m| {
                let def = m.def?;
                let value = if def.nullable {
                    crate::Value::Null
                } else {
                    def.ty.initial(m.instance.constraint(def.id))
                };
                Some((m.path, value))
            })
            .collect()
    }

    /// Every action this description implements, in the order of [`Self::implemented`].
    pub fn implemented_actions<'d, 'c: 'd>(
        &'d self,
        catalog: &'c Catalog,
    ) -> impl Iterator<Item = Implemented<'d, 'c, Action>> + 'd {
        implemented_members(self, catalog, |c| &c.actions, |i| &i.actions)
    }

    /// Every event this description implements, in the order of [`Self::implemented`].
    pub fn implemented_events<'d, 'c: 'd>(
        &'d self,
        catalog: &'c Catalog,
    ) -> impl Iterator<Item = Implemented<'d, 'c, Event>> + 'd {
        implemented_members(self, catalog, |c| &c.events, |i| &i.events)
    }

    /// The component with this id.
    pub fn component(&self, id: u16) -> Option<&ComponentDescription> {
        self.components.iter().find(|c| c.id == id)
    }

    /// The capability instance on this component.
    pub fn instance(&self, component: u16, capability: u16) -> Option<&CapabilityInstance> {
        self.component(component)
            .and_then(|c| c.instance(capability))
    }
}

impl ComponentDescription {
    /// The capability instance with this capability id.
    pub fn instance(&self, capability: u16) -> Option<&CapabilityInstance> {
        self.capabilities
            .iter()
            .find(|i| i.capability == capability)
    }
}

impl CapabilityInstance {
    /// Whether a member with this definition is implemented: it is mandatory, or optional
    /// and listed.
    fn implements<D: MemberDef>(&self, def: &D, listed: &[u16]) -> bool {
        !def.optional() || listed.contains(&def.id())
    }

    /// Whether this instance implements the catalog property `p` (mandatory, or listed).
    pub fn implements_property(&self, p: &Property) -> bool {
        self.implements(p, &self.properties)
    }

    /// Whether this instance implements the catalog action `a` (mandatory, or listed).
    pub fn implements_action(&self, a: &Action) -> bool {
        self.implements(a, &self.actions)
    }

    /// Whether this instance implements the catalog event `e` (mandatory, or listed).
    pub fn implements_event(&self, e: &Event) -> bool {
        self.implements(e, &self.events)
    }

    /// The declared constraint for this property.
    pub fn constraint(&self, property: u16) -> Option<&Constraint> {
        self.constraints.iter().find(|c| c.property == property)
    }
}
