//! Air conditioner: the room temperature converges on the setpoint according to the mode.
//!
//! Aurora: heat pump with auto fan, swing both ways, an off timer and an outdoor sensor.
//! Kestrel: cooling-only unit with three fan speeds and nothing else. Lotus: heat pump with
//! seven speeds and auto, louvre positions, humidity sensor, both timers, child lock and a
//! vendor "Sleep Comfort" programme.

use std::time::Duration;

use hearth_model::ids::device_type::air_conditioner::mode::{AUTO, COOL, DRY, FAN_ONLY, HEAT};
use hearth_model::ids::enums::mode_tag;
use hearth_model::ids::{
    airflow, cap, fan_control, humidity_measurement, mode, on_off, temperature_control,
    temperature_measurement, timer,
};
use hearth_model::{CapabilityInstance, ComponentDescription, Path, StatusCode, Value};

use super::declare::*;
use super::{
    ambient, approach, boolean, code, declared_range, duration, int, secs, supported_modes,
    temperature, Appliance, Base, Controlled,
};
use crate::brand::{Brand, BrandId};
use crate::control::Control;

const SLEEP_COMFORT: u16 = 0x8001;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let all = [AUTO, COOL, HEAT, DRY, FAN_ONLY];
    let mut c = common(brand, &[cap::ON_OFF]);
    c.extend(match brand.id {
        BrandId::Aurora => vec![
            modes(&all, &[]),
            setpoint(1600, 3200, 50),
            thermometer(),
            fans(5, true),
            inst(cap::AIRFLOW).props(&[airflow::VERTICAL_SWING, airflow::HORIZONTAL_SWING]),
            timers(43_200, None),
            power(3000),
            energy(),
        ],
        BrandId::Kestrel => vec![
            modes(&[COOL, DRY, FAN_ONLY], &[]),
            setpoint(1600, 3000, 50),
            thermometer(),
            fans(3, false),
            energy(),
        ],
        BrandId::Lotus => vec![
            modes(
                &all,
                &[programme(
                    SLEEP_COMFORT,
                    "Sleep Comfort",
                    &[mode_tag::QUIET, mode_tag::NIGHT],
                )],
            ),
            setpoint(1000, 3200, 10),
            thermometer(),
            inst(cap::HUMIDITY_MEASUREMENT),
            fans(7, true),
            inst(cap::AIRFLOW)
                .props(&[
                    airflow::VERTICAL_SWING,
                    airflow::HORIZONTAL_SWING,
                    airflow::VERTICAL_POSITION,
                ])
                .max(airflow::VERTICAL_POSITION, 5, None),
            timers(86_400, Some(86_400)),
            inst(cap::CHILD_LOCK),
            power(3500),
            energy(),
        ],
    });
    let (room, outdoor) = match brand.id {
        BrandId::Aurora => ("Bedroom", true),
        BrandId::Kestrel => ("Office", false),
        BrandId::Lotus => ("Living room", true),
    };
    let mut components = vec![component(0, room, c)];
    if outdoor {
        components.push(component(1, "Outdoor unit", vec![thermometer()]));
    }
    components
}

/// `fan-control` with `levels` speeds, and automatic speed when `auto`.
fn fans(levels: i64, auto: bool) -> CapabilityInstance {
    let f = inst(cap::FAN_CONTROL);
    let f = if auto {
        f.props(&[fan_control::AUTO])
    } else {
        f
    };
    f.max(fan_control::LEVEL, levels, None)
}

/// An air conditioner.
#[derive(Debug)]
pub struct AirConditioner {
    /// Switched on.
    pub on: bool,
    /// Selected mode.
    pub mode: u16,
    /// Setpoint in 0.01 °C.
    pub setpoint: i64,
    /// Room temperature in 0.01 °C.
    pub room: f64,
    /// Outdoor temperature in 0.01 °C.
    pub outdoor: f64,
    /// Relative humidity in percent.
    pub humidity: f64,
    /// Fan level.
    pub level: i64,
    /// Automatic fan speed.
    pub auto_fan: bool,
    /// Louvre swing up-down.
    pub vertical_swing: bool,
    /// Swing left-right.
    pub horizontal_swing: bool,
    /// Fixed louvre position.
    pub vertical_position: i64,
    /// Off timer.
    pub off_delay: Duration,
    /// On timer.
    pub on_delay: Duration,
    max_level: i64,
    compressor: bool,
}

