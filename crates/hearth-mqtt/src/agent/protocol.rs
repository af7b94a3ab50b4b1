//! The requests and responses of the test agent protocol (`spec/08-controllers.md` §4.2),
//! parsed from and written to JSON lines. Parsing never panics: every line yields a request
//! or an error response with the request's `id` where it has a usable one (HRT-CTL-011).

use hearth_model::{Path, Value};
use serde_json::{json, Map, Value as Json};

use super::json::{from_json, parse_path};
use crate::topic::DeviceAddr;

/// The longest request line an agent reads (HRT-CTL-012).
pub const MAX_LINE: usize = 65_536;

/// The version of the protocol `hello` names.
pub const PROTOCOL: u64 = 1;

/// One request of the suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Who the agent is.
    Hello,
    /// The devices the controller holds a verified description or status of.
    Devices,
    /// The last accepted value of a property.
    Value {
        /// The device.
        device: DeviceAddr,
        /// The property.
        path: Path,
    },
    /// Wait until the controller has accepted `value` for the property.
    Await {
        /// The device.
        device: DeviceAddr,
        /// The property.
        path: Path,
        /// The value awaited.
        value: Value,
        /// The longest wait, in milliseconds.
        timeout_ms: u64,
    },
    /// Read properties of a device.
    Read {
        /// The device.
        device: DeviceAddr,
        /// The properties.
        paths: Vec<Path>,
    },
    /// Write properties of a device.
    Write {
        /// The device.
        device: DeviceAddr,
        /// The values.
        values: Vec<(Path, Value)>,
    },
    /// Invoke an action of a device.
    Invoke {
        /// The device.
        device: DeviceAddr,
        /// The action.
        path: Path,
        /// Its arguments (`null` when absent).
        args: Value,
    },
    /// Disconnect in an orderly way and exit.
    Stop,
}

/// The kinds of error a response carries (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The line is not a request of the protocol.
    BadRequest,
    /// The `op` is not one the agent knows.
    Unsupported,
    /// The controller holds nothing of this device.
    UnknownDevice,
    /// The device did not answer in the controller's time.
    NoResponse,
    /// The controller refused to send the request, or the answer was not usable.
    Refused,
}

impl ErrorKind {
    /// The name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Self::BadRequest => "bad-request",
            Self::Unsupported => "unsupported",
            Self::UnknownDevice => "unknown-device",
            Self::NoResponse => "no-response",
            Self::Refused => "refused",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::BadRequest,
            Self::Unsupported,
            Self::UnknownDevice,
            Self::NoResponse,
            Self::Refused,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// An error answer: its kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentError {
    /// The kind.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
}

impl AgentError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }
}

/// Parse one request line: its `id` (0 when it has no usable one) and the request or why it
/// is not one.
pub fn parse_request(line: &[u8]) -> (u64, Result<Request, AgentError>) {
    let json: Json = match serde_json::from_slice(line) {
        Ok(j) => j,
        Err(e) => return (0, Err(AgentError::bad(format!("not JSON: {e}")))),
    };
    let Json::Object(map) = json else {
        return (0, Err(AgentError::bad("a request is a JSON object")));
    };
    let Some(id) = map.get("id").and_then(Json::as_u64) else {
        return (
            0,
            Err(AgentError::bad("a request needs an integer `id` ≥ 0")),
        );
    };
    (id, request_of(&map))
}

fn request_of(map: &Map<String, Json>) -> Result<Request, AgentError> {
    let op = map
        .get("op")
        .and_then(Json::as_str)
        .ok_or_else(|| AgentError::bad("a request needs a text `op`"))?;
    let device = || -> Result<DeviceAddr, AgentError> {
        let text = field(map, "device")?
            .as_str()
            .ok_or_else(|| AgentError::bad("`device` is text VVVV/DEVICE-ID"))?;
        text.parse()
            .map_err(|e| AgentError::bad(format!("`device` {text:?}: {e}")))
    };
    let path = |key: &str| -> Result<Path, AgentError> {
        let text = field(map, key)?
            .as_str()
            .ok_or_else(|| AgentError::bad(format!("`{key}` is text C/CAP/MEMBER")))?;
        parse_path(text).map_err(AgentError::bad)
    };
    let value = |json: &Json| from_json(json).map_err(|e| AgentError::bad(e.to_string()));
    match op {
        "hello" => Ok(Request::Hello),
        "devices" => Ok(Request::Devices),
        "stop" => Ok(Request::Stop),
        "value" => Ok(Request::Value {
            device: device()?,
            path: path("path")?,
        }),
        "await" => Ok(Request::Await {
            device: device()?,
            path: path("path")?,
            value: value(field(map, "value")?)?,
            timeout_ms: field(map, "timeout_ms")?
                .as_u64()
                .ok_or_else(|| AgentError::bad("`timeout_ms` is an integer ≥ 0"))?,
        }),
        "read" => {
            let paths = list(map, "paths")?
                .iter()
                .map(|p| {
                    p.as_str()
                        .ok_or_else(|| AgentError::bad("each path is text C/CAP/MEMBER"))
                        .and_then(|t| parse_path(t).map_err(AgentError::bad))
                })
                .collect::<Result<_, _>>()?;
            Ok(Request::Read {
                device: device()?,
                paths,
            })
        }
        "write" => {
            let values = list(map, "values")?
                .iter()
                .map(|entry| {
                    let Json::Object(entry) = entry else {
                        return Err(AgentError::bad("each value is {\"path\", \"value\"}"));
                    };
                    let text = field(entry, "path")?
                        .as_str()
                        .ok_or_else(|| AgentError::bad("`path` is text C/CAP/MEMBER"))?;
                    let path = parse_path(text).map_err(AgentError::bad)?;
                    Ok((path, value(field(entry, "value")?)?))
                })
                .collect::<Result<_, _>>()?;
            Ok(Request::Write {
                device: device()?,
                values,
            })
        }
        "invoke" => Ok(Request::Invoke {
            device: device()?,
            path: path("path")?,
            args: match map.get("args") {
                None | Some(Json::Null) => Value::Null,
                Some(args) => value(args)?,
            },
        }),
        other => Err(AgentError::new(
            ErrorKind::Unsupported,
            format!("no op {other:?}"),
        )),
    }
}

