//! `junit.xml` (`spec/06-conformance.md` §10.3), rendered from a [`Report`] alone
//! (HRT-CONF-080).
//!
//! One `testsuites` element with one `testsuite` per area (`MOD`, `SEC`, …) in the order the
//! areas first appear in the report, one `testcase` per test result with `name` = identifier
//! and title, `classname` = `hearth.` and the area, and `time` in seconds with millisecond
//! precision. Verdicts map as §10.3 says:
//!
//! | verdict | element in `testcase` |
//! |---|---|
//! | `pass` | none |
//! | `fail` | `failure` with `message` = the reason, `type` = the failed requirement identifiers (space-separated) |
//! | `not-applicable` | `skipped` with `message` = the reason |
//! | `inconclusive` | `error` with `type="inconclusive"`, `message` = the reason |
//! | `error` | `error` with `type="error"`, `message` = the reason |
//!
//! so that `inconclusive` and `error` are never a passed or skipped test (HRT-CONF-082).
//! Each `testcase` carries a `properties` element with one `property name="requirement"` per
//! requirement identifier (and one `property name="advisory"` per advisory, next to the
//! verdict, HRT-CONF-043), and a `system-out` with the one-line summaries of its evidence.
//! Each `testsuite` carries the run's properties (run id, run verdict, device, ICS hash), so
//! the run verdict is in this format too (HRT-CONF-046).
//!
//! A fleet ([`render_fleet`], for `hearth demo`) puts the suites of every device into one
//! `testsuites` element: one `testsuite` per device and area, named `<device id> <area>`,
//! with the same class names, so that each device's results stay apart.
//!
//! Text is escaped for XML 1.0: `&`, `<`, `>`, `"`, `'` as entities; in attributes also tab,
//! line feed and carriage return as character references, so that they survive attribute
//! normalisation; characters that XML 1.0 cannot carry at all (other control characters,
//! U+FFFE, U+FFFF) become U+FFFD. The output depends only on the report: same report, same
//! bytes.

use std::fmt::Write as _;

use crate::markup::escape_markup;
use crate::report::{Counts, Report, TestResult};
use crate::verdict::Verdict;

/// Escape text for an XML 1.0 attribute value (in double quotes).
pub fn escape_attr(s: &str) -> String {
    let entity = |c| match c {
        '"' => Some("&quot;"),
        '\'' => Some("&apos;"),
        '\t' => Some("&#9;"),
        '\n' => Some("&#10;"),
        '\r' => Some("&#13;"),
        _ => None,
    };
    escape_markup(s, entity, xml_char)
}

/// Escape text for XML 1.0 character data.
pub fn escape_text(s: &str) -> String {
    escape_markup(s, |c| (c == '\r').then_some("&#13;"), xml_char)
}

/// A character XML 1.0 can carry, or U+FFFD.
fn xml_char(c: char) -> char {
    let ok = matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
        || matches!(c, '\t' | '\n' | '\r');
    if ok {
        c
    } else {
        '\u{FFFD}'
    }
}

/// The area of a test case identifier `TC-<AREA>-<n>.<m>` (`MOD`, `SEC`, …), or `OTHER`.
pub fn area(id: &str) -> &str {
    id.strip_prefix("TC-")
        .and_then(|rest| rest.split('-').next())
        .filter(|a| !a.is_empty())
        .unwrap_or("OTHER")
}

/// Milliseconds as seconds with three decimals, without floating point.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// `junit.xml` of one report.
pub fn render(report: &Report) -> String {
    render_suites(std::slice::from_ref(report), false)
}

/// One `junit.xml` for a fleet of reports (one per device).
pub fn render_fleet(reports: &[Report]) -> String {
    render_suites(reports, true)
}

struct Totals {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    ms: u64,
}

fn totals<'a>(tests: impl IntoIterator<Item = &'a TestResult>) -> Totals {
    let mut t = Totals {
        tests: 0,
        failures: 0,
        errors: 0,
        skipped: 0,
        ms: 0,
    };
    for r in tests {
        t.tests += 1;
        t.ms = t.ms.saturating_add(r.duration_ms);
        match r.verdict {
            Verdict::Pass => {}
            Verdict::Fail => t.failures += 1,
            Verdict::NotApplicable => t.skipped += 1,
            Verdict::Inconclusive | Verdict::Error => t.errors += 1,
        }
    }
    t
}

fn counts_attrs(t: &Totals) -> String {
    format!(
        "tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"",
        t.tests,
        t.failures,
        t.errors,
        t.skipped,
        seconds(t.ms)
    )
}

fn render_suites(reports: &[Report], fleet: bool) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let all = totals(reports.iter().flat_map(|r| r.tests.iter()));
    let name = match reports {
        [one] if !fleet => format!("hearth {}", one.device.device_id),
        _ => format!("hearth fleet of {}", reports.len()),
    };
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" {}>",
        escape_attr(&name),
        counts_attrs(&all)
    );
    for report in reports {
        let mut areas: Vec<&str> = Vec::new();
        for t in &report.tests {
            let a = area(&t.id);
            if !areas.contains(&a) {
                areas.push(a);
            }
        }
        for a in areas {
            suite(&mut out, report, a, fleet);
        }
    }
    out.push_str("</testsuites>\n");
    out
}

