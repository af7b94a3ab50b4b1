//! The suite as a commissioner and as the device's manager (`spec/07-commissioning.md`,
//! `spec/06-conformance.md` §3.10): it watches the device's `window` messages, opens a window
//! as the ICS allows (the operator's button, or an enhanced window asked for by the ICS's
//! `manage` controller), runs SPAKE2+ sessions as one of its controllers — correct ones, and
//! ones with a wrong passcode or a wrong confirmation on purpose — and reads and changes the
//! device's access-control list.
//!
//! Nothing here judges: each function returns what the device published or answered (or that
//! it did not, within the bound a parameter sets), and the test case decides which
//! requirement that breaks. A window is seen only through the device's own announcements, so
//! whether it opened or closed is decided by message order, never by the suite's clock; a
//! window's announced closing time only bounds how long the suite waits for its closing.

use std::time::Duration;

use hearth_model::setup::SetupPayload;
use hearth_model::Privilege;
use hearth_mqtt::topic::{Channel, Topics};
use hearth_security::acl::AclEntry;
use hearth_security::cert::Certificate;
use hearth_security::key::KeyId;
use hearth_security::pake::{CommissioningSession, Context, Prover, ProverSecret};
use hearth_security::pki::SystemRandom;
use hearth_wire::commissioning::{
    AclChangeResponse, AclOperation, AclReadResponse, CommissionResult, Confirmation, OpenWindow,
    PakeAbort, PakeConfirm, PakeResponse, Share, WindowControl, WindowState, WindowType,
};
use hearth_wire::{Body, Message};

use super::authority::Minted;
use super::case::{CaseResult, Ctx};
use super::probe::{summarize, Seen};
use crate::ics::WindowOpener;
use crate::requirements::req::Req;
use crate::verdict::Outcome;

/// The PBKDF2 iterations of the enhanced windows the suite opens: the fewest allowed
/// (HRT-COM-037), since the temporary record is the suite's own and lives for one case.
pub const SUITE_ITERATIONS: u32 = 1000;

/// The shortest window a manager may ask for, in seconds (HRT-COM-019): what the suite asks
/// for, so that a case waiting for a window's timeout waits as little as the device allows.
pub const SUITE_WINDOW_SECS: u16 = hearth_wire::commissioning::MIN_WINDOW_SECS;

/// An open window as the device announced it: the body, the chain its message carried (bound
/// into every session's context, HRT-COM-038), the device's leaf certificate and key id, and
/// the announcement's trace entry.
#[derive(Debug, Clone)]
pub struct DeviceWindow {
    /// What the announcement says.
    pub open: OpenWindow,
    /// The device chain the `window` message carried.
    pub chain: Vec<Vec<u8>>,
    /// The leaf certificate of that chain.
    pub leaf: Certificate,
    /// The key id of the leaf key (`idVerifier`, HRT-COM-039).
    pub device_key: KeyId,
    /// The trace entry of the announcement.
    pub seq: usize,
    /// Whether it arrived retained.
    pub retain: bool,
}

/// How a session the suite runs ends on its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// As a commissioner must: `confirmP` when `confirmV` is right, an abort otherwise.
    Honest,
    /// `confirmP` whatever `confirmV` was, and one the suite made up when `confirmV` was
    /// wrong (the device must refuse it, HRT-COM-056).
    Regardless,
    /// The session's `confirmP` (as [`Regardless`](Self::Regardless)), with the session's
    /// request id, but signed by tester `n` and carrying its chain: a confirmation whose
    /// signer is not the key the transcript binds (the device must admit nobody by it,
    /// HRT-COM-055).
    SignedBy(usize),
}

/// What became of a session the suite ran.
#[derive(Debug, Clone)]
pub enum SessionEnd {
    /// The device did not answer the `pake-start` within the response timeout.
    Unanswered {
        /// The trace entry of the `pake-start`.
        sent: usize,
    },
    /// The device answered the `pake-start` with a `commission-result` at once.
    Refused {
        /// Its body.
        result: CommissionResult,
        /// Its trace entry.
        seq: usize,
    },
    /// The device answered something else than Table 4 allows for a `pake-start`.
    Unexpected {
        /// The answer, in a line.
        what: String,
        /// Its trace entry.
        seq: usize,
    },
    /// The session ran to its `commission-result`, or to the lack of one.
    Ran {
        /// Whether `confirmV` was right for the passcode the suite used.
        confirm_v_ok: bool,
        /// The trace entry of the `pake-response`.
        response: usize,
        /// The `commission-result` after the `pake-confirm`, and its trace entry.
        result: Option<(CommissionResult, usize)>,
    },
}

