//! Subcommands, one module each. Every module exposes an `Args` struct and a `run` function;
//! `ctl` and `decode` show messages with the views of `hearth_wire::view`.

use std::process::ExitCode;

pub(crate) mod broker;
pub(crate) mod catalog;
pub(crate) mod coverage;
pub(crate) mod ctl;
pub(crate) mod decode;
pub(crate) mod demo;
pub(crate) mod load;
pub(crate) mod mutants;
pub(crate) mod pki;
pub(crate) mod report;
pub(crate) mod sim;
pub(crate) mod test;

/// All subcommands of `hearth`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Browse the appliance catalog: device types, capabilities, enums.
    Catalog(catalog::Args),
    /// Test PKI: create, issue, show and verify certificates and keys.
    Pki(pki::Args),
    /// Run the embedded MQTT broker until Ctrl-C.
    Broker(broker::Args),
    /// Work with devices as a controller: discover, describe, read, write, invoke, watch.
    Ctl(ctl::Args),
    /// Decode a captured message and check its signature.
    Decode(decode::Args),
    /// Measure how many signed reports a controller verifies per second.
    Load(load::Args),
    /// Run simulated appliances of every type and brand, or list the fault profiles.
    Sim(sim::Args),
    /// Verify a lab-signed conformance report offline; show, render or sign a report.
    Report(report::Args),
    /// The main job: the suite against a fleet of simulated appliances, with reports.
    Demo(demo::Args),
    /// The suite's self-check: every fault profile of the simulator must be caught.
    Mutants(mutants::Args),
    /// Certify one real device on any broker against its ICS.
    Test(test::Args),
    /// The traceability matrix: every requirement and the test cases that check it.
    Coverage(coverage::Args),
}

/// Dispatch a parsed subcommand.
pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Catalog(args) => catalog::run(args),
        Command::Pki(args) => pki::run(args),
        Command::Broker(args) => broker::run(args),
        Command::Ctl(args) => ctl::run(args),
        Command::Decode(args) => decode::run(args),
        Command::Load(args) => load::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Report(args) => report::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Mutants(args) => mutants::run(args),
        Command::Test(args) => test::run(args),
        Command::Coverage(args) => coverage::run(args),
    }
}
