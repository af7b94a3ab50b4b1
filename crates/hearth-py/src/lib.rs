//! Python bindings of Hearth: the extension module `hearth._hearth` behind the `hearth`
//! package (`python/hearth`, with its type stubs).
//!
//! Everything here is a thin layer over the Rust crates, never a second implementation: the
//! catalog and validation are `hearth-model`'s, the codec and sealing `hearth-wire`'s,
//! certificates, chains, replay windows and access-control lists `hearth-security`'s, the
//! asyncio `controller::Controller` is `hearth-mqtt`'s Controller runtime, `run_suite` is
//! `hearth-conformance`'s runner, report verification `hearth-report`'s, and the simulated
//! fleet `hearth-sim`'s, wired as `hearth-demo` wires it. Data flows Python object →
//! `convert` → Rust type → the crate's function → back; every failure becomes an
//! exception of `errors` carrying its requirement ID and status code, and no input can
//! make this code panic (no `unwrap` on anything Python hands in).
//!
//! One tokio runtime (`pyo3-async-runtimes`') runs every asynchronous part: the
//! Controller's awaitables complete on it, and the blocking calls (`run_suite`, the fleet)
//! wait on it with the GIL released. Built by maturin with `pyo3/extension-module`; without
//! that feature the crate also builds and tests as an ordinary workspace member.

use std::sync::{Mutex, MutexGuard};

use pyo3::prelude::*;

mod controller;
mod convert;
mod errors;
mod model;
mod report;
mod security;
mod sim;
mod suite;

/// The bindings' tokio runtime.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// Lock a mutex; a panic while it was held leaves the state usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The extension module `hearth._hearth`.
#[pymodule]
fn _hearth(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SPEC_VERSION", hearth_model::SPEC_VERSION)?;
    m.add("PROTOCOL_VERSION", hearth_wire::PROTOCOL_VERSION)?;
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(model::device_type, m)?)?;
    m.add_function(wrap_pyfunction!(model::capability, m)?)?;
    m.add_function(wrap_pyfunction!(model::device_types, m)?)?;
    m.add_function(wrap_pyfunction!(model::capabilities, m)?)?;
    m.add_function(wrap_pyfunction!(model::status_codes, m)?)?;
    m.add_function(wrap_pyfunction!(model::parse_path, m)?)?;
    m.add_function(wrap_pyfunction!(model::validate_description, m)?)?;
    m.add_function(wrap_pyfunction!(model::validate_value, m)?)?;
    m.add_function(wrap_pyfunction!(model::encode, m)?)?;
    m.add_function(wrap_pyfunction!(model::decode, m)?)?;
    m.add_function(wrap_pyfunction!(model::message_kinds, m)?)?;
    security::register(m)?;
    m.add_function(wrap_pyfunction!(report::verify_report, m)?)?;
    controller::register(m)?;
    m.add_class::<sim::SimFleet>()?;
    m.add_function(wrap_pyfunction!(sim::fault_profiles, m)?)?;
    m.add_function(wrap_pyfunction!(suite::run_suite, m)?)?;
    Ok(())
}
