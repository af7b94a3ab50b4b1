//! `hearth`: the command-line front end of the Hearth standard.
//!
//! This binary is deliberately thin: it parses flags (one module per subcommand under
//! [`cmd`]) and calls into the library crates, which hold all the logic. Machine-readable
//! output (`--json`) is produced from the same structures the terminal output uses.
//!
//! The `sim` feature (on by default) adds the simulator's subcommands `demo`, `mutants` and
//! `sim`; built with `--no-default-features`, `hearth` certifies real devices and links no
//! simulator and no fault-injection code.

mod args;
mod clock;
mod cmd;
mod exit;
mod out;
mod progress;

use clap::Parser;

/// Top-level command line.
#[derive(Debug, Parser)]
#[command(name = "hearth", version, about = "Hearth: interoperable, signed smart-appliance messaging", long_about = None, after_help = exit::TABLE)]
struct Cli {
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> std::process::ExitCode {
    out::quiet_on_broken_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // `--help` and `--version` go to standard output and succeed; every other
            // parse error is a usage error (exit 64), not a verdict.
            let _ = err.print();
            return if err.use_stderr() {
                std::process::ExitCode::from(exit::USAGE)
            } else {
                std::process::ExitCode::SUCCESS
            };
        }
    };
    match cmd::run(cli.command) {
        Ok(code) => code,
        Err(err) if out::is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", exit::message(&err));
            exit::of_error(&err)
        }
    }
}
