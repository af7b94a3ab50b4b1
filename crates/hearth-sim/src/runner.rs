//! Running a fleet on a broker.
//!
//! For each appliance the runner provisions an identity under the PKI folder (vendor CA and
//! device credential, see [`crate::brand::provision`]), grants `operate` to every controller
//! certified under the PKI's root, keeps the send counter in a file next to the credential,
//! and starts a Device runtime whose `Handler` is the appliance. A tick task per appliance
//! turns real time into simulated time with a [`SimClock`], advances the appliance, and hands
//! the values that changed (as a report) and the events it emitted to the runtime; a write,
//! an action or a control command flushes at once instead of waiting for the next tick.
//! The runtime reads the system clock, or under the `slow-clock` profile a [`SlowClock`].
//!
//! Every appliance has a fresh setup payload of its own ([`SimDevice::setup_payload`], what
//! its label would print) and the verifier record of that payload's passcode, and a button
//! that opens a basic commissioning window ([`SimDevice::press_button`]). With
//! [`RunnerConfig::factory_new`] every appliance leaves the factory with an empty ACL, so a
//! controller commissions it (`spec/07-commissioning.md`) in the basic window it opens when
//! it first connects.
//!
//! Each appliance keeps its ACL and the roots commissioning added in a file next to its
//! counter (`devices/<id>.acl`, [`Identity::access_path`]), written atomically on every
//! change and read by every runtime it starts (HRT-COM-065): a [`SimDevice::restart`] or a
//! [`SimDevice::reboot`] keeps every controller it admitted. A run of the simulator is a new
//! batch from the factory, with fresh setup payloads: [`Runner::start`] writes each file
//! afresh with the factory's ACL (empty for a factory-new appliance). A damaged file stops
//! the appliance's next start with an error that names it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hearth_model::setup::SetupPayload;
use hearth_model::{Description, Path, StatusCode, Value};
use hearth_mqtt::identity::unix_now;
use hearth_mqtt::{
    fresh_setup, BrokerUrl, CommissioningSettings, Device, DeviceAddr, DeviceConfig, DeviceHandle,
    DeviceStats, Handler, Identity, Topics,
};
use hearth_security::access::{AccessState, AccessStore, MemoryAccessStore};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::fs::{read_cert, FileAccessStore, FileCounterStore};
use hearth_security::replay::{CounterStore, MemoryCounterStore};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::appliance::Sim;
use crate::brand::provision;
use crate::clock::{SimClock, SlowClock};
use crate::control::{Control, ControlError};
use crate::faults::Deviation;
use crate::fleet::{DeviceSpec, Fleet};
use crate::link::Link;
use crate::SimError;

/// How a fleet runs.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// The broker.
    pub broker: BrokerUrl,
    /// The PKI folder (`hearth pki init`); device credentials and counters are kept in it.
    pub pki: PathBuf,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Real time between two ticks.
    pub tick: Duration,
    /// The topic root.
    pub topics: Topics,
    /// MQTT keep-alive of the devices.
    pub keep_alive: Duration,
    /// A fault profile for every appliance that names none of its own.
    pub fault: Option<String>,
    /// The access-control list of every appliance; by default `operate` for every controller
    /// under the PKI's root.
    pub acl: Option<Acl>,
    /// Access-control lists of single appliances, by device id, instead of `acl`.
    pub acls: BTreeMap<String, Acl>,
    /// Put every appliance behind a [`Link`] that [`SimDevice::cut_network`] can cut, as a
    /// lab cuts an appliance's network (plain-TCP brokers only).
    pub cuttable_links: bool,
    /// How many events each appliance keeps while disconnected (HRT-MQTT-035): 32, the
    /// least a device should keep (HRT-MQTT-036) and what an ICS assumes when it says nothing.
    pub event_store: usize,
    /// Start every appliance factory-new: an empty ACL, a random setup payload and its
    /// verifier record, a basic commissioning window on its first connection. `acl` and
    /// `acls` are then ignored.
    pub factory_new: bool,
}

