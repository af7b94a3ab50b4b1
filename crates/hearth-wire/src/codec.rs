//! CBOR encoding and decoding of messages (`spec/04-messages.md`).
//!
//! One codec shape for every type: `encode` builds a CBOR data item with small integer keys,
//! written in deterministic order (RFC 8949 §4.2.1: shortest integers, definite lengths, map
//! keys ascending); `decode` reads a whole message, within [`Limits`], before anything acts
//! on it, and fails with one small error type, [`DecodeError`]. Unknown map keys are ignored
//! so later minor versions can add optional fields; unknown kinds and a wrong major version
//! are errors.
//!
//! The bodies of the commissioning kinds (11 to 21) are encoded and decoded by
//! [`crate::commissioning`] with the helpers of this module.
//!
//! Bytes are read strictly ([`hearth_security::strict`]): one reading only. Integers and
//! lengths in a longer form and map keys in any order are accepted (HRT-MSG-100), but an
//! indefinite length (HRT-MSG-101), any tag — a bignum is not an integer here — (HRT-MSG-102),
//! a float or a simple value other than `false`, `true` and `null` (HRT-MSG-103), and a map
//! key given twice, of whatever type (HRT-MSG-104), make the whole message undecodable,
//! wherever they are, in an entry the decoder would otherwise ignore too.

use ciborium::value::{Integer, Value as Cbor};
use hearth_model::{
    CapabilityInstance, ComponentDescription, Constraint, Description, EnumEntry, Path, StatusCode,
    Value,
};
use hearth_security::strict::{self, StrictError};

use crate::commissioning as com;
use crate::message::{
    Availability, Body, EventBody, InvokeResult, Kind, Message, ReadResult, Report, Status,
    PROTOCOL_VERSION,
};

/// Size and count limits a receiver enforces while decoding ([HRT-MSG-030]…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest encoded message accepted, in bytes.
    pub max_message: usize,
    /// Deepest CBOR nesting accepted anywhere in a message.
    pub max_depth: usize,
    /// Most entries in any one list of a body (paths, values, results, components, …).
    pub max_entries: usize,
    /// Most certificates in a chain.
    pub max_chain: usize,
    /// Longest sender or target id, in bytes.
    pub max_id: usize,
}

impl Limits {
    /// The limits the specification sets for every receiver.
    pub const STANDARD: Self = Self {
        max_message: 65_536,
        max_depth: 16,
        max_entries: 256,
        max_chain: 4,
        max_id: 128,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::STANDARD
    }
}

