//! The Controller runtime: what a gateway or an app embeds to work with appliances of every
//! brand — a thin tokio shell over [`hearth_node::ControllerCore`].
//!
//! Every rule is the core's: it opens every message (signature, chain, replay), checks that
//! a device publishes only under its own topic and only what its description allows, keeps
//! a view of each device, seals requests and correlates responses by request id. This shell
//! connects ([`Controller::connect`] waits for the first CONNACK so a wrong URL is a clear
//! error), runs the MQTT event loop on a driver task of its own (the `shell` module), hands
//! the core every CONNACK and incoming publish with the time of the [`Clock`] the config
//! carries, carries out the subscriptions and publishes it asks for, and turns what it
//! learns into [`Update`]s on [`Controller::updates`] (rejections included, with the
//! requirement they broke) and into the answers of [`Controller::read`],
//! [`write`](Controller::write) and [`invoke`](Controller::invoke), each bounded by a
//! timeout.
//!
//! Requests go out in the order they were made. One the client cannot take at once waits in
//! an outbox, in order, and its caller waits with it; none is dropped. A request that cannot
//! go out is an error to its caller: [`RequestError::Disconnected`] when the connection is
//! down or is lost before the request was written (with a clean session; a persistent one
//! sends it again after reconnecting), [`RequestError::Publish`] for a topic MQTT does not
//! allow.
//!
//! A gateway embeds it in a few lines: connect as the controller of a PKI folder, discover
//! the devices, read and write them, and watch what they report (`examples/gateway.rs` is
//! the whole program):
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use hearth_mqtt::{Controller, ControllerConfig, Identity, Update};
//! use hearth_security::fs::FileCounterStore;
//!
//! # async fn gateway() -> Result<(), Box<dyn std::error::Error>> {
//! // The controller of `hearth pki init --dir pki`; its counter survives restarts.
//! let pki = std::path::Path::new("pki");
//! let identity = Identity::controller(pki)?;
//! let counter = Box::new(FileCounterStore::new(Identity::counter_path(
//!     pki,
//!     &identity.id,
//!     false,
//! )));
//! let config = ControllerConfig::new("mqtt://127.0.0.1:1883".parse()?, identity, counter);
//! let ctl = Controller::connect(config).await?;
//!
//! let mut updates = ctl.updates();
//! for device in ctl.discover(Duration::from_secs(3)).await {
//!     println!("{} is a {:?}", device.addr, device.type_name());
//! }
//! while let Ok(update) = updates.recv().await {
//!     if let Update::Report { addr, values, .. } = update {
//!         println!("{addr}: {values:?}"); // verified before it got here
//!     }
//! }
//! ctl.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! **Commissioning.** [`Controller::commission`] commissions the device a setup code is for
//! (`spec/07-commissioning.md`): the core finds its window, attests it and runs the key
//! exchange, and the call returns when the device's `commission-result` has come, or fails at
//! its timeout. [`Controller::acl`], [`change_acl`](Controller::change_acl),
//! [`share`](Controller::share) (an enhanced window for multi-admin, with a fresh setup code)
//! and [`close_window`](Controller::close_window) are the manager's requests.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hearth_model::setup::{SetupCode, SetupPayload};
use hearth_model::{Path, Privilege, StatusCode, Value};
use hearth_node::controller::check_read_results;
use hearth_node::{
    CommissionError, CommissionEvent, Commissioned, ControllerCore, ControllerEvent,
    ControllerSettings, ShareError,
};
use hearth_security::replay::CounterStore;
use hearth_wire::commissioning::{AclChangeResponse, AclOperation, AclReadResponse, WindowControl};
use hearth_wire::{Body, InvokeResult, Message, ReadResult, SealError};
use rumqttc::{AsyncClient, Event, Outgoing, Packet};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use hearth_node::DeviceView;

use crate::clock::Clock;
use crate::identity::{DynStore, Identity};
use crate::shell::{self, Driver, Outbox, Polled};
use crate::topic::{DeviceAddr, Topics};
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
    /// Where the time comes from: certificates and revocation lists are checked against it.
    pub clock: Arc<dyn Clock>,
    /// PBKDF2 iterations of the temporary verifier record of [`Controller::share`]: the
    /// record crosses the broker, so the most allowed by default (chapter 7 §13).
    pub share_iterations: u32,
    /// Deliberate deviations, for the controller profiles of the suite's self-check only.
    #[cfg(feature = "fault-injection")]
    pub faults: hearth_node::ControllerFaults,
}

