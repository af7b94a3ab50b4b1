//! Fleets: which appliances to run.
//!
//! The default fleet has every device type and every brand (16 appliances). A fleet file is
//! TOML, one `[[device]]` table per appliance:
//!
//! ```toml
//! [[device]]
//! type = "washing-machine"   # catalog name of the device type
//! brand = "lotus"            # aurora | kestrel | lotus
//! id = "wm-laundry"          # device id, unique in the fleet
//! fault = "no-will"          # optional: a fault profile (`hearth sim --list-faults`)
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::appliance::DeviceKind;
use crate::brand::BrandId;
use crate::SimError;

/// One appliance of a fleet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// The device type.
    #[serde(rename = "type")]
    pub kind: DeviceKind,
    /// The brand.
    pub brand: BrandId,
    /// The device id.
    pub id: String,
    /// The fault profile it runs with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// A set of appliances.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fleet {
    /// The appliances.
    #[serde(default, rename = "device")]
    pub devices: Vec<DeviceSpec>,
}

impl Fleet {
    /// Every device type, every brand: 16 appliances.
    pub fn standard() -> Self {
        use BrandId::{Aurora, Kestrel, Lotus};
        use DeviceKind::*;
        let plan: [(DeviceKind, &[BrandId]); 9] = [
            (AirConditioner, &[Aurora, Kestrel, Lotus]),
            (Refrigerator, &[Aurora, Lotus]),
            (Freezer, &[Kestrel]),
            (RiceCooker, &[Kestrel, Lotus]),
            (MicrowaveOven, &[Aurora]),
            (WaterHeater, &[Kestrel, Lotus]),
            (Dishwasher, &[Aurora]),
            (Fan, &[Kestrel, Lotus]),
            (WashingMachine, &[Aurora, Lotus]),
        ];
        let devices = plan
            .iter()
            .flat_map(|(kind, brands)| {
                brands.iter().map(move |brand| DeviceSpec {
                    kind: *kind,
                    brand: *brand,
                    id: format!("{}-{}-1", kind.code(), brand.brand().key),
                    fault: None,
                })
            })
            .collect();
        Self { devices }
    }

    /// Parse and check a fleet file's text.
    pub fn from_toml(text: &str) -> Result<Self, SimError> {
        let fleet: Self = toml::from_str(text).map_err(|e| SimError::Fleet(e.to_string()))?;
        fleet.check()?;
        Ok(fleet)
    }

    /// Read and check a fleet file.
    pub fn load(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text)
    }

    /// The fleet as a fleet file.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// Check that ids are valid and unique and that fault profiles exist.
    pub fn check(&self) -> Result<(), SimError> {
        let mut seen = BTreeSet::new();
        for d in &self.devices {
            if !hearth_model::validate::device_id_is_valid(&d.id) {
                return Err(SimError::Fleet(format!(
                    "`{}` is not a valid device id",
                    d.id
                )));
            }
            if !seen.insert(d.id.as_str()) {
                return Err(SimError::Fleet(format!(
                    "device id `{}` appears twice",
                    d.id
                )));
            }
            if let Some(fault) = &d.fault {
                if crate::faults::profile(fault).is_none() {
                    return Err(SimError::Fleet(format!(
                        "{}: no fault profile named `{fault}`",
                        d.id
                    )));
                }
            }
        }
        Ok(())
    }

    /// The same fleet with `suffix` appended to every device id (to keep fleets that share
    /// a broker apart).
    pub fn with_suffix(mut self, suffix: &str) -> Self {
        for d in &mut self.devices {
            d.id.push_str(suffix);
        }
        self
    }

    /// The same fleet with every appliance running the fault profile `name`.
    pub fn with_fault(mut self, name: &str) -> Result<Self, SimError> {
        if crate::faults::profile(name).is_none() {
            return Err(SimError::Fleet(format!("no fault profile named `{name}`")));
        }
        for d in &mut self.devices {
            d.fault = Some(name.to_owned());
        }
        Ok(self)
    }

    /// The distinct brands in the fleet.
    pub fn brands(&self) -> BTreeSet<BrandId> {
        self.devices.iter().map(|d| d.brand).collect()
    }

    /// The distinct device types in the fleet.
    pub fn kinds(&self) -> BTreeSet<DeviceKind> {
        self.devices.iter().map(|d| d.kind).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_fleet_has_every_type_and_brand() {
        let fleet = Fleet::standard();
        assert!(fleet.devices.len() >= 12);
        assert_eq!(fleet.kinds().len(), 9);
        assert_eq!(fleet.brands().len(), 3);
        fleet.check().expect("valid");
        let again = Fleet::from_toml(&fleet.to_toml()).expect("round trip");
        assert_eq!(again, fleet);
    }

    #[test]
    fn parses_and_checks_fleet_files() {
        let fleet = Fleet::from_toml(
            r#"
            [[device]]
            type = "washing-machine"
            brand = "lotus"
            id = "wm-1"
            fault = "no-will"

            [[device]]
            type = "fan"
            brand = "kestrel"
            id = "fan-1"
            "#,
        )
        .expect("parses");
        assert_eq!(fleet.devices[0].kind, DeviceKind::WashingMachine);
        assert_eq!(fleet.devices[0].fault.as_deref(), Some("no-will"));
        for bad in [
            "[[device]]\ntype = \"toaster\"\nbrand = \"lotus\"\nid = \"t\"",
            "[[device]]\ntype = \"fan\"\nbrand = \"acme\"\nid = \"f\"",
            "[[device]]\ntype = \"fan\"\nbrand = \"lotus\"\nid = \"a b\"",
            "[[device]]\ntype = \"fan\"\nbrand = \"lotus\"\nid = \"f\"\nfault = \"nope\"",
            "[[device]]\ntype = \"fan\"\nbrand = \"lotus\"\nid = \"f\"\n[[device]]\ntype = \"fan\"\nbrand = \"aurora\"\nid = \"f\"",
        ] {
            assert!(Fleet::from_toml(bad).is_err(), "{bad}");
        }
        assert!(Fleet::standard().with_fault("nope").is_err());
    }
}
