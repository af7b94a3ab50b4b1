//! TC-COM-1.x, the commissioning window: what it announces (the device's attested chain,
//! matching the setup payload), that the printed code commissions the device in the window
//! its button opens, and that a window closes at the latest when it said it would.

use std::time::Duration;

use hearth_model::catalog::Catalog;
use hearth_model::setup::SetupCode;
use hearth_model::{Privilege, StatusCode};
use hearth_security::acl::AclSubject;
use hearth_wire::commissioning::WindowType;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd};
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-1.1
    ANNOUNCEMENT: "TC-COM-1.1",
    title: "An open window is announced, retained, with the device's attested chain, matching its setup payload",
    checks: [
        HRT_COM_002,
        HRT_COM_027,
        HRT_COM_043,
        HRT_COM_045,
    ],
    steps: [
        "Open a window as the ICS allows: the manager's enhanced window, else the operator's button.",
        "Wait for the device's window message: open, retained, opening with the device's chain validated against the suite's trust anchors (HRT-COM-043).",
        "The leaf certificate's vendor id and device type are those of the setup code of the ICS, and the window's discriminator, salt and iterations are those of the window asked for or of the setup code (HRT-COM-002, HRT-COM-045).",
        "Close the window as the manager: the device announces it closed (HRT-COM-027, HRT-COM-043).",
    ],
    applies: com::needs_window,
    run: announcement,
}

async fn announcement(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let enhanced = ctx
        .ics
        .commissioning
        .opens_by(crate::ics::WindowOpener::Manage);
    let asked = if enhanced {
        let who = com::manager(ctx)?;
        let (status, payload) = com::ask_enhanced(ctx, who, Privilege::Operate).await?;
        if !matches!(status, Some((StatusCode::Success, _))) {
            return Err(Outcome::error(format!(
                "the manager's window-control was answered {status:?}"
            )));
        }
        Some(payload)
    } else {
        com::press_button(ctx).await?;
        None
    };
    ctx.step(2);
    let within = com::announce_within(ctx);
    let Some(window) = com::opened(ctx, within).await? else {
        let (requirement, how) = if enhanced {
            (req::HRT_COM_043, "the manager's window-control opened")
        } else {
            (req::HRT_COM_043, "the button opened")
        };
        return Err(Outcome::fail(
            requirement,
            format!("no window message announcing the window {how} came within {within:?}"),
        ));
    };
    let broker = ctx.broker()?;
    let watch = ctx.params.silence_window;
    let retained = ctx
        .probe
        .retained(&broker, hearth_mqtt::topic::Channel::Window, watch)
        .await?;
    let checked = if retained {
        matches_payload(ctx, &window, asked.as_ref())
    } else {
        Err(Outcome::fail(
            req::HRT_COM_043,
            format!("a fresh subscription to the window topic got no retained message within {watch:?} while the window was open"),
        ))
    };
    ctx.step(4);
    com::close(ctx).await?;
    let within = com::announce_within(ctx);
    let closed = com::closed(ctx, within).await;
    checked?;
    match closed {
        Some(_) => Ok(()),
        None => Err(Outcome::fail(
            req::HRT_COM_027,
            format!("after the manager closed the window, no window message announced it closed within {within:?}"),
        )),
    }
}

/// Step 3: the certificate and the window against the setup code and what was asked for.
fn matches_payload(
    ctx: &mut Ctx,
    window: &DeviceWindow,
    asked: Option<&hearth_model::setup::SetupPayload>,
) -> CaseResult {
    ctx.step(3);
    let claims = window.leaf.claims();
    let certified_type = claims.device_type.clone().unwrap_or_default();
    let fail = |r: Req, why: String| Err(Outcome::fail(r, why).with_evidence([window.seq]));
    if let Some(SetupCode::Qr(payload)) = ctx.ics.commissioning.setup() {
        let printed_type = Catalog::standard()
            .device_type(payload.device_type())
            .map(|d| d.name.clone())
            .unwrap_or_default();
        if claims.vendor_id != Some(payload.vendor_id()) || certified_type != printed_type {
            return fail(
                req::HRT_COM_002,
                format!(
                    "the device's certificate names vendor {:?} and device type {certified_type:?}; its setup code, vendor {:04x} and device type {printed_type:?}",
                    claims.vendor_id,
                    payload.vendor_id()
                ),
            );
        }
    }
    let params = &window.open.params;
    match asked {
        Some(p) => {
            if window.open.window_type != WindowType::Enhanced
                || params.discriminator != p.discriminator()
            {
                return fail(
                    req::HRT_COM_045,
                    format!(
                        "the window opened for the manager announces {:?} with discriminator {}, asked for an enhanced window with {}",
                        window.open.window_type, params.discriminator, p.discriminator()
                    ),
                );
            }
        }
        None => {
            let code = ctx.ics.commissioning.setup();
            if code.is_some_and(|c| !c.matches_discriminator(params.discriminator)) {
                return fail(
                    req::HRT_COM_045,
                    format!(
                        "the basic window announces discriminator {}, which the setup code of the ICS does not give",
                        params.discriminator
                    ),
                );
            }
        }
    }
    Ok(())
}

