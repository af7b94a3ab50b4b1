//! `hearth coverage`: the traceability matrix — every requirement of the specification, the
//! test cases that check it or the reason none can. Built by `hearth_conformance::coverage`
//! from the embedded specification, the suite's cases and the untestable list; shown one
//! line per requirement, in Markdown (as `conformance/COVERAGE.md`) or as JSON.

use std::process::ExitCode;

use hearth_conformance::coverage::Registry;

use crate::{args, out};

/// Arguments of `hearth coverage`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the whole matrix in Markdown (as `conformance/COVERAGE.md`).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
    #[command(flatten)]
    output: args::Json,
    /// List the mandatory requirements that are neither covered nor explained, and exit 1 if
    /// there are any.
    #[arg(long)]
    check: bool,
}

/// Run `hearth coverage`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let index = hearth_conformance::requirements::index()?;
    let registry = Registry::standard()?;
    let matrix = registry.matrix(&index);
    let uncovered = matrix.uncovered_mandatory();
    let status = if args.check && !uncovered.is_empty() {
        ExitCode::from(crate::exit::FAIL)
    } else {
        ExitCode::SUCCESS
    };
    if args.markdown {
        out::print(&matrix.to_markdown())?;
    } else if args.output.json {
        out::print(&format!("{:#}\n", matrix.to_json()))?;
    } else if args.check {
        for r in &uncovered {
            out::print(&format!(
                "{}  {}\n",
                r.id,
                r.text.chars().take(100).collect::<String>()
            ))?;
        }
        out::print(&format!(
            "{} mandatory requirements neither covered by a test case nor explained\n",
            uncovered.len()
        ))?;
    } else {
        out::print(&matrix.to_lines())?;
    }
    Ok(status)
}