impl ControllerConfig {
    /// Settings with the binding's recommended defaults, on the system clock.
    pub fn new(
        broker: BrokerUrl,
        identity: Identity,
        counter: Box<dyn CounterStore + Send>,
    ) -> Self {
        Self {
            identity,
            counter,
            broker,
            topics: Topics::default(),
            keep_alive: Duration::from_secs(30),
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            session: None,
            clock: crate::clock::system(),
            share_iterations: hearth_node::commissioner::ENHANCED_ITERATIONS,
            #[cfg(feature = "fault-injection")]
            faults: hearth_node::ControllerFaults::default(),
        }
    }
}

/// Something verified that happened on the bus: the core's [`hearth_node::Update`], with the
/// requirement a rejected message broke as text.
pub type Update = hearth_node::Update<String>;

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
    /// The request cannot be published (its topic is not one MQTT allows).
    #[error("publish: {0}")]
    Publish(String),
    /// The broker connection is down, or was lost before the request went out.
    #[error("not connected to the broker")]
    Disconnected,
    /// The response carries values that do not fit the device's description.
    #[error("invalid response: {0}")]
    Invalid(String),
    /// The response does not answer the request.
    #[error("unexpected response: {0}")]
    Unexpected(String),
    /// The device refused the request with this status.
    #[error("refused: {0:?}")]
    Refused(StatusCode),
    /// Commissioning did not succeed.
    #[error(transparent)]
    Commission(#[from] CommissionError),
    /// An enhanced window could not be asked for.
    #[error("{0}")]
    Share(String),
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

type Core = ControllerCore<DynStore>;

/// The core, shared by the handle (device views) and the task (everything else).
type SharedCore = Arc<Mutex<Core>>;

fn lock(core: &Mutex<Core>) -> MutexGuard<'_, Core> {
    // A panic while holding the lock leaves the core usable: take it anyway.
    core.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a request's response will come.
type Response = oneshot::Receiver<Result<Message, RequestError>>;

/// The answer the runtime hands over on `response`, waited for at most `timeout`.
async fn answer_within(response: Response, timeout: Duration) -> Result<Message, RequestError> {
    match tokio::time::timeout(timeout, response).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Err(RequestError::Stopped),
        Err(_) => Err(RequestError::Timeout(timeout)),
    }
}

enum Command {
    Request {
        device: DeviceAddr,
        body: Body,
        reply: oneshot::Sender<Result<Response, RequestError>>,
    },
    Share {
        device: DeviceAddr,
        privilege: Privilege,
        duration: Duration,
        reply: oneshot::Sender<Result<(Response, SetupPayload), RequestError>>,
    },
    Commission {
        code: SetupCode,
        confirm: bool,
        reply: oneshot::Sender<Result<(Commissioning, Proving), RequestError>>,
    },
    ConfirmCommission(bool),
    CancelCommission,
    Shutdown(oneshot::Sender<()>),
}

/// Where the outcome of a commissioning attempt will come.
type Commissioning = oneshot::Receiver<Result<Commissioned, CommissionError>>;

/// Where the device an attempt with confirmation found will come, once it proved the code.
type Proving = oneshot::Receiver<Commissioned>;

/// A connected controller.
pub struct Controller {
    id: String,
    tx: mpsc::Sender<Command>,
    core: SharedCore,
    updates: broadcast::Sender<Update>,
    commission_events: broadcast::Sender<CommissionEvent>,
    request_timeout: Duration,
}

/// What [`Controller::exchange`] takes to pick the response `$variant` out of an answer's
/// body (any other body is handed back, to be reported as unexpected).
macro_rules! response {
    ($variant:path) => {
        |body| match body {
            $variant(r) => Ok(r),
            other => Err(other),
        }
    };
}

