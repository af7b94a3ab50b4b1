//! The vocabulary the appliances' descriptions are written in: capability instances named
//! for what they declare (`setpoint(1600, 3200, 50)`, `power(3000)`, `run_cycle(&phases)`),
//! so that each brand's `describe` reads as the list of its features.
//!
//! Every builder returns a plain [`CapabilityInstance`]; [`InstExt`] adds the optional
//! members and constraints a brand declares on top. Nothing here has state or behaviour.

use hearth_model::ids::{
    cap, delayed_start, device_info, door, mode, operational_state, power_measurement,
    temperature_control, timer,
};
use hearth_model::{CapabilityInstance, ComponentDescription, Constraint, EnumEntry};

use crate::brand::{Brand, BrandId};

/// A capability instance with nothing optional.
pub(crate) fn inst(capability: u16) -> CapabilityInstance {
    CapabilityInstance {
        capability,
        properties: vec![],
        actions: vec![],
        events: vec![],
        constraints: vec![],
    }
}

/// Builders for capability instances.
pub(crate) trait InstExt: Sized {
    fn props(self, ids: &[u16]) -> Self;
    fn actions(self, ids: &[u16]) -> Self;
    fn events(self, ids: &[u16]) -> Self;
    fn constraint(self, c: Constraint) -> Self;
    fn range(self, property: u16, min: i64, max: i64, step: Option<u64>) -> Self {
        self.constraint(Constraint {
            property,
            min: Some(min),
            max: Some(max),
            step,
            ..Constraint::default()
        })
    }
    fn max(self, property: u16, max: i64, step: Option<u64>) -> Self {
        self.constraint(Constraint {
            property,
            max: Some(max),
            step,
            ..Constraint::default()
        })
    }
    fn values(self, property: u16, values: Vec<EnumEntry>) -> Self {
        self.constraint(Constraint {
            property,
            values: Some(values),
            ..Constraint::default()
        })
    }
}

impl InstExt for CapabilityInstance {
    fn props(mut self, ids: &[u16]) -> Self {
        self.properties.extend_from_slice(ids);
        self
    }
    fn actions(mut self, ids: &[u16]) -> Self {
        self.actions.extend_from_slice(ids);
        self
    }
    fn events(mut self, ids: &[u16]) -> Self {
        self.events.extend_from_slice(ids);
        self
    }
    fn constraint(mut self, c: Constraint) -> Self {
        self.constraints.push(c);
        self
    }
}

/// Standard codes as supported enumeration values.
fn standard(codes: &[u16]) -> Vec<EnumEntry> {
    codes.iter().map(|c| EnumEntry::standard(*c)).collect()
}

/// A vendor programme: its code in the vendor range, its label and its mode tags.
pub(crate) fn programme(code: u16, label: &str, tags: &[u16]) -> EnumEntry {
    EnumEntry {
        code,
        label: Some(label.to_owned()),
        tags: tags.to_vec(),
    }
}

/// `mode` with the standard modes it supports, then its vendor programmes.
pub(crate) fn modes(supported: &[u16], programmes: &[EnumEntry]) -> CapabilityInstance {
    let mut values = standard(supported);
    values.extend_from_slice(programmes);
    inst(cap::MODE).values(mode::CURRENT_MODE, values)
}

/// `operational-state` reporting these phases (none: it declares no phase list).
pub(crate) fn run_cycle(phases: &[u16]) -> CapabilityInstance {
    let cycle = inst(cap::OPERATIONAL_STATE);
    if phases.is_empty() {
        cycle
    } else {
        cycle.values(operational_state::PHASE, standard(phases))
    }
}

/// The optional actions of a cycle that can be paused.
pub(crate) const PAUSE_RESUME: [u16; 2] = [operational_state::PAUSE, operational_state::RESUME];

/// `temperature-control` with its setpoint range and step, in 0.01 °C.
pub(crate) fn setpoint(min: i64, max: i64, step: u64) -> CapabilityInstance {
    inst(cap::TEMPERATURE_CONTROL).range(temperature_control::SETPOINT, min, max, Some(step))
}

/// `temperature-measurement`.
pub(crate) fn thermometer() -> CapabilityInstance {
    inst(cap::TEMPERATURE_MEASUREMENT)
}

/// `power-measurement` up to `max` W.
pub(crate) fn power(max: i64) -> CapabilityInstance {
    inst(cap::POWER_MEASUREMENT).max(power_measurement::POWER, max, None)
}

/// `energy-measurement`.
pub(crate) fn energy() -> CapabilityInstance {
    inst(cap::ENERGY_MEASUREMENT)
}

/// `water-consumption`.
pub(crate) fn water() -> CapabilityInstance {
    inst(cap::WATER_CONSUMPTION)
}

/// `timer`: an off delay up to `off_max` s and, with `on_max`, an on delay.
pub(crate) fn timers(off_max: i64, on_max: Option<i64>) -> CapabilityInstance {
    let t = inst(cap::TIMER).max(timer::OFF_DELAY, off_max, None);
    match on_max {
        Some(on) => t.props(&[timer::ON_DELAY]).max(timer::ON_DELAY, on, None),
        None => t,
    }
}

/// `delayed-start` up to `max` s, with a finish delay (up to `max` too) when `finish`.
pub(crate) fn delayed(max: i64, finish: bool) -> CapabilityInstance {
    let d = inst(cap::DELAYED_START).max(delayed_start::START_DELAY, max, None);
    if finish {
        d.props(&[delayed_start::FINISH_DELAY])
            .max(delayed_start::FINISH_DELAY, max, None)
    } else {
        d
    }
}

/// `door` with its alarm and its events; with `delay` (min, max, step in s) the alarm
/// delay can be set.
pub(crate) fn door_alarm(delay: Option<(i64, i64, u64)>) -> CapabilityInstance {
    let d = inst(cap::DOOR)
        .props(&[door::ALARM])
        .events(&[door::DOOR_ALARM, door::DOOR_ALARM_CLEARED]);
    match delay {
        Some((min, max, step)) => {
            d.props(&[door::ALARM_DELAY])
                .range(door::ALARM_DELAY, min, max, Some(step))
        }
        None => d,
    }
}

/// Component 0's common capabilities: device information and faults, then the optional
/// extras the brand builds in.
pub(crate) fn common(brand: &Brand, extras: &[u16]) -> Vec<CapabilityInstance> {
    let mut info = vec![];
    if brand.id != BrandId::Kestrel {
        info.push(device_info::PRODUCT_ID);
    }
    if brand.hardware.is_some() {
        info.push(device_info::HARDWARE_VERSION);
    }
    if brand.id == BrandId::Lotus {
        info.push(device_info::MANUFACTURING_DATE);
    }
    let mut out = vec![inst(cap::DEVICE_INFO).props(&info), inst(cap::FAULTS)];
    out.extend(extras.iter().map(|c| inst(*c)));
    out
}

/// A component.
pub(crate) fn component(
    id: u16,
    label: &str,
    capabilities: Vec<CapabilityInstance>,
) -> ComponentDescription {
    ComponentDescription {
        id,
        label: Some(label.to_owned()),
        capabilities,
    }
}
