//! The device id (`HRT-MOD-002`): 1 to 64 characters of `A`–`Z`, `a`–`z`, `0`–`9`, `.`, `_`
//! and `-`, unique within its vendor.
//!
//! The rule is written here once. [`DeviceId::is_valid`] checks a string where it arrives
//! (a description, a certificate subject, a topic level, a command-line argument); a
//! [`DeviceId`] is a string that passed it, for code that wants the check in the type. The
//! character set makes every device id usable unchanged as one MQTT topic level: no `/`,
//! `+` or `#`, never empty. The wire format decodes wider ids on purpose (up to 128 bytes,
//! `spec/04-messages.md` §6.1) so that a too-long id is reported as a broken description,
//! not as an undecodable message.

use core::fmt;

use serde::{Deserialize, Serialize};

/// A device id that keeps to `HRT-MOD-002`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

/// A string that is not a valid device id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("device id {0:?} must be 1–64 characters from A–Z a–z 0–9 . _ - (HRT-MOD-002)")]
pub struct InvalidDeviceId(pub String);

impl DeviceId {
    /// The longest device id, in characters (all of them ASCII, so also in bytes).
    pub const MAX_LEN: usize = 64;

    /// Whether `id` is a valid device id.
    pub fn is_valid(id: &str) -> bool {
        (1..=Self::MAX_LEN).contains(&id.len()) && id.bytes().all(Self::is_valid_byte)
    }

    /// Whether `b` may appear in a device id.
    pub const fn is_valid_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
    }

    /// `id` as a device id, if valid.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidDeviceId> {
        let id = id.into();
        if Self::is_valid(&id) {
            Ok(Self(id))
        } else {
            Err(InvalidDeviceId(id))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DeviceId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl core::ops::Deref for DeviceId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl core::str::FromStr for DeviceId {
    type Err = InvalidDeviceId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for DeviceId {
    type Error = InvalidDeviceId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(s)
    }
}

impl From<DeviceId> for String {
    fn from(id: DeviceId) -> Self {
        id.0
    }
}

impl PartialEq<str> for DeviceId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for DeviceId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // HRT-MOD-002
    #[test]
    fn the_character_set_and_length() {
        for good in ["a", "fan-bedroom-01", "A.B_C-9", &"x".repeat(64)] {
            assert!(DeviceId::is_valid(good), "{good}");
            assert_eq!(
                DeviceId::new(good).map(|d| d.to_string()),
                Ok(good.to_owned())
            );
        }
        for bad in ["", "a/b", "a+b", "a#b", "a b", "é", &"x".repeat(65)] {
            assert!(!DeviceId::is_valid(bad), "{bad:?}");
            assert_eq!(DeviceId::new(bad), Err(InvalidDeviceId(bad.to_owned())));
        }
    }

    #[test]
    fn serde_checks_the_rule() {
        let id: DeviceId = serde_json::from_str("\"wm-01\"").expect("valid");
        assert_eq!(id, "wm-01");
        assert_eq!(serde_json::to_string(&id).expect("writes"), "\"wm-01\"");
        assert!(serde_json::from_str::<DeviceId>("\"wm/01\"").is_err());
    }
}
