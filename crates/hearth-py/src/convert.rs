//! Between Hearth's Rust types and plain Python objects: values, paths, status codes and the
//! ten message kinds. A message is a dict (`kind`, `sender`, `counter`, `version`,
//! `time_ms`, `request_id`, `target`, `chain`, `body`), its body shaped by its kind; paths
//! are text (`0/fan-control/level`, or numbers), shown with catalog names; values are
//! `None`, `bool`, `int`, `str`, `bytes`, lists and dicts of field id → value.

use std::collections::BTreeMap;

use hearth_model::{Catalog, Description, MemberKind, Path, StatusCode, Value};
use hearth_wire::codec::{self, Limits};
use hearth_wire::{
    Availability, Body, EventBody, InvokeResult, Kind, Message, ReadResult, Report, Status,
    PROTOCOL_VERSION,
};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::errors::{raise, Detail, ValidationError};

/// Deepest nesting of lists and structs accepted from Python (the model's bound).
const MAX_DEPTH: usize = hearth_model::value::MAX_DEPTH;

/// A [`ValidationError`] with a message only.
pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    raise::<ValidationError>(message, Detail::default())
}

/// A Python object as a Hearth value.
pub(crate) fn value_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    value_at(obj, 0)
}

fn value_at(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "value nests deeper than {MAX_DEPTH} levels"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(obj.extract()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Text(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Value::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut fields = BTreeMap::new();
        for (k, v) in d.iter() {
            let id: u16 = k
                .extract()
                .map_err(|_| invalid(format!("struct field ids are integers 0..65535, not {k}")))?;
            fields.insert(id, value_at(&v, depth + 1)?);
        }
        return Ok(Value::Struct(fields));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut items = Vec::new();
        for item in obj.try_iter()? {
            items.push(value_at(&item?, depth + 1)?);
        }
        return Ok(Value::List(items));
    }
    if let Ok(n) = obj.extract::<i64>() {
        return Ok(Value::Int(n));
    }
    Err(invalid(format!(
        "{} is not a Hearth value (None, bool, int, str, bytes, list, dict)",
        obj.get_type().name()?
    )))
}

/// A Python list of `items`, each through `convert`.
fn list_to_py<T>(
    py: Python<'_>,
    items: &[T],
    convert: impl Fn(&T) -> PyResult<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let list = PyList::empty(py);
    for item in items {
        list.append(convert(item)?)?;
    }
    Ok(list.into_any().unbind())
}

/// A Hearth value as a Python object.
pub(crate) fn value_to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Int(n) => n.into_pyobject(py)?.into_any().unbind(),
        Value::Text(s) => PyString::new(py, s).into_any().unbind(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
        Value::List(items) => list_to_py(py, items, |item| value_to_py(py, item))?,
        Value::Struct(fields) => {
            let dict = PyDict::new(py);
            for (k, item) in fields {
                dict.set_item(k, value_to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// A path from text, names looked up among members of `kind`.
pub(crate) fn path_from_str(text: &str, kind: MemberKind) -> PyResult<Path> {
    Path::parse(text, Catalog::standard(), kind).map_err(|e| invalid(format!("path {text:?}: {e}")))
}

/// A path from a Python str.
pub(crate) fn path_from_py(obj: &Bound<'_, PyAny>, kind: MemberKind) -> PyResult<Path> {
    let text: String = obj
        .extract()
        .map_err(|_| invalid("a path is text: component/capability/member"))?;
    path_from_str(&text, kind)
}

/// A path as text with catalog names where they exist.
pub(crate) fn path_text(p: &Path, kind: MemberKind) -> String {
    p.display(Catalog::standard(), kind).to_string()
}

/// A status code from its name (`read-only`) or number.
pub(crate) fn status_from_py(obj: &Bound<'_, PyAny>) -> PyResult<StatusCode> {
    if let Ok(name) = obj.extract::<String>() {
        return StatusCode::from_name(&name)
            .ok_or_else(|| invalid(format!("unknown status code {name:?}")));
    }
    let code: u16 = obj
        .extract()
        .map_err(|_| invalid("a status code is its name or its number"))?;
    StatusCode::from_code(code).ok_or_else(|| invalid(format!("unknown status code {code}")))
}

/// A description from a dict (the shape `hearth ctl describe --json` prints as `raw`).
pub(crate) fn description_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Description> {
    pythonize::depythonize(obj).map_err(|e| invalid(format!("not a description: {e}")))
}

/// A description as a dict.
pub(crate) fn description_to_py(py: Python<'_>, d: &Description) -> PyResult<Py<PyAny>> {
    pythonize::pythonize(py, d)
        .map(Bound::unbind)
        .map_err(|e| invalid(e.to_string()))
}

/// A dict's required item.
fn item<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(key)?
        .ok_or_else(|| invalid(format!("missing key {key:?}")))
}

/// A dict's optional item (absent or None).
fn opt<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

fn as_dict<'a, 'py>(obj: &'a Bound<'py, PyAny>, what: &str) -> PyResult<&'a Bound<'py, PyDict>> {
    obj.cast::<PyDict>()
        .map_err(|_| invalid(format!("{what} is a dict")))
}

fn extract<'py, T: for<'a> FromPyObject<'a, 'py>>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<T> {
    obj.extract::<T>()
        .map_err(|_| invalid(format!("{what} has the wrong type")))
}

/// Pairs `(path, x)` of a list.
fn pairs<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let mut out = Vec::new();
    for entry in obj.try_iter()? {
        let entry = entry?;
        let (a, b): (Bound<'py, PyAny>, Bound<'py, PyAny>) = entry
            .extract()
            .map_err(|_| invalid(format!("{what} is a list of (path, value) pairs")))?;
        out.push((a, b));
    }
    Ok(out)
}

/// The pairs `(path, x)` of a list as property paths, each `x` through `second`.
fn property_pairs<T>(
    obj: &Bound<'_, PyAny>,
    what: &str,
    second: impl Fn(&Bound<'_, PyAny>) -> PyResult<T>,
) -> PyResult<Vec<(Path, T)>> {
    pairs(obj, what)?
        .iter()
        .map(|(p, x)| Ok((path_from_py(p, MemberKind::Property)?, second(x)?)))
        .collect()
}

/// A message kind from its name.
pub(crate) fn kind_from_name(name: &str) -> PyResult<Kind> {
    Kind::ALL
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| invalid(format!("unknown message kind {name:?}")))
}

/// A body of `kind` from its Python shape.
pub(crate) fn body_from_py(kind: Kind, body: &Bound<'_, PyAny>) -> PyResult<Body> {
    use MemberKind::{Action, Event, Property};
    Ok(match kind {
        Kind::Description => Body::Description(description_from_py(body)?),
        Kind::Status => {
            let d = as_dict(body, "a status body")?;
            let availability =
                match extract::<String>(&item(d, "availability")?, "availability")?.as_str() {
                    "online" => Availability::Online,
                    "offline" => Availability::Offline,
                    other => {
                        return Err(invalid(format!(
                            "availability is online or offline, not {other:?}"
                        )))
                    }
                };
            Body::Status(Status {
                availability,
                boot_id: extract(&item(d, "boot_id")?, "boot_id")?,
            })
        }
        Kind::Report => {
            let d = as_dict(body, "a report body")?;
            let full = match opt(d, "full")? {
                Some(f) => extract(&f, "full")?,
                None => false,
            };
            let values = property_pairs(&item(d, "values")?, "values", value_from_py)?;
            Body::Report(Report { full, values })
        }
        Kind::Event => {
            let d = as_dict(body, "an event body")?;
            Body::Event(EventBody {
                path: path_from_py(&item(d, "path")?, Event)?,
                number: extract(&item(d, "number")?, "number")?,
                fields: match opt(d, "fields")? {
                    Some(f) => value_from_py(&f)?,
                    None => Value::Struct(BTreeMap::new()),
                },
            })
        }
        Kind::Read => {
            let mut paths = Vec::new();
            for p in body.try_iter()? {
                paths.push(path_from_py(&p?, Property)?);
            }
            Body::Read(paths)
        }
        Kind::Write => Body::Write(property_pairs(body, "a write body", value_from_py)?),
        Kind::Invoke => {
            let d = as_dict(body, "an invoke body")?;
            Body::Invoke {
                path: path_from_py(&item(d, "path")?, Action)?,
                args: match opt(d, "args")? {
                    Some(a) => value_from_py(&a)?,
                    None => Value::Null,
                },
            }
        }
        Kind::ReadResponse => {
            let mut results = Vec::new();
            for r in body.try_iter()? {
                let r = r?;
                let d = as_dict(&r, "a read result")?;
                results.push(ReadResult {
                    path: path_from_py(&item(d, "path")?, Property)?,
                    status: status_from_py(&item(d, "status")?)?,
                    value: opt(d, "value")?.map(|v| value_from_py(&v)).transpose()?,
                });
            }
            Body::ReadResponse(results)
        }
        Kind::WriteResponse => Body::WriteResponse(property_pairs(
            body,
            "a write-response body",
            status_from_py,
        )?),
        Kind::InvokeResponse => {
            let d = as_dict(body, "an invoke-response body")?;
            Body::InvokeResponse(InvokeResult {
                path: path_from_py(&item(d, "path")?, Action)?,
                status: status_from_py(&item(d, "status")?)?,
                results: opt(d, "results")?.map(|v| value_from_py(&v)).transpose()?,
            })
        }
        Kind::Window
        | Kind::PakeStart
        | Kind::PakeResponse
        | Kind::PakeConfirm
        | Kind::CommissionResult
        | Kind::AclRead
        | Kind::AclReadResponse
        | Kind::AclChange
        | Kind::AclChangeResponse
        | Kind::WindowControl
        | Kind::WindowControlResponse => {
            // In the chapter's CDDL shape: a dict with integer keys, checked by the codec.
            let item = codec::encode_value(&value_from_py(body)?);
            codec::decode_body(kind, &item, &Limits::STANDARD)
                .map_err(|e| invalid(format!("not a {} body: {e}", kind.name())))?
        }
    })
}

/// A message from its dict.
pub(crate) fn message_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Message> {
    let d = as_dict(obj, "a message")?;
    let kind = kind_from_name(&extract::<String>(&item(d, "kind")?, "kind")?)?;
    let mut chain = Vec::new();
    if let Some(c) = opt(d, "chain")? {
        for cert in c.try_iter()? {
            chain.push(extract::<Vec<u8>>(&cert?, "a chain entry")?);
        }
    }
    Ok(Message {
        version: match opt(d, "version")? {
            Some(v) => extract(&v, "version")?,
            None => PROTOCOL_VERSION,
        },
        sender: extract(&item(d, "sender")?, "sender")?,
        counter: extract(&item(d, "counter")?, "counter")?,
        time_ms: opt(d, "time_ms")?
            .map(|v| extract(&v, "time_ms"))
            .transpose()?,
        request_id: opt(d, "request_id")?
            .map(|v| extract(&v, "request_id"))
            .transpose()?,
        target: opt(d, "target")?
            .map(|v| extract(&v, "target"))
            .transpose()?,
        chain,
        body: body_from_py(kind, &item(d, "body")?)?,
    })
}

/// `(path, value)` pairs as a list of tuples.
fn value_pairs(py: Python<'_>, values: &[(Path, Value)], kind: MemberKind) -> PyResult<Py<PyAny>> {
    let list = PyList::empty(py);
    for (p, v) in values {
        list.append((path_text(p, kind), value_to_py(py, v)?))?;
    }
    Ok(list.into_any().unbind())
}

/// A read result as a dict.
pub(crate) fn read_result_to_py(py: Python<'_>, r: &ReadResult) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("path", path_text(&r.path, MemberKind::Property))?;
    d.set_item("status", r.status.name())?;
    d.set_item(
        "value",
        r.value.as_ref().map(|v| value_to_py(py, v)).transpose()?,
    )?;
    Ok(d.into_any().unbind())
}

/// An event body as a dict.
pub(crate) fn event_to_py(py: Python<'_>, e: &EventBody) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("path", path_text(&e.path, MemberKind::Event))?;
    d.set_item("number", e.number)?;
    d.set_item("fields", value_to_py(py, &e.fields)?)?;
    Ok(d.into_any().unbind())
}

/// A body as its Python shape.
fn body_to_py(py: Python<'_>, body: &Body) -> PyResult<Py<PyAny>> {
    use MemberKind::{Action, Property};
    Ok(match body {
        Body::Description(desc) => description_to_py(py, desc)?,
        Body::Status(s) => {
            let d = PyDict::new(py);
            d.set_item(
                "availability",
                match s.availability {
                    Availability::Online => "online",
                    Availability::Offline => "offline",
                },
            )?;
            d.set_item("boot_id", s.boot_id)?;
            d.into_any().unbind()
        }
        Body::Report(r) => {
            let d = PyDict::new(py);
            d.set_item("full", r.full)?;
            d.set_item("values", value_pairs(py, &r.values, Property)?)?;
            d.into_any().unbind()
        }
        Body::Event(e) => event_to_py(py, e)?,
        Body::Read(paths) => {
            let list = PyList::empty(py);
            for p in paths {
                list.append(path_text(p, Property))?;
            }
            list.into_any().unbind()
        }
        Body::Write(values) => value_pairs(py, values, Property)?,
        Body::Invoke { path, args } => {
            let d = PyDict::new(py);
            d.set_item("path", path_text(path, Action))?;
            d.set_item("args", value_to_py(py, args)?)?;
            d.into_any().unbind()
        }
        Body::ReadResponse(results) => list_to_py(py, results, |r| read_result_to_py(py, r))?,
        Body::WriteResponse(results) => {
            let list = PyList::empty(py);
            for (p, s) in results {
                list.append((path_text(p, Property), s.name()))?;
            }
            list.into_any().unbind()
        }
        Body::InvokeResponse(r) => {
            let d = PyDict::new(py);
            d.set_item("path", path_text(&r.path, Action))?;
            d.set_item("status", r.status.name())?;
            d.set_item(
                "results",
                r.results.as_ref().map(|v| value_to_py(py, v)).transpose()?,
            )?;
            d.into_any().unbind()
        }
        // Commissioning and access-control management (kinds 11 to 21): the body in the
        // CDDL shape of spec/07-commissioning.md §12, a dict with integer keys.
        _ => {
            let value = codec::decode_value(&codec::encode_body(body))
                .map_err(|e| invalid(e.to_string()))?;
            value_to_py(py, &value)?
        }
    })
}

/// A message as its dict.
pub(crate) fn message_to_py(py: Python<'_>, m: &Message) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("kind", m.kind().name())?;
    d.set_item("version", m.version)?;
    d.set_item("sender", &m.sender)?;
    d.set_item("counter", m.counter)?;
    d.set_item("time_ms", m.time_ms)?;
    d.set_item("request_id", m.request_id)?;
    d.set_item("target", &m.target)?;
    let chain = PyList::empty(py);
    for c in &m.chain {
        chain.append(PyBytes::new(py, c))?;
    }
    d.set_item("chain", chain)?;
    d.set_item("body", body_to_py(py, &m.body)?)?;
    Ok(d.into_any().unbind())
}
