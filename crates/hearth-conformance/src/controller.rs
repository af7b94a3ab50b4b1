//! Certifying controllers and gateways (`spec/08-controllers.md`): the suite plays the
//! appliances and drives the controller under test through its test agent.
//!
//! Data flows one way: [`ics`] reads the controller's statement; [`run`] starts the
//! [`lab`] fans on the broker and the [`agent`] from the statement's command, runs every
//! case of [`cases`] and assembles a report in the device report's format. The lab publishes
//! every message on one connection, so that the cases decide by message order and by the
//! agent's answers, never by waiting (HRT-CTL-040, HRT-CTL-041).

pub mod agent;
pub mod cases;
pub mod ics;
pub mod lab;
pub mod run;
