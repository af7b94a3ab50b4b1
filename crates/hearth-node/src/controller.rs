//! The controller core: what a gateway or an app does on the bus, without the bus.
//!
//! [`ControllerCore`] subscribes to every device's description, status, reports and events,
//! to its own response topic and to revocation lists. It opens every message (signature,
//! chain, replay), checks that a device publishes only under its own topic and only what its
//! description allows, and keeps a [`DeviceView`] of each device. Requests are sealed with
//! the controller's chain and correlated with their responses by request id. What it learns
//! comes out of [`ControllerCore::poll_event`]: verified [`Update`]s, rejected messages with
//! the requirement they broke, and responses.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use hearth_model::validate::{check_description, check_value};
use hearth_model::{Catalog, Description, Path, Value, ValueError};
use hearth_security::cert::Role;
use hearth_security::key::KeyId;
use hearth_security::replay::{CounterError, CounterStore};
use hearth_wire::policy::check_device_message;
use hearth_wire::{
    Availability, Body, Envelope, EventBody, Message, OpenError, Opened, ReadResult, SealError,
};

use hearth_wire::commissioning::OpenWindow;

use crate::commissioner::{Attempt, CommissionEvent, SeenWindow};
use crate::fault::ControllerFaults;
use crate::time::Time;
use crate::topic::{Addressed, Channel, DeviceAddr, Topics};
use crate::transmit::{Credential, Endpoint, Transmit};

/// How many recent event numbers a controller remembers per device to drop re-sent copies.
const SEEN_EVENTS: usize = 4096;

/// How long a request stays outstanding at most, whoever still waits for it.
pub const REQUEST_LIFETIME: Duration = Duration::from_secs(300);

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
    window_counter: u64,
    /// The highest counter of its offline statuses, kept only under the deviation that
    /// takes them as live messages (0 otherwise).
    moved_to: u64,
    /// Its commissioning window, if open, with the chain its announcement carried.
    pub(crate) window: Option<SeenWindow>,
    /// Event numbers seen during the current boot (a device re-sends unacknowledged events).
    seen_events: BTreeSet<u64>,
    /// The last accepted value of each property: from verified reports and read responses
    /// whose values fit the description. Bounded by the description's paths.
    values: BTreeMap<Path, Value>,
    /// For each value held, the signer and counter of the message that supplied it: a
    /// message of the same signer with a lower counter, which arrived late, replaces none of
    /// them (HRT-MSG-059). Counters of another signer (a device replaced under the same id)
    /// say nothing about the order.
    value_counters: BTreeMap<Path, (Option<KeyId>, u64)>,
}

impl DeviceView {
    /// Take the values of a verified read response of this device, if they all fit its
    /// description (HRT-MSG-085): what a read learnt is as current as a report.
    fn accept_read(&mut self, supplier: (Option<KeyId>, u64), results: &[ReadResult]) {
        let Some(desc) = &self.description else {
            return;
        };
        if check_read_results(desc, results).is_err() {
            return;
        }
        for r in results {
            if let Some(v) = &r.value {
                self.take_value(supplier, r.path, v);
            }
        }
    }

    /// Hold `value` for `path`, from a message of `supplier` (its signer, if it had one, and
    /// its counter), unless the value held came from a message of the same signer with a
    /// higher counter (HRT-MSG-059).
    fn take_value(&mut self, supplier: (Option<KeyId>, u64), path: Path, value: &Value) {
        if self.newer_held(supplier, &path) {
            return;
        }
        self.value_counters.insert(path, supplier);
        self.values.insert(path, value.clone());
    }

    /// Whether the value held for `path` came from a later message of the same signer than
    /// `supplier`.
    fn newer_held(&self, (signer, counter): (Option<KeyId>, u64), path: &Path) -> bool {
        self.value_counters
            .get(path)
            .is_some_and(|&(held_by, c)| signer.is_some() && held_by == signer && c > counter)
    }

    /// A full report of `supplier`: every value held from an earlier message and not in
    /// `reported` is gone (the report lists every property the device has now).
    fn forget_older_than(&mut self, supplier: (Option<KeyId>, u64), reported: &[(Path, Value)]) {
        let stale: Vec<Path> = self
            .values
            .keys()
            .filter(|p| !self.newer_held(supplier, p) && !reported.iter().any(|(q, _)| q == *p))
            .copied()
            .collect();
        for p in stale {
            self.value_counters.remove(&p);
            self.values.remove(&p);
        }
    }