/// Whether the ICS declares commissioning and gives what every commissioning case needs: a
/// `manage` controller to put the ACL back, and a controller the device does not admit to
/// commission.
pub fn needs_commissioning(ctx: &Ctx) -> Result<(), String> {
    let c = &ctx.ics.commissioning;
    if !c.supported {
        return Err(
            "the ICS says the device is not commissioned ([commissioning] supported = false)"
                .into(),
        );
    }
    if ctx.probe.tester(Some(Privilege::Manage)).is_none() {
        return Err("the ICS lists no controller with privilege manage, which puts the ACL back after each case".into());
    }
    if ctx.probe.tester(None).is_none() {
        return Err("the ICS lists no controller the device does not admit (privilege none), which the suite commissions".into());
    }
    Ok(())
}

/// Applicability of a case that needs a window, by either way the ICS allows.
pub fn needs_window(ctx: &Ctx) -> Result<(), String> {
    needs_commissioning(ctx)?;
    if ctx.ics.commissioning.window.is_empty() {
        return Err(
            "the ICS names no way to open a commissioning window ([commissioning] window)".into(),
        );
    }
    if !ctx.ics.commissioning.opens_by(WindowOpener::Manage) {
        needs_button(ctx)?;
    }
    Ok(())
}

/// Applicability of a case that needs the basic window of the printed setup code.
pub fn needs_button(ctx: &Ctx) -> Result<(), String> {
    needs_commissioning(ctx)?;
    if !ctx.ics.commissioning.opens_by(WindowOpener::Button) {
        return Err("the ICS does not let the operator open a window ([commissioning] window lacks \"button\")".into());
    }
    needs_code_and_operator(ctx, "press the appliance's button")
}

/// The setup code and the operator a case needs in which the operator does `act` with the
/// appliance.
fn needs_code_and_operator(ctx: &Ctx, act: &str) -> Result<(), String> {
    if ctx.ics.commissioning.setup().is_none() {
        return Err("the ICS gives no setup code ([commissioning] setup_code)".into());
    }
    if ctx.operator.is_none() {
        return Err(format!("the run has no operator to {act}"));
    }
    Ok(())
}

/// Applicability of a case that needs an enhanced window.
pub fn needs_manage_window(ctx: &Ctx) -> Result<(), String> {
    needs_commissioning(ctx)?;
    if !ctx.ics.commissioning.opens_by(WindowOpener::Manage) {
        return Err("the ICS does not let its manager open a window ([commissioning] window lacks \"manage\")".into());
    }
    Ok(())
}

/// Applicability of the factory-reset case.
pub fn needs_factory_reset(ctx: &Ctx) -> Result<(), String> {
    needs_commissioning(ctx)?;
    if !ctx.ics.commissioning.factory_reset {
        return Err("the ICS does not let the operator reset the device ([commissioning] factory_reset = false)".into());
    }
    needs_code_and_operator(ctx, "reset the appliance")
}

/// The manager of the ICS.
pub fn manager(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Manage)
}

/// The key id of tester `who`'s leaf key.
pub fn key_of(ctx: &Ctx, who: usize) -> Option<KeyId> {
    ctx.probe.testers().get(who).map(|t| t.sender.key_id())
}

/// The window a `window` message announces, if `s` is one that opened.
fn window_of(s: &Seen) -> Option<(&WindowState, &Message)> {
    if s.channel != Channel::Window {
        return None;
    }
    match &s.message {
        Ok(
            m @ Message {
                body: Body::Window(w),
                ..
            },
        ) => Some((w, m)),
        _ => None,
    }
}

/// Forget the window announcements received so far, so that the next wait sees only what
/// the device publishes after the action that follows.
pub fn forget_windows(ctx: &mut Ctx) {
    ctx.probe.clear_seen();
}

/// Wait at most `timeout` for an announcement of an open window: it, or `None`.
pub async fn opened(ctx: &mut Ctx, timeout: Duration) -> Result<Option<DeviceWindow>, Outcome> {
    let seen = ctx
        .probe
        .wait_for(timeout, |s| {
            matches!(window_of(s), Some((WindowState::Open(_), _)))
        })
        .await;
    let Some(seen) = seen else { return Ok(None) };
    let Some((WindowState::Open(open), msg)) = window_of(&seen) else {
        return Ok(None);
    };
    let first = msg
        .chain
        .first()
        .ok_or_else(|| Outcome::error("the window message opened without a chain"))?;
    let leaf = Certificate::from_bytes(first)
        .map_err(|e| Outcome::error(format!("the window message's leaf certificate: {e}")))?;
    Ok(Some(DeviceWindow {
        open: open.clone(),
        chain: msg.chain.clone(),
        device_key: *leaf.subject_kid(),
        leaf,
        seq: seen.seq,
        retain: seen.retain,
    }))
}

