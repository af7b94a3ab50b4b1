//! Microwave oven: counts its cooking time down, refuses to start with the door open, and
//! pauses when the door is opened.
//!
//! Aurora: power in percent, add-time, a vendor "Popcorn" programme. Kestrel: a dial in
//! watts, microwave and defrost only. Lotus: a combination oven with convection, a cavity
//! temperature setpoint and sensor, preheating and resting phases.

use std::time::Duration;

use hearth_model::ids::device_type::microwave_oven::mode::{
    COMBINATION, CONVECTION, DEFROST, GRILL, MICROWAVE, REHEAT,
};
use hearth_model::ids::device_type::microwave_oven::phase::{
    COOKING, DEFROSTING, PREHEATING, RESTING,
};
use hearth_model::ids::enums::mode_tag;
use hearth_model::ids::{
    cap, microwave_control, operational_state, temperature_control, temperature_measurement,
};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::cycle::{plan, Machine, Programmes};
use super::declare::*;
use super::{approach, declared_range, int, seconds_arg, temperature, Base, Invoked};
use crate::brand::{Brand, BrandId};

const POPCORN: u16 = 0x8001;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    use microwave_control::{ADD_TIME, COOK_TIME, POWER_LEVEL, POWER_WATTS};
    let percent = || {
        inst(cap::MICROWAVE_CONTROL)
            .props(&[POWER_LEVEL])
            .actions(&[ADD_TIME])
            .max(COOK_TIME, 5940, Some(1))
            .range(POWER_LEVEL, 10, 100, Some(10))
    };
    let mut c = common(brand, &[]);
    c.extend(match brand.id {
        BrandId::Aurora => vec![
            run_cycle(&[DEFROSTING, COOKING]).actions(&PAUSE_RESUME),
            modes(
                &[MICROWAVE, DEFROST, GRILL, COMBINATION],
                &[programme(POPCORN, "Popcorn", &[mode_tag::MICROWAVE])],
            ),
            percent(),
            inst(cap::DOOR),
            inst(cap::CHILD_LOCK),
            power(2000),
        ],
        BrandId::Kestrel => vec![
            run_cycle(&[COOKING]),
            modes(&[MICROWAVE, DEFROST], &[]),
            inst(cap::MICROWAVE_CONTROL)
                .props(&[POWER_WATTS])
                .max(COOK_TIME, 3600, Some(1))
                .range(POWER_WATTS, 100, 800, Some(100)),
            inst(cap::DOOR),
        ],
        BrandId::Lotus => vec![
            run_cycle(&[PREHEATING, DEFROSTING, COOKING, RESTING])
                .props(&[operational_state::ELAPSED_TIME, operational_state::PROGRESS])
                .actions(&PAUSE_RESUME),
            modes(
                &[MICROWAVE, DEFROST, GRILL, COMBINATION, CONVECTION, REHEAT],
                &[],
            ),
            percent(),
            setpoint(10_000, 23_000, 1000),
            thermometer(),
            inst(cap::DOOR),
            inst(cap::CHILD_LOCK),
            power(3000),
        ],
    });
    c.push(energy());
    vec![component(0, "Kitchen", c)]
}

/// A microwave oven's own part: cooking time, power and the cavity.
#[derive(Debug)]
pub struct MicrowaveOven {
    /// Cooking time in seconds.
    pub cook_time: i64,
    /// Power in percent.
    pub power_level: i64,
    /// Power in watts.
    pub power_watts: i64,
    /// Cavity setpoint in 0.01 °C.
    pub setpoint: i64,
    /// Cavity temperature in 0.01 °C.
    pub cavity: f64,
}

impl MicrowaveOven {
    /// An oven set to a minute at full power, its cavity at room temperature.
    pub fn new(base: &Base) -> Self {
        let (_, watts, _) = declared_range(
            &base.description,
            0,
            cap::MICROWAVE_CONTROL,
            microwave_control::POWER_WATTS,
        );
        Self {
            cook_time: 60,
            power_level: 100,
            power_watts: watts.max(50),
            setpoint: 18_000,
            cavity: 2200.0,
        }
    }

    fn magnetron_watts(&self, base: &Base) -> i64 {
        if base.has_property(0, cap::MICROWAVE_CONTROL, microwave_control::POWER_WATTS) {
            self.power_watts
        } else {
            9 * self.power_level
        }
    }
}

impl Programmes for MicrowaveOven {
    const DOOR_PAUSES: bool = true;
    const FINISH_DELAY_FROM_PROGRAMME: bool = false;

    fn programme(&self, machine: &Machine, base: &Base) -> Vec<(u16, Duration)> {
        let minutes = self.cook_time as f64 / 60.0;
        let p: Vec<(u16, f64)> = match machine.mode {
            DEFROST => vec![(DEFROSTING, minutes), (RESTING, 1.0)],
            CONVECTION => vec![(PREHEATING, 5.0), (COOKING, minutes)],
            _ => vec![(COOKING, minutes)],
        };
        plan(base, &p)
    }

