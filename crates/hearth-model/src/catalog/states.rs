//! A capability's state machine, resolved from the catalog's names to the ids and codes that
//! travel on the wire: what each action does in each state, what the device does by itself,
//! what an action needs besides its state, which writes act on the state, which settings each
//! state lets a controller write, and which properties read null in which states.
//!
//! The catalog file writes it by name (`[state_machine]`, [`StateMachineDef`]); loading
//! checks it against the capability, its state enumeration and the device types that carry
//! the capability, and resolves it once. Firmware (the simulator) and the conformance suite
//! both ask this one table, so that what a device does and what the suite expects cannot
//! drift apart; the catalog chapter renders it.

use std::collections::{BTreeMap, BTreeSet};

use super::defs::{Capability, DeviceType, EnumDef, StateMachineDef, TypeSpec};

/// One state: its code and catalog name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// The code carried on the wire.
    pub code: u16,
    /// The catalog name.
    pub name: String,
}

/// One transition, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The action's id; `None` for one of the device's own transitions.
    pub action: Option<u16>,
    /// The states it starts from.
    pub from: Vec<u16>,
    /// The state it leads to.
    pub to: u16,
    /// When it is taken.
    pub when: String,
}

/// A condition an action needs besides its state, resolved: where the component implements
/// the property `capability`/`property`, it must read `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precondition {
    /// The requirement that states it.
    pub requirement: String,
    /// The action ids it applies to.
    pub actions: Vec<u16>,
    /// The capability id of the property.
    pub capability: u16,
    /// The property id.
    pub property: u16,
    /// The value it must read.
    pub value: bool,
}

/// A write that acts on the state, resolved: `value` written to `capability`/`property`
/// in a state from which `action` has a transition also carries out `action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The requirement that states it.
    pub requirement: String,
    /// The capability id of the property.
    pub capability: u16,
    /// The property id.
    pub property: u16,
    /// The value written.
    pub value: bool,
    /// The action id it acts as.
    pub action: u16,
}

/// A capability's state machine with ids and codes; [`Catalog::state_machine`] gives it.
///
/// [`Catalog::state_machine`]: super::Catalog::state_machine
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine {
    capability: u16,
    property: u16,
    states: Vec<State>,
    actions: Vec<(u16, String)>,
    transitions: Vec<Transition>,
    preconditions: Vec<Precondition>,
    effects: Vec<Effect>,
    settings: Vec<(Vec<u16>, Vec<u16>)>,
    null_in: BTreeMap<u16, Vec<u16>>,
}

impl StateMachine {
    /// The capability id.
    pub fn capability(&self) -> u16 {
        self.capability
    }

    /// The id of the property that holds the state.
    pub fn property(&self) -> u16 {
        self.property
    }

    /// Every state, in code order.
    pub fn states(&self) -> &[State] {
        &self.states
    }