/// Wait at most `timeout` for an announcement that no window is open: its trace entry.
pub async fn closed(ctx: &mut Ctx, timeout: Duration) -> Option<usize> {
    ctx.probe
        .wait_for(timeout, |s| {
            matches!(window_of(s), Some((WindowState::Closed, _)))
        })
        .await
        .map(|s| s.seq)
}

/// How long an announcement may take after its cause: the report deadline and the latency.
pub fn announce_within(ctx: &Ctx) -> Duration {
    ctx.params.report_deadline + ctx.params.latency_allowance
}

/// Ask the operator to press the appliance's commissioning button.
pub async fn press_button(ctx: &mut Ctx) -> Result<(), Outcome> {
    forget_windows(ctx);
    super::operator::act(
        ctx,
        super::operator::OperatorAction::OpenCommissioningWindow,
    )
    .await
}

/// Ask, as the manager, for an enhanced window granting `privilege`, open for
/// [`SUITE_WINDOW_SECS`]: the device's status and its trace entry, and the setup payload of
/// the fresh passcode. `None` for the status when the device did not answer.
pub async fn ask_enhanced(
    ctx: &mut Ctx,
    who: usize,
    privilege: Privilege,
) -> Result<(Option<(hearth_model::StatusCode, usize)>, SetupPayload), Outcome> {
    let device = ctx.probe.device().clone();
    let device_type = ctx.description.device_type;
    let rng = SystemRandom::new();
    let (request, payload) = hearth_mqtt::enhanced_window(
        device.vendor_id,
        device_type,
        (privilege, SUITE_WINDOW_SECS, SUITE_ITERATIONS),
        &rng,
    )
    .map_err(|e| Outcome::error(format!("a fresh setup payload: {e}")))?;
    forget_windows(ctx);
    let body = Body::WindowControl(WindowControl::Open(Box::new(request)));
    let status = window_control(ctx, who, body).await?;
    Ok((status, payload))
}

/// Send a `window-control` as `who`: the status of its answer and the answer's trace entry,
/// or `None` when it had none within the response timeout.
pub async fn window_control(
    ctx: &mut Ctx,
    who: usize,
    body: Body,
) -> Result<Option<(hearth_model::StatusCode, usize)>, Outcome> {
    let (_, _, answer) = ask(ctx, who, body, "a window-control", |body| match body {
        Body::WindowControlResponse(status) => Some(status),
        _ => None,
    })
    .await?;
    Ok(answer)
}

/// Send `body` as tester `who` and wait for its answer, which `pick` takes apart: the
/// request id, its trace entry, and what `pick` took with the answer's trace entry, if an
/// answer came within the response timeout. An error when `pick` takes nothing from the
/// answer's body: an answer of another kind than `what` (the request, e.g. "an acl-read")
/// is answered with.
async fn ask<T>(
    ctx: &mut Ctx,
    who: usize,
    body: Body,
    what: &str,
    pick: impl FnOnce(Body) -> Option<T>,
) -> Result<(u64, usize, Option<(T, usize)>), Outcome> {
    let (id, _, sent) = ctx
        .probe
        .send(who, body, super::probe::Tamper::None)
        .await?;
    let timeout = ctx.response_timeout();
    let Some(answer) = ctx.probe.answer(id, timeout).await else {
        return Ok((id, sent, None));
    };
    match answer.message {
        Ok(m) => {
            let summary = summarize(&m);
            match pick(m.body) {
                Some(picked) => Ok((id, sent, Some((picked, answer.seq)))),
                None => Err(Outcome::error(format!(
                    "{what} (trace #{sent}) was answered with {summary}"
                ))),
            }
        }
        Err(r) => Err(r.fail(&format!("the answer to {what}"))),
    }
}

/// Close any open window as the manager and wait for the device to announce it closed, as a
/// case that opened one does before it ends. An error when the device does not.
pub async fn close(ctx: &mut Ctx) -> Result<(), Outcome> {
    let who = manager(ctx)?;
    forget_windows(ctx);
    let body = Body::WindowControl(WindowControl::Close);
    let status = window_control(ctx, who, body).await?;
    match status {
        Some((hearth_model::StatusCode::Success, _)) => Ok(()),
        Some((other, seq)) => Err(Outcome::error(format!(
            "closing the window as the manager was answered {other} (trace #{seq})"
        ))),
        None => Err(Outcome::error(
            "the manager's window-control that closes the window had no answer",
        )),
    }
}

/// The chain tester `who` carries in a `pake-start`: its own, ending with the self-signed
/// root that anchors it (HRT-COM-046).
pub fn session_chain(ctx: &Ctx, who: usize) -> Result<Vec<Vec<u8>>, Outcome> {
    let tester = ctx
        .probe
        .testers()
        .get(who)
        .ok_or_else(|| Outcome::error(format!("no tester {who}")))?;
    let mut chain = tester.sender.chain().to_vec();
    let last = chain
        .last()
        .and_then(|c| Certificate::from_bytes(c).ok())
        .ok_or_else(|| Outcome::error("the commissioner's chain is empty"))?;
    if !last.is_self_signed() {
        let root = ctx.probe.trust().get(last.issuer_kid()).ok_or_else(|| {
            Outcome::error(
                "the root of the commissioner's chain is not among the suite's trust anchors",
            )
        })?;
        chain.push(root.as_bytes().to_vec());
    }
    Ok(chain)
}

