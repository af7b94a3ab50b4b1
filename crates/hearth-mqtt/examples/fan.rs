//! An electric fan, written as a vendor would write its firmware against the public API.
//!
//! ```sh
//! hearth pki init --dir pki
//! hearth broker --listen 127.0.0.1:1883 &
//! cargo run --release -p hearth-mqtt --example fan -- --broker mqtt://127.0.0.1:1883 --pki pki
//! ```
//!
//! The fan declares what it is (its description), keeps its state in a small struct, and
//! answers the runtime through [`Handler`]: reads return the state, validated writes change
//! it. Everything else — signing, certificates, replay protection, access control, checking
//! requests against the description, reconnecting, the will — is the runtime's job.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::Parser;
use hearth_model::{
    CapabilityInstance, ComponentDescription, Constraint, Description, EnumEntry, Path, StatusCode,
    Value, SPEC_VERSION,
};
use hearth_mqtt::{BrokerUrl, Device, DeviceConfig, DeviceHandle, Handler, Identity};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::fs::{read_cert, read_lab_acl, FileCounterStore};

// Catalog ids (see `hearth catalog fan` and `hearth catalog NAME`).
const FAN: u16 = 8;
const DEVICE_INFO: u16 = 1;
const FAULTS: u16 = 2;
const ON_OFF: u16 = 3;
const MODE: u16 = 5;
const FAN_CONTROL: u16 = 9;
const AIRFLOW: u16 = 10;
const FIRMWARE_UPDATE: u16 = 19;
const CHECK: u16 = 1;
const IDLE: i64 = 0;
const HORIZONTAL_SWING: u16 = 2;
const NORMAL: u16 = 0x0801;
const NATURAL: u16 = 0x0802;
const SLEEP: u16 = 0x0803;
const MAX_LEVEL: i64 = 5;

#[derive(Parser)]
#[command(about = "A Hearth electric fan")]
struct Args {
    /// The broker, e.g. mqtt://127.0.0.1:1883.
    #[arg(long)]
    broker: BrokerUrl,
    /// A PKI folder made by `hearth pki init`; the fan's own credential is kept in it.
    #[arg(long)]
    pki: PathBuf,
    /// The fan's device id.
    #[arg(long, default_value = "fan-1")]
    id: String,
}

/// What the fan declares about itself.
fn description(vendor_id: u16, device_id: &str) -> Description {
    let instance =
        |capability, properties: Vec<u16>, constraints: Vec<Constraint>| CapabilityInstance {
            capability,
            properties,
            actions: vec![],
            events: vec![],
            constraints,
        };
    let modes = [NORMAL, NATURAL, SLEEP].map(EnumEntry::standard).to_vec();
    Description {
        spec_version: SPEC_VERSION,
        vendor_id,
        device_id: device_id.into(),
        device_type: FAN,
        components: vec![ComponentDescription {
            id: 0,
            label: Some("Living room fan".into()),
            capabilities: vec![
                instance(DEVICE_INFO, vec![], vec![]),
                instance(FAULTS, vec![], vec![]),
                instance(ON_OFF, vec![], vec![]),
                instance(
                    FAN_CONTROL,
                    vec![],
                    vec![Constraint {
                        property: 1,
                        max: Some(MAX_LEVEL),
                        ..Constraint::default()
                    }],
                ),
                instance(
                    MODE,
                    vec![],
                    vec![Constraint {
                        property: 1,
                        values: Some(modes),
                        ..Constraint::default()
                    }],
                ),
                instance(AIRFLOW, vec![HORIZONTAL_SWING], vec![]),
                instance(FIRMWARE_UPDATE, vec![], vec![]),
            ],
        }],
    }
}

/// The fan's state.
struct Fan {
    vendor_id: u16,
    serial: String,
    on: bool,
    level: i64,
    mode: u16,
    swing: bool,
}

/// The fan as the runtime sees it. Writes reaching here are already authenticated,
/// authorised and within the description, so the fan only applies them.
#[derive(Clone)]
struct FanHandler(Arc<Mutex<Fan>>);

