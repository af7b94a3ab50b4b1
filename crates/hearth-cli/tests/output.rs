//! Output conventions, running the built binary: `--json` from the same data as the text,
//! the whole coverage matrix, and a reader that stops early (`hearth coverage | head`) ends
//! the command quietly.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{command, hearth, p, pki_init, stdout};

fn json(o: &std::process::Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"))
}

#[test]
fn coverage_shows_every_requirement() {
    let matrix = json(&hearth(&["coverage", "--json"]));
    let rows = matrix["rows"].as_array().expect("rows");
    let total = matrix["summary"]["mandatory"]["total"]
        .as_u64()
        .unwrap_or(0)
        + matrix["summary"]["other"]["total"].as_u64().unwrap_or(0);
    assert_eq!(rows.len() as u64, total);
    assert!(rows.len() > 300, "{}", rows.len());
    let text = stdout(&hearth(&["coverage"]));
    for row in rows {
        let id = row["requirement"]["id"].as_str().expect("id");
        assert!(text.contains(&format!("{id} ")), "{id} in the matrix");
    }
    assert!(text.contains("HRT-CONF-047 "), "{text}");
    assert!(text.contains("mandatory requirements:"), "{text}");
    let md = stdout(&hearth(&["coverage", "--markdown"]));
    assert!(md.starts_with("# Conformance coverage"), "{md}");
}

/// A reader that takes one line and goes: no panic, no error, exit 0.
#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    for args in [
        &["coverage"][..],
        &["coverage", "--markdown"],
        &["test", "--list", "--markdown"],
        &["catalog", "--markdown"],
    ] {
        let mut child = command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start hearth");
        let out = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(out).read_line(&mut first).expect("a line");
        // The reader is dropped here, as `head -1` exits.
        let o = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[test]
fn pki_show_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    pki_init(dir);
    let show = |file: &str| json(&hearth(&["pki", "show", "--json", p(&dir.join(file))]));
    let cert = show("vendor.cert");
    assert_eq!(cert["kind"], "certificate", "{cert}");
    assert_eq!(cert["vendor_id"], "fff1", "{cert}");
    assert_eq!(cert["role"], "vendor", "{cert}");
    let chain = show("view.chain");
    assert_eq!(chain["kind"], "chain", "{chain}");
    assert_eq!(chain["certificates"].as_array().map(Vec::len), Some(2));
    assert_eq!(chain["certificates"][0]["subject"], "hearth-lab-view");
    let key = show("view.key");
    assert_eq!(key["kind"], "key", "{key}");
    assert_eq!(key["key_id"], chain["certificates"][0]["key_id"], "{key}");
    assert!(!key.to_string().contains("\"d\""), "no private key: {key}");
}

#[test]
fn report_show_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let report = hearth_report::example::report();
    let file = tmp.path().join("report.json");
    std::fs::write(&file, report.to_json_bytes()).expect("write");
    let one = json(&hearth(&["report", "show", "--json", p(&file)]));
    assert_eq!(one["run_id"], report.run_id.as_str());
    assert_eq!(one["verdict"], report.summary.verdict.name());
    assert_eq!(one["device"]["vendor_id"], report.device.vendor_id.as_str());
    let two = json(&hearth(&["report", "show", "--json", p(&file), p(&file)]));
    assert_eq!(two["reports"].as_array().map(Vec::len), Some(2));
}