fn property(out: &mut String, indent: &str, name: &str, value: &str) {
    let _ = writeln!(
        out,
        "{indent}<property name=\"{}\" value=\"{}\"/>",
        escape_attr(name),
        escape_attr(value)
    );
}

fn suite(out: &mut String, report: &Report, area_name: &str, fleet: bool) {
    let tests: Vec<&TestResult> = report
        .tests
        .iter()
        .filter(|t| area(&t.id) == area_name)
        .collect();
    let t = totals(tests.iter().copied());
    let name = if fleet {
        format!("{} {area_name}", report.device.device_id)
    } else {
        area_name.to_owned()
    };
    // JUnit's timestamp is an ISO 8601 time without zone.
    let timestamp: String = report.started.chars().take(19).collect();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" {} timestamp=\"{}\" hostname=\"{}\">",
        escape_attr(&name),
        counts_attrs(&t),
        escape_attr(&timestamp),
        escape_attr(&report.environment.host)
    );
    out.push_str("    <properties>\n");
    let d = &report.device;
    let c: &Counts = &report.summary.counts;
    for (k, v) in [
        ("run_id", report.run_id.as_str()),
        ("run_verdict", report.summary.verdict.name()),
        ("partial", if report.partial { "true" } else { "false" }),
        ("suite_version", report.suite_version.as_str()),
        ("spec_version", report.spec_version.as_str()),
        ("device_id", d.device_id.as_str()),
        ("device_type", d.device_type.as_str()),
        ("vendor_id", d.vendor_id.as_str()),
        ("vendor", d.vendor.as_str()),
        ("model", d.model.as_str()),
        ("firmware", d.firmware.as_str()),
        ("ics_sha256", report.ics.sha256.as_str()),
    ] {
        property(out, "      ", k, v);
    }
    property(out, "      ", "run_counts", &crate::summary::counts_line(c));
    out.push_str("    </properties>\n");
    for t in tests {
        testcase(out, area_name, t);
    }
    out.push_str("  </testsuite>\n");
}