/// Why bytes are not a valid message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Larger than [`Limits::max_message`].
    #[error("message of {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Size received.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not well-formed CBOR, trailing bytes, or nested deeper than the limit.
    #[error("not a well-formed CBOR item within the nesting limit: {0}")]
    Cbor(String),
    /// A field has the wrong CBOR type.
    #[error("{field}: expected {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// A mandatory field is absent.
    #[error("{0} is missing")]
    Missing(&'static str),
    /// A map key appears twice.
    #[error("{0}: duplicate map key")]
    DuplicateKey(&'static str),
    /// A number or length outside what the field allows.
    #[error("{0}: out of range")]
    OutOfRange(&'static str),
    /// A list longer than the limit.
    #[error("{field}: more than {max} entries")]
    TooMany {
        /// The field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// An empty list under an optional key of a description, where the key is to be omitted
    /// instead (HRT-MOD-120, HRT-MOD-121).
    #[error("{0}: an empty list, where the key is omitted instead")]
    EmptyList(&'static str),
    /// A key the structure does not define, where unknown keys are not allowed.
    #[error("{0}: unknown key")]
    UnknownKey(&'static str),
    /// A protocol version this implementation does not speak.
    #[error("protocol version {0} is not supported")]
    Version(u64),
    /// A message kind this implementation does not know.
    #[error("unknown message kind {0}")]
    UnknownKind(u64),
    /// Well-formed CBOR outside the profile's data model: an indefinite length, a tag, a
    /// float, a simple value other than `false`, `true` and `null`, or a map key given
    /// twice (HRT-MSG-101 … HRT-MSG-104).
    #[error("outside the CBOR profile: {0}")]
    OutsideProfile(StrictError),
}

impl From<StrictError> for DecodeError {
    fn from(e: StrictError) -> Self {
        if e.is_outside_profile() {
            Self::OutsideProfile(e)
        } else {
            Self::Cbor(e.to_string())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Keys (spec/04-messages.md, CDDL).

mod key {
    pub(super) const VERSION: u64 = 1;
    pub(super) const KIND: u64 = 2;
    pub(super) const SENDER: u64 = 3;
    pub(super) const COUNTER: u64 = 4;
    pub(super) const BODY: u64 = 5;
    pub(super) const TIME: u64 = 6;
    pub(super) const REQUEST_ID: u64 = 7;
    pub(super) const TARGET: u64 = 8;
    pub(super) const CHAIN: u64 = 9;
}

pub(crate) fn int(i: impl Into<Integer>) -> Cbor {
    Cbor::Integer(i.into())
}

pub(crate) fn map(entries: Vec<(u64, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (int(k), v)).collect())
}

fn path_items(p: &Path) -> [Cbor; 3] {
    [int(p.component), int(p.capability), int(p.member)]
}

fn path(p: &Path) -> Cbor {
    Cbor::Array(path_items(p).into())
}

fn ids(list: &[u16]) -> Cbor {
    Cbor::Array(list.iter().map(|i| int(*i)).collect())
}

/// Encode a model value as CBOR.
pub fn encode_value(v: &Value) -> Cbor {
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::Int(i) => int(*i),
        Value::Text(s) => Cbor::Text(s.clone()),
        Value::Bytes(b) => Cbor::Bytes(b.clone()),
        Value::List(items) => Cbor::Array(items.iter().map(encode_value).collect()),
        Value::Struct(fields) => Cbor::Map(
            fields
                .iter()
                .map(|(k, v)| (int(*k), encode_value(v)))
                .collect(),
        ),
    }
}

fn encode_description(d: &Description) -> Cbor {
    let components = d
        .components
        .iter()
        .map(|c| {
            let mut e = vec![(1, int(c.id))];
            if let Some(label) = &c.label {
                e.push((2, Cbor::Text(label.clone())));
            }
            e.push((
                3,
                Cbor::Array(c.capabilities.iter().map(encode_instance).collect()),
            ));
            map(e)
        })
        .collect();
    map(vec![
        (1, int(d.spec_version)),
        (2, int(d.vendor_id)),
        (3, Cbor::Text(d.device_id.clone())),
        (4, int(d.device_type)),
        (5, Cbor::Array(components)),
    ])
}

fn encode_instance(i: &CapabilityInstance) -> Cbor {
    let mut e = vec![(1, int(i.capability))];
    if !i.properties.is_empty() {
        e.push((2, ids(&i.properties)));
    }
    if !i.actions.is_empty() {
        e.push((3, ids(&i.actions)));
    }
    if !i.events.is_empty() {
        e.push((4, ids(&i.events)));
    }
    if !i.constraints.is_empty() {
        e.push((
            5,
            Cbor::Array(i.constraints.iter().map(encode_constraint).collect()),
        ));
    }
    map(e)
}

fn encode_constraint(c: &Constraint) -> Cbor {
    let mut e = vec![(1, int(c.property))];
    if let Some(v) = c.min {
        e.push((2, int(v)));
    }
    if let Some(v) = c.max {
        e.push((3, int(v)));
    }
    if let Some(v) = c.step {
        e.push((4, int(v)));
    }
    if let Some(v) = c.max_len {
        e.push((5, int(v)));
    }
    if let Some(v) = c.max_count {
        e.push((6, int(v)));
    }
    if let Some(values) = &c.values {
        let entries = values
            .iter()
            .map(|v| {
                let mut e = vec![(1, int(v.code))];
                if let Some(label) = &v.label {
                    e.push((2, Cbor::Text(label.clone())));
                }
                if !v.tags.is_empty() {
                    e.push((3, ids(&v.tags)));
                }
                map(e)
            })
            .collect();
        e.push((7, Cbor::Array(entries)));
    }
    map(e)
}

fn path_value(p: &Path, v: &Value) -> Cbor {
    let [a, b, c] = path_items(p);
    Cbor::Array(vec![a, b, c, encode_value(v)])
}

/// Encode a body as the CBOR item that key 5 of its message holds.
pub fn encode_body(body: &Body) -> Cbor {
    match body {
        Body::Description(d) => encode_description(d),
        Body::Status(s) => map(vec![
            (
                1,
                int(match s.availability {
                    Availability::Offline => 0u8,
                    Availability::Online => 1u8,
                }),
            ),
            (2, int(s.boot_id)),
        ]),
        Body::Report(r) => map(vec![
            (1, Cbor::Bool(r.full)),
            (
                2,
                Cbor::Array(r.values.iter().map(|(p, v)| path_value(p, v)).collect()),
            ),
        ]),
        Body::Event(e) => map(vec![
            (1, path(&e.path)),
            (2, int(e.number)),
            (3, encode_value(&e.fields)),
        ]),
        Body::Read(paths) => map(vec![(1, Cbor::Array(paths.iter().map(path).collect()))]),
        Body::Write(values) => map(vec![(
            1,
            Cbor::Array(values.iter().map(|(p, v)| path_value(p, v)).collect()),
        )]),
        Body::Invoke { path: p, args } => map(vec![(1, path(p)), (2, encode_value(args))]),
        Body::ReadResponse(results) => map(vec![(
            1,
            Cbor::Array(
                results
                    .iter()
                    .map(|r| {
                        let mut items: Vec<Cbor> = path_items(&r.path).into();
                        items.push(int(r.status.code()));
                        if let Some(v) = &r.value {
                            items.push(encode_value(v));
                        }
                        Cbor::Array(items)
                    })
                    .collect(),
            ),
        )]),
        Body::WriteResponse(results) => map(vec![(
            1,
            Cbor::Array(
                results
                    .iter()
                    .map(|(p, s)| {
                        let mut items: Vec<Cbor> = path_items(p).into();
                        items.push(int(s.code()));
                        Cbor::Array(items)
                    })
                    .collect(),
            ),
        )]),
        Body::InvokeResponse(r) => {
            let mut e = vec![(1, path(&r.path)), (2, int(r.status.code()))];
            if let Some(v) = &r.results {
                e.push((3, encode_value(v)));
            }
            map(e)
        }
        Body::Window(w) => com::encode_window(w),
        Body::PakeStart(share) => com::encode_share(share),
        Body::PakeResponse(r) => com::encode_pake_response(r),
        Body::PakeConfirm(c) => com::encode_pake_confirm(c),
        Body::CommissionResult(r) => com::encode_commission_result(r),
        Body::AclRead => map(Vec::new()),
        Body::AclReadResponse(r) => com::encode_acl_read_response(r),
        Body::AclChange(ops) => com::encode_acl_change(ops),
        Body::AclChangeResponse(r) => com::encode_acl_change_response(r),
        Body::WindowControl(w) => com::encode_window_control(w),
        Body::WindowControlResponse(status) => com::encode_status(*status),
    }
}

/// Encode a message in deterministic CBOR.
pub fn encode(msg: &Message) -> Vec<u8> {
    let mut e = vec![
        (key::VERSION, int(msg.version)),
        (key::KIND, int(msg.kind() as u8)),
        (key::SENDER, Cbor::Text(msg.sender.clone())),
        (key::COUNTER, int(msg.counter)),
        (key::BODY, encode_body(&msg.body)),
    ];
    if let Some(t) = msg.time_ms {
        e.push((key::TIME, int(t)));
    }
    if let Some(r) = msg.request_id {
        e.push((key::REQUEST_ID, int(r)));
    }
    if let Some(t) = &msg.target {
        e.push((key::TARGET, Cbor::Text(t.clone())));
    }
    if !msg.chain.is_empty() {
        e.push((
            key::CHAIN,
            Cbor::Array(msg.chain.iter().map(|c| Cbor::Bytes(c.clone())).collect()),
        ));
    }
    let mut out = Vec::with_capacity(128);
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&map(e), &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// Parse bytes into one CBOR item within the limits, strictly: no tag, definite lengths,
/// no repeated map key, nothing after the item (HRT-MSG-030, HRT-MSG-040, HRT-MSG-101 …
/// HRT-MSG-104).
pub fn parse_cbor(bytes: &[u8], limits: &Limits) -> Result<Cbor, DecodeError> {
    if bytes.len() > limits.max_message {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            max: limits.max_message,
        });
    }
    Ok(strict::decode(bytes, None, limits.max_depth)?)
}

/// The fields of a CBOR map with unsigned integer keys; other keys are ignored.
pub(crate) struct Fields<'a> {
    entries: Vec<(u64, &'a Cbor)>,
    /// Whether the map had keys that are not unsigned integers (ignored unless closed).
    foreign: bool,
}

impl<'a> Fields<'a> {
    pub(crate) fn of(item: &'a Cbor, field: &'static str) -> Result<Self, DecodeError> {
        let Cbor::Map(m) = item else {
            return Err(DecodeError::WrongType {
                field,
                expected: "map",
            });
        };
        let mut entries: Vec<(u64, &Cbor)> = Vec::with_capacity(m.len());
        let mut foreign = false;
        for (k, v) in m {
            match k {
                Cbor::Integer(i) => match u64::try_from(*i) {
                    Ok(k) => entries.push((k, v)),
                    Err(_) => foreign = true,
                },
                _ => foreign = true,
            }
        }
        // Bytes parsed by `parse_cbor` have no repeated key at all (HRT-MSG-104); an item
        // built otherwise is checked here, in n log n whatever the map's size.
        let mut keys: Vec<u64> = entries.iter().map(|(k, _)| *k).collect();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) {
            return Err(DecodeError::DuplicateKey(field));
        }
        Ok(Self { entries, foreign })
    }

    /// Reject keys outside `known`: the description is a closed structure ([HRT-MSG-051]).
    fn closed(self, known: &[u64], field: &'static str) -> Result<Self, DecodeError> {
        if self.foreign || self.entries.iter().any(|(k, _)| !known.contains(k)) {
            Err(DecodeError::UnknownKey(field))
        } else {
            Ok(self)
        }
    }

    pub(crate) fn get(&self, key: u64) -> Option<&'a Cbor> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    pub(crate) fn req(&self, key: u64, field: &'static str) -> Result<&'a Cbor, DecodeError> {
        self.get(key).ok_or(DecodeError::Missing(field))
    }
}

pub(crate) fn as_u64(item: &Cbor, field: &'static str) -> Result<u64, DecodeError> {
    match item {
        Cbor::Integer(i) => u64::try_from(*i).map_err(|_| DecodeError::OutOfRange(field)),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "unsigned integer",
        }),
    }
}

