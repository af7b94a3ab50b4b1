//! `hearth demo` and `hearth mutants`: the suite against the simulated fleet.
//!
//! The demo starts the embedded broker on a free port, writes a fresh test PKI with a test
//! CA (vendor id 0xFFF4) that the appliances admit with `view`, and its controllers — one
//! admitted with `operate`, the lab's administrator admitted with `manage`, the lab's manager
//! that commissions the fleet, and one the appliances do not admit at all — runs the
//! simulator's fleet factory-new, commissions every appliance with its setup code as the
//! manager and adds the lab's other entries with `acl-change` ([`commission_fleet`],
//! `spec/07-commissioning.md`), writes for every appliance the statement a vendor would (its
//! ICS, with the setup code printed on the appliance), and runs the whole suite against
//! every appliance in parallel. Next to the appliances it certifies the reference controller:
//! the controller suite (`TC-CTL`, `spec/08-controllers.md`) against it through its test
//! agent, its reports signed by the same lab in `controller/`, and its row in
//! `summary.json`, `junit.xml` and the demo's verdict. The mutants run does the same once
//! per fault profile and proves that some test case catches each one.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path as FsPath, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use hearth_conformance::case::{Case, Operator, OperatorAction, Restarter};
use hearth_conformance::cases::CASES;
use hearth_conformance::ics::{self, Ics};
use hearth_conformance::output::{write_json_report, write_reports, LabSigner};
use hearth_conformance::runner::{load_testers, run_device_until, DeviceRun, Interrupt};
use hearth_model::catalog::Catalog;
use hearth_model::setup::{SetupCode, SetupPayload};
use hearth_model::{Description, Path, Value};
use hearth_mqtt::{Controller, ControllerConfig, EmbeddedBroker, Identity};
use hearth_report::report::Report;
use hearth_report::verdict::Verdict;
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege as AclPrivilege};
use hearth_security::alg::Algorithm;
use hearth_security::cert::{Role, TrustStore};
use hearth_security::fs::{write_chain, write_credential, write_test_pki, FileCounterStore};
use hearth_security::pki::{issue, Credential, IssueRequest, TestPki};
use hearth_sim::{Control, Fleet, Runner, RunnerConfig, SimDevice};
use hearth_wire::commissioning::AclOperation;
use serde::Serialize;

/// What a demo run needs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Where the reports go (one folder per device, `summary.json`, the PKI).
    pub out: PathBuf,
    /// The fleet to test.
    pub fleet: Fleet,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// A fault profile to apply to every appliance (for mutants).
    pub fault: Option<String>,
    /// Parameter overrides (`name=value`) for every device's run.
    pub params: Vec<(String, String)>,
    /// Write every rendering of each report (JSON, JUnit, HTML, signed COSE) or only the
    /// JSON: the self-check runs the fleet once per fault profile and needs only the verdicts
    /// and their evidence, not four copies of it.
    pub all_renderings: bool,
    /// Run only the test cases that check one of these requirements: the self-check needs
    /// no other, since only a failure naming a requirement a profile breaks catches it.
    pub only_requirements: Option<Vec<String>>,
    /// Ends every device's run early when set (Ctrl-C): the reports are then written,
    /// partial and unsigned.
    pub interrupt: Interrupt,
    /// Told how many appliances are commissioned, of how many, after each one.
    pub on_commissioned: Commissioning,
    /// Certify the reference controller too, next to the appliances: the `TC-CTL` suite
    /// against it through its test agent, its reports in [`CONTROLLER_FOLDER`]. Left out
    /// under a fault profile and when the run is narrowed to requirements (the device
    /// self-check), whose verdicts are the appliances' alone.
    pub controller: bool,
}

/// The folder of the reference controller's reports in the demo's output folder.
pub const CONTROLLER_FOLDER: &str = "controller";

/// A callback of the demo's commissioning: appliances done, of how many.
#[derive(Clone, Default)]
pub struct Commissioning(pub Option<Arc<dyn Fn(usize, usize) + Send + Sync>>);

