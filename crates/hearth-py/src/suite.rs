//! `run_suite`: the conformance suite of `hearth-conformance` against one device, as
//! `hearth test` runs it, returning the report (`report.json`'s text) and writing the
//! report files if asked. Against a simulated fleet's appliance, restarts and operator
//! actions go to the simulator, as in `hearth demo`; against a real device, restarts run the
//! ICS's command and operator actions are asked at the terminal.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hearth_conformance::case::{Operator, Restarter};
use hearth_conformance::cases::CASES;
use hearth_conformance::ics::Ics;
use hearth_conformance::lab::{prepare, run_test, write_lab_reports, TestConfig};
use hearth_conformance::runner::{run_device_until, Interrupt};
use hearth_demo::demo::SimAppliance;
use hearth_mqtt::BrokerUrl;
use hearth_report::report::Report;
use pyo3::prelude::*;

use crate::errors::{raise, Detail, SuiteError};
use crate::runtime;
use crate::sim::SimFleet;

fn start_error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A run against an appliance of a simulated fleet: the run `hearth test` prepares, with the
/// simulator as restarter and operator.
async fn run_simulated(
    config: TestConfig,
    runner: Arc<hearth_sim::Runner>,
    index: usize,
    progress: impl FnMut(&str, &str, &hearth_conformance::report::TestResult),
) -> Result<Report, String> {
    let mut run = prepare(&config).map_err(start_error)?;
    run.restarter = Some(Box::new(SimAppliance::new(runner.clone(), index)) as Box<dyn Restarter>);
    run.operator = Some(Box::new(SimAppliance::new(runner, index)) as Box<dyn Operator>);
    let report = run_device_until(run, CASES, &config.interrupt, progress).await;
    if let Some(out) = &config.out {
        write_lab_reports(out, &config.pki, &report).map_err(start_error)?;
    }
    Ok(report)
}

/// Run the conformance suite against the device of the ICS file `ics`, trusting
/// `pki/root.cert` and signing the report with `pki/lab.key` when `out` is given (where
/// `report.json`, `junit.xml`, `report.html` and `report.cose` are written). `fleet` is the
/// simulated fleet the device runs in, if it is simulated. `progress(device, case,
/// verdict)` is called after each test case. Returns `report.json`'s text; raises
/// `SuiteError` if the run cannot start. Ctrl-C ends the run early (a partial report).
#[pyfunction]
#[pyo3(signature = (ics, pki, out = None, broker = None, only = None, params = None, fleet = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_suite(
    py: Python<'_>,
    ics: PathBuf,
    pki: PathBuf,
    out: Option<PathBuf>,
    broker: Option<String>,
    only: Option<String>,
    params: Option<Vec<(String, String)>>,
    fleet: Option<&SimFleet>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let broker = broker
        .map(|b| b.parse::<BrokerUrl>())
        .transpose()
        .map_err(|e| raise::<SuiteError>(format!("broker: {e}"), Detail::default()))?;
    let params = params.unwrap_or_default();
    let simulated = match fleet {
        Some(f) => {
            let text = std::fs::read_to_string(&ics).map_err(|e| {
                raise::<SuiteError>(format!("{}: {e}", ics.display()), Detail::default())
            })?;
            let parsed = Ics::parse(&text).map_err(|e| {
                raise::<SuiteError>(format!("{}: {e}", ics.display()), Detail::default())
            })?;
            let (index, _) = f.find(&parsed.device.id)?;
            let broker = broker.clone().or_else(|| Some(f.broker_url().clone()));
            Some((f.runner.clone(), index, broker))
        }
        None => None,
    };
    let (interrupter, interrupt) = Interrupt::new();
    let report_progress =
        move |device: &str, case: &str, result: &hearth_conformance::report::TestResult| {
            if let Some(cb) = &progress {
                Python::attach(|py| {
                    if let Err(e) = cb.call1(py, (device, case, result.verdict.name())) {
                        e.print(py);
                    }
                });
            }
        };
    let config = |broker| TestConfig {
        ics: ics.clone(),
        broker,
        pki: pki.clone(),
        device: None,
        out: out.clone(),
        only: only.clone(),
        params: params.clone(),
        interrupt: interrupt.clone(),
        preflight: true,
    };
    let handle = match simulated {
        Some((runner, index, broker)) => runtime().spawn(run_simulated(
            config(broker),
            runner,
            index,
            report_progress,
        )),
        None => {
            let config = config(broker);
            runtime().spawn(async move {
                run_test(&config, report_progress)
                    .await
                    .map_err(|e| e.to_string())
            })
        }
    };
    // Wait for the run, looking for Ctrl-C between waits: it ends the run early.
    let mut handle = handle;
    let mut interrupted: Option<PyErr> = None;
    let result = loop {
        let waited = py.detach(|| {
            runtime().block_on(async {
                tokio::time::timeout(Duration::from_millis(200), &mut handle).await
            })
        });
        match waited {
            Ok(joined) => break joined,
            Err(_) => {
                if interrupted.is_none() {
                    if let Err(e) = py.check_signals() {
                        interrupter.interrupt();
                        interrupted = Some(e);
                    }
                }
            }
        }
    };
    let report = result
        .map_err(|e| raise::<SuiteError>(format!("the run stopped: {e}"), Detail::default()))?
        .map_err(|e| raise::<SuiteError>(e, Detail::default()))?;
    if let Some(e) = interrupted {
        return Err(e);
    }
    serde_json::to_string(&report)
        .map_err(|e| raise::<SuiteError>(e.to_string(), Detail::default()))
}