impl Controller {
    /// Connect, subscribe, and start tracking devices. Must be called within a tokio runtime.
    ///
    /// Waits at most the config's `connect_timeout` for the broker, so that a wrong URL or
    /// port is an error at once:
    ///
    /// ```no_run
    /// # use hearth_mqtt::{Controller, ControllerConfig, Identity};
    /// # async fn connect(identity: Identity) -> Result<(), Box<dyn std::error::Error>> {
    /// let counter = Box::new(hearth_security::replay::MemoryCounterStore::default());
    /// let mut config = ControllerConfig::new("mqtt://127.0.0.1:1883".parse()?, identity, counter);
    /// config.topics = hearth_mqtt::Topics::new("lab/1"); // the devices' topic root
    /// config.connect_timeout = std::time::Duration::from_secs(2);
    /// let ctl = Controller::connect(config).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(config: ControllerConfig) -> Result<Self, ControllerError> {
        let identity = config.identity;
        let mut suffix = [0u8; 4];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut suffix);
        let settings = ControllerSettings {
            topics: config.topics,
            request_ids_after: u64::from(u32::from_be_bytes(suffix)) << 20,
            #[cfg(feature = "fault-injection")]
            faults: config.faults,
            #[cfg(not(feature = "fault-injection"))]
            faults: hearth_node::ControllerFaults::default(),
        };
        let core = ControllerCore::new(settings, &identity.credential(), DynStore(config.counter))?;
        let client_id = match &config.session {
            Some(name) => format!("hc-{}-{name}", identity.id),
            None => format!("hc-{}-{:08x}", identity.id, u32::from_be_bytes(suffix)),
        };
        let connect_error = |reason: String| ControllerError::Connect {
            url: config.broker.to_string(),
            reason,
        };
        let clean = config.session.is_none();
        let (client, mut eventloop) =
            shell::client(&config.broker, client_id, config.keep_alive, clean)
                .map_err(|e| connect_error(e.to_string()))?;

        // Wait for the first connection so callers get a clear error for a wrong URL.
        let deadline = Instant::now() + config.connect_timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, eventloop.poll()).await {
                Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => break,
                Ok(Ok(_)) => {}
                // Nothing listens at the address, or the broker said no: waiting longer
                // changes neither, so the caller hears it at once, not after the timeout.
                Ok(Err(err)) if refused_for_good(&err) => {
                    return Err(connect_error(format!(
                        "{err} (is a broker running there, on that port, and does it accept this client?)"
                    )));
                }
                Ok(Err(err)) => {
                    if Instant::now() >= deadline {
                        return Err(connect_error(err.to_string()));
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(_) => return Err(connect_error("timed out".into())),
            }
        }
        let driver = Driver::spawn(eventloop, clean, Duration::ZERO);
        let (subscribed_tx, subscribed_rx) = oneshot::channel();
        let (tx, rx) = mpsc::channel(256);
        let core = Arc::new(Mutex::new(core));
        let (updates, _) = broadcast::channel(16_384);
        let (commission_events, _) = broadcast::channel(1024);
        let mut runtime = Runtime {
            core: core.clone(),
            client,
            clock: config.clock,
            updates: updates.clone(),
            commission_events: commission_events.clone(),
            commissioning: None,
            proving: None,
            share_iterations: config.share_iterations,
            replies: HashMap::new(),
            outbox: Outbox::new(),
            sent: VecDeque::new(),
            clean,
            connected: true,
            sweep_at: SWEEP_AT,
            subscribed: Some(subscribed_tx),
        };
        runtime.step(Core::handle_connected, |()| None);
        tokio::spawn(async move { runtime.run(driver, rx).await });
        // Subscribed before the caller goes on: what is published from now on reaches this
        // controller, and the retained descriptions and statuses are on their way.
        let left = deadline.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, subscribed_rx).await.is_err() {
            tracing::warn!(
                "the broker did not acknowledge the subscriptions within the connect timeout"
            );
        }
        Ok(Self {
            id: identity.id,
            tx,
            core,
            updates,
            commission_events,
            request_timeout: config.request_timeout,
        })
    }

    /// The controller's id (its certificate's subject).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Every device seen so far.
    pub fn devices(&self) -> Vec<DeviceView> {
        lock(&self.core).devices().cloned().collect()
    }

    /// One device.
    pub fn device(&self, addr: &DeviceAddr) -> Option<DeviceView> {
        lock(&self.core).device(addr).cloned()
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

    /// Wait until the devices on the broker are known: every device seen has its verified
    /// description and its status, and nothing changed for a quiet moment (a quarter of
    /// `timeout`, at most 750 ms), or `timeout` passed. Returns the devices then known.
    ///
    /// Retained descriptions and statuses arrive right after subscribing, but MQTT does not
    /// say when the last of them has come; the quiet moment is what ends the wait when the
    /// caller does not know how many devices to expect (with a count, use
    /// [`wait_for`](Self::wait_for)).
    pub async fn discover(&self, timeout: Duration) -> Vec<DeviceView> {
        let quiet = (timeout / 4).min(Duration::from_millis(750));
        let deadline = Instant::now() + timeout;
        let mut updates = self.updates();
        let mut last_change = Instant::now();
        loop {
            let now = Instant::now();
            let devices = self.devices();
            if now >= deadline {
                return devices;
            }
            let settled = devices
                .iter()
                .all(|d| d.description.is_some() && d.online.is_some());
            if settled && now.duration_since(last_change) >= quiet {
                return devices;
            }
            let wait = if settled {
                quiet.saturating_sub(now.duration_since(last_change))
            } else {
                Duration::from_millis(100)
            }
            .min(deadline.saturating_duration_since(now));
            match tokio::time::timeout(wait, updates.recv()).await {
                Ok(Ok(Update::Description(_) | Update::Status { .. })) => {
                    last_change = Instant::now();
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return self.devices(),
                _ => {}
            }
        }
    }

    /// Send `body` to `device`, waiting at most the request timeout, and take out of the
    /// response what `answer` picks; a response of another kind is
    /// [`RequestError::Unexpected`].
    async fn exchange<T>(
        &self,
        device: &DeviceAddr,
        body: Body,
        answer: impl FnOnce(Body) -> Result<T, Body>,
    ) -> Result<T, RequestError> {
        let response = self.request(device, body, self.request_timeout).await?;
        answer(response.body).map_err(|other| RequestError::Unexpected(other.kind().to_string()))
    }

    /// Send a request and wait for its response.
    pub async fn request(
        &self,
        device: &DeviceAddr,
        body: Body,
        timeout: Duration,
    ) -> Result<Message, RequestError> {
        let response = self
            .call(|reply| Command::Request {
                device: device.clone(),
                body,
                reply,
            })
            .await??;
        answer_within(response, timeout).await
    }

    /// Hand the runtime the command `make` builds around a reply channel, and take the reply.
    async fn call<R>(
        &self,
        make: impl FnOnce(oneshot::Sender<R>) -> Command,
    ) -> Result<R, RequestError> {
        let (reply, registered) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| RequestError::Stopped)?;
        registered.await.map_err(|_| RequestError::Stopped)
    }

    /// Read properties. Values that do not fit the device's description are refused
    /// ([`RequestError::Invalid`]); each result carries its own status.
    ///
    /// ```no_run
    /// # use hearth_mqtt::Controller;
    /// use hearth_model::{ids, Path, StatusCode};
    ///
    /// # async fn read(ctl: &Controller) -> Result<(), Box<dyn std::error::Error>> {
    /// let fan = "fff1/fan-1".parse()?;
    /// let level = Path::new(0, ids::cap::FAN_CONTROL, ids::fan_control::LEVEL);
    /// for r in ctl.read(&fan, vec![level]).await? {
    ///     match (r.status, r.value) {
    ///         (StatusCode::Success, Some(v)) => println!("{} = {v}", r.path),
    ///         (status, _) => println!("{}: {status}", r.path),
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn read(
        &self,
        device: &DeviceAddr,
        paths: Vec<Path>,
    ) -> Result<Vec<ReadResult>, RequestError> {
        let results = self
            .exchange(device, Body::Read(paths), response!(Body::ReadResponse))
            .await?;
        // Values that do not fit the device's description are refused (HRT-MSG-085).
        if let Some(desc) = self.device(device).and_then(|d| d.description) {
            check_read_results(&desc, &results)
                .map_err(|(path, e)| RequestError::Invalid(format!("{path}: {e}")))?;
        }
        Ok(results)
    }

    /// Write properties; one status per path. The device checks each value against its
    /// description (a setpoint outside its range is `constraint-error`).
    ///
    /// ```no_run
    /// # use hearth_mqtt::Controller;
    /// use hearth_model::{ids, Path, StatusCode, Value};
    ///
    /// # async fn write(ctl: &Controller) -> Result<(), Box<dyn std::error::Error>> {
    /// let fridge = "fff1/fridge-1".parse()?;
    /// // 4.00 °C in the fridge compartment (component 1): temperatures are in 0.01 °C.
    /// let setpoint = Path::new(1, ids::cap::TEMPERATURE_CONTROL, ids::temperature_control::SETPOINT);
    /// let results = ctl.write(&fridge, vec![(setpoint, Value::Int(400))]).await?;
    /// assert!(results.iter().all(|(_, s)| *s == StatusCode::Success));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn write(
        &self,
        device: &DeviceAddr,
        values: Vec<(Path, Value)>,
    ) -> Result<Vec<(Path, StatusCode)>, RequestError> {
        self.exchange(device, Body::Write(values), response!(Body::WriteResponse))
            .await
    }

    /// Invoke an action with arguments (a struct, or null).
    ///
    /// ```no_run
    /// # use hearth_mqtt::Controller;
    /// use hearth_model::{ids, Path, Value};
    ///
    /// # async fn invoke(ctl: &Controller) -> Result<(), Box<dyn std::error::Error>> {
    /// let fan = "fff1/fan-1".parse()?;
    /// let check = Path::new(0, ids::cap::FIRMWARE_UPDATE, ids::firmware_update::CHECK);
    /// let result = ctl.invoke(&fan, check, Value::Null).await?;
    /// println!("{}: {}", result.path, result.status);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn invoke(
        &self,
        device: &DeviceAddr,
        path: Path,
        args: Value,
    ) -> Result<InvokeResult, RequestError> {
        self.exchange(
            device,
            Body::Invoke { path, args },
            response!(Body::InvokeResponse),
        )
        .await
    }

    /// Windows seen, sessions begun and attempts ended, from now on.
    pub fn commission_events(&self) -> broadcast::Receiver<CommissionEvent> {
        self.commission_events.subscribe()
    }

    /// Commission the device `code` is for: wait for its window, attest it, run the key
    /// exchange (`spec/07-commissioning.md`); when this returns `Ok`, the device's ACL names
    /// this controller with `manage` (or what an enhanced window grants). Gives up after
    /// `timeout`, leaving a started session to the device's own timeout.
    pub async fn commission(
        &self,
        code: SetupCode,
        timeout: Duration,
    ) -> Result<Commissioned, RequestError> {
        let (outcome, _) = self.start_commission(code, false).await?;
        self.commission_outcome(outcome, timeout).await
    }

    /// [`commission`](Self::commission), asking `confirm` before the session completes:
    /// once the device has proved the passcode, `confirm` gets the device, its vendor (the
    /// address's vendor id) and the device type and model its certificate names, and only if
    /// it answers true does the device list this controller (HRT-COM-053, for a manual code,
    /// which names neither). `timeout` bounds each wait for the device, not the user's
    /// answer; the device gives the user its session timeout (60 s, HRT-COM-035).
    pub async fn commission_confirming<F, Fut>(
        &self,
        code: SetupCode,
        timeout: Duration,
        confirm: F,
    ) -> Result<Commissioned, RequestError>
    where
        F: FnOnce(Commissioned) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let (mut outcome, proving) = self.start_commission(code, true).await?;
        let proven = tokio::select! {
            proven = proving => proven,
            ended = &mut outcome => {
                return match ended {
                    Ok(done) => Ok(done?),
                    Err(_) => Err(RequestError::Stopped),
                };
            }
            () = tokio::time::sleep(timeout) => {
                let _ = self.tx.send(Command::CancelCommission).await;
                return Err(RequestError::Timeout(timeout));
            }
        };
        let accept = match proven {
            Ok(device) => confirm(device).await,
            Err(_) => return Err(RequestError::Stopped),
        };
        self.tx
            .send(Command::ConfirmCommission(accept))
            .await
            .map_err(|_| RequestError::Stopped)?;
        self.commission_outcome(outcome, timeout).await
    }

    async fn start_commission(
        &self,
        code: SetupCode,
        confirm: bool,
    ) -> Result<(Commissioning, Proving), RequestError> {
        let (reply, registered) = oneshot::channel();
        self.tx
            .send(Command::Commission {
                code,
                confirm,
                reply,
            })
            .await
            .map_err(|_| RequestError::Stopped)?;
        registered.await.map_err(|_| RequestError::Stopped)?
    }

    async fn commission_outcome(
        &self,
        outcome: Commissioning,
        timeout: Duration,
    ) -> Result<Commissioned, RequestError> {
        match tokio::time::timeout(timeout, outcome).await {
            Ok(Ok(done)) => Ok(done?),
            Ok(Err(_)) => Err(RequestError::Stopped),
            Err(_) => {
                let _ = self.tx.send(Command::CancelCommission).await;
                Err(RequestError::Timeout(timeout))
            }
        }
    }

    /// The device's access-control list and the most entries it supports (HRT-COM-061). A
    /// controller without `manage` gets no answer: [`RequestError::Timeout`].
    pub async fn acl(&self, device: &DeviceAddr) -> Result<AclReadResponse, RequestError> {
        self.exchange(device, Body::AclRead, response!(Body::AclReadResponse))
            .await
    }

    /// Change the device's access-control list, all operations or none (HRT-COM-062).
    pub async fn change_acl(
        &self,
        device: &DeviceAddr,
        operations: Vec<AclOperation>,
    ) -> Result<AclChangeResponse, RequestError> {
        self.exchange(
            device,
            Body::AclChange(operations),
            response!(Body::AclChangeResponse),
        )
        .await
    }

    /// Open an enhanced window on `device` for `duration` (180 to 900 s), admitting one more
    /// controller with `privilege` (multi-admin, `spec/07-commissioning.md` §9): the fresh
    /// setup payload to show the user, once the device has opened the window.
    pub async fn share(
        &self,
        device: &DeviceAddr,
        privilege: Privilege,
        duration: Duration,
    ) -> Result<SetupPayload, RequestError> {
        let (response, payload) = self
            .call(|reply| Command::Share {
                device: device.clone(),
                privilege,
                duration,
                reply,
            })
            .await??;
        let answer = answer_within(response, self.request_timeout).await?;
        match answer.body {
            Body::WindowControlResponse(StatusCode::Success) => Ok(payload),
            Body::WindowControlResponse(status) => Err(RequestError::Refused(status)),
            other => Err(RequestError::Unexpected(other.kind().to_string())),
        }
    }

    /// Close the device's open window (HRT-COM-027).
    pub async fn close_window(&self, device: &DeviceAddr) -> Result<(), RequestError> {
        let body = Body::WindowControl(WindowControl::Close);
        match self.request(device, body, self.request_timeout).await?.body {
            Body::WindowControlResponse(StatusCode::Success) => Ok(()),
            Body::WindowControlResponse(status) => Err(RequestError::Refused(status)),
            other => Err(RequestError::Unexpected(other.kind().to_string())),
        }
    }

    /// Disconnect and stop. Returns once the runtime has ended (the disconnect is waited for
    /// a bounded time), so that a controller started next on the same counter file never
    /// runs beside this one.
    pub async fn shutdown(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Command::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// Where the answer to one request goes: its response, or why it has none.
type Reply = oneshot::Sender<Result<Message, RequestError>>;

struct Runtime {
    core: SharedCore,
    client: AsyncClient,
    clock: Arc<dyn Clock>,
    updates: broadcast::Sender<Update>,
    commission_events: broadcast::Sender<CommissionEvent>,
    /// Who waits for the running commissioning attempt.
    commissioning: Option<oneshot::Sender<Result<Commissioned, CommissionError>>>,
    /// Who waits for the device of an attempt with confirmation.
    proving: Option<oneshot::Sender<Commissioned>>,
    share_iterations: u32,
    /// Who waits for the response to each outstanding request.
    replies: HashMap<u64, Reply>,
    /// Transmits the client has not taken yet, in order, with the request id of each request.
    outbox: Outbox<Option<u64>>,
    /// Request ids (or None) of the publishes the client took, in order, until the event loop
    /// writes them. Kept for a clean session only: there, what was not written when the
    /// connection is lost never will be. (A persistent session sends it again.)
    sent: VecDeque<Option<u64>>,
    clean: bool,
    connected: bool,
    /// How many outstanding requests make the next request sweep the map of replies.
    sweep_at: usize,
    /// Told when the broker first acknowledges the subscriptions (then `None`).
    subscribed: Option<oneshot::Sender<()>>,
}

/// The least number of outstanding requests at which the map of replies is swept.
const SWEEP_AT: usize = 64;

impl Runtime {
    /// Run `f` on the core, queue its transmits (tagged with what `tag` makes of its result),
    /// hand the client what it takes, and hand on what the core learnt.
    fn step<T>(
        &mut self,
        f: impl FnOnce(&mut Core) -> T,
        tag: impl FnOnce(&T) -> Option<u64>,
    ) -> T {
        let mut core = lock(&self.core);
        let out = f(&mut core);
        let tag = tag(&out);
        while let Some(transmit) = core.poll_transmit() {
            self.outbox.push(transmit, tag);
        }
        let (sent, clean, mut refused) = (&mut self.sent, self.clean, Vec::new());
        self.outbox.hand_over(
            &self.client,
            |_, tag| {
                if clean {
                    sent.push_back(tag);
                }
            },
            |tag, why| refused.extend(tag.map(|id| (id, why))),
        );
        for (id, why) in refused {
            core.forget_request(id);
            fail(&mut self.replies, id, RequestError::Publish(why));
        }
        while let Some(event) = core.poll_event() {
            match event {
                ControllerEvent::Update(update) => {
                    let _ = self.updates.send(update.with_requirement(str::to_owned));
                }
                ControllerEvent::Response {
                    request_id,
                    message,
                } => {
                    if let Some(reply) = self.replies.remove(&request_id) {
                        let _ = reply.send(Ok(message));
                    }
                }
                ControllerEvent::Commissioning(event) => {
                    if let CommissionEvent::Proven(device) = &event {
                        if let Some(waiting) = self.proving.take() {
                            let _ = waiting.send(device.clone());
                        }
                    }
                    if let CommissionEvent::Finished(outcome) = &event {
                        self.proving = None;
                        if let Some(reply) = self.commissioning.take() {
                            let _ = reply.send(outcome.clone());
                        }
                    }
                    let _ = self.commission_events.send(event);
                }
            }
        }
        out
    }

    /// Hand the client what waits in the outbox (the event loop has moved).
    fn hand_over(&mut self) {
        self.step(|_| (), |()| None);
    }

    async fn run(&mut self, mut driver: Driver, mut rx: mpsc::Receiver<Command>) {
        loop {
            // Every branch is cancel-safe: the event loop itself runs on the driver's task.
            tokio::select! {
                polled = driver.next() => match polled {
                    Some(Polled::Event(Event::Incoming(Packet::ConnAck(_)))) => {
                        self.connected = true;
                        self.step(Core::handle_connected, |()| None);
                    }
                    Some(Polled::Event(Event::Incoming(Packet::SubAck(_)))) => {
                        if let Some(subscribed) = self.subscribed.take() {
                            let _ = subscribed.send(());
                        }
                        self.hand_over();
                    }
                    Some(Polled::Event(Event::Incoming(Packet::Publish(p)))) => {
                        let now = self.clock.now();
                        self.step(
                            |core| core.handle_publish(now, &p.topic, &p.payload, p.retain),
                            |()| None,
                        );
                    }
                    Some(Polled::Event(Event::Outgoing(Outgoing::Publish(_)))) => {
                        if self.clean {
                            self.sent.pop_front();
                        }
                        self.hand_over();
                    }
                    Some(Polled::Event(_)) => self.hand_over(),
                    Some(Polled::Lost { error, resume }) => {
                        if self.connected {
                            tracing::warn!("controller connection: {error}");
                        }
                        self.on_lost();
                        let _ = resume.send(None);
                    }
                    None => return,
                },
                cmd = rx.recv() => match cmd {
                    Some(Command::Request { device, body, reply }) => {
                        let sent = self.send_with(|core, now| Ok((core.request(now, device, body)?, ())));
                        let _ = reply.send(sent.map(|(response, ())| response));
                    }
                    Some(Command::Share { device, privilege, duration, reply }) => {
                        let _ = reply.send(self.send_share(device, privilege, duration));
                    }
                    Some(Command::Commission { code, confirm, reply }) => {
                        let _ = reply.send(self.start_commissioning(code, confirm));
                    }
                    Some(Command::ConfirmCommission(accept)) => {
                        let now = self.clock.now();
                        self.step(|core| core.confirm_commissioning(now, accept), |()| None);
                    }
                    Some(Command::CancelCommission) => {
                        self.commissioning = None;
                        self.proving = None;
                        lock(&self.core).cancel_commissioning();
                    }
                    Some(Command::Shutdown(done)) => {
                        self.shutdown(driver).await;
                        let _ = done.send(());
                        return;
                    }
                    None => return,
                },
            }
        }
    }

    /// The connection is gone: requests that did not go out on it fail to their callers.
    fn on_lost(&mut self) {
        self.connected = false;
        let mut lost = self.outbox.clear();
        lost.extend(self.sent.drain(..));
        let mut core = lock(&self.core);
        for id in lost.into_iter().flatten() {
            core.forget_request(id);
            fail(&mut self.replies, id, RequestError::Disconnected);
        }
    }

    /// Disconnect in an orderly way, then stop the event loop.
    async fn shutdown(&mut self, driver: Driver) {
        if self.connected {
            self.step(Core::shutdown, |()| None);
            driver
                .finish(Duration::from_millis(500), || self.hand_over())
                .await;
        } else {
            driver.stop().await;
        }
    }

    /// Ask the core for an enhanced window: the response to wait for, and the payload.
    fn send_share(
        &mut self,
        device: DeviceAddr,
        privilege: Privilege,
        duration: Duration,
    ) -> Result<(Response, SetupPayload), RequestError> {
        let iterations = self.share_iterations;
        let rng = ring::rand::SystemRandom::new();
        self.send_with(|core, now| {
            core.open_enhanced_window(now, device, (privilege, duration, iterations), &rng)
                .map_err(|e| match e {
                    ShareError::Seal(e) => RequestError::Seal(e),
                    other => RequestError::Share(other.to_string()),
                })
        })
    }

    /// Start a commissioning attempt in the core: where its outcome will come.
    fn start_commissioning(
        &mut self,
        code: SetupCode,
        confirm: bool,
    ) -> Result<(Commissioning, Proving), RequestError> {
        if !self.connected {
            return Err(RequestError::Disconnected);
        }
        let now = self.clock.now();
        let rng = Arc::new(ring::rand::SystemRandom::new());
        // Registered first: the core may end the attempt at once (a QR text of another
        // device), and the step hands that on.
        let (reply, outcome) = oneshot::channel();
        let (proven, proving) = oneshot::channel();
        let previous = self.commissioning.replace(reply);
        let previous_proving = self.proving.replace(proven);
        match self.step(
            |core| core.commission_with(now, code, rng, confirm),
            |_| None,
        ) {
            Ok(()) => Ok((outcome, proving)),
            Err(err) => {
                self.commissioning = previous;
                self.proving = previous_proving;
                Err(err.into())
            }
        }
    }

    /// Make a request with `make` (which returns its id and whatever else the caller wants),
    /// register who waits for its response and hand it to the client.
    fn send_with<T>(
        &mut self,
        make: impl FnOnce(&mut Core, hearth_node::Time) -> Result<(u64, T), RequestError>,
    ) -> Result<(Response, T), RequestError> {
        if !self.connected {
            return Err(RequestError::Disconnected);
        }
        let now = self.clock.now();
        let mut core = lock(&self.core);
        if self.replies.len() >= self.sweep_at {
            // Forget requests nobody waits for any more, and those the core gave up; swept
            // when the map has doubled, so a burst of requests costs no more than its size.
            let closed: Vec<u64> = self
                .replies
                .iter()
                .filter(|(_, r)| r.is_closed())
                .map(|(id, _)| *id)
                .collect();
            for id in &closed {
                core.forget_request(*id);
            }
            self.replies.retain(|id, _| core.is_pending(*id));
            self.sweep_at = (2 * self.replies.len()).max(SWEEP_AT);
        }
        let (request_id, extra) = make(&mut core, now)?;
        drop(core);
        // Registered before the publish is handed over, so that a refusal reaches the caller.
        let (reply, response) = oneshot::channel();
        self.replies.insert(request_id, reply);
        self.step(|_| request_id, |id| Some(*id));
        Ok((response, extra))
    }
}

/// Tell the caller waiting for request `id`, if any, why it gets no response.
fn fail(replies: &mut HashMap<u64, Reply>, id: u64, why: RequestError) {
    if let Some(reply) = replies.remove(&id) {
        let _ = reply.send(Err(why));
    }
}

/// Whether a failed first connection cannot succeed by trying again: the connection was
/// refused (no listener on that port) or the broker refused the client in its CONNACK.
fn refused_for_good(err: &rumqttc::ConnectionError) -> bool {
    match err {
        rumqttc::ConnectionError::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
        rumqttc::ConnectionError::ConnectionRefused(_) => true,
        _ => false,
    }
}
