//! An in-memory bus for driving a device core and a controller core against each other on
//! a virtual clock: it routes publishes by topic filter, keeps retained messages, publishes
//! the will when the device's connection drops, and acknowledges publishes at once (unless
//! told not to). Time moves only when a test advances it.

#![allow(dead_code, unreachable_pub)]

pub mod home;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use hearth_model::{Description, Path, StatusCode, Value};
use hearth_node::{
    ControllerCore, ControllerEvent, ControllerSettings, Credential, DeviceCore, DeviceSettings,
    Handler, Publish, Time, Transmit, Update,
};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::alg::Algorithm;
use hearth_security::cert::{Role, TrustStore};
use hearth_security::key::KeyId;
use hearth_security::pki::{self, IssueRequest, TestPki};
use hearth_security::replay::MemoryCounterStore;
use hearth_security::revocation::RevocationList;
use hearth_wire::{Body, Message};

/// Where the virtual clock starts: certificates are issued at this time.
pub const START: u64 = 1_800_000_000;
/// The device id of the fan under test.
pub const FAN: &str = "fan-1";

pub const ON: Path = Path::new(0, 3, 1);
pub const LEVEL: Path = Path::new(0, 9, 1);
pub const FW_CHECK: Path = Path::new(0, 19, 1);
pub const FAULT_RAISED: Path = Path::new(0, 2, 1);
pub const FAULT_CLEARED: Path = Path::new(0, 2, 2);

/// A device whose properties live in a map: writes store, reads return, actions are noted.
#[derive(Debug, Default)]
pub struct Memory {
    pub values: BTreeMap<Path, Value>,
    pub writes: usize,
    pub invoked: Vec<Path>,
}

impl Handler for Memory {
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode> {
        self.values
            .get(path)
            .cloned()
            .ok_or(StatusCode::UnsupportedProperty)
    }
    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        self.writes += 1;
        self.values.insert(*path, value.clone());
        Ok(())
    }
    fn invoke(&mut self, path: &Path, _args: &Value) -> Result<Option<Value>, StatusCode> {
        self.invoked.push(*path);
        Ok(None)
    }
}

/// The test PKI, issued at [`START`].
pub struct Pki {
    pub test: TestPki,
    rng: ring::rand::SystemRandom,
}

impl Pki {
    pub fn new() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let test = TestPki::generate(START, &rng).expect("test PKI");
        Self { test, rng }
    }

    fn trust(&self) -> TrustStore {
        let mut trust = TrustStore::new();
        trust.add_root(self.test.root.cert.clone()).expect("root");
        trust
    }

    /// A credential for `issued`, whose chain continues with `above` (nearest first).
    fn credential(&self, issued: pki::Credential, above: &[&pki::Credential]) -> Credential {
        let claims = issued.cert.claims().clone();
        let mut chain = vec![issued.cert.as_bytes().to_vec()];
        chain.extend(above.iter().map(|c| c.cert.as_bytes().to_vec()));
        let signer = Arc::new(issued.key);
        Credential::new(
            claims.subject,
            claims.vendor_id,
            chain,
            signer,
            self.trust(),
        )
    }

    fn issue(
        &self,
        role: Role,
        subject: &str,
        days: u64,
        issuer: &pki::Credential,
    ) -> pki::Credential {
        let request = IssueRequest {
            role,
            subject: subject.to_owned(),
            vendor_id: None,
            device_type: (role == Role::Device).then(|| "fan".to_owned()),
            model: (role == Role::Device).then(|| "TF-1".to_owned()),
            days,
            alg: Algorithm::EdDsa,
        };
        pki::issue(&request, issuer, START, &self.rng).expect("issue")
    }

    /// The fan's credential, valid for `days` from [`START`], issued by the test vendor.
    pub fn device(&self, days: u64) -> Credential {
        let issued = self.issue(Role::Device, FAN, days, &self.test.vendor);
        self.credential(issued, &[&self.test.vendor])
    }

    /// A controller credential, valid for `days` from [`START`], issued by the root.
    pub fn controller(&self, days: u64) -> Credential {
        let issued = self.issue(Role::Controller, "gw-1", days, &self.test.root);
        self.credential(issued, &[])
    }

    /// A controller credential as [`controller`](Self::controller) gives it, and its key id.
    pub fn controller_and_kid(&self, days: u64) -> (Credential, KeyId) {
        let issued = self.issue(Role::Controller, "gw-1", days, &self.test.root);
        let kid = *issued.cert.subject_kid();
        (self.credential(issued, &[]), kid)
    }

    /// A revocation list of the root revoking `kids`, dated [`START`], and the key id of the
    /// root, which names its topic.
    pub fn root_list(&self, kids: &[KeyId]) -> (Vec<u8>, KeyId) {
        let root = &self.test.root;
        let list = RevocationList {
            issuer: root.cert.claims().subject.clone(),
            this_update: START,
            next_update: START + 3600,
            revoked: kids.iter().copied().collect(),
        }
        .issue(&root.cert, &root.key)
        .expect("revocation list");
        (list, *root.cert.subject_kid())
    }

    /// A controller credential named `subject` (whatever it is), valid for `days` from
    /// [`START`], issued by the root.
    pub fn controller_named(&self, subject: &str, days: u64) -> Credential {
        let issued = self.issue(Role::Controller, subject, days, &self.test.root);
        self.credential(issued, &[])
    }

    /// An access-control list that grants `privilege` to every controller under the root.
    pub fn acl(&self, privilege: Privilege) -> Acl {
        Acl::from_entries(vec![AclEntry {
            subject: AclSubject::Ca(*self.test.root.cert.subject_kid()),
            privilege,
        }])
        .expect("acl")
    }
}

