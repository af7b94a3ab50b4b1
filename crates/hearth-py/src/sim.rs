//! A simulated fleet on an embedded broker, as `hearth demo` runs it: `hearth-sim`'s
//! appliances, the demo's test PKI and access-control list, and for each appliance the ICS
//! its vendor would write — so that a lab script or a test can certify simulated
//! appliances with `run_suite` and talk to them with the Controller.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hearth_demo::demo::{render_ics, write_pki, DEMO_EVENT_STORE, DEMO_ROOT};
use hearth_model::{Path, Value};
use hearth_mqtt::{BrokerUrl, EmbeddedBroker, Topics};
use hearth_sim::{Control, DeviceKind, Fleet, Runner, RunnerConfig, SimDevice};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::invalid;
use crate::errors::{raise, Detail, SimulatorError};
use crate::runtime;

fn sim_error(e: impl std::fmt::Display) -> PyErr {
    raise::<SimulatorError>(e.to_string(), Detail::default())
}

/// The fleet of the standard one that `names` select: device ids (`fan-kestrel-1`) or device
/// types (`fan`, every standard appliance of the type).
fn select(names: &[String]) -> PyResult<Fleet> {
    let standard = Fleet::standard();
    let mut fleet = Fleet::default();
    for name in names {
        let chosen: Vec<_> = match standard.devices.iter().find(|d| d.id == *name) {
            Some(d) => vec![d.clone()],
            None => {
                let kind = DeviceKind::from_name(name).ok_or_else(|| {
                    invalid(format!(
                        "{name:?} is neither a device id of the standard fleet nor a device type"
                    ))
                })?;
                standard
                    .devices
                    .iter()
                    .filter(|d| d.kind == kind)
                    .cloned()
                    .collect()
            }
        };
        for d in chosen {
            if !fleet.devices.iter().any(|f| f.id == d.id) {
                fleet.devices.push(d);
            }
        }
    }
    Ok(fleet)
}

/// A running fleet of simulated appliances on its own embedded broker.
#[pyclass(module = "hearth._hearth", frozen)]
pub(crate) struct SimFleet {
    pub(crate) runner: Arc<Runner>,
    broker: BrokerUrl,
    pki: PathBuf,
    stopped: AtomicBool,
    _embedded: EmbeddedBroker,
}

impl SimFleet {
    /// The index and appliance `id` names (`vvvv/device` or the device id).
    pub(crate) fn find(&self, id: &str) -> PyResult<(usize, &SimDevice)> {
        let device_id = id.split_once('/').map_or(id, |(_, d)| d);
        self.runner
            .devices()
            .iter()
            .enumerate()
            .find(|(_, d)| d.id() == device_id && (!id.contains('/') || d.addr().to_string() == id))
            .ok_or_else(|| invalid(format!("no appliance {id} in this fleet")))
    }

    /// The broker's URL.
    pub(crate) fn broker_url(&self) -> &BrokerUrl {
        &self.broker
    }
}

fn text(v: Result<Value, hearth_model::StatusCode>) -> String {
    match v {
        Ok(Value::Text(s)) => s,
        _ => String::new(),
    }
}