impl AirConditioner {
    /// An air conditioner, switched off, in a warm room.
    pub fn new(base: &Base) -> Self {
        let (_, max_level, _) =
            declared_range(&base.description, 0, cap::FAN_CONTROL, fan_control::LEVEL);
        let mode = if supported_modes(&base.description, 0).contains(&COOL) {
            COOL
        } else {
            supported_modes(&base.description, 0)
                .first()
                .copied()
                .unwrap_or(COOL)
        };
        Self {
            on: false,
            mode,
            setpoint: 2600,
            room: 2900.0,
            outdoor: 3300.0,
            humidity: 62.0,
            level: 1,
            auto_fan: false,
            vertical_swing: false,
            horizontal_swing: false,
            vertical_position: 1,
            off_delay: Duration::ZERO,
            on_delay: Duration::ZERO,
            max_level: max_level.max(1),
            compressor: false,
        }
    }

    fn step(&mut self, dt: Duration) {
        let sp = self.setpoint as f64;
        let ambient = self.outdoor - 300.0;
        if !self.on {
            self.compressor = false;
            self.room = approach(self.room, ambient, dt, Duration::from_secs(5400));
            self.humidity = approach(self.humidity, 62.0, dt, Duration::from_secs(5400));
            return;
        }
        let mode = if self.mode == SLEEP_COMFORT {
            AUTO
        } else {
            self.mode
        };
        let target = match mode {
            COOL => sp.min(ambient),
            HEAT => sp.max(ambient),
            AUTO => sp,
            DRY => ambient - 150.0,
            _ => ambient,
        };
        self.compressor = mode != FAN_ONLY && (self.room - target).abs() > 20.0;
        let speed = 0.5 + self.level as f64 / self.max_level as f64;
        let tau = Duration::from_secs_f64(1500.0 / speed);
        self.room = approach(self.room, target, dt, tau);
        if mode == DRY || (self.compressor && mode == COOL) {
            self.humidity = approach(self.humidity, 45.0, dt, Duration::from_secs(1800));
        }
        if self.auto_fan {
            let gap = ((self.room - sp).abs() / 100.0) as i64 + 1;
            self.level = gap.clamp(1, self.max_level);
        }
    }
}

/// Count a timer down; true when it ran out during `dt`.
fn count_down(timer: &mut Duration, dt: Duration) -> bool {
    if timer.is_zero() {
        return false;
    }
    *timer = timer.saturating_sub(dt);
    timer.is_zero()
}

