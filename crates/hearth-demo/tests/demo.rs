//! The suite against the simulated fleet: every conforming appliance passes, and so does the
//! reference controller the demo certifies next to them, its reports signed as theirs are.

use hearth_demo::demo::{run_demo, DemoConfig, CONTROLLER_FOLDER};
use hearth_report::verdict::Verdict;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_fleet_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let reports = run_demo(&DemoConfig::new(dir.path()), |_, _, _| {})
        .await
        .expect("demo runs");
    assert!(reports.len() >= 12, "{} devices", reports.len());
    let mut problems = Vec::new();
    for r in &reports {
        for t in &r.tests {
            if !matches!(t.verdict, Verdict::Pass | Verdict::NotApplicable) {
                problems.push(format!(
                    "{}/{} {} {}: {}",
                    r.device.vendor_id, r.device.device_id, t.id, t.verdict, t.reason
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("summary.json")).expect("summary.json"),
    )
    .expect("json");
    assert_eq!(
        summary["devices"].as_array().map(Vec::len),
        Some(reports.len())
    );
    // The run's id, the suite's version and the times, of the fleet and of each device.
    assert_eq!(
        summary["run_id"].as_str().map(str::len),
        Some(32),
        "{summary}"
    );
    assert_eq!(summary["suite_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["verdict"], "pass");
    assert!(summary["started"].as_str() <= summary["finished"].as_str());
    assert!(summary["duration_ms"].as_u64() > Some(0));
    let first = &summary["devices"][0];
    assert_eq!(first["run_id"], reports[0].run_id.as_str(), "{summary}");
    assert_eq!(first["started"], reports[0].started.as_str());
    // The reference controller is the last row, and it passes.
    let controller = reports.last().expect("reports");
    assert_eq!(controller.device.device_type, "controller");
    assert_eq!(controller.summary.verdict, Verdict::Pass);
    assert_eq!(
        controller.tests.len(),
        hearth_conformance::controller::cases::CASES.len()
    );
    let row = summary["devices"]
        .as_array()
        .and_then(|d| d.last())
        .expect("a row");
    assert_eq!(row["device_type"], "controller", "{summary}");
    assert_eq!(row["verdict"], "pass", "{summary}");
    assert_eq!(row["reports"], CONTROLLER_FOLDER);
    let folder = dir.path().join(CONTROLLER_FOLDER);
    for file in ["report.json", "junit.xml", "report.html", "report.cose"] {
        assert!(folder.join(file).is_file(), "{CONTROLLER_FOLDER}/{file}");
    }
    let cose = std::fs::read(folder.join("report.cose")).expect("report.cose");
    let root = hearth_security::fs::read_cert(&dir.path().join("pki/root.cert")).expect("root");
    let mut trust = hearth_security::TrustStore::new();
    trust.add_root(root).expect("trust anchor");
    let verified =
        hearth_report::signed::verify_report(&cose, &trust, hearth_mqtt::identity::unix_now() + 60)
            .expect("the controller's report verifies");
    assert_eq!(verified.report.run_id, controller.run_id);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).expect("junit.xml");
    assert!(
        junit.contains("TC-CTL-"),
        "the fleet's junit.xml holds the controller"
    );
}
