//! Commissioning on the device's side (`spec/07-commissioning.md`): the commissioning window,
//! the SPAKE2+ verifier session carried in `pake-start` / `pake-response` / `pake-confirm` /
//! `commission-result` on the device's commission topic, what a confirmed session binds, the
//! manager's `acl-read`, `acl-change` and `window-control` requests, and the factory reset.
//!
//! **The window.** At most one is open. A basic window uses the factory's verifier record and
//! opens when a factory-new device first connects after power-on (HRT-COM-021) or on the
//! local button ([`DeviceCore::open_window`], HRT-COM-022); an enhanced window uses the
//! temporary record of a manager's `window-control` (HRT-COM-023). A window closes when a
//! session in it succeeds (HRT-COM-025), after [`MAX_FAILED_SESSIONS`] failed ones
//! (HRT-COM-024), at its deadline (HRT-COM-026), when a manager closes it (HRT-COM-027) and
//! on a factory reset; an enhanced window's record goes with it (HRT-COM-073). The device
//! announces every change, retained, on its window topic, and the state once more on every
//! connection (HRT-COM-043).
//!
//! **A session.** One at a time (HRT-COM-029). A `pake-start` is opened with the trust
//! anchors plus the root its chain ends with, for that message alone (HRT-COM-047); a chain
//! that fails, or a leaf that is no controller, is dropped unanswered (HRT-COM-059). The
//! context binds both chains, the discriminator, the salt and the iterations (HRT-COM-038),
//! the identities are both leaf key ids (HRT-COM-039). The device answers `shareV` and
//! `confirmV` and waits [`SESSION_TIMEOUT`] for the `pake-confirm` of the same request id
//! from the same key (HRT-COM-035). A correct `confirmP` adds the commissioner's key to the
//! ACL with `manage` (or an enhanced window's privilege) and its root to the trust store, as
//! one change, and closes the window (HRT-COM-055); anything else changes none of them
//! (HRT-COM-056) and costs the window a session.
//!
//! Time comes in as `now`, and the verifier's random scalar from the generator of the
//! [`CommissioningSettings`]: no clock and no I/O here either.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hearth_model::setup::{Passcode, SetupPayload};
use hearth_model::{Privilege, StatusCode};
use hearth_security::access::AccessState;
use hearth_security::acl::{Acl, AclEntry, AclSubject};
use hearth_security::cert::{Certificate, Role};
use hearth_security::key::KeyId;
use hearth_security::pake::{
    CommissioningSession, Context, PakeError, ProverSecret, Verifier, VerifierRecord,
};
use hearth_security::peers::Peer;
use hearth_security::pki::{SecureRandom, SystemRandom};
use hearth_security::replay::CounterStore;
use hearth_wire::commissioning::{
    AclChangeResponse, AclOperation, AclReadResponse, CommissionResult, Confirmation,
    EnhancedWindow, OpenWindow, PakeConfirm, PakeResponse, Share, WindowControl, WindowParams,
    WindowState, WindowType, MAX_SESSIONS, MAX_WINDOW_SECS, MIN_WINDOW_SECS,
};
use hearth_wire::{Body, Message};

use super::{with_chain, DeviceCore, Handler};
use crate::fault::FaultInjection;
use crate::time::Time;
use crate::topic::Channel;

/// Failed sessions after which a window closes (HRT-COM-024).
pub const MAX_FAILED_SESSIONS: u8 = MAX_SESSIONS;

/// How long a device waits for the `pake-confirm` after its `pake-response` (HRT-COM-035).
pub const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// The shortest window (HRT-COM-019).
pub const MIN_WINDOW: Duration = Duration::from_secs(MIN_WINDOW_SECS as u64);

/// The longest window (HRT-COM-026).
pub const MAX_WINDOW: Duration = Duration::from_secs(MAX_WINDOW_SECS as u64);

