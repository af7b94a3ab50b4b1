//! `hearth test`: certify one real device on any broker against its ICS. The suite is
//! `hearth_conformance`'s; this module parses flags, shows progress and the summary, and maps
//! the run verdict to the exit status (`spec/06-conformance.md` §6.2). It also holds what
//! `hearth demo` shares with it: the trace level flag and the handling of SIGINT and SIGTERM,
//! which end a run early with partial reports.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

use hearth_conformance::lab::{run_test, TestConfig};
use hearth_conformance::runner::Interrupt;
use hearth_report::summary;
use hearth_report::trace::TraceLevel;

use super::broker::runtime;
use crate::args;
use crate::exit::{self, usage};
use crate::progress::Progress;

/// The exit statuses of `hearth test` (spec 06 §6.2, HRT-CONF-047), for its `--help`.
const EXIT_STATUSES: &str = "\
Exit status (spec/06-conformance.md §6.2):
  0    the run verdict is pass
  1    fail: a test case failed
  2    inconclusive: the device kept a test case from deciding
  3    error: the suite or its environment failed during the run
  4    the run could not start: an invalid ICS, a missing or unreadable credential file,
       the broker unreachable, the device answering no controller of the ICS (pre-flight)
  64   usage error: an unknown flag, a missing or malformed argument
  130  interrupted by SIGINT (Ctrl-C)
  143  interrupted by SIGTERM
An interrupted run ends the test case it is in, lists every case it did not run, and writes
its reports marked partial and unsigned.";

/// `--trace LEVEL`, shared with `hearth demo`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Trace {
    /// Which message bytes the reports keep: `full` (all), `failures` (those in the evidence
    /// of test cases that did not pass; the default) or `summary` (only those that show a
    /// violation). Summaries, lengths and digests are always kept. Sets the `trace`
    /// parameter.
    #[arg(long = "trace", value_name = "LEVEL")]
    pub(crate) level: Option<TraceLevel>,
}

impl Trace {
    /// The parameter overrides with the trace level added, if given (it takes precedence
    /// over `--param trace=…`).
    pub(crate) fn with(&self, mut params: Vec<(String, String)>) -> Vec<(String, String)> {
        if let Some(level) = self.level {
            params.push(("trace".into(), level.name().into()));
        }
        params
    }
}

/// SIGINT and SIGTERM while a run lasts: the first sets the run's [`Interrupt`], so that it
/// ends the test case it is in and writes partial reports; a second ends the process at
/// once.
pub(crate) struct Signals {
    received: Arc<OnceLock<u8>>,
}

impl Signals {
    /// Listen (inside the runtime) and return the interrupt to give the run.
    pub(crate) fn listen() -> anyhow::Result<(Self, Interrupt)> {
        let (interrupter, interrupt) = Interrupt::new();
        let received = Arc::new(OnceLock::new());
        let first = received.clone();
        let mut incoming = Incoming::new()?;
        tokio::spawn(async move {
            loop {
                let status = incoming.next().await;
                if first.set(status).is_err() {
                    eprintln!("\nhearth: interrupted again: stopping at once, without reports");
                    std::process::exit(i32::from(status));
                }
                eprintln!("\nhearth: interrupted: ending the run and writing partial reports (interrupt again to stop at once)");
                interrupter.interrupt();
            }
        });
        Ok((Self { received }, interrupt))
    }

    /// The exit status that says the run was interrupted, if it was.
    pub(crate) fn exit_status(&self) -> Option<ExitCode> {
        self.received.get().map(|s| ExitCode::from(*s))
    }
}

