//! The simulator's own control surface: what a person at the appliance would do.
//!
//! This is not the protocol. Opening a door, putting laundry in, drawing hot water, a part
//! failing: these happen to an appliance from the outside world, and a test (or a person at
//! `hearth sim`'s prompt) makes them happen through [`Control`]. The appliance reacts as it
//! would in a kitchen: the change is reported, events are emitted, cycles refuse to start.
//! Commands have a one-line text form, parsed by [`Control::parse`]:
//!
//! ```text
//! raise-fault NAME|CODE [COMPONENT]   clear-fault NAME|CODE
//! open-door [COMPONENT]               close-door [COMPONENT]
//! load-laundry GRAMS                  unload-laundry
//! ambient CENTI-CELSIUS               draw-water DECILITRES
//! remote-start on|off
//! ```

use hearth_model::Catalog;
use serde::{Deserialize, Serialize};

use crate::appliance::DeviceKind;

/// Something that happens to an appliance from outside the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "do")]
pub enum Control {
    /// A part fails: the standard fault `code` is raised, concerning `component` if given.
    RaiseFault {
        /// The standard fault code.
        code: u16,
        /// The component concerned, when not the device as a whole.
        component: Option<u16>,
    },
    /// The cause of a fault is gone.
    ClearFault {
        /// The standard fault code.
        code: u16,
    },
    /// Someone opens a door or lid (component 0 for the appliance's only door).
    OpenDoor {
        /// The component whose door opens.
        component: u16,
    },
    /// Someone closes it.
    CloseDoor {
        /// The component whose door closes.
        component: u16,
    },
    /// Laundry is put into a washing machine.
    LoadLaundry {
        /// Its weight.
        grams: u32,
    },
    /// The laundry is taken out.
    UnloadLaundry,
    /// The temperature around the appliance changes (room air, kitchen).
    Ambient {
        /// The new temperature in 0.01 °C.
        centi_celsius: i64,
    },
    /// Hot water is drawn from a water heater.
    DrawWater {
        /// How much, in 0.1 L.
        decilitres: u32,
    },
    /// The user allows or forbids remote start at the appliance.
    RemoteStart {
        /// Whether remote start is allowed.
        enabled: bool,
    },
}

/// Why a control command could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// The appliance has nothing this command acts on.
    #[error("a {kind} has nothing to {what}")]
    Unsupported {
        /// The device type.
        kind: &'static str,
        /// What was asked.
        what: String,
    },
    /// The fault code is not a standard fault of this device type.
    #[error("{0} is not a fault of this device type")]
    UnknownFault(String),
    /// The fault is already active.
    #[error("fault 0x{0:04x} is already active")]
    AlreadyActive(u16),
    /// The fault is not active.
    #[error("fault 0x{0:04x} is not active")]
    NotActive(u16),
    /// The appliance does not let it happen now (e.g. a door locked during a cycle).
    #[error("{0}")]
    Refused(String),
    /// The command does not parse.
    #[error("{0}")]
    Syntax(String),
    /// The device is not running any more.
    #[error("the device has stopped")]
    Stopped,
}

fn number<T: TryFrom<i64>>(s: &str) -> Option<T> {
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok()?,
        None => s.parse::<i64>().ok()?,
    };
    T::try_from(v).ok()
}

impl Control {
    /// Parse the one-line text form for an appliance of type `kind` (fault names are those
    /// of the catalog for that type).
    pub fn parse(text: &str, kind: DeviceKind) -> Result<Self, ControlError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let syntax = |m: &str| ControlError::Syntax(format!("{m}: `{text}`"));
        let arg = |i: usize| words.get(i).copied();
        let component = |i: usize| match arg(i) {
            None => Ok(0),
            Some(s) => number::<u16>(s).ok_or_else(|| syntax("a component is a number")),
        };
        let fault = |i: usize| {
            let s = arg(i).ok_or_else(|| syntax("name the fault"))?;
            fault_code(s, kind).ok_or_else(|| ControlError::UnknownFault(s.to_owned()))
        };
        match arg(0).unwrap_or("") {
            "raise-fault" => Ok(Self::RaiseFault {
                code: fault(1)?,
                component: match arg(2) {
                    None => None,
                    Some(_) => Some(component(2)?),
                },
            }),
            "clear-fault" => Ok(Self::ClearFault { code: fault(1)? }),
            "open-door" => Ok(Self::OpenDoor {
                component: component(1)?,
            }),
            "close-door" => Ok(Self::CloseDoor {
                component: component(1)?,
            }),
            "load-laundry" => Ok(Self::LoadLaundry {
                grams: arg(1)
                    .and_then(number)
                    .ok_or_else(|| syntax("give the weight in grams"))?,
            }),
            "unload-laundry" => Ok(Self::UnloadLaundry),
            "ambient" => Ok(Self::Ambient {
                centi_celsius: arg(1)
                    .and_then(number)
                    .ok_or_else(|| syntax("give the temperature in 0.01 °C"))?,
            }),
            "draw-water" => Ok(Self::DrawWater {
                decilitres: arg(1)
                    .and_then(number)
                    .ok_or_else(|| syntax("give the volume in 0.1 L"))?,
            }),
            "remote-start" => match arg(1) {
                Some("on") => Ok(Self::RemoteStart { enabled: true }),
                Some("off") => Ok(Self::RemoteStart { enabled: false }),
                _ => Err(syntax("remote-start on|off")),
            },
            _ => Err(syntax("unknown command")),
        }
    }
}

/// A standard fault code of the device type, by catalog name or number.
pub fn fault_code(text: &str, kind: DeviceKind) -> Option<u16> {
    let catalog = Catalog::standard();
    let dt = catalog.device_type(kind.id());
    match number::<u16>(text) {
        Some(code) => catalog.code("fault-code", dt, code).map(|c| c.code),
        None => catalog.code_named("fault-code", dt, text).map(|c| c.code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_text_form() {
        let k = DeviceKind::WashingMachine;
        assert_eq!(
            Control::parse("raise-fault drain", k),
            Ok(Control::RaiseFault {
                code: 0x0902,
                component: None
            })
        );
        assert_eq!(
            Control::parse("clear-fault 0x0902", k),
            Ok(Control::ClearFault { code: 0x0902 })
        );
        assert_eq!(
            Control::parse("open-door", k),
            Ok(Control::OpenDoor { component: 0 })
        );
        assert_eq!(
            Control::parse("load-laundry 4500", k),
            Ok(Control::LoadLaundry { grams: 4500 })
        );
        assert!(matches!(
            Control::parse("raise-fault magnetron", k),
            Err(ControlError::UnknownFault(_))
        ));
        assert!(Control::parse("dance", k).is_err());
        assert!(Control::parse("", k).is_err());
        assert!(Control::parse("open-door x", k).is_err());
    }
}
