//! Dishwasher: programmes walking through pre-wash, main wash, rinses and drying, pausing
//! when the door is opened, refusing to start or resume with the door open.
//!
//! Aurora: six programmes, pause, delayed start, half load and extra drying. Kestrel: three
//! programmes, start and stop only. Lotus: nine programmes plus a vendor "Baby Care",
//! wash temperature, remote-start consent, finish-time delay and every option.

use std::time::Duration;

use hearth_model::ids::device_type::dishwasher::mode::{
    AUTO, ECO, GLASS, HYGIENE, INTENSIVE, NORMAL, PRE_RINSE, QUICK, QUIET,
};
use hearth_model::ids::device_type::dishwasher::phase::{
    DRYING, FINAL_RINSE, MAIN_WASH, PRE_WASH, RINSE,
};
use hearth_model::ids::enums::mode_tag;
use hearth_model::ids::{cap, dishwasher_controls, operational_state, temperature_control};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::cycle::{plan, Machine, Programmes, FINISHING, PREPARING};
use super::declare::*;
use super::{boolean, declared_range, int, Base};
use crate::brand::{Brand, BrandId};

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    use dishwasher_controls::{AUTO_DOOR_OPEN, EXTRA_DRYING, EXTRA_RINSE, HALF_LOAD, SANITIZE};
    use operational_state::{ELAPSED_TIME, PROGRESS, REMOTE_START_ENABLED};
    let mut c = common(brand, &[]);
    c.extend(match brand.id {
        BrandId::Aurora => vec![
            run_cycle(&[PRE_WASH, MAIN_WASH, RINSE, FINAL_RINSE, DRYING])
                .props(&[ELAPSED_TIME, PROGRESS])
                .actions(&PAUSE_RESUME),
            modes(&[ECO, AUTO, NORMAL, INTENSIVE, QUICK, GLASS], &[]),
            inst(cap::DOOR),
            delayed(86_400, false),
            inst(cap::DISHWASHER_CONTROLS).props(&[HALF_LOAD, EXTRA_DRYING, AUTO_DOOR_OPEN]),
            water(),
            inst(cap::CHILD_LOCK),
            power(2200),
            energy(),
        ],
        BrandId::Kestrel => vec![
            run_cycle(&[MAIN_WASH, RINSE, DRYING]),
            modes(&[ECO, NORMAL, QUICK], &[]),
            inst(cap::DOOR),
            water(),
            energy(),
        ],
        BrandId::Lotus => vec![
            run_cycle(&[
                PREPARING,
                PRE_WASH,
                MAIN_WASH,
                RINSE,
                FINAL_RINSE,
                DRYING,
                FINISHING,
            ])
            .props(&[ELAPSED_TIME, PROGRESS, REMOTE_START_ENABLED])
            .actions(&PAUSE_RESUME),
            modes(
                &[
                    ECO, AUTO, NORMAL, INTENSIVE, QUICK, GLASS, PRE_RINSE, HYGIENE, QUIET,
                ],
                &[programme(0x8001, "Baby Care", &[mode_tag::SANITIZE])],
            ),
            inst(cap::ON_OFF),
            setpoint(4000, 7000, 500),
            inst(cap::DOOR),
            delayed(86_400, true),
            inst(cap::DISHWASHER_CONTROLS).props(&[
                HALF_LOAD,
                EXTRA_DRYING,
                EXTRA_RINSE,
                SANITIZE,
                AUTO_DOOR_OPEN,
            ]),
            water(),
            inst(cap::CHILD_LOCK),
            power(2400),
            energy(),
        ],
    });
    vec![component(0, "Kitchen", c)]
}

/// A dishwasher's own part: its options and wash temperature.
#[derive(Debug)]
pub struct Dishwasher {
    /// Options: half load, extra drying, extra rinse, sanitize, auto door open.
    pub options: [bool; 5],
    /// Wash temperature in 0.01 °C.
    pub setpoint: i64,
}

impl Dishwasher {
    /// A dishwasher with no options set and a wash temperature in its declared range.
    pub fn new(base: &Base) -> Self {
        let (lo, hi, _) = declared_range(
            &base.description,
            0,
            cap::TEMPERATURE_CONTROL,
            temperature_control::SETPOINT,
        );
        Self {
            options: [false; 5],
            setpoint: if hi > 0 {
                (lo + hi) / 2 / 500 * 500
            } else {
                5500
            },
        }
    }
}

