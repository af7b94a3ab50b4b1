//! TC-BEH-1.x, the cycle: the state machine of `operational-state` — commands its state does
//! not allow are refused and change nothing, a started cycle runs and reports itself, a
//! cycle does not start with the door open, a running one pauses and resumes, its programme
//! cannot be rewritten while it runs, switching the appliance off ends it, and a completed
//! cycle starts again or returns to idle.
//!
//! What each state allows is never written here: every case asks the catalog's state machine
//! ([`StateMachine`], `spec/02-catalog.md`, HRT-CAT-040 to HRT-CAT-048) — the same table the
//! simulator's firmware asks — which actions it refuses, where an action leads, what start
//! needs, which settings are fixed and which properties read null.
//!
//! Refused invocations and writes need no actuation flag (`spec/06-conformance.md` §3.5);
//! starting a cycle does (`start_cycle`), switching off does (`power`), and whatever a case
//! starts or switches it puts back (HRT-CONF-008).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hearth_model::catalog::StateMachine;
use hearth_model::ids::delayed_start;
use hearth_model::validate::check_value;
use hearth_model::{Path, StatusCode, Value};
use hearth_wire::EventBody;

use crate::harness::appliance::has_property;
use crate::harness::appliance::{
    cap_id, cycle_component, cycle_path, door, has_action, invoke_cycle, leave_idle, move_door,
    opstate, ready_to_start, start_cycle, startable_cycle, state, state_name, stop, Action, DOOR,
    MODE, ON_OFF, OPERATIONAL_STATE,
};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::expect::{self, Expect};
use crate::harness::operator::{act, needs_actuation, needs_operator, OperatorAction};
use crate::harness::wait::{self, budget, deadline};
use crate::requirements::req;
use crate::verdict::Outcome;

/// The property of `mode` that selects the programme.
const CURRENT_MODE: u16 = 1;

/// The catalog's state machine of `operational-state`, or the `error` of a catalog without
/// one.
fn table(ctx: &Ctx) -> Result<&'static StateMachine, Outcome> {
    let catalog: &'static hearth_model::Catalog = ctx.catalog;
    catalog
        .state_machine(cap_id(ctx, OPERATIONAL_STATE))
        .ok_or_else(|| Outcome::error("the catalog has no state machine of `operational-state`"))
}

/// The harness's name for the action with this id.
fn action_of(id: u16) -> Option<Action> {
    [Action::Start, Action::Pause, Action::Resume, Action::Stop]
        .into_iter()
        .find(|a| a.id() == id)
}

/// A state code as the catalog's state machine takes it (`u16::MAX` for none).
fn code_of(value: i64) -> u16 {
    u16::try_from(value).unwrap_or(u16::MAX)
}

/// The actions that the catalog's state machine refuses in `state`, among those implemented
/// (HRT-CAT-040).
fn refused_in(ctx: &Ctx, component: u16, code: i64) -> Result<Vec<Action>, Outcome> {
    Ok(table(ctx)?
        .refused_in(code_of(code))
        .into_iter()
        .filter_map(action_of)
        .filter(|a| has_action(ctx, component, *a))
        .collect())
}

/// The states `action` may lead to from `from`, and those the device may have moved on to by
/// itself since (HRT-CAT-041, HRT-CAT-042).
fn after(ctx: &Ctx, action: Action, from: i64) -> Result<BTreeSet<u16>, Outcome> {
    let t = table(ctx)?;
    Ok(t.after_own(&t.targets(action.id(), code_of(from))))
}

/// Invoke every action in `actions` and expect `invalid-in-state` for each, with the state
/// unchanged afterwards, or moved on only by the device's own transitions (HRT-CAT-040). An
/// action served anyway is undone with stop.
async fn expect_refused(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    actions: &[Action],
    state_before: i64,
) -> Result<(), Outcome> {
    let state_path = cycle_path(ctx, component, opstate::STATE);
    let by_itself = table(ctx)?.after_own(&[code_of(state_before)]);
    for &action in actions {
        let (status, seq) = invoke_cycle(ctx, who, component, action).await?;
        let after = ctx.read(who, state_path).await?;
        let moved_on = status == StatusCode::InvalidInState
            && after
                .as_int()
                .is_some_and(|s| by_itself.contains(&code_of(s)));
        if after != Value::Int(state_before) && !moved_on {
            if state_before == state::IDLE {
                // Put it back: no cycle may be left running (HRT-CONF-008).
                stop(ctx, who, component).await;
            }
            return Err(Outcome::fail(
                req::HRT_CAT_040,
                format!(
                    "`{}` while {} answered {status} and changed the state to {}: the transition table gives it no transition from {}",
                    action.name(),
                    state_name(state_before),
                    after.as_int().map_or_else(|| after.to_string(), state_name),
                    state_name(state_before)
                ),
            )
            .with_evidence([seq]));
        }
        let what = format!("`{}` while {}", action.name(), state_name(state_before));
        let e = (req::HRT_CAT_040, what.as_str());
        expect::status(status, StatusCode::InvalidInState, seq, e)?;
    }
    Ok(())
}

