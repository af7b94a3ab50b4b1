//! Events a device emits while it is cut off from the broker: kept, published after the full
//! report of the next connection in event-number order, each sealed anew, and — when the
//! store overflows — critical events kept before debug and info ones (`spec/05-mqtt.md` §8).

use std::time::Instant;

use hearth_model::Path;
use hearth_wire::{Availability, Body, EventBody, Message};

use crate::harness::appliance::{cap_id, suggested_fault, FAULTS};
use crate::harness::case::{found, test_case, CaseResult, Ctx};
use crate::harness::operator::{act, needs_operator, OperatorAction};
use crate::harness::wait::{self, deadline};
use crate::probe::Seen;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

/// Applicability shared by both cases: an operator who may cut the network and provoke
/// faults, and a `faults` capability whose events to watch.
fn applies(ctx: &Ctx) -> Result<(), String> {
    needs_operator(ctx, ctx.ics.actuation.network, "network")?;
    needs_operator(ctx, ctx.ics.actuation.faults, "faults")?;
    if ctx.description.instance(0, cap_id(ctx, FAULTS)).is_none() {
        return Err("the description has no `faults` capability on component 0".into());
    }
    if suggested_fault(ctx).is_none() {
        return Err("the device type defines no fault the operator could provoke".into());
    }
    Ok(())
}

/// The highest counter among the device's messages seen so far.
fn highest_counter(seen: &[Seen]) -> u64 {
    seen.iter()
        .filter_map(|s| s.message.as_ref().ok().map(|m| m.counter))
        .max()
        .unwrap_or(0)
}

/// Cut the network and wait until the device is gone (its will, or the settle time when the
/// broker is slow to notice); the counters seen before.
async fn cut(ctx: &mut Ctx) -> Result<u64, Outcome> {
    let before = highest_counter(&ctx.probe.seen());
    act(ctx, OperatorAction::CutNetwork).await?;
    let limit = ctx.params.restart_timeout;
    let _ = wait::status(ctx, limit, Availability::Offline).await;
    ctx.probe.clear_seen();
    Ok(before)
}

/// Restore the network and wait for the online status of the new connection; a device that
/// does not return cannot publish what it kept (`requirement`).
async fn restore(ctx: &mut Ctx, requirement: Req) -> Result<(), Outcome> {
    act(ctx, OperatorAction::RestoreNetwork).await?;
    let limit = ctx.params.restart_timeout;
    wait::status(ctx, limit, Availability::Online)
        .await
        .map(|_| ())
        .ok_or_else(|| {
            Outcome::fail(
                requirement,
                format!("the device did not come back online within {limit:?} after its network was restored"),
            )
        })
}

/// An event seen: the event, its message's counter, its position among the messages seen.
type SeenEvent = (EventBody, u64, usize);

/// Events of the faults capability seen since the restore, with their counters, in arrival
/// order, and the counter and position of the first full report.
fn after_restore(seen: &[Seen], cap: u16) -> (Vec<SeenEvent>, Option<(u64, usize)>) {
    let mut events = Vec::new();
    let mut full = None;
    for (i, s) in seen.iter().enumerate() {
        match &s.message {
            Ok(Message {
                body: Body::Event(e),
                counter,
                ..
            }) if e.path.capability == cap => events.push((e.clone(), *counter, i)),
            Ok(Message {
                body: Body::Report(r),
                counter,
                ..
            }) if r.full && full.is_none() => full = Some((*counter, i)),
            _ => {}
        }
    }
    (events, full)
}

test_case! {
    /// TC-MQTT-7.1
    KEPT_EVENTS: "TC-MQTT-7.1",
    title: "An event emitted while the device is cut off is published after the full report of its next connection, sealed anew",
    checks: [
        HRT_MQTT_035,
        HRT_MQTT_037,
    ],
    steps: [
        "Note the highest counter the device has used; ask the operator to cut the appliance's network, and wait for its will.",
        "Ask the operator to provoke a fault while the appliance is cut off.",
        "Ask the operator to restore the network; wait for the online status.",
        "Expect the fault-raised event after the full report of the new connection, with a counter above the full report's and above every counter used before the cut.",
        "Ask the operator to clear the fault; expect fault-cleared.",
    ],
    applies: applies,
    run: kept_events,
}

async fn kept_events(ctx: &mut Ctx) -> CaseResult {
    ctx.operator_tester()?;
    let cap = cap_id(ctx, FAULTS);
    let code = suggested_fault(ctx);
    ctx.step(1);
    let before = cut(ctx).await?;
    ctx.step(2);
    act(ctx, OperatorAction::RaiseFault { code }).await?;
    ctx.step(3);
    restore(ctx, req::HRT_MQTT_035).await?;
    ctx.step(4);
    let limit = deadline(ctx);
    let raised = wait::event(ctx, limit, Path::new(0, cap, 1)).await;
    let outcome = match raised {
        None => Err(Outcome::fail(
            req::HRT_MQTT_035,
            format!("a fault raised while the device was cut off was not published within {limit:?} of its return"),
        )),
        Some((event, seq)) => kept_after_full_report(&ctx.probe.seen(), cap, (&event, seq), before),
    };
    ctx.step(5);
    if let Some(code) = code {
        act(ctx, OperatorAction::ClearFault { code }).await?;
        let _ = wait::event(ctx, limit, Path::new(0, cap, 2)).await;
    }
    outcome
}

