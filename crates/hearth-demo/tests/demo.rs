//! The suite against the simulated fleet: every conforming appliance passes.

use hearth_demo::demo::{run_demo, DemoConfig};
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
}