/// The properties of the table of values outside a cycle that `component` implements must
/// read null in `code` where the table says so (HRT-CAT-044).
async fn expect_nulls(ctx: &mut Ctx, who: usize, component: u16, code: i64) -> CaseResult {
    let t = table(ctx)?;
    let cap = cap_id(ctx, OPERATIONAL_STATE);
    let implemented: Vec<Path> = ctx
        .properties()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.component == component && p.capability == cap)
        .filter(|p| t.null_in(p.member, code_of(code)))
        .collect();
    for path in implemented {
        let value = ctx.read(who, path).await?;
        let now = ctx
            .read(who, cycle_path(ctx, component, opstate::STATE))
            .await?;
        if value != Value::Null && now == Value::Int(code) {
            return Err(Outcome::fail(
                req::HRT_CAT_044,
                format!(
                    "{path} reads {value} while {}: the table of values outside a cycle gives it null there",
                    state_name(code)
                ),
            ));
        }
    }
    Ok(())
}

test_case! {
    /// TC-BEH-1.1
    REFUSED_TRANSITIONS: "TC-BEH-1.1",
    title: "Commands the cycle's state does not allow answer invalid-in-state and change nothing",
    checks: [
        HRT_CAT_040,
        HRT_CAT_044,
        HRT_MOD_051,
        HRT_MOD_106,
        HRT_MOD_116,
    ],
    steps: [
        "Read the operational state, phase and remaining time.",
        "Invoke each implemented action the catalog's transition table refuses in that state (idle: stop, pause, resume).",
        "Expect invalid-in-state for each, and the state unchanged after each (HRT-CAT-040).",
        "Read the phase and remaining time again: unchanged.",
        "Read the properties of the table of values outside a cycle: null where the table gives null in that state (HRT-CAT-044).",
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
    let refused = refused_in(ctx, component, code)?;
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
    ctx.step(5);
    expect_nulls(ctx, who, component, code).await
}

test_case! {
    /// TC-BEH-1.2
    CYCLE_RUNS: "TC-BEH-1.2",
    title: "A started cycle runs, reports its state, phase and remaining time, and ends with operation-completed",
    checks: [
        HRT_CAT_001,
        HRT_CAT_040,
        HRT_CAT_041,
        HRT_CAT_042,
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
        "Invoke start; expect success and a state the transition table gives start from there, or one the device moved on to by itself (HRT-CAT-041).",
        "Expect a report of the state running (or delayed) within the report deadline.",
        "Read the phase and remaining time; expect each non-null value to have been reported.",
        "Invoke start (and resume) again while running; expect invalid-in-state (HRT-CAT-040).",
        "Invoke stop (unless the cycle completed); expect success and a report of the state idle (HRT-CAT-041).",
        "Expect the operation-completed event with its mandatory fields, stopped as the cycle ended.",
        "Follow every state the device reported since start: each change is a transition of the transition table, or a run of them that reports may have merged (HRT-CAT-042).",
    ],
    applies: |ctx| startable_cycle(ctx).map(drop),
    run: cycle_runs(operator),
}

async fn cycle_runs(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let state_path = cycle_path(ctx, component, opstate::STATE);
    let before = ready_to_start(ctx, who, component).await?;
    ctx.step(1);

    ctx.probe.clear_seen();
    ctx.step(2);
    let asked = Instant::now();
    let start_seq = start_cycle(ctx, who, component).await?;
    led_where_the_table_says(ctx, who, component, Action::Start, before, start_seq).await?;

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
        let refused: Vec<Action> = refused_in(ctx, component, code)?
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
        if status == StatusCode::Success {
            let from = now.as_int().unwrap_or(-1);
            led_where_the_table_says(ctx, who, component, Action::Stop, from, seq).await?;
        }
        let limit = deadline(ctx).saturating_sub(asked.elapsed());
        if !ended_by_itself {
            idle_reported(ctx, limit, state_path, ("stop succeeded", seq)).await?;
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
    if !stopped {
        let why = (req::HRT_CAT_001, "the cycle completed by itself");
        stopped_field(&event, false, seq, why)?;
    }
    ctx.step(8);
    changes_follow_the_table(ctx, state_path, before, start_seq)
}

/// A report of the state idle must follow `what` (answered as trace entry `seq`) within
/// `limit` (HRT-MOD-107).
async fn idle_reported(
    ctx: &mut Ctx,
    limit: Duration,
    state_path: Path,
    (what, seq): (&str, usize),
) -> CaseResult {
    if wait::report(ctx, limit, state_path, |v| *v == Value::Int(state::IDLE))
        .await
        .is_some()
    {
        return Ok(());
    }
    Err(Outcome::fail(
        req::HRT_MOD_107,
        format!(
            "{what}, but no report of the state idle came within {:?}",
            deadline(ctx)
        ),
    )
    .with_evidence([seq]))
}

/// The `stopped` field of an operation-completed event (trace entry `seq`) must read
/// `stopped`; `why` is the requirement and the reason it must.
fn stopped_field(
    event: &EventBody,
    stopped: bool,
    seq: usize,
    (requirement, why): Expect<'_>,
) -> CaseResult {
    let field = event.fields.field(1);
    if field == Some(&Value::Bool(stopped)) {
        return Ok(());
    }
    Err(Outcome::fail(
        requirement,
        format!(
            "operation-completed says stopped = {}: {why}",
            field.map_or("absent".into(), ToString::to_string)
        ),
    )
    .with_evidence([seq]))
}

/// Every state the device reported at `state_path` from trace entry `since` on, starting
/// from `before`: each change must be a transition of the table, or a run of one transition
/// and the device's own after it, which reports sent at a limited rate may merge
/// (HRT-CAT-042).
fn changes_follow_the_table(
    ctx: &mut Ctx,
    state_path: Path,
    before: i64,
    since: usize,
) -> CaseResult {
    let t = table(ctx)?;
    let reported: Vec<(i64, usize)> = ctx
        .probe
        .published(since)
        .into_iter()
        .filter(|p| p.opened)
        .filter_map(|p| match p.message.body {
            hearth_wire::Body::Report(r) => r
                .values
                .iter()
                .find(|(path, _)| *path == state_path)
                .and_then(|(_, v)| v.as_int())
                .map(|v| (v, p.seq)),
            _ => None,
        })
        .collect();
    let mut from = before;
    for (to, seq) in reported {
        let (a, b) = (code_of(from), code_of(to));
        let plausible = a == b
            || t.transitions()
                .iter()
                .any(|tr| tr.from.contains(&a) && t.after_own(&[tr.to]).contains(&b));
        if !plausible {
            return Err(Outcome::fail(
                req::HRT_CAT_042,
                format!(
                    "the state went from {} to {}: no transition of the transition table leads there",
                    state_name(from),
                    state_name(to)
                ),
            )
            .with_evidence([seq]));
        }
        from = to;
    }
    Ok(())
}

/// After `action` succeeded from `from` (trace entry `seq`), the state must be one the
/// transition table gives, or one the device moved on to from there by itself (HRT-CAT-041);
/// a cycle it started anyway is stopped.
async fn led_where_the_table_says(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    action: Action,
    from: i64,
    seq: usize,
) -> CaseResult {
    let now = ctx
        .read(who, cycle_path(ctx, component, opstate::STATE))
        .await?;
    let allowed = after(ctx, action, from)?;
    if now.as_int().is_some_and(|s| allowed.contains(&code_of(s))) {
        return Ok(());
    }
    if action == Action::Start {
        stop(ctx, who, component).await;
    }
    let names: Vec<String> = allowed.iter().map(|s| state_name(i64::from(*s))).collect();
    Err(Outcome::fail(
        req::HRT_CAT_041,
        format!(
            "`{}` from {} succeeded and the appliance is {}: the transition table leads to {}",
            action.name(),
            state_name(from),
            now.as_int().map_or_else(|| now.to_string(), state_name),
            names.join(" or ")
        ),
    )
    .with_evidence([seq]))
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
        HRT_CAT_047,
        HRT_MOD_051,
        HRT_MOD_107,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Ask the operator to open the door; expect a report of the door open.",
        "Invoke start; expect invalid-in-state (HRT-CAT-047).",
        "Read the operational state: unchanged (HRT-CAT-047).",
        "Ask the operator to close the door; expect a report of the door closed.",
    ],
    applies: |ctx| {
        door_and_cycle(ctx)?;
        needs_actuation(ctx.ics.actuation.start_cycle, "start_cycle")?;
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
            req::HRT_CAT_047,
            format!("start with the door open answered {status} and the appliance went {}: a cycle does not start while the door is open", state_name(after.as_int().unwrap_or(-1))),
        )
        .with_evidence([seq]));
    }
    let e = (req::HRT_CAT_047, "start with the door open");
    expect::status(status, StatusCode::InvalidInState, seq, e)
}

