//! The catalog of test cases, in identifier order (HRT-CONF-030 … HRT-CONF-036).
//!
//! Each area lives in a module of its own; [`CASES`] lists them all, sorted by identifier,
//! and the coverage matrix is built from the same list, so the suite, its documentation and
//! its traceability never drift apart.

use crate::case::Case;

mod beh;
mod model;
mod mqtt;
mod msg;
mod rob;
mod sec;

/// `try_outcome!(expr)`: the value of an `Ok`, or return the `Outcome` of an `Err`.
macro_rules! try_outcome {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(outcome) => return outcome,
        }
    };
}
pub(crate) use try_outcome;

/// Define a test case's async function: `case_fn!(name, |ctx| { … Outcome })`.
macro_rules! case_fn {
    ($name:ident, |$ctx:ident| $body:block) => {
        fn $name($ctx: &mut crate::case::Ctx) -> crate::case::CaseFuture<'_> {
            Box::pin(async move {
                let outcome: crate::verdict::Outcome = async move { $body }.await;
                Ok(outcome)
            })
        }
    };
}
pub(crate) use case_fn;

/// Every test case, in identifier order.
pub static CASES: &[Case] = &[
    beh::cycle::REFUSED_TRANSITIONS,
    beh::cycle::CYCLE_RUNS,
    beh::cycle::NO_START_WITH_DOOR_OPEN,
    beh::cycle::PAUSE_RESUME,
    beh::cycle::DOOR_ALARM,
    beh::cycle::FAULT_EVENTS,
    beh::cycle::COUNTERS_GROW,
    beh::cycle::COUNTERS_ACROSS_CYCLE,
    beh::cycle::SETPOINT_HONOURED,
    model::description::ICS_MATCHES,
    model::description::DESCRIPTION_VALID,
    model::description::DEVICE_INFO,
    model::vendor::VENDOR_MEMBERS,
    mqtt::will::RETAINED,
    mqtt::version::CONFIGURED_ROOT,
    mqtt::will::WILL,
    mqtt::inbound::RECONNECT,
    mqtt::inbound::RETAINED_REQUEST,
    mqtt::inbound::LARGE_PACKETS,
    mqtt::inbound::FOREIGN_TOPICS,
    mqtt::inbound::WRONG_KIND,
    mqtt::inbound::CLIENT_ID,
    mqtt::version::MQTT_311_ONLY,
    mqtt::kept_events::KEPT_EVENTS,
    mqtt::kept_events::KEPT_EVENTS_OVERFLOW,
    msg::write::READ_ALL,
    msg::write::READ_MISSING,
    msg::write::READ_ORDER_OF_CHECKS,
    msg::write::WRITE_OUT_OF_RANGE,
    msg::write::WRITE_READ_ONLY,
    msg::write::WRITE_WRONG_TYPE,
    msg::write::WRITE_MISSING,
    msg::write::WRITE_VALID,
    msg::write::WRITE_BOUNDS,
    msg::encoding::WRITE_UNSUPPORTED,
    msg::encoding::CHECK_ORDER,
    msg::encoding::WRITE_TOO_DEEP,
    msg::write::INVOKE_MISSING,
    msg::encoding::INVOKE_INVALID,
    msg::encoding::INVOKE_NULL_ARGS,
    msg::write::RESPONSE_TIME,
    msg::encoding::ENCODING,
    msg::encoding::FIRST_FAILED_STEP,
    rob::malformed::GARBAGE,
    rob::malformed::OVERSIZED,
    rob::malformed::DEEP,
    sec::signing::SIGNED,
    sec::verifying::ENVELOPE_PROFILE,
    sec::signing::BAD_SIGNATURE,
    sec::signing::UNSIGNED,
    sec::signing::WRONG_TOPIC,
    sec::signing::REPLAY,
    sec::verifying::UNKNOWN_SIGNER,
    sec::verifying::UNPROTECTED_IGNORED,
    sec::verifying::REPLAY_WINDOW,
    sec::verifying::FOREIGN_REQUESTS,
    sec::verifying::CRAFTED_ENVELOPES,
    sec::verifying::UNTRUSTED_ROOT,
    sec::signing::UNAUTHORIZED,
    sec::signing::COUNTERS_ACROSS_RESTART,
    sec::authority::CERTIFICATES_ACCEPTED,
    sec::authority::CERTIFICATES_REFUSED,
    sec::authority::CHAIN_EXPIRES,
    sec::authority::REVOCATION,
    sec::authority::ACL_MATCHING,
    sec::authority::HIGHEST_PRIVILEGE,
    sec::authority::WINDOW_START,
];

/// The catalog, for listings and the coverage matrix.
pub fn catalog() -> &'static [Case] {
    CASES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_name_real_requirements() {
        let index = crate::requirements::index().expect("the spec extracts");
        let mut seen = std::collections::BTreeSet::new();
        for case in CASES {
            assert!(seen.insert(case.id), "{} twice", case.id);
            assert!(case.id.starts_with("TC-"), "{}", case.id);
            assert!(
                !case.requirements.is_empty(),
                "{} names no requirement",
                case.id
            );
            assert!(!case.steps.is_empty(), "{} documents no steps", case.id);
            for r in case.requirements {
                assert!(
                    index.iter().any(|q| q.id == *r),
                    "{} names {r}, which the spec does not define",
                    case.id
                );
            }
        }
    }
}
