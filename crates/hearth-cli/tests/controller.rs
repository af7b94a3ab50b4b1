//! `hearth test --controller` certifies the reference controller through `hearth ctl agent`
//! (spec/08-controllers.md): the suite plays the lab fans on the embedded broker, every
//! `TC-CTL` case passes, a restart included, and the reports are written.

mod common;

use common::{command, p, pki_init};

#[test]
fn the_reference_controller_passes_every_controller_case() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bench = tmp.path().join("bench");
    std::fs::create_dir_all(&bench).expect("bench folder");
    pki_init(&bench);
    let statement = format!(
        r#"[controller]
id = "hearth-test-controller"
vendor = "Hearth"
product = "hearth ctl"
firmware = "{version}"
chain = "bench/controller.cert"
root = "bench/root.cert"

[agent]
command = ["{hearth}", "ctl", "--broker", "{{broker}}", "--root", "{{root}}", "--pki", "{bench}", "--trust", "{{trust}}", "agent"]
restartable = true
"#,
        version = env!("CARGO_PKG_VERSION"),
        hearth = env!("CARGO_BIN_EXE_hearth"),
        bench = bench.display(),
    );
    let ics = tmp.path().join("hub.ics.toml");
    std::fs::write(&ics, statement).expect("write the statement");
    let out = tmp.path().join("out");
    let run = command()
        .args(["test", "--controller", p(&ics), "--out", p(&out), "--json"])
        .output()
        .expect("run hearth test");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("the summary is JSON");
    assert_eq!(summary["verdict"], "pass", "{summary:#}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
            .expect("report.json is JSON");
    let tests = report["tests"].as_array().expect("tests");
    assert!(tests.iter().all(|t| t["verdict"] == "pass"), "{tests:#?}");
    let ids: Vec<&str> = tests.iter().filter_map(|t| t["id"].as_str()).collect();
    assert!(
        ids.contains(&"TC-CTL-1.6") && ids.contains(&"TC-CTL-2.2"),
        "{ids:?}"
    );
    assert_eq!(report["device"]["device_type"], "controller");
}
