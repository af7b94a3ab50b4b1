//! The definitions the catalog files hold, as they deserialize from TOML.
//!
//! These types mirror `spec/catalog/README.md` one to one. They carry no behaviour beyond
//! small accessors; resolution and consistency checks live in `load`, lookups in
//! [`Catalog`](super::Catalog).

use serde::{Deserialize, Serialize};

pub use crate::privilege::Privilege;

/// A unit a numeric value may carry (`units.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    /// Catalog name, e.g. `centi-celsius`.
    pub name: String,
    /// Symbol of the human-readable quantity, e.g. `°C`.
    pub symbol: String,
    /// Wire integer × scale = quantity in `symbol`.
    pub scale: f64,
    /// The physical quantity, e.g. `temperature`.
    pub quantity: String,
    /// What the unit is for.
    #[serde(default)]
    pub summary: String,
    /// Where the choice comes from.
    #[serde(default)]
    pub source: String,
}

/// The data type of a property, field, argument or result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TypeSpec {
    /// true or false.
    Bool,
    /// A signed integer within `min..=max` on the grid `min + k·step`.
    Int(IntSpec),
    /// An unsigned integer within `min..=max` on the grid `min + k·step`.
    Uint(IntSpec),
    /// A code of the named enumeration.
    Enum {
        /// Name of the enumeration (a file in `enums/`).
        #[serde(rename = "enum")]
        enumeration: String,
    },
    /// UTF-8 text of at most `max_len` bytes.
    String {
        /// Maximum length in UTF-8 bytes.
        max_len: u32,
    },
    /// Opaque bytes, at most `max_len` of them.
    Bytes {
        /// Maximum length in bytes.
        max_len: u32,
    },
    /// A list of at most `max_count` items of one type.
    List {
        /// The item type.
        items: Box<Self>,
        /// Maximum number of items.
        max_count: u32,
    },
    /// A map of fields keyed by field id.
    Struct {
        /// The fields, each with its own id.
        fields: Vec<Field>,
    },
}

impl TypeSpec {
    /// A value of this type that satisfies `constraint`: false, the minimum, the first
    /// supported code, empty text, bytes and lists, a struct of its mandatory fields. What an
    /// appliance that knows nothing better starts with.
    pub fn initial(&self, constraint: Option<&crate::Constraint>) -> crate::Value {
        use crate::Value;
        match self {
            Self::Bool => Value::Bool(false),
            Self::Int(s) | Self::Uint(s) => {
                Value::Int(constraint.and_then(|c| c.min).unwrap_or(s.min))
            }
            Self::Enum { .. } => Value::Int(
                constraint
                    .and_then(|c| c.values.as_ref())
                    .and_then(|v| v.first())
                    .map_or(0, |e| i64::from(e.code)),
            ),
            Self::String { .. } => Value::Text(String::new()),
            Self::Bytes { .. } => Value::Bytes(Vec::new()),
            Self::List { .. } => Value::List(Vec::new()),
            Self::Struct { fields } => Value::Struct(
                fields
                    .iter()
                    .filter(|f| !f.optional)
                    .map(|f| (f.id, f.ty.initial(None)))
                    .collect(),
            ),
        }
    }
}

/// Bounds, step and unit of an integer type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntSpec {
    /// Smallest value (default 0, which suits unsigned types).
    #[serde(default)]
    pub min: i64,
    /// Largest value.
    pub max: i64,
    /// Grid spacing from `min` (default 1).
    #[serde(default = "one")]
    pub step: u64,
    /// Unit name from `units.toml`, if the value has a physical unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

fn one() -> u64 {
    1
}

fn yes() -> bool {
    true
}

impl TypeSpec {
    /// The short type name used in tables (`int`, `list<struct>`, …).
    pub fn type_name(&self) -> String {
        match self {
            Self::Bool => "bool".into(),
            Self::Int(_) => "int".into(),
            Self::Uint(_) => "uint".into(),
            Self::Enum { enumeration } => format!("enum {enumeration}"),
            Self::String { .. } => "string".into(),
            Self::Bytes { .. } => "bytes".into(),
            Self::List { items, .. } => format!("list<{}>", items.type_name()),
            Self::Struct { .. } => "struct".into(),
        }
    }

