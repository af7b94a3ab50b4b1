//! A run against a controller (`hearth test --controller`): the lab fans on the broker, the
//! agent started from the statement, every `TC-CTL` case in order, and a report in the same
//! format as a device's (`spec/06-conformance.md` §10), the controller in its `device` part
//! with device type `controller`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hearth_mqtt::{BrokerUrl, Topics};
use hearth_security::cert::Certificate;
use hearth_security::fs::{read_cert, read_chain, write_public};
use serde_json::json;

use super::agent::Agent;
use super::cases::{CtlCtx, Starter, CASES};
use super::ics::ControllerIcs;
use super::lab::Lab;
use crate::harness::assemble::{self, hex, test_result, CaseRecord, RunFacts};
use crate::report::{DeviceInfo, Report, TestResult};
use crate::trace::{now_ms, rfc3339};
use crate::verdict::{Outcome, Verdict};

/// Where and how a controller is tested.
pub struct ControllerRun<'a> {
    /// The statement.
    pub ics: &'a ControllerIcs,
    /// The broker of the run.
    pub broker: &'a BrokerUrl,
    /// How the report names the broker (`embedded` for the suite's own).
    pub broker_label: String,
    /// The topic root.
    pub topic_root: String,
    /// A folder for the trust file and the agent's state (`{trust}`, `{state}`).
    pub work: PathBuf,
}

/// Test the controller `run` describes, starting its agent with the statement's command;
/// `progress(case id, result)` after each case.
///
/// # Errors
///
/// Why the run could not start: the statement's files, the broker, the agent, or a
/// controller that never accepts the lab fans (it does not trust the lab root it was given).
pub async fn run_controller(
    run: ControllerRun<'_>,
    progress: impl FnMut(&str, &TestResult),
) -> Result<Report, String> {
    let ics = run.ics.clone();
    let broker = run.broker.to_string();
    let root = run.topic_root.clone();
    let launch = move |trust: &Path, state: &Path| -> Starter {
        let command = ics.command_for(&broker, &root, trust, state);
        let timeout = ics.response_timeout;
        Box::new(move || Agent::spawn(&command, timeout))
    };
    run_controller_with(run, launch, progress).await
}

/// Test the controller `run` describes, its agent started by what `launch` makes of the
/// trust file and the state folder (`{trust}`, `{state}`) instead of the statement's command:
/// e.g. an in-process controller over [`Agent::over`], as the suite's self-check runs its
/// controller profiles. Otherwise as [`run_controller`].
///
/// # Errors
///
/// As [`run_controller`].
pub async fn run_controller_with(
    run: ControllerRun<'_>,
    launch: impl FnOnce(&Path, &Path) -> Starter,
    mut progress: impl FnMut(&str, &TestResult),
) -> Result<Report, String> {
    let ics = run.ics;
    let started_ms = now_ms();
    let chain = read_chain(&ics.chain)
        .map_err(|e| format!("controller.chain {}: {e}", ics.chain.display()))?;
    let leaf = chain.first().ok_or("controller.chain is empty")?;
    let root =
        read_cert(&ics.root).map_err(|e| format!("controller.root {}: {e}", ics.root.display()))?;
    let wait = ics.response_timeout * 4;
    let lab = Lab::start(
        run.broker,
        Topics::new(&run.topic_root),
        *leaf.subject_kid(),
        &root,
        wait,
    )
    .await?;
    std::fs::create_dir_all(&run.work).map_err(|e| format!("{}: {e}", run.work.display()))?;
    let trust = run.work.join("lab-root.cert");
    write_public(&trust, lab.pki.root.cert.as_bytes())
        .map_err(|e| format!("{}: {e}", trust.display()))?;
    let state = run.work.join("agent-state");
    std::fs::create_dir_all(&state).map_err(|e| format!("{}: {e}", state.display()))?;
    let start = launch(&trust, &state);
    let mut agent = start().map_err(|e| e.to_string())?;
    let hello = agent
        .ask("hello", serde_json::Map::new(), wait)
        .await
        .map_err(|e| {
            format!(
                "{e}; the agent wrote on its standard error: {}",
                agent.stderr()
            )
        })?
        .map_err(|e| format!("the agent refused `hello`: {}", e.message))?;
    if hello["protocol"] != json!(1) {
        return Err(format!(
            "the agent speaks protocol {}, not 1",
            hello["protocol"]
        ));
    }
    let mut ctx = CtlCtx::new(lab, agent, ics.clone(), start);
    for i in 0..2 {
        if let Err(outcome) = ctx.marker(i).await {
            return Err(format!(
                "the controller does not accept the lab fans' reports ({}): it must trust the lab root in {} (HRT-CTL-003); the agent wrote on its standard error: {}",
                outcome.reason,
                trust.display(),
                ctx.agent.stderr()
            ));
        }
    }
    let mut results = Vec::new();
    for case in CASES {
        let began = now_ms();
        let clock = Instant::now();
        let (outcome, steps) = if case.restarts && !ics.restartable {
            (
                Outcome::not_applicable(
                    "the statement does not let the suite restart the agent (agent.restartable)",
                ),
                Vec::new(),
            )
        } else {
            ctx.begin(case.steps);
            let outcome = match (case.run)(&mut ctx).await {
                Ok(()) => Outcome::pass(),
                Err(o) => o,
            };
            let steps = ctx.finish(outcome.verdict == Verdict::Pass);
            (outcome, steps)
        };
        let result = test_result(
            case.name(),
            outcome,
            CaseRecord {
                started: rfc3339(began),
                duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
                steps,
                ..CaseRecord::default()
            },
        );
        progress(case.id, &result);
        results.push(result);
    }
    let _ = ctx.agent.stop().await;
    let parameters: BTreeMap<String, serde_json::Value> = [(
        "response_timeout".to_owned(),
        json!(u64::try_from(ics.response_timeout.as_millis()).unwrap_or(u64::MAX)),
    )]
    .into_iter()
    .collect();
    Ok(assemble::report(
        RunFacts {
            started_ms,
            partial: false,
            seed: "0".into(),
            broker: run.broker_label,
            topic_root: run.topic_root,
            parameters,
            spec_parameters: true,
            device: controller_info(ics, &chain),
            ics_text: ics.text.clone(),
        },
        results,
    ))
}

/// The controller under test in the report's `device` part: its identity from its
/// statement (id, vendor, product, firmware), its key and chain from its certificates, and
/// the device type `controller`.
fn controller_info(ics: &ControllerIcs, chain: &[Certificate]) -> DeviceInfo {
    let leaf = chain.first();
    DeviceInfo {
        vendor_id: leaf
            .and_then(|l| l.claims().vendor_id)
            .map(|v| format!("{v:04x}"))
            .unwrap_or_default(),
        device_id: ics.id.clone(),
        device_type: "controller".into(),
        vendor: ics.vendor.clone(),
        model: ics.product.clone(),
        firmware: ics.firmware.clone(),
        key_id: leaf.map(|l| l.subject_kid().to_hex()).unwrap_or_default(),
        certificate_chain: chain.iter().map(|c| hex(c.as_bytes())).collect(),
        description_sha256: String::new(),
    }
}
