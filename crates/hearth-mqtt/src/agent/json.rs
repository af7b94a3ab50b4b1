//! Hearth values and paths in the JSON of the test agent protocol (`spec/08-controllers.md`
//! §5): one encoding per value, none that a JSON parser of another language reads with less
//! precision. Integers beyond ±2^53 and every kind JSON has no literal for (bytes, structs,
//! the Hearth `null`) are tagged objects, so that JSON's own `null` keeps the meaning "no
//! value".

use std::collections::BTreeMap;

use hearth_model::{Path, Value};
use serde_json::{Map, Value as Json};

/// The largest integer magnitude sent as a plain JSON number (2^53).
pub const MAX_PLAIN_INT: i64 = 1 << 53;

/// Why a JSON value is not a Hearth value of §5 (HRT-CTL-020).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonValueError {
    /// A number with a fraction or exponent, or out of the 64-bit range.
    #[error("{0} is not a 64-bit integer")]
    NotAnInteger(String),
    /// An object that is none of the tagged forms.
    #[error("an object must be exactly one of {{\"int\"}}, {{\"bytes\"}}, {{\"struct\"}} or {{\"null\": true}}, not {0}")]
    UnknownObject(String),
    /// A tagged form whose content is wrong.
    #[error("{0}")]
    Malformed(String),
    /// JSON `null`, which stands for no value, where a value is needed.
    #[error("JSON null stands for no value; the Hearth null is {{\"null\": true}}")]
    BareNull,
}

/// The JSON of `value` (§5).
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => tagged("null", Json::Bool(true)),
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(n) if (-MAX_PLAIN_INT..=MAX_PLAIN_INT).contains(n) => Json::from(*n),
        Value::Int(n) => tagged("int", Json::String(n.to_string())),
        Value::Text(t) => Json::String(t.clone()),
        Value::Bytes(b) => tagged("bytes", Json::String(hex(b))),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Struct(fields) => tagged(
            "struct",
            Json::Object(
                fields
                    .iter()
                    .map(|(id, v)| (id.to_string(), to_json(v)))
                    .collect(),
            ),
        ),
    }
}

/// The JSON of `value`, or JSON `null` for no value.
pub fn option_to_json(value: Option<&Value>) -> Json {
    value.map_or(Json::Null, to_json)
}

/// The Hearth value of `json` (§5); JSON `null` is refused (it stands for no value).
pub fn from_json(json: &Json) -> Result<Value, JsonValueError> {
    match json {
        Json::Null => Err(JsonValueError::BareNull),
        Json::Bool(b) => Ok(Value::Bool(*b)),
        Json::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .ok_or_else(|| JsonValueError::NotAnInteger(n.to_string())),
        Json::String(s) => Ok(Value::Text(s.clone())),
        Json::Array(items) => items
            .iter()
            .map(from_json)
            .collect::<Result<_, _>>()
            .map(Value::List),
        Json::Object(map) => from_tagged(map),
    }
}

fn from_tagged(map: &Map<String, Json>) -> Result<Value, JsonValueError> {
    let malformed = |what: &str| JsonValueError::Malformed(what.to_owned());
    let mut entries = map.iter();
    let (Some((tag, inner)), None) = (entries.next(), entries.next()) else {
        return Err(JsonValueError::UnknownObject(
            Json::Object(map.clone()).to_string(),
        ));
    };
    match (tag.as_str(), inner) {
        ("null", Json::Bool(true)) => Ok(Value::Null),
        ("int", Json::String(s)) => s
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| JsonValueError::NotAnInteger(s.clone())),
        ("bytes", Json::String(s)) => unhex(s)
            .map(Value::Bytes)
            .ok_or_else(|| malformed("bytes must be lower-case hexadecimal of even length")),
        ("struct", Json::Object(fields)) => {
            let mut out = BTreeMap::new();
            for (id, v) in fields {
                let id: u16 = id
                    .parse()
                    .ok()
                    .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| malformed("struct field ids are decimal numbers up to 65535"))?;
                out.insert(id, from_json(v)?);
            }
            Ok(Value::Struct(out))
        }
        _ => Err(JsonValueError::UnknownObject(
            Json::Object(map.clone()).to_string(),
        )),
    }
}

