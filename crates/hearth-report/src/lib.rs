//! Hearth conformance reports: what a run of the suite found, in every form it is handed on.
//!
//! This crate is the data of a run and its renderings (`spec/06-conformance.md` §6, §7,
//! §10). It is not the suite: it runs no test case, opens no connection and has no async
//! runtime (no tokio, no MQTT); the conformance suite fills a [`report::Report`] and a lab,
//! a CI job or a customer reads, renders, signs and verifies it here, offline.
//!
//! Data flows one way, from the suite's run to files:
//!
//! - [`verdict`] and [`trace`] are what a test case produces while it runs: an
//!   [`verdict::Outcome`] and the [`trace::Trace`] of the messages it saw, each with its
//!   summary, length and digest; the run's [`trace::TraceLevel`] decides which of their
//!   bytes the report keeps;
//! - [`report`] is `report.json`, the one source of every other format (HRT-CONF-080);
//! - [`summary`] (terminal and fleet table), [`junit`] (`junit.xml`) and [`html`]
//!   (`report.html`, with requirement texts the caller passes in) render a report;
//! - [`signed`] signs the exact bytes of `report.json` with a lab key into `report.cose` and
//!   verifies such a file against trust anchors, step by step;
//! - [`output`] writes a run's files into a folder, with the signing time given by the
//!   caller.
//!
//! Nothing here reads a clock except [`trace::now_ms`], which stamps trace entries as they
//! are recorded; signing and verification take the time as an argument.

pub mod example;
pub mod html;
pub mod junit;
mod markup;
pub mod output;
pub mod report;
pub mod signed;
pub mod summary;
pub mod trace;
pub mod verdict;
