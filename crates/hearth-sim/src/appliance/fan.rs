//! Fan: speed levels, oscillation, modes (natural breeze, sleep) and an off timer.
//!
//! Aurora: five speeds, natural and sleep modes, off timer. Kestrel: three speeds and
//! oscillation, nothing else. Lotus: twelve speeds with auto, an adjustable oscillation
//! angle, a room sensor and a vendor "Baby Breeze" programme.

use std::time::Duration;

use hearth_model::ids::device_type::fan::mode::{AUTO, NATURAL, NORMAL, SLEEP};
use hearth_model::ids::enums::mode_tag::{LIGHT, QUIET};
use hearth_model::ids::{airflow, cap, fan_control, mode, on_off, temperature_measurement, timer};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::declare::*;
use super::{
    ambient, boolean, code, declared_range, duration, int, secs, temperature, Appliance, Base,
    Controlled,
};
use crate::brand::{Brand, BrandId};
use crate::control::Control;

const BABY_BREEZE: u16 = 0x8001;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let swing = inst(cap::AIRFLOW).props(&[airflow::HORIZONTAL_SWING]);
    let mut c = common(brand, &[cap::ON_OFF]);
    let label = match brand.id {
        BrandId::Aurora => {
            c.extend([
                inst(cap::FAN_CONTROL).max(fan_control::LEVEL, 5, None),
                modes(&[NORMAL, NATURAL, SLEEP], &[]),
                swing,
                timers(28_800, None),
                power(60),
                energy(),
            ]);
            "Study"
        }
        BrandId::Kestrel => {
            c.extend([
                inst(cap::FAN_CONTROL).max(fan_control::LEVEL, 3, None),
                swing,
            ]);
            "Workshop"
        }
        BrandId::Lotus => {
            let baby_breeze = programme(BABY_BREEZE, "Baby Breeze", &[QUIET, LIGHT]);
            c.extend([
                inst(cap::FAN_CONTROL).props(&[fan_control::AUTO]).max(
                    fan_control::LEVEL,
                    12,
                    None,
                ),
                modes(&[NORMAL, NATURAL, SLEEP, AUTO], &[baby_breeze]),
                swing.props(&[airflow::OSCILLATION_ANGLE]).range(
                    airflow::OSCILLATION_ANGLE,
                    30,
                    120,
                    Some(30),
                ),
                timers(43_200, None),
                thermometer(),
                inst(cap::CHILD_LOCK),
                power(45),
                energy(),
            ]);
            "Nursery"
        }
    };
    vec![component(0, label, c)]
}

/// A fan.
#[derive(Debug)]
pub struct Fan {
    /// Running.
    pub on: bool,
    /// The chosen level.
    pub level: i64,
    /// Automatic speed.
    pub auto: bool,
    /// Mode.
    pub mode: u16,
    /// Oscillating.
    pub oscillating: bool,
    /// Oscillation angle in degrees.
    pub angle: i64,
    /// Off timer.
    pub off_delay: Duration,
    /// Room temperature in 0.01 °C.
    pub room: f64,
    max_level: i64,
    /// Time since sleep mode last lowered the speed.
    sleep_for: Duration,
    /// Head position in degrees from the centre while oscillating.
    pub head: f64,
    sweep: f64,
}

impl Fan {
    /// A fan, switched off.
    pub fn new(base: &Base) -> Self {
        let (_, max_level, _) =
            declared_range(&base.description, 0, cap::FAN_CONTROL, fan_control::LEVEL);
        Self {
            on: false,
            level: 1,
            auto: false,
            mode: NORMAL,
            oscillating: false,
            angle: 60,
            off_delay: Duration::ZERO,
            room: 2750.0,
            max_level: max_level.max(1),
            sleep_for: Duration::ZERO,
            head: 0.0,
            sweep: 1.0,
        }
    }

    fn effective_level(&self) -> i64 {
        if self.auto || self.mode == AUTO {
            (((self.room - 2400.0) / 100.0) as i64).clamp(1, self.max_level)
        } else {
            self.level
        }
    }
}