/// The fan of the model crate's fixture, as the test vendor's `fan-1`.
pub fn fan_description() -> Description {
    let text = include_str!("../../../hearth-model/tests/descriptions/fan.json");
    let mut desc: Description = serde_json::from_str(text).expect("fixture parses");
    desc.vendor_id = hearth_security::pki::TEST_VENDOR_ID;
    desc.device_id = FAN.into();
    desc
}

/// Settings of the fan under test: `privilege` for every controller under the root.
pub fn fan_settings(pki: &Pki, privilege: Privilege) -> DeviceSettings {
    DeviceSettings::new(fan_description(), pki.acl(privilege), 0x5eed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Device,
    Controller,
}

/// A publish seen on the bus.
#[derive(Debug, Clone)]
pub struct Seen {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

/// A device core and a controller core on one in-memory broker.
pub struct Pair {
    /// The virtual clock.
    pub now: Time,
    pub device: DeviceCore<Memory, MemoryCounterStore>,
    pub controller: ControllerCore<MemoryCounterStore>,
    /// When set, the broker does not acknowledge the device's publishes.
    pub withhold_acks: bool,
    /// Everything the controller core reported, in order.
    pub updates: Vec<Update>,
    /// Responses by request id.
    pub responses: BTreeMap<u64, Message>,
    /// The broker, with every publish it took.
    pub broker: Broker<Side>,
    up: [bool; 2],
}

impl Pair {
    /// A fan with `settings` and `device` credential, a controller with `controller`
    /// credential; neither connected yet.
    pub fn new(settings: DeviceSettings, device: &Credential, controller: &Credential) -> Self {
        let device = fan_core(settings, device);
        let settings = ControllerSettings {
            topics: Default::default(),
            request_ids_after: 1000,
            faults: Default::default(),
        };
        let controller = ControllerCore::new(settings, controller, MemoryCounterStore::default())
            .expect("controller core");
        Self {
            now: Time::from_unix_secs(START),
            device,
            controller,
            withhold_acks: false,
            updates: Vec::new(),
            responses: BTreeMap::new(),
            broker: Broker::new(),
            up: [false; 2],
        }
    }

    /// A fan that grants `privilege` to the controller, with certificates valid for
    /// `device_days` and `controller_days`, its settings changed by `tweak`.
    pub fn with(
        privilege: Privilege,
        device_days: u64,
        controller_days: u64,
        tweak: impl FnOnce(&mut DeviceSettings),
    ) -> Self {
        let pki = Pki::new();
        let mut settings = fan_settings(&pki, privilege);
        tweak(&mut settings);
        Self::new(
            settings,
            &pki.device(device_days),
            &pki.controller(controller_days),
        )
    }

    /// The usual pair: a fan that grants `operate`, long-lived certificates.
    pub fn standard() -> Self {
        Self::with(Privilege::Operate, 365, 365, |_| {})
    }

    fn is_up(&self, side: Side) -> bool {
        self.up[side as usize]
    }

    /// Both connect, the controller first, and everything settles.
    pub fn connect_both(&mut self) {
        self.connect_controller();
        self.connect_device();
    }

    /// The broker accepts the device's connection.
    pub fn connect_device(&mut self) {
        self.up[Side::Device as usize] = true;
        self.device.handle_connected(self.now);
        self.settle();
    }

    /// The broker accepts the controller's connection.
    pub fn connect_controller(&mut self) {
        self.up[Side::Controller as usize] = true;
        self.controller.handle_connected();
        self.settle();
    }

    /// The device's connection drops without a DISCONNECT: the broker publishes its will.
    pub fn drop_device(&mut self) {
        self.up[Side::Device as usize] = false;
        self.broker.forget(Side::Device);
        if let Some(will) = self.device.will().cloned() {
            self.broker.route(will);
        }
        self.device.handle_connection_lost().expect("counter");
        self.settle();
    }

    /// Let the virtual clock run on by `d`, and wake the cores if they asked for it.
    pub fn advance(&mut self, d: Duration) {
        advance_fan(&mut self.device, &mut self.now, d);
        self.settle();
    }

    /// Send a request to the fan and settle; its id.
    pub fn request(&mut self, body: Body) -> u64 {
        let addr = self.device.addr().clone();
        let id = self.controller.request(self.now, addr, body).expect("seal");
        self.settle();
        id
    }

    /// Send a request and return its response, if one came.
    pub fn ask(&mut self, body: Body) -> Option<Message> {
        let id = self.request(body);
        self.responses.remove(&id)
    }

    /// Deliver a raw publish to the device, as the broker would (not retained).
    pub fn deliver_to_device(&mut self, topic: &str, payload: &[u8]) {
        self.device.handle_publish(self.now, topic, payload, false);
        self.settle();
    }

    /// The updates so far, taken.
    pub fn take_updates(&mut self) -> Vec<Update> {
        std::mem::take(&mut self.updates)
    }

    /// The requests the device was sent, in order.
    pub fn requests(&self) -> Vec<Seen> {
        self.broker.published("/req").cloned().collect()
    }

    /// Run both cores until neither has anything left to do.
    pub fn settle(&mut self) {
        settle(self);
    }

    fn poll_transmit(&mut self, side: Side) -> Option<Transmit> {
        match side {
            Side::Device => self.device.poll_transmit(),
            Side::Controller => self.controller.poll_transmit(),
        }
    }

    fn carry_out(&mut self, side: Side, transmit: Transmit) {
        if !self.is_up(side) {
            return; // the connection is gone: nothing reaches the broker
        }
        match transmit {
            Transmit::Publish(publish) => {
                let ack = publish.ack;
                self.broker.route(publish);
                if let (Some(token), false) = (ack, self.withhold_acks) {
                    self.device.handle_ack(token);
                }
            }
            Transmit::Subscribe(filters) => self.broker.subscribe(side, filters),
            Transmit::Disconnect => {
                self.up[side as usize] = false;
                self.broker.forget(side);
            }
        }
    }
}

impl Bus for Pair {
    type Side = Side;

    fn transmit(&mut self) -> bool {
        let mut busy = false;
        for side in [Side::Device, Side::Controller] {
            while let Some(t) = self.poll_transmit(side) {
                busy = true;
                self.carry_out(side, t);
            }
        }
        while let Some(event) = self.controller.poll_event() {
            match event {
                ControllerEvent::Update(u) => self.updates.push(u),
                ControllerEvent::Response {
                    request_id,
                    message,
                } => {
                    self.responses.insert(request_id, message);
                }
                ControllerEvent::Commissioning(_) => {}
            }
        }
        busy
    }

    fn deliver(&mut self, side: Side, seen: Seen) {
        match side {
            Side::Device => self.device.take_delivery(self.now, seen),
            Side::Controller => self.controller.take_delivery(self.now, seen),
        }
    }

    fn broker(&mut self) -> &mut Broker<Side> {
        &mut self.broker
    }
}

/// The fan's device core for `settings` and `credential`: off, at level 1, its will armed.
pub fn fan_core(
    settings: DeviceSettings,
    credential: &Credential,
) -> DeviceCore<Memory, MemoryCounterStore> {
    let mut device = DeviceCore::new(
        settings,
        credential,
        MemoryCounterStore::default(),
        Memory::default(),
    )
    .expect("device core");
    device.handler_mut().values.insert(ON, Value::Bool(false));
    device.handler_mut().values.insert(LEVEL, Value::Int(1));
    device.arm_will().expect("will");
    device
}

/// Let the virtual clock `now` run on by `d`, waking the fan's `device` if it asked for it.
pub fn advance_fan(
    device: &mut DeviceCore<Memory, MemoryCounterStore>,
    now: &mut Time,
    d: Duration,
) {
    *now = *now + d;
    if device.poll_timeout().is_some_and(|due| due <= *now) {
        device.handle_timeout(*now);
    }
}

/// Cores on an in-memory broker, as [`settle`] drives them.
pub trait Bus {
    /// Who is on the bus.
    type Side: Copy + PartialEq;
    /// The broker.
    fn broker(&mut self) -> &mut Broker<Self::Side>;
    /// Carry out what every core has to send and take their events: whether any sent.
    fn transmit(&mut self) -> bool;
    /// Hand `seen` to `side`'s core.
    fn deliver(&mut self, side: Self::Side, seen: Seen);
}

/// Run everyone on `bus` until nobody has anything left to do.
pub fn settle(bus: &mut impl Bus) {
    loop {
        let mut busy = bus.transmit();
        while let Some((side, seen)) = bus.broker().next_delivery() {
            busy = true;
            bus.deliver(side, seen);
        }
        if !busy {
            return;
        }
    }
}

/// A core the broker delivers to.
pub trait Receive {
    /// Take the publish `seen` at `now`.
    fn take_delivery(&mut self, now: Time, seen: Seen);
}

impl Receive for DeviceCore<Memory, MemoryCounterStore> {
    fn take_delivery(&mut self, now: Time, seen: Seen) {
        self.handle_publish(now, &seen.topic, &seen.payload, seen.retain);
    }
}

impl Receive for ControllerCore<MemoryCounterStore> {
    fn take_delivery(&mut self, now: Time, seen: Seen) {
        self.handle_publish(now, &seen.topic, &seen.payload, seen.retain);
    }
}

/// The broker of an in-memory bus for clients named by `S`: it routes publishes by topic
/// filter (one copy per subscriber), hands retained messages to each new subscription and
/// queues deliveries in order.
pub struct Broker<S> {
    /// Every publish it took, in order, with its retain flag.
    pub wire: Vec<Seen>,
    retained: BTreeMap<String, Vec<u8>>,
    subscriptions: Vec<(S, String)>,
    deliveries: VecDeque<(S, Seen)>,
}

impl<S: Copy + PartialEq> Broker<S> {
    /// A broker with nothing retained and nobody subscribed.
    pub fn new() -> Self {
        Self {
            wire: Vec::new(),
            retained: BTreeMap::new(),
            subscriptions: Vec::new(),
            deliveries: VecDeque::new(),
        }
    }

    /// `side` subscribes to `filters`: what is retained under them is delivered at once.
    pub fn subscribe(&mut self, side: S, filters: Vec<String>) {
        for filter in filters {
            for (topic, payload) in &self.retained {
                if matches(&filter, topic) {
                    let seen = Seen {
                        topic: topic.clone(),
                        payload: payload.clone(),
                        retain: true,
                    };
                    self.deliveries.push_back((side, seen));
                }
            }
            self.subscriptions.push((side, filter));
        }
    }

    /// `side`'s connection is gone, and its subscriptions with it.
    pub fn forget(&mut self, side: S) {
        self.subscriptions.retain(|(s, _)| *s != side);
    }

    /// Take a publish: keep it if retained, deliver it to every subscriber once.
    pub fn route(&mut self, publish: Publish) {
        let Publish {
            topic,
            payload,
            retain,
            ..
        } = publish;
        if retain {
            if payload.is_empty() {
                self.retained.remove(&topic);
            } else {
                self.retained.insert(topic.clone(), payload.clone());
            }
        }
        let seen = Seen {
            topic,
            payload,
            retain: false,
        };
        let mut sides: Vec<S> = Vec::new();
        for (side, filter) in &self.subscriptions {
            if !sides.contains(side) && matches(filter, &seen.topic) {
                sides.push(*side);
            }
        }
        for side in sides {
            self.deliveries.push_back((side, seen.clone()));
        }
        self.wire.push(Seen { retain, ..seen });
    }

    /// The publishes it took on topics ending with `suffix`, in order.
    pub fn published<'a>(&'a self, suffix: &'a str) -> impl Iterator<Item = &'a Seen> + 'a {
        self.wire.iter().filter(move |s| s.topic.ends_with(suffix))
    }

    /// The next delivery due, in order.
    pub fn next_delivery(&mut self) -> Option<(S, Seen)> {
        self.deliveries.pop_front()
    }

    /// What is retained on `topic`.
    pub fn retained(&self, topic: &str) -> Option<&[u8]> {
        self.retained.get(topic).map(Vec::as_slice)
    }
}

/// Whether an MQTT topic filter (`+` one level, `#` the rest) matches a topic.
pub fn matches(filter: &str, topic: &str) -> bool {
    let mut levels = topic.split('/');
    for f in filter.split('/') {
        match (f, levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (f, Some(t)) if f == t => {}
            _ => return false,
        }
    }
    levels.next().is_none()
}
