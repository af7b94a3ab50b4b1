//! The catalog of test cases, in identifier order (HRT-CONF-030 … HRT-CONF-036).
//!
//! Each area lives in a module of its own; [`CASES`] lists them all, sorted by identifier,
//! and the coverage matrix is built from the same list, so the suite, its documentation and
//! its traceability never drift apart.

use crate::case::Case;

mod authority;
mod behaviour;
mod kept_events;
mod messages;
mod messages2;
mod model;
mod model2;
mod mqtt;
mod mqtt2;
mod mqtt3;
mod robustness;
mod security;
mod security2;

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
            Box::pin(async move { $body })
        }
    };
}
pub(crate) use case_fn;

/// Every test case, in identifier order.
pub static CASES: &[Case] = &[
    behaviour::REFUSED_TRANSITIONS,
    behaviour::CYCLE_RUNS,
    behaviour::NO_START_WITH_DOOR_OPEN,
    behaviour::PAUSE_RESUME,
    behaviour::DOOR_ALARM,
    behaviour::FAULT_EVENTS,
    behaviour::COUNTERS_GROW,
    behaviour::COUNTERS_ACROSS_CYCLE,
    behaviour::SETPOINT_HONOURED,
    model::ICS_MATCHES,
    model::DESCRIPTION_VALID,
    model::DEVICE_INFO,
    model2::VENDOR_MEMBERS,
    mqtt::RETAINED,
    mqtt3::CONFIGURED_ROOT,
    mqtt::WILL,
    mqtt2::RECONNECT,
    mqtt2::RETAINED_REQUEST,
    mqtt2::LARGE_PACKETS,
    mqtt2::FOREIGN_TOPICS,
    mqtt2::WRONG_KIND,
    mqtt2::CLIENT_ID,
    mqtt3::MQTT_311_ONLY,
    kept_events::KEPT_EVENTS,
    kept_events::KEPT_EVENTS_OVERFLOW,
    messages::READ_ALL,
    messages::READ_MISSING,
    messages::READ_ORDER_OF_CHECKS,
    messages::WRITE_OUT_OF_RANGE,
    messages::WRITE_READ_ONLY,
    messages::WRITE_WRONG_TYPE,
    messages::WRITE_MISSING,
    messages::WRITE_VALID,
    messages::WRITE_BOUNDS,
    messages2::WRITE_UNSUPPORTED,
    messages2::CHECK_ORDER,
    messages2::WRITE_TOO_DEEP,
    messages::INVOKE_MISSING,
    messages2::INVOKE_INVALID,
    messages2::INVOKE_NULL_ARGS,
    messages::RESPONSE_TIME,
    messages2::ENCODING,
    messages2::FIRST_FAILED_STEP,
    robustness::GARBAGE,
    robustness::OVERSIZED,
    robustness::DEEP,
    security::SIGNED,
    security2::ENVELOPE_PROFILE,
    security::BAD_SIGNATURE,
    security::UNSIGNED,
    security::WRONG_TOPIC,
    security::REPLAY,
    security2::UNKNOWN_SIGNER,
    security2::UNPROTECTED_IGNORED,
    security2::REPLAY_WINDOW,
    security2::FOREIGN_REQUESTS,
    security2::CRAFTED_ENVELOPES,
    security2::UNTRUSTED_ROOT,
    security::UNAUTHORIZED,
    security::COUNTERS_ACROSS_RESTART,
    authority::CERTIFICATES_ACCEPTED,
    authority::CERTIFICATES_REFUSED,
    authority::CHAIN_EXPIRES,
    authority::REVOCATION,
    authority::ACL_MATCHING,
    authority::HIGHEST_PRIVILEGE,
    authority::WINDOW_START,
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
