//! `report.html` (`spec/06-conformance.md` §10.4), rendered from a [`Report`] alone
//! (HRT-CONF-080), plus the text of the requirements it names, which the caller passes in
//! (the suite takes them from the specification it embeds).
//!
//! One self-contained page (HRT-CONF-083): styles inline in one `<style>` element, no
//! scripts, fonts, images or links outside the page, so that a lab can mail it and it reads
//! the same offline. It shows, in order:
//!
//! 1. a header with the run verdict, the device (vendor, model, firmware, type, ids), the
//!    run id, the ICS hash, the run's provenance and the trace level it used;
//! 2. the counts per verdict and the failed requirements;
//! 3. a summary table of every test case, failing first;
//! 4. one section per test case, failing first: verdict, title, reason, advisories, the
//!    requirements it checks (each linked to its text in the appendix), the steps with
//!    their outcomes, and the evidence as a table of trace entries (time, direction, topic,
//!    kind, summary by catalog name, check) whose summary expands to the hex in a
//!    `<details>` element where the report keeps the bytes, and states their length where
//!    its trace level left them out; the entries that show a violation are marked. The
//!    evidence of a passing test case is folded in a `<details>` of its own;
//! 5. the ICS as read;
//! 6. an appendix with the statement of every requirement named, with its level and
//!    section.
//!
//! Every string from the report is HTML-escaped; the output depends only on the report and
//! the requirement index: same inputs, same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::markup::escape_markup;
use crate::report::{Report, TestResult};
use crate::summary::verdict_rank;
use crate::trace::Direction;
use crate::verdict::Verdict;

/// The name of a direction as the report writes it (`out`, `in`, `seen`, `note`).
pub fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Out => "out",
        Direction::In => "in",
        Direction::Seen => "seen",
        Direction::Note => "note",
    }
}

/// Escape text for HTML element content and double- or single-quoted attribute values;
/// control characters other than line feed and tab (NUL among them) become U+FFFD.
pub fn escape(s: &str) -> String {
    let entity = |c| match c {
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    };
    let visible = |c: char| {
        if c.is_control() && !matches!(c, '\n' | '\t') {
            '\u{FFFD}'
        } else {
            c
        }
    };
    escape_markup(s, entity, visible)
}

