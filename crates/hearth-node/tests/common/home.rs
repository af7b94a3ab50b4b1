//! A home for commissioning tests: one factory-new fan of the test vendor and controllers of
//! other ecosystems, each under a root of its own that the fan does not trust, on one
//! in-memory broker and a virtual clock. The broker routes by topic filter, keeps retained
//! messages and delivers in order; time moves only when a test advances it.

use std::sync::Arc;
use std::time::Duration;

use hearth_model::setup::{SetupCode, SetupPayload};
use hearth_model::StatusCode;
use hearth_node::{
    CommissionError, CommissionEvent, Commissioned, CommissioningSettings, ControllerCore,
    ControllerEvent, ControllerSettings, Credential, DeviceAddr, DeviceCore, DeviceSettings, Time,
    Transmit,
};
use hearth_security::acl::Acl;
use hearth_security::cert::TrustStore;
use hearth_security::pki::{self, IssueRequest, SystemRandom, TestPki};
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_wire::commissioning::WindowState;
use hearth_wire::{Body, Envelope, Message, Sender};

use super::{
    advance_fan, fan_core, fan_description, settle, Broker, Bus, Memory, Receive, Seen, FAN, START,
};

/// The fan's printed passcode.
pub const PASSCODE: u32 = 20_202_021;
/// The fan's discriminator.
pub const DISCRIMINATOR: u16 = 0xF00;
/// PBKDF2 iterations of the fan's record: the fewest allowed, so tests stay quick.
pub const ITERATIONS: u32 = 1000;

/// The fan's address.
pub fn fan() -> DeviceAddr {
    DeviceAddr::new(pki::TEST_VENDOR_ID, FAN)
}

/// The fan's setup payload (device type 8, a fan).
pub fn payload() -> SetupPayload {
    SetupPayload::new(pki::TEST_VENDOR_ID, 8, DISCRIMINATOR, PASSCODE).expect("payload")
}

/// The fan's QR text, parsed.
pub fn qr() -> SetupCode {
    SetupCode::parse(&payload().to_qr_text()).expect("QR text")
}

/// The fan's QR text with another passcode.
pub fn wrong_qr() -> SetupCode {
    let wrong =
        SetupPayload::new(pki::TEST_VENDOR_ID, 8, DISCRIMINATOR, 20_202_022).expect("payload");
    SetupCode::Qr(wrong)
}

/// Who is on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Device,
    Controller(usize),
}

/// A fan and its controllers.
pub struct Home {
    /// The virtual clock.
    pub now: Time,
    pub device: DeviceCore<Memory, MemoryCounterStore>,
    pub controllers: Vec<ControllerCore<MemoryCounterStore>>,
    /// Every event of each controller, in order.
    pub events: Vec<Vec<ControllerEvent>>,
    /// The broker, with every publish it took.
    pub broker: Broker<Client>,
    pki: TestPki,
    rng: Arc<SystemRandom>,
    device_up: bool,
    controllers_up: Vec<bool>,
}

impl Home {
    /// A factory-new fan (empty ACL, the printed passcode's record), not connected yet, and
    /// no controller.
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    /// As [`new`](Self::new), with the fan's settings changed by `tweak`.
    pub fn with(tweak: impl FnOnce(&mut DeviceSettings)) -> Self {
        let rng = Arc::new(SystemRandom::new());
        let pki = TestPki::generate(START, rng.as_ref()).expect("test PKI");
        let mut settings = DeviceSettings::new(fan_description(), Acl::new(), 0x5eed);
        let salt = b"hearth fan salt!".to_vec();
        let record = CommissioningSettings::for_payload(&payload(), salt, ITERATIONS);
        settings.commissioning = Some(record.expect("record"));
        tweak(&mut settings);
        let device_cert = pki::issue(
            &IssueRequest::device(FAN, "fan", "TF-1"),
            &pki.vendor,
            START,
            rng.as_ref(),
        )
        .expect("device certificate");
        let mut trust = TrustStore::new();
        trust.add_root(pki.root.cert.clone()).expect("root");
        let credential = Credential::new(
            FAN,
            Some(pki::TEST_VENDOR_ID),
            vec![
                device_cert.cert.as_bytes().to_vec(),
                pki.vendor.cert.as_bytes().to_vec(),
            ],
            Arc::new(device_cert.key),
            trust,
        );
        let device = fan_core(settings, &credential);
        Self {
            now: Time::from_unix_secs(START),
            device,
            controllers: Vec::new(),
            events: Vec::new(),
            broker: Broker::new(),
            pki,
            rng,
            device_up: false,
            controllers_up: Vec::new(),
        }
    }

