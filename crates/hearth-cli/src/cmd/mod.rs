//! Subcommands, one module each. Every module exposes an `Args` struct and a `run` function.

use std::process::ExitCode;

pub(crate) mod catalog;

/// All subcommands of `hearth`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Browse the appliance catalog: device types, capabilities, enums.
    Catalog(catalog::Args),
}

/// Dispatch a parsed subcommand.
pub(crate) fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Catalog(args) => catalog::run(args),
    }
}
