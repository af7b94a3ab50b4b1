//! The Hearth conformance suite.
//!
//! This crate is the foundation of the harness that tests an implementation against the Hearth
//! specification (`spec/06-conformance.md`):
//!
//! - [`requirements`] extracts every normative statement from the specification chapters,
//!   which are embedded at build time, and renders the requirement index
//!   (`conformance/requirements.json`);
//! - [`coverage`] is the registry in which test cases declare the requirements they check and
//!   in which requirements that no black-box test can check are listed with a reason; it
//!   renders the traceability matrix (`conformance/COVERAGE.md`);
//! - [`harness`] is what runs test cases against a device (the case API, the probe, the
//!   runner), and [`cases`] the test cases themselves, one module per group.

pub mod cases;
pub mod coverage;
pub mod demo;
pub mod harness;
pub mod html;
pub mod ics;
pub mod junit;
pub mod mutants;
pub mod output;
pub mod plan;
pub mod report;
pub mod requirements;
pub mod signed;
pub mod summary;
pub mod trace;
pub mod verdict;

pub use harness::{authority, case, lab, probe, runner};
