//! TC-BEH-2.x, the door: a door left open longer than its alarm delay raises the
//! door-alarm event, and closing it clears the alarm. Doors open and close by the
//! operator's hand, never by a request.

use std::time::Instant;

use hearth_model::{Path, Value};

use crate::harness::appliance::{cap_id, door, has_event, has_property, instances, DOOR};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::expect;
use crate::harness::operator::{act, needs_operator, OperatorAction};
use crate::harness::wait::{self, budget, deadline};
use crate::requirements::req;
use crate::verdict::Outcome;

/// A component whose door declares the door-alarm event.
fn alarm_door(ctx: &Ctx) -> Result<u16, String> {
    let doors = instances(ctx, DOOR);
    if doors.is_empty() {
        return Err("the description has no `door` capability".into());
    }
    doors
        .iter()
        .map(|(c, _)| *c)
        .find(|c| has_event(ctx, *c, DOOR, door::ALARM_EVENT))
        .ok_or_else(|| "no door of the description implements the `door-alarm` event".into())
}

test_case! {
    /// TC-BEH-2.1
    DOOR_ALARM: "TC-BEH-2.1",
    title: "A door left open longer than its alarm delay raises the door-alarm event; closing it clears the alarm",
    checks: [
        HRT_MOD_108,
        HRT_MOD_107,
        HRT_MOD_106,
        HRT_MOD_047,
        HRT_CAT_001,
    ],
    steps: [
        "Read the door's state and its alarm delay (where implemented).",
        "Ask the operator to open the door; expect a report of the door open.",
        "Keep it open; expect the door-alarm event with valid fields (bounded by cycle_timeout), and the alarm property true.",
        "Ask the operator to close the door; expect a report of the door closed, the door-alarm-cleared event where implemented and the alarm property false.",
    ],
    applies: |ctx| {
        alarm_door(ctx)?;
        needs_operator(ctx, ctx.ics.actuation.door, "door")
    },
    run: door_alarm(operator),
}

async fn door_alarm(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let component = alarm_door(ctx).map_err(Outcome::not_applicable)?;
    let cap = cap_id(ctx, DOOR);
    let open_path = Path::new(component, cap, door::OPEN);
    let alarm_path = Path::new(component, cap, door::ALARM);
    let has_alarm = has_property(ctx, component, DOOR, door::ALARM);
    if ctx.read(who, open_path).await? == Value::Bool(true) {
        return Err(Outcome::inconclusive("the door is already open"));
    }
    let delay = if has_property(ctx, component, DOOR, door::ALARM_DELAY) {
        let v = ctx
            .read(who, Path::new(component, cap, door::ALARM_DELAY))
            .await?;
        format!("alarm delay {v} s")
    } else {
        "no alarm delay declared".into()
    };
    ctx.step_with(1, format!("component {component}, {delay}"));

    ctx.probe.clear_seen();
    ctx.step(2);
    act(ctx, OperatorAction::OpenDoor { component }).await?;
    let limit = deadline(ctx);
    let opened = wait::report(ctx, limit, open_path, |v| *v == Value::Bool(true)).await;
    ctx.step(3);
    let raised = match opened {
        None => Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "the door was opened but no report of {open_path} = true came within {limit:?}"
            ),
        )),
        Some(_) => {
            let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
            alarm_raised(ctx, who, component, limit, &delay).await
        }
    };

    ctx.step(4);
    act(ctx, OperatorAction::CloseDoor { component }).await?;
    let limit = deadline(ctx);
    let closed = wait::report(ctx, limit, open_path, |v| *v == Value::Bool(false)).await;
    raised?;
    if closed.is_none() {
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "the door was closed but no report of {open_path} = false came within {limit:?}"
            ),
        ));
    }
    if has_event(ctx, component, DOOR, door::CLEARED_EVENT) {
        let cleared = Path::new(component, cap, door::CLEARED_EVENT);
        let what = (req::HRT_MOD_108, "the door was closed after a door alarm");
        let (event, seq) = expect::event(ctx, limit, cleared, what).await?;
        expect::event_fields(ctx, &event, "door-alarm-cleared", seq)?;
    }
    if has_alarm {
        let v = ctx.read(who, alarm_path).await?;
        if v != Value::Bool(false) {
            return Err(Outcome::fail(
                req::HRT_CAT_001,
                format!("after the door was closed, {alarm_path} reads {v}"),
            ));
        }
    }
    Ok(())
}

/// With the door of `component` open, the door-alarm event must come within `limit` (the
/// door's `delay` named in a reason), with valid fields, and the alarm property (where
/// implemented) read true.
async fn alarm_raised(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    limit: std::time::Duration,
    delay: &str,
) -> Result<(), Outcome> {
    let cap = cap_id(ctx, DOOR);
    let alarm = Path::new(component, cap, door::ALARM_EVENT);
    let what = format!("the door of component {component} stayed open ({delay})");
    let (event, seq) = expect::event(ctx, limit, alarm, (req::HRT_MOD_108, &what)).await?;
    expect::event_fields(ctx, &event, "door-alarm", seq)?;
    if has_property(ctx, component, DOOR, door::ALARM) {
        let alarm_path = Path::new(component, cap, door::ALARM);
        let v = ctx.read(who, alarm_path).await?;
        if v != Value::Bool(true) {
            return Err(Outcome::fail(
                req::HRT_CAT_001,
                format!("after the door-alarm event, {alarm_path} reads {v}"),
            )
            .with_evidence([seq]));
        }
    }
    Ok(())
}
