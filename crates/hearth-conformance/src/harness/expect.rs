//! Expectations test cases share: a request the device must not answer ([`silent`]), one it
//! may only refuse ([`refused`]), one it must answer ([`answered`]), the status an answer
//! must carry ([`status`]), the device still answering after bad input ([`still_answers`]),
//! the device's connection kept through bad input ([`kept_connection`]), a property a
//! refused request must leave as it was ([`unchanged`]), an event that must
//! come ([`event`]) and whose fields must fit the description ([`event_fields`]).
//!
//! Each takes the requirement the expectation checks, as the test case names it, and
//! returns `Ok` when it holds or the case's `fail` (with the trace entries that show it)
//! when it does not, so that a case writes `expect::silent(…).await?`.

use std::time::Duration;

use hearth_model::validate::check_event;
use hearth_model::{Path, StatusCode, Value};
use hearth_wire::{EventBody, Message};

use super::case::Ctx;
use super::probe::{summarize, Answer};
use super::wait;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

/// What a request is, for the trace and for a failure: the requirement it checks and how a
/// reason names it (`a request with a broken signature`).
pub type Expect<'a> = (Req, &'a str);

/// Request `id` (sent as trace entry `sent`) must get no answer: confirmed by a barrier
/// ([`confirm`]), not by waiting.
pub async fn silent(ctx: &mut Ctx, id: u64, sent: usize, e: Expect<'_>) -> Result<(), Outcome> {
    match confirm(ctx, id, sent).await? {
        None => Ok(()),
        Some(a) => Err(answered_anyway(&a, sent, e)),
    }
}

/// Request `id` may get no answer, or one that refuses it as unauthorized, never one that
/// serves it: confirmed by a barrier ([`confirm`]).
pub async fn refused(ctx: &mut Ctx, id: u64, sent: usize, e: Expect<'_>) -> Result<(), Outcome> {
    let answer = confirm(ctx, id, sent).await?;
    refusal(answer, sent, e)
}

/// Confirm by order that the device has handled request `id` (sent as trace entry `sent`)
/// and take its answer, if it had one (HRT-CONF-037): a correct read sent after it (the
/// barrier) must be answered within the response timeout, and every answer to the earlier
/// request comes before it. A barrier left unanswered means the device no longer operates
/// normally after input it had to refuse: it fails HRT-SEC-136 (an `error` naming it where
/// the case does not check it).
pub async fn confirm(ctx: &mut Ctx, id: u64, sent: usize) -> Result<Option<Answer>, Outcome> {
    let timeout = ctx.response_timeout();
    let margin = ctx.params.latency_allowance;
    let c = ctx
        .probe
        .confirm(id, timeout, margin)
        .await
        .map_err(|e| Outcome::error(format!("sending the barrier: {e}")))?;
    match c.barrier_answered {
        Some(_) => Ok(c.answer),
        None => Err(Outcome::fail(
            req::HRT_SEC_136,
            format!(
                "no answer within {timeout:?} to the correct read (trace #{}) sent after the request of trace #{sent} to confirm that it was handled",
                c.barrier_sent
            ),
        )
        .with_evidence([sent, c.barrier_sent])),
    }
}

/// Send a barrier as tester `who` and wait for its answer (HRT-CONF-037): every answer the
/// device gave on that tester's response topic to what was sent before has then arrived.
/// A barrier left unanswered after input the device had to refuse fails HRT-SEC-136.
pub async fn barrier(ctx: &mut Ctx, who: usize) -> Result<(), Outcome> {
    let timeout = ctx.response_timeout();
    let (sent, answered) = ctx
        .probe
        .barrier(who, timeout)
        .await
        .map_err(|e| Outcome::error(format!("sending the barrier: {e}")))?;
    match answered {
        Some(_) => Ok(()),
        None => Err(Outcome::fail(
            req::HRT_SEC_136,
            format!("after the rejected input, no answer within {timeout:?} to the correct read of trace #{sent}"),
        )
        .with_evidence([sent])),
    }
}

/// The verdict of [`refused`] on an answer already awaited (or none), for a case that
/// checks something else in between.
pub fn refusal(answer: Option<Answer>, sent: usize, e: Expect<'_>) -> Result<(), Outcome> {
    match answer {
        Some(a) if !a.is_unauthorized() => Err(answered_anyway(&a, sent, e)),
        _ => Ok(()),
    }
}

/// The failure of a request that should have gone unanswered: what the answer said.
fn answered_anyway(a: &Answer, sent: usize, (requirement, what): Expect<'_>) -> Outcome {
    let with = match &a.message {
        Ok(m) => summarize(m),
        Err(r) => format!("a response that does not open ({})", r.why),
    };
    Outcome::fail(
        requirement,
        format!("the device answered {what} (trace #{}): {with}", a.seq),
    )
    .with_evidence([sent, a.seq])
}

/// The status `got` of the request answered in trace entry `seq` must be `want`; `what`
/// names the request in a reason.
pub fn status(
    got: StatusCode,
    want: StatusCode,
    seq: usize,
    (requirement, what): Expect<'_>,
) -> Result<(), Outcome> {
    if got == want {
        return Ok(());
    }
    Err(Outcome::fail(
        requirement,
        format!("{what} answered {got}, expected {want}"),
    )
    .with_evidence([seq]))
}

