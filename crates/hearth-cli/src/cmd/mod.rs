//! Subcommands, one module each. Every module exposes an `Args` struct and a `run` function.

use std::process::ExitCode;

pub(crate) mod catalog;
pub(crate) mod pki;

/// All subcommands of `hearth`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Browse the appliance catalog: device types, capabilities, enums.
    Catalog(catalog::Args),
    /// Test PKI: create, issue, show and verify certificates and keys.
    Pki(pki::Args),
}

/// Dispatch a parsed subcommand.
pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Catalog(args) => catalog::run(args),
        Command::Pki(args) => pki::run(args),
    }
}
