//! Proptest strategies for the model's values and descriptions, shared by the validation
//! properties of `hearth-model` and the codec properties of `hearth-wire`.
//!
//! Not a source of valid descriptions (most generated ones break several rules, which is the
//! point: the checks must return typed errors and never panic). A test picks how large and
//! how wild the input gets with [`ValueSpace`] and [`DescriptionSpace`].

use std::ops::RangeInclusive;

use hearth_model::{
    CapabilityInstance, ComponentDescription, Constraint, Description, EnumEntry, Value,
};
use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;

/// Which ids capability, member, property, code and tag fields take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// Mostly the small ids the catalog uses (0–23), sometimes any: input that reaches
    /// deep into the checks.
    Catalog,
    /// Any `u16`: input for encoders that must carry every id.
    Any,
}

impl Ids {
    /// The strategy for one id.
    pub fn strategy(self) -> BoxedStrategy<u16> {
        match self {
            Self::Catalog => prop_oneof![0u16..24, any::<u16>()].boxed(),
            Self::Any => any::<u16>().boxed(),
        }
    }
}

/// How large generated values get.
#[derive(Debug, Clone)]
pub struct ValueSpace {
    /// Levels of lists and structs at most.
    pub depth: u32,
    /// About how many nodes a value has at most.
    pub nodes: u32,
    /// Items of a list or fields of a struct at most.
    pub width: usize,
    /// Characters of a text, bytes of a byte string at most.
    pub text: usize,
    /// The ids struct fields take.
    pub field_ids: RangeInclusive<u16>,
}

/// Any value: null, booleans, integers (all of `i64` and the usual range of the catalog's
/// quantities), text, bytes, and lists and structs of those.
pub fn value(space: ValueSpace) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-5000i64..15000).prop_map(Value::Int),
        proptest::string::string_regex(&format!(".{{0,{}}}", space.text))
            .expect("a regular expression")
            .prop_map(Value::Text),
        vec(any::<u8>(), 0..space.text).prop_map(Value::Bytes),
    ];
    let (width, fields) = (space.width, space.field_ids);
    leaf.prop_recursive(space.depth, space.nodes, width as u32, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..width).prop_map(Value::List),
            btree_map(fields.clone(), inner, 0..width).prop_map(Value::Struct),
        ]
    })
}

/// How wild generated descriptions get.
#[derive(Debug, Clone)]
pub struct DescriptionSpace {
    /// Ids of capabilities, members, properties, enum codes and tags.
    pub ids: Ids,
    /// Ids of components.
    pub component_ids: RangeInclusive<u16>,
    /// Device type codes.
    pub device_types: RangeInclusive<u16>,
    /// Spec versions.
    pub spec_versions: RangeInclusive<u16>,
    /// A regular expression for device ids.
    pub device_id: &'static str,
    /// A regular expression for component and enum labels.
    pub label: &'static str,
    /// Properties (and, one fewer, actions and events) an instance lists, at most.
    pub members: usize,
    /// Enum entries of a constraint, at most.
    pub values: usize,
    /// Capability instances of a component, at most.
    pub capabilities: usize,
    /// Components of a description, at most.
    pub components: usize,
}

/// A constraint with any bounds, step and lengths, and a few enum entries.
pub fn constraint(space: &DescriptionSpace) -> impl Strategy<Value = Constraint> {
    let id = space.ids.strategy();
    let entry = (id.clone(), of(space.label), vec(id.clone(), 0..3))
        .prop_map(|(code, label, tags)| EnumEntry { code, label, tags });
    (
        id,
        of(any::<i64>()),
        of(any::<i64>()),
        of(any::<u64>()),
        of(any::<u32>()),
        of(vec(entry, 0..space.values)),
    )
        .prop_map(|(property, min, max, step, max_len, values)| Constraint {
            property,
            min,
            max,
            step,
            max_len,
            max_count: max_len,
            values,
        })
}

/// A description of a few components with a few capability instances each.
pub fn description(space: &DescriptionSpace) -> impl Strategy<Value = Description> {
    let id = space.ids.strategy();
    let instance = (
        id.clone(),
        vec(id.clone(), 0..space.members),
        vec(id.clone(), 0..space.members - 1),
        vec(id, 0..space.members - 1),
        vec(constraint(space), 0..3),
    )
        .prop_map(|(capability, properties, actions, events, constraints)| {
            CapabilityInstance {
                capability,
                properties,
                actions,
                events,
                constraints,
            }
        });
    let component = (
        space.component_ids.clone(),
        of(space.label),
        vec(instance, 0..space.capabilities),
    )
        .prop_map(|(id, label, capabilities)| ComponentDescription {
            id,
            label,
            capabilities,
        });
    (
        space.spec_versions.clone(),
        any::<u16>(),
        space.device_id,
        space.device_types.clone(),
        vec(component, 0..space.components),
    )
        .prop_map(
            |(spec_version, vendor_id, device_id, device_type, components)| Description {
                spec_version,
                vendor_id,
                device_id,
                device_type,
                components,
            },
        )
}
