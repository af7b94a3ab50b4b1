//! Paths address one member of one capability instance: `component / capability / member`.
//!
//! On the wire a path is three integers. People write it with names where the catalog has
//! them — `1/temperature-control/setpoint` — and with numbers elsewhere (`1/6/1`, or vendor
//! ids like `0/0x8001/2`). [`Path::parse`] accepts both; [`Path::display`] prefers names.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::catalog::{Capability, Catalog};

/// Which member namespace of a capability a path points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberKind {
    /// A property (read, write, report).
    Property,
    /// An action (invoke).
    Action,
    /// An event.
    Event,
}

/// A numeric path: component id, capability id, member id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Path {
    /// Component id (0 = the device itself).
    pub component: u16,
    /// Capability id.
    pub capability: u16,
    /// Property, action or event id, depending on the request.
    pub member: u16,
}

/// Why a textual path could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Not three `/`-separated parts.
    #[error("a path has three parts, component/capability/member: `{0}`")]
    Shape(String),
    /// A part is neither a number nor a known name.
    #[error("unknown {what} `{name}`")]
    Unknown {
        /// `component`, `capability` or `member`.
        what: &'static str,
        /// The text given.
        name: String,
    },
}

fn number(s: &str) -> Option<u16> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

impl Path {
    /// A path from its three ids.
    pub const fn new(component: u16, capability: u16, member: u16) -> Self {
        Self {
            component,
            capability,
            member,
        }
    }

    /// Parse `component/capability/member`, each a number (decimal or `0x` hex) or, for
    /// capability and member, a catalog name. Names of members are looked up in `kind`.
    pub fn parse(text: &str, catalog: &Catalog, kind: MemberKind) -> Result<Self, PathError> {
        let parts: Vec<&str> = text.split('/').collect();
        let [c, cap, m] = parts.as_slice() else {
            return Err(PathError::Shape(text.to_owned()));
        };
        let component = number(c).ok_or_else(|| PathError::Unknown {
            what: "component",
            name: (*c).to_owned(),
        })?;
        let capability_def: Option<&Capability> = match number(cap) {
            Some(id) => catalog.capability(id),
            None => catalog.capability_named(cap),
        };
        let capability = match (number(cap), capability_def) {
            (Some(id), _) => id,
            (None, Some(def)) => def.id,
            (None, None) => {
                return Err(PathError::Unknown {
                    what: "capability",
                    name: (*cap).to_owned(),
                })
            }
        };
        let member = match number(m) {
            Some(id) => id,
            None => capability_def
                .and_then(|def| match kind {
                    MemberKind::Property => def.property_named(m).map(|p| p.id),
                    MemberKind::Action => def.action_named(m).map(|a| a.id),
                    MemberKind::Event => def.event_named(m).map(|e| e.id),
                })
                .ok_or_else(|| PathError::Unknown {
                    what: "member",
                    name: (*m).to_owned(),
                })?,
        };
        Ok(Self {
            component,
            capability,
            member,
        })
    }

    /// A displayable form with catalog names where they exist, e.g. `1/temperature-control/setpoint`.
    pub fn display<'a>(&'a self, catalog: &'a Catalog, kind: MemberKind) -> impl fmt::Display + 'a {
        NamedPath {
            path: self,
            catalog,
            kind,
        }
    }
}

impl fmt::Display for Path {
    /// The numeric form, `1/6/1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.component, self.capability, self.member)
    }
}

struct NamedPath<'a> {
    path: &'a Path,
    catalog: &'a Catalog,
    kind: MemberKind,
}

impl fmt::Display for NamedPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path;
        match self.catalog.capability(p.capability) {
            Some(cap) => {
                let member = match self.kind {
                    MemberKind::Property => cap.property(p.member).map(|x| x.name.as_str()),
                    MemberKind::Action => cap.action(p.member).map(|x| x.name.as_str()),
                    MemberKind::Event => cap.event(p.member).map(|x| x.name.as_str()),
                };
                match member {
                    Some(name) => write!(f, "{}/{}/{}", p.component, cap.name, name),
                    None => write!(f, "{}/{}/{:#06x}", p.component, cap.name, p.member),
                }
            }
            None => write!(f, "{}/{:#06x}/{:#06x}", p.component, p.capability, p.member),
        }
    }
}