impl std::fmt::Debug for Commissioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Commissioning(..)"
        } else {
            "Commissioning(None)"
        })
    }
}

impl DemoConfig {
    /// The standard fleet at 60× speed into `out`.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        Self {
            out: out.into(),
            fleet: Fleet::standard(),
            speed: 60.0,
            fault: None,
            params: Vec::new(),
            all_renderings: true,
            only_requirements: None,
            interrupt: Interrupt::never(),
            on_commissioned: Commissioning::default(),
            controller: true,
        }
    }
}

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A file or folder could not be written.
    #[error("{0}")]
    Io(String),
    /// The simulator or broker failed.
    #[error("{0}")]
    Setup(String),
}

fn io(e: impl std::fmt::Display) -> DemoError {
    DemoError::Io(e.to_string())
}

/// One line of `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DeviceSummary {
    /// `vvvv/device`.
    pub id: String,
    /// Catalog name of its type.
    pub device_type: String,
    /// Vendor id, four hex digits.
    pub vendor_id: String,
    /// The id of its run, as its report states it.
    pub run_id: String,
    /// When its run started and finished (RFC 3339, UTC).
    pub started: String,
    /// See `started`.
    pub finished: String,
    /// `pass` or `fail` (anything but pass counts as fail).
    pub verdict: String,
    /// The run verdict as the report states it.
    pub run_verdict: Verdict,
    /// Test cases passed.
    pub passed: u32,
    /// Failed.
    pub failed: u32,
    /// Not applicable.
    pub not_applicable: u32,
    /// Inconclusive.
    pub inconclusive: u32,
    /// Error.
    pub error: u32,
    /// The folder of its reports, relative to the output folder.
    pub reports: String,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FleetSummary {
    /// The demo's own run id (each device's run has its own, in `devices`).
    pub run_id: String,
    /// The version of the suite that ran.
    pub suite_version: String,
    /// When the demo started and finished (RFC 3339, UTC).
    pub started: String,
    /// See `started`.
    pub finished: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The fleet's verdict: the precedence of spec 06 §6.2 over the devices' run verdicts.
    pub verdict: Verdict,
    /// Every device.
    pub devices: Vec<DeviceSummary>,
    /// Whether every device passed.
    pub all_passed: bool,
}

/// One appliance of the running fleet as the suite reaches it from outside the protocol:
/// it restarts the appliance in-process (a power cut, then power on) and acts on it through
/// the simulator's control surface (doors open and close, faults are raised and cleared).
/// Public for the bindings that run the suite against a fleet of their own.
pub struct SimAppliance {
    runner: Arc<Runner>,
    index: usize,
}

/// What the suite's restarter and operator hooks return: done, or why not.
type Done<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

impl SimAppliance {
    /// Appliance `index` of the running fleet.
    pub fn new(runner: Arc<Runner>, index: usize) -> Self {
        Self { runner, index }
    }

    fn device(&self) -> Result<&SimDevice, String> {
        self.runner
            .devices()
            .get(self.index)
            .ok_or_else(|| "no such device".to_owned())
    }

    /// Cut the power, stay off until the suite has seen the broker announce the appliance
    /// gone (`gone`: its will, or the longest the suite waits for it), then power on.
    async fn power_cycle(&self, gone: Done<'_>) -> Result<(), String> {
        let device = self.device()?;
        device.kill().await;
        gone.await?;
        device.restart().await.map_err(|e| e.to_string())
    }

    /// An orderly restart: offline status, DISCONNECT, and a new connection.
    async fn reboot(&self) -> Result<(), String> {
        self.device()?.reboot().await.map_err(|e| e.to_string())
    }

