//! The terminal summary of a report, and the table of a fleet of reports
//! (`spec/06-conformance.md` §10.1).
//!
//! Both are rendered from [`Report`] alone (HRT-CONF-080): the run verdict is the report's
//! `summary.verdict`, the counts are its `summary.counts`, and every reason is a test
//! result's `reason`, so the terminal never states what `report.json` does not. Text taken
//! from a report is made safe for a terminal: control characters (escape sequences, line
//! breaks) and bidirectional overrides are replaced by a space, so that a report received
//! from elsewhere cannot rewrite the screen.

use std::fmt::Write as _;

use crate::report::{Counts, Report, TestResult};
use crate::verdict::Verdict;

/// Verdicts in the order a summary lists them: the run-verdict precedence of §6.2, then
/// `pass` and `not-applicable`.
pub const VERDICT_ORDER: [Verdict; 5] = [
    Verdict::Fail,
    Verdict::Error,
    Verdict::Inconclusive,
    Verdict::Pass,
    Verdict::NotApplicable,
];

/// Position of a verdict in [`VERDICT_ORDER`] (failing first).
pub fn verdict_rank(v: Verdict) -> usize {
    VERDICT_ORDER.iter().position(|x| *x == v).unwrap_or(0)
}

/// Text from a report, safe to print on a terminal: every control character and
/// bidirectional formatting character becomes a space.
pub fn terminal_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
            {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The counts as one line: `pass 3  fail 1  not-applicable 1  inconclusive 0  error 0`.
pub fn counts_line(c: &Counts) -> String {
    format!(
        "pass {}  fail {}  not-applicable {}  inconclusive {}  error {}",
        c.pass, c.fail, c.not_applicable, c.inconclusive, c.error
    )
}

/// The device in one line: vendor, model, firmware, type and ids.
pub fn device_line(r: &Report) -> String {
    let d = &r.device;
    terminal_safe(&format!(
        "{} {} firmware {} ({}, device id {}, vendor id {})",
        d.vendor, d.model, d.firmware, d.device_type, d.device_id, d.vendor_id
    ))
}

/// The terminal summary of one report: run and device, run verdict and counts, the failed
/// requirements, then every test case that did not pass or not apply with its reason, and
/// every advisory.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let s = &r.summary;
    let _ = writeln!(
        out,
        "Hearth conformance report: run {} (suite {}, spec {})",
        terminal_safe(&r.run_id),
        terminal_safe(&r.suite_version),
        terminal_safe(&r.spec_version)
    );
    let _ = writeln!(out, "device    {}", device_line(r));
    let _ = writeln!(out, "ics       sha256 {}", terminal_safe(&r.ics.sha256));
    let _ = writeln!(
        out,
        "run       {} to {}, broker {}",
        terminal_safe(&r.started),
        terminal_safe(&r.finished),
        terminal_safe(&r.environment.broker)
    );
    if r.partial {
        let _ = writeln!(
            out,
            "partial   yes: test cases were left out (by selection, or the run was interrupted); this run certifies nothing"
        );
    }
    if !r.spec_parameters {
        let _ = writeln!(
            out,
            "note      parameters differ from the values the specification sets"
        );
    }
    let _ = writeln!(out, "counts    {}", counts_line(&s.counts));
    if !s.failed_requirements.is_empty() {
        let _ = writeln!(
            out,
            "failed    {}",
            terminal_safe(&s.failed_requirements.join(", "))
        );
    }
    let mut listed: Vec<&TestResult> = r
        .tests
        .iter()
        .filter(|t| {
            matches!(
                t.verdict,
                Verdict::Fail | Verdict::Error | Verdict::Inconclusive
            )
        })
        .collect();
    listed.sort_by_key(|t| verdict_rank(t.verdict));
    if !listed.is_empty() {
        out.push('\n');
    }
    for t in listed {
        let _ = writeln!(
            out,
            "{:<13} {}  {}",
            t.verdict.name(),
            terminal_safe(&t.id),
            terminal_safe(&t.title)
        );
        let _ = writeln!(out, "{:<13} {}", "", terminal_safe(&t.reason));
        if !t.failed_requirements.is_empty() {
            let _ = writeln!(
                out,
                "{:<13} broken: {}",
                "",
                terminal_safe(&t.failed_requirements.join(", "))
            );
        }
    }
    let advisories: Vec<_> = r
        .tests
        .iter()
        .flat_map(|t| t.advisories.iter().map(move |a| (t, a)))
        .collect();
    if !advisories.is_empty() {
        out.push('\n');
        for (t, a) in advisories {
            let _ = writeln!(
                out,
                "advisory      {}  {}: {}",
                terminal_safe(&t.id),
                terminal_safe(&a.requirement),
                terminal_safe(&a.note)
            );
        }
    }
    let _ = writeln!(out, "\nverdict   {}", s.verdict.name());
    out
}

