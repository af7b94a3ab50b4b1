//! The controller suite's self-check: the reference controller of `hearth-mqtt`, with or
//! without one controller fault profile of the simulator, run in-process through its test
//! agent (`Agent::over` on an in-memory pipe, `hearth_mqtt::agent::serve` on the other end)
//! on an embedded broker, and judged by the `TC-CTL` cases of the controller suite
//! (`spec/08-controllers.md`). A profile is caught when a case fails naming one of the
//! requirements it breaks (HRT-CONF-111), as for the device profiles.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hearth_conformance::controller::agent::{Agent, LinkError};
use hearth_conformance::controller::cases::Starter;
use hearth_conformance::controller::ics::ControllerIcs;
use hearth_conformance::controller::run::{run_controller_with, ControllerRun};
use hearth_conformance::output::write_json_report;
use hearth_mqtt::{Controller, ControllerConfig, EmbeddedBroker, Identity, Topics};
use hearth_report::report::{Report, TestResult};
use hearth_security::fs::{
    read_cert, write_chain, write_credential, write_public, FileCounterStore,
};
use hearth_security::pki::TestPki;
use hearth_security::replay::{CounterStore, MemoryCounterStore};
use hearth_sim::controller_faults::ControllerDeviation;
use hearth_sim::ControllerProfile;

use crate::mutants::MutantResult;

/// The topic root of a self-check run (each run has a broker of its own).
const TOPIC_ROOT: &str = "hearth-check/1";

/// How long the suite waits for each answer of the in-process agent: the statement's
/// default, an upper bound only.
const RESPONSE_TIMEOUT: Duration = hearth_conformance::controller::ics::RESPONSE_TIMEOUT;

/// How long the controller waits for a lab fan's response: below the suite's wait, so that
/// a request the fan drops is answered `no-response` before the suite gives up on the agent.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// What the product line of `hello` says.
const PRODUCT: &str = concat!("hearth self-check ", env!("CARGO_PKG_VERSION"));

/// The id the reference controller's statement gives it, which its report names.
pub const REFERENCE_ID: &str = "hearth-test-controller";

/// The files of the controller under test in `work`.
struct Files {
    cert: PathBuf,
    key: PathBuf,
    chain: PathBuf,
    root: PathBuf,
}

/// Issue a fresh controller credential under a fresh root into `work`.
fn provision(work: &Path) -> Result<Files, String> {
    std::fs::create_dir_all(work).map_err(|e| format!("{}: {e}", work.display()))?;
    let now = hearth_mqtt::identity::unix_now();
    let pki =
        TestPki::generate(now, &ring::rand::SystemRandom::new()).map_err(|e| e.to_string())?;
    let files = Files {
        cert: work.join("controller.cert"),
        key: work.join("controller.key"),
        chain: work.join("controller.chain"),
        root: work.join("root.cert"),
    };
    write_credential(&work.join("controller"), &pki.controller).map_err(|e| e.to_string())?;
    write_chain(&files.chain, &[&pki.controller.cert]).map_err(|e| e.to_string())?;
    write_public(&files.root, pki.root.cert.as_bytes()).map_err(|e| e.to_string())?;
    Ok(files)
}

/// The statement of the controller under test (its command is never run: the agent is
/// started in-process).
fn statement(profile: Option<&ControllerProfile>) -> String {
    let firmware = profile.map_or(env!("CARGO_PKG_VERSION"), |p| p.name);
    format!(
        r#"[controller]
id = "{REFERENCE_ID}"
vendor = "Hearth"
product = "hearth reference controller (in-process)"
firmware = "{firmware}"
chain = "controller.chain"
root = "root.cert"

[agent]
command = ["in-process"]
restartable = true
"#
    )
}

/// How each start of the in-process controller is made.
#[derive(Clone)]
struct Launch {
    broker: hearth_mqtt::BrokerUrl,
    cert: PathBuf,
    key: PathBuf,
    root: PathBuf,
    trust: PathBuf,
    counter: PathBuf,
    deviation: ControllerDeviation,
}

