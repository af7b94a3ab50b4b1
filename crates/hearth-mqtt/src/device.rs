//! The Device runtime: a vendor's firmware (or a simulator) on any MQTT 3.1.1 broker — a
//! thin tokio shell over [`hearth_node::DeviceCore`].
//!
//! Every rule of the protocol (the will, what a connection announces, the request pipeline,
//! the store of kept events, revocation lists, the orderly shutdown) is the core's. This
//! shell only moves things between the core and rumqttc: [`Device::spawn`] builds the core,
//! connects with the will the core sealed, and runs one task that owns the core. The MQTT
//! event loop runs on a driver task of its own (see the `shell` module), so that no poll of
//! it is ever cut short; the core's task hands the core every CONNACK, incoming publish,
//! acknowledgement and lost connection the driver yields, with the time of the [`Clock`] the
//! config carries, and every command of the application, and sleeps until the core's next
//! timeout. Commands are taken at all times, during connection attempts too: an event
//! handed over while the device is disconnected goes to the store of kept events at once.
//! The application talks to it through a [`DeviceHandle`].
//!
//! **Order.** What the core asks for (publish, subscribe, disconnect) goes out in the order
//! it asked. The core's transmits wait in an outbox until the client takes them; under a
//! flood of requests the outbox grows rather than drops anything, so the events of one
//! connection are published in the order of their numbers, each once, among the responses.
//! The driver reads on meanwhile, so that acknowledgements and keep-alive answers never wait
//! behind the flood, and holds what the core's task has not taken yet (beyond a bound it
//! sheds further incoming requests, as a broker's queue limit would).
//!
//! **Acknowledgement.** A kept event leaves the store only when the broker has acknowledged
//! the very publish that carried it: the event loop writes publishes in the order it took
//! them and names each one's packet id (`Outgoing::Publish`) before the PUBACK of that id
//! can arrive, so the shell pairs each packet id with the ack token of the publish it handed
//! over, and hands the token back on that PUBACK. The pairing holds for one connection. When
//! the connection is lost, everything not yet acknowledged is forgotten by rumqttc (a device
//! always has a clean session) and by the shell, and the core, still keeping those events,
//! publishes them again after the full report of the next connection (HRT-MQTT-035), where
//! a controller may see one a second time and drops it by its number (HRT-MQTT-039).
//!
//! **Commissioning.** With [`DeviceConfig::commissioning`] set, the core runs the
//! commissioning window, its sessions and the manager's ACL and window requests on the topics
//! it subscribes to (`spec/07-commissioning.md`). The appliance's button and its factory
//! reset are [`DeviceHandle::open_window`] and [`DeviceHandle::factory_reset`];
//! [`DeviceHandle::acl`] and [`DeviceHandle::window`] show what the core holds, for the
//! application to show an open window (HRT-COM-028).
//!
//! **Persistence.** With [`DeviceConfig::access_store`] set, the runtime starts from the ACL
//! and the commissioned roots the store holds (the config's ACL only when it holds nothing
//! yet), and stores them again on every change, before the response that announces the
//! change is handed to the client (HRT-COM-065): a restart, orderly or by power loss, keeps
//! every controller commissioning or a manager admitted.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_model::{Description, Path, Value};
use hearth_node::{
    AckToken, CommissioningSettings, DeviceCore, DeviceSettings, StartError, Time, WindowError,
};
use hearth_security::access::{AccessStore, AccessStoreError};
use hearth_security::acl::Acl;
use hearth_security::replay::CounterStore;
use hearth_wire::commissioning::WindowState;
use hearth_wire::SealError;
use rumqttc::{AsyncClient, Event, Outgoing, Packet};
use tokio::sync::{mpsc, oneshot};

pub use hearth_node::{DeviceStats, Handler};

