//! `hearth ctl`: a controller on the command line. Discover devices, show their
//! descriptions, read, write, invoke and watch, commission a device from its setup code,
//! manage its access-control list and share it with another controller, all through
//! `hearth_mqtt::Controller`, so every message is signed and every answer verified. Values
//! are typed and shown in human units with `hearth_model::text`.
//!
//! Exit codes (`crate::exit`): 0 success; 1 when a path's status is not success, a device
//! sends no description or a request gets no response in time; 4 when the broker or the
//! credentials fail; 64 for a usage error (an unknown path or value, a malformed device
//! address).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hearth_model::text::{self, Context};
use hearth_model::time::format_secs;
use hearth_model::{Catalog, Description, DeviceId, MemberKind, Path, Value};
use hearth_mqtt::{
    Controller, ControllerConfig, DeviceAddr, DeviceView, Identity, RequestError, Update,
};
use hearth_security::fs::FileCounterStore;
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use hearth_wire::view::{
    action_struct, declared_codes, device_type, path_name, property_type, struct_of,
    DescriptionView, EventView, PathStatus, PathValue,
};

use super::broker::{runtime, shutdown_signal};
use crate::args;
use crate::exit::usage;

/// Arguments of `hearth ctl`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    broker: args::Broker,
    #[command(flatten)]
    pki: args::Pki,
    #[command(flatten)]
    output: args::Json,
    /// The topic root the devices publish under (05-mqtt.md §4.1).
    #[arg(long, global = true, value_name = "ROOT", default_value = hearth_mqtt::topic::DEFAULT_ROOT, value_parser = parse_root)]
    root: String,
    /// A further trust anchor (repeatable): the root of a device vendor of another ecosystem,
    /// whose appliances this controller attests when it commissions them.
    #[arg(long, global = true, value_name = "ROOT.CERT")]
    trust: Vec<std::path::PathBuf>,
    /// Seconds to wait for the broker, for a device's description and for each response.
    #[arg(long, global = true, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    timeout: Duration,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CtlCommand {
    /// List the devices on the broker (stops early once the set is stable).
    Discover,
    /// Show a device's verified description with catalog names and units.
    Describe {
        /// The device: VENDOR/DEVICE (e.g. fff1/fan-1), or a device id if unambiguous.
        id: String,
    },
    /// Read properties, e.g. `0/fan-control/level`.
    Read {
        /// The device: VENDOR/DEVICE, or a device id if unambiguous.
        id: String,
        /// Property paths, with names or numbers.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Write one property, e.g. `1/temperature-control/setpoint 26.5C`.
    Write {
        /// The device: VENDOR/DEVICE, or a device id if unambiguous.
        id: String,
        /// The property path.
        path: String,
        /// The value in human form: `26.5C`, `cool`, `on`, `90%`, `5min`, JSON for lists
        /// and structs.
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
    /// Invoke an action, e.g. `0/firmware-update/check`.
    Invoke {
        /// The device: VENDOR/DEVICE, or a device id if unambiguous.
        id: String,
        /// The action path.
        path: String,
        /// Arguments as a JSON object keyed by field name, e.g. `{"time": "5min"}`.
        args: Option<String>,
    },
    /// Stream verified reports, events, status changes and rejections until Ctrl-C.
    Watch {
        /// Only this device: VENDOR/DEVICE or a device id.
        id: Option<String>,
    },
    /// Commission a device in commissioning from its setup code (QR text or manual code):
    /// its access-control list then names this controller with manage.
    Commission(commission::CommissionArgs),
    /// Show or change a device's access-control list (needs manage).
    Acl {
        #[command(subcommand)]
        command: commission::AclCommand,
    },
    /// Open a multi-admin window on a device this controller manages, and print the fresh
    /// setup code another controller commissions it with.
    Share(commission::ShareArgs),
    /// Serve the test agent protocol (spec/08-controllers.md §4) on standard input and
    /// output, so that `hearth test` can certify this controller; ends on `stop` or the end
    /// of input.
    Agent,
}

/// The longest timeout accepted: a day.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

pub(crate) fn parse_secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .filter(|d| !d.is_zero() && *d <= MAX_TIMEOUT)
        .ok_or_else(|| format!("`{s}` is not a number of seconds between 0 and 86400"))
}

