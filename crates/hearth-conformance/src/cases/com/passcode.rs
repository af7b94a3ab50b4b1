//! TC-COM-2.x, guessing the passcode: a wrong passcode is refused, counted and changes
//! nothing, and a window closes after 20 failed sessions.

use hearth_model::StatusCode;
use hearth_security::acl::AclEntry;
use hearth_wire::commissioning::MAX_SESSIONS;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd};
use crate::harness::expect;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-2.1
    WRONG_PASSCODE: "TC-COM-2.1",
    title: "A session with a wrong passcode is refused, counted, and changes nothing",
    checks: [
        HRT_COM_035,
        HRT_COM_049,
        HRT_COM_056,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows.",
        "As the controller the device does not admit, run a session with a wrong passcode and send a confirmP regardless: the commission-result is unauthorized and the window admits one session fewer (HRT-COM-049, HRT-COM-035, HRT-COM-056).",
        "Run another with a wrong passcode that ends with an abort: unauthorized, and one session fewer again (HRT-COM-035, HRT-COM-049).",
        "The ACL is unchanged and the commissioner's read is still refused (HRT-COM-056).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: wrong_guesses,
}

async fn wrong_guesses(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = guesses(ctx, &w.window, com::wrong_passcode(w.passcode), &w.before).await;
    ctx.step(5);
    w.close(ctx, result).await
}

/// Steps 2 to 4 of TC-COM-2.1.
async fn guesses(
    ctx: &mut Ctx,
    window: &DeviceWindow,
    wrong: u32,
    before: &[AclEntry],
) -> CaseResult {
    let who = ctx.stranger()?;
    ctx.step(2);
    let first = failed(
        ctx,
        who,
        window,
        wrong,
        Confirm::Regardless,
        req::HRT_COM_056,
    )
    .await?;
    ctx.step(3);
    let second = failed(ctx, who, window, wrong, Confirm::Honest, req::HRT_COM_035).await?;
    if let (Some(a), Some(b)) = (first, second) {
        if b.checked_add(1) != Some(a) {
            return Err(Outcome::fail(
                req::HRT_COM_049,
                format!(
                    "after a failed session the window admitted {a} sessions, after the next {b}"
                ),
            ));
        }
    }
    ctx.step(4);
    let (after, seq) = com::acl_of(ctx).await?;
    if after != before {
        return Err(Outcome::fail(
            req::HRT_COM_056,
            "failed sessions changed the access-control list",
        )
        .with_evidence([seq]));
    }
    let e = (
        req::HRT_COM_056,
        "a read by the commissioner of the failed sessions",
    );
    com::read_refused(ctx, who, e).await
}

/// One session with the wrong passcode as tester `who`, ended as `confirm` says; it must end
/// unauthorized, `requirement` naming a success. The sessions the window still admits, as
/// the device said.
async fn failed(
    ctx: &mut Ctx,
    who: usize,
    window: &DeviceWindow,
    wrong: u32,
    confirm: Confirm,
    requirement: Req,
) -> Result<Option<u8>, Outcome> {
    match com::session(ctx, who, window, wrong, confirm).await? {
        SessionEnd::Ran {
            result: Some((r, seq)),
            ..
        } => {
            if r.status == StatusCode::Success {
                return Err(Outcome::fail(
                    requirement,
                    "a session with a wrong passcode ended in success: the commissioner is admitted",
                )
                .with_evidence([seq]));
            }
            if r.status != StatusCode::Unauthorized || r.sessions_left.is_none() {
                return Err(Outcome::fail(
                    req::HRT_COM_049,
                    format!(
                        "a failed session ended {} with {:?} sessions left, not unauthorized with the count",
                        r.status, r.sessions_left
                    ),
                )
                .with_evidence([seq]));
            }
            Ok(r.sessions_left)
        }
        SessionEnd::Ran {
            response,
            result: None,
            ..
        } => Err(Outcome::fail(
            req::HRT_COM_049,
            "the pake-confirm of a running session had no commission-result",
        )
        .with_evidence([response])),
        other => Err(Outcome::fail(
            req::HRT_COM_049,
            format!("a pake-start in an open window ended {other:?}"),
        )),
    }
}

test_case! {
    /// TC-COM-2.2
    ATTEMPT_LIMIT: "TC-COM-2.2",
    title: "A window closes after 20 failed sessions and takes no further pake-start",
    checks: [
        HRT_COM_020,
        HRT_COM_024,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows.",
        "As the controller the device does not admit, fail 20 sessions with a wrong passcode, each ending with an abort.",
        "The device announces the window closed (HRT-COM-024).",
        "A further pake-start is not answered (HRT-COM-020).",
        "Close the window if it is still open; put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: attempt_limit,
}

async fn attempt_limit(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = exhaust(ctx, &w.window, com::wrong_passcode(w.passcode)).await;
    ctx.step(5);
    w.close(ctx, result).await
}

/// Steps 2 to 4 of TC-COM-2.2.
async fn exhaust(ctx: &mut Ctx, window: &DeviceWindow, wrong: u32) -> CaseResult {
    let who = ctx.stranger()?;
    ctx.step(2);
    for n in 1..=MAX_SESSIONS {
        match com::session(ctx, who, window, wrong, Confirm::Honest).await? {
            SessionEnd::Ran {
                result: Some((r, _)),
                ..
            } if r.status == StatusCode::Unauthorized => {}
            other => {
                return Err(Outcome::error(format!(
                    "failed session {n} of {MAX_SESSIONS} ended {other:?}, not unauthorized"
                )))
            }
        }
    }
    ctx.step(3);
    let within = com::announce_within(ctx);
    if com::closed(ctx, within).await.is_none() {
        return Err(Outcome::fail(
            req::HRT_COM_024,
            format!("after {MAX_SESSIONS} failed sessions no window message announced the window closed within {within:?}"),
        ));
    }
    ctx.step(4);
    let (id, sent) = com::stray_start(ctx, who, window).await?;
    let e = (req::HRT_COM_020, "a pake-start after the window closed");
    expect::silent(ctx, id, sent, e).await
}
