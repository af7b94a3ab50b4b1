//! Rice cooker: soaking, heating, boiling and steaming with the remaining time, the pot's
//! temperature following each phase, then keeping warm.
//!
//! Aurora: five programmes, a lid sensor, finish-time delay and a pot sensor. Kestrel: three
//! programmes, start and stop, keep warm. Lotus: every programme plus a vendor "GABA Rice",
//! pause, progress and a child lock.

use std::time::Duration;

use hearth_model::{ComponentDescription, EnumEntry, Path, StatusCode, Value};

use super::cycle::{plan, Machine, OpState, Programmes};
use super::{
    approach, boolean, cap, common, component, inst, modes, secs, temperature, Base, InstExt,
};
use crate::brand::{Brand, BrandId};

const WHITE: u16 = 0x0401;
const QUICK: u16 = 0x0402;
const BROWN: u16 = 0x0403;
const PORRIDGE: u16 = 0x0404;
const STEAM: u16 = 0x0405;
const SOUP: u16 = 0x0406;
const CAKE: u16 = 0x0407;
const KEEP_WARM_ONLY: u16 = 0x0408;
const REHEAT: u16 = 0x0409;
const GABA: u16 = 0x8001;

const SOAKING: u16 = 0x0401;
const HEATING: u16 = 0x0402;
const BOILING: u16 = 0x0403;
const STEAMING: u16 = 0x0404;
const KEEP_WARM: u16 = 0x0405;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let phases: Vec<EnumEntry> = [SOAKING, HEATING, BOILING, STEAMING, KEEP_WARM]
        .iter()
        .map(|c| EnumEntry::standard(*c))
        .collect();
    let mut c = common(brand, &[]);
    match brand.id {
        BrandId::Aurora => c.extend([
            inst(cap::OPERATIONAL_STATE).values(2, phases),
            inst(cap::MODE).values(1, modes(&[WHITE, QUICK, BROWN, PORRIDGE, STEAM], &[])),
            inst(cap::KEEP_WARM).props(&[2]),
            inst(cap::DOOR),
            inst(cap::DELAYED_START)
                .props(&[2])
                .max(1, 46_800, None)
                .max(2, 46_800, None),
            inst(cap::TEMPERATURE),
            inst(cap::POWER).max(1, 1200, None),
            inst(cap::ENERGY),
        ]),
        BrandId::Kestrel => c.extend([
            inst(cap::OPERATIONAL_STATE),
            inst(cap::MODE).values(1, modes(&[WHITE, QUICK, PORRIDGE], &[])),
            inst(cap::KEEP_WARM),
        ]),
        BrandId::Lotus => c.extend([
            inst(cap::OPERATIONAL_STATE)
                .props(&[5])
                .actions(&[2, 3])
                .values(2, phases),
            inst(cap::MODE).values(
                1,
                modes(
                    &[
                        WHITE,
                        QUICK,
                        BROWN,
                        PORRIDGE,
                        STEAM,
                        SOUP,
                        CAKE,
                        KEEP_WARM_ONLY,
                        REHEAT,
                    ],
                    &[(GABA, "GABA Rice", &[19])],
                ),
            ),
            inst(cap::ON_OFF),
            inst(cap::KEEP_WARM).props(&[2]),
            inst(cap::DOOR),
            inst(cap::DELAYED_START).max(1, 86_400, None),
            inst(cap::TEMPERATURE),
            inst(cap::CHILD_LOCK),
            inst(cap::POWER).max(1, 1400, None),
            inst(cap::ENERGY),
        ]),
    }
    vec![component(0, "Kitchen", c)]
}

/// A rice cooker's own part: keep-warm and the pot.
#[derive(Debug)]
pub struct RiceCooker {
    /// Keep warm after cooking.
    pub auto_keep_warm: bool,
    /// How long the rice has been kept warm.
    pub kept_warm: Duration,
    /// Pot temperature in 0.01 °C.
    pub pot: f64,
}

impl RiceCooker {
    /// A cold cooker that keeps warm after cooking.
    pub fn new(_base: &Base) -> Self {
        Self {
            auto_keep_warm: true,
            kept_warm: Duration::ZERO,
            pot: 2400.0,
        }
    }

    fn keeping_warm(&self, machine: &Machine) -> bool {
        machine.cycle.state() == OpState::Completed && self.auto_keep_warm
    }
}

impl Programmes for RiceCooker {
    const SETTINGS_DURING_CYCLE: bool = true;

