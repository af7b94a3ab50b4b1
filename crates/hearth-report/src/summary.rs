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

/// The summary of one report as JSON, the same content as [`render`]: the run (id, suite
/// version, start, end, whether partial), the device, the run verdict with its counts and
/// failed requirements, and every test case that did not pass or not apply with its reason.
pub fn to_json(r: &Report) -> serde_json::Value {
    let d = &r.device;
    let notable: Vec<serde_json::Value> = r
        .tests
        .iter()
        .filter(|t| !matches!(t.verdict, Verdict::Pass | Verdict::NotApplicable))
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "verdict": t.verdict.name(),
                "reason": t.reason,
                "failed_requirements": t.failed_requirements,
            })
        })
        .collect();
    serde_json::json!({
        "run_id": r.run_id,
        "suite_version": r.suite_version,
        "started": r.started,
        "finished": r.finished,
        "partial": r.partial,
        "device": {
            "vendor_id": d.vendor_id,
            "device_id": d.device_id,
            "device_type": d.device_type,
            "vendor": d.vendor,
            "model": d.model,
            "firmware": d.firmware,
        },
        "verdict": r.summary.verdict.name(),
        "counts": r.summary.counts,
        "failed_requirements": r.summary.failed_requirements,
        "not_passed": notable,
    })
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
    if r.tests.iter().any(|t| !t.advisories.is_empty()) {
        out.push('\n');
    }
    for t in &r.tests {
        for a in &t.advisories {
            let line = format!("advisory      {}  {}: {}", t.id, a.requirement, a.note);
            let _ = writeln!(out, "{}", terminal_safe(&line));
        }
    }
    let _ = writeln!(out, "\nverdict   {}", s.verdict.name());
    out
}

/// The verdict of a fleet: the precedence of §6.2 over the run verdicts of its reports.
pub fn fleet_verdict<'a>(reports: impl IntoIterator<Item = &'a Report>) -> Verdict {
    reports
        .into_iter()
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

    pub(crate) use crate::example::report as sample_report;

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

    // HRT-CONF-080: the JSON summary states what the report does.
    #[test]
    fn the_json_summary_is_the_report_s() {
        let r = crate::example::report();
        let j = to_json(&r);
        assert_eq!(j["run_id"], r.run_id.as_str());
        assert_eq!(j["verdict"], r.summary.verdict.name());
        assert_eq!(j["counts"]["pass"], r.summary.counts.pass);
        let notable = r
            .tests
            .iter()
            .filter(|t| !matches!(t.verdict, Verdict::Pass | Verdict::NotApplicable))
            .count();
        assert_eq!(j["not_passed"].as_array().map(Vec::len), Some(notable));
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
