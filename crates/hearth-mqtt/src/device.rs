//! The Device runtime: a vendor's firmware (or a simulator) on any MQTT 3.1.1 broker.
//!
//! [`Device::spawn`] checks the description against the catalog, connects, and then runs one
//! task that owns the MQTT event loop, the signer and the request [`Handler`]. On every
//! (re)connect it publishes its description and online status (both retained), a full report
//! and any events not yet acknowledged; its will is a pre-sealed offline status whose counter
//! lies above everything the connection sends. Requests are opened (signature, chain, replay),
//! checked for target and privilege against the ACL, validated against the description, and
//! only then handed to the handler; every answer goes back to the requesting controller's
//! response topic. Events are kept until the broker acknowledges them and re-sent after a
//! reconnect, so a broker restart loses none; the replay window makes the duplicates harmless.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hearth_model::catalog::Priority;
use hearth_model::validate::{
    check_description, check_invoke, check_read, check_write, DescriptionErrors,
};
use hearth_model::{Catalog, Description, Path, StatusCode, Value, ValueError};
use hearth_security::acl::Acl;
use hearth_security::key::KeyId;
use hearth_security::replay::{CounterStore, SendCounter};
use hearth_wire::policy::required_privilege;
use hearth_wire::{
    Availability, Body, Envelope, EventBody, InvokeResult, Message, OpenError, ReadResult,
    Receiver, Report, SealError, Sender, Status,
};
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, Outgoing, Packet, QoS};
use tokio::sync::{mpsc, oneshot};

use crate::fault::FaultInjection;
use crate::identity::{unix_now, unix_now_ms, DynStore, Identity};
use crate::topic::{Channel, DeviceAddr, Topics};
use crate::url::BrokerUrl;

/// How far above the current counter the will is numbered (one reservation per connection).
const WILL_GAP: u64 = 1 << 32;

/// The application side of a device: current values, writes and actions.
///
/// The runtime calls these only for requests that are authenticated, authorised and valid
/// against the description, so an implementation checks just what depends on its state
/// (e.g. `invalid-in-state` for starting a cycle with the door open).
pub trait Handler: Send + 'static {
    /// The current value of a property (reads and full reports).
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode>;
    /// Apply a validated write.
    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode>;
    /// Run a validated action and return its results, if it has any.
    fn invoke(&mut self, path: &Path, args: &Value) -> Result<Option<Value>, StatusCode>;
}

/// Settings of a device runtime.
pub struct DeviceConfig {
    /// The broker.
    pub broker: BrokerUrl,
    /// The topic root.
    pub topics: Topics,
    /// The device's credential and trust anchors.
    pub identity: Identity,
    /// What the device declares about itself.
    pub description: Description,
    /// Which controllers may do what.
    pub acl: Acl,
    /// Where the send counter is persisted.
    pub counter: Box<dyn CounterStore + Send>,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// Most events kept while unacknowledged; beyond it the oldest of the lowest priority goes.
    pub max_pending_events: usize,
    /// Least time between two `unauthorized` answers to the same controller.
    pub unauthorized_interval: Duration,
    /// Deliberate deviations, for the simulator's fault profiles only.
    #[cfg(feature = "fault-injection")]
    pub faults: FaultInjection,
}

impl DeviceConfig {
    /// Settings with the binding's recommended defaults.
    pub fn new(
        broker: BrokerUrl,
        identity: Identity,
        description: Description,
        acl: Acl,
        counter: Box<dyn CounterStore + Send>,
    ) -> Self {
        Self {
            broker,
            topics: Topics::default(),
            identity,
            description,
            acl,
            counter,
            keep_alive: Duration::from_secs(30),
            max_pending_events: 1024,
            unauthorized_interval: Duration::from_secs(1),
            #[cfg(feature = "fault-injection")]
            faults: FaultInjection::default(),
        }
    }
}