/// A path in its numeric form, `component/capability/member` in decimal.
pub fn parse_path(text: &str) -> Result<Path, String> {
    let parts: Vec<&str> = text.split('/').collect();
    let number = |s: &str| -> Option<u16> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match parts.as_slice() {
        [c, cap, m] => match (number(c), number(cap), number(m)) {
            (Some(c), Some(cap), Some(m)) => Ok(Path::new(c, cap, m)),
            _ => Err(format!(
                "{text:?} is not a path COMPONENT/CAPABILITY/MEMBER in decimal"
            )),
        },
        _ => Err(format!(
            "{text:?} is not a path COMPONENT/CAPABILITY/MEMBER in decimal"
        )),
    }
}

fn tagged(tag: &str, inner: Json) -> Json {
    let mut map = Map::new();
    map.insert(tag.to_owned(), inner);
    Json::Object(map)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            ".{0,8}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                proptest::collection::btree_map(any::<u16>(), inner, 0..4).prop_map(Value::Struct),
            ]
        })
    }

    proptest! {
        /// Every value survives the round trip through its JSON text (HRT-CTL-020).
        #[test]
        fn values_round_trip_through_json_text(v in value()) {
            let text = to_json(&v).to_string();
            let back: Json = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(from_json(&back), Ok(v));
        }

        /// No JSON text makes the decoder panic.
        #[test]
        fn arbitrary_json_never_panics(text in ".{0,64}") {
            if let Ok(json) = serde_json::from_str::<Json>(&text) {
                let _ = from_json(&json);
            }
        }
    }

    #[test]
    fn large_integers_and_non_literals_are_tagged() {
        assert_eq!(
            to_json(&Value::Int(1 << 53)).to_string(),
            "9007199254740992"
        );
        assert_eq!(
            to_json(&Value::Int((1 << 53) + 1)).to_string(),
            r#"{"int":"9007199254740993"}"#
        );
        assert_eq!(to_json(&Value::Null).to_string(), r#"{"null":true}"#);
        assert_eq!(
            to_json(&Value::Bytes(vec![0, 0xab])).to_string(),
            r#"{"bytes":"00ab"}"#
        );
        let s = Value::Struct([(1, Value::Int(2))].into_iter().collect());
        assert_eq!(to_json(&s).to_string(), r#"{"struct":{"1":2}}"#);
    }

    #[test]
    fn what_is_not_a_value_is_refused() {
        let refused = |text: &str| from_json(&serde_json::from_str(text).expect("json"));
        assert_eq!(refused("null"), Err(JsonValueError::BareNull));
        assert!(matches!(
            refused("1.5"),
            Err(JsonValueError::NotAnInteger(_))
        ));
        assert!(matches!(
            refused("18446744073709551615"),
            Err(JsonValueError::NotAnInteger(_))
        ));
        assert!(matches!(
            refused(r#"{"bytes":"ABC"}"#),
            Err(JsonValueError::Malformed(_))
        ));
        assert!(matches!(
            refused(r#"{"bytes":"AB"}"#),
            Err(JsonValueError::Malformed(_))
        ));
        assert!(matches!(
            refused(r#"{"struct":{"x":1}}"#),
            Err(JsonValueError::Malformed(_))
        ));
        assert!(matches!(
            refused(r#"{"struct":{"65536":1}}"#),
            Err(JsonValueError::Malformed(_))
        ));
        assert!(matches!(
            refused(r#"{"null":false}"#),
            Err(JsonValueError::UnknownObject(_))
        ));
        assert!(matches!(
            refused(r#"{"int":"1","bytes":""}"#),
            Err(JsonValueError::UnknownObject(_))
        ));
    }

    #[test]
    fn paths_are_three_decimal_numbers() {
        assert_eq!(parse_path("0/3/1"), Ok(Path::new(0, 3, 1)));
        for bad in ["", "0/3", "0/3/1/2", "0/x/1", "0/+3/1", "0/70000/1", "0//1"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