    async fn operate(&self, action: OperatorAction) -> Result<(), String> {
        let device = self.device()?;
        let control = match action {
            OperatorAction::OpenDoor { component } => Control::OpenDoor { component },
            OperatorAction::CloseDoor { component } => Control::CloseDoor { component },
            OperatorAction::RaiseFault { code } => Control::RaiseFault {
                code: code.unwrap_or(0x0001),
                component: None,
            },
            OperatorAction::ClearFault { code } => Control::ClearFault { code },
            OperatorAction::AllowRemoteStart { allowed } => {
                Control::RemoteStart { enabled: allowed }
            }
            OperatorAction::CutNetwork => return device.cut_network().map_err(|e| e.to_string()),
            OperatorAction::RestoreNetwork => {
                return device.restore_network().map_err(|e| e.to_string());
            }
            OperatorAction::OpenCommissioningWindow => {
                return device.press_button().await.map_err(|e| e.to_string());
            }
            OperatorAction::FactoryReset => {
                return device.factory_reset().await.map_err(|e| e.to_string());
            }
        };
        device.control(&control).await.map_err(|e| e.to_string())
    }
}

impl Restarter for SimAppliance {
    fn restart<'a>(&'a self, power_loss: bool, gone: Done<'a>) -> Done<'a> {
        if power_loss {
            Box::pin(self.power_cycle(gone))
        } else {
            Box::pin(self.reboot())
        }
    }
}

impl Operator for SimAppliance {
    fn act(&self, action: OperatorAction) -> Done<'_> {
        Box::pin(self.operate(action))
    }
}

/// Whether the demo restarts this appliance in an orderly way rather than by cutting its
/// power: the appliances of the vendor fff2 (Kestrel), so that a run covers both, the will of
/// a lost connection and the offline status of an orderly shutdown (HRT-MQTT-030,
/// HRT-MQTT-033, HRT-MQTT-045).
pub fn orderly_restart(desc: &Description) -> bool {
    desc.vendor_id == 0xfff2
}

/// The ICS a vendor would write for this appliance: every claim from its description, every
/// actuation a simulated appliance can safely take, a restart the suite performs — a power
/// loss, or an orderly one where [`orderly_restart`] says so.
pub fn render_ics(
    desc: &Description,
    vendor_name: &str,
    model: &str,
    firmware: &str,
    broker: &str,
    paths: (&str, &str),
) -> String {
    let statement = demo_statement(desc, (vendor_name, model, firmware), broker, paths, None);
    render_statement(&statement)
}

/// The ICS of [`render_ics`] as TOML.
pub fn render_statement(statement: &Ics) -> String {
    hearth_conformance::ics_write::render(
        statement,
        "Implementation conformance statement of a simulated appliance, written by `hearth demo`.",
    )
}

/// The `[commissioning]` of a simulated appliance with the setup payload `setup` printed on
/// it: its button and the lab's manager open windows, its QR text is the setup code, and the
/// operator may reset it to factory-new (`spec/06-conformance.md` §3.10).
pub fn commissioning_of(setup: Option<&SetupPayload>) -> ics::Commissioning {
    setup.map_or_else(ics::Commissioning::default, |payload| ics::Commissioning {
        supported: true,
        window: vec![ics::WindowOpener::Button, ics::WindowOpener::Manage],
        setup_code: Some(payload.to_qr_text()),
        factory_reset: true,
    })
}

