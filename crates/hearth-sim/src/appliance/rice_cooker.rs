//! Rice cooker: soaking, heating, boiling and steaming with the remaining time, the pot's
//! temperature following each phase, then keeping warm.
//!
//! Aurora: five programmes, a lid sensor, finish-time delay and a pot sensor. Kestrel: three
//! programmes, start and stop, keep warm. Lotus: every programme plus a vendor "GABA Rice",
//! pause, progress and a child lock.

use std::time::Duration;

use hearth_model::ids::device_type::rice_cooker::mode::{
    BROWN_RICE, CAKE, KEEP_WARM_ONLY, PORRIDGE, QUICK_RICE, REHEAT, SOUP, STEAM, WHITE_RICE,
};
use hearth_model::ids::device_type::rice_cooker::phase::{
    BOILING, HEATING, KEEP_WARM, SOAKING, STEAMING,
};
use hearth_model::ids::enums::mode_tag;
use hearth_model::ids::{cap, keep_warm, operational_state, temperature_measurement};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::cycle::{plan, Machine, OpState, Programmes};
use super::declare::*;
use super::{approach, boolean, secs, temperature, Base};
use crate::brand::{Brand, BrandId};

const GABA: u16 = 0x8001;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let phases = [SOAKING, HEATING, BOILING, STEAMING, KEEP_WARM];
    let mut c = common(brand, &[]);
    c.extend(match brand.id {
        BrandId::Aurora => vec![
            run_cycle(&phases),
            modes(&[WHITE_RICE, QUICK_RICE, BROWN_RICE, PORRIDGE, STEAM], &[]),
            inst(cap::KEEP_WARM).props(&[keep_warm::KEEP_WARM_TIME]),
            inst(cap::DOOR),
            delayed(46_800, true),
            thermometer(),
            power(1200),
        ],
        BrandId::Kestrel => vec![
            run_cycle(&[]),
            modes(&[WHITE_RICE, QUICK_RICE, PORRIDGE], &[]),
            inst(cap::KEEP_WARM),
        ],
        BrandId::Lotus => vec![
            run_cycle(&phases)
                .props(&[operational_state::PROGRESS])
                .actions(&PAUSE_RESUME),
            modes(
                &[
                    WHITE_RICE,
                    QUICK_RICE,
                    BROWN_RICE,
                    PORRIDGE,
                    STEAM,
                    SOUP,
                    CAKE,
                    KEEP_WARM_ONLY,
                    REHEAT,
                ],
                &[programme(GABA, "GABA Rice", &[mode_tag::HEAVY])],
            ),
            inst(cap::ON_OFF),
            inst(cap::KEEP_WARM).props(&[keep_warm::KEEP_WARM_TIME]),
            inst(cap::DOOR),
            delayed(86_400, false),
            thermometer(),
            inst(cap::CHILD_LOCK),
            power(1400),
        ],
    });
    if brand.id != BrandId::Kestrel {
        c.push(energy());
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
    fn programme(&self, machine: &Machine, base: &Base) -> Vec<(u16, Duration)> {
        let p: &[(u16, f64)] = match machine.mode {
            QUICK_RICE => &[(HEATING, 8.0), (BOILING, 12.0), (STEAMING, 8.0)],
            BROWN_RICE | GABA => &[
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
            (cap::KEEP_WARM, keep_warm::AUTO_KEEP_WARM) => self.auto_keep_warm.into(),
            (cap::KEEP_WARM, keep_warm::KEEP_WARM_TIME) => {
                secs(self.kept_warm.min(Duration::from_secs(604_800)))
            }
            (cap::TEMPERATURE_MEASUREMENT, temperature_measurement::TEMPERATURE) => {
                temperature(self.pot, 100)
            }
            _ => return Err(StatusCode::UnsupportedProperty),
        })
    }

    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        match (path.capability, path.member) {
            (cap::KEEP_WARM, keep_warm::AUTO_KEEP_WARM) => self.auto_keep_warm = boolean(value)?,
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
    use crate::appliance::tests::prelude::*;

    #[test]
    fn cooks_then_keeps_warm() {
        let mut s = sim(DeviceKind::RiceCooker, BrandId::Aurora);
        start_once_the_door_closes(&mut s);
        assert_eq!(s.read(&PHASE), Ok(Value::Int(SOAKING.into())));
        run(&mut s, Duration::from_secs(60), 30);
        assert_eq!(s.read(&PHASE), Ok(Value::Int(BOILING.into())));
        let hot = s.read(&temperature_at(0)).expect("t").as_int();
        assert!(hot > Some(8500), "{hot:?}");
        run(&mut s, Duration::from_secs(60), 40);
        assert_eq!(s.read(&STATE), Ok(Value::Int(5)));
        assert!(
            s.read(&Path::new(0, cap::KEEP_WARM, keep_warm::KEEP_WARM_TIME))
                .expect("kw")
                .as_int()
                > Some(0)
        );
    }
}
