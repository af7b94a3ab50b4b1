//! `hearth sim`: run a fleet of simulated appliances on a broker until interrupted, or list
//! the fault profiles. The appliances, brands, fleets and profiles are `hearth_sim`'s; this
//! module parses flags, prints what it serves and passes control lines from stdin (e.g.
//! `rf-aurora-1 open-door 1`) to the appliances. With `--factory-new` the appliances leave
//! the factory with an empty ACL and a setup code each, printed with them, for `hearth ctl
//! commission`.

use std::process::ExitCode;

use anyhow::{bail, Context};
use hearth_mqtt::Topics;
use hearth_sim::{Control, Fleet, Runner, RunnerConfig};
use serde::Serialize;

use super::broker::{runtime, shutdown_signal};
use crate::args;

/// Arguments of `hearth sim`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    broker: args::Broker,
    /// Device credentials and counters are kept in the PKI folder.
    #[command(flatten)]
    pki: args::Pki,
    /// `default` (every device type and brand) or a fleet file (TOML, `[[device]]` tables
    /// with type, brand, id and an optional fault).
    #[arg(long, default_value = "default")]
    fleet: String,
    /// Run every appliance with this fault profile (see --list-faults).
    #[arg(long)]
    fault: Option<String>,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// The topic root.
    #[arg(long, default_value = hearth_mqtt::topic::DEFAULT_ROOT)]
    root: String,
    /// List the fault profiles and the requirements each breaks, then exit.
    #[arg(long)]
    list_faults: bool,
    /// Start every appliance factory-new: no controller in its ACL, a fresh setup code of
    /// its own (printed), a commissioning window open from its first connection.
    #[arg(long)]
    factory_new: bool,
    #[command(flatten)]
    output: args::Json,
}

/// One served appliance, as printed.
#[derive(Serialize)]
struct Served<'a> {
    id: &'a str,
    vendor_id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    brand: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fault: Option<&'a str>,
    /// The setup code of a factory-new appliance.
    #[serde(skip_serializing_if = "Option::is_none")]
    setup: Option<Setup>,
}

/// A setup code as its label prints it.
#[derive(Serialize)]
struct Setup {
    qr: String,
    manual: String,
}

fn list_faults(json: bool) -> anyhow::Result<ExitCode> {
    let profiles = hearth_sim::profiles();
    if json {
        println!("{}", serde_json::to_string_pretty(profiles)?);
        return Ok(ExitCode::SUCCESS);
    }
    for p in profiles {
        println!(
            "{:<30} {:<10} {}",
            p.name,
            p.chapter.name(),
            p.requirements.join(", ")
        );
        println!("    {}", p.summary);
        println!("    applies to: {}; applied by {}", p.applies_to, p.applied);
    }
    println!("{} fault profiles", profiles.len());
    Ok(ExitCode::SUCCESS)
}

/// Run `hearth sim`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list_faults {
        return list_faults(args.output.json);
    }
    let broker = args.broker.required()?;
    let pki = args.pki.required()?.to_path_buf();
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(crate::exit::usage("--speed must be a positive number"));
    }
    let mut fleet = if args.fleet == "default" {
        Fleet::standard()
    } else {
        Fleet::load(std::path::Path::new(&args.fleet))
            .with_context(|| format!("reading the fleet file {}", args.fleet))?
    };
    if let Some(fault) = &args.fault {
        fleet = fleet.with_fault(fault).map_err(crate::exit::usage)?;
    }
    if !pki.join("root.cert").exists() {
        bail!(
            "{} holds no root.cert: create a PKI with `hearth pki init --dir {}`",
            pki.display(),
            pki.display()
        );
    }
    let mut config = RunnerConfig::new(broker.clone(), pki);
    config.speed = args.speed;
    config.factory_new = args.factory_new;
    config.topics = Topics::new(args.root);
    let rt = runtime()?;
    rt.block_on(async move {
        let runner = Runner::start(&config, &fleet).await?;
        let served: Vec<Served<'_>> = runner
            .devices()
            .iter()
            .map(|d| Served {
                id: d.id(),
                vendor_id: format!("{:04x}", d.addr().vendor_id),
                kind: d.spec().kind.name(),
                brand: d.spec().brand.brand().key,
                fault: d.spec().fault.as_deref(),
                setup: d.setup_payload().map(|p| Setup {
                    qr: p.to_qr_text(),
                    manual: p.manual_code().to_string(),
                }),
            })
            .collect();
        if args.output.json {
            println!("{}", serde_json::to_string(&served)?);
        } else {
            println!(
                "serving {} appliances on {broker} at speed {}:",
                served.len(),
                args.speed
            );
            for s in &served {
                let setup = s
                    .setup
                    .as_ref()
                    .map(|c| format!(" setup {} / {}", c.qr, c.manual))
                    .unwrap_or_default();
                println!(
                    "  {}/{:<20} {:<16} {:<8} {}{setup}",
                    s.vendor_id,
                    s.id,
                    s.kind,
                    s.brand,
                    s.fault.unwrap_or("")
                );
            }
            if args.factory_new {
                println!(
                    "factory-new: commission one with `hearth ctl --pki DIR commission --code CODE`"
                );
            }
            println!("control lines on stdin: DEVICE-ID COMMAND (e.g. `rf-aurora-1 open-door 1`)");
        }
        // Control lines come from a reader thread: stdin is blocking.
        let (tx, mut lines) = tokio::sync::mpsc::channel::<String>(16);
        std::thread::spawn(move || {
            for line in std::io::stdin().lines().map_while(Result::ok) {
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        });
        let controls = async {
            while let Some(line) = lines.recv().await {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let (id, rest) = line.split_once(' ').unwrap_or((line, ""));
                let Some(device) = runner.device(id) else {
                    eprintln!("no appliance {id}");
                    continue;
                };
                match Control::parse(rest, device.spec().kind) {
                    Ok(control) => match device.control(&control).await {
                        Ok(()) => eprintln!("{id}: done"),
                        Err(e) => eprintln!("{id}: {e}"),
                    },
                    Err(e) => eprintln!("{id}: {e}"),
                }
            }
            // Without a stdin, serve until interrupted.
            std::future::pending::<()>().await;
        };
        tokio::select! {
            r = shutdown_signal() => r?,
            () = controls => {}
        }
        runner.shutdown().await;
        eprintln!("simulator stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