/// What a device keeps from the factory to be commissioned, and how it runs its windows.
///
/// The device keeps the verifier record, never the passcode (HRT-COM-032); a factory or a
/// simulator that has the passcode makes the record with
/// [`from_passcode`](Self::from_passcode).
#[derive(Clone)]
pub struct CommissioningSettings {
    /// The discriminator, salt and iteration count of the factory's verifier record.
    pub params: WindowParams,
    /// The factory's verifier record `(w0, L)`.
    pub record: VerifierRecord,
    /// How long a basic window stays open, within [`MIN_WINDOW`] and [`MAX_WINDOW`] (a value
    /// outside is brought to the nearest bound).
    pub basic_window: Duration,
    /// Where the verifier's scalar `y` of each session comes from (HRT-COM-036).
    pub rng: Arc<dyn SecureRandom + Send + Sync>,
}

impl CommissioningSettings {
    /// Settings for the factory's `record` made with `params`: basic windows of the longest
    /// duration allowed, scalars from the system's generator.
    pub fn new(params: WindowParams, record: VerifierRecord) -> Self {
        Self {
            params,
            record,
            basic_window: MAX_WINDOW,
            rng: Arc::new(SystemRandom::new()),
        }
    }

    /// What a factory stores for `passcode`: the verifier record derived with `params`
    /// (HRT-COM-031, HRT-COM-032).
    pub fn from_passcode(passcode: Passcode, params: WindowParams) -> Result<Self, PakeError> {
        let secret =
            ProverSecret::from_passcode(passcode.value(), &params.salt, params.iterations)?;
        Ok(Self::new(params, secret.verifier_record()))
    }

    /// What a factory stores for the appliance whose setup code is `payload`: the verifier
    /// record of its passcode, derived with its discriminator, `salt` and `iterations`
    /// (HRT-COM-031, HRT-COM-032).
    pub fn for_payload(
        payload: &SetupPayload,
        salt: Vec<u8>,
        iterations: u32,
    ) -> Result<Self, PakeError> {
        let params = WindowParams {
            discriminator: payload.discriminator(),
            salt,
            iterations,
        };
        Self::from_passcode(payload.passcode(), params)
    }

    fn basic_window(&self) -> Duration {
        self.basic_window.clamp(MIN_WINDOW, MAX_WINDOW)
    }
}

impl fmt::Debug for CommissioningSettings {
    /// The parameters, never the record.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommissioningSettings")
            .field("params", &self.params)
            .field("basic_window", &self.basic_window)
            .finish_non_exhaustive()
    }
}

/// Why the local button did not open a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    /// The device was made without [`CommissioningSettings`].
    #[error("this device has no commissioning")]
    Unsupported,
    /// A window is open already.
    #[error("a commissioning window is open already")]
    AlreadyOpen,
}

/// The window a device has open.
struct Window {
    window_type: WindowType,
    params: WindowParams,
    /// The factory's record, or an enhanced window's temporary one (erased with the window).
    record: VerifierRecord,
    /// What the controller commissioned in it is granted.
    privilege: Privilege,
    closes: Time,
    failed: u8,
    session: Option<Session>,
}

impl Window {
    fn sessions_left(&self) -> u8 {
        MAX_FAILED_SESSIONS.saturating_sub(self.failed)
    }
}

/// The running session of a window.
struct Session {
    request_id: u64,
    commissioner: KeyId,
    /// The root the commissioner's chain ended with, if the trust store lacks it.
    root: Option<Certificate>,
    verifier: Verifier,
    deadline: Time,
}

/// The commissioning state of a device core.
pub(crate) struct Commissioning {
    settings: CommissioningSettings,
    window: Option<Window>,
    /// Set at power-on, cleared by the first connection: a factory-new device opens its
    /// basic window then (HRT-COM-021).
    powered_on: bool,
}

impl Commissioning {
    pub(crate) fn new(settings: CommissioningSettings) -> Self {
        Self {
            settings,
            window: None,
            powered_on: true,
        }
    }

    /// A basic window opened at `now`, with the factory's parameters and record
    /// (HRT-COM-085), unless `faults` say otherwise.
    fn basic(&self, now: Time, faults: &FaultInjection) -> Window {
        let settings = &self.settings;
        let (params, record) = faults
            .rederived(&settings.params, settings.rng.as_ref())
            .unwrap_or_else(|| (settings.params.clone(), settings.record.clone()));
        Window {
            window_type: WindowType::Basic,
            params,
            record,
            privilege: Privilege::Manage,
            closes: now + self.settings.basic_window(),
            failed: 0,
            session: None,
        }
    }