/// The statement [`render_ics`] writes, with the `[commissioning]` of the setup payload
/// printed on the appliance, if it has one ([`commissioning_of`]).
pub fn demo_statement(
    desc: &Description,
    (vendor_name, model, firmware): (&str, &str, &str),
    broker: &str,
    (pki_rel, own_rel): (&str, &str),
    setup: Option<&SetupPayload>,
) -> Ics {
    let device_type = Catalog::standard()
        .device_type(desc.device_type)
        .map_or("unknown", |d| d.name.as_str());
    let components = hearth_conformance::ics_write::claims_of(desc);
    let parameters = ics::Parameters {
        broker: broker.to_owned(),
        topic_root: DEMO_ROOT.to_owned(),
        startup_timeout: Duration::from_secs(15),
        silence_window: Duration::from_secs(1),
        settle_time: Duration::from_millis(200),
        restart_timeout: Duration::from_secs(15),
        cycle_timeout: Duration::from_secs(60),
        // A commissioning window lasts at least 180 s (HRT-COM-019): TC-COM-1.3 waits for one;
        // TC-BEH-1.10 runs the shortest programme to its end twice (about 50 s each for the
        // washing machine at 60 times the speed).
        test_timeout: Duration::from_secs(240),
        ..ics::Parameters::default()
    };
    Ics {
        device: ics::Device {
            vendor: hearth_model::vendor::hex(desc.vendor_id),
            id: desc.device_id.clone(),
            device_type: device_type.to_owned(),
            vendor_name: vendor_name.to_owned(),
            model: model.to_owned(),
            firmware: firmware.to_owned(),
        },
        components,
        features: ics::Features {
            event_store: u32::try_from(DEMO_EVENT_STORE).unwrap_or(u32::MAX),
            tls: false,
            ..ics::Features::default()
        },
        actuation: ics::Actuation {
            power: true,
            setpoints: true,
            modes: true,
            settings: true,
            start_cycle: true,
            pause_resume: true,
            door: true,
            panel: true,
            faults: true,
            network: true,
            ..ics::Actuation::default()
        },
        restart: ics::Restart {
            method: ics::RestartMethod::Command,
            command: Some(vec!["hearth-sim-power-cycle".into()]),
            power_loss: !orderly_restart(desc),
        },
        parameters,
        controllers: vec![
            ics::Controller {
                key: format!("{own_rel}/admin.key"),
                chain: format!("{own_rel}/admin.chain"),
                privilege: Some(ics::Privilege::Manage),
            },
            ics::Controller {
                key: format!("{own_rel}/controller.key"),
                chain: format!("{own_rel}/controller.chain"),
                privilege: Some(ics::Privilege::Operate),
            },
            ics::Controller {
                key: format!("{pki_rel}/stranger.key"),
                chain: format!("{pki_rel}/stranger.chain"),
                privilege: None,
            },
        ],
        authority: Some(ics::Authority {
            key: format!("{own_rel}/authority.key"),
            cert: format!("{own_rel}/authority.cert"),
            privilege: Some(ics::Privilege::View),
        }),
        commissioning: commissioning_of(setup),
    }
}

/// The topic root of the demo's fleet: not the default, so that the run shows the appliances
/// take the root they are configured with (HRT-MQTT-003).
pub const DEMO_ROOT: &str = "hearth-demo/1";

/// How many events each simulated appliance of the demo keeps while disconnected, as its
/// ICS declares (`[features] event_store`).
pub const DEMO_EVENT_STORE: usize = 32;

/// Vendor id of the demo's test CA (`[authority]` of its ICS).
pub const AUTHORITY_VENDOR_ID: u16 = hearth_security::pki::AUTHORITY_VENDOR_ID;

/// A certificate of `role` for a fresh Ed25519 key, valid 30 days, issued by `issuer`.
fn issue_by(
    (role, subject, vendor_id): (Role, &str, Option<u16>),
    issuer: &Credential,
    now: u64,
    rng: &ring::rand::SystemRandom,
) -> Result<Credential, DemoError> {
    issue(
        &IssueRequest {
            role,
            subject: subject.into(),
            vendor_id,
            device_type: None,
            model: None,
            days: 30,
            alg: Algorithm::EdDsa,
        },
        issuer,
        now,
        rng,
    )
    .map_err(io)
}