fn field<'a>(map: &'a Map<String, Json>, key: &str) -> Result<&'a Json, AgentError> {
    map.get(key)
        .ok_or_else(|| AgentError::bad(format!("the request needs `{key}`")))
}

fn list<'a>(map: &'a Map<String, Json>, key: &str) -> Result<&'a Vec<Json>, AgentError> {
    field(map, key)?
        .as_array()
        .ok_or_else(|| AgentError::bad(format!("`{key}` is a list")))
}

/// The response line (without its line feed) for request `id`.
pub fn response_line(id: u64, result: &Result<Json, AgentError>) -> String {
    match result {
        Ok(ok) => json!({"id": id, "ok": ok}),
        Err(e) => json!({"id": id, "error": {"kind": e.kind.name(), "message": e.message}}),
    }
    .to_string()
}

/// Parse a response line: its `id`, and the result or the error it carries.
pub fn parse_response(line: &[u8]) -> Result<(u64, Result<Json, AgentError>), String> {
    let json: Json = serde_json::from_slice(line).map_err(|e| format!("not JSON: {e}"))?;
    let id = json
        .get("id")
        .and_then(Json::as_u64)
        .ok_or("a response needs an integer `id`")?;
    if let Some(ok) = json.get("ok") {
        return Ok((id, Ok(ok.clone())));
    }
    let error = json.get("error").ok_or("a response has `ok` or `error`")?;
    let kind = error
        .get("kind")
        .and_then(Json::as_str)
        .and_then(ErrorKind::from_name)
        .ok_or("an error needs a known `kind`")?;
    let message = error
        .get("message")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok((id, Err(AgentError::new(kind, message))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn requests_parse_with_their_fields() {
        let (id, req) = parse_request(
            br#"{"id":7,"op":"await","device":"fff1/lab-fan-1","path":"0/3/1","value":2,"timeout_ms":500}"#,
        );
        assert_eq!(id, 7);
        assert_eq!(
            req,
            Ok(Request::Await {
                device: "fff1/lab-fan-1".parse().expect("address"),
                path: Path::new(0, 3, 1),
                value: Value::Int(2),
                timeout_ms: 500,
            })
        );
        let (_, req) = parse_request(
            br#"{"id":1,"op":"write","device":"fff1/f","values":[{"path":"0/3/1","value":{"null":true}}]}"#,
        );
        assert_eq!(
            req,
            Ok(Request::Write {
                device: "fff1/f".parse().expect("address"),
                values: vec![(Path::new(0, 3, 1), Value::Null)],
            })
        );
    }

    /// HRT-CTL-011: every malformed line gets an error of the right kind, with the id where
    /// there is one.
    #[test]
    fn malformed_requests_are_answered_with_their_kind() {
        let kind = |line: &[u8]| {
            let (id, r) = parse_request(line);
            (id, r.map_err(|e| e.kind))
        };
        assert_eq!(kind(b"not json"), (0, Err(ErrorKind::BadRequest)));
        assert_eq!(kind(b"[1]"), (0, Err(ErrorKind::BadRequest)));
        assert_eq!(kind(br#"{"op":"hello"}"#), (0, Err(ErrorKind::BadRequest)));
        assert_eq!(
            kind(br#"{"id":-1,"op":"hello"}"#),
            (0, Err(ErrorKind::BadRequest))
        );
        assert_eq!(
            kind(br#"{"id":3,"op":"dance"}"#),
            (3, Err(ErrorKind::Unsupported))
        );
        assert_eq!(
            kind(br#"{"id":4,"op":"value","device":"fff1/f"}"#),
            (4, Err(ErrorKind::BadRequest))
        );
        assert_eq!(
            kind(br#"{"id":5,"op":"value","device":"nope","path":"0/1/1"}"#),
            (5, Err(ErrorKind::BadRequest))
        );
        assert_eq!(
            kind(br#"{"id":6,"op":"await","device":"fff1/f","path":"0/1/1","value":1.5,"timeout_ms":1}"#),
            (6, Err(ErrorKind::BadRequest))
        );
    }

    #[test]
    fn responses_round_trip() {
        let ok = response_line(9, &Ok(json!({"value": 3})));
        assert_eq!(
            parse_response(ok.as_bytes()),
            Ok((9, Ok(json!({"value": 3}))))
        );
        let err = response_line(2, &Err(AgentError::new(ErrorKind::NoResponse, "late")));
        assert_eq!(
            parse_response(err.as_bytes()),
            Ok((2, Err(AgentError::new(ErrorKind::NoResponse, "late"))))
        );
    }

    proptest! {
        /// No line makes the parser panic.
        #[test]
        fn arbitrary_lines_never_panic(line in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = parse_request(&line);
            let _ = parse_response(&line);
        }
    }
}
