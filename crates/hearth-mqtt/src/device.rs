//! The Device runtime: a vendor's firmware (or a simulator) on any MQTT 3.1.1 broker — a
//! thin tokio shell over [`hearth_node::DeviceCore`].
//!
//! Every rule of the protocol (the will, what a connection announces, the request pipeline,
//! the store of kept events, revocation lists, the orderly shutdown) is the core's. This
//! shell only moves things between the core and rumqttc: [`Device::spawn`] builds the core,
//! connects with the will the core sealed, and runs one task that owns the MQTT event loop.
//! It hands the core every CONNACK, incoming publish and lost connection with the time of
//! the [`Clock`] the config carries, carries out what the core asks (publish, subscribe,
//! disconnect), maps rumqttc's packet ids to the core's ack tokens so that a kept event
//! leaves the store only once the broker has acknowledged it, sleeps until the core's next
//! timeout, and reconnects with a backoff. The application talks to it through a
//! [`DeviceHandle`].

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_model::{Description, Path, Value};
use hearth_node::{AckToken, DeviceCore, DeviceSettings, StartError, Time};
use hearth_security::acl::Acl;
use hearth_security::replay::CounterStore;
use hearth_wire::SealError;
use rumqttc::{AsyncClient, Event, EventLoop, LastWill, Outgoing, Packet, QoS};
use tokio::sync::{mpsc, oneshot};

pub use hearth_node::{DeviceStats, Handler};

use crate::clock::Clock;
use crate::identity::{DynStore, Identity};
use crate::shell::{self, Carried};
use crate::topic::{DeviceAddr, Topics};
use crate::url::BrokerUrl;

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
    /// Where the time comes from: certificates, revocation lists and timers follow it.
    pub clock: Arc<dyn Clock>,
    /// Deliberate deviations, for the simulator's fault profiles only.
    #[cfg(feature = "fault-injection")]
    pub faults: hearth_node::FaultInjection,
}

impl DeviceConfig {
    /// Settings with the binding's recommended defaults, on the system clock.
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
            max_pending_events: DeviceSettings::MAX_PENDING_EVENTS,
            unauthorized_interval: DeviceSettings::UNAUTHORIZED_INTERVAL,
            clock: crate::clock::system(),
            #[cfg(feature = "fault-injection")]
            faults: hearth_node::FaultInjection::default(),
        }
    }
}

