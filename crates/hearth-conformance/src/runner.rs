//! Running the suite against one device and assembling its report.
//!
//! The runner connects the probe, waits for the device's verified description and online
//! status (bounded by `startup_timeout`), then runs every test case of the catalog in its
//! fixed order: a case that does not apply is `not-applicable` with the reason; the others
//! run bounded by `test_timeout` (HRT-CONF-063) and keep their slice of the trace as
//! evidence. Devices are independent, so a fleet runs them in parallel ([`run_fleet`]).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use hearth_model::catalog::Catalog;
use hearth_model::{Path, Value};
use hearth_mqtt::{BrokerUrl, DeviceAddr, Topics};
use hearth_security::cert::TrustStore;
use hearth_security::fs::{read_chain, read_key, FileCounterStore};
use hearth_security::replay::{CounterStore, SendCounter};
use hearth_wire::{Availability, Body, Message, Sender};

use crate::case::{privilege_name, Case, Ctx, Operator, Restarter};
use crate::ics::Ics;
use crate::probe::{Probe, Tester};
use crate::report::{
    run_verdict, Counts, DeviceInfo, Environment, IcsText, Report, Summary, TestResult,
};
use crate::trace::{now_ms, rfc3339};
use crate::verdict::{Outcome, Verdict};

/// Everything needed to test one device.
pub struct DeviceRun {
    /// The ICS exactly as read.
    pub ics_text: String,
    /// The parsed ICS (parameters already overridden from the command line).
    pub ics: Ics,
    /// The broker.
    pub broker: BrokerUrl,
    /// The roots the device's chain must lead to.
    pub trust: TrustStore,
    /// The controller identities the suite speaks as.
    pub testers: Vec<Tester>,
    /// How to restart the device, if possible.
    pub restarter: Option<Box<dyn Restarter>>,
    /// Who opens doors and provokes faults, if the run has someone (or something) to.
    pub operator: Option<Box<dyn Operator>>,
    /// Only test cases whose id starts with this (a partial run).
    pub only: Option<String>,
}

/// Why testers could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("controller {index} of the ICS: {reason}")]
pub struct TesterError {
    /// Position in `[[controllers]]`.
    pub index: usize,
    /// What went wrong.
    pub reason: String,
}

