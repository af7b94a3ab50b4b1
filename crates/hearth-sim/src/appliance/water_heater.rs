//! Water heater: a tank heating towards its setpoint with hysteresis, losing heat slowly,
//! cooled by the cold water that replaces what is drawn; boost on demand.
//!
//! Aurora: 80 L electric tank with boost and modes. Kestrel: 30 L tank, heating indicator
//! only. Lotus: 150 L heat-pump tank with boost, timers, vacation and a vendor "Solar
//! Assist" programme.

use std::time::Duration;

use hearth_model::ids::device_type::water_heater::mode::{ECO, NORMAL, QUICK_HEAT, VACATION};
use hearth_model::ids::enums::mode_tag::{self, ECO as ECO_TAG};
use hearth_model::ids::{
    cap, mode, on_off, temperature_control, temperature_measurement, timer, water_heater_control,
};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::declare::*;
use super::{
    approach, boolean, code, declared_range, duration, int, seconds_arg, secs, temperature,
    Appliance, Base, Controlled, Invoked,
};
use crate::brand::{Brand, BrandId};
use crate::control::Control;

const SOLAR_ASSIST: u16 = 0x8001;
/// Cold mains water, 0.01 °C.
const COLD: f64 = 1500.0;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let boost = || {
        inst(cap::WATER_HEATER_CONTROL)
            .props(&[
                water_heater_control::REMAINING_HOT_WATER,
                water_heater_control::TANK_VOLUME,
                water_heater_control::BOOST_ACTIVE,
            ])
            .actions(&[
                water_heater_control::BOOST,
                water_heater_control::CANCEL_BOOST,
            ])
    };
    let solar_assist = programme(
        SOLAR_ASSIST,
        "Solar Assist",
        &[ECO_TAG, mode_tag::LOW_ENERGY],
    );
    let mut c = common(brand, &[cap::ON_OFF]);
    c.extend(match brand.id {
        BrandId::Aurora => vec![
            setpoint(3000, 7500, 100),
            thermometer(),
            boost(),
            modes(&[NORMAL, ECO, QUICK_HEAT], &[]),
            water(),
            power(3000),
            energy(),
        ],
        BrandId::Kestrel => vec![
            setpoint(3500, 7500, 100),
            thermometer(),
            inst(cap::WATER_HEATER_CONTROL),
            energy(),
        ],
        BrandId::Lotus => vec![
            setpoint(3000, 8000, 50),
            thermometer(),
            boost(),
            modes(&[NORMAL, ECO, QUICK_HEAT, VACATION], &[solar_assist]),
            timers(86_400, Some(86_400)),
            water(),
            inst(cap::CHILD_LOCK),
            power(5000),
            energy(),
        ],
    });
    vec![component(0, "Bathroom", c)]
}

/// A water heater.
#[derive(Debug)]
pub struct WaterHeater {
    /// Switched on.
    pub on: bool,
    /// Setpoint in 0.01 °C.
    pub setpoint: i64,
    /// Water temperature in 0.01 °C.
    pub temp: f64,
    /// Heating now.
    pub heating: bool,
    /// Mode.
    pub mode: u16,
    /// A boost under way: its target and the time it may still run.
    pub boost: Option<(f64, Duration)>,
    /// Off and on timers.
    pub timers: (Duration, Duration),
    /// Tank volume in 0.1 L.
    pub tank_dl: u32,
    heater_w: u32,
}

impl WaterHeater {
    /// A water heater, on, its tank lukewarm.
    pub fn new(base: &Base) -> Self {
        let (tank_dl, heater_w) = match base.brand.id {
            BrandId::Aurora => (800, 2000),
            BrandId::Kestrel => (300, 1500),
            BrandId::Lotus => (1500, 3000),
        };
        Self {
            on: true,
            setpoint: 5500,
            temp: 2500.0,
            heating: false,
            mode: NORMAL,
            boost: None,
            timers: (Duration::ZERO, Duration::ZERO),
            tank_dl,
            heater_w,
        }
    }