    /// A controller of an ecosystem of its own, `name`: a root the fan does not trust, a
    /// controller certificate under it; it trusts its own root and the fan vendor's root
    /// (to attest the fan, HRT-COM-050). Connected at once; its index.
    pub fn add_controller(&mut self, name: &str) -> usize {
        let (root, issued) = self.foreign(name);
        let mut trust = TrustStore::new();
        trust.add_root(root.cert.clone()).expect("own root");
        trust
            .add_root(self.pki.root.cert.clone())
            .expect("the vendor's root");
        let credential = Credential::new(
            name,
            None,
            vec![issued.cert.as_bytes().to_vec()],
            Arc::new(issued.key),
            trust,
        );
        let settings = ControllerSettings {
            topics: Default::default(),
            request_ids_after: 1000 * (self.controllers.len() as u64 + 1),
            faults: Default::default(),
        };
        let core = ControllerCore::new(settings, &credential, MemoryCounterStore::default())
            .expect("controller core");
        self.controllers.push(core);
        self.events.push(Vec::new());
        self.controllers_up.push(true);
        let i = self.controllers.len() - 1;
        self.controllers[i].handle_connected();
        self.settle();
        i
    }

    /// A signer outside every core: a controller `name` under a root of its own, whose chain
    /// ends with that root when `with_root`, to send the fan what no core would.
    pub fn stranger(&self, name: &str, with_root: bool) -> Sender<MemoryCounterStore> {
        let (root, issued) = self.foreign(name);
        let mut chain = vec![issued.cert.as_bytes().to_vec()];
        if with_root {
            chain.push(root.cert.as_bytes().to_vec());
        }
        let counter = SendCounter::open(MemoryCounterStore::default(), 100).expect("counter");
        Sender::new(name, Arc::new(issued.key), chain, counter)
    }

    /// A root `{name}-root` and a controller `name` under it.
    fn foreign(&self, name: &str) -> (pki::Credential, pki::Credential) {
        hearth_testkit::pki::foreign_controller(name, 365, START)
    }

    /// The fan connects (after power-on, the first time).
    pub fn connect_device(&mut self) {
        self.device_up = true;
        self.device.handle_connected(self.now);
        self.settle();
    }

    /// Controller `i` loses its connection: nothing more reaches it or leaves it.
    pub fn drop_controller(&mut self, i: usize) {
        self.controllers_up[i] = false;
        self.broker.forget(Client::Controller(i));
    }

    /// Let the virtual clock run on by `d`, waking the fan if it asked for it.
    pub fn advance(&mut self, d: Duration) {
        advance_fan(&mut self.device, &mut self.now, d);
        self.settle();
    }

    /// Controller `i` commissions with `code`; the outcome, if the attempt ended.
    pub fn commission(
        &mut self,
        i: usize,
        code: SetupCode,
    ) -> Option<Result<Commissioned, CommissionError>> {
        let from = self.events[i].len();
        let rng = self.rng.clone();
        self.controllers[i]
            .commission(self.now, code, rng)
            .expect("an attempt starts");
        self.settle();
        self.events[i][from..].iter().find_map(|e| match e {
            ControllerEvent::Commissioning(CommissionEvent::Finished(outcome)) => {
                Some(outcome.clone())
            }
            _ => None,
        })
    }

    /// Controller `i` commissions with `code`, which the fan must refuse: its status and
    /// what its window still admits.
    pub fn refused(&mut self, i: usize, code: SetupCode) -> (StatusCode, Option<u8>) {
        match self.commission(i, code) {
            Some(Err(CommissionError::Refused {
                status,
                sessions_left,
                ..
            })) => (status, sessions_left),
            other => panic!("a refusal: {other:?}"),
        }
    }

    /// Controller `i` commissions with `code`, which must succeed.
    pub fn commission_ok(&mut self, i: usize, code: SetupCode) -> Commissioned {
        match self.commission(i, code) {
            Some(Ok(done)) => done,
            other => panic!("commissioning with the right code: {other:?}"),
        }
    }

