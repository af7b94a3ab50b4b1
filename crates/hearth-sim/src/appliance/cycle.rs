//! The run cycle that washing machines, dishwashers, rice cookers and microwave ovens share
//! (the `operational-state` capability): a programme is a list of phases with durations;
//! start, pause, resume and stop move between states, and anything else is refused with
//! `invalid-in-state` without changing anything (HRT-MOD-051, HRT-MOD-116).
//!
//! What is allowed when is not written here: the catalog's state machine of
//! `operational-state` ([`StateMachine`]) decides which action each state allows, what start
//! and resume need besides (the appliance on, remote start allowed, the door closed), what
//! switching off does to a cycle, and which settings each state lets a controller write
//! (HRT-CAT-040 to HRT-CAT-048). The conformance suite asks the same table; the tests below
//! drive the cycle through every state and compare each answer with it.
//!
//! Three layers: [`Cycle`] is the state machine; [`Machine`] adds what every cycle
//! appliance has around it (power, door, remote start, delayed start, the selected
//! programme); [`CycleAppliance`] is the one [`Appliance`] of all four types, forwarding
//! reads, writes, actions, controls and faults to the machine first and to the type's
//! [`Programmes`] (its programmes, own settings, sensors and physics) after.

use std::time::Duration;

use hearth_model::catalog::StateMachine;
use hearth_model::ids::enums::operational_state as state;
use hearth_model::ids::{cap, delayed_start, door, mode, on_off, operational_state};
use hearth_model::{Catalog, Path, StatusCode, Value};

use super::{secs, ActiveFault, Appliance, Base, Controlled, Invoked};
use crate::control::{Control, ControlError};

/// `operational-state` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum OpState {
    /// No cycle.
    Idle = state::IDLE,
    /// Running.
    Running = state::RUNNING,
    /// Paused.
    Paused = state::PAUSED,
    /// Stopped by a fault.
    Error = state::ERROR,
    /// Waiting for a delayed start.
    Delayed = state::DELAYED,
    /// The cycle ended.
    Completed = state::COMPLETED,
}

/// The catalog's state machine of `operational-state`.
pub fn table() -> Option<&'static StateMachine> {
    Catalog::standard().state_machine(cap::OPERATIONAL_STATE)
}

/// Whether the catalog's state machine gives `action` a transition from `state`; without a
/// table nothing is allowed.
fn allowed(action: u16, state: OpState) -> bool {
    table().is_some_and(|t| t.allows(action, state as u16))
}

/// Whether the description implements `capability`/`property` on component 0, mandatory or
/// listed.
fn implements(base: &Base, capability: u16, property: u16) -> bool {
    let def = Catalog::standard()
        .capability(capability)
        .and_then(|c| c.property(property));
    match (def, base.description.instance(0, capability)) {
        (Some(def), Some(instance)) => instance.implements_property(def),
        _ => false,
    }
}

/// The standard phases "preparing" and "finishing", which every cycle appliance may use.
pub use hearth_model::ids::enums::cycle_phase::{FINISHING, PREPARING};

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    /// Ended by stop.
    pub stopped: bool,
    /// From start to end, pauses included.
    pub total: Duration,
    /// Time paused.
    pub paused: Duration,
}

/// A run cycle.
#[derive(Debug, Clone)]
pub struct Cycle {
    state: OpState,
    plan: Vec<(u16, Duration)>,
    index: usize,
    in_phase: Duration,
    elapsed: Duration,
    paused: Duration,
    delay: Duration,
    energy_at_start: f64,
    water_at_start: f64,
}

impl Default for Cycle {
    fn default() -> Self {
        Self::new()
    }
}

impl Cycle {
    /// An idle cycle.
    pub fn new() -> Self {
        Self {
            state: OpState::Idle,
            plan: Vec::new(),
            index: 0,
            in_phase: Duration::ZERO,
            elapsed: Duration::ZERO,
            paused: Duration::ZERO,
            delay: Duration::ZERO,
            energy_at_start: 0.0,
            water_at_start: 0.0,
        }
    }

    /// The state.
    pub fn state(&self) -> OpState {
        self.state
    }

    /// Whether a cycle is under way (running, paused or delayed).
    pub fn active(&self) -> bool {
        matches!(
            self.state,
            OpState::Running | OpState::Paused | OpState::Delayed
        )
    }

    /// Whether it is running.
    pub fn running(&self) -> bool {
        self.state == OpState::Running
    }

