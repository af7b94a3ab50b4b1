//! Washing machine: programmes walking through weighing, filling, washing, rinsing,
//! draining and spinning with the remaining time, the door locked during the cycle, water
//! and energy counted as they are used.
//!
//! Aurora: a front-loader with pause, delayed start, steam and a vendor "Sportswear"
//! programme. Kestrel: a top-loader with four programmes, start and stop only. Lotus: a
//! washer-dryer with remote-start consent, finish-time delay, drying phases and two vendor
//! programmes.

use std::time::Duration;

use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::cycle::{plan, Machine, Programmes, FINISHING, PREPARING};
use super::{boolean, cap, common, component, declared_range, inst, int, modes, Base, InstExt};
use crate::brand::{Brand, BrandId};
use crate::control::{Control, ControlError};
use hearth_model::EnumEntry;

const COTTON: u16 = 0x0901;
const ECO: u16 = 0x0902;
const SYNTHETICS: u16 = 0x0903;
const MIXED: u16 = 0x0904;
const DELICATES: u16 = 0x0905;
const WOOL: u16 = 0x0906;
const QUICK: u16 = 0x0907;
const BEDDING: u16 = 0x0908;
const WHITES: u16 = 0x0909;
const HYGIENE: u16 = 0x090A;
const RINSE_SPIN: u16 = 0x090B;
const SPIN_ONLY: u16 = 0x090C;
const DRY: u16 = 0x090E;
const WASH_DRY: u16 = 0x090F;

const WEIGHING: u16 = 0x0901;
const FILLING: u16 = 0x0902;
const PRE_WASH: u16 = 0x0904;
const WASH: u16 = 0x0905;
const RINSE: u16 = 0x0906;
const DRAINING: u16 = 0x0907;
const SPIN: u16 = 0x0908;
const DRYING: u16 = 0x0909;
const COOL_DOWN: u16 = 0x090A;

