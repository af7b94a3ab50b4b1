//! `hearth report` end to end, running the built binary: a report signed with the lab key of
//! `hearth pki init` verifies offline, and any changed byte of it does not
//! (`spec/06-conformance.md` §10.5, §10.6).

mod common;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{assert_exit, hearth, p, pki_init, pki_revoke, stderr, stdout, trusting};

/// `hearth report verify FILE --trust ROOT EXTRA...`
fn verify(file: &Path, root: &Path, extra: &[&str]) -> std::process::Output {
    trusting(&["report", "verify"], file, root, extra)
}

use hearth_conformance::report::Report;
use hearth_conformance::signed::sign_report;
use hearth_conformance::trace::rfc3339;
use hearth_security::fs::read_credential;

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The example report of `hearth_report::example` (a result of every verdict, twice),
/// finished a minute ago so that the lab certificate of `pki init` was valid when it was
/// signed.
fn sample_report() -> Report {
    let finished = (now_s() - 60) * 1000;
    let mut report = hearth_report::example::report();
    report.started = rfc3339(finished - 10_000);
    report.finished = rfc3339(finished);
    report
}

fn setup() -> (tempfile::TempDir, Vec<u8>, Vec<u8>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    pki_init(dir);
    let lab = read_credential(&dir.join("lab.cert"), &dir.join("lab.key")).expect("lab");
    let json = sample_report().to_json_bytes();
    let cose =
        sign_report(&json, &lab.key, std::slice::from_ref(&lab.cert), now_s()).expect("sign");
    std::fs::write(dir.join("report.cose"), &cose).expect("write");
    (tmp, json, cose)
}

/// `hearth report sign JSON --key PREFIX.key --cert PREFIX.cert --out OUT`
fn sign(json: &Path, signer: &Path, out: &Path) -> std::process::Output {
    let (key, cert) = (signer.with_extension("key"), signer.with_extension("cert"));
    let args = ["--key", p(&key), "--cert", p(&cert), "--out", p(out)];
    let mut all = vec!["report", "sign", p(json)];
    all.extend(args);
    hearth(&all)
}

// HRT-CONF-093
#[test]
fn verify_signed_report() {
    let (tmp, json, _) = setup();
    let dir = tmp.path();
    let root = dir.join("root.cert");
    let out = dir.join("out");
    let extracted = dir.join("extracted.json");
    let extra = ["--out", p(&out), "--extract", p(&extracted)];
    let o = verify(&dir.join("report.cose"), &root, &extra);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        text.starts_with("valid signed report\nlab       hearth-test-lab"),
        "{text}"
    );
    assert!(text.contains("WM-8 firmware 2.4.1"), "{text}");
    assert!(
        text.contains("counts    pass 2  fail 2  not-applicable 2  inconclusive 2  error 2"),
        "{text}"
    );
    assert!(text.ends_with("verdict   fail\n"), "{text}");
    assert_eq!(std::fs::read(out.join("report.json")).expect("out"), json);
    assert_eq!(std::fs::read(&extracted).expect("extract"), json);

    let o = verify(&dir.join("report.cose"), &root, &["--json", "--at-now"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["valid"], true);
    assert_eq!(v["lab"]["subject"], "hearth-test-lab");
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["counts"]["not-applicable"], 2);
    assert_eq!(v["device"]["model"], "WM-8");
}

// HRT-CONF-090, HRT-CONF-093: any changed byte of the embedded report.json is refused.
#[test]
fn changed_report_is_rejected() {
    let (tmp, json, cose) = setup();
    let dir = tmp.path();
    let root = dir.join("root.cert");
    let start = cose
        .windows(json.len())
        .position(|w| w == json.as_slice())
        .expect("embedded payload");
    let bad = dir.join("bad.cose");
    // The verdict, a count, a byte in the middle, and the final newline.
    let verdict_at = start
        + json
            .windows(b"\"verdict\": \"fail\"".len())
            .position(|w| w == b"\"verdict\": \"fail\"")
            .expect("verdict");
    for pos in [
        start,
        verdict_at + 12,
        start + json.len() / 2,
        start + json.len() - 1,
    ] {
        let mut b = cose.clone();
        b[pos] ^= 0x20;
        std::fs::write(&bad, &b).expect("write");
        let o = verify(&bad, &root, &[]);
        assert_exit(&o, 1, "invalid (step 5, bad_signature)");
    }
    // JSON output names the step.
    let o = verify(&bad, &root, &["--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["valid"], false);
    assert_eq!(v["step"], 5);
    // Truncated, junk, missing file: step 1.
    std::fs::write(&bad, &cose[..cose.len() - 1]).expect("write");
    assert_exit(&verify(&bad, &root, &[]), 1, "invalid (step 1");
    assert_exit(&verify(&dir.join("missing.cose"), &root, &[]), 1, "");
    // Another root: step 3.
    let (signed, other) = (dir.join("report.cose"), dir.join("other"));
    pki_init(&other);
    let o = verify(&signed, &other.join("root.cert"), &[]);
    assert_exit(&o, 1, "invalid (step 3");
    // The lab's key revoked by the root: step 3, whatever the signing time.
    let crl = dir.join("ca.crl");
    pki_revoke(&dir.join("root"), &dir.join("lab.cert"), &crl);
    let o = verify(&signed, &root, &["--crl", p(&crl)]);
    assert_exit(&o, 1, "invalid (step 3, revoked)");
    // Usage error: 64.
    let o = hearth(&["report", "verify", p(&dir.join("report.cose"))]);
    assert_eq!(o.status.code(), Some(64), "{o:?}");
}

// HRT-CONF-090: a report signed with a vendor key is not a lab report.
#[test]
fn sign_command_and_vendor_key() {
    let (tmp, _, _) = setup();
    let dir = tmp.path();
    let json = dir.join("report.json");
    std::fs::write(&json, sample_report().to_json_bytes()).expect("write");
    let signed = dir.join("signed.cose");
    let o = sign(&json, &dir.join("lab"), &signed);
    assert!(o.status.success(), "{o:?}");
    let o = verify(&signed, &dir.join("root.cert"), &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let o = sign(&json, &dir.join("vendor"), &dir.join("vendor.cose"));
    assert_eq!(o.status.code(), Some(4), "{o:?}");
    assert!(stderr(&o).contains("not lab"), "{o:?}");
}

#[test]
fn show_and_render() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let json = dir.join("report.json");
    std::fs::write(&json, sample_report().to_json_bytes()).expect("write");
    let o = hearth(&["report", "show", p(&json)]);
    assert!(o.status.success(), "{o:?}");
    let text = stdout(&o);
    assert!(text.contains("fail          TC-MSG-2.1"), "{text}");
    assert!(text.ends_with("verdict   fail\n"), "{text}");
    let o = hearth(&["report", "show", p(&json), p(&json)]);
    assert!(o.status.success(), "{o:?}");
    assert!(stdout(&o).contains("total (2 devices)"));
    let out = dir.join("out");
    let o = hearth(&["report", "render", p(&json), "--out", p(&out)]);
    assert!(o.status.success(), "{o:?}");
    let x = std::fs::read_to_string(out.join("junit.xml")).expect("junit");
    assert!(
        x.contains("<error message=\"step 2: the device answered busy; the cycle could not be started within cycle_timeout\" type=\"inconclusive\">"),
        "{x}"
    );
    let h = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert!(h.starts_with("<!DOCTYPE html>"));
    assert!(!h.contains("<script"));
}
