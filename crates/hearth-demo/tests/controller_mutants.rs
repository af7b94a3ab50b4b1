//! The controller suite's self-check (HRT-CONF-111 for controllers): the clean reference
//! controller, driven in-process through its test agent, passes every `TC-CTL` case, and
//! under each controller fault profile of the simulator some case fails naming one of the
//! requirements the profile declares broken. Verdicts only: nothing here measures time.

use hearth_demo::controller_check::{judge_controller, run_reference_controller};
use hearth_report::verdict::Verdict;

/// One line per case of a report, for a failure's message.
fn cases(report: &hearth_report::report::Report) -> String {
    report
        .tests
        .iter()
        .map(|t| {
            format!(
                "{} {} {:?}: {}",
                t.id, t.verdict, t.failed_requirements, t.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_reference_controller_passes_every_controller_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = run_reference_controller(dir.path(), None)
        .await
        .expect("the run is made");
    let expected = hearth_conformance::controller::cases::CASES.len();
    assert_eq!(report.tests.len(), expected, "{}", cases(&report));
    assert!(
        report.tests.iter().all(|t| t.verdict == Verdict::Pass),
        "{}",
        cases(&report)
    );
}

/// A test per controller profile: the run is made and the profile is caught.
macro_rules! caught {
    ($name:ident, $profile:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let profile = hearth_sim::controller_profile($profile).expect("profile exists");
            let dir = tempfile::tempdir().expect("tempdir");
            let report = run_reference_controller(dir.path(), Some(profile))
                .await
                .expect("the run is made");
            let result = judge_controller(profile, &report);
            assert!(
                result.caught,
                "`{}` escaped: no case failed naming one of {:?}\n{}",
                profile.name,
                profile.requirements,
                cases(&report)
            );
        }
    };
}

caught!(accept_unsigned_is_caught, "ctl-accept-unsigned");
caught!(skip_signature_is_caught, "ctl-skip-signature");
caught!(ignore_replay_is_caught, "ctl-ignore-replay");
caught!(ignore_order_is_caught, "ctl-ignore-order");
caught!(trust_any_root_is_caught, "ctl-trust-any-root");
caught!(ignore_expiry_is_caught, "ctl-ignore-expiry");
caught!(accept_wrong_role_is_caught, "ctl-accept-wrong-role");
caught!(ignore_topic_binding_is_caught, "ctl-ignore-topic-binding");
caught!(accept_out_of_range_is_caught, "ctl-accept-out-of-range");
caught!(repeat_request_ids_is_caught, "ctl-repeat-request-ids");
caught!(ignore_revocation_is_caught, "ctl-ignore-revocation");
caught!(will_as_live_is_caught, "ctl-will-as-live");
caught!(counter_reuse_is_caught, "ctl-counter-reuse");

/// Every controller profile has its test above.
#[test]
fn every_controller_profile_is_tested_here() {
    let source = include_str!("controller_mutants.rs");
    for p in hearth_sim::controller_profiles() {
        assert!(
            source.contains(&format!("\"{}\")", p.name)),
            "{} has no test",
            p.name
        );
    }
}
