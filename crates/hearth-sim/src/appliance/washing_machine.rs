//! Washing machine: programmes walking through weighing, filling, washing, rinsing,
//! draining and spinning with the remaining time, the door locked during the cycle, water
//! and energy counted as they are used.
//!
//! Aurora: a front-loader with pause, delayed start, steam and a vendor "Sportswear"
//! programme. Kestrel: a top-loader with four programmes, start and stop only. Lotus: a
//! washer-dryer with remote-start consent, finish-time delay, drying phases and two vendor
//! programmes.

use std::time::Duration;

use hearth_model::ids::device_type::washing_machine::mode::{
    BEDDING, COTTON, DELICATES, DRY, ECO, HYGIENE, MIXED, QUICK, RINSE_AND_SPIN, SPIN_ONLY,
    SYNTHETICS, WASH_AND_DRY, WHITES, WOOL,
};
use hearth_model::ids::device_type::washing_machine::phase::{
    COOL_DOWN, DRAINING, DRYING, FILLING, PRE_WASH, RINSE, SPIN, WASH, WEIGHING,
};
use hearth_model::ids::enums::mode_tag;
use hearth_model::ids::{cap, door, laundry_controls, operational_state, temperature_control};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::cycle::{plan, Machine, Programmes, FINISHING, PREPARING};
use super::declare::*;
use super::{boolean, declared_range, int, Base, Controlled};
use crate::brand::{Brand, BrandId};
use crate::control::{Control, ControlError};

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    use laundry_controls::{EXTRA_RINSE, PRE_WASH as PRE_WASH_OPTION, RINSES, SPIN_SPEED, STEAM};
    use operational_state::{ELAPSED_TIME, PROGRESS, REMOTE_START_ENABLED};
    // Spin speeds from 0 to a maximum in steps, one to `rinses` rinses, and these options.
    let laundry = |options: &[u16], (spin, step): (i64, u64), rinses| {
        inst(cap::LAUNDRY_CONTROLS)
            .props(options)
            .range(SPIN_SPEED, 0, spin, Some(step))
            .range(RINSES, 1, rinses, None)
    };
    // What a front-loader declares after its cycle and programmes: on-off, its `laundry`
    // settings and water `setpoint`, the door locked while it runs, a delayed start (to a
    // finish time when `finish`), water, child lock, power up to `watts` and energy.
    let front_loader = |laundry, setpoint, finish, watts| {
        [
            inst(cap::ON_OFF),
            laundry,
            setpoint,
            inst(cap::DOOR).props(&[door::LOCKED]),
            delayed(86_400, finish),
            water(),
            inst(cap::CHILD_LOCK),
            power(watts),
            energy(),
        ]
    };
    let mut c = common(brand, &[]);
    c.extend(match brand.id {
        BrandId::Aurora => vec![
            run_cycle(&[
                PREPARING, WEIGHING, FILLING, PRE_WASH, WASH, RINSE, DRAINING, SPIN, FINISHING,
            ])
            .props(&[ELAPSED_TIME, PROGRESS])
            .actions(&PAUSE_RESUME),
            modes(
                &[COTTON, ECO, SYNTHETICS, DELICATES, WOOL, QUICK],
                &[programme(0x8001, "Sportswear", &[mode_tag::SYNTHETICS])],
            ),
        ]
        .into_iter()
        .chain(front_loader(
            laundry(&[RINSES, PRE_WASH_OPTION, STEAM], (1400, 200), 4),
            setpoint(2000, 9000, 1000),
            false,
            2300,
        ))
        .collect(),
        BrandId::Kestrel => vec![
            run_cycle(&[FILLING, WASH, RINSE, DRAINING, SPIN]),
            modes(&[COTTON, QUICK, RINSE_AND_SPIN, SPIN_ONLY], &[]),
            inst(cap::LAUNDRY_CONTROLS).range(SPIN_SPEED, 400, 1000, Some(200)),
            inst(cap::DOOR),
            water(),
            energy(),
        ],
        BrandId::Lotus => vec![
            run_cycle(&[
                PREPARING, WEIGHING, FILLING, PRE_WASH, WASH, RINSE, DRAINING, SPIN, DRYING,
                COOL_DOWN, FINISHING,
            ])
            .props(&[ELAPSED_TIME, PROGRESS, REMOTE_START_ENABLED])
            .actions(&PAUSE_RESUME),
            modes(
                &[
                    COTTON,
                    ECO,
                    SYNTHETICS,
                    MIXED,
                    DELICATES,
                    WOOL,
                    QUICK,
                    BEDDING,
                    WHITES,
                    HYGIENE,
                    DRY,
                    WASH_AND_DRY,
                ],
                &[
                    programme(0x8001, "Allergy Care", &[mode_tag::SANITIZE]),
                    programme(0x8002, "Outdoor Gear", &[mode_tag::SYNTHETICS]),
                ],
            ),
        ]
        .into_iter()
        .chain(front_loader(
            laundry(
                &[RINSES, PRE_WASH_OPTION, EXTRA_RINSE, STEAM],
                (1600, 100),
                5,
            ),
            setpoint(0, 9000, 500),
            true,
            2500,
        ))
        .collect(),
    });
    vec![component(0, "Laundry room", c)]
}