    /// Forget every value held: they belong to another description.
    fn forget_values(&mut self) {
        self.values.clear();
        self.value_counters.clear();
    }

    /// The device type's catalog name: the verified description's, else the one the
    /// device's certificate names (before the description has come).
    pub fn type_name(&self) -> Option<String> {
        self.description
            .as_ref()
            .and_then(|d| hearth_wire::view::device_type(d.device_type))
            .map(|d| d.name.clone())
            .or_else(|| self.device_type.clone())
    }

    /// Its commissioning window as it last announced it, if open.
    pub fn window(&self) -> Option<&OpenWindow> {
        self.window.as_ref().map(|w| &w.open)
    }

    /// The last value the controller accepted for the property `path` (HRT-CTL-013): from
    /// the newest verified report or read response that held it; `None` before any.
    pub fn value(&self, path: &Path) -> Option<&Value> {
        self.values.get(path)
    }

    /// Every property value accepted so far, by path.
    pub fn values(&self) -> &BTreeMap<Path, Value> {
        &self.values
    }

    fn new(addr: DeviceAddr) -> Self {
        Self {
            addr,
            description: None,
            description_problems: None,
            online: None,
            boot_id: None,
            device_type: None,
            model: None,
            desc_counter: 0,
            status_counter: 0,
            window_counter: 0,
            moved_to: 0,
            window: None,
            seen_events: BTreeSet::new(),
            values: BTreeMap::new(),
            value_counters: BTreeMap::new(),
        }
    }
}

/// Something verified that happened on the bus.
///
/// The core names the requirement a rejected message broke as `&'static str` (the default
/// `R`); a shell may hand it on in another form (`hearth-mqtt` as a `String`) with
/// [`with_requirement`](Self::with_requirement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update<R = &'static str> {
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
        /// The reason, for people.
        reason: String,
        /// The requirement it broke.
        requirement: R,
    },
}

impl<R> Update<R> {
    /// The same update, with the requirement of a rejection in another form.
    pub fn with_requirement<T>(self, f: impl FnOnce(R) -> T) -> Update<T> {
        match self {
            Self::Description(addr) => Update::Description(addr),
            Self::Status {
                addr,
                online,
                boot_id,
            } => Update::Status {
                addr,
                online,
                boot_id,
            },
            Self::Report { addr, full, values } => Update::Report { addr, full, values },
            Self::Event { addr, event } => Update::Event { addr, event },
            Self::Rejected {
                topic,
                reason,
                requirement,
            } => Update::Rejected {
                topic,
                reason,
                requirement: f(requirement),
            },
        }
    }
}

/// What a controller core has to tell its shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerEvent {
    /// Something verified happened, or a message was rejected.
    Update(Update),
    /// The verified response to an outstanding request.
    Response {
        /// The request it answers.
        request_id: u64,
        /// The response.
        message: Message,
    },
    /// A window seen, a commissioning session begun or an attempt ended.
    Commissioning(CommissionEvent),
}

/// What a controller core is, besides its credential.
#[derive(Debug, Clone)]
pub struct ControllerSettings {
    /// The topic root.
    pub topics: Topics,
    /// Request ids count up from just above this value (the shell draws it at random, so
    /// that two runs of one controller do not reuse ids).
    pub request_ids_after: u64,
    /// Deliberate deviations, for the controller profiles of the suite's self-check (a
    /// zero-sized type without the `fault-injection` feature).
    pub faults: ControllerFaults,
}

struct Pending {
    device: DeviceAddr,
}

