//! Subcommands, one module each. Every module exposes an `Args` struct and a `run` function;
//! `ctl` and `decode` show messages with the views of `hearth_wire::view`.
//!
//! `demo`, `mutants` and `sim` drive the simulator and exist only with the `sim` feature (on
//! by default). A build without it, the one a lab certifies real devices with, links no
//! simulator and no fault injection; named there, those subcommands say so (`no_sim`).

use std::process::ExitCode;

pub(crate) mod broker;
pub(crate) mod catalog;
pub(crate) mod coverage;
pub(crate) mod ctl;
pub(crate) mod decode;
#[cfg(feature = "sim")]
pub(crate) mod demo;
pub(crate) mod ics;
pub(crate) mod load;
#[cfg(feature = "sim")]
pub(crate) mod mutants;
pub(crate) mod pki;
pub(crate) mod report;
#[cfg(feature = "sim")]
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
    /// Work with devices as a controller: discover, describe, read, write, invoke, watch (on
    /// the broker at mqtt://127.0.0.1:1883 unless --broker says otherwise).
    Ctl(ctl::Args),
    /// Decode a captured message and check its signature.
    Decode(decode::Args),
    /// Measure how many signed reports a controller verifies per second.
    Load(load::Args),
    /// Run simulated appliances of every type and brand, or list the fault profiles.
    #[cfg(feature = "sim")]
    Sim(sim::Args),
    /// Verify a lab-signed conformance report offline; show, render or sign a report.
    Report(report::Args),
    /// The main job: the suite against a fleet of simulated appliances, with reports.
    #[cfg(feature = "sim")]
    Demo(demo::Args),
    /// The suite's self-check: every fault profile of the simulator must be caught.
    #[cfg(feature = "sim")]
    Mutants(mutants::Args),
    /// Write an implementation conformance statement (ICS) for a device, with the lab's
    /// credentials of a PKI folder.
    Ics(ics::Args),
    /// Certify one real device on any broker against its ICS.
    Test(test::Args),
    /// The traceability matrix: every requirement and the test cases that check it.
    Coverage(coverage::Args),
    /// Not in this build: `sim` needs the simulator.
    #[cfg(not(feature = "sim"))]
    #[command(name = "sim", hide = true, disable_help_flag = true)]
    Sim(no_sim::Args),
    /// Not in this build: `demo` needs the simulator.
    #[cfg(not(feature = "sim"))]
    #[command(name = "demo", hide = true, disable_help_flag = true)]
    Demo(no_sim::Args),
    /// Not in this build: `mutants` needs the simulator.
    #[cfg(not(feature = "sim"))]
    #[command(name = "mutants", hide = true, disable_help_flag = true)]
    Mutants(no_sim::Args),
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
        #[cfg(feature = "sim")]
        Command::Sim(args) => sim::run(args),
        #[cfg(not(feature = "sim"))]
        Command::Sim(_) => no_sim::refuse("sim"),
        Command::Report(args) => report::run(args),
        #[cfg(feature = "sim")]
        Command::Demo(args) => demo::run(args),
        #[cfg(not(feature = "sim"))]
        Command::Demo(_) => no_sim::refuse("demo"),
        #[cfg(feature = "sim")]
        Command::Mutants(args) => mutants::run(args),
        #[cfg(not(feature = "sim"))]
        Command::Mutants(_) => no_sim::refuse("mutants"),
        Command::Ics(args) => ics::run(args),
        Command::Test(args) => test::run(args),
        Command::Coverage(args) => coverage::run(args),
    }
}

/// The simulator's subcommands in a build without the `sim` feature: hidden from the help,
/// and named, an error that says this build has no simulator, whatever flags follow.
#[cfg(not(feature = "sim"))]
pub(crate) mod no_sim {
    use std::process::ExitCode;

    /// Whatever follows the subcommand's name, taken as it comes and never looked at.
    #[derive(Debug, clap::Args)]
    pub(crate) struct Args {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
        rest: Vec<String>,
    }

    /// Refuse `hearth <name>`: this build links no simulator.
    pub(crate) fn refuse(name: &str) -> anyhow::Result<ExitCode> {
        anyhow::bail!(
            "this build of hearth has no simulator: `hearth {name}` needs the `sim` feature \
             (on by default; this binary was built with --no-default-features, for certifying \
             real devices without any fault-injection code)"
        )
    }

    #[cfg(test)]
    mod tests {
        use clap::Parser as _;

        use crate::cmd::run;
        use crate::Cli;

        #[test]
        fn simulator_subcommands_say_this_build_has_none() {
            for args in [
                &["hearth", "demo"][..],
                &["hearth", "mutants", "--parallel", "8"],
                &["hearth", "sim", "--list-faults", "--help"],
            ] {
                let cli = Cli::try_parse_from(args).expect("parses");
                let err = run(cli.command).expect_err("refused");
                let text = err.to_string();
                assert!(text.contains("has no simulator"), "{text}");
                assert!(text.contains(&format!("`hearth {}`", args[1])), "{text}");
            }
        }
    }
}