impl Appliance for Fan {
    fn read(&self, _base: &Base, path: &Path) -> Result<Value, StatusCode> {
        Ok(match (path.capability, path.member) {
            (cap::ON_OFF, on_off::ON) => self.on.into(),
            (cap::FAN_CONTROL, fan_control::LEVEL) => Value::Int(self.effective_level()),
            (cap::FAN_CONTROL, fan_control::AUTO) => self.auto.into(),
            (cap::MODE, mode::CURRENT_MODE) => Value::Int(self.mode.into()),
            (cap::AIRFLOW, airflow::HORIZONTAL_SWING) => self.oscillating.into(),
            (cap::AIRFLOW, airflow::OSCILLATION_ANGLE) => Value::Int(self.angle),
            (cap::TIMER, timer::OFF_DELAY) => secs(self.off_delay),
            (cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.room, 10)
            }
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, _base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::ON_OFF, on_off::ON) => self.on = boolean(value)?,
            (cap::FAN_CONTROL, fan_control::LEVEL) => {
                self.level = int(value)?;
                self.auto = false;
            }
            (cap::FAN_CONTROL, fan_control::AUTO) => {
                let auto = boolean(value)?;
                if !auto {
                    self.level = self.effective_level();
                }
                self.auto = auto;
            }
            (cap::MODE, mode::CURRENT_MODE) => {
                self.mode = code(value)?;
                self.sleep_for = Duration::ZERO;
            }
            (cap::AIRFLOW, airflow::HORIZONTAL_SWING) => self.oscillating = boolean(value)?,
            (cap::AIRFLOW, airflow::OSCILLATION_ANGLE) => self.angle = int(value)?,
            (cap::TIMER, timer::OFF_DELAY) => self.off_delay = duration(value)?,
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn tick(&mut self, _base: &mut Base, dt: Duration) {
        if !self.on {
            return;
        }
        if !self.off_delay.is_zero() {
            self.off_delay = self.off_delay.saturating_sub(dt);
            if self.off_delay.is_zero() {
                self.on = false;
                return;
            }
        }
        if self.mode == SLEEP {
            // Sleep mode slows down by one level every half hour.
            self.sleep_for += dt;
            while self.sleep_for >= Duration::from_secs(1800) {
                self.sleep_for -= Duration::from_secs(1800);
                self.level = (self.level - 1).max(1);
            }
        }
        if self.oscillating {
            // The head sweeps at 10 degrees per second between ± angle / 2.
            let half = self.angle as f64 / 2.0;
            let mut travel = 10.0 * dt.as_secs_f64() % (4.0 * half.max(1.0));
            while travel > 0.0 {
                let limit = half * self.sweep;
                let step = (limit - self.head).abs().min(travel);
                self.head += step * self.sweep;
                travel -= step;
                if (self.head - limit).abs() < 1e-9 {
                    self.sweep = -self.sweep;
                }
            }
        }
    }

    fn power(&self, base: &Base) -> u32 {
        if !self.on {
            return 0;
        }
        let max_power = if base.brand.id == BrandId::Lotus {
            32
        } else {
            45
        };
        (4 + self.effective_level() * max_power / self.max_level) as u32
            + u32::from(self.oscillating)
    }

    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        self.room = ambient(base, control)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;

    #[test]
    fn levels_oscillation_sleep_and_timer() {
        let mut s = sim(DeviceKind::Fan, BrandId::Aurora);
        for (path, v) in [
            (ON, Value::Bool(true)),
            (
                Path::new(0, cap::FAN_CONTROL, fan_control::LEVEL),
                Value::Int(4),
            ),
            (
                Path::new(0, cap::AIRFLOW, airflow::HORIZONTAL_SWING),
                Value::Bool(true),
            ),
            (MODE, Value::Int(SLEEP.into())),
            (Path::new(0, cap::TIMER, timer::OFF_DELAY), Value::Int(7200)),
        ] {
            s.write(&path, &v).expect("write");
        }
        let p4 = int_at(&s, POWER);
        run(&mut s, Duration::from_secs(60), 65);
        assert_eq!(
            s.read(&Path::new(0, cap::FAN_CONTROL, fan_control::LEVEL)),
            Ok(Value::Int(2))
        );
        assert!(int_at(&s, POWER) < p4);
        run(&mut s, Duration::from_secs(60), 60);
        assert_eq!(s.read(&ON), Ok(Value::Bool(false)));
        assert_eq!(int_at(&s, POWER), 0);
    }

    #[test]
    fn the_head_sweeps_within_the_angle() {
        let mut s = sim(DeviceKind::Fan, BrandId::Lotus);
        let mut base = crate::appliance::tests::base(DeviceKind::Fan, BrandId::Lotus);
        let mut fan = Fan::new(&base);
        fan.on = true;
        fan.oscillating = true;
        fan.angle = 90;
        let mut seen = (0.0f64, 0.0f64);
        for _ in 0..100 {
            fan.tick(&mut base, Duration::from_millis(700));
            seen = (seen.0.min(fan.head), seen.1.max(fan.head));
            assert!(fan.head.abs() <= 45.0 + 1e-6);
        }
        assert!(seen.0 < -40.0 && seen.1 > 40.0, "{seen:?}");
        s.write(
            &Path::new(0, cap::FAN_CONTROL, fan_control::AUTO),
            &Value::Bool(true),
        )
        .expect("auto");
        s.write(&ON, &Value::Bool(true)).expect("on");
        assert_eq!(
            s.read(&Path::new(0, cap::FAN_CONTROL, fan_control::LEVEL)),
            Ok(Value::Int(3))
        );
    }
}