    /// Start `plan` now, or after `delay`.
    pub fn start(
        &mut self,
        plan: Vec<(u16, Duration)>,
        delay: Duration,
        base: &Base,
    ) -> Result<(), StatusCode> {
        if !allowed(operational_state::START, self.state) || plan.is_empty() {
            return Err(StatusCode::InvalidInState);
        }
        self.plan = plan;
        self.index = 0;
        self.in_phase = Duration::ZERO;
        self.elapsed = Duration::ZERO;
        self.paused = Duration::ZERO;
        self.delay = delay;
        self.energy_at_start = base.energy_wh;
        self.water_at_start = base.water_dl;
        self.state = if delay.is_zero() {
            OpState::Running
        } else {
            OpState::Delayed
        };
        Ok(())
    }

    /// Pause a running cycle.
    pub fn pause(&mut self) -> Result<(), StatusCode> {
        if !allowed(operational_state::PAUSE, self.state) {
            return Err(StatusCode::InvalidInState);
        }
        self.state = OpState::Paused;
        Ok(())
    }

    /// Resume a paused cycle.
    pub fn resume(&mut self) -> Result<(), StatusCode> {
        if !allowed(operational_state::RESUME, self.state) {
            return Err(StatusCode::InvalidInState);
        }
        self.state = OpState::Running;
        Ok(())
    }

    /// Stop: back to idle. Emits operation-completed (stopped) for a cycle under way.
    pub fn stop(&mut self, base: &mut Base) -> Result<(), StatusCode> {
        if !allowed(operational_state::STOP, self.state) {
            return Err(StatusCode::InvalidInState);
        }
        if self.active() {
            self.finish(true, base);
        }
        self.state = OpState::Idle;
        Ok(())
    }

    /// A fault stops the cycle: error state and an operation-error event.
    pub fn fail(&mut self, code: u16, vendor_code: u32, base: &mut Base) {
        if !self.active() {
            return;
        }
        let phase = self.phase().map_or(Value::Null, |p| Value::Int(p.into()));
        self.state = OpState::Error;
        base.event(
            Path::new(
                0,
                cap::OPERATIONAL_STATE,
                operational_state::OPERATION_ERROR,
            ),
            Value::structure([
                (1, Value::Int(code.into())),
                (2, Value::Int(vendor_code.into())),
                (3, phase),
            ]),
        );
    }

    fn finish(&mut self, stopped: bool, base: &mut Base) {
        let mut fields = vec![
            (1, Value::Bool(stopped)),
            (2, secs(self.elapsed + self.paused)),
            (3, secs(self.paused)),
        ];
        if base.has(0, cap::ENERGY_MEASUREMENT) {
            let used = (base.energy_wh - self.energy_at_start).max(0.0);
            fields.push((4, Value::Int(used as i64)));
        }
        if base.has(0, cap::WATER_CONSUMPTION) {
            let used = (base.water_dl - self.water_at_start).max(0.0);
            fields.push((5, Value::Int(used as i64)));
        }
        base.event(
            Path::new(
                0,
                cap::OPERATIONAL_STATE,
                operational_state::OPERATION_COMPLETED,
            ),
            Value::structure(fields),
        );
    }