    /// The integer bounds, for `int` and `uint`.
    pub fn int_spec(&self) -> Option<&IntSpec> {
        match self {
            Self::Int(s) | Self::Uint(s) => Some(s),
            _ => None,
        }
    }
}

/// A struct field, action argument or result, or event field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// Field id, unique within its struct, argument list, result list or event.
    pub id: u16,
    /// Catalog name.
    pub name: String,
    /// What the field means.
    #[serde(default)]
    pub summary: String,
    /// Whether the field may be absent.
    #[serde(default)]
    pub optional: bool,
    /// Whether the field may be null (unknown).
    #[serde(default)]
    pub nullable: bool,
    /// The field's data type.
    #[serde(flatten)]
    pub ty: TypeSpec,
}

/// Whether a property can be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Read only.
    #[default]
    Read,
    /// Readable and writable.
    ReadWrite,
}

/// What a description may narrow for a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// Declared minimum (numeric types).
    Min,
    /// Declared maximum (numeric types).
    Max,
    /// Declared step (numeric types).
    Step,
    /// Declared maximum length (string, bytes).
    MaxLen,
    /// Declared maximum count (list).
    MaxCount,
    /// Declared supported codes (enum).
    Values,
}

impl ConstraintKind {
    /// The key used in catalog files and descriptions.
    pub fn key(self) -> &'static str {
        match self {
            Self::Min => "min",
            Self::Max => "max",
            Self::Step => "step",
            Self::MaxLen => "max_len",
            Self::MaxCount => "max_count",
            Self::Values => "values",
        }
    }
}

/// A property of a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    /// Id, unique among the capability's properties.
    pub id: u16,
    /// Catalog name.
    pub name: String,
    /// What the property means.
    #[serde(default)]
    pub summary: String,
    /// The property's data type.
    #[serde(flatten)]
    pub ty: TypeSpec,
    /// Read only or read-write.
    #[serde(default)]
    pub access: Access,
    /// Whether changes are reported.
    #[serde(default = "yes")]
    pub observable: bool,
    /// Whether null (unknown) is a valid value.
    #[serde(default)]
    pub nullable: bool,
    /// Whether an instance may leave the property out.
    #[serde(default)]
    pub optional: bool,
    /// What a description may narrow.
    #[serde(default)]
    pub constrain: Vec<ConstraintKind>,
    /// Whether a description must declare the `constrain` kinds.
    #[serde(default)]
    pub constrain_required: bool,
}

impl Property {
    /// Whether the property can be written.
    pub fn writable(&self) -> bool {
        self.access == Access::ReadWrite
    }
}

/// An action of a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Id, unique among the capability's actions.
    pub id: u16,
    /// Catalog name.
    pub name: String,
    /// What the action does.
    #[serde(default)]
    pub summary: String,
    /// Whether an instance may leave the action out.
    #[serde(default)]
    pub optional: bool,
    /// The privilege a controller needs to invoke it.
    #[serde(default)]
    pub privilege: Privilege,
    /// Arguments.
    #[serde(default)]
    pub args: Vec<Field>,
    /// Results.
    #[serde(default)]
    pub results: Vec<Field>,
    /// Status codes (by name) the action may return beyond the generic ones.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// Delivery priority of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Priority {
    /// Diagnostic; may be dropped under load.
    Debug,
    /// Ordinary user-visible occurrence.
    Info,
    /// Safety- or damage-relevant; never dropped.
    Critical,
}

impl Priority {
    /// The catalog name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Critical => "critical",
        }
    }
}

/// An event of a capability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Id, unique among the capability's events.
    pub id: u16,
    /// Catalog name.
    pub name: String,
    /// What the event signals.
    #[serde(default)]
    pub summary: String,
    /// Delivery priority.
    pub priority: Priority,
    /// Whether an instance may leave the event out.
    #[serde(default)]
    pub optional: bool,
    /// The event's fields.
    #[serde(default)]
    pub fields: Vec<Field>,
}

