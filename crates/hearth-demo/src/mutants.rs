//! The suite's self-check (`spec/06-conformance.md` §12): one run per fault profile of the
//! simulator, each of which some test case must fail naming a requirement the profile
//! breaks (HRT-CONF-111).

use std::path::Path;
use std::sync::Arc;

use hearth_sim::{profiles, DeviceSpec, FaultProfile, Fleet};
use serde::Serialize;
use tokio::sync::Semaphore;

use hearth_report::report::Report;
use hearth_report::verdict::Verdict;

use crate::demo::{run_demo, DemoConfig};

/// What one mutant run found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MutantResult {
    /// The fault profile.
    pub profile: String,
    /// The requirements it declares broken.
    pub requirements: Vec<String>,
    /// `device test-case` pairs that failed naming one of those requirements.
    pub caught_by: Vec<String>,
    /// Other failures the profile caused (naming other requirements).
    pub also_failed: Vec<String>,
    /// Whether it was caught (HRT-CONF-111).
    pub caught: bool,
    /// Why the run could not be made, if it could not.
    pub error: Option<String>,
}

/// One appliance of every type, the brands taken in turn: enough for every profile to show.
pub fn mutant_fleet() -> Fleet {
    let mut seen = std::collections::BTreeSet::new();
    let devices: Vec<DeviceSpec> = Fleet::standard()
        .devices
        .into_iter()
        .filter(|d| seen.insert(format!("{:?}", d.kind)))
        .collect();
    Fleet { devices }
}

/// The requirements `profile` declares broken.
fn requirements(profile: &FaultProfile) -> Vec<String> {
    profile
        .requirements
        .iter()
        .map(|r| (*r).to_owned())
        .collect()
}

/// Judge one profile's run.
pub fn judge(profile: &FaultProfile, reports: &[Report]) -> MutantResult {
    let mut caught_by = Vec::new();
    let mut also = Vec::new();
    for r in reports {
        for t in r.tests.iter().filter(|t| t.verdict == Verdict::Fail) {
            let label = format!("{} {}", r.device.device_id, t.id);
            if t.requirements
                .iter()
                .any(|req| profile.requirements.contains(&req.as_str()))
            {
                caught_by.push(label);
            } else {
                also.push(label);
            }
        }
    }
    MutantResult {
        profile: profile.name.to_owned(),
        requirements: requirements(profile),
        caught: !caught_by.is_empty(),
        caught_by,
        also_failed: also,
        error: None,
    }
}

/// Run every profile (`only`: those whose name contains it), at most `parallel` at a time,
/// each with the test cases that check a requirement it breaks (no other case can catch it),
/// or with every case when `all_cases` (to see what else a profile breaks);
/// each device's `report.json` goes to `out/<profile>/<device>/`.
pub async fn run_mutants(
    out: &Path,
    speed: f64,
    parallel: usize,
    only: Option<&str>,
    all_cases: bool,
    progress: impl Fn(&MutantResult) + Send + Sync + Clone + 'static,
) -> Vec<MutantResult> {
    let limit = Arc::new(Semaphore::new(parallel.max(1)));
    let mut handles = Vec::new();
    for profile in profiles()
        .iter()
        .filter(|p| only.is_none_or(|o| p.name.contains(o)))
    {
        let mut config = DemoConfig::new(out.join(profile.name));
        config.fleet = mutant_fleet();
        config.speed = speed;
        config.fault = Some(profile.name.to_owned());
        config.all_renderings = false;
        config.only_requirements = (!all_cases).then(|| requirements(profile));
        let limit = limit.clone();
        let progress = progress.clone();
        handles.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = match run_demo(&config, |_, _, _| {}).await {
                Ok(reports) => judge(profile, &reports),
                Err(e) => MutantResult {
                    error: Some(e.to_string()),
                    ..judge(profile, &[])
                },
            };
            progress(&result);
            result
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        if let Ok(r) = h.await {
            results.push(r);
        }
    }
    results
}