    /// `sender` sends `body` to the fan's commission topic as a session message with request
    /// id `id`; whatever reached the sender's response topic.
    pub fn send_session(
        &mut self,
        sender: &mut Sender<MemoryCounterStore>,
        id: u64,
        body: Body,
    ) -> Vec<Message> {
        let rel = format!("d/{:04x}/{FAN}/commission", pki::TEST_VENDOR_ID);
        let envelope = Envelope {
            request_id: Some(id),
            target: Some(FAN.to_owned()),
            time_ms: None,
            with_chain: true,
        };
        let payload = sender.seal(body, &rel, &envelope).expect("seal");
        let from = self.broker.wire.len();
        self.device
            .handle_publish(self.now, &format!("hearth/1/{rel}"), &payload, false);
        self.settle();
        let responses = format!("hearth/1/c/{}/resp", sender.id());
        self.broker.wire[from..]
            .iter()
            .filter(|seen| seen.topic == responses)
            .filter_map(|seen| unverified(&seen.payload))
            .collect()
    }

    /// Controller `i` sends `body` to the fan; the response, if one came.
    pub fn ask(&mut self, i: usize, body: Body) -> Option<Message> {
        let id = self.controllers[i]
            .request(self.now, fan(), body)
            .expect("seal");
        self.settle();
        self.response(i, id)
    }

    /// The response controller `i` got to request `id`, if any.
    pub fn response(&self, i: usize, id: u64) -> Option<Message> {
        self.events[i].iter().find_map(|e| match e {
            ControllerEvent::Response {
                request_id,
                message,
            } if *request_id == id => Some(message.clone()),
            _ => None,
        })
    }

    /// Controller `i` opens an enhanced window for `privilege`: the fresh payload and the
    /// fan's answer.
    pub fn share(
        &mut self,
        i: usize,
        privilege: hearth_model::Privilege,
    ) -> (SetupPayload, Option<Message>) {
        let window = (privilege, Duration::from_secs(300), ITERATIONS);
        let (id, payload) = self.controllers[i]
            .open_enhanced_window(self.now, fan(), window, self.rng.as_ref())
            .expect("a window-control");
        self.settle();
        (payload, self.response(i, id))
    }

    /// The counters of the fan's messages, in the order the broker took them.
    pub fn device_counters(&self) -> Vec<u64> {
        self.broker
            .wire
            .iter()
            .filter_map(|seen| unverified(&seen.payload))
            .filter(|msg| msg.sender == FAN)
            .map(|msg| msg.counter)
            .collect()
    }

    /// The window the fan last announced on the broker (retained).
    pub fn retained_window(&self) -> Option<WindowState> {
        let topic = format!("hearth/1/d/{:04x}/{FAN}/window", pki::TEST_VENDOR_ID);
        let bytes = self.broker.retained(&topic)?;
        let msg = unverified(bytes)?;
        match msg.body {
            Body::Window(w) => Some(w),
            _ => None,
        }
    }

    /// Run everyone until nobody has anything left to do.
    pub fn settle(&mut self) {
        settle(self);
    }

    fn is_up(&self, side: Client) -> bool {
        match side {
            Client::Device => self.device_up,
            Client::Controller(i) => self.controllers_up[i],
        }
    }

    fn carry_out(&mut self, side: Client, transmit: Transmit) {
        if !self.is_up(side) {
            return;
        }
        match transmit {
            Transmit::Publish(publish) => {
                if let Some(token) = publish.ack {
                    self.device.handle_ack(token);
                }
                self.broker.route(publish);
            }
            Transmit::Subscribe(filters) => self.broker.subscribe(side, filters),
            Transmit::Disconnect => {
                self.broker.forget(side);
                match side {
                    Client::Device => self.device_up = false,
                    Client::Controller(i) => self.controllers_up[i] = false,
                }
            }
        }
    }
}

impl Bus for Home {
    type Side = Client;

    fn broker(&mut self) -> &mut Broker<Client> {
        &mut self.broker
    }

    fn transmit(&mut self) -> bool {
        let mut busy = false;
        while let Some(t) = self.device.poll_transmit() {
            busy = true;
            self.carry_out(Client::Device, t);
        }
        for i in 0..self.controllers.len() {
            while let Some(t) = self.controllers[i].poll_transmit() {
                busy = true;
                self.carry_out(Client::Controller(i), t);
            }
            while let Some(event) = self.controllers[i].poll_event() {
                self.events[i].push(event);
            }
        }
        busy
    }

    fn deliver(&mut self, side: Client, seen: Seen) {
        match side {
            Client::Device => self.device.take_delivery(self.now, seen),
            Client::Controller(i) => self.controllers[i].take_delivery(self.now, seen),
        }
    }
}

/// The message a publish carries, read without checking its signature (the test's view).
fn unverified(bytes: &[u8]) -> Option<Message> {
    let envelope = hearth_security::cose::Envelope::parse(bytes).ok()?;
    let limits = hearth_wire::Limits::STANDARD;
    hearth_wire::codec::decode(envelope.unverified_payload(), &limits).ok()
}