/// Seal `body` as tester `who` for the device's commission topic, carrying `chain`, with
/// request id `id` if given; publish it. The request id and the trace entry.
async fn send_session(
    ctx: &mut Ctx,
    who: usize,
    body: Body,
    chain_id: (&[Vec<u8>], Option<u64>),
) -> Result<(u64, usize), Outcome> {
    send_on(ctx, who, body, Channel::Commission, chain_id).await
}

/// Seal `body` as tester `who` for the device's topic of `channel`, carrying `chain`, with
/// request id `id` if given; publish it there. The request id and the trace entry: a
/// commissioning message on the topic of its kind, or on another one on purpose
/// (HRT-COM-058).
pub async fn send_on(
    ctx: &mut Ctx,
    who: usize,
    body: Body,
    channel: Channel,
    (chain, id): (&[Vec<u8>], Option<u64>),
) -> Result<(u64, usize), Outcome> {
    let rel = Topics::device_rel(ctx.probe.device(), channel);
    let summary = format!("{} as tester {who}", body.kind().name());
    let chain = chain.to_vec();
    let (request_id, bytes) = ctx.probe.seal_request_for(who, body, &rel, |m| {
        m.chain = chain;
        if let Some(id) = id {
            m.request_id = Some(id);
        }
    })?;
    let sent = ctx.probe.publish_raw(&rel, bytes, &summary).await?;
    Ok((id.unwrap_or(request_id), sent))
}

/// A session the suite started whose `pake-start` the device answered with a
/// `pake-response`, waiting for the suite's `pake-confirm`.
#[derive(Debug)]
pub struct Running {
    /// The tester that sent the `pake-start`.
    who: usize,
    /// The chain its `pake-start` carried.
    chain: Vec<Vec<u8>>,
    /// The session's request id.
    id: u64,
    /// `confirmP`, when `confirmV` was right for the passcode the suite used.
    confirm_p: Option<[u8; 32]>,
    /// The trace entry of the `pake-response`.
    pub response: usize,
    /// The device's `shareV` (HRT-COM-036: fresh in every session).
    pub share: [u8; 65],
}

impl Running {
    /// Whether `confirmV` was right for the passcode the suite used.
    pub fn confirm_v_ok(&self) -> bool {
        self.confirm_p.is_some()
    }
}

/// What became of a `pake-start` the suite sent.
#[derive(Debug)]
pub enum Started {
    /// The device answered with a `pake-response`: the session runs.
    Running(Running),
    /// The device did not start a session: no answer, a `commission-result`, or another
    /// answer ([`SessionEnd::Ran`] never occurs here).
    Ended(SessionEnd),
}

/// The context of a session of tester `who`'s `chain` with the device's `window`.
fn context_of(
    ctx: &Ctx,
    who: usize,
    chain: &[Vec<u8>],
    window: &DeviceWindow,
) -> Result<Context, Outcome> {
    let params = &window.open.params;
    let commissioner_key = key_of(ctx, who).ok_or_else(|| Outcome::error("no such tester"))?;
    Context::commissioning(&CommissioningSession {
        commissioner_chain: chain,
        device_chain: &window.chain,
        discriminator: params.discriminator,
        salt: &params.salt,
        iterations: params.iterations,
        commissioner_key,
        device_key: window.device_key,
    })
    .map_err(|e| Outcome::error(format!("the session's context: {e}")))
}

/// Start a session with the device's `window` as tester `who` with `passcode`: send the
/// `pake-start` and check the device's `confirmV`.
pub async fn start(
    ctx: &mut Ctx,
    who: usize,
    window: &DeviceWindow,
    passcode: u32,
) -> Result<Started, Outcome> {
    let chain = session_chain(ctx, who)?;
    let params = &window.open.params;
    let secret = ProverSecret::from_passcode(passcode, &params.salt, params.iterations)
        .map_err(|e| Outcome::error(format!("deriving w0 and w1: {e}")))?;
    let mut prover = Prover::new(&secret, context_of(ctx, who, &chain, window)?);
    let share = prover
        .start(&SystemRandom::new())
        .map_err(|e| Outcome::error(format!("shareP: {e}")))?;
    let start = Body::PakeStart(Share(share));
    let (id, sent) = send_session(ctx, who, start, (&chain, None)).await?;
    let (response, seq) = match start_answer(ctx, id, sent).await? {
        Ok(r) => r,
        Err(end) => return Ok(Started::Ended(end)),
    };
    let confirm_p = prover
        .receive_share(&response.share.0)
        .and_then(|()| prover.finish(&response.confirm.0))
        .ok()
        .map(|(confirm_p, _)| confirm_p);
    Ok(Started::Running(Running {
        who,
        chain,
        id,
        confirm_p,
        response: seq,
        share: response.share.0,
    }))
}

