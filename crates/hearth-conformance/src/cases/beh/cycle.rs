//! Behaviour per device type (area `BEH`): what an appliance does over time as the catalog
//! defines it — cycles and the state machine of `operational-state`, doors and their alarm,
//! faults and their events, cumulative counters.
//!
//! Refused invocations need no actuation flag (`spec/06-conformance.md` §3.5); everything
//! that changes the appliance's physical state does, and whatever a case changes it puts
//! back (HRT-CONF-008). Doors and faults come from the outside world: those cases need an
//! [`Operator`](crate::case::Operator) and the ICS flag that allows asking for it.

use std::time::{Duration, Instant};

use hearth_model::validate::{check_event, check_value};
use hearth_model::{CapabilityInstance, Path, StatusCode, Value};
use hearth_wire::{Body, EventBody, Message};

use crate::case::{Case, Ctx, OperatorAction};
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::probe::Seen;
use crate::requirements::req;
use crate::verdict::Outcome;

// ---- catalog names this area works with ----

const OPERATIONAL_STATE: &str = "operational-state";
const DOOR: &str = "door";
pub(crate) const FAULTS: &str = "faults";
const ON_OFF: &str = "on-off";
const ENERGY: &str = "energy-measurement";
const WATER: &str = "water-consumption";

/// `operational-state` state codes (`spec/02-catalog.md`, enumeration `operational-state`).
mod state {
    pub(crate) const IDLE: i64 = 0;
    pub(crate) const RUNNING: i64 = 1;
    pub(crate) const PAUSED: i64 = 2;
    pub(crate) const ERROR: i64 = 3;
    pub(crate) const DELAYED: i64 = 4;
    pub(crate) const COMPLETED: i64 = 5;
}

/// `operational-state` member ids.
mod opstate {
    pub(crate) const STATE: u16 = 1;
    pub(crate) const PHASE: u16 = 2;
    pub(crate) const REMAINING: u16 = 3;
    pub(crate) const REMOTE_START: u16 = 6;
    pub(crate) const START: u16 = 1;
    pub(crate) const PAUSE: u16 = 2;
    pub(crate) const RESUME: u16 = 3;
    pub(crate) const STOP: u16 = 4;
    pub(crate) const COMPLETED: u16 = 1;
}

/// `door` member ids.
mod door {
    pub(crate) const OPEN: u16 = 1;
    pub(crate) const ALARM: u16 = 3;
    pub(crate) const ALARM_DELAY: u16 = 4;
    pub(crate) const ALARM_EVENT: u16 = 1;
    pub(crate) const CLEARED_EVENT: u16 = 2;
}

/// A tester that may operate the appliance (operate, else manage).
pub(crate) fn operator_tester(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
}

/// The catalog id of the capability `name`.
pub(crate) fn cap_id(ctx: &Ctx, name: &str) -> u16 {
    ctx.catalog
        .capability_named(name)
        .map_or(u16::MAX, |c| c.id)
}

/// Every (component, instance) of the capability `name`, in description order.
fn instances<'a>(ctx: &'a Ctx, name: &str) -> Vec<(u16, &'a CapabilityInstance)> {
    let id = cap_id(ctx, name);
    ctx.description
        .components
        .iter()
        .flat_map(|c| {
            c.capabilities
                .iter()
                .filter(move |i| i.capability == id)
                .map(move |i| (c.id, i))
        })
        .collect()
}

/// The first component with the capability `name`.
fn first(ctx: &Ctx, name: &str) -> Option<u16> {
    instances(ctx, name).first().map(|(c, _)| *c)
}

/// Whether the instance of `name` on `component` implements the optional member.
fn has_property(ctx: &Ctx, component: u16, name: &str, property: u16) -> bool {
    ctx.description
        .instance(component, cap_id(ctx, name))
        .is_some_and(|i| i.properties.contains(&property))
}

fn has_action(ctx: &Ctx, component: u16, name: &str, action: u16) -> bool {
    let Some(cap) = ctx.catalog.capability_named(name) else {
        return false;
    };
    let Some(a) = cap.action(action) else {
        return false;
    };
    !a.optional
        || ctx
            .description
            .instance(component, cap.id)
            .is_some_and(|i| i.actions.contains(&action))
}

fn has_event(ctx: &Ctx, component: u16, name: &str, event: u16) -> bool {
    let Some(cap) = ctx.catalog.capability_named(name) else {
        return false;
    };
    let Some(e) = cap.event(event) else {
        return false;
    };
    !e.optional
        || ctx
            .description
            .instance(component, cap.id)
            .is_some_and(|i| i.events.contains(&event))
}

/// The name of an `operational-state` action, for messages.
fn action_name(action: u16) -> &'static str {
    match action {
        opstate::START => "start",
        opstate::PAUSE => "pause",
        opstate::RESUME => "resume",
        opstate::STOP => "stop",
        _ => "?",
    }
}

fn state_name(code: i64) -> String {
    match code {
        state::IDLE => "idle".into(),
        state::RUNNING => "running".into(),
        state::PAUSED => "paused".into(),
        state::ERROR => "error".into(),
        state::DELAYED => "delayed".into(),
        state::COMPLETED => "completed".into(),
        other => format!("code {other}"),
    }
}

/// The time a report or an event may take to arrive after its cause.
pub(crate) fn deadline(ctx: &Ctx) -> Duration {
    ctx.params.report_deadline + ctx.params.latency_allowance
}

/// What is left of the test case's budget (`test_timeout`), keeping back what the steps
/// after a long wait need to put the appliance back: a few responses and reports.
fn budget(ctx: &Ctx, started: Instant) -> Duration {
    let reserve = ctx.response_timeout() * 4 + deadline(ctx) * 2;
    ctx.params
        .test_timeout
        .saturating_sub(started.elapsed())
        .saturating_sub(reserve)
}

/// Invoke an action without arguments; its status, or why there is none.
async fn invoke(ctx: &mut Ctx, who: usize, path: Path) -> Result<(StatusCode, usize), Outcome> {
    let (msg, seq) = ctx
        .ask(
            who,
            Body::Invoke {
                path,
                args: Value::Null,
            },
        )
        .await?;
    match msg.body {
        Body::InvokeResponse(r) => Ok((r.status, seq)),
        other => Err(Outcome::fail(
            "HRT-MSG-091",
            format!("an invocation was answered with a {} message", other.kind()),
        )
        .with_evidence([seq])),
    }
}

/// Wait at most `timeout` for a report of `path` whose value satisfies `want`.
async fn wait_report(
    ctx: &mut Ctx,
    timeout: Duration,
    path: Path,
    want: impl Fn(&Value) -> bool,
) -> Option<(Value, usize)> {
    let value_of = |s: &Seen| match &s.message {
        Ok(Message {
            body: Body::Report(r),
            ..
        }) => r
            .values
            .iter()
            .find(|(p, v)| *p == path && want(v))
            .map(|(_, v)| v.clone()),
        _ => None,
    };
    let seen = ctx
        .probe
        .wait_for(timeout, |s| value_of(s).is_some())
        .await?;
    value_of(&seen).map(|v| (v, seen.seq))
}

/// Like [`wait_report`], and also every other value the same report carried.
async fn wait_report_with(
    ctx: &mut Ctx,
    timeout: Duration,
    path: Path,
    want: impl Fn(&Value) -> bool,
) -> Option<(Value, Vec<(Path, Value)>)> {
    let seen = ctx
        .probe
        .wait_for(timeout, |s| {
            matches!(&s.message, Ok(Message { body: Body::Report(r), .. })
                if r.values.iter().any(|(p, v)| *p == path && want(v)))
        })
        .await?;
    match seen.message {
        Ok(Message {
            body: Body::Report(r),
            ..
        }) => {
            let value = r.values.iter().find(|(p, _)| *p == path)?.1.clone();
            Some((value, r.values))
        }
        _ => None,
    }
}

