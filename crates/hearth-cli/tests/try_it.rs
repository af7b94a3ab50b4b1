//! The README's "Try it", step by step as a newcomer types it, in a fresh folder: a broker,
//! a test PKI, the example fan, its conformance statement written from its own
//! description, the review of that statement, and the certification run, in which every
//! applicable test case must pass; then the signed report verifies offline.

mod common;

// The example fan, exactly as `cargo run -p hearth-mqtt --example fan` runs it.
#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../../hearth-mqtt/examples/fan.rs"]
mod fan;

use std::path::Path;
use std::process::Output;

use common::{command, embedded_broker, runtime, unique};
use hearth_report::verdict::Verdict;

/// `hearth ARGS` run in `dir`, as the README's commands are typed there.
fn hearth_in(dir: &Path, args: &[&str]) -> Output {
    command()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run hearth")
}

/// `hearth test` in `dir` of the fan's statement `fan.ics.toml` with the PKI folder `pki`,
/// and the arguments `more`.
fn test_fan(dir: &Path, more: &[&str]) -> Output {
    let args = ["test", "--ics", "fan.ics.toml", "--pki", "pki"];
    hearth_in(dir, &[&args[..], more].concat())
}

fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

// HRT-CONF-018, HRT-CONF-047, HRT-CONF-065
#[test]
fn the_readme_certifies_its_own_example_fan() {
    // The README starts `hearth broker`, a broker of MQTT 3.1.1 only, so that TC-MQTT-6.1
    // can show the device needs nothing more: so does this test, on any CI broker.
    let (url, _broker) = embedded_broker();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let id = unique("fan");
    let addr = format!("fff1/{id}");

    ok(&hearth_in(dir, &["pki", "init", "--dir", "pki"]));
    let rt = runtime();
    let device = {
        let _guard = rt.enter();
        fan::start(&url.parse().expect("broker URL"), &dir.join("pki"), &id).expect("the fan")
    };

    ok(&hearth_in(
        dir,
        &[
            "ctl",
            "--broker",
            &url,
            "--pki",
            "pki",
            "write",
            &addr,
            "0/fan-control/level",
            "3",
        ],
    ));
    ok(&hearth_in(
        dir,
        &[
            "ics",
            "init",
            "--from-description",
            &addr,
            "--broker",
            &url,
            "--pki",
            "pki",
            "--actuation",
            "power,modes,settings",
            "--out",
            "fan.ics.toml",
        ],
    ));
    let review = ok(&hearth_in(
        dir,
        &["test", "--check-ics", "--ics", "fan.ics.toml"],
    ));
    assert!(review.contains("fan.ics.toml: valid"), "{review}");

    let run = test_fan(dir, &["--out", "report"]);
    let report = std::fs::read(dir.join("report").join("report.json")).expect("report.json");
    let report: serde_json::Value = serde_json::from_slice(&report).expect("JSON");
    let tests = report["tests"].as_array().expect("tests");
    let not_passed: Vec<String> = tests
        .iter()
        .filter(|t| {
            t["verdict"] != Verdict::Pass.name() && t["verdict"] != Verdict::NotApplicable.name()
        })
        .map(|t| format!("{} {}: {}", t["id"], t["verdict"], t["reason"]))
        .collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
    let passed = tests
        .iter()
        .filter(|t| t["verdict"] == Verdict::Pass.name())
        .count();
    assert!(passed >= 40, "only {passed} test cases applied");
    assert_eq!(report["summary"]["verdict"], "pass");
    ok(&run);
    // Progress on a stream that is not a terminal: one plain line per case, the count done
    // of the total and the time, no carriage return, no colour (HRT-CONF-064).
    let progress = String::from_utf8_lossy(&run.stderr);
    assert!(
        !progress.contains('\r') && !progress.contains('\x1b'),
        "{progress}"
    );
    let total = tests.len();
    assert!(progress.contains(&format!("[   1/{total}] ")), "{progress}");
    assert!(
        progress.contains(&format!("[{total:>4}/{total}] ")),
        "{progress}"
    );

    // The summary as JSON, of a partial run.
    let partial = ok(&test_fan(dir, &["--only", "TC-MOD-1.1", "--json"]));
    let partial: serde_json::Value = serde_json::from_str(&partial).expect("JSON");
    assert_eq!(partial["verdict"], "pass", "{partial}");
    assert_eq!(partial["partial"], true, "{partial}");
    assert_eq!(partial["counts"]["pass"], 1, "{partial}");

    ok(&hearth_in(
        dir,
        &[
            "report",
            "verify",
            "report/report.cose",
            "--trust",
            "pki/root.cert",
        ],
    ));
    rt.block_on(device.shutdown());
}
