//! Signed-report verification: `hearth-report`'s verifier of `report.cose`, step by step
//! (`spec/06-conformance.md` §10.6), with the report handed back as its JSON text.

use hearth_mqtt::identity::unix_now;
use hearth_report::signed::{verify_report_with, VerifyOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{raise, Detail, VerifyError};
use crate::security::trust_from_py;

/// Verify a signed report (`report.cose` bytes) against trusted roots. The lab chain is
/// validated at the signing time, or at `now` (the system clock if omitted) with
/// `at_now=True`. Returns the lab, the times and the report's JSON text; raises
/// `VerifyError` with `step` (1–7) and `code`.
#[pyfunction]
#[pyo3(signature = (data, trust, at_now = false, revocation_lists = None, now = None))]
pub(crate) fn verify_report(
    py: Python<'_>,
    data: &[u8],
    trust: &Bound<'_, PyAny>,
    at_now: bool,
    revocation_lists: Option<Vec<Vec<u8>>>,
    now: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let store = trust_from_py(trust)?;
    let lists = revocation_lists.unwrap_or_default();
    let lists: Vec<&[u8]> = lists.iter().map(Vec::as_slice).collect();
    let options = VerifyOptions {
        now: now.unwrap_or_else(unix_now),
        at_now,
        revocation_lists: &lists,
    };
    let v = py
        .detach(|| verify_report_with(data, &store, &options))
        .map_err(|e| {
            raise::<VerifyError>(
                e.to_string(),
                Detail {
                    requirement: Some("HRT-CONF-093".into()),
                    code: Some(e.code().into()),
                    step: Some(e.step()),
                    ..Detail::default()
                },
            )
        })?;
    let d = PyDict::new(py);
    let lab = PyDict::new(py);
    lab.set_item("subject", &v.lab.subject)?;
    lab.set_item("issuer", &v.lab.issuer)?;
    lab.set_item("key_id", v.lab_kid.to_hex())?;
    lab.set_item("algorithm", v.alg.name())?;
    d.set_item("lab", lab)?;
    d.set_item("signed_at", v.signed_at)?;
    d.set_item("validated_at", v.validated_at)?;
    d.set_item("json", String::from_utf8_lossy(&v.json).into_owned())?;
    Ok(d.into_any().unbind())
}
