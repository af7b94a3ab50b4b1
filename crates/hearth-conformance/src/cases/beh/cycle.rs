//! TC-BEH-1.x, the cycle: the state machine of `operational-state` — commands its state does
//! not allow are refused and change nothing, a started cycle runs and reports itself, a
//! cycle does not start with the door open, and a running one pauses and resumes.
//!
//! Refused invocations need no actuation flag (`spec/06-conformance.md` §3.5); starting a
//! cycle does (`start_cycle`), and whatever a case starts it stops again (HRT-CONF-008).

use std::time::Instant;

use hearth_model::validate::check_value;
use hearth_model::{Path, StatusCode, Value};

use crate::harness::appliance::{
    cap_id, cycle_component, cycle_path, door, has_action, invoke_cycle, leave_idle, move_door,
    opstate, ready_to_start, start_cycle, startable_cycle, state, state_name, stop, Action, DOOR,
};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::expect;
use crate::harness::operator::needs_operator;
use crate::harness::wait::{self, budget, deadline};
use crate::requirements::req;
use crate::verdict::Outcome;

/// The actions that the catalog's state machine refuses in `state`, among those implemented.
fn refused_in(ctx: &Ctx, component: u16, code: i64) -> Vec<Action> {
    let refused: &[Action] = match code {
        state::IDLE => &[Action::Stop, Action::Pause, Action::Resume],
        state::RUNNING => &[Action::Start, Action::Resume],
        state::PAUSED => &[Action::Start, Action::Pause],
        state::DELAYED => &[Action::Start, Action::Pause, Action::Resume],
        state::COMPLETED | state::ERROR => &[Action::Pause, Action::Resume],
        _ => &[],
    };
    refused
        .iter()
        .copied()
        .filter(|a| has_action(ctx, component, *a))
        .collect()
}

/// Invoke every action in `actions` and expect `invalid-in-state` for each, with the state
/// unchanged afterwards.
async fn expect_refused(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    actions: &[Action],
    state_before: i64,
) -> Result<(), Outcome> {
    let state_path = cycle_path(ctx, component, opstate::STATE);
    for &action in actions {
        let (status, seq) = invoke_cycle(ctx, who, component, action).await?;
        let after = ctx.read(who, state_path).await?;
        let ended_by_itself = status == StatusCode::InvalidInState
            && matches!(
                state_before,
                state::RUNNING | state::PAUSED | state::DELAYED
            )
            && matches!(after.as_int(), Some(state::COMPLETED | state::IDLE));
        if after != Value::Int(state_before) && !ended_by_itself {
            return Err(Outcome::fail(
                req::HRT_MOD_116,
                format!(
                    "`{}` while {} answered {status} and changed the state to {after}",
                    action.name(),
                    state_name(state_before)
                ),
            )
            .with_evidence([seq]));
        }
        let what = format!("`{}` while {}", action.name(), state_name(state_before));
        let e = (req::HRT_MOD_051, what.as_str());
        expect::status(status, StatusCode::InvalidInState, seq, e)?;
    }
    Ok(())
}

test_case! {
    /// TC-BEH-1.1
    REFUSED_TRANSITIONS: "TC-BEH-1.1",
    title: "Commands the cycle's state does not allow answer invalid-in-state and change nothing",
    checks: [
        HRT_MOD_051,
        HRT_MOD_106,
        HRT_MOD_116,
        HRT_CAT_001,
    ],
    steps: [
        "Read the operational state, phase and remaining time.",
        "Invoke each implemented action the state machine refuses in that state (idle: stop, pause, resume).",
        "Expect invalid-in-state for each, and the state unchanged after each.",
        "Read the phase and remaining time again: unchanged.",
    ],
    applies: |ctx| cycle_component(ctx).map(drop),
    run: refused_transitions(operator),
}

async fn refused_transitions(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let paths = [
        cycle_path(ctx, component, opstate::STATE),
        cycle_path(ctx, component, opstate::PHASE),
        cycle_path(ctx, component, opstate::REMAINING),
    ];
    let mut before = Vec::new();
    for p in paths {
        before.push(ctx.read(who, p).await?);
    }
    let Some(code) = before[0].as_int() else {
        return Err(Outcome::fail(
            req::HRT_MOD_106,
            format!("{} reads {}, not a state code", paths[0], before[0]),
        ));
    };
    ctx.step_with(1, state_name(code));
    let refused = refused_in(ctx, component, code);
    if refused.is_empty() {
        return Err(Outcome::inconclusive(format!(
            "the appliance is {}: no implemented action is refused in that state",
            state_name(code)
        )));
    }
    let names: Vec<&str> = refused.iter().map(|a| a.name()).collect();
    ctx.step_with(2, names.join(", "));
    ctx.step(3);
    expect_refused(ctx, who, component, &refused, code).await?;
    ctx.step(4);
    if code == state::IDLE || code == state::COMPLETED || code == state::ERROR {
        for (p, was) in paths.iter().zip(&before).skip(1) {
            let now = ctx.read(who, *p).await?;
            if now != *was {
                return Err(Outcome::fail(
                    req::HRT_MOD_116,
                    format!("{p} changed from {was} to {now} after refused commands"),
                ));
            }
        }
    }
    Ok(())
}