/// The verdict of a fleet: the precedence of §6.2 over the run verdicts of its reports.
pub fn fleet_verdict(reports: &[Report]) -> Verdict {
    reports
        .iter()
        .map(|r| r.summary.verdict)
        .min_by_key(|v| verdict_rank(*v))
        .map_or(Verdict::Pass, |v| {
            if v == Verdict::NotApplicable {
                Verdict::Pass
            } else {
                v
            }
        })
}

/// The table of a fleet: one row per report with device id, device type, vendor, run verdict
/// and counts, a total row, and the fleet's verdict ([`fleet_verdict`]).
pub fn render_fleet(reports: &[Report]) -> String {
    let header = [
        "device", "type", "vendor", "verdict", "pass", "fail", "n/a", "inconcl", "error",
    ];
    let mut rows: Vec<[String; 9]> = Vec::with_capacity(reports.len() + 1);
    let mut total = Counts::default();
    for r in reports {
        let c = &r.summary.counts;
        total.pass += c.pass;
        total.fail += c.fail;
        total.not_applicable += c.not_applicable;
        total.inconclusive += c.inconclusive;
        total.error += c.error;
        rows.push([
            terminal_safe(&r.device.device_id),
            terminal_safe(&r.device.device_type),
            terminal_safe(&r.device.vendor),
            r.summary.verdict.name().to_owned(),
            c.pass.to_string(),
            c.fail.to_string(),
            c.not_applicable.to_string(),
            c.inconclusive.to_string(),
            c.error.to_string(),
        ]);
    }
    rows.push([
        format!("total ({} devices)", reports.len()),
        String::new(),
        String::new(),
        fleet_verdict(reports).name().to_owned(),
        total.pass.to_string(),
        total.fail.to_string(),
        total.not_applicable.to_string(),
        total.inconclusive.to_string(),
        total.error.to_string(),
    ]);
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            if i >= 4 {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        s.trim_end().to_owned()
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", line(&header.map(str::to_owned)));
    let total_row = rows.len() - 1;
    for (i, row) in rows.iter().enumerate() {
        if i == total_row {
            let _ = writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 16));
        }
        let _ = writeln!(out, "{}", line(row));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::{run_verdict, Advisory, DeviceInfo, Environment, IcsText, Step, Summary};
    use crate::trace::{Direction, TraceEntry};

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

    /// A small report with two test results of each verdict, one with an advisory, and
    /// text that needs escaping in every format.
    pub(crate) fn sample_report() -> Report {
        let mut tests = vec![
            result("TC-MOD-1.1", "Description is signed", &["HRT-MOD-001"], Verdict::Pass, "", &[], 0),
            result("TC-MOD-1.2", "Device id <well-formed> & \"quoted\"", &["HRT-MOD-002"], Verdict::Pass, "", &[], 3),
            result(
                "TC-MSG-2.1",
                "Write is reported",
                &["HRT-MSG-056", "HRT-MSG-057"],
                Verdict::Fail,
                "HRT-MSG-056: no report within 2000 ms after the write-response <ok> & done",
                &["HRT-MSG-056"],
                6,
            ),
            result("TC-MSG-2.2", "Read returns the value", &["HRT-MSG-040"], Verdict::Fail, "HRT-MSG-040: read-response carried 'off' where 'on' was written", &["HRT-MSG-040"], 9),
            result("TC-BEH-1.1", "Door lock", &["HRT-MOD-010"], Verdict::NotApplicable, "the ICS does not allow opening the door", &[], 0),
            result("TC-BEH-1.2", "Child lock", &["HRT-MOD-011"], Verdict::NotApplicable, "the device has no child-lock feature", &[], 0),
            result("TC-SEC-3.1", "Bad signature dropped", &["HRT-SEC-030"], Verdict::Inconclusive, "step 2: the device answered busy; the cycle could not be started within cycle_timeout", &[], 12),
            result("TC-SEC-3.2", "Replay dropped", &["HRT-SEC-031"], Verdict::Inconclusive, "step 1: the appliance was operated at its panel", &[], 15),
            result("TC-ROB-1.1", "Junk ignored", &["HRT-SEC-030"], Verdict::Error, "broker: connection refused at mqtt://127.0.0.1:1883", &[], 18),
            result("TC-ROB-1.2", "Oversize ignored", &["HRT-MSG-030"], Verdict::Error, "test_timeout of 60000 ms exceeded in step 2", &[], 21),
        ];
        tests[0].advisories.push(Advisory {
            requirement: "HRT-MSG-057".into(),
            note: "the report arrived after 1.8 s; recommended within 1 s".into(),
        });
        tests.sort_by(|a, b| a.id.cmp(&b.id));
        let mut counts = Counts::default();
        for t in &tests {
            counts.add(t.verdict);
        }
        let mut failed: Vec<String> = tests
            .iter()
            .flat_map(|t| t.failed_requirements.clone())
            .collect();
        failed.sort();
        failed.dedup();
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
            summary: Summary {
                verdict: run_verdict(&counts),
                counts,
                failed_requirements: failed,
            },
            tests,
        }
    }

    #[test]
    fn sample_has_each_verdict_twice() {
        let r = sample_report();
        assert_eq!(
            r.summary.counts,
            Counts {
                pass: 2,
                fail: 2,
                not_applicable: 2,
                inconclusive: 2,
                error: 2
            }
        );
        assert_eq!(r.summary.verdict, Verdict::Fail);
        assert_eq!(Report::from_json(&r.to_json_bytes()).expect("parse"), r);
    }

    // HRT-CONF-080, HRT-CONF-046
    #[test]
    fn summary_states_the_report() {
        let r = sample_report();
        let s = render(&r);
        assert!(s.ends_with("\nverdict   fail\n"), "{s}");
        assert!(s.contains("counts    pass 2  fail 2  not-applicable 2  inconclusive 2  error 2"));
        assert!(s.contains("failed    HRT-MSG-040, HRT-MSG-056"));
        // Failing first, then error, then inconclusive; pass and not-applicable not listed.
        let pos = |needle: &str| s.find(needle).unwrap_or(usize::MAX);
        assert!(pos("fail          TC-MSG-2.1") < pos("error         TC-ROB-1.1"));
        assert!(pos("error         TC-ROB-1.2") < pos("inconclusive  TC-SEC-3.1"));
        assert_eq!(pos("TC-MOD-1.2"), usize::MAX);
        for t in r
            .tests
            .iter()
            .filter(|t| t.verdict != Verdict::Pass && t.verdict != Verdict::NotApplicable)
        {
            assert!(s.contains(&t.reason), "{}", t.id);
        }
        assert!(s.contains("advisory      TC-MOD-1.1  HRT-MSG-057: the report arrived"));
        assert!(!s.contains("partial"));
        let mut p = r.clone();
        p.partial = true;
        assert!(render(&p).contains("partial   yes"));
        assert_eq!(render(&r), s, "deterministic");
    }

    #[test]
    fn terminal_escapes_neutralised() {
        let mut r = sample_report();
        r.device.model = "WM\u{1b}[2J-8\n\u{202e}x".into();
        r.tests[4].reason = "a\rb".into();
        let s = render(&r);
        assert!(!s.contains('\u{1b}'));
        assert!(!s.contains('\u{202e}'));
        assert!(!s.contains('\r'));
        assert!(s.contains("WM [2J-8  x"));
    }

    #[test]
    fn fleet_table() {
        let a = sample_report();
        let mut b = sample_report();
        b.device.device_id = "fridge-0001".into();
        b.device.device_type = "refrigerator".into();
        b.device.vendor = "Frost".into();
        b.summary.verdict = Verdict::Pass;
        b.summary.counts = Counts {
            pass: 8,
            not_applicable: 2,
            ..Counts::default()
        };
        let t = render_fleet(&[a.clone(), b.clone()]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(lines[0].starts_with("device"));
        assert!(lines[1].starts_with("wm8-0001"));
        assert!(lines[1].contains("washing-machine"));
        assert!(lines[1].contains("fail"));
        assert!(lines[2].starts_with("fridge-0001"));
        assert!(lines[2].contains("pass"));
        assert!(lines[4].starts_with("total (2 devices)"));
        assert!(lines[4].contains(" fail "));
        assert_eq!(fleet_verdict(&[b.clone()]), Verdict::Pass);
        assert_eq!(fleet_verdict(&[]), Verdict::Pass);
        assert_eq!(fleet_verdict(&[b, a]), Verdict::Fail);
        // Columns line up: every row has the verdict column at the same offset.
        let col = lines[0].find("verdict").expect("verdict column");
        assert_eq!(&lines[1][col..col + 4], "fail");
    }
}
