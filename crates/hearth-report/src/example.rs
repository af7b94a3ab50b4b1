//! A complete example report, with a result of every verdict: what the renderers' tests and
//! the command line's tests read, and a starting point for a tool that reads reports.

use crate::report::{
    Advisory, DeviceInfo, Environment, IcsText, Report, Step, Summary, TestResult,
};
use crate::trace::{Direction, TraceEntry};
use crate::verdict::Verdict;

fn entry(seq: usize, direction: Direction, kind: &str, summary: &str) -> TraceEntry {
    let note = direction == Direction::Note;
    TraceEntry {
        seq,
        time: format!(
            "2026-11-27T14:03:{:02}.{:03}Z",
            12 + seq / 10,
            seq * 7 % 1000
        ),
        direction,
        topic: if note {
            String::new()
        } else {
            "hearth/fff1/wm8-0001/report".into()
        },
        qos: if note { 0 } else { 1 },
        retain: false,
        kind: kind.into(),
        summary: summary.into(),
        check: if direction == Direction::In {
            "ok".into()
        } else {
            String::new()
        },
        size: if note { 0 } else { 6 },
        sha256: if note {
            String::new()
        } else {
            "9c0d1a1b6e8a76bd3b2a5d6c4f3e9c0d1a1b6e8a76bd3b2a5d6c4f3e9c0d1a1b".into()
        },
        hex: if note {
            String::new()
        } else {
            "d28443a10126".into()
        },
        unix_ms: 0,
    }
}

#[allow(clippy::too_many_arguments)]
fn result(
    id: &str,
    title: &str,
    requirements: &[&str],
    verdict: Verdict,
    reason: &str,
    failed: &[&str],
    first_seq: usize,
) -> TestResult {
    let evidence = if verdict == Verdict::NotApplicable {
        Vec::new()
    } else {
        vec![
            entry(
                first_seq,
                Direction::Note,
                "note",
                "step 1: write cycle <start> & wait",
            ),
            entry(
                first_seq + 1,
                Direction::Out,
                "write",
                "write 7/1 = \"start\"",
            ),
            entry(first_seq + 2, Direction::In, "write-response", "status ok"),
        ]
    };
    TestResult {
        id: id.into(),
        title: title.into(),
        requirements: requirements.iter().map(|s| (*s).to_owned()).collect(),
        verdict,
        reason: reason.into(),
        failed_requirements: failed.iter().map(|s| (*s).to_owned()).collect(),
        advisories: Vec::new(),
        started: "2026-11-27T14:03:12.481Z".into(),
        duration_ms: 1234,
        steps: vec![
            Step {
                number: 1,
                text: "Write the cycle".into(),
                outcome: "done".into(),
            },
            Step {
                number: 2,
                text: "Wait for the report".into(),
                outcome: if verdict == Verdict::Pass {
                    "done".into()
                } else {
                    "failed".into()
                },
            },
        ],
        violations: if verdict == Verdict::Fail {
            vec![first_seq + 2]
        } else {
            Vec::new()
        },
        evidence,
    }
}

/// A small complete report of a made-up washing machine: two test results of each
/// verdict, one with an advisory, evidence, and text that needs escaping in every format.
pub fn report() -> Report {
    let mut tests = vec![
        result(
            "TC-MOD-1.1",
            "Description is signed",
            &["HRT-MOD-001"],
            Verdict::Pass,
            "",
            &[],
            0,
        ),
        result(
            "TC-MOD-1.2",
            "Device id <well-formed> & \"quoted\"",
            &["HRT-MOD-002"],
            Verdict::Pass,
            "",
            &[],
            3,
        ),
        result(
            "TC-MSG-2.1",
            "Write is reported",
            &["HRT-MSG-056", "HRT-MSG-057"],
            Verdict::Fail,
            "HRT-MSG-056: no report within 2000 ms after the write-response <ok> & done",
            &["HRT-MSG-056"],
            6,
        ),
        result(
            "TC-MSG-2.2",
            "Read returns the value",
            &["HRT-MSG-040"],
            Verdict::Fail,
            "HRT-MSG-040: read-response carried 'off' where 'on' was written",
            &["HRT-MSG-040"],
            9,
        ),
        result(
            "TC-BEH-1.1",
            "Door lock",
            &["HRT-MOD-010"],
            Verdict::NotApplicable,
            "the ICS does not allow opening the door",
            &[],
            0,
        ),
        result(
            "TC-BEH-1.2",
            "Child lock",
            &["HRT-MOD-011"],
            Verdict::NotApplicable,
            "the device has no child-lock feature",
            &[],
            0,
        ),
        result(
            "TC-SEC-3.1",
            "Bad signature dropped",
            &["HRT-SEC-030"],
            Verdict::Inconclusive,
            "step 2: the device answered busy; the cycle could not be started within cycle_timeout",
            &[],
            12,
        ),
        result(
            "TC-SEC-3.2",
            "Replay dropped",
            &["HRT-SEC-031"],
            Verdict::Inconclusive,
            "step 1: the appliance was operated at its panel",
            &[],
            15,
        ),
        result(
            "TC-ROB-1.1",
            "Junk ignored",
            &["HRT-SEC-030"],
            Verdict::Error,
            "broker: connection refused at mqtt://127.0.0.1:1883",
            &[],
            18,
        ),
        result(
            "TC-ROB-1.2",
            "Oversize ignored",
            &["HRT-MSG-030"],
            Verdict::Error,
            "test_timeout of 60000 ms exceeded in step 2",
            &[],
            21,
        ),
    ];
    tests[0].advisories.push(Advisory {
        requirement: "HRT-MSG-057".into(),
        note: "the report arrived after 1.8 s; recommended within 1 s".into(),
    });
    tests.sort_by(|a, b| a.id.cmp(&b.id));
    Report {
        format: "hearth-report".into(),
        format_version: 1,
        suite_version: "0.1.0".into(),
        spec_version: "1.0".into(),
        catalog_hash: format!("sha256:{}", "ab".repeat(32)),
        requirements_hash: format!("sha256:{}", "cd".repeat(32)),
        run_id: "0123456789abcdef0123456789abcdef".into(),
        started: "2026-11-27T14:03:12.481Z".into(),
        finished: "2026-11-27T14:03:12.999Z".into(),
        partial: false,
        seed: "18446744073709551615".into(),
        environment: Environment {
            broker: "embedded".into(),
            topic_root: "hearth".into(),
            host: "linux x86_64".into(),
        },
        parameters: [
            ("response_timeout".to_owned(), serde_json::json!(2000)),
            ("seed".to_owned(), serde_json::json!("18446744073709551615")),
        ]
        .into_iter()
        .collect(),
        spec_parameters: true,
        device: DeviceInfo {
            vendor_id: "fff1".into(),
            device_id: "wm8-0001".into(),
            device_type: "washing-machine".into(),
            vendor: "Acme <Appliances> & Co".into(),
            model: "WM-8".into(),
            firmware: "2.4.1".into(),
            key_id: "00112233445566778899aabbccddeeff".into(),
            certificate_chain: vec!["d284".into()],
            description_sha256: "ef".repeat(32),
        },
        ics: IcsText {
            text: "[device]\nvendor-id = 0xfff1\n".into(),
            sha256: "12".repeat(32),
        },
        summary: Summary::of(&tests),
        tests,
    }
}
