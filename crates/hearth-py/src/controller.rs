//! The asyncio Controller: `hearth-mqtt`'s Controller runtime on the bindings' tokio
//! runtime, each request an awaitable. Every message is signed and every answer verified by
//! the runtime; this module only resolves device ids, converts values and maps failures to
//! exceptions.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hearth_model::catalog::TypeSpec;
use hearth_model::text::{self, Context};
use hearth_model::validate::{check_invoke, check_write};
use hearth_model::{Catalog, Description, DeviceId, MemberKind, Path, StatusCode, Value};
use hearth_mqtt::{
    Controller as RustController, ControllerConfig, DeviceAddr, DeviceView, Identity, RequestError,
    Topics, Update,
};
use hearth_security::fs::{read_cert, FileCounterStore};
use hearth_security::TrustStore;
use hearth_wire::view::{declared_codes, device_type, property_type};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3_async_runtimes::tokio::future_into_py;
use tokio::sync::broadcast::error::RecvError;

use crate::convert::{
    description_to_py, event_to_py, invalid, path_from_py, path_text, read_result_to_py,
    value_from_py, value_to_py,
};
use crate::errors::{
    raise, ConnectionError, Detail, HearthError, RefusedError, RequestTimeoutError, ValidationError,
};
use crate::security::{fs_error, Credential};

/// The requirement each status code answers to (`spec/04-messages.md`, table of status
/// codes): the first rule the table names.
fn status_requirement(s: StatusCode) -> &'static str {
    match s {
        StatusCode::Success => "HRT-MOD-105",
        StatusCode::Malformed => "HRT-MOD-048",
        StatusCode::Unauthorized => "HRT-SEC-114",
        StatusCode::UnsupportedComponent
        | StatusCode::UnsupportedCapability
        | StatusCode::UnsupportedProperty
        | StatusCode::UnsupportedAction => "HRT-MOD-040",
        StatusCode::ReadOnly => "HRT-MOD-041",
        StatusCode::ConstraintError => "HRT-MOD-044",
        StatusCode::InvalidType => "HRT-MOD-042",
        StatusCode::InvalidInState => "HRT-MOD-051",
        _ => "HRT-MOD-115",
    }
}

/// A [`RefusedError`] for a path a device answered with `status`; the requirement is the
/// one the model check names when it finds the same fault, else the status table's.
fn refused(path: &str, status: StatusCode, local: Option<hearth_model::ValueError>) -> PyErr {
    let requirement = match local {
        Some(e) if e.status() == status => e.requirement(),
        _ => status_requirement(status),
    };
    raise::<RefusedError>(
        format!("{path}: {status} [{requirement}]"),
        Detail {
            requirement: Some(requirement.to_owned()),
            status: Some(status.name().to_owned()),
            path: Some(path.to_owned()),
            ..Detail::default()
        },
    )
}

/// A request that got no answer, as an exception.
fn request_error(e: RequestError, device: &DeviceAddr) -> PyErr {
    let message = format!("{device}: {e}");
    match e {
        RequestError::Timeout(_) => raise::<RequestTimeoutError>(message, Detail::default()),
        RequestError::Stopped | RequestError::Disconnected | RequestError::Publish(_) => {
            raise::<ConnectionError>(message, Detail::default())
        }
        RequestError::Invalid(_) => {
            raise::<ValidationError>(message, Detail::requirement("HRT-MSG-085"))
        }
        _ => raise::<HearthError>(message, Detail::default()),
    }
}

/// A device as `discover` lists it.
fn view_to_py(py: Python<'_>, v: &DeviceView) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("id", v.addr.to_string())?;
    d.set_item("device_id", &v.addr.device_id)?;
    d.set_item("vendor_id", v.addr.vendor_id)?;
    let dt = v.type_name();
    d.set_item("device_type", dt)?;
    d.set_item("model", &v.model)?;
    d.set_item("online", v.online)?;
    d.set_item("boot_id", v.boot_id)?;
    d.set_item(
        "description",
        v.description
            .as_ref()
            .map(|desc| description_to_py(py, desc))
            .transpose()?,
    )?;
    d.set_item(
        "description_valid",
        v.description.is_some() && v.description_problems.is_none(),
    )?;
    d.set_item("problems", &v.description_problems)?;
    Ok(d.into_any().unbind())
}