impl RunnerConfig {
    /// Real-time speed, ticks every 200 ms, the default topic root.
    pub fn new(broker: BrokerUrl, pki: impl Into<PathBuf>) -> Self {
        Self {
            broker,
            pki: pki.into(),
            speed: 1.0,
            tick: Duration::from_millis(200),
            topics: Topics::default(),
            keep_alive: Duration::from_secs(30),
            fault: None,
            acl: None,
            acls: BTreeMap::new(),
            cuttable_links: false,
            event_store: 32,
            factory_new: false,
        }
    }
}

/// The appliance as the Device runtime sees it.
struct SimHandler {
    sim: Arc<Mutex<Sim>>,
    notify: Arc<Notify>,
}

fn lock(sim: &Mutex<Sim>) -> MutexGuard<'_, Sim> {
    // A panic while holding the lock leaves the state usable: take it anyway.
    sim.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Handler for SimHandler {
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode> {
        lock(&self.sim).read(path)
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        let result = lock(&self.sim).write(path, value);
        self.notify.notify_one();
        result
    }

    fn invoke(&mut self, path: &Path, args: &Value) -> Result<Option<Value>, StatusCode> {
        let result = lock(&self.sim).invoke(path, args);
        self.notify.notify_one();
        result
    }
}

/// One running appliance.
pub struct SimDevice {
    spec: DeviceSpec,
    addr: DeviceAddr,
    deviation: Deviation,
    identity: Identity,
    sim: Arc<Mutex<Sim>>,
    handle: Arc<Mutex<DeviceHandle>>,
    notify: Arc<Notify>,
    ticker: JoinHandle<()>,
    config: RunnerConfig,
    link: Option<Link>,
    /// The printed setup payload and the factory's record.
    setup: Option<(SetupPayload, CommissioningSettings)>,
}

impl std::fmt::Debug for SimDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDevice")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// Send what happened, and what changed once the device is connected.
///
/// Events go to the runtime at once, connected or not: it keeps them while disconnected and
/// publishes them after the full report of its next connection (HRT-MQTT-035). Changes stay
/// with the appliance until the device is connected; that full report carries them anyway.
async fn flush(sim: &Mutex<Sim>, handle: &Mutex<DeviceHandle>) {
    let handle = handle
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let connected = handle.stats().connected;
    let (changes, events) = {
        let mut s = lock(sim);
        let changes = if connected { s.changes() } else { Vec::new() };
        (changes, s.take_events())
    };
    if !changes.is_empty() {
        let _ = handle.report(changes).await;
    }
    for (path, fields) in events {
        let _ = handle.event(path, fields).await;
    }
}

/// The store of an appliance of the `acl-forgotten` profile: in memory, new at every start,
/// holding what the appliance's file held (the ACL it left the factory with, as nothing writes
/// the file back), so that a restart loses every change since (HRT-COM-065).
fn forgetful_store(config: &RunnerConfig, id: &str) -> Result<MemoryAccessStore, SimError> {
    let mut memory = MemoryAccessStore::default();
    if let Some(state) = FileAccessStore::new(Identity::access_path(&config.pki, id)).load()? {
        memory.store(&state)?;
    }
    Ok(memory)
}

