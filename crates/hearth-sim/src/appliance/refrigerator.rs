//! Refrigerator: compartments that hold their temperature, doors, door alarms.
//!
//! Aurora builds a fridge-freezer with door alarms and a super-cool mode; Kestrel a larder
//! fridge with one door and no alarm; Lotus a three-zone model with a flex drawer, a vendor
//! "Fresh Guard" programme and finer steps.

use std::time::Duration;

use hearth_model::ids::device_type::refrigerator::mode::{
    ECO, NORMAL, SUPER_COOL, SUPER_FREEZE, VACATION,
};
use hearth_model::ids::enums::mode_tag;
use hearth_model::ids::{cap, door, mode, temperature_control};
use hearth_model::{ComponentDescription, Path, StatusCode, Value};

use super::compartment::Compartment;
use super::{common, component, inst, modes, Appliance, Base, InstExt};
use crate::brand::{Brand, BrandId};
use crate::control::{Control, ControlError};

/// The description's components for a brand.
pub fn describe(brand: &Brand) -> Vec<ComponentDescription> {
    let door_alarm = |lo, hi, step| {
        inst(cap::DOOR)
            .props(&[door::ALARM, door::ALARM_DELAY])
            .events(&[door::DOOR_ALARM, door::DOOR_ALARM_CLEARED])
            .range(door::ALARM_DELAY, lo, hi, Some(step))
    };
    match brand.id {
        BrandId::Aurora => vec![
            component(
                0,
                "Kitchen",
                common(
                    brand,
                    &[
                        cap::CHILD_LOCK,
                        cap::POWER_MEASUREMENT,
                        cap::ENERGY_MEASUREMENT,
                    ],
                ),
            ),
            component(
                1,
                "Fridge",
                vec![
                    inst(cap::TEMPERATURE_CONTROL).range(
                        temperature_control::SETPOINT,
                        200,
                        800,
                        Some(100),
                    ),
                    inst(cap::TEMPERATURE_MEASUREMENT),
                    door_alarm(60, 300, 60),
                    inst(cap::MODE)
                        .values(mode::CURRENT_MODE, modes(&[NORMAL, SUPER_COOL, ECO], &[])),
                ],
            ),
            component(
                2,
                "Freezer",
                vec![
                    inst(cap::TEMPERATURE_CONTROL).range(
                        temperature_control::SETPOINT,
                        -2400,
                        -1600,
                        Some(100),
                    ),
                    inst(cap::TEMPERATURE_MEASUREMENT),
                    door_alarm(60, 300, 60),
                    inst(cap::MODE).values(mode::CURRENT_MODE, modes(&[NORMAL, SUPER_FREEZE], &[])),
                ],
            ),
        ],
        BrandId::Kestrel => vec![
            component(0, "Pantry", common(brand, &[cap::ENERGY_MEASUREMENT])),
            component(
                1,
                "Fridge",
                vec![
                    inst(cap::TEMPERATURE_CONTROL).range(
                        temperature_control::SETPOINT,
                        100,
                        700,
                        Some(100),
                    ),
                    inst(cap::TEMPERATURE_MEASUREMENT),
                    inst(cap::DOOR),
                ],
            ),
        ],
        BrandId::Lotus => vec![
            component(
                0,
                "Kitchen",
                common(
                    brand,
                    &[
                        cap::CHILD_LOCK,
                        cap::POWER_MEASUREMENT,
                        cap::ENERGY_MEASUREMENT,
                    ],
                ),
            ),
            component(
                1,
                "Fridge",
                vec![
                    inst(cap::TEMPERATURE_CONTROL).range(
                        temperature_control::SETPOINT,
                        0,
                        1000,
                        Some(50),
                    ),
                    inst(cap::TEMPERATURE_MEASUREMENT),
                    door_alarm(30, 600, 30),
                    inst(cap::MODE).values(
                        mode::CURRENT_MODE,
                        modes(
                            &[NORMAL, SUPER_COOL, ECO, VACATION],
                            &[(
                                0x8001,
                                "Fresh Guard",
                                &[mode_tag::AUTO, mode_tag::LOW_ENERGY],
                            )],
                        ),
                    ),
                ],
            ),
            component(
                2,
                "Freezer",
                vec![
                    inst(cap::TEMPERATURE_CONTROL).range(
                        temperature_control::SETPOINT,
                        -2600,
                        -1400,
                        Some(50),
                    ),
                    inst(cap::TEMPERATURE_MEASUREMENT),
                    door_alarm(30, 600, 30),
                    inst(cap::MODE).values(mode::CURRENT_MODE, modes(&[NORMAL, SUPER_FREEZE], &[])),
                ],
            ),
            component(
                3,
                "Flex drawer",
                vec![
                    inst(cap::TEMPERATURE_CONTROL).range(
                        temperature_control::SETPOINT,
                        -2000,
                        500,
                        Some(100),
                    ),
                    inst(cap::TEMPERATURE_MEASUREMENT),
                    inst(cap::DOOR)
                        .props(&[door::ALARM])
                        .events(&[door::DOOR_ALARM, door::DOOR_ALARM_CLEARED]),
                ],
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
) -> Result<(), ControlError> {
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

    fn control(&mut self, base: &mut Base, control: &Control) -> Result<(), ControlError> {
        door_control(&mut self.compartments, base, control, &mut self.ambient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appliance::tests::{assert_valid, run, sim};
    use crate::appliance::DeviceKind;
    use hearth_model::ids::temperature_measurement;

    #[test]
    fn holds_temperature_and_raises_the_door_alarm() {
        let mut s = sim(DeviceKind::Refrigerator, BrandId::Aurora);
        let temp = Path::new(
            1,
            cap::TEMPERATURE_MEASUREMENT,
            temperature_measurement::TEMPERATURE,
        );
        run(&mut s, Duration::from_secs(60), 120);
        let t = s.read(&temp).expect("temp").as_int().expect("int");
        assert!((t - 500).abs() <= 150, "fridge at {t}");
        s.write(
            &Path::new(1, cap::DOOR, door::ALARM_DELAY),
            &Value::Int(120),
        )
        .expect("delay");
        s.control(&Control::OpenDoor { component: 1 })
            .expect("open");
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
        let warm = s.read(&temp).expect("temp").as_int().expect("int");
        assert!(warm > t, "the open door lets warm air in: {warm} <= {t}");
        s.control(&Control::CloseDoor { component: 1 })
            .expect("close");
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
        s.control(&Control::OpenDoor { component: 0 })
            .expect("open");
        run(&mut s, Duration::from_secs(600), 3);
        assert!(s.take_events().is_empty());
    }
}
