//! Running the suite against one device and assembling its report.
//!
//! The runner connects the probe, waits for the device's verified description and online
//! status (bounded by `startup_timeout`), then runs every test case of the catalog in its
//! fixed order: a case that does not apply is `not-applicable` with the reason; the others
//! run bounded by `test_timeout` (HRT-CONF-063) and keep their slice of the trace as
//! evidence, with the message bytes the `trace` parameter keeps. Devices are independent, so
//! a fleet runs them in parallel ([`run_fleet`]).
//!
//! A run can be ended early through an [`Interrupt`] (the command line sets it on SIGINT or
//! SIGTERM): the case running ends with `error`, every case after it is listed as not run,
//! and the report is marked partial, so it is written but never signed (HRT-CONF-092).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use hearth_model::{Path, Value};
use hearth_mqtt::{BrokerUrl, DeviceAddr, Topics};
use hearth_security::cert::TrustStore;
use hearth_security::fs::{read_chain, read_key, FileCounterStore};
use hearth_security::replay::{CounterStore, SendCounter};
use hearth_wire::{Availability, Body, Message, Sender};

use crate::case::{Case, CaseResult, Ctx, Operator, Restarter};
use crate::harness::assemble::{self, random_hex, sha256_hex, CaseRecord, RunFacts};
pub use crate::harness::assemble::{catalog_hash, requirements_hash};
use crate::ics::Ics;
use crate::probe::{Probe, Tester};
use crate::report::{DeviceInfo, Report, TestResult};
use crate::requirements::req::{self, Req};
use crate::trace::{now_ms, rfc3339};
use crate::verdict::{Outcome, Verdict};

/// The reason of every test case an interrupted run did not start.
pub const NOT_RUN_INTERRUPTED: &str = "not run: the run was interrupted";

/// The reason of the test case that was running when the run was interrupted.
pub const INTERRUPTED_WHILE_RUNNING: &str =
    "the run was interrupted while this test case ran; it did not reach its verdict";

/// A request to end runs early, as a user's Ctrl-C makes it: every run holding a clone
/// starts no further test case and ends the one it is running. Set through its
/// [`Interrupter`].
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Option<tokio::sync::watch::Receiver<bool>>);

/// What sets an [`Interrupt`].
#[derive(Debug)]
pub struct Interrupter(tokio::sync::watch::Sender<bool>);

impl Interrupt {
    /// An interrupt and what sets it.
    pub fn new() -> (Interrupter, Self) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (Interrupter(tx), Self(Some(rx)))
    }

    /// An interrupt nothing sets.
    pub fn never() -> Self {
        Self(None)
    }

    /// Whether it has been set.
    pub fn is_set(&self) -> bool {
        self.0.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Wait until it is set (for ever, if nothing can set it any more).
    pub async fn wait(&self) {
        if let Some(rx) = &self.0 {
            if rx.clone().wait_for(|set| *set).await.is_ok() {
                return;
            }
        }
        std::future::pending::<()>().await;
    }
}

impl Interrupter {
    /// Set the interrupt: the runs holding it end as soon as they can.
    pub fn interrupt(&self) {
        self.0.send_replace(true);
    }
}

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
    /// The lab's certificate authority (`[authority]`), if the ICS names one.
    pub authority: Option<std::sync::Arc<crate::authority::Authority>>,
    /// Check before the first test case that every controller the ICS says the device
    /// admits gets an answer, and stop with the likely cause if one does not
    /// (HRT-CONF-065).
    pub preflight: bool,
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
pub fn load_testers(ics: &Ics) -> Result<Vec<Tester>, TesterError> {
    ics.controllers
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let err = |reason: String| TesterError { index, reason };
            let key_path = FsPath::new(&c.key).to_path_buf();
            let key = read_key(&key_path).map_err(|e| err(e.to_string()))?;
            let chain = read_chain(FsPath::new(&c.chain)).map_err(|e| err(e.to_string()))?;
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
            let mut vouched_by: Vec<_> = chain
                .iter()
                .flat_map(|c| [*c.subject_kid(), *c.issuer_kid()])
                .collect();
            vouched_by.sort();
            vouched_by.dedup();
            Ok(Tester {
                id,
                privilege: c.privilege,
                vouched_by,
                sender: Sender::new(leaf.claims().subject.clone(), Arc::new(key), bytes, counter),
            })
        })
        .collect()
}

