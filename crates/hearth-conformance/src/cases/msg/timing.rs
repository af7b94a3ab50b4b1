//! TC-MSG-4.x, timing: requests are answered within the response timeout, and preferably
//! within 2 seconds.

use std::time::{Duration, Instant};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::craft::model_read;
use crate::probe::Tamper;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MSG-4.1
    RESPONSE_TIME: "TC-MSG-4.1",
    title: "Requests are answered within 5 seconds, and preferably within 2",
    checks: [
        HRT_MSG_092,
        HRT_MSG_093,
        HRT_MSG_097,
    ],
    steps: [
        "Read device-info five times, one request at a time, timing each response (waiting up to twice the response timeout).",
        "Fail any response later than the response timeout; advise on any later than 2 s.",
    ],
    applies: always,
    run: response_time(operator),
}

async fn response_time(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let limit = ctx.params.response_timeout;
    let patience = limit * 2 + ctx.params.latency_allowance;
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let (id, _, sent) = ctx.probe.send(who, model_read(), Tamper::None).await?;
        let t = Instant::now();
        let Some(answer) = ctx.probe.answer(id, patience).await else {
            return Err(Outcome::fail(
                req::HRT_MSG_092,
                format!("no response within {patience:?}"),
            )
            .with_evidence([sent]));
        };
        let took = answer.at.saturating_duration_since(t);
        ctx.step_with(2, format!("this one: {took:?}"));
        if took > limit + ctx.params.latency_allowance {
            return Err(Outcome::fail(
                req::HRT_MSG_097,
                format!("the response came after {took:?}; the limit is {limit:?}"),
            )
            .with_evidence([sent, answer.seq]));
        }
        slowest = slowest.max(took);
    }
    if slowest > Duration::from_secs(2) {
        ctx.advise(
            req::HRT_MSG_093,
            format!("the slowest of five responses took {slowest:?}; the specification recommends at most 2 s"),
        );
    }
    Ok(())
}
