//! Commissioning on the commissioner's side (`spec/07-commissioning.md` §7.1): from a setup
//! code to a device whose ACL names this controller.
//!
//! **The flow.** [`ControllerCore::commission`] takes a parsed [`SetupCode`] and looks among
//! the windows the controller has seen (`R/d/+/+/window`, retained) for a device in
//! commissioning whose discriminator matches the code — all twelve bits for a QR text, the
//! four high bits for a manual code (HRT-COM-052). The device's `window` message was opened
//! like any device message, so its chain is validated against the controller's trust store
//! and its leaf is the device of the topic (HRT-COM-050); for a QR text the certificate's
//! vendor id and device type must also be the payload's (HRT-COM-051). The commissioner
//! derives `w0` and `w1` from the passcode with the window's salt and iterations, binds both
//! chains, the PBKDF parameters and both leaf key ids into the context (HRT-COM-038,
//! HRT-COM-039), and sends `pake-start` with its chain ending in its root (HRT-COM-046). It
//! accepts the device's answers only from the leaf key it bound (HRT-COM-054), checks
//! `confirmV` before it sends `confirmP`, and sends an abort instead when the check fails
//! (HRT-COM-034). The attempt ends with the device's `commission-result`.
//!
//! With a manual code several devices may match: a candidate whose session fails is set aside
//! and the next tried (§7.1), and the attempt fails once none is left. While no candidate is
//! known the attempt waits for a window; how long is the shell's business
//! ([`ControllerCore::cancel_commissioning`]).
//!
//! A manager admits a second controller with [`ControllerCore::open_enhanced_window`]: a
//! fresh passcode, salt and discriminator (HRT-COM-070), whose verifier record goes to the
//! device and whose setup payload goes to the user.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hearth_model::setup::{SetupCode, SetupError, SetupPayload, MAX_DISCRIMINATOR, MAX_PASSCODE};
use hearth_model::{Catalog, Privilege, StatusCode};
use hearth_security::cert::Certificate;
use hearth_security::key::KeyId;
use hearth_security::pake::{
    CommissioningSession, Context, PakeError, Prover, ProverSecret, CONFIRM_LEN,
};
use hearth_security::pki::SecureRandom;
use hearth_security::replay::CounterStore;
use hearth_wire::commissioning::{
    Confirmation, EnhancedWindow, OpenWindow, PakeAbort, PakeConfirm, Share, VerifierBytes,
    WindowControl, WindowParams, WindowState, RECORD_LEN,
};
use hearth_wire::{Body, Envelope, Message, Opened, SealError};

use crate::controller::{ControllerCore, ControllerEvent};
use crate::time::Time;
use crate::topic::{Channel, DeviceAddr, Topics};
use crate::transmit::Transmit;

/// What happened to a commissioning attempt, or to a window the controller watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommissionEvent {
    /// A device announced its window, open or closed.
    Window {
        /// The device.
        addr: DeviceAddr,
        /// Its window now.
        window: WindowState,
    },
    /// A session with this device began: its `pake-start` is queued.
    Started(DeviceAddr),
    /// The device proved the passcode (its `confirmV` matched) and is certified as this; the
    /// attempt, started with `confirm`, waits for
    /// [`ControllerCore::confirm_commissioning`] before it completes the session
    /// (HRT-COM-053).
    Proven(Commissioned),
    /// The attempt ended.
    Finished(Result<Commissioned, CommissionError>),
}

/// A device commissioned: its ACL now names this controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commissioned {
    /// The device.
    pub addr: DeviceAddr,
    /// The device type its attested certificate names.
    pub device_type: Option<String>,
    /// The model its attested certificate names.
    pub model: Option<String>,
}