/// Why a device could not start or act.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The description does not validate against the catalog.
    #[error("invalid description: {0}")]
    Description(#[from] DescriptionErrors),
    /// The identity does not match the description (vendor id or device id).
    #[error("the certificate is for {cert}, the description for {description}")]
    IdentityMismatch {
        /// What the certificate says.
        cert: String,
        /// What the description says.
        description: String,
    },
    /// Counter or signing failure.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The send counter could not be opened.
    #[error("send counter: {0}")]
    Counter(#[from] hearth_security::replay::CounterError),
    /// The runtime has stopped.
    #[error("the device runtime has stopped")]
    Stopped,
    /// The broker address or its TLS settings are not usable.
    #[error("broker: {0}")]
    Broker(#[from] crate::url::UrlError),
}

/// Counters a device keeps about its traffic, for operators and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceStats {
    /// Whether the broker connection is up.
    pub connected: bool,
    /// Connections established (first one included).
    pub connects: u64,
    /// Requests answered.
    pub requests: u64,
    /// Incoming messages dropped, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Events emitted.
    pub events: u64,
    /// Events acknowledged by the broker.
    pub events_acked: u64,
    /// Revocation lists applied.
    pub revocation_lists: u64,
}

enum Command {
    Report(Vec<(Path, Value)>),
    Event { path: Path, fields: Value },
    Shutdown(oneshot::Sender<()>),
    Kill(oneshot::Sender<()>),
}

/// A handle to a running device.
#[derive(Clone)]
pub struct DeviceHandle {
    tx: mpsc::Sender<Command>,
    stats: Arc<Mutex<DeviceStats>>,
    addr: DeviceAddr,
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl DeviceHandle {
    /// The device's address.
    pub fn addr(&self) -> &DeviceAddr {
        &self.addr
    }

    /// Report changed property values.
    pub async fn report(&self, changes: Vec<(Path, Value)>) -> Result<(), DeviceError> {
        self.tx
            .send(Command::Report(changes))
            .await
            .map_err(|_| DeviceError::Stopped)
    }

    /// Emit an event with its fields (a struct value). It is kept until the broker
    /// acknowledges it; if the buffer fills, debug events go first, then info, never critical.
    pub async fn event(&self, path: Path, fields: Value) -> Result<(), DeviceError> {
        self.tx
            .send(Command::Event { path, fields })
            .await
            .map_err(|_| DeviceError::Stopped)
    }

    /// A snapshot of the traffic counters.
    pub fn stats(&self) -> DeviceStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stop at once without a DISCONNECT, as a power loss would: the broker publishes the
    /// will. The counter file keeps the next start from reusing a counter.
    pub async fn kill(&self) {
        let (tx, rx) = oneshot::channel();
        self.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if self.tx.send(Command::Kill(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Publish the offline status, disconnect and stop.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        self.stopping
            .store(true, std::sync::atomic::Ordering::Relaxed);
        if self.tx.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), rx).await;
        }
    }
}

/// The Device runtime.
pub struct Device;

impl Device {
    /// Validate the description, open the counter, and start serving on the broker. Must be
    /// called within a tokio runtime; the device runs on a task of its own.
    pub fn spawn(config: DeviceConfig, handler: impl Handler) -> Result<DeviceHandle, DeviceError> {
        let catalog = Catalog::standard();
        #[cfg(feature = "fault-injection")]
        let faults = config.faults.clone();
        #[cfg(not(feature = "fault-injection"))]
        let faults = FaultInjection::default();
        if !faults.skip_description_check {
            check_description(catalog, &config.description)?;
        }
        let desc = &config.description;
        if config.identity.id != desc.device_id || config.identity.vendor_id != Some(desc.vendor_id)
        {
            return Err(DeviceError::IdentityMismatch {
                cert: format!("{:?}/{}", config.identity.vendor_id, config.identity.id),
                description: format!("{:04x}/{}", desc.vendor_id, desc.device_id),
            });
        }
        let addr = DeviceAddr::new(desc.vendor_id, desc.device_id.clone());
        let counter = SendCounter::open(DynStore(config.counter), 1000)?;
        let identity = config.identity;
        let sender = Sender::new(
            identity.id.clone(),
            identity.key.clone(),
            identity.chain.clone(),
            counter,
        );
        let receiver = Receiver::new(identity.trust.clone());
        let mut boot = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut boot);

        let client_id = format!("hd-{:04x}-{}", addr.vendor_id, addr.device_id);
        let mut options = config.broker.mqtt_options(client_id)?;
        options.set_keep_alive(config.keep_alive);
        options.set_clean_session(true);
        let (client, eventloop) = AsyncClient::new(options, 4096);
        let (tx, rx) = mpsc::channel(1024);
        let stats = Arc::new(Mutex::new(DeviceStats::default()));
        let stopping = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut runtime = Runtime {
            topics: config.topics,
            addr: addr.clone(),
            description: config.description,
            acl: config.acl,
            handler,
            client,
            sender,
            receiver,
            boot_id: u64::from_be_bytes(boot),
            will: 0,
            connected: false,
            sent: VecDeque::new(),
            inflight: HashMap::new(),
            pending_events: BTreeMap::new(),
            event_number: 0,
            max_pending_events: config.max_pending_events,
            unauthorized_interval: config.unauthorized_interval,
            last_unauthorized: HashMap::new(),
            stats: stats.clone(),
            faults,
            stalled: false,
            stopping: stopping.clone(),
        };
        let mut eventloop = eventloop;
        runtime.arm_will(&mut eventloop)?;
        tokio::spawn(async move { runtime.run(&mut eventloop, rx).await });
        Ok(DeviceHandle {
            tx,
            stats,
            addr,
            stopping,
        })
    }
}