/// A washing machine's own part: its laundry settings and the laundry in its drum.
#[derive(Debug)]
pub struct WashingMachine {
    /// Spin speed in rpm.
    pub spin: i64,
    /// Number of rinses.
    pub rinses: i64,
    /// Options: pre-wash, extra rinse, steam.
    pub options: [bool; 3],
    /// Wash temperature in 0.01 °C.
    pub setpoint: i64,
    /// Laundry in the drum, in grams.
    pub laundry_g: u32,
}

impl WashingMachine {
    /// An empty drum, with settings in the declared ranges.
    pub fn new(base: &Base) -> Self {
        let (_, spin_max, _) = declared_range(
            &base.description,
            0,
            cap::LAUNDRY_CONTROLS,
            laundry_controls::SPIN_SPEED,
        );
        let (t_lo, _, _) = declared_range(
            &base.description,
            0,
            cap::TEMPERATURE_CONTROL,
            temperature_control::SETPOINT,
        );
        Self {
            spin: spin_max.min(1200) / 200 * 200,
            rinses: 2,
            options: [false; 3],
            setpoint: t_lo.max(4000) / 1000 * 1000,
            laundry_g: 0,
        }
    }
}

impl Programmes for WashingMachine {
    const DOOR_LOCKS: bool = true;

    /// The programme's phases in minutes.
    fn programme(&self, machine: &Machine, base: &Base) -> Vec<(u16, Duration)> {
        let load = 0.8 + f64::from(self.laundry_g.min(10_000)) / 25_000.0;
        let wash = match machine.mode {
            QUICK => 12.0,
            ECO => 110.0,
            WOOL | DELICATES => 30.0,
            HYGIENE | WHITES => 75.0,
            RINSE_AND_SPIN | SPIN_ONLY | DRY => 0.0,
            _ => 50.0,
        } * load;
        let rinse = 12.0 * (self.rinses + i64::from(self.options[1])) as f64;
        let spin = if self.spin == 0 { 1.0 } else { 8.0 };
        let mut p = vec![(PREPARING, 0.5)];
        match machine.mode {
            SPIN_ONLY => p.extend([(DRAINING, 2.0), (SPIN, spin)]),
            DRY => p.extend([(DRYING, 90.0 * load), (COOL_DOWN, 10.0)]),
            RINSE_AND_SPIN => p.extend([
                (FILLING, 3.0),
                (RINSE, rinse),
                (DRAINING, 2.0),
                (SPIN, spin),
            ]),
            mode => {
                p.push((WEIGHING, 1.5));
                if self.options[0] {
                    p.extend([(FILLING, 3.0), (PRE_WASH, 15.0), (DRAINING, 2.0)]);
                }
                p.extend([
                    (FILLING, 4.0),
                    (WASH, wash),
                    (RINSE, rinse),
                    (DRAINING, 2.0),
                    (SPIN, spin),
                ]);
                if mode == WASH_AND_DRY {
                    p.extend([(DRYING, 90.0 * load), (COOL_DOWN, 10.0)]);
                }
            }
        }
        if self.options[2] {
            p.push((WASH, 10.0));
        }
        p.push((FINISHING, 1.0));
        plan(base, &p)
    }

