//! TC-COM-3.x, no commissioning outside a window: once a window is closed, a `pake-start`
//! goes unanswered and the ACL stays as it is.

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission as com;
use crate::harness::expect;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-3.1
    NO_WINDOW: "TC-COM-3.1",
    title: "Outside a window a pake-start goes unanswered and changes nothing",
    checks: [
        HRT_COM_020,
        HRT_COM_027,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows, to learn its parameters.",
        "Close it as the manager: the device announces it closed (HRT-COM-027).",
        "As the controller the device does not admit, send a pake-start for the closed window: no answer, confirmed by order (HRT-COM-020).",
        "The ACL is unchanged (HRT-COM-020).",
    ],
    applies: com::needs_window,
    run: no_window,
}

async fn no_window(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let (window, _) = com::open_window(ctx).await?;
    ctx.step(2);
    com::close(ctx).await?;
    let within = com::announce_within(ctx);
    if com::closed(ctx, within).await.is_none() {
        return Err(Outcome::fail(
            req::HRT_COM_027,
            format!("after the manager closed the window no window message announced it closed within {within:?}"),
        ));
    }
    ctx.step(3);
    let who = ctx.stranger()?;
    let (id, sent) = com::stray_start(ctx, who, &window).await?;
    let e = (req::HRT_COM_020, "a pake-start while no window is open");
    let silent = expect::silent(ctx, id, sent, e).await;
    ctx.step(4);
    let (after, seq) = com::acl_of(ctx).await?;
    if after != before {
        com::restore(ctx, &before).await?;
        return Err(Outcome::fail(
            req::HRT_COM_020,
            "a pake-start outside a window changed the access-control list",
        )
        .with_evidence([seq]));
    }
    silent
}