/// Why a commissioning attempt did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommissionError {
    /// Another attempt is running.
    #[error("a commissioning attempt is running already")]
    Busy,
    /// The controller's chain does not end below a root of its own trust store, so it cannot
    /// send the chain ending with its root that HRT-COM-046 asks for.
    #[error("the controller's root certificate is not in its trust store")]
    NoRoot,
    /// The device's certificate names another vendor or device type than the QR text
    /// (HRT-COM-051).
    #[error("{addr} is certified as {certified}, the setup code is for {expected}")]
    NotTheDevice {
        /// The device.
        addr: DeviceAddr,
        /// What its certificate says.
        certified: String,
        /// What the setup code says.
        expected: String,
    },
    /// `confirmV` did not match: a wrong passcode, or a device that is not the one the code
    /// is for. The session was aborted (HRT-COM-034).
    #[error("{addr} did not confirm the passcode (wrong code?); {} attempts left", left(*.sessions_left))]
    WrongPasscode {
        /// The device.
        addr: DeviceAddr,
        /// What its window still admits, as its `commission-result` said.
        sessions_left: Option<u8>,
    },
    /// The device's share was refused (HRT-COM-033).
    #[error("{addr} sent a share that is refused: {reason}")]
    RefusedShare {
        /// The device.
        addr: DeviceAddr,
        /// Why.
        reason: PakeError,
    },
    /// The device ended the session with this status (Table 5 of the chapter).
    #[error("{addr} answered {status:?}; {} attempts left", left(*.sessions_left))]
    Refused {
        /// The device.
        addr: DeviceAddr,
        /// Its status.
        status: StatusCode,
        /// What its window still admits.
        sessions_left: Option<u8>,
    },
    /// The key exchange could not be set up (the window's parameters).
    #[error("key exchange: {0}")]
    Pake(PakeError),
    /// A message could not be sealed.
    #[error("sealing: {0}")]
    Seal(String),
    /// The user did not confirm the device the code led to (HRT-COM-053); no `confirmP` was
    /// sent, so the device's ACL is unchanged and its session ends at its timeout.
    #[error("{addr} was not confirmed; it is not commissioned")]
    Declined {
        /// The device.
        addr: DeviceAddr,
    },
}

fn left(n: Option<u8>) -> String {
    n.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
}

/// Why an enhanced window could not be asked for.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// The device's description is not known yet (its device type goes into the payload).
    #[error("no description of {0} known yet")]
    UnknownDevice(DeviceAddr),
    /// The privilege is not operate or manage, or the duration is outside 180 to 900 s.
    #[error("{0}")]
    Invalid(&'static str),
    /// The random generator or the derivation failed.
    #[error("key derivation: {0}")]
    Pake(#[from] PakeError),
    /// The payload could not be made.
    #[error("setup payload: {0}")]
    Setup(#[from] SetupError),
    /// The request could not be sealed.
    #[error("sealing: {0}")]
    Seal(#[from] SealError),
}

/// A window as the controller last saw it, with the chain its message carried (bound into a
/// session's context, HRT-COM-038).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenWindow {
    pub(crate) open: OpenWindow,
    pub(crate) chain: Vec<Vec<u8>>,
    pub(crate) device_key: KeyId,
}

/// A running attempt.
pub(crate) struct Attempt {
    code: SetupCode,
    rng: Arc<dyn SecureRandom + Send + Sync>,
    tried: BTreeSet<DeviceAddr>,
    session: Option<Session>,
    last_failure: Option<CommissionError>,
    /// Wait for the user's confirmation before completing a session (HRT-COM-053).
    confirm: bool,
}

/// The session with one candidate.
struct Session {
    addr: DeviceAddr,
    request_id: u64,
    device_key: KeyId,
    prover: Prover,
    /// Sent `pake-start`; sent `confirmP`; or sent an abort for this reason.
    step: Step,
    certified: (Option<String>, Option<String>),
}

enum Step {
    Started,
    /// `confirmV` matched; `confirmP` waits for the user (HRT-COM-053).
    Proven([u8; CONFIRM_LEN]),
    Confirmed,
    Aborted(CommissionError),
}

impl fmt::Debug for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attempt")
            .field("tried", &self.tried)
            .finish_non_exhaustive()
    }
}

/// How many PBKDF2 iterations [`ControllerCore::open_enhanced_window`] asks for by default:
/// the most allowed, since the temporary record crosses the broker (chapter 7 §13).
pub const ENHANCED_ITERATIONS: u32 = 100_000;

impl<S: CounterStore> ControllerCore<S> {
    /// Commission the device `code` is for: wait for a matching window if none is known,
    /// then run the session; the outcome comes as [`CommissionEvent::Finished`]. Scalars and
    /// nothing else come from `rng` (HRT-COM-036).
    pub fn commission(
        &mut self,
        now: Time,
        code: SetupCode,
        rng: Arc<dyn SecureRandom + Send + Sync>,
    ) -> Result<(), CommissionError> {
        self.commission_with(now, code, rng, false)
    }