pub(crate) fn as_u16(item: &Cbor, field: &'static str) -> Result<u16, DecodeError> {
    u16::try_from(as_u64(item, field)?).map_err(|_| DecodeError::OutOfRange(field))
}

pub(crate) fn as_u32(item: &Cbor, field: &'static str) -> Result<u32, DecodeError> {
    u32::try_from(as_u64(item, field)?).map_err(|_| DecodeError::OutOfRange(field))
}

fn as_i64(item: &Cbor, field: &'static str) -> Result<i64, DecodeError> {
    match item {
        Cbor::Integer(i) => i64::try_from(*i).map_err(|_| DecodeError::OutOfRange(field)),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "integer",
        }),
    }
}

fn as_text(item: &Cbor, field: &'static str, max: usize) -> Result<String, DecodeError> {
    match item {
        Cbor::Text(s) if s.len() <= max => Ok(s.clone()),
        Cbor::Text(_) => Err(DecodeError::OutOfRange(field)),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "text string",
        }),
    }
}

pub(crate) fn as_bool(item: &Cbor, field: &'static str) -> Result<bool, DecodeError> {
    match item {
        Cbor::Bool(b) => Ok(*b),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "bool",
        }),
    }
}

pub(crate) fn as_array<'a>(
    item: &'a Cbor,
    field: &'static str,
    max: usize,
) -> Result<&'a [Cbor], DecodeError> {
    match item {
        Cbor::Array(a) if a.len() <= max => Ok(a),
        Cbor::Array(_) => Err(DecodeError::TooMany { field, max }),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "array",
        }),
    }
}