    fn target(&self) -> f64 {
        match (self.boost, self.mode) {
            (Some((t, _)), _) => t,
            (None, VACATION) => 3500.0_f64.min(self.setpoint as f64),
            _ => self.setpoint as f64,
        }
    }

    fn heat_power(&self) -> u32 {
        if self.boost.is_some() {
            return self.heater_w + self.heater_w / 2;
        }
        match self.mode {
            ECO | SOLAR_ASSIST => self.heater_w / 2,
            QUICK_HEAT => self.heater_w + self.heater_w / 2,
            _ => self.heater_w,
        }
    }

    fn step(&mut self, dt: Duration) {
        let (off, on) = &mut self.timers;
        if !off.is_zero() {
            *off = off.saturating_sub(dt);
            if off.is_zero() {
                self.on = false;
            }
        }
        if !on.is_zero() {
            *on = on.saturating_sub(dt);
            if on.is_zero() {
                self.on = true;
            }
        }
        let target = self.target();
        self.heating = self.on
            && (self.temp < target - 400.0
                || (self.heating && self.temp < target)
                || (self.boost.is_some() && self.temp < target));
        if self.heating {
            // ΔT = P·t / (m·c), m in kg (1 L of water ≈ 1 kg), c = 4186 J/(kg·K).
            let kg = f64::from(self.tank_dl) / 10.0;
            let rise = f64::from(self.heat_power()) * dt.as_secs_f64() / (kg * 4186.0) * 100.0;
            self.temp = (self.temp + rise).min(target + 50.0);
        }
        self.temp = approach(self.temp, 2000.0, dt, Duration::from_secs(200_000));
        if let Some((t, left)) = self.boost {
            let left = left.saturating_sub(dt);
            self.boost = (self.temp < t && !left.is_zero()).then_some((t, left));
        }
    }
}

impl Appliance for WaterHeater {
    fn read(&self, _base: &Base, path: &Path) -> Result<Value, StatusCode> {
        Ok(match (path.capability, path.member) {
            (cap::ON_OFF, on_off::ON) => self.on.into(),
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => Value::Int(self.setpoint),
            (cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.temp, 50)
            }
            (cap::WATER_HEATER_CONTROL, water_heater_control::HEATING) => self.heating.into(),
            (cap::WATER_HEATER_CONTROL, water_heater_control::REMAINING_HOT_WATER) => {
                let share = (self.temp - 3500.0) / (self.setpoint as f64 - 3500.0).max(100.0);
                Value::Int((share * 100.0).round().clamp(0.0, 100.0) as i64)
            }
            (cap::WATER_HEATER_CONTROL, water_heater_control::TANK_VOLUME) => {
                Value::Int(self.tank_dl.into())
            }
            (cap::WATER_HEATER_CONTROL, water_heater_control::BOOST_ACTIVE) => {
                self.boost.is_some().into()
            }
            (cap::MODE, mode::CURRENT_MODE) => Value::Int(self.mode.into()),
            (cap::TIMER, timer::OFF_DELAY) => secs(self.timers.0),
            (cap::TIMER, timer::ON_DELAY) => secs(self.timers.1),
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, _base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::ON_OFF, on_off::ON) => {
                self.on = boolean(value)?;
                if !self.on {
                    self.boost = None;
                }
            }
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                self.setpoint = int(value)?
            }
            (cap::MODE, mode::CURRENT_MODE) => self.mode = code(value)?,
            (cap::TIMER, timer::OFF_DELAY) => self.timers.0 = duration(value)?,
            (cap::TIMER, timer::ON_DELAY) => self.timers.1 = duration(value)?,
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn invoke(&mut self, base: &mut Base, path: &Path, args: &Value) -> Invoked {
        match (path.capability, path.member) {
            (cap::WATER_HEATER_CONTROL, water_heater_control::BOOST) => {
                if !self.on || self.boost.is_some() {
                    return Err(StatusCode::InvalidInState);
                }
                let boost_for = seconds_arg(args, 1)?;
                let target = match args.field(2) {
                    Some(v) => {
                        let t = int(v)?;
                        let (lo, hi, _) = declared_range(
                            &base.description,
                            0,
                            cap::TEMPERATURE_CONTROL,
                            temperature_control::SETPOINT,
                        );
                        if t < lo || t > hi {
                            return Err(StatusCode::ConstraintError);
                        }
                        t as f64
                    }
                    None => self.setpoint as f64,
                };
                self.boost = Some((target, Duration::from_secs(boost_for)));
                Ok(None)
            }
            (cap::WATER_HEATER_CONTROL, water_heater_control::CANCEL_BOOST) => {
                if self.boost.take().is_none() {
                    return Err(StatusCode::InvalidInState);
                }
                Ok(None)
            }
            _ => Err(StatusCode::UnsupportedAction),
        }
    }

