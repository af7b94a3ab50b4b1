//! A simulated fleet on a broker with a controller watching it: the bench the simulator's
//! behaviour and fault-profile tests run on.
//!
//! Not the simulator itself: this starts `hearth-sim`'s [`Runner`] under a test PKI and a topic
//! root of its own (so tests sharing a broker stay apart), and offers the requests and waits
//! those tests make of the first appliance.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::{BrokerUrl, Controller, DeviceAddr, Identity, Topics, Update};
use hearth_sim::{
    BrandId, Control, DeviceKind, DeviceSpec, Fleet, Runner, RunnerConfig, SimDevice,
};
use tokio::sync::broadcast;

use crate::broker::{broker, TestBroker};
use crate::node::{controller_as, discovered, invoke_one, write_one};
use crate::pki::{pki, Pki};

/// How long the fleet may take to be discovered and online.
const ONLINE: Duration = Duration::from_secs(8);

/// A fleet on a broker with a controller watching it.
pub struct Bench {
    /// The test PKI the fleet and the controller are provisioned from.
    pub pki: Pki,
    /// The broker's URL.
    pub url: BrokerUrl,
    /// The topic root of this bench.
    pub topics: Topics,
    /// The running fleet.
    pub runner: Runner,
    /// A controller of the PKI on the bench's topic root.
    pub controller: Controller,
    /// Updates since before the fleet started.
    pub early: Mutex<broadcast::Receiver<Update>>,
    _broker: TestBroker,
}

/// One appliance of `kind` and `brand` with a unique id, conforming or with the fault
/// profile `fault`.
pub fn one(kind: DeviceKind, brand: BrandId, fault: Option<&str>) -> DeviceSpec {
    DeviceSpec {
        kind,
        brand,
        id: crate::unique(kind.code()),
        fault: fault.map(str::to_owned),
    }
}

/// A faulty appliance first, a conforming one of the same kind second.
pub fn pair(kind: DeviceKind, brand: BrandId, fault: &str) -> Vec<DeviceSpec> {
    vec![one(kind, brand, Some(fault)), one(kind, brand, None)]
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
    let pki = pki();
    let broker = broker();
    let url = broker.url().clone();
    let topics = Topics::new(format!("hearth-sim-test/{}", crate::unique("run")));
    let controller = controller_on(&url, &pki, &topics).await;
    let mut config = RunnerConfig::new(url.clone(), pki.path());
    config.speed = speed;
    config.tick = Duration::from_millis(50);
    config.topics = topics.clone();
    config.keep_alive = Duration::from_secs(5);
    configure(&mut config);
    let early = Mutex::new(controller.updates());
    let runner = Runner::start(&config, &Fleet { devices })
        .await
        .expect("fleet starts");
    Bench {
        pki,
        url,
        topics,
        runner,
        controller,
        early,
        _broker: broker,
    }
}