/// A test CA and two controllers it issued, `hearth-suite` and `hearth-admin`: the lab's
/// `[authority]`, its operating controller and its manager. The ACL entries that admit them:
/// the manager's key with `manage`, the controller's key with `operate`, every controller of
/// the CA with `view`, so that two entries match the controller and the higher must count
/// (HRT-SEC-113).
fn write_lab(
    dir: &FsPath,
    root: &Credential,
    now: u64,
    rng: &ring::rand::SystemRandom,
) -> Result<(Credential, Credential, Vec<AclEntry>), DemoError> {
    std::fs::create_dir_all(dir).map_err(io)?;
    let authority = issue_by(
        (
            Role::Vendor,
            "hearth-conformance-ca",
            Some(AUTHORITY_VENDOR_ID),
        ),
        root,
        now,
        rng,
    )?;
    let controller_of_lab =
        |subject: &str| issue_by((Role::Controller, subject, None), &authority, now, rng);
    let controller = controller_of_lab("hearth-suite")?;
    let admin = controller_of_lab("hearth-admin")?;
    write_credential(&dir.join("authority"), &authority).map_err(io)?;
    for (name, credential) in [("controller", &controller), ("admin", &admin)] {
        write_credential(&dir.join(name), credential).map_err(io)?;
        write_chain(
            &dir.join(format!("{name}.chain")),
            &[&credential.cert, &authority.cert],
        )
        .map_err(io)?;
    }
    let entries = vec![
        AclEntry {
            subject: AclSubject::Key(*admin.cert.subject_kid()),
            privilege: AclPrivilege::Manage,
        },
        AclEntry {
            subject: AclSubject::Key(*controller.cert.subject_kid()),
            privilege: AclPrivilege::Operate,
        },
        AclEntry {
            subject: AclSubject::Ca(*authority.cert.subject_kid()),
            privilege: AclPrivilege::View,
        },
    ];
    Ok((authority, controller, entries))
}

/// The file name (without extension) of the lab's manager in the PKI folder: `manage.key`,
/// `manage.cert` and `manage.chain` (leaf, then the lab's CA).
pub const MANAGER: &str = "manage";

/// The lab's manager, issued by the shared lab CA: the controller that commissions every
/// appliance of the demo and so holds `manage` on each.
fn write_manager(
    dir: &FsPath,
    authority: &Credential,
    now: u64,
    rng: &ring::rand::SystemRandom,
) -> Result<(), DemoError> {
    let manager = issue_by(
        (Role::Controller, "hearth-manager", None),
        authority,
        now,
        rng,
    )?;
    write_credential(&dir.join(MANAGER), &manager).map_err(io)?;
    write_chain(
        &dir.join(format!("{MANAGER}.chain")),
        &[&manager.cert, &authority.cert],
    )
    .map_err(io)
}

/// Write the test PKI with a test CA and its controller (for `hearth ctl` and `hearth test`
/// by hand), the stranger, and for each appliance of `device_ids` a test CA and controller
/// of its own in `pki/<device id>/`: revocation lists go to their CA's topic, which every
/// appliance trusting the CA reads, so that one appliance's lists do not wait for another's
/// (a CA's lists need distinct this-update seconds, HRT-SEC-086). The ACL of each appliance
/// admits the shared lab's controller and its own. The lab's manager ([`MANAGER`]), which
/// commissioning adds to each ACL, is written too. Public for the bindings that run the
/// simulated fleet outside the demo.
pub fn write_pki(
    dir: &FsPath,
    device_ids: &[String],
) -> Result<(TestPki, BTreeMap<String, Acl>), DemoError> {
    std::fs::create_dir_all(dir).map_err(io)?;
    let rng = ring::rand::SystemRandom::new();
    let now = hearth_mqtt::identity::unix_now();
    let mut pki = TestPki::generate(now, &rng).map_err(io)?;
    let (authority, controller, shared) = write_lab(dir, &pki.root, now, &rng)?;
    write_manager(dir, &authority, now, &rng)?;
    pki.controller = controller;
    write_test_pki(dir, &pki).map_err(io)?;
    // `write_test_pki` wrote the controller's certificate; its chain and the CA are the lab's.
    let stranger = issue_by(
        (Role::Controller, "hearth-stranger", None),
        &pki.root,
        now,
        &rng,
    )?;
    write_credential(&dir.join("stranger"), &stranger).map_err(io)?;
    write_chain(&dir.join("stranger.chain"), &[&stranger.cert]).map_err(io)?;
    let mut acls = BTreeMap::new();
    for device_id in device_ids {
        let (_, _, own) = write_lab(&dir.join(device_id), &pki.root, now, &rng)?;
        let acl = Acl::from_entries(shared.iter().cloned().chain(own).collect()).map_err(io)?;
        acls.insert(device_id.clone(), acl);
    }
    Ok((pki, acls))
}