    /// When the core next has to act: a session's or the window's deadline.
    pub(crate) fn deadline(&self) -> Option<Time> {
        let w = self.window.as_ref()?;
        Some(
            w.session
                .as_ref()
                .map_or(w.closes, |s| s.deadline.min(w.closes)),
        )
    }
}

/// What an open window's announcement says at `now`.
fn announcement(window: Option<&Window>, now: Time) -> WindowState {
    match window {
        None => WindowState::Closed,
        Some(w) => WindowState::Open(OpenWindow {
            params: w.params.clone(),
            closes_in: u16::try_from(w.closes.since(now).as_secs())
                .unwrap_or(MAX_WINDOW_SECS)
                .min(MAX_WINDOW_SECS),
            window_type: w.window_type,
        }),
    }
}

impl<H: Handler, S: CounterStore> DeviceCore<H, S> {
    /// The local physical action that opens a basic window (HRT-COM-022): a button, a key
    /// combination on the panel. It works whether or not the ACL holds entries.
    pub fn open_window(&mut self, now: Time) -> Result<(), WindowError> {
        self.expire_commissioning(now);
        let c = self
            .commissioning
            .as_mut()
            .ok_or(WindowError::Unsupported)?;
        if c.window.is_some() {
            return Err(WindowError::AlreadyOpen);
        }
        c.window = Some(c.basic(now, &self.faults));
        self.announce_window(now);
        Ok(())
    }

    /// The window as the device would announce it at `now`: what the appliance shows while
    /// a window is open (HRT-COM-028). `None` for a device without commissioning.
    pub fn window(&self, now: Time) -> Option<WindowState> {
        let c = self.commissioning.as_ref()?;
        Some(announcement(c.window.as_ref(), now))
    }

    /// The access-control list as it stands.
    pub fn acl(&self) -> &Acl {
        &self.acl
    }

    /// What the device keeps across restarts (HRT-COM-065): the ACL and the trust anchors
    /// commissioning added to those of the factory.
    pub fn access_state(&self) -> AccessState {
        let factory = &self.factory_trust;
        let roots = self
            .endpoint
            .receiver
            .trust()
            .roots()
            .filter(|r| factory.get(r.subject_kid()).is_none())
            .cloned()
            .collect();
        AccessState {
            acl: self.acl.clone(),
            roots,
        }
    }

    /// The state to keep, once after each change of the ACL or of the trust anchors (a
    /// commissioning, an `acl-change`, a factory reset); `None` when nothing changed since
    /// the last call. A shell stores it before it carries out the transmits of the same
    /// call, so that no controller is told of a change a power loss could undo.
    pub fn poll_access_change(&mut self) -> Option<AccessState> {
        std::mem::take(&mut self.access_changed).then(|| self.access_state())
    }

    /// The local physical action that resets the device to factory-new (HRT-COM-080): the
    /// ACL, the trust anchors commissioning added, any temporary verifier record, any
    /// session and the replay windows of controllers are erased (HRT-COM-081); the key, the
    /// chain, the factory's verifier record and the counter stay (HRT-COM-082, HRT-COM-083).
    /// A device with commissioning opens a basic window and announces it, at once if
    /// connected, else on its next connection (HRT-COM-084).
    pub fn factory_reset(&mut self, now: Time) {
        self.acl = Acl::new();
        self.endpoint.receiver.reset(self.factory_trust.clone());
        self.access_changed = true;
        if let Some(c) = self.commissioning.as_mut() {
            c.window = Some(c.basic(now, &self.faults));
            self.announce_window(now);
        }
    }

    /// Publish the window's state, retained, if connected (HRT-COM-043); the next
    /// connection announces it anyway.
    pub(super) fn announce_window(&mut self, now: Time) {
        let Some(c) = &self.commissioning else { return };
        if !self.connected {
            return;
        }
        let body = Body::Window(announcement(c.window.as_ref(), now));
        self.publish(now, Channel::Window, body, true, &with_chain());
    }

