//! TC-MSG-6.x, the processing order of §11.1: a request that fails several checks is
//! handled by the first that fails.

use hearth_model::{Path, Value};
use hearth_wire::Body;

use crate::harness::case::{always, test_case, CaseResult, Ctx, UNDEFINED_MEMBER};
use crate::harness::craft::publish;
use crate::harness::expect;
use crate::probe::Tamper;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MSG-6.1
    FIRST_FAILED_STEP: "TC-MSG-6.1",
    title: "A request that fails several checks of §11.1 is handled by the first that fails",
    checks: [
        HRT_MSG_080,
        HRT_MSG_082,
        HRT_MSG_092,
        HRT_SEC_102,
    ],
    steps: [
        "Write a text to vendor-id of device-info (content check, step 12) with a broken signature (step 4): expect no answer.",
        "Read a property the description does not declare (step 12): expect unsupported-property; publish the same bytes again (replay, step 8): expect no answer.",
        "Read a property the description does not declare, addressed to another device id (step 10): expect no answer.",
        "As a controller with no privilege, write a text to a writable property (step 12 checks privilege before content): expect no answer or unauthorized, never invalid-type.",
        "If it was answered unauthorized: once the second of the rate limit (HRT-SEC-133) has passed since that answer, publish the same bytes again (replay, step 8, before privilege): expect no answer.",
    ],
    applies: always,
    run: first_failed_step(operator),
}

async fn first_failed_step(ctx: &mut Ctx, who: usize) -> CaseResult {
    let wrong = Value::Text("not a value of this property".into());
    ctx.step(1);
    let write = Body::Write(vec![(Path::new(0, 1, 1), wrong.clone())]);
    let (id, _, sent) = ctx.probe.send(who, write, Tamper::BadSignature).await?;
    let e = (
        req::HRT_MSG_080,
        "an invalid write whose signature does not verify: it checked the content before the signature",
    );
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(2);
    let missing = UNDEFINED_MEMBER;
    let (id, bytes, sent) = ctx
        .probe
        .send(who, Body::Read(vec![missing]), Tamper::None)
        .await?;
    let timeout = ctx.response_timeout();
    if ctx.probe.answer(id, timeout).await.is_none() {
        return Err(Outcome::fail(
            req::HRT_MSG_092,
            format!("no answer within {timeout:?} to a read of {missing}"),
        )
        .with_evidence([sent]));
    }
    let again = publish(ctx, bytes, "the same read again (a replay)").await?;
    let e = (
        req::HRT_MSG_080,
        "a replayed read of an undeclared property: it checked the content before the replay window",
    );
    expect::silent(ctx, id, again, e).await?;
    ctx.step(3);
    let other = format!("{}-other", ctx.description.device_id);
    let (id, bytes) = ctx
        .probe
        .seal_request(who, Body::Read(vec![missing]), |m| m.target = Some(other))?;
    let sent = publish(
        ctx,
        bytes,
        "read of an undeclared property for another device",
    )
    .await?;
    let e = (
        req::HRT_MSG_080,
        "a read addressed to another device id: it checked the content before the target",
    );
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(4);
    let Ok(stranger) = ctx.stranger() else {
        return Ok(());
    };
    let Some((path, _)) = ctx.writable() else {
        return Ok(());
    };
    let (id, bytes, sent) = ctx
        .probe
        .send(stranger, Body::Write(vec![(path, wrong)]), Tamper::None)
        .await?;
    let answer = expect::confirm(ctx, id, sent).await?;
    let at = answer.as_ref().map(|a| a.at);
    expect::refusal(
        answer,
        sent,
        (
            req::HRT_MSG_080,
            "a controller without privilege writing a value of the wrong type (the device checked the content before the privilege)",
        ),
    )?;
    ctx.step(5);
    let Some(answered_at) = at else {
        return Ok(());
    };
    // Within the second after its unauthorized answer the device would hold a second one
    // back whatever the order of its checks (HRT-SEC-133): only after it can an answer to the
    // replay show the privilege checked before the replay window. The device answered before
    // the answer arrived here, so this waits at least that second on its clock.
    tokio::time::sleep_until((answered_at + RATE_LIMIT_SECOND).into()).await;
    let again = publish(ctx, bytes, "the refused write again (a replay)").await?;
    let e = (
        req::HRT_SEC_102,
        "a replayed write from a controller without privilege: it checked the privilege before the replay window",
    );
    expect::silent(ctx, id, again, e).await
}

/// The second of HRT-SEC-133's rate limit, and a tenth for the device's clock to tick past it.
const RATE_LIMIT_SECOND: std::time::Duration = std::time::Duration::from_millis(1100);