fn update_to_py(py: Python<'_>, u: &Update) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    match u {
        Update::Description(addr) => {
            d.set_item("type", "description")?;
            d.set_item("device", addr.to_string())?;
        }
        Update::Status {
            addr,
            online,
            boot_id,
        } => {
            d.set_item("type", "status")?;
            d.set_item("device", addr.to_string())?;
            d.set_item("online", online)?;
            d.set_item("boot_id", boot_id)?;
        }
        Update::Report { addr, full, values } => {
            d.set_item("type", "report")?;
            d.set_item("device", addr.to_string())?;
            d.set_item("full", full)?;
            let list = PyList::empty(py);
            for (p, v) in values {
                list.append((path_text(p, MemberKind::Property), value_to_py(py, v)?))?;
            }
            d.set_item("values", list)?;
        }
        Update::Event { addr, event } => {
            d.set_item("type", "event")?;
            d.set_item("device", addr.to_string())?;
            d.set_item("event", event_to_py(py, event)?)?;
        }
        Update::Rejected {
            topic,
            reason,
            requirement,
        } => {
            d.set_item("type", "rejected")?;
            d.set_item("topic", topic)?;
            d.set_item("reason", reason)?;
            d.set_item("requirement", requirement)?;
        }
    }
    Ok(d.into_any().unbind())
}

/// Which device an id names: `vvvv/device`, or a device id alone.
#[derive(Clone)]
enum Wanted {
    Addr(DeviceAddr),
    Id(String),
}

impl Wanted {
    fn parse(id: &str) -> PyResult<Self> {
        if id.contains('/') {
            id.parse::<DeviceAddr>()
                .map(Self::Addr)
                .map_err(|e| invalid(format!("{id:?}: {e}")))
        } else if DeviceId::is_valid(id) {
            Ok(Self::Id(id.to_owned()))
        } else {
            Err(invalid(format!(
                "{id:?} is neither VENDOR/DEVICE (e.g. fff1/fan-1) nor a device id"
            )))
        }
    }

    fn matches(&self, v: &DeviceView) -> bool {
        match self {
            Self::Addr(a) => v.addr == *a,
            Self::Id(id) => v.addr.device_id == *id,
        }
    }
}

/// A device with its verified description.
struct Target {
    addr: DeviceAddr,
    desc: Description,
}

/// Wait (at most `timeout`) until the device's description is known.
async fn find(ctl: &RustController, id: &str, timeout: Duration) -> PyResult<Target> {
    let wanted = Wanted::parse(id)?;
    let found = ctl
        .wait_for(timeout, |ds| {
            ds.iter()
                .any(|d| wanted.matches(d) && d.description.is_some())
        })
        .await;
    if !found {
        return Err(raise::<RequestTimeoutError>(
            format!("no description from {id} within {timeout:?}"),
            Detail::default(),
        ));
    }
    let mut candidates: Vec<DeviceView> = ctl
        .devices()
        .into_iter()
        .filter(|d| wanted.matches(d) && d.description.is_some())
        .collect();
    if candidates.len() > 1 {
        let ids: Vec<String> = candidates.iter().map(|d| d.addr.to_string()).collect();
        return Err(invalid(format!(
            "{id:?} is ambiguous: {}; give VENDOR/DEVICE",
            ids.join(", ")
        )));
    }
    match candidates.pop() {
        Some(DeviceView {
            addr,
            description: Some(desc),
            ..
        }) => Ok(Target { addr, desc }),
        _ => Err(raise::<RequestTimeoutError>(
            format!("{id} has no description"),
            Detail::default(),
        )),
    }
}

/// What a value for `path` is: a Hearth value, or for a property that is not text, its
/// human form (`"26.5C"`, `"cool"`, `"90%"`, `"5min"`) parsed by the catalog.
fn property_value(
    obj: &Bound<'_, PyAny>,
    path: &Path,
    desc: Option<&Description>,
) -> PyResult<Value> {
    if let (Ok(s), Some(ty)) = (obj.cast::<PyString>(), property_type(path)) {
        if !matches!(ty, TypeSpec::String { .. }) {
            let dt = desc.and_then(|d| device_type(d.device_type));
            let ctx = Context::new(Catalog::standard(), dt).with_labels(declared_codes(desc, path));
            return text::parse(&s.to_cow()?, ty, &ctx)
                .map_err(|e| invalid(format!("{}: {e}", path_text(path, MemberKind::Property))));
        }
    }
    value_from_py(obj)
}