    fn tick(&mut self, _base: &mut Base, dt: Duration) {
        let mut left = dt;
        while !left.is_zero() {
            let step = left.min(Duration::from_secs(10));
            left -= step;
            self.step(step);
        }
    }

    fn power(&self, _base: &Base) -> u32 {
        if self.heating {
            self.heat_power()
        } else {
            u32::from(self.on)
        }
    }

    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        match control {
            Control::DrawWater { decilitres } => {
                let drawn = f64::from((*decilitres).min(self.tank_dl));
                let tank = f64::from(self.tank_dl);
                self.temp = (self.temp * (tank - drawn) + COLD * drawn) / tank;
                base.water_dl += f64::from(*decilitres);
                Ok(())
            }
            _ => Err(base.unsupported(control)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;

    #[test]
    fn heats_to_the_setpoint_and_recovers_after_a_shower() {
        let mut s = sim(DeviceKind::WaterHeater, BrandId::Aurora);
        let heating = Path::new(0, cap::WATER_HEATER_CONTROL, water_heater_control::HEATING);
        s.tick(Duration::from_secs(10));
        assert_eq!(s.read(&heating), Ok(Value::Bool(true)));
        run(&mut s, Duration::from_secs(60), 150);
        assert!((measured(&s, 0) - 5500).abs() <= 100, "{}", measured(&s, 0));
        assert_eq!(s.read(&heating), Ok(Value::Bool(false)));
        let water = s.read(&WATER).expect("w");
        s.control(&Control::DrawWater { decilitres: 300 })
            .expect("shower");
        assert!(measured(&s, 0) < 5000);
        assert!(s.read(&WATER).expect("w").as_int() > water.as_int());
        s.tick(Duration::from_secs(10));
        assert_eq!(s.read(&heating), Ok(Value::Bool(true)));
    }

    #[test]
    fn boost_is_refused_while_off_and_ends_at_its_temperature() {
        let mut s = sim(DeviceKind::WaterHeater, BrandId::Lotus);
        let boost = Path::new(0, cap::WATER_HEATER_CONTROL, water_heater_control::BOOST);
        let args = Value::structure([(1, Value::Int(3600)), (2, Value::Int(6500))]);
        s.write(&ON, &Value::Bool(false)).expect("off");
        assert_eq!(s.invoke(&boost, &args), Err(StatusCode::InvalidInState));
        assert_eq!(
            s.invoke(
                &Path::new(
                    0,
                    cap::WATER_HEATER_CONTROL,
                    water_heater_control::CANCEL_BOOST
                ),
                &Value::Null
            ),
            Err(StatusCode::InvalidInState)
        );
        s.write(&ON, &Value::Bool(true)).expect("on");
        let too_hot = Value::structure([(1, Value::Int(3600)), (2, Value::Int(9000))]);
        assert_eq!(s.invoke(&boost, &too_hot), Err(StatusCode::ConstraintError));
        s.invoke(&boost, &args).expect("boost");
        assert_eq!(
            s.read(&Path::new(
                0,
                cap::WATER_HEATER_CONTROL,
                water_heater_control::BOOST_ACTIVE
            )),
            Ok(Value::Bool(true))
        );
        run(&mut s, Duration::from_secs(60), 200);
        assert_eq!(
            s.read(&Path::new(
                0,
                cap::WATER_HEATER_CONTROL,
                water_heater_control::BOOST_ACTIVE
            )),
            Ok(Value::Bool(false))
        );
    }
}
