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
//! - [`ics`] parses and checks the implementation conformance statement, and [`ics_review`]
//!   reviews one without a device against the catalog and its credentials
//!   (`hearth test --check-ics`), and [`ics_write`] writes one (`hearth ics init`);
//! - [`harness`] is what runs test cases against a device: the case API ([`case`]), the
//!   suite's own MQTT client that records the trace ([`probe`]), the lab's certificate
//!   authority ([`authority`]), the runner that assembles a device's report ([`runner`])
//!   with the report assembly it shares with controller runs ([`assemble`]), and runs
//!   against a real device ([`lab`], `hearth test`); [`cases`] holds the test cases
//!   themselves, one module per group;
//! - [`html`] and [`output`] render and write reports with the requirement texts of the
//!   embedded specification;
//! - [`verdict`], [`trace`], [`report`], [`junit`], [`signed`] and [`summary`] are
//!   `hearth-report`'s modules, re-exported.

pub mod cases;
pub mod controller;
pub mod coverage;
pub mod harness;
pub mod html;
pub mod ics;
pub mod ics_review;
pub mod ics_write;
pub mod output;
pub mod plan;
pub mod requirements;

pub use harness::{assemble, authority, case, lab, probe, runner};
pub use hearth_report::{junit, report, signed, summary, trace, verdict};
