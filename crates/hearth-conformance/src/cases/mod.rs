//! The catalog of test cases, in identifier order (HRT-CONF-030 … HRT-CONF-036).
//!
//! A test case is declared once, with `test_case!`, in the module of its group
//! (`cases/<area>/<group>.rs`, one per `TC-<AREA>-<n>`, named for what the group tests): its
//! identifier, title, the requirements it checks (constants of
//! [`crate::requirements::req`]), its steps in order, its applicability, and the async
//! function that runs it. The function runs step `n` as `ctx.step(n)` — the plan
//! (`conformance/TEST-PLAN.md`) and the report show the declared texts — and ends with
//! `Ok(())` when every check held or `Err(outcome)` otherwise; a failure names a requirement
//! constant. The runner takes that outcome as the verdict, unless the case failed naming a
//! requirement it does not check or ran a step it does not declare: that is a defect of the
//! suite, reported as `error`. The tests below read the cases' sources and fail the build on
//! either before a run ever could. Case modules share nothing with one another: what several
//! need is in [`crate::harness`].
//!
//! [`CASES`] lists every case, sorted by identifier; the plan and the coverage matrix are
//! built from the same list, so the suite, its documentation and its traceability never
//! drift apart.

use crate::case::Case;

mod beh;
mod com;
mod model;
mod mqtt;
mod msg;
mod rob;
mod sec;

/// Every test case, in identifier order.
pub static CASES: &[Case] = &[
    beh::cycle::REFUSED_TRANSITIONS,
    beh::cycle::CYCLE_RUNS,
    beh::cycle::NO_START_WITH_DOOR_OPEN,
    beh::cycle::PAUSE_RESUME,
    beh::cycle::SETTINGS_FIXED_DURING_CYCLE,
    beh::cycle::SWITCHING_OFF,
    beh::cycle::NO_START_WITHOUT_REMOTE_START,
    beh::cycle::NO_RESUME_WITH_DOOR_OPEN,
    beh::cycle::DELAYED_CYCLE,
    beh::cycle::FROM_COMPLETED,
    beh::door::DOOR_ALARM,
    beh::faults::FAULT_EVENTS,
    beh::counters::COUNTERS_GROW,
    beh::counters::COUNTERS_ACROSS_CYCLE,
    beh::setpoint::SETPOINT_HONOURED,
    com::window::ANNOUNCEMENT,
    com::window::COMMISSIONED,
    com::window::WINDOW_TIMEOUT,
    com::window::FACTORY_PARAMETERS,
    com::passcode::WRONG_PASSCODE,
    com::passcode::ATTEMPT_LIMIT,
    com::sessions::ONE_SESSION,
    com::sessions::BAD_SHARE,
    com::outside::NO_WINDOW,
    com::misrouted::WRONG_TOPIC,
    com::misrouted::OUTSIDE_CDDL,
    com::multi_admin::MULTI_ADMIN,
    com::multi_admin::BAD_RECORD,
    com::multi_admin::RECORD_ERASED,
    com::acl::NEEDS_MANAGE,
    com::acl::LAST_MANAGER,
    com::acl::ALL_OR_NOTHING,
    com::reset::FACTORY_RESET,
    com::binding::BOUND_KEY,
    com::room::ACL_FULL,
    com::chains::FOREIGN_ROOT,
    com::setup::SETUP_CODE,
    com::setup::FRESH_WINDOW,
    com::setup::ACL_KEPT,
    model::description::ICS_MATCHES,
    model::description::DESCRIPTION_VALID,
    model::device_info::DEVICE_INFO,
    model::vendor::VENDOR_MEMBERS,
    mqtt::topics::RETAINED,
    mqtt::topics::CONFIGURED_ROOT,
    mqtt::will::WILL,
    mqtt::reconnect::RECONNECT,
    mqtt::reconnect::RETAINED_REQUEST,
    mqtt::inbound::LARGE_PACKETS,
    mqtt::inbound::FOREIGN_TOPICS,
    mqtt::inbound::WRONG_KIND,
    mqtt::inbound::SENDER_NOT_AN_ID,
    mqtt::session::CLIENT_ID,
    mqtt::version::MQTT_311_ONLY,
    mqtt::kept_events::KEPT_EVENTS,
    mqtt::kept_events::KEPT_EVENTS_OVERFLOW,
    msg::read::READ_ALL,
    msg::read::READ_MISSING,
    msg::read::READ_ORDER_OF_CHECKS,
    msg::write::WRITE_OUT_OF_RANGE,
    msg::write::WRITE_READ_ONLY,
    msg::write::WRITE_WRONG_TYPE,
    msg::write::WRITE_MISSING,
    msg::write::WRITE_VALID,
    msg::write::WRITE_BOUNDS,
    msg::write::WRITE_UNSUPPORTED,
    msg::write::CHECK_ORDER,
    msg::write::WRITE_TOO_DEEP,
    msg::write::WRITE_FLOAT,
    msg::invoke::INVOKE_MISSING,
    msg::invoke::INVOKE_INVALID,
    msg::invoke::INVOKE_NULL_ARGS,
    msg::timing::RESPONSE_TIME,
    msg::timing::ANSWER_ORDER,
    msg::encoding::ENCODING,
    msg::processing::FIRST_FAILED_STEP,
    rob::malformed::GARBAGE,
    rob::malformed::OVERSIZED,
    rob::malformed::DEEP,
    rob::malformed::OUTSIDE_PROFILE,
    sec::signing::SIGNED,
    sec::signing::ENVELOPE_PROFILE,
    sec::verifying::BAD_SIGNATURE,
    sec::verifying::UNSIGNED,
    sec::verifying::WRONG_TOPIC,
    sec::verifying::REPLAY,
    sec::verifying::UNKNOWN_SIGNER,
    sec::verifying::UNPROTECTED_IGNORED,
    sec::verifying::REPLAY_WINDOW,
    sec::verifying::FOREIGN_REQUESTS,
    sec::verifying::CRAFTED_ENVELOPES,
    sec::verifying::UNTRUSTED_ROOT,
    sec::access::UNAUTHORIZED,
    sec::counters::COUNTERS_ACROSS_RESTART,
    sec::authority::CERTIFICATES_ACCEPTED,
    sec::authority::CERTIFICATES_REFUSED,
    sec::authority::CHAIN_EXPIRES,
    sec::authority::REVOCATION,
    sec::authority::ACL_MATCHING,
    sec::authority::HIGHEST_PRIVILEGE,
    sec::authority::WINDOW_START,
    sec::authority::EXISTENCE_BEFORE_PRIVILEGE,
    sec::authority::LISTS_OF_UNMET_CA,
];