/// A topic root: non-empty levels, no wildcard, not a `$` topic (HRT-MQTT-004).
pub(crate) fn parse_root(s: &str) -> Result<String, String> {
    let mut params = hearth_conformance::ics::Parameters::default();
    params
        .set("topic_root", s)
        .map(|()| s.to_owned())
        .map_err(|p| p.rule)
}

const FAILED: u8 = crate::exit::FAIL;

/// Run `hearth ctl`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<ExitCode> {
    check_arguments(&args.command)?;
    let (ctl, own_key) = connect(&args).await?;
    if let CtlCommand::Agent = args.command {
        return agent(ctl).await;
    }
    let code = match &args.command {
        CtlCommand::Discover => discover(&ctl, &args).await,
        CtlCommand::Describe { id } => describe(&ctl, &args, id).await,
        CtlCommand::Read { id, paths } => read(&ctl, &args, id, paths).await,
        CtlCommand::Write { id, path, value } => write(&ctl, &args, id, path, value).await,
        CtlCommand::Invoke { id, path, args: a } => invoke(&ctl, &args, id, path, a).await,
        CtlCommand::Watch { id } => watch(&ctl, &args, id.as_deref()).await,
        CtlCommand::Commission(opts) => commission::commission(&ctl, &args, opts).await,
        CtlCommand::Acl { command } => commission::acl(&ctl, &args, &own_key, command).await,
        CtlCommand::Share(opts) => commission::share(&ctl, &args, opts).await,
        CtlCommand::Agent => Ok(ExitCode::SUCCESS),
    };
    ctl.shutdown().await;
    code
}

/// `ctl agent`: the agent protocol on standard input and output until `stop` or the end of
/// input; the controller's log goes to standard error, never among the answers.
async fn agent(ctl: Controller) -> anyhow::Result<ExitCode> {
    let product = concat!("hearth ", env!("CARGO_PKG_VERSION"));
    hearth_mqtt::agent::serve(
        std::sync::Arc::new(ctl),
        tokio::io::stdin(),
        tokio::io::stdout(),
        product,
    )
    .await
    .context("the agent's standard input or output")?;
    Ok(ExitCode::SUCCESS)
}

/// The device address and the paths of the command line, checked before connecting: a
/// usage error says so at once, whatever the broker.
fn check_arguments(command: &CtlCommand) -> anyhow::Result<()> {
    let (id, paths, kind): (Option<&str>, Vec<&str>, MemberKind) = match command {
        CtlCommand::Discover => (None, vec![], MemberKind::Property),
        CtlCommand::Describe { id } => (Some(id), vec![], MemberKind::Property),
        CtlCommand::Read { id, paths } => (
            Some(id),
            paths.iter().map(String::as_str).collect(),
            MemberKind::Property,
        ),
        CtlCommand::Write { id, path, .. } => (Some(id), vec![path], MemberKind::Property),
        CtlCommand::Invoke { id, path, .. } => (Some(id), vec![path], MemberKind::Action),
        CtlCommand::Watch { id } => (id.as_deref(), vec![], MemberKind::Property),
        CtlCommand::Commission(_)
        | CtlCommand::Acl { .. }
        | CtlCommand::Share(_)
        | CtlCommand::Agent => (None, vec![], MemberKind::Property),
    };
    if let Some(id) = id {
        device_addr(id)?;
    }
    for path in paths {
        parse_path(path, kind)?;
    }
    Ok(())
}

/// `VENDOR/DEVICE` as an address, or a bare device id (`None`); a usage error otherwise.
fn device_addr(id: &str) -> anyhow::Result<Option<DeviceAddr>> {
    if id.contains('/') {
        return Ok(Some(id.parse().map_err(usage)?));
    }
    if !DeviceId::is_valid(id) {
        return Err(usage(format!(
            "`{id}` is neither VENDOR/DEVICE (e.g. fff1/fan-1) nor a device id"
        )));
    }
    Ok(None)
}

/// The controller of the PKI folder, connected, and its key id.
async fn connect(args: &Args) -> anyhow::Result<(Controller, hearth_security::KeyId)> {
    let share_iterations = match &args.command {
        CtlCommand::Share(opts) => Some(opts.iterations()),
        _ => None,
    };
    let connection = Connection {
        root: &args.root,
        timeout: args.timeout,
        trust: &args.trust,
        share_iterations,
    };
    connect_controller(args.pki.required()?, args.broker.or_local()?, &connection).await
}

