//! Writing a run's reports to a folder: `report.json`, `junit.xml`, `report.html`, and, with
//! a lab key, `report.cose` (`spec/06-conformance.md` §10.1). Every format is rendered from
//! the `report.json` content (HRT-CONF-080). The requirement texts of `report.html` and
//! the signing time come from the caller.

use std::path::{Path, PathBuf};

use hearth_security::cert::Certificate;
use hearth_security::cose::Signer;

use crate::html::RequirementText;
use crate::report::Report;

/// A lab's signing key and its chain (lab certificate first).
pub struct LabSigner<'a> {
    /// The lab's key.
    pub key: &'a (dyn Signer + Send + Sync),
    /// Its chain, lab certificate first.
    pub chain: &'a [Certificate],
}

/// Why reports could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The report could not be signed.
    #[error("signing the report: {0}")]
    Sign(String),
}

fn write(path: PathBuf, bytes: &[u8]) -> Result<PathBuf, OutputError> {
    std::fs::write(&path, bytes).map_err(|source| OutputError::Io {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Write every report format of one device's run into `dir`; the files written.
/// `requirements` holds the statements `report.html` shows; with `lab`, the lab's signer
/// and the signing time (seconds since the Unix epoch), `report.cose` is written too,
/// unless the report is one a lab does not sign (a partial run, or parameters other than
/// the specification's: HRT-CONF-092), whose other files are written all the same.
pub fn write_reports(
    dir: &Path,
    report: &Report,
    requirements: &[RequirementText<'_>],
    lab: Option<(&LabSigner<'_>, u64)>,
) -> Result<Vec<PathBuf>, OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let json = report.to_json_bytes();
    let mut written = vec![
        write(dir.join("report.json"), &json)?,
        write(
            dir.join("junit.xml"),
            crate::junit::render(report).as_bytes(),
        )?,
        write(
            dir.join("report.html"),
            crate::html::render(report, requirements).as_bytes(),
        )?,
    ];
    if let Some((lab, iat)) = lab.filter(|_| report.signable()) {
        let cose = crate::signed::sign_report(&json, lab.key, lab.chain, iat)
            .map_err(|e| OutputError::Sign(e.to_string()))?;
        written.push(write(dir.join("report.cose"), &cose)?);
    }
    Ok(written)
}

/// Write only `report.json` into `dir` (the self-check's runs, where the verdicts and their
/// evidence are what counts and the other renderings would only repeat them).
pub fn write_json_report(dir: &Path, report: &Report) -> Result<PathBuf, OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_owned(),
        source,
    })?;
    write(dir.join("report.json"), &report.to_json_bytes())
}