/// The event at `path` must arrive within `timeout`: the event and its trace entry, or a
/// failure of `requirement` saying that `what` came without it.
pub async fn event(
    ctx: &mut Ctx,
    timeout: Duration,
    path: Path,
    (requirement, what): Expect<'_>,
) -> Result<(EventBody, usize), Outcome> {
    wait::event(ctx, timeout, path).await.ok_or_else(|| {
        Outcome::fail(
            requirement,
            format!("{what}, but no event {path} came within {timeout:?}"),
        )
    })
}

/// Wait for an authenticated answer to request `id`: there must be one within the response
/// timeout, and it must open.
pub async fn answered(
    ctx: &mut Ctx,
    id: u64,
    sent: usize,
    expect: Expect<'_>,
) -> Result<(), Outcome> {
    answer(ctx, id, sent, expect).await.map(drop)
}

/// Like [`answered`], and the answer.
pub async fn answer(
    ctx: &mut Ctx,
    id: u64,
    sent: usize,
    e: Expect<'_>,
) -> Result<Message, Outcome> {
    let (requirement, what) = e;
    let timeout = ctx.response_timeout();
    match ctx.probe.answer(id, timeout).await {
        Some(Answer { message: Ok(m), .. }) => Ok(m),
        Some(Answer {
            message: Err(r),
            seq,
            ..
        }) => Err(Outcome::fail(
            requirement,
            format!("the answer to {what} did not open: {}", r.why),
        )
        .with_evidence([sent, seq])),
        None => Err(Outcome::fail(
            requirement,
            format!("no answer to {what} within {timeout:?}"),
        )
        .with_evidence([sent])),
    }
}

/// The answer to a correct request the case needs before it can go on: within the response
/// timeout and opening, or a failure of HRT-MSG-092 (which the case may not check, making
/// it an `error` that names the requirement).
pub async fn reply(ctx: &mut Ctx, id: u64, sent: usize) -> Result<Message, Outcome> {
    answer(ctx, id, sent, (req::HRT_MSG_092, "a correct request")).await
}

/// After input the device had to reject, a correct read from `who` must still be answered
/// (HRT-SEC-136).
pub async fn still_answers(ctx: &mut Ctx, who: usize) -> Result<(), Outcome> {
    match ctx.read(who, Path::new(0, 1, 4)).await {
        Ok(_) => Ok(()),
        Err(o) => Err(Outcome::fail(
            req::HRT_SEC_136,
            format!(
                "after the rejected input the device no longer answers correctly: {}",
                o.reason
            ),
        )
        .with_evidence(o.evidence)),
    }
}

/// No status of the device since trace entry `sent`: a will (the broker saw the connection
/// go) or an online status (the device connected again) means `what` cost the device its
/// connection, which fails `requirement` (HRT-MSG-105, HRT-MQTT-071). Await a barrier
/// first, so that a will the broker published has arrived.
pub fn kept_connection(
    ctx: &mut Ctx,
    sent: usize,
    (requirement, what): Expect<'_>,
) -> Result<(), Outcome> {
    let status = ctx
        .probe
        .published(sent)
        .into_iter()
        .find_map(|p| match &p.message.body {
            hearth_wire::Body::Status(s) => Some((p.seq, s.availability)),
            _ => None,
        });
    match status {
        None => Ok(()),
        Some((seq, availability)) => Err(Outcome::fail(
            requirement,
            format!(
                "the device lost its connection over {what}: its {} status came after it (trace #{seq})",
                match availability {
                    hearth_wire::Availability::Offline => "offline",
                    hearth_wire::Availability::Online => "online",
                }
            ),
        )
        .with_evidence([sent, seq])),
    }
}

/// Read `path` as `who` after the request of trace entry `sent`, which must have changed
/// nothing: it must still hold `before`. A changed value is put back (HRT-CONF-008) and
/// fails `requirement`, the reason naming the request as `what` (`a refused write`).
pub async fn unchanged(
    ctx: &mut Ctx,
    who: usize,
    (path, before): (Path, &Value),
    sent: usize,
    (requirement, what): Expect<'_>,
) -> Result<(), Outcome> {
    let after = ctx.read(who, path).await?;
    if after == *before {
        return Ok(());
    }
    let _ = ctx.write(who, path, before.clone()).await;
    Err(Outcome::fail(
        requirement,
        format!("{path} changed from {before} to {after} after {what}"),
    )
    .with_evidence([sent]))
}

/// An event's fields must be a struct with every mandatory field, each value valid for the
/// description (HRT-MSG-061, HRT-MOD-047, HRT-MOD-106). `name` names the event in a reason;
/// `seq` is its trace entry.
pub fn event_fields(ctx: &Ctx, event: &EventBody, name: &str, seq: usize) -> Result<(), Outcome> {
    if !matches!(event.fields, Value::Struct(_)) {
        return Err(Outcome::fail(
            req::HRT_MSG_061,
            format!(
                "the {name} event's fields are {}, not a map of field ids to values",
                event.fields
            ),
        )
        .with_evidence([seq]));
    }
    check_event(ctx.catalog, &ctx.description, &event.path, &event.fields).map_err(|e| {
        let requirement = if e.requirement() == req::HRT_MOD_047.id() {
            req::HRT_MOD_047
        } else {
            req::HRT_MOD_106
        };
        Outcome::fail(
            requirement,
            format!(
                "the {name} event {} does not fit the description: {e}",
                event.fields
            ),
        )
        .with_evidence([seq])
    })
}
