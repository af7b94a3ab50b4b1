//! The topic tree of the MQTT binding (`spec/05-mqtt.md`).
//!
//! Everything lives under a configurable root (default `hearth/1`). Devices publish under
//! `d/{vendor}/{device}/…` (vendor id as four lower-case hex digits), controllers receive
//! responses on `c/{controller}/resp`. The part below the root is the external AAD of every
//! signature, so a bridge that remaps the root keeps messages valid.

use std::fmt;

/// The default topic root.
pub const DEFAULT_ROOT: &str = "hearth/1";

/// A device's address: vendor id and device id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceAddr {
    /// Vendor id.
    pub vendor_id: u16,
    /// Device id, unique within the vendor.
    pub device_id: String,
}

impl DeviceAddr {
    /// An address from its parts.
    pub fn new(vendor_id: u16, device_id: impl Into<String>) -> Self {
        Self {
            vendor_id,
            device_id: device_id.into(),
        }
    }
}

impl fmt::Display for DeviceAddr {
    /// `fff1/fridge-1`, the form used in topics and on the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}/{}", self.vendor_id, self.device_id)
    }
}

impl std::str::FromStr for DeviceAddr {
    type Err = String;

    /// Parse `fff1/fridge-1` (vendor id in hex, with or without `0x`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (vendor, device) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not VENDOR/DEVICE, e.g. fff1/fan-1"))?;
        let vendor = vendor.trim_start_matches("0x");
        let vendor_id = u16::from_str_radix(vendor, 16)
            .map_err(|_| format!("`{vendor}` is not a hex vendor id"))?;
        if !hearth_model::validate::device_id_is_valid(device) {
            return Err(format!("`{device}` is not a valid device id"));
        }
        Ok(Self::new(vendor_id, device))
    }
}

/// The channels a device publishes or receives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Retained description.
    Desc,
    /// Retained status, and the will.
    Status,
    /// Property reports.
    Report,
    /// Events.
    Event,
    /// Requests to the device.
    Req,
    /// The device's commissioning window, retained (`spec/07-commissioning.md` §6).
    Window,
    /// Commissioning sessions: `pake-start` and `pake-confirm` to the device.
    Commission,
}

impl Channel {
    /// The topic level of this channel.
    pub fn name(self) -> &'static str {
        match self {
            Self::Desc => "desc",
            Self::Status => "status",
            Self::Report => "report",
            Self::Event => "event",
            Self::Req => "req",
            Self::Window => "window",
            Self::Commission => "commission",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Desc,
            Self::Status,
            Self::Report,
            Self::Event,
            Self::Req,
            Self::Window,
            Self::Commission,
        ]
        .into_iter()
        .find(|c| c.name() == s)
    }
}

/// What a topic below the root addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addressed {
    /// A device channel.
    Device(DeviceAddr, Channel),
    /// A controller's response topic.
    Responses(String),
}

/// Builds and parses topics under one root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    root: String,
}

impl Default for Topics {
    fn default() -> Self {
        Self::new(DEFAULT_ROOT)
    }
}

impl Topics {
    /// Topics under `root` (without a trailing slash).
    pub fn new(root: impl Into<String>) -> Self {
        Self {
            root: root.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The root.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The relative topic (the signature's AAD) of a device channel.
    pub fn device_rel(addr: &DeviceAddr, channel: Channel) -> String {
        format!(
            "d/{:04x}/{}/{}",
            addr.vendor_id,
            addr.device_id,
            channel.name()
        )
    }

    /// The relative topic of a controller's responses.
    pub fn responses_rel(controller: &str) -> String {
        format!("c/{controller}/resp")
    }

    /// The relative topic of the revocation list of the CA with key id `ca` (lower-case hex),
    /// or `+` for the subscription to all of them (`spec/05-mqtt.md` §13).
    pub fn revocation_rel(ca: &str) -> String {
        format!("crl/{ca}")
    }

    /// The CA key id a relative revocation-list topic names.
    pub fn parse_revocation(rel: &str) -> Option<hearth_security::key::KeyId> {
        hearth_security::key::KeyId::from_hex(rel.strip_prefix("crl/")?)
    }

    /// The full topic for a relative one.
    pub fn full(&self, rel: &str) -> String {
        format!("{}/{rel}", self.root)
    }

    /// The relative part of a full topic, if it lies under the root.
    pub fn relative<'a>(&self, full: &'a str) -> Option<&'a str> {
        full.strip_prefix(self.root.as_str())?.strip_prefix('/')
    }

    /// The subscription filter for one channel of every device.
    pub fn all_devices(&self, channel: Channel) -> String {
        format!("{}/d/+/+/{}", self.root, channel.name())
    }

    /// Parse a relative topic.
    pub fn parse(rel: &str) -> Option<Addressed> {
        let parts: Vec<&str> = rel.split('/').collect();
        match parts.as_slice() {
            // Vendor ids are four lower-case hex digits; any other spelling is not ours
            // (HRT-MQTT-009).
            ["d", vendor, device, channel]
                if vendor.len() == 4
                    && vendor
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
            {
                let vendor_id = u16::from_str_radix(vendor, 16).ok()?;
                if !hearth_model::validate::device_id_is_valid(device) {
                    return None;
                }
                Some(Addressed::Device(
                    DeviceAddr::new(vendor_id, *device),
                    Channel::parse(channel)?,
                ))
            }
            ["c", controller, "resp"] if hearth_model::validate::device_id_is_valid(controller) => {
                Some(Addressed::Responses((*controller).to_owned()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_topics_round_trip() {
        let t = Topics::default();
        let addr = DeviceAddr::new(0xfff1, "fan-1");
        let rel = Topics::device_rel(&addr, Channel::Report);
        assert_eq!(rel, "d/fff1/fan-1/report");
        assert_eq!(t.full(&rel), "hearth/1/d/fff1/fan-1/report");
        assert_eq!(
            t.relative("hearth/1/d/fff1/fan-1/report"),
            Some("d/fff1/fan-1/report")
        );
        assert_eq!(
            Topics::parse(&rel),
            Some(Addressed::Device(addr, Channel::Report))
        );
        assert_eq!(
            Topics::parse("c/gw-1/resp"),
            Some(Addressed::Responses("gw-1".into()))
        );
    }

    #[test]
    fn foreign_topics_are_not_addressed() {
        let t = Topics::new("site/a/");
        assert_eq!(t.relative("hearth/1/d/fff1/fan-1/report"), None);
        for bad in [
            "d/fff1/fan-1",
            "d/xyz1/fan-1/report",
            "d/fff1/fan+1/report",
            "d/fff1/fan-1/other",
            "c/x/y",
        ] {
            assert_eq!(Topics::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn addresses_parse_from_the_command_line_form() {
        assert_eq!(
            "fff1/fan-1".parse::<DeviceAddr>(),
            Ok(DeviceAddr::new(0xfff1, "fan-1"))
        );
        assert!("fan-1".parse::<DeviceAddr>().is_err());
        assert!("zzzz/fan-1".parse::<DeviceAddr>().is_err());
    }
}