/// How long the manager waits for one appliance to be commissioned, and for each of its
/// answers: an upper bound, the exchange takes milliseconds. It is twice what a conforming
/// appliance may take for the exchange's two round trips (5 s each, HRT-MSG-097), so that an
/// appliance too slow to answer is still commissioned and the suite, not the setup, judges it.
pub const COMMISSION_WITHIN: Duration = Duration::from_secs(20);

/// Commission every factory-new appliance of `runner` (`spec/07-commissioning.md`) as the
/// lab's manager of the PKI folder `config.pki` ([`MANAGER`]), each with the setup code its
/// label prints, then add with one `acl-change` the entries of `acls` for that appliance (by
/// device id): its ACL is then the manager's `manage` entry and what a pre-provisioned ACL
/// holds. `progress` is told after each appliance. The first appliance that is not
/// commissioned ends it with the reason; the others are still tried.
pub async fn commission_fleet(
    runner: &Runner,
    config: &RunnerConfig,
    acls: &BTreeMap<String, Acl>,
    progress: &Commissioning,
) -> Result<(), DemoError> {
    let dir = &config.pki;
    let identity = Identity::load(
        &dir.join(format!("{MANAGER}.cert")),
        &dir.join(format!("{MANAGER}.key")),
        &[dir.join("authority.cert")],
        &[dir.join("root.cert")],
    )
    .map_err(|e| DemoError::Setup(format!("the lab's manager: {e}")))?;
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir,
        &identity.id,
        false,
    )));
    let mut cc = ControllerConfig::new(config.broker.clone(), identity, counter);
    cc.topics = config.topics.clone();
    cc.request_timeout = COMMISSION_WITHIN;
    let manager = Controller::connect(cc)
        .await
        .map_err(|e| DemoError::Setup(format!("the lab's manager: {e}")))?;
    let total = runner.devices().len();
    let mut first_failure = None;
    for (done, device) in runner.devices().iter().enumerate() {
        let outcome = commission_one(&manager, device, acls.get(device.id())).await;
        if let Err(why) = outcome {
            first_failure.get_or_insert(format!("commissioning {}: {why}", device.id()));
        }
        if let Some(tell) = &progress.0 {
            tell(done + 1, total);
        }
    }
    manager.shutdown().await;
    first_failure.map_or(Ok(()), |e| Err(DemoError::Setup(e)))
}

/// Commission `device` with its printed code and add `entries` to its ACL.
async fn commission_one(
    manager: &Controller,
    device: &SimDevice,
    entries: Option<&Acl>,
) -> Result<(), String> {
    let payload = device
        .setup_payload()
        .ok_or("the appliance is not factory-new")?;
    manager
        .commission(SetupCode::Qr(*payload), COMMISSION_WITHIN)
        .await
        .map_err(|e| e.to_string())?;
    let Some(acl) = entries.filter(|a| !a.entries().is_empty()) else {
        return Ok(());
    };
    let ops = acl
        .entries()
        .iter()
        .copied()
        .map(AclOperation::Add)
        .collect();
    let answer = manager
        .change_acl(device.addr(), ops)
        .await
        .map_err(|e| format!("acl-change: {e}"))?;
    if answer.status != hearth_model::StatusCode::Success {
        return Err(format!("acl-change refused: {answer:?}"));
    }
    Ok(())
}

fn text(v: Result<Value, hearth_model::StatusCode>) -> String {
    match v {
        Ok(Value::Text(s)) => s,
        _ => String::new(),
    }
}

