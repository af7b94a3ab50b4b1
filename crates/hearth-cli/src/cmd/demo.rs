//! `hearth demo`: the embedded broker, a fresh test PKI, the simulated fleet, the whole suite
//! against every appliance, and the reports. The work is `hearth_demo::demo`'s; this
//! module shows progress and the fleet summary.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hearth_conformance::cases::CASES;
use hearth_demo::demo::{run_demo, DemoConfig};
use hearth_report::summary;
use hearth_report::verdict::Verdict;

use super::broker::runtime;
use super::test::{Signals, Trace};
use crate::args;

/// The exit statuses of `hearth demo`, for its `--help`.
const EXIT_STATUSES: &str = "\
Exit status: the fleet's verdict as `hearth test` gives a run's (spec/06-conformance.md
§6.2): 0 pass, 1 fail, 2 inconclusive, 3 error; 4 when the demo could not start, 64 usage
error, 130 interrupted by SIGINT (Ctrl-C), 143 interrupted by SIGTERM. An interrupted demo
ends the test case each appliance is in, lists every case it did not run, and writes its
reports marked partial and unsigned.";

/// Arguments of `hearth demo`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_STATUSES)]
pub(crate) struct Args {
    /// Where to write the reports (one folder per device, `summary.json`, `junit.xml`).
    #[arg(long, default_value = "hearth-demo-report")]
    out: PathBuf,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// Parameters are overridden for every device.
    #[command(flatten)]
    params: args::Params,
    #[command(flatten)]
    trace: Trace,
}

/// Run `hearth demo`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async move {
        let mut config = DemoConfig::new(&args.out);
        config.speed = args.speed;
        config.params = args.trace.with(args.params.params);
        let (signals, interrupt) = Signals::listen()?;
        config.interrupt = interrupt;
        let total = config.fleet.devices.len() * CASES.len();
        eprintln!("hearth demo: {} simulated appliances, {} test cases each, reports in {}", config.fleet.devices.len(), CASES.len(), args.out.display());
        let done = Arc::new(AtomicUsize::new(0));
        let failed = Arc::new(AtomicUsize::new(0));
        let (d, f) = (done.clone(), failed.clone());
        let reports = run_demo(&config, move |device, case, verdict| {
            let n = d.fetch_add(1, Ordering::Relaxed) + 1;
            if matches!(verdict, Verdict::Fail | Verdict::Error | Verdict::Inconclusive) {
                f.fetch_add(1, Ordering::Relaxed);
                eprintln!("\r  {verdict:<14} {device} {case}");
            }
            eprint!("\r  [{n:>4}/{total}] {device:<24} {case:<12}");
            let _ = std::io::stderr().flush();
        })
        .await?;
        eprintln!();
        println!("{}", summary::render_fleet(&reports));
        if let Some(status) = signals.exit_status() {
            println!("reports: {}  (interrupted: partial and unsigned; summary.json, junit.xml, one folder per device with report.json, junit.xml, report.html)", args.out.display());
            return Ok(status);
        }
        println!("reports: {}  (summary.json, junit.xml, one folder per device with report.json, junit.xml, report.html, report.cose)", args.out.display());
        Ok(crate::exit::of_verdict(summary::fleet_verdict(&reports)))
    })
}
