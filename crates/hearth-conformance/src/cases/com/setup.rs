//! TC-COM-8.x, what the device carries and keeps: the setup code printed on it, what a
//! freshly opened window announces and the device's fresh share in each session, and its ACL
//! across a restart.

use hearth_model::setup::{ManualCode, SetupError, SetupPayload, QR_PREFIX, TRIVIAL_PASSCODES};
use hearth_model::{Privilege, StatusCode};
use hearth_security::acl::{AclEntry, AclSubject};
use hearth_wire::commissioning::{AclOperation, ITERATIONS, MIN_WINDOW_SECS, SALT_LEN};

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, Started};
use crate::harness::wait;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-8.1
    SETUP_CODE: "TC-COM-8.1",
    title: "The setup code printed on the appliance is a valid QR text or manual code",
    checks: [
        HRT_COM_001,
        HRT_COM_003,
        HRT_COM_010,
        HRT_COM_012,
    ],
    steps: [
        "Take the setup code the ICS gives, as printed on the appliance.",
        "A QR text: it decodes by the grammar, each part of its fixed form and nothing before, between or after them (HRT-COM-010); its fields are within Table 1 (HRT-COM-001) and its passcode none of the forbidden ones (HRT-COM-003); the fields encode back to the same text (HRT-COM-010).",
        "A manual code: eleven digits, the first at most 3 and the last the check digit of the ten before it (HRT-COM-012); its passcode within Table 1 (HRT-COM-001) and none of the forbidden ones (HRT-COM-003).",
    ],
    applies: has_setup_code,
    run: setup_code,
}

/// Applicability of TC-COM-8.1: the ICS gives the setup code printed on the appliance.
fn has_setup_code(ctx: &Ctx) -> Result<(), String> {
    match ctx.ics.commissioning.setup_code {
        Some(_) => Ok(()),
        None => Err("the ICS gives no setup code".into()),
    }
}

async fn setup_code(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let text = ctx
        .ics
        .commissioning
        .setup_code
        .clone()
        .ok_or_else(|| Outcome::error("the ICS gives no setup code"))?;
    let problem = if text.starts_with(QR_PREFIX) {
        ctx.step(2);
        ctx.step_with(3, "not run: the setup code is a QR text");
        qr_problem(&text)
    } else {
        ctx.step_with(2, "not run: the setup code is a manual code");
        ctx.step(3);
        manual_problem(&text)
    };
    match problem {
        None => Ok(()),
        Some((requirement, why)) => Err(Outcome::fail(
            requirement,
            format!("the setup code the ICS gives: {why}"),
        )),
    }
}

/// What is wrong with the QR text `text`, and the requirement it breaks.
fn qr_problem(text: &str) -> Option<(Req, String)> {
    match SetupPayload::from_qr_text(text) {
        Ok(payload) if payload.to_qr_text() == text => None,
        Ok(payload) => Some((
            req::HRT_COM_010,
            format!(
                "its fields encode as {}, not as the text printed",
                payload.to_qr_text()
            ),
        )),
        Err(e) => {
            // The passcode is the last part, when the text has that far a form.
            let passcode = text.rsplit('.').next().and_then(|p| p.parse().ok());
            Some((
                requirement_of(&e, passcode, req::HRT_COM_010),
                e.to_string(),
            ))
        }
    }
}

/// What is wrong with the manual code `text`, and the requirement it breaks.
fn manual_problem(text: &str) -> Option<(Req, String)> {
    let e = ManualCode::parse(text).err()?;
    Some((
        requirement_of(&e, manual_passcode(text), req::HRT_COM_012),
        e.to_string(),
    ))
}

/// The requirement a setup code refused with `e` breaks: a passcode outside Table 1 breaks
/// HRT-COM-001 and a forbidden one HRT-COM-003, another field outside Table 1 HRT-COM-001,
/// and anything else the form of its kind, `form`.
fn requirement_of(e: &SetupError, passcode: Option<u32>, form: Req) -> Req {
    match e {
        SetupError::Passcode if passcode.is_some_and(|p| TRIVIAL_PASSCODES.contains(&p)) => {
            req::HRT_COM_003
        }
        SetupError::Passcode
        | SetupError::VendorId(_)
        | SetupError::DeviceType(_)
        | SetupError::Discriminator(_) => req::HRT_COM_001,
        _ => form,
    }
}

/// The passcode a manual code of eleven digits carries in its digits 2 to 10 (Table 3),
/// whether or not it is valid.
fn manual_passcode(text: &str) -> Option<u32> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let low: u32 = digits.get(1..6)?.parse().ok()?;
    let high: u32 = digits.get(6..10)?.parse().ok()?;
    Some((high << 14) | (low & 0x3FFF))
}

