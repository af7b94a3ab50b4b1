//! The Controller runtime: what a gateway or an app embeds to work with appliances of every
//! brand.
//!
//! [`Controller::connect`] subscribes to every device's description, status, reports and
//! events and to its own response topic, and runs one task that opens every message
//! (signature, chain, replay), checks that a device publishes only under its own topic and
//! only what its description allows, and keeps a view of each device (description, online,
//! boot id). Requests ([`Controller::read`], [`write`](Controller::write),
//! [`invoke`](Controller::invoke)) are sealed with the controller's chain, correlated by
//! request id and bounded by a timeout. Verified updates stream out of
//! [`Controller::updates`]; anything rejected is reported there too, with its reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hearth_model::validate::{check_description, check_value};
use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_security::cert::Role;
use hearth_security::replay::{CounterStore, SendCounter};
use hearth_wire::policy::check_device_message;
use hearth_wire::{
    Availability, Body, Envelope, EventBody, InvokeResult, Message, OpenError, Opened, ReadResult,
    Receiver, SealError, Sender,
};
use rumqttc::{AsyncClient, Event, EventLoop, Packet, QoS, SubscribeFilter};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::identity::{unix_now, unix_now_ms, DynStore, Identity};
use crate::topic::{Addressed, Channel, DeviceAddr, Topics};
use crate::url::BrokerUrl;

/// Settings of a controller runtime.
pub struct ControllerConfig {
    /// The broker.
    pub broker: BrokerUrl,
    /// The topic root.
    pub topics: Topics,
    /// The controller's credential and trust anchors.
    pub identity: Identity,
    /// Where the send counter is persisted.
    pub counter: Box<dyn CounterStore + Send>,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// How long a request waits for its response.
    pub request_timeout: Duration,
    /// How long [`Controller::connect`] waits for the broker.
    pub connect_timeout: Duration,
    /// A persistent session name: the broker then keeps this controller's subscriptions and
    /// queues its QoS 1 messages while it is disconnected. `None` uses a clean session.
    pub session: Option<String>,
}

impl ControllerConfig {
    /// Settings with the binding's recommended defaults.
    pub fn new(
        broker: BrokerUrl,
        identity: Identity,
        counter: Box<dyn CounterStore + Send>,
    ) -> Self {
        Self {
            broker,
            topics: Topics::default(),
            identity,
            counter,
            keep_alive: Duration::from_secs(30),
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            session: None,
        }
    }
}

/// What the controller knows about one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceView {
    /// The device's address.
    pub addr: DeviceAddr,
    /// Its verified description, if received.
    pub description: Option<Description>,
    /// Why the description is not valid, if it is not.
    pub description_problems: Option<String>,
    /// Online, offline, or not yet known.
    pub online: Option<bool>,
    /// The boot id of its last status.
    pub boot_id: Option<u64>,
    /// The device type its certificate names.
    pub device_type: Option<String>,
    /// The model its certificate names.
    pub model: Option<String>,
    desc_counter: u64,
    status_counter: u64,
    /// Event numbers seen during the current boot (a device re-sends unacknowledged events).
    seen_events: std::collections::BTreeSet<u64>,
}

/// How many recent event numbers a controller remembers per device to drop re-sent copies.
const SEEN_EVENTS: usize = 4096;

/// Something verified that happened on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// A device published a (new) description.
    Description(DeviceAddr),
    /// A device's status changed.
    Status {
        /// The device.
        addr: DeviceAddr,
        /// Whether it is online now.
        online: bool,
        /// Its boot id.
        boot_id: u64,
    },
    /// Verified property values.
    Report {
        /// The device.
        addr: DeviceAddr,
        /// A full snapshot, or changes only.
        full: bool,
        /// The values.
        values: Vec<(Path, Value)>,
    },
    /// A verified event.
    Event {
        /// The device.
        addr: DeviceAddr,
        /// The event.
        event: EventBody,
    },
    /// A message that was dropped, and why.
    Rejected {
        /// The topic it came on.
        topic: String,
        /// The reason.
        reason: String,
        /// The requirement it broke.
        requirement: String,
    },
}

/// Why a request did not get an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The runtime has stopped.
    #[error("the controller has stopped")]
    Stopped,
    /// The request could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The broker refused the publish.
    #[error("publish: {0}")]
    Publish(String),
    /// The response carries values that do not fit the device's description.
    #[error("invalid response: {0}")]
    Invalid(String),
    /// The response does not answer the request.
    #[error("unexpected response: {0}")]
    Unexpected(String),
}

