//! A cooled compartment of a refrigerator or freezer: a thermostat holding the setpoint, a
//! door that lets warm air in, and the door alarm once the door stays open longer than the
//! alarm delay.

use std::time::Duration;

use hearth_model::ids::device_type::{freezer, refrigerator};
use hearth_model::ids::{cap, door, mode, temperature_control, temperature_measurement};
use hearth_model::{CapabilityInstance, Path, StatusCode, Value};

use super::declare;
use super::{approach, code, int, seconds, secs, supported_modes, temperature, Base};

/// Mode codes and the offset each applies to the thermostat's target, in 0.01 °C.
const MODE_OFFSETS: [(u16, f64); 8] = [
    (refrigerator::mode::SUPER_COOL, -300.0),
    (refrigerator::mode::SUPER_FREEZE, -600.0),
    (refrigerator::mode::ECO, 100.0),
    (refrigerator::mode::VACATION, 800.0),
    (freezer::mode::SUPER_FREEZE, -600.0),
    (freezer::mode::ECO, 100.0),
    (0x8001, -100.0), // vendor programmes: a little colder
    (0x8002, -100.0),
];

/// What a cooled compartment declares: its setpoint range (min, max, step in 0.01 °C), its
/// thermometer and its door.
pub(crate) fn cooled(
    setpoint: (i64, i64, u64),
    door: CapabilityInstance,
) -> Vec<CapabilityInstance> {
    let (min, max, step) = setpoint;
    vec![
        declare::setpoint(min, max, step),
        declare::thermometer(),
        door,
    ]
}

/// One compartment.
#[derive(Debug, Clone)]
pub struct Compartment {
    /// Component id.
    pub id: u16,
    /// Setpoint in 0.01 °C.
    pub setpoint: i64,
    /// Air temperature in 0.01 °C.
    pub temp: f64,
    /// Whether the door is open.
    pub door_open: bool,
    /// How long the door has been open.
    pub open_for: Duration,
    /// Whether the door alarm is on.
    pub alarm: bool,
    /// Alarm delay in seconds.
    pub alarm_delay: u64,
    /// Selected mode, if the compartment has modes.
    pub mode: Option<u16>,
    /// Whether the compressor cools this compartment now.
    pub cooling: bool,
    resolution: i64,
}

impl Compartment {
    /// A compartment as the description declares it, already at its setpoint.
    pub fn new(id: u16, base: &Base, resolution: i64) -> Self {
        let (lo, hi, step) = super::declared_range(
            &base.description,
            id,
            cap::TEMPERATURE_CONTROL,
            temperature_control::SETPOINT,
        );
        let mid = lo + ((hi - lo) / 2 / step.max(1)) * step.max(1);
        let (dlo, _, _) =
            super::declared_range(&base.description, id, cap::DOOR, door::ALARM_DELAY);
        Self {
            id,
            setpoint: mid,
            temp: mid as f64,
            door_open: false,
            open_for: Duration::ZERO,
            alarm: false,
            alarm_delay: if dlo > 0 {
                (dlo as u64).clamp(60, 3600)
            } else {
                120
            },
            mode: supported_modes(&base.description, id).first().copied(),
            cooling: false,
            resolution,
        }
    }

    fn target(&self) -> f64 {
        let offset = self
            .mode
            .and_then(|m| MODE_OFFSETS.iter().find(|(c, _)| *c == m))
            .map_or(0.0, |(_, o)| *o);
        self.setpoint as f64 + offset
    }

    /// Advance: thermostat with hysteresis, warm air while the door is open, door alarm.
    pub fn tick(&mut self, dt: Duration, ambient: f64, base: &mut Base) {
        // Integrate in steps of at most 10 s so fast clocks keep the thermostat honest.
        let mut left = dt;
        while !left.is_zero() {
            let step = left.min(Duration::from_secs(10));
            left -= step;
            let target = self.target();
            if self.temp > target + 40.0 {
                self.cooling = true;
            } else if self.temp < target - 40.0 {
                self.cooling = false;
            }
            let leak = if self.door_open { 1_200 } else { 14_400 };
            self.temp = approach(self.temp, ambient, step, Duration::from_secs(leak));
            if self.cooling {
                self.temp = approach(self.temp, target - 800.0, step, Duration::from_secs(1_500));
            }
        }
        if self.door_open {
            self.open_for += dt;
            if !self.alarm && self.open_for.as_secs() >= self.alarm_delay {
                self.alarm = true;
                self.door_event(base, door::DOOR_ALARM);
            }
        }
    }

    /// Queue `door-alarm` or `door-alarm-cleared` with how long the door has been open, if
    /// the description declares it (and the appliance does not drop its door alarms).
    fn door_event(&self, base: &mut Base, event: u16) {
        if base.has_event(self.id, cap::DOOR, event) && !base.deviation.no_door_alarm {
            base.event(
                Path::new(self.id, cap::DOOR, event),
                Value::structure([(1, secs(self.open_for))]),
            );
        }
    }

    /// Open the door.
    pub fn open(&mut self) {
        if !self.door_open {
            self.door_open = true;
            self.open_for = Duration::ZERO;
        }
    }

    /// Close the door; clears the alarm.
    pub fn close(&mut self, base: &mut Base) {
        if !self.door_open {
            return;
        }
        self.door_open = false;
        if self.alarm {
            self.alarm = false;
            self.door_event(base, door::DOOR_ALARM_CLEARED);
        }
        self.open_for = Duration::ZERO;
    }

    /// Read a property of this compartment.
    pub fn read(&self, capability: u16, member: u16) -> Option<Value> {
        Some(match (capability, member) {
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => Value::Int(self.setpoint),
            (cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.temp, self.resolution)
            }
            (cap::DOOR, door::OPEN) => self.door_open.into(),
            (cap::DOOR, door::ALARM) => self.alarm.into(),
            (cap::DOOR, door::ALARM_DELAY) => Value::Int(self.alarm_delay as i64),
            (cap::MODE, mode::CURRENT_MODE) => Value::Int(self.mode?.into()),
            _ => return None,
        })
    }

    /// Apply a validated write.
    pub fn write(&mut self, capability: u16, member: u16, value: &Value) -> Result<(), StatusCode> {
        match (capability, member) {
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                self.setpoint = int(value)?
            }
            (cap::DOOR, door::ALARM_DELAY) => self.alarm_delay = seconds(value)?,
            (cap::MODE, mode::CURRENT_MODE) if self.mode.is_some() => {
                self.mode = Some(code(value)?)
            }
            (cap::DOOR, _) => return Err(StatusCode::ReadOnly),
            _ => return Err(StatusCode::UnsupportedProperty),
        }
        Ok(())
    }
}