impl SimDevice {
    fn spawn_runtime(
        config: &RunnerConfig,
        (identity, description): (Identity, Description),
        deviation: &Deviation,
        setup: Option<&(SetupPayload, CommissioningSettings)>,
        sim: Arc<Mutex<Sim>>,
        notify: Arc<Notify>,
    ) -> Result<DeviceHandle, SimError> {
        let id = description.device_id.clone();
        let counter: Box<dyn CounterStore + Send> = if deviation.app.forget_counter {
            Box::new(MemoryCounterStore::default())
        } else {
            Box::new(FileCounterStore::new(Identity::counter_path(
                &config.pki,
                &id,
                true,
            )))
        };
        let store = FileAccessStore::new(Identity::access_path(&config.pki, &id));
        // The file holds the ACL; the config's is what a device without one starts with.
        let mut dc = DeviceConfig::new(
            config.broker.clone(),
            identity,
            description,
            Acl::new(),
            counter,
        );
        dc.access_store = Some(Box::new(store));
        if deviation.app.forget_acl {
            dc.access_store = Some(Box::new(forgetful_store(config, &id)?));
        }
        dc.topics = if deviation.app.fixed_root {
            hearth_mqtt::Topics::default()
        } else {
            config.topics.clone()
        };
        dc.keep_alive = config.keep_alive;
        dc.max_pending_events = config.event_store;
        dc.commissioning = setup.map(|(_, settings)| settings.clone());
        dc.faults = deviation.protocol.clone();
        if deviation.app.keep_passcode {
            dc.faults.kept_passcode = setup.map(|(payload, _)| payload.passcode().value());
        }
        if let Some(behind) = deviation.app.clock_behind {
            dc.clock = Arc::new(SlowClock { behind });
        }
        Device::spawn(dc, SimHandler { sim, notify })
            .map_err(|source| SimError::Device { id, source })
    }

    fn start(spec: DeviceSpec, config: &RunnerConfig) -> Result<Self, SimError> {
        // Behind a link, the appliance connects to the relay instead of the broker.
        let (link, config) = if config.cuttable_links && !config.broker.tls {
            let link = Link::start(format!("{}:{}", config.broker.host, config.broker.port))
                .map_err(|e| {
                    SimError::Fleet(format!("starting the network link of {}: {e}", spec.id))
                })?;
            let mut behind = config.clone();
            behind.broker = BrokerUrl::plain("127.0.0.1", link.local_addr().port());
            (Some(link), behind)
        } else {
            (None, config.clone())
        };
        let config = &config;
        let fault = spec.fault.as_ref().or(config.fault.as_ref());
        let deviation = match fault {
            Some(name) => crate::faults::profile(name)
                .ok_or_else(|| SimError::Fleet(format!("no fault profile named `{name}`")))?
                .deviation(),
            None => Deviation::default(),
        };
        let sim = Sim::new(
            spec.kind,
            spec.brand,
            &spec.id,
            deviation.app.clone(),
            unix_now(),
        );
        let brand = spec.brand.brand();
        let identity = provision(
            &config.pki,
            brand,
            &spec.id,
            spec.kind.name(),
            &sim.base().model,
        )?;
        let description = sim.description().clone();
        let setup = Some(factory_setup(
            &spec.id,
            brand.vendor_id,
            description.device_type,
        )?);
        let acl = if config.factory_new {
            Acl::new()
        } else {
            factory_acl(config, &spec.id)?
        };
        FileAccessStore::new(Identity::access_path(&config.pki, &spec.id))
            .store(&AccessState::new(acl))?;
        let sim = Arc::new(Mutex::new(sim));
        let notify = Arc::new(Notify::new());
        let handle = Self::spawn_runtime(
            config,
            (identity.clone(), description),
            &deviation,
            setup.as_ref(),
            sim.clone(),
            notify.clone(),
        )?;
        let addr = handle.addr().clone();
        let handle = Arc::new(Mutex::new(handle));
        let ticker = {
            let (sim, handle, notify) = (sim.clone(), handle.clone(), notify.clone());
            let mut clock = SimClock::new(config.speed, unix_now());
            let period = config.tick;
            tokio::spawn(async move {
                let mut interval = tokio::time::interval(period);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                clock.advance(Instant::now());
                loop {
                    tokio::select! {
                        _ = interval.tick() => {
                            let dt = clock.advance(Instant::now());
                            lock(&sim).tick(dt);
                        }
                        () = notify.notified() => {}
                    }
                    flush(&sim, &handle).await;
                }
            })
        };
        Ok(Self {
            spec,
            addr,
            deviation,
            identity,
            sim,
            handle,
            notify,
            ticker,
            config: config.clone(),
            link,
            setup,
        })
    }

