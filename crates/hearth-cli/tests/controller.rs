//! `hearth test --controller` certifies the reference controller through `hearth ctl agent`
//! (spec/08-controllers.md): the suite plays the lab fans on the embedded broker, every
//! `TC-CTL` case passes, a restart included, and the reports are written as a device's are:
//! `report.cose` signed by the lab key of `--pki`, which `hearth report verify` accepts, and
//! none without a lab key, saying so.

mod common;

use std::path::Path;

use common::{command, hearth, p, pki_init};

/// A bench with a test PKI and the statement of the reference controller in `tmp`; the
/// statement's path.
fn bench(tmp: &Path, restartable: bool) -> std::path::PathBuf {
    let bench = tmp.join("bench");
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
restartable = {restartable}
"#,
        version = env!("CARGO_PKG_VERSION"),
        hearth = env!("CARGO_BIN_EXE_hearth"),
        bench = bench.display(),
    );
    let ics = tmp.join("hub.ics.toml");
    std::fs::write(&ics, statement).expect("write the statement");
    ics
}

#[test]
fn the_reference_controller_passes_every_controller_case() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ics = bench(tmp.path(), true);
    let pki = tmp.path().join("bench");
    let out = tmp.path().join("out");
    let run = command()
        .args([
            "test",
            "--controller",
            p(&ics),
            "--pki",
            p(&pki),
            "--out",
            p(&out),
            "--json",
        ])
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
    assert_eq!(report["device"]["device_id"], "hearth-test-controller");
    for file in ["junit.xml", "report.html", "report.cose"] {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    // The lab-signed report verifies against the root, and names the controller.
    let cose = out.join("report.cose");
    let root = pki.join("root.cert");
    let verified = hearth(&["report", "verify", p(&cose), "--trust", p(&root), "--json"]);
    let text = String::from_utf8_lossy(&verified.stdout);
    assert_eq!(verified.status.code(), Some(0), "{text}");
    let verified: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(verified["valid"], true, "{verified:#}");
    assert_eq!(verified["device"]["device_type"], "controller");
    assert_eq!(verified["verdict"], "pass");
    // `hearth report show` shows it as it shows a device's.
    let shown = hearth(&["report", "show", p(&out.join("report.json"))]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(shown.status.code(), Some(0), "{text}");
    assert!(
        text.contains("controller") && text.contains("hearth-test-controller"),
        "{text}"
    );
}

#[test]
fn without_a_lab_key_the_reports_are_written_unsigned_and_the_run_says_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let ics = bench(tmp.path(), false);
    let out = tmp.path().join("out");
    let run = command()
        .args(["test", "--controller", p(&ics), "--out", p(&out)])
        .output()
        .expect("run hearth test");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("report.cose not written: no lab key"),
        "{stderr}"
    );
    for file in ["report.json", "junit.xml", "report.html"] {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    assert!(!out.join("report.cose").exists());
}