    /// [`commission`](Self::commission), and with `confirm` the session waits, once the
    /// device has proved the passcode, for the user to confirm the vendor and device type it
    /// is certified with ([`CommissionEvent::Proven`], then
    /// [`confirm_commissioning`](Self::confirm_commissioning)): what a commissioner does for
    /// a manual code, which names neither (HRT-COM-053).
    pub fn commission_with(
        &mut self,
        now: Time,
        code: SetupCode,
        rng: Arc<dyn SecureRandom + Send + Sync>,
        confirm: bool,
    ) -> Result<(), CommissionError> {
        if self.attempt.is_some() {
            return Err(CommissionError::Busy);
        }
        self.own_root()?;
        self.attempt = Some(Attempt {
            code,
            rng,
            tried: BTreeSet::new(),
            session: None,
            last_failure: None,
            confirm,
        });
        self.try_next(now);
        Ok(())
    }

    /// The user's answer to [`CommissionEvent::Proven`]: with `accept`, send `confirmP` and
    /// complete the session; without, end the attempt with [`CommissionError::Declined`].
    /// Nothing happens unless a session waits for it.
    pub fn confirm_commissioning(&mut self, now: Time, accept: bool) {
        let Some(session) = self.attempt.as_mut().and_then(|a| a.session.as_mut()) else {
            return;
        };
        let Step::Proven(confirm_p) = session.step else {
            return;
        };
        let (addr, request_id) = (session.addr.clone(), session.request_id);
        if !accept {
            return self.finish(Err(CommissionError::Declined { addr }));
        }
        session.step = Step::Confirmed;
        self.send_confirm(
            now,
            &addr,
            request_id,
            PakeConfirm::Confirm(Confirmation(confirm_p)),
        );
    }

    /// Send the `pake-confirm` of the running session, with the chain ending in the root.
    fn send_confirm(&mut self, now: Time, addr: &DeviceAddr, request_id: u64, body: PakeConfirm) {
        let chain = match self.own_root() {
            Ok(root) => {
                let mut chain = self.chain.clone();
                if chain.last() != Some(&root) {
                    chain.push(root);
                }
                chain
            }
            Err(err) => return self.session_failed(now, err),
        };
        let confirm = Body::PakeConfirm(body);
        if let Err(err) = self.send_session(now, addr, request_id, confirm, chain) {
            self.session_failed(now, err);
        }
    }

    /// Give up the running attempt, if any (the shell's timeout). A session already started
    /// is left to the device's timeout (HRT-COM-035).
    pub fn cancel_commissioning(&mut self) {
        self.attempt = None;
    }

    /// Whether an attempt is running.
    pub fn is_commissioning(&self) -> bool {
        self.attempt.is_some()
    }

    /// Ask `device`, which this controller manages, to open an enhanced window for `duration`
    /// whose commissioner gets `privilege` (HRT-COM-023, HRT-COM-074). The passcode, salt and
    /// discriminator are fresh from `rng` (HRT-COM-070), the record is derived with
    /// `iterations`; the device never learns the passcode. Returns the request id (its
    /// `window-control-response` says whether the window opened) and the setup payload to
    /// show the user.
    pub fn open_enhanced_window(
        &mut self,
        now: Time,
        device: DeviceAddr,
        window: (Privilege, Duration, u32),
        rng: &dyn SecureRandom,
    ) -> Result<(u64, SetupPayload), ShareError> {
        let (privilege, duration, iterations) = window;
        let device_type = self
            .device(&device)
            .and_then(|v| v.description.as_ref())
            .map(|d| d.device_type)
            .ok_or_else(|| ShareError::UnknownDevice(device.clone()))?;
        if privilege == Privilege::View {
            return Err(ShareError::Invalid("the privilege is operate or manage"));
        }
        let secs = u16::try_from(duration.as_secs()).unwrap_or(u16::MAX);
        if !(hearth_wire::commissioning::MIN_WINDOW_SECS
            ..=hearth_wire::commissioning::MAX_WINDOW_SECS)
            .contains(&secs)
        {
            return Err(ShareError::Invalid("a window lasts 180 to 900 seconds"));
        }
        let (request, payload) = enhanced_window(
            device.vendor_id,
            device_type,
            (privilege, secs, iterations),
            rng,
        )?;
        let body = Body::WindowControl(WindowControl::Open(Box::new(request)));
        let id = self.request(now, device, body)?;
        Ok((id, payload))
    }