    /// The setup payload printed on the appliance: its QR text and manual code commission
    /// it, in the basic window a factory-new appliance opens ([`RunnerConfig::factory_new`])
    /// or the one its button opens ([`press_button`](Self::press_button)).
    pub fn setup_payload(&self) -> Option<&SetupPayload> {
        self.setup.as_ref().map(|(payload, _)| payload)
    }

    /// Press the appliance's commissioning button: it opens a basic window, whether or not
    /// its ACL holds entries (`spec/07-commissioning.md` HRT-COM-022).
    pub async fn press_button(&self) -> Result<(), SimError> {
        self.current()
            .open_window()
            .await
            .map_err(|e| SimError::Fleet(format!("{}: {e}", self.spec.id)))
    }

    /// Reset the appliance to factory-new at its panel: its ACL is erased and it opens a
    /// basic window (HRT-COM-080, HRT-COM-084).
    pub async fn factory_reset(&self) -> Result<(), SimError> {
        self.current()
            .factory_reset()
            .await
            .map_err(|e| SimError::Fleet(format!("{}: {e}", self.spec.id)))
    }

    /// Cut the appliance's network, as unplugging its cable would: its connection ends
    /// without a DISCONNECT and it cannot reconnect until
    /// [`restore_network`](Self::restore_network). Needs [`RunnerConfig::cuttable_links`].
    pub fn cut_network(&self) -> Result<(), SimError> {
        self.link
            .as_ref()
            .ok_or_else(|| SimError::Fleet(format!("{} has no network link to cut", self.spec.id)))?
            .cut();
        Ok(())
    }

    /// Restore the appliance's network after [`cut_network`](Self::cut_network).
    pub fn restore_network(&self) -> Result<(), SimError> {
        self.link
            .as_ref()
            .ok_or_else(|| {
                SimError::Fleet(format!("{} has no network link to restore", self.spec.id))
            })?
            .restore();
        Ok(())
    }

    /// What the fleet says about this appliance.
    pub fn spec(&self) -> &DeviceSpec {
        &self.spec
    }

    /// The device id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The device's address (vendor id and device id).
    pub fn addr(&self) -> &DeviceAddr {
        &self.addr
    }

    /// What it declares.
    pub fn description(&self) -> Description {
        lock(&self.sim).description().clone()
    }

    /// A property's current value, straight from the appliance (not over the protocol).
    pub fn value(&self, path: &Path) -> Result<Value, StatusCode> {
        lock(&self.sim).read(path)
    }

    /// The runtime's traffic counters.
    pub fn stats(&self) -> DeviceStats {
        self.current().stats()
    }

