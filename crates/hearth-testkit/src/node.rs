//! Devices and controllers of a test PKI folder on a broker: a device runtime spawned over a
//! [`MemoryDevice`], a connected [`Controller`], and waits for what a controller discovers.
//!
//! Not a fleet (that is [`crate::bench`] over `hearth-sim`). Credentials come from a folder
//! written by [`crate::pki`] or `hearth pki init`; devices are provisioned into it on first
//! use, as a factory would, and their counters persist there too.

use std::path::Path as FsPath;
use std::time::{Duration, Instant};

use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_mqtt::topic::{Channel, Topics};
use hearth_mqtt::{
    BrokerUrl, Controller, ControllerConfig, Device, DeviceAddr, DeviceConfig, DeviceHandle,
    DeviceView, Identity,
};
use hearth_security::acl::{Acl, Privilege};
use hearth_security::fs::FileCounterStore;
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_wire::{Body, Envelope, Sender};

use crate::broker::{broker, TestBroker};
use crate::fixtures::fan;
use crate::memory::MemoryDevice;
use crate::pki::{pki, Pki};

/// The model name devices spawned here carry in their certificates.
pub const MODEL: &str = "TF-1";

/// How long discovery waits take at most.
pub const DISCOVERY: Duration = Duration::from_secs(10);

/// The address of a device of the test PKI's vendor.
pub fn addr(device_id: &str) -> DeviceAddr {
    DeviceAddr::new(hearth_security::pki::TEST_VENDOR_ID, device_id)
}

/// Spawn a device runtime for `desc` over a fresh [`MemoryDevice`], provisioned into the PKI
/// folder `dir` and admitting the controllers `acl` names. Call it inside a tokio runtime.
/// It connects in the background; see [`connected`].
pub fn spawn_device(
    url: &BrokerUrl,
    dir: &FsPath,
    desc: Description,
    acl: Acl,
) -> (DeviceHandle, MemoryDevice) {
    spawn_device_with(url, dir, desc, acl, |_| {})
}

/// [`spawn_device`], with `configure` applied to the device's settings (commissioning, the
/// clock…) before it starts.
pub fn spawn_device_with(
    url: &BrokerUrl,
    dir: &FsPath,
    desc: Description,
    acl: Acl,
    configure: impl FnOnce(&mut DeviceConfig),
) -> (DeviceHandle, MemoryDevice) {
    let device_type = Catalog::standard()
        .device_type(desc.device_type)
        .map(|t| t.name.clone())
        .expect("a device type of the catalog");
    let id = desc.device_id.clone();
    let identity =
        Identity::provision_device(dir, &id, &device_type, MODEL).expect("device identity");
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir, &id, true,
    )));
    let memory = MemoryDevice::new(&desc);
    let mut config = DeviceConfig::new(url.clone(), identity, desc, acl, counter);
    config.keep_alive = Duration::from_secs(5);
    configure(&mut config);
    let handle = Device::spawn(config, memory.clone()).expect("device starts");
    (handle, memory)
}

/// Wait until `ok` holds, checking every 20 ms; false if it does not within `timeout`. For
/// state that announces itself nowhere else, such as a device runtime's counters.
pub async fn until(timeout: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !ok() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

/// Wait until the device runtime is connected to its broker; false if not within
/// [`DISCOVERY`].
pub async fn connected(device: &DeviceHandle) -> bool {
    until(DISCOVERY, || device.stats().connected).await
}

/// A controller of the PKI folder `dir` (its `controller` credential, counter kept in the
/// folder) on the default topic root.
pub async fn controller(url: &BrokerUrl, dir: &FsPath) -> Controller {
    let identity = Identity::controller(dir).expect("controller identity");
    controller_as(url, identity, dir, |_| {}).await
}

/// A controller with `identity`, its counter kept in `dir`, with `configure` applied to its
/// settings (topic root, session, keep-alive…).
pub async fn controller_as(
    url: &BrokerUrl,
    identity: Identity,
    dir: &FsPath,
    configure: impl FnOnce(&mut ControllerConfig),
) -> Controller {
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir,
        &identity.id,
        false,
    )));
    let mut config = ControllerConfig::new(url.clone(), identity, counter);
    configure(&mut config);
    Controller::connect(config)
        .await
        .expect("controller connects")
}