test_case! {
    /// TC-BEH-1.4
    PAUSE_RESUME: "TC-BEH-1.4",
    title: "A running cycle pauses with its remaining time frozen, refuses a second pause, and resumes",
    checks: [
        HRT_CAT_001,
        HRT_CAT_040,
        HRT_CAT_041,
        HRT_MOD_051,
        HRT_MOD_107,
        HRT_MOD_116,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start; expect success.",
        "Invoke pause at once; expect success and a report of the state the transition table gives: paused (HRT-CAT-041).",
        "Read the remaining time twice, settle_time apart: unchanged while paused; invoke pause again: invalid-in-state (HRT-CAT-040).",
        "Invoke resume; expect success and a report of the state running (HRT-CAT-041).",
        "Invoke stop; expect success and a report of the state idle (HRT-CAT-041).",
    ],
    applies: |ctx| {
        let c = startable_cycle(ctx)?;
        pausable(ctx, c)
    },
    run: pause_resume(operator),
}

/// Applies where the ICS lets the suite pause and resume a cycle and `component`'s
/// `operational-state` implements both.
fn pausable(ctx: &Ctx, component: u16) -> Result<(), String> {
    needs_actuation(ctx.ics.actuation.pause_resume, "pause_resume")?;
    for action in [Action::Pause, Action::Resume] {
        if !has_action(ctx, component, action) {
            return Err(format!(
                "the description's `operational-state` does not implement `{}`",
                action.name()
            ));
        }
    }
    Ok(())
}

/// Invoke `action` in the state `from` and expect success and a report of the state the
/// transition table gives (a single one for pause, resume and stop) in time.
async fn transition(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    action: Action,
    from: i64,
) -> Result<(), Outcome> {
    let targets = table(ctx)?.targets(action.id(), code_of(from));
    let want = match targets.as_slice() {
        [one] => i64::from(*one),
        _ => {
            return Err(Outcome::error(format!(
                "the transition table gives `{}` from {} no single state",
                action.name(),
                state_name(from)
            )))
        }
    };
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
    led_where_the_table_says(ctx, who, component, action, from, seq).await?;
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
        transition(ctx, who, component, Action::Pause, state::RUNNING).await?;
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
        transition(ctx, who, component, Action::Resume, state::PAUSED).await?;
        ctx.step(6);
        transition(ctx, who, component, Action::Stop, state::RUNNING).await?;
        Ok(())
    }
    .await;
    leave_idle(ctx, who, component).await;
    result
}