test_case! {
    /// TC-BEH-1.2
    CYCLE_RUNS: "TC-BEH-1.2",
    title: "A started cycle runs, reports its state, phase and remaining time, and ends with operation-completed",
    checks: [
        HRT_CAT_001,
        HRT_MOD_051,
        HRT_MOD_106,
        HRT_MOD_107,
        HRT_MOD_108,
        HRT_MSG_056,
        HRT_MSG_061,
        HRT_MOD_047,
        HRT_MOD_116,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start; expect success.",
        "Expect a report of the state running (or delayed) within the report deadline.",
        "Read the phase and remaining time; expect each non-null value to have been reported.",
        "Invoke start (and resume) again while running; expect invalid-in-state.",
        "Invoke stop (unless the cycle completed); expect success and a report of the state idle.",
        "Expect the operation-completed event with its mandatory fields, stopped as the cycle ended.",
    ],
    applies: |ctx| startable_cycle(ctx).map(drop),
    run: cycle_runs(operator),
}

async fn cycle_runs(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let state_path = cycle_path(ctx, component, opstate::STATE);
    ready_to_start(ctx, who, component).await?;
    ctx.step(1);

    ctx.probe.clear_seen();
    ctx.step(2);
    let asked = Instant::now();
    let start_seq = start_cycle(ctx, who, component).await?;

    ctx.step(3);
    let limit = deadline(ctx).saturating_sub(asked.elapsed());
    let reported = wait::report_with(ctx, limit, state_path, |v| {
        matches!(
            v.as_int(),
            Some(state::RUNNING | state::DELAYED | state::COMPLETED)
        )
    })
    .await;
    let Some((first_state, with_state, _)) = reported else {
        stop(ctx, who, component).await;
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "start succeeded but no report of the state running within {:?}",
                deadline(ctx)
            ),
        )
        .with_evidence([start_seq]));
    };
    if first_state == Value::Int(state::DELAYED) {
        let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
        if wait::report(ctx, limit, state_path, |v| {
            matches!(v.as_int(), Some(state::RUNNING | state::COMPLETED))
        })
        .await
        .is_none()
        {
            stop(ctx, who, component).await;
            return Err(Outcome::inconclusive(format!(
                "the cycle stayed delayed for {limit:?}"
            )));
        }
    }

    ctx.step(4);
    let mut completed = false;
    for member in [opstate::PHASE, opstate::REMAINING] {
        let path = cycle_path(ctx, component, member);
        let value = ctx.read(who, path).await?;
        if let Err(e) = check_value(ctx.catalog, &ctx.description, &path, &value) {
            stop(ctx, who, component).await;
            return Err(Outcome::fail(
                req::HRT_MOD_106,
                format!("{path} = {value}: {e}"),
            ));
        }
        if value == Value::Null
            || with_state
                .iter()
                .any(|(p, v)| *p == path && *v != Value::Null)
        {
            continue;
        }
        let limit = deadline(ctx);
        if wait::report(ctx, limit, path, |v| *v != Value::Null)
            .await
            .is_none()
        {
            let now = ctx.read(who, state_path).await?;
            if now == Value::Int(state::RUNNING) {
                stop(ctx, who, component).await;
                return Err(Outcome::fail(
                    req::HRT_MOD_107,
                    format!(
                        "{path} reads {value} while running, but no report of a value was seen"
                    ),
                ));
            }
        }
    }
    let now = ctx.read(who, state_path).await?;
    if now == Value::Int(state::COMPLETED) || now == Value::Int(state::IDLE) {
        completed = true;
    }

    ctx.step(5);
    if !completed {
        let code = now.as_int().unwrap_or(-1);
        // `start` is refused only while the cycle is under way: send it only when the cycle
        // is far from its end (a remaining time of at least test_timeout), so that it cannot
        // complete by itself first and accept the start as a new cycle.
        let remaining = ctx
            .read(who, cycle_path(ctx, component, opstate::REMAINING))
            .await?;
        let far_from_end = remaining
            .as_int()
            .is_some_and(|r| u64::try_from(r).unwrap_or(0) >= ctx.params.test_timeout.as_secs());
        let refused: Vec<Action> = refused_in(ctx, component, code)
            .into_iter()
            .filter(|a| (*a == Action::Start && far_from_end) || *a == Action::Resume)
            .collect();
        if let Err(o) = expect_refused(ctx, who, component, &refused, code).await {
            stop(ctx, who, component).await;
            return Err(o);
        }
    }

    ctx.step(6);
    let now = ctx.read(who, state_path).await?;
    let stopped = now != Value::Int(state::COMPLETED) && now != Value::Int(state::IDLE);
    if stopped {
        let asked = Instant::now();
        let (status, seq) = invoke_cycle(ctx, who, component, Action::Stop).await?;
        let after = ctx.read(who, state_path).await?.as_int();
        let ended_by_itself = matches!(after, Some(state::COMPLETED));
        if status != StatusCode::Success && !ended_by_itself {
            return Err(Outcome::fail(
                req::HRT_CAT_001,
                format!(
                    "stop of a {} cycle answered {status}",
                    state_name(now.as_int().unwrap_or(-1))
                ),
            )
            .with_evidence([seq]));
        }
        let limit = deadline(ctx).saturating_sub(asked.elapsed());
        if !ended_by_itself
            && wait::report(ctx, limit, state_path, |v| *v == Value::Int(state::IDLE))
                .await
                .is_none()
        {
            return Err(Outcome::fail(
                req::HRT_MOD_107,
                format!(
                    "stop succeeded but no report of the state idle within {:?}",
                    deadline(ctx)
                ),
            )
            .with_evidence([seq]));
        }
    }

    ctx.step(7);
    let event_path = cycle_path(ctx, component, opstate::COMPLETED);
    let limit = deadline(ctx);
    let ended = format!(
        "the cycle ended ({})",
        if stopped { "stopped" } else { "completed" }
    );
    let (event, seq) = expect::event(ctx, limit, event_path, (req::HRT_MOD_108, &ended)).await?;
    if !stopped {
        // The cycle completed by itself: put the appliance back to idle where it allows.
        stop(ctx, who, component).await;
    }
    expect::event_fields(ctx, &event, "operation-completed", seq)?;
    // After a stop the cycle may still have completed by itself just before the stop took
    // effect: `stopped` is only decided when no stop was sent.
    if !stopped && event.fields.field(1) != Some(&Value::Bool(false)) {
        return Err(Outcome::fail(
            req::HRT_CAT_001,
            format!(
                "operation-completed says stopped = {}, but the cycle was {}",
                event
                    .fields
                    .field(1)
                    .map_or("absent".into(), ToString::to_string),
                if stopped { "stopped" } else { "completed" }
            ),
        )
        .with_evidence([seq]));
    }
    Ok(())
}