/// Why the controller could not connect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ControllerError {
    /// The send counter could not be opened.
    #[error("send counter: {0}")]
    Counter(#[from] hearth_security::replay::CounterError),
    /// The broker did not accept the connection in time.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The broker.
        url: String,
        /// The last error.
        reason: String,
    },
}

struct Pending {
    device: DeviceAddr,
    since: Instant,
    reply: oneshot::Sender<Message>,
}

enum Command {
    Request {
        device: DeviceAddr,
        body: Body,
        reply: oneshot::Sender<Result<oneshot::Receiver<Message>, RequestError>>,
    },
    Shutdown(oneshot::Sender<()>),
}

/// A connected controller.
pub struct Controller {
    id: String,
    tx: mpsc::Sender<Command>,
    devices: Arc<Mutex<BTreeMap<DeviceAddr, DeviceView>>>,
    updates: broadcast::Sender<Update>,
    request_timeout: Duration,
}

impl Controller {
    /// Connect, subscribe, and start tracking devices. Must be called within a tokio runtime.
    pub async fn connect(config: ControllerConfig) -> Result<Self, ControllerError> {
        let identity = config.identity;
        let counter = SendCounter::open(DynStore(config.counter), 1000)?;
        let sender = Sender::new(
            identity.id.clone(),
            identity.key.clone(),
            identity.chain.clone(),
            counter,
        );
        let receiver = Receiver::new(identity.trust.clone());
        let mut suffix = [0u8; 4];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut suffix);
        let client_id = match &config.session {
            Some(name) => format!("hc-{}-{name}", identity.id),
            None => format!("hc-{}-{:08x}", identity.id, u32::from_be_bytes(suffix)),
        };
        let mut options =
            config
                .broker
                .mqtt_options(client_id)
                .map_err(|e| ControllerError::Connect {
                    url: config.broker.to_string(),
                    reason: e.to_string(),
                })?;
        options.set_keep_alive(config.keep_alive);
        options.set_clean_session(config.session.is_none());
        let (client, mut eventloop) = AsyncClient::new(options, 4096);