/// The writable properties on `component` whose capability the settings table fixes in
/// `code` (HRT-CAT-043).
fn fixed_settings(ctx: &Ctx, component: u16, code: i64) -> Result<Vec<Path>, Outcome> {
    let t = table(ctx)?;
    Ok(ctx
        .properties()
        .into_iter()
        .filter(|(p, def)| {
            p.component == component
                && def.writable()
                && t.writable(p.capability, code_of(code)) == Some(false)
        })
        .map(|(p, _)| p)
        .collect())
}

test_case! {
    /// TC-BEH-1.5
    SETTINGS_FIXED_DURING_CYCLE: "TC-BEH-1.5",
    title: "While a cycle is under way, the settings the catalog fixes answer invalid-in-state and keep their value",
    checks: [
        HRT_CAT_043,
        HRT_MOD_116,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start; expect success.",
        "Where the appliance can pause (TC-BEH-1.4), invoke pause at once, so that the cycle stays where it is while it is judged; read the operational state; for each writable property on the cycle's component whose capability the settings table fixes in the state now (the programme: mode, delayed start, the programme's options), write the value it reads; expect invalid-in-state (HRT-CAT-043) and the value unchanged.",
        "Invoke stop.",
    ],
    applies: |ctx| {
        let c = startable_cycle(ctx)?;
        let t = table(ctx).map_err(|_| "the catalog has no state machine of operational-state".to_owned())?;
        let any = ctx.properties().into_iter().any(|(p, def)| {
            p.component == c
                && def.writable()
                && t.writable(p.capability, code_of(state::RUNNING)) == Some(false)
        });
        if !any {
            return Err(format!(
                "component {c} implements no writable property that the settings table fixes while running"
            ));
        }
        Ok(())
    },
    run: settings_fixed_during_cycle(operator),
}

async fn settings_fixed_during_cycle(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let state_path = cycle_path(ctx, component, opstate::STATE);
    ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    ctx.step(2);
    start_cycle(ctx, who, component).await?;
    let result: CaseResult = async {
        // Paused, the cycle waits for the writes: a short one (a microwave's minute) cannot
        // end while they are judged, however slow the run.
        // Whether pause works is TC-BEH-1.4's verdict: here the state read next decides.
        if pausable(ctx, component).is_ok() {
            invoke_cycle(ctx, who, component, Action::Pause).await?;
        }
        let now = ctx.read(who, state_path).await?.as_int().unwrap_or(-1);
        let fixed = fixed_settings(ctx, component, now)?;
        let names: Vec<String> = fixed.iter().map(ToString::to_string).collect();
        ctx.step_with(3, format!("{}: {}", state_name(now), names.join(", ")));
        if fixed.is_empty() {
            return Err(Outcome::inconclusive(format!(
                "the appliance is {}: the settings table fixes none of its settings there",
                state_name(now)
            )));
        }
        for path in fixed {
            let value = ctx.read(who, path).await?;
            let (status, seq) = ctx.write(who, path, value.clone()).await?;
            let still = ctx.read(who, state_path).await?;
            if still != Value::Int(now) {
                // The cycle moved on (it ended): the write may have met another state.
                return Err(Outcome::inconclusive(format!(
                    "the appliance went from {} to {} before the write of {path} was judged",
                    state_name(now),
                    still.as_int().map_or_else(|| still.to_string(), state_name)
                ))
                .with_evidence([seq]));
            }
            let what = format!("a write of {path} while {}", state_name(now));
            expect::status(
                status,
                StatusCode::InvalidInState,
                seq,
                (req::HRT_CAT_043, what.as_str()),
            )?;
            let after = ctx.read(who, path).await?;
            if after != value {
                return Err(Outcome::fail(
                    req::HRT_MOD_116,
                    format!("{path} went from {value} to {after} after a refused write"),
                )
                .with_evidence([seq]));
            }
        }
        Ok(())
    }
    .await;
    ctx.step(4);
    leave_idle(ctx, who, component).await;
    result
}

/// The `on-off/on` path on the component that runs the cycle, where it has one.
fn cycle_switch(ctx: &Ctx) -> Result<Path, String> {
    let c = startable_cycle(ctx)?;
    if ctx.description.instance(c, cap_id(ctx, ON_OFF)).is_none() {
        return Err(format!(
            "the description has no `on-off` capability on component {c}, which runs the cycle"
        ));
    }
    needs_actuation(ctx.ics.actuation.power, "power")?;
    Ok(Path::new(c, cap_id(ctx, ON_OFF), 1))
}

/// Switch the appliance on or off: the trace entry of the answer, or the inconclusive
/// outcome of an appliance that would not.
async fn switch(ctx: &mut Ctx, who: usize, on_path: Path, on: bool) -> Result<usize, Outcome> {
    let (status, seq) = ctx.write(who, on_path, Value::Bool(on)).await?;
    if status != StatusCode::Success {
        return Err(Outcome::inconclusive(format!(
            "switching {} answered {status}",
            if on { "on" } else { "off" }
        ))
        .with_evidence([seq]));
    }
    Ok(seq)
}

test_case! {
    /// TC-BEH-1.6
    SWITCHING_OFF: "TC-BEH-1.6",
    title: "Start while switched off answers invalid-in-state; switching off a running cycle ends it as stop does",
    checks: [
        HRT_CAT_045,
        HRT_CAT_048,
        HRT_MOD_107,
        HRT_MOD_108,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Switch the appliance off; expect success.",
        "Invoke start; expect invalid-in-state and the state unchanged (HRT-CAT-045).",
        "Switch the appliance on; invoke start; expect success.",
        "Switch the appliance off; expect success, a report of the state idle and, for a cycle under way, the operation-completed event, stopped (HRT-CAT-048).",
        "Switch the appliance on again.",
    ],
    applies: |ctx| cycle_switch(ctx).map(drop),
    run: switching_off(operator),
}

