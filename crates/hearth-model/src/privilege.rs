//! The privilege a controller holds or needs: view < operate < manage (`HRT-SEC-110`).
//!
//! One type for every layer: the catalog names the privilege an action needs
//! (`privilege = "manage"` in `spec/catalog/`), an access-control list grants one
//! (`hearth_security::acl` re-exports this type and encodes it by [`Privilege::code`]), and
//! a conformance statement names the one a controller has (lowercase names, with
//! [`or_none`] for "trusted but not admitted"). It is plain data: no I/O, no policy.

use serde::{Deserialize, Serialize};

/// A privilege. Each includes the ones below it, so they compare by rank
/// (`View < Operate < Manage`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Privilege {
    /// Read properties and descriptions, receive reports and events.
    View = 1,
    /// Write properties and invoke ordinary actions. What a catalog action needs unless it
    /// says otherwise.
    #[default]
    Operate = 2,
    /// Administrative actions: the access-control list, trust and firmware.
    Manage = 3,
}

impl Privilege {
    /// Every privilege, lowest first.
    pub const ALL: [Self; 3] = [Self::View, Self::Operate, Self::Manage];

    /// The numeric code an access-control list carries on the wire.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The privilege with this wire code.
    pub const fn from_code(c: u64) -> Option<Self> {
        match c {
            1 => Some(Self::View),
            2 => Some(Self::Operate),
            3 => Some(Self::Manage),
            _ => None,
        }
    }

    /// The lowercase name used by the catalog and conformance statements.
    pub const fn name(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Operate => "operate",
            Self::Manage => "manage",
        }
    }

    /// The privilege with this lowercase name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl core::fmt::Display for Privilege {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::str::FromStr for Privilege {
    type Err = UnknownPrivilege;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| UnknownPrivilege(s.to_owned()))
    }
}

/// A name that is not `view`, `operate` or `manage`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown privilege {0:?} (expected view, operate or manage)")]
pub struct UnknownPrivilege(pub String);

/// Serde for an `Option<Privilege>` written as `"none"` when absent: the privilege of a
/// controller that is trusted but not admitted by the access-control list. Use with
/// `#[serde(with = "hearth_model::privilege::or_none")]`; `None` orders below every
/// privilege, so comparisons such as `granted >= Some(Privilege::Operate)` keep their sense.
pub mod or_none {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Privilege;

    /// The name written for no privilege.
    pub const NONE: &str = "none";

    /// Write `None` as `"none"`, a privilege by its name.
    pub fn serialize<S: Serializer>(p: &Option<Privilege>, s: S) -> Result<S::Ok, S::Error> {
        match p {
            Some(p) => p.serialize(s),
            None => s.serialize_str(NONE),
        }
    }

    /// Read `"none"` as `None`, a privilege by its name.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Privilege>, D::Error> {
        let name = String::deserialize(d)?;
        if name == NONE {
            return Ok(None);
        }
        name.parse().map(Some).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_codes_and_names() {
        assert!(Privilege::View < Privilege::Operate && Privilege::Operate < Privilege::Manage);
        for p in Privilege::ALL {
            assert_eq!(Privilege::from_code(p.code().into()), Some(p));
            assert_eq!(p.name().parse::<Privilege>(), Ok(p));
            assert_eq!(p.to_string(), p.name());
        }
        assert_eq!(Privilege::from_code(0), None);
        assert!("admin".parse::<Privilege>().is_err());
        assert_eq!(Privilege::default(), Privilege::Operate);
    }

    #[test]
    fn serde_uses_lowercase_names_and_none() {
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct Entry {
            privilege: Privilege,
            #[serde(with = "or_none")]
            granted: Option<Privilege>,
        }
        let text = r#"{"privilege":"manage","granted":"none"}"#;
        let entry: Entry = serde_json::from_str(text).expect("parses");
        assert_eq!(
            entry,
            Entry {
                privilege: Privilege::Manage,
                granted: None
            }
        );
        assert_eq!(serde_json::to_string(&entry).expect("writes"), text);
        let view: Entry =
            serde_json::from_str(r#"{"privilege":"view","granted":"operate"}"#).expect("parses");
        assert_eq!(view.granted, Some(Privilege::Operate));
        assert!(serde_json::from_str::<Entry>(r#"{"privilege":"none","granted":"none"}"#).is_err());
        assert!(None < Some(Privilege::View));
    }
}
