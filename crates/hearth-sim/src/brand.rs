//! Fictional brands, and their factory provisioning.
//!
//! Real brands differ in what they build into the same kind of appliance: one air conditioner
//! has an outdoor sensor and half-degree steps, another whole degrees and a humidity sensor;
//! one washing machine has a steam option and a vendor programme for sportswear. Each brand
//! here has a vendor id in the test range (0xFFF1–0xFFF3), a name, a model prefix, a firmware
//! line and its own scheme of fault display codes, which it maps to the standard fault codes
//! of the catalog. What each brand puts into each device type is decided by the device
//! type's description builder in [`crate::appliance`].
//!
//! The test PKI of `hearth pki init` has a vendor CA for 0xFFF1 only (`vendor.cert`); for the
//! other vendors [`provision`] issues `vendor-fff2.cert` etc. from `root.key` on first use,
//! then device credentials from the vendor CA, as a factory would.

use std::path::{Path, PathBuf};

use hearth_mqtt::identity::unix_now;
use hearth_mqtt::Identity;
use hearth_security::alg::Algorithm;
use hearth_security::cert::Role;
use hearth_security::fs::{read_credential, write_credential};
use hearth_security::pki::{issue, IssueRequest};
use serde::{Deserialize, Serialize};

use crate::SimError;

/// Which brand a simulated appliance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrandId {
    /// Aurora Home Appliances, vendor 0xFFF1: mid-range, half-degree steps, rich options.
    Aurora,
    /// Kestrel Electric, vendor 0xFFF2: no-frills, whole-degree steps, few options.
    Kestrel,
    /// Lotus Living, vendor 0xFFF3: premium, sensors everywhere and vendor programmes.
    Lotus,
}

/// What a brand is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brand {
    /// Which brand.
    pub id: BrandId,
    /// The name in kebab-case, as fleet files use it.
    pub key: &'static str,
    /// The vendor name shown to users.
    pub name: &'static str,
    /// The vendor id (test range).
    pub vendor_id: u16,
    /// The prefix of its model identifiers.
    pub model_prefix: &'static str,
    /// The firmware version its appliances run.
    pub firmware: &'static str,
    /// The hardware revision it reports, if it reports one.
    pub hardware: Option<&'static str>,
}

/// Every brand.
pub const BRANDS: [Brand; 3] = [
    Brand {
        id: BrandId::Aurora,
        key: "aurora",
        name: "Aurora Home Appliances",
        vendor_id: 0xFFF1,
        model_prefix: "AU",
        firmware: "2.4.1",
        hardware: Some("B"),
    },
    Brand {
        id: BrandId::Kestrel,
        key: "kestrel",
        name: "Kestrel Electric",
        vendor_id: 0xFFF2,
        model_prefix: "KE",
        firmware: "1.0.7",
        hardware: None,
    },
    Brand {
        id: BrandId::Lotus,
        key: "lotus",
        name: "Lotus Living",
        vendor_id: 0xFFF3,
        model_prefix: "LT",
        firmware: "5.12.0-r3",
        hardware: Some("rev 3"),
    },
];

impl BrandId {
    /// The brand's data.
    pub fn brand(self) -> &'static Brand {
        match self {
            Self::Aurora => &BRANDS[0],
            Self::Kestrel => &BRANDS[1],
            Self::Lotus => &BRANDS[2],
        }
    }

    /// The brand named `key` (`aurora`, `kestrel`, `lotus`).
    pub fn from_key(key: &str) -> Option<Self> {
        BRANDS.iter().find(|b| b.key == key).map(|b| b.id)
    }
}

impl Brand {
    /// The brand's own code for a standard fault: what its display or service manual shows.
    ///
    /// Aurora numbers faults `E` + two hex digits (0xE0nn), Kestrel uses decimal service
    /// codes (device type × 100 + number), Lotus a 32-bit code with its signature in the
    /// top half.
    pub fn vendor_fault_code(&self, standard: u16) -> u32 {
        let group = u32::from(standard >> 8);
        let number = u32::from(standard & 0xFF);
        match self.id {
            BrandId::Aurora => 0xE000 + (group << 8 | number),
            BrandId::Kestrel => group * 100 + number,
            BrandId::Lotus => 0x4C54_0000 | u32::from(standard),
        }
    }

    /// The standard fault code behind one of the brand's own codes, if it is one.
    pub fn standard_fault_code(&self, vendor: u32) -> Option<u16> {
        let code = match self.id {
            BrandId::Aurora => vendor.checked_sub(0xE000)?,
            BrandId::Kestrel => (vendor / 100) << 8 | (vendor % 100),
            BrandId::Lotus if vendor >> 16 == 0x4C54 => vendor & 0xFFFF,
            BrandId::Lotus => return None,
        };
        let code = u16::try_from(code).ok()?;
        (self.vendor_fault_code(code) == vendor).then_some(code)
    }

    /// The model identifier of this brand for a device type, e.g. `KE-WM-3`.
    pub fn model(&self, type_code: &str, series: u8) -> String {
        format!("{}-{}-{}", self.model_prefix, type_code, series)
    }

