//! `hearth catalog`: list and show the catalog.

use std::process::ExitCode;

/// Arguments of `hearth catalog`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A device type or capability name to show in full.
    name: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
    /// Print the specification's generated catalog chapter (Markdown).
    #[arg(long, conflicts_with_all = ["name", "json"])]
    markdown: bool,
}

/// Run `hearth catalog`.
pub(crate) fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("catalog not built yet")
}
