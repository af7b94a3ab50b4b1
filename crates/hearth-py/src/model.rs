//! The catalog, description and value validation, and the message codec: `hearth-model` and
//! `hearth-wire`'s codec, with Python objects in and out.

use hearth_model::validate::{check_invoke, check_value, check_write};
use hearth_model::{check_description, Catalog, MemberKind, StatusCode, ValueError};
use hearth_wire::{codec, Limits};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::{
    description_from_py, invalid, message_from_py, message_to_py, path_from_str, value_from_py,
};
use crate::errors::{raise, DecodeError, Detail, ValidationError};

fn to_py<T: serde::Serialize>(py: Python<'_>, v: &T) -> PyResult<Py<PyAny>> {
    pythonize::pythonize(py, v)
        .map(Bound::unbind)
        .map_err(|e| invalid(e.to_string()))
}

/// A catalog entry looked up by name or by numeric id.
enum Key {
    Name(String),
    Id(u16),
}

fn key(obj: &Bound<'_, PyAny>) -> PyResult<Key> {
    if let Ok(name) = obj.extract::<String>() {
        return Ok(Key::Name(name));
    }
    obj.extract::<u16>()
        .map(Key::Id)
        .map_err(|_| invalid("look up by name (str) or id (int 0..65535)"))
}

/// A catalog entry as a Python object, or `None` if there is none.
type Found = PyResult<Option<Py<PyAny>>>;