fn phases(codes: &[u16]) -> Vec<EnumEntry> {
    codes.iter().map(|c| EnumEntry::standard(*c)).collect()
}

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let mut c = common(brand, &[]);
    match brand.id {
        BrandId::Aurora => c.extend([
            inst(cap::OPERATIONAL_STATE)
                .props(&[4, 5])
                .actions(&[2, 3])
                .values(
                    2,
                    phases(&[
                        PREPARING, WEIGHING, FILLING, PRE_WASH, WASH, RINSE, DRAINING, SPIN,
                        FINISHING,
                    ]),
                ),
            inst(cap::MODE).values(
                1,
                modes(
                    &[COTTON, ECO, SYNTHETICS, DELICATES, WOOL, QUICK],
                    &[(0x8001, "Sportswear", &[24])],
                ),
            ),
            inst(cap::ON_OFF),
            inst(cap::LAUNDRY)
                .props(&[2, 3, 5])
                .range(1, 0, 1400, Some(200))
                .range(2, 1, 4, None),
            inst(cap::TEMPERATURE_CONTROL).range(1, 2000, 9000, Some(1000)),
            inst(cap::DOOR).props(&[2]),
            inst(cap::DELAYED_START).max(1, 86_400, None),
            inst(cap::WATER),
            inst(cap::CHILD_LOCK),
            inst(cap::POWER).max(1, 2300, None),
            inst(cap::ENERGY),
        ]),
        BrandId::Kestrel => c.extend([
            inst(cap::OPERATIONAL_STATE).values(2, phases(&[FILLING, WASH, RINSE, DRAINING, SPIN])),
            inst(cap::MODE).values(1, modes(&[COTTON, QUICK, RINSE_SPIN, SPIN_ONLY], &[])),
            inst(cap::LAUNDRY).range(1, 400, 1000, Some(200)),
            inst(cap::DOOR),
            inst(cap::WATER),
            inst(cap::ENERGY),
        ]),
        BrandId::Lotus => c.extend([
            inst(cap::OPERATIONAL_STATE)
                .props(&[4, 5, 6])
                .actions(&[2, 3])
                .values(
                    2,
                    phases(&[
                        PREPARING, WEIGHING, FILLING, PRE_WASH, WASH, RINSE, DRAINING, SPIN,
                        DRYING, COOL_DOWN, FINISHING,
                    ]),
                ),
            inst(cap::MODE).values(
                1,
                modes(
                    &[
                        COTTON, ECO, SYNTHETICS, MIXED, DELICATES, WOOL, QUICK, BEDDING, WHITES,
                        HYGIENE, DRY, WASH_DRY,
                    ],
                    &[
                        (0x8001, "Allergy Care", &[27]),
                        (0x8002, "Outdoor Gear", &[24]),
                    ],
                ),
            ),
            inst(cap::ON_OFF),
            inst(cap::LAUNDRY)
                .props(&[2, 3, 4, 5])
                .range(1, 0, 1600, Some(100))
                .range(2, 1, 5, None),
            inst(cap::TEMPERATURE_CONTROL).range(1, 0, 9000, Some(500)),
            inst(cap::DOOR).props(&[2]),
            inst(cap::DELAYED_START)
                .props(&[2])
                .max(1, 86_400, None)
                .max(2, 86_400, None),
            inst(cap::WATER),
            inst(cap::CHILD_LOCK),
            inst(cap::POWER).max(1, 2500, None),
            inst(cap::ENERGY),
        ]),
    }
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
        let (_, spin_max, _) = declared_range(&base.description, 0, cap::LAUNDRY, 1);
        let (t_lo, _, _) = declared_range(&base.description, 0, cap::TEMPERATURE_CONTROL, 1);
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
            RINSE_SPIN | SPIN_ONLY | DRY => 0.0,
            _ => 50.0,
        } * load;
        let rinse = 12.0 * (self.rinses + i64::from(self.options[1])) as f64;
        let spin = if self.spin == 0 { 1.0 } else { 8.0 };
        let mut p = vec![(PREPARING, 0.5)];
        match machine.mode {
            SPIN_ONLY => p.extend([(DRAINING, 2.0), (SPIN, spin)]),
            DRY => p.extend([(DRYING, 90.0 * load), (COOL_DOWN, 10.0)]),
            RINSE_SPIN => p.extend([
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
                if mode == WASH_DRY {
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
            (cap::LAUNDRY, 1) => Value::Int(self.spin),
            (cap::LAUNDRY, 2) => Value::Int(self.rinses),
            (cap::LAUNDRY, m @ 3..=5) => self.options[usize::from(m - 3)].into(),
            (cap::TEMPERATURE_CONTROL, 1) => Value::Int(self.setpoint),
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::LAUNDRY, 1) => self.spin = int(value)?,
            (cap::LAUNDRY, 2) => self.rinses = int(value)?,
            (cap::LAUNDRY, m @ 3..=5) => self.options[usize::from(m - 3)] = boolean(value)?,
            (cap::TEMPERATURE_CONTROL, 1) => self.setpoint = int(value)?,
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

    fn control(
        &mut self,
        machine: &mut Machine,
        base: &mut Base,
        control: &Control,
    ) -> Result<(), ControlError> {
        match control {
            Control::LoadLaundry { grams } => {
                if machine.locked() {
                    return Err(ControlError::Refused("the door is locked".into()));
                }
                self.laundry_g = self.laundry_g.saturating_add(*grams).min(12_000);
                Ok(())
            }
            Control::UnloadLaundry => {
                if machine.locked() {
                    return Err(ControlError::Refused("the door is locked".into()));
                }
                self.laundry_g = 0;
                Ok(())
            }
            other => machine.control(other, base),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::{run, sim};
    use crate::appliance::DeviceKind;

    const STATE: Path = Path::new(0, cap::OPERATIONAL_STATE, 1);
    const PHASE: Path = Path::new(0, cap::OPERATIONAL_STATE, 2);
    const REMAINING: Path = Path::new(0, cap::OPERATIONAL_STATE, 3);
    const START: Path = Path::new(0, cap::OPERATIONAL_STATE, 1);
    const PAUSE: Path = Path::new(0, cap::OPERATIONAL_STATE, 2);
    const RESUME: Path = Path::new(0, cap::OPERATIONAL_STATE, 3);
    const STOP: Path = Path::new(0, cap::OPERATIONAL_STATE, 4);

    #[test]
    fn washes_through_its_phases_and_completes() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Aurora);
        s.control(&Control::LoadLaundry { grams: 5000 })
            .expect("laundry");
        s.write(&Path::new(0, cap::MODE, 1), &Value::Int(QUICK.into()))
            .expect("quick");
        assert_eq!(
            s.invoke(&PAUSE, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
        s.control(&Control::OpenDoor { component: 0 })
            .expect("open");
        assert_eq!(
            s.invoke(&START, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
        s.control(&Control::CloseDoor { component: 0 })
            .expect("close");
        let water = s
            .read(&Path::new(0, cap::WATER, 1))
            .expect("water")
            .as_int();
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.read(&STATE), Ok(Value::Int(1)));
        assert_eq!(s.read(&Path::new(0, cap::DOOR, 2)), Ok(Value::Bool(true)));
        assert!(s.control(&Control::OpenDoor { component: 0 }).is_err());
        assert_eq!(
            s.write(&Path::new(0, cap::MODE, 1), &Value::Int(COTTON.into())),
            Err(StatusCode::InvalidInState)
        );
        assert_eq!(
            s.invoke(&START, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
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
        assert!(
            s.read(&Path::new(0, cap::WATER, 1))
                .expect("water")
                .as_int()
                > water
        );
        let events = s.take_events();
        let done = events.last().expect("completed");
        assert_eq!(done.0, Path::new(0, cap::OPERATIONAL_STATE, 1));
        assert_eq!(done.1.field(1), Some(&Value::Bool(false)));
        assert_eq!(s.read(&Path::new(0, cap::DOOR, 2)), Ok(Value::Bool(false)));
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
        assert_eq!(
            s.invoke(&PAUSE, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
        s.invoke(&RESUME, &Value::Null).expect("resume");
        s.control(&Control::RaiseFault {
            code: 0x0905,
            component: None,
        })
        .expect("motor");
        assert_eq!(s.read(&STATE), Ok(Value::Int(3)));
        let events = s.take_events();
        assert!(events
            .iter()
            .any(|(p, _)| *p == Path::new(0, cap::OPERATIONAL_STATE, 2)));
        assert_eq!(
            s.invoke(&START, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
        s.control(&Control::ClearFault { code: 0x0905 })
            .expect("fixed");
        assert_eq!(s.read(&STATE), Ok(Value::Int(0)));
        assert_eq!(
            s.invoke(&STOP, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
        s.control(&Control::RemoteStart { enabled: false })
            .expect("consent");
        assert_eq!(
            s.invoke(&START, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
    }

    #[test]
    fn delayed_start_and_finish_time() {
        let mut s = sim(DeviceKind::WashingMachine, BrandId::Lotus);
        assert_eq!(
            s.write(&Path::new(0, cap::DELAYED_START, 2), &Value::Int(600)),
            Err(StatusCode::ConstraintError)
        );
        s.write(&Path::new(0, cap::DELAYED_START, 2), &Value::Int(36_000))
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