    /// The catalog name of a state code.
    pub fn state_name(&self, code: u16) -> Option<&str> {
        self.states
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.name.as_str())
    }

    /// The code of a state name.
    pub fn state_code(&self, name: &str) -> Option<u16> {
        self.states.iter().find(|s| s.name == name).map(|s| s.code)
    }

    /// The actions of the capability, as (id, name), in id order.
    pub fn actions(&self) -> &[(u16, String)] {
        &self.actions
    }

    /// The catalog name of an action id.
    pub fn action_name(&self, action: u16) -> Option<&str> {
        self.actions
            .iter()
            .find(|(id, _)| *id == action)
            .map(|(_, n)| n.as_str())
    }

    /// Every transition, in catalog order.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// Whether `action` has a transition from `state`; where it has none the device answers
    /// `invalid-in-state`.
    pub fn allows(&self, action: u16, state: u16) -> bool {
        !self.targets(action, state).is_empty()
    }

    /// The states `action` may lead to from `state` (empty where it is refused).
    pub fn targets(&self, action: u16, state: u16) -> Vec<u16> {
        let mut out: Vec<u16> = self
            .transitions
            .iter()
            .filter(|t| t.action == Some(action) && t.from.contains(&state))
            .map(|t| t.to)
            .collect();
        out.dedup();
        out
    }

    /// The actions (ids, in id order) that have no transition from `state`.
    pub fn refused_in(&self, state: u16) -> Vec<u16> {
        self.actions
            .iter()
            .map(|(id, _)| *id)
            .filter(|a| !self.allows(*a, state))
            .collect()
    }

    /// Whether the state may change from `from` to `to` by any transition, an action's or
    /// the device's own.
    pub fn may_change(&self, from: u16, to: u16) -> bool {
        self.transitions
            .iter()
            .any(|t| t.to == to && t.from.contains(&from))
    }

    /// The states reachable from `start` by the device's own transitions alone, `start`
    /// included.
    pub fn after_own(&self, start: &[u16]) -> BTreeSet<u16> {
        let mut seen: BTreeSet<u16> = start.iter().copied().collect();
        let mut todo: Vec<u16> = start.to_vec();
        while let Some(s) = todo.pop() {
            for t in self.transitions.iter().filter(|t| t.action.is_none()) {
                if t.from.contains(&s) && seen.insert(t.to) {
                    todo.push(t.to);
                }
            }
        }
        seen
    }

    /// Every precondition, in catalog order.
    pub fn preconditions(&self) -> &[Precondition] {
        &self.preconditions
    }

    /// The preconditions of `action`.
    pub fn preconditions_of(&self, action: u16) -> impl Iterator<Item = &Precondition> {
        self.preconditions
            .iter()
            .filter(move |p| p.actions.contains(&action))
    }

    /// Every effect, in catalog order.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// The effect of writing `value` to `capability`/`property`, if it has one.
    pub fn effect_of(&self, capability: u16, property: u16, value: bool) -> Option<&Effect> {
        self.effects
            .iter()
            .find(|e| e.capability == capability && e.property == property && e.value == value)
    }

    /// Whether the writable properties of `capability` may be written in `state`; `None`
    /// when the settings table does not govern that capability.
    pub fn writable(&self, capability: u16, state: u16) -> Option<bool> {
        self.settings
            .iter()
            .find(|(caps, _)| caps.contains(&capability))
            .map(|(_, states)| states.contains(&state))
    }

    /// The capabilities the settings table governs, in table order.
    pub fn settings_capabilities(&self) -> impl Iterator<Item = u16> + '_ {
        self.settings
            .iter()
            .flat_map(|(caps, _)| caps.iter().copied())
    }

    /// Whether `property` of the capability reads null in `state`.
    pub fn null_in(&self, property: u16, state: u16) -> bool {
        self.null_in
            .get(&property)
            .is_some_and(|states| states.contains(&state))
    }

    /// The properties the table of values outside a cycle names, in id order.
    pub fn null_properties(&self) -> impl Iterator<Item = u16> + '_ {
        self.null_in.keys().copied()
    }
}

