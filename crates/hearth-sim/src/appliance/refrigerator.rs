//! Refrigerator: compartments that hold their temperature, doors, door alarms.
//!
//! Aurora builds a fridge-freezer with door alarms and a super-cool mode; Kestrel a larder
//! fridge with one door and no alarm; Lotus a three-zone model with a flex drawer, a vendor
//! "Fresh Guard" programme and finer steps.

use std::time::Duration;

use hearth_model::ids::cap;
use hearth_model::ids::device_type::refrigerator::mode::{
    ECO, NORMAL, SUPER_COOL, SUPER_FREEZE, VACATION,
};
use hearth_model::ids::enums::mode_tag;
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::compartment::{cooled, Compartment};
use super::declare::*;
use super::{Appliance, Base, Controlled};
use crate::brand::{Brand, BrandId};
use crate::control::Control;

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let kitchen = |label| {
        let meters = [
            cap::CHILD_LOCK,
            cap::POWER_MEASUREMENT,
            cap::ENERGY_MEASUREMENT,
        ];
        component(0, label, common(brand, &meters))
    };
    let fridge = |range: (i64, i64, u64), door, own_modes| {
        let mut caps = cooled(range, door);
        caps.extend(own_modes);
        component(1, "Fridge", caps)
    };
    let freezer = |range, door| {
        let mut caps = cooled(range, door);
        caps.push(modes(&[NORMAL, SUPER_FREEZE], &[]));
        component(2, "Freezer", caps)
    };
    match brand.id {
        BrandId::Aurora => vec![
            kitchen("Kitchen"),
            fridge(
                (200, 800, 100),
                door_alarm(Some((60, 300, 60))),
                Some(modes(&[NORMAL, SUPER_COOL, ECO], &[])),
            ),
            freezer((-2400, -1600, 100), door_alarm(Some((60, 300, 60)))),
        ],
        BrandId::Kestrel => vec![
            component(0, "Pantry", common(brand, &[cap::ENERGY_MEASUREMENT])),
            fridge((100, 700, 100), inst(cap::DOOR), None),
        ],
        BrandId::Lotus => vec![
            kitchen("Kitchen"),
            fridge(
                (0, 1000, 50),
                door_alarm(Some((30, 600, 30))),
                Some(modes(
                    &[NORMAL, SUPER_COOL, ECO, VACATION],
                    &[programme(
                        0x8001,
                        "Fresh Guard",
                        &[mode_tag::AUTO, mode_tag::LOW_ENERGY],
                    )],
                )),
            ),
            freezer((-2600, -1400, 50), door_alarm(Some((30, 600, 30)))),
            component(
                3,
                "Flex drawer",
                cooled((-2000, 500, 100), door_alarm(None)),
            ),
        ],
    }
}

/// A refrigerator.
#[derive(Debug)]
pub struct Refrigerator {
    /// Its compartments.
    pub compartments: Vec<Compartment>,
    /// Kitchen temperature in 0.01 °C.
    pub ambient: f64,
}

impl Refrigerator {
    /// A refrigerator at its setpoints.
    pub fn new(base: &Base) -> Self {
        let resolution = if base.brand.id == BrandId::Kestrel {
            100
        } else {
            10
        };
        let compartments = base
            .description
            .components
            .iter()
            .filter(|c| c.id != 0)
            .map(|c| Compartment::new(c.id, base, resolution))
            .collect();
        Self {
            compartments,
            ambient: 2200.0,
        }
    }

    fn compartment(&self, id: u16) -> Result<&Compartment, StatusCode> {
        self.compartments
            .iter()
            .find(|c| c.id == id)
            .ok_or(StatusCode::UnsupportedComponent)
    }
}

/// Door controls shared by refrigerators and freezers.
pub(crate) fn door_control(
    compartments: &mut [Compartment],
    base: &mut Base,
    control: &Control,
    ambient: &mut f64,
) -> Controlled {
    let unsupported = || base.unsupported(control);
    match control {
        Control::OpenDoor { component } | Control::CloseDoor { component } => {
            // Component 0 means the first door.
            let c = compartments
                .iter_mut()
                .find(|c| c.id == *component || *component == 0)
                .ok_or_else(unsupported)?;
            if matches!(control, Control::OpenDoor { .. }) {
                c.open();
            } else {
                c.close(base);
            }
            Ok(())
        }
        Control::Ambient { centi_celsius } => {
            *ambient = *centi_celsius as f64;
            Ok(())
        }
        _ => Err(unsupported()),
    }
}

impl Appliance for Refrigerator {
    fn read(&self, _base: &Base, path: &Path) -> Result<Value, StatusCode> {
        self.compartment(path.component)?
            .read(path.capability, path.member)
            .ok_or(StatusCode::UnsupportedProperty)
    }

    fn write(&mut self, _base: &mut Base, path: &Path, value: &Value) -> Result<(), StatusCode> {
        self.compartment(path.component)?;
        let c = self
            .compartments
            .iter_mut()
            .find(|c| c.id == path.component)
            .ok_or(StatusCode::UnsupportedComponent)?;
        c.write(path.capability, path.member, value)
    }

    fn tick(&mut self, base: &mut Base, dt: Duration) {
        for c in &mut self.compartments {
            c.tick(dt, self.ambient, base);
        }
    }

    fn power(&self, _base: &Base) -> u32 {
        let cooling = self.compartments.iter().filter(|c| c.cooling).count() as u32;
        let lights = self.compartments.iter().filter(|c| c.door_open).count() as u32;
        3 + cooling * 60 + lights * 4
    }

    fn control(&mut self, base: &mut Base, control: &Control) -> Controlled {
        door_control(&mut self.compartments, base, control, &mut self.ambient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::prelude::*;
    use hearth_model::ids::door;

    #[test]
    fn holds_temperature_and_raises_the_door_alarm() {
        let mut s = sim(DeviceKind::Refrigerator, BrandId::Aurora);
        run(&mut s, Duration::from_secs(60), 120);
        let t = measured(&s, 1);
        assert!((t - 500).abs() <= 150, "fridge at {t}");
        s.write(
            &Path::new(1, cap::DOOR, door::ALARM_DELAY),
            &Value::Int(120),
        )
        .expect("delay");
        door(&mut s, 1, true);
        assert_eq!(
            s.read(&Path::new(1, cap::DOOR, door::OPEN)),
            Ok(Value::Bool(true))
        );
        s.tick(Duration::from_secs(60));
        assert!(s.take_events().is_empty());
        s.tick(Duration::from_secs(70));
        let events = s.take_events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, Path::new(1, cap::DOOR, door::DOOR_ALARM));
        assert_eq!(events[0].1.field(1), Some(&Value::Int(130)));
        assert_eq!(
            s.read(&Path::new(1, cap::DOOR, door::ALARM)),
            Ok(Value::Bool(true))
        );
        let warm = measured(&s, 1);
        assert!(warm > t, "the open door lets warm air in: {warm} <= {t}");
        door(&mut s, 1, false);
        let events = s.take_events();
        assert_eq!(
            events[0].0,
            Path::new(1, cap::DOOR, door::DOOR_ALARM_CLEARED)
        );
        assert_eq!(
            s.read(&Path::new(1, cap::DOOR, door::ALARM)),
            Ok(Value::Bool(false))
        );
        assert_valid(&mut s);
    }

    #[test]
    fn a_door_without_alarm_raises_none() {
        let mut s = sim(DeviceKind::Refrigerator, BrandId::Kestrel);
        door(&mut s, 0, true);
        run(&mut s, Duration::from_secs(600), 3);
        assert!(s.take_events().is_empty());
    }
}