    fn current(&self) -> DeviceHandle {
        self.handle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Make something happen to the appliance; its changes and events are sent before this
    /// returns.
    pub async fn control(&self, control: &Control) -> Result<(), ControlError> {
        lock(&self.sim).control(control)?;
        flush(&self.sim, &self.handle).await;
        Ok(())
    }

    /// Cut the power: the connection drops without a DISCONNECT (the broker publishes the
    /// will). The appliance's state is kept for [`SimDevice::restart`].
    pub async fn kill(&self) {
        self.current().kill().await;
    }

    /// Start the runtime again after [`SimDevice::kill`], as a power-on would: with the
    /// counter file (or, under the `counter-reuse` profile, a fresh counter).
    pub async fn restart(&self) -> Result<(), SimError> {
        self.current().kill().await;
        self.respawn()
    }

    /// Restart in an orderly way, as the appliance's own restart button does: the runtime
    /// publishes its offline status and disconnects (the broker keeps the will), then a new
    /// runtime starts as after [`SimDevice::restart`]. The appliance's state is kept.
    pub async fn reboot(&self) -> Result<(), SimError> {
        self.current().shutdown().await;
        self.respawn()
    }

    /// A new runtime for the appliance, in place of the one that ended.
    fn respawn(&self) -> Result<(), SimError> {
        let handle = Self::spawn_runtime(
            &self.config,
            (self.identity.clone(), self.description()),
            &self.deviation,
            self.setup.as_ref(),
            self.sim.clone(),
            self.notify.clone(),
        )?;
        *self
            .handle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = handle;
        Ok(())
    }

    /// Publish the offline status, disconnect and stop ticking.
    pub async fn shutdown(&self) {
        self.ticker.abort();
        self.current().shutdown().await;
    }
}

impl Drop for SimDevice {
    fn drop(&mut self) {
        self.ticker.abort();
    }
}

/// The ACL a pre-provisioned appliance `id` leaves the factory with: its own of
/// [`RunnerConfig::acls`], else [`RunnerConfig::acl`], else `operate` for every controller
/// under the PKI's root.
fn factory_acl(config: &RunnerConfig, id: &str) -> Result<Acl, SimError> {
    Ok(match config.acls.get(id).or(config.acl.as_ref()) {
        Some(acl) => acl.clone(),
        None => {
            let root = read_cert(&config.pki.join("root.cert"))?;
            Acl::from_entries(vec![AclEntry {
                subject: AclSubject::Ca(*root.subject_kid()),
                privilege: Privilege::Operate,
            }])?
        }
    })
}

/// PBKDF2 iterations of a simulated appliance's verifier record: the fewest allowed
/// (HRT-COM-037), so that commissioning a fleet stays quick.
pub const SIM_ITERATIONS: u32 = 1000;

/// What the factory makes for the appliance `id`: a random setup payload of `vendor_id` and
/// `device_type`, and the verifier record of its passcode (the appliance keeps no passcode).
fn factory_setup(
    id: &str,
    vendor_id: u16,
    device_type: u16,
) -> Result<(SetupPayload, CommissioningSettings), SimError> {
    let failed = |e: String| SimError::Fleet(format!("the setup payload of {id}: {e}"));
    let rng = hearth_security::pki::SystemRandom::new();
    let (payload, salt) =
        fresh_setup(vendor_id, device_type, &rng).map_err(|e| failed(e.to_string()))?;
    let settings = CommissioningSettings::for_payload(&payload, salt, SIM_ITERATIONS)
        .map_err(|e| failed(e.to_string()))?;
    Ok((payload, settings))
}

/// How long [`Runner::start`] waits for each appliance to connect before starting the next.
pub const CONNECT_WAIT: Duration = Duration::from_secs(3);

/// A running fleet.
#[derive(Debug)]
pub struct Runner {
    devices: Vec<SimDevice>,
}

impl Runner {
    /// Provision and start every appliance of `fleet`, one after the other: each gets up to
    /// [`CONNECT_WAIT`] to connect before the next starts, so that a fleet does not storm
    /// the broker with connections.
    pub async fn start(config: &RunnerConfig, fleet: &Fleet) -> Result<Self, SimError> {
        fleet.check()?;
        let mut devices = Vec::with_capacity(fleet.devices.len());
        for spec in &fleet.devices {
            let device = SimDevice::start(spec.clone(), config)?;
            let deadline = Instant::now() + CONNECT_WAIT;
            while !device.stats().connected && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            devices.push(device);
        }
        Ok(Self { devices })
    }

    /// The running appliances.
    pub fn devices(&self) -> &[SimDevice] {
        &self.devices
    }

    /// The appliance with this device id.
    pub fn device(&self, id: &str) -> Option<&SimDevice> {
        self.devices.iter().find(|d| d.id() == id)
    }

    /// Shut every appliance down (offline status, disconnect).
    pub async fn shutdown(&self) {
        for d in &self.devices {
            d.shutdown().await;
        }
    }
}