#[pymethods]
impl SimFleet {
    /// Start an embedded broker on a free loopback port, write a fresh test PKI into `pki`
    /// and run the selected appliances (every one of the standard fleet if `devices` is
    /// None), each with fault profile `fault` if given, at `speed` simulated seconds per
    /// real second.
    #[new]
    #[pyo3(signature = (pki, devices = None, fault = None, speed = 60.0))]
    fn new(
        py: Python<'_>,
        pki: PathBuf,
        devices: Option<Vec<String>>,
        fault: Option<String>,
        speed: f64,
    ) -> PyResult<Self> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(invalid("speed must be a positive number"));
        }
        let mut fleet = match devices {
            Some(names) => select(&names)?,
            None => Fleet::standard(),
        };
        if let Some(f) = &fault {
            fleet = fleet.with_fault(f).map_err(sim_error)?;
        }
        if fleet.devices.is_empty() {
            return Err(invalid("the fleet has no appliance"));
        }
        py.detach(move || {
            let embedded = EmbeddedBroker::start_local().map_err(sim_error)?;
            let broker = embedded.url();
            let ids: Vec<String> = fleet.devices.iter().map(|d| d.id.clone()).collect();
            let (_, acls) = write_pki(&pki, &ids).map_err(sim_error)?;
            let mut rc = RunnerConfig::new(broker.clone(), &pki);
            rc.speed = speed;
            rc.keep_alive = Duration::from_secs(2);
            rc.acls = acls;
            rc.topics = Topics::new(DEMO_ROOT);
            rc.cuttable_links = true;
            rc.event_store = DEMO_EVENT_STORE;
            let runner = runtime()
                .block_on(Runner::start(&rc, &fleet))
                .map_err(sim_error)?;
            Ok(Self {
                runner: Arc::new(runner),
                broker,
                pki,
                stopped: AtomicBool::new(false),
                _embedded: embedded,
            })
        })
    }

    /// The broker's URL, `mqtt://127.0.0.1:PORT`.
    #[getter]
    fn broker(&self) -> String {
        self.broker.to_string()
    }

    /// The topic root the appliances publish under.
    #[getter]
    fn root(&self) -> &'static str {
        DEMO_ROOT
    }

    /// The PKI folder: root, vendor, lab, the suite's controller and its CA, a stranger.
    #[getter]
    fn pki(&self) -> PathBuf {
        self.pki.clone()
    }

    /// The appliances: `id` (`vvvv/device`), `device_id`, `device_type`, `brand`, `fault`.
    fn devices(&self, py: Python<'_>) -> PyResult<Vec<Py<PyAny>>> {
        self.runner
            .devices()
            .iter()
            .map(|d| {
                let out = PyDict::new(py);
                out.set_item("id", d.addr().to_string())?;
                out.set_item("device_id", d.id())?;
                out.set_item("device_type", d.spec().kind.name())?;
                out.set_item("brand", d.spec().brand.brand().key)?;
                out.set_item("fault", d.spec().fault.as_deref())?;
                Ok(out.into_any().unbind())
            })
            .collect()
    }

    /// The ICS the appliance's vendor would write: every claim of its description, every
    /// actuation allowed, this fleet's broker and PKI.
    fn ics(&self, device: &str) -> PyResult<String> {
        let (_, d) = self.find(device)?;
        let desc = d.description();
        Ok(render_ics(
            &desc,
            &text(d.value(&Path::new(0, 1, 1))),
            &text(d.value(&Path::new(0, 1, 4))),
            &text(d.value(&Path::new(0, 1, 7))),
            &self.broker.to_string(),
            (
                &self.pki.display().to_string(),
                &self.pki.join(&desc.device_id).display().to_string(),
            ),
        ))
    }

    /// Act on an appliance from outside the protocol, as `hearth sim` reads it on stdin:
    /// `open-door 1`, `close-door 1`, `raise-fault 0x0001`, `clear-fault 0x0001`, ….
    fn control(&self, py: Python<'_>, device: &str, command: &str) -> PyResult<()> {
        let (_, d) = self.find(device)?;
        let control = Control::parse(command, d.spec().kind).map_err(sim_error)?;
        py.detach(|| runtime().block_on(d.control(&control)).map_err(sim_error))
    }

    /// Stop every appliance (the embedded broker stays until the process ends).
    fn close(&self, py: Python<'_>) {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            let runner = self.runner.clone();
            py.detach(|| runtime().block_on(runner.shutdown()));
        }
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

/// The simulator's fault profiles: `name`, `chapter`, `requirements` (those it breaks),
/// `summary`, `applies_to`, as `hearth sim --list-faults --json` prints them.
#[pyfunction]
pub(crate) fn fault_profiles(py: Python<'_>) -> PyResult<Py<PyAny>> {
    pythonize::pythonize(py, hearth_sim::profiles())
        .map(Bound::unbind)
        .map_err(sim_error)
}