/// The protocol state machine of one controller.
///
/// A shell drives it in this order:
///
/// 1. [`new`](Self::new); connect; when the broker accepts the connection (every CONNACK,
///    first and later ones): [`handle_connected`](Self::handle_connected).
/// 2. For every incoming publish: [`handle_publish`](Self::handle_publish). To ask a device
///    something: [`request`](Self::request), which returns the request id its response will
///    carry; [`forget_request`](Self::forget_request) when nobody waits for it any more.
/// 3. After each of those calls: [`poll_transmit`](Self::poll_transmit) until `None`,
///    carrying each out in order, then [`poll_event`](Self::poll_event) until `None`, handing
///    each on (the device views are up to date by then).
/// 4. To stop: [`shutdown`](Self::shutdown) and carry out its disconnect.
///
/// How long a caller waits for a response is the shell's business; the core forgets a
/// request when it is answered, when it is forgotten, or [`REQUEST_LIFETIME`] after it was
/// sent (checked whenever a new request is made). Every call that needs the time takes it as
/// `now`; the core reads no clock.
pub struct ControllerCore<S: CounterStore> {
    pub(crate) endpoint: Endpoint<S>,
    id: String,
    pub(crate) devices: BTreeMap<DeviceAddr, DeviceView>,
    pending: HashMap<u64, Pending>,
    /// Request ids in the order they were sent, with the time: the oldest expire first.
    by_age: std::collections::VecDeque<(Time, u64)>,
    pub(crate) next_request: u64,
    pub(crate) events: std::collections::VecDeque<ControllerEvent>,
    /// The controller's chain (leaf first), as its credential gives it.
    pub(crate) chain: Vec<Vec<u8>>,
    /// The commissioning attempt running, if any.
    pub(crate) attempt: Option<Attempt>,
    faults: ControllerFaults,
}

impl<S: CounterStore> ControllerCore<S> {
    /// Open the counter and set up signing and opening for `credential`.
    pub fn new(
        settings: ControllerSettings,
        credential: &Credential,
        counter: S,
    ) -> Result<Self, CounterError> {
        Ok(Self {
            endpoint: Endpoint::new(settings.topics, credential, counter)?,
            id: credential.id.clone(),
            devices: BTreeMap::new(),
            pending: HashMap::new(),
            by_age: std::collections::VecDeque::new(),
            next_request: settings.request_ids_after,
            events: std::collections::VecDeque::new(),
            chain: credential.chain.clone(),
            attempt: None,
            faults: settings.faults,
        })
    }

    /// The controller's id (its certificate's subject).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Every device seen so far.
    pub fn devices(&self) -> impl Iterator<Item = &DeviceView> {
        self.devices.values()
    }

    /// One device.
    pub fn device(&self, addr: &DeviceAddr) -> Option<&DeviceView> {
        self.devices.get(addr)
    }

    /// Whether the request `id` is still outstanding.
    pub fn is_pending(&self, id: u64) -> bool {
        self.pending.contains_key(&id)
    }

    /// The broker accepted the connection: subscribe to every device channel but requests
    /// and commissioning sessions (descriptions, statuses, reports, events, windows), to the
    /// own response topic and to revocation lists.
    pub fn handle_connected(&mut self) {
        let topics = &self.endpoint.topics;
        let mut filters: Vec<String> = [
            Channel::Desc,
            Channel::Status,
            Channel::Report,
            Channel::Event,
            Channel::Window,
        ]
        .into_iter()
        .map(|c| topics.all_devices(c))
        .collect();
        filters.push(topics.full(&Topics::responses_rel(&self.id)));
        // Revocation lists (HRT-MQTT-061): the retained ones arrive at once.
        filters.push(topics.full(&Topics::revocation_rel("+")));
        self.endpoint.push(Transmit::Subscribe(filters));
    }

    /// Seal a request to `device` at `now` and queue it; the id its response will carry.
    pub fn request(&mut self, now: Time, device: DeviceAddr, body: Body) -> Result<u64, SealError> {
        while let Some(&(since, id)) = self.by_age.front() {
            if now.since(since) < REQUEST_LIFETIME {
                break;
            }
            self.by_age.pop_front();
            self.pending.remove(&id);
        }
        let request_id = self.next_request.wrapping_add(1);
        if !self.faults.repeat_request_ids() {
            self.next_request = request_id;
        }
        let rel = Topics::device_rel(&device, Channel::Req);
        let envelope = Envelope {
            request_id: Some(request_id),
            target: Some(device.device_id.clone()),
            time_ms: None,
            with_chain: true,
        };
        let publish = self.endpoint.seal(now, &rel, &rel, body, &envelope)?;
        self.endpoint.push(Transmit::Publish(publish));
        self.pending.insert(request_id, Pending { device });
        self.by_age.push_back((now, request_id));
        Ok(request_id)
    }

    /// Nobody waits for request `id` any more (or its publish failed): forget it.
    pub fn forget_request(&mut self, id: u64) {
        self.pending.remove(&id);
    }

    /// Stop: disconnect in an orderly way.
    pub fn shutdown(&mut self) {
        self.endpoint.push(Transmit::Disconnect);
    }