/// A verified connection to a broker as a controller (`spec/05-mqtt.md`).
#[pyclass(module = "hearth._hearth", frozen)]
pub(crate) struct Controller {
    inner: Arc<RustController>,
    timeout: Duration,
}

fn secs(s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| invalid(format!("{s} is not a positive number of seconds")))
}

/// Paths from one str or a list of them.
fn paths_from_py(obj: &Bound<'_, PyAny>, kind: MemberKind) -> PyResult<(Vec<Path>, bool)> {
    if obj.cast::<PyString>().is_ok() {
        return Ok((vec![path_from_py(obj, kind)?], true));
    }
    let mut paths = Vec::new();
    for p in obj.try_iter()? {
        paths.push(path_from_py(&p?, kind)?);
    }
    Ok((paths, false))
}

#[pymethods]
impl Controller {
    /// Connect to `broker` (`mqtt://host:port`, `mqtts://host:port?ca=FILE`) as credential
    /// `name` of the PKI folder `pki`, trusting its `root.cert` (or `trust`), under the
    /// topic root `root`. Awaitable.
    #[staticmethod]
    #[pyo3(signature = (broker, pki, root = None, name = "controller", trust = None, timeout = 5.0))]
    fn connect<'py>(
        py: Python<'py>,
        broker: &str,
        pki: PathBuf,
        root: Option<String>,
        name: &str,
        trust: Option<&Bound<'py, PyAny>>,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let url = broker
            .parse::<hearth_mqtt::BrokerUrl>()
            .map_err(|e| invalid(format!("broker {broker:?}: {e}")))?;
        let timeout = secs(timeout)?;
        let cred = Credential::from_pki(&pki, name)?;
        let trust = match trust {
            Some(t) => crate::security::trust_from_py(t)?,
            None => {
                let mut store = TrustStore::new();
                let root_cert = read_cert(&pki.join("root.cert")).map_err(|e| fs_error(&e))?;
                store
                    .add_root(root_cert)
                    .map_err(|e| raise::<HearthError>(e.to_string(), Detail::default()))?;
                store
            }
        };
        let id = cred.subject();
        let identity = Identity {
            id: id.clone(),
            vendor_id: cred.chain.first().and_then(|c| c.claims().vendor_id),
            key: cred.key.clone(),
            chain: cred.chain_bytes(),
            trust,
        };
        // The counter file beside the key, as the suite keeps it for the same credential: two
        // users of one key in turn never reuse a counter value.
        let counter = Box::new(FileCounterStore::new(pki.join(format!("{name}.counter"))));
        let mut config = ControllerConfig::new(url, identity, counter);
        if let Some(root) = root {
            config.topics = Topics::new(root);
        }
        config.request_timeout = timeout;
        config.connect_timeout = timeout;
        future_into_py(py, async move {
            let ctl = RustController::connect(config)
                .await
                .map_err(|e| raise::<ConnectionError>(e.to_string(), Detail::default()))?;
            Ok(Self {
                inner: Arc::new(ctl),
                timeout,
            })
        })
    }

    /// The controller's id (its certificate's subject).
    #[getter]
    fn id(&self) -> String {
        self.inner.id().to_owned()
    }

    /// Every device seen so far, as dicts (`id`, `device_type`, `online`, `description`, …).
    fn devices(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        self.inner
            .devices()
            .iter()
            .map(|v| view_to_py(py, v))
            .collect()
    }

    /// The devices on the broker: waits until `count` devices (if given) have sent their
    /// description and status, else until the set has been stable for a moment, within
    /// `timeout` seconds. Awaitable.
    #[pyo3(signature = (count = None, timeout = None))]
    fn discover<'py>(
        &self,
        py: Python<'py>,
        count: Option<usize>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ctl = self.inner.clone();
        let timeout = timeout.map(secs).transpose()?.unwrap_or(self.timeout);
        future_into_py(py, async move {
            let settled = |ds: &[DeviceView]| {
                ds.iter()
                    .filter(|d| d.description.is_some() && d.online.is_some())
                    .count()
            };
            match count {
                Some(n) => {
                    ctl.wait_for(timeout, |ds| settled(ds) >= n).await;
                }
                None => {
                    ctl.discover(timeout).await;
                }
            }
            Python::attach(|py| {
                let list = PyList::empty(py);
                for v in ctl.devices() {
                    list.append(view_to_py(py, &v)?)?;
                }
                Ok(list.into_any().unbind())
            })
        })
    }

    /// One device, once its verified description is known (within `timeout` seconds).
    /// Awaitable.
    #[pyo3(signature = (device, timeout = None))]
    fn device<'py>(
        &self,
        py: Python<'py>,
        device: String,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ctl = self.inner.clone();
        let timeout = timeout.map(secs).transpose()?.unwrap_or(self.timeout);
        Wanted::parse(&device)?;
        future_into_py(py, async move {
            let t = find(&ctl, &device, timeout).await?;
            let view = ctl.device(&t.addr);
            Python::attach(|py| match view {
                Some(v) => view_to_py(py, &v),
                None => Err(raise::<RequestTimeoutError>(
                    format!("{device} disappeared"),
                    Detail::default(),
                )),
            })
        })
    }

    /// Read one property (`paths` a str: its value, or `RefusedError`) or several (a list:
    /// one `{"path", "status", "value"}` per path). Awaitable.
    fn read<'py>(
        &self,
        py: Python<'py>,
        device: String,
        paths: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (paths, single) = paths_from_py(paths, MemberKind::Property)?;
        let ctl = self.inner.clone();
        let timeout = self.timeout;
        Wanted::parse(&device)?;
        future_into_py(py, async move {
            let t = find(&ctl, &device, timeout).await?;
            let results = ctl
                .read(&t.addr, paths)
                .await
                .map_err(|e| request_error(e, &t.addr))?;
            Python::attach(|py| {
                if single {
                    let Some(r) = results.first() else {
                        return Err(raise::<HearthError>(
                            "an empty read response",
                            Detail::default(),
                        ));
                    };
                    let text = path_text(&r.path, MemberKind::Property);
                    return match (&r.status, &r.value) {
                        (StatusCode::Success, Some(v)) => value_to_py(py, v),
                        (status, _) => {
                            let local = hearth_model::validate::check_read(
                                Catalog::standard(),
                                &t.desc,
                                &r.path,
                            )
                            .err();
                            Err(refused(&text, *status, local))
                        }
                    };
                }
                let list = PyList::empty(py);
                for r in &results {
                    list.append(read_result_to_py(py, r)?)?;
                }
                Ok(list.into_any().unbind())
            })
        })
    }

    /// Write one property; a str value of a property that is not text is taken in its
    /// human form (`"26.5C"`, `"cool"`). Raises `RefusedError` unless the device answers
    /// success. Awaitable.
    fn write<'py>(
        &self,
        py: Python<'py>,
        device: String,
        path: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = path_from_py(path, MemberKind::Property)?;
        let raw = value.clone().unbind();
        let ctl = self.inner.clone();
        let timeout = self.timeout;
        Wanted::parse(&device)?;
        future_into_py(py, async move {
            let t = find(&ctl, &device, timeout).await?;
            let value = Python::attach(|py| property_value(raw.bind(py), &path, Some(&t.desc)))?;
            let local = check_write(Catalog::standard(), &t.desc, &path, &value).err();
            let results = ctl
                .write(&t.addr, vec![(path, value)])
                .await
                .map_err(|e| request_error(e, &t.addr))?;
            for (p, status) in &results {
                if *status != StatusCode::Success {
                    return Err(refused(&path_text(p, MemberKind::Property), *status, local));
                }
            }
            Ok(())
        })
    }

    /// Write several properties at once: `[(path, value), …]`; one `(path, status)` per
    /// path, refusals included. Awaitable.
    fn write_many<'py>(
        &self,
        py: Python<'py>,
        device: String,
        values: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut raw = Vec::new();
        for entry in values.try_iter()? {
            let (p, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = entry?
                .extract()
                .map_err(|_| invalid("values are (path, value) pairs"))?;
            raw.push((path_from_py(&p, MemberKind::Property)?, v.unbind()));
        }
        let ctl = self.inner.clone();
        let timeout = self.timeout;
        Wanted::parse(&device)?;
        future_into_py(py, async move {
            let t = find(&ctl, &device, timeout).await?;
            let values = Python::attach(|py| {
                raw.iter()
                    .map(|(p, v)| Ok((*p, property_value(v.bind(py), p, Some(&t.desc))?)))
                    .collect::<PyResult<Vec<_>>>()
            })?;
            let results = ctl
                .write(&t.addr, values)
                .await
                .map_err(|e| request_error(e, &t.addr))?;
            Ok(results
                .iter()
                .map(|(p, s)| (path_text(p, MemberKind::Property), s.name().to_owned()))
                .collect::<Vec<_>>())
        })
    }

    /// Invoke an action with arguments (a dict of field id → value, or None); its results
    /// (or None). Raises `RefusedError` unless the device answers success. Awaitable.
    #[pyo3(signature = (device, path, args = None))]
    fn invoke<'py>(
        &self,
        py: Python<'py>,
        device: String,
        path: &Bound<'py, PyAny>,
        args: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let path = path_from_py(path, MemberKind::Action)?;
        let args = match args {
            Some(a) => value_from_py(a)?,
            None => Value::Null,
        };
        let ctl = self.inner.clone();
        let timeout = self.timeout;
        Wanted::parse(&device)?;
        future_into_py(py, async move {
            let t = find(&ctl, &device, timeout).await?;
            let local = check_invoke(Catalog::standard(), &t.desc, &path, &args).err();
            let r = ctl
                .invoke(&t.addr, path, args)
                .await
                .map_err(|e| request_error(e, &t.addr))?;
            if r.status != StatusCode::Success {
                return Err(refused(
                    &path_text(&r.path, MemberKind::Action),
                    r.status,
                    local,
                ));
            }
            Python::attach(|py| match &r.results {
                Some(v) => value_to_py(py, v),
                None => Ok(py.None()),
            })
        })
    }

    /// The verified updates from now on — descriptions, statuses, reports, events and
    /// rejections — as an async iterator of dicts, of one device if `device` is given.
    #[pyo3(signature = (device = None))]
    fn watch(&self, device: Option<String>) -> PyResult<Watch> {
        let filter = device.as_deref().map(Wanted::parse).transpose()?;
        Ok(Watch {
            updates: Arc::new(tokio::sync::Mutex::new(self.inner.updates())),
            filter,
        })
    }

    /// Disconnect and stop. Awaitable.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ctl = self.inner.clone();
        future_into_py(py, async move {
            ctl.shutdown().await;
            Ok(())
        })
    }

    fn __aenter__<'py>(slf: Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let me = slf.unbind();
        future_into_py(py, async move { Ok(me) })
    }

    #[pyo3(signature = (*_exc))]
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        _exc: &Bound<'py, pyo3::types::PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.close(py)
    }
}