test_case! {
    /// TC-COM-1.2
    COMMISSIONED: "TC-COM-1.2",
    title: "The printed setup code commissions the device, with manage, in the window its button opens",
    checks: [
        HRT_COM_022,
        HRT_COM_025,
        HRT_COM_030,
        HRT_COM_031,
        HRT_COM_038,
        HRT_COM_039,
        HRT_COM_042,
        HRT_COM_048,
        HRT_COM_049,
        HRT_COM_055,
        HRT_COM_061,
        HRT_COM_064,
    ],
    steps: [
        "Read the ACL as the manager; press the appliance's button: the device announces an open basic window (HRT-COM-022).",
        "As the controller the device does not admit, run a session with the passcode of the setup code: a pake-response whose confirmV the suite's SPAKE2+ confirms, with the passcode derivation, context and identities of chapter 7 (HRT-COM-030, HRT-COM-031, HRT-COM-038, HRT-COM-039), then a commission-result of success (HRT-COM-048, HRT-COM-049); both came on the commissioner's response topic (HRT-COM-042).",
        "The device announces its window closed (HRT-COM-025).",
        "The manager's acl-read lists the commissioner's key with manage, and a read by the commissioner is served (HRT-COM-055, HRT-COM-061, HRT-COM-064).",
        "Put the ACL back as it was.",
    ],
    applies: com::needs_button,
    run: commissioned,
}

async fn commissioned(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let passcode = ctx
        .ics
        .commissioning
        .setup()
        .map(|c| c.passcode().value())
        .ok_or_else(|| Outcome::error("no setup code"))?;
    com::press_button(ctx).await?;
    let within = com::announce_within(ctx);
    let Some(window) = com::opened(ctx, within).await? else {
        return Err(Outcome::fail(
            req::HRT_COM_022,
            format!("no window message announced an open window within {within:?} of the button"),
        ));
    };
    let result = commission(ctx, &window, passcode).await;
    ctx.step(5);
    let put_back = com::restore(ctx, &before).await;
    if result.is_err() {
        let _ = com::close(ctx).await;
    }
    result?;
    put_back
}

/// Steps 2 to 4 of TC-COM-1.2.
async fn commission(ctx: &mut Ctx, window: &DeviceWindow, passcode: u32) -> CaseResult {
    ctx.step(2);
    let who = ctx.stranger()?;
    let key = com::key_of(ctx, who).ok_or_else(|| Outcome::error("no stranger"))?;
    match com::session(ctx, who, window, passcode, Confirm::Honest).await? {
        SessionEnd::Ran {
            confirm_v_ok: true,
            result: Some((r, seq)),
            response,
        } if r.status == StatusCode::Success => {
            if let Some(&astray) = [response, seq]
                .iter()
                .find(|&&s| !com::on_responses_of(ctx, who, s))
            {
                return Err(Outcome::fail(
                    req::HRT_COM_042,
                    "the device's answer in a session did not come on the commissioner's response topic",
                )
                .with_evidence([astray]));
            }
        }
        SessionEnd::Ran {
            confirm_v_ok: false,
            response,
            ..
        } => {
            return Err(Outcome::fail(
                req::HRT_COM_030,
                "the device's confirmV does not confirm the passcode of its setup code with the derivation, context and identities of chapter 7 §5",
            )
            .with_evidence([response]))
        }
        other => {
            return Err(Outcome::fail(
                req::HRT_COM_049,
                format!("a session with the right passcode ended {other:?}"),
            ))
        }
    }
    ctx.step(3);
    com::closed_after_success(ctx).await?;
    ctx.step(4);
    let (entries, seq) = com::acl_of(ctx).await?;
    let listed = entries
        .iter()
        .any(|e| e.subject == AclSubject::Key(key) && e.privilege == Privilege::Manage);
    if !listed {
        return Err(Outcome::fail(
            req::HRT_COM_055,
            "after a successful session the ACL does not list the commissioner's key with manage",
        )
        .with_evidence([seq]));
    }
    com::read_served(ctx, who, "the commissioner's read after commissioning").await
}

test_case! {
    /// TC-COM-1.3
    WINDOW_TIMEOUT: "TC-COM-1.3",
    title: "A window closes at the latest when its announcement says",
    checks: [
        HRT_COM_026,
    ],
    steps: [
        "Open a window as the ICS allows (the manager's enhanced window asks for the shortest duration, 180 s).",
        "Its announcement gives at most 900 seconds until it closes (HRT-COM-026).",
        "Wait, no longer than that time and the latency allowance, for the device to announce the window closed (HRT-COM-026).",
    ],
    applies: timeout_applies,
    run: window_timeout,
}

