//! Hearth's demo and the suite's self-check: the conformance suite against simulated
//! appliances.
//!
//! This is the only crate that links both the simulator (`hearth-sim`, with its fault
//! profiles) and the suite (`hearth-conformance`). It is not the suite and not the
//! simulator: it writes no test case and no appliance, it wires one to the other. A build
//! that certifies real devices leaves it out, and with it every line of fault injection.
//!
//! Data flows from a fleet to reports:
//!
//! - [`demo`] starts the embedded broker, writes a fresh test PKI, starts the simulator's
//!   fleet, writes for each appliance the ICS a vendor would, runs the whole suite against
//!   every appliance in parallel (restarts and operator actions go to the simulator's
//!   control surface), certifies the reference controller with the controller suite
//!   ([`controller_check`], in-process through its test agent) and writes each device's
//!   and the controller's reports and the fleet's `summary.json`;
//! - [`mutants`] runs the demo once per fault profile and judges from the reports whether
//!   some test case failed naming a requirement the profile breaks (HRT-CONF-111).

pub mod controller_check;
pub mod demo;
pub mod mutants;