    /// On a connection: open the basic window of a factory-new device just powered on
    /// (HRT-COM-021), and announce the window's state.
    pub(super) fn connected_commissioning(&mut self, now: Time) {
        self.expire_commissioning(now);
        let factory_new = self.acl.entries().is_empty();
        if let Some(c) = self.commissioning.as_mut() {
            if std::mem::take(&mut c.powered_on) && factory_new && c.window.is_none() {
                c.window = Some(c.basic(now, &self.faults));
            }
        }
        self.announce_window(now);
    }

    /// End what is due at `now`: a session without its `pake-confirm` fails (HRT-COM-035), a
    /// window past its deadline closes (HRT-COM-026).
    pub(super) fn expire_commissioning(&mut self, now: Time) {
        let Some(window) = self.commissioning.as_mut().and_then(|c| c.window.as_mut()) else {
            return;
        };
        if window.session.as_ref().is_some_and(|s| s.deadline <= now) {
            window.session = None;
            window.failed = window.failed.saturating_add(1);
            self.stats.sessions_failed += 1;
        }
        if window.closes <= now && self.faults.window_never_closes() {
            window.closes = now + MAX_WINDOW;
        }
        let at_limit = window.failed >= MAX_FAILED_SESSIONS && !self.faults.no_attempt_limit();
        if window.closes <= now || at_limit {
            self.close_window(now);
        }
    }

    /// Close the window, erasing a temporary record with it (HRT-COM-073), and say so.
    fn close_window(&mut self, now: Time) {
        if let Some(c) = self.commissioning.as_mut() {
            if c.window.take().is_some() {
                self.announce_window(now);
            }
        }
    }

    /// A publish on the commission topic `rel`: `pake-start` or `pake-confirm`.
    pub(super) fn on_commission(&mut self, now: Time, rel: &str, payload: &[u8]) {
        self.expire_commissioning(now);
        let open = self
            .commissioning
            .as_ref()
            .is_some_and(|c| c.window.is_some());
        if !open {
            return self.reject("HRT-COM-020");
        }
        let receiver = &mut self.endpoint.receiver;
        let (opened, root) = match receiver.open_self_anchored(payload, rel, now.unix_secs()) {
            Ok(o) => o,
            Err(err) => {
                tracing::debug!(device = %self.addr, "commissioning message dropped: {err}");
                return self.reject("HRT-COM-059");
            }
        };
        let (msg, peer) = (opened.message, opened.peer);
        if !matches!(msg.body, Body::PakeStart(_) | Body::PakeConfirm(_)) {
            return self.reject("HRT-COM-058");
        }
        if msg.target.as_deref() != Some(self.addr.device_id.as_str()) {
            return self.reject("misaddressed");
        }
        if !hearth_model::validate::device_id_is_valid(&msg.sender) {
            return self.reject("HRT-MQTT-046");
        }
        if peer.chain.role() != Role::Controller {
            return self.reject("HRT-COM-059");
        }
        match &msg.body {
            Body::PakeStart(share) => self.on_pake_start(now, &msg, &peer, root, share),
            Body::PakeConfirm(confirm) => self.on_pake_confirm(now, &msg, &peer, *confirm),
            _ => {}
        }
    }