/// Why a device could not start or act.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The protocol core refused to start: the description does not validate, the identity
    /// does not match it, or the send counter could not be opened.
    #[error(transparent)]
    Start(#[from] StartError),
    /// Counter or signing failure.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The runtime has stopped.
    #[error("the device runtime has stopped")]
    Stopped,
    /// The broker address or its TLS settings are not usable.
    #[error("broker: {0}")]
    Broker(#[from] crate::url::UrlError),
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
    stopping: Arc<AtomicBool>,
}

impl DeviceHandle {
    /// The device's address.
    pub fn addr(&self) -> &DeviceAddr {
        &self.addr
    }

    /// Report changed property values.
    pub async fn report(&self, changes: Vec<(Path, Value)>) -> Result<(), DeviceError> {
        self.send(Command::Report(changes)).await
    }

    /// Emit an event with its fields (a struct value). It is kept until the broker
    /// acknowledges it; if the buffer fills, debug events go first, then info, never critical.
    pub async fn event(&self, path: Path, fields: Value) -> Result<(), DeviceError> {
        self.send(Command::Event { path, fields }).await
    }

    async fn send(&self, command: Command) -> Result<(), DeviceError> {
        self.tx
            .send(command)
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
        self.stopping.store(true, Ordering::Relaxed);
        if self.tx.send(Command::Kill(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Publish the offline status, disconnect and stop.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        self.stopping.store(true, Ordering::Relaxed);
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
        let mut boot = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut boot);
        let settings = DeviceSettings {
            topics: config.topics,
            max_pending_events: config.max_pending_events,
            unauthorized_interval: config.unauthorized_interval,
            #[cfg(feature = "fault-injection")]
            faults: config.faults,
            ..DeviceSettings::new(config.description, config.acl, u64::from_be_bytes(boot))
        };
        let credential = config.identity.credential();
        let mut core = DeviceCore::new(settings, &credential, DynStore(config.counter), handler)?;
        let addr = core.addr().clone();
        let client_id = format!("hd-{:04x}-{}", addr.vendor_id, addr.device_id);
        let (client, mut eventloop) =
            shell::client(&config.broker, client_id, config.keep_alive, true)?;
        core.arm_will()?;
        set_will(&core, &mut eventloop);
        let (tx, rx) = mpsc::channel(1024);
        let stats = Arc::new(Mutex::new(DeviceStats::default()));
        let stopping = Arc::new(AtomicBool::new(false));
        let mut runtime = Runtime {
            core,
            client,
            clock: config.clock,
            sent: VecDeque::new(),
            inflight: HashMap::new(),
            stats: stats.clone(),
            stopping: stopping.clone(),
        };
        tokio::spawn(async move { runtime.run(&mut eventloop, rx).await });
        Ok(DeviceHandle {
            tx,
            stats,
            addr,
            stopping,
        })
    }
}

/// Set the core's current will (if it has one) for the next connection attempt.
fn set_will<H: Handler>(core: &DeviceCore<H, DynStore>, eventloop: &mut EventLoop) {
    if let Some(will) = core.will() {
        eventloop.mqtt_options.set_last_will(LastWill::new(
            will.topic.clone(),
            will.payload.clone(),
            QoS::AtLeastOnce,
            will.retain,
        ));
    }
}

struct Runtime<H: Handler> {
    core: DeviceCore<H, DynStore>,
    client: AsyncClient,
    clock: Arc<dyn Clock>,
    /// Ack tokens (or None) of publishes handed to the client, in order, awaiting a packet id.
    sent: VecDeque<Option<AckToken>>,
    /// Packet id → ack token, awaiting PUBACK.
    inflight: HashMap<u16, AckToken>,
    stats: Arc<Mutex<DeviceStats>>,
    /// Set by the handle when a shutdown or kill is on its way.
    stopping: Arc<AtomicBool>,
}

impl<H: Handler> Runtime<H> {
    fn now(&self) -> Time {
        self.clock.now()
    }

    /// Release what is due, carry out every transmit the core has, publish its counters.
    fn flush(&mut self) {
        let now = self.now();
        if self.core.poll_timeout().is_some_and(|due| due <= now) {
            self.core.handle_timeout(now);
        }
        while let Some(transmit) = self.core.poll_transmit() {
            if let Carried::Published(ack) = shell::carry_out(&self.client, transmit) {
                self.sent.push_back(ack);
            }
        }
        if let Ok(mut s) = self.stats.lock() {
            s.clone_from(self.core.stats());
        }
    }

    async fn run(&mut self, eventloop: &mut EventLoop, mut rx: mpsc::Receiver<Command>) {
        let mut backoff = Duration::from_millis(250);
        loop {
            // While connecting, nothing but a stop may interrupt the event loop: dropping a
            // connection attempt after CONNECT was sent can leave the broker holding the will.
            // Commands and timers wait until the connection is up.
            let polled = if self.core.is_connected() {
                let wake = shell::until(self.core.poll_timeout(), self.now());
                tokio::select! {
                    polled = eventloop.poll() => polled,
                    cmd = rx.recv() => {
                        if self.on_command(cmd, eventloop).await {
                            return;
                        }
                        continue;
                    }
                    () = shell::sleep(wake) => {
                        self.flush();
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
                    if self.core.is_connected() {
                        let device = self.core.addr();
                        tracing::warn!(%device, "broker connection lost: {err}");
                    }
                    self.sent.clear();
                    self.inflight.clear();
                    if self.core.handle_connection_lost().is_err() {
                        let device = self.core.addr();
                        tracing::error!(%device, "send counter exhausted or unwritable; stopping");
                        return;
                    }
                    set_will(&self.core, eventloop);
                    self.flush();
                    let jitter = Duration::from_millis(u64::from(self.core.boot_id() as u16 % 200));
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
        self.stopping.load(Ordering::Relaxed) && !rx.is_empty()
    }

    fn on_event(&mut self, event: Event) {
        let now = self.now();
        match event {
            Event::Incoming(Packet::ConnAck(_)) => self.core.handle_connected(now),
            Event::Incoming(Packet::Publish(p)) => self
                .core
                .handle_publish(now, &p.topic, &p.payload, p.retain),
            Event::Incoming(Packet::PubAck(ack)) => {
                if let Some(token) = self.inflight.remove(&ack.pkid) {
                    self.core.handle_ack(token);
                }
            }
            Event::Outgoing(Outgoing::Publish(pkid)) => {
                if let Some(Some(token)) = self.sent.pop_front() {
                    self.inflight.insert(pkid, token);
                }
                return;
            }
            _ => return,
        }
        self.flush();
    }

    /// Handle a command; true when the runtime should stop.
    async fn on_command(&mut self, cmd: Option<Command>, eventloop: &mut EventLoop) -> bool {
        let now = self.now();
        match cmd {
            Some(Command::Report(changes)) => self.core.report(now, changes),
            Some(Command::Event { path, fields }) => self.core.event(now, path, fields),
            Some(Command::Shutdown(done)) => {
                if self.core.is_connected() {
                    self.core.shutdown(now);
                    self.flush();
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
                return true;
            }
            Some(Command::Kill(done)) => {
                let _ = done.send(());
                return true;
            }
            None => return true,
        }
        self.flush();
        false
    }
}