/// A list under an optional key of the description, which is omitted rather than sent
/// empty (HRT-MOD-120, HRT-MOD-121).
fn optional_list<'a>(
    item: &'a Cbor,
    field: &'static str,
    limits: &Limits,
) -> Result<&'a [Cbor], DecodeError> {
    match as_array(item, field, limits.max_entries)? {
        [] => Err(DecodeError::EmptyList(field)),
        items => Ok(items),
    }
}

/// The ids of an optional member or tag list (never empty, [`optional_list`]).
fn id_list(item: &Cbor, field: &'static str, limits: &Limits) -> Result<Vec<u16>, DecodeError> {
    optional_list(item, field, limits)?
        .iter()
        .map(|i| as_u16(i, field))
        .collect()
}

/// Decode a CBOR item into a model value.
pub fn decode_value(item: &Cbor) -> Result<Value, DecodeError> {
    const FIELD: &str = "value";
    Ok(match item {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(*b),
        Cbor::Integer(i) => {
            Value::Int(i64::try_from(*i).map_err(|_| DecodeError::OutOfRange(FIELD))?)
        }
        Cbor::Text(s) => Value::Text(s.clone()),
        Cbor::Bytes(b) => Value::Bytes(b.clone()),
        Cbor::Array(items) => {
            Value::List(items.iter().map(decode_value).collect::<Result<_, _>>()?)
        }
        Cbor::Map(entries) => {
            let mut fields = std::collections::BTreeMap::new();
            for (k, v) in entries {
                let k = as_u16(k, "struct field id")?;
                if fields.insert(k, decode_value(v)?).is_some() {
                    return Err(DecodeError::DuplicateKey("struct"));
                }
            }
            Value::Struct(fields)
        }
        _ => {
            return Err(DecodeError::WrongType {
                field: FIELD,
                expected: "null, bool, integer, text, bytes, array or map",
            })
        }
    })
}