/// A capability: a coherent set of properties, actions and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capability {
    /// Catalog name, e.g. `temperature-control`.
    pub name: String,
    /// Numeric id carried on the wire.
    pub id: u16,
    /// Human-readable title.
    pub title: String,
    /// What the capability is for.
    pub summary: String,
    /// Where the design comes from.
    pub source: String,
    /// Properties.
    #[serde(default)]
    pub properties: Vec<Property>,
    /// Actions.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Events.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The state machine of one of its properties, where it has one (`operational-state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_machine: Option<StateMachineDef>,
}

/// A capability's state machine as the catalog file writes it (`[state_machine]`), by name;
/// [`StateMachine`](super::StateMachine) is the same resolved to ids and codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateMachineDef {
    /// The enum property that holds the state.
    pub property: String,
    /// Where the choices come from.
    #[serde(default)]
    pub source: String,
    /// Every transition: by an action, or the device's own.
    #[serde(default)]
    pub transitions: Vec<TransitionDef>,
    /// What actions need besides their state.
    #[serde(default)]
    pub preconditions: Vec<PreconditionDef>,
    /// Writes of other capabilities that act on the state.
    #[serde(default)]
    pub effects: Vec<EffectDef>,
    /// Which states let a controller write which capabilities' properties.
    #[serde(default)]
    pub settings: Vec<SettingsDef>,
    /// Which properties read null in which states.
    #[serde(default)]
    pub null_in: Vec<NullDef>,
    /// The requirements that give the tables their force.
    #[serde(default)]
    pub requirements: Vec<RequirementDef>,
}

/// One transition: from any of `from` to `to`, by `action` or, without one, by the device
/// itself when `when` happens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionDef {
    /// The action of the capability; `None` for one of the device's own transitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The states it starts from.
    pub from: Vec<String>,
    /// The state it leads to.
    pub to: String,
    /// When it is taken (required for the device's own transitions).
    #[serde(default)]
    pub when: String,
}

/// A condition an action needs besides its state: a boolean property of the component that
/// holds the state machine, where that component implements it, must read `value`;
/// otherwise the action answers `invalid-in-state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreconditionDef {
    /// The requirement (`HRT-CAT-NNN`) the generated chapter states for it.
    pub id: String,
    /// The actions it applies to.
    pub actions: Vec<String>,
    /// The capability of the property.
    pub capability: String,
    /// The boolean property.
    pub property: String,
    /// The value it must read.
    pub value: bool,
    /// Why.
    #[serde(default)]
    pub summary: String,
}

/// A write that acts on the state: writing `value` to a boolean property of the same
/// component, in a state from which `action` has a transition, also carries out `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectDef {
    /// The requirement (`HRT-CAT-NNN`) the generated chapter states for it.
    pub id: String,
    /// The capability of the property.
    pub capability: String,
    /// The boolean, writable property.
    pub property: String,
    /// The value written.
    pub value: bool,
    /// The action of the state machine's capability it acts as.
    pub action: String,
    /// Why.
    #[serde(default)]
    pub summary: String,
}

/// The states in which the writable properties of some capabilities, on the component that
/// holds the state machine, may be written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDef {
    /// The capabilities.
    pub capabilities: Vec<String>,
    /// The states that allow a write; the others answer `invalid-in-state`.
    pub writable_in: Vec<String>,
    /// Why.
    #[serde(default)]
    pub summary: String,
}

/// A nullable property of the capability that reads null in the listed states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NullDef {
    /// The property.
    pub property: String,
    /// The states in which it reads null.
    pub states: Vec<String>,
}

/// A requirement the generated chapter states with the tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequirementDef {
    /// `HRT-CAT-NNN`.
    pub id: String,
    /// The statement, with exactly one key word.
    pub statement: String,
}

