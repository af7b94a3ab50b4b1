//! The device core: everything a Hearth device does on the bus, without the bus.
//!
//! [`DeviceCore`] holds the device's description, access-control list, signer and receiver,
//! its [`Handler`] (the application), the store of kept events and the will. Its shell tells
//! it what happened — connected, a publish arrived, the broker acknowledged a publish, the
//! connection was lost, a timer fired, the application reported or emitted something — and
//! takes from it what to do. Requests go through the normative pipeline of
//! `spec/04-messages.md` (in the `pipeline` module): open (signature, chain, replay), kind, target,
//! privilege against the ACL (with a rate limit on `unauthorized` answers), validation
//! against the description, the handler, the response. The manager's ACL and window requests
//! take the same pipeline; commissioning sessions have a topic and a module of their own
//! (`commission`).

mod commission;
mod events;
mod pipeline;
mod refusals;

use std::collections::BTreeMap;
use std::time::Duration;

use hearth_model::validate::{check_description, DescriptionErrors};
use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_security::access::AccessState;
use hearth_security::acl::Acl;
use hearth_security::cert::Certificate;
use hearth_security::replay::{CounterError, CounterStore};
use hearth_wire::{Availability, Body, Envelope, Report, SealError, Status};

use crate::fault::FaultInjection;
use crate::time::Time;
use crate::topic::{Channel, DeviceAddr, Topics};
use crate::transmit::{AckToken, Credential, Endpoint, Publish, Transmit};
use commission::Commissioning;
pub use commission::{
    CommissioningSettings, WindowError, MAX_FAILED_SESSIONS, MAX_WINDOW, MIN_WINDOW,
    SESSION_TIMEOUT,
};
use events::EventStore;

/// How far above the current counter the will is numbered (one reservation per connection).
const WILL_GAP: u64 = 1 << 32;

/// The application side of a device: current values, writes and actions.
///
/// The core calls these only for requests that are authenticated, authorised and valid
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

/// What a device core is, besides its credential and its handler.
#[derive(Debug, Clone)]
pub struct DeviceSettings {
    /// The topic root.
    pub topics: Topics,
    /// What the device declares about itself.
    pub description: Description,
    /// Which controllers may do what.
    pub acl: Acl,
    /// This boot's id, carried in every status (the shell draws it at random).
    pub boot_id: u64,
    /// Most events kept while unacknowledged; beyond it the oldest of the lowest priority goes.
    pub max_pending_events: usize,
    /// Least time between two `unauthorized` answers to the same controller.
    pub unauthorized_interval: Duration,
    /// Deliberate deviations (nothing to set unless the `fault-injection` feature is on).
    pub faults: FaultInjection,
    /// The factory's verifier record and window settings; `None` for a device that is never
    /// commissioned (its ACL is written before it starts, as in a lab).
    pub commissioning: Option<CommissioningSettings>,
    /// Most entries the device's ACL holds: at least 16 (HRT-SEC-115), at most 64
    /// (HRT-SEC-116); a larger value counts as 64.
    pub max_acl_entries: usize,
    /// The trust anchors commissioning added before the last restart (HRT-COM-065), trusted
    /// besides the credential's; see [`restore`](Self::restore).
    pub commissioned_roots: Vec<Certificate>,
}

impl DeviceSettings {
    /// The recommended bound of the store of kept events.
    pub const MAX_PENDING_EVENTS: usize = 1024;
    /// The recommended least time between two `unauthorized` answers to one controller.
    pub const UNAUTHORIZED_INTERVAL: Duration = Duration::from_secs(1);

    /// Settings with the binding's recommended defaults: the default topic root,
    /// [`MAX_PENDING_EVENTS`](Self::MAX_PENDING_EVENTS) and
    /// [`UNAUTHORIZED_INTERVAL`](Self::UNAUTHORIZED_INTERVAL), no deviations.
    pub fn new(description: Description, acl: Acl, boot_id: u64) -> Self {
        Self {
            topics: Topics::default(),
            description,
            acl,
            boot_id,
            max_pending_events: Self::MAX_PENDING_EVENTS,
            unauthorized_interval: Self::UNAUTHORIZED_INTERVAL,
            faults: FaultInjection::default(),
            commissioning: None,
            max_acl_entries: hearth_security::limits::MAX_ACL_ENTRIES,
            commissioned_roots: Vec::new(),
        }
    }