async fn switching_off(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let on_path = cycle_switch(ctx).map_err(Outcome::not_applicable)?;
    let state_path = cycle_path(ctx, component, opstate::STATE);
    let before = ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    let result: CaseResult = async {
        ctx.step(2);
        switch(ctx, who, on_path, false).await?;
        ctx.step(3);
        let (status, seq) = invoke_cycle(ctx, who, component, Action::Start).await?;
        let after_off = ctx.read(who, state_path).await?;
        // Switching off ends a completed cycle too: the state before start is idle then.
        let idle_now = if before == state::COMPLETED {
            state::IDLE
        } else {
            before
        };
        if status == StatusCode::Success || after_off.as_int() != Some(idle_now) {
            stop(ctx, who, component).await;
            return Err(Outcome::fail(
                req::HRT_CAT_045,
                format!(
                    "start while switched off answered {status} and the appliance is {}: a switched-off appliance starts nothing",
                    after_off.as_int().map_or_else(|| after_off.to_string(), state_name)
                ),
            )
            .with_evidence([seq]));
        }
        expect::status(
            status,
            StatusCode::InvalidInState,
            seq,
            (req::HRT_CAT_045, "start while switched off"),
        )?;

        ctx.step(4);
        switch(ctx, who, on_path, true).await?;
        start_cycle(ctx, who, component).await?;

        ctx.step(5);
        let running = ctx.read(who, state_path).await?.as_int().unwrap_or(-1);
        let under_way = matches!(running, state::RUNNING | state::PAUSED | state::DELAYED);
        ctx.probe.clear_seen();
        let asked = Instant::now();
        let (status, seq) = ctx.write(who, on_path, Value::Bool(false)).await?;
        if status != StatusCode::Success {
            stop(ctx, who, component).await;
            return Err(Outcome::fail(
                req::HRT_CAT_048,
                format!(
                    "switching off while {} answered {status}: switching off ends the cycle as stop does",
                    state_name(running)
                ),
            )
            .with_evidence([seq]));
        }
        let limit = deadline(ctx).saturating_sub(asked.elapsed());
        let now = ctx.read(who, state_path).await?;
        if now != Value::Int(state::IDLE) {
            stop(ctx, who, component).await;
            return Err(Outcome::fail(
                req::HRT_CAT_048,
                format!(
                    "switching off while {} left the appliance {}: switching off ends the cycle as stop does",
                    state_name(running),
                    now.as_int().map_or_else(|| now.to_string(), state_name)
                ),
            )
            .with_evidence([seq]));
        }
        idle_reported(ctx, limit, state_path, ("switching off ended the cycle", seq)).await?;
        if under_way {
            let event_path = cycle_path(ctx, component, opstate::COMPLETED);
            let what = (req::HRT_MOD_108, "switching off ended the cycle");
            let (event, seq) = expect::event(ctx, deadline(ctx), event_path, what).await?;
            expect::event_fields(ctx, &event, "operation-completed", seq)?;
            let why = (req::HRT_CAT_048, "switching off ends the cycle as stop does");
            stopped_field(&event, true, seq, why)?;
        }
        Ok(())
    }
    .await;
    ctx.step(6);
    let _ = ctx.write(who, on_path, Value::Bool(true)).await;
    leave_idle(ctx, who, component).await;
    result
}

/// The component that runs the cycle, where it declares `remote-start-enabled` and the ICS
/// lets the suite ask an operator at the appliance's panel.
fn remote_start_component(ctx: &Ctx) -> Result<u16, String> {
    let c = startable_cycle(ctx)?;
    if !has_property(ctx, c, OPERATIONAL_STATE, opstate::REMOTE_START) {
        return Err(format!(
            "the `operational-state` of component {c} does not implement `remote-start-enabled`"
        ));
    }
    needs_operator(ctx, ctx.ics.actuation.panel, "panel")?;
    Ok(c)
}

/// Ask the operator to allow (or withdraw) remote start at the appliance and wait, within
/// the report deadline, for the report of `remote-start-enabled`: whether it came.
async fn allow_remote_start(ctx: &mut Ctx, component: u16, allowed: bool) -> Result<bool, Outcome> {
    act(ctx, OperatorAction::AllowRemoteStart { allowed }).await?;
    let path = cycle_path(ctx, component, opstate::REMOTE_START);
    let limit = deadline(ctx);
    Ok(
        wait::report(ctx, limit, path, |v| *v == Value::Bool(allowed))
            .await
            .is_some(),
    )
}

test_case! {
    /// TC-BEH-1.7
    NO_START_WITHOUT_REMOTE_START: "TC-BEH-1.7",
    title: "While remote start is withdrawn at the appliance, start answers invalid-in-state",
    checks: [
        HRT_CAT_046,
        HRT_MOD_107,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Ask the operator to withdraw remote start at the appliance; expect a report of remote-start-enabled false.",
        "Invoke start; expect invalid-in-state and the state unchanged (HRT-CAT-046).",
        "Ask the operator to allow remote start again; expect a report of remote-start-enabled true.",
    ],
    applies: |ctx| remote_start_component(ctx).map(drop),
    run: no_start_without_remote_start(operator),
}