    /// The root certificate that anchors the controller's own chain.
    fn own_root(&self) -> Result<Vec<u8>, CommissionError> {
        let last = self.chain.last().ok_or(CommissionError::NoRoot)?;
        let cert = Certificate::from_bytes(last).map_err(|_| CommissionError::NoRoot)?;
        if cert.is_self_signed() {
            return Ok(last.clone());
        }
        let root = self.endpoint.receiver.trust().get(cert.issuer_kid());
        root.map(|r| r.as_bytes().to_vec())
            .ok_or(CommissionError::NoRoot)
    }

    /// A device's window changed: remember it, say so, and let a waiting attempt look again.
    pub(crate) fn on_window(
        &mut self,
        now: Time,
        addr: DeviceAddr,
        window: WindowState,
        chain: Vec<Vec<u8>>,
        device_key: KeyId,
    ) {
        if let Some(view) = self.devices.get_mut(&addr) {
            view.window = match &window {
                WindowState::Open(open) => Some(SeenWindow {
                    open: open.clone(),
                    chain,
                    device_key,
                }),
                WindowState::Closed => None,
            };
        }
        self.events
            .push_back(ControllerEvent::Commissioning(CommissionEvent::Window {
                addr,
                window,
            }));
        if self.attempt.as_ref().is_some_and(|a| a.session.is_none()) {
            self.try_next(now);
        }
    }

    /// Start a session with the next candidate, or end the attempt if every candidate has
    /// failed; with none known yet, wait.
    fn try_next(&mut self, now: Time) {
        loop {
            let Some(attempt) = self.attempt.as_mut() else {
                return;
            };
            let code = attempt.code;
            let candidate = self
                .devices
                .values()
                .filter(|v| !attempt.tried.contains(&v.addr))
                .find_map(|v| {
                    let w = v.window.as_ref()?;
                    // HRT-COM-052: the discriminator first, before anything is sent.
                    code.matches_discriminator(w.open.params.discriminator)
                        .then(|| {
                            (
                                v.addr.clone(),
                                w.clone(),
                                v.device_type.clone(),
                                v.model.clone(),
                            )
                        })
                });
            let Some((addr, window, device_type, model)) = candidate else {
                if let Some(failure) = attempt.last_failure.take() {
                    self.finish(Err(failure));
                }
                return;
            };
            attempt.tried.insert(addr.clone());
            if let Some(mismatch) = not_the_device(&code, &addr, device_type.as_deref()) {
                attempt.last_failure = Some(mismatch);
                continue;
            }
            match self.start_session(now, &addr, &window, (device_type, model)) {
                Ok(()) => {
                    let started = CommissionEvent::Started(addr);
                    self.events
                        .push_back(ControllerEvent::Commissioning(started));
                    return;
                }
                Err(err) => {
                    if let Some(a) = self.attempt.as_mut() {
                        a.last_failure = Some(err);
                    }
                }
            }
        }
    }

    fn start_session(
        &mut self,
        now: Time,
        addr: &DeviceAddr,
        window: &SeenWindow,
        certified: (Option<String>, Option<String>),
    ) -> Result<(), CommissionError> {
        let root = self.own_root()?;
        let mut chain = self.chain.clone();
        if chain.last() != Some(&root) {
            chain.push(root);
        }
        let Some(attempt) = self.attempt.as_mut() else {
            return Ok(());
        };
        let params = &window.open.params;
        let secret = ProverSecret::from_passcode(
            attempt.code.passcode().value(),
            &params.salt,
            params.iterations,
        )
        .map_err(CommissionError::Pake)?;
        let context = Context::commissioning(&CommissioningSession {
            commissioner_chain: &chain,
            device_chain: &window.chain,
            discriminator: params.discriminator,
            salt: &params.salt,
            iterations: params.iterations,
            commissioner_key: self.endpoint.sender.key_id(),
            device_key: window.device_key,
        })
        .map_err(CommissionError::Pake)?;
        let mut prover = Prover::new(&secret, context);
        let share = prover
            .start(attempt.rng.as_ref())
            .map_err(CommissionError::Pake)?;
        self.next_request = self.next_request.wrapping_add(1);
        let request_id = self.next_request;
        attempt.session = Some(Session {
            addr: addr.clone(),
            request_id,
            device_key: window.device_key,
            prover,
            step: Step::Started,
            certified,
        });
        self.send_session(now, addr, request_id, Body::PakeStart(Share(share)), chain)
    }

