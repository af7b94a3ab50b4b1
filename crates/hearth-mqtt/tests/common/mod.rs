//! Shared test fixtures: a PKI on disk, a memory-backed device, a controller.

#![allow(dead_code, unreachable_pub)]

pub mod proxy;

use std::collections::BTreeMap;
use std::path::Path as FsPath;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_model::catalog::TypeSpec;
use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_mqtt::{
    BrokerUrl, Controller, ControllerConfig, Device, DeviceConfig, DeviceHandle, Handler, Identity,
};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::fs::{write_test_pki, FileCounterStore};
use hearth_security::pki::TestPki;

/// A PKI written by the same code as `hearth pki init`.
pub fn pki(dir: &FsPath) -> TestPki {
    let pki = TestPki::generate(
        hearth_mqtt::identity::unix_now(),
        &ring::rand::SystemRandom::new(),
    )
    .expect("test PKI");
    write_test_pki(dir, &pki).expect("write PKI");
    pki
}

/// The fan fixture under another device id, so tests sharing a broker do not collide.
pub fn fan(id: &str) -> Description {
    let mut d = fan_description();
    d.device_id = id.into();
    d
}

/// The fan description used by the tests (the model crate's fixture).
pub fn fan_description() -> Description {
    let text = include_str!("../../../hearth-model/tests/descriptions/fan.json");
    let mut desc: Description = serde_json::from_str(text).expect("fixture parses");
    desc.vendor_id = 0xFFF1; // the vendor of the test PKI
    desc
}

/// A value that satisfies a type and its declared constraint.
fn initial(ty: &TypeSpec, constraint: Option<&hearth_model::Constraint>) -> Value {
    match ty {
        TypeSpec::Bool => Value::Bool(false),
        TypeSpec::Int(s) | TypeSpec::Uint(s) => {
            Value::Int(constraint.and_then(|c| c.min).unwrap_or(s.min))
        }
        TypeSpec::Enum { .. } => Value::Int(
            constraint
                .and_then(|c| c.values.as_ref())
                .and_then(|v| v.first())
                .map_or(0, |e| i64::from(e.code)),
        ),
        TypeSpec::String { .. } => Value::Text(String::new()),
        TypeSpec::Bytes { .. } => Value::Bytes(Vec::new()),
        TypeSpec::List { .. } => Value::List(Vec::new()),
        TypeSpec::Struct { fields } => Value::Struct(
            fields
                .iter()
                .filter(|f| !f.optional)
                .map(|f| (f.id, initial(&f.ty, None)))
                .collect(),
        ),
    }
}

/// A device whose properties live in a map: writes store, reads return, actions succeed.
#[derive(Clone)]
pub struct MemoryDevice {
    pub values: Arc<Mutex<BTreeMap<Path, Value>>>,
    pub invoked: Arc<Mutex<Vec<(Path, Value)>>>,
}

impl MemoryDevice {
    pub fn new(desc: &Description) -> Self {
        let catalog = Catalog::standard();
        let mut values = BTreeMap::new();
        for comp in &desc.components {
            for inst in &comp.capabilities {
                let Some(cap) = catalog.capability(inst.capability) else {
                    continue;
                };
                for p in cap
                    .properties
                    .iter()
                    .filter(|p| !p.optional || inst.properties.contains(&p.id))
                {
                    let v = if p.nullable {
                        Value::Null
                    } else {
                        initial(&p.ty, inst.constraint(p.id))
                    };
                    values.insert(Path::new(comp.id, cap.id, p.id), v);
                }
            }
        }
        Self {
            values: Arc::new(Mutex::new(values)),
            invoked: Arc::default(),
        }
    }

    pub fn get(&self, path: &Path) -> Option<Value> {
        self.values.lock().expect("lock").get(path).cloned()
    }
}

impl Handler for MemoryDevice {
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode> {
        self.get(path).ok_or(StatusCode::UnsupportedProperty)
    }
    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        self.values
            .lock()
            .expect("lock")
            .insert(*path, value.clone());
        Ok(())
    }
    fn invoke(&mut self, path: &Path, args: &Value) -> Result<Option<Value>, StatusCode> {
        self.invoked
            .lock()
            .expect("lock")
            .push((*path, args.clone()));
        Ok(None)
    }
}

/// Grant `privilege` to every controller certified under the test root.
pub fn acl_for_root(pki: &TestPki, privilege: Privilege) -> Acl {
    Acl::from_entries(vec![AclEntry {
        subject: AclSubject::Ca(*pki.root.cert.subject_kid()),
        privilege,
    }])
    .expect("acl")
}

pub fn start_device(
    url: &BrokerUrl,
    dir: &FsPath,
    desc: Description,
    acl: Acl,
) -> (DeviceHandle, MemoryDevice) {
    let identity =
        Identity::provision_device(dir, &desc.device_id, "fan", "TF-1").expect("device identity");
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir,
        &desc.device_id,
        true,
    )));
    let memory = MemoryDevice::new(&desc);
    let mut config = DeviceConfig::new(url.clone(), identity, desc, acl, counter);
    config.keep_alive = Duration::from_secs(5);
    let handle = Device::spawn(config, memory.clone()).expect("device starts");
    (handle, memory)
}

pub async fn controller(url: &BrokerUrl, dir: &FsPath) -> Controller {
    let identity = Identity::controller(dir).expect("controller identity");
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir,
        &identity.id,
        false,
    )));
    let mut config = ControllerConfig::new(url.clone(), identity, counter);
    config.request_timeout = Duration::from_secs(5);
    Controller::connect(config)
        .await
        .expect("controller connects")
}

/// The broker to test against: `HEARTH_TEST_BROKER` (e.g. mosquitto) or an embedded one.
pub fn broker() -> (BrokerUrl, Option<hearth_mqtt::EmbeddedBroker>) {
    match std::env::var("HEARTH_TEST_BROKER") {
        Ok(url) if !url.is_empty() => (
            url.parse().expect("HEARTH_TEST_BROKER is a broker URL"),
            None,
        ),
        _ => {
            let broker = hearth_mqtt::EmbeddedBroker::start_local().expect("embedded broker");
            (broker.url(), Some(broker))
        }
    }
}