impl Handler for FanHandler {
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode> {
        let fan = self.0.lock().map_err(|_| StatusCode::Failure)?;
        Ok(match (path.capability, path.member) {
            (DEVICE_INFO, 1) => "Example Appliances".into(),
            (DEVICE_INFO, 2) => Value::Int(fan.vendor_id.into()),
            (DEVICE_INFO, 3) => "Breeze".into(),
            (DEVICE_INFO, 4) => "BR-300".into(),
            (DEVICE_INFO, 6) => fan.serial.as_str().into(),
            (DEVICE_INFO, 7) => "1.0.0".into(),
            (DEVICE_INFO, 9) => "1.0".into(),
            (FAULTS, 1) => Value::List(vec![]),
            (ON_OFF, 1) => fan.on.into(),
            (FAN_CONTROL, 1) => Value::Int(fan.level),
            (MODE, 1) => Value::Int(fan.mode.into()),
            (AIRFLOW, HORIZONTAL_SWING) => fan.swing.into(),
            (FIRMWARE_UPDATE, 1) => Value::Int(IDLE),
            (FIRMWARE_UPDATE, 2 | 3) => Value::Null, // no update in progress, none available
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        let mut fan = self.0.lock().map_err(|_| StatusCode::Failure)?;
        match (path.capability, path.member, value) {
            (ON_OFF, 1, Value::Bool(on)) => fan.on = *on,
            (FAN_CONTROL, 1, Value::Int(level)) => fan.level = *level,
            (MODE, 1, Value::Int(mode)) => {
                fan.mode = u16::try_from(*mode).map_err(|_| StatusCode::ConstraintError)?
            }
            (AIRFLOW, HORIZONTAL_SWING, Value::Bool(swing)) => fan.swing = *swing,
            _ => return Err(StatusCode::UnsupportedProperty),
        }
        println!("{path} = {value}");
        Ok(())
    }

    fn invoke(&mut self, path: &Path, _args: &Value) -> Result<Option<Value>, StatusCode> {
        match (path.capability, path.member) {
            // This fan's firmware is current: a check finds nothing to install.
            (FIRMWARE_UPDATE, CHECK) => {
                println!("firmware check: up to date");
                Ok(None)
            }
            // With nothing available there is nothing to start or cancel.
            (FIRMWARE_UPDATE, _) => Err(StatusCode::InvalidInState),
            _ => Err(StatusCode::UnsupportedAction),
        }
    }
}

/// Start the fan `id` on `broker` with the credentials of the PKI folder `pki`: its own
/// device certificate (issued from the folder's vendor CA on first start, as a factory
/// would), and the access-control list its commissioning sets. Must be called within a
/// tokio runtime; the fan serves until its handle is shut down.
pub fn start(broker: &BrokerUrl, pki: &std::path::Path, id: &str) -> anyhow::Result<DeviceHandle> {
    let identity = Identity::provision_device(pki, id, "fan", "BR-300")?;
    let vendor_id = identity
        .vendor_id
        .ok_or_else(|| anyhow::anyhow!("the device certificate names no vendor id"))?;
    // Commissioning, which a vendor does its own way (spec 03 §1.2): this fan admits the
    // lab's controllers of the PKI folder with the privileges `hearth pki init` issued them
    // for and the lab's test CA with `view` (what an ICS of `hearth ics init` states), and the
    // folder's own controller, the one `hearth ctl` signs as, to operate it.
    let mut entries = read_lab_acl(pki)?;
    entries.push(AclEntry {
        subject: AclSubject::Key(*read_cert(&pki.join("controller.cert"))?.subject_kid()),
        privilege: Privilege::Operate,
    });
    let acl = Acl::from_entries(entries)?;
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(pki, id, true)));
    let state = Fan {
        vendor_id,
        serial: format!("BR300-{id}"),
        on: false,
        level: 1,
        mode: NORMAL,
        swing: false,
    };
    let config = DeviceConfig::new(
        broker.clone(),
        identity,
        description(vendor_id, id),
        acl,
        counter,
    );
    Ok(Device::spawn(
        config,
        FanHandler(Arc::new(Mutex::new(state))),
    )?)
}

#[tokio::main]
#[allow(dead_code)] // the integration test of the README's sequence includes this file
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let device = start(&args.broker, &args.pki, &args.id)?;
    println!("fan {} serving on {}", device.addr(), args.broker);
    tokio::signal::ctrl_c().await?;
    device.shutdown().await;
    Ok(())
}