impl Capability {
    /// The property with this id.
    pub fn property(&self, id: u16) -> Option<&Property> {
        self.properties.iter().find(|p| p.id == id)
    }
    /// The property with this name.
    pub fn property_named(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }
    /// The action with this id.
    pub fn action(&self, id: u16) -> Option<&Action> {
        self.actions.iter().find(|a| a.id == id)
    }
    /// The action with this name.
    pub fn action_named(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }
    /// The event with this id.
    pub fn event(&self, id: u16) -> Option<&Event> {
        self.events.iter().find(|e| e.id == id)
    }
    /// The event with this name.
    pub fn event_named(&self, name: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.name == name)
    }
}

/// Whether an enumeration's values are the same everywhere or extended per device type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnumScope {
    /// One list of codes for every device.
    #[default]
    Global,
    /// Common codes here, further codes added by each device type.
    DeviceType,
}

/// One code of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    /// The code carried on the wire.
    pub code: u16,
    /// Catalog name.
    pub name: String,
    /// What the code means.
    #[serde(default)]
    pub summary: String,
}

/// An enumeration (`enums/<name>.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    /// Catalog name.
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// What the enumeration is for.
    pub summary: String,
    /// Where the design comes from.
    pub source: String,
    /// Global, or extended per device type.
    #[serde(default)]
    pub scope: EnumScope,
    /// The codes every device shares.
    #[serde(default)]
    pub values: Vec<EnumValue>,
}

/// A type-specific rule on a property's declared constraints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Capability name.
    pub capability: String,
    /// Property name.
    pub property: String,
    /// Declared min and max must lie within this interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<[i64; 2]>,
    /// Declared min..max must include this interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<[i64; 2]>,
    /// Declared step must not exceed this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_step: Option<u64>,
}

/// A component slot of a device type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// Component id; 0 is the device itself.
    pub id: u16,
    /// Catalog name, e.g. `freezer-compartment`.
    pub name: String,
    /// What the component is.
    #[serde(default)]
    pub summary: String,
    /// Whether every device of the type has it.
    #[serde(default)]
    pub required: bool,
    /// Capabilities it must carry (names).
    #[serde(default)]
    pub mandatory: Vec<String>,
    /// Capabilities it may carry (names).
    #[serde(default)]
    pub optional: Vec<String>,
    /// Type-specific constraint rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A standard mode a device type adds to the `mode` enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeValue {
    /// The code carried on the wire.
    pub code: u16,
    /// Catalog name.
    pub name: String,
    /// Global mode tags (names from `mode-tag`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Whether every device of the type must support it.
    #[serde(default)]
    pub required: bool,
    /// What the mode does.
    #[serde(default)]
    pub summary: String,
}

/// A standard fault a device type adds to the `fault-code` enumeration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultValue {
    /// The code carried on the wire.
    pub code: u16,
    /// Catalog name.
    pub name: String,
    /// Severity (name from `fault-severity`).
    pub severity: String,
    /// Recommended user action (name from `user-action`).
    pub action: String,
    /// What the fault means.
    #[serde(default)]
    pub summary: String,
    /// Where the fault comes from.
    #[serde(default)]
    pub source: String,
}

/// A device type (`device-types/<name>.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceType {
    /// Catalog name, e.g. `air-conditioner`.
    pub name: String,
    /// Numeric id carried on the wire.
    pub id: u16,
    /// Human-readable title.
    pub title: String,
    /// What the device type covers.
    pub summary: String,
    /// Where the design comes from.
    pub source: String,
    /// Component slots.
    pub components: Vec<ComponentSpec>,
    /// Standard modes.
    #[serde(default)]
    pub modes: Vec<ModeValue>,
    /// Cycle phases.
    #[serde(default)]
    pub phases: Vec<EnumValue>,
    /// Standard faults.
    #[serde(default)]
    pub faults: Vec<FaultValue>,
}

impl DeviceType {
    /// The component slot with this id.
    pub fn component(&self, id: u16) -> Option<&ComponentSpec> {
        self.components.iter().find(|c| c.id == id)
    }
}
