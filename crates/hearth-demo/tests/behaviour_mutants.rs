//! The behaviour fault profiles of the simulator are caught by the `BEH` test cases
//! (HRT-CONF-111): for each, a small fleet of the appliances the profile applies to runs the
//! whole suite, and some behaviour test case fails naming a requirement the profile declares.
//! One appliance per profile keeps each run short; the profile's other appliances behave
//! alike (the same simulator code), and `hearth mutants` covers the whole fleet.

use hearth_demo::demo::{run_demo, DemoConfig};
use hearth_report::report::Report;
use hearth_report::verdict::Verdict;
use hearth_sim::{BrandId, DeviceKind, DeviceSpec, Fleet};

/// A fleet of the given appliances, with ids unique to the profile.
fn fleet(profile: &str, kinds: &[(DeviceKind, BrandId)]) -> Fleet {
    Fleet {
        devices: kinds
            .iter()
            .map(|(kind, brand)| DeviceSpec {
                kind: *kind,
                brand: *brand,
                id: format!("{}-{}-{profile}", kind.code(), brand.brand().key),
                fault: None,
            })
            .collect(),
    }
}

/// Run the suite against `kinds` under `profile` and return the reports.
async fn run(profile: &str, kinds: &[(DeviceKind, BrandId)]) -> Vec<Report> {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = DemoConfig {
        fleet: fleet(profile, kinds),
        fault: Some(profile.to_owned()),
        // The door alarm is awaited for at most cycle_timeout: keep a missing one short; and
        // keep the windows in which the suite watches for silence short.
        params: vec![
            ("cycle_timeout".into(), "8s".into()),
            ("silence_window".into(), "300ms".into()),
            ("latency_allowance".into(), "200ms".into()),
        ],
        // Only the cases that could catch the profile, as `hearth mutants` runs them.
        only_requirements: hearth_sim::profile(profile)
            .map(|p| p.requirements.iter().map(|r| (*r).to_owned()).collect()),
        all_renderings: false,
        ..DemoConfig::new(dir.path())
    };
    run_demo(&config, |_, _, _| {}).await.expect("demo runs")
}

/// Some `BEH` test case fails naming one of the profile's requirements.
fn assert_caught(profile: &str, reports: &[Report]) {
    let declared = hearth_sim::profile(profile)
        .expect("profile exists")
        .requirements;
    let mut seen = Vec::new();
    for r in reports {
        for t in &r.tests {
            if t.id.starts_with("TC-BEH-") {
                seen.push(format!(
                    "{} {} {} {:?}: {}",
                    r.device.device_id, t.id, t.verdict, t.failed_requirements, t.reason
                ));
            }
            if t.id.starts_with("TC-BEH-")
                && t.verdict == Verdict::Fail
                && t.failed_requirements
                    .iter()
                    .any(|q| declared.contains(&q.as_str()))
            {
                eprintln!(
                    "{profile}: {} {} fails {:?}: {}",
                    r.device.device_id, t.id, t.failed_requirements, t.reason
                );
                return;
            }
        }
    }
    panic!(
        "no behaviour test case failed naming one of {declared:?} under `{profile}`:\n{}",
        seen.join("\n")
    );
}

/// A test that runs the suite against the appliances under the profile and asserts that it
/// is caught.
macro_rules! caught {
    ($name:ident, $profile:literal, $($kind:ident of $brand:ident),+) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let reports = run($profile, &[$((DeviceKind::$kind, BrandId::$brand)),+]).await;
            assert_caught($profile, &reports);
        }
    };
}

caught!(wrong_status_code_is_caught, "wrong-status-code", WashingMachine of Aurora);
caught!(no_door_alarm_is_caught, "no-door-alarm", Refrigerator of Aurora);
caught!(start_with_door_open_is_caught, "start-with-door-open", MicrowaveOven of Aurora);
caught!(energy_counter_reset_is_caught, "energy-counter-reset", WashingMachine of Lotus);
caught!(event_missing_fields_is_caught, "event-missing-fields", Fan of Lotus);
caught!(lax_state_machine_is_caught, "lax-state-machine", Dishwasher of Aurora);