async fn no_start_without_remote_start(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = remote_start_component(ctx).map_err(Outcome::not_applicable)?;
    let remote = cycle_path(ctx, component, opstate::REMOTE_START);
    let before = ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    ctx.probe.clear_seen();
    ctx.step(2);
    let withdrawn = allow_remote_start(ctx, component, false).await?;
    let refused: CaseResult = async {
        if !withdrawn {
            return Err(Outcome::fail(
                req::HRT_MOD_107,
                format!(
                    "remote start was withdrawn but no report of {remote} = false came within {:?}",
                    deadline(ctx)
                ),
            ));
        }
        ctx.step(3);
        let e = (req::HRT_CAT_046, "start with remote start withdrawn");
        refused_in_state(ctx, who, (component, Action::Start, before), e).await
    }
    .await;
    ctx.step(4);
    let allowed = allow_remote_start(ctx, component, true).await?;
    refused?;
    if !allowed {
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "remote start was allowed again but no report of {remote} = true came within {:?}",
                deadline(ctx)
            ),
        ));
    }
    Ok(())
}

/// Invoke `action` on `component` in the state `before`, which a precondition of the state
/// machine (`e`) keeps it from: expect invalid-in-state and the state unchanged. A cycle it
/// started anyway is stopped (HRT-CONF-008).
async fn refused_in_state(
    ctx: &mut Ctx,
    who: usize,
    (component, action, before): (u16, Action, i64),
    (requirement, what): Expect<'_>,
) -> Result<(), Outcome> {
    let (status, seq) = invoke_cycle(ctx, who, component, action).await?;
    let after = ctx
        .read(who, cycle_path(ctx, component, opstate::STATE))
        .await?;
    if after != Value::Int(before) {
        if action == Action::Start {
            stop(ctx, who, component).await;
        }
        return Err(Outcome::fail(
            requirement,
            format!(
                "{what} answered {status} and the appliance went {}",
                after.as_int().map_or_else(|| after.to_string(), state_name)
            ),
        )
        .with_evidence([seq]));
    }
    expect::status(status, StatusCode::InvalidInState, seq, (requirement, what))
}

test_case! {
    /// TC-BEH-1.8
    NO_RESUME_WITH_DOOR_OPEN: "TC-BEH-1.8",
    title: "A paused cycle does not resume while the door is open: resume answers invalid-in-state",
    checks: [
        HRT_CAT_001,
        HRT_CAT_041,
        HRT_CAT_047,
        HRT_MOD_107,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start, then pause at once; expect success and a report of the state paused (HRT-CAT-041).",
        "Ask the operator to open the door; expect a report of the door open.",
        "Invoke resume; expect invalid-in-state and the state still paused (HRT-CAT-047).",
        "Ask the operator to close the door; expect a report of the door closed; stop the cycle.",
    ],
    applies: |ctx| {
        let c = door_and_cycle(ctx)?;
        startable_cycle(ctx)?;
        pausable(ctx, c)?;
        needs_operator(ctx, ctx.ics.actuation.door, "door")
    },
    run: no_resume_with_door_open(operator),
}

async fn no_resume_with_door_open(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = door_and_cycle(ctx).map_err(Outcome::not_applicable)?;
    let open_path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
    ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    ctx.probe.clear_seen();
    ctx.step(2);
    start_cycle(ctx, who, component).await?;
    let result: CaseResult = async {
        transition(ctx, who, component, Action::Pause, state::RUNNING).await?;
        ctx.step(3);
        let limit = deadline(ctx);
        if !move_door(ctx, component, true).await? {
            return Err(Outcome::fail(
                req::HRT_MOD_107,
                format!(
                    "the door was opened but no report of {open_path} = true came within {limit:?}"
                ),
            ));
        }
        ctx.step(4);
        let e = (req::HRT_CAT_047, "resume with the door open");
        refused_in_state(ctx, who, (component, Action::Resume, state::PAUSED), e).await
    }
    .await;
    ctx.step(5);
    let closed = move_door(ctx, component, false).await;
    leave_idle(ctx, who, component).await;
    result?;
    if !closed? {
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!(
                "the door was closed but no report of {open_path} = false came within {:?}",
                deadline(ctx)
            ),
        ));
    }
    Ok(())
}

/// The start-delay property of `delayed-start` on the cycle's component, where the
/// description declares it writable.
fn start_delay_path(ctx: &Ctx, component: u16) -> Option<Path> {
    let path = Path::new(
        component,
        cap_id(ctx, "delayed-start"),
        delayed_start::START_DELAY,
    );
    ctx.properties()
        .into_iter()
        .any(|(p, def)| p == path && def.writable())
        .then_some(path)
}

test_case! {
    /// TC-BEH-1.9
    DELAYED_CYCLE: "TC-BEH-1.9",
    title: "A cycle waiting for its delayed start refuses pause and ends on stop",
    checks: [
        HRT_CAT_001,
        HRT_CAT_040,
        HRT_CAT_041,
        HRT_MOD_107,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Write delayed-start start-delay to an hour; expect success.",
        "Invoke start; expect success and a report of the state delayed (HRT-CAT-041).",
        "Invoke pause: the transition table gives pause no transition from delayed, so expect invalid-in-state and the state still delayed (HRT-CAT-040).",
        "Invoke stop; expect success and a report of the state idle (HRT-CAT-041); write the start delay back to 0.",
    ],
    applies: |ctx| {
        let c = startable_cycle(ctx)?;
        if !has_action(ctx, c, Action::Pause) {
            return Err("the description's `operational-state` does not implement `pause`".into());
        }
        start_delay_path(ctx, c)
            .map(drop)
            .ok_or_else(|| "the description declares no writable delayed-start start-delay on the cycle's component".into())
    },
    run: delayed_cycle(operator),
}

