//! Shared fixtures: a PKI on disk, a broker (`HEARTH_TEST_BROKER` or an embedded one), a
//! fleet running on it under a topic root of its own, and a controller.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::{
    BrokerUrl, Controller, ControllerConfig, DeviceAddr, EmbeddedBroker, Identity, Topics, Update,
};
use hearth_security::fs::{write_test_pki, FileCounterStore};
use hearth_security::pki::TestPki;
use hearth_sim::{BrandId, DeviceKind, DeviceSpec, Fleet, Runner, RunnerConfig, SimDevice};
use tokio::sync::broadcast;

/// A fleet on a broker with a controller watching it.
pub struct Bench {
    pub dir: tempfile::TempDir,
    pub pki: TestPki,
    pub url: BrokerUrl,
    pub topics: Topics,
    pub runner: Runner,
    pub controller: Controller,
    /// Updates since before the fleet started.
    pub early: std::sync::Mutex<broadcast::Receiver<Update>>,
    _broker: Option<EmbeddedBroker>,
}

/// A suffix that keeps ids and topic roots of concurrent tests (and runs) apart.
pub fn unique() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{:x}{:x}{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn broker() -> (BrokerUrl, Option<EmbeddedBroker>) {
    match std::env::var("HEARTH_TEST_BROKER") {
        Ok(url) if !url.is_empty() => (
            url.parse().expect("HEARTH_TEST_BROKER is a broker URL"),
            None,
        ),
        _ => {
            let broker = EmbeddedBroker::start_local().expect("embedded broker");
            (broker.url(), Some(broker))
        }
    }
}

/// One appliance spec with a unique id.
pub fn one(kind: DeviceKind, brand: BrandId, fault: Option<&str>) -> DeviceSpec {
    DeviceSpec {
        kind,
        brand,
        id: format!("{}-{}", kind.code(), unique()),
        fault: fault.map(str::to_owned),
    }
}

/// A controller on `topics`.
pub async fn controller(url: &BrokerUrl, dir: &std::path::Path, topics: &Topics) -> Controller {
    let identity = Identity::controller(dir).expect("controller identity");
    controller_as(url, identity, dir, topics).await
}

/// A controller with the given identity.
pub async fn controller_as(
    url: &BrokerUrl,
    identity: Identity,
    dir: &std::path::Path,
    topics: &Topics,
) -> Controller {
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir,
        &identity.id,
        false,
    )));
    let mut config = ControllerConfig::new(url.clone(), identity, counter);
    config.topics = topics.clone();
    config.request_timeout = Duration::from_secs(5);
    Controller::connect(config)
        .await
        .expect("controller connects")
}

/// Start `devices` at `speed` with `configure` applied, and wait until the controller has
/// every description and sees every device online.
pub async fn bench(
    devices: Vec<DeviceSpec>,
    speed: f64,
    configure: impl FnOnce(&mut RunnerConfig),
) -> Bench {
    let bench = bench_nowait(devices, speed, configure).await;
    bench.wait_online().await;
    bench
}

/// Start `devices` without waiting for them.
pub async fn bench_nowait(
    devices: Vec<DeviceSpec>,
    speed: f64,
    configure: impl FnOnce(&mut RunnerConfig),
) -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = TestPki::generate(
        hearth_mqtt::identity::unix_now(),
        &ring::rand::SystemRandom::new(),
    )
    .expect("test PKI");
    write_test_pki(dir.path(), &pki).expect("write PKI");
    let (url, broker) = broker();
    let topics = Topics::new(format!("hearth-sim-test/{}", unique()));
    let controller = controller(&url, dir.path(), &topics).await;
    let mut config = RunnerConfig::new(url.clone(), dir.path());
    config.speed = speed;
    config.tick = Duration::from_millis(50);
    config.topics = topics.clone();
    config.keep_alive = Duration::from_secs(5);
    configure(&mut config);
    let early = std::sync::Mutex::new(controller.updates());
    let runner = Runner::start(&config, &Fleet { devices })
        .await
        .expect("fleet starts");
    Bench {
        dir,
        pki,
        url,
        topics,
        runner,
        controller,
        early,
        _broker: broker,
    }
}

impl Bench {
    /// The single (or first) appliance.
    pub fn device(&self) -> &SimDevice {
        &self.runner.devices()[0]
    }