/// A fragment identifier made of safe characters only (letters, digits, `-`, `.`, `_`),
/// every other byte written as `_xx`.
fn anchor(prefix: &str, id: &str) -> String {
    let mut out = String::from(prefix);
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "_{b:02x}");
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:80rem;padding:1rem 1.5rem;color:#1b1b1b;background:#fff;line-height:1.4}
h1{font-size:1.6rem;margin:.2rem 0 .6rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1.1rem;margin:.2rem 0}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:left;vertical-align:top}th{background:#f2f2f2}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
.v{display:inline-block;padding:.05rem .5rem;border-radius:.3rem;font-weight:600;font-size:.9em;white-space:nowrap}
.v-pass{background:#dff3e0;color:#14551a}.v-fail{background:#fbdada;color:#8a1111}.v-error{background:#fde3c8;color:#7a3c00}
.v-inconclusive{background:#fff3bf;color:#5c4a00}.v-not-applicable{background:#e8e8e8;color:#444}
.big{font-size:1.3rem}.meta th{width:11rem}
section.tc{border:1px solid #ddd;border-left:6px solid #999;border-radius:.3rem;padding:.5rem .8rem;margin:1rem 0}
section.tc-pass{border-left-color:#2e7d32}section.tc-fail{border-left-color:#c62828}section.tc-error{border-left-color:#ef6c00}
section.tc-inconclusive{border-left-color:#f9a825}section.tc-not-applicable{border-left-color:#9e9e9e}
.reason{font-weight:600}.hex{word-break:break-all;white-space:pre-wrap;display:block;max-width:60rem;background:#f7f7f7;padding:.3rem}
tr.violation td{background:#fdecea}tr.violation td:first-child{font-weight:700}
details>summary{cursor:pointer}dl.reqs dt{font-weight:600;margin-top:.6rem}dl.reqs dd{margin-left:1.5rem}
pre.ics{background:#f7f7f7;padding:.5rem;overflow-x:auto}
@media print{details{display:block}}
";

/// The statement of one requirement as the appendix of `report.html` shows it: the page
/// names requirements by id, and this is what it writes under each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequirementText<'a> {
    /// `HRT-<AREA>-<NNN>`.
    pub id: &'a str,
    /// The keyword of its level (`MUST`, `SHOULD`, …).
    pub level: &'a str,
    /// The chapter it stands in.
    pub chapter: &'a str,
    /// Its section in that chapter.
    pub section: &'a str,
    /// The statement.
    pub text: &'a str,
}

/// `report.html` of `report`, with the statements of the requirements it names looked up
/// in `requirements` (a requirement not found there is marked as not in the index).
pub fn render(report: &Report, requirements: &[RequirementText<'_>]) -> String {
    let by_id: BTreeMap<&str, &RequirementText<'_>> =
        requirements.iter().map(|r| (r.id, r)).collect();
    let mut tests: Vec<&TestResult> = report.tests.iter().collect();
    tests.sort_by_key(|t| verdict_rank(t.verdict));
    let d = &report.device;
    let s = &report.summary;
    let mut o = String::with_capacity(16 * 1024);
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        o,
        "<title>Hearth conformance report: {} {} {} ({})</title>",
        escape(&d.vendor),
        escape(&d.model),
        escape(&d.firmware),
        s.verdict.name()
    );
    let _ = writeln!(o, "<style>\n{STYLE}</style>\n</head>\n<body>");

    // 1. Header.
    let _ = writeln!(
        o,
        "<header>\n<h1>Hearth conformance report</h1>\n<p class=\"big\">Run verdict: {}</p>",
        badge(s.verdict)
    );
    if report.partial {
        o.push_str("<p><strong>Partial run:</strong> test cases were left out (by selection, or the run was interrupted); this report certifies nothing.</p>\n");
    }
    if !report.spec_parameters {
        o.push_str(
            "<p><strong>Parameters differ from the values the specification sets.</strong></p>\n",
        );
    }
    o.push_str("<table class=\"meta\">\n");
    let device = format!(
        "{} {} firmware {}",
        escape(&d.vendor),
        escape(&d.model),
        escape(&d.firmware)
    );
    let trace = match report.trace_level() {
        Some(level) => format!("{} ({})", code(level.name()), escape(level.meaning())),
        None => "the bytes of every message are kept".to_owned(),
    };
    let run = format!(
        "{} to {}",
        escape(&report.started),
        escape(&report.finished)
    );
    let suite = format!(
        "{} (specification {})",
        escape(&report.suite_version),
        escape(&report.spec_version)
    );
    let rows: [(&str, String); 16] = [
        ("Device", device),
        ("Device type", escape(&d.device_type)),
        ("Device id", code(&d.device_id)),
        ("Vendor id", code(&d.vendor_id)),
        ("Device key id", code(&d.key_id)),
        ("Description SHA-256", code(&d.description_sha256)),
        ("ICS SHA-256", code(&report.ics.sha256)),
        ("Run id", code(&report.run_id)),
        ("Run", run),
        ("Seed", code(&report.seed)),
        ("Suite", suite),
        ("Catalog", code(&report.catalog_hash)),
        ("Requirement index", code(&report.requirements_hash)),
        (
            "Environment",
            format!(
                "broker {}, topic root {}, host {}",
                code(&report.environment.broker),
                code(&report.environment.topic_root),
                escape(&report.environment.host)
            ),
        ),
        (
            "Parameters",
            report
                .parameters
                .iter()
                .map(|(k, v)| format!("{}&nbsp;=&nbsp;{}", code(k), code(&v.to_string())))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Trace", trace),
    ];
    for (k, v) in rows {
        let _ = writeln!(o, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    o.push_str("</table>\n</header>\n");

    // 2. Counts.
    o.push_str(
        "<h2 id=\"summary\">Summary</h2>\n<table>\n<tr><th>verdict</th><th>test cases</th></tr>\n",
    );
    let c = &s.counts;
    for (v, n) in [
        (Verdict::Pass, c.pass),
        (Verdict::Fail, c.fail),
        (Verdict::NotApplicable, c.not_applicable),
        (Verdict::Inconclusive, c.inconclusive),
        (Verdict::Error, c.error),
    ] {
        let _ = writeln!(o, "<tr><td>{}</td><td>{n}</td></tr>", badge(v));
    }
    o.push_str("</table>\n");
    if !s.failed_requirements.is_empty() {
        o.push_str("<p>Failed requirements: ");
        let links: Vec<String> = s.failed_requirements.iter().map(|r| req_link(r)).collect();
        o.push_str(&links.join(", "));
        o.push_str("</p>\n");
    }

    // 3. Summary table.
    o.push_str("<h2 id=\"tests\">Test cases</h2>\n<table>\n<tr><th>test case</th><th>verdict</th><th>title</th><th>reason</th></tr>\n");
    for t in &tests {
        let _ = writeln!(
            o,
            "<tr><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            anchor("tc-", &t.id),
            escape(&t.id),
            badge(t.verdict),
            escape(&t.title),
            escape(&t.reason)
        );
    }
    o.push_str("</table>\n");

    // 4. One section per test case.
    for t in &tests {
        test_section(&mut o, t);
    }

    // 5. ICS.
    let _ = writeln!(
        o,
        "<h2 id=\"ics\">Implementation conformance statement</h2>\n<details><summary>ICS as read (SHA-256 {})</summary>\n<pre class=\"ics\">{}</pre>\n</details>",
        code(&report.ics.sha256),
        escape(&report.ics.text)
    );

    // 6. Requirements.
    let mut named: BTreeSet<&str> = BTreeSet::new();
    for t in &report.tests {
        named.extend(t.requirements.iter().map(String::as_str));
        named.extend(t.failed_requirements.iter().map(String::as_str));
        named.extend(t.advisories.iter().map(|a| a.requirement.as_str()));
    }
    named.extend(s.failed_requirements.iter().map(String::as_str));
    o.push_str("<h2 id=\"requirements\">Requirements</h2>\n<dl class=\"reqs\">\n");
    for id in named {
        let _ = write!(
            o,
            "<dt id=\"{}\"><code>{}</code>",
            anchor("req-", id),
            escape(id)
        );
        match by_id.get(id) {
            Some(r) => {
                let _ = writeln!(
                    o,
                    " {} ({} §{})</dt>\n<dd>{}</dd>",
                    escape(r.level),
                    escape(r.chapter),
                    escape(r.section),
                    escape(r.text)
                );
            }
            None => {
                let _ = writeln!(
                    o,
                    "</dt>\n<dd>Not in the requirement index of this suite.</dd>"
                );
            }
        }
    }
    o.push_str("</dl>\n");
    let _ = writeln!(
        o,
        "<footer><p>Written from report.json of run <code>{}</code>.</p></footer>\n</body>\n</html>",
        escape(&report.run_id)
    );
    o
}

fn badge(v: Verdict) -> String {
    format!("<span class=\"v v-{0}\">{0}</span>", v.name())
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", escape(s))
}

fn req_link(id: &str) -> String {
    format!(
        "<a href=\"#{}\"><code>{}</code></a>",
        anchor("req-", id),
        escape(id)
    )
}

fn test_section(o: &mut String, t: &TestResult) {
    let _ = writeln!(
        o,
        "<section class=\"tc tc-{}\" id=\"{}\">\n<h3><code>{}</code> {} {}</h3>",
        t.verdict.name(),
        anchor("tc-", &t.id),
        escape(&t.id),
        escape(&t.title),
        badge(t.verdict)
    );
    if !t.reason.is_empty() {
        let _ = writeln!(o, "<p class=\"reason\">{}</p>", escape(&t.reason));
    }
    if !t.failed_requirements.is_empty() {
        let links: Vec<String> = t.failed_requirements.iter().map(|r| req_link(r)).collect();
        let _ = writeln!(o, "<p>Broken: {}</p>", links.join(", "));
    }
    for a in &t.advisories {
        let _ = writeln!(
            o,
            "<p>Advisory {}: {}</p>",
            req_link(&a.requirement),
            escape(&a.note)
        );
    }
    let links: Vec<String> = t.requirements.iter().map(|r| req_link(r)).collect();
    let _ = writeln!(
        o,
        "<p>Requirements: {}. Started {}, took {} ms.</p>",
        links.join(", "),
        escape(&t.started),
        t.duration_ms
    );
    if !t.steps.is_empty() {
        o.push_str("<ol class=\"steps\">\n");
        for st in &t.steps {
            let _ = writeln!(
                o,
                "<li value=\"{}\">{} <em>({})</em></li>",
                st.number,
                escape(&st.text),
                escape(&st.outcome)
            );
        }
        o.push_str("</ol>\n");
    }
    if !t.evidence.is_empty() {
        let folded = t.verdict == Verdict::Pass;
        if folded {
            let _ = writeln!(
                o,
                "<details><summary>Evidence ({} trace entries)</summary>",
                t.evidence.len()
            );
        } else {
            let _ = writeln!(o, "<p>Evidence ({} trace entries):</p>", t.evidence.len());
        }
        evidence_table(o, t);
        if folded {
            o.push_str("</details>\n");
        }
    }
    o.push_str("</section>\n");
}

fn evidence_table(o: &mut String, t: &TestResult) {
    o.push_str("<table class=\"evidence\">\n<tr><th>#</th><th>time</th><th>dir</th><th>topic</th><th>kind</th><th>summary</th><th>check</th></tr>\n");
    for e in &t.evidence {
        let violation = t.violations.contains(&e.seq);
        let summary = if e.bytes_left_out() {
            format!(
                "{} <span class=\"mono\">({} bytes)</span>",
                escape(&e.summary),
                e.size
            )
        } else if e.hex.is_empty() {
            escape(&e.summary)
        } else {
            format!(
                "<details><summary>{}</summary><code class=\"hex\">{}</code></details>",
                escape(&e.summary),
                escape(&e.hex)
            )
        };
        let flags = if e.direction == Direction::Note {
            String::new()
        } else {
            format!(
                " <span class=\"mono\">q{}{}</span>",
                e.qos,
                if e.retain { " r" } else { "" }
            )
        };
        let _ = writeln!(
            o,
            "<tr{}><td>{}{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if violation { " class=\"violation\"" } else { "" },
            e.seq,
            if violation { " violation" } else { "" },
            escape(&e.time),
            direction_name(e.direction),
            code(&e.topic),
            flags,
            escape(&e.kind),
            summary,
            escape(&e.check)
        );
    }
    o.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::tests::sample_report;

    #[test]
    fn escapes() {
        assert_eq!(
            escape("<a href='x'>&\"\u{1b}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\u{fffd}"
        );
        assert_eq!(anchor("tc-", "TC-MOD-1.1"), "tc-TC-MOD-1.1");
        assert_eq!(anchor("req-", "a b\"<"), "req-a_20b_22_3c");
    }

    // HRT-CONF-083
    #[test]
    fn self_contained() {
        let h = render(&sample_report(), &[SEC_030]);
        assert!(h.starts_with("<!DOCTYPE html>"));
        assert!(h.ends_with("</html>\n"));
        assert!(!h.contains("<script"));
        assert!(!h.contains("<link"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("http://") && !h.contains("https://"));
        assert!(!h.contains("src="));
        assert!(!h.contains("@import") && !h.contains("url("));
        // The only links are fragments inside the page, and every one has a target.
        for part in h.split("href=\"").skip(1) {
            let target = part.split('"').next().expect("href");
            assert!(target.starts_with('#'), "{target}");
            assert!(
                h.contains(&format!("id=\"{}\"", &target[1..])),
                "no target for {target}"
            );
        }
    }

    /// A requirement the sample report names, with text that needs escaping.
    const SEC_030: RequirementText<'static> = RequirementText {
        id: "HRT-SEC-030",
        level: "MUST",
        chapter: "03-security",
        section: "4.1",
        text: "A receiver MUST drop a message whose signature does not verify <at all>.",
    };

    // HRT-CONF-080, HRT-CONF-046, HRT-CONF-041
    #[test]
    fn content() {
        let r = sample_report();
        let h = render(&r, &[SEC_030]);
        assert!(h.contains("Run verdict: <span class=\"v v-fail\">fail</span>"));
        // Failing test cases first, passing after inconclusive, not-applicable last.
        let pos = |id: &str| h.find(&format!("id=\"tc-{id}\"")).expect(id);
        assert!(pos("TC-MSG-2.1") < pos("TC-ROB-1.1"));
        assert!(pos("TC-ROB-1.2") < pos("TC-SEC-3.1"));
        assert!(pos("TC-SEC-3.2") < pos("TC-MOD-1.1"));
        assert!(pos("TC-MOD-1.2") < pos("TC-BEH-1.1"));
        for t in &r.tests {
            assert!(h.contains(&escape(&t.reason)), "{}", t.id);
            assert!(h.contains(&escape(&t.title)), "{}", t.id);
        }
        // Escaped text.
        assert!(h.contains("Acme &lt;Appliances&gt; &amp; Co"));
        assert!(!h.contains("<Appliances>"));
        assert!(h.contains("<code class=\"hex\">d28443a10126</code>"));
        assert!(h.contains("<tr class=\"violation\"><td>8 violation</td>"));
        assert!(h.contains("Advisory <a href=\"#req-HRT-MSG-057\">"));
        // Requirement text from the index given.
        assert!(h.contains(
            "<dt id=\"req-HRT-SEC-030\"><code>HRT-SEC-030</code> MUST (03-security §4.1)</dt>\n<dd>A receiver MUST drop a message whose signature does not verify &lt;at all&gt;.</dd>"
        ));
        assert!(h.contains("<dt id=\"req-HRT-MSG-056\"><code>HRT-MSG-056</code></dt>\n<dd>Not in the requirement index of this suite.</dd>"));
        assert_eq!(render(&r, &[SEC_030]), h, "deterministic");
    }

    #[test]
    fn the_trace_level_and_left_out_bytes_are_shown() {
        let mut r = sample_report();
        let h = render(&r, &[]);
        assert!(h.contains("<tr><th>Trace</th><td>the bytes of every message are kept</td></tr>"));
        r.parameters.insert("trace".into(), "failures".into());
        let passing = r
            .tests
            .iter_mut()
            .find(|t| t.verdict == Verdict::Pass && !t.evidence.is_empty())
            .expect("a passing test with evidence");
        crate::trace::TraceLevel::Failures.apply(&mut passing.evidence, Verdict::Pass, &[]);
        let h = render(&r, &[]);
        assert!(h.contains("<tr><th>Trace</th><td><code>failures</code> (the bytes of messages are kept in the evidence of test cases that did not pass)</td></tr>"));
        assert!(
            h.contains("write 7/1 = &quot;start&quot; <span class=\"mono\">(6 bytes)</span>"),
            "{h}"
        );
        assert!(
            h.contains("<code class=\"hex\">d28443a10126</code>"),
            "a failing test keeps them"
        );
    }

    #[test]
    fn unknown_requirement_and_hostile_text() {
        let mut r = sample_report();
        r.tests[4].requirements.push("HRT-XYZ-999".into());
        r.tests[4].title = "<script>alert(1)</script>".into();
        r.tests[4].evidence[1].hex = "\"><img src=x>".into();
        r.tests[4].id = "TC-MSG-2.1\"><b>".into();
        let h = render(&r, &[]);
        assert!(h.contains("<dt id=\"req-HRT-XYZ-999\"><code>HRT-XYZ-999</code></dt>\n<dd>Not in the requirement index of this suite.</dd>"));
        assert!(!h.contains("<script>"));
        assert!(!h.contains("<img"));
        assert!(!h.contains("<b>"));
    }
}