use crate::clock::Clock;
use crate::identity::{DynStore, Identity};
use crate::shell::{self, Driver, Outbox, Polled};
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
    /// The factory's verifier record and window settings, for a device that is commissioned
    /// (`None`: its ACL is all it ever admits).
    pub commissioning: Option<CommissioningSettings>,
    /// Where the ACL and the roots commissioning added are kept across restarts
    /// (HRT-COM-065); `None`: `acl` at every start, and changes last until the runtime ends.
    pub access_store: Option<Box<dyn AccessStore + Send>>,
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
            commissioning: None,
            access_store: None,
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
    /// The button did not open a window.
    #[error(transparent)]
    Window(#[from] WindowError),
    /// The kept access state could not be read (a damaged file, an unreadable flash).
    #[error(transparent)]
    AccessStore(#[from] AccessStoreError),
}

enum Command {
    Report(Vec<(Path, Value)>),
    Event { path: Path, fields: Value },
    OpenWindow(oneshot::Sender<Result<(), WindowError>>),
    FactoryReset(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
    Kill(oneshot::Sender<()>),
}

/// What the core holds about commissioning, as of the runtime's last step.
#[derive(Debug, Clone, Default)]
struct Snapshot {
    acl: Acl,
    window: Option<WindowState>,
}

/// A handle to a running device.
#[derive(Clone)]
pub struct DeviceHandle {
    tx: mpsc::Sender<Command>,
    stats: Arc<Mutex<DeviceStats>>,
    snapshot: Arc<Mutex<Snapshot>>,
    addr: DeviceAddr,
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

    /// The appliance's button: open a basic commissioning window (HRT-COM-022).
    pub async fn open_window(&self) -> Result<(), DeviceError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::OpenWindow(tx)).await?;
        Ok(rx.await.map_err(|_| DeviceError::Stopped)??)
    }

    /// The appliance's factory reset (HRT-COM-080): the ACL and what commissioning added are
    /// erased, a basic window opens.
    pub async fn factory_reset(&self) -> Result<(), DeviceError> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::FactoryReset(tx)).await?;
        rx.await.map_err(|_| DeviceError::Stopped)
    }

    /// The access-control list as of the runtime's last step.
    pub fn acl(&self) -> Acl {
        self.snapshot
            .lock()
            .map(|s| s.acl.clone())
            .unwrap_or_default()
    }

    /// The commissioning window as of the runtime's last step (`None` without
    /// commissioning): what the appliance shows (HRT-COM-028).
    pub fn window(&self) -> Option<WindowState> {
        self.snapshot.lock().ok().and_then(|s| s.window.clone())
    }

    /// A snapshot of the traffic counters.
    pub fn stats(&self) -> DeviceStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stop at once without a DISCONNECT, as a power loss would: the broker publishes the
    /// will. The counter file keeps the next start from reusing a counter.
    pub async fn kill(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Kill(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Publish the offline status, disconnect and stop. Returns once the runtime has ended
    /// (the disconnect is waited for a bounded time), so that a runtime started next on the
    /// same counter file never runs beside this one.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// The Device runtime.
pub struct Device;

impl Device {
    /// Validate the description, open the counter, and start serving on the broker. Must be
    /// called within a tokio runtime; the device runs on a task of its own.
    pub fn spawn(config: DeviceConfig, handler: impl Handler) -> Result<DeviceHandle, DeviceError> {
        #[cfg(feature = "fault-injection")]
        let packet_limit = config.faults.mqtt_packet_limit;
        let mut boot = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut boot);
        let mut access_store = config.access_store;
        let kept = match access_store.as_mut() {
            Some(store) => store.load()?,
            None => None,
        };
        let settings = DeviceSettings {
            topics: config.topics,
            max_pending_events: config.max_pending_events,
            unauthorized_interval: config.unauthorized_interval,
            commissioning: config.commissioning,
            #[cfg(feature = "fault-injection")]
            faults: config.faults,
            ..DeviceSettings::new(config.description, config.acl, u64::from_be_bytes(boot))
        };
        let settings = match kept {
            Some(state) => settings.restore(state),
            None => settings,
        };
        let credential = config.identity.credential();
        let mut core = DeviceCore::new(settings, &credential, DynStore(config.counter), handler)?;
        let addr = core.addr().clone();
        let client_id = format!("hd-{:04x}-{}", addr.vendor_id, addr.device_id);
        let (client, mut eventloop) =
            shell::client(&config.broker, client_id, config.keep_alive, true)?;
        #[cfg(feature = "fault-injection")]
        if let Some(limit) = packet_limit {
            eventloop
                .mqtt_options
                .set_max_packet_size(limit, crate::broker::MAX_PAYLOAD * 2);
        }
        core.arm_will()?;
        if let Some(will) = core.will() {
            eventloop.mqtt_options.set_last_will(shell::last_will(will));
        }
        // Devices that lose the broker together do not all come back in the same instant.
        let jitter = Duration::from_millis(u64::from(core.boot_id() as u16 % 200));
        let driver = Driver::spawn(eventloop, true, jitter);
        let (tx, rx) = mpsc::channel(1024);
        let stats = Arc::new(Mutex::new(DeviceStats::default()));
        let snapshot = Arc::new(Mutex::new(Snapshot::default()));
        let mut runtime = Runtime {
            core,
            client,
            clock: config.clock,
            outbox: Outbox::new(),
            sent: VecDeque::new(),
            inflight: HashMap::new(),
            stats: stats.clone(),
            snapshot: snapshot.clone(),
            access_store,
        };
        runtime.flush();
        tokio::spawn(async move { runtime.run(driver, rx).await });
        Ok(DeviceHandle {
            tx,
            stats,
            snapshot,
            addr,
        })
    }
}

struct Runtime<H: Handler> {
    core: DeviceCore<H, DynStore>,
    client: AsyncClient,
    clock: Arc<dyn Clock>,
    /// Transmits of the core the client has not taken yet, in order.
    outbox: Outbox<()>,
    /// Ack tokens (or None) of the publishes the client took, in order, awaiting the packet
    /// id the event loop gives each when it writes it.
    sent: VecDeque<Option<AckToken>>,
    /// Packet id → ack token of the kept events written on this connection, awaiting PUBACK.
    inflight: HashMap<u16, AckToken>,
    stats: Arc<Mutex<DeviceStats>>,
    snapshot: Arc<Mutex<Snapshot>>,
    access_store: Option<Box<dyn AccessStore + Send>>,
}

impl<H: Handler> Runtime<H> {
    fn now(&self) -> Time {
        self.clock.now()
    }

    /// Release what is due, move the core's transmits to the outbox and hand the client what
    /// it takes, publish the counters.
    fn flush(&mut self) {
        let now = self.now();
        if self.core.poll_timeout().is_some_and(|due| due <= now) {
            self.core.handle_timeout(now);
        }
        // Kept before the response that announces the change leaves (HRT-COM-065).
        if let (Some(state), Some(store)) =
            (self.core.poll_access_change(), self.access_store.as_mut())
        {
            if let Err(err) = store.store(&state) {
                let device = self.core.addr();
                tracing::error!(%device, "the access-control list could not be kept: {err}");
            }
        }
        while let Some(transmit) = self.core.poll_transmit() {
            self.outbox.push(transmit, ());
        }
        let sent = &mut self.sent;
        self.outbox
            .hand_over(&self.client, |ack, ()| sent.push_back(ack), |(), _| {});
        if let Ok(mut s) = self.stats.lock() {
            s.clone_from(self.core.stats());
        }
        if let Ok(mut s) = self.snapshot.lock() {
            if s.acl != *self.core.acl() {
                s.acl.clone_from(self.core.acl());
            }
            s.window = self.core.window(now);
        }
    }

    async fn run(&mut self, mut driver: Driver, mut rx: mpsc::Receiver<Command>) {
        loop {
            // Every branch is cancel-safe: the event loop itself runs on the driver's task.
            let wake = shell::until(self.core.poll_timeout(), self.now());
            tokio::select! {
                polled = driver.next() => match polled {
                    Some(Polled::Event(event)) => self.on_event(event),
                    Some(Polled::Lost { error, resume }) => {
                        if !self.on_lost(&error) {
                            return;
                        }
                        let _ = resume.send(self.core.will().map(shell::last_will));
                    }
                    None => return,
                },
                cmd = rx.recv() => match cmd {
                    Some(Command::Report(changes)) => self.core.report(self.now(), changes),
                    // Connected or not (a connection attempt may be under way): the core keeps
                    // the event until the broker acknowledges it (HRT-MQTT-035).
                    Some(Command::Event { path, fields }) => {
                        self.core.event(self.now(), path, fields);
                    }
                    // Answered once the core's announcement is handed over and the snapshot
                    // shows the window.
                    Some(Command::OpenWindow(done)) => {
                        let opened = self.core.open_window(self.now());
                        self.flush();
                        let _ = done.send(opened);
                    }
                    Some(Command::FactoryReset(done)) => {
                        self.core.factory_reset(self.now());
                        self.flush();
                        let _ = done.send(());
                    }
                    Some(Command::Shutdown(done)) => {
                        self.shutdown(driver).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(Command::Kill(done)) => {
                        driver.stop().await;
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
                () = shell::sleep(wake) => {}
            }
            self.flush();
        }
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
            Event::Outgoing(Outgoing::Publish(pkid)) => match self.sent.pop_front() {
                Some(Some(token)) => {
                    self.inflight.insert(pkid, token);
                }
                Some(None) => {}
                None => {
                    let device = self.core.addr();
                    tracing::error!(%device, "packet id {pkid} for a publish never handed over");
                }
            },
            _ => {}
        }
    }

    /// The connection is gone (or an attempt failed): nothing handed over for it will be
    /// acknowledged, and the core keeps its unacknowledged events for the next one. False
    /// when the device must stop.
    fn on_lost(&mut self, error: &rumqttc::ConnectionError) -> bool {
        if self.core.is_connected() {
            let device = self.core.addr();
            tracing::warn!(%device, "broker connection lost: {error}");
        }
        self.sent.clear();
        self.inflight.clear();
        self.outbox.clear();
        if self.core.handle_connection_lost().is_err() {
            let device = self.core.addr();
            tracing::error!(%device, "send counter exhausted or unwritable; stopping");
            return false;
        }
        true
    }

    /// Publish the offline status and disconnect (if connected), then stop the event loop.
    /// What the client has not taken yet is dropped: the device is going away.
    async fn shutdown(&mut self, driver: Driver) {
        if self.core.is_connected() {
            self.outbox.clear();
            self.core.shutdown(self.now());
            self.flush();
            // Let the event loop write the status and the disconnect.
            driver.finish(Duration::from_secs(2), || self.flush()).await;
        } else {
            driver.stop().await;
        }
    }
}
