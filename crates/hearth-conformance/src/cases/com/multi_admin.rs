//! TC-COM-4.x, multi-admin: a manager opens an enhanced window with a fresh passcode, and a
//! second controller commissioned in it gets the privilege the manager named.

use hearth_model::{Privilege, StatusCode};
use hearth_security::acl::{AclEntry, AclSubject};
use hearth_wire::commissioning::{
    EnhancedWindow, VerifierBytes, WindowControl, WindowParams, WindowType, RECORD_LEN,
};
use hearth_wire::Body;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd};
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-4.1
    MULTI_ADMIN: "TC-COM-4.1",
    title: "A manager admits a second controller, with the privilege it names, through an enhanced window",
    checks: [
        HRT_COM_023,
        HRT_COM_025,
        HRT_COM_045,
        HRT_COM_064,
        HRT_COM_071,
        HRT_COM_074,
    ],
    steps: [
        "Read the ACL as the manager; as the manager, ask for an enhanced window granting operate with a fresh passcode: success, and the device announces an enhanced window with the discriminator, salt and iterations asked for (HRT-COM-023, HRT-COM-045).",
        "Ask for another window while it is open: busy (HRT-COM-071).",
        "As the controller the device does not admit, run a session with the fresh passcode: success, and the device announces its window closed (HRT-COM-025).",
        "The ACL lists the second controller with operate, and its read is served (HRT-COM-074, HRT-COM-064).",
        "Put the ACL back as it was: the second controller's read is refused again (HRT-COM-064).",
    ],
    applies: com::needs_manage_window,
    run: multi_admin,
}

async fn multi_admin(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let admin = com::manager(ctx)?;
    let (status, payload) = com::ask_enhanced(ctx, admin, Privilege::Operate).await?;
    match status {
        Some((StatusCode::Success, _)) => {}
        Some((other, seq)) => {
            return Err(Outcome::fail(
                req::HRT_COM_023,
                format!("the manager's window-control was answered {other}"),
            )
            .with_evidence([seq]))
        }
        None => {
            return Err(Outcome::fail(
                req::HRT_COM_023,
                "the manager's window-control had no answer",
            ))
        }
    }
    let within = com::announce_within(ctx);
    let Some(window) = com::opened(ctx, within).await? else {
        return Err(Outcome::fail(
            req::HRT_COM_023,
            format!("no window message announced the enhanced window within {within:?}"),
        ));
    };
    let result = second_controller(ctx, &window, payload.passcode().value(), &before).await;
    ctx.step(5);
    if result.is_err() {
        let _ = com::close(ctx).await;
    }
    com::restore(ctx, &before).await?;
    result?;
    let who = ctx.stranger()?;
    let e = (
        req::HRT_COM_064,
        "a read by a controller whose entry was removed",
    );
    com::read_refused(ctx, who, e).await
}

/// Steps 1 (the announcement) to 4 of TC-COM-4.1.
async fn second_controller(
    ctx: &mut Ctx,
    window: &DeviceWindow,
    passcode: u32,
    before: &[AclEntry],
) -> CaseResult {
    if !com::is_type(window, WindowType::Enhanced) {
        return Err(Outcome::fail(
            req::HRT_COM_045,
            "the window the manager asked for is announced as a basic window",
        )
        .with_evidence([window.seq]));
    }
    ctx.step(2);
    let admin = com::manager(ctx)?;
    let (status, _) = com::ask_enhanced(ctx, admin, Privilege::Operate).await?;
    if let Some((s, seq)) = status {
        if s != StatusCode::Busy {
            return Err(Outcome::fail(
                req::HRT_COM_071,
                format!("a window-control that opens a window while one is open was answered {s}"),
            )
            .with_evidence([seq]));
        }
    } else {
        return Err(Outcome::fail(
            req::HRT_COM_071,
            "a window-control that opens a window while one is open had no answer",
        ));
    }
    ctx.step(3);
    let who = ctx.stranger()?;
    let key = com::key_of(ctx, who).ok_or_else(|| Outcome::error("no stranger"))?;
    match com::session(ctx, who, window, passcode, Confirm::Honest).await? {
        SessionEnd::Ran {
            confirm_v_ok: true,
            result: Some((r, _)),
            ..
        } if r.status == StatusCode::Success => {}
        other => {
            return Err(Outcome::fail(
                req::HRT_COM_074,
                format!("a session with the enhanced window's passcode ended {other:?}"),
            ))
        }
    }
    com::closed_after_success(ctx).await?;
    ctx.step(4);
    let (entries, seq) = com::acl_of(ctx).await?;
    let entry = entries.iter().find(|e| e.subject == AclSubject::Key(key));
    if entry.map(|e| e.privilege) != Some(Privilege::Operate) || entries.len() != before.len() + 1 {
        return Err(Outcome::fail(
            req::HRT_COM_074,
            format!("after commissioning in a window granting operate the ACL gives the second controller {:?}", entry.map(|e| e.privilege)),
        )
        .with_evidence([seq]));
    }
    com::read_served(ctx, who, "the second controller's read").await
}