    fn on_pake_start(
        &mut self,
        now: Time,
        msg: &Message,
        peer: &Peer,
        root: Option<Certificate>,
        share: &Share,
    ) {
        let kid = peer.chain.leaf_kid;
        // Room for the commissioner, or no session at all (HRT-COM-057).
        let listed = self
            .acl
            .entries()
            .iter()
            .any(|e| e.subject == AclSubject::Key(kid));
        let acl_full = !listed && self.acl.entries().len() >= self.max_acl_entries;
        let trust_full = root.is_some()
            && self.endpoint.receiver.trust().len() >= hearth_security::limits::MAX_TRUST_ANCHORS;
        let device_key = self.endpoint.sender.key_id();
        let (Some(request_id), Some(c)) = (msg.request_id, self.commissioning.as_mut()) else {
            return;
        };
        let rng = c.settings.rng.clone();
        let Some(window) = c.window.as_mut() else {
            return;
        };
        let left = window.sessions_left();
        let refusal = if window.session.is_some() {
            // One session at a time; another start is told to wait, and costs nothing
            // (HRT-COM-029).
            Some(StatusCode::Busy)
        } else if acl_full || trust_full {
            Some(StatusCode::ResourceExhausted)
        } else {
            None
        };
        if let Some(status) = refusal {
            return self.respond(now, msg, commission_result(status, Some(left)));
        }
        let session = CommissioningSession {
            commissioner_chain: &msg.chain,
            device_chain: &self.chain,
            discriminator: window.params.discriminator,
            salt: &window.params.salt,
            iterations: window.params.iterations,
            commissioner_key: kid,
            device_key,
        };
        let mut verifier = match Context::commissioning(&session) {
            Ok(context) => Verifier::new(&window.record, context),
            Err(err) => {
                tracing::error!(device = %self.addr, "commissioning context: {err}");
                return self.respond(now, msg, commission_result(StatusCode::Failure, Some(left)));
            }
        };
        match verifier.respond(&share.0, rng.as_ref()) {
            Ok((share_v, confirm_v)) => {
                window.session = Some(Session {
                    request_id,
                    commissioner: kid,
                    root,
                    verifier,
                    deadline: now + SESSION_TIMEOUT,
                });
                let body = Body::PakeResponse(PakeResponse {
                    share: Share(share_v),
                    confirm: Confirmation(confirm_v),
                });
                self.respond(now, msg, body);
            }
            // A refused share ends the session as failed (HRT-COM-033, HRT-COM-035).
            Err(err) => {
                tracing::debug!(device = %self.addr, "shareP refused: {err}");
                self.fail_session(now, msg);
            }
        }
    }

    fn on_pake_confirm(&mut self, now: Time, msg: &Message, peer: &Peer, confirm: PakeConfirm) {
        let any_passcode = self.faults.any_passcode();
        let unbound = self.faults.unbound_commissioner();
        let Some(window) = self.commissioning.as_mut().and_then(|c| c.window.as_mut()) else {
            return;
        };
        // Only the running session's confirm is answered: same request id, same key, the
        // one the transcript binds (HRT-COM-039, HRT-COM-055).
        let ours = window.session.as_ref().is_some_and(|s| {
            Some(s.request_id) == msg.request_id
                && (s.commissioner == peer.chain.leaf_kid || unbound)
        });
        if !ours {
            return self.reject("no such session");
        }
        let Some(mut session) = window.session.take() else {
            return;
        };
        let privilege = window.privilege;
        let confirmed = match confirm {
            PakeConfirm::Confirm(c) => session.verifier.finish(&c.0).is_ok() || any_passcode,
            PakeConfirm::Abort(_) => false,
        };
        if !confirmed {
            return self.fail_session(now, msg);
        }
        // One change (HRT-COM-055): nothing changes if either the entry or the root cannot
        // be added (HRT-COM-056).
        let mut entries = self.acl.entries().to_vec();
        let commissioner = AclSubject::Key(if unbound {
            peer.chain.leaf_kid
        } else {
            session.commissioner
        });
        match entries.iter_mut().find(|e| e.subject == commissioner) {
            // A controller already listed keeps the higher of its two privileges, so that a
            // manager commissioned again never loses `manage` (HRT-COM-063).
            Some(entry) => entry.privilege = entry.privilege.max(privilege),
            None => entries.push(AclEntry {
                subject: commissioner,
                privilege,
            }),
        }
        let room = entries.len() <= self.max_acl_entries;
        let acl = Acl::from_entries(entries).ok().filter(|_| room);
        let rooted = acl.is_some()
            && session
                .root
                .take()
                .map_or(Ok(()), |r| self.endpoint.receiver.add_trust_anchor(r))
                .is_ok();
        let (Some(acl), true) = (acl, rooted) else {
            let left = window.sessions_left();
            let exhausted = commission_result(StatusCode::ResourceExhausted, Some(left));
            return self.respond(now, msg, exhausted);
        };
        self.acl = acl;
        self.access_changed = true;
        self.stats.commissioned += 1;
        tracing::info!(device = %self.addr, "commissioned by {}", msg.sender);
        self.close_window(now);
        self.respond(now, msg, commission_result(StatusCode::Success, None));
    }

