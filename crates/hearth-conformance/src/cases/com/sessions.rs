//! TC-COM-2.3 and 2.4, sessions: one at a time, a second `pake-start` told to wait without
//! costing the window a session, and a share that is no point refused and counted.

use hearth_model::StatusCode;
use hearth_wire::commissioning::MAX_SESSIONS;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd, Started};
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-2.3
    ONE_SESSION: "TC-COM-2.3",
    title: "While a session runs another pake-start is answered busy and costs the window nothing",
    checks: [
        HRT_COM_029,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows: a fresh window admits 20 sessions.",
        "As the controller the device does not admit, start a session with a wrong passcode: a pake-response.",
        "While it runs, send a pake-start as the manager: a commission-result of status busy (HRT-COM-029).",
        "End the first session with an abort: unauthorized, and the window admits 19 sessions — one failed, the busy start not counted (HRT-COM-029).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: one_session,
}

async fn one_session(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = busy(ctx, &w.window, com::wrong_passcode(w.passcode)).await;
    ctx.step(5);
    w.close(ctx, result).await
}

/// Steps 2 to 4 of TC-COM-2.3.
async fn busy(ctx: &mut Ctx, window: &DeviceWindow, wrong: u32) -> CaseResult {
    ctx.step(2);
    let stranger = ctx.stranger()?;
    let running = match com::start(ctx, stranger, window, wrong).await? {
        Started::Running(r) => r,
        Started::Ended(end) => {
            return Err(Outcome::error(format!(
                "a pake-start in a fresh window ended {end:?}, not with a pake-response"
            )))
        }
    };
    ctx.step(3);
    let admin = com::manager(ctx)?;
    let second = com::start(ctx, admin, window, wrong).await?;
    let refusal = match second {
        Started::Ended(SessionEnd::Refused { result, .. }) if result.status == StatusCode::Busy => {
            Ok(())
        }
        Started::Ended(SessionEnd::Refused { result, seq }) => Err(Outcome::fail(
            req::HRT_COM_029,
            format!(
                "a pake-start while a session ran was answered {}, not busy",
                result.status
            ),
        )
        .with_evidence([seq])),
        Started::Running(r) => Err(Outcome::fail(
            req::HRT_COM_029,
            "a pake-start while a session ran started a second session",
        )
        .with_evidence([r.response])),
        Started::Ended(other) => Err(Outcome::fail(
            req::HRT_COM_029,
            format!("a pake-start while a session ran ended {other:?}, not busy"),
        )),
    };
    ctx.step(4);
    let end = com::finish(ctx, running, Confirm::Honest).await?;
    refusal?;
    com::first_failure(
        end,
        req::HRT_COM_029,
        "after one failed session and one busy pake-start",
        "a session ended with an abort",
    )
}

test_case! {
    /// TC-COM-2.4
    BAD_SHARE: "TC-COM-2.4",
    title: "A shareP that is no point of P-256 is refused, and the session counts as failed",
    checks: [
        HRT_COM_033,
        HRT_COM_048,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows: a fresh window admits 20 sessions.",
        "As the controller the device does not admit, send a pake-start whose shareP is 0x04 followed by 64 bytes of 0xFF, no point of P-256 (its x is above the field's prime): a commission-result of status unauthorized, and the window admits 19 sessions (HRT-COM-033, HRT-COM-048).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: refused_share,
}

async fn refused_share(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = bad_share(ctx).await;
    ctx.step(3);
    w.close(ctx, result).await
}

/// Step 2 of TC-COM-2.4.
async fn bad_share(ctx: &mut Ctx) -> CaseResult {
    ctx.step(2);
    let stranger = ctx.stranger()?;
    let mut share = [0xff; 65];
    share[0] = 0x04;
    match com::raw_start(ctx, stranger, share).await? {
        SessionEnd::Refused { result, .. }
            if result.status == StatusCode::Unauthorized
                && result.sessions_left == MAX_SESSIONS.checked_sub(1) =>
        {
            Ok(())
        }
        SessionEnd::Refused { result, seq } if result.status == StatusCode::Unauthorized => {
            Err(Outcome::fail(
                req::HRT_COM_048,
                format!(
                    "a refused share left a fresh window admitting {:?} sessions, not {}",
                    result.sessions_left,
                    MAX_SESSIONS - 1
                ),
            )
            .with_evidence([seq]))
        }
        SessionEnd::Refused { result, seq } => Err(Outcome::fail(
            req::HRT_COM_048,
            format!(
                "a pake-start whose shareP is no point was answered {}, not unauthorized",
                result.status
            ),
        )
        .with_evidence([seq])),
        SessionEnd::Unexpected { what, seq } => Err(Outcome::fail(
            req::HRT_COM_033,
            format!("a pake-start whose shareP is no point was answered with {what}"),
        )
        .with_evidence([seq])),
        SessionEnd::Unanswered { sent } => Err(Outcome::fail(
            req::HRT_COM_048,
            "a pake-start whose shareP is no point had no answer",
        )
        .with_evidence([sent])),
        SessionEnd::Ran { response, .. } => Err(Outcome::fail(
            req::HRT_COM_033,
            "a pake-start whose shareP is no point started a session",
        )
        .with_evidence([response])),
    }
}
