//! Ctrl-C during a run (`spec/06-conformance.md` §6.2, §10.2): `hearth demo`, interrupted by
//! SIGINT once it has given its first verdict, ends cleanly with the exit status 130 and
//! writes every appliance's reports, marked partial, listing every test case of the catalog
//! (those it did not run with the reason), and unsigned.

mod common;

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{p, start, KillOnDrop};
use hearth_conformance::cases::CASES;
use hearth_conformance::runner::NOT_RUN_INTERRUPTED;
use hearth_report::report::Report;
use hearth_report::verdict::Verdict;

/// The progress line of the demo's first verdict.
const FIRST_VERDICT: &str = "[   1/";

/// The longest the demo may take to give its first verdict before the test gives up.
const START_LIMIT: Duration = Duration::from_secs(600);

#[test]
fn sigint_during_the_demo_writes_partial_unsigned_reports_of_every_case() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("demo");
    let mut child = start(&["demo", "--out", p(&out)], Stdio::null());
    let mut stderr = child.stderr.take().expect("piped stderr");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut demo = KillOnDrop(child);
    // Read the progress (written with carriage returns, not lines) as it comes.
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0
                || tx
                    .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                    .is_err()
            {
                break;
            }
        }
    });
    let mut progress = String::new();
    while !progress.contains(FIRST_VERDICT) {
        match rx.recv_timeout(START_LIMIT) {
            Ok(chunk) => progress.push_str(&chunk),
            Err(e) => panic!("no first verdict ({e}); the demo wrote: {progress}"),
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &demo.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT");
    let mut summary = String::new();
    let _ = stdout.read_to_string(&mut summary);
    let status = demo.0.wait().expect("the demo ends");
    let _ = reader.join();
    progress.extend(rx.try_iter());
    assert_eq!(status.code(), Some(130), "{progress}\n{summary}");
    assert!(progress.contains("interrupted"), "{progress}");

    let folders: Vec<_> = std::fs::read_dir(&out)
        .expect("the output folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|d| d.join("report.json").is_file())
        .collect();
    assert_eq!(
        folders.len(),
        16,
        "a report for every appliance: {folders:?}"
    );
    let mut not_run = 0;
    for folder in &folders {
        let report = Report::from_json(&std::fs::read(folder.join("report.json")).expect("read"))
            .expect("report.json parses");
        let name = folder.display();
        assert!(report.partial, "{name}: partial");
        let ids: Vec<&str> = report.tests.iter().map(|t| t.id.as_str()).collect();
        let catalog: Vec<&str> = CASES.iter().map(|c| c.id).collect();
        assert_eq!(ids, catalog, "{name}: every test case of the catalog");
        for t in &report.tests {
            assert!(
                t.verdict == Verdict::Pass || !t.reason.is_empty(),
                "{name} {}: a reason for every verdict but pass",
                t.id
            );
        }
        not_run += report
            .tests
            .iter()
            .filter(|t| t.verdict == Verdict::Error && t.reason == NOT_RUN_INTERRUPTED)
            .count();
        assert!(folder.join("report.html").is_file(), "{name}: report.html");
        assert!(folder.join("junit.xml").is_file(), "{name}: junit.xml");
        assert!(!folder.join("report.cose").exists(), "{name}: never signed");
    }
    assert!(not_run > 0, "cases listed as not run");
    assert!(out.join("summary.json").is_file());
}