    /// Seal a session message to `addr`'s commission topic, carrying `chain`.
    fn send_session(
        &mut self,
        now: Time,
        addr: &DeviceAddr,
        request_id: u64,
        body: Body,
        chain: Vec<Vec<u8>>,
    ) -> Result<(), CommissionError> {
        let rel = Topics::device_rel(addr, Channel::Commission);
        let envelope = Envelope {
            request_id: Some(request_id),
            target: Some(addr.device_id.clone()),
            time_ms: Some(now.unix_ms()),
            with_chain: true,
        };
        let sender = &mut self.endpoint.sender;
        let sealed = sender.message(body, &envelope).and_then(|msg| {
            let msg = Message { chain, ..msg };
            sender.seal_message(&msg, &rel)
        });
        let payload = sealed.map_err(|e| CommissionError::Seal(e.to_string()))?;
        let topic = self.endpoint.topics.full(&rel);
        self.endpoint
            .push(Transmit::Publish(crate::transmit::Publish {
                topic,
                payload,
                retain: false,
                ack: None,
            }));
        Ok(())
    }

    /// Whether `msg` answers the running session: then it is taken here.
    pub(crate) fn is_session_message(&self, msg: &Message) -> bool {
        let session = self.attempt.as_ref().and_then(|a| a.session.as_ref());
        session.is_some_and(|s| Some(s.request_id) == msg.request_id)
    }

    /// A response to the running session, opened on the own response topic.
    pub(crate) fn on_session_message(&mut self, now: Time, topic: &str, opened: Opened) {
        let Some(session) = self.attempt.as_mut().and_then(|a| a.session.as_mut()) else {
            return;
        };
        // Only the leaf key bound into the context speaks for the device (HRT-COM-054).
        let leaf = &opened.peer.chain.leaf;
        let from_device = opened.peer.chain.leaf_kid == session.device_key
            && leaf.subject == session.addr.device_id
            && leaf.vendor_id == Some(session.addr.vendor_id);
        if !from_device {
            let reason = format!(
                "a session answer signed by {}, not the device",
                leaf.subject
            );
            return self.reject(topic, reason, "HRT-COM-054");
        }
        let addr = session.addr.clone();
        let request_id = session.request_id;
        let wait_for_user = self.attempt.as_ref().is_some_and(|a| a.confirm);
        let Some(session) = self.attempt.as_mut().and_then(|a| a.session.as_mut()) else {
            return;
        };
        match (opened.message.body, &session.step) {
            (Body::PakeResponse(r), Step::Started) => {
                let (body, step) = match session.prover.receive_share(&r.share.0) {
                    Err(reason) => (
                        PakeConfirm::Abort(PakeAbort::RefusedShare),
                        Step::Aborted(CommissionError::RefusedShare {
                            addr: addr.clone(),
                            reason,
                        }),
                    ),
                    // confirmV before confirmP (HRT-COM-034).
                    Ok(()) => match session.prover.finish(&r.confirm.0) {
                        Ok((confirm_p, _shared)) => (
                            PakeConfirm::Confirm(Confirmation(confirm_p)),
                            Step::Confirmed,
                        ),
                        Err(_) => (
                            PakeConfirm::Abort(PakeAbort::ConfirmationMismatch),
                            Step::Aborted(CommissionError::WrongPasscode {
                                addr: addr.clone(),
                                sessions_left: None,
                            }),
                        ),
                    },
                };
                match (body, wait_for_user) {
                    (PakeConfirm::Confirm(confirm_p), true) => {
                        session.step = Step::Proven(confirm_p.0);
                        let proven = Commissioned {
                            addr,
                            device_type: session.certified.0.clone(),
                            model: session.certified.1.clone(),
                        };
                        self.events.push_back(ControllerEvent::Commissioning(
                            CommissionEvent::Proven(proven),
                        ));
                    }
                    (body, _) => {
                        session.step = step;
                        self.send_confirm(now, &addr, request_id, body);
                    }
                }
            }
            (Body::CommissionResult(result), _) => {
                let Some(session) = self.attempt.as_mut().and_then(|a| a.session.take()) else {
                    return;
                };
                let outcome = match (session.step, result.status) {
                    (Step::Confirmed, StatusCode::Success) => Ok(Commissioned {
                        addr,
                        device_type: session.certified.0,
                        model: session.certified.1,
                    }),
                    (Step::Aborted(CommissionError::WrongPasscode { addr, .. }), _) => {
                        Err(CommissionError::WrongPasscode {
                            addr,
                            sessions_left: result.sessions_left,
                        })
                    }
                    (Step::Aborted(err), _) => Err(err),
                    (_, status) => Err(CommissionError::Refused {
                        addr,
                        status,
                        sessions_left: result.sessions_left,
                    }),
                };
                match outcome {
                    Ok(done) => self.finish(Ok(done)),
                    Err(err) => self.session_failed(now, err),
                }
            }
            (body, _) => {
                let reason = format!("a {} does not answer this session now", body.kind());
                self.reject(topic, reason, "HRT-MSG-084");
            }
        }
    }