/// The device's answer to the `pake-start` `id` (trace entry `sent`): the `pake-response` and
/// its trace entry, or how the start ended without one.
async fn start_answer(
    ctx: &mut Ctx,
    id: u64,
    sent: usize,
) -> Result<Result<(PakeResponse, usize), SessionEnd>, Outcome> {
    let timeout = ctx.response_timeout();
    let Some(answer) = ctx.probe.answer(id, timeout).await else {
        return Ok(Err(SessionEnd::Unanswered { sent }));
    };
    let seq = answer.seq;
    Ok(match answer.message {
        Ok(Message {
            body: Body::PakeResponse(r),
            ..
        }) => Ok((r, seq)),
        Ok(Message {
            body: Body::CommissionResult(result),
            ..
        }) => Err(SessionEnd::Refused { result, seq }),
        Ok(m) => Err(SessionEnd::Unexpected {
            what: summarize(&m),
            seq,
        }),
        Err(r) => return Err(r.fail("the answer to a pake-start")),
    })
}

/// A `pake-start` as tester `who` whose `shareP` is `share` as given, perhaps no point at
/// all (HRT-COM-033): how the device answered it. A `pake-response` is given as
/// [`SessionEnd::Ran`] without a result; the suite does not go on with such a session.
pub async fn raw_start(ctx: &mut Ctx, who: usize, share: [u8; 65]) -> Result<SessionEnd, Outcome> {
    let chain = session_chain(ctx, who)?;
    let body = Body::PakeStart(Share(share));
    let (id, sent) = send_session(ctx, who, body, (&chain, None)).await?;
    unfinished(ctx, id, sent).await
}

/// How the device answered the `pake-start` `id` (trace entry `sent`) of a session the suite
/// does not go on with: a `pake-response` is given as [`SessionEnd::Ran`] without a result.
async fn unfinished(ctx: &mut Ctx, id: u64, sent: usize) -> Result<SessionEnd, Outcome> {
    Ok(match start_answer(ctx, id, sent).await? {
        Ok((_, response)) => SessionEnd::Ran {
            confirm_v_ok: false,
            response,
            result: None,
        },
        Err(end) => end,
    })
}

/// Seal a `pake-start` for `window` with `passcode` under tester `who`'s name (sender and
/// response topic), signed by the key the suite `minted`, carrying its chain as given, and
/// publish it on the commission topic: the request id and the trace entry.
pub async fn send_start_signed(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    window: &DeviceWindow,
    passcode: u32,
) -> Result<(u64, usize), Outcome> {
    let params = &window.open.params;
    let secret = ProverSecret::from_passcode(passcode, &params.salt, params.iterations)
        .map_err(|e| Outcome::error(format!("deriving w0 and w1: {e}")))?;
    let context = Context::commissioning(&CommissioningSession {
        commissioner_chain: &minted.chain,
        device_chain: &window.chain,
        discriminator: params.discriminator,
        salt: &params.salt,
        iterations: params.iterations,
        commissioner_key: minted.kid,
        device_key: window.device_key,
    })
    .map_err(|e| Outcome::error(format!("the session's context: {e}")))?;
    let share = Prover::new(&secret, context)
        .start(&SystemRandom::new())
        .map_err(|e| Outcome::error(format!("shareP: {e}")))?;
    let rel = Topics::device_rel(ctx.probe.device(), Channel::Commission);
    let chain = minted.chain.clone();
    let mut sealed: Option<Message> = None;
    let (id, _) = ctx
        .probe
        .seal_request_for(who, Body::PakeStart(Share(share)), &rel, |m| {
            m.chain = chain;
            sealed = Some(m.clone());
        })?;
    let msg = sealed.ok_or_else(|| Outcome::error("the probe sealed nothing"))?;
    let bytes = hearth_security::cose::sign1(
        &minted.key,
        &hearth_wire::codec::encode(&msg),
        rel.as_bytes(),
    )
    .map_err(|e| Outcome::error(format!("signing: {e}")))?;
    let what = format!("pake-start signed by a key the suite issued, as tester {who}");
    let sent = ctx.probe.publish_raw(&rel, bytes, &what).await?;
    Ok((id, sent))
}

/// [`send_start_signed`], and how the device answered: a `pake-response` is given as
/// [`SessionEnd::Ran`] without a result; the suite does not go on with such a session.
pub async fn start_signed(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    window: &DeviceWindow,
    passcode: u32,
) -> Result<SessionEnd, Outcome> {
    let (id, sent) = send_start_signed(ctx, who, minted, window, passcode).await?;
    unfinished(ctx, id, sent).await
}