/// The component that has both a door and the cycle.
fn door_and_cycle(ctx: &Ctx) -> Result<u16, String> {
    let c = cycle_component(ctx)?;
    if ctx.description.instance(c, cap_id(ctx, DOOR)).is_none() {
        return Err(format!(
            "the description has no `door` capability on component {c}, which runs the cycle"
        ));
    }
    Ok(c)
}

test_case! {
    /// TC-BEH-1.3
    NO_START_WITH_DOOR_OPEN: "TC-BEH-1.3",
    title: "A cycle does not start while the door is open: start answers invalid-in-state",
    checks: [
        HRT_MOD_051,
        HRT_CAT_001,
        HRT_MOD_107,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Ask the operator to open the door; expect a report of the door open.",
        "Invoke start; expect invalid-in-state.",
        "Read the operational state: unchanged.",
        "Ask the operator to close the door; expect a report of the door closed.",
    ],
    applies: |ctx| {
        door_and_cycle(ctx)?;
        if !ctx.ics.actuation.start_cycle {
            return Err("ICS [actuation] start_cycle = false".into());
        }
        needs_operator(ctx, ctx.ics.actuation.door, "door")
    },
    run: no_start_with_door_open(operator),
}

async fn no_start_with_door_open(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = door_and_cycle(ctx).map_err(Outcome::not_applicable)?;
    let open_path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
    if ctx.read(who, open_path).await? == Value::Bool(true) {
        return Err(Outcome::inconclusive("the door is already open"));
    }
    let before = ready_to_start(ctx, who, component).await?;
    ctx.step(1);

    ctx.probe.clear_seen();
    ctx.step(2);
    let limit = deadline(ctx);
    let refused = if move_door(ctx, component, true).await? {
        start_refused(ctx, who, component, before).await
    } else {
        Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "the door was opened but no report of {open_path} = true came within {limit:?}"
            ),
        ))
    };
    ctx.step(5);
    let closed = move_door(ctx, component, false).await?;
    refused?;
    if !closed {
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "the door was closed but no report of {open_path} = false came within {limit:?}"
            ),
        ));
    }
    Ok(())
}