impl Programmes for Dishwasher {
    const DOOR_PAUSES: bool = true;

    fn programme(&self, machine: &Machine, base: &Base) -> Vec<(u16, Duration)> {
        let (wash, dry) = match machine.mode {
            ECO => (95.0, 60.0),
            QUICK => (20.0, 5.0),
            INTENSIVE | HYGIENE => (70.0, 40.0),
            GLASS => (35.0, 25.0),
            QUIET => (120.0, 50.0),
            PRE_RINSE => (0.0, 0.0),
            _ => (55.0, 30.0),
        };
        let half = if self.options[0] { 0.8 } else { 1.0 };
        let mut p = vec![(PREPARING, 0.5), (PRE_WASH, 8.0 * half)];
        if machine.mode != PRE_RINSE {
            p.push((MAIN_WASH, wash * half));
            p.push((RINSE, 10.0));
            if self.options[2] {
                p.push((RINSE, 10.0));
            }
            p.push((FINAL_RINSE, 12.0));
            p.push((DRYING, dry + if self.options[1] { 20.0 } else { 0.0 }));
        }
        p.push((FINISHING, 0.5));
        plan(base, &p)
    }

    fn read(&self, path: &Path) -> Result<Value, StatusCode> {
        Ok(match (path.capability, path.member) {
            (cap::DISHWASHER_CONTROLS, m @ 1..=5) => self.options[usize::from(m - 1)].into(),
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => Value::Int(self.setpoint),
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::DISHWASHER_CONTROLS, m @ 1..=5) => {
                self.options[usize::from(m - 1)] = boolean(value)?
            }
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                self.setpoint = int(value)?
            }
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn tick(&mut self, machine: &mut Machine, base: &mut Base, dt: Duration) {
        let was_active = machine.cycle.active();
        if machine.cycle.running() {
            let rate = match machine.cycle.phase() {
                Some(PRE_WASH) | Some(RINSE) | Some(FINAL_RINSE) => 0.05,
                Some(MAIN_WASH) => 0.03,
                _ => 0.0,
            };
            base.water_dl += rate * dt.as_secs_f64();
        }
        machine.cycle.tick(dt, base);
        if was_active && !machine.cycle.active() && self.options[4] {
            machine.door_open = true;
        }
    }

    fn power(&self, machine: &Machine, _base: &Base) -> u32 {
        if let Some(standby) = machine.standby_power() {
            return standby;
        }
        match machine.cycle.phase() {
            Some(MAIN_WASH) | Some(FINAL_RINSE) => 1900,
            Some(DRYING) if self.options[1] => 600,
            Some(_) => 90,
            None => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;

    #[test]
    fn opening_the_door_pauses_and_resume_needs_it_closed() {
        let mut s = sim(DeviceKind::Dishwasher, BrandId::Aurora);
        s.write(&MODE, &Value::Int(QUICK.into())).expect("quick");
        s.invoke(&START, &Value::Null).expect("start");
        run(&mut s, Duration::from_secs(60), 5);
        door(&mut s, 0, true);
        assert_eq!(s.read(&STATE), Ok(Value::Int(2)));
        refuses(&mut s, &RESUME);
        run(&mut s, Duration::from_secs(60), 2);
        door(&mut s, 0, false);
        s.invoke(&RESUME, &Value::Null).expect("resume");
        run(&mut s, Duration::from_secs(60), 60);
        assert_eq!(s.read(&STATE), Ok(Value::Int(5)));
        let events = s.take_events();
        let (_, done) = events.last().expect("completed");
        assert!(
            done.field(3).and_then(Value::as_int) >= Some(60),
            "paused time"
        );
        assert!(
            done.field(5).and_then(Value::as_int) > Some(0),
            "water used"
        );
    }

    #[test]
    fn a_basic_dishwasher_cannot_pause() {
        let mut s = sim(DeviceKind::Dishwasher, BrandId::Kestrel);
        s.invoke(&START, &Value::Null).expect("start");
        door(&mut s, 0, true);
        assert_eq!(s.read(&STATE), Ok(Value::Int(2)), "the door still stops it");
        door(&mut s, 0, false);
        assert_eq!(s.read(&STATE), Ok(Value::Int(1)), "and closing it resumes");
    }
}
