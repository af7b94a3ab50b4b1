//! `hearth coverage`: the traceability matrix — every requirement of the specification, the
//! test cases that check it or the reason none can. Built by `hearth_conformance::coverage`
//! from the embedded specification, the suite's cases and the untestable list.

use std::process::ExitCode;

use hearth_conformance::coverage::Registry;

/// Arguments of `hearth coverage`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the whole matrix in Markdown (as `conformance/COVERAGE.md`).
    #[arg(long)]
    markdown: bool,
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
    if args.markdown {
        print!("{}", matrix.to_markdown());
        return Ok(ExitCode::SUCCESS);
    }
    let (mandatory, other) = matrix.summary();
    let line = |c: &hearth_conformance::coverage::Counts| {
        format!(
            "{} in all: {} covered by test cases, {} untestable with a reason, {} uncovered",
            c.total, c.covered, c.untestable, c.uncovered
        )
    };
    println!("mandatory requirements:   {}", line(&mandatory));
    println!("recommended and optional: {}", line(&other));
    let uncovered = matrix.uncovered_mandatory();
    if !uncovered.is_empty() {
        println!("\nmandatory requirements neither covered by a test case nor explained:");
        for r in &uncovered {
            println!(
                "  {}  {}",
                r.id,
                r.text.chars().take(100).collect::<String>()
            );
        }
    }
    Ok(if args.check && !uncovered.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