async fn delayed_cycle(ctx: &mut Ctx, who: usize) -> CaseResult {
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let Some(delay) = start_delay_path(ctx, component) else {
        return Err(Outcome::not_applicable("no writable start delay"));
    };
    ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    ctx.probe.clear_seen();
    ctx.step(2);
    let (status, seq) = ctx.write(who, delay, Value::Int(3600)).await?;
    if status != StatusCode::Success {
        return Err(Outcome::inconclusive(format!(
            "writing a start delay of an hour answered {status}: the case needs one the appliance takes"
        ))
        .with_evidence([seq]));
    }
    let result: CaseResult = async {
        ctx.step(3);
        let asked = Instant::now();
        start_cycle(ctx, who, component).await?;
        let state_path = cycle_path(ctx, component, opstate::STATE);
        let limit = deadline(ctx).saturating_sub(asked.elapsed());
        if wait::report(ctx, limit, state_path, |v| *v == Value::Int(state::DELAYED))
            .await
            .is_none()
        {
            return Err(Outcome::fail(
                req::HRT_CAT_041,
                format!(
                    "start with a start delay set brought no report of the state delayed within {:?}",
                    deadline(ctx)
                ),
            ));
        }
        ctx.step(4);
        expect_refused(ctx, who, component, &[Action::Pause], state::DELAYED).await?;
        ctx.step(5);
        transition(ctx, who, component, Action::Stop, state::DELAYED).await
    }
    .await;
    leave_idle(ctx, who, component).await;
    let _ = ctx.write(who, delay, Value::Int(0)).await;
    result
}

test_case! {
    /// TC-BEH-1.10
    FROM_COMPLETED: "TC-BEH-1.10",
    title: "A completed cycle starts again on start and returns to idle on stop, as the transition table gives",
    checks: [
        HRT_CAT_041,
        HRT_CAT_049,
        HRT_MOD_107,
    ],
    steps: [
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Unless completed: find the shortest programme (for each declared mode: write it, invoke start, read the remaining time, invoke stop), select it, invoke start, expect success, and wait (at most cycle_timeout) for a report of the state completed.",
        "Invoke start while completed: expect success and a state the transition table gives start from completed (HRT-CAT-049, HRT-CAT-041).",
        "Wait (at most cycle_timeout) for a report of the state completed.",
        "Invoke stop while completed: expect success and a state the transition table gives stop from completed (HRT-CAT-049, HRT-CAT-041), reported; select the mode of step 1 again.",
    ],
    applies: |ctx| startable_cycle(ctx).map(drop),
    run: from_completed(operator),
}

async fn from_completed(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let before = ready_to_start(ctx, who, component).await?;
    ctx.step(1);
    let mode = programme(ctx, component);
    let was = match mode {
        Some((path, _)) => Some(ctx.read(who, path).await?),
        None => None,
    };
    let result: CaseResult = async {
        if before == state::COMPLETED {
            ctx.step_with(2, "completed already");
        } else {
            match &mode {
                Some((path, codes)) => {
                    let shortest = shortest(ctx, who, component, *path, codes).await?;
                    ctx.step_with(2, format!("{path} = {shortest}"));
                }
                None => ctx.step(2),
            }
            ctx.probe.clear_seen();
            start_cycle(ctx, who, component).await?;
            completes(ctx, component, started).await?;
        }
        // The transition table, not this case, says what completed allows.
        let t = table(ctx)?;
        let allowed = |a: Action| !t.targets(a.id(), code_of(state::COMPLETED)).is_empty();
        if allowed(Action::Start) {
            ctx.step(3);
            carried_out_while_completed(ctx, who, component, Action::Start).await?;
            ctx.step(4);
            completes(ctx, component, started).await?;
        }
        if allowed(Action::Stop) {
            ctx.step(5);
            let asked = Instant::now();
            let seq = carried_out_while_completed(ctx, who, component, Action::Stop).await?;
            let state_path = cycle_path(ctx, component, opstate::STATE);
            let limit = deadline(ctx).saturating_sub(asked.elapsed());
            idle_reported(
                ctx,
                limit,
                state_path,
                ("stop while completed succeeded", seq),
            )
            .await?;
        }
        Ok(())
    }
    .await;
    leave_idle(ctx, who, component).await;
    if let (Some((path, _)), Some(was)) = (mode, was) {
        let _ = ctx.write(who, path, was).await;
    }
    result
}

/// The cycle component's writable `mode/current-mode` and the modes its description
/// declares, if it has both.
fn programme(ctx: &Ctx, component: u16) -> Option<(Path, Vec<i64>)> {
    let path = Path::new(component, cap_id(ctx, MODE), CURRENT_MODE);
    let codes: Vec<i64> = ctx
        .description
        .instance(component, path.capability)?
        .constraint(CURRENT_MODE)?
        .values
        .as_ref()?
        .iter()
        .map(|e| i64::from(e.code))
        .collect();
    let writable = ctx
        .properties()
        .into_iter()
        .any(|(p, prop)| p == path && prop.writable());
    (writable && !codes.is_empty()).then_some((path, codes))
}