/// How the command line's controller connects: the topic root, the wait for the broker and
/// each response, further trust anchors, and the iterations of the verifier records `share`
/// makes (the runtime's default where `None`).
pub(crate) struct Connection<'a> {
    /// The topic root.
    pub root: &'a str,
    /// The wait for the broker and for each response.
    pub timeout: Duration,
    /// Roots of other vendors to attest the appliances of.
    pub trust: &'a [std::path::PathBuf],
    /// PBKDF2 iterations of the records `share` makes.
    pub share_iterations: Option<u32>,
}

/// The controller of the PKI folder `pki` (`controller.cert`, the one `hearth pki init`
/// writes for the command line) on `broker`, connected as `how` says; and its key id.
pub(crate) async fn connect_controller(
    pki: &std::path::Path,
    broker: hearth_mqtt::BrokerUrl,
    how: &Connection<'_>,
) -> anyhow::Result<(Controller, hearth_security::KeyId)> {
    let mut identity = Identity::controller(pki)
        .with_context(|| format!("controller credential in {}", pki.display()))?;
    for root in how.trust {
        let cert = hearth_security::fs::read_cert(root)
            .with_context(|| format!("trust anchor {}", root.display()))?;
        identity
            .trust
            .add_root(cert)
            .with_context(|| format!("trust anchor {}", root.display()))?;
    }
    let own_key = *identity.key.key_id();
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        pki,
        &identity.id,
        false,
    )));
    let mut config = ControllerConfig::new(broker, identity, counter);
    config.topics = hearth_mqtt::Topics::new(how.root);
    config.request_timeout = how.timeout;
    config.connect_timeout = how.timeout;
    if let Some(iterations) = how.share_iterations {
        config.share_iterations = iterations;
    }
    Ok((Controller::connect(config).await?, own_key))
}

/// One device as `discover` lists it.
#[derive(Debug, Serialize)]
struct DeviceEntry {
    /// `vvvv/device`.
    id: String,
    /// The device id alone.
    device_id: String,
    /// Vendor id, four lower-case hexadecimal digits as in topics.
    vendor_id: String,
    /// Device type name (description, else certificate).
    device_type: Option<String>,
    /// Model from the certificate.
    model: Option<String>,
    /// Online, offline, or unknown (null).
    online: Option<bool>,
    /// Boot id of the last status.
    boot_id: Option<u64>,
    /// Whether a description was received and is valid against the catalog.
    description_valid: bool,
    /// `valid`, `invalid` or `missing`.
    description: &'static str,
    /// Why the description is not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<String>,
}

impl DeviceEntry {
    fn new(view: &DeviceView) -> Self {
        let device_type = view.type_name();
        let (description_valid, description) = match (&view.description, &view.description_problems)
        {
            (Some(_), None) => (true, "valid"),
            (Some(_), Some(_)) => (false, "invalid"),
            (None, _) => (false, "missing"),
        };
        Self {
            id: view.addr.to_string(),
            device_id: view.addr.device_id.clone(),
            vendor_id: hearth_model::vendor::hex(view.addr.vendor_id),
            device_type,
            model: view.model.clone(),
            online: view.online,
            boot_id: view.boot_id,
            description_valid,
            description,
            problems: view.description_problems.clone(),
        }
    }

    fn online_text(&self) -> &'static str {
        match self.online {
            Some(true) => "online",
            Some(false) => "offline",
            None => "unknown",
        }
    }
}

fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Say what a command did: `value` as JSON when `json`, else as `text` words it; success.
fn print_done<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce(&T),
) -> anyhow::Result<ExitCode> {
    if json {
        print_json(value)?;
    } else {
        text(value);
    }
    Ok(ExitCode::SUCCESS)
}