/// Check `def`, the state machine of `cap`, and resolve it; or every problem found.
pub(super) fn resolve(
    cap: &Capability,
    def: &StateMachineDef,
    capabilities: &[&Capability],
    enums: &BTreeMap<&str, &EnumDef>,
    device_types: &[&DeviceType],
) -> Result<StateMachine, Vec<String>> {
    let mut problems = Vec::new();
    let other = |name: &str| capabilities.iter().copied().find(|c| c.name == name);

    let Some(prop) = cap.property_named(&def.property) else {
        return Err(vec![format!(
            "state_machine: property `{}` does not exist",
            def.property
        )]);
    };
    let Some(enum_def) = (match &prop.ty {
        TypeSpec::Enum { enumeration } => enums.get(enumeration.as_str()).copied(),
        _ => None,
    }) else {
        return Err(vec![format!(
            "state_machine: property `{}` is not of an enumeration the catalog defines",
            def.property
        )]);
    };
    let mut states: Vec<State> = enum_def
        .values
        .iter()
        .map(|v| State {
            code: v.code,
            name: v.name.clone(),
        })
        .collect();
    states.sort_by_key(|s| s.code);
    let state = |name: &str, at: &str, problems: &mut Vec<String>| -> Option<u16> {
        let found = states.iter().find(|s| s.name == name).map(|s| s.code);
        if found.is_none() {
            problems.push(format!(
                "state_machine {at}: `{name}` is not a value of `{}`",
                enum_def.name
            ));
        }
        found
    };
    let states_of = |names: &[String], at: &str, problems: &mut Vec<String>| -> Vec<u16> {
        if names.is_empty() {
            problems.push(format!("state_machine {at}: lists no state"));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for n in names {
            if !seen.insert(n.as_str()) {
                problems.push(format!("state_machine {at}: `{n}` is listed twice"));
            } else if let Some(code) = state(n, at, problems) {
                out.push(code);
            }
        }
        out
    };
    let action = |name: &str, at: &str, problems: &mut Vec<String>| -> Option<u16> {
        let found = cap.action_named(name).map(|a| a.id);
        if found.is_none() {
            problems.push(format!(
                "state_machine {at}: action `{name}` does not exist"
            ));
        }
        found
    };

    let mut transitions = Vec::new();
    for (i, t) in def.transitions.iter().enumerate() {
        let at = format!("transition {}", i + 1);
        let action_id = match &t.action {
            Some(a) => action(a, &at, &mut problems),
            None => {
                if t.when.trim().is_empty() {
                    problems.push(format!(
                        "state_machine {at}: a transition of the device's own needs `when`"
                    ));
                }
                None
            }
        };
        let from = states_of(&t.from, &at, &mut problems);
        let to = state(&t.to, &at, &mut problems);
        if let (Some(to), true) = (to, t.action.is_none() || action_id.is_some()) {
            transitions.push(Transition {
                action: action_id,
                from,
                to,
                when: t.when.clone(),
            });
        }
    }
    for a in &cap.actions {
        if !def
            .transitions
            .iter()
            .any(|t| t.action.as_deref() == Some(a.name.as_str()))
        {
            problems.push(format!(
                "state_machine: action `{}` has no transition",
                a.name
            ));
        }
    }

    let bool_property =
        |capability: &str, property: &str, writable: bool, at: &str, problems: &mut Vec<String>| {
            let Some(c) = other(capability) else {
                problems.push(format!(
                    "state_machine {at}: capability `{capability}` does not exist"
                ));
                return None;
            };
            match c.property_named(property) {
                Some(p) if p.ty == TypeSpec::Bool && (!writable || p.writable()) => {
                    Some((c.id, p.id))
                }
                Some(_) => {
                    problems.push(format!(
                        "state_machine {at}: `{capability}/{property}` is not a{} boolean property",
                        if writable { " writable" } else { "" }
                    ));
                    None
                }
                None => {
                    problems.push(format!(
                        "state_machine {at}: property `{capability}/{property}` does not exist"
                    ));
                    None
                }
            }
        };

    let mut preconditions = Vec::new();
    for p in &def.preconditions {
        let at = format!("precondition {}", p.id);
        let actions: Vec<u16> = p
            .actions
            .iter()
            .filter_map(|a| action(a, &at, &mut problems))
            .collect();
        if p.actions.is_empty() {
            problems.push(format!("state_machine {at}: names no action"));
        }
        if let Some((capability, property)) =
            bool_property(&p.capability, &p.property, false, &at, &mut problems)
        {
            preconditions.push(Precondition {
                requirement: p.id.clone(),
                actions,
                capability,
                property,
                value: p.value,
            });
        }
    }

    let mut effects = Vec::new();
    for e in &def.effects {
        let at = format!("effect {}", e.id);
        let action_id = action(&e.action, &at, &mut problems);
        if let (Some((capability, property)), Some(action)) = (
            bool_property(&e.capability, &e.property, true, &at, &mut problems),
            action_id,
        ) {
            effects.push(Effect {
                requirement: e.id.clone(),
                capability,
                property,
                value: e.value,
                action,
            });
        }
    }

    let mut settings = Vec::new();
    let mut governed = BTreeSet::new();
    for (i, row) in def.settings.iter().enumerate() {
        let at = format!("settings row {}", i + 1);
        let mut caps = Vec::new();
        for name in &row.capabilities {
            match other(name) {
                Some(c) => {
                    if !governed.insert(c.name.as_str()) {
                        problems.push(format!(
                            "state_machine {at}: capability `{name}` is in two rows"
                        ));
                    }
                    if !c.properties.iter().any(|p| p.writable()) {
                        problems.push(format!(
                            "state_machine {at}: capability `{name}` has no writable property"
                        ));
                    }
                    caps.push(c.id);
                }
                None => problems.push(format!(
                    "state_machine {at}: capability `{name}` does not exist"
                )),
            }
        }
        let states = states_of(&row.writable_in, &at, &mut problems);
        settings.push((caps, states));
    }
    // Every capability with a writable property that a device type may carry beside this
    // one has a row: a new capability cannot leave its writes in a cycle undecided.
    for dt in device_types {
        for comp in &dt.components {
            let carried: Vec<&String> = comp.mandatory.iter().chain(&comp.optional).collect();
            if !carried.iter().any(|n| **n == cap.name) {
                continue;
            }
            for name in carried {
                let writable =
                    other(name).is_some_and(|c| c.properties.iter().any(|p| p.writable()));
                if writable && !governed.contains(name.as_str()) {
                    problems.push(format!(
                        "state_machine: capability `{name}`, which {} component `{}` may carry, has no settings row",
                        dt.name, comp.name
                    ));
                }
            }
        }
    }

    let mut null_in = BTreeMap::new();
    for row in &def.null_in {
        let at = format!("null_in {}", row.property);
        match cap.property_named(&row.property) {
            Some(p) if p.nullable => {
                let states = states_of(&row.states, &at, &mut problems);
                if null_in.insert(p.id, states).is_some() {
                    problems.push(format!("state_machine {at}: the property has two rows"));
                }
            }
            Some(_) => problems.push(format!(
                "state_machine {at}: property `{}` is not nullable",
                row.property
            )),
            None => problems.push(format!(
                "state_machine {at}: property `{}` does not exist",
                row.property
            )),
        }
    }

    for r in &def.requirements {
        if r.statement.trim().is_empty() {
            problems.push(format!("state_machine requirement {}: no statement", r.id));
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(StateMachine {
        capability: cap.id,
        property: prop.id,
        states,
        actions: cap.actions.iter().map(|a| (a.id, a.name.clone())).collect(),
        transitions,
        preconditions,
        effects,
        settings,
        null_in,
    })
}

/// The requirement ids a state machine states, with where.
pub(super) fn requirement_ids(def: &StateMachineDef) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = def
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), "requirement".to_owned()))
        .collect();
    out.extend(
        def.preconditions
            .iter()
            .map(|p| (p.id.as_str(), "precondition".to_owned())),
    );
    out.extend(
        def.effects
            .iter()
            .map(|e| (e.id.as_str(), "effect".to_owned())),
    );
    out
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::ids::enums::operational_state as st;
    use crate::ids::{cap, door, on_off, operational_state as op};

    fn sm() -> &'static super::StateMachine {
        Catalog::standard()
            .state_machine(cap::OPERATIONAL_STATE)
            .expect("operational-state has a state machine")
    }

    #[test]
    fn actions_lead_where_the_catalog_says() {
        let sm = sm();
        assert_eq!(sm.property(), op::STATE);
        assert_eq!(sm.targets(op::START, st::IDLE), [st::RUNNING, st::DELAYED]);
        assert_eq!(
            sm.targets(op::START, st::COMPLETED),
            [st::RUNNING, st::DELAYED]
        );
        assert!(!sm.allows(op::START, st::ERROR));
        assert_eq!(sm.targets(op::PAUSE, st::RUNNING), [st::PAUSED]);
        assert!(!sm.allows(op::PAUSE, st::DELAYED));
        assert_eq!(sm.targets(op::RESUME, st::PAUSED), [st::RUNNING]);
        assert!(!sm.allows(op::RESUME, st::IDLE));
        assert!(!sm.allows(op::STOP, st::IDLE));
        for s in [
            st::RUNNING,
            st::PAUSED,
            st::ERROR,
            st::DELAYED,
            st::COMPLETED,
        ] {
            assert_eq!(sm.targets(op::STOP, s), [st::IDLE], "stop from {s}");
        }
        assert_eq!(sm.refused_in(st::IDLE), [op::PAUSE, op::RESUME, op::STOP]);
        assert_eq!(sm.refused_in(st::RUNNING), [op::START, op::RESUME]);
    }

    #[test]
    fn own_transitions_close_over_the_cycle() {
        let sm = sm();
        assert!(sm.may_change(st::RUNNING, st::COMPLETED));
        assert!(!sm.may_change(st::IDLE, st::PAUSED));
        assert!(!sm.may_change(st::ERROR, st::RUNNING));
        let after = sm.after_own(&[st::DELAYED]);
        for s in [
            st::DELAYED,
            st::RUNNING,
            st::COMPLETED,
            st::ERROR,
            st::IDLE,
            st::PAUSED,
        ] {
            assert!(after.contains(&s), "{s}");
        }
        assert_eq!(sm.after_own(&[st::IDLE]).len(), 1);
    }

    #[test]
    fn preconditions_effects_settings_and_nulls_resolve() {
        let sm = sm();
        let start: Vec<(u16, u16, bool)> = sm
            .preconditions_of(op::START)
            .map(|p| (p.capability, p.property, p.value))
            .collect();
        assert!(start.contains(&(cap::ON_OFF, on_off::ON, true)));
        assert!(start.contains(&(cap::DOOR, door::OPEN, false)));
        assert!(sm
            .preconditions_of(op::RESUME)
            .any(|p| p.capability == cap::DOOR));
        let off = sm
            .effect_of(cap::ON_OFF, on_off::ON, false)
            .expect("off acts");
        assert_eq!(off.action, op::STOP);
        assert!(sm.effect_of(cap::ON_OFF, on_off::ON, true).is_none());
        assert_eq!(sm.writable(cap::MODE, st::RUNNING), Some(false));
        assert_eq!(sm.writable(cap::MODE, st::COMPLETED), Some(true));
        assert_eq!(sm.writable(cap::KEEP_WARM, st::RUNNING), Some(true));
        assert_eq!(sm.writable(cap::FAN_CONTROL, st::RUNNING), None);
        assert!(sm.null_in(op::PHASE, st::IDLE));
        assert!(!sm.null_in(op::PHASE, st::ERROR));
        assert!(sm.null_in(op::REMAINING_TIME, st::ERROR));
        assert!(!sm.null_in(op::STATE, st::IDLE));
    }
}