/// An async iterator of a controller's updates.
#[pyclass(module = "hearth._hearth", frozen)]
pub(crate) struct Watch {
    updates: Arc<tokio::sync::Mutex<tokio::sync::broadcast::Receiver<Update>>>,
    filter: Option<Wanted>,
}

fn concerns(filter: &Wanted, u: &Update) -> bool {
    let addr = match u {
        Update::Description(a)
        | Update::Status { addr: a, .. }
        | Update::Report { addr: a, .. }
        | Update::Event { addr: a, .. } => a,
        Update::Rejected { topic, .. } => {
            let id = match filter {
                Wanted::Addr(a) => a.device_id.clone(),
                Wanted::Id(id) => id.clone(),
            };
            return topic.contains(&format!("/{id}/")) || topic.ends_with(&format!("/{id}"));
        }
    };
    match filter {
        Wanted::Addr(a) => a == addr,
        Wanted::Id(id) => addr.device_id == *id,
    }
}

#[pymethods]
impl Watch {
    fn __aiter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let updates = self.updates.clone();
        let filter = self.filter.clone();
        future_into_py(py, async move {
            let mut rx = updates.lock().await;
            loop {
                match rx.recv().await {
                    Ok(u) => {
                        if filter.as_ref().is_some_and(|f| !concerns(f, &u)) {
                            continue;
                        }
                        return Python::attach(|py| update_to_py(py, &u));
                    }
                    Err(RecvError::Lagged(n)) => {
                        return Python::attach(|py| {
                            let d = PyDict::new(py);
                            d.set_item("type", "lagged")?;
                            d.set_item("dropped", n)?;
                            Ok(d.into_any().unbind())
                        });
                    }
                    Err(RecvError::Closed) => {
                        return Err(PyStopAsyncIteration::new_err("the controller has stopped"));
                    }
                }
            }
        })
    }
}

/// Register this module's classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Controller>()?;
    m.add_class::<Watch>()?;
    Ok(())
}
