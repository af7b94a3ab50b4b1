//! TC-SEC-4.x, counters across a restart: the device continues above every counter it used
//! before, so a receiver that remembers them opens everything it sends.

use hearth_model::Path;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::wait;
use crate::requirements::req;

test_case! {
    /// TC-SEC-4.1
    COUNTERS_ACROSS_RESTART: "TC-SEC-4.1",
    title: "After a restart the device's counters continue above every value it used before",
    checks: [
        HRT_SEC_090,
        HRT_SEC_091,
        HRT_SEC_092,
        HRT_MSG_052,
        // The receiver's replay checks the device's messages after the restart must pass.
        HRT_SEC_097,
        HRT_SEC_098,
    ],
    steps: [
        "Note the boot id; restart the device as the ICS describes.",
        "Wait for its new online status: a new boot id.",
        "Read a property: the response and every message since the restart must open in a receiver that remembers the counters from before.",
    ],
    applies: wait::restartable,
    run: counters_across_restart(operator),
}

async fn counters_across_restart(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let mark = ctx.probe.trace().len();
    ctx.step(2);
    let back = wait::restart(ctx).await;
    continued(ctx, mark)?;
    back?;
    ctx.step(3);
    let read = ctx.read(who, Path::new(0, 1, 4)).await;
    continued(ctx, mark)?;
    if let Some(r) = ctx.probe.rejections(mark).first() {
        return Err(r.fail("after the restart a message of the device"));
    }
    read.map(drop)
}

/// Fails when a message of the device since trace entry `mark` (the restart) was refused for
/// its counter: seen before or too far below the window, either way the device did not
/// continue above every counter it used before the restart (HRT-SEC-092), and a counter seen
/// before was given twice (HRT-SEC-090).
fn continued(ctx: &mut Ctx, mark: usize) -> CaseResult {
    let replayed = ctx
        .probe
        .rejections(mark)
        .into_iter()
        .find(|r| matches!(r.id, "HRT-SEC-097" | "HRT-SEC-098"));
    match replayed {
        Some(r) => Err(r
            .fail("after the restart a message of the device")
            .and(req::HRT_SEC_092)),
        None => Ok(()),
    }
}