/// The catalog, for listings and the coverage matrix.
pub fn catalog() -> &'static [Case] {
    CASES
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_name_real_requirements() {
        let index = crate::requirements::index().expect("the spec extracts");
        let mut seen = BTreeSet::new();
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
                    index.iter().any(|q| q.id == r.id()),
                    "{} names {r}, which the spec does not define",
                    case.id
                );
            }
        }
    }

    #[test]
    fn cases_are_in_identifier_order() {
        let key = |id: &str| {
            let rest = id.strip_prefix("TC-").unwrap_or(id);
            let (area, numbers) = rest.split_once('-').unwrap_or((rest, ""));
            let (n, m) = numbers.split_once('.').unwrap_or((numbers, ""));
            (
                area.to_owned(),
                n.parse::<u32>().unwrap_or(0),
                m.parse::<u32>().unwrap_or(0),
            )
        };
        for pair in CASES.windows(2) {
            assert!(
                key(pair[0].id) < key(pair[1].id),
                "{} before {}",
                pair[0].id,
                pair[1].id
            );
        }
    }

    /// A test case as its source declares it.
    struct Source {
        file: PathBuf,
        /// The text of the function its `run` calls and of every function of its file that
        /// one calls, directly or not.
        body: String,
        /// Everything in the file outside functions and case declarations.
        rest: String,
    }

    /// The top-level functions of `code`: name and text, up to the closing brace at the
    /// start of a line.
    fn functions(code: &str) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (at, _) in code.match_indices("fn ") {
            let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
            let prefix = &code[line_start..at];
            if ![
                "",
                "async ",
                "pub(crate) ",
                "pub(crate) async ",
                "pub ",
                "pub async ",
            ]
            .contains(&prefix)
            {
                continue;
            }
            let name: String = code[at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let text = code[line_start..]
                .split_once("\n}\n")
                .map_or(&code[line_start..], |(t, _)| t);
            out.insert(name, text.to_owned());
        }
        out
    }

    /// The sources of every case under `src/cases/`, by identifier.
    fn sources() -> BTreeMap<String, Source> {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/cases"));
        let files = crate::requirements::tests::rust_files(&root);
        let mut out = BTreeMap::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a case file");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let functions = functions(code);
            let mut rest = code.to_owned();
            for body in functions.values() {
                rest = rest.replace(body.as_str(), "");
            }
            while let Some((before, after)) = rest.split_once("test_case! {") {
                let after = after.split_once("\n}\n").map_or("", |(_, a)| a);
                rest = format!("{before}{after}");
            }
            for block in code.split("test_case! {").skip(1) {
                let block = block.split_once("\n}\n").map_or(block, |(b, _)| b);
                let id = between(block, ": \"", "\"").unwrap_or_default();
                let function = between(block, "run: ", ",")
                    .and_then(|f| f.split('(').next())
                    .unwrap_or_else(|| panic!("{id}: no `run: function,`"));
                assert!(
                    functions.contains_key(function),
                    "{id}: no `async fn {function}(` in {}",
                    file.display()
                );
                let mut reached = BTreeSet::from([function.to_owned()]);
                let mut todo = vec![function.to_owned()];
                while let Some(name) = todo.pop() {
                    for other in functions.keys() {
                        if !reached.contains(other)
                            && functions[&name].contains(&format!("{other}("))
                        {
                            reached.insert(other.clone());
                            todo.push(other.clone());
                        }
                    }
                }
                let body = reached
                    .iter()
                    .map(|name| functions[name].as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                out.insert(
                    id.to_owned(),
                    Source {
                        file: file.clone(),
                        body,
                        rest: rest.clone(),
                    },
                );
            }
        }
        out
    }

    fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
        let (_, after) = text.split_once(start)?;
        Some(after.split_once(end)?.0)
    }

    /// The numbers in every `.step(n)` and `.step_with(n, …)` of `body`.
    fn step_numbers(body: &str) -> Vec<usize> {
        let mut out = Vec::new();
        for call in [".step(", ".step_with("] {
            for piece in body.split(call).skip(1) {
                let digits: String = piece
                    .trim_start()
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                out.push(digits.parse().unwrap_or(0));
            }
        }
        out
    }

    /// The requirement constants (`req::HRT_…`) written in `text`.
    fn requirement_names(text: &str) -> BTreeSet<String> {
        text.split("req::HRT_")
            .skip(1)
            .map(|piece| {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                format!("HRT-{}", name.replace('_', "-"))
            })
            .collect()
    }

    /// Every case runs its steps by number: only numbers it declares, and each it declares
    /// at least once, so the plan and the report show the same steps (HRT-CONF-032).
    #[test]
    fn every_case_runs_its_declared_steps_by_number() {
        let sources = sources();
        for case in CASES {
            let source = sources
                .get(case.id)
                .unwrap_or_else(|| panic!("{}: no source under src/cases", case.id));
            let used: BTreeSet<usize> = step_numbers(&source.body).into_iter().collect();
            let declared: BTreeSet<usize> = (1..=case.steps.len()).collect();
            assert_eq!(
                used,
                declared,
                "{} ({}) runs steps {used:?} and declares {}",
                case.id,
                source.file.display(),
                case.steps.len()
            );
        }
    }

    /// A case fails only with requirements it names (HRT-CONF-042): every requirement
    /// constant in its function and the functions of its module that it calls is among its
    /// requirements, and every one elsewhere in the module among those of the module's cases.
    #[test]
    fn every_case_fails_only_with_requirements_it_names() {
        let sources = sources();
        let mut by_file: BTreeMap<&PathBuf, BTreeSet<&str>> = BTreeMap::new();
        let mut unnamed = Vec::new();
        for case in CASES {
            let source = &sources[case.id];
            by_file
                .entry(&source.file)
                .or_default()
                .extend(case.requirements.iter().map(|r| r.id()));
            for name in requirement_names(&source.body) {
                if !case.requirements.iter().any(|r| r.id() == name) {
                    unnamed.push(format!("{} writes {name}, which it does not name", case.id));
                }
            }
        }
        for source in sources.values() {
            let named = &by_file[&source.file];
            for name in requirement_names(&source.rest) {
                if !named.contains(name.as_str()) {
                    unnamed.push(format!(
                        "{} writes {name}, which none of its cases names",
                        source.file.display()
                    ));
                }
            }
        }
        unnamed.sort();
        unnamed.dedup();
        assert!(unnamed.is_empty(), "{}", unnamed.join("\n"));
    }

    /// No case module uses another: what they share is in the harness.
    #[test]
    fn case_modules_use_only_the_harness() {
        for source in sources().values() {
            let text = std::fs::read_to_string(&source.file).expect("a case file");
            for forbidden in ["crate::cases::", "super::super::"] {
                assert!(
                    !text.contains(forbidden),
                    "{} uses {forbidden}",
                    source.file.display()
                );
            }
        }
    }
}