/// End the `running` session as `confirm` says and wait for its `commission-result`.
pub async fn finish(
    ctx: &mut Ctx,
    running: Running,
    confirm: Confirm,
) -> Result<SessionEnd, Outcome> {
    let made_up = PakeConfirm::Confirm(Confirmation([0x5a; 32]));
    let body = match (running.confirm_p, confirm) {
        (Some(confirm_p), _) => PakeConfirm::Confirm(Confirmation(confirm_p)),
        (None, Confirm::Honest) => PakeConfirm::Abort(PakeAbort::ConfirmationMismatch),
        (None, Confirm::Regardless | Confirm::SignedBy(_)) => made_up,
    };
    let (signer, chain) = match confirm {
        Confirm::SignedBy(other) => (other, session_chain(ctx, other)?),
        _ => (running.who, running.chain.clone()),
    };
    let id = Some(running.id);
    send_session(ctx, signer, Body::PakeConfirm(body), (&chain, id)).await?;
    let timeout = ctx.response_timeout();
    let result = match ctx.probe.answer(running.id, timeout).await {
        Some(a) => match a.message {
            Ok(Message {
                body: Body::CommissionResult(r),
                ..
            }) => Some((r, a.seq)),
            Ok(_) => None,
            Err(r) => return Err(r.fail("the commission-result")),
        },
        None => None,
    };
    Ok(SessionEnd::Ran {
        confirm_v_ok: running.confirm_p.is_some(),
        response: running.response,
        result,
    })
}

/// Run one session with the device's `window` as tester `who` with `passcode`, ending it as
/// `confirm` says.
pub async fn session(
    ctx: &mut Ctx,
    who: usize,
    window: &DeviceWindow,
    passcode: u32,
    confirm: Confirm,
) -> Result<SessionEnd, Outcome> {
    match start(ctx, who, window, passcode).await? {
        Started::Running(running) => finish(ctx, running, confirm).await,
        Started::Ended(end) => Ok(end),
    }
}

/// A `pake-start` as tester `who` for a window the suite has not seen open: the request id
/// and trace entry, for a case that expects no answer (HRT-COM-020).
pub async fn stray_start(
    ctx: &mut Ctx,
    who: usize,
    window: &DeviceWindow,
) -> Result<(u64, usize), Outcome> {
    start_on(ctx, who, window, Channel::Commission).await
}

/// A correct `pake-start` as tester `who` for `window`, published on the device's topic of
/// `channel` (another kind's, on purpose, HRT-COM-058): the request id and trace entry, for
/// a case that expects no answer.
pub async fn start_on(
    ctx: &mut Ctx,
    who: usize,
    window: &DeviceWindow,
    channel: Channel,
) -> Result<(u64, usize), Outcome> {
    let chain = session_chain(ctx, who)?;
    let params = &window.open.params;
    let secret = ProverSecret::from_passcode(1, &params.salt, params.iterations)
        .map_err(|e| Outcome::error(format!("deriving w0 and w1: {e}")))?;
    let share = Prover::new(&secret, context_of(ctx, who, &chain, window)?)
        .start(&SystemRandom::new())
        .map_err(|e| Outcome::error(format!("shareP: {e}")))?;
    let body = Body::PakeStart(Share(share));
    send_on(ctx, who, body, channel, (&chain, None)).await
}

/// Whether the message of trace entry `seq` came on tester `who`'s response topic, where
/// Table 4 puts every answer of a device to that controller (HRT-COM-042).
pub fn on_responses_of(ctx: &Ctx, who: usize, seq: usize) -> bool {
    let Some(tester) = ctx.probe.testers().get(who) else {
        return false;
    };
    let topic = ctx.probe.full_topic(&Topics::responses_rel(&tester.id));
    ctx.probe
        .trace()
        .entries()
        .iter()
        .any(|e| e.seq == seq && e.topic == topic)
}

/// A passcode other than `passcode` within the values of Table 1.
pub fn wrong_passcode(passcode: u32) -> u32 {
    if passcode == 20_202_021 {
        20_202_022
    } else {
        20_202_021
    }
}

/// Read the ACL as tester `who`: the answer and its trace entry, or `None` without one.
pub async fn acl_read(
    ctx: &mut Ctx,
    who: usize,
) -> Result<(u64, usize, Option<(AclReadResponse, usize)>), Outcome> {
    ask(ctx, who, Body::AclRead, "an acl-read", |body| match body {
        Body::AclReadResponse(r) => Some(r),
        _ => None,
    })
    .await
}

/// The property the suite reads to see whether the device admits a controller.
pub const ADMITTED_PROBE: hearth_model::Path = hearth_model::Path::new(0, 1, 4);