    /// The session failed: try the next candidate, or end with this failure.
    fn session_failed(&mut self, now: Time, err: CommissionError) {
        if let Some(a) = self.attempt.as_mut() {
            a.session = None;
            a.last_failure = Some(err);
        }
        self.try_next(now);
    }

    fn finish(&mut self, outcome: Result<Commissioned, CommissionError>) {
        self.attempt = None;
        self.events
            .push_back(ControllerEvent::Commissioning(CommissionEvent::Finished(
                outcome,
            )));
    }
}

/// HRT-COM-051: with a QR text, the certificate's vendor id and device type must be the
/// payload's. A manual code carries neither.
fn not_the_device(
    code: &SetupCode,
    addr: &DeviceAddr,
    certified_type: Option<&str>,
) -> Option<CommissionError> {
    let SetupCode::Qr(payload) = code else {
        return None;
    };
    let expected_type = Catalog::standard()
        .device_type(payload.device_type())
        .map(|d| d.name.as_str());
    if addr.vendor_id == payload.vendor_id()
        && certified_type.is_some()
        && certified_type == expected_type
    {
        return None;
    }
    Some(CommissionError::NotTheDevice {
        addr: addr.clone(),
        certified: format!(
            "{} of vendor {:04x}",
            certified_type.unwrap_or("no device type"),
            addr.vendor_id
        ),
        expected: format!(
            "{} of vendor {:04x}",
            expected_type.unwrap_or("an unknown device type"),
            payload.vendor_id()
        ),
    })
}

/// A fresh setup payload for a device of `vendor_id` and `device_type` (catalog id), and a
/// salt of 32 bytes for its verifier record: passcode, discriminator and salt drawn from
/// `rng` (HRT-COM-004, HRT-COM-037, HRT-COM-070), the passcode uniformly among the valid ones
/// (HRT-COM-003). What a factory prints on a label, and what multi-admin shows the user.
pub fn fresh_setup(
    vendor_id: u16,
    device_type: u16,
    rng: &dyn SecureRandom,
) -> Result<(SetupPayload, Vec<u8>), ShareError> {
    let random = |buf: &mut [u8]| rng.fill(buf).map_err(|_| PakeError::Random);
    let mut salt = vec![0u8; 32];
    random(&mut salt)?;
    let mut two = [0u8; 2];
    random(&mut two)?;
    let discriminator = u16::from_be_bytes(two) & MAX_DISCRIMINATOR;
    // Rejection sampling below the largest multiple of the range keeps the draw unbiased.
    const RANGE: u32 = MAX_PASSCODE;
    let passcode = loop {
        let mut four = [0u8; 4];
        random(&mut four)?;
        let n = u32::from_be_bytes(four);
        if n >= u32::MAX - u32::MAX % RANGE {
            continue;
        }
        if let Ok(p) = hearth_model::setup::Passcode::new(n % RANGE + 1) {
            break p;
        }
    };
    let payload = SetupPayload::new(vendor_id, device_type, discriminator, passcode.value())?;
    Ok((payload, salt))
}

/// A fresh enhanced window for a device of `vendor_id` and `device_type` (catalog id):
/// [`fresh_setup`]'s payload and salt, the verifier record derived with `iterations`; the
/// request for the device and the payload for the user.
pub fn enhanced_window(
    vendor_id: u16,
    device_type: u16,
    (privilege, duration, iterations): (Privilege, u16, u32),
    rng: &dyn SecureRandom,
) -> Result<(EnhancedWindow, SetupPayload), ShareError> {
    let (payload, salt) = fresh_setup(vendor_id, device_type, rng)?;
    let secret = ProverSecret::from_passcode(payload.passcode().value(), &salt, iterations)?;
    let record = secret.verifier_record().to_bytes();
    let mut bytes = [0u8; RECORD_LEN];
    bytes.copy_from_slice(&record[..]);
    let request = EnhancedWindow {
        params: WindowParams {
            discriminator: payload.discriminator(),
            salt,
            iterations,
        },
        verifier: VerifierBytes(bytes),
        duration,
        privilege,
    };
    Ok((request, payload))
}