    /// The file prefix of the vendor CA in a PKI folder: `vendor` for 0xFFF1 (written by
    /// `hearth pki init`), `vendor-fff2` and so on for the others.
    pub fn vendor_ca_prefix(&self, dir: &Path) -> PathBuf {
        if self.vendor_id == 0xFFF1 {
            dir.join("vendor")
        } else {
            dir.join(format!("vendor-{:04x}", self.vendor_id))
        }
    }
}

fn with_ext(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

/// The identity of a simulated device: its credential under `devices/` in the PKI folder,
/// issued now by the brand's vendor CA if missing (and the vendor CA issued from `root.key`
/// if missing too).
pub fn provision(
    dir: &Path,
    brand: &Brand,
    device_id: &str,
    device_type: &str,
    model: &str,
) -> Result<Identity, SimError> {
    let rng = ring::rand::SystemRandom::new();
    let ca = brand.vendor_ca_prefix(dir);
    let (ca_cert, ca_key) = (with_ext(&ca, ".cert"), with_ext(&ca, ".key"));
    let root_cert = hearth_security::fs::read_cert(&dir.join("root.cert"))?;
    // A vendor CA left by an earlier PKI in the same folder (a new root since) is replaced:
    // nothing it issued would chain to the root of today.
    let current = ca_cert.exists()
        && ca_key.exists()
        && hearth_security::fs::read_cert(&ca_cert)
            .is_ok_and(|c| c.verify_signature(&root_cert.claims().key).is_ok());
    if !current {
        let root = read_credential(&dir.join("root.cert"), &dir.join("root.key"))?;
        let request = IssueRequest {
            role: Role::Vendor,
            subject: format!("{}-{:04x}", brand.key, brand.vendor_id),
            vendor_id: Some(brand.vendor_id),
            device_type: None,
            model: None,
            days: 3650,
            alg: Algorithm::EdDsa,
        };
        write_credential(&ca, &issue(&request, &root, unix_now(), &rng)?)?;
    }
    let devices = dir.join("devices");
    let prefix = devices.join(device_id);
    let (cert, key) = (with_ext(&prefix, ".cert"), with_ext(&prefix, ".key"));
    let load = || {
        Identity::load(
            &cert,
            &key,
            std::slice::from_ref(&ca_cert),
            &[dir.join("root.cert")],
        )
    };
    if cert.exists() && key.exists() {
        // A credential of another vendor or type under the same id is replaced, and so is
        // one that a vendor CA of an earlier PKI in this folder issued.
        if let Ok(identity) = load() {
            let leaf = hearth_security::fs::read_cert(&cert)?;
            let vendor = hearth_security::fs::read_cert(&ca_cert)?;
            if identity.vendor_id == Some(brand.vendor_id)
                && leaf.claims().device_type.as_deref() == Some(device_type)
                && leaf.verify_signature(&vendor.claims().key).is_ok()
            {
                return Ok(identity);
            }
        }
    }
    std::fs::create_dir_all(&devices).map_err(|source| SimError::Io {
        path: devices.clone(),
        source,
    })?;
    let vendor = read_credential(&ca_cert, &ca_key)?;
    let request = IssueRequest::device(device_id, device_type, model);
    write_credential(&prefix, &issue(&request, &vendor, unix_now(), &rng)?)?;
    Ok(load()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_fault_codes_map_back_to_standard_ones() {
        for brand in &BRANDS {
            for code in [0x0101u16, 0x0902, 0x070B, 0x0001] {
                let vendor = brand.vendor_fault_code(code);
                assert_eq!(
                    brand.standard_fault_code(vendor),
                    Some(code),
                    "{}",
                    brand.key
                );
            }
        }
        assert_eq!(BRANDS[0].vendor_fault_code(0x0902), 0xE902);
        assert_eq!(BRANDS[1].vendor_fault_code(0x0902), 902);
        assert_eq!(BRANDS[2].standard_fault_code(17), None);
    }

    /// A device provisioned again in a folder that a new PKI overwrote gets a credential of
    /// today's vendor CA, which today's root issued: nothing of the earlier PKI is kept.
    #[test]
    fn a_new_pki_in_the_same_folder_replaces_the_vendor_ca_and_the_device() {
        let pki = hearth_testkit::pki::pki();
        for brand in &BRANDS {
            provision(pki.path(), brand, "fan-1", "fan", "TF-1").expect("first provisioning");
        }
        let fresh = hearth_testkit::pki::write_pki(pki.path());
        for brand in &BRANDS {
            provision(pki.path(), brand, "fan-1", "fan", "TF-1").expect("second provisioning");
            let read = |p: PathBuf| hearth_security::fs::read_cert(&p).expect("certificate");
            let ca = read(with_ext(&brand.vendor_ca_prefix(pki.path()), ".cert"));
            let leaf = read(pki.path().join("devices").join("fan-1.cert"));
            assert!(ca.verify_signature(&fresh.root.cert.claims().key).is_ok());
            assert!(
                leaf.verify_signature(&ca.claims().key).is_ok(),
                "{}",
                brand.key
            );
        }
    }

    #[test]
    fn brands_have_distinct_test_vendor_ids() {
        let ids: Vec<u16> = BRANDS.iter().map(|b| b.vendor_id).collect();
        assert_eq!(ids, [0xFFF1, 0xFFF2, 0xFFF3]);
        assert_eq!(BrandId::from_key("lotus"), Some(BrandId::Lotus));
    }
}