/// Read [`ADMITTED_PROBE`] as tester `who`, a controller the device must not admit: the
/// device must refuse it, `e` naming the requirement and the read.
pub async fn read_refused(ctx: &mut Ctx, who: usize, e: super::expect::Expect<'_>) -> CaseResult {
    let body = Body::Read(vec![ADMITTED_PROBE]);
    let (id, _, sent) = ctx
        .probe
        .send(who, body, super::probe::Tamper::None)
        .await?;
    super::expect::refused(ctx, id, sent, e).await
}

/// Read [`ADMITTED_PROBE`] as tester `who`, a controller the ACL admits: a failure of
/// HRT-COM-064 when the read is not served, `what` naming the read.
pub async fn read_served(ctx: &mut Ctx, who: usize, what: &str) -> CaseResult {
    ctx.read(who, ADMITTED_PROBE).await.map(drop).map_err(|o| {
        Outcome::fail(
            crate::requirements::req::HRT_COM_064,
            format!("{what}: {}", o.reason),
        )
    })
}

/// The ACL as the manager reads it, or an error when the manager gets no answer (the lab's
/// setup, or an earlier failure, left the suite without one).
pub async fn acl_of(ctx: &mut Ctx) -> Result<(Vec<AclEntry>, usize), Outcome> {
    let who = manager(ctx)?;
    match acl_read(ctx, who).await? {
        (_, _, Some((r, seq))) => Ok((r.entries, seq)),
        (_, sent, None) => Err(Outcome::error(format!(
            "the manager's acl-read (trace #{sent}) had no answer within the response timeout"
        ))),
    }
}

/// Send an `acl-change` of `ops` as tester `who`: the request id, its trace entry, and the
/// answer with its trace entry, if one came within the response timeout.
pub async fn acl_change(
    ctx: &mut Ctx,
    who: usize,
    ops: Vec<AclOperation>,
) -> Result<(u64, usize, Option<(AclChangeResponse, usize)>), Outcome> {
    ask(
        ctx,
        who,
        Body::AclChange(ops),
        "an acl-change",
        |body| match body {
            Body::AclChangeResponse(r) => Some(r),
            _ => None,
        },
    )
    .await
}

/// Put the ACL back to `original` as the manager: remove every entry it lacks, set every
/// privilege it gives otherwise, add every entry it has that is missing — in one change, so
/// that a manager remains throughout. An error when the device refuses it.
pub async fn restore(ctx: &mut Ctx, original: &[AclEntry]) -> Result<(), Outcome> {
    let (now, _) = acl_of(ctx).await?;
    let ops = restoring(&now, original);
    if ops.is_empty() {
        return Ok(());
    }
    ctx.probe
        .note("put the access-control list back as it was before the test case");
    let who = manager(ctx)?;
    match acl_change(ctx, who, ops).await? {
        (_, _, Some((r, _))) if r.status == hearth_model::StatusCode::Success => Ok(()),
        (_, sent, _) => Err(Outcome::error(format!(
            "the manager could not put the ACL back (trace #{sent})"
        ))),
    }
}

/// The operations that turn the list `now` into `original`: additions and privilege
/// changes first, removals last, so that a manager of `original` is one before any entry
/// goes.
pub fn restoring(now: &[AclEntry], original: &[AclEntry]) -> Vec<AclOperation> {
    let mut ops = Vec::new();
    for e in original {
        match now.iter().find(|n| n.subject == e.subject) {
            None => ops.push(AclOperation::Add(*e)),
            Some(n) if n.privilege != e.privilege => ops.push(AclOperation::Set {
                subject: e.subject,
                privilege: e.privilege,
            }),
            Some(_) => {}
        }
    }
    for n in now {
        if !original.iter().any(|e| e.subject == n.subject) {
            ops.push(AclOperation::Remove(n.subject));
        }
    }
    ops
}

/// Open a window as the ICS allows — an enhanced one granting `operate`, asked for by the
/// manager, where it may; else the basic one of the operator's button — and wait for the
/// device to announce it: the window (`None` when no announcement came in time) and the
/// passcode that opens it.
pub async fn open_any(ctx: &mut Ctx) -> Result<(Option<DeviceWindow>, u32), Outcome> {
    if ctx.ics.commissioning.opens_by(WindowOpener::Manage) {
        let who = manager(ctx)?;
        let (status, payload) = ask_enhanced(ctx, who, Privilege::Operate).await?;
        match status {
            Some((hearth_model::StatusCode::Success, _)) => {}
            Some((other, seq)) => {
                return Err(Outcome::error(format!(
                    "the manager's window-control was answered {other} (trace #{seq}), so no window could be opened"
                )))
            }
            None => {
                return Err(Outcome::error(
                    "the manager's window-control had no answer, so no window could be opened",
                ))
            }
        }
        let within = announce_within(ctx);
        return Ok((opened(ctx, within).await?, payload.passcode().value()));
    }
    let passcode = ctx
        .ics
        .commissioning
        .setup()
        .map(|c| c.passcode().value())
        .ok_or_else(|| Outcome::error("the ICS gives no setup code"))?;
    press_button(ctx).await?;
    let within = announce_within(ctx);
    Ok((opened(ctx, within).await?, passcode))
}

