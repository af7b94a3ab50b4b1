//! The Hearth conformance suite: it tests an implementation against the Hearth specification
//! (`spec/06-conformance.md`) over MQTT and states, per test case, a verdict with its
//! reason, its requirements and the message trace as evidence.
//!
//! It is not the report format (that is `hearth-report`, re-exported below at the paths the
//! suite has always used) and it does not simulate appliances: the demo and the self-check
//! against the simulator live in `hearth-demo`, so the suite that certifies a real device
//! links no fault-injection code.
//!
//! Data flows from a vendor's statement to a report: [`ics`] reads the implementation
//! conformance statement; [`runner`] connects a [`probe`] to the device, runs every test
//! case of [`cases`] (each a [`case::Case`] with the requirements it checks) and assembles a
//! [`report::Report`] from their outcomes and traces; [`output`] and [`html`] write it with
//! the requirement texts of the embedded specification.
//!
//! - [`requirements`] extracts every normative statement from the specification chapters,
//!   which are embedded at build time, and renders the requirement index
//!   (`conformance/requirements.json`);
//! - [`coverage`] is the registry in which test cases declare the requirements they check and
//!   in which requirements that no black-box test can check are listed with a reason; it
//!   renders the traceability matrix (`conformance/COVERAGE.md`);
//! - [`plan`] renders the test plan from the test cases themselves;
//! - [`ics`] parses and checks the implementation conformance statement;
//! - [`case`] defines a test case and the context it runs in; [`cases`] is the catalog;
//! - [`probe`] is the suite's own MQTT client, which records the trace;
//! - [`authority`] is the lab's certificate authority, which issues certificates during a run;
//! - [`runner`] runs the suite against one device and assembles its report;
//! - [`lab`] runs it against a real device (`hearth test`);
//! - [`html`] and [`output`] render and write reports with the requirement texts of the
//!   embedded specification;
//! - [`verdict`], [`trace`], [`report`], [`junit`], [`signed`] and [`summary`] are
//!   `hearth-report`'s modules, re-exported.

pub mod authority;
pub mod case;
pub mod cases;
pub mod coverage;
pub mod ics;
pub mod lab;
pub mod plan;
pub mod probe;
pub mod requirements;
pub mod runner;

pub use hearth_report::{junit, report, signed, summary, trace, verdict};

pub mod html {
    //! `report.html` with the statements of the requirements taken from the specification
    //! embedded in the suite ([`crate::requirements`]). The page itself is
    //! [`hearth_report::html`]'s; this module only supplies the texts.

    pub use hearth_report::html::{direction_name, escape, RequirementText};

    use crate::report::Report;
    use crate::requirements::{self, Requirement};

    /// The statements of `index` as the page's appendix shows them.
    pub fn requirement_texts(index: &[Requirement]) -> Vec<RequirementText<'_>> {
        index
            .iter()
            .map(|r| RequirementText {
                id: &r.id,
                level: r.level.keyword(),
                chapter: &r.chapter,
                section: &r.section,
                text: &r.text,
            })
            .collect()
    }

    /// `report.html` of `report`, with the requirement texts of the specification embedded in
    /// the suite.
    pub fn render(report: &Report) -> String {
        render_with(report, &requirements::index().unwrap_or_default())
    }

    /// `report.html` of `report`, with requirement texts looked up in `index`.
    pub fn render_with(report: &Report, index: &[Requirement]) -> String {
        hearth_report::html::render(report, &requirement_texts(index))
    }
}

pub mod output {
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
}