fn testcase(out: &mut String, area_name: &str, t: &TestResult) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"hearth.{}\" time=\"{}\">",
        escape_attr(&format!("{} {}", t.id, t.title)),
        escape_attr(area_name),
        seconds(t.duration_ms)
    );
    out.push_str("      <properties>\n");
    for r in &t.requirements {
        property(out, "        ", "requirement", r);
    }
    property(out, "        ", "verdict", t.verdict.name());
    for a in &t.advisories {
        property(
            out,
            "        ",
            "advisory",
            &format!("{}: {}", a.requirement, a.note),
        );
    }
    out.push_str("      </properties>\n");
    let mut body = String::new();
    if !t.failed_requirements.is_empty() {
        let _ = writeln!(body, "failed: {}", t.failed_requirements.join(", "));
    }
    if !t.violations.is_empty() {
        let seqs: Vec<String> = t.violations.iter().map(ToString::to_string).collect();
        let _ = writeln!(body, "violation shown by trace entries {}", seqs.join(", "));
    }
    let _ = writeln!(body, "{}", t.reason);
    match t.verdict {
        Verdict::Pass => {}
        Verdict::Fail => {
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape_attr(&t.reason),
                escape_attr(&t.failed_requirements.join(" ")),
                escape_text(&body)
            );
        }
        Verdict::NotApplicable => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                escape_attr(&t.reason)
            );
        }
        Verdict::Inconclusive | Verdict::Error => {
            let _ = writeln!(
                out,
                "      <error message=\"{}\" type=\"{}\">{}</error>",
                escape_attr(&t.reason),
                t.verdict.name(),
                escape_text(&body)
            );
        }
    }
    let mut sys = String::new();
    for a in &t.advisories {
        let _ = writeln!(sys, "advisory {}: {}", a.requirement, a.note);
    }
    for e in &t.evidence {
        let mut line = format!(
            "#{} {} {} {}",
            e.seq,
            e.time,
            crate::html::direction_name(e.direction),
            e.kind
        );
        if !e.topic.is_empty() {
            let _ = write!(line, " {}", e.topic);
        }
        let _ = write!(line, ": {}", e.summary.replace(['\n', '\r'], " "));
        if !e.check.is_empty() {
            let _ = write!(line, " [{}]", e.check);
        }
        if t.violations.contains(&e.seq) {
            line.push_str(" <- violation");
        }
        let _ = writeln!(sys, "{line}");
    }
    if !sys.is_empty() {
        let _ = writeln!(out, "      <system-out>{}</system-out>", escape_text(&sys));
    }
    out.push_str("    </testcase>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::sample_report;

    #[test]
    fn escaping() {
        assert_eq!(
            escape_attr("a<b>&\"c'\n\t\r\u{1}\u{fffe}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;&#9;&#13;\u{fffd}\u{fffd}"
        );
        assert_eq!(escape_text("]]>&<\n\u{0}"), "]]&gt;&amp;&lt;\n\u{fffd}");
        assert_eq!(escape_text("héllo 🔥"), "héllo 🔥");
    }

    #[test]
    fn areas() {
        assert_eq!(area("TC-MOD-1.1"), "MOD");
        assert_eq!(area("TC-MQTT-12.3"), "MQTT");
        assert_eq!(area("weird"), "OTHER");
        assert_eq!(area("TC--1"), "OTHER");
    }

    // HRT-CONF-082, HRT-CONF-046, HRT-CONF-080
    #[test]
    fn verdicts_map_as_specified() {
        let r = sample_report();
        let x = render(&r);
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"hearth wm8-0001\" tests=\"10\" failures=\"2\" errors=\"4\" skipped=\"2\" time=\"12.340\">"), "{x}");
        // One suite per area, in order of first appearance.
        let suites: Vec<&str> = x
            .lines()
            .filter_map(|l| l.trim().strip_prefix("<testsuite name=\""))
            .map(|l| l.split('"').next().unwrap_or(""))
            .collect();
        assert_eq!(suites, ["BEH", "MOD", "MSG", "ROB", "SEC"]);
        assert!(x.contains("<testcase name=\"TC-MSG-2.1 Write is reported\" classname=\"hearth.MSG\" time=\"1.234\">"));
        assert!(x.contains("<failure message=\"HRT-MSG-056: no report within 2000 ms after the write-response &lt;ok&gt; &amp; done\" type=\"HRT-MSG-056\">"));
        assert!(x.contains("<skipped message=\"the ICS does not allow opening the door\"/>"));
        assert!(x.contains("<error message=\"step 1: the appliance was operated at its panel\" type=\"inconclusive\">"));
        assert!(x.contains("<error message=\"broker: connection refused at mqtt://127.0.0.1:1883\" type=\"error\">"));
        assert!(x.contains("<property name=\"requirement\" value=\"HRT-MSG-057\"/>"));
        assert!(x.contains("<property name=\"run_verdict\" value=\"fail\"/>"));
        assert!(x.contains("<property name=\"advisory\" value=\"HRT-MSG-057: the report arrived after 1.8 s; recommended within 1 s\"/>"));
        assert!(x.contains("#8 2026-11-27T14:03:12.056Z in write-response hearth/fff1/wm8-0001/report: status ok [ok] &lt;- violation"));
        assert!(x.contains(
            "name=\"TC-MOD-1.2 Device id &lt;well-formed&gt; &amp; &quot;quoted&quot;\""
        ));
        // Inconclusive and error are never skipped or passed.
        for t in r
            .tests
            .iter()
            .filter(|t| matches!(t.verdict, Verdict::Inconclusive | Verdict::Error))
        {
            let start = x.find(&format!("name=\"{} ", t.id)).expect("testcase");
            let end = start + x[start..].find("</testcase>").expect("end");
            assert!(x[start..end].contains("<error "), "{}", t.id);
            assert!(!x[start..end].contains("<skipped"), "{}", t.id);
        }
        // Passing test cases carry neither failure, error nor skipped.
        let start = x.find("name=\"TC-MOD-1.1 ").expect("pass");
        let end = start + x[start..].find("</testcase>").expect("end");
        assert!(
            !x[start..end].contains("<failure")
                && !x[start..end].contains("<error")
                && !x[start..end].contains("<skipped")
        );
        assert_eq!(render(&r), x, "deterministic");
    }

    #[test]
    fn fleet_keeps_devices_apart() {
        let a = sample_report();
        let mut b = sample_report();
        b.device.device_id = "fridge&1".into();
        let x = render_fleet(&[a, b]);
        assert!(x.contains("<testsuites name=\"hearth fleet of 2\" tests=\"20\" failures=\"4\" errors=\"8\" skipped=\"4\""));
        assert!(x.contains("<testsuite name=\"wm8-0001 MOD\""));
        assert!(x.contains("<testsuite name=\"fridge&amp;1 MOD\""));
        assert_eq!(x.matches("<testsuite ").count(), 10);
        assert_eq!(x.matches("</testsuite>").count(), 10);
    }

    #[test]
    fn hostile_text_stays_well_formed() {
        let mut r = sample_report();
        r.tests[0].title = "</testcase><x a='1'>\u{7}]]>".into();
        r.tests[4].reason = "\"><script>".into();
        r.tests[2].evidence[0].summary = "line\nbreak</system-out>".into();
        let x = render(&r);
        assert!(!x.contains("<x a="));
        assert!(!x.contains("<script>"));
        assert!(!x.contains("break</system-out>"));
        assert!(!x.contains('\u{7}'));
        // Balanced elements.
        assert_eq!(
            x.matches("<testcase ").count(),
            x.matches("</testcase>").count()
        );
        assert_eq!(
            x.matches("<system-out>").count(),
            x.matches("</system-out>").count()
        );
    }
}
