//! Writing a run's reports to a folder, with the requirement texts of the embedded
//! specification in `report.html` and the signing time from the system clock. The files
//! and their formats are [`hearth_report::output`]'s.

use std::path::{Path, PathBuf};

pub use hearth_report::output::{write_json_report, LabSigner, OutputError};

use crate::report::Report;
use crate::requirements;

/// Write every report format of one device's run into `dir`, and with a lab key
/// `report.cose` signed now; the files written.
pub fn write_reports(
    dir: &Path,
    report: &Report,
    lab: Option<&LabSigner<'_>>,
) -> Result<Vec<PathBuf>, OutputError> {
    let index = requirements::index().unwrap_or_default();
    let texts = crate::html::requirement_texts(&index);
    let now = hearth_mqtt::identity::unix_now();
    hearth_report::output::write_reports(dir, report, &texts, lab.map(|l| (l, now)))
}
