//! The suite's self-check (`spec/06-conformance.md` §12): one run per fault profile of the
//! simulator, each of which some test case must fail naming, among the requirements its
//! failure breaks, one the profile breaks (HRT-CONF-111). A case that fails for another
//! reason than the profile's (a requirement the case checks but the profile does not break)
//! does not count: it would pass a suite whose case for the profile's rule is wrong.
//! The controller profiles are judged the same way by the controller suite
//! ([`crate::controller_check`]).

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
    /// `device test-case` pairs whose failure named one of those requirements as broken.
    pub caught_by: Vec<String>,
    /// Other failures the profile caused (naming only other requirements as broken).
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
    owned(profile.requirements)
}

/// `declared`, owned.
fn owned(declared: &[&str]) -> Vec<String> {
    declared.iter().map(|r| (*r).to_owned()).collect()
}

/// Judge one profile's run by requirement: a failed case catches the profile only when the
/// requirements its failure names as broken (`failed_requirements`, not every requirement
/// the case checks) include one the profile declares.
pub fn judge(profile: &FaultProfile, reports: &[Report]) -> MutantResult {
    judge_reports(profile.name, profile.requirements, reports)
}

/// Judge the run of the profile `name`, which declares `declared` broken, by its `reports`
/// (HRT-CONF-111): shared by the device and the controller profiles.
pub(crate) fn judge_reports<'a>(
    name: &str,
    declared: &[&str],
    reports: impl IntoIterator<Item = &'a Report>,
) -> MutantResult {
    let mut caught_by = Vec::new();
    let mut also = Vec::new();
    for r in reports {
        for t in r.tests.iter().filter(|t| t.verdict == Verdict::Fail) {
            let label = format!("{} {}", r.device.device_id, t.id);
            if t.failed_requirements
                .iter()
                .any(|req| declared.contains(&req.as_str()))
            {
                caught_by.push(label);
            } else {
                also.push(label);
            }
        }
    }
    MutantResult {
        profile: name.to_owned(),
        requirements: owned(declared),
        caught: !caught_by.is_empty(),
        caught_by,
        also_failed: also,
        error: None,
    }
}

/// Run every profile (`only`: those whose name contains it), at most `parallel` at a time,
/// each with the test cases that check a requirement it breaks (no other case can catch it),
/// or with every case when `all_cases` (to see what else a profile breaks);
/// each device's `report.json` goes to `out/<profile>/<device>/`. Then every controller
/// profile `only` selects, each with every `TC-CTL` case against the reference controller
/// in-process, its `report.json` in `out/<profile>/`.
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
    for profile in hearth_sim::controller_profiles()
        .iter()
        .filter(|p| only.is_none_or(|o| p.name.contains(o)))
    {
        let out = out.join(profile.name);
        let limit = limit.clone();
        let progress = progress.clone();
        handles.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await;
            let result = crate::controller_check::run_controller_mutant(&out, profile).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A report whose only failure is `case`, checking `checks` and failing `broken`.
    fn failing(case: &str, checks: &[&str], broken: &[&str]) -> Report {
        let mut report = hearth_report::example::report();
        report.tests.retain(|t| t.verdict == Verdict::Fail);
        report.tests.truncate(1);
        let t = &mut report.tests[0];
        t.id = case.into();
        t.requirements = checks.iter().map(|r| (*r).to_owned()).collect();
        t.failed_requirements = broken.iter().map(|r| (*r).to_owned()).collect();
        report
    }

    /// HRT-CONF-111 judges by the requirements a failure names as broken, not by those its
    /// case checks: a case that checks the profile's rule but fails for another one does not
    /// catch the profile.
    #[test]
    fn a_profile_is_caught_only_by_a_failure_naming_its_requirement() {
        let profile = hearth_sim::profile("counter-reuse").expect("profile");
        let checks = ["HRT-SEC-090", "HRT-SEC-097"];
        let named = judge(profile, &[failing("TC-SEC-4.1", &checks, &["HRT-SEC-090"])]);
        assert!(named.caught, "{named:?}");
        assert_eq!(named.caught_by.len(), 1);
        let other = judge(profile, &[failing("TC-SEC-4.1", &checks, &["HRT-SEC-097"])]);
        assert!(!other.caught, "{other:?}");
        assert_eq!(other.also_failed.len(), 1);
    }
}
