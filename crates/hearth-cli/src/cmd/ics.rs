//! `hearth ics init`: write a vendor's first implementation conformance statement, complete
//! and commented, whose credentials are those `hearth pki init` writes. The claims come from
//! the catalog (a device type's mandatory capabilities, and those `--capability` adds) or
//! from a device's own description read live on a broker (`--from-description`). What to
//! write is `hearth_conformance::ics_write`'s; the statement is reviewed as `--check-ics`
//! reviews one before it is written.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use hearth_conformance::ics::{Actuation, Device};
use hearth_conformance::ics_review::{review, ReviewContext, Severity};
use hearth_conformance::ics_write::{self, Bench, Claims};
use hearth_model::{Catalog, DeviceId, Path as ModelPath, Value};
use hearth_mqtt::DeviceAddr;

use super::broker::runtime;
use crate::args;
use crate::exit::usage;

/// Arguments of `hearth ics`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: IcsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum IcsCommand {
    /// Write a complete, commented ICS for a device: its claims from the catalog (--type,
    /// --vendor, --id and --capability) or from its description on a broker
    /// (--from-description), and the lab's credentials of --pki with paths relative to the
    /// ICS. The result passes `hearth test --check-ics`.
    Init(InitArgs),
}

// The flags of `hearth ics init` (documented on the subcommand).
#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The device type, a catalog name (`hearth catalog` lists them), e.g. `fan`.
    #[arg(
        long = "type",
        value_name = "TYPE",
        required_unless_present = "from_description"
    )]
    device_type: Option<String>,
    /// The vendor id, four hexadecimal digits as in topics, e.g. `fff1`.
    #[arg(long, value_parser = hearth_model::vendor::parse, required_unless_present = "from_description")]
    vendor: Option<u16>,
    /// The device id, e.g. `fan-1`.
    #[arg(long, required_unless_present = "from_description")]
    id: Option<String>,
    /// A capability the device implements besides the mandatory ones, with its optional
    /// members: `NAME`, `NAME=MEMBER,MEMBER` or `N/NAME=…` for component N (default 0);
    /// repeatable.
    #[arg(long = "capability", value_name = "[N/]NAME[=MEMBER,…]")]
    capabilities: Vec<String>,
    /// The vendor name as the device's device-info reports it.
    #[arg(long)]
    vendor_name: Option<String>,
    /// The model as device-info reports it.
    #[arg(long)]
    model: Option<String>,
    /// The firmware version as device-info reports it.
    #[arg(long)]
    firmware: Option<String>,
    /// Read the claims, the device type and device-info from the device VENDOR/DEVICE on
    /// the broker, as the suite will compare them.
    #[arg(
        long,
        value_name = "VENDOR/DEVICE",
        conflicts_with_all = ["device_type", "vendor", "id", "capabilities"]
    )]
    from_description: Option<String>,
    /// The broker the device is on, written into the ICS (default mqtt://127.0.0.1:1883).
    #[command(flatten)]
    broker: args::Broker,
    /// The topic root the device publishes under.
    #[arg(long, value_name = "ROOT", default_value = hearth_mqtt::topic::DEFAULT_ROOT, value_parser = super::ctl::parse_root)]
    root: String,
    /// The PKI folder of `hearth pki init` whose lab credentials the ICS names.
    #[command(flatten)]
    pki: args::Pki,
    /// What the suite may make the appliance do, comma-separated: power, setpoints, modes,
    /// settings, start_cycle, pause_resume, door, panel, faults, network, firmware_update,
    /// vendor_actions (default: nothing).
    #[arg(long, value_delimiter = ',', value_name = "FLAG,…")]
    actuation: Vec<String>,
    /// Seconds to wait for the broker and the device with --from-description.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = super::ctl::parse_secs)]
    timeout: Duration,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
    /// Where to write the ICS, e.g. `fan.ics.toml`.
    #[arg(long)]
    out: PathBuf,
}

/// Run `hearth ics`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        IcsCommand::Init(init) => run_init(&init),
    }
}

