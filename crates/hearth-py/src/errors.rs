//! Hearth's errors as Python exceptions: one base, `hearth.HearthError`, and a subclass per
//! kind of failure. Every instance carries the same attributes, `None` where they do not
//! apply: `requirement` (the `HRT-…` ID the refusal enforces), `status` (the wire status
//! code's name), `code` (the stable short code of the security and report vectors) and
//! `step` (the step of signed-report verification that failed).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;

create_exception!(
    hearth,
    HearthError,
    PyException,
    "Base of every Hearth error; `requirement`, `status`, `code` and `step` say more."
);
create_exception!(
    hearth,
    DecodeError,
    HearthError,
    "Bytes that are not a valid Hearth message, value or file."
);
create_exception!(
    hearth,
    VerifyError,
    HearthError,
    "A signature, certificate chain, replay check, access check or signed report that fails."
);
create_exception!(
    hearth,
    ValidationError,
    HearthError,
    "A description, path or value that does not fit the catalog or a device's description."
);
create_exception!(
    hearth,
    RefusedError,
    HearthError,
    "A device answered a request with a status other than success."
);
create_exception!(
    hearth,
    RequestTimeoutError,
    HearthError,
    "No answer (a response, a description) within the timeout."
);
create_exception!(
    hearth,
    ConnectionError,
    HearthError,
    "The broker could not be reached, or the connection is gone."
);
create_exception!(
    hearth,
    SuiteError,
    HearthError,
    "A conformance run could not start (an invalid ICS, unreadable credentials)."
);
create_exception!(
    hearth,
    SimulatorError,
    HearthError,
    "The simulated fleet or its embedded broker could not do what was asked."
);

/// The attributes an exception carries beyond its message.
#[derive(Debug, Default, Clone)]
pub(crate) struct Detail {
    /// The requirement the refusal enforces.
    pub(crate) requirement: Option<String>,
    /// The wire status code's name.
    pub(crate) status: Option<String>,
    /// The stable short code.
    pub(crate) code: Option<String>,
    /// The step of signed-report verification.
    pub(crate) step: Option<u8>,
    /// The path a refusal concerns.
    pub(crate) path: Option<String>,
}

impl Detail {
    /// With a requirement.
    pub(crate) fn requirement(requirement: impl Into<String>) -> Self {
        Self {
            requirement: Some(requirement.into()),
            ..Self::default()
        }
    }

    /// With a short code.
    pub(crate) fn code(code: impl Into<String>) -> Self {
        Self {
            code: Some(code.into()),
            ..Self::default()
        }
    }
}

/// An exception of type `T` with `message` and the attributes of `detail`.
pub(crate) fn raise<T: pyo3::PyTypeInfo>(message: impl Into<String>, detail: Detail) -> PyErr {
    let message = message.into();
    Python::attach(|py| {
        let err = PyErr::new::<T, _>(message.clone());
        let value = err.value(py);
        let set = || -> PyResult<()> {
            value.setattr("requirement", detail.requirement.clone())?;
            value.setattr("status", detail.status.clone())?;
            value.setattr("code", detail.code.clone())?;
            value.setattr("step", detail.step)?;
            value.setattr("path", detail.path.clone())?;
            Ok(())
        };
        match set() {
            Ok(()) => err,
            Err(e) => e,
        }
    })
}

/// Register the exception classes in the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, PyType>); 9] = [
        ("HearthError", py.get_type::<HearthError>()),
        ("DecodeError", py.get_type::<DecodeError>()),
        ("VerifyError", py.get_type::<VerifyError>()),
        ("ValidationError", py.get_type::<ValidationError>()),
        ("RefusedError", py.get_type::<RefusedError>()),
        ("RequestTimeoutError", py.get_type::<RequestTimeoutError>()),
        ("ConnectionError", py.get_type::<ConnectionError>()),
        ("SuiteError", py.get_type::<SuiteError>()),
        ("SimulatorError", py.get_type::<SimulatorError>()),
    ];
    for (name, class) in classes {
        // Defaults on the class, so an instance raised from Python code has them too.
        for attr in ["requirement", "status", "code", "step", "path"] {
            if !class.hasattr(attr)? || name == "HearthError" {
                class.setattr(attr, py.None())?;
            }
        }
        m.add(name, class)?;
    }
    Ok(())
}