/// The kept `event` (trace entry `seq`) among the messages `seen` since the restore: after
/// the full report of the new connection, with a counter above the report's and above
/// `before`, every counter used before the cut (sealed anew).
fn kept_after_full_report(
    seen: &[Seen],
    cap: u16,
    (event, seq): (&EventBody, usize),
    before: u64,
) -> Result<(), Outcome> {
    let (events, full) = after_restore(seen, cap);
    let counter = events
        .iter()
        .find(|(e, _, _)| e.number == event.number)
        .map(|(_, c, _)| *c);
    let Some((report_counter, at)) = full else {
        return Err(Outcome::fail(
            req::HRT_MQTT_035,
            "the kept event came without a full report of the new connection before it",
        )
        .with_evidence([seq]));
    };
    if events
        .iter()
        .any(|(e, _, i)| e.number == event.number && *i < at)
    {
        return Err(Outcome::fail(
            req::HRT_MQTT_035,
            "the kept event was published before the full report of the new connection",
        )
        .with_evidence([seq]));
    }
    match counter {
        Some(c) if c <= report_counter || c <= before => Err(Outcome::fail(
            req::HRT_MQTT_037,
            format!("the kept event carries counter {c}, not above the full report's ({report_counter}) and every counter used before the cut ({before}): it was not sealed anew"),
        )
        .with_evidence([seq])),
        _ => Ok(()),
    }
}

test_case! {
    /// TC-MQTT-7.2
    KEPT_EVENTS_OVERFLOW: "TC-MQTT-7.2",
    title: "When more events happen while cut off than the device keeps, it gives up info events before critical ones",
    checks: [
        HRT_MQTT_035,
        HRT_MQTT_038,
    ],
    steps: [
        "Ask the operator to cut the appliance's network, and wait for its will.",
        "Ask the operator to provoke and clear a fault n times, n being half the event store of the ICS plus four: 2n events, n of them critical (fault-raised), more than the store holds.",
        "Ask the operator to restore the network; wait for the online status.",
        "Expect every one of the n fault-raised events.",
    ],
    applies: |ctx| {
        applies(ctx)?;
        let store = ctx.ics.features.event_store;
        if !(8..=64).contains(&store) {
            return Err(format!("the ICS declares an event store of {store} events; the case overflows stores of 8 to 64 events"));
        }
        Ok(())
    },
    run: kept_events_overflow,
}

async fn kept_events_overflow(ctx: &mut Ctx) -> CaseResult {
    ctx.operator_tester()?;
    let cap = cap_id(ctx, FAULTS);
    let code = found(suggested_fault(ctx), "no fault to provoke")?;
    let store = ctx.ics.features.event_store;
    let n = store / 2 + 4;
    ctx.step(1);
    cut(ctx).await?;
    ctx.step_with(
        2,
        format!(
            "n = {n}: {} events, {n} of them critical, the store holds {store}",
            2 * n
        ),
    );
    for _ in 0..n {
        act(ctx, OperatorAction::RaiseFault { code: Some(code) }).await?;
        act(ctx, OperatorAction::ClearFault { code }).await?;
    }
    ctx.step(3);
    restore(ctx, req::HRT_MQTT_038).await?;
    ctx.step_with(4, format!("{n} fault-raised events"));
    let limit = deadline(ctx);
    let until = Instant::now() + limit;
    let wanted = usize::try_from(n).unwrap_or(usize::MAX);
    let mut raised = 0;
    let mut cleared = 0;
    while Instant::now() < until {
        let (events, _) = after_restore(&ctx.probe.seen(), cap);
        raised = events.iter().filter(|(e, _, _)| e.path.member == 1).count();
        cleared = events.iter().filter(|(e, _, _)| e.path.member == 2).count();
        if raised >= wanted {
            break;
        }
        ctx.probe
            .next(until.saturating_duration_since(Instant::now()))
            .await;
    }
    if raised >= wanted {
        Ok(())
    } else if cleared > 0 {
        Err(Outcome::fail(
            req::HRT_MQTT_038,
            format!("after {n} faults raised and cleared while cut off, the device published {raised} of the {n} critical fault-raised events but {cleared} info fault-cleared events"),
        ))
    } else {
        Err(Outcome::fail(
            req::HRT_MQTT_035,
            format!("after {n} faults raised and cleared while cut off, the device published only {raised} fault-raised events within {limit:?} of its return"),
        ))
    }
}