fn run_init(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let pki = args.pki.required()?;
    if args.out.exists() && !args.force {
        return Err(usage(format!(
            "{} exists; give --force to replace it",
            args.out.display()
        )));
    }
    let actuation = actuation(&args.actuation)?;
    let broker = args.broker.or_local()?;
    let (device, claims) = match &args.from_description {
        Some(addr) => runtime()?.block_on(read_device(addr, pki, args, &broker))?,
        None => from_flags(args)?,
    };
    let folder = match args.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).with_context(|| folder.display().to_string())?;
    let pki_rel = relative(&folder, pki)?;
    let bench = Bench {
        broker: &broker.to_string(),
        topic_root: &args.root,
        pki: &pki_rel,
        actuation,
    };
    let title = format!(
        "Implementation conformance statement of {}/{}, a {}, written by `hearth ics init`.\n\
         Review it with `hearth test --check-ics --ics {file}`; certify the device with\n\
         `hearth test --ics {file} --pki {pki} --out report`. spec/06-conformance.md §3 explains\n\
         every key.",
        device.vendor,
        device.id,
        device.device_type,
        file = args.out.display(),
        pki = pki.display(),
    );
    let statement = ics_write::lab_statement(device, claims, &bench);
    let text = ics_write::render(&statement, &title);
    let findings = review(
        &text,
        &ReviewContext {
            base: &folder,
            default_root: None,
            now: crate::clock::now()?,
        },
    );
    for f in &findings {
        eprintln!("{}", f.render(&args.out));
    }
    if findings.iter().any(|f| f.severity == Severity::Error) {
        return Err(usage(format!(
            "{} not written: the statement has the problems above",
            args.out.display()
        )));
    }
    std::fs::write(&args.out, text).with_context(|| args.out.display().to_string())?;
    println!("{}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// The `[actuation]` flags named on the command line: the fields of [`Actuation`] (all
/// `false` by default), so that the names are those of the ICS.
fn actuation(names: &[String]) -> anyhow::Result<Actuation> {
    let mut flags: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::to_value(Actuation::default())?)?;
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let Some(flag) = flags.get_mut(&name.replace('-', "_")) else {
            return Err(usage(format!(
                "--actuation {name}: not a flag of [actuation] (spec/06-conformance.md §3.5)"
            )));
        };
        *flag = serde_json::Value::Bool(true);
    }
    Ok(serde_json::from_value(serde_json::Value::Object(flags))?)
}

/// A value device-info reports, for a flag not given: a placeholder the comment of
/// `[device]` says to replace.
const UNKNOWN: &str = "?";

