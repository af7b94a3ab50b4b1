//! The pre-flight check (HRT-CONF-065) against a simulated fan: with a controller whose
//! chain the fan does not take, the run stops before the first test case and names the
//! likely cause, instead of running every case into a timeout.

use std::path::Path;
use std::time::Duration;

use hearth_conformance::cases::CASES;
use hearth_conformance::lab::{prepare, TestConfig};
use hearth_conformance::runner::{not_started, run_device_until, Interrupt};
use hearth_demo::demo::{render_ics, write_pki, DEMO_EVENT_STORE, DEMO_ROOT};
use hearth_model::{Path as ModelPath, Value};
use hearth_mqtt::{EmbeddedBroker, Topics};
use hearth_report::report::Report;
use hearth_report::verdict::Verdict;
use hearth_sim::{BrandId, DeviceKind, DeviceSpec, Fleet, Runner, RunnerConfig};

const FAN: &str = "fan-kestrel-1";

fn text(v: Result<Value, hearth_model::StatusCode>) -> String {
    match v {
        Ok(Value::Text(s)) => s,
        _ => String::new(),
    }
}

/// A run of the whole suite against the simulated fan, with the ICS the demo writes for it
/// changed by `edit`, a short response timeout so that the check's wait is short.
async fn run_with(dir: &Path, edit: impl Fn(String) -> String) -> Report {
    let broker = EmbeddedBroker::start_local().expect("broker");
    let url = broker.url();
    let pki = dir.join("pki");
    let ids = vec![FAN.to_owned()];
    let (_, acls) = write_pki(&pki, &ids).expect("pki");
    // Another lab, whose root the fan does not trust.
    write_pki(&dir.join("other"), &ids).expect("other pki");
    let fleet = Fleet {
        devices: vec![DeviceSpec {
            kind: DeviceKind::Fan,
            brand: BrandId::Kestrel,
            id: FAN.into(),
            fault: None,
        }],
    };
    let mut rc = RunnerConfig::new(url.clone(), &pki);
    rc.acls = acls;
    rc.topics = Topics::new(DEMO_ROOT);
    rc.keep_alive = Duration::from_secs(2);
    rc.event_store = DEMO_EVENT_STORE;
    let runner = Runner::start(&rc, &fleet).await.expect("fleet");
    let device = &runner.devices()[0];
    let ics_text = render_ics(
        &device.description(),
        &text(device.value(&ModelPath::new(0, 1, 1))),
        &text(device.value(&ModelPath::new(0, 1, 4))),
        &text(device.value(&ModelPath::new(0, 1, 7))),
        &url.to_string(),
        (
            &pki.display().to_string(),
            &pki.join(FAN).display().to_string(),
        ),
    );
    let ics = dir.join("ics.toml");
    std::fs::write(&ics, edit(ics_text)).expect("write ICS");
    let config = TestConfig {
        ics,
        broker: None,
        pki: pki.clone(),
        device: None,
        out: None,
        only: None,
        params: vec![("response_timeout".into(), "1s".into())],
        interrupt: Interrupt::never(),
        preflight: true,
    };
    let run = prepare(&config).unwrap_or_else(|e| panic!("{e}"));
    let report = run_device_until(run, CASES, &Interrupt::never(), |_, _, _| {}).await;
    runner.shutdown().await;
    report
}

/// Every test case ended `error` with the pre-flight's reason, and none ran.
fn stopped_early(report: &Report) -> String {
    let why = not_started(report)
        .unwrap_or_else(|| panic!("the run started: {:?}", report.summary))
        .to_owned();
    assert!(why.starts_with("pre-flight (HRT-CONF-065)"), "{why}");
    for t in &report.tests {
        assert_eq!(t.verdict, Verdict::Error, "{}: {}", t.id, t.reason);
        assert_eq!(t.duration_ms, 0, "{} did not run", t.id);
    }
    why
}

// HRT-CONF-065
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_of_another_root_stops_the_run_naming_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let own = dir.path().join("pki").join(FAN);
    let other = dir.path().join("other").join(FAN);
    let report = run_with(dir.path(), |ics| {
        ics.replace(
            &own.join("controller").display().to_string(),
            &other.join("controller").display().to_string(),
        )
    })
    .await;
    let why = stopped_early(&report);
    assert!(why.contains("hearth-suite"), "{why}");
    assert!(
        why.contains("does not lead to the trusted root") && why.contains("(chain)"),
        "{why}"
    );
}

// HRT-CONF-065
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_the_fan_does_not_admit_stops_the_run_naming_the_acl() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The stranger, trusted but in no entry of the fan's list, declared a viewer.
    let report = run_with(dir.path(), |ics| {
        ics.replacen("privilege = \"none\"", "privilege = \"view\"", 1)
    })
    .await;
    let why = stopped_early(&report);
    assert!(why.contains("hearth-stranger"), "{why}");
    assert!(why.contains("(ACL)"), "{why}");
}