impl Appliance for AirConditioner {
    fn read(&self, base: &Base, path: &Path) -> Result<Value, StatusCode> {
        let resolution = if base.brand.id == BrandId::Kestrel {
            50
        } else {
            10
        };
        Ok(match (path.component, path.capability, path.member) {
            (0, cap::ON_OFF, on_off::ON) => self.on.into(),
            (0, cap::MODE, mode::CURRENT_MODE) => Value::Int(self.mode.into()),
            (0, cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                Value::Int(self.setpoint)
            }
            (0, cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.room, resolution)
            }
            (0, cap::HUMIDITY_MEASUREMENT, humidity_measurement::HUMIDITY) => {
                Value::Int(self.humidity.round().clamp(0.0, 100.0) as i64)
            }
            (0, cap::FAN_CONTROL, fan_control::LEVEL) => Value::Int(self.level),
            (0, cap::FAN_CONTROL, fan_control::AUTO) => self.auto_fan.into(),
            (0, cap::AIRFLOW, airflow::VERTICAL_SWING) => self.vertical_swing.into(),
            (0, cap::AIRFLOW, airflow::HORIZONTAL_SWING) => self.horizontal_swing.into(),
            (0, cap::AIRFLOW, airflow::VERTICAL_POSITION) => Value::Int(self.vertical_position),
            (0, cap::TIMER, timer::OFF_DELAY) => secs(self.off_delay),
            (0, cap::TIMER, timer::ON_DELAY) => secs(self.on_delay),
            (1, cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.outdoor, 50)
            }
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, _base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.component, path.capability, path.member) {
            (0, cap::ON_OFF, on_off::ON) => self.on = boolean(value)?,
            (0, cap::MODE, mode::CURRENT_MODE) => self.mode = code(value)?,
            (0, cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                self.setpoint = int(value)?
            }
            (0, cap::FAN_CONTROL, fan_control::LEVEL) => {
                self.level = int(value)?;
                self.auto_fan = false;
            }
            (0, cap::FAN_CONTROL, fan_control::AUTO) => self.auto_fan = boolean(value)?,
            (0, cap::AIRFLOW, airflow::VERTICAL_SWING) => self.vertical_swing = boolean(value)?,
            (0, cap::AIRFLOW, airflow::HORIZONTAL_SWING) => self.horizontal_swing = boolean(value)?,
            (0, cap::AIRFLOW, airflow::VERTICAL_POSITION) => {
                self.vertical_position = int(value)?;
                self.vertical_swing = false;
            }
            (0, cap::TIMER, timer::OFF_DELAY) => self.off_delay = duration(value)?,
            (0, cap::TIMER, timer::ON_DELAY) => self.on_delay = duration(value)?,
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn tick(&mut self, _base: &mut Base, dt: Duration) {
        let mut left = dt;
        while !left.is_zero() {
            let step = left.min(Duration::from_secs(10));
            left -= step;
            if count_down(&mut self.off_delay, step) {
                self.on = false;
            }
            if count_down(&mut self.on_delay, step) {
                self.on = true;
            }
            self.step(step);
        }
    }

    fn power(&self, _base: &Base) -> u32 {
        match (self.on, self.compressor) {
            (false, _) => 1,
            (true, false) => 20 + 8 * self.level as u32,
            (true, true) => 650 + 40 * self.level as u32,
        }
    }

    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        self.outdoor = ambient(base, control)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;

    #[test]
    fn cools_the_room_to_the_setpoint_and_heats_it_back() {
        for brand in [BrandId::Aurora, BrandId::Kestrel, BrandId::Lotus] {
            let mut s = sim(DeviceKind::AirConditioner, brand);
            let start = measured(&s, 0);
            s.write(&ON, &Value::Bool(true)).expect("on");
            s.write(&SETPOINT, &Value::Int(2400)).expect("setpoint");
            run(&mut s, Duration::from_secs(60), 180);
            let cooled = measured(&s, 0);
            assert!(cooled < start, "{brand:?}");
            assert!((cooled - 2400).abs() <= 60, "{brand:?}: {cooled}");
            s.write(&ON, &Value::Bool(false)).expect("off");
            run(&mut s, Duration::from_secs(60), 180);
            assert!(
                measured(&s, 0) > cooled + 200,
                "{brand:?}: the room warms up when off"
            );
        }
    }

    #[test]
    fn heat_mode_and_the_off_timer() {
        let mut s = sim(DeviceKind::AirConditioner, BrandId::Lotus);
        s.control(&Control::Ambient { centi_celsius: 500 })
            .expect("winter");
        run(&mut s, Duration::from_secs(600), 50);
        let cold = measured(&s, 0);
        for (path, v) in [
            (ON, Value::Bool(true)),
            (MODE, Value::Int(HEAT.into())),
            (SETPOINT, Value::Int(2200)),
            (
                Path::new(0, cap::FAN_CONTROL, fan_control::AUTO),
                Value::Bool(true),
            ),
            (Path::new(0, cap::TIMER, timer::OFF_DELAY), Value::Int(7200)),
        ] {
            s.write(&path, &v).expect("write");
        }
        run(&mut s, Duration::from_secs(60), 100);
        assert!(
            (measured(&s, 0) - 2200).abs() <= 60,
            "{} from {cold}",
            measured(&s, 0)
        );
        run(&mut s, Duration::from_secs(60), 30);
        assert_eq!(s.read(&ON), Ok(Value::Bool(false)));
        assert_eq!(
            s.read(&Path::new(0, cap::TIMER, timer::OFF_DELAY)),
            Ok(Value::Int(0))
        );
    }
}