/// Test one device with `cases`; `progress(device, case id, result)` is called after each,
/// with the result as the report keeps it (verdict, reason, duration).
pub async fn run_device(
    run: DeviceRun,
    cases: &[Case],
    progress: impl FnMut(&str, &str, &TestResult),
) -> Report {
    run_device_until(run, cases, &Interrupt::never(), progress).await
}

/// [`run_device`], ended early when `interrupt` is set: the report then lists the case that
/// was running and every case after it with the verdict `error` and says why, and is
/// partial. `progress` is not called for those cases.
pub async fn run_device_until(
    run: DeviceRun,
    cases: &[Case],
    interrupt: &Interrupt,
    mut progress: impl FnMut(&str, &str, &TestResult),
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
        authority,
        preflight,
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
    // A test case that is not to run: not selected (spec §8.3), or the run was interrupted.
    let skipped = |case: &Case| {
        if let Some(o) = only.as_deref().filter(|o| !case.id.starts_with(o)) {
            Some(Outcome::not_applicable(format!(
                "not selected (--only {o})"
            )))
        } else if interrupt.is_set() {
            Some(Outcome::error(NOT_RUN_INTERRUPTED))
        } else {
            None
        }
    };
    let not_run = |case: &Case, outcome: Outcome| {
        result_of(
            case,
            outcome,
            rfc3339(now_ms()),
            0,
            Vec::new(),
            Vec::new(),
            Vec::new(),
        )
    };

    let setup = async {
        let roots = trust.clone();
        let mut probe = Probe::connect(&broker, topics, addr.clone(), trust, testers, seed)
            .await
            .map_err(|e| SetupError::new(e.to_string()))?;
        probe.note(format!(
            "waiting up to {:?} for the description and online status of {addr}",
            params.startup_timeout
        ));
        let deadline = params.startup_timeout;
        // Wait for the description on its topic, whether it opens or not: one that does not
        // open (a wrong signature, an untrusted chain) is a finding of TC-SEC-1.1, not a
        // reason to stop; the rest of the run uses what it claims.
        let Some(desc) = probe
            .wait_for(deadline, |s| s.channel == hearth_mqtt::topic::Channel::Desc)
            .await
        else {
            // A device that is there (its status arrived) but whose description a new
            // subscriber never gets does not retain it (HRT-MQTT-015).
            let online = probe
                .seen()
                .iter()
                .any(|s| s.channel == hearth_mqtt::topic::Channel::Status);
            if let Some(topic) = probe.misaddressed_descriptions().first() {
                return Err(SetupError::breaks(req::HRT_MQTT_006, format!("{addr} publishes its description on {topic}, whose vendor level is not the vendor id in four lower-case hexadecimal digits")));
            }
            if params.topic_root != hearth_mqtt::topic::DEFAULT_ROOT
                && probe
                    .retained_under(
                        &broker,
                        &Topics::default(),
                        hearth_mqtt::topic::Channel::Desc,
                        params.silence_window,
                    )
                    .await
                    .unwrap_or(false)
            {
                return Err(SetupError::breaks(req::HRT_MQTT_003, format!("{addr} publishes its description under the default root {}, not under the root {} it was configured with", hearth_mqtt::topic::DEFAULT_ROOT, params.topic_root)));
            }
            return Err(if online {
                SetupError::breaks(req::HRT_MQTT_015, format!("{addr} is online but no retained description reached a new subscriber within {deadline:?}"))
            } else {
                SetupError::new(format!("no description from {addr} within {deadline:?}"))
            });
        };
        let description = match desc.message {
            Ok(Message {
                body: Body::Description(d),
                ..
            }) => d,
            _ => unverified_description(&desc.payload)?,
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
            return Err(SetupError::new(format!(
                "{addr} did not report itself online within {deadline:?}"
            )));
        }
        if preflight {
            crate::harness::preflight::preflight(&mut probe, &ics, &roots, now_ms() / 1000)
                .await
                .map_err(SetupError::new)?;
        }
        let mut ctx = Ctx::new(
            probe,
            ics.clone(),
            params.clone(),
            description,
            restarter,
            operator,
        );
        ctx.authority = authority;
        Ok(ctx)
    };
    let setup: Result<Ctx, SetupError> = tokio::select! {
        setup = setup => setup,
        () = interrupt.wait() => Err(SetupError::new("the run was interrupted".into())),
    };

    let mut ctx = match setup {
        Ok(ctx) => Some(ctx),
        Err(why) => {
            for case in cases {
                if let Some(outcome) = skipped(case) {
                    results.push(not_run(case, outcome));
                    continue;
                }
                let result = not_run(case, setup_failure(case, &why));
                progress(&device_label, case.id, &result);
                results.push(result);
            }
            None
        }
    };

    if let Some(ctx) = ctx.as_mut() {
        tokio::select! {
            () = fill_device_info(ctx, &mut device) => {}
            () = interrupt.wait() => {}
        }
        for case in cases {
            if let Some(outcome) = skipped(case) {
                results.push(not_run(case, outcome));
                continue;
            }
            let started = now_ms();
            let mark = ctx.probe.trace().len();
            ctx.begin(case);
            let outcome = match (case.applies)(ctx) {
                Err(reason) => Outcome::not_applicable(reason),
                Ok(()) => {
                    ctx.probe.clear_seen();
                    ctx.probe.note(format!("{} {}", case.id, case.title));
                    let limit = ctx.params.test_timeout;
                    tokio::select! {
                        ended = tokio::time::timeout(limit, (case.run)(ctx)) => match ended {
                            Ok(result) => judge(case, result, &ctx.defects),
                            Err(_) => Outcome::error(format!(
                                "the test case did not finish within test_timeout ({limit:?})"
                            )),
                        },
                        () = interrupt.wait() => Outcome::error(INTERRUPTED_WHILE_RUNNING),
                    }
                }
            };
            ctx.probe.pump();
            let evidence = if outcome.verdict == Verdict::NotApplicable {
                Vec::new()
            } else {
                ctx.probe.trace().entries()[mark..].to_vec()
            };
            let steps = std::mem::take(&mut ctx.steps);
            let advisories = std::mem::take(&mut ctx.advisories);
            let mut result = result_of(
                case,
                outcome,
                rfc3339(started),
                now_ms().saturating_sub(started),
                steps,
                advisories,
                evidence,
            );
            result.keep_bytes(params.trace);
            if !interrupt.is_set() {
                progress(&device_label, case.id, &result);
            }
            results.push(result);
        }
    }
    if let Some(ctx) = ctx {
        let _ = ctx.probe.close().await;
    }

    assemble::report(
        RunFacts {
            started_ms,
            partial: only.is_some() || interrupt.is_set(),
            seed: seed.to_string(),
            broker: if params.broker == "embedded" {
                "embedded".into()
            } else {
                broker.to_string()
            },
            topic_root: params.topic_root.clone(),
            parameters: params.to_json().into_iter().collect(),
            spec_parameters: params.spec_values(),
            device,
            ics_text,
        },
        results,
    )
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
    assemble::test_result(
        case.name(),
        outcome,
        CaseRecord {
            started,
            duration_ms,
            steps,
            advisories,
            evidence,
        },
    )
}