    fn programme(&self, machine: &Machine, base: &Base) -> Vec<(u16, Duration)> {
        let p: &[(u16, f64)] = match machine.mode {
            QUICK => &[(HEATING, 8.0), (BOILING, 12.0), (STEAMING, 8.0)],
            BROWN | GABA => &[
                (SOAKING, 60.0),
                (HEATING, 15.0),
                (BOILING, 25.0),
                (STEAMING, 15.0),
            ],
            PORRIDGE | SOUP => &[(SOAKING, 10.0), (HEATING, 15.0), (BOILING, 60.0)],
            STEAM => &[(HEATING, 5.0), (STEAMING, 25.0)],
            CAKE => &[(HEATING, 45.0), (STEAMING, 5.0)],
            KEEP_WARM_ONLY => &[(KEEP_WARM, 720.0)],
            REHEAT => &[(HEATING, 10.0), (STEAMING, 5.0)],
            _ => &[
                (SOAKING, 20.0),
                (HEATING, 10.0),
                (BOILING, 15.0),
                (STEAMING, 12.0),
            ],
        };
        plan(base, p)
    }

    fn read(&self, path: &Path) -> Result<Value, StatusCode> {
        Ok(match (path.capability, path.member) {
            (cap::KEEP_WARM, 1) => self.auto_keep_warm.into(),
            (cap::KEEP_WARM, 2) => secs(self.kept_warm.min(Duration::from_secs(604_800))),
            (cap::TEMPERATURE, 1) => temperature(self.pot, 100),
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::KEEP_WARM, 1) => self.auto_keep_warm = boolean(value)?,
            _ => return Err(StatusCode::ReadOnly),
        }
        Ok(())
    }

    fn started(&mut self) {
        self.kept_warm = Duration::ZERO;
    }

    fn tick(&mut self, machine: &mut Machine, base: &mut Base, dt: Duration) {
        machine.cycle.tick(dt, base);
        if self.keeping_warm(machine) {
            self.kept_warm += dt;
        } else if machine.cycle.state() != OpState::Completed {
            self.kept_warm = Duration::ZERO;
        }
        let target = if machine.cycle.running() {
            match machine.cycle.phase() {
                Some(SOAKING) => 4500.0,
                Some(HEATING) => 9000.0,
                Some(BOILING) => 10_000.0,
                Some(STEAMING) => 9800.0,
                _ => 7000.0,
            }
        } else if self.keeping_warm(machine) {
            7000.0
        } else {
            2400.0
        };
        self.pot = approach(self.pot, target, dt, Duration::from_secs(240));
    }

    fn power(&self, machine: &Machine, _base: &Base) -> u32 {
        if !machine.on {
            return 0;
        }
        match (machine.cycle.running(), machine.cycle.phase()) {
            (true, Some(SOAKING)) => 120,
            (true, Some(KEEP_WARM)) => 45,
            (true, _) => 950,
            (false, _) if self.keeping_warm(machine) => 45,
            _ => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::{run, sim};
    use crate::appliance::DeviceKind;
    use crate::control::Control;

    const STATE: Path = Path::new(0, cap::OPERATIONAL_STATE, 1);
    const PHASE: Path = Path::new(0, cap::OPERATIONAL_STATE, 2);
    const START: Path = Path::new(0, cap::OPERATIONAL_STATE, 1);

    #[test]
    fn cooks_then_keeps_warm() {
        let mut s = sim(DeviceKind::RiceCooker, BrandId::Aurora);
        s.control(&Control::OpenDoor { component: 0 }).expect("lid");
        assert_eq!(
            s.invoke(&START, &Value::Null),
            Err(StatusCode::InvalidInState)
        );
        s.control(&Control::CloseDoor { component: 0 })
            .expect("lid");
        s.invoke(&START, &Value::Null).expect("start");
        assert_eq!(s.read(&PHASE), Ok(Value::Int(SOAKING.into())));
        run(&mut s, Duration::from_secs(60), 30);
        assert_eq!(s.read(&PHASE), Ok(Value::Int(BOILING.into())));
        let hot = s
            .read(&Path::new(0, cap::TEMPERATURE, 1))
            .expect("t")
            .as_int();
        assert!(hot > Some(8500), "{hot:?}");
        run(&mut s, Duration::from_secs(60), 40);
        assert_eq!(s.read(&STATE), Ok(Value::Int(5)));
        assert!(
            s.read(&Path::new(0, cap::KEEP_WARM, 2))
                .expect("kw")
                .as_int()
                > Some(0)
        );
    }
}