/// `count` requests with `body` to `to`, sealed with `identity`'s key and chain as a
/// controller seals them (request ids 1 to `count`, the device as target) and numbered from a
/// fresh counter: the full topic (default root) and the bytes of each, in order. For floods
/// faster than a controller runtime seals; the responses go to `identity`'s response topic.
pub fn sealed_requests(
    identity: &Identity,
    to: &DeviceAddr,
    body: &Body,
    count: usize,
) -> Vec<(String, Vec<u8>)> {
    let counter = SendCounter::open(MemoryCounterStore::default(), 1000).expect("a counter");
    let signer = identity.key.clone();
    let mut sender = Sender::new(identity.id.clone(), signer, identity.chain.clone(), counter);
    let rel = Topics::device_rel(to, Channel::Req);
    let topic = Topics::default().full(&rel);
    (1..=count as u64)
        .map(|request_id| {
            let envelope = Envelope {
                request_id: Some(request_id),
                target: Some(to.device_id.clone()),
                time_ms: None,
                with_chain: true,
            };
            let bytes = sender
                .seal(body.clone(), &rel, &envelope)
                .expect("a sealed request");
            (topic.clone(), bytes)
        })
        .collect()
}

/// Write one property of `addr`: its status, once the answer names that property alone.
pub async fn write_one(
    ctl: &Controller,
    addr: &DeviceAddr,
    path: Path,
    value: Value,
) -> StatusCode {
    let answer = ctl
        .write(addr, vec![(path, value)])
        .await
        .expect("write answered");
    match answer.as_slice() {
        [(p, status)] if *p == path => *status,
        other => panic!("an answer for {path} alone: {other:?}"),
    }
}

/// Invoke one action of `addr` with `args`: its status.
pub async fn invoke_one(
    ctl: &Controller,
    addr: &DeviceAddr,
    path: Path,
    args: Value,
) -> StatusCode {
    ctl.invoke(addr, path, args)
        .await
        .expect("invoke answered")
        .status
}

/// Whether the controller knows `addr` with a description and online.
pub fn discovered(views: &[DeviceView], addr: &DeviceAddr) -> bool {
    views
        .iter()
        .any(|v| &v.addr == addr && v.description.is_some() && v.online == Some(true))
}

/// Whether the controller's last status of `addr` says `online`.
pub fn status_is(views: &[DeviceView], addr: &DeviceAddr, online: bool) -> bool {
    views
        .iter()
        .any(|v| &v.addr == addr && v.online == Some(online))
}

/// Wait until the controller has `addr`'s description and sees it online; panics with what
/// it knows if not within [`DISCOVERY`].
pub async fn wait_discovered(ctl: &Controller, addr: &DeviceAddr) {
    let found = ctl.wait_for(DISCOVERY, |v| discovered(v, addr)).await;
    assert!(found, "{addr} not discovered: {:?}", ctl.device(addr));
}

/// Wait until the controller's last status of `addr` says `online`; false if not within
/// `timeout`.
pub async fn wait_status(
    ctl: &Controller,
    addr: &DeviceAddr,
    online: bool,
    timeout: Duration,
) -> bool {
    ctl.wait_for(timeout, |v| status_is(v, addr, online)).await
}

/// A broker, a test PKI and a controller of it: the set-up most runtime tests share. Devices
/// join with [`Rig::fan`].
pub struct Rig {
    /// The broker (dropped last).
    pub broker: TestBroker,
    /// The PKI folder devices are provisioned into.
    pub pki: Pki,
    /// A controller of the PKI on the default topic root.
    pub ctl: Controller,
}

/// [`broker`], [`pki`] and a [`controller`] of it.
pub async fn rig() -> Rig {
    let broker = broker();
    let pki = pki();
    let ctl = controller(broker.url(), pki.path()).await;
    Rig { broker, pki, ctl }
}

impl Rig {
    /// The broker's URL.
    pub fn url(&self) -> &BrokerUrl {
        self.broker.url()
    }

    /// An access list that grants `privilege` to the controllers of the rig's root.
    pub fn acl(&self, privilege: Privilege) -> Acl {
        self.pki.acl(privilege)
    }

    /// Spawn the sample fan as device `id` admitting `acl`, and wait until the controller
    /// has discovered it.
    pub async fn fan(&self, id: &str, acl: Acl) -> (DeviceHandle, MemoryDevice) {
        let spawned = spawn_device(self.url(), self.pki.path(), fan(id), acl);
        wait_discovered(&self.ctl, &addr(id)).await;
        spawned
    }
}
