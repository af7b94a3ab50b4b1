//! Live progress of a run on standard error (`spec/06-conformance.md` HRT-CONF-064): how many
//! test cases are done of how many, the time elapsed, and every verdict other than `pass`
//! and `not-applicable` with its reason as it happens, so that a failing run says why long
//! before its summary.
//!
//! On a terminal, an indicatif bar holds the count, the time and the case just done, and
//! each notable verdict is printed above it; in colour unless `NO_COLOR` is set
//! (<https://no-color.org>) or the terminal is `dumb`. Elsewhere (a CI log, a file) every
//! case is one plain line, without carriage returns or escape codes.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use hearth_report::report::TestResult;
use hearth_report::summary::terminal_safe;
use hearth_report::verdict::Verdict;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether colour may be used on a stream that is a terminal: not when `NO_COLOR` holds a
/// value, nor on a `dumb` terminal.
pub(crate) fn colour_allowed() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    !no_color && !dumb
}

/// A verdict's name, in its colour when `colour`.
pub(crate) fn paint(verdict: Verdict, colour: bool) -> String {
    if !colour {
        return verdict.name().to_owned();
    }
    let code = match verdict {
        Verdict::Pass => "32",
        Verdict::Fail => "1;31",
        Verdict::Error => "35",
        Verdict::Inconclusive => "33",
        Verdict::NotApplicable => "2",
    };
    format!("\x1b[{code}m{}\x1b[0m", verdict.name())
}

/// The progress of one run (or of a fleet's runs) of `total` test cases.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    colour: bool,
    started: Instant,
    done: usize,
    total: usize,
}

impl Progress {
    /// Progress on standard error: a bar on a terminal, plain lines elsewhere.
    pub(crate) fn new(total: usize) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let bar = terminal.then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            );
            let template = "{elapsed_precise} [{bar:30}] {pos}/{len} {msg}";
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Self {
            bar,
            colour: terminal && colour_allowed(),
            started: Instant::now(),
            done: 0,
            total,
        }
    }

    /// A test case of `device` is done.
    pub(crate) fn case_done(&mut self, device: &str, result: &TestResult) {
        self.done += 1;
        let notable = !matches!(result.verdict, Verdict::Pass | Verdict::NotApplicable);
        let line = self.line(device, result);
        match &self.bar {
            Some(bar) => {
                if notable {
                    bar.println(line);
                }
                bar.set_position(u64::try_from(self.done).unwrap_or(u64::MAX));
                bar.set_message(format!("{device} {}", result.id));
            }
            None => eprintln!("{line}"),
        }
    }

    /// A step before the first test case (`commissioned 5/16`): the bar's message on a
    /// terminal, where the last one stays as a line; a plain line elsewhere.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))] // only the demo sets up first
    pub(crate) fn setup_step(&self, step: &str, last: bool) {
        let line = format!("{:>6.1}s {step}", self.started.elapsed().as_secs_f64());
        match &self.bar {
            Some(bar) if last => bar.println(line),
            Some(bar) => bar.set_message(step.to_owned()),
            None => eprintln!("{line}"),
        }
    }

    /// `[  12/75]  3.2s fff1/fan-1 TC-MOD-1.1   fail: reason`.
    fn line(&self, device: &str, result: &TestResult) -> String {
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut line = format!(
            "[{:>4}/{}] {elapsed:>6.1}s {device} {:<12} {}",
            self.done,
            self.total,
            result.id,
            paint(result.verdict, self.colour)
        );
        if !matches!(result.verdict, Verdict::Pass | Verdict::NotApplicable) {
            line.push_str(": ");
            line.push_str(&terminal_safe(&result.reason).replace('\n', " "));
        }
        line
    }

    /// The run is over: the bar goes, the lines stay.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(paint(Verdict::Fail, false), "fail");
        assert_eq!(paint(Verdict::Fail, true), "\x1b[1;31mfail\x1b[0m");
    }

    #[test]
    fn a_plain_line_names_the_count_the_case_and_the_reason() {
        let mut p = Progress {
            bar: None,
            colour: false,
            started: Instant::now(),
            done: 0,
            total: 75,
        };
        p.done = 12;
        let mut r = hearth_report::example::report().tests.remove(0);
        r.verdict = Verdict::Fail;
        r.reason = "no report\nwithin 5s".into();
        let line = p.line("fff1/fan-1", &r);
        assert!(line.starts_with("[  12/75] "), "{line}");
        assert!(
            line.contains(&format!(
                " fff1/fan-1 {:<12} fail: no report within 5s",
                r.id
            )),
            "{line}"
        );
        assert!(!line.contains('\r') && !line.contains('\x1b'), "{line}");
    }
}