        // Wait for the first connection so callers get a clear error for a wrong URL.
        let deadline = Instant::now() + config.connect_timeout;
        loop {
            match tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                eventloop.poll(),
            )
            .await
            {
                Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => break,
                Ok(Ok(_)) => {}
                Ok(Err(err)) => {
                    if Instant::now() >= deadline {
                        return Err(ControllerError::Connect {
                            url: config.broker.to_string(),
                            reason: err.to_string(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(_) => {
                    return Err(ControllerError::Connect {
                        url: config.broker.to_string(),
                        reason: "timed out".into(),
                    })
                }
            }
        }
        let (tx, rx) = mpsc::channel(256);
        let devices = Arc::new(Mutex::new(BTreeMap::new()));
        let (updates, _) = broadcast::channel(16_384);
        let mut runtime = Runtime {
            id: identity.id.clone(),
            topics: config.topics,
            client,
            sender,
            receiver,
            devices: devices.clone(),
            updates: updates.clone(),
            pending: HashMap::new(),
            next_request: u64::from(u32::from_be_bytes(suffix)) << 20,
        };
        runtime.subscribe();
        tokio::spawn(async move { runtime.run(&mut eventloop, rx).await });
        Ok(Self {
            id: identity.id,
            tx,
            devices,
            updates,
            request_timeout: config.request_timeout,
        })
    }

    /// The controller's id (its certificate's subject).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Every device seen so far.
    pub fn devices(&self) -> Vec<DeviceView> {
        self.devices
            .lock()
            .map(|d| d.values().cloned().collect())
            .unwrap_or_default()
    }

    /// One device.
    pub fn device(&self, addr: &DeviceAddr) -> Option<DeviceView> {
        self.devices.lock().ok().and_then(|d| d.get(addr).cloned())
    }

    /// A stream of verified updates (and rejections) from now on.
    pub fn updates(&self) -> broadcast::Receiver<Update> {
        self.updates.subscribe()
    }

    /// Wait until `ready` holds for the known devices, or the timeout passes. Returns whether
    /// it holds.
    pub async fn wait_for(&self, timeout: Duration, ready: impl Fn(&[DeviceView]) -> bool) -> bool {
        let mut updates = self.updates();
        let deadline = Instant::now() + timeout;
        loop {
            if ready(&self.devices()) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match tokio::time::timeout(left.min(Duration::from_millis(100)), updates.recv()).await {
                Ok(Err(broadcast::error::RecvError::Closed)) => return ready(&self.devices()),
                _ => continue,
            }
        }
    }

    /// Send a request and wait for its response.
    pub async fn request(
        &self,
        device: &DeviceAddr,
        body: Body,
        timeout: Duration,
    ) -> Result<Message, RequestError> {
        let (reply, registered) = oneshot::channel();
        self.tx
            .send(Command::Request {
                device: device.clone(),
                body,
                reply,
            })
            .await
            .map_err(|_| RequestError::Stopped)?;
        let response = registered.await.map_err(|_| RequestError::Stopped)??;
        match tokio::time::timeout(timeout, response).await {
            Ok(Ok(msg)) => Ok(msg),
            Ok(Err(_)) => Err(RequestError::Stopped),
            Err(_) => Err(RequestError::Timeout(timeout)),
        }
    }

    /// Read properties.
    pub async fn read(
        &self,
        device: &DeviceAddr,
        paths: Vec<Path>,
    ) -> Result<Vec<ReadResult>, RequestError> {
        match self
            .request(device, Body::Read(paths), self.request_timeout)
            .await?
            .body
        {
            Body::ReadResponse(results) => {
                // Values that do not fit the device's description are refused (HRT-MSG-085).
                if let Some(desc) = self.device(device).and_then(|d| d.description) {
                    for r in &results {
                        if let Some(v) = &r.value {
                            check_value(Catalog::standard(), &desc, &r.path, v)
                                .map_err(|e| RequestError::Invalid(format!("{}: {e}", r.path)))?;
                        }
                    }
                }
                Ok(results)
            }
            other => Err(RequestError::Unexpected(other.kind().to_string())),
        }
    }

    /// Write properties; one status per path.
    pub async fn write(
        &self,
        device: &DeviceAddr,
        values: Vec<(Path, Value)>,
    ) -> Result<Vec<(Path, StatusCode)>, RequestError> {
        match self
            .request(device, Body::Write(values), self.request_timeout)
            .await?
            .body
        {
            Body::WriteResponse(results) => Ok(results),
            other => Err(RequestError::Unexpected(other.kind().to_string())),
        }
    }

    /// Invoke an action with arguments (a struct, or null).
    pub async fn invoke(
        &self,
        device: &DeviceAddr,
        path: Path,
        args: Value,
    ) -> Result<InvokeResult, RequestError> {
        match self
            .request(device, Body::Invoke { path, args }, self.request_timeout)
            .await?
            .body
        {
            Body::InvokeResponse(result) => Ok(result),
            other => Err(RequestError::Unexpected(other.kind().to_string())),
        }
    }

    /// Disconnect and stop.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), rx).await;
        }
    }
}

struct Runtime {
    id: String,
    topics: Topics,
    client: AsyncClient,
    sender: Sender<DynStore>,
    receiver: Receiver,
    devices: Arc<Mutex<BTreeMap<DeviceAddr, DeviceView>>>,
    updates: broadcast::Sender<Update>,
    pending: HashMap<u64, Pending>,
    next_request: u64,
}

impl Runtime {
    fn subscribe(&mut self) {
        let mut filters: Vec<SubscribeFilter> = [
            Channel::Desc,
            Channel::Status,
            Channel::Report,
            Channel::Event,
        ]
        .into_iter()
        .map(|c| SubscribeFilter::new(self.topics.all_devices(c), QoS::AtLeastOnce))
        .collect();
        filters.push(SubscribeFilter::new(
            self.topics.full(&Topics::responses_rel(&self.id)),
            QoS::AtLeastOnce,
        ));
        // Revocation lists (HRT-MQTT-061): the retained ones arrive at once.
        filters.push(SubscribeFilter::new(
            self.topics.full(&Topics::revocation_rel("+")),
            QoS::AtLeastOnce,
        ));
        if let Err(err) = self.client.try_subscribe_many(filters) {
            tracing::error!("subscribe: {err}");
        }
    }