/// Load the ICS's `[[controllers]]` (paths relative to `base`), each with a counter file
/// next to its key so that runs never reuse a counter.
pub fn load_testers(ics: &Ics, base: &FsPath) -> Result<Vec<Tester>, TesterError> {
    ics.controllers
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let err = |reason: String| TesterError { index, reason };
            let key_path = base.join(&c.key);
            let key = read_key(&key_path).map_err(|e| err(e.to_string()))?;
            let chain = read_chain(&base.join(&c.chain)).map_err(|e| err(e.to_string()))?;
            let leaf = chain.first().ok_or_else(|| err("empty chain".into()))?;
            if leaf.claims().key != *key.public_key() {
                return Err(err(
                    "the key does not match the chain's leaf certificate".into()
                ));
            }
            let id = leaf.claims().subject.clone();
            let counter_path: PathBuf = key_path.with_extension("counter");
            let store: Box<dyn CounterStore + Send> = Box::new(FileCounterStore::new(counter_path));
            let counter = SendCounter::open(store, 1000).map_err(|e| err(e.to_string()))?;
            let bytes = chain.iter().map(|c| c.as_bytes().to_vec()).collect();
            Ok(Tester {
                id,
                privilege: privilege_name(c.privilege).to_owned(),
                sender: Sender::new(leaf.claims().subject.clone(), Arc::new(key), bytes, counter),
            })
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sha256:` + digest of the catalog data this suite was built with.
pub fn catalog_hash() -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for (path, text) in Catalog::embedded_files() {
        ctx.update(path.as_bytes());
        ctx.update(&[0]);
        ctx.update(text.as_bytes());
        ctx.update(&[0]);
    }
    let hex: String = ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// `sha256:` + digest of the requirement index this suite was built with.
pub fn requirements_hash() -> String {
    let json = crate::requirements::index()
        .map(|r| crate::requirements::to_json(&r))
        .unwrap_or_default();
    format!("sha256:{}", sha256_hex(json.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Test one device with `cases`; `progress(case id, verdict)` is called after each.
pub async fn run_device(
    run: DeviceRun,
    cases: &[Case],
    mut progress: impl FnMut(&str, &str, Verdict),
) -> Report {
    let started_ms = now_ms();
    let DeviceRun {
        ics_text,
        ics,
        broker,
        trust,
        testers,
        restarter,
        operator,
        only,
    } = run;
    let params = ics.parameters.clone();
    let seed = params
        .seed
        .unwrap_or_else(|| u64::from_str_radix(&random_hex(8), 16).unwrap_or(0));
    let addr = DeviceAddr::new(
        u16::from_str_radix(&ics.device.vendor, 16).unwrap_or(0),
        ics.device.id.clone(),
    );
    let device_label = addr.to_string();
    let topics = Topics::new(params.topic_root.clone());

    let mut device = DeviceInfo {
        vendor_id: ics.device.vendor.clone(),
        device_id: ics.device.id.clone(),
        device_type: ics.device.device_type.clone(),
        ..DeviceInfo::default()
    };
    let mut results = Vec::with_capacity(cases.len());

    let setup: Result<Ctx, String> = async {
        let mut probe = Probe::connect(&broker, topics, addr.clone(), trust, testers, seed)
            .await
            .map_err(|e| e.to_string())?;
        probe.note(format!(
            "waiting up to {:?} for the description and online status of {addr}",
            params.startup_timeout
        ));
        let deadline = params.startup_timeout;
        // Wait for the description on its topic, whether it opens or not: one that does not
        // open (a wrong signature, an untrusted chain) is a finding of TC-SEC-1.1, not a
        // reason to stop; the rest of the run uses what it claims.
        let Some(desc) = probe.wait_for(deadline, |s| s.channel == hearth_mqtt::topic::Channel::Desc).await else {
            // A device that is there (its status arrived) but whose description a new
            // subscriber never gets does not retain it (HRT-MQTT-015).
            let online = probe.seen().iter().any(|s| s.channel == hearth_mqtt::topic::Channel::Status);
            return Err(if online {
                format!("{addr} is online but no retained description reached a new subscriber within {deadline:?} (HRT-MQTT-015)")
            } else {
                format!("no description from {addr} within {deadline:?}")
            });
        };
        let description = match desc.message {
            Ok(Message {
                body: Body::Description(d),
                ..
            }) => d,
            _ => unverified_description(&desc.payload).ok_or_else(|| {
                "the message on the description topic is not a description".to_owned()
            })?,
        };
        let status = probe
            .wait_for(deadline, |s| {
                s.channel == hearth_mqtt::topic::Channel::Status
                    && match &s.message {
                        Ok(Message {
                            body: Body::Status(st),
                            ..
                        }) => st.availability == Availability::Online,
                        Err(_) => true,
                        Ok(_) => false,
                    }
            })
            .await;
        if status.is_none() {
            return Err(format!(
                "{addr} did not report itself online within {deadline:?}"
            ));
        }
        Ok(Ctx::new(
            probe,
            ics.clone(),
            params.clone(),
            description,
            restarter,
            operator,
        ))
    }
    .await;

    let mut ctx = match setup {
        Ok(ctx) => Some(ctx),
        Err(why) => {
            for case in cases {
                if only.as_deref().is_some_and(|o| !case.id.starts_with(o)) {
                    continue;
                }
                let outcome = if why.contains("(HRT-MQTT-015)")
                    && case.requirements.contains(&"HRT-MQTT-015")
                {
                    Outcome::fail("HRT-MQTT-015", why.clone())
                } else {
                    Outcome::error(format!("the run could not start: {why}"))
                };
                progress(&device_label, case.id, outcome.verdict);
                results.push(result_of(
                    case,
                    outcome,
                    rfc3339(now_ms()),
                    0,
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                ));
            }
            None
        }
    };

    if let Some(ctx) = ctx.as_mut() {
        fill_device_info(ctx, &mut device).await;
        for case in cases {
            if only.as_deref().is_some_and(|o| !case.id.starts_with(o)) {
                continue;
            }
            let started = now_ms();
            let mark = ctx.probe.trace().len();
            ctx.steps.clear();
            ctx.advisories.clear();
            let outcome = match (case.applies)(ctx) {
                Err(reason) => Outcome::not_applicable(reason),
                Ok(()) => {
                    ctx.probe.clear_seen();
                    ctx.probe.note(format!("{} {}", case.id, case.title));
                    let limit = ctx.params.test_timeout;
                    match tokio::time::timeout(limit, (case.run)(ctx)).await {
                        Ok(outcome) => outcome,
                        Err(_) => Outcome::error(format!(
                            "the test case did not finish within test_timeout ({limit:?})"
                        )),
                    }
                }
            };
            ctx.probe.pump();
            let evidence = if outcome.verdict == Verdict::NotApplicable {
                Vec::new()
            } else {
                ctx.probe.trace().entries()[mark..].to_vec()
            };
            progress(&device_label, case.id, outcome.verdict);
            let steps = std::mem::take(&mut ctx.steps);
            let advisories = std::mem::take(&mut ctx.advisories);
            results.push(result_of(
                case,
                outcome,
                rfc3339(started),
                now_ms().saturating_sub(started),
                steps,
                advisories,
                evidence,
            ));
        }
    }
    if let Some(ctx) = ctx {
        let _ = ctx.probe.close().await;
    }

    let mut counts = Counts::default();
    let mut failed: Vec<String> = Vec::new();
    for r in &results {
        counts.add(r.verdict);
        failed.extend(r.failed_requirements.iter().cloned());
    }
    failed.sort();
    failed.dedup();
    Report {
        format: "hearth-report".into(),
        format_version: 1,
        suite_version: env!("CARGO_PKG_VERSION").into(),
        spec_version: "1.0".into(),
        catalog_hash: catalog_hash(),
        requirements_hash: requirements_hash(),
        run_id: random_hex(16),
        started: rfc3339(started_ms),
        finished: rfc3339(now_ms()),
        partial: only.is_some(),
        seed: seed.to_string(),
        environment: Environment {
            broker: if params.broker == "embedded" {
                "embedded".into()
            } else {
                broker.to_string()
            },
            topic_root: params.topic_root.clone(),
            host: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        },
        parameters: params.to_json().into_iter().collect(),
        spec_parameters: params.spec_values(),
        device,
        ics: IcsText {
            sha256: sha256_hex(ics_text.as_bytes()),
            text: ics_text,
        },
        summary: Summary {
            verdict: run_verdict(&counts),
            counts,
            failed_requirements: failed,
        },
        tests: results,
    }
}

fn result_of(
    case: &Case,
    outcome: Outcome,
    started: String,
    duration_ms: u64,
    steps: Vec<crate::report::Step>,
    advisories: Vec<crate::report::Advisory>,
    evidence: Vec<crate::trace::TraceEntry>,
) -> TestResult {
    let failed = if outcome.verdict == Verdict::Fail {
        outcome.broken.clone()
    } else {
        Vec::new()
    };
    let reason = if outcome.verdict != Verdict::Pass && outcome.reason.is_empty() {
        "no reason given".into()
    } else {
        outcome.reason
    };
    TestResult {
        id: case.id.into(),
        title: case.title.into(),
        requirements: case.requirements.iter().map(|r| (*r).to_owned()).collect(),
        verdict: outcome.verdict,
        reason,
        failed_requirements: failed,
        advisories,
        started,
        duration_ms,
        steps,
        evidence,
        violations: if outcome.verdict == Verdict::Fail {
            outcome.evidence
        } else {
            Vec::new()
        },
    }
}

/// Key id, chain and description digest from the device's own messages, and what
/// `device-info` says (vendor, model, firmware).
async fn fill_device_info(ctx: &mut Ctx, device: &mut DeviceInfo) {
    for entry in ctx.probe.trace().entries() {
        if entry.kind == "description" && entry.check == "ok" {
            if let Some(bytes) = hex_decode(&entry.hex) {
                if let Ok(env) = hearth_security::cose::Envelope::parse(&bytes) {
                    device.key_id = env.kid().to_hex();
                    device.description_sha256 = sha256_hex(env.unverified_payload());
                    if let Ok(msg) = hearth_wire::codec::decode(
                        env.unverified_payload(),
                        &hearth_wire::Limits::STANDARD,
                    ) {
                        device.certificate_chain = msg
                            .chain
                            .iter()
                            .map(|c| c.iter().map(|b| format!("{b:02x}")).collect())
                            .collect();
                    }
                }
            }
        }
    }
    let Some(who) =
        (0..ctx.probe.testers().len()).find(|i| ctx.probe.testers()[*i].privilege != "none")
    else {
        return;
    };
    let text = |v: Result<Value, Outcome>| match v {
        Ok(Value::Text(s)) => s,
        _ => String::new(),
    };
    device.vendor = text(ctx.read(who, Path::new(0, 1, 1)).await);
    device.model = text(ctx.read(who, Path::new(0, 1, 4)).await);
    device.firmware = text(ctx.read(who, Path::new(0, 1, 7)).await);
}

/// The description a message claims, without checking its signature.
fn unverified_description(payload: &[u8]) -> Option<hearth_model::Description> {
    let envelope = hearth_security::cose::Envelope::parse(payload).ok()?;
    match hearth_wire::codec::decode(
        envelope.unverified_payload(),
        &hearth_wire::Limits::STANDARD,
    )
    .ok()?
    .body
    {
        Body::Description(d) => Some(d),
        _ => None,
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Run several devices in parallel, each with the whole catalog; reports in input order.
pub async fn run_fleet(
    runs: Vec<DeviceRun>,
    cases: &'static [Case],
    progress: impl Fn(&str, &str, Verdict) + Send + Sync + Clone + 'static,
) -> Vec<Report> {
    let started = Instant::now();
    let handles: Vec<_> = runs
        .into_iter()
        .map(|run| {
            let progress = progress.clone();
            tokio::spawn(
                async move { run_device(run, cases, move |d, c, v| progress(d, c, v)).await },
            )
        })
        .collect();
    let mut reports = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(r) = h.await {
            reports.push(r);
        }
    }
    let _ = started;
    reports
}