/// The signals that interrupt a run, as they come.
#[cfg(unix)]
struct Incoming {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Incoming {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal, as the exit status that names it.
    async fn next(&mut self) -> u8 {
        tokio::select! {
            _ = self.int.recv() => exit::SIGINT,
            _ = self.term.recv() => exit::SIGTERM,
        }
    }
}

/// The signals that interrupt a run, as they come: Ctrl-C where there are no Unix signals.
#[cfg(not(unix))]
struct Incoming;

#[cfg(not(unix))]
impl Incoming {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    /// The next Ctrl-C, as the exit status that names it.
    async fn next(&mut self) -> u8 {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        exit::SIGINT
    }
}

/// Arguments of `hearth test`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUSES)]
pub(crate) struct Args {
    /// The broker the device is on (overrides the ICS's `broker` parameter).
    #[command(flatten)]
    broker: args::Broker,
    /// `root.cert` of the PKI folder is trusted; `lab.key` with `lab.cert` signs the report.
    /// With --controller, only the lab key is used: without it no report.cose is written.
    #[command(flatten)]
    pki: args::Pki,
    /// The device, `vvvv/device` (checked against the ICS).
    #[arg(long)]
    device: Option<String>,
    /// The implementation conformance statement (TOML).
    #[arg(long, required_unless_present_any = ["list", "controller"])]
    ics: Option<PathBuf>,
    /// Certify a controller or gateway instead of a device: its conformance statement
    /// (spec/08-controllers.md §3). The suite plays two lab fans on the broker (the embedded
    /// one unless --broker is given) and drives the controller through the agent command
    /// the statement names. The reports are a device's, report.cose signed by the lab key
    /// of --pki.
    #[arg(long, value_name = "ICS", conflicts_with_all = ["ics", "device", "only", "check_ics"])]
    controller: Option<PathBuf>,
    /// Where to write report.json, junit.xml, report.html and report.cose.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Only the test cases whose id starts with this (a partial run, not signed).
    #[arg(long)]
    only: Option<String>,
    #[command(flatten)]
    params: args::Params,
    #[command(flatten)]
    trace: Trace,
    /// Only review the ICS, without a device and without --pki: its form, its names
    /// against the catalog, its actuation flags and its credentials (readable, leading to
    /// the root of its `trust` parameter, or of --pki if given); each problem as
    /// FILE:LINE with a suggestion. Exits 0 when a run would accept it, 4 otherwise.
    #[arg(long)]
    check_ics: bool,
    /// Skip the pre-flight check, in which each controller of the ICS that the device
    /// admits sends one signed read before the first test case and the run stops with the
    /// likely cause (chain, access-control list, topic root, clock) when one gets no answer
    /// (HRT-CONF-065).
    #[arg(long)]
    no_preflight: bool,
    /// List the test cases (the test plan) instead of running them.
    #[arg(long)]
    list: bool,
    /// With --list: the whole plan in Markdown, with requirement texts and steps.
    #[arg(long, requires = "list")]
    markdown: bool,
    /// The summary as JSON on standard output (with --check-ics, the findings), the
    /// progress still on standard error.
    #[command(flatten)]
    output: args::Json,
}

/// `hearth test --check-ics`: every finding of the review as `FILE:LINE: …`, then a verdict
/// line; exit 0 when only warnings remain, 4 otherwise.
fn check_ics(
    ics: &std::path::Path,
    pki: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    use hearth_conformance::ics_review::{review, ReviewContext, Severity};
    let text = std::fs::read_to_string(ics).with_context(|| ics.display().to_string())?;
    let base = ics.parent().unwrap_or_else(|| std::path::Path::new(""));
    let findings = review(
        &text,
        &ReviewContext {
            base,
            default_root: pki.map(|d| d.join("root.cert")),
            now: crate::clock::now()?,
        },
    );
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings.len() - errors;
    if json {
        let list: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| {
                serde_json::json!({
                    "file": ics.display().to_string(),
                    "line": f.line,
                    "key": f.key,
                    "severity": f.severity.name(),
                    "message": f.message,
                })
            })
            .collect();
        let doc = serde_json::json!({ "valid": errors == 0, "findings": list });
        crate::out::print(&format!("{doc:#}\n"))?;
        return Ok(if errors == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(exit::SETUP)
        });
    }
    for f in &findings {
        eprintln!("{}", f.render(ics));
    }
    if errors > 0 {
        eprintln!(
            "{}: {errors} error{}, {warnings} warning{}: a run would not start",
            ics.display(),
            plural(errors),
            plural(warnings)
        );
        return Ok(ExitCode::from(exit::SETUP));
    }
    println!(
        "{}: valid{}",
        ics.display(),
        if warnings > 0 {
            format!(" ({warnings} warning{})", plural(warnings))
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `hearth test --controller ICS`: the `TC-CTL` cases against the agent the statement names,
/// on the broker given or an embedded one; reports as for a device.
fn test_controller(statement: &std::path::Path, args: &Args) -> anyhow::Result<ExitCode> {
    use hearth_conformance::controller::{ics::ControllerIcs, run};
    let ics = match ControllerIcs::load(statement) {
        Ok(ics) => ics,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return Ok(ExitCode::from(exit::SETUP));
        }
    };
    let pki = args.pki.pki.as_deref().map(args::existing).transpose()?;
    let pki = pki.map(std::path::Path::to_path_buf);
    let json = args.output.json;
    let rt = runtime()?;
    rt.block_on(async {
        let embedded;
        let (broker, label) = match &args.broker.broker {
            Some(url) => (url.clone(), url.to_string()),
            None => {
                embedded = hearth_mqtt::EmbeddedBroker::start_local()?;
                (embedded.url(), "embedded".to_owned())
            }
        };
        let scratch = tempfile::tempdir()?;
        let work = args
            .out
            .as_ref()
            .map_or_else(|| scratch.path().to_path_buf(), |o| o.join("controller"));
        let total = hearth_conformance::controller::cases::CASES.len();
        let mut progress = Progress::new(total);
        let report = run::run_controller(
            run::ControllerRun {
                ics: &ics,
                broker: &broker,
                broker_label: label,
                topic_root: args
                    .params
                    .params
                    .iter()
                    .find(|(k, _)| k == "topic_root")
                    .map_or_else(
                        || hearth_mqtt::topic::DEFAULT_ROOT.to_owned(),
                        |(_, v)| v.clone(),
                    ),
                work,
            },
            |_, result| progress.case_done(&ics.id, result),
        )
        .await;
        progress.finish();
        let report = match started(report) {
            Ok(r) => r,
            Err(status) => return Ok(status),
        };
        if let Some(out) = &args.out {
            write_controller_reports(out, pki.as_deref(), &report)?;
        }
        print_summary(&report, json, args.out.as_deref())?;
        Ok(exit::of_verdict(report.summary.verdict))
    })
}

/// The report of a run, or (`Err`) the exit status of one that could not start, said on
/// standard error.
fn started<E: std::fmt::Display>(
    report: Result<hearth_report::report::Report, E>,
) -> Result<hearth_report::report::Report, ExitCode> {
    report.map_err(|e| {
        eprintln!("cannot start: {e}");
        ExitCode::from(exit::SETUP)
    })
}

/// Print the summary of a run: as JSON when `json`, else as text naming the reports
/// folder `out` when there is one.
fn print_summary(
    report: &hearth_report::report::Report,
    json: bool,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if json {
        crate::out::print(&format!("{:#}\n", summary::to_json(report)))?;
    } else {
        println!("{}", summary::render(report));
        if let Some(out) = out {
            println!("reports: {}", out.display());
        }
    }
    Ok(())
}

/// Write a controller run's reports into `out` as a device run's are: `report.cose` signed
/// with the lab key of the PKI folder `pki` (`lab.key` with `lab.chain` or `lab.cert`), when
/// one is given and holds it; otherwise says on standard error why no `report.cose` was
/// written.
fn write_controller_reports(
    out: &std::path::Path,
    pki: Option<&std::path::Path>,
    report: &hearth_report::report::Report,
) -> anyhow::Result<()> {
    let written = match pki {
        Some(pki) => hearth_conformance::lab::write_lab_reports(out, pki, report)?,
        None => hearth_conformance::output::write_reports(out, report, None)?,
    };
    if written.iter().any(|f| f.ends_with("report.cose")) {
        return Ok(());
    }
    let why = match pki {
        None => "no lab key was given (--pki DIR with lab.key and lab.cert signs it)".to_owned(),
        Some(_) if !report.signable() => {
            "the run is partial or its parameters are not the specification's".to_owned()
        }
        Some(pki) => format!(
            "{} holds no lab key (lab.key with lab.cert or lab.chain)",
            pki.display()
        ),
    };
    eprintln!("report.cose not written: {why}");
    Ok(())
}

/// `s` for a count other than one.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Run `hearth test`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list {
        crate::out::print(&if args.markdown {
            hearth_conformance::plan::markdown()
        } else {
            hearth_conformance::plan::lines()
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(statement) = &args.controller {
        return test_controller(statement, &args);
    }
    let Some(ics) = args.ics else {
        return Err(usage("--ics FILE is needed to run the suite"));
    };
    if args.check_ics {
        return check_ics(&ics, args.pki.pki.as_deref(), args.output.json);
    }
    let pki = args.pki.required()?.to_path_buf();
    let mut config = TestConfig {
        ics,
        broker: args.broker.broker,
        pki,
        device: args.device,
        out: args.out.clone(),
        only: args.only,
        params: args.trace.with(args.params.params),
        interrupt: Interrupt::never(),
        preflight: !args.no_preflight,
    };
    let total = hearth_conformance::cases::CASES
        .iter()
        .filter(|c| config.only.as_deref().is_none_or(|o| c.id.starts_with(o)))
        .count();
    let json = args.output.json;
    let rt = runtime()?;
    let status = rt.block_on(async move {
        let (signals, interrupt) = Signals::listen()?;
        config.interrupt = interrupt;
        let mut progress = Progress::new(total);
        let report = run_test(&config, |device, _, result| {
            progress.case_done(device, result)
        })
        .await;
        progress.finish();
        let report = match started(report) {
            Ok(r) => r,
            Err(status) => return Ok(status),
        };
        print_summary(&report, json, args.out.as_deref())?;
        if let Some(status) = signals.exit_status() {
            return Ok(status);
        }
        if let Some(why) = hearth_conformance::runner::not_started(&report) {
            eprintln!("cannot start: {why}");
            return Ok(ExitCode::from(exit::SETUP));
        }
        Ok(exit::of_verdict(report.summary.verdict))
    });
    // An operator prompt an interrupt cut short still waits for a line of the terminal on a
    // blocking thread: do not wait for it.
    rt.shutdown_background();
    status
}