struct PendingEvent {
    event: EventBody,
    priority: Priority,
}

struct Runtime<H: Handler> {
    topics: Topics,
    addr: DeviceAddr,
    description: Description,
    acl: Acl,
    handler: H,
    client: AsyncClient,
    sender: Sender<DynStore>,
    receiver: Receiver,
    boot_id: u64,
    will: u64,
    connected: bool,
    /// Event numbers (or None) of publishes handed to the client, in order, awaiting a packet id.
    sent: VecDeque<Option<u64>>,
    /// Packet id → event number, awaiting PUBACK.
    inflight: HashMap<u16, u64>,
    /// Sealed events not yet acknowledged, by event number.
    pending_events: BTreeMap<u64, PendingEvent>,
    event_number: u64,
    max_pending_events: usize,
    unauthorized_interval: Duration,
    last_unauthorized: HashMap<KeyId, Instant>,
    stats: Arc<Mutex<DeviceStats>>,
    /// Deviations to commit; all off unless the `fault-injection` feature set them.
    faults: FaultInjection,
    /// Whether the device has stopped answering (a fault profile).
    stalled: bool,
    /// Set by the handle when a shutdown or kill is on its way.
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl<H: Handler> Runtime<H> {
    fn rel(&self, channel: Channel) -> String {
        Topics::device_rel(&self.addr, channel)
    }

    /// The topic a message is signed for: its own, unless a fault profile says otherwise.
    fn aad(&self, rel: &str) -> String {
        if self.faults.wrong_aad {
            format!("{rel}/moved")
        } else {
            rel.to_owned()
        }
    }

    fn stat(&self, f: impl FnOnce(&mut DeviceStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    /// Reserve the will's counter, seal it and set it on the connection options.
    fn arm_will(&mut self, eventloop: &mut EventLoop) -> Result<(), DeviceError> {
        if self.faults.no_will {
            return Ok(());
        }
        let will = self.sender.reserve_ahead(WILL_GAP)?;
        let rel = self.rel(Channel::Status);
        let body = Body::Status(Status {
            availability: Availability::Offline,
            boot_id: self.boot_id,
        });
        let envelope = Envelope {
            with_chain: true,
            ..Envelope::default()
        };
        let bytes = self.sender.seal_reserved(body, &rel, &envelope, will)?;
        eventloop.mqtt_options.set_last_will(LastWill::new(
            self.topics.full(&rel),
            bytes,
            QoS::AtLeastOnce,
            true,
        ));
        self.will = will;
        Ok(())
    }

    async fn run(&mut self, eventloop: &mut EventLoop, mut rx: mpsc::Receiver<Command>) {
        let mut backoff = Duration::from_millis(250);
        loop {
            // While connecting, nothing but a stop may interrupt the event loop: dropping a
            // connection attempt after CONNECT was sent can leave the broker holding the will.
            // Commands wait in their channel until the connection is up.
            let polled = if self.connected {
                tokio::select! {
                    polled = eventloop.poll() => polled,
                    cmd = rx.recv() => {
                        if self.on_command(cmd, eventloop).await {
                            return;
                        }
                        continue;
                    }
                }
            } else {
                tokio::select! {
                    polled = eventloop.poll() => polled,
                    cmd = rx.recv(), if self.stop_requested(&rx) => {
                        if self.on_command(cmd, eventloop).await {
                            return;
                        }
                        continue;
                    }
                }
            };
            match polled {
                Ok(event) => {
                    if matches!(event, Event::Incoming(Packet::ConnAck(_))) {
                        backoff = Duration::from_millis(250);
                    }
                    self.on_event(event);
                }
                Err(err) => {
                    if self.connected {
                        tracing::warn!(device = %self.addr, "broker connection lost: {err}");
                    }
                    self.connected = false;
                    self.stat(|s| s.connected = false);
                    self.sent.clear();
                    self.inflight.clear();
                    // The broker may hold the will from the moment CONNECT was sent, and may
                    // publish it: count on from above it, and arm a new one.
                    let will = self.will;
                    if self.sender.skip_past(will).is_err() || self.arm_will(eventloop).is_err() {
                        tracing::error!(device = %self.addr, "send counter exhausted or unwritable; stopping");
                        return;
                    }
                    let jitter = Duration::from_millis(u64::from(self.boot_id as u16 % 200));
                    // Between two attempts nothing is connecting, so commands are safe to
                    // take: events go to the store of kept events (HRT-MQTT-035), changes are
                    // covered by the full report of the next connection, a stop stops.
                    let wake = tokio::time::sleep(backoff + jitter);
                    tokio::pin!(wake);
                    loop {
                        tokio::select! {
                            () = &mut wake => break,
                            cmd = rx.recv() => {
                                if self.on_command(cmd, eventloop).await {
                                    return;
                                }
                            }
                        }
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// Whether a stop (shutdown or kill) waits at the head of the command channel.
    fn stop_requested(&self, rx: &mpsc::Receiver<Command>) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed) && !rx.is_empty()
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Incoming(Packet::ConnAck(_)) => self.on_connect(),
            Event::Incoming(Packet::Publish(p)) if !p.retain => {
                self.on_publish(&p.topic, &p.payload)
            }
            Event::Incoming(Packet::PubAck(ack)) => {
                if let Some(number) = self.inflight.remove(&ack.pkid) {
                    if self.pending_events.remove(&number).is_some() {
                        self.stat(|s| s.events_acked += 1);
                    }
                }
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                if let Some(Some(number)) = self.sent.pop_front() {
                    self.inflight.insert(pkid, number);
                }
            }
            _ => {}
        }
    }

    /// Handle a command; true when the runtime should stop.
    async fn on_command(&mut self, cmd: Option<Command>, eventloop: &mut EventLoop) -> bool {
        match cmd {
            Some(Command::Report(changes)) => {
                if self.connected && !changes.is_empty() {
                    self.publish_body(
                        Channel::Report,
                        Body::Report(Report {
                            full: false,
                            values: changes,
                        }),
                        false,
                    );
                }
                false
            }
            Some(Command::Event { path, fields }) => {
                self.emit(path, fields);
                false
            }
            Some(Command::Shutdown(done)) => {
                if self.connected {
                    let offline = Body::Status(Status {
                        availability: Availability::Offline,
                        boot_id: self.boot_id,
                    });
                    self.publish_body_with(
                        Channel::Status,
                        offline,
                        true,
                        &Envelope {
                            with_chain: true,
                            ..Envelope::default()
                        },
                    );
                    let _ = self.client.try_disconnect();
                    // Let the event loop flush the status and the disconnect.
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while let Ok(ev) = eventloop.poll().await {
                            if matches!(ev, Event::Outgoing(Outgoing::Disconnect)) {
                                break;
                            }
                        }
                    })
                    .await;
                }
                let _ = done.send(());
                true
            }
            Some(Command::Kill(done)) => {
                let _ = done.send(());
                true
            }
            None => true,
        }
    }

    fn on_connect(&mut self) {
        self.connected = true;
        self.stat(|s| {
            s.connected = true;
            s.connects += 1;
        });
        let req = self.topics.full(&self.rel(Channel::Req));
        if let Err(err) = self.client.try_subscribe(req, QoS::AtLeastOnce) {
            tracing::error!(device = %self.addr, "subscribe: {err}");
        }
        // Revocation lists (HRT-MQTT-061): the retained ones arrive at once.
        let crl = self.topics.full(&Topics::revocation_rel("+"));
        if let Err(err) = self.client.try_subscribe(crl, QoS::AtLeastOnce) {
            tracing::error!(device = %self.addr, "subscribe: {err}");
        }
        let desc = Body::Description(self.description.clone());
        self.publish_body_with(
            Channel::Desc,
            desc,
            !self.faults.description_not_retained,
            &Envelope {
                with_chain: true,
                ..Envelope::default()
            },
        );
        let online = Body::Status(Status {
            availability: Availability::Online,
            boot_id: self.boot_id,
        });
        self.publish_body_with(
            Channel::Status,
            online,
            true,
            &Envelope {
                with_chain: true,
                ..Envelope::default()
            },
        );
        let snapshot = self.snapshot();
        self.publish_body(
            Channel::Report,
            Body::Report(Report {
                full: true,
                values: snapshot,
            }),
            false,
        );
        // Events not yet acknowledged go out again, sealed afresh: their old counters may lie
        // below what receivers have accepted since (the will, for one). Receivers drop copies
        // by event number.
        let pending: Vec<EventBody> = self
            .pending_events
            .values()
            .map(|e| e.event.clone())
            .collect();
        for event in pending {
            self.publish_event(event);
        }
    }

    fn publish_event(&mut self, event: EventBody) {
        let number = event.number;
        let rel = self.rel(Channel::Event);
        let envelope = Envelope {
            time_ms: Some(unix_now_ms()),
            ..Envelope::default()
        };
        match self
            .sender
            .seal(Body::Event(event), &self.aad(&rel), &envelope)
        {
            Ok(bytes) => {
                let topic = self.topics.full(&rel);
                self.publish_raw(&topic, bytes, false, Some(number));
            }
            Err(err) => tracing::error!(device = %self.addr, "sealing an event: {err}"),
        }
    }

    /// Every observable property the description implements, with its current value.
    fn snapshot(&mut self) -> Vec<(Path, Value)> {
        let catalog = Catalog::standard();
        let mut out = Vec::new();
        for comp in &self.description.components {
            for inst in &comp.capabilities {
                // Vendor members are reported as the handler knows them (HRT-MSG-054).
                for &id in inst.properties.iter().filter(|id| **id >= 0x8000) {
                    let path = Path::new(comp.id, inst.capability, id);
                    if let Ok(v) = self.handler.read(&path) {
                        out.push((path, v));
                    }
                }
                let Some(cap) = catalog.capability(inst.capability) else {
                    continue;
                };
                for p in &cap.properties {
                    if p.observable && (!p.optional || inst.properties.contains(&p.id)) {
                        let path = Path::new(comp.id, cap.id, p.id);
                        if let Ok(v) = self.handler.read(&path) {
                            out.push((path, v));
                        }
                    }
                }
            }
        }
        out
    }

    fn publish_body(&mut self, channel: Channel, body: Body, retain: bool) {
        self.publish_body_with(channel, body, retain, &Envelope::default());
    }

    fn publish_body_with(
        &mut self,
        channel: Channel,
        body: Body,
        retain: bool,
        envelope: &Envelope,
    ) {
        let rel = self.rel(channel);
        let envelope = Envelope {
            time_ms: Some(unix_now_ms()),
            ..envelope.clone()
        };
        match self.sender.seal(body, &self.aad(&rel), &envelope) {
            Ok(bytes) => {
                let topic = self.topics.full(&rel);
                self.publish_raw(&topic, bytes, retain, None);
            }
            Err(err) => tracing::error!(device = %self.addr, "sealing {}: {err}", channel.name()),
        }
    }

    fn publish_raw(&mut self, topic: &str, bytes: Vec<u8>, retain: bool, event: Option<u64>) {
        match self
            .client
            .try_publish(topic, QoS::AtLeastOnce, retain, bytes)
        {
            Ok(()) => self.sent.push_back(event),
            Err(err) => tracing::warn!(device = %self.addr, "publish to {topic}: {err}"),
        }
    }

    fn emit(&mut self, path: Path, fields: Value) {
        let number = self.event_number;
        self.event_number += 1;
        let priority = Catalog::standard()
            .capability(path.capability)
            .and_then(|c| c.event(path.member))
            .map_or(Priority::Info, |e| e.priority);
        if !self.connected && self.faults.forget_offline_events {
            self.stat(|s| s.events += 1);
            return;
        }
        if self.pending_events.len() >= self.max_pending_events {
            // Drop the oldest event of the lowest priority present; a critical one only when
            // nothing else is left (HRT-MQTT-038).
            let lowest = if self.faults.fifo_event_store {
                self.pending_events.values().next().map(|e| e.priority)
            } else {
                self.pending_events.values().map(|e| e.priority).min()
            };
            let victim = lowest.and_then(|p| {
                self.pending_events
                    .iter()
                    .find(|(_, e)| e.priority == p)
                    .map(|(n, _)| *n)
            });
            if let Some(n) = victim {
                self.pending_events.remove(&n);
                tracing::warn!(device = %self.addr, "event buffer full: dropped event {n}");
            }
        }
        let event = EventBody {
            path,
            number,
            fields,
        };
        self.pending_events.insert(
            number,
            PendingEvent {
                event: event.clone(),
                priority,
            },
        );
        self.stat(|s| s.events += 1);
        if self.connected {
            self.publish_event(event);
        }
    }

    /// A revocation list on `R/crl/{ca}`: applied if that CA signed it and it is newer than
    /// the one held (HRT-MQTT-062); anything else is ignored.
    fn on_revocation_list(&mut self, ca: &hearth_security::key::KeyId, payload: &[u8]) {
        if payload.is_empty() {
            return;
        }
        if self.faults.ignore_revocation {
            return;
        }
        match self
            .receiver
            .apply_revocation_list(ca, payload, self.clock())
        {
            Ok(()) => {
                tracing::info!(device = %self.addr, "revocation list of CA {ca} applied");
                self.stat(|s| s.revocation_lists += 1);
            }
            Err(err) => {
                tracing::debug!(device = %self.addr, "revocation list ignored: {err}");
                self.reject("revocation list");
            }
        }
    }

    /// The time certificates and revocation lists are checked against.
    fn clock(&self) -> u64 {
        let behind = self.faults.clock_behind.map_or(0, |d| d.as_secs());
        unix_now().saturating_sub(behind)
    }

    fn reject(&self, reason: &str) {
        tracing::debug!(device = %self.addr, "request dropped: {reason}");
        self.stat(|s| *s.rejected.entry(reason.to_owned()).or_default() += 1);
    }

    fn on_publish(&mut self, topic: &str, payload: &[u8]) {
        let Some(rel) = self.topics.relative(topic).map(str::to_owned) else {
            return;
        };
        if let Some(ca) = Topics::parse_revocation(&rel) {
            return self.on_revocation_list(&ca, payload);
        }
        if rel != self.rel(Channel::Req) || payload.is_empty() || self.stalled {
            return;
        }
        let (msg, peer) = match self.receiver.open(payload, &rel, self.clock()) {
            Ok(o) => (o.message, Some(o.peer)),
            Err(err) => {
                if self.faults.stall_after_malformed
                    && matches!(err, OpenError::Decode(_) | OpenError::Envelope(_))
                {
                    self.stalled = true;
                }
                let replay = matches!(err, OpenError::Replay(_));
                let lenient = (replay && self.faults.ignore_replay)
                    || (!replay && self.faults.accept_unsigned);
                match lenient.then(|| unverified(payload)).flatten() {
                    Some(msg) => (msg, None),
                    None => return self.reject(err.requirement()),
                }
            }
        };
        if !msg.kind().is_request() {
            return self.reject("not a request");
        }
        if msg.target.as_deref() != Some(self.addr.device_id.as_str()) {
            return self.reject("misaddressed");
        }
        let catalog = Catalog::standard();
        let needed = required_privilege(catalog, &msg);
        if let (Some(needed), Some(peer)) = (needed, &peer) {
            if !self.faults.ignore_acl && self.acl.check(&peer.chain, needed).is_err() {
                let kid = peer.chain.leaf_kid;
                let now = Instant::now();
                let recent = self
                    .last_unauthorized
                    .get(&kid)
                    .is_some_and(|t| now.duration_since(*t) < self.unauthorized_interval);
                self.reject("unauthorized");
                if !recent {
                    if self.last_unauthorized.len() > 4096 {
                        self.last_unauthorized.clear();
                    }
                    self.last_unauthorized.insert(kid, now);
                    let body = unauthorized_answer(&self.description, &msg);
                    self.respond(&msg, body);
                }
                return;
            }
        }
        let body = self.serve(&msg);
        self.respond(&msg, body);
        self.stat(|s| s.requests += 1);
    }

    fn serve(&mut self, msg: &Message) -> Body {
        let skip = self.faults.skip_validation;
        let catalog = Catalog::standard();
        let desc = &self.description;
        match &msg.body {
            Body::Read(paths) => Body::ReadResponse(
                paths
                    .iter()
                    .map(|path| {
                        let result = checked(skip, check_read(catalog, desc, path))
                            .map_err(|e| e.status())
                            .and_then(|()| self.handler.read(path));
                        match result {
                            Ok(value) => ReadResult {
                                path: *path,
                                status: StatusCode::Success,
                                value: Some(value),
                            },
                            Err(status) => ReadResult {
                                path: *path,
                                status,
                                value: None,
                            },
                        }
                    })
                    .collect(),
            ),
            Body::Write(values) => {
                let mut results = Vec::with_capacity(values.len());
                let mut changed = Vec::new();
                for (path, value) in values {
                    let status = match checked(skip, check_write(catalog, desc, path, value)) {
                        Err(e) => e.status(),
                        Ok(()) => match self.handler.write(path, value) {
                            Ok(()) => {
                                changed.push((*path, value.clone()));
                                StatusCode::Success
                            }
                            Err(status) => status,
                        },
                    };
                    results.push((*path, status));
                }
                if !changed.is_empty() && !self.faults.suppress_reports {
                    self.publish_body(
                        Channel::Report,
                        Body::Report(Report {
                            full: false,
                            values: changed,
                        }),
                        false,
                    );
                }
                Body::WriteResponse(results)
            }
            Body::Invoke { path, args } => {
                let outcome = checked(skip, check_invoke(catalog, desc, path, args))
                    .map_err(|e| e.status())
                    .and_then(|()| self.handler.invoke(path, args));
                Body::InvokeResponse(match outcome {
                    Ok(results) => InvokeResult {
                        path: *path,
                        status: StatusCode::Success,
                        results,
                    },
                    Err(status) => InvokeResult {
                        path: *path,
                        status,
                        results: None,
                    },
                })
            }
            _ => Body::ReadResponse(Vec::new()),
        }
    }

    fn respond(&mut self, request: &Message, body: Body) {
        if !hearth_model::validate::device_id_is_valid(&request.sender) {
            return;
        }
        let rel = Topics::responses_rel(&request.sender);
        let envelope = Envelope {
            request_id: request.request_id,
            target: Some(request.sender.clone()),
            time_ms: Some(unix_now_ms()),
            with_chain: true,
        };
        match self.sender.seal(body, &self.aad(&rel), &envelope) {
            Ok(bytes) => {
                let topic = self.topics.full(&rel);
                match self.faults.response_delay {
                    Some(delay) => {
                        let client = self.client.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(delay).await;
                            let _ = client.publish(topic, QoS::AtLeastOnce, false, bytes).await;
                        });
                    }
                    None => self.publish_raw(&topic, bytes, false, None),
                }
            }
            Err(err) => tracing::error!(device = %self.addr, "sealing a response: {err}"),
        }
    }
}

/// A validation result, unless a fault profile skips validation.
fn checked(skip: bool, result: Result<(), ValueError>) -> Result<(), ValueError> {
    if skip {
        Ok(())
    } else {
        result
    }
}

/// A request decoded without checking its signature: only for fault profiles that accept
/// unsigned or replayed requests.
fn unverified(payload: &[u8]) -> Option<Message> {
    let envelope = hearth_security::cose::Sign1::parse(payload).ok()?;
    hearth_wire::codec::decode(envelope.payload.as_deref()?, &hearth_wire::Limits::STANDARD).ok()
}

/// The answer to a request the sender may not make: a path the device does not have gets
/// its `unsupported-…` code (existence is checked before privilege, HRT-MOD-115), every other
/// path `unauthorized`.
fn unauthorized_answer(desc: &Description, msg: &Message) -> Body {
    let catalog = Catalog::standard();
    let no = StatusCode::Unauthorized;
    let exists = |path: &Path| check_read(catalog, desc, path).map_or_else(|e| e.status(), |()| no);
    match &msg.body {
        Body::Read(paths) => Body::ReadResponse(
            paths
                .iter()
                .map(|p| ReadResult {
                    path: *p,
                    status: exists(p),
                    value: None,
                })
                .collect(),
        ),
        Body::Write(values) => {
            Body::WriteResponse(values.iter().map(|(p, _)| (*p, exists(p))).collect())
        }
        Body::Invoke { path, args } => {
            let status = match check_invoke(catalog, desc, path, args) {
                Err(
                    e @ (ValueError::UnsupportedComponent(_)
                    | ValueError::UnsupportedCapability(_)
                    | ValueError::UnsupportedAction(_)),
                ) => e.status(),
                _ => no,
            };
            Body::InvokeResponse(InvokeResult {
                path: *path,
                status,
                results: None,
            })
        }
        _ => Body::ReadResponse(Vec::new()),
    }
}
