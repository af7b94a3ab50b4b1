//! What the behaviour cases know of the catalog's appliance capabilities: their names,
//! member ids and state codes (`spec/02-catalog.md`), where a description has them, and the
//! moves several cases share — is the appliance ready to start a cycle, invoke and stop it,
//! have the operator open and close a door.

use hearth_model::catalog::Capability;
use hearth_model::{CapabilityInstance, Path, StatusCode, Value};

use super::case::Ctx;
use super::operator::{act, needs_actuation, OperatorAction};
use super::wait::{self, deadline};
use crate::verdict::Outcome;

/// `operational-state`.
pub const OPERATIONAL_STATE: &str = "operational-state";
/// `door`.
pub const DOOR: &str = "door";
/// `faults`.
pub const FAULTS: &str = "faults";
/// `on-off`.
pub const ON_OFF: &str = "on-off";
/// `energy-measurement`.
pub const ENERGY: &str = "energy-measurement";
/// `water-consumption`.
pub const WATER: &str = "water-consumption";
/// `temperature-control`.
pub const TEMPERATURE_CONTROL: &str = "temperature-control";
/// `temperature-measurement`.
pub const TEMPERATURE: &str = "temperature-measurement";
/// `mode`.
pub const MODE: &str = "mode";

/// `operational-state` state codes (enumeration `operational-state`).
pub mod state {
    /// Idle.
    pub const IDLE: i64 = 0;
    /// Running.
    pub const RUNNING: i64 = 1;
    /// Paused.
    pub const PAUSED: i64 = 2;
    /// Error.
    pub const ERROR: i64 = 3;
    /// Delayed start.
    pub const DELAYED: i64 = 4;
    /// Completed.
    pub const COMPLETED: i64 = 5;
}

/// `operational-state` properties and event.
pub mod opstate {
    /// Property `state`.
    pub const STATE: u16 = 1;
    /// Property `phase`.
    pub const PHASE: u16 = 2;
    /// Property `remaining-time`.
    pub const REMAINING: u16 = 3;
    /// Property `remote-start-enabled`.
    pub const REMOTE_START: u16 = 6;
    /// Event `operation-completed`.
    pub const COMPLETED: u16 = 1;
}

/// The actions of `operational-state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `start`.
    Start,
    /// `pause`.
    Pause,
    /// `resume`.
    Resume,
    /// `stop`.
    Stop,
}

impl Action {
    /// The action's member id.
    pub fn id(self) -> u16 {
        match self {
            Self::Start => 1,
            Self::Pause => 2,
            Self::Resume => 3,
            Self::Stop => 4,
        }
    }

    /// The action's catalog name, for reasons.
    pub fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Stop => "stop",
        }
    }
}

/// `door` member ids.
pub mod door {
    /// Property `open`.
    pub const OPEN: u16 = 1;
    /// Property `alarm`.
    pub const ALARM: u16 = 3;
    /// Property `alarm-delay`.
    pub const ALARM_DELAY: u16 = 4;
    /// Event `door-alarm`.
    pub const ALARM_EVENT: u16 = 1;
    /// Event `door-alarm-cleared`.
    pub const CLEARED_EVENT: u16 = 2;
}

/// The catalog id of the capability `name`.
pub fn cap_id(ctx: &Ctx, name: &str) -> u16 {
    ctx.catalog
        .capability_named(name)
        .map_or(u16::MAX, |c| c.id)
}

/// Every (component, instance) of the capability `name`, in description order.
pub fn instances<'a>(ctx: &'a Ctx, name: &str) -> Vec<(u16, &'a CapabilityInstance)> {
    let id = cap_id(ctx, name);
    instances_where(ctx, |i| i.capability == id)
}

/// Every (component, instance) of the description that `keep` keeps, in description order.
pub fn instances_where(
    ctx: &Ctx,
    keep: impl Fn(&CapabilityInstance) -> bool,
) -> Vec<(u16, &CapabilityInstance)> {
    ctx.description
        .components
        .iter()
        .flat_map(|c| c.capabilities.iter().map(move |i| (c.id, i)))
        .filter(|(_, i)| keep(i))
        .collect()
}

/// The first component with the capability `name`.
pub fn first(ctx: &Ctx, name: &str) -> Option<u16> {
    instances(ctx, name).first().map(|(c, _)| *c)
}

/// Whether the instance of `name` on `component` implements the optional property.
pub fn has_property(ctx: &Ctx, component: u16, name: &str, property: u16) -> bool {
    ctx.description
        .instance(component, cap_id(ctx, name))
        .is_some_and(|i| i.properties.contains(&property))
}

/// Whether the `operational-state` instance on `component` implements `action`
/// (mandatory, or optional and listed).
pub fn has_action(ctx: &Ctx, component: u16, action: Action) -> bool {
    let id = action.id();
    implements(
        ctx,
        (component, OPERATIONAL_STATE),
        |cap| cap.action(id).map(|a| a.optional),
        |i| i.actions.contains(&id),
    )
}

/// Whether the instance of `name` on `component` implements the event (mandatory, or
/// optional and listed).
pub fn has_event(ctx: &Ctx, component: u16, name: &str, event: u16) -> bool {
    implements(
        ctx,
        (component, name),
        |cap| cap.event(event).map(|e| e.optional),
        |i| i.events.contains(&event),
    )
}