/// The controller suite against the reference controller, in-process through its test
/// agent on an embedded broker of its own (as the controller self-check runs it, without a
/// fault), its credentials and working files in `pki/controller-under-test/`; `progress`
/// after each case, named by the controller's id.
async fn certify_controller(
    pki_dir: &FsPath,
    progress: impl Fn(&str, &str, &hearth_report::report::TestResult),
) -> Result<Report, DemoError> {
    let bench = pki_dir.join("controller-under-test");
    crate::controller_check::certify_reference_controller(&bench, None, |case, result| {
        progress(crate::controller_check::REFERENCE_ID, case, result);
    })
    .await
    .map_err(|e| DemoError::Setup(format!("the reference controller: {e}")))
}

/// Run the suite against the fleet, and the controller suite against the reference
/// controller ([`DemoConfig::controller`]); write every report; return the reports in fleet
/// order, the controller's last.
pub async fn run_demo(
    config: &DemoConfig,
    progress: impl Fn(&str, &str, &hearth_report::report::TestResult) + Send + Sync + Clone + 'static,
) -> Result<Vec<Report>, DemoError> {
    std::fs::create_dir_all(&config.out).map_err(io)?;
    let started_ms = hearth_report::trace::now_ms();
    let broker = EmbeddedBroker::start_local().map_err(|e| DemoError::Setup(e.to_string()))?;
    let url = broker.url();
    let pki_dir = config.out.join("pki");
    let device_ids: Vec<String> = config.fleet.devices.iter().map(|d| d.id.clone()).collect();
    let (pki, acls) = write_pki(&pki_dir, &device_ids)?;
    let mut rc = RunnerConfig::new(url.clone(), &pki_dir);
    rc.speed = config.speed;
    rc.keep_alive = Duration::from_secs(2);
    rc.fault = config.fault.clone();
    rc.factory_new = true;
    rc.topics = hearth_mqtt::Topics::new(DEMO_ROOT);
    rc.cuttable_links = true;
    rc.event_store = DEMO_EVENT_STORE;
    let runner = Arc::new(
        Runner::start(&rc, &config.fleet)
            .await
            .map_err(|e| DemoError::Setup(e.to_string()))?,
    );
    let commissioned = commission_fleet(&runner, &rc, &acls, &config.on_commissioned).await;
    match commissioned {
        Ok(()) => {}
        // Under a fault profile an appliance may not be commissionable; the suite then
        // judges what it does.
        Err(e) if config.fault.is_some() => tracing::warn!("{e}"),
        Err(e) => {
            runner.shutdown().await;
            return Err(e);
        }
    }

    let mut trust = TrustStore::new();
    trust.add_root(pki.root.cert.clone()).map_err(io)?;
    let cases: Arc<Vec<Case>> = Arc::new(
        CASES
            .iter()
            .filter(|c| {
                config.only_requirements.as_ref().is_none_or(|wanted| {
                    c.requirements.iter().any(|r| wanted.iter().any(|w| w == r))
                })
            })
            .copied()
            .collect(),
    );
    let mut handles = Vec::new();
    for (index, device) in runner.devices().iter().enumerate() {
        let desc = device.description();
        let folder = format!("{:04x}-{}", desc.vendor_id, desc.device_id);
        let dir = config.out.join(&folder);
        std::fs::create_dir_all(&dir).map_err(io)?;
        let statement = demo_statement(
            &desc,
            (
                &text(device.value(&Path::new(0, 1, 1))),
                &text(device.value(&Path::new(0, 1, 4))),
                &text(device.value(&Path::new(0, 1, 7))),
            ),
            &url.to_string(),
            ("../pki", &format!("../pki/{}", desc.device_id)),
            device.setup_payload(),
        );
        let ics_text = render_statement(&statement);
        std::fs::write(dir.join("ics.toml"), &ics_text).map_err(io)?;
        let mut ics = Ics::parse(&ics_text)
            .map_err(|e| DemoError::Setup(format!("{folder}/ics.toml: {e}")))?;
        ics.resolve_paths(&dir);
        for (k, v) in &config.params {
            ics.parameters
                .set(k, v)
                .map_err(|e| DemoError::Setup(format!("--param {k}: {e}")))?;
        }
        let testers = load_testers(&ics).map_err(|e| DemoError::Setup(e.to_string()))?;
        let authority = hearth_conformance::authority::load_authority(&ics)
            .map_err(|e| DemoError::Setup(e.to_string()))?
            .map(Arc::new);
        let run = DeviceRun {
            ics_text,
            ics,
            broker: url.clone(),
            trust: trust.clone(),
            testers,
            restarter: Some(Box::new(SimAppliance {
                runner: runner.clone(),
                index,
            })),
            operator: Some(Box::new(SimAppliance {
                runner: runner.clone(),
                index,
            })),
            only: None,
            authority,
            preflight: true,
        };
        let progress = progress.clone();
        let cases = cases.clone();
        let interrupt = config.interrupt.clone();
        handles.push((
            folder,
            tokio::spawn(async move {
                run_device_until(run, &cases, &interrupt, move |d, c, v| progress(d, c, v)).await
            }),
        ));
    }
    let lab = LabSigner {
        key: &pki.lab.key,
        chain: std::slice::from_ref(&pki.lab.cert),
    };
    let write = |dir: &FsPath, report: &Report| {
        if config.all_renderings {
            write_reports(dir, report, Some(&lab)).map(|_| ())
        } else {
            write_json_report(dir, report).map(|_| ())
        }
    };
    let mut reports = Vec::new();
    for (folder, handle) in handles {
        let report = handle.await.map_err(|e| DemoError::Setup(e.to_string()))?;
        write(&config.out.join(&folder), &report).map_err(io)?;
        reports.push((folder, report));
    }
    runner.shutdown().await;
    if config.controller
        && config.fault.is_none()
        && config.only_requirements.is_none()
        && !config.interrupt.is_set()
    {
        let report = certify_controller(&pki_dir, progress.clone()).await?;
        write(&config.out.join(CONTROLLER_FOLDER), &report).map_err(io)?;
        reports.push((CONTROLLER_FOLDER.to_owned(), report));
    }

    let devices: Vec<DeviceSummary> = reports
        .iter()
        .map(|(folder, r)| DeviceSummary {
            id: if r.device.vendor_id.is_empty() {
                r.device.device_id.clone()
            } else {
                format!("{}/{}", r.device.vendor_id, r.device.device_id)
            },
            run_id: r.run_id.clone(),
            started: r.started.clone(),
            finished: r.finished.clone(),
            device_type: r.device.device_type.clone(),
            vendor_id: r.device.vendor_id.clone(),
            verdict: if r.summary.verdict == Verdict::Pass {
                "pass".into()
            } else {
                "fail".into()
            },
            run_verdict: r.summary.verdict,
            passed: r.summary.counts.pass,
            failed: r.summary.counts.fail,
            not_applicable: r.summary.counts.not_applicable,
            inconclusive: r.summary.counts.inconclusive,
            error: r.summary.counts.error,
            reports: folder.clone(),
        })
        .collect();
    let all_passed = devices.iter().all(|d| d.verdict == "pass");
    let finished_ms = hearth_report::trace::now_ms();
    let mut run_id = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut run_id);
    let summary = FleetSummary {
        run_id: run_id.iter().map(|b| format!("{b:02x}")).collect(),
        suite_version: env!("CARGO_PKG_VERSION").into(),
        started: hearth_report::trace::rfc3339(started_ms),
        finished: hearth_report::trace::rfc3339(finished_ms),
        duration_ms: finished_ms.saturating_sub(started_ms),
        verdict: hearth_report::summary::fleet_verdict(reports.iter().map(|(_, r)| r)),
        devices,
        all_passed,
    };
    let mut json = serde_json::to_vec_pretty(&summary).map_err(io)?;
    json.push(b'\n');
    std::fs::write(config.out.join("summary.json"), json).map_err(io)?;
    if config.all_renderings {
        let all: Vec<Report> = reports.iter().map(|(_, r)| r.clone()).collect();
        std::fs::write(
            config.out.join("junit.xml"),
            hearth_report::junit::render_fleet(&all),
        )
        .map_err(io)?;
    }
    let _ = broker.addr();
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}
