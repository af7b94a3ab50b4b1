//! `hearth mutants`: the suite's self-check — one run per fault profile of the simulator,
//! each of which must be caught (HRT-CONF-111). The work is `hearth_demo::mutants`'s.

use std::path::PathBuf;
use std::process::ExitCode;

use hearth_demo::mutants::{run_mutants, MutantResult};

use super::broker::runtime;

/// Arguments of `hearth mutants`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to write each profile's reports (`report.json` per device).
    #[arg(long, default_value = "hearth-mutants-report")]
    out: PathBuf,
    /// Only the profiles whose name contains this.
    #[arg(long)]
    only: Option<String>,
    /// Profiles run at the same time.
    #[arg(long, default_value_t = 4)]
    parallel: usize,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 60.0)]
    speed: f64,
    /// One JSON array of the results.
    #[arg(long)]
    json: bool,
    /// Run every test case under each profile, not only those that name a requirement the
    /// profile breaks: slower, and shows what else each profile makes fail.
    #[arg(long)]
    all_cases: bool,
}

fn line(r: &MutantResult) -> String {
    match (&r.error, r.caught) {
        (Some(e), _) => format!("ERROR   {:<30} {e}", r.profile),
        (None, true) => format!("caught  {:<30} by {}", r.profile, r.caught_by.join(", ")),
        (None, false) => format!(
            "ESCAPED {:<30} breaks {} but no test case failed on them",
            r.profile,
            r.requirements.join(", ")
        ),
    }
}

/// Run `hearth mutants`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async move {
        let json = args.json;
        let results = run_mutants(
            &args.out,
            args.speed,
            args.parallel,
            args.only.as_deref(),
            args.all_cases,
            move |r| {
                if !json {
                    println!("{}", line(r));
                }
            },
        )
        .await;
        let escaped = results.iter().filter(|r| !r.caught).count();
        if json {
            println!("{}", serde_json::to_string_pretty(&results)?);
        } else {
            println!(
                "{} profiles, {} caught, {} escaped",
                results.len(),
                results.len() - escaped,
                escaped
            );
        }
        Ok(if escaped == 0 && !results.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}
