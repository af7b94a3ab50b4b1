//! Assembling a run's report (`spec/06-conformance.md` §10.2) from what the run states about
//! itself and its test results: one code path for a device's run ([`crate::runner`]) and a
//! controller's ([`crate::controller::run`]), so that both reports carry the same fields
//! filled the same way — the suite's version and build hashes, a fresh run id, the times, the
//! host, the ICS with its digest, and the summary computed from the results.

use std::collections::BTreeMap;

use hearth_model::catalog::Catalog;

use crate::report::{
    Advisory, DeviceInfo, Environment, IcsText, Report, Step, Summary, TestResult,
};
use crate::requirements::req::Req;
use crate::trace::{now_ms, rfc3339, TraceEntry};
use crate::verdict::{Outcome, Verdict};

/// What a run states about itself beside its test results: everything of `report.json`
/// that differs between runs and between a device and a controller.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// When the run started (milliseconds since the Unix epoch).
    pub started_ms: u64,
    /// Whether test cases were left out (by selection, or an interrupt).
    pub partial: bool,
    /// The seed of the run, as a decimal string.
    pub seed: String,
    /// How the report names the broker (`embedded` for the suite's own) and the topic root.
    pub broker: String,
    /// The topic root of the run.
    pub topic_root: String,
    /// Every parameter's effective value.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Whether every parameter the specification sets had its specified value.
    pub spec_parameters: bool,
    /// The implementation under test: a device, or a controller from its statement.
    pub device: DeviceInfo,
    /// The statement exactly as read.
    pub ics_text: String,
}

/// The report of a run that ends now: `facts` and `tests` with the suite's version and build
/// hashes, a fresh run id and the summary of `tests`.
pub fn report(facts: RunFacts, tests: Vec<TestResult>) -> Report {
    Report {
        format: "hearth-report".into(),
        format_version: 1,
        suite_version: env!("CARGO_PKG_VERSION").into(),
        spec_version: "1.0".into(),
        catalog_hash: catalog_hash(),
        requirements_hash: requirements_hash(),
        run_id: random_hex(16),
        started: rfc3339(facts.started_ms),
        finished: rfc3339(now_ms()),
        partial: facts.partial,
        seed: facts.seed,
        environment: Environment {
            broker: facts.broker,
            topic_root: facts.topic_root,
            host: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        },
        parameters: facts.parameters,
        spec_parameters: facts.spec_parameters,
        device: facts.device,
        ics: IcsText {
            sha256: sha256_hex(facts.ics_text.as_bytes()),
            text: facts.ics_text,
        },
        summary: Summary::of(&tests),
        tests,
    }
}

/// What one test case is, as its result names it.
#[derive(Debug, Clone, Copy)]
pub struct CaseName<'a> {
    /// `TC-<AREA>-<n>.<m>`.
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// The requirements it checks.
    pub requirements: &'a [Req],
}

impl<'a> CaseName<'a> {
    /// The name of the case with this identifier, title and requirements.
    #[must_use]
    pub const fn new(id: &'a str, title: &'a str, requirements: &'a [Req]) -> Self {
        Self {
            id,
            title,
            requirements,
        }
    }
}

/// What a test case left beside its outcome: when it started, how long it took, its steps,
/// advisories and its slice of the trace.
#[derive(Debug, Clone, Default)]
pub struct CaseRecord {
    /// When it started (RFC 3339).
    pub started: String,
    /// How long it took.
    pub duration_ms: u64,
    /// Its steps as run.
    pub steps: Vec<Step>,
    /// SHOULD-level findings.
    pub advisories: Vec<Advisory>,
    /// Its part of the trace.
    pub evidence: Vec<TraceEntry>,
}

/// The result of a test case from its `outcome`: a fail names the requirements broken and
/// the trace entries that show it; a verdict other than pass always has a reason.
pub fn test_result(case: CaseName<'_>, outcome: Outcome, record: CaseRecord) -> TestResult {
    let failed = outcome.verdict == Verdict::Fail;
    let reason = if outcome.verdict != Verdict::Pass && outcome.reason.is_empty() {
        "no reason given".into()
    } else {
        outcome.reason
    };
    TestResult {
        id: case.id.into(),
        title: case.title.into(),
        requirements: case
            .requirements
            .iter()
            .map(|r| r.id().to_owned())
            .collect(),
        verdict: outcome.verdict,
        reason,
        failed_requirements: if failed { outcome.broken } else { Vec::new() },
        advisories: record.advisories,
        started: record.started,
        duration_ms: record.duration_ms,
        steps: record.steps,
        evidence: record.evidence,
        violations: if failed { outcome.evidence } else { Vec::new() },
    }
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256:` + digest of the catalog data this suite was built with.
pub fn catalog_hash() -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for (path, text) in Catalog::embedded_files() {
        ctx.update(path.as_bytes());
        ctx.update(&[0]);
        ctx.update(text.as_bytes());
        ctx.update(&[0]);
    }
    format!("sha256:{}", hex(ctx.finish().as_ref()))
}

/// `sha256:` + digest of the requirement index this suite was built with.
pub fn requirements_hash() -> String {
    let json = crate::requirements::index()
        .map(|r| crate::requirements::to_json(&r))
        .unwrap_or_default();
    format!("sha256:{}", sha256_hex(json.as_bytes()))
}

/// `bytes` random bytes in hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    hex(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::req;

    fn facts() -> RunFacts {
        RunFacts {
            started_ms: 1_795_788_192_000,
            partial: false,
            seed: "7".into(),
            broker: "embedded".into(),
            topic_root: "hearth/1".into(),
            parameters: BTreeMap::new(),
            spec_parameters: true,
            device: DeviceInfo {
                device_id: "hub".into(),
                device_type: "controller".into(),
                ..DeviceInfo::default()
            },
            ics_text: "[controller]\n".into(),
        }
    }

    const NAME: CaseName<'static> = CaseName {
        id: "TC-CTL-1.1",
        title: "t",
        requirements: &[req::HRT_CTL_015],
    };

    #[test]
    fn a_report_carries_the_facts_the_summary_of_its_results_and_the_builds_hashes() {
        let pass = test_result(NAME, Outcome::pass(), CaseRecord::default());
        let fail = test_result(
            NAME,
            Outcome::fail(req::HRT_CTL_015, "no"),
            CaseRecord::default(),
        );
        let r = report(facts(), vec![pass, fail]);
        assert_eq!(r.summary.verdict, Verdict::Fail);
        assert_eq!(
            r.summary.failed_requirements,
            vec!["HRT-CTL-015".to_owned()]
        );
        assert_eq!(r.device.device_type, "controller");
        assert_eq!(r.ics.sha256, sha256_hex(b"[controller]\n"));
        assert_eq!(r.run_id.len(), 32);
        assert_eq!(r.catalog_hash, catalog_hash());
        assert!(r.started <= r.finished);
        assert!(r.signable());
    }

    #[test]
    fn a_verdict_other_than_pass_always_has_a_reason_and_only_a_fail_names_requirements() {
        let r = test_result(NAME, Outcome::error(""), CaseRecord::default());
        assert_eq!(r.reason, "no reason given");
        assert!(r.failed_requirements.is_empty());
        let r = test_result(NAME, Outcome::pass(), CaseRecord::default());
        assert_eq!(r.reason, "");
        assert_eq!(r.requirements, vec!["HRT-CTL-015".to_owned()]);
    }
}
