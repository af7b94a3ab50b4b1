//! `hearth mutants`: the suite's self-check — one run per fault profile of the simulator,
//! device profiles and controller profiles (`ctl-…`, the controller suite against the
//! reference controller), each of which must be caught (HRT-CONF-111). The work is
//! `hearth_demo::mutants`'s.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use hearth_demo::mutants::{run_mutants, MutantResult};

use super::broker::runtime;

/// Arguments of `hearth mutants`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to write each profile's reports (`report.json` per device).
    #[arg(long, default_value = "hearth-mutants-report")]
    out: PathBuf,
    /// Only the profiles whose name contains this (`ctl-`: the controller profiles).
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

/// At most this many test cases are named in a line; the rest are counted.
const NAMED: usize = 4;

/// The `part` of each `device case` label that has one, sorted, each once.
fn distinct<'a>(labels: &'a [String], part: impl Fn(&'a str) -> Option<&'a str>) -> Vec<&'a str> {
    let mut parts: Vec<&str> = labels.iter().filter_map(|label| part(label)).collect();
    parts.sort_unstable();
    parts.dedup();
    parts
}

/// One short line per profile: what caught it (the test cases, not every device's), or
/// that it escaped and what it breaks.
fn line(r: &MutantResult) -> String {
    match (&r.error, r.caught) {
        (Some(e), _) => format!("ERROR   {:<30} {e}", r.profile),
        (None, true) => {
            let cases = distinct(&r.caught_by, |label| {
                label.rsplit_once(' ').map(|(_, case)| case)
            });
            let devices = distinct(&r.caught_by, |label| {
                label.split_once(' ').map(|(device, _)| device)
            });
            let more = cases.len().saturating_sub(NAMED);
            let mut named = cases[..cases.len().min(NAMED)].join(", ");
            if more > 0 {
                named.push_str(&format!(" and {more} more"));
            }
            if hearth_sim::controller_profile(&r.profile).is_some() {
                return format!(
                    "caught  {:<30} by {named} (against the reference controller)",
                    r.profile
                );
            }
            format!(
                "caught  {:<30} by {named} (on {} device{})",
                r.profile,
                devices.len(),
                if devices.len() == 1 { "" } else { "s" }
            )
        }
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
        let selected = |name: &str| args.only.as_deref().is_none_or(|o| name.contains(o));
        let total = hearth_sim::profiles()
            .iter()
            .filter(|p| selected(p.name))
            .count()
            + hearth_sim::controller_profiles()
                .iter()
                .filter(|p| selected(p.name))
                .count();
        eprintln!(
            "hearth mutants: {total} fault profiles, {} at a time, reports in {}",
            args.parallel.max(1),
            args.out.display()
        );
        let started = Instant::now();
        let done = Arc::new(AtomicUsize::new(0));
        let results = run_mutants(
            &args.out,
            args.speed,
            args.parallel,
            args.only.as_deref(),
            args.all_cases,
            move |r| {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                let text = format!(
                    "[{n:>2}/{total}] {:>5.0}s {}",
                    started.elapsed().as_secs_f64(),
                    line(r)
                );
                if json {
                    eprintln!("{text}");
                } else {
                    println!("{text}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_profile_is_one_short_line() {
        let r = MutantResult {
            profile: "slow-response".into(),
            requirements: vec!["HRT-MSG-093".into()],
            caught_by: (0..9)
                .flat_map(|d| {
                    [
                        "TC-MSG-4.1",
                        "TC-MSG-4.2",
                        "TC-SEC-2.1",
                        "TC-SEC-2.3",
                        "TC-SEC-5.2",
                    ]
                    .map(|c| format!("dev-{d} {c}"))
                })
                .collect(),
            also_failed: vec![],
            caught: true,
            error: None,
        };
        let text = line(&r);
        let controller = MutantResult {
            profile: "ctl-ignore-replay".into(),
            caught_by: vec!["hearth-test-controller TC-CTL-1.6".into()],
            ..r.clone()
        };
        assert_eq!(
            line(&controller),
            "caught  ctl-ignore-replay              by TC-CTL-1.6 (against the reference controller)"
        );
        assert_eq!(
            text,
            "caught  slow-response                  by TC-MSG-4.1, TC-MSG-4.2, TC-SEC-2.1, TC-SEC-2.3 and 1 more (on 9 devices)"
        );
    }
}
