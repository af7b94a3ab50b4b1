//! TC-COM-7.x, what the exchange binds: the device admits the key that took part in the key
//! exchange and no other, and refuses a commissioner it has no room for.

use hearth_model::StatusCode;
use hearth_security::acl::AclSubject;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd, Started};
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-7.1
    BOUND_KEY: "TC-COM-7.1",
    title: "A confirmation signed by another key than the one the exchange bound admits nobody",
    checks: [
        HRT_COM_030,
        HRT_COM_055,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows.",
        "As the manager, start a session with the window's passcode: a pake-response whose confirmV the suite's SPAKE2+ confirms, for a transcript that binds the manager's chain and key (HRT-COM-030).",
        "As the controller the device does not admit, send that session's pake-confirm — the right confirmP, the session's request id — signed with its own key and carrying its own chain: the device does not answer it with success (HRT-COM-055).",
        "The manager's acl-read does not list the key that signed the pake-confirm (HRT-COM-055).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: bound_key,
}

async fn bound_key(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = relayed(ctx, &w.window, w.passcode).await;
    ctx.step(5);
    w.close(ctx, result).await
}

/// Steps 2 to 4 of TC-COM-7.1.
async fn relayed(ctx: &mut Ctx, window: &DeviceWindow, passcode: u32) -> CaseResult {
    ctx.step(2);
    let admin = com::manager(ctx)?;
    let running = match com::start(ctx, admin, window, passcode).await? {
        Started::Running(r) if r.confirm_v_ok() => r,
        Started::Running(r) => {
            return Err(Outcome::fail(
                req::HRT_COM_030,
                "the device's confirmV does not confirm the passcode of the window with the derivation, context and identities of chapter 7 §5",
            )
            .with_evidence([r.response]))
        }
        Started::Ended(end) => {
            return Err(Outcome::error(format!(
                "the manager's pake-start in an open window ended {end:?}"
            )))
        }
    };
    ctx.step(3);
    let stranger = ctx.stranger()?;
    let key = com::key_of(ctx, stranger).ok_or_else(|| Outcome::error("no stranger"))?;
    let end = com::finish(ctx, running, Confirm::SignedBy(stranger)).await?;
    if let SessionEnd::Ran {
        result: Some((r, seq)),
        ..
    } = &end
    {
        if r.status == StatusCode::Success {
            return Err(Outcome::fail(
                req::HRT_COM_055,
                "a pake-confirm signed by another key than the one the session's transcript binds ended the session in success",
            )
            .with_evidence([*seq]));
        }
    }
    ctx.step(4);
    let (entries, seq) = com::acl_of(ctx).await?;
    if entries.iter().any(|e| e.subject == AclSubject::Key(key)) {
        return Err(Outcome::fail(
            req::HRT_COM_055,
            "the ACL lists the key that signed a pake-confirm for another commissioner's session",
        )
        .with_evidence([seq]));
    }
    Ok(())
}
