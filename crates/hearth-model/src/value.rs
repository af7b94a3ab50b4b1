//! Typed values: what a property holds, an argument carries, an event reports.
//!
//! A [`Value`] mirrors the CBOR data model Hearth uses on the wire (integers, booleans, text,
//! bytes, arrays, maps keyed by small integers, null) and nothing more: no floats, because
//! every physical quantity is a scaled integer with a unit from the catalog. Whether a value
//! fits a property is decided by [`crate::validate`], never by the value itself.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Deepest nesting of lists and structs a value may have ([HRT-MOD-048]).
pub const MAX_DEPTH: usize = 8;

/// A Hearth data value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// Unknown or not available; valid only where the catalog says nullable.
    Null,
    /// true or false.
    Bool(bool),
    /// Any integer type, including enum codes.
    Int(i64),
    /// UTF-8 text.
    Text(String),
    /// Opaque bytes.
    Bytes(Vec<u8>),
    /// A list of values.
    List(Vec<Self>),
    /// A struct: field id → value.
    Struct(BTreeMap<u16, Self>),
}

impl Value {
    /// The kind of value, as used in error messages (`int`, `text`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "bool",
            Self::Int(_) => "int",
            Self::Text(_) => "text",
            Self::Bytes(_) => "bytes",
            Self::List(_) => "list",
            Self::Struct(_) => "struct",
        }
    }

    /// Nesting depth: 0 for scalars, 1 + the deepest child for lists and structs.
    ///
    /// Stops counting past [`MAX_DEPTH`] + 1 so a hostile value costs no more than that.
    pub fn depth(&self) -> usize {
        fn go(v: &Value, level: usize) -> usize {
            if level > MAX_DEPTH {
                return level;
            }
            match v {
                Value::List(items) => items
                    .iter()
                    .map(|i| go(i, level + 1))
                    .max()
                    .unwrap_or(level + 1),
                Value::Struct(fields) => fields
                    .values()
                    .map(|i| go(i, level + 1))
                    .max()
                    .unwrap_or(level + 1),
                _ => level,
            }
        }
        go(self, 0)
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The struct field with this id, if this is a struct that has it.
    pub fn field(&self, id: u16) -> Option<&Self> {
        match self {
            Self::Struct(fields) => fields.get(&id),
            _ => None,
        }
    }

    /// Build a struct from (field id, value) pairs.
    pub fn structure(fields: impl IntoIterator<Item = (u16, Self)>) -> Self {
        Self::Struct(fields.into_iter().collect())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl fmt::Display for Value {
    /// CBOR-diagnostic-like notation: `2650`, `true`, `"text"`, `h'0102'`, `[1, 2]`, `{1: 5}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Bytes(b) => {
                f.write_str("h'")?;
                for byte in b {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("'")
            }
            Self::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Self::Struct(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting() {
        assert_eq!(Value::Int(1).depth(), 0);
        assert_eq!(Value::List(vec![]).depth(), 1);
        assert_eq!(
            Value::List(vec![Value::structure([(1, Value::List(vec![]))])]).depth(),
            3
        );
    }

    #[test]
    fn depth_of_a_hostile_value_is_capped() {
        let mut v = Value::Null;
        for _ in 0..10_000 {
            v = Value::List(vec![v]);
        }
        assert!(v.depth() > MAX_DEPTH);
        assert!(v.depth() <= MAX_DEPTH + 2);
        // Drop a deep value without overflowing the stack.
        while let Value::List(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn display_is_diagnostic_notation() {
        let v = Value::structure([
            (1, Value::Int(2650)),
            (2, Value::Bytes(vec![1, 0xab])),
            (3, "x".into()),
        ]);
        assert_eq!(v.to_string(), "{1: 2650, 2: h'01ab', 3: \"x\"}");
    }
}