fn decode_path(items: &[Cbor], field: &'static str) -> Result<Path, DecodeError> {
    match items {
        [c, cap, m, ..] => Ok(Path::new(
            as_u16(c, field)?,
            as_u16(cap, field)?,
            as_u16(m, field)?,
        )),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "[component, capability, member]",
        }),
    }
}

fn path_of(item: &Cbor, field: &'static str) -> Result<Path, DecodeError> {
    let items = as_array(item, field, 3)?;
    decode_path(items, field)
}

fn path_and_value(item: &Cbor, field: &'static str) -> Result<(Path, Value), DecodeError> {
    match as_array(item, field, 4)? {
        items @ [_, _, _, v] => Ok((decode_path(items, field)?, decode_value(v)?)),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "[component, capability, member, value]",
        }),
    }
}

/// A status code; one this implementation does not know counts as `failure` ([HRT-MSG-071]).
pub(crate) fn status_of(item: &Cbor, field: &'static str) -> Result<StatusCode, DecodeError> {
    let code = as_u64(item, field)?;
    Ok(u16::try_from(code)
        .ok()
        .and_then(StatusCode::from_code)
        .unwrap_or(StatusCode::Failure))
}

/// A struct-valued field (event fields, action results): a CBOR map.
fn struct_value(item: &Cbor, field: &'static str) -> Result<Value, DecodeError> {
    match item {
        Cbor::Map(_) => decode_value(item),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "map",
        }),
    }
}

/// Every item of the array `item` (at most `limits.max_entries`) through `decode`.
fn decode_all<T>(
    item: &Cbor,
    field: &'static str,
    limits: &Limits,
    decode: impl Fn(&Cbor) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    as_array(item, field, limits.max_entries)?
        .iter()
        .map(decode)
        .collect()
}

/// The optional label (key 2, at most 256 bytes) of a component or an enum entry.
fn label(f: &Fields<'_>) -> Result<Option<String>, DecodeError> {
    f.get(2).map(|l| as_text(l, "label", 256)).transpose()
}

