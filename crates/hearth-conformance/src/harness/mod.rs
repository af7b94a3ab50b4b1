//! The harness: what a test case is, the context it runs in, what cases share, and what runs
//! them.
//!
//! A test case ([`case::Case`]) is a constant: its identifier, title, the requirements it
//! checks as typed constants of the specification ([`crate::requirements::req`]), its numbered
//! steps, an applicability rule and an async function. The function runs its steps by
//! number (`ctx.step(2)`), so the test plan, which is generated from the declared steps, and
//! the report, which logs them as they are run, cannot drift apart; it returns a
//! [`case::CaseResult`], so every helper that ends a case early hands its outcome up with `?`.
//! A failure names a typed requirement (`Outcome::fail(req::HRT_SEC_136, …)`); the runner
//! ([`runner`]) turns a failure naming a requirement the case does not check, or a step it
//! does not declare, into an `error` that names the defect, so the verdict never depends on
//! reading an identifier back out of a message.
//!
//! Data flows one way: the runner connects the [`probe`] (the suite's own MQTT client and
//! trace), waits for the device's description, and for each case builds the verdict from
//! what the case returns; cases use the expectations ([`expect`]), waits ([`wait`]), crafted
//! requests ([`craft`]), the operator ([`operator`]), the appliance vocabulary
//! ([`appliance`]) and the lab's CA ([`authority`]), never one another. Before the first
//! case, a pre-flight check sends one signed read from each controller of the ICS, so that a
//! lab whose credentials the device does not take learns why at once. [`lab`] runs a real
//! device from its ICS. [`assemble`] turns outcomes into test results and a run into its
//! report, for device runs and controller runs alike. The harness holds no test case: those are in [`crate::cases`].

pub mod appliance;
pub mod assemble;
pub mod authority;
pub mod case;
pub mod commission;
pub mod craft;
pub mod expect;
pub mod lab;
pub mod operator;
mod preflight;
pub mod probe;
pub mod runner;
pub mod wait;
