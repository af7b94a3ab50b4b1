//! Freezer: one frozen compartment holding its temperature, a lid or door and its alarm.
//!
//! Aurora: an upright freezer with a settable alarm delay and super-freeze. Kestrel: a chest
//! freezer with a fixed two-minute alarm. Lotus: a wide range in half-degree steps, an eco
//! mode and a vendor "Ice Boost" programme.

use std::time::Duration;

use hearth_model::ids::cap;
use hearth_model::ids::device_type::freezer::mode::{ECO, NORMAL, SUPER_FREEZE};
use hearth_model::ids::enums::mode_tag;
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::compartment::{cooled, Compartment};
use super::declare::*;
use super::refrigerator::door_control;
use super::{Appliance, Base, Controlled};
use crate::brand::{Brand, BrandId};
use crate::control::Control;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let (extras, mut compartment): (&[u16], _) = match brand.id {
        BrandId::Aurora => (
            &[cap::POWER_MEASUREMENT, cap::ENERGY_MEASUREMENT],
            cooled((-2600, -1600, 100), door_alarm(Some((60, 600, 60)))),
        ),
        BrandId::Kestrel => (
            &[cap::ENERGY_MEASUREMENT],
            cooled((-2400, -1600, 100), door_alarm(None)),
        ),
        BrandId::Lotus => (
            &[
                cap::CHILD_LOCK,
                cap::POWER_MEASUREMENT,
                cap::ENERGY_MEASUREMENT,
            ],
            cooled((-3000, -1200, 50), door_alarm(Some((30, 900, 30)))),
        ),
    };
    compartment.extend(match brand.id {
        BrandId::Aurora => Some(modes(&[NORMAL, SUPER_FREEZE], &[])),
        BrandId::Kestrel => None,
        BrandId::Lotus => Some(modes(
            &[NORMAL, SUPER_FREEZE, ECO],
            &[programme(0x8001, "Ice Boost", &[mode_tag::MAX])],
        )),
    });
    vec![
        component(0, "Garage", common(brand, extras)),
        component(1, "Freezer", compartment),
    ]
}

/// A freezer.
#[derive(Debug)]
pub struct Freezer {
    /// The compartment (component 1).
    pub compartment: Compartment,
    /// Surrounding temperature in 0.01 °C.
    pub ambient: f64,
}

impl Freezer {
    /// A freezer at its setpoint.
    pub fn new(base: &Base) -> Self {
        Self {
            compartment: Compartment::new(1, base, 10),
            ambient: 1800.0,
        }
    }
}

impl Appliance for Freezer {
    fn read(&self, _base: &Base, path: &Path) -> Result<Value, StatusCode> {
        if path.component != 1 {
            return Err(StatusCode::UnsupportedProperty);
        }
        self.compartment
            .read(path.capability, path.member)
            .ok_or(StatusCode::UnsupportedProperty)
    }

    fn write(&mut self, _base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode> {
        if path.component != 1 {
            return Err(StatusCode::UnsupportedProperty);
        }
        self.compartment.write(path.capability, path.member, value)
    }

    fn tick(&mut self, base: &mut Base, dt: Duration) {
        self.compartment.tick(dt, self.ambient, base);
    }

    fn power(&self, _base: &Base) -> u32 {
        if self.compartment.cooling {
            85
        } else {
            2
        }
    }

    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        door_control(
            std::slice::from_mut(&mut self.compartment),
            base,
            control,
            &mut self.ambient,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;

    #[test]
    fn recovers_its_setpoint_after_the_door_was_open() {
        let mut s = sim(DeviceKind::Freezer, BrandId::Kestrel);
        door(&mut s, 1, true);
        run(&mut s, Duration::from_secs(30), 10);
        let events = s.take_events();
        assert_eq!(events.len(), 1, "door alarm after the fixed 120 s");
        let warm = measured(&s, 1);
        door(&mut s, 1, false);
        run(&mut s, Duration::from_secs(60), 240);
        let cold = measured(&s, 1);
        assert!(cold < warm, "{cold} < {warm}");
        assert!((cold + 2000).abs() <= 200, "back near -20 °C: {cold}");
    }
}