/// With the door open, `start` must answer invalid-in-state (step 3) and leave the state
/// `before` as it was (step 4); a cycle it started anyway is stopped.
async fn start_refused(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    before: i64,
) -> Result<(), Outcome> {
    ctx.step(3);
    let (status, seq) = invoke_cycle(ctx, who, component, Action::Start).await?;
    ctx.step(4);
    let after = ctx
        .read(who, cycle_path(ctx, component, opstate::STATE))
        .await?;
    if after != Value::Int(before) {
        // Put it back: the cycle must not run (HRT-CONF-008).
        stop(ctx, who, component).await;
        return Err(Outcome::fail(
            req::HRT_MOD_051,
            format!("start with the door open answered {status} and the appliance went {}: a cycle must not start while the door is open", state_name(after.as_int().unwrap_or(-1))),
        )
        .with_evidence([seq]));
    }
    let e = (req::HRT_MOD_051, "start with the door open");
    expect::status(status, StatusCode::InvalidInState, seq, e)
}

test_case! {
    /// TC-BEH-1.4
    PAUSE_RESUME: "TC-BEH-1.4",
    title: "A running cycle pauses with its remaining time frozen, refuses a second pause, and resumes",
    checks: [
        HRT_CAT_001,
        HRT_MOD_051,
        HRT_MOD_107,
        HRT_MOD_116,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start; expect success.",
        "Invoke pause at once; expect success and a report of the state paused.",
        "Read the remaining time twice, settle_time apart: unchanged while paused; invoke pause again: invalid-in-state.",
        "Invoke resume; expect success and a report of the state running.",
        "Invoke stop; expect success and a report of the state idle.",
    ],
    applies: |ctx| {
        let c = startable_cycle(ctx)?;
        if !ctx.ics.actuation.pause_resume {
            return Err("ICS [actuation] pause_resume = false".into());
        }
        for action in [Action::Pause, Action::Resume] {
            if !has_action(ctx, c, action) {
                return Err(format!(
                    "the description's `operational-state` does not implement `{}`",
                    action.name()
                ));
            }
        }
        Ok(())
    },
    run: pause_resume(operator),
}

/// Invoke `action` and expect success and a report of the state `want` in time.
async fn transition(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    action: Action,
    want: i64,
) -> Result<(), Outcome> {
    let asked = Instant::now();
    let (status, seq) = invoke_cycle(ctx, who, component, action).await?;
    let state_path = cycle_path(ctx, component, opstate::STATE);
    if status != StatusCode::Success {
        let now = ctx.read(who, state_path).await?.as_int();
        if matches!(now, Some(state::COMPLETED | state::IDLE)) {
            return Err(Outcome::inconclusive(format!(
                "the cycle ended by itself before `{}` took effect",
                action.name()
            ))
            .with_evidence([seq]));
        }
        return Err(Outcome::fail(
            req::HRT_CAT_001,
            format!(
                "`{}` answered {status} where the state machine allows it",
                action.name()
            ),
        )
        .with_evidence([seq]));
    }
    let limit = deadline(ctx).saturating_sub(asked.elapsed());
    if wait::report(ctx, limit, state_path, |v| *v == Value::Int(want))
        .await
        .is_none()
    {
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "`{}` succeeded but no report of the state {} came within {:?}",
                action.name(),
                state_name(want),
                deadline(ctx)
            ),
        )
        .with_evidence([seq]));
    }
    Ok(())
}

async fn pause_resume(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let remaining_path = cycle_path(ctx, component, opstate::REMAINING);
    ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    ctx.probe.clear_seen();
    ctx.step(2);
    start_cycle(ctx, who, component).await?;
    let result: Result<(), Outcome> = async {
        // Pause at once: a short cycle (a microwave's minute) must not end first. The report
        // of the state running is TC-BEH-1.2's concern.
        ctx.step(3);
        transition(ctx, who, component, Action::Pause, state::PAUSED).await?;
        ctx.step(4);
        let first = ctx.read(who, remaining_path).await?;
        tokio::time::sleep(ctx.params.settle_time).await;
        let second = ctx.read(who, remaining_path).await?;
        if first != second {
            return Err(Outcome::fail(
                req::HRT_CAT_001,
                format!("while paused, the remaining time went from {first} to {second}: it must stay frozen"),
            ));
        }
        expect_refused(ctx, who, component, &[Action::Pause], state::PAUSED).await?;
        ctx.step(5);
        transition(ctx, who, component, Action::Resume, state::RUNNING).await?;
        ctx.step(6);
        transition(ctx, who, component, Action::Stop, state::IDLE).await?;
        Ok(())
    }
    .await;
    leave_idle(ctx, who, component).await;
    result
}
