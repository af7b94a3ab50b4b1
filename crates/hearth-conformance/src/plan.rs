//! The test plan, generated from the test cases themselves (HRT-CONF-032): identifier,
//! title, requirements with their text, and the documented steps — the same texts the
//! reports show. There is no separately maintained plan to drift away from the code.

use std::fmt::Write as _;

use crate::cases::CASES;

/// One entry of the plan: a device case or a controller case alike.
struct Entry {
    id: &'static str,
    title: &'static str,
    requirements: &'static [crate::requirements::req::Req],
    steps: &'static [&'static str],
}

fn device_cases() -> impl Iterator<Item = Entry> {
    CASES.iter().map(|c| Entry {
        id: c.id,
        title: c.title,
        requirements: c.requirements,
        steps: c.steps,
    })
}

fn controller_cases() -> impl Iterator<Item = Entry> {
    crate::controller::cases::CASES.iter().map(|c| Entry {
        id: c.id,
        title: c.title,
        requirements: c.requirements,
        steps: c.steps,
    })
}

fn write_entry(out: &mut String, index: &[crate::requirements::Requirement], case: &Entry) {
    let _ = writeln!(out, "## {} — {}\n", case.id, case.title);
    let _ = writeln!(out, "Requirements:\n");
    for r in case.requirements {
        let text = index
            .iter()
            .find(|q| q.id == r.id())
            .map(|q| q.text.as_str())
            .unwrap_or("(not in the specification)");
        let _ = writeln!(out, "- **{r}** {text}");
    }
    let _ = writeln!(out, "\nSteps:\n");
    for (i, step) in case.steps.iter().enumerate() {
        let _ = writeln!(out, "{}. {step}", i + 1);
    }
    let _ = writeln!(out);
}

/// The plan as Markdown (`hearth test --list --markdown`): the device cases, then the
/// controller cases (`hearth test --controller`, `spec/08-controllers.md`).
pub fn markdown() -> String {
    let index = crate::requirements::index().unwrap_or_default();
    let mut out = String::from("# Hearth conformance test plan\n\n<!-- Generated from the suite's test cases by `hearth test --list --markdown`. -->\n\n");
    let _ = writeln!(
        out,
        "{} test cases, run in this order against every device.\n",
        CASES.len()
    );
    for case in device_cases() {
        write_entry(&mut out, &index, &case);
    }
    let _ = writeln!(
        out,
        "# Controllers and gateways\n\n{} test cases, run in this order against a controller (`hearth test --controller`).\n",
        crate::controller::cases::CASES.len()
    );
    for case in controller_cases() {
        write_entry(&mut out, &index, &case);
    }
    out
}

/// The plan as one line per test case (`hearth test --list`), device cases then controller
/// cases.
pub fn lines() -> String {
    let mut out = String::new();
    for case in device_cases().chain(controller_cases()) {
        let _ = writeln!(
            out,
            "{:<12} {}  [{}]",
            case.id,
            case.title,
            case.requirements
                .iter()
                .map(|r| r.id())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    /// The committed plan (`conformance/TEST-PLAN.md`) is exactly what the cases generate.
    #[test]
    fn committed_plan_matches_the_test_cases() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../conformance/TEST-PLAN.md"
        );
        let generated = super::markdown();
        if std::env::var_os("HEARTH_REGENERATE").is_some_and(|v| v == "1") {
            std::fs::write(path, &generated).expect("write conformance/TEST-PLAN.md");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "conformance/TEST-PLAN.md differs from the test cases; regenerate it with \
             HEARTH_REGENERATE=1 cargo test -p hearth-conformance"
        );
    }

    #[test]
    fn every_case_is_in_the_plan_with_its_steps() {
        let plan = super::markdown();
        for case in super::device_cases().chain(super::controller_cases()) {
            assert!(plan.contains(&format!("## {} — {}", case.id, case.title)));
            for step in case.steps {
                assert!(plan.contains(step), "{}: {step}", case.id);
            }
        }
    }
}