test_case! {
    /// TC-COM-8.2
    FRESH_WINDOW: "TC-COM-8.2",
    title: "A window announces a salt and iterations within bounds and a life of at least 180 s, and each session a fresh share",
    checks: [
        HRT_COM_019,
        HRT_COM_036,
        HRT_COM_037,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows (the manager's enhanced window asks for the shortest duration, 180 s).",
        "Its announcement gives a salt of 16 to 32 bytes and an iteration count from 1000 to 100000 (HRT-COM-037), and at least 180 s until it closes, less the time an announcement may take (HRT-COM-019).",
        "As the controller the device does not admit, start two sessions with a wrong passcode, each ending with an abort: the device's shareV differs between them (HRT-COM-036).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: fresh_window,
}

async fn fresh_window(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = match announced(ctx, &w.window) {
        Ok(()) => fresh_shares(ctx, &w.window, com::wrong_passcode(w.passcode)).await,
        Err(e) => Err(e),
    };
    ctx.step(4);
    w.close(ctx, result).await
}

/// Step 2 of TC-COM-8.2.
fn announced(ctx: &mut Ctx, window: &DeviceWindow) -> CaseResult {
    ctx.step(2);
    let params = &window.open.params;
    if !SALT_LEN.contains(&params.salt.len()) || !ITERATIONS.contains(&params.iterations) {
        return Err(Outcome::fail(
            req::HRT_COM_037,
            format!(
                "the window announces a salt of {} bytes and {} iterations",
                params.salt.len(),
                params.iterations
            ),
        )
        .with_evidence([window.seq]));
    }
    // The announcement may have taken its time: that much of the window may be gone.
    let late = com::announce_within(ctx).as_secs().saturating_add(1);
    let closes_in = u64::from(window.open.closes_in);
    if closes_in.saturating_add(late) < u64::from(MIN_WINDOW_SECS) {
        return Err(Outcome::fail(
            req::HRT_COM_019,
            format!("a window just opened announces {closes_in} s until it closes"),
        )
        .with_evidence([window.seq]));
    }
    Ok(())
}

/// Step 3 of TC-COM-8.2.
async fn fresh_shares(ctx: &mut Ctx, window: &DeviceWindow, wrong: u32) -> CaseResult {
    ctx.step(3);
    let who = ctx.stranger()?;
    let first = device_share(ctx, who, window, wrong).await?;
    let second = device_share(ctx, who, window, wrong).await?;
    if first.0 == second.0 {
        return Err(Outcome::fail(
            req::HRT_COM_036,
            "the device sent the same shareV in two sessions",
        )
        .with_evidence([first.1, second.1]));
    }
    Ok(())
}

/// One session of tester `who` with `wrong`, aborted: the device's `shareV` and the trace
/// entry of its `pake-response`.
async fn device_share(
    ctx: &mut Ctx,
    who: usize,
    window: &DeviceWindow,
    wrong: u32,
) -> Result<([u8; 65], usize), Outcome> {
    match com::start(ctx, who, window, wrong).await? {
        Started::Running(running) => {
            let share = (running.share, running.response);
            com::finish(ctx, running, Confirm::Honest).await?;
            Ok(share)
        }
        Started::Ended(end) => Err(Outcome::error(format!(
            "a pake-start in an open window ended {end:?}"
        ))),
    }
}

test_case! {
    /// TC-COM-8.3
    ACL_KEPT: "TC-COM-8.3",
    title: "The ACL is kept across a restart",
    checks: [
        HRT_COM_065,
    ],
    steps: [
        "Read the ACL as the manager; add the controller the device does not admit with privilege operate.",
        "Restart the device.",
        "The manager reads the ACL: the entries it had before the restart, the added one among them (HRT-COM-065).",
        "Put the ACL back as it was.",
    ],
    applies: restartable,
    run: acl_kept,
}

/// Applicability of TC-COM-8.3: commissioning, and a run that can restart the device.
fn restartable(ctx: &Ctx) -> Result<(), String> {
    com::needs_commissioning(ctx)?;
    wait::restartable(ctx)
}

async fn acl_kept(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let result = across_restart(ctx).await;
    ctx.step(4);
    // A device that lost its ACL cannot be put back by the manager: its failure stands.
    let restored = com::restore(ctx, &before).await;
    result.and(restored)
}

/// Steps 1 (the addition) to 3 of TC-COM-8.3.
async fn across_restart(ctx: &mut Ctx) -> CaseResult {
    let manager = com::manager(ctx)?;
    let who = ctx.stranger()?;
    let key = com::key_of(ctx, who).ok_or_else(|| Outcome::error("no such tester"))?;
    let added = AclEntry {
        subject: AclSubject::Key(key),
        privilege: Privilege::Operate,
    };
    match com::acl_change(ctx, manager, vec![AclOperation::Add(added)]).await? {
        (_, _, Some((r, _))) if r.status == StatusCode::Success => {}
        (_, sent, answer) => {
            return Err(Outcome::error(format!(
            "the manager's acl-change (trace #{sent}) adding a controller was answered {answer:?}"
        )))
        }
    }
    let (changed, seq) = com::acl_of(ctx).await?;
    ctx.step(2);
    wait::restart(ctx).await?;
    ctx.step(3);
    let after = match com::acl_read(ctx, manager).await {
        Ok((_, _, Some((r, _)))) => Ok(r.entries),
        Ok((_, sent, None)) => Err(format!(
            "the manager's acl-read (trace #{sent}) had no answer"
        )),
        Err(o) => Err(o.reason.to_string()),
    }
    .map_err(|why| Outcome::fail(req::HRT_COM_065, format!("after the restart: {why}")))?;
    if after != changed {
        return Err(Outcome::fail(
            req::HRT_COM_065,
            format!(
                "before the restart the ACL had {} entries, after it {}, not the same",
                changed.len(),
                after.len()
            ),
        )
        .with_evidence([seq]));
    }
    Ok(())
}