    /// The running session (if any) failed: count it, tell the commissioner how many the
    /// window still admits (HRT-COM-049), close the window at the bound (HRT-COM-024).
    fn fail_session(&mut self, now: Time, msg: &Message) {
        let limited = !self.faults.no_attempt_limit();
        let Some(window) = self.commissioning.as_mut().and_then(|c| c.window.as_mut()) else {
            return;
        };
        window.session = None;
        window.failed = window.failed.saturating_add(1);
        self.stats.sessions_failed += 1;
        let body = commission_result(StatusCode::Unauthorized, Some(window.sessions_left()));
        if window.failed >= MAX_FAILED_SESSIONS && limited {
            self.close_window(now);
        }
        self.respond(now, msg, body);
    }

    /// An `acl-read` of a manager: every entry and the most the device supports
    /// (HRT-COM-061).
    pub(super) fn acl_read(&self) -> Body {
        Body::AclReadResponse(AclReadResponse {
            entries: self.acl.entries().to_vec(),
            max_entries: u8::try_from(self.max_acl_entries).unwrap_or(u8::MAX),
        })
    }

    /// An `acl-change` of a manager, applied in order and as one change (HRT-COM-062,
    /// Table 6), never leaving the ACL without a manager (HRT-COM-063).
    pub(super) fn acl_change(&mut self, ops: &[AclOperation]) -> Body {
        let keep_manager = !self.faults.last_manager_removable();
        let outcome = apply(self.acl.entries(), ops, self.max_acl_entries, keep_manager);
        let response = match outcome {
            Ok(acl) => {
                self.acl = acl;
                self.access_changed = true;
                AclChangeResponse {
                    status: StatusCode::Success,
                    failed_at: None,
                }
            }
            Err(refusal) => refusal,
        };
        Body::AclChangeResponse(response)
    }

    /// A `window-control` of a manager: open an enhanced window (HRT-COM-023, HRT-COM-071,
    /// HRT-COM-072) or close the open one (HRT-COM-027).
    pub(super) fn window_control(&mut self, now: Time, control: &WindowControl) -> Body {
        self.expire_commissioning(now);
        let status = match control {
            WindowControl::Close => {
                self.close_window(now);
                StatusCode::Success
            }
            WindowControl::Open(request) => self.open_enhanced(now, request),
        };
        Body::WindowControlResponse(status)
    }

    fn open_enhanced(&mut self, now: Time, request: &EnhancedWindow) -> StatusCode {
        let Some(c) = self.commissioning.as_mut() else {
            return StatusCode::Failure;
        };
        if c.window.is_some() {
            return StatusCode::Busy;
        }
        let Ok(record) = VerifierRecord::from_bytes(&request.verifier.0) else {
            return StatusCode::ConstraintError;
        };
        // The codec refuses these already (HRT-COM-044); a window is never opened without.
        let duration = Duration::from_secs(u64::from(request.duration));
        if !(MIN_WINDOW..=MAX_WINDOW).contains(&duration) || request.privilege == Privilege::View {
            return StatusCode::ConstraintError;
        }
        c.window = Some(Window {
            window_type: WindowType::Enhanced,
            params: request.params.clone(),
            record,
            privilege: request.privilege,
            closes: now + duration,
            failed: 0,
            session: None,
        });
        self.announce_window(now);
        StatusCode::Success
    }
}

/// The body of a `commission-result`.
fn commission_result(status: StatusCode, sessions_left: Option<u8>) -> Body {
    Body::CommissionResult(CommissionResult {
        status,
        sessions_left,
    })
}