/// Whether the instance of the capability `name` on `component` implements a member the
/// catalog defines (`optional` says whether it is optional) and, if optional, lists it.
fn implements(
    ctx: &Ctx,
    (component, name): (u16, &str),
    optional: impl Fn(&Capability) -> Option<bool>,
    listed: impl Fn(&CapabilityInstance) -> bool,
) -> bool {
    let Some(cap) = ctx.catalog.capability_named(name) else {
        return false;
    };
    let Some(optional) = optional(cap) else {
        return false;
    };
    !optional
        || ctx
            .description
            .instance(component, cap.id)
            .is_some_and(listed)
}

/// The name of an `operational-state` state code, for reasons.
pub fn state_name(code: i64) -> String {
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

/// A standard fault of the device type to suggest to the operator: one that is not
/// critical, so that the appliance keeps working while it is active.
pub fn suggested_fault(ctx: &Ctx) -> Option<u16> {
    let dt = ctx.catalog.device_type(ctx.description.device_type)?;
    dt.faults
        .iter()
        .find(|f| f.severity != "critical")
        .map(|f| f.code)
}

/// The component with `operational-state`, or why the case does not apply.
pub fn cycle_component(ctx: &Ctx) -> Result<u16, String> {
    first(ctx, OPERATIONAL_STATE)
        .ok_or_else(|| "the description has no `operational-state` capability".into())
}

/// The component with `operational-state`, where the ICS lets the suite start a cycle.
pub fn startable_cycle(ctx: &Ctx) -> Result<u16, String> {
    let component = cycle_component(ctx)?;
    needs_actuation(ctx.ics.actuation.start_cycle, "start_cycle")?;
    Ok(component)
}

/// The path of the `operational-state` member `member` on `component`.
pub fn cycle_path(ctx: &Ctx, component: u16, member: u16) -> Path {
    Path::new(component, cap_id(ctx, OPERATIONAL_STATE), member)
}

/// The preconditions for starting a cycle on `component`: the door (where there is one)
/// closed, the appliance idle or completed, remote start allowed, switched on. The state
/// code, or the inconclusive outcome naming the first that does not hold.
pub async fn ready_to_start(ctx: &mut Ctx, who: usize, component: u16) -> Result<i64, Outcome> {
    let door_cap = cap_id(ctx, DOOR);
    if ctx.description.instance(component, door_cap).is_some()
        && ctx
            .read(who, Path::new(component, door_cap, door::OPEN))
            .await?
            == Value::Bool(true)
    {
        return Err(Outcome::inconclusive("the door is open"));
    }
    let code = ctx
        .read(who, cycle_path(ctx, component, opstate::STATE))
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
            .read(who, cycle_path(ctx, component, opstate::REMOTE_START))
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

/// Invoke the action `action` of `operational-state` on `component` without arguments; its
/// status and trace entry.
pub async fn invoke_cycle(
    ctx: &mut Ctx,
    who: usize,
    component: u16,
    action: Action,
) -> Result<(StatusCode, usize), Outcome> {
    let path = cycle_path(ctx, component, action.id());
    let (result, seq) = ctx.invoke(who, path, Value::Null).await?;
    Ok((result.status, seq))
}

/// Start a cycle on `component`: the trace entry of the answer, or the inconclusive outcome
/// of an appliance that would not start one.
pub async fn start_cycle(ctx: &mut Ctx, who: usize, component: u16) -> Result<usize, Outcome> {
    let (status, seq) = invoke_cycle(ctx, who, component, Action::Start).await?;
    if status != StatusCode::Success {
        return Err(Outcome::inconclusive(format!(
            "start answered {status}: the appliance would not start a cycle (check that it is ready, e.g. loaded and supplied)"
        ))
        .with_evidence([seq]));
    }
    Ok(seq)
}

/// Leave no cycle under way on `component` (HRT-CONF-008): stop it unless it is idle; a
/// completed one goes back to idle where the appliance allows. Whatever it answers.
pub async fn leave_idle(ctx: &mut Ctx, who: usize, component: u16) {
    let state_path = cycle_path(ctx, component, opstate::STATE);
    if let Ok(Value::Int(s)) = ctx.read(who, state_path).await {
        if s != state::IDLE {
            stop(ctx, who, component).await;
        }
    }
}

/// Stop the cycle on `component`, whatever it answers: putting the appliance back after a
/// case ended early.
pub async fn stop(ctx: &mut Ctx, who: usize, component: u16) {
    let _ = invoke_cycle(ctx, who, component, Action::Stop).await;
}

/// Ask the operator to open (or close) the door of `component` and wait, within the report
/// deadline, for the report of its `open` property: whether it came.
pub async fn move_door(ctx: &mut Ctx, component: u16, open: bool) -> Result<bool, Outcome> {
    let action = if open {
        OperatorAction::OpenDoor { component }
    } else {
        OperatorAction::CloseDoor { component }
    };
    act(ctx, action).await?;
    let path = Path::new(component, cap_id(ctx, DOOR), door::OPEN);
    let limit = deadline(ctx);
    Ok(wait::report(ctx, limit, path, |v| *v == Value::Bool(open))
        .await
        .is_some())
}