/// Applicability of TC-COM-1.3: a window, and a test timeout that lets the case wait for the
/// shortest one.
fn timeout_applies(ctx: &Ctx) -> Result<(), String> {
    com::needs_window(ctx)?;
    let shortest = Duration::from_secs(u64::from(com::SUITE_WINDOW_SECS));
    if ctx.params.test_timeout <= shortest + ctx.response_timeout() * 4 {
        return Err(format!(
            "test_timeout ({:?}) is too short to wait for a window of {shortest:?} to close",
            ctx.params.test_timeout
        ));
    }
    Ok(())
}

async fn window_timeout(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (window, _) = com::open_window(ctx).await?;
    ctx.step(2);
    let closes_in = window.open.closes_in;
    if closes_in > hearth_wire::commissioning::MAX_WINDOW_SECS {
        let _ = com::close(ctx).await;
        return Err(Outcome::fail(
            req::HRT_COM_026,
            format!("the window announces {closes_in} s until it closes"),
        )
        .with_evidence([window.seq]));
    }
    ctx.step_with(3, format!("at most {closes_in} s"));
    // Whole seconds are announced, rounded down: one more second bounds the wait.
    let bound = Duration::from_secs(u64::from(closes_in) + 1) + ctx.params.latency_allowance;
    match com::closed(ctx, bound).await {
        Some(_) => Ok(()),
        None => {
            let _ = com::close(ctx).await;
            Err(Outcome::fail(
                req::HRT_COM_026,
                format!("the window announced to close within {closes_in} s was not announced closed within {bound:?}"),
            )
            .with_evidence([window.seq]))
        }
    }
}

test_case! {
    /// TC-COM-1.4
    FACTORY_PARAMETERS: "TC-COM-1.4",
    title: "Every basic window announces the same salt and iterations: those of the factory's verifier record",
    checks: [
        HRT_COM_085,
    ],
    steps: [
        "Press the appliance's button: the device announces an open basic window; note its salt and iteration count.",
        "Close it as the manager and press the button again: the new basic window announces the same salt and iteration count (HRT-COM-085).",
        "Where the run can restart the device: close the window, restart the device, press the button: the same salt and iteration count again (HRT-COM-085).",
        "Close the window as the manager.",
    ],
    applies: com::needs_button,
    run: factory_parameters,
}

async fn factory_parameters(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let first = basic_window(ctx).await?;
    let result = same_parameters(ctx, &first).await;
    ctx.step(4);
    com::close(ctx).await?;
    result
}

/// Steps 2 and 3 of TC-COM-1.4.
async fn same_parameters(ctx: &mut Ctx, first: &DeviceWindow) -> CaseResult {
    ctx.step(2);
    com::close(ctx).await?;
    let again = basic_window(ctx).await?;
    compare(first, &again, "the next basic window")?;
    if crate::harness::wait::restartable(ctx).is_err() {
        ctx.step_with(3, "not run: the run cannot restart the device");
        return Ok(());
    }
    ctx.step(3);
    com::close(ctx).await?;
    crate::harness::wait::restart(ctx).await?;
    let restarted = basic_window(ctx).await?;
    compare(first, &restarted, "the first basic window after a restart")
}

/// Press the button and wait for the basic window it opens.
async fn basic_window(ctx: &mut Ctx) -> Result<DeviceWindow, Outcome> {
    com::press_button(ctx).await?;
    let within = com::announce_within(ctx);
    match com::opened(ctx, within).await? {
        Some(w) if com::is_type(&w, WindowType::Basic) => Ok(w),
        Some(w) => Err(Outcome::error(format!(
            "the button opened a window announced as {:?} (trace #{})",
            w.open.window_type, w.seq
        ))),
        None => Err(Outcome::error(format!(
            "no window message announced an open window within {within:?} of the button"
        ))),
    }
}

/// Fails HRT-COM-085 when `later` (`what`) announces another salt or iteration count than
/// `first`.
fn compare(first: &DeviceWindow, later: &DeviceWindow, what: &str) -> CaseResult {
    let (a, b) = (&first.open.params, &later.open.params);
    if a.salt == b.salt && a.iterations == b.iterations {
        return Ok(());
    }
    Err(Outcome::fail(
        req::HRT_COM_085,
        format!(
            "{what} announces salt {} with {} iterations; the first, salt {} with {} iterations",
            hex(&b.salt),
            b.iterations,
            hex(&a.salt),
            a.iterations
        ),
    )
    .with_evidence([first.seq, later.seq]))
}

/// `bytes` in hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