    async fn run(&mut self, eventloop: &mut EventLoop, mut rx: mpsc::Receiver<Command>) {
        let mut backoff = Duration::from_millis(250);
        loop {
            tokio::select! {
                polled = eventloop.poll() => match polled {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff = Duration::from_millis(250);
                        self.subscribe();
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => self.on_publish(&p.topic, &p.payload, p.retain),
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!("controller connection: {err}");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                    }
                },
                cmd = rx.recv() => match cmd {
                    Some(Command::Request { device, body, reply }) => {
                        let _ = reply.send(self.send_request(device, body));
                    }
                    Some(Command::Shutdown(done)) => {
                        let _ = self.client.try_disconnect();
                        let _ = tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await;
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
            }
        }
    }

    fn send_request(
        &mut self,
        device: DeviceAddr,
        body: Body,
    ) -> Result<oneshot::Receiver<Message>, RequestError> {
        // Forget requests nobody waits for any more.
        self.pending
            .retain(|_, p| p.since.elapsed() < Duration::from_secs(300) && !p.reply.is_closed());
        self.next_request = self.next_request.wrapping_add(1);
        let request_id = self.next_request;
        let rel = Topics::device_rel(&device, Channel::Req);
        let envelope = Envelope {
            request_id: Some(request_id),
            target: Some(device.device_id.clone()),
            time_ms: Some(unix_now_ms()),
            with_chain: true,
        };
        let bytes = self.sender.seal(body, &rel, &envelope)?;
        self.client
            .try_publish(self.topics.full(&rel), QoS::AtLeastOnce, false, bytes)
            .map_err(|e| RequestError::Publish(e.to_string()))?;
        let (reply, response) = oneshot::channel();
        self.pending.insert(
            request_id,
            Pending {
                device,
                since: Instant::now(),
                reply,
            },
        );
        Ok(response)
    }

    fn reject(&self, topic: &str, reason: String, requirement: &str) {
        tracing::debug!("dropped message on {topic}: {reason}");
        let _ = self.updates.send(Update::Rejected {
            topic: topic.to_owned(),
            reason,
            requirement: requirement.to_owned(),
        });
    }

    fn open(&mut self, topic: &str, rel: &str, payload: &[u8], retain: bool) -> Option<Opened> {
        match self.receiver.open(payload, rel, unix_now()) {
            Ok(o) => Some(o),
            // A retained message seen again after a resubscription is not news.
            Err(OpenError::Replay(_)) if retain => None,
            Err(err) => {
                self.reject(topic, err.to_string(), err.requirement());
                None
            }
        }
    }

    fn on_publish(&mut self, topic: &str, payload: &[u8], retain: bool) {
        // An empty payload clears a retained message; it is not a Hearth message (HRT-MQTT-017).
        if payload.is_empty() {
            return;
        }
        let Some(rel) = self.topics.relative(topic).map(str::to_owned) else {
            return;
        };
        if let Some(ca) = Topics::parse_revocation(&rel) {
            // A revocation list of a CA (HRT-MQTT-062): applied to every chain from now on.
            match self
                .receiver
                .apply_revocation_list(&ca, payload, unix_now())
            {
                Ok(()) => tracing::info!("revocation list of CA {ca} applied"),
                Err(err) if retain && err.is_repeat() => {}
                Err(err) => self.reject(topic, err.to_string(), err.requirement()),
            }
            return;
        }
        match Topics::parse(&rel) {
            Some(Addressed::Device(addr, Channel::Req)) => {
                let _ = addr; // requests to devices are not ours to open
            }
            Some(Addressed::Device(addr, channel)) => {
                let Some(opened) = self.open(topic, &rel, payload, retain) else {
                    return;
                };
                let leaf = &opened.peer.chain.leaf;
                let matches = leaf.role == Role::Device
                    && leaf.subject == addr.device_id
                    && leaf.vendor_id == Some(addr.vendor_id);
                if !matches {
                    return self.reject(
                        topic,
                        format!(
                            "signed by {} of vendor {:?}, not by the device of this topic",
                            leaf.subject, leaf.vendor_id
                        ),
                        "HRT-MQTT-010",
                    );
                }
                self.on_device_message(
                    topic,
                    addr,
                    channel,
                    opened.message,
                    leaf.device_type.clone(),
                    leaf.model.clone(),
                );
            }
            Some(Addressed::Responses(me)) if me == self.id => {
                let Some(opened) = self.open(topic, &rel, payload, retain) else {
                    return;
                };
                let msg = opened.message;
                if !msg.kind().is_response() || msg.target.as_deref() != Some(self.id.as_str()) {
                    return self.reject(
                        topic,
                        "not a response addressed to this controller".into(),
                        "HRT-MSG-083",
                    );
                }
                let Some(id) = msg.request_id else { return };
                match self.pending.remove(&id) {
                    Some(p)
                        if p.device.device_id == msg.sender
                            && opened.peer.chain.leaf.vendor_id == Some(p.device.vendor_id) =>
                    {
                        let _ = p.reply.send(msg);
                    }
                    Some(p) => {
                        let device = p.device.clone();
                        self.pending.insert(id, p);
                        self.reject(
                            topic,
                            format!(
                                "response to a request for {device} signed by {}",
                                msg.sender
                            ),
                            "HRT-MSG-084",
                        );
                    }
                    None => {
                        self.reject(topic, format!("no outstanding request {id}"), "HRT-MSG-084")
                    }
                }
            }
            _ => {}
        }
    }

    fn on_device_message(
        &mut self,
        topic: &str,
        addr: DeviceAddr,
        channel: Channel,
        msg: Message,
        device_type: Option<String>,
        model: Option<String>,
    ) {
        let catalog = Catalog::standard();
        let Ok(mut devices) = self.devices.lock() else {
            return;
        };
        let view = devices.entry(addr.clone()).or_insert_with(|| DeviceView {
            addr: addr.clone(),
            description: None,
            description_problems: None,
            online: None,
            boot_id: None,
            device_type: None,
            model: None,
            desc_counter: 0,
            status_counter: 0,
            seen_events: std::collections::BTreeSet::new(),
        });
        view.device_type = device_type;
        view.model = model;
        let update = match (channel, msg.body) {
            (Channel::Desc, Body::Description(desc)) => {
                if desc.vendor_id != addr.vendor_id || desc.device_id != addr.device_id {
                    drop(devices);
                    return self.reject(
                        topic,
                        "the description names another device".into(),
                        "HRT-MQTT-010",
                    );
                }
                if msg.counter < view.desc_counter {
                    return;
                }
                view.desc_counter = msg.counter;
                view.description_problems = check_description(catalog, &desc)
                    .err()
                    .map(|e| e.to_string());
                view.description = Some(desc);
                Update::Description(addr)
            }
            (Channel::Status, Body::Status(status)) => {
                // Keep the newest status: a late will must not override a later online status.
                if msg.counter < view.status_counter {
                    return;
                }
                view.status_counter = msg.counter;
                if view.boot_id != Some(status.boot_id) {
                    view.seen_events.clear();
                }
                let online = status.availability == Availability::Online;
                view.online = Some(online);
                view.boot_id = Some(status.boot_id);
                Update::Status {
                    addr,
                    online,
                    boot_id: status.boot_id,
                }
            }
            (Channel::Event, Body::Event(ref e)) if view.seen_events.contains(&e.number) => return,
            (Channel::Report, body @ Body::Report(_)) | (Channel::Event, body @ Body::Event(_)) => {
                if let Body::Event(e) = &body {
                    view.seen_events.insert(e.number);
                    if view.seen_events.len() > SEEN_EVENTS {
                        view.seen_events.pop_first();
                    }
                }
                if let Some(desc) = &view.description {
                    let check = Message { body, ..msg };
                    if let Err((path, err)) = check_device_message(catalog, desc, &check) {
                        drop(devices);
                        return self.reject(topic, format!("{path}: {err}"), err.requirement());
                    }
                    match check.body {
                        Body::Report(r) => Update::Report {
                            addr,
                            full: r.full,
                            values: r.values,
                        },
                        Body::Event(event) => Update::Event { addr, event },
                        _ => return,
                    }
                } else {
                    drop(devices);
                    return self.reject(
                        topic,
                        "no verified description of this device yet".into(),
                        "HRT-MSG-085",
                    );
                }
            }
            (_, body) => {
                drop(devices);
                return self.reject(
                    topic,
                    format!("a {} message does not belong on this topic", body.kind()),
                    "HRT-MQTT-011",
                );
            }
        };
        drop(devices);
        let _ = self.updates.send(update);
    }
}