async fn discover(ctl: &Controller, args: &Args) -> anyhow::Result<ExitCode> {
    let devices = ctl.discover(args.timeout).await;
    let entries: Vec<DeviceEntry> = devices.iter().map(DeviceEntry::new).collect();
    if args.output.json {
        print_json(&entries)?;
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("no devices");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<28} {:<18} {:<8} {:<8} {:<14} DESCRIPTION",
        "ID", "TYPE", "VENDOR", "STATUS", "MODEL"
    );
    for e in &entries {
        println!(
            "{:<28} {:<18} {:<8} {:<8} {:<14} {}",
            e.id,
            e.device_type.as_deref().unwrap_or("?"),
            e.vendor_id,
            e.online_text(),
            e.model.as_deref().unwrap_or("?"),
            e.description
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A device with its description, found by its command-line id.
struct Target {
    view: DeviceView,
    desc: Description,
}

impl Target {
    fn addr(&self) -> &DeviceAddr {
        &self.view.addr
    }

    fn device_type(&self) -> Option<&'static hearth_model::catalog::DeviceType> {
        device_type(self.desc.device_type)
    }
}

/// Why no device could be used.
enum NotFound {
    /// No description within the timeout: exit 1.
    Timeout(String),
}

/// Wait (bounded by the timeout) until the device's description is known.
async fn find(
    ctl: &Controller,
    id: &str,
    timeout: Duration,
) -> anyhow::Result<Result<Target, NotFound>> {
    let matches = |d: &DeviceView, addr: &Option<DeviceAddr>| match addr {
        Some(a) => d.addr == *a,
        None => d.addr.device_id == id,
    };
    let addr = device_addr(id)?;
    let found = ctl
        .wait_for(timeout, |ds| {
            ds.iter()
                .any(|d| matches(d, &addr) && d.description.is_some())
        })
        .await;
    if !found {
        return Ok(Err(NotFound::Timeout(format!(
            "no description from {id} within {timeout:?}; `hearth ctl discover` lists the devices"
        ))));
    }
    let mut candidates = ctl
        .devices()
        .into_iter()
        .filter(|d| matches(d, &addr) && d.description.is_some());
    let Some(view) = candidates.next() else {
        return Ok(Err(NotFound::Timeout(format!("{id} disappeared"))));
    };
    let others: Vec<String> = candidates.map(|d| d.addr.to_string()).collect();
    if !others.is_empty() {
        return Err(usage(format!(
            "`{id}` is ambiguous: {}, {}; give VENDOR/DEVICE",
            view.addr,
            others.join(", ")
        )));
    }
    let Some(desc) = view.description.clone() else {
        return Ok(Err(NotFound::Timeout(format!("{id} has no description"))));
    };
    Ok(Ok(Target { view, desc }))
}

macro_rules! target {
    ($ctl:expr, $args:expr, $id:expr) => {
        match find($ctl, $id, $args.timeout).await? {
            Ok(t) => t,
            Err(NotFound::Timeout(msg)) => {
                eprintln!("error: {msg}");
                return Ok(ExitCode::from(FAILED));
            }
        }
    };
}

/// A request that got no answer: a timeout exits 1, anything else is an error (exit 4).
fn request_failed(err: RequestError, addr: &DeviceAddr) -> anyhow::Result<ExitCode> {
    match err {
        RequestError::Timeout(d) => {
            eprintln!("error: no response from {addr} within {d:?}");
            Ok(ExitCode::from(FAILED))
        }
        other => Err(other).with_context(|| format!("request to {addr}")),
    }
}

/// `describe` output.
#[derive(Serialize)]
struct Described {
    device: DeviceEntry,
    description: DescriptionView,
    raw: Description,
}

async fn describe(ctl: &Controller, args: &Args, id: &str) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let mut t = target!(ctl, args, id);
    if t.view.online.is_none() {
        // The retained status usually arrives with the description; give it a moment.
        let left = args.timeout.saturating_sub(started.elapsed());
        let addr = t.addr().clone();
        ctl.wait_for(left.min(Duration::from_millis(500)), |ds| {
            ds.iter().any(|d| d.addr == addr && d.online.is_some())
        })
        .await;
        if let Some(view) = ctl.device(&addr) {
            t.view = view;
        }
    }
    let out = Described {
        device: DeviceEntry::new(&t.view),
        description: DescriptionView::new(&t.desc),
        raw: t.desc.clone(),
    };
    if args.output.json {
        print_json(&out)?;
    } else {
        let d = &out.device;
        println!(
            "{} ({}, model {}), description {}",
            d.id,
            d.online_text(),
            d.model.as_deref().unwrap_or("?"),
            d.description
        );
        if let Some(p) = &d.problems {
            println!("  problems: {p}");
        }
        print!("{}", out.description.text(""));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_statuses(rows: &[PathStatus], json: bool) -> anyhow::Result<ExitCode> {
    if json {
        print_json(&rows)?;
    } else {
        for r in rows {
            println!("{}", r.line());
        }
    }
    Ok(if rows.iter().all(PathStatus::ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

async fn read(
    ctl: &Controller,
    args: &Args,
    id: &str,
    paths: &[String],
) -> anyhow::Result<ExitCode> {
    let parsed = paths
        .iter()
        .map(|p| parse_path(p, MemberKind::Property))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let t = target!(ctl, args, id);
    let results = match ctl.read(t.addr(), parsed).await {
        Ok(r) => r,
        Err(e) => return request_failed(e, t.addr()),
    };
    let rows: Vec<PathStatus> = results
        .iter()
        .map(|r| PathStatus::read(r, t.device_type(), Some(&t.desc)))
        .collect();
    print_statuses(&rows, args.output.json)
}

/// A value for a property the catalog does not type (vendor extensions).
fn untyped(text: &str) -> Value {
    let t = text.trim();
    let number = match t.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    };
    match (number, t) {
        (Some(n), _) => Value::Int(n),
        (None, "true") => Value::Bool(true),
        (None, "false") => Value::Bool(false),
        (None, "null") => Value::Null,
        (None, _) => Value::Text(t.trim_matches('"').to_owned()),
    }
}

async fn write(
    ctl: &Controller,
    args: &Args,
    id: &str,
    path: &str,
    value: &str,
) -> anyhow::Result<ExitCode> {
    let path = parse_path(path, MemberKind::Property)?;
    let t = target!(ctl, args, id);
    let value = match property_type(&path) {
        Some(ty) => {
            let ctx = Context::new(Catalog::standard(), t.device_type())
                .with_labels(declared_codes(Some(&t.desc), &path));
            text::parse(value, ty, &ctx).map_err(|e| {
                let declared = declared_names(&t, &path);
                let e = if declared.is_empty() {
                    e.to_string()
                } else {
                    format!(
                        "`{value}` is not one the device declares: {}",
                        declared.join(", ")
                    )
                };
                usage(format!(
                    "{} takes {}: {e}",
                    path_name(&path, MemberKind::Property),
                    ty.type_name()
                ))
            })?
        }
        None => untyped(value),
    };
    let results = match ctl.write(t.addr(), vec![(path, value)]).await {
        Ok(r) => r,
        Err(e) => return request_failed(e, t.addr()),
    };
    let rows: Vec<PathStatus> = results
        .iter()
        .map(|(p, s)| PathStatus::written(p, *s))
        .collect();
    for (p, s) in &results {
        if *s == hearth_model::StatusCode::ConstraintError {
            if let Some(range) = declared_range(&t, p) {
                eprintln!(
                    "note: {} accepts {range}, as its description declares",
                    path_name(p, MemberKind::Property)
                );
            }
        }
    }
    print_statuses(&rows, args.output.json)
}

/// A path of the command line, with the name meant when a capability or member is misspelt.
fn parse_path(text: &str, kind: MemberKind) -> anyhow::Result<Path> {
    Path::parse(text, Catalog::standard(), kind).map_err(|e| {
        let catalog = Catalog::standard();
        let mut parts = text.split('/');
        let (_, cap, member) = (parts.next(), parts.next(), parts.next());
        let meant = match (cap, member) {
            (Some(cap), _) if catalog.capability_named(cap).is_none() => {
                hearth_conformance::ics_review::did_you_mean(
                    cap,
                    catalog.capabilities().iter().map(|c| c.name.as_str()),
                )
                .map(str::to_owned)
            }
            (Some(cap), Some(member)) => catalog.capability_named(cap).and_then(|c| {
                let names: Vec<&str> = match kind {
                    MemberKind::Property => c.properties.iter().map(|p| p.name.as_str()).collect(),
                    MemberKind::Action => c.actions.iter().map(|a| a.name.as_str()).collect(),
                    MemberKind::Event => c.events.iter().map(|e| e.name.as_str()).collect(),
                };
                hearth_conformance::ics_review::did_you_mean(member, names)
                    .map(|m| format!("{cap}/{m}"))
            }),
            _ => None,
        };
        match meant {
            Some(m) => usage(format!("{e}; did you mean `{m}`?")),
            None => usage(e),
        }
    })
}

/// The names of the enum codes the device declares for `path`, if it declares a list.
fn declared_names(t: &Target, path: &Path) -> Vec<String> {
    let Some(ty) = property_type(path) else {
        return Vec::new();
    };
    let declared = declared_codes(Some(&t.desc), path);
    declared
        .iter()
        .map(|e| {
            hearth_wire::view::show(
                &Value::Int(e.code.into()),
                Some(ty),
                t.device_type(),
                declared,
            )
        })
        .collect()
}

/// `1 to 5` or `16.00 °C to 30.00 °C in steps of 0.50 °C`: the range the device declares
/// for `path`, in the property's units.
fn declared_range(t: &Target, path: &Path) -> Option<String> {
    let c = t
        .desc
        .instance(path.component, path.capability)
        .and_then(|i| i.constraint(path.member))?;
    let ty = property_type(path);
    let show = |v: i64| hearth_wire::view::show(&Value::Int(v), ty, t.device_type(), &[]);
    let mut text = match (c.min, c.max) {
        (Some(lo), Some(hi)) => format!("{} to {}", show(lo), show(hi)),
        (Some(lo), None) => format!("at least {}", show(lo)),
        (None, Some(hi)) => format!("at most {}", show(hi)),
        (None, None) => return None,
    };
    if let Some(step) = c.step.and_then(|s| i64::try_from(s).ok()) {
        text.push_str(&format!(" in steps of {}", show(step)));
    }
    Some(text)
}

/// `invoke` output.
#[derive(Serialize)]
struct Invoked {
    path: String,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Value>,
}

async fn invoke(
    ctl: &Controller,
    args: &Args,
    id: &str,
    path: &str,
    arguments: &Option<String>,
) -> anyhow::Result<ExitCode> {
    let path = parse_path(path, MemberKind::Action)?;
    let action = Catalog::standard()
        .capability(path.capability)
        .and_then(|c| c.action(path.member));
    let t = target!(ctl, args, id);
    let value = match (arguments, action) {
        (None, _) => Value::Null,
        (Some(a), Some(action)) => {
            let ctx = Context::new(Catalog::standard(), t.device_type());
            text::parse(a, &struct_of(&action.args), &ctx).map_err(|e| {
                usage(format!(
                    "arguments of {}: {e}",
                    path_name(&path, MemberKind::Action)
                ))
            })?
        }
        (Some(_), None) => {
            return Err(usage(format!(
                "{} is not in the catalog; its arguments cannot be typed",
                path_name(&path, MemberKind::Action)
            )))
        }
    };
    let result = match ctl.invoke(t.addr(), path, value).await {
        Ok(r) => r,
        Err(e) => return request_failed(e, t.addr()),
    };
    let out = Invoked {
        path: path_name(&result.path, MemberKind::Action),
        status: result.status.name().to_owned(),
        results: result
            .results
            .as_ref()
            .map(|v| action_struct(&result.path, v, true)),
        raw: result.results.clone(),
    };
    if args.output.json {
        print_json(&out)?;
    } else {
        match &out.results {
            Some(r) => println!("{}: {} {r}", out.path, out.status),
            None => println!("{}: {}", out.path, out.status),
        }
    }
    Ok(if result.status == hearth_model::StatusCode::Success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(FAILED)
    })
}

/// One line of `watch`.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Watched {
    Description {
        time: String,
        device: String,
        device_type: Option<String>,
        valid: bool,
    },
    Status {
        time: String,
        device: String,
        online: bool,
        boot_id: u64,
    },
    Report {
        time: String,
        device: String,
        full: bool,
        values: Vec<PathValue>,
    },
    Event {
        time: String,
        device: String,
        #[serde(flatten)]
        event: EventView,
    },
    Rejected {
        time: String,
        topic: String,
        reason: String,
        requirement: String,
    },
}

impl Watched {
    fn new(ctl: &Controller, update: Update) -> Self {
        let time = format_secs(hearth_mqtt::identity::unix_now());
        let desc = |addr: &DeviceAddr| ctl.device(addr).and_then(|v| v.description);
        match update {
            Update::Description(addr) => {
                let view = ctl.device(&addr);
                Self::Description {
                    time,
                    device: addr.to_string(),
                    device_type: view
                        .as_ref()
                        .and_then(|v| v.description.as_ref())
                        .and_then(|d| device_type(d.device_type))
                        .map(|d| d.name.clone()),
                    valid: view.is_some_and(|v| v.description_problems.is_none()),
                }
            }
            Update::Status {
                addr,
                online,
                boot_id,
            } => Self::Status {
                time,
                device: addr.to_string(),
                online,
                boot_id,
            },
            Update::Report { addr, full, values } => {
                let d = desc(&addr);
                let dt = d.as_ref().and_then(|d| device_type(d.device_type));
                Self::Report {
                    time,
                    device: addr.to_string(),
                    full,
                    values: values
                        .iter()
                        .map(|(p, v)| PathValue::property(p, v, dt, d.as_ref()))
                        .collect(),
                }
            }
            Update::Event { addr, event } => {
                let dt = desc(&addr).and_then(|d| device_type(d.device_type));
                Self::Event {
                    time,
                    device: addr.to_string(),
                    event: EventView::new(&event, dt),
                }
            }
            Update::Rejected {
                topic,
                reason,
                requirement,
            } => Self::Rejected {
                time,
                topic,
                reason,
                requirement,
            },
        }
    }

    /// Whether this concerns the device the user asked for (rejections: by topic).
    fn concerns(&self, filter: &str) -> bool {
        let device = match self {
            Self::Description { device, .. }
            | Self::Status { device, .. }
            | Self::Report { device, .. }
            | Self::Event { device, .. } => device,
            Self::Rejected { topic, .. } => {
                return topic.contains(&format!("/{filter}/"))
                    || topic.ends_with(&format!("/{filter}"));
            }
        };
        device == filter || device.split_once('/').is_some_and(|(_, d)| d == filter)
    }

    fn line(&self) -> String {
        match self {
            Self::Description {
                time,
                device,
                device_type,
                valid,
            } => format!(
                "{time} {device} description: {} ({})",
                device_type.as_deref().unwrap_or("unknown device type"),
                if *valid { "valid" } else { "invalid" }
            ),
            Self::Status {
                time,
                device,
                online,
                boot_id,
            } => format!(
                "{time} {device} {} (boot id {boot_id:#x})",
                if *online { "online" } else { "offline" }
            ),
            Self::Report {
                time,
                device,
                full,
                values,
            } => {
                let shown: Vec<String> = values
                    .iter()
                    .map(|v| format!("{} = {}", v.path, v.value))
                    .collect();
                format!(
                    "{time} {device} {}: {}",
                    if *full { "snapshot" } else { "report" },
                    shown.join(", ")
                )
            }
            Self::Event {
                time,
                device,
                event,
            } => format!(
                "{time} {device} event {} #{}: {}",
                event.path, event.number, event.fields
            ),
            Self::Rejected {
                time,
                topic,
                reason,
                requirement,
            } => format!("{time} rejected {topic}: {reason} [{requirement}]"),
        }
    }
}

async fn watch(ctl: &Controller, args: &Args, id: Option<&str>) -> anyhow::Result<ExitCode> {
    // Responses to other processes signing as the same controller arrive on its response
    // topic too; they are not news for a watcher, which sends no requests.
    let own_responses = format!("/c/{}/resp", ctl.id());
    let mut updates = ctl.updates();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            r = &mut stop => {
                r?;
                break;
            }
            u = updates.recv() => match u {
                Ok(Update::Rejected { topic, .. }) if topic.ends_with(&own_responses) => {}
                Ok(update) => {
                    let w = Watched::new(ctl, update);
                    if id.is_some_and(|f| !w.concerns(f)) {
                        continue;
                    }
                    if args.output.json {
                        println!("{}", serde_json::to_string(&w)?);
                    } else {
                        println!("{}", w.line());
                    }
                }
                Err(RecvError::Lagged(n)) => eprintln!("warning: {n} updates were dropped"),
                Err(RecvError::Closed) => break,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_secs("2.5"), Ok(Duration::from_millis(2500)));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_secs("1e30").is_err());
    }

    #[test]
    fn untyped_values_guess_their_kind() {
        assert_eq!(untyped("0x10"), Value::Int(16));
        assert_eq!(untyped("-3"), Value::Int(-3));
        assert_eq!(untyped("true"), Value::Bool(true));
        assert_eq!(untyped("null"), Value::Null);
        assert_eq!(untyped("\"hi\""), Value::Text("hi".into()));
    }

    #[test]
    fn watch_filters_by_address_or_device_id() {
        let report = Watched::Report {
            time: String::new(),
            device: "fff1/fan-1".into(),
            full: false,
            values: Vec::new(),
        };
        assert!(report.concerns("fan-1"));
        assert!(report.concerns("fff1/fan-1"));
        assert!(!report.concerns("fan-2"));
        let rejected = Watched::Rejected {
            time: String::new(),
            topic: "hearth/1/d/fff1/fan-1/report".into(),
            reason: String::new(),
            requirement: String::new(),
        };
        assert!(rejected.concerns("fan-1"));
        assert!(!rejected.concerns("fan-2"));
    }
}

mod commission;
