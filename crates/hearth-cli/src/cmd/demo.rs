//! `hearth demo`: the embedded broker, a fresh test PKI, the simulated fleet factory-new and
//! commissioned, the whole suite against every appliance, the controller suite against the
//! reference controller, and the reports. The work is `hearth_demo::demo`'s; this
//! module shows progress and the fleet summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;

use hearth_conformance::cases::CASES;
use hearth_demo::demo::{run_demo, Commissioning, DemoConfig};
use hearth_report::summary;

use super::broker::runtime;
use super::test::{Signals, Trace};
use crate::args;
use crate::progress::Progress;

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
    /// Where to write the reports (one folder per device, `controller/` for the reference
    /// controller, `summary.json`, `junit.xml`).
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
    /// Print summary.json (the fleet's runs and verdicts) on standard output instead of the
    /// table.
    #[command(flatten)]
    output: args::Json,
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
        let devices = config.fleet.devices.len();
        let controller_cases = hearth_conformance::controller::cases::CASES.len();
        eprintln!(
            "hearth demo: {devices} simulated appliances, factory-new, commissioned by the lab's manager, {} test cases each; then the reference controller, {controller_cases} controller test cases; reports in {}",
            CASES.len(),
            args.out.display()
        );
        let progress = Arc::new(Mutex::new(Progress::new(
            devices * CASES.len() + controller_cases,
        )));
        let steps = progress.clone();
        config.on_commissioned = Commissioning(Some(Arc::new(move |done, total| {
            if let Ok(p) = steps.lock() {
                p.setup_step(&format!("commissioned {done}/{total}"), done == total);
            }
        })));
        let shown = progress.clone();
        let reports = run_demo(&config, move |device, _, result| {
            if let Ok(mut p) = shown.lock() {
                p.case_done(device, result);
            }
        })
        .await;
        if let Ok(p) = progress.lock() {
            p.finish();
        }
        let reports = reports?;
        let interrupted = signals.exit_status();
        if args.output.json {
            // The same structure the demo writes as summary.json.
            let path = args.out.join("summary.json");
            let text = std::fs::read_to_string(&path)
                .with_context(|| path.display().to_string())?;
            crate::out::print(&text)?;
        } else {
            println!("{}", summary::render_fleet(&reports));
            let files = if interrupted.is_some() {
                "interrupted: partial and unsigned; summary.json, junit.xml, one folder per device with report.json, junit.xml, report.html"
            } else {
                "summary.json, junit.xml, one folder per device and controller/ for the reference controller, each with report.json, junit.xml, report.html, report.cose"
            };
            println!("reports: {}  ({files})", args.out.display());
        }
        if let Some(status) = interrupted {
            return Ok(status);
        }
        Ok(crate::exit::of_verdict(summary::fleet_verdict(&reports)))
    })
}