/// Wait at most `timeout` for the event at `path`.
pub(crate) async fn wait_event(
    ctx: &mut Ctx,
    timeout: Duration,
    path: Path,
) -> Option<(EventBody, usize)> {
    let seen = ctx
        .probe
        .wait_for(
            timeout,
            |s| matches!(&s.message, Ok(Message { body: Body::Event(e), .. }) if e.path == path),
        )
        .await?;
    match seen.message {
        Ok(Message {
            body: Body::Event(e),
            ..
        }) => Some((e, seen.seq)),
        _ => None,
    }
}

/// Check an event's fields against the description: a struct with every mandatory field,
/// each value valid (HRT-MSG-061, HRT-MOD-047, HRT-MOD-106).
fn check_fields(ctx: &Ctx, event: &EventBody, name: &str, seq: usize) -> Result<(), Outcome> {
    if !matches!(event.fields, Value::Struct(_)) {
        return Err(Outcome::fail(
            "HRT-MSG-061",
            format!(
                "the {name} event's fields are {}, not a map of field ids to values",
                event.fields
            ),
        )
        .with_evidence([seq]));
    }
    check_event(ctx.catalog, &ctx.description, &event.path, &event.fields).map_err(|e| {
        let requirement = if e.requirement() == "HRT-MOD-047" {
            "HRT-MOD-047"
        } else {
            "HRT-MOD-106"
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

/// Ask the operator; an environment error when it cannot be done.
pub(crate) async fn act(ctx: &mut Ctx, action: OperatorAction) -> Result<(), Outcome> {
    let Some(operator) = ctx.operator.as_ref() else {
        return Err(Outcome::error("this run has no operator"));
    };
    let result = operator.act(action).await;
    ctx.probe.note(format!("operator: {action}"));
    result.map_err(|why| Outcome::error(format!("the operator could not {action}: {why}")))
}

/// Not applicable unless the ICS sets `flag` and the run has an operator.
pub(crate) fn needs_operator(ctx: &Ctx, flag: bool, name: &str) -> Result<(), String> {
    if !flag {
        return Err(format!("ICS [actuation] {name} = false"));
    }
    if ctx.operator.is_none() {
        return Err("the run has no operator to act on the appliance".into());
    }
    Ok(())
}

/// The component with `operational-state`, or why the case does not apply.
fn cycle_component(ctx: &Ctx) -> Result<u16, String> {
    first(ctx, OPERATIONAL_STATE)
        .ok_or_else(|| "the description has no `operational-state` capability".into())
}

/// The actions that the catalog's state machine refuses in `state`, among those implemented.
fn refused_in(ctx: &Ctx, component: u16, code: i64) -> Vec<u16> {
    let refused: &[u16] = match code {
        state::IDLE => &[opstate::STOP, opstate::PAUSE, opstate::RESUME],
        state::RUNNING => &[opstate::START, opstate::RESUME],
        state::PAUSED => &[opstate::START, opstate::PAUSE],
        state::DELAYED => &[opstate::START, opstate::PAUSE, opstate::RESUME],
        state::COMPLETED | state::ERROR => &[opstate::PAUSE, opstate::RESUME],
        _ => &[],
    };
    refused
        .iter()
        .copied()
        .filter(|a| has_action(ctx, component, OPERATIONAL_STATE, *a))
        .collect()
}

/// Invoke every action in `actions` and expect `invalid-in-state` for each, with the state
/// unchanged afterwards.
async fn expect_refused(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    actions: &[u16],
    state_before: i64,
) -> Result<(), Outcome> {
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let state_path = Path::new(component, op, opstate::STATE);
    for &action in actions {
        let path = Path::new(component, op, action);
        let (status, seq) = invoke(ctx, who, path).await?;
        let after = ctx.read(who, state_path).await?;
        let ended_by_itself = status == StatusCode::InvalidInState
            && matches!(
                state_before,
                state::RUNNING | state::PAUSED | state::DELAYED
            )
            && matches!(after.as_int(), Some(state::COMPLETED | state::IDLE));
        if after != Value::Int(state_before) && !ended_by_itself {
            return Err(Outcome::fail(
                "HRT-MOD-116",
                format!(
                    "`{}` while {} answered {status} and changed the state to {after}",
                    action_name(action),
                    state_name(state_before)
                ),
            )
            .with_evidence([seq]));
        }
        if status != StatusCode::InvalidInState {
            return Err(Outcome::fail(
                "HRT-MOD-051",
                format!(
                    "`{}` while {} answered {status}, expected invalid-in-state",
                    action_name(action),
                    state_name(state_before)
                ),
            )
            .with_evidence([seq]));
        }
    }
    Ok(())
}

// ---- TC-BEH-1.1 ----

/// TC-BEH-1.1
pub(crate) const REFUSED_TRANSITIONS: Case = Case {
    id: "TC-BEH-1.1",
    title: "Commands the cycle's state does not allow answer invalid-in-state and change nothing",
    requirements: &[req::HRT_MOD_051, req::HRT_MOD_116, req::HRT_CAT_001],
    steps: &[
        "Read the operational state, phase and remaining time.",
        "Invoke each implemented action the state machine refuses in that state (idle: stop, pause, resume).",
        "Expect invalid-in-state for each, and the state unchanged after each.",
        "Read the phase and remaining time again: unchanged.",
    ],
    applies: |ctx| cycle_component(ctx).map(|_| ()),
    run: refused_transitions,
};

case_fn!(refused_transitions, |ctx| {
    let who = try_outcome!(operator_tester(ctx));
    let component = try_outcome!(cycle_component(ctx).map_err(Outcome::not_applicable));
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let paths = [
        Path::new(component, op, opstate::STATE),
        Path::new(component, op, opstate::PHASE),
        Path::new(component, op, opstate::REMAINING),
    ];
    let mut before = Vec::new();
    for p in paths {
        before.push(try_outcome!(ctx.read(who, p).await));
    }
    let Some(code) = before[0].as_int() else {
        return Outcome::fail(
            "HRT-MOD-106",
            format!("{} reads {}, not a state code", paths[0], before[0]),
        );
    };
    ctx.step_text(format!(
        "Read the operational state, phase and remaining time ({}).",
        state_name(code)
    ));
    let refused = refused_in(ctx, component, code);
    if refused.is_empty() {
        return Outcome::inconclusive(format!(
            "the appliance is {}: no implemented action is refused in that state",
            state_name(code)
        ));
    }
    let names: Vec<&str> = refused.iter().map(|a| action_name(*a)).collect();
    ctx.step_text(format!(
        "Invoke each implemented action the state machine refuses in that state (idle: stop, pause, resume): {}.",
        names.join(", ")
    ));
    ctx.step_text("Expect invalid-in-state for each, and the state unchanged after each.");
    try_outcome!(expect_refused(ctx, who, component, &refused, code).await);
    ctx.step_text("Read the phase and remaining time again: unchanged.");
    if code == state::IDLE || code == state::COMPLETED || code == state::ERROR {
        for (p, was) in paths.iter().zip(&before).skip(1) {
            let now = try_outcome!(ctx.read(who, *p).await);
            if now != *was {
                return Outcome::fail(
                    "HRT-MOD-116",
                    format!("{p} changed from {was} to {now} after refused commands"),
                );
            }
        }
    }
    Outcome::pass()
});

// ---- TC-BEH-1.2 ----

/// Preconditions for starting a cycle: idle or completed, door closed, remote start
/// allowed, switched on. `Err` is the inconclusive outcome.
async fn ready_to_start(ctx: &mut Ctx, who: usize, component: u16) -> Result<i64, Outcome> {
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let code = ctx
        .read(who, Path::new(component, op, opstate::STATE))
        .await?
        .as_int()
        .unwrap_or(-1);
    if code != state::IDLE && code != state::COMPLETED {
        return Err(Outcome::inconclusive(format!(
            "the appliance is {}, not idle: the test needs an idle appliance",
            state_name(code)
        )));
    }
    if has_property(ctx, component, OPERATIONAL_STATE, opstate::REMOTE_START)
        && ctx
            .read(who, Path::new(component, op, opstate::REMOTE_START))
            .await?
            == Value::Bool(false)
    {
        return Err(Outcome::inconclusive(
            "remote start is disabled at the appliance (remote-start-enabled = false)",
        ));
    }
    if let Some(c) = first(ctx, ON_OFF) {
        let on = Path::new(c, cap_id(ctx, ON_OFF), 1);
        if ctx.read(who, on).await? == Value::Bool(false) {
            return Err(Outcome::inconclusive("the appliance is switched off"));
        }
    }
    Ok(code)
}

/// TC-BEH-1.2
pub(crate) const CYCLE_RUNS: Case = Case {
    id: "TC-BEH-1.2",
    title: "A started cycle runs, reports its state, phase and remaining time, and ends with operation-completed",
    requirements: &[
        req::HRT_CAT_001,
        req::HRT_MOD_051,
        req::HRT_MOD_106,
        req::HRT_MOD_107,
        req::HRT_MOD_108,
        req::HRT_MSG_056,
        req::HRT_MSG_061,
        req::HRT_MOD_047,
    ],
    steps: &[
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start; expect success.",
        "Expect a report of the state running (or delayed) within the report deadline.",
        "Read the phase and remaining time; expect each non-null value to have been reported.",
        "Invoke start (and resume) again while running; expect invalid-in-state.",
        "Invoke stop (unless the cycle completed); expect success and a report of the state idle.",
        "Expect the operation-completed event with its mandatory fields, stopped as the cycle ended.",
    ],
    applies: |ctx| {
        cycle_component(ctx)?;
        if !ctx.ics.actuation.start_cycle {
            return Err("ICS [actuation] start_cycle = false".into());
        }
        Ok(())
    },
    run: cycle_runs,
};

case_fn!(cycle_runs, |ctx| {
    let started = Instant::now();
    let who = try_outcome!(operator_tester(ctx));
    let component = try_outcome!(cycle_component(ctx).map_err(Outcome::not_applicable));
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let state_path = Path::new(component, op, opstate::STATE);
    if ctx
        .description
        .instance(component, cap_id(ctx, DOOR))
        .is_some()
    {
        let open_path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
        let open = try_outcome!(ctx.read(who, open_path).await);
        if open == Value::Bool(true) {
            return Outcome::inconclusive("the door is open");
        }
    }
    try_outcome!(ready_to_start(ctx, who, component).await);
    ctx.step_text("Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.");

    ctx.probe.clear_seen();
    ctx.step_text("Invoke start; expect success.");
    let asked = Instant::now();
    let (status, start_seq) =
        try_outcome!(invoke(ctx, who, Path::new(component, op, opstate::START)).await);
    if status != StatusCode::Success {
        return Outcome::inconclusive(format!(
            "start answered {status}: the appliance would not start a cycle (check that it is ready, e.g. loaded and supplied)"
        ))
        .with_evidence([start_seq]);
    }

    ctx.step_text("Expect a report of the state running (or delayed) within the report deadline.");
    let limit = deadline(ctx).saturating_sub(asked.elapsed());
    let reported = wait_report_with(ctx, limit, state_path, |v| {
        matches!(
            v.as_int(),
            Some(state::RUNNING | state::DELAYED | state::COMPLETED)
        )
    })
    .await;
    let Some((first_state, with_state)) = reported else {
        let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
        return Outcome::fail(
            "HRT-MOD-107",
            format!(
                "start succeeded but no report of the state running within {:?}",
                deadline(ctx)
            ),
        )
        .with_evidence([start_seq]);
    };
    if first_state == Value::Int(state::DELAYED) {
        let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
        if wait_report(ctx, limit, state_path, |v| {
            matches!(v.as_int(), Some(state::RUNNING | state::COMPLETED))
        })
        .await
        .is_none()
        {
            let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
            return Outcome::inconclusive(format!("the cycle stayed delayed for {limit:?}"));
        }
    }

    ctx.step_text(
        "Read the phase and remaining time; expect each non-null value to have been reported.",
    );
    let mut completed = false;
    for member in [opstate::PHASE, opstate::REMAINING] {
        let path = Path::new(component, op, member);
        let value = try_outcome!(ctx.read(who, path).await);
        if let Err(e) = check_value(ctx.catalog, &ctx.description, &path, &value) {
            let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
            return Outcome::fail("HRT-MOD-106", format!("{path} = {value}: {e}"));
        }
        if value == Value::Null
            || with_state
                .iter()
                .any(|(p, v)| *p == path && *v != Value::Null)
        {
            continue;
        }
        let limit = deadline(ctx);
        if wait_report(ctx, limit, path, |v| *v != Value::Null)
            .await
            .is_none()
        {
            let now = try_outcome!(ctx.read(who, state_path).await);
            if now == Value::Int(state::RUNNING) {
                let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
                return Outcome::fail(
                    "HRT-MOD-107",
                    format!(
                        "{path} reads {value} while running, but no report of a value was seen"
                    ),
                );
            }
        }
    }
    let now = try_outcome!(ctx.read(who, state_path).await);
    if now == Value::Int(state::COMPLETED) || now == Value::Int(state::IDLE) {
        completed = true;
    }

    ctx.step_text("Invoke start (and resume) again while running; expect invalid-in-state.");
    if !completed {
        let code = now.as_int().unwrap_or(-1);
        // `start` is refused only while the cycle is under way: send it only when the cycle
        // is far from its end (a remaining time of at least test_timeout), so that it cannot
        // complete by itself first and accept the start as a new cycle.
        let remaining = try_outcome!(
            ctx.read(who, Path::new(component, op, opstate::REMAINING))
                .await
        );
        let far_from_end = remaining
            .as_int()
            .is_some_and(|r| u64::try_from(r).unwrap_or(0) >= ctx.params.test_timeout.as_secs());
        let refused: Vec<u16> = refused_in(ctx, component, code)
            .into_iter()
            .filter(|a| (*a == opstate::START && far_from_end) || *a == opstate::RESUME)
            .collect();
        if let Err(o) = expect_refused(ctx, who, component, &refused, code).await {
            let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
            return o;
        }
    }

    ctx.step_text(
        "Invoke stop (unless the cycle completed); expect success and a report of the state idle.",
    );
    let now = try_outcome!(ctx.read(who, state_path).await);
    let stopped = now != Value::Int(state::COMPLETED) && now != Value::Int(state::IDLE);
    if stopped {
        let asked = Instant::now();
        let (status, seq) =
            try_outcome!(invoke(ctx, who, Path::new(component, op, opstate::STOP)).await);
        let after = try_outcome!(ctx.read(who, state_path).await).as_int();
        let ended_by_itself = matches!(after, Some(state::COMPLETED));
        if status != StatusCode::Success && !ended_by_itself {
            return Outcome::fail(
                "HRT-CAT-001",
                format!(
                    "stop of a {} cycle answered {status}",
                    state_name(now.as_int().unwrap_or(-1))
                ),
            )
            .with_evidence([seq]);
        }
        let limit = deadline(ctx).saturating_sub(asked.elapsed());
        if !ended_by_itself
            && wait_report(ctx, limit, state_path, |v| *v == Value::Int(state::IDLE))
                .await
                .is_none()
        {
            return Outcome::fail(
                "HRT-MOD-107",
                format!(
                    "stop succeeded but no report of the state idle within {:?}",
                    deadline(ctx)
                ),
            )
            .with_evidence([seq]);
        }
    }

    ctx.step_text("Expect the operation-completed event with its mandatory fields, stopped as the cycle ended.");
    let event_path = Path::new(component, op, opstate::COMPLETED);
    let limit = deadline(ctx);
    let Some((event, seq)) = wait_event(ctx, limit, event_path).await else {
        return Outcome::fail(
            "HRT-MOD-108",
            format!(
                "the cycle ended ({}) but no operation-completed event came within {:?}",
                if stopped { "stopped" } else { "completed" },
                deadline(ctx)
            ),
        );
    };
    if !stopped {
        // The cycle completed by itself: put the appliance back to idle where it allows.
        let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
    }
    try_outcome!(check_fields(ctx, &event, "operation-completed", seq));
    // After a stop the cycle may still have completed by itself just before the stop took
    // effect: `stopped` is only decided when no stop was sent.
    if !stopped && event.fields.field(1) != Some(&Value::Bool(false)) {
        return Outcome::fail(
            "HRT-CAT-001",
            format!(
                "operation-completed says stopped = {}, but the cycle was {}",
                event
                    .fields
                    .field(1)
                    .map_or("absent".into(), ToString::to_string),
                if stopped { "stopped" } else { "completed" }
            ),
        )
        .with_evidence([seq]);
    }
    Outcome::pass()
});

// ---- TC-BEH-1.3 ----

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

/// TC-BEH-1.3
pub(crate) const NO_START_WITH_DOOR_OPEN: Case = Case {
    id: "TC-BEH-1.3",
    title: "A cycle does not start while the door is open: start answers invalid-in-state",
    requirements: &[req::HRT_MOD_051, req::HRT_CAT_001, req::HRT_MOD_107],
    steps: &[
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
    run: no_start_with_door_open,
};

case_fn!(no_start_with_door_open, |ctx| {
    let who = try_outcome!(operator_tester(ctx));
    let component = try_outcome!(door_and_cycle(ctx).map_err(Outcome::not_applicable));
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let open_path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
    let state_path = Path::new(component, op, opstate::STATE);
    if try_outcome!(ctx.read(who, open_path).await) == Value::Bool(true) {
        return Outcome::inconclusive("the door is already open");
    }
    let before = try_outcome!(ready_to_start(ctx, who, component).await);
    ctx.step_text("Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.");

    ctx.probe.clear_seen();
    ctx.step_text("Ask the operator to open the door; expect a report of the door open.");
    try_outcome!(act(ctx, OperatorAction::OpenDoor { component }).await);
    let limit = deadline(ctx);
    let opened = wait_report(ctx, limit, open_path, |v| *v == Value::Bool(true)).await;
    let outcome = if opened.is_none() {
        Outcome::fail(
            "HRT-MOD-107",
            format!(
                "the door was opened but no report of {open_path} = true came within {limit:?}"
            ),
        )
    } else {
        ctx.step_text("Invoke start; expect invalid-in-state.");
        match invoke(ctx, who, Path::new(component, op, opstate::START)).await {
            Err(o) => o,
            Ok((status, seq)) => {
                ctx.step_text("Read the operational state: unchanged.");
                match ctx.read(who, state_path).await {
                    Err(o) => o,
                    Ok(after) if after != Value::Int(before) => {
                        // Put it back: the cycle must not run (HRT-CONF-008).
                        let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
                        Outcome::fail(
                            "HRT-MOD-051",
                            format!("start with the door open answered {status} and the appliance went {}: a cycle must not start while the door is open", state_name(after.as_int().unwrap_or(-1))),
                        )
                        .with_evidence([seq])
                    }
                    Ok(_) if status != StatusCode::InvalidInState => Outcome::fail(
                        "HRT-MOD-051",
                        format!(
                            "start with the door open answered {status}, expected invalid-in-state"
                        ),
                    )
                    .with_evidence([seq]),
                    Ok(_) => Outcome::pass(),
                }
            }
        }
    };
    ctx.step_text("Ask the operator to close the door; expect a report of the door closed.");
    try_outcome!(act(ctx, OperatorAction::CloseDoor { component }).await);
    let limit = deadline(ctx);
    let closed = wait_report(ctx, limit, open_path, |v| *v == Value::Bool(false)).await;
    if outcome.verdict == crate::verdict::Verdict::Pass && closed.is_none() {
        return Outcome::fail(
            "HRT-MOD-107",
            format!(
                "the door was closed but no report of {open_path} = false came within {limit:?}"
            ),
        );
    }
    outcome
});

// ---- TC-BEH-2.1 ----

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

/// TC-BEH-2.1
pub(crate) const DOOR_ALARM: Case = Case {
    id: "TC-BEH-2.1",
    title: "A door left open longer than its alarm delay raises the door-alarm event; closing it clears the alarm",
    requirements: &[
        req::HRT_MOD_108,
        req::HRT_MOD_107,
        req::HRT_MOD_106,
        req::HRT_MOD_047,
        req::HRT_CAT_001,
    ],
    steps: &[
        "Read the door's state and its alarm delay (where implemented).",
        "Ask the operator to open the door; expect a report of the door open.",
        "Keep it open; expect the door-alarm event with valid fields (bounded by cycle_timeout), and the alarm property true.",
        "Ask the operator to close the door; expect a report of the door closed, the door-alarm-cleared event where implemented and the alarm property false.",
    ],
    applies: |ctx| {
        alarm_door(ctx)?;
        needs_operator(ctx, ctx.ics.actuation.door, "door")
    },
    run: door_alarm,
};

case_fn!(door_alarm, |ctx| {
    let started = Instant::now();
    let who = try_outcome!(operator_tester(ctx));
    let component = try_outcome!(alarm_door(ctx).map_err(Outcome::not_applicable));
    let cap = cap_id(ctx, DOOR);
    let open_path = Path::new(component, cap, door::OPEN);
    let alarm_path = Path::new(component, cap, door::ALARM);
    let has_alarm = has_property(ctx, component, DOOR, door::ALARM);
    if try_outcome!(ctx.read(who, open_path).await) == Value::Bool(true) {
        return Outcome::inconclusive("the door is already open");
    }
    let delay = if has_property(ctx, component, DOOR, door::ALARM_DELAY) {
        let v = try_outcome!(
            ctx.read(who, Path::new(component, cap, door::ALARM_DELAY))
                .await
        );
        format!("alarm delay {v} s")
    } else {
        "no alarm delay declared".into()
    };
    ctx.step_text(format!(
        "Read the door's state and its alarm delay (where implemented): component {component}, {delay}."
    ));

    ctx.probe.clear_seen();
    ctx.step_text("Ask the operator to open the door; expect a report of the door open.");
    try_outcome!(act(ctx, OperatorAction::OpenDoor { component }).await);
    let limit = deadline(ctx);
    let mut outcome = Outcome::pass();
    if wait_report(ctx, limit, open_path, |v| *v == Value::Bool(true))
        .await
        .is_none()
    {
        outcome = Outcome::fail(
            "HRT-MOD-107",
            format!(
                "the door was opened but no report of {open_path} = true came within {limit:?}"
            ),
        );
    }
    ctx.step_text("Keep it open; expect the door-alarm event with valid fields (bounded by cycle_timeout), and the alarm property true.");
    let mut raised = false;
    if outcome.verdict == crate::verdict::Verdict::Pass {
        let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
        match wait_event(ctx, limit, Path::new(component, cap, door::ALARM_EVENT)).await {
            None => {
                outcome = Outcome::fail(
                    "HRT-MOD-108",
                    format!("the door of component {component} stayed open for {limit:?} ({delay}) without a door-alarm event"),
                );
            }
            Some((event, seq)) => {
                raised = true;
                if let Err(o) = check_fields(ctx, &event, "door-alarm", seq) {
                    outcome = o;
                } else if has_alarm {
                    match ctx.read(who, alarm_path).await {
                        Ok(Value::Bool(true)) => {}
                        Ok(v) => {
                            outcome = Outcome::fail(
                                "HRT-CAT-001",
                                format!("after the door-alarm event, {alarm_path} reads {v}"),
                            )
                            .with_evidence([seq]);
                        }
                        Err(o) => outcome = o,
                    }
                }
            }
        }
    }

    ctx.step_text("Ask the operator to close the door; expect a report of the door closed, the door-alarm-cleared event where implemented and the alarm property false.");
    try_outcome!(act(ctx, OperatorAction::CloseDoor { component }).await);
    let limit = deadline(ctx);
    let closed = wait_report(ctx, limit, open_path, |v| *v == Value::Bool(false)).await;
    if outcome.verdict != crate::verdict::Verdict::Pass {
        return outcome;
    }
    if closed.is_none() {
        return Outcome::fail(
            "HRT-MOD-107",
            format!(
                "the door was closed but no report of {open_path} = false came within {limit:?}"
            ),
        );
    }
    if raised && has_event(ctx, component, DOOR, door::CLEARED_EVENT) {
        let Some((event, seq)) =
            wait_event(ctx, limit, Path::new(component, cap, door::CLEARED_EVENT)).await
        else {
            return Outcome::fail(
                "HRT-MOD-108",
                format!("the door was closed after a door alarm but no door-alarm-cleared event came within {limit:?}"),
            );
        };
        try_outcome!(check_fields(ctx, &event, "door-alarm-cleared", seq));
    }
    if raised && has_alarm {
        match ctx.read(who, alarm_path).await {
            Ok(Value::Bool(false)) => {}
            Ok(v) => {
                return Outcome::fail(
                    "HRT-CAT-001",
                    format!("after the door was closed, {alarm_path} reads {v}"),
                )
            }
            Err(o) => return o,
        }
    }
    Outcome::pass()
});

// ---- TC-BEH-3.1 ----

/// A standard fault of the device type to suggest to the operator: one that is not
/// critical, so that the appliance keeps working while it is active.
pub(crate) fn suggested_fault(ctx: &Ctx) -> Option<u16> {
    let dt = ctx.catalog.device_type(ctx.description.device_type)?;
    dt.faults
        .iter()
        .find(|f| f.severity != "critical")
        .map(|f| f.code)
}

/// Whether the active-fault list holds `code`.
fn lists(active: &Value, code: &Value) -> bool {
    match active {
        Value::List(items) => items.iter().any(|f| f.field(1) == Some(code)),
        _ => false,
    }
}

/// TC-BEH-3.1
pub(crate) const FAULT_EVENTS: Case = Case {
    id: "TC-BEH-3.1",
    title: "A fault raises fault-raised with every mandatory field and shows in the active list; its end raises fault-cleared",
    requirements: &[
        req::HRT_MSG_061,
        req::HRT_MOD_047,
        req::HRT_MOD_106,
        req::HRT_MOD_108,
        req::HRT_CAT_001,
    ],
    steps: &[
        "Read the active faults.",
        "Ask the operator to provoke a fault the appliance reports.",
        "Expect the fault-raised event within the report deadline, its fields valid against the description.",
        "Read the active faults: the fault is listed.",
        "Ask the operator to clear the fault; expect the fault-cleared event with valid fields.",
        "Read the active faults: the fault is gone.",
    ],
    applies: |ctx| {
        if ctx
            .description
            .instance(0, cap_id(ctx, FAULTS))
            .is_none()
        {
            return Err("the description has no `faults` capability on component 0".into());
        }
        needs_operator(ctx, ctx.ics.actuation.faults, "faults")
    },
    run: fault_events,
};

case_fn!(fault_events, |ctx| {
    let who = try_outcome!(operator_tester(ctx));
    let cap = cap_id(ctx, FAULTS);
    let active_path = Path::new(0, cap, 1);
    let before = try_outcome!(ctx.read(who, active_path).await);
    ctx.step_text(format!("Read the active faults ({before})."));

    ctx.probe.clear_seen();
    let suggested = suggested_fault(ctx);
    ctx.step_text("Ask the operator to provoke a fault the appliance reports.");
    try_outcome!(act(ctx, OperatorAction::RaiseFault { code: suggested }).await);
    ctx.step_text("Expect the fault-raised event within the report deadline, its fields valid against the description.");
    let limit = deadline(ctx);
    let raised = wait_event(ctx, limit, Path::new(0, cap, 1)).await;
    let code = raised
        .as_ref()
        .and_then(|(e, _)| e.fields.field(1).cloned())
        .or_else(|| suggested.map(|c| Value::Int(c.into())));
    let mut outcome = match &raised {
        None => Outcome::fail(
            "HRT-MOD-108",
            format!("a fault was provoked but no fault-raised event came within {limit:?}"),
        ),
        Some((event, seq)) => match check_fields(ctx, event, "fault-raised", *seq) {
            Err(o) => o,
            Ok(()) => Outcome::pass(),
        },
    };
    ctx.step_text("Read the active faults: the fault is listed.");
    if outcome.verdict == crate::verdict::Verdict::Pass {
        match ctx.read(who, active_path).await {
            Err(o) => outcome = o,
            Ok(active) => {
                if let Err(e) = check_value(ctx.catalog, &ctx.description, &active_path, &active) {
                    outcome =
                        Outcome::fail("HRT-MOD-106", format!("{active_path} = {active}: {e}"));
                } else if let Some(c) = code.as_ref().filter(|c| !lists(&active, c)) {
                    outcome = Outcome::fail(
                        "HRT-CAT-001",
                        format!("the fault {c} was raised but the active list is {active}"),
                    );
                }
            }
        }
    }

    ctx.step_text(
        "Ask the operator to clear the fault; expect the fault-cleared event with valid fields.",
    );
    let Some(clear) = code
        .as_ref()
        .and_then(Value::as_int)
        .and_then(|c| u16::try_from(c).ok())
    else {
        return Outcome::inconclusive("no fault code to clear: the event named none and the device type has no fault to suggest");
    };
    try_outcome!(act(ctx, OperatorAction::ClearFault { code: clear }).await);
    let cleared = wait_event(ctx, limit, Path::new(0, cap, 2)).await;
    if outcome.verdict != crate::verdict::Verdict::Pass {
        return outcome;
    }
    let Some((event, seq)) = cleared else {
        return Outcome::fail(
            "HRT-MOD-108",
            format!(
                "the fault's cause was removed but no fault-cleared event came within {limit:?}"
            ),
        );
    };
    try_outcome!(check_fields(ctx, &event, "fault-cleared", seq));
    ctx.step_text("Read the active faults: the fault is gone.");
    let after = try_outcome!(ctx.read(who, active_path).await);
    if code.as_ref().is_some_and(|c| lists(&after, c)) {
        return Outcome::fail(
            "HRT-CAT-001",
            format!("after fault-cleared the active list still holds it: {after}"),
        )
        .with_evidence([seq]);
    }
    Outcome::pass()
});

// ---- TC-BEH-4.1 ----

/// The cumulative counters the device implements.
fn counters(ctx: &Ctx) -> Vec<Path> {
    [(ENERGY, 1), (WATER, 1)]
        .iter()
        .flat_map(|(name, member)| {
            let id = cap_id(ctx, name);
            instances(ctx, name)
                .into_iter()
                .map(move |(c, _)| Path::new(c, id, *member))
        })
        .collect()
}

/// TC-BEH-4.1
pub(crate) const COUNTERS_GROW: Case = Case {
    id: "TC-BEH-4.1",
    title: "Cumulative energy and water counters never decrease, also across switching off and on",
    requirements: &[req::HRT_CAT_001, req::HRT_MOD_106],
    steps: &[
        "Read the cumulative counters (energy-measurement, water-consumption) and whether the appliance is on.",
        "If it is off, switch it on and let it work until a counter grows (bounded by cycle_timeout).",
        "Switch it off; read the counters every settle_time for the silence window: never lower than before.",
        "Switch it on again if it was on; read the counters: never lower.",
        "Leave the appliance switched as it was.",
    ],
    applies: |ctx| {
        if counters(ctx).is_empty() {
            return Err("the description has no `energy-measurement` or `water-consumption` capability".into());
        }
        if first(ctx, ON_OFF).is_none() {
            return Err("the description has no `on-off` capability to make the appliance work and stop".into());
        }
        if !ctx.ics.actuation.power {
            return Err("ICS [actuation] power = false".into());
        }
        Ok(())
    },
    run: counters_grow,
};

/// Read every counter; fail when one is below its highest reading so far.
async fn check_counters(
    ctx: &mut Ctx,
    who: usize,
    paths: &[Path],
    highest: &mut [i64],
    when: &str,
) -> Result<bool, Outcome> {
    let mut grew = false;
    for (path, top) in paths.iter().zip(highest.iter_mut()) {
        let value = ctx.read(who, *path).await?;
        if let Err(e) = check_value(ctx.catalog, &ctx.description, path, &value) {
            return Err(Outcome::fail(
                "HRT-MOD-106",
                format!("{path} = {value}: {e}"),
            ));
        }
        let Some(v) = value.as_int() else {
            continue;
        };
        if v < *top {
            return Err(Outcome::fail(
                "HRT-CAT-001",
                format!("the cumulative counter {path} went down from {top} to {v} {when}"),
            ));
        }
        grew |= v > *top;
        *top = v;
    }
    Ok(grew)
}

/// Switch the appliance on or off; the write must succeed.
async fn switch(ctx: &mut Ctx, who: usize, on_path: Path, on: bool) -> Result<(), Outcome> {
    let (status, seq) = ctx.write(who, on_path, Value::Bool(on)).await?;
    if status == StatusCode::Success {
        Ok(())
    } else {
        Err(Outcome::inconclusive(format!(
            "switching {} answered {status}",
            if on { "on" } else { "off" }
        ))
        .with_evidence([seq]))
    }
}

case_fn!(counters_grow, |ctx| {
    let started = Instant::now();
    let who = try_outcome!(operator_tester(ctx));
    let paths = counters(ctx);
    let Some(c) = first(ctx, ON_OFF) else {
        return Outcome::not_applicable("no on-off");
    };
    let on_path = Path::new(c, cap_id(ctx, ON_OFF), 1);
    let was_on = try_outcome!(ctx.read(who, on_path).await) == Value::Bool(true);
    let mut highest = vec![i64::MIN; paths.len()];
    try_outcome!(check_counters(ctx, who, &paths, &mut highest, "").await);
    ctx.step_text(format!(
        "Read the cumulative counters (energy-measurement, water-consumption) and whether the appliance is on ({}).",
        if was_on { "on" } else { "off" }
    ));
    let result: Result<(), Outcome> = async {
        ctx.step_text("If it is off, switch it on and let it work until a counter grows (bounded by cycle_timeout).");
        if !was_on {
            switch(ctx, who, on_path, true).await?;
            let until = Instant::now() + ctx.params.cycle_timeout.min(budget(ctx, started));
            loop {
                tokio::time::sleep(ctx.params.settle_time).await;
                if check_counters(ctx, who, &paths, &mut highest, "while the appliance was on")
                    .await?
                    || Instant::now() >= until
                {
                    break;
                }
            }
        }
        ctx.step_text("Switch it off; read the counters every settle_time for the silence window: never lower than before.");
        switch(ctx, who, on_path, false).await?;
        let until = Instant::now() + ctx.params.silence_window;
        loop {
            tokio::time::sleep(ctx.params.settle_time).await;
            check_counters(ctx, who, &paths, &mut highest, "after the appliance was switched off").await?;
            if Instant::now() >= until {
                break;
            }
        }
        ctx.step_text("Switch it on again if it was on; read the counters: never lower.");
        if was_on {
            switch(ctx, who, on_path, true).await?;
            tokio::time::sleep(ctx.params.settle_time).await;
            check_counters(ctx, who, &paths, &mut highest, "after the appliance was switched on again").await?;
        }
        Ok(())
    }
    .await;
    ctx.step_text("Leave the appliance switched as it was.");
    let _ = ctx.write(who, on_path, Value::Bool(was_on)).await;
    match result {
        Ok(()) => Outcome::pass(),
        Err(o) => o,
    }
});

// ---- TC-BEH-4.2 ----

/// TC-BEH-4.2
pub(crate) const COUNTERS_ACROSS_CYCLE: Case = Case {
    id: "TC-BEH-4.2",
    title: "Cumulative energy and water counters never decrease while a cycle runs and after it stops",
    requirements: &[req::HRT_CAT_001, req::HRT_MOD_106],
    steps: &[
        "Read the cumulative counters (energy-measurement, water-consumption) and the operational state: idle or completed, ready to start.",
        "Invoke start; expect success.",
        "Read the counters every settle_time until one grows or the cycle ends (bounded by cycle_timeout): never lower.",
        "Invoke stop if the cycle is still under way; read the counters every settle_time for the silence window: never lower.",
    ],
    applies: |ctx| {
        if counters(ctx).is_empty() {
            return Err("the description has no `energy-measurement` or `water-consumption` capability".into());
        }
        cycle_component(ctx)?;
        if !ctx.ics.actuation.start_cycle {
            return Err("ICS [actuation] start_cycle = false".into());
        }
        Ok(())
    },
    run: counters_across_cycle,
};

case_fn!(counters_across_cycle, |ctx| {
    let started = Instant::now();
    let who = try_outcome!(operator_tester(ctx));
    let component = try_outcome!(cycle_component(ctx).map_err(Outcome::not_applicable));
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let state_path = Path::new(component, op, opstate::STATE);
    let stop_path = Path::new(component, op, opstate::STOP);
    let paths = counters(ctx);
    let mut highest = vec![i64::MIN; paths.len()];
    try_outcome!(check_counters(ctx, who, &paths, &mut highest, "").await);
    if ctx
        .description
        .instance(component, cap_id(ctx, DOOR))
        .is_some()
    {
        let open_path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
        if try_outcome!(ctx.read(who, open_path).await) == Value::Bool(true) {
            return Outcome::inconclusive("the door is open");
        }
    }
    try_outcome!(ready_to_start(ctx, who, component).await);
    ctx.step_text("Read the cumulative counters (energy-measurement, water-consumption) and the operational state: idle or completed, ready to start.");

    ctx.step_text("Invoke start; expect success.");
    let (status, seq) =
        try_outcome!(invoke(ctx, who, Path::new(component, op, opstate::START)).await);
    if status != StatusCode::Success {
        return Outcome::inconclusive(format!(
            "start answered {status}: the appliance would not start a cycle"
        ))
        .with_evidence([seq]);
    }
    let result: Result<(), Outcome> = async {
        ctx.step_text("Read the counters every settle_time until one grows or the cycle ends (bounded by cycle_timeout): never lower.");
        let until = Instant::now() + ctx.params.cycle_timeout.min(budget(ctx, started));
        loop {
            tokio::time::sleep(ctx.params.settle_time).await;
            let grew = check_counters(ctx, who, &paths, &mut highest, "while a cycle ran").await?;
            let state = ctx.read(who, state_path).await?.as_int().unwrap_or(-1);
            let under_way = matches!(state, state::RUNNING | state::PAUSED | state::DELAYED);
            if grew || !under_way || Instant::now() >= until {
                break;
            }
        }
        ctx.step_text("Invoke stop if the cycle is still under way; read the counters every settle_time for the silence window: never lower.");
        let state = ctx.read(who, state_path).await?.as_int().unwrap_or(-1);
        if matches!(state, state::RUNNING | state::PAUSED | state::DELAYED) {
            let (status, seq) = invoke(ctx, who, stop_path).await?;
            let after = ctx.read(who, state_path).await?.as_int();
            let ended_by_itself = matches!(after, Some(state::COMPLETED | state::IDLE));
            if status != StatusCode::Success && !ended_by_itself {
                return Err(Outcome::fail(
                    "HRT-CAT-001",
                    format!("stop of a {} cycle answered {status}", state_name(state)),
                )
                .with_evidence([seq]));
            }
        }
        let until = Instant::now() + ctx.params.silence_window;
        loop {
            tokio::time::sleep(ctx.params.settle_time).await;
            check_counters(ctx, who, &paths, &mut highest, "after the cycle ended").await?;
            if Instant::now() >= until {
                break;
            }
        }
        Ok(())
    }
    .await;
    // Leave no cycle running (HRT-CONF-008); a completed one goes back to idle where allowed.
    if let Ok(Value::Int(s)) = ctx.read(who, state_path).await {
        if s != state::IDLE {
            let _ = invoke(ctx, who, stop_path).await;
        }
    }
    match result {
        Ok(()) => Outcome::pass(),
        Err(o) => o,
    }
});

// ---- TC-BEH-5.1 ----

const TEMPERATURE_CONTROL: &str = "temperature-control";
const TEMPERATURE: &str = "temperature-measurement";
const MODE: &str = "mode";

/// The `normal` mode codes of the cooling device types: "keeps the compartment at its
/// setpoint" (`spec/02-catalog.md`, refrigerator and freezer modes).
const KEEPS_SETPOINT: [i64; 2] = [0x0201, 0x0301];

/// The cooled compartments: components of a refrigerator or freezer with both a setpoint
/// and a measured temperature.
fn cooled_compartments(ctx: &Ctx) -> Result<Vec<u16>, String> {
    let dt = ctx
        .catalog
        .device_type(ctx.description.device_type)
        .map_or("", |d| d.name.as_str());
    if dt != "refrigerator" && dt != "freezer" {
        return Err(format!(
            "the device type is {}, not refrigerator or freezer",
            if dt.is_empty() { "unknown" } else { dt }
        ));
    }
    let measured = cap_id(ctx, TEMPERATURE);
    let out: Vec<u16> = instances(ctx, TEMPERATURE_CONTROL)
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| ctx.description.instance(*c, measured).is_some())
        .collect();
    if out.is_empty() {
        return Err(
            "no component has both `temperature-control` and `temperature-measurement`".into(),
        );
    }
    Ok(out)
}

/// TC-BEH-5.1
pub(crate) const SETPOINT_HONOURED: Case = Case {
    id: "TC-BEH-5.1",
    title: "A cooled compartment moves its measured temperature towards a lowered setpoint",
    requirements: &[req::HRT_CAT_001, req::HRT_CAT_002, req::HRT_MOD_062],
    steps: &[
        "Pick a compartment in the normal mode (where it has modes); read its setpoint, declared range and measured temperature.",
        "Write a setpoint up to three steps lower, within the declared range and below the measured temperature; expect success.",
        "Read the measured temperature every settle_time: it must come closer to the new setpoint by at least one step, or half the distance (bounded by cycle_timeout).",
        "Restore the original setpoint.",
    ],
    applies: |ctx| {
        cooled_compartments(ctx)?;
        if !ctx.ics.actuation.setpoints {
            return Err("ICS [actuation] setpoints = false".into());
        }
        Ok(())
    },
    run: setpoint_honoured,
};

case_fn!(setpoint_honoured, |ctx| {
    let started = Instant::now();
    let who = try_outcome!(operator_tester(ctx));
    let compartments = try_outcome!(cooled_compartments(ctx).map_err(Outcome::not_applicable));
    let tc = cap_id(ctx, TEMPERATURE_CONTROL);
    let tm = cap_id(ctx, TEMPERATURE);
    let mode = cap_id(ctx, MODE);
    // A compartment whose mode keeps it at its setpoint (or that has no modes).
    let mut chosen = None;
    for c in compartments {
        if ctx.description.instance(c, mode).is_some() {
            let m = try_outcome!(ctx.read(who, Path::new(c, mode, 1)).await);
            if !m.as_int().is_some_and(|m| KEEPS_SETPOINT.contains(&m)) {
                continue;
            }
        }
        chosen = Some(c);
        break;
    }
    let Some(c) = chosen else {
        return Outcome::inconclusive(
            "no compartment is in the normal mode, which keeps it at its setpoint",
        );
    };
    let setpoint_path = Path::new(c, tc, 1);
    let measured_path = Path::new(c, tm, 1);
    let constraint = ctx
        .description
        .instance(c, tc)
        .and_then(|i| i.constraint(1))
        .cloned()
        .unwrap_or_default();
    let (min, step) = (
        constraint.min.unwrap_or(i64::MIN),
        i64::try_from(constraint.step.unwrap_or(1))
            .unwrap_or(1)
            .max(1),
    );
    let before = try_outcome!(ctx.read(who, setpoint_path).await);
    let Some(s0) = before.as_int() else {
        return Outcome::fail("HRT-MOD-106", format!("{setpoint_path} reads {before}"));
    };
    let Some(t0) = try_outcome!(ctx.read(who, measured_path).await).as_int() else {
        return Outcome::inconclusive(format!("{measured_path} gives no reading"));
    };
    ctx.step_text(format!(
        "Pick a compartment in the normal mode (where it has modes); read its setpoint, declared range and measured temperature (component {c}: setpoint {s0}, measured {t0})."
    ));
    // Up to three steps lower, on the declared grid, within the range.
    let mut s1 = s0;
    for _ in 0..3 {
        if s1 - step >= min {
            s1 -= step;
        }
    }
    if s1 >= t0 {
        return Outcome::inconclusive(format!(
            "the measured temperature {t0} is already at or below the lowest setpoint tried ({s1})"
        ));
    }
    ctx.step_text(format!(
        "Write a setpoint up to three steps lower, within the declared range and below the measured temperature; expect success ({s1})."
    ));
    let (status, seq) = try_outcome!(ctx.write(who, setpoint_path, Value::Int(s1)).await);
    if status != StatusCode::Success {
        let _ = ctx.write(who, setpoint_path, before.clone()).await;
        return Outcome::fail(
            "HRT-MOD-062",
            format!(
                "writing the declared-valid setpoint {s1} to {setpoint_path} answered {status}"
            ),
        )
        .with_evidence([seq]);
    }
    ctx.step_text("Read the measured temperature every settle_time: it must come closer to the new setpoint by at least one step, or half the distance (bounded by cycle_timeout).");
    let distance = t0 - s1;
    let wanted = step.min(distance / 2).max(1);
    let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
    let until = Instant::now() + limit;
    let mut closest = t0;
    let result = loop {
        tokio::time::sleep(ctx.params.settle_time).await;
        match ctx.read(who, measured_path).await {
            Err(o) => break Err(o),
            Ok(v) => {
                if let Some(t) = v.as_int() {
                    closest = closest.min(t.max(s1));
                }
            }
        }
        if t0 - closest >= wanted {
            break Ok(());
        }
        if Instant::now() >= until {
            break Err(Outcome::fail(
                "HRT-CAT-001",
                format!(
                    "after the setpoint of component {c} was lowered from {s0} to {s1}, the measured temperature went from {t0} to at best {closest} in {limit:?}: not towards the setpoint"
                ),
            ));
        }
    };
    ctx.step_text("Restore the original setpoint.");
    let _ = ctx.write(who, setpoint_path, before).await;
    match result {
        Ok(()) => Outcome::pass(),
        Err(o) => o,
    }
});

// ---- TC-BEH-1.4 ----

/// TC-BEH-1.4
pub(crate) const PAUSE_RESUME: Case = Case {
    id: "TC-BEH-1.4",
    title: "A running cycle pauses with its remaining time frozen, refuses a second pause, and resumes",
    requirements: &[req::HRT_CAT_001, req::HRT_MOD_051, req::HRT_MOD_107],
    steps: &[
        "Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.",
        "Invoke start; expect success.",
        "Invoke pause at once; expect success and a report of the state paused.",
        "Read the remaining time twice, settle_time apart: unchanged while paused; invoke pause again: invalid-in-state.",
        "Invoke resume; expect success and a report of the state running.",
        "Invoke stop; expect success and a report of the state idle.",
    ],
    applies: |ctx| {
        let c = cycle_component(ctx)?;
        if !ctx.ics.actuation.start_cycle {
            return Err("ICS [actuation] start_cycle = false".into());
        }
        if !ctx.ics.actuation.pause_resume {
            return Err("ICS [actuation] pause_resume = false".into());
        }
        for action in [opstate::PAUSE, opstate::RESUME] {
            if !has_action(ctx, c, OPERATIONAL_STATE, action) {
                return Err(format!(
                    "the description's `operational-state` does not implement `{}`",
                    action_name(action)
                ));
            }
        }
        Ok(())
    },
    run: pause_resume,
};

/// Invoke `action` and expect success and a report of the state `want` in time.
async fn transition(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    action: u16,
    want: i64,
) -> Result<(), Outcome> {
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let asked = Instant::now();
    let (status, seq) = invoke(ctx, who, Path::new(component, op, action)).await?;
    let state_path = Path::new(component, op, opstate::STATE);
    if status != StatusCode::Success {
        let now = ctx.read(who, state_path).await?.as_int();
        if matches!(now, Some(state::COMPLETED | state::IDLE)) {
            return Err(Outcome::inconclusive(format!(
                "the cycle ended by itself before `{}` took effect",
                action_name(action)
            ))
            .with_evidence([seq]));
        }
        return Err(Outcome::fail(
            "HRT-CAT-001",
            format!(
                "`{}` answered {status} where the state machine allows it",
                action_name(action)
            ),
        )
        .with_evidence([seq]));
    }
    let limit = deadline(ctx).saturating_sub(asked.elapsed());
    if wait_report(ctx, limit, state_path, |v| *v == Value::Int(want))
        .await
        .is_none()
    {
        return Err(Outcome::fail(
            "HRT-MOD-107",
            format!(
                "`{}` succeeded but no report of the state {} came within {:?}",
                action_name(action),
                state_name(want),
                deadline(ctx)
            ),
        )
        .with_evidence([seq]));
    }
    Ok(())
}

case_fn!(pause_resume, |ctx| {
    let who = try_outcome!(operator_tester(ctx));
    let component = try_outcome!(cycle_component(ctx).map_err(Outcome::not_applicable));
    let op = cap_id(ctx, OPERATIONAL_STATE);
    let state_path = Path::new(component, op, opstate::STATE);
    let remaining_path = Path::new(component, op, opstate::REMAINING);
    if ctx
        .description
        .instance(component, cap_id(ctx, DOOR))
        .is_some()
    {
        let open_path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
        if try_outcome!(ctx.read(who, open_path).await) == Value::Bool(true) {
            return Outcome::inconclusive("the door is open");
        }
    }
    try_outcome!(ready_to_start(ctx, who, component).await);
    ctx.step_text("Read the operational state: idle or completed; the door closed, remote start allowed, the appliance on.");
    ctx.probe.clear_seen();
    ctx.step_text("Invoke start; expect success.");
    let (status, seq) =
        try_outcome!(invoke(ctx, who, Path::new(component, op, opstate::START)).await);
    if status != StatusCode::Success {
        return Outcome::inconclusive(format!(
            "start answered {status}: the appliance would not start a cycle"
        ))
        .with_evidence([seq]);
    }
    let result: Result<(), Outcome> = async {
        // Pause at once: a short cycle (a microwave's minute) must not end first. The report
        // of the state running is TC-BEH-1.2's concern.
        ctx.step_text("Invoke pause at once; expect success and a report of the state paused.");
        transition(ctx, who, component, opstate::PAUSE, state::PAUSED).await?;
        ctx.step_text("Read the remaining time twice, settle_time apart: unchanged while paused; invoke pause again: invalid-in-state.");
        let first = ctx.read(who, remaining_path).await?;
        tokio::time::sleep(ctx.params.settle_time).await;
        let second = ctx.read(who, remaining_path).await?;
        if first != second {
            return Err(Outcome::fail(
                "HRT-CAT-001",
                format!("while paused, the remaining time went from {first} to {second}: it must stay frozen"),
            ));
        }
        expect_refused(ctx, who, component, &[opstate::PAUSE], state::PAUSED).await?;
        ctx.step_text("Invoke resume; expect success and a report of the state running.");
        transition(ctx, who, component, opstate::RESUME, state::RUNNING).await?;
        ctx.step_text("Invoke stop; expect success and a report of the state idle.");
        transition(ctx, who, component, opstate::STOP, state::IDLE).await?;
        Ok(())
    }
    .await;
    // Leave no cycle under way (HRT-CONF-008).
    if let Ok(Value::Int(s)) = ctx.read(who, state_path).await {
        if s != state::IDLE {
            let _ = invoke(ctx, who, Path::new(component, op, opstate::STOP)).await;
        }
    }
    match result {
        Ok(()) => Outcome::pass(),
        Err(o) => o,
    }
});
