//! `hearth test`: certify one real device on any broker against its ICS. The suite is
//! `hearth_conformance`'s; this module parses flags, shows progress and the summary, and maps
//! the run verdict to the exit status (`spec/06-conformance.md` §6.2).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use hearth_conformance::lab::{run_test, TestConfig};
use hearth_report::summary;
use hearth_report::verdict::Verdict;

use super::broker::runtime;
use crate::args;

/// Arguments of `hearth test`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The broker the device is on (overrides the ICS's `broker` parameter).
    #[command(flatten)]
    broker: args::Broker,
    /// `root.cert` of the PKI folder is trusted; `lab.key` with `lab.cert` signs the report.
    #[command(flatten)]
    pki: args::Pki,
    /// The device, `vvvv/device` (checked against the ICS).
    #[arg(long)]
    device: Option<String>,
    /// The implementation conformance statement (TOML).
    #[arg(long, required_unless_present = "list")]
    ics: Option<PathBuf>,
    /// Where to write report.json, junit.xml, report.html and report.cose.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only the test cases whose id starts with this (a partial run, not signed).
    #[arg(long)]
    only: Option<String>,
    #[command(flatten)]
    params: args::Params,
    /// Only check the ICS, without a device.
    #[arg(long)]
    check_ics: bool,
    /// List the test cases (the test plan) instead of running them.
    #[arg(long)]
    list: bool,
    /// With --list: the whole plan in Markdown, with requirement texts and steps.
    #[arg(long, requires = "list")]
    markdown: bool,
}

/// Run `hearth test`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list {
        print!(
            "{}",
            if args.markdown {
                hearth_conformance::plan::markdown()
            } else {
                hearth_conformance::plan::lines()
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let Some(ics) = args.ics else {
        anyhow::bail!("--ics FILE is needed to run the suite");
    };
    if args.check_ics {
        let text = std::fs::read_to_string(&ics)?;
        return Ok(match hearth_conformance::ics::Ics::parse(&text) {
            Ok(_) => {
                println!("{}: valid", ics.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}: {e}", ics.display());
                ExitCode::from(4)
            }
        });
    }
    let pki = args.pki.required()?.to_path_buf();
    let config = TestConfig {
        ics,
        broker: args.broker.broker,
        pki,
        device: args.device,
        out: args.out.clone(),
        only: args.only,
        params: args.params.params,
    };
    let rt = runtime()?;
    rt.block_on(async move {
        let report = match run_test(&config, |device, case, verdict| {
            eprint!("\r  {device} {case:<12} {verdict:<14}");
            if verdict != Verdict::Pass && verdict != Verdict::NotApplicable {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        })
        .await
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("cannot start: {e}");
                return Ok(ExitCode::from(4));
            }
        };
        eprintln!();
        println!("{}", summary::render(&report));
        if let Some(out) = &args.out {
            println!("reports: {}", out.display());
        }
        Ok(ExitCode::from(match report.summary.verdict {
            Verdict::Pass | Verdict::NotApplicable => 0,
            Verdict::Fail => 1,
            Verdict::Inconclusive => 2,
            Verdict::Error => 3,
        }))
    })
}
