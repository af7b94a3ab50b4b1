//! Hearth device model: the appliance catalog, typed values and paths, device descriptions
//! and their validation.
//!
//! This crate is the bottom layer of Hearth and has no I/O: the catalog (`spec/catalog/`) is
//! embedded at compile time and checked once on first use ([`Catalog::standard`]). Data flows
//! one way: the catalog defines capabilities and device types; a device's [`Description`]
//! declares which of them it implements and with which constraints; [`validate`] checks the
//! description against the catalog, and requests and values against the description. Errors
//! name the requirement of `spec/01-model.md` they enforce and map to a wire [`StatusCode`].
//! Encoding, signing and transport belong to the crates above (`hearth-wire`, `hearth-mqtt`).
//!
//! A few small ideas every layer shares are written here once: the catalog's ids as
//! generated constants ([`ids`]), the device-id rule ([`device_id`]), the view / operate /
//! manage [`privilege`], the one text form of a vendor id ([`vendor`]), civil-date arithmetic
//! with RFC 3339 text ([`time`], which takes the instant as an argument and reads no clock),
//! and the [`setup`] payload printed on an appliance for commissioning (its QR text and
//! manual code).

pub mod catalog;
pub mod description;
pub mod device_id;
pub mod ids;
pub mod path;
pub mod privilege;
pub mod setup;
pub mod text;
pub mod time;
pub mod validate;
pub mod value;
pub mod vendor;

mod status {
    include!(concat!(env!("OUT_DIR"), "/status_code.rs"));

    impl From<StatusCode> for u16 {
        fn from(s: StatusCode) -> Self {
            s.code()
        }
    }

    impl TryFrom<u16> for StatusCode {
        type Error = String;
        fn try_from(code: u16) -> Result<Self, Self::Error> {
            Self::from_code(code).ok_or_else(|| format!("unknown status code {code}"))
        }
    }

    impl std::fmt::Display for StatusCode {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.name())
        }
    }
}

pub use catalog::Catalog;
pub use description::{
    CapabilityInstance, ComponentDescription, Constraint, Description, EnumEntry, Implemented,
    SPEC_VERSION,
};
pub use device_id::DeviceId;
pub use path::{MemberKind, Path};
pub use privilege::Privilege;
pub use status::StatusCode;
pub use validate::{check_description, DescriptionError, ValueError};
pub use value::Value;