/// Key id, chain and description digest from the device's own messages, and what
/// `device-info` says (vendor, model, firmware).
async fn fill_device_info(ctx: &mut Ctx, device: &mut DeviceInfo) {
    for published in ctx.probe.published(0) {
        if published.opened && matches!(published.message.body, Body::Description(_)) {
            if let Ok(env) = hearth_security::cose::Envelope::parse(&published.bytes) {
                device.key_id = env.kid().to_hex();
            }
            device.description_sha256 = sha256_hex(&published.payload);
            device.certificate_chain = published
                .message
                .chain
                .iter()
                .map(|c| c.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
        }
    }
    let Some(who) =
        (0..ctx.probe.testers().len()).find(|i| ctx.probe.testers()[*i].privilege.is_some())
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

/// Why a run could not start, and the requirement the device was seen to break while it was
/// being set up, if that is why (a description that does not decode, one not retained).
#[derive(Debug, Clone, PartialEq, Eq)]
struct SetupError {
    why: String,
    broken: Option<Req>,
}

impl SetupError {
    /// The environment or the device kept the run from starting, breaking no requirement
    /// the suite can name.
    fn new(why: String) -> Self {
        Self { why, broken: None }
    }

    /// The device broke `requirement`, which is why the run cannot start.
    fn breaks(requirement: Req, why: String) -> Self {
        Self {
            why,
            broken: Some(requirement),
        }
    }
}

/// The description a device published, decoded without opening its envelope, so that a
/// run can go on when only the signature or chain is at fault (TC-SEC-1.1 reports that).
///
/// A payload that does not decode as a description breaks HRT-MOD-111 when it has a key
/// the description's structure does not define (the structure is closed), HRT-MOD-120 when
/// it sends an optional list empty instead of omitting it, HRT-MSG-050 for
/// any other decoding problem (the description's encoding); [`setup_failure`] turns that
/// into a fail of the test case that names it.
fn unverified_description(payload: &[u8]) -> Result<hearth_model::Description, SetupError> {
    let envelope = hearth_security::cose::Envelope::parse(payload).map_err(|e| {
        SetupError::new(format!(
            "the message on the description topic is not a COSE_Sign1 envelope: {e}"
        ))
    })?;
    match hearth_wire::codec::decode(
        envelope.unverified_payload(),
        &hearth_wire::Limits::STANDARD,
    ) {
        Ok(Message {
            body: Body::Description(d),
            ..
        }) => Ok(d),
        Ok(other) => Err(SetupError::breaks(
            req::HRT_MSG_050,
            format!(
                "the message on the description topic is a {:?} message, not a description",
                other.body.kind()
            ),
        )),
        Err(e @ hearth_wire::codec::DecodeError::UnknownKey(_)) => Err(SetupError::breaks(
            req::HRT_MOD_111,
            format!("the description does not decode: {e}"),
        )),
        Err(e @ hearth_wire::codec::DecodeError::EmptyList(_)) => Err(SetupError::breaks(
            req::HRT_MOD_120,
            format!("the description does not decode: {e}"),
        )),
        Err(e) => Err(SetupError::breaks(
            req::HRT_MSG_050,
            format!("the description does not decode: {e}"),
        )),
    }
}

/// The outcome of a test case when the run could not start for the reason `why`: a case
/// that checks the requirement the device was seen to break fails with it, every other case
/// is an error, because it could not run.
fn setup_failure(case: &Case, why: &SetupError) -> Outcome {
    match why.broken {
        Some(r) if case.requirements.contains(&r) => Outcome::fail(r, format!("{} ({r})", why.why)),
        Some(r) => Outcome::error(format!("{NOT_STARTED}{} ({r})", why.why)),
        None => Outcome::error(format!("{NOT_STARTED}{}", why.why)),
    }
}

/// How the reason of every test case begins when the run could not start.
pub const NOT_STARTED: &str = "the run could not start: ";

/// Why the run of `report` could not start, when it could not because of its environment
/// (the broker, the lab's credentials, the pre-flight check) rather than a device that
/// broke a requirement: every test case that was selected ended `error` with the same
/// reason, beginning with [`NOT_STARTED`]. `hearth test` then exits 4, not 3 (HRT-CONF-047).
pub fn not_started(report: &Report) -> Option<&str> {
    let mut reasons = report
        .tests
        .iter()
        .filter(|t| !(t.verdict == Verdict::NotApplicable && t.reason.starts_with("not selected")));
    let first = reasons.next()?;
    let why = first.reason.strip_prefix(NOT_STARTED)?;
    let all = reasons.all(|t| t.verdict == Verdict::Error && t.reason == first.reason);
    (all && first.verdict == Verdict::Error).then_some(why)
}

/// The outcome of a case that ran: what it returned, unless the suite itself was at fault —
/// a step the case does not declare, or a failure naming a requirement the case does not
/// check (HRT-CONF-042) — which makes it an `error` saying so.
fn judge(case: &Case, result: CaseResult, defects: &[String]) -> Outcome {
    let outcome = result.err().unwrap_or_else(Outcome::pass);
    if let Some(defect) = defects.first() {
        return Outcome::error(format!(
            "a defect of the suite: {defect} (the test case ended: {} {})",
            outcome.verdict, outcome.reason
        ));
    }
    let unnamed: Vec<&str> = outcome
        .broken
        .iter()
        .filter(|b| !case.requirements.iter().any(|r| r.id() == b.as_str()))
        .map(String::as_str)
        .collect();
    if outcome.verdict == Verdict::Fail && !unnamed.is_empty() {
        return Outcome::error(format!(
            "a defect of the suite: the device broke {}, which {} does not check, so it cannot fail it (HRT-CONF-042): {}",
            unnamed.join(", "),
            case.id,
            outcome.reason
        ))
        .with_evidence(outcome.evidence);
    }
    outcome
}

/// Run several devices in parallel, each with the whole catalog; reports in input order.
pub async fn run_fleet(
    runs: Vec<DeviceRun>,
    cases: &'static [Case],
    progress: impl Fn(&str, &str, &TestResult) + Send + Sync + Clone + 'static,
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

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_model::Description;
    use hearth_security::{Algorithm, KeyPair};
    use hearth_wire::codec::encode;
    use hearth_wire::{Status, PROTOCOL_VERSION};

    fn message(body: Body) -> Message {
        Message {
            version: PROTOCOL_VERSION,
            sender: "d".into(),
            counter: 1,
            time_ms: None,
            request_id: None,
            target: None,
            chain: vec![],
            body,
        }
    }

    fn description() -> Description {
        Description {
            spec_version: 1,
            vendor_id: 1,
            device_id: "x".into(),
            device_type: 1,
            components: vec![],
        }
    }

    fn sealed(payload: &[u8]) -> Vec<u8> {
        let key = KeyPair::generate_system(Algorithm::EdDsa).expect("key");
        hearth_security::sign1(&key, payload, b"d/0001/x/desc").expect("sign")
    }

    fn description_case() -> &'static Case {
        crate::cases::catalog()
            .iter()
            .find(|c| c.id == "TC-MOD-1.2")
            .expect("TC-MOD-1.2 is in the catalog")
    }

    fn case(requirements: &'static [Req]) -> Case {
        let base = description_case();
        Case {
            requirements,
            id: base.id,
            title: base.title,
            steps: base.steps,
            applies: base.applies,
            run: base.run,
        }
    }

    #[test]
    fn a_description_decodes_without_its_signature_being_checked() {
        let bytes = sealed(&encode(&message(Body::Description(description()))));
        assert_eq!(unverified_description(&bytes), Ok(description()));
    }

    #[test]
    fn an_unknown_key_in_the_description_names_hrt_mod_111() {
        let bytes = encode(&message(Body::Description(description())));
        // The body {1: 1, 2: 1, 3: "x", 4: 1, 5: []} gains the key 99.
        let at = bytes
            .windows(8)
            .position(|w| w == [0xa5, 0x01, 0x01, 0x02, 0x01, 0x03, 0x61, 0x78])
            .expect("description body");
        let mut extended = bytes.clone();
        extended[at] = 0xa6;
        extended.splice(at + 1..at + 1, [0x18, 0x63, 0x00]);
        let why = unverified_description(&sealed(&extended)).expect_err("unknown key");
        assert_eq!(why.broken, Some(req::HRT_MOD_111), "{why:?}");
    }

    #[test]
    fn another_kind_or_bad_cbor_on_the_description_topic_names_hrt_msg_050() {
        let status = Body::Status(Status {
            availability: Availability::Online,
            boot_id: 7,
        });
        let why = unverified_description(&sealed(&encode(&message(status)))).expect_err("kind");
        assert_eq!(why.broken, Some(req::HRT_MSG_050), "{why:?}");
        let why = unverified_description(&sealed(&[0xa1, 0x01])).expect_err("truncated CBOR");
        assert_eq!(why.broken, Some(req::HRT_MSG_050), "{why:?}");
    }

    #[test]
    fn a_payload_that_is_no_envelope_is_not_blamed_on_the_description() {
        let why = unverified_description(b"hello").expect_err("no envelope");
        assert_eq!(why.broken, None, "{why:?}");
    }

    #[test]
    fn a_setup_failure_fails_only_the_cases_that_check_the_requirement_it_names() {
        let why = SetupError::breaks(
            req::HRT_MOD_111,
            "the description does not decode: description: unknown key".into(),
        );
        let o = setup_failure(&case(&[req::HRT_MOD_001, req::HRT_MOD_111]), &why);
        assert_eq!(o.verdict, Verdict::Fail);
        assert_eq!(o.broken, vec!["HRT-MOD-111".to_owned()]);
        assert_eq!(
            o.reason,
            "the description does not decode: description: unknown key (HRT-MOD-111)"
        );
        let o = setup_failure(&case(&[req::HRT_MSG_050]), &why);
        assert_eq!(o.verdict, Verdict::Error);
        assert!(
            o.reason.starts_with("the run could not start: "),
            "{}",
            o.reason
        );
        let o = setup_failure(
            &case(&[req::HRT_MOD_111]),
            &SetupError::new("no description from 0001/x within 5s".into()),
        );
        assert_eq!(o.verdict, Verdict::Error);
    }

    #[test]
    fn the_description_case_claims_the_requirements_the_setup_can_break() {
        let reqs = description_case().requirements;
        assert!(reqs.contains(&req::HRT_MOD_111) && reqs.contains(&req::HRT_MSG_050));
    }

    #[test]
    fn a_failure_outside_the_cases_requirements_is_a_defect_of_the_suite() {
        let c = case(&[req::HRT_MOD_111]);
        let o = judge(&c, Err(Outcome::fail(req::HRT_MOD_111, "x")), &[]);
        assert_eq!(o.verdict, Verdict::Fail);
        let o = judge(&c, Err(Outcome::fail(req::HRT_SEC_136, "x")), &[]);
        assert_eq!(o.verdict, Verdict::Error);
        assert!(o.reason.contains("HRT-SEC-136"), "{}", o.reason);
        let o = judge(
            &c,
            Err(Outcome::fail(req::HRT_MOD_111, "x").and(req::HRT_SEC_136)),
            &[],
        );
        assert_eq!(o.verdict, Verdict::Error);
        let o = judge(&c, Ok(()), &[]);
        assert_eq!(o.verdict, Verdict::Pass);
        let o = judge(
            &c,
            Ok(()),
            &["it ran step 4, but it declares 3 steps".into()],
        );
        assert_eq!(o.verdict, Verdict::Error);
        assert!(o.reason.contains("step 4"), "{}", o.reason);
    }
}