/// `ops` applied in order to `entries`: the new list, or the refusal (Table 6); with
/// `keep_manager`, a list without `manage` is refused (HRT-COM-063).
fn apply(
    entries: &[AclEntry],
    ops: &[AclOperation],
    max: usize,
    keep_manager: bool,
) -> Result<Acl, AclChangeResponse> {
    let mut list = entries.to_vec();
    for (i, op) in ops.iter().enumerate() {
        let refuse = |status| AclChangeResponse {
            status,
            failed_at: u8::try_from(i).ok(),
        };
        let position = |subject: &AclSubject| list.iter().position(|e| e.subject == *subject);
        match op {
            AclOperation::Add(entry) => {
                if position(&entry.subject).is_some() {
                    return Err(refuse(StatusCode::ConstraintError));
                }
                if list.len() >= max {
                    return Err(refuse(StatusCode::ResourceExhausted));
                }
                list.push(*entry);
            }
            AclOperation::Set { subject, privilege } => match position(subject) {
                Some(at) => list[at].privilege = *privilege,
                None => return Err(refuse(StatusCode::ConstraintError)),
            },
            AclOperation::Remove(subject) => match position(subject) {
                Some(at) => {
                    list.remove(at);
                }
                None => return Err(refuse(StatusCode::ConstraintError)),
            },
        }
    }
    let acl = Acl::from_entries(list).map_err(|_| AclChangeResponse {
        status: StatusCode::ResourceExhausted,
        failed_at: None,
    })?;
    // The last manager stays (HRT-COM-063, HRT-SEC-117): a property of the change as a whole,
    // so no single operation is named.
    if keep_manager {
        Acl::check_replacement(&acl).map_err(|_| AclChangeResponse {
            status: StatusCode::InvalidInState,
            failed_at: None,
        })?;
    }
    Ok(acl)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> AclSubject {
        AclSubject::Key(KeyId([n; 16]))
    }

    fn entry(n: u8, privilege: Privilege) -> AclEntry {
        AclEntry {
            subject: key(n),
            privilege,
        }
    }

    /// HRT-COM-062, Table 6: every refusal names the first operation that failed, and
    /// nothing of the change is applied.
    #[test]
    fn an_acl_change_is_all_or_nothing() {
        let list = [entry(1, Privilege::Manage)];
        let ok = apply(
            &list,
            &[
                AclOperation::Add(entry(2, Privilege::View)),
                AclOperation::Set {
                    subject: key(2),
                    privilege: Privilege::Operate,
                },
            ],
            16,
            true,
        )
        .expect("applies");
        assert_eq!(ok.entries()[1], entry(2, Privilege::Operate));
        let refused =
            |ops: &[AclOperation], max| apply(&list, ops, max, true).map(|_| ()).unwrap_err();
        let twice = AclOperation::Add(entry(1, Privilege::View));
        let add = AclOperation::Add(entry(2, Privilege::View));
        assert_eq!(
            refused(&[add, twice], 16),
            AclChangeResponse {
                status: StatusCode::ConstraintError,
                failed_at: Some(1)
            }
        );
        assert_eq!(
            refused(&[add], 1).status,
            StatusCode::ResourceExhausted,
            "beyond the entries supported"
        );
        assert_eq!(
            refused(&[AclOperation::Remove(key(9))], 16),
            AclChangeResponse {
                status: StatusCode::ConstraintError,
                failed_at: Some(0)
            }
        );
        let set = AclOperation::Set {
            subject: key(9),
            privilege: Privilege::View,
        };
        assert_eq!(refused(&[add, set], 16).failed_at, Some(1));
    }

    /// HRT-COM-063: the last manager is neither removed nor lowered, though a change that
    /// hands `manage` on first is fine.
    #[test]
    fn the_last_manager_stays() {
        let list = [entry(1, Privilege::Manage), entry(2, Privilege::Operate)];
        let lower = AclOperation::Set {
            subject: key(1),
            privilege: Privilege::Operate,
        };
        for ops in [vec![AclOperation::Remove(key(1))], vec![lower]] {
            assert_eq!(
                apply(&list, &ops, 16, true).map(|_| ()).unwrap_err(),
                AclChangeResponse {
                    status: StatusCode::InvalidInState,
                    failed_at: None
                }
            );
        }
        let hand_over = [
            AclOperation::Set {
                subject: key(2),
                privilege: Privilege::Manage,
            },
            AclOperation::Remove(key(1)),
        ];
        let acl = apply(&list, &hand_over, 16, true).expect("a manager remains");
        assert_eq!(acl.entries(), &[entry(2, Privilege::Manage)]);
    }
}
