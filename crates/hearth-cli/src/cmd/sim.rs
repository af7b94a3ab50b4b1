//! `hearth sim`: run a fleet of simulated appliances on a broker until interrupted, or list
//! the fault profiles. The appliances, brands, fleets and profiles are `hearth_sim`'s; this
//! module parses flags, prints what it serves and passes control lines from stdin (e.g.
//! `rf-aurora-1 open-door 1`) to the appliances. With `--factory-new` the appliances leave
//! the factory with an empty ACL and a setup code each, printed with them, for `hearth ctl
//! commission`, each with its QR code drawn in the terminal for a phone to scan.

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

/// The QR text drawn as a QR code for a terminal: exactly the text of `HRT-COM-010`, two
/// modules a character in Unicode half blocks, with its quiet zone. The light modules are the
/// drawn ones, so on a terminal's dark background the code scans as dark on light.
fn qr_graphic(text: &str) -> anyhow::Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(text.as_bytes()).context("encoding the QR text")?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// A factory-new appliance's label: its QR code, with the QR text and the manual code beside
/// it, each line indented under the appliance's line.
fn label(code: &Setup) -> anyhow::Result<String> {
    let graphic = qr_graphic(&code.qr)?;
    let beside = [
        format!("qr     {}", code.qr),
        format!("manual {}", code.manual),
    ];
    let mut out = String::new();
    for (i, row) in graphic.lines().enumerate() {
        // The text sits beside the code's middle rows, clear of the quiet zone.
        let text = i.checked_sub(2).and_then(|k| beside.get(k));
        match text {
            Some(text) => out.push_str(&format!("    {row}  {text}\n")),
            None => out.push_str(&format!("    {row}\n")),
        }
    }
    Ok(out)
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
                // The drawn code is what a user commissions with: only a factory-new
                // appliance, whose ACL names no controller yet, needs it.
                if let Some(code) = s.setup.as_ref().filter(|_| args.factory_new) {
                    print!("{}", label(code)?);
                }
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

#[cfg(test)]
mod tests {
    use hearth_model::setup::SetupPayload;

    use super::{label, qr_graphic, Setup};

    /// Reads a rendering back into its modules: `true` for a dark module. A character is two
    /// modules, the upper and the lower, and a drawn half is a light module.
    fn modules(graphic: &str) -> Vec<Vec<bool>> {
        let mut rows = Vec::new();
        for line in graphic.lines() {
            let (upper, lower): (Vec<bool>, Vec<bool>) = line
                .chars()
                .map(|c| match c {
                    '\u{2588}' => (false, false),
                    '\u{2580}' => (false, true),
                    '\u{2584}' => (true, false),
                    _ => (true, true),
                })
                .unzip();
            rows.push(upper);
            rows.push(lower);
        }
        rows
    }

    /// The drawn code decodes, with a QR decoder, to exactly the payload's QR text
    /// (`HRT-COM-010`), and has the 21 + 4 × (version − 1) modules of its version plus a
    /// quiet zone of four on each side.
    #[test]
    fn the_drawn_code_decodes_to_the_qr_text() {
        let payload = SetupPayload::new(0xFFF1, 0x0008, 0xF00, 20_202_021).expect("a payload");
        let text = payload.to_qr_text();
        let graphic = qr_graphic(&text).expect("a rendering");
        let modules = modules(&graphic);
        let code = qrcode::QrCode::new(text.as_bytes()).expect("a code");
        let qrcode::Version::Normal(version) = code.version() else {
            panic!("a micro QR code");
        };
        let side = 17 + 4 * usize::try_from(version).expect("a version") + 8;
        assert_eq!(modules[0].len(), side);
        // An odd side leaves the last character's lower half light: the quiet zone.
        assert_eq!(modules.len(), side + side % 2);
        let scale = 4;
        let mut image =
            rqrr::PreparedImage::prepare_from_bitmap(side * scale, side * scale, |x, y| {
                modules[y / scale][x / scale]
            });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, decoded) = grids[0].decode().expect("the code decodes");
        assert_eq!(decoded, text);
    }

    /// The label keeps the QR text and the manual code as text beside the drawing.
    #[test]
    fn the_label_keeps_the_texts() {
        let payload = SetupPayload::new(0xFFF1, 0x0008, 0xF00, 20_202_021).expect("a payload");
        let code = Setup {
            qr: payload.to_qr_text(),
            manual: payload.manual_code().to_string(),
        };
        let label = label(&code).expect("a label");
        assert!(label.contains(&format!("qr     {}", code.qr)));
        assert!(label.contains(&format!("manual {}", code.manual)));
    }
}