/// As [`open_any`], for a case that cannot go on without the window: an error when the device
/// announced none in time.
pub async fn open_window(ctx: &mut Ctx) -> Result<(DeviceWindow, u32), Outcome> {
    let (window, passcode) = open_any(ctx).await?;
    let window = window.ok_or_else(|| Outcome::error("the device announced no open window"))?;
    Ok((window, passcode))
}

/// A window a case opened, with what it needs to put things back: the frame of a case that
/// works in a window, which reads the ACL and opens the window in its first step and closes it
/// and puts the ACL back in its last.
#[derive(Debug)]
pub struct InWindow {
    /// The window the device announced.
    pub window: DeviceWindow,
    /// The passcode that opens it.
    pub passcode: u32,
    /// The ACL as the manager read it before the window was opened.
    pub before: Vec<AclEntry>,
}

impl InWindow {
    /// Read the ACL as the manager and open a window as the ICS allows ([`open_window`]).
    pub async fn open(ctx: &mut Ctx) -> Result<Self, Outcome> {
        let (before, _) = acl_of(ctx).await?;
        let (window, passcode) = open_window(ctx).await?;
        Ok(Self {
            window,
            passcode,
            before,
        })
    }

    /// Close the window and put the ACL back as it was, whatever the case found: its
    /// `result`, unless putting things back fails.
    pub async fn close(self, ctx: &mut Ctx, result: CaseResult) -> CaseResult {
        close(ctx).await?;
        restore(ctx, &self.before).await?;
        result
    }
}

/// Check that `end`, a session with a wrong passcode, failed as the first failure a fresh
/// window counts: unauthorized, with one session fewer than [`MAX_SESSIONS`](hearth_wire::commissioning::MAX_SESSIONS) left. A failure
/// of `requirement` when it left another count (`after` saying what the window had seen), an
/// error when the session did not end unauthorized (`session` naming it).
pub fn first_failure(end: SessionEnd, requirement: Req, after: &str, session: &str) -> CaseResult {
    let left = hearth_wire::commissioning::MAX_SESSIONS;
    match end {
        SessionEnd::Ran {
            result: Some((r, _)),
            ..
        } if r.status == hearth_model::StatusCode::Unauthorized
            && r.sessions_left == left.checked_sub(1) =>
        {
            Ok(())
        }
        SessionEnd::Ran {
            result: Some((r, seq)),
            ..
        } if r.status == hearth_model::StatusCode::Unauthorized => Err(Outcome::fail(
            requirement,
            format!(
                "{after} a fresh window admits {:?} sessions, not {}",
                r.sessions_left,
                left - 1
            ),
        )
        .with_evidence([seq])),
        other => Err(Outcome::error(format!(
            "{session} ended {other:?}, not unauthorized"
        ))),
    }
}

/// Wait for the device to announce its window closed after a successful session: a failure
/// of HRT-COM-025 when no announcement comes within [`announce_within`].
pub async fn closed_after_success(ctx: &mut Ctx) -> CaseResult {
    let within = announce_within(ctx);
    if closed(ctx, within).await.is_none() {
        return Err(Outcome::fail(
            crate::requirements::req::HRT_COM_025,
            format!("after a successful session no window message announced the window closed within {within:?}"),
        ));
    }
    Ok(())
}

/// Whether `window` is of `window_type`.
pub fn is_type(window: &DeviceWindow, window_type: WindowType) -> bool {
    window.open.window_type == window_type
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_security::acl::AclSubject;

    fn entry(n: u8, privilege: Privilege) -> AclEntry {
        AclEntry {
            subject: AclSubject::Key(KeyId([n; 16])),
            privilege,
        }
    }

    #[test]
    fn restoring_adds_and_sets_before_it_removes() {
        let original = [entry(1, Privilege::Manage), entry(2, Privilege::Operate)];
        let now = [entry(2, Privilege::Manage), entry(3, Privilege::Manage)];
        let ops = restoring(&now, &original);
        assert_eq!(
            ops,
            vec![
                AclOperation::Add(entry(1, Privilege::Manage)),
                AclOperation::Set {
                    subject: entry(2, Privilege::Operate).subject,
                    privilege: Privilege::Operate
                },
                AclOperation::Remove(entry(3, Privilege::Manage).subject),
            ]
        );
        assert!(restoring(&original, &original).is_empty());
    }
}
