//! The `TC-CTL-5` cases: messages of one sender that reach the controller out of the order
//! the sender signed them in (`spec/04-messages.md` §6.3). The lab seals two reports of a fan
//! and publishes the newer first; what the controller believes after a marker is the verdict
//! (HRT-CTL-040), never the absence of a change within some time.

use hearth_model::Value;

use super::CtlCtx;
use crate::case::{CaseFuture, CaseResult};
use crate::controller::lab::LEVEL;
use crate::requirements::req;
use crate::verdict::Outcome;

/// The steps of TC-CTL-5.1.
pub(super) const OLDER_REPORT_STEPS: &[&str] = &[
    "The lab fan reports a new level; wait until the controller believes it.",
    "The fan seals a report of a second level and then one of a third, with rising counters; publish the third's; wait until the controller believes it.",
    "Publish the second level's report, whose counter lies below the third's and was never used before.",
    "Publish a marker on the same topic; wait until the controller believes it.",
    "The controller must still believe the third level.",
];

/// TC-CTL-5.1: a report whose counter lies below that of the report that supplied the value
/// the controller holds does not replace it (HRT-MSG-059).
pub(super) fn older_report(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        let known = ctx.first_level(0).await?;
        ctx.step(2);
        let older = known % 12 + 1;
        let newer = older % 12 + 1;
        let first = ctx
            .lab
            .sealed_report(0, vec![(LEVEL, Value::Int(older))])
            .map_err(Outcome::error)?;
        let second = ctx
            .lab
            .sealed_report(0, vec![(LEVEL, Value::Int(newer))])
            .map_err(Outcome::error)?;
        ctx.lab
            .publish_raw(&second.topic, second.payload)
            .map_err(Outcome::error)?;
        accepted(ctx, newer).await?;
        ctx.step(3);
        ctx.lab
            .publish_raw(&first.topic, first.payload)
            .map_err(Outcome::error)?;
        let what =
            format!("a report of level {older} with a counter below that of level {newer}'s");
        ctx.marker_then_still(4, (0, newer), &[req::HRT_MSG_059], &what)
            .await
    })
}

/// The controller must come to believe `level`, a conforming report of fan 0.
async fn accepted(ctx: &mut CtlCtx, level: i64) -> CaseResult {
    let why = format!(
        "the controller did not accept a conforming report of {} (level {level})",
        ctx.lab.addr(0)
    );
    ctx.must_believe((0, LEVEL), &Value::Int(level), req::HRT_SEC_121, why)
        .await
}