    fn read(&self, path: &Path) -> Result<Value, StatusCode> {
        Ok(match (path.capability, path.member) {
            (cap::LAUNDRY_CONTROLS, laundry_controls::SPIN_SPEED) => Value::Int(self.spin),
            (cap::LAUNDRY_CONTROLS, laundry_controls::RINSES) => Value::Int(self.rinses),
            (cap::LAUNDRY_CONTROLS, m @ 3..=5) => self.options[usize::from(m - 3)].into(),
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => Value::Int(self.setpoint),
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::LAUNDRY_CONTROLS, laundry_controls::SPIN_SPEED) => self.spin = int(value)?,
            (cap::LAUNDRY_CONTROLS, laundry_controls::RINSES) => self.rinses = int(value)?,
            (cap::LAUNDRY_CONTROLS, m @ 3..=5) => {
                self.options[usize::from(m - 3)] = boolean(value)?
            }
            (cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT) => {
                self.setpoint = int(value)?
            }
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn tick(&mut self, machine: &mut Machine, base: &mut Base, dt: Duration) {
        if machine.cycle.running() {
            let rate = match machine.cycle.phase() {
                Some(FILLING) => 1.5,
                Some(RINSE) | Some(PRE_WASH) => 0.25,
                _ => 0.0,
            };
            let load = 0.6 + f64::from(self.laundry_g.min(10_000)) / 10_000.0;
            base.water_dl += rate * load * dt.as_secs_f64();
        }
        machine.cycle.tick(dt, base);
    }

    fn power(&self, machine: &Machine, _base: &Base) -> u32 {
        if let Some(standby) = machine.standby_power() {
            return standby;
        }
        match machine.cycle.phase() {
            Some(WASH) if self.setpoint >= 4000 => 1900,
            Some(WASH) | Some(RINSE) | Some(PRE_WASH) => 180,
            Some(SPIN) => 250 + (self.spin / 8) as u32,
            Some(DRYING) => 1700,
            Some(_) => 40,
            None => 1,
        }
    }

    fn control(&mut self, machine: &Machine, control: &Control) -> Option<Controlled> {
        let load = match control {
            Control::LoadLaundry { grams } => self.laundry_g.saturating_add(*grams).min(12_000),
            Control::UnloadLaundry => 0,
            _ => return None,
        };
        if machine.locked() {
            return Some(Err(ControlError::Refused("the door is locked".into())));
        }
        self.laundry_g = load;
        Some(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;
    use hearth_model::ids::delayed_start;
    use hearth_model::ids::device_type::washing_machine::fault;

    #[test]
    fn washes_through_its_phases_and_completes() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Aurora);
        s.control(&Control::LoadLaundry { grams: 5000 })
            .expect("laundry");
        s.write(&MODE, &Value::Int(QUICK.into())).expect("quick");
        refuses(&mut s, &PAUSE);
        door(&mut s, 0, true);
        refuses(&mut s, &START);
        door(&mut s, 0, false);
        let water = s.read(&WATER).expect("water").as_int();
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.read(&STATE), Ok(Value::Int(1)));
        assert_eq!(
            s.read(&Path::new(0, cap::DOOR, door::LOCKED)),
            Ok(Value::Bool(true))
        );
        assert!(s.control(&Control::OpenDoor { component: 0 }).is_err());
        assert_eq!(
            s.write(&MODE, &Value::Int(COTTON.into())),
            Err(StatusCode::InvalidInState)
        );
        refuses(&mut s, &START);
        let mut seen = vec![1];
        let mut last_remaining = i64::MAX;
        for _ in 0..200 {
            s.tick(Duration::from_secs(30));
            if let Ok(Value::Int(p)) = s.read(&PHASE) {
                if seen.last() != Some(&p) {
                    seen.push(p);
                }
            }
            if let Ok(Value::Int(r)) = s.read(&REMAINING) {
                assert!(r <= last_remaining);
                last_remaining = r;
            }
        }
        assert_eq!(s.read(&STATE), Ok(Value::Int(5)), "completed");
        assert_eq!(
            seen,
            [1, WEIGHING, FILLING, WASH, RINSE, DRAINING, SPIN, 2].map(i64::from)
        );
        assert!(s.read(&WATER).expect("water").as_int() > water);
        let events = s.take_events();
        let done = events.last().expect("completed");
        assert_eq!(
            done.0,
            Path::new(
                0,
                cap::OPERATIONAL_STATE,
                operational_state::OPERATION_COMPLETED
            )
        );
        assert_eq!(done.1.field(1), Some(&Value::Bool(false)));
        assert_eq!(
            s.read(&Path::new(0, cap::DOOR, door::LOCKED)),
            Ok(Value::Bool(false))
        );
    }

    #[test]
    fn pause_resume_stop_and_a_fault() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Lotus);
        s.invoke(&START, &Value::Null).expect("start");
        run(&mut s, Duration::from_secs(60), 5);
        s.invoke(&PAUSE, &Value::Null).expect("pause");
        assert_eq!(s.read(&STATE), Ok(Value::Int(2)));
        let frozen = s.read(&REMAINING);
        run(&mut s, Duration::from_secs(60), 5);
        assert_eq!(s.read(&REMAINING), frozen);
        refuses(&mut s, &PAUSE);
        s.invoke(&RESUME, &Value::Null).expect("resume");
        s.control(&Control::RaiseFault {
            code: fault::MOTOR,
            component: None,
        })
        .expect("motor");
        assert_eq!(s.read(&STATE), Ok(Value::Int(3)));
        let events = s.take_events();
        assert!(events.iter().any(|(p, _)| *p
            == Path::new(
                0,
                cap::OPERATIONAL_STATE,
                operational_state::OPERATION_ERROR
            )));
        refuses(&mut s, &START);
        s.control(&Control::ClearFault { code: fault::MOTOR })
            .expect("fixed");
        assert_eq!(s.read(&STATE), Ok(Value::Int(0)));
        refuses(&mut s, &STOP);
        s.control(&Control::RemoteStart { enabled: false })
            .expect("consent");
        refuses(&mut s, &START);
    }

    #[test]
    fn delayed_start_and_finish_time() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Lotus);
        assert_eq!(
            s.write(
                &Path::new(0, cap::DELAYED_START, delayed_start::FINISH_DELAY),
                &Value::Int(600)
            ),
            Err(StatusCode::ConstraintError)
        );
        s.write(
            &Path::new(0, cap::DELAYED_START, delayed_start::FINISH_DELAY),
            &Value::Int(36_000),
        )
        .expect("finish in 10 h");
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.read(&STATE), Ok(Value::Int(4)));
        assert_eq!(s.read(&REMAINING), Ok(Value::Int(36_000)));
        run(&mut s, Duration::from_secs(600), 60);
        assert_eq!(s.read(&STATE), Ok(Value::Int(5)));
    }

    #[test]
    fn start_and_stop_only_on_a_basic_machine() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Kestrel);
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(
            s.read(&PHASE),
            Ok(Value::Int(FILLING.into())),
            "phases it does not declare are folded into the next one it does"
        );
        run(&mut s, Duration::from_secs(60), 3);
        s.invoke(&STOP, &Value::Null).expect("stop");
        assert_eq!(s.read(&STATE), Ok(Value::Int(0)));
        assert_eq!(s.read(&PHASE), Ok(Value::Null));
    }
}
