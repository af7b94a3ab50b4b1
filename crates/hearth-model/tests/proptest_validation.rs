//! Property tests: validation never panics on arbitrary input, accepts every in-range value
//! and rejects every out-of-range one (HRT-MOD-044).

use hearth_model::ids::{cap, temperature_control};
use hearth_model::validate::{
    check_description, check_event, check_invoke, check_value, check_write,
};
use hearth_model::{
    CapabilityInstance, Catalog, ComponentDescription, Constraint, Description, EnumEntry, Path,
    StatusCode, Value,
};

/// The air conditioner's setpoint.
const SETPOINT: Path = Path::new(0, cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT);
use proptest::prelude::*;

fn air_conditioner() -> Description {
    let text = include_str!("descriptions/air-conditioner.json");
    serde_json::from_str(text).expect("fixture parses")
}

fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-5000i64..15000).prop_map(Value::Int),
        ".{0,80}".prop_map(Value::Text),
        proptest::collection::vec(any::<u8>(), 0..80).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(12, 256, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::btree_map(0u16..8, inner, 0..6).prop_map(Value::Struct),
        ]
    })
}

fn any_id() -> impl Strategy<Value = u16> {
    prop_oneof![0u16..24, any::<u16>()]
}

fn any_path() -> impl Strategy<Value = Path> {
    (0u16..4, any_id(), any_id()).prop_map(|(c, cap, m)| Path::new(c, cap, m))
}

fn any_constraint() -> impl Strategy<Value = Constraint> {
    (
        any_id(),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u32>()),
        proptest::option::of(proptest::collection::vec(
            (
                any_id(),
                proptest::option::of(".{0,70}"),
                proptest::collection::vec(any_id(), 0..3),
            )
                .prop_map(|(code, label, tags)| EnumEntry { code, label, tags }),
            0..6,
        )),
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

fn any_description() -> impl Strategy<Value = Description> {
    let instance = (
        any_id(),
        proptest::collection::vec(any_id(), 0..4),
        proptest::collection::vec(any_id(), 0..3),
        proptest::collection::vec(any_id(), 0..3),
        proptest::collection::vec(any_constraint(), 0..3),
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
        0u16..4,
        proptest::option::of(".{0,70}"),
        proptest::collection::vec(instance, 0..8),
    )
        .prop_map(|(id, label, capabilities)| ComponentDescription {
            id,
            label,
            capabilities,
        });
    (
        any::<u16>(),
        any::<u16>(),
        ".{0,70}",
        0u16..12,
        proptest::collection::vec(component, 0..4),
    )
        .prop_map(
            |(spec_version, vendor_id, device_id, device_type, components)| Description {
                spec_version: spec_version % 3,
                vendor_id,
                device_id,
                device_type,
                components,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// HRT-MOD-042..048: request validation returns a typed error, never panics.
    #[test]
    fn request_checks_never_panic(path in any_path(), value in any_value()) {
        let catalog = Catalog::standard();
        let desc = air_conditioner();
        for result in [
            check_write(catalog, &desc, &path, &value),
            check_value(catalog, &desc, &path, &value),
            check_invoke(catalog, &desc, &path, &value),
            check_event(catalog, &desc, &path, &value),
        ] {
            if let Err(e) = result {
                prop_assert!(e.requirement().starts_with("HRT-MOD-"));
                prop_assert!(e.status() != StatusCode::Success);
            }
        }
    }

    /// Description validation returns typed errors for arbitrary descriptions, never panics.
    #[test]
    fn description_check_never_panics(desc in any_description()) {
        let catalog = Catalog::standard();
        if let Err(errors) = check_description(catalog, &desc) {
            prop_assert!(!errors.0.is_empty());
            for e in &errors.0 {
                prop_assert!(e.requirement().starts_with("HRT-MOD-"));
            }
        }
    }

    /// HRT-MOD-044: every setpoint on the declared grid within 16.00–32.00 °C is accepted.
    #[test]
    fn in_range_setpoints_are_accepted(k in 0i64..=32) {
        let catalog = Catalog::standard();
        let desc = air_conditioner();
        let path = SETPOINT;
        prop_assert_eq!(check_write(catalog, &desc, &path, &Value::Int(1600 + 50 * k)), Ok(()));
    }

    /// HRT-MOD-044: every setpoint outside the declared range is rejected with constraint-error.
    #[test]
    fn out_of_range_setpoints_are_rejected(v in prop_oneof![i64::MIN..1600, 3201..i64::MAX]) {
        let catalog = Catalog::standard();
        let desc = air_conditioner();
        let err = check_write(catalog, &desc, &SETPOINT, &Value::Int(v)).expect_err("outside 1600..=3200");
        prop_assert_eq!(err.status(), StatusCode::ConstraintError);
        prop_assert_eq!(err.requirement(), "HRT-MOD-044");
    }

    /// HRT-MOD-044: in range but off the 0.5 °C grid is rejected too.
    #[test]
    fn off_grid_setpoints_are_rejected(v in 1600i64..=3200) {
        prop_assume!((v - 1600) % 50 != 0);
        let catalog = Catalog::standard();
        let desc = air_conditioner();
        let err = check_write(catalog, &desc, &SETPOINT, &Value::Int(v)).expect_err("off grid");
        prop_assert_eq!(err.status(), StatusCode::ConstraintError);
    }
}

#[test]
fn a_value_nested_past_the_limit_is_rejected_without_recursion_blowup() {
    let catalog = Catalog::standard();
    let desc = air_conditioner();
    let mut v = Value::Int(1);
    for _ in 0..100_000 {
        v = Value::List(vec![v]);
    }
    let err = check_write(catalog, &desc, &SETPOINT, &v).expect_err("too deep");
    assert_eq!(err.requirement(), "HRT-MOD-048");
    // Unwind the value iteratively so dropping it cannot overflow the stack.
    while let Value::List(mut items) = v {
        v = items.pop().unwrap_or(Value::Null);
    }
}