test_case! {
    /// TC-COM-4.2
    BAD_RECORD: "TC-COM-4.2",
    title: "A window-control whose verifier record is no point of P-256 is refused",
    checks: [
        HRT_COM_072,
    ],
    steps: [
        "As the manager, ask for an enhanced window whose verifier record is 97 bytes that decode as no point: constraint-error (HRT-COM-072).",
        "Close any window as the manager.",
    ],
    applies: com::needs_manage_window,
    run: bad_record,
}

async fn bad_record(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let admin = com::manager(ctx)?;
    let request = EnhancedWindow {
        params: WindowParams {
            discriminator: 0x123,
            salt: vec![0x42; 16],
            iterations: com::SUITE_ITERATIONS,
        },
        verifier: VerifierBytes([0x01; RECORD_LEN]),
        duration: com::SUITE_WINDOW_SECS,
        privilege: Privilege::Operate,
    };
    let body = Body::WindowControl(WindowControl::Open(Box::new(request)));
    let status = com::window_control(ctx, admin, body).await?;
    ctx.step(2);
    com::close(ctx).await?;
    match status {
        Some((StatusCode::ConstraintError, _)) => Ok(()),
        Some((other, seq)) => Err(Outcome::fail(
            req::HRT_COM_072,
            format!(
                "a window-control with a verifier record that is no point was answered {other}"
            ),
        )
        .with_evidence([seq])),
        None => Err(Outcome::fail(
            req::HRT_COM_072,
            "a window-control with a verifier record that is no point had no answer",
        )),
    }
}

test_case! {
    /// TC-COM-4.3
    RECORD_ERASED: "TC-COM-4.3",
    title: "Once an enhanced window closes, its temporary passcode commissions no more",
    checks: [
        HRT_COM_073,
    ],
    steps: [
        "Read the ACL as the manager; as the manager, ask for an enhanced window granting operate with a fresh passcode: the device announces it.",
        "Close it as the manager: the device announces it closed.",
        "Press the appliance's button: the device announces an open basic window.",
        "As the controller the device does not admit, run a session with the closed enhanced window's passcode: it fails, unauthorized — the temporary record is gone (HRT-COM-073).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: erased_applies,
    run: record_erased,
}

/// Applicability of TC-COM-4.3: an enhanced window and the button.
fn erased_applies(ctx: &Ctx) -> Result<(), String> {
    com::needs_manage_window(ctx)?;
    com::needs_button(ctx)
}

async fn record_erased(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let admin = com::manager(ctx)?;
    let (status, payload) = com::ask_enhanced(ctx, admin, Privilege::Operate).await?;
    if !matches!(status, Some((StatusCode::Success, _))) {
        return Err(Outcome::error(format!(
            "the manager's window-control was answered {status:?}"
        )));
    }
    let within = com::announce_within(ctx);
    if com::opened(ctx, within).await?.is_none() {
        return Err(Outcome::error(
            "the device announced no open enhanced window",
        ));
    }
    ctx.step(2);
    com::close(ctx).await?;
    if com::closed(ctx, within).await.is_none() {
        return Err(Outcome::error(
            "the device did not announce the enhanced window closed",
        ));
    }
    ctx.step(3);
    com::press_button(ctx).await?;
    let Some(window) = com::opened(ctx, within).await? else {
        return Err(Outcome::error(
            "no window message announced an open window after the button",
        ));
    };
    let result = old_passcode(ctx, &window, payload.passcode().value()).await;
    ctx.step(5);
    com::close(ctx).await?;
    com::restore(ctx, &before).await?;
    result
}

/// Step 4 of TC-COM-4.3.
async fn old_passcode(ctx: &mut Ctx, window: &DeviceWindow, passcode: u32) -> CaseResult {
    ctx.step(4);
    let who = ctx.stranger()?;
    let printed = ctx.ics.commissioning.setup().map(|c| c.passcode().value());
    if printed == Some(passcode) {
        return Err(Outcome::error(
            "the fresh passcode of the enhanced window is the printed one",
        ));
    }
    match com::session(ctx, who, window, passcode, Confirm::Honest).await? {
        SessionEnd::Ran {
            result: Some((r, seq)),
            ..
        } if r.status == StatusCode::Success => Err(Outcome::fail(
            req::HRT_COM_073,
            "a session with the passcode of an enhanced window that had closed succeeded in the next basic window",
        )
        .with_evidence([seq])),
        SessionEnd::Ran {
            confirm_v_ok: true,
            response,
            ..
        } => Err(Outcome::fail(
            req::HRT_COM_073,
            "in the basic window after an enhanced one the device's confirmV confirms the enhanced window's passcode",
        )
        .with_evidence([response])),
        _ => Ok(()),
    }
}
