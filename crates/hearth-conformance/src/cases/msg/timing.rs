//! TC-MSG-4.x, timing and order: requests are answered within the response timeout, and
//! preferably within 2 seconds, one at a time in the order they arrive.

use std::time::{Duration, Instant};

use hearth_model::{Path, Value};
use hearth_wire::Body;

use crate::harness::case::{always, test_case, CaseResult, Ctx, UNDEFINED_MEMBER};
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

test_case! {
    /// TC-MSG-4.2
    ANSWER_ORDER: "TC-MSG-4.2",
    title: "Requests are handled one at a time and answered in the order of arrival",
    checks: [
        HRT_MSG_092,
        HRT_MSG_098,
        HRT_MSG_099,
        HRT_MQTT_044,
        HRT_SEC_131,
    ],
    steps: [
        "Send, without waiting between them, a read of device-info, a write of a read-only property, a read with a broken signature, a read of an undeclared property and a read of device-info again.",
        "Expect the four correct requests answered in the order they were sent, and no answer to the broken one before the last answer.",
    ],
    applies: always,
    run: answer_order(operator),
}

async fn answer_order(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let read_only = Path::new(0, 1, 4);
    let requests = [
        (model_read(), Tamper::None),
        (
            Body::Write(vec![(read_only, Value::Text("x".into()))]),
            Tamper::None,
        ),
        (model_read(), Tamper::BadSignature),
        (Body::Read(vec![UNDEFINED_MEMBER]), Tamper::None),
        (model_read(), Tamper::None),
    ];
    let mut sent = Vec::new();
    for (body, tamper) in requests {
        let (id, _, seq) = ctx.probe.send(who, body, tamper).await?;
        sent.push((id, seq, tamper));
    }
    ctx.step(2);
    let timeout = ctx.response_timeout();
    let mut answered: Vec<(usize, usize)> = Vec::new();
    for (id, seq, tamper) in &sent {
        if *tamper != Tamper::None {
            continue;
        }
        let Some(answer) = ctx.probe.answer(*id, timeout).await else {
            return Err(Outcome::fail(
                req::HRT_MSG_092,
                format!("no answer within {timeout:?} to the request of trace #{seq}"),
            )
            .with_evidence([*seq]));
        };
        if let Some((before, earlier)) = answered.last() {
            if answer.seq < *earlier {
                return Err(Outcome::fail(
                    req::HRT_MSG_099,
                    format!(
                        "the answer to the request of trace #{seq} came before the answer to the earlier request of trace #{before}"
                    ),
                )
                .with_evidence([*before, *earlier, *seq, answer.seq]));
            }
        }
        answered.push((*seq, answer.seq));
    }
    if let Some((id, seq, _)) = sent.iter().find(|(_, _, t)| *t != Tamper::None) {
        if let Some(a) = ctx.probe.answers_to(*id) {
            return Err(Outcome::fail(
                req::HRT_SEC_131,
                "the device answered a read whose signature does not verify",
            )
            .with_evidence([*seq, a]));
        }
    }
    Ok(())
}
