//! The exit statuses of `hearth`, one table for every subcommand (`spec/06-conformance.md`
//! §6.2, HRT-CONF-047), so that a script or a CI job tells a failing device from a broken
//! set-up and from a mistyped command line:
//!
//! | status | meaning |
//! |---|---|
//! | 0 | success; the run verdict `pass` |
//! | 1 | a negative answer: the run verdict `fail`, an invalid chain or report, a refused request, no response |
//! | 2 | the run verdict `inconclusive` |
//! | 3 | the run verdict `error` |
//! | 4 | the command could not do its work: an invalid ICS, a file missing, the broker unreachable |
//! | 64 | a usage error: an unknown flag, a missing or malformed argument (`EX_USAGE`) |
//! | 130, 143 | interrupted by SIGINT or SIGTERM (128 plus the signal) |
//!
//! A subcommand returns [`Usage`] (through [`usage`]) for what is wrong with its command
//! line; every other error ends the process with [`SETUP`].

use std::process::ExitCode;

use hearth_report::verdict::Verdict;

/// A negative answer: the run failed, the chain is invalid, the request was refused.
pub(crate) const FAIL: u8 = 1;
/// The run verdict `inconclusive`.
pub(crate) const INCONCLUSIVE: u8 = 2;
/// The run verdict `error`.
pub(crate) const ERROR: u8 = 3;
/// The command could not do its work: its input files, the broker, the credentials.
pub(crate) const SETUP: u8 = 4;
/// The command line is wrong (`EX_USAGE` of `sysexits.h`).
pub(crate) const USAGE: u8 = 64;
/// Interrupted by SIGINT (Ctrl-C): 128 + 2, as shells report it.
pub(crate) const SIGINT: u8 = 130;
/// Interrupted by SIGTERM: 128 + 15.
pub(crate) const SIGTERM: u8 = 143;

/// The table above, for the `--help` of `hearth` and of the commands that run the suite.
pub(crate) const TABLE: &str = "\
Exit status: 0 pass (success), 1 fail (a negative answer: a failed run, an invalid chain,
a refused request), 2 inconclusive, 3 error (the run verdict), 4 the command could not do
its work (an invalid ICS, a missing file, the broker unreachable), 64 usage error, 130
interrupted by SIGINT (Ctrl-C), 143 interrupted by SIGTERM (spec/06-conformance.md §6.2).";

/// The exit status of a run with this verdict: 0 for `pass` (and a run where nothing
/// applied), 1 for `fail`, 2 for `inconclusive`, 3 for `error`.
pub(crate) fn of_verdict(verdict: Verdict) -> ExitCode {
    ExitCode::from(match verdict {
        Verdict::Pass | Verdict::NotApplicable => 0,
        Verdict::Fail => FAIL,
        Verdict::Inconclusive => INCONCLUSIVE,
        Verdict::Error => ERROR,
    })
}

/// What is wrong with the command line, found after parsing (a flag one mode needs, an
/// argument that names nothing): exit status [`USAGE`].
#[derive(Debug)]
pub(crate) struct Usage(pub(crate) String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A usage error saying `message`.
pub(crate) fn usage(message: impl std::fmt::Display) -> anyhow::Error {
    Usage(message.to_string()).into()
}

/// The exit status of an error a subcommand returned: [`USAGE`] for a [`Usage`] anywhere in
/// its chain, [`SETUP`] for anything else.
pub(crate) fn of_error(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|e| e.is::<Usage>()) {
        ExitCode::from(USAGE)
    } else {
        ExitCode::from(SETUP)
    }
}

/// The error as one line for the terminal: each cause after the first, unless the text so
/// far already says it (a file error that names its OS error and also returns it as its
/// source is printed once).
pub(crate) fn message(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_are_told_apart_from_set_up_errors() {
        use anyhow::Context as _;
        let e = usage("--ics FILE is needed");
        assert_eq!(of_error(&e), ExitCode::from(USAGE));
        let e = Err::<(), _>(e).context("hearth test").unwrap_err();
        assert_eq!(of_error(&e), ExitCode::from(USAGE));
        let e = anyhow::anyhow!("broker unreachable");
        assert_eq!(of_error(&e), ExitCode::from(SETUP));
    }

    #[test]
    fn verdicts_have_statuses_of_their_own() {
        let codes: Vec<ExitCode> = [
            Verdict::Pass,
            Verdict::NotApplicable,
            Verdict::Fail,
            Verdict::Inconclusive,
            Verdict::Error,
        ]
        .into_iter()
        .map(of_verdict)
        .collect();
        assert_eq!(
            codes,
            [0, 0, FAIL, INCONCLUSIVE, ERROR]
                .map(ExitCode::from)
                .to_vec()
        );
    }

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        use anyhow::Context as _;
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Err::<(), _>(io)
            .context("pki/controller.cert: no such file")
            .context("controller credential in pki")
            .unwrap_err();
        assert_eq!(
            message(&e),
            "controller credential in pki: pki/controller.cert: no such file"
        );
    }
}