/// Select, of `codes` at `path`, the mode whose cycle the appliance says is the shortest:
/// each one is written, started, its remaining time read, and stopped (a mode the appliance
/// does not take or start is passed over). The mode selected.
async fn shortest(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    path: Path,
    codes: &[i64],
) -> Result<i64, Outcome> {
    let remaining = cycle_path(ctx, component, opstate::REMAINING);
    let mut best: Option<(i64, i64)> = None;
    for &code in codes {
        if ctx.write(who, path, Value::Int(code)).await?.0 != StatusCode::Success {
            continue;
        }
        if invoke_cycle(ctx, who, component, Action::Start).await?.0 != StatusCode::Success {
            continue;
        }
        let left = ctx.read(who, remaining).await?.as_int();
        stop(ctx, who, component).await;
        if let Some(left) = left {
            if best.is_none_or(|(b, _)| left < b) {
                best = Some((left, code));
            }
        }
    }
    let Some((_, code)) = best else {
        return Err(Outcome::inconclusive(
            "no declared mode started a cycle with a remaining time",
        ));
    };
    ctx.write(who, path, Value::Int(code)).await?;
    Ok(code)
}

/// Wait, at most `cycle_timeout` and what is left of the case's time (but for a few
/// answers, to put the appliance back), for a report of the state completed: a cycle that
/// does not get there makes the case inconclusive.
async fn completes(ctx: &mut Ctx, component: u16, started: Instant) -> CaseResult {
    let state_path = cycle_path(ctx, component, opstate::STATE);
    let left = ctx
        .params
        .test_timeout
        .saturating_sub(started.elapsed())
        .saturating_sub(ctx.response_timeout() * 3);
    let limit = ctx.params.cycle_timeout.min(left);
    match wait::report(ctx, limit, state_path, |v| {
        *v == Value::Int(state::COMPLETED)
    })
    .await
    {
        Some(_) => Ok(()),
        None => Err(Outcome::inconclusive(format!(
            "the cycle did not complete within {limit:?}"
        ))),
    }
}

/// Invoke `action` while the appliance is completed: it must be carried out (HRT-CAT-049)
/// and lead where the transition table says (HRT-CAT-041). Refused by an appliance that is
/// no longer completed (it went idle by itself), the case is inconclusive. The trace entry of
/// the answer.
async fn carried_out_while_completed(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    action: Action,
) -> Result<usize, Outcome> {
    let state_path = cycle_path(ctx, component, opstate::STATE);
    let (status, seq) = invoke_cycle(ctx, who, component, action).await?;
    if status != StatusCode::Success {
        let now = ctx.read(who, state_path).await?;
        if now != Value::Int(state::COMPLETED) {
            return Err(Outcome::inconclusive(format!(
                "`{}` answered {status}, and the appliance is {}: it may have left completed by itself first",
                action.name(),
                now.as_int().map_or_else(|| now.to_string(), state_name)
            ))
            .with_evidence([seq]));
        }
        let names: Vec<String> = table(ctx)?
            .targets(action.id(), code_of(state::COMPLETED))
            .iter()
            .map(|s| state_name(i64::from(*s)))
            .collect();
        return Err(Outcome::fail(
            req::HRT_CAT_049,
            format!(
                "`{}` while completed answered {status}: the transition table leads to {}",
                action.name(),
                names.join(" or ")
            ),
        )
        .with_evidence([seq]));
    }
    led_where_the_table_says(ctx, who, component, action, state::COMPLETED, seq).await?;
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_model::Catalog;

    fn sm() -> &'static StateMachine {
        let cap = Catalog::standard()
            .capability_named(OPERATIONAL_STATE)
            .expect("operational-state");
        Catalog::standard()
            .state_machine(cap.id)
            .expect("its state machine")
    }

    /// The harness's state codes and action ids are the catalog's: the cases and the table
    /// they read cannot drift apart.
    #[test]
    fn harness_codes_are_the_catalogs() {
        let t = sm();
        for (code, name) in [
            (state::IDLE, "idle"),
            (state::RUNNING, "running"),
            (state::PAUSED, "paused"),
            (state::ERROR, "error"),
            (state::DELAYED, "delayed"),
            (state::COMPLETED, "completed"),
        ] {
            assert_eq!(t.state_name(code_of(code)), Some(name));
            assert_eq!(state_name(code), name);
        }
        assert_eq!(t.states().len(), 6, "a state the harness does not name");
        for (id, name) in t.actions() {
            let action = action_of(*id).unwrap_or_else(|| panic!("no harness action for {name}"));
            assert_eq!(action.name(), name);
        }
        let cap = Catalog::standard()
            .capability_named(OPERATIONAL_STATE)
            .expect("operational-state");
        for (id, name) in [
            (opstate::STATE, "state"),
            (opstate::PHASE, "phase"),
            (opstate::REMAINING, "remaining-time"),
            (opstate::REMOTE_START, "remote-start-enabled"),
        ] {
            assert_eq!(cap.property(id).map(|p| p.name.as_str()), Some(name));
        }
        assert_eq!(
            cap.event(opstate::COMPLETED).map(|e| e.name.as_str()),
            Some("operation-completed")
        );
        let mode = Catalog::standard().capability_named(MODE).expect("mode");
        assert_eq!(
            mode.property(CURRENT_MODE).map(|p| p.name.as_str()),
            Some("current-mode")
        );
    }

    /// What the cases derive from the table: the actions idle refuses, where start leads.
    #[test]
    fn refusals_and_results_come_from_the_table() {
        let t = sm();
        assert_eq!(
            t.refused_in(code_of(state::IDLE))
                .into_iter()
                .filter_map(action_of)
                .collect::<Vec<_>>(),
            [Action::Pause, Action::Resume, Action::Stop]
        );
        let after_start = t.after_own(&t.targets(Action::Start.id(), code_of(state::IDLE)));
        assert!(after_start.contains(&code_of(state::RUNNING)));
        assert!(after_start.contains(&code_of(state::DELAYED)));
        assert!(!t.may_change(code_of(state::IDLE), code_of(state::PAUSED)));
    }
}