    /// The next thing to do on the connection.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.endpoint.pop()
    }

    /// The next thing learnt from the bus.
    pub fn poll_event(&mut self) -> Option<ControllerEvent> {
        self.events.pop_front()
    }

    /// A publish arrived on `topic` (the full topic) at `now`.
    pub fn handle_publish(&mut self, now: Time, topic: &str, payload: &[u8], retain: bool) {
        // An empty payload clears a retained message; it is not a Hearth message (HRT-MQTT-017).
        if payload.is_empty() {
            return;
        }
        let Some(rel) = self.endpoint.topics.relative(topic).map(str::to_owned) else {
            return;
        };
        if let Some(ca) = Topics::parse_revocation(&rel) {
            if self.faults.ignore_revocation() {
                return;
            }
            // A revocation list of a CA (HRT-MQTT-062): applied to every chain from now on.
            let applied =
                self.endpoint
                    .receiver
                    .apply_revocation_list(&ca, payload, now.unix_secs());
            match applied {
                Ok(()) => tracing::info!("revocation list of CA {ca} applied"),
                Err(err) if retain && err.is_repeat() => {}
                Err(err) => self.reject(topic, err.to_string(), err.requirement()),
            }
            return;
        }
        match Topics::parse(&rel) {
            // Requests to devices and commissioning sessions are not ours to open.
            Some(Addressed::Device(_, Channel::Req | Channel::Commission)) => {}
            Some(Addressed::Device(addr, channel)) => {
                let opened = match self.open_device(now, topic, &rel, payload, retain) {
                    Some(Ok(opened)) => opened,
                    Some(Err(unsigned)) => {
                        // Taken without a signer (a deviation): as the topic's device's.
                        let certified = self
                            .devices
                            .get(&addr)
                            .map(|v| (v.device_type.clone(), v.model.clone()))
                            .unwrap_or_default();
                        return self.on_device_message(
                            topic,
                            (addr, channel),
                            (None, unsigned),
                            certified,
                        );
                    }
                    None => return,
                };
                let leaf = &opened.peer.chain.leaf;
                let bound =
                    leaf.subject == addr.device_id && leaf.vendor_id == Some(addr.vendor_id);
                let matches = (leaf.role == Role::Device || self.faults.accept_wrong_role())
                    && (bound || self.faults.ignore_topic_binding());
                if !matches {
                    let reason = format!(
                        "signed by {} of vendor {}, not by the device of this topic",
                        leaf.subject,
                        hearth_model::vendor::hex_or_none(leaf.vendor_id)
                    );
                    return self.reject(topic, reason, "HRT-MQTT-010");
                }
                let certified = (leaf.device_type.clone(), leaf.model.clone());
                if self.faults.will_as_live() && self.moved_window(&addr, &opened.message) {
                    let reason = "below the window an offline status moved".into();
                    return self.reject(topic, reason, "HRT-SEC-097");
                }
                if channel == Channel::Window {
                    return self.on_window_message(now, topic, addr, opened, certified);
                }
                // A value without a signer to order it by is taken as it comes (a deviation).
                let signer =
                    (!self.faults.ignore_value_order()).then_some(opened.peer.chain.leaf_kid);
                self.on_device_message(topic, (addr, channel), (signer, opened.message), certified);
            }
            Some(Addressed::Responses(me)) if me == self.id => {
                if let Some(opened) = self.open(now, topic, &rel, payload, retain) {
                    self.on_response(now, topic, opened);
                }
            }
            _ => {}
        }
    }

    /// Under the deviation that takes offline statuses as live messages: an offline status
    /// of `addr` moves its window to its counter, and whether `msg` lies more than 64 below
    /// the highest so moved (then it looks old).
    fn moved_window(&mut self, addr: &DeviceAddr, msg: &Message) -> bool {
        let view = self
            .devices
            .entry(addr.clone())
            .or_insert_with(|| DeviceView::new(addr.clone()));
        let offline =
            matches!(&msg.body, Body::Status(s) if s.availability == Availability::Offline);
        if offline {
            view.moved_to = view.moved_to.max(msg.counter);
        }
        msg.counter.saturating_add(64) < view.moved_to
    }

    pub(crate) fn reject(&mut self, topic: &str, reason: String, requirement: &'static str) {
        tracing::debug!("dropped message on {topic}: {reason}");
        self.events
            .push_back(ControllerEvent::Update(Update::Rejected {
                topic: topic.to_owned(),
                reason,
                requirement,
            }));
    }

    fn open(
        &mut self,
        now: Time,
        topic: &str,
        rel: &str,
        payload: &[u8],
        retain: bool,
    ) -> Option<Opened> {
        match self.endpoint.receiver.open(payload, rel, now.unix_secs()) {
            Ok(o) => Some(o),
            // A retained message seen again after a resubscription is not news.
            Err(OpenError::Replay(_)) if retain => None,
            Err(err) => {
                self.reject(topic, err.to_string(), err.requirement());
                None
            }
        }
    }

    /// Open a device's message as [`open`](Self::open) does, unless a deviation takes one
    /// that fails: opened leniently, or (`Err`) taken without any signer.
    fn open_device(
        &mut self,
        now: Time,
        topic: &str,
        rel: &str,
        payload: &[u8],
        retain: bool,
    ) -> Option<Result<Opened, Message>> {
        match self.endpoint.receiver.open(payload, rel, now.unix_secs()) {
            Ok(o) => Some(Ok(o)),
            Err(OpenError::Replay(_)) if retain => None,
            Err(err) => {
                let receiver = &self.endpoint.receiver;
                if let Some(opened) = self.faults.reopen(&err, payload, rel, receiver) {
                    return Some(Ok(opened));
                }
                if let Some(msg) = self.faults.unsigned(&err, payload) {
                    return Some(Err(msg));
                }
                self.reject(topic, err.to_string(), err.requirement());
                None
            }
        }
    }

    fn on_response(&mut self, now: Time, topic: &str, opened: Opened) {
        let msg = &opened.message;
        if !msg.kind().is_response() || msg.target.as_deref() != Some(self.id.as_str()) {
            let reason = "not a response addressed to this controller".into();
            return self.reject(topic, reason, "HRT-MSG-083");
        }
        if self.is_session_message(msg) {
            return self.on_session_message(now, topic, opened);
        }
        let msg = opened.message;
        let Some(id) = msg.request_id else { return };
        let Some(p) = self.pending.get(&id) else {
            return self.reject(topic, format!("no outstanding request {id}"), "HRT-MSG-084");
        };
        if p.device.device_id == msg.sender
            && opened.peer.chain.leaf.vendor_id == Some(p.device.vendor_id)
        {
            let orderer = (!self.faults.ignore_value_order()).then_some(opened.peer.chain.leaf_kid);
            if let (Body::ReadResponse(results), Some(view)) =
                (&msg.body, self.devices.get_mut(&p.device))
            {
                view.accept_read((orderer, msg.counter), results);
            }
            self.pending.remove(&id);
            self.events.push_back(ControllerEvent::Response {
                request_id: id,
                message: msg,
            });
        } else {
            let reason = format!(
                "response to a request for {} signed by {}",
                p.device, msg.sender
            );
            self.reject(topic, reason, "HRT-MSG-084");
        }
    }

    /// A verified `window` message of the device of its topic (HRT-COM-043); older than the
    /// one held, it is old news.
    fn on_window_message(
        &mut self,
        now: Time,
        topic: &str,
        addr: DeviceAddr,
        opened: Opened,
        (device_type, model): (Option<String>, Option<String>),
    ) {
        let msg = opened.message;
        let Body::Window(window) = msg.body else {
            let reason = format!("a {} message does not belong on this topic", msg.kind());
            return self.reject(topic, reason, "HRT-COM-058");
        };
        let view = self
            .devices
            .entry(addr.clone())
            .or_insert_with(|| DeviceView::new(addr.clone()));
        if msg.counter < view.window_counter {
            return;
        }
        view.window_counter = msg.counter;
        view.device_type = device_type;
        view.model = model;
        let kid = opened.peer.chain.leaf_kid;
        self.on_window(now, addr, window, msg.chain, kid);
    }

    fn on_device_message(
        &mut self,
        topic: &str,
        (addr, channel): (DeviceAddr, Channel),
        (signer, mut msg): (Option<KeyId>, Message),
        (device_type, model): (Option<String>, Option<String>),
    ) {
        // A value of a report that does not fit the description is ignored, as if absent;
        // the rest of the report stands (HRT-MSG-085).
        let check_values = !self.faults.accept_out_of_range();
        if let (true, Channel::Report, Body::Report(report)) =
            (check_values, channel, &mut msg.body)
        {
            if let Some(desc) = self.devices.get(&addr).and_then(|v| v.description.as_ref()) {
                let mut unfit = Vec::new();
                report.values.retain(|(path, value)| {
                    match check_value(Catalog::standard(), desc, path, value) {
                        Ok(()) => true,
                        Err(e) => {
                            unfit.push(format!("{path}: {e}"));
                            false
                        }
                    }
                });
                for why in unfit {
                    self.reject(
                        topic,
                        format!("a reported value is ignored: {why}"),
                        "HRT-MSG-085",
                    );
                }
            }
        }
        let view = self
            .devices
            .entry(addr.clone())
            .or_insert_with(|| DeviceView::new(addr.clone()));
        view.device_type = device_type;
        view.model = model;
        match view_update(view, (addr, channel), (signer, msg), check_values) {
            Ok(Some(update)) => self.events.push_back(ControllerEvent::Update(update)),
            Ok(None) => {}
            Err((reason, requirement)) => self.reject(topic, reason, requirement),
        }
    }
}

