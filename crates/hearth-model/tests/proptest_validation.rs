//! Property tests: validation never panics on arbitrary input, accepts every in-range value
//! and rejects every out-of-range one (HRT-MOD-044).

use hearth_model::validate::{
    check_description, check_event, check_invoke, check_value, check_write,
};
use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_testkit::arb::{self, DescriptionSpace, Ids, ValueSpace};
use proptest::prelude::*;

fn air_conditioner() -> Description {
    hearth_testkit::description("air-conditioner")
}

/// Values nested deep and wide, with text and bytes long enough to hit length limits.
fn any_value() -> impl Strategy<Value = Value> {
    arb::value(ValueSpace {
        depth: 12,
        nodes: 256,
        width: 6,
        text: 80,
        field_ids: 0..=7,
    })
}

fn any_path() -> impl Strategy<Value = Path> {
    let id = Ids::Catalog.strategy();
    (0u16..4, id.clone(), id).prop_map(|(c, cap, m)| Path::new(c, cap, m))
}

/// Descriptions whose ids mostly fall where the catalog's do, so the checks go deep.
fn any_description() -> impl Strategy<Value = Description> {
    arb::description(&DescriptionSpace {
        ids: Ids::Catalog,
        component_ids: 0..=3,
        device_types: 0..=11,
        spec_versions: 0..=2,
        device_id: ".{0,70}",
        label: ".{0,70}",
        members: 4,
        values: 6,
        capabilities: 8,
        components: 4,
    })
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
        let path = Path::new(0, 6, 1);
        prop_assert_eq!(check_write(catalog, &desc, &path, &Value::Int(1600 + 50 * k)), Ok(()));
    }

    /// HRT-MOD-044: every setpoint outside the declared range is rejected with constraint-error.
    #[test]
    fn out_of_range_setpoints_are_rejected(v in prop_oneof![i64::MIN..1600, 3201..i64::MAX]) {
        let catalog = Catalog::standard();
        let desc = air_conditioner();
        let err = check_write(catalog, &desc, &Path::new(0, 6, 1), &Value::Int(v)).expect_err("outside 1600..=3200");
        prop_assert_eq!(err.status(), StatusCode::ConstraintError);
        prop_assert_eq!(err.requirement(), "HRT-MOD-044");
    }

    /// HRT-MOD-044: in range but off the 0.5 °C grid is rejected too.
    #[test]
    fn off_grid_setpoints_are_rejected(v in 1600i64..=3200) {
        prop_assume!((v - 1600) % 50 != 0);
        let catalog = Catalog::standard();
        let desc = air_conditioner();
        let err = check_write(catalog, &desc, &Path::new(0, 6, 1), &Value::Int(v)).expect_err("off grid");
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
    let err = check_write(catalog, &desc, &Path::new(0, 6, 1), &v).expect_err("too deep");
    assert_eq!(err.requirement(), "HRT-MOD-048");
    // Unwind the value iteratively so dropping it cannot overflow the stack.
    while let Value::List(mut items) = v {
        v = items.pop().unwrap_or(Value::Null);
    }
}