    fn read(&self, path: &Path) -> Result<Value, StatusCode> {
        Ok(match (path.capability, path.member) {
            (cap::MICROWAVE_CONTROL, microwave_control::COOK_TIME) => Value::Int(self.cook_time),
            (cap::MICROWAVE_CONTROL, microwave_control::POWER_LEVEL) => {
                Value::Int(self.power_level)
            }
            (cap::MICROWAVE_CONTROL, microwave_control::POWER_WATTS) => {
                Value::Int(self.power_watts)
            }
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => Value::Int(self.setpoint),
            (cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.cavity, 100)
            }
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::MICROWAVE_CONTROL, microwave_control::COOK_TIME) => self.cook_time = int(value)?,
            (cap::MICROWAVE_CONTROL, microwave_control::POWER_LEVEL) => {
                self.power_level = int(value)?
            }
            (cap::MICROWAVE_CONTROL, microwave_control::POWER_WATTS) => {
                self.power_watts = int(value)?
            }
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                self.setpoint = int(value)?
            }
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn invoke(
        &mut self,
        machine: &mut Machine,
        base: &mut Base,
        path: &Path,
        args: &Value,
    ) -> Option<Invoked> {
        let action = (cap::MICROWAVE_CONTROL, microwave_control::ADD_TIME);
        if (path.capability, path.member) != action {
            return None;
        }
        Some(add_time(machine, base, args))
    }

    fn tick(&mut self, machine: &mut Machine, base: &mut Base, dt: Duration) {
        machine.cycle.tick(dt, base);
        let target = if machine.cycle.running() {
            match machine.mode {
                CONVECTION | COMBINATION => self.setpoint as f64,
                GRILL => 20_000.0,
                _ => 3500.0,
            }
        } else {
            2200.0
        };
        self.cavity = approach(self.cavity, target, dt, Duration::from_secs(300));
    }

    fn power(&self, machine: &Machine, base: &Base) -> u32 {
        if !machine.cycle.running() {
            return 1;
        }
        let watts = match machine.mode {
            GRILL => 1100,
            CONVECTION => 1500,
            COMBINATION => 1100 + self.magnetron_watts(base),
            _ => 100 + self.magnetron_watts(base) * 3 / 2,
        };
        watts as u32
    }
}

/// `add-time`: lengthen the current phase, within the declared longest cooking time.
fn add_time(machine: &mut Machine, base: &Base, args: &Value) -> Invoked {
    let add = seconds_arg(args, 1)?;
    let (_, max, _) = declared_range(
        &base.description,
        0,
        cap::MICROWAVE_CONTROL,
        microwave_control::COOK_TIME,
    );
    let left = machine.cycle.remaining().unwrap_or_default().as_secs();
    if machine.cycle.active() && left + add > max as u64 {
        return Err(StatusCode::ConstraintError);
    }
    machine.cycle.extend(Duration::from_secs(add))?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;

    #[test]
    fn counts_down_and_refuses_to_start_with_the_door_open() {
        let mut s = sim(DeviceKind::MicrowaveOven, BrandId::Aurora);
        s.write(
            &Path::new(0, cap::MICROWAVE_CONTROL, microwave_control::COOK_TIME),
            &Value::Int(90),
        )
        .expect("cook time");
        door(&mut s, 0, true);
        refuses(&mut s, &START);
        assert_eq!(s.read(&STATE), Ok(Value::Int(0)));
        door(&mut s, 0, false);
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.read(&REMAINING), Ok(Value::Int(90)));
        run(&mut s, Duration::from_secs(30), 1);
        assert_eq!(s.read(&REMAINING), Ok(Value::Int(60)));
        s.invoke(
            &Path::new(0, cap::MICROWAVE_CONTROL, microwave_control::ADD_TIME),
            &Value::structure([(1, Value::Int(30))]),
        )
        .expect("add time");
        assert_eq!(s.read(&REMAINING), Ok(Value::Int(90)));
        door(&mut s, 0, true);
        assert_eq!(s.read(&STATE), Ok(Value::Int(2)));
        run(&mut s, Duration::from_secs(30), 2);
        assert_eq!(s.read(&REMAINING), Ok(Value::Int(90)));
        door(&mut s, 0, false);
        s.invoke(&RESUME, &Value::Null).expect("resume");
        run(&mut s, Duration::from_secs(30), 3);
        assert_eq!(s.read(&STATE), Ok(Value::Int(5)));
        assert_eq!(
            s.invoke(
                &Path::new(0, cap::MICROWAVE_CONTROL, microwave_control::ADD_TIME),
                &Value::structure([(1, Value::Int(30))])
            ),
            Err(StatusCode::InvalidInState)
        );
    }
}