    /// Start with what the device kept before its restart (HRT-COM-065) instead of the ACL
    /// it was built with: the ACL and the roots commissioning added.
    #[must_use]
    pub fn restore(mut self, state: AccessState) -> Self {
        self.acl = state.acl;
        self.commissioned_roots = state.roots;
        self
    }
}

/// Why a device core could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The description does not validate against the catalog.
    #[error("invalid description: {0}")]
    Description(#[from] DescriptionErrors),
    /// The credential does not match the description (vendor id or device id).
    #[error("the certificate is for {cert}, the description for {description}")]
    IdentityMismatch {
        /// What the certificate says.
        cert: String,
        /// What the description says.
        description: String,
    },
    /// The send counter could not be opened.
    #[error("send counter: {0}")]
    Counter(#[from] CounterError),
    /// A root of [`DeviceSettings::commissioned_roots`] is no trust anchor.
    #[error("a root commissioning added: {0}")]
    Root(#[from] hearth_security::cert::CertError),
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
    /// Commissioning sessions that failed (wrong passcode, abort, refused share, timeout).
    pub sessions_failed: u64,
    /// Commissioning sessions that succeeded.
    pub commissioned: u64,
}

/// The protocol state machine of one device.
///
/// A shell drives it in this order:
///
/// 1. [`new`](Self::new), then [`arm_will`](Self::arm_will), and sets [`will`](Self::will)
///    (if any) as the last will of the connection it opens.
/// 2. When the broker accepts the connection (CONNACK):
///    [`handle_connected`](Self::handle_connected). The core subscribes to its requests and to revocation lists
///    and publishes description, online status, a full report and every kept event.
/// 3. For every incoming publish: [`handle_publish`](Self::handle_publish). For what the
///    application does: [`report`](Self::report), [`event`](Self::event).
/// 4. After each of those calls: [`poll_transmit`](Self::poll_transmit) until it returns
///    `None`, carrying each out in order. A transmit the connection cannot take at once waits,
///    and everything after it waits behind it: dropping one breaks the order of events and,
///    for a kept event, delays it to the next connection. A publish with an [`AckToken`] is a
///    kept event: when the broker acknowledges that very publish (match its packet id, not
///    the order of acknowledgements), hand the token to [`handle_ack`](Self::handle_ack).
///    Before carrying out the transmits of a call, take
///    [`poll_access_change`](Self::poll_access_change): a state it returns is what the device
///    keeps across restarts (HRT-COM-065), to store durably before the response that
///    announces the change goes out; at the next power-on, hand it back with
///    [`DeviceSettings::restore`].
/// 5. Sleep until [`poll_timeout`](Self::poll_timeout) at the latest, then call
///    [`handle_timeout`](Self::handle_timeout) (and poll transmits again).
/// 6. When the connection is lost: [`handle_connection_lost`](Self::handle_connection_lost),
///    forget unacknowledged packets and every transmit not yet carried out (none of it may go
///    out on the next connection, which begins with the announcements of step 2), set the new
///    [`will`](Self::will) on the next attempt and go back to 2 once connected again. Events
///    emitted in between are kept; the next connection publishes every kept event after its
///    full report, in the order of event numbers (HRT-MQTT-035).
/// 7. To stop in an orderly way: [`shutdown`](Self::shutdown), then carry out the transmits
///    (an offline status and a disconnect). To stop as a power loss would, just stop.
///
/// Every call that needs the time takes it as `now`; the core reads no clock.
pub struct DeviceCore<H, S: CounterStore> {
    endpoint: Endpoint<S>,
    addr: DeviceAddr,
    description: Description,
    acl: Acl,
    handler: H,
    boot_id: u64,
    /// The armed will, and the counter reserved for it.
    will: Option<Publish>,
    will_counter: u64,
    connected: bool,
    events: EventStore,
    refusals: refusals::RefusalLimit,
    /// Responses held back by a deviation, with the time they are due.
    delayed: Vec<(Time, Publish)>,
    stats: DeviceStats,
    faults: FaultInjection,
    /// Whether the device has stopped answering (a fault profile).
    stalled: bool,
    /// The device's chain as it carries it (leaf first), bound into commissioning sessions.
    chain: Vec<Vec<u8>>,
    /// The trust anchors the device left the factory with (HRT-COM-082).
    factory_trust: hearth_security::cert::TrustStore,
    max_acl_entries: usize,
    commissioning: Option<Commissioning>,
    /// Whether the ACL or the trust anchors changed since the shell last took the state to
    /// keep ([`poll_access_change`](Self::poll_access_change)).
    access_changed: bool,
}

impl<H: Handler, S: CounterStore> DeviceCore<H, S> {
    /// Check the description against the catalog and the credential, and open the counter.
    pub fn new(
        settings: DeviceSettings,
        credential: &Credential,
        counter: S,
        handler: H,
    ) -> Result<Self, StartError> {
        let desc = &settings.description;
        if !settings.faults.skip_description_check() {
            check_description(Catalog::standard(), desc)?;
        }
        if credential.id != desc.device_id || credential.vendor_id != Some(desc.vendor_id) {
            return Err(StartError::IdentityMismatch {
                cert: format!(
                    "{}/{}",
                    hearth_model::vendor::hex_or_none(credential.vendor_id),
                    credential.id
                ),
                description: format!(
                    "{}/{}",
                    hearth_model::vendor::Hex(desc.vendor_id),
                    desc.device_id
                ),
            });
        }
        let addr = DeviceAddr::new(desc.vendor_id, desc.device_id.clone());
        let mut endpoint = Endpoint::new(settings.topics, credential, counter)?;
        for root in settings.commissioned_roots {
            endpoint.receiver.add_trust_anchor(root)?;
        }
        Ok(Self {
            endpoint,
            addr,
            description: settings.description,
            acl: settings.acl,
            handler,
            boot_id: settings.boot_id,
            will: None,
            will_counter: 0,
            connected: false,
            events: EventStore::new(settings.max_pending_events),
            refusals: refusals::RefusalLimit::new(settings.unauthorized_interval),
            delayed: Vec::new(),
            stats: DeviceStats::default(),
            faults: settings.faults,
            stalled: false,
            chain: credential.chain.clone(),
            factory_trust: credential.trust.clone(),
            max_acl_entries: settings
                .max_acl_entries
                .min(hearth_security::limits::MAX_ACL_ENTRIES),
            commissioning: settings.commissioning.map(Commissioning::new),
            access_changed: false,
        })
    }

    /// The device's address.
    pub fn addr(&self) -> &DeviceAddr {
        &self.addr
    }

    /// This boot's id.
    pub fn boot_id(&self) -> u64 {
        self.boot_id
    }

    /// The traffic counters.
    pub fn stats(&self) -> &DeviceStats {
        &self.stats
    }

    /// Whether the core believes the connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// The application.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The application, to change its state.
    pub fn handler_mut(&mut self) -> &mut H {
        &mut self.handler
    }

    /// The will to hand the broker with the next connection: an offline status sealed with a
    /// counter above everything that connection will send (retained). `None` before
    /// [`arm_will`](Self::arm_will), or when a fault profile connects without one.
    pub fn will(&self) -> Option<&Publish> {
        self.will.as_ref()
    }

    /// Reserve the will's counter and seal it (HRT-MQTT-030, HRT-MQTT-031).
    pub fn arm_will(&mut self) -> Result<(), SealError> {
        if self.faults.no_will() {
            return Ok(());
        }
        let counter = self.endpoint.sender.reserve_ahead(WILL_GAP)?;
        let rel = self.rel(Channel::Status);
        let payload = self.endpoint.sender.seal_reserved(
            self.status(Availability::Offline),
            &rel,
            &with_chain(),
            counter,
        )?;
        self.will = Some(Publish {
            topic: self.endpoint.topics.full(&rel),
            payload,
            retain: true,
            ack: None,
        });
        self.will_counter = counter;
        Ok(())
    }

    /// The broker accepted the connection: subscribe, announce, report, re-send kept events.
    pub fn handle_connected(&mut self, now: Time) {
        self.connected = true;
        self.stats.connected = true;
        self.stats.connects += 1;
        let topics = &self.endpoint.topics;
        let mut requests = vec![topics.full(&self.rel(Channel::Req))];
        if self.commissioning.is_some() {
            // Commissioning sessions come on a topic of their own (HRT-COM-042).
            requests.push(topics.full(&self.rel(Channel::Commission)));
        }
        // Revocation lists (HRT-MQTT-061): the retained ones arrive at once.
        let crl = topics.full(&Topics::revocation_rel("+"));
        self.endpoint.push(Transmit::Subscribe(requests));
        self.endpoint.push(Transmit::Subscribe(vec![crl]));
        let desc = Body::Description(self.description.clone());
        let retain_desc = !self.faults.description_not_retained();
        self.publish(now, Channel::Desc, desc, retain_desc, &with_chain());
        let online = self.status(Availability::Online);
        self.publish(now, Channel::Status, online, true, &with_chain());
        let values = self.snapshot();
        let report = Body::Report(Report { full: true, values });
        self.publish(now, Channel::Report, report, false, &Envelope::default());
        // The window, open or closed, after the announcements of HRT-MQTT-034 (HRT-COM-043).
        self.connected_commissioning(now);
        // Events not yet acknowledged go out again, sealed afresh: their old counters may lie
        // below what receivers have accepted since (the will, for one). Receivers drop copies
        // by event number.
        for event in self.events.all() {
            self.publish_event(now, event);
        }
    }

    /// The connection is gone. The broker may hold the will from the moment CONNECT was sent,
    /// and may publish it: count on from above it, and arm a new one for the next attempt.
    /// An error means the counter store is exhausted or unwritable: the device must stop.
    ///
    /// Transmits not yet taken by the shell are dropped: they were for the lost connection,
    /// and every event among them is still kept (it goes out again after the full report of
    /// the next connection), as are events whose publish the broker never acknowledged.
    pub fn handle_connection_lost(&mut self) -> Result<(), SealError> {
        self.connected = false;
        self.stats.connected = false;
        self.endpoint.clear();
        self.delayed.clear();
        self.endpoint.sender.skip_past(self.will_counter)?;
        self.arm_will()
    }

    /// The broker acknowledged the publish that carried `token`: that event is delivered.
    pub fn handle_ack(&mut self, token: AckToken) {
        if self.events.acknowledge(token.0) {
            self.stats.events_acked += 1;
        }
    }

    /// Report changed property values (only while connected: the full report of the next
    /// connection covers what changed in between).
    pub fn report(&mut self, now: Time, changes: Vec<(Path, Value)>) {
        if self.connected && !changes.is_empty() {
            let report = Body::Report(Report {
                full: false,
                values: changes,
            });
            self.publish(now, Channel::Report, report, false, &Envelope::default());
        }
    }

    /// Emit an event with its fields (a struct value). It is kept until the broker
    /// acknowledges it; if the store fills, debug events go first, then info, never critical.
    pub fn event(&mut self, now: Time, path: Path, fields: Value) {
        let event = self.events.number(path, fields);
        self.stats.events += 1;
        if !self.connected && self.faults.forget_offline_events() {
            return;
        }
        if let Some(n) = self
            .events
            .keep(event.clone(), self.faults.fifo_event_store())
        {
            tracing::warn!(device = %self.addr, "event buffer full: dropped event {n}");
        }
        if self.connected {
            self.publish_event(now, event);
        }
    }

    /// Stop in an orderly way: if connected, publish the offline status and disconnect.
    pub fn shutdown(&mut self, now: Time) {
        if self.connected {
            // Sealed with the next counter, not the will's, whose value stays reserved
            // (HRT-MQTT-045) — unless a deviation sends the will's own bytes.
            let will = self.will.clone();
            match will.filter(|_| self.faults.offline_status_as_will()) {
                Some(will) => self.endpoint.push(Transmit::Publish(will)),
                None => {
                    let offline = self.status(Availability::Offline);
                    self.publish(now, Channel::Status, offline, true, &with_chain());
                }
            }
            self.endpoint.push(Transmit::Disconnect);
        }
    }

    /// The next thing to do on the connection.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.endpoint.pop()
    }

    /// When the core next needs [`handle_timeout`](Self::handle_timeout), if ever.
    pub fn poll_timeout(&self) -> Option<Time> {
        let commissioning = self
            .commissioning
            .as_ref()
            .and_then(Commissioning::deadline);
        self.delayed
            .iter()
            .map(|(due, _)| *due)
            .chain(commissioning)
            .min()
    }

    /// Time has come to `now`: release what was due (responses are released only onto the
    /// connection they answer: they are dropped when it is lost), end a commissioning session
    /// that waited too long and close a window past its deadline.
    pub fn handle_timeout(&mut self, now: Time) {
        self.expire_commissioning(now);
        let (due, later) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.delayed = later;
        for (_, publish) in due {
            self.endpoint.push(Transmit::Publish(publish));
        }
    }

    fn rel(&self, channel: Channel) -> String {
        Topics::device_rel(&self.addr, channel)
    }

    fn status(&self, availability: Availability) -> Body {
        Body::Status(Status {
            availability,
            boot_id: self.boot_id,
        })
    }

    /// Seal `body` for one of the device's own channels and queue it.
    fn publish(
        &mut self,
        now: Time,
        channel: Channel,
        body: Body,
        retain: bool,
        envelope: &Envelope,
    ) {
        let rel = self.rel(channel);
        let aad = self.faults.aad(&rel);
        match self.endpoint.seal(now, &rel, &aad, body, envelope) {
            Ok(publish) => self
                .endpoint
                .push(Transmit::Publish(Publish { retain, ..publish })),
            Err(err) => tracing::error!(device = %self.addr, "sealing {}: {err}", channel.name()),
        }
    }

    fn publish_event(&mut self, now: Time, event: hearth_wire::EventBody) {
        let token = AckToken(event.number);
        let rel = self.rel(Channel::Event);
        let aad = self.faults.aad(&rel);
        let body = Body::Event(event);
        match self
            .endpoint
            .seal(now, &rel, &aad, body, &Envelope::default())
        {
            Ok(publish) => self.endpoint.push(Transmit::Publish(Publish {
                ack: Some(token),
                ..publish
            })),
            Err(err) => tracing::error!(device = %self.addr, "sealing an event: {err}"),
        }
    }

    /// Every observable property the description implements, with its current value.
    fn snapshot(&mut self) -> Vec<(Path, Value)> {
        // Standard properties if observable; vendor members (ids from 0x8000) as the handler
        // knows them (HRT-MSG-054).
        let paths: Vec<Path> = self
            .description
            .implemented(Catalog::standard())
            .filter(|m| m.def.map_or(m.path.member >= 0x8000, |p| p.observable))
            .map(|m| m.path)
            .collect();
        paths
            .into_iter()
            .filter_map(|path| self.handler.read(&path).ok().map(|v| (path, v)))
            .collect()
    }

    fn reject(&mut self, reason: &str) {
        tracing::debug!(device = %self.addr, "request dropped: {reason}");
        *self.stats.rejected.entry(reason.to_owned()).or_default() += 1;
    }
}

/// The envelope of messages that carry the certificate chain (description, status, will).
fn with_chain() -> Envelope {
    Envelope {
        with_chain: true,
        ..Envelope::default()
    }
}