    /// Advance by `dt`; at the end of the last phase the cycle completes and emits
    /// operation-completed.
    pub fn tick(&mut self, dt: Duration, base: &mut Base) {
        match self.state {
            OpState::Paused => self.paused += dt,
            OpState::Delayed => {
                if dt >= self.delay {
                    let rest = dt - self.delay;
                    self.delay = Duration::ZERO;
                    self.state = OpState::Running;
                    self.tick(rest, base);
                } else {
                    self.delay -= dt;
                }
            }
            OpState::Running => {
                let mut left = dt;
                while self.state == OpState::Running && !left.is_zero() {
                    let Some(&(_, length)) = self.plan.get(self.index) else {
                        break;
                    };
                    let rest = length.saturating_sub(self.in_phase);
                    let step = rest.min(left);
                    self.in_phase += step;
                    self.elapsed += step;
                    left -= step;
                    if self.in_phase >= length {
                        self.index += 1;
                        self.in_phase = Duration::ZERO;
                        if self.index >= self.plan.len() {
                            self.finish(false, base);
                            self.state = OpState::Completed;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The current phase: while running, paused or failed.
    pub fn phase(&self) -> Option<u16> {
        match self.state {
            OpState::Running | OpState::Paused | OpState::Error => {
                self.plan.get(self.index).map(|p| p.0)
            }
            _ => None,
        }
    }

    /// Time until the cycle completes (delay included); None when no cycle is under way.
    pub fn remaining(&self) -> Option<Duration> {
        if !self.active() {
            return None;
        }
        let rest: Duration = self.plan.iter().skip(self.index).map(|p| p.1).sum();
        Some(rest.saturating_sub(self.in_phase) + self.delay)
    }

    /// Time spent running; None when no cycle is under way.
    pub fn elapsed(&self) -> Option<Duration> {
        self.active().then_some(self.elapsed)
    }

    /// The share done, in percent.
    pub fn progress(&self) -> Option<i64> {
        if !self.active() {
            return None;
        }
        let total: Duration = self.plan.iter().map(|p| p.1).sum();
        if total.is_zero() {
            return Some(0);
        }
        Some(((self.elapsed.as_secs_f64() / total.as_secs_f64()) * 100.0).clamp(0.0, 100.0) as i64)
    }

    /// Add time to the current phase (a microwave's add-time).
    pub fn extend(&mut self, by: Duration) -> Result<(), StatusCode> {
        if !matches!(self.state, OpState::Running | OpState::Paused) {
            return Err(StatusCode::InvalidInState);
        }
        if let Some(p) = self.plan.get_mut(self.index) {
            p.1 += by;
        }
        Ok(())
    }

    /// The value of an `operational-state` property.
    pub fn read(&self, member: u16) -> Option<Value> {
        let opt = |d: Option<Duration>| {
            d.map_or(Value::Null, |d| secs(d.min(Duration::from_secs(86_400))))
        };
        Some(match member {
            operational_state::STATE => Value::Int(self.state as i64),
            operational_state::PHASE => self.phase().map_or(Value::Null, |p| Value::Int(p.into())),
            operational_state::REMAINING_TIME => opt(self.remaining()),
            operational_state::ELAPSED_TIME => opt(self.elapsed()),
            operational_state::PROGRESS => self.progress().map_or(Value::Null, Value::Int),
            _ => return None,
        })
    }

    /// Serve `pause`, `resume` and `stop`; `start`, whose plan the appliance supplies, is
    /// [`Cycle::start`].
    pub fn invoke(&mut self, action: u16, base: &mut Base) -> Invoked {
        match action {
            operational_state::PAUSE => self.pause(),
            operational_state::RESUME => self.resume(),
            operational_state::STOP => self.stop(base),
            _ => Err(StatusCode::UnsupportedAction),
        }
        .map(|()| None)
    }
}

/// What the cycle appliances share around their cycle: power, door, remote start, delayed
/// start and the selected programme, and the rules that tie them together (no start with
/// the door open or a critical fault, no programme change during a cycle, the door locked
/// while a washing machine runs).
#[derive(Debug, Clone)]
pub struct Machine {
    /// The cycle.
    pub cycle: Cycle,
    /// Switched on (always, without on-off).
    pub on: bool,
    /// Door open.
    pub door_open: bool,
    /// The door locks during a cycle (washing machines).
    pub door_locks: bool,
    /// Opening the door pauses the cycle (microwave ovens, dishwashers).
    pub door_pauses: bool,
    /// Remote start allowed at the appliance.
    pub remote_start: bool,
    /// Start delay set for the next start.
    pub start_delay: Duration,
    /// Finish delay set for the next start.
    pub finish_delay: Duration,
    /// Selected programme.
    pub mode: u16,
}

impl Machine {
    /// A machine, idle, with the first declared mode.
    pub fn new(base: &Base) -> Self {
        Self {
            cycle: Cycle::new(),
            on: true,
            door_open: false,
            door_locks: false,
            door_pauses: false,
            remote_start: true,
            start_delay: Duration::ZERO,
            finish_delay: Duration::ZERO,
            mode: super::supported_modes(&base.description, 0)
                .first()
                .copied()
                .unwrap_or(0),
        }
    }

    /// The power of a machine that is switched off (0 W) or on without running (1 W);
    /// `None` while a cycle runs and the programme's phase decides.
    pub fn standby_power(&self) -> Option<u32> {
        if !self.on {
            Some(0)
        } else if !self.cycle.running() {
            Some(1)
        } else {
            None
        }
    }

    /// Whether the door is locked now: while a cycle runs or waits for its delayed start, not
    /// while it is paused (so that laundry can be added).
    pub fn locked(&self) -> bool {
        self.door_locks && matches!(self.cycle.state(), OpState::Running | OpState::Delayed)
    }

    /// Properties of on-off, operational-state, mode, door and delayed-start.
    pub fn read(&self, path: &Path) -> Option<Value> {
        if path.component != 0 {
            return None;
        }
        Some(match (path.capability, path.member) {
            (cap::ON_OFF, on_off::ON) => self.on.into(),
            (cap::OPERATIONAL_STATE, operational_state::REMOTE_START_ENABLED) => {
                self.remote_start.into()
            }
            (cap::OPERATIONAL_STATE, m) => self.cycle.read(m)?,
            (cap::MODE, mode::CURRENT_MODE) => Value::Int(self.mode.into()),
            (cap::DOOR, door::OPEN) => self.door_open.into(),
            (cap::DOOR, door::LOCKED) => self.locked().into(),
            (cap::DELAYED_START, delayed_start::START_DELAY) => match self.cycle.state() {
                OpState::Delayed => secs(
                    self.cycle
                        .remaining()
                        .unwrap_or_default()
                        .saturating_sub(self.cycle.plan.iter().map(|p| p.1).sum()),
                ),
                _ => secs(self.start_delay),
            },
            (cap::DELAYED_START, delayed_start::FINISH_DELAY) => match self.cycle.state() {
                OpState::Delayed | OpState::Running | OpState::Paused
                    if !self.finish_delay.is_zero() =>
                {
                    secs(self.cycle.remaining().unwrap_or_default())
                }
                _ => secs(self.finish_delay),
            },
            _ => return None,
        })
    }

    /// Whether the settings table lets a controller write the properties of `capability`
    /// now (`invalid-in-state` where it does not); capabilities it does not govern are
    /// always writable.
    pub fn writable(&self, capability: u16) -> Result<(), StatusCode> {
        match table().and_then(|t| t.writable(capability, self.cycle.state() as u16)) {
            Some(false) => Err(StatusCode::InvalidInState),
            _ => Ok(()),
        }
    }

    /// Writes to on-off, mode and delayed-start; None for other paths. `programme` is the
    /// length of the selected programme (for a finish delay). The settings table has been
    /// consulted ([`Machine::writable`]).
    pub fn write(
        &mut self,
        path: &Path,
        value: &Value,
        programme: Duration,
        base: &mut Base,
    ) -> Option<Result<(), StatusCode>> {
        Some(match (path.capability, path.member) {
            (cap::ON_OFF, on_off::ON) => super::boolean(value).map(|on| {
                // A write that acts on the state: switching off ends a cycle as stop does,
                // as the power button does (HRT-CAT-048).
                let acts = table()
                    .and_then(|t| t.effect_of(cap::ON_OFF, on_off::ON, on))
                    .filter(|_| !base.deviation.off_keeps_running);
                if let Some(effect) = acts {
                    if allowed(effect.action, self.cycle.state()) {
                        let _ = self.cycle.invoke(effect.action, base);
                        self.finish_delay = Duration::ZERO;
                    }
                }
                self.on = on;
            }),
            (cap::MODE, mode::CURRENT_MODE) => super::code(value).map(|m| self.mode = m),
            (cap::DELAYED_START, delayed_start::START_DELAY) => super::duration(value).map(|d| {
                self.start_delay = d;
                self.finish_delay = Duration::ZERO;
            }),
            (cap::DELAYED_START, delayed_start::FINISH_DELAY) => {
                super::duration(value).and_then(|d| {
                    if d.is_zero() {
                        self.finish_delay = d;
                        return Ok(());
                    }
                    if d < programme {
                        return Err(StatusCode::ConstraintError);
                    }
                    self.finish_delay = d;
                    self.start_delay = d - programme;
                    Ok(())
                })
            }
            _ => return None,
        })
    }

    /// Whether the preconditions of the catalog's state machine hold for `action`: each
    /// property it names that the appliance implements reads the value needed
    /// (HRT-CAT-045 to HRT-CAT-047); `invalid-in-state` where one does not.
    pub fn preconditions(&self, action: u16, base: &Base) -> Result<(), StatusCode> {
        let Some(table) = table() else {
            return Ok(());
        };
        for p in table.preconditions_of(action) {
            let door_ignored = base.deviation.ignore_door
                || (action == operational_state::RESUME && base.deviation.resume_with_door_open);
            if p.capability == cap::DOOR && door_ignored {
                continue;
            }
            if p.capability == cap::ON_OFF && base.deviation.start_while_off {
                continue;
            }
            if !implements(base, p.capability, p.property) {
                continue;
            }
            let path = Path::new(0, p.capability, p.property);
            if self.read(&path) != Some(Value::Bool(p.value)) {
                return Err(StatusCode::InvalidInState);
            }
        }
        Ok(())
    }

    /// Start `plan` if the machine may start now: the state machine allows it, its
    /// preconditions hold, and no critical fault keeps the appliance from working.
    pub fn start(&mut self, plan: Vec<(u16, Duration)>, base: &Base) -> Result<(), StatusCode> {
        self.preconditions(operational_state::START, base)?;
        if base.critical_fault().is_some() {
            return Err(StatusCode::InvalidInState);
        }
        self.cycle.start(plan, self.start_delay, base)?;
        self.start_delay = Duration::ZERO;
        Ok(())
    }

    /// Actions of operational-state except start; None for other paths.
    pub fn invoke(&mut self, path: &Path, base: &mut Base) -> Option<Invoked> {
        if path.capability != cap::OPERATIONAL_STATE || path.member == operational_state::START {
            return None;
        }
        if allowed(path.member, self.cycle.state()) {
            if let Err(status) = self.preconditions(path.member, base) {
                return Some(Err(status));
            }
        }
        let result = self.cycle.invoke(path.member, base);
        if path.member == operational_state::STOP && result.is_ok() {
            self.finish_delay = Duration::ZERO;
        }
        Some(result)
    }

    /// Doors and remote start.
    pub fn control(&mut self, control: &Control, base: &Base) -> Controlled {
        match control {
            Control::OpenDoor { component: 0 } if base.has(0, cap::DOOR) => {
                if self.locked() {
                    return Err(ControlError::Refused(
                        "the door is locked during the cycle".into(),
                    ));
                }
                self.door_open = true;
                if self.door_pauses && self.cycle.running() {
                    let _ = self.cycle.pause();
                }
                Ok(())
            }
            Control::CloseDoor { component: 0 } if base.has(0, cap::DOOR) => {
                self.door_open = false;
                // Without a resume action, closing the door resumes by itself.
                let resumable = base
                    .description
                    .instance(0, cap::OPERATIONAL_STATE)
                    .is_some_and(|i| i.actions.contains(&operational_state::RESUME));
                if self.door_pauses && !resumable && self.cycle.state() == OpState::Paused {
                    let _ = self.cycle.resume();
                }
                Ok(())
            }
            Control::RemoteStart { enabled }
                if base.has_property(
                    0,
                    cap::OPERATIONAL_STATE,
                    operational_state::REMOTE_START_ENABLED,
                ) =>
            {
                self.remote_start = *enabled;
                Ok(())
            }
            _ => Err(base.unsupported(control)),
        }
    }

    /// A critical fault stops the cycle.
    pub fn fault_raised(&mut self, fault: &ActiveFault, base: &mut Base) {
        if fault.severity == super::CRITICAL {
            self.cycle.fail(fault.code, fault.vendor_code, base);
        }
    }

    /// With no critical fault left, the error state clears.
    pub fn fault_cleared(&mut self, base: &Base) {
        if self.cycle.state() == OpState::Error && base.critical_fault().is_none() {
            self.cycle.state = OpState::Idle;
        }
    }
}

/// What a cycle appliance adds to the shared [`Machine`]: its programmes, its own settings
/// and sensors, and its physics. [`CycleAppliance`] calls these only for what the machine
/// does not handle itself.
pub trait Programmes: Send {
    /// Opening the door pauses the cycle (microwave ovens, dishwashers).
    const DOOR_PAUSES: bool = false;
    /// The door locks during a cycle (washing machines).
    const DOOR_LOCKS: bool = false;
    /// A finish delay counts back from the selected programme's length; without
    /// delayed start (microwave ovens) it is taken as it is.
    const FINISH_DELAY_FROM_PROGRAMME: bool = true;

    /// The plan of the selected programme (`machine.mode`).
    fn programme(&self, machine: &Machine, base: &Base) -> Vec<(u16, Duration)>;
    /// The value of one of its own properties.
    fn read(&self, path: &Path) -> Result<Value, StatusCode>;
    /// Apply a write to one of its own settings.
    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode>;
    /// One of its own actions (a microwave's add-time); `None` when it has none at `path`.
    fn invoke(
        &mut self,
        _machine: &mut Machine,
        _base: &mut Base,
        _path: &Path,
        _args: &Value,
    ) -> Option<Invoked> {
        None
    }
    /// A cycle has just started.
    fn started(&mut self) {}
    /// Advance by `dt`, moving the cycle on with `machine.cycle.tick`.
    fn tick(&mut self, machine: &mut Machine, base: &mut Base, dt: Duration);
    /// The electrical power drawn now, in W.
    fn power(&self, machine: &Machine, base: &Base) -> u32;
    /// A control command of its own (laundry); `None` leaves it to the machine (doors,
    /// remote start).
    fn control(&mut self, _machine: &Machine, _control: &Control) -> Option<Controlled> {
        None
    }
}

/// A cycle appliance: the shared [`Machine`] and the type's [`Programmes`].
#[derive(Debug)]
pub struct CycleAppliance<T> {
    /// Cycle, door, programme.
    pub machine: Machine,
    /// What the type adds.
    pub app: T,
}

impl<T: Programmes> CycleAppliance<T> {
    /// An idle machine with the first declared mode, configured for its type.
    pub fn new(base: &Base, app: T) -> Self {
        let mut machine = Machine::new(base);
        machine.door_pauses = T::DOOR_PAUSES;
        machine.door_locks = T::DOOR_LOCKS;
        Self { machine, app }
    }
}

impl<T: Programmes> Appliance for CycleAppliance<T> {
    fn read(&self, _base: &Base, path: &Path) -> Result<Value, StatusCode> {
        match self.machine.read(path) {
            Some(v) => Ok(v),
            None => self.app.read(path),
        }
    }

    fn write(&mut self, base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode> {
        let length = if T::FINISH_DELAY_FROM_PROGRAMME {
            self.app
                .programme(&self.machine, base)
                .iter()
                .map(|p| p.1)
                .sum()
        } else {
            Duration::ZERO
        };
        // Which settings each state allows is the catalog's (HRT-CAT-043).
        if !base.deviation.settings_during_cycle {
            self.machine.writable(path.capability)?;
        }
        if let Some(result) = self.machine.write(path, value, length, base) {
            return result;
        }
        self.app.write(path, value)
    }

    fn invoke(&mut self, base: &mut Base, path: &Path, args: &Value) -> Invoked {
        if base.deviation.pause_while_delayed
            && path.capability == cap::OPERATIONAL_STATE
            && path.member == operational_state::PAUSE
            && self.machine.cycle.state() == OpState::Delayed
        {
            self.machine.cycle.state = OpState::Paused;
            return Ok(None);
        }
        if base.deviation.completed_terminal
            && path.capability == cap::OPERATIONAL_STATE
            && matches!(
                path.member,
                operational_state::START | operational_state::STOP
            )
            && self.machine.cycle.state() == OpState::Completed
        {
            return Err(StatusCode::InvalidInState);
        }
        let lax_resume = base.deviation.lax_states
            && path.member == operational_state::RESUME
            && self.machine.cycle.state() == OpState::Idle;
        if path.capability == cap::OPERATIONAL_STATE
            && (path.member == operational_state::START || lax_resume)
        {
            let programme = self.app.programme(&self.machine, base);
            self.machine.start(programme, base)?;
            self.app.started();
            return Ok(None);
        }
        if let Some(result) = self.app.invoke(&mut self.machine, base, path, args) {
            return result;
        }
        self.machine
            .invoke(path, base)
            .unwrap_or(Err(StatusCode::UnsupportedAction))
    }

    fn tick(&mut self, base: &mut Base, dt: Duration) {
        self.app.tick(&mut self.machine, base, dt);
    }

    fn power(&self, base: &Base) -> u32 {
        self.app.power(&self.machine, base)
    }

    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        match self.app.control(&self.machine, control) {
            Some(result) => result,
            None => self.machine.control(control, base),
        }
    }

    fn fault_raised(&mut self, base: &mut Base, fault: &ActiveFault) {
        self.machine.fault_raised(fault, base);
    }

    fn fault_cleared(&mut self, base: &mut Base, _fault: &ActiveFault) {
        self.machine.fault_cleared(base);
    }
}

/// The declared phases of operational-state.
pub fn declared_phases(base: &Base) -> Vec<u16> {
    base.description
        .instance(0, cap::OPERATIONAL_STATE)
        .and_then(|i| i.constraint(operational_state::PHASE))
        .and_then(|c| c.values.as_ref())
        .map(|v| v.iter().map(|e| e.code).collect())
        .unwrap_or_default()
}

/// A plan of (phase, minutes) with the phases the appliance does not declare left out (their
/// time added to the previous phase).
pub fn plan(base: &Base, phases: &[(u16, f64)]) -> Vec<(u16, Duration)> {
    let declared = declared_phases(base);
    let mut out: Vec<(u16, Duration)> = Vec::new();
    for &(phase, minutes) in phases {
        let d = Duration::from_secs_f64((minutes * 60.0).max(1.0));
        if declared.is_empty() || declared.contains(&phase) {
            out.push((phase, d));
        } else if let Some(last) = out.last_mut() {
            last.1 += d;
        } else if let Some(&first) = declared.first() {
            out.push((first, d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;
    use crate::brand::BrandId;

    fn base() -> Base {
        crate::appliance::tests::base(DeviceKind::Dishwasher, BrandId::Aurora)
    }

    #[test]
    fn walks_through_phases_and_completes() {
        let mut b = base();
        let mut c = Cycle::new();
        let plan = vec![(1, Duration::from_secs(60)), (2, Duration::from_secs(30))];
        c.start(plan, Duration::ZERO, &b).expect("start");
        assert_eq!(c.phase(), Some(1));
        assert_eq!(c.remaining(), Some(Duration::from_secs(90)));
        c.tick(Duration::from_secs(70), &mut b);
        assert_eq!(c.phase(), Some(2));
        assert_eq!(c.remaining(), Some(Duration::from_secs(20)));
        assert_eq!(c.pause(), Ok(()));
        c.tick(Duration::from_secs(100), &mut b);
        assert_eq!(c.remaining(), Some(Duration::from_secs(20)));
        assert_eq!(c.pause(), Err(StatusCode::InvalidInState));
        assert_eq!(c.resume(), Ok(()));
        assert_eq!(c.resume(), Err(StatusCode::InvalidInState));
        c.tick(Duration::from_secs(25), &mut b);
        assert_eq!(c.state(), OpState::Completed);
        assert_eq!(c.remaining(), None);
        let events = b.events.clone();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].1.field(1), Some(&Value::Bool(false)));
        assert_eq!(events[0].1.field(2), Some(&Value::Int(190)));
        assert_eq!(events[0].1.field(3), Some(&Value::Int(100)));
    }

    /// A cycle of two one-minute phases brought to `state`.
    fn cycle_in(state: OpState, b: &mut Base) -> Cycle {
        let mut c = Cycle::new();
        let plan = vec![(1, Duration::from_secs(60)), (2, Duration::from_secs(60))];
        let delay = if state == OpState::Delayed {
            Duration::from_secs(30)
        } else {
            Duration::ZERO
        };
        if state != OpState::Idle {
            c.start(plan, delay, b).expect("start");
        }
        match state {
            OpState::Paused => c.pause().expect("pause"),
            OpState::Error => c.fail(1, 1, b),
            OpState::Completed => c.tick(Duration::from_secs(200), b),
            _ => {}
        }
        assert_eq!(c.state(), state);
        c
    }

    const STATES: [OpState; 6] = [
        OpState::Idle,
        OpState::Running,
        OpState::Paused,
        OpState::Error,
        OpState::Delayed,
        OpState::Completed,
    ];

    /// Every action in every state answers as the catalog's transition table says: refused
    /// with the state unchanged where it gives no transition (HRT-CAT-040), and otherwise
    /// leading to a state it gives (HRT-CAT-041).
    #[test]
    fn every_action_in_every_state_follows_the_catalog() {
        let t = table().expect("the catalog has the state machine");
        assert_eq!(
            t.states().iter().map(|s| s.code).collect::<Vec<_>>(),
            STATES.iter().map(|s| *s as u16).collect::<Vec<_>>(),
            "OpState and the catalog's states differ"
        );
        let mut b = base();
        for from in STATES {
            for (action, name) in t.actions() {
                let delays: &[Duration] = if *action == operational_state::START {
                    &[Duration::ZERO, Duration::from_secs(30)]
                } else {
                    &[Duration::ZERO]
                };
                for delay in delays {
                    let mut c = cycle_in(from, &mut b);
                    let result = match *action {
                        operational_state::START => {
                            c.start(vec![(1, Duration::from_secs(60))], *delay, &b)
                        }
                        other => c.invoke(other, &mut b).map(drop),
                    };
                    let to = c.state() as u16;
                    if t.allows(*action, from as u16) {
                        assert_eq!(result, Ok(()), "{name} from {from:?}");
                        assert!(
                            t.targets(*action, from as u16).contains(&to),
                            "{name} from {from:?} led to {to}, which the catalog does not give"
                        );
                    } else {
                        assert_eq!(
                            result,
                            Err(StatusCode::InvalidInState),
                            "{name} from {from:?}"
                        );
                        assert_eq!(c.state(), from, "{name} from {from:?} changed the state");
                    }
                }
            }
        }
    }

    /// The properties the table of values outside a cycle names read null in its states
    /// (HRT-CAT-044), and every change of state the cycle makes by itself is one of the
    /// catalog's own transitions (HRT-CAT-042).
    #[test]
    fn values_and_own_transitions_follow_the_catalog() {
        let t = table().expect("the catalog has the state machine");
        let mut b = base();
        for s in STATES {
            let c = cycle_in(s, &mut b);
            for p in t.null_properties() {
                let null = c.read(p) == Some(Value::Null);
                if t.null_in(p, s as u16) {
                    assert!(null, "property {p} in {s:?} reads {:?}", c.read(p));
                }
            }
        }
        let mut c = cycle_in(OpState::Delayed, &mut b);
        let mut seen = vec![c.state()];
        for _ in 0..20 {
            c.tick(Duration::from_secs(10), &mut b);
            if seen.last() != Some(&c.state()) {
                seen.push(c.state());
            }
        }
        assert_eq!(
            seen,
            [OpState::Delayed, OpState::Running, OpState::Completed]
        );
        for w in seen.windows(2) {
            let own = t.transitions().iter().any(|tr| {
                tr.action.is_none() && tr.from.contains(&(w[0] as u16)) && tr.to == w[1] as u16
            });
            assert!(
                own,
                "{:?} to {:?} is not one of the device's own transitions",
                w[0], w[1]
            );
        }
    }

    fn state_of(s: &Sim) -> u16 {
        u16::try_from(int_at(s, STATE)).expect("a state code")
    }

    /// Switching off acts as stop where stop is allowed (HRT-CAT-048), and start needs the
    /// appliance on (HRT-CAT-045).
    #[test]
    fn switching_off_stops_the_cycle_and_start_needs_the_appliance_on() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Aurora);
        s.write(&ON, &Value::Bool(true)).expect("on");
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(state_of(&s), state::RUNNING);
        s.take_events();
        s.write(&ON, &Value::Bool(false)).expect("off");
        assert_eq!(state_of(&s), state::IDLE);
        let events = s.take_events();
        let completed = events
            .iter()
            .find(|(p, _)| p.member == operational_state::OPERATION_COMPLETED)
            .expect("operation-completed");
        assert_eq!(completed.1.field(1), Some(&Value::Bool(true)));
        refuses(&mut s, &START);
        assert_eq!(state_of(&s), state::IDLE);
        // Off while idle only switches off.
        s.write(&ON, &Value::Bool(false)).expect("off again");
        s.write(&ON, &Value::Bool(true)).expect("on");
        s.invoke(&START, &Value::Null).expect("start when on");
    }

    /// The programme is fixed while a cycle is under way; the appliance's own settings are
    /// not (HRT-CAT-043).
    #[test]
    fn settings_are_writable_where_the_catalog_says() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Aurora);
        let mode = s.read(&MODE).expect("mode");
        let lock = Path::new(0, cap::CHILD_LOCK, 1);
        s.write(&ON, &Value::Bool(true)).expect("on");
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.write(&MODE, &mode), Err(StatusCode::InvalidInState));
        let delay = Path::new(0, cap::DELAYED_START, delayed_start::START_DELAY);
        assert_eq!(
            s.write(&delay, &Value::Int(60)),
            Err(StatusCode::InvalidInState)
        );
        assert_eq!(s.write(&lock, &Value::Bool(true)), Ok(()));
        s.invoke(&STOP, &Value::Null).expect("stop");
        assert_eq!(s.write(&MODE, &mode), Ok(()));

        let mut s = sim(DeviceKind::RiceCooker, BrandId::Lotus);
        let keep = Path::new(
            0,
            cap::KEEP_WARM,
            hearth_model::ids::keep_warm::AUTO_KEEP_WARM,
        );
        s.write(&ON, &Value::Bool(true)).expect("on");
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.write(&keep, &Value::Bool(false)), Ok(()));
        assert_eq!(
            s.write(&MODE, &Value::Int(0x0401)),
            Err(StatusCode::InvalidInState)
        );
    }

    /// An open door refuses start and resume (HRT-CAT-047).
    #[test]
    fn an_open_door_refuses_start_and_resume() {
        let mut s = sim(DeviceKind::MicrowaveOven, BrandId::Aurora);
        start_once_the_door_closes(&mut s);
        door(&mut s, 0, true);
        assert_eq!(state_of(&s), state::PAUSED);
        refuses(&mut s, &RESUME);
        door(&mut s, 0, false);
        assert_eq!(
            state_of(&s),
            state::PAUSED,
            "a resume action: closing does not resume"
        );
        s.invoke(&RESUME, &Value::Null).expect("resume");
        assert_eq!(state_of(&s), state::RUNNING);
    }

    /// The `lax-state-machine` profile accepts resume while idle.
    #[test]
    fn a_lax_state_machine_resumes_from_idle() {
        let deviation = crate::faults::profile("lax-state-machine")
            .expect("profile")
            .deviation();
        let mut s = Sim::new(
            DeviceKind::Dishwasher,
            BrandId::Aurora,
            "lax-1",
            deviation.app,
            1_750_000_000,
        );
        assert_eq!(state_of(&s), state::IDLE);
        assert_eq!(s.invoke(&RESUME, &Value::Null), Ok(None));
        assert_eq!(state_of(&s), state::RUNNING);
        let mut s = sim(DeviceKind::Dishwasher, BrandId::Aurora);
        refuses(&mut s, &RESUME);
    }

    #[test]
    fn refuses_commands_that_do_not_fit_the_state() {
        let mut b = base();
        let mut c = Cycle::new();
        assert_eq!(c.stop(&mut b), Err(StatusCode::InvalidInState));
        assert_eq!(c.resume(), Err(StatusCode::InvalidInState));
        let plan = vec![(1, Duration::from_secs(60))];
        c.start(plan.clone(), Duration::from_secs(30), &b)
            .expect("start");
        assert_eq!(c.state(), OpState::Delayed);
        assert_eq!(c.remaining(), Some(Duration::from_secs(90)));
        assert_eq!(
            c.start(plan, Duration::ZERO, &b),
            Err(StatusCode::InvalidInState)
        );
        c.tick(Duration::from_secs(40), &mut b);
        assert_eq!(c.state(), OpState::Running);
        assert_eq!(c.remaining(), Some(Duration::from_secs(50)));
        c.stop(&mut b).expect("stop");
        assert_eq!(c.state(), OpState::Idle);
        assert_eq!(b.events[0].1.field(1), Some(&Value::Bool(true)));
    }
}
