//! A gateway, written as a gateway maker embeds the Controller runtime: it discovers every
//! appliance on the broker, whatever its brand, writes one setpoint on each that has one,
//! and shows their reports and events as they come.
//!
//! ```sh
//! hearth pki init --dir pki
//! hearth broker --listen 127.0.0.1:1883 &
//! cargo run --release -p hearth-mqtt --example fan -- --broker mqtt://127.0.0.1:1883 --pki pki &
//! cargo run --release -p hearth-mqtt --example gateway -- --broker mqtt://127.0.0.1:1883 --pki pki
//! ```
//!
//! Everything the gateway sees is verified before it sees it: the Controller opens every
//! message (signature, certificate chain to the PKI's root, replay window), checks that a
//! device publishes only under its own topic and only what its description declares, and
//! drops the rest as an [`Update::Rejected`] that names the requirement broken. The gateway
//! only decides what to do with verified descriptions, values and events.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use hearth_model::ids::{cap, fan_control, temperature_control};
use hearth_model::{Description, MemberKind, Path, Value};
use hearth_mqtt::{BrokerUrl, Controller, ControllerConfig, DeviceAddr, Identity, Update};
use hearth_security::fs::FileCounterStore;
use hearth_wire::view::{device_type, path_name, EventView, PathValue};

#[derive(Parser)]
#[command(about = "A Hearth gateway: discover, write a setpoint, watch")]
struct Args {
    /// The broker, e.g. mqtt://127.0.0.1:1883.
    #[arg(long)]
    broker: BrokerUrl,
    /// A PKI folder made by `hearth pki init`: the gateway signs as its controller and
    /// trusts its root.
    #[arg(long)]
    pki: PathBuf,
    /// How long to watch reports and events, in seconds (until Ctrl-C if not given).
    #[arg(long)]
    watch: Option<u64>,
}

/// The setpoint-like properties a gateway sets, most specific first: a temperature
/// setpoint, else a fan's level.
const SETPOINTS: [(u16, u16); 2] = [
    (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT),
    (cap::FAN_CONTROL, fan_control::LEVEL),
];

/// The first setpoint `desc` declares a range for, and a value in the middle of it on its
/// step grid.
fn setpoint(desc: &Description) -> Option<(Path, Value)> {
    for (capability, property) in SETPOINTS {
        for comp in &desc.components {
            let Some(inst) = comp
                .capabilities
                .iter()
                .find(|i| i.capability == capability)
            else {
                continue;
            };
            let range = inst.constraints.iter().find(|c| c.property == property);
            let (Some(max), min) = (range.and_then(|c| c.max), range.and_then(|c| c.min)) else {
                continue;
            };
            let min = min.unwrap_or(1).min(max);
            let step = range
                .and_then(|c| c.step)
                .and_then(|s| i64::try_from(s).ok())
                .filter(|s| *s > 0)
                .unwrap_or(1);
            let middle = min + (max - min) / 2 / step * step;
            return Some((Path::new(comp.id, capability, property), Value::Int(middle)));
        }
    }
    None
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The gateway's identity: a controller certificate under the PKI's root, and the root
    // it trusts for every device's chain. Its counter survives restarts (HRT-SEC-091).
    let identity = Identity::controller(&args.pki)?;
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        &args.pki,
        &identity.id,
        false,
    )));
    let ctl = Controller::connect(ControllerConfig::new(args.broker, identity, counter)).await?;
    // Watch from before discovering, so that nothing published meanwhile is missed.
    let mut updates = ctl.updates();

    let devices = ctl.discover(Duration::from_secs(3)).await;
    println!("{} devices", devices.len());
    let mut targets: Vec<(DeviceAddr, Description)> = Vec::new();
    for d in &devices {
        println!(
            "  {} {} {} ({})",
            d.addr,
            d.type_name().as_deref().unwrap_or("?"),
            d.model.as_deref().unwrap_or("?"),
            match d.online {
                Some(true) => "online",
                Some(false) => "offline",
                None => "status unknown",
            }
        );
        if let (Some(desc), Some(true)) = (&d.description, d.online) {
            targets.push((d.addr.clone(), desc.clone()));
        }
    }

    for (addr, desc) in &targets {
        let Some((path, value)) = setpoint(desc) else {
            continue;
        };
        let name = path_name(&path, MemberKind::Property);
        match ctl.write(addr, vec![(path, value.clone())]).await {
            Ok(results) => {
                for (p, status) in results {
                    let shown =
                        PathValue::property(&p, &value, device_type(desc.device_type), Some(desc));
                    println!("{addr} {name} = {}: {status}", shown.value);
                }
            }
            Err(e) => println!("{addr} {name}: {e}"),
        }
    }

    let watch = async {
        loop {
            let update = match updates.recv().await {
                Ok(u) => u,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    println!("(missed {n} updates)");
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            };
            let dt = |addr: &DeviceAddr| {
                ctl.device(addr)
                    .and_then(|d| d.description)
                    .and_then(|desc| device_type(desc.device_type))
            };
            match update {
                Update::Report { addr, values, .. } => {
                    let desc = ctl.device(&addr).and_then(|d| d.description);
                    for (path, value) in &values {
                        let v = PathValue::property(path, value, dt(&addr), desc.as_ref());
                        println!("{addr} report {} = {}", v.path, v.value);
                    }
                }
                Update::Event { addr, event } => {
                    let e = EventView::new(&event, dt(&addr));
                    println!("{addr} event {} #{} {}", e.path, e.number, e.fields);
                }
                Update::Status { addr, online, .. } => {
                    println!("{addr} {}", if online { "online" } else { "offline" });
                }
                Update::Description(addr) => println!("{addr} new description"),
                Update::Rejected {
                    topic,
                    reason,
                    requirement,
                } => println!("rejected {topic}: {reason} [{requirement}]"),
            }
        }
    };
    match args.watch {
        Some(secs) => {
            let _ = tokio::time::timeout(Duration::from_secs(secs), watch).await;
        }
        None => {
            tokio::select! {
                () = watch => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
    }
    ctl.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_middle_of_the_declared_range_on_its_grid() {
        let mut desc = hearth_testkit::fan("fan-1");
        let (path, value) = setpoint(&desc).expect("a fan level");
        assert_eq!(path, Path::new(0, cap::FAN_CONTROL, fan_control::LEVEL));
        assert!(matches!(value, Value::Int(v) if v >= 1), "{value:?}");
        desc.components.clear();
        assert_eq!(setpoint(&desc), None);
    }
}
