//! Shared fixtures for the end-to-end tests: the `hearth` binary, a broker process (or
//! `HEARTH_TEST_BROKER`), a PKI made by `hearth pki init`, and a memory-backed fan device
//! running in the test process.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path as FsPath;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hearth_model::catalog::TypeSpec;
use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_mqtt::{BrokerUrl, Device, DeviceConfig, DeviceHandle, Handler, Identity};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::fs::{read_cert, FileCounterStore};

/// Run `hearth` with these arguments.
pub fn hearth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(args)
        .output()
        .expect("run hearth")
}

/// A path as a command-line argument.
pub fn p(path: &FsPath) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A `hearth broker` child process, killed when dropped.
pub struct BrokerProcess {
    child: Child,
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The broker to test against: `HEARTH_TEST_BROKER` (e.g. mosquitto), or `hearth broker` on a
/// free loopback port, ready once it prints its address.
pub fn broker() -> (String, Option<BrokerProcess>) {
    if let Ok(url) = std::env::var("HEARTH_TEST_BROKER") {
        if !url.is_empty() {
            return (url, None);
        }
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["broker", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start hearth broker");
    let out = child.stdout.take().expect("piped stdout");
    let process = BrokerProcess { child };
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("read the broker's first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected broker output {line:?}"))
        .to_owned();
    (url, Some(process))
}

/// `hearth pki init --dir DIR`.
pub fn pki_init(dir: &FsPath) {
    let o = hearth(&["pki", "init", "--dir", p(dir)]);
    assert!(o.status.success(), "pki init: {o:?}");
}

/// A device id no other run on a shared broker uses.
pub fn unique_id(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{nanos:08x}", std::process::id())
}

/// The model crate's fan fixture under the test PKI's vendor and the given device id.
pub fn fan(id: &str) -> Description {
    let text = include_str!("../../../hearth-model/tests/descriptions/fan.json");
    let mut desc: Description = serde_json::from_str(text).expect("fixture parses");
    desc.vendor_id = 0xFFF1;
    desc.device_id = id.into();
    desc
}

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
#[derive(Clone, Default)]
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
                for prop in cap
                    .properties
                    .iter()
                    .filter(|x| !x.optional || inst.properties.contains(&x.id))
                {
                    let v = if prop.nullable {
                        Value::Null
                    } else {
                        initial(&prop.ty, inst.constraint(prop.id))
                    };
                    values.insert(Path::new(comp.id, cap.id, prop.id), v);
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

/// A fan device of the PKI in `dir`, running on `rt`; returns once it is connected.
pub fn start_fan(
    rt: &tokio::runtime::Runtime,
    url: &str,
    dir: &FsPath,
    id: &str,
) -> (DeviceHandle, MemoryDevice) {
    let _guard = rt.enter();
    let url: BrokerUrl = url.parse().expect("broker URL");
    let desc = fan(id);
    let identity = Identity::provision_device(dir, id, "fan", "TF-1").expect("device identity");
    let root = read_cert(&dir.join("root.cert")).expect("root certificate");
    let acl = Acl::from_entries(vec![AclEntry {
        subject: AclSubject::Ca(*root.subject_kid()),
        privilege: Privilege::Manage,
    }])
    .expect("acl");
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(dir, id, true)));
    let memory = MemoryDevice::new(&desc);
    let mut config = DeviceConfig::new(url, identity, desc, acl, counter);
    config.keep_alive = Duration::from_secs(5);
    let handle = Device::spawn(config, memory.clone()).expect("device starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !handle.stats().connected {
        assert!(Instant::now() < deadline, "the device did not connect");
        std::thread::sleep(Duration::from_millis(20));
    }
    (handle, memory)
}