/// `--type`, `--vendor`, `--id` and `--capability`: the device type's mandatory claims and
/// those the flags add.
fn from_flags(args: &InitArgs) -> anyhow::Result<(Device, Claims)> {
    let (Some(device_type), Some(vendor), Some(id)) = (&args.device_type, args.vendor, &args.id)
    else {
        return Err(usage(
            "--type, --vendor and --id are needed without --from-description",
        ));
    };
    if !DeviceId::is_valid(id) {
        return Err(usage(format!(
            "--id {id}: not a device id (A–Z a–z 0–9 . _ -, 1 to 64)"
        )));
    }
    let Some(mut claims) = ics_write::mandatory_claims(device_type) else {
        let names = Catalog::standard()
            .device_types()
            .iter()
            .map(|d| d.name.as_str());
        let hint = hearth_conformance::ics_review::did_you_mean(device_type, names.clone())
            .map_or_else(String::new, |m| format!("; did you mean `{m}`?"));
        return Err(usage(format!(
            "--type {device_type}: not a device type of the catalog{hint} (`hearth catalog` lists them)"
        )));
    };
    for spec in &args.capabilities {
        let (component, rest) = match spec.split_once('/') {
            Some((n, rest)) => (
                n.parse::<u16>().map_err(|_| {
                    usage(format!("--capability {spec}: `{n}` is not a component id"))
                })?,
                rest,
            ),
            None => (0, spec.as_str()),
        };
        let (name, members) = match rest.split_once('=') {
            Some((name, members)) => (
                name,
                members
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            None => (rest, Vec::new()),
        };
        claims
            .entry(component)
            .or_default()
            .insert(name.trim().to_owned(), members);
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| UNKNOWN.into());
    let device = Device {
        vendor: hearth_model::vendor::hex(vendor),
        id: id.clone(),
        device_type: device_type.clone(),
        vendor_name: text(&args.vendor_name),
        model: text(&args.model),
        firmware: text(&args.firmware),
    };
    Ok((device, claims))
}

/// `--from-description`: the device's verified description and what its device-info
/// reports, as a controller of the PKI reads them.
async fn read_device(
    addr: &str,
    pki: &Path,
    args: &InitArgs,
    broker: &hearth_mqtt::BrokerUrl,
) -> anyhow::Result<(Device, Claims)> {
    let addr: DeviceAddr = addr
        .parse()
        .map_err(|e| usage(format!("--from-description {addr}: {e}")))?;
    let how = super::ctl::Connection {
        root: &args.root,
        timeout: args.timeout,
        trust: &[],
        share_iterations: None,
    };
    let (ctl, _) = super::ctl::connect_controller(pki, broker.clone(), &how).await?;
    let found = ctl
        .wait_for(args.timeout, |ds| {
            ds.iter().any(|d| d.addr == addr && d.description.is_some())
        })
        .await;
    let view = ctl.device(&addr).filter(|_| found);
    let Some(desc) = view.as_ref().and_then(|v| v.description.clone()) else {
        ctl.shutdown().await;
        anyhow::bail!(
            "no verified description from {addr} on {broker} under {} within {:?}; `hearth ctl discover` lists the devices",
            args.root,
            args.timeout
        );
    };
    let paths =
        [1, 4, 7].map(|member| ModelPath::new(0, hearth_model::ids::cap::DEVICE_INFO, member));
    let read = ctl.read(&addr, paths.to_vec()).await;
    ctl.shutdown().await;
    let read = read.with_context(|| format!("reading device-info of {addr}"))?;
    let text = |member: u16, name: &str| {
        read.iter()
            .find(|r| r.path.member == member)
            .and_then(|r| match &r.value {
                Some(Value::Text(t)) if !t.trim().is_empty() => Some(t.clone()),
                _ => None,
            })
            .unwrap_or_else(|| {
                eprintln!("note: {addr} reports no {name} in device-info; write it into [device]");
                UNKNOWN.into()
            })
    };
    let device_type = Catalog::standard()
        .device_type(desc.device_type)
        .map_or_else(|| format!("{:#06x}", desc.device_type), |d| d.name.clone());
    let device = Device {
        vendor: hearth_model::vendor::hex(addr.vendor_id),
        id: addr.device_id.clone(),
        device_type,
        vendor_name: text(1, "vendor-name"),
        model: text(4, "model"),
        firmware: text(7, "firmware-version"),
    };
    Ok((device, ics_write::claims_of(&desc)))
}

/// `target` as a path relative to the folder `base`, `/`-separated, as an ICS writes it
/// (HRT-CONF-018).
fn relative(base: &Path, target: &Path) -> anyhow::Result<String> {
    let base = std::path::absolute(base).with_context(|| base.display().to_string())?;
    let target = std::path::absolute(target).with_context(|| target.display().to_string())?;
    let normal = |p: &Path| -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        for c in p.components() {
            match c {
                Component::ParentDir => {
                    parts.pop();
                }
                Component::CurDir => {}
                other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
            }
        }
        parts
    };
    let (base_parts, target_parts) = (normal(&base), normal(&target));
    let common = base_parts
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        // No common root (another drive): the absolute path.
        return Ok(target.to_string_lossy().into_owned());
    }
    let (base, target) = (base_parts, target_parts);
    let mut parts: Vec<String> = vec!["..".into(); base.len() - common];
    parts.extend(target[common..].iter().cloned());
    Ok(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_relative_to_the_statement() {
        let rel = |a: &str, b: &str| relative(Path::new(a), Path::new(b)).expect("relative");
        assert_eq!(rel("/srv/lab", "/srv/lab/pki"), "pki");
        assert_eq!(rel("/srv/lab/ics", "/srv/lab/pki"), "../pki");
        assert_eq!(rel("/srv/lab", "/srv/lab"), ".");
        assert_eq!(rel("/srv/lab/./a/../b", "/srv/pki"), "../../pki");
    }

    #[test]
    fn actuation_flags_by_name() {
        let a = actuation(&["power".into(), "start-cycle".into()]).expect("flags");
        assert!(a.power && a.start_cycle && !a.modes);
        assert!(actuation(&["powr".into()]).is_err());
    }
}