fn decode_description(item: &Cbor, limits: &Limits) -> Result<Description, DecodeError> {
    let f = Fields::of(item, "description")?.closed(&[1, 2, 3, 4, 5], "description")?;
    let components = decode_all(f.req(5, "components")?, "components", limits, |c| {
        let cf = Fields::of(c, "component")?.closed(&[1, 2, 3], "component")?;
        let capabilities = cf.req(3, "capabilities")?;
        Ok(ComponentDescription {
            id: as_u16(cf.req(1, "component id")?, "component id")?,
            label: label(&cf)?,
            capabilities: decode_all(capabilities, "capabilities", limits, |i| {
                decode_instance(i, limits)
            })?,
        })
    })?;
    Ok(Description {
        spec_version: as_u16(f.req(1, "spec version")?, "spec version")?,
        vendor_id: as_u16(f.req(2, "vendor id")?, "vendor id")?,
        device_id: as_text(f.req(3, "device id")?, "device id", limits.max_id)?,
        device_type: as_u16(f.req(4, "device type")?, "device type")?,
        components,
    })
}

fn decode_instance(item: &Cbor, limits: &Limits) -> Result<CapabilityInstance, DecodeError> {
    let f =
        Fields::of(item, "capability instance")?.closed(&[1, 2, 3, 4, 5], "capability instance")?;
    let list = |k, field| {
        f.get(k)
            .map(|v| id_list(v, field, limits))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(CapabilityInstance {
        capability: as_u16(f.req(1, "capability")?, "capability")?,
        properties: list(2, "properties")?,
        actions: list(3, "actions")?,
        events: list(4, "events")?,
        constraints: match f.get(5) {
            Some(v) => optional_list(v, "constraints", limits)?
                .iter()
                .map(|c| decode_constraint(c, limits))
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        },
    })
}

fn decode_constraint(item: &Cbor, limits: &Limits) -> Result<Constraint, DecodeError> {
    let f = Fields::of(item, "constraint")?.closed(&[1, 2, 3, 4, 5, 6, 7], "constraint")?;
    let values = match f.get(7) {
        Some(v) => Some(decode_all(v, "values", limits, |e| {
            let ef = Fields::of(e, "value entry")?.closed(&[1, 2, 3], "value entry")?;
            let tags = ef.get(3).map(|t| id_list(t, "tags", limits)).transpose()?;
            Ok(EnumEntry {
                code: as_u16(ef.req(1, "code")?, "code")?,
                label: label(&ef)?,
                tags: tags.unwrap_or_default(),
            })
        })?),
        None => None,
    };
    Ok(Constraint {
        property: as_u16(f.req(1, "constraint property")?, "constraint property")?,
        min: f.get(2).map(|v| as_i64(v, "min")).transpose()?,
        max: f.get(3).map(|v| as_i64(v, "max")).transpose()?,
        step: f.get(4).map(|v| as_u64(v, "step")).transpose()?,
        max_len: f.get(5).map(|v| as_u32(v, "max_len")).transpose()?,
        max_count: f.get(6).map(|v| as_u32(v, "max_count")).transpose()?,
        values,
    })
}

/// Decode the body of a message of `kind` from the CBOR item key 5 holds, with every check
/// of a whole message's decoding.
pub fn decode_body(kind: Kind, item: &Cbor, limits: &Limits) -> Result<Body, DecodeError> {
    if kind == Kind::Description {
        return Ok(Body::Description(decode_description(item, limits)?));
    }
    let f = Fields::of(item, "body")?;
    let entries = |k, field| as_array(f.req(k, field)?, field, limits.max_entries);
    Ok(match kind {
        Kind::Description => unreachable_description(),
        Kind::Status => Body::Status(Status {
            availability: match as_u64(f.req(1, "availability")?, "availability")? {
                0 => Availability::Offline,
                1 => Availability::Online,
                _ => return Err(DecodeError::OutOfRange("availability")),
            },
            boot_id: as_u64(f.req(2, "boot id")?, "boot id")?,
        }),
        Kind::Report => Body::Report(Report {
            full: as_bool(f.req(1, "full")?, "full")?,
            values: entries(2, "report values")?
                .iter()
                .map(|e| path_and_value(e, "report value"))
                .collect::<Result<_, _>>()?,
        }),
        Kind::Event => Body::Event(EventBody {
            path: path_of(f.req(1, "event path")?, "event path")?,
            number: as_u64(f.req(2, "event number")?, "event number")?,
            fields: struct_value(f.req(3, "event fields")?, "event fields")?,
        }),
        Kind::Read => Body::Read(
            entries(1, "read paths")?
                .iter()
                .map(|p| path_of(p, "read path"))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Write => Body::Write(
            entries(1, "write values")?
                .iter()
                .map(|e| path_and_value(e, "write value"))
                .collect::<Result<_, _>>()?,
        ),
        Kind::Invoke => Body::Invoke {
            path: path_of(f.req(1, "action path")?, "action path")?,
            args: decode_value(f.req(2, "arguments")?)?,
        },
        Kind::ReadResponse => Body::ReadResponse(
            entries(1, "read results")?
                .iter()
                .map(|r| {
                    let items = as_array(r, "read result", 5)?;
                    let (status, value) = match items {
                        [_, _, _, s] => (status_of(s, "read status")?, None),
                        [_, _, _, s, v] => (status_of(s, "read status")?, Some(decode_value(v)?)),
                        _ => {
                            return Err(DecodeError::WrongType {
                                field: "read result",
                                expected: "[c, cap, m, status, ?value]",
                            })
                        }
                    };
                    if (status == StatusCode::Success) != value.is_some() {
                        return Err(DecodeError::WrongType {
                            field: "read result",
                            expected: "a value exactly when the status is success",
                        });
                    }
                    Ok(ReadResult {
                        path: decode_path(items, "read result")?,
                        status,
                        value,
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Kind::WriteResponse => Body::WriteResponse(
            entries(1, "write results")?
                .iter()
                .map(|r| match as_array(r, "write result", 4)? {
                    items @ [_, _, _, s] => Ok((
                        decode_path(items, "write result")?,
                        status_of(s, "write status")?,
                    )),
                    _ => Err(DecodeError::WrongType {
                        field: "write result",
                        expected: "[c, cap, m, status]",
                    }),
                })
                .collect::<Result<_, _>>()?,
        ),
        Kind::InvokeResponse => Body::InvokeResponse(InvokeResult {
            path: path_of(f.req(1, "action path")?, "action path")?,
            status: status_of(f.req(2, "invoke status")?, "invoke status")?,
            results: f.get(3).map(|r| struct_value(r, "results")).transpose()?,
        }),
        Kind::Window => Body::Window(com::decode_window(&f)?),
        Kind::PakeStart => Body::PakeStart(com::decode_share(&f)?),
        Kind::PakeResponse => Body::PakeResponse(com::decode_pake_response(&f)?),
        Kind::PakeConfirm => Body::PakeConfirm(com::decode_pake_confirm(&f)?),
        Kind::CommissionResult => Body::CommissionResult(com::decode_commission_result(&f)?),
        Kind::AclRead => Body::AclRead,
        Kind::AclReadResponse => Body::AclReadResponse(com::decode_acl_read_response(&f)?),
        Kind::AclChange => Body::AclChange(com::decode_acl_change(&f)?),
        Kind::AclChangeResponse => Body::AclChangeResponse(com::decode_acl_change_response(&f)?),
        Kind::WindowControl => Body::WindowControl(com::decode_window_control(&f)?),
        Kind::WindowControlResponse => Body::WindowControlResponse(com::decode_status(&f)?),
    })
}

#[inline]
fn unreachable_description() -> Body {
    // Handled before the match; kept total without a panic path.
    Body::Read(Vec::new())
}

/// Decode the header and body of a message from a parsed CBOR item.
pub fn decode_item(item: &Cbor, limits: &Limits) -> Result<Message, DecodeError> {
    let f = Fields::of(item, "message")?;
    let version = as_u64(f.req(key::VERSION, "version")?, "version")?;
    if version != u64::from(PROTOCOL_VERSION) {
        return Err(DecodeError::Version(version));
    }
    let kind_code = as_u64(f.req(key::KIND, "kind")?, "kind")?;
    let kind = Kind::from_code(kind_code).ok_or(DecodeError::UnknownKind(kind_code))?;
    let chain = match f.get(key::CHAIN) {
        Some(c) => as_array(c, "chain", limits.max_chain)?
            .iter()
            .map(|c| match c {
                Cbor::Bytes(b) => Ok(b.clone()),
                _ => Err(DecodeError::WrongType {
                    field: "chain",
                    expected: "byte strings",
                }),
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    Ok(Message {
        version: PROTOCOL_VERSION,
        sender: as_text(f.req(key::SENDER, "sender")?, "sender", limits.max_id)?,
        counter: as_u64(f.req(key::COUNTER, "counter")?, "counter")?,
        time_ms: f.get(key::TIME).map(|t| as_u64(t, "time")).transpose()?,
        request_id: f
            .get(key::REQUEST_ID)
            .map(|r| as_u64(r, "request id"))
            .transpose()?,
        target: f
            .get(key::TARGET)
            .map(|t| as_text(t, "target", limits.max_id))
            .transpose()?,
        chain,
        body: decode_body(kind, f.req(key::BODY, "body")?, limits)?,
    })
}

/// Decode a message from bytes, within the limits.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Message, DecodeError> {
    decode_item(&parse_cbor(bytes, limits)?, limits)
}

/// Decode a message as a general-purpose CBOR decoder reads the bytes: a bignum as an
/// integer, `undefined` as `null`, indefinite lengths taken, a text key given twice ignored
/// like any text key. The lapse of a receiver that is not strict (HRT-MSG-101 …
/// HRT-MSG-104), for the simulator's fault profiles only.
#[cfg(feature = "fault-injection")]
pub fn decode_lax(bytes: &[u8], limits: &Limits) -> Result<Message, DecodeError> {
    decode_item(&read_lax(bytes, limits)?, limits)
}

/// One CBOR item read as ciborium reads it, within the size and depth limits; trailing
/// bytes refused.
#[cfg(feature = "fault-injection")]
fn read_lax(bytes: &[u8], limits: &Limits) -> Result<Cbor, DecodeError> {
    if bytes.len() > limits.max_message {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            max: limits.max_message,
        });
    }
    let mut reader = bytes;
    let item: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut reader, limits.max_depth)
        .map_err(|e| DecodeError::Cbor(e.to_string()))?;
    match reader.len() {
        0 => Ok(item),
        n => Err(DecodeError::Cbor(format!("{n} trailing bytes"))),
    }
}

/// Decode a message whose floating-point numbers are read as text (`26.5` as `"26.5"`), as a
/// receiver that takes any CBOR number and only then finds it of the wrong type: it answers
/// `invalid-type` where the message does not decode at all (the lapse of HRT-MSG-040 and
/// HRT-MSG-082), for the simulator's fault profiles only. Everything else is read strictly.
#[cfg(feature = "fault-injection")]
pub fn decode_floats_as_text(bytes: &[u8], limits: &Limits) -> Result<Message, DecodeError> {
    /// The item with every float replaced by its decimal text.
    fn floats_as_text(item: Cbor) -> Cbor {
        match item {
            Cbor::Float(f) => Cbor::Text(f.to_string()),
            Cbor::Array(items) => Cbor::Array(items.into_iter().map(floats_as_text).collect()),
            Cbor::Map(entries) => Cbor::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (floats_as_text(k), floats_as_text(v)))
                    .collect(),
            ),
            Cbor::Tag(tag, inner) => Cbor::Tag(tag, Box::new(floats_as_text(*inner))),
            other => other,
        }
    }
    let item = read_lax(bytes, limits)?;
    let mut rewritten = Vec::with_capacity(bytes.len());
    ciborium::ser::into_writer(&floats_as_text(item), &mut rewritten)
        .map_err(|e| DecodeError::Cbor(e.to_string()))?;
    decode(&rewritten, limits)
}

/// Whether a decoded message is consistent with its kind: requests carry a request id and a
/// target, responses a request id and a target, device messages neither ([HRT-MSG-012]).
pub fn check_header(msg: &Message) -> Result<(), DecodeError> {
    let kind = msg.kind();
    if kind.is_request() || kind.is_response() {
        if msg.request_id.is_none() {
            return Err(DecodeError::Missing("request id"));
        }
        if msg.target.is_none() {
            return Err(DecodeError::Missing("target"));
        }
    }
    Ok(())
}