/// The catalog entry `name_or_id` names, found by `by_name` or `by_id`.
fn lookup<T: serde::Serialize + 'static>(
    py: Python<'_>,
    name_or_id: &Bound<'_, PyAny>,
    by_name: impl Fn(&'static Catalog, &str) -> Option<&'static T>,
    by_id: impl Fn(&'static Catalog, u16) -> Option<&'static T>,
) -> Found {
    let c = Catalog::standard();
    let found = match key(name_or_id)? {
        Key::Name(n) => by_name(c, &n),
        Key::Id(id) => by_id(c, id),
    };
    found.map(|d| to_py(py, d)).transpose()
}

/// A device type of the catalog, by name (`fan`) or id; `None` if there is none.
#[pyfunction]
pub(crate) fn device_type(py: Python<'_>, name_or_id: &Bound<'_, PyAny>) -> Found {
    lookup(
        py,
        name_or_id,
        Catalog::device_type_named,
        Catalog::device_type,
    )
}

/// A capability of the catalog, by name (`fan-control`) or id; `None` if there is none.
#[pyfunction]
pub(crate) fn capability(py: Python<'_>, name_or_id: &Bound<'_, PyAny>) -> Found {
    lookup(
        py,
        name_or_id,
        Catalog::capability_named,
        Catalog::capability,
    )
}

/// The names of every device type, in catalog order.
#[pyfunction]
pub(crate) fn device_types() -> Vec<String> {
    Catalog::standard()
        .device_types()
        .iter()
        .map(|d| d.name.clone())
        .collect()
}

/// The names of every capability, in catalog order.
#[pyfunction]
pub(crate) fn capabilities() -> Vec<String> {
    Catalog::standard()
        .capabilities()
        .iter()
        .map(|c| c.name.clone())
        .collect()
}

/// Every status code: name → number.
#[pyfunction]
pub(crate) fn status_codes(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    for s in StatusCode::ALL {
        d.set_item(s.name(), s.code())?;
    }
    Ok(d.into_any().unbind())
}

/// A path in its numeric form `c/cap/member` from names or numbers; `kind` says where member
/// names are looked up (`property`, `action` or `event`).
#[pyfunction]
#[pyo3(signature = (path, kind = "property"))]
pub(crate) fn parse_path(path: &str, kind: &str) -> PyResult<(u16, u16, u16)> {
    let p = path_from_str(path, member_kind(kind)?)?;
    Ok((p.component, p.capability, p.member))
}

pub(crate) fn member_kind(kind: &str) -> PyResult<MemberKind> {
    match kind {
        "property" => Ok(MemberKind::Property),
        "action" => Ok(MemberKind::Action),
        "event" => Ok(MemberKind::Event),
        other => Err(invalid(format!(
            "member kind is property, action or event, not {other:?}"
        ))),
    }
}

/// Check a description against the catalog; raises `ValidationError` whose `requirement` is
/// that of the first problem and whose `problems` lists every `(requirement, message)`.
#[pyfunction]
pub(crate) fn validate_description(description: &Bound<'_, PyAny>) -> PyResult<()> {
    let desc = description_from_py(description)?;
    match check_description(Catalog::standard(), &desc) {
        Ok(()) => Ok(()),
        Err(errors) => {
            let first = errors.0.first().map(|e| e.requirement().to_owned());
            let err = raise::<ValidationError>(
                errors.to_string(),
                Detail {
                    requirement: first,
                    ..Detail::default()
                },
            );
            let problems: Vec<(String, String)> = errors
                .0
                .iter()
                .map(|e| (e.requirement().to_owned(), e.to_string()))
                .collect();
            Python::attach(|py| err.value(py).setattr("problems", problems))?;
            Err(err)
        }
    }
}

/// A [`ValidationError`] for a value the model refuses, with its requirement and status.
pub(crate) fn value_error(at: &str, e: &ValueError) -> PyErr {
    raise::<ValidationError>(
        format!("{at}: {e}"),
        Detail {
            requirement: Some(e.requirement().to_owned()),
            status: Some(e.status().name().to_owned()),
            path: Some(at.to_owned()),
            ..Detail::default()
        },
    )
}

/// Check a value against a device's description: `write` (a write request), `value` (a
/// reported or read value) or `invoke` (the arguments of an action). Raises
/// `ValidationError` with the requirement and the status a device would answer.
#[pyfunction]
#[pyo3(signature = (description, path, value, check = "write"))]
pub(crate) fn validate_value(
    description: &Bound<'_, PyAny>,
    path: &str,
    value: &Bound<'_, PyAny>,
    check: &str,
) -> PyResult<()> {
    let desc = description_from_py(description)?;
    let v = value_from_py(value)?;
    let c = Catalog::standard();
    let result = match check {
        "write" => check_write(c, &desc, &path_from_str(path, MemberKind::Property)?, &v),
        "value" => check_value(c, &desc, &path_from_str(path, MemberKind::Property)?, &v),
        "invoke" => check_invoke(c, &desc, &path_from_str(path, MemberKind::Action)?, &v),
        other => {
            return Err(invalid(format!(
                "check is write, value or invoke, not {other:?}"
            )))
        }
    };
    result.map_err(|e| value_error(path, &e))
}

/// A [`DecodeError`] for bytes that are not a message.
pub(crate) fn decode_error(e: &hearth_wire::DecodeError) -> PyErr {
    raise::<DecodeError>(
        e.to_string(),
        Detail {
            requirement: Some("HRT-MSG-040".into()),
            status: Some(StatusCode::Malformed.name().into()),
            ..Detail::default()
        },
    )
}

/// Encode a message (its dict) in deterministic CBOR: the payload a COSE_Sign1 carries.
#[pyfunction]
pub(crate) fn encode<'py>(
    py: Python<'py>,
    message: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let msg = message_from_py(message)?;
    codec::check_header(&msg).map_err(|e| decode_error(&e))?;
    Ok(PyBytes::new(py, &codec::encode(&msg)))
}

/// Decode a message payload (deterministic CBOR) within the standard limits.
#[pyfunction]
pub(crate) fn decode(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyAny>> {
    let msg = codec::decode(data, &Limits::STANDARD).map_err(|e| decode_error(&e))?;
    message_to_py(py, &msg)
}

/// The message kinds, in code order.
#[pyfunction]
pub(crate) fn message_kinds(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let list = PyList::empty(py);
    for k in hearth_wire::Kind::ALL {
        list.append(k.name())?;
    }
    Ok(list.into_any().unbind())
}