/// A controller of `pki` on `topics`.
async fn controller_on(url: &BrokerUrl, pki: &Pki, topics: &Topics) -> Controller {
    let identity = Identity::controller(pki.path()).expect("controller identity");
    controller_as(url, identity, pki.path(), |c| c.topics = topics.clone()).await
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

    /// The addresses of the first two appliances (of [`pair`]: the faulty one, the
    /// conforming one).
    pub fn addrs(&self) -> (DeviceAddr, DeviceAddr) {
        let d = self.runner.devices();
        (d[0].addr().clone(), d[1].addr().clone())
    }

    /// The updates received since before the fleet started, from the first on; later calls
    /// get those since the previous call.
    pub fn take_early(&self) -> broadcast::Receiver<Update> {
        let fresh = self.controller.updates();
        std::mem::replace(&mut *self.early.lock().expect("lock"), fresh)
    }

    /// Another controller of the bench's PKI on its topic root (one that connects late).
    pub async fn controller(&self) -> Controller {
        controller_on(&self.url, &self.pki, &self.topics).await
    }

    /// A controller with `identity` on the bench's topic root, its counter kept in `dir`.
    pub async fn controller_as(&self, identity: Identity, dir: &std::path::Path) -> Controller {
        controller_as(&self.url, identity, dir, |c| c.topics = self.topics.clone()).await
    }

    /// Wait until every appliance that publishes a retained description is known and online;
    /// panics naming those that are not, with the runtimes' counters and what was rejected.
    pub async fn wait_online(&self) {
        let addrs: Vec<DeviceAddr> = self
            .runner
            .devices()
            .iter()
            .map(|d| d.addr().clone())
            .collect();
        let ok = self
            .controller
            .wait_for(ONLINE, |views| addrs.iter().all(|a| discovered(views, a)))
            .await;
        if ok {
            return;
        }
        let views = self.controller.devices();
        let missing: Vec<String> = addrs
            .iter()
            .filter(|a| !discovered(&views, a))
            .map(|a| {
                let stats = self
                    .runner
                    .devices()
                    .iter()
                    .find(|d| d.addr() == a)
                    .map(|d| format!("{:?}", d.stats()));
                format!("{a} {stats:?}")
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

    /// Write one property of the appliance at `addr`.
    pub async fn write_to(&self, addr: &DeviceAddr, path: Path, value: Value) -> StatusCode {
        write_one(&self.controller, addr, path, value).await
    }

    /// Write one property of the first appliance.
    pub async fn write(&self, path: Path, value: Value) -> StatusCode {
        self.write_to(&self.addr(), path, value).await
    }

    /// Invoke an action of the appliance at `addr`.
    pub async fn invoke_on(&self, addr: &DeviceAddr, path: Path, args: Value) -> StatusCode {
        invoke_one(&self.controller, addr, path, args).await
    }

    /// Invoke an action of the first appliance.
    pub async fn invoke(&self, path: Path, args: Value) -> StatusCode {
        self.invoke_on(&self.addr(), path, args).await
    }

    /// Write each `(path, value)` to the first appliance in order, asserting the status each
    /// must get.
    pub async fn assert_writes(&self, writes: &[(Path, Value, StatusCode)]) {
        let addr = self.addr();
        for (path, value, status) in writes {
            let got = self.write_to(&addr, *path, value.clone()).await;
            assert_eq!(got, *status, "write {path} = {value:?}");
        }
    }

    /// Write each `(path, value)` to the appliance at its address in order, asserting the
    /// status each must get.
    pub async fn assert_writes_to(&self, writes: &[(&DeviceAddr, Path, Value, StatusCode)]) {
        for (addr, path, value, status) in writes {
            let got = self.write_to(addr, *path, value.clone()).await;
            assert_eq!(got, *status, "write {path} = {value:?} to {addr}");
        }
    }

    /// Invoke each action (without arguments) of the first appliance in order, asserting the
    /// status each must get.
    pub async fn assert_invokes(&self, invokes: &[(Path, StatusCode)]) {
        let addr = self.addr();
        for (path, status) in invokes {
            let got = self.invoke_on(&addr, *path, Value::Null).await;
            assert_eq!(got, *status, "invoke {path}");
        }
    }

    /// Invoke each action (without arguments) of the appliance at its address in order,
    /// asserting the status each must get.
    pub async fn assert_invokes_on(&self, invokes: &[(&DeviceAddr, Path, StatusCode)]) {
        for (addr, path, status) in invokes {
            let got = self.invoke_on(addr, *path, Value::Null).await;
            assert_eq!(got, *status, "invoke {path} on {addr}");
        }
    }

    /// Apply `control` to every appliance; panics if one refuses it.
    pub async fn control_all(&self, control: &Control) {
        for d in self.runner.devices() {
            d.control(control)
                .await
                .unwrap_or_else(|e| panic!("{}: {control:?}: {e}", d.id()));
        }
    }

    /// Apply `control` to the first appliance; panics if it refuses it.
    pub async fn control(&self, control: &Control) {
        self.device()
            .control(control)
            .await
            .unwrap_or_else(|e| panic!("{control:?}: {e}"));
    }

    /// Raise the standard fault `code` on the first appliance, concerning it as a whole.
    pub async fn raise_fault(&self, code: u16) {
        let component = None;
        self.control(&Control::RaiseFault { code, component }).await;
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

    /// Read a property until `ok` holds for it (for values the appliance changes without
    /// reporting each step); the last value read once `timeout` has passed.
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

    /// Wait until the counters of appliance `i` satisfy `ok`; false if not within five
    /// seconds.
    pub async fn wait_stats(
        &self,
        i: usize,
        ok: impl Fn(&hearth_mqtt::DeviceStats) -> bool,
    ) -> bool {
        let device = &self.runner.devices()[i];
        crate::node::until(Duration::from_secs(5), || ok(&device.stats())).await
    }

    /// The full topic of the request channel of `addr` under the bench's root.
    pub fn req_topic(&self, addr: &DeviceAddr) -> String {
        self.topics
            .full(&Topics::device_rel(addr, hearth_mqtt::topic::Channel::Req))
    }
}

/// The integer in a value.
pub fn int(v: &Value) -> i64 {
    v.as_int().expect("an integer")
}