    /// Its address.
    pub fn addr(&self) -> DeviceAddr {
        self.device().addr().clone()
    }

    /// Wait until every appliance that publishes a retained description is known and online.
    pub async fn wait_online(&self) {
        let addrs: Vec<DeviceAddr> = self
            .runner
            .devices()
            .iter()
            .map(|d| d.addr().clone())
            .collect();
        let ok = self
            .controller
            .wait_for(Duration::from_secs(8), |views| {
                addrs.iter().all(|a| {
                    views
                        .iter()
                        .any(|v| &v.addr == a && v.description.is_some() && v.online == Some(true))
                })
            })
            .await;
        if !ok {
            let views = self.controller.devices();
            let missing: Vec<String> = addrs
                .iter()
                .filter(|a| {
                    !views
                        .iter()
                        .any(|v| &v.addr == *a && v.description.is_some() && v.online == Some(true))
                })
                .map(|a| {
                    let stats = self
                        .runner
                        .devices()
                        .iter()
                        .find(|d| d.addr() == a)
                        .map(|d| format!("{:?}", d.stats()));
                    format!("{a} {:?}", stats)
                })
                .collect();
            let mut rejected = vec![];
            while let Ok(u) = self.early.lock().expect("lock").try_recv() {
                match u {
                    Update::Rejected {
                        topic,
                        reason,
                        requirement,
                    } => rejected.push(format!("{topic}: {reason} ({requirement})")),
                    Update::Status { addr, online, .. } => {
                        rejected.push(format!("status {addr} online={online}"))
                    }
                    _ => {}
                }
            }
            rejected.retain(|r| r.contains("wh-"));
            rejected.truncate(8);
            panic!("not discovered and online: {missing:?}; rejected: {rejected:?}");
        }
    }

    /// Write one property of the first appliance.
    pub async fn write(&self, path: Path, value: Value) -> StatusCode {
        let results = self
            .controller
            .write(&self.addr(), vec![(path, value)])
            .await
            .expect("write answered");
        results[0].1
    }

    /// Invoke an action of the first appliance.
    pub async fn invoke(&self, path: Path, args: Value) -> StatusCode {
        self.controller
            .invoke(&self.addr(), path, args)
            .await
            .expect("invoke answered")
            .status
    }

    /// Read one property of the first appliance (checked against its description).
    pub async fn read(&self, path: Path) -> Value {
        let results = self
            .controller
            .read(&self.addr(), vec![path])
            .await
            .expect("read answered");
        assert_eq!(results[0].status, StatusCode::Success, "{path}");
        results[0].value.clone().expect("value")
    }

    /// Poll a property until `ok` holds for it.
    pub async fn read_until(
        &self,
        path: Path,
        timeout: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.read(path).await;
            if ok(&v) || Instant::now() > deadline {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Wait for an update for which `f` returns something.
pub async fn expect<T>(
    updates: &mut broadcast::Receiver<Update>,
    timeout: Duration,
    mut f: impl FnMut(&Update) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, updates.recv()).await {
            Ok(Ok(u)) => {
                if let Some(t) = f(&u) {
                    return Some(t);
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            _ => return None,
        }
    }
}

/// Wait for an event at `path` from `addr`; its fields.
pub async fn event(
    updates: &mut broadcast::Receiver<Update>,
    addr: &DeviceAddr,
    path: Path,
    timeout: Duration,
) -> Option<Value> {
    expect(updates, timeout, |u| match u {
        Update::Event { addr: a, event } if a == addr && event.path == path => {
            Some(event.fields.clone())
        }
        _ => None,
    })
    .await
}

/// Wait for a reported value at `path` from `addr` for which `ok` holds.
pub async fn reported(
    updates: &mut broadcast::Receiver<Update>,
    addr: &DeviceAddr,
    path: Path,
    timeout: Duration,
    ok: impl Fn(&Value) -> bool,
) -> Option<Value> {
    expect(updates, timeout, |u| match u {
        Update::Report {
            addr: a, values, ..
        } if a == addr => values
            .iter()
            .find(|(p, v)| *p == path && ok(v))
            .map(|(_, v)| v.clone()),
        _ => None,
    })
    .await
}

/// The integer in a value.
pub fn int(v: &Value) -> i64 {
    v.as_int().expect("an integer")
}