/// Apply a verified message from the device of `view` on its `channel`: the update it makes,
/// `None` if it is old news, or why it is rejected. Reports and events are checked against
/// the description unless `check_values` is off (a deviation).
fn view_update(
    view: &mut DeviceView,
    (addr, channel): (DeviceAddr, Channel),
    (signer, msg): (Option<KeyId>, Message),
    check_values: bool,
) -> Result<Option<Update>, (String, &'static str)> {
    let catalog = Catalog::standard();
    let update = match (channel, msg.body) {
        (Channel::Desc, Body::Description(desc)) => {
            if desc.vendor_id != addr.vendor_id || desc.device_id != addr.device_id {
                let reason = "the description names another device".into();
                return Err((reason, "HRT-MQTT-010"));
            }
            if msg.counter < view.desc_counter {
                return Ok(None);
            }
            view.desc_counter = msg.counter;
            view.description_problems = check_description(catalog, &desc)
                .err()
                .map(|e| e.to_string());
            if view.description.as_ref() != Some(&desc) {
                // Values of another description's paths say nothing about this one.
                view.forget_values();
            }
            view.description = Some(desc);
            Update::Description(addr)
        }
        (Channel::Status, Body::Status(status)) => {
            // Keep the newest status: a late will must not override a later online status.
            if msg.counter < view.status_counter {
                return Ok(None);
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
        (Channel::Event, Body::Event(ref e)) if view.seen_events.contains(&e.number) => {
            return Ok(None)
        }
        (Channel::Report, body @ Body::Report(_)) | (Channel::Event, body @ Body::Event(_)) => {
            if let Body::Event(e) = &body {
                view.seen_events.insert(e.number);
                if view.seen_events.len() > SEEN_EVENTS {
                    view.seen_events.pop_first();
                }
            }
            let Some(desc) = &view.description else {
                let reason = "no verified description of this device yet".into();
                return Err((reason, "HRT-MSG-085"));
            };
            let check = Message { body, ..msg };
            if let Err((path, err)) = check_device_message(catalog, desc, &check) {
                if check_values {
                    return Err((format!("{path}: {err}"), err.requirement()));
                }
            }
            match check.body {
                Body::Report(r) => {
                    let supplier = (signer, check.counter);
                    if r.full {
                        view.forget_older_than(supplier, &r.values);
                    }
                    for (path, value) in &r.values {
                        view.take_value(supplier, *path, value);
                    }
                    Update::Report {
                        addr,
                        full: r.full,
                        values: r.values,
                    }
                }
                Body::Event(event) => Update::Event { addr, event },
                _ => return Ok(None),
            }
        }
        (_, body) => {
            let reason = format!("a {} message does not belong on this topic", body.kind());
            return Err((reason, "HRT-MQTT-011"));
        }
    };
    Ok(Some(update))
}

/// Check the values of a read response against the device's description (HRT-MSG-085):
/// the first path whose value does not fit, and why.
pub fn check_read_results(
    desc: &Description,
    results: &[ReadResult],
) -> Result<(), (Path, ValueError)> {
    for r in results {
        if let Some(v) = &r.value {
            check_value(Catalog::standard(), desc, &r.path, v).map_err(|e| (r.path, e))?;
        }
    }
    Ok(())
}