impl Launch {
    /// The controller's settings for one start.
    fn config(&self) -> Result<ControllerConfig, LinkError> {
        let start = |e: String| LinkError::Start(e);
        let mut identity =
            Identity::load(&self.cert, &self.key, &[], std::slice::from_ref(&self.root))
                .map_err(|e| start(e.to_string()))?;
        let lab = read_cert(&self.trust).map_err(|e| start(e.to_string()))?;
        identity
            .trust
            .add_root(lab)
            .map_err(|e| start(e.to_string()))?;
        let counter: Box<dyn CounterStore + Send> = if self.deviation.forget_counter {
            Box::new(MemoryCounterStore::default())
        } else {
            Box::new(FileCounterStore::new(self.counter.clone()))
        };
        let mut config = ControllerConfig::new(self.broker.clone(), identity, counter);
        config.topics = Topics::new(TOPIC_ROOT);
        config.request_timeout = REQUEST_TIMEOUT;
        config.connect_timeout = RESPONSE_TIMEOUT;
        config.faults = self.deviation.protocol.clone();
        Ok(config)
    }

    /// Start a controller on a task of its own, serving the agent protocol on one end of an
    /// in-memory pipe; the suite's end. A controller that cannot connect ends the pipe, which
    /// the suite sees as an agent whose output ended.
    fn start(&self) -> Result<Agent, LinkError> {
        let config = self.config()?;
        let (suite, agent) = tokio::io::duplex(64 * 1024);
        let (from_agent, to_agent) = tokio::io::split(suite);
        let (input, output) = tokio::io::split(agent);
        tokio::spawn(async move {
            match Controller::connect(config).await {
                Ok(ctl) => {
                    if let Err(e) =
                        hearth_mqtt::agent::serve(Arc::new(ctl), input, output, PRODUCT).await
                    {
                        tracing::warn!("the in-process agent stopped: {e}");
                    }
                }
                Err(e) => tracing::warn!("the in-process controller did not connect: {e}"),
            }
        });
        Ok(Agent::over(
            Box::new(from_agent),
            Box::new(to_agent),
            RESPONSE_TIMEOUT,
        ))
    }
}

/// Run every `TC-CTL` case against the reference controller, with `profile`'s deviations
/// if given, in-process on an embedded broker of its own; the run's files and its
/// `report.json` go to `out`.
///
/// # Errors
///
/// Why the run could not be made: the broker, the credentials, or a controller that never
/// accepts the lab fans.
pub async fn run_reference_controller(
    out: &Path,
    profile: Option<&ControllerProfile>,
) -> Result<Report, String> {
    let report = certify_reference_controller(out, profile, |_, _| {}).await?;
    write_json_report(out, &report).map_err(|e| e.to_string())?;
    Ok(report)
}

/// Run every `TC-CTL` case against the reference controller, with `profile`'s deviations
/// if given, in-process on an embedded broker of its own, its credentials, statement and
/// working files in `bench`; `progress(case id, result)` after each case. The report, which
/// the caller writes (`hearth demo` with every rendering and the lab's signature).
///
/// # Errors
///
/// As [`run_reference_controller`].
pub async fn certify_reference_controller(
    bench: &Path,
    profile: Option<&ControllerProfile>,
    progress: impl FnMut(&str, &TestResult),
) -> Result<Report, String> {
    let files = provision(bench)?;
    let text = statement(profile);
    let ics = ControllerIcs::parse(&text, bench)?;
    let broker = EmbeddedBroker::start_local().map_err(|e| e.to_string())?;
    let url = broker.url();
    let deviation = profile
        .map(ControllerProfile::deviation)
        .unwrap_or_default();
    let run = ControllerRun {
        ics: &ics,
        broker: &url,
        broker_label: "embedded".into(),
        topic_root: TOPIC_ROOT.into(),
        work: bench.join("work"),
    };
    let template = Launch {
        broker: url.clone(),
        cert: files.cert,
        key: files.key,
        root: files.root,
        trust: PathBuf::new(),
        counter: bench.join("controller.counter"),
        deviation,
    };
    let launch = move |trust: &Path, _state: &Path| -> Starter {
        let launch = Launch {
            trust: trust.to_owned(),
            ..template
        };
        Box::new(move || launch.start())
    };
    run_controller_with(run, launch, progress).await
}

/// Judge a controller profile's run by requirement: caught when a failed case names among
/// its `failed_requirements` one the profile declares (HRT-CONF-111).
pub fn judge_controller(profile: &ControllerProfile, report: &Report) -> MutantResult {
    crate::mutants::judge_reports(profile.name, profile.requirements, [report])
}

/// Run the controller suite against the reference controller with `profile`, its files in
/// `out`, and judge it.
pub async fn run_controller_mutant(out: &Path, profile: &ControllerProfile) -> MutantResult {
    match run_reference_controller(out, Some(profile)).await {
        Ok(report) => judge_controller(profile, &report),
        Err(e) => MutantResult {
            error: Some(e),
            ..crate::mutants::judge_reports(profile.name, profile.requirements, [])
        },
    }
}
