//! The result of a run as `report.json` carries it (`spec/06-conformance.md` §10.2).
//!
//! These types are the one source of every report format: `junit.xml`, `report.html`, the
//! terminal summary and the signed `report.cose` are all rendered from a [`Report`] (or from
//! the `report.json` bytes it serialises to), never from the runner's internal state
//! (HRT-CONF-080).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::trace::{TraceEntry, TraceLevel};
use crate::verdict::Verdict;

/// `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always `hearth-report`.
    pub format: String,
    /// Always 1.
    pub format_version: u32,
    /// Version of the suite.
    pub suite_version: String,
    /// Version of the specification the suite implements.
    pub spec_version: String,
    /// `sha256:` + hex digest of the catalog data the suite was built with.
    pub catalog_hash: String,
    /// `sha256:` + hex digest of the requirement index the suite was built with.
    pub requirements_hash: String,
    /// 32 lower-case hex digits.
    pub run_id: String,
    /// When the run started (RFC 3339, UTC, milliseconds).
    pub started: String,
    /// When it ended.
    pub finished: String,
    /// Whether test cases were left out, by selection or because the run was interrupted.
    pub partial: bool,
    /// The seed of the run, as a decimal string (JSON numbers lose precision past 2^53).
    pub seed: String,
    /// Broker, topic root, host.
    pub environment: Environment,
    /// Every parameter's effective value.
    pub parameters: BTreeMap<String, serde_json::Value>,
    /// Whether every parameter the specification sets had its specified value.
    pub spec_parameters: bool,
    /// The device under test.
    pub device: DeviceInfo,
    /// The ICS as read.
    pub ics: IcsText,
    /// Verdict and counts.
    pub summary: Summary,
    /// One result per test case of the catalog, in identifier order.
    pub tests: Vec<TestResult>,
}

/// `environment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// Broker URL without credentials, or `embedded`.
    pub broker: String,
    /// Topic root.
    pub topic_root: String,
    /// Operating system and architecture of the runner.
    pub host: String,
}

/// `device`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Four lower-case hex digits.
    pub vendor_id: String,
    /// Device id.
    pub device_id: String,
    /// Catalog name of the device type.
    pub device_type: String,
    /// `vendor-name` as `device-info` reported it.
    pub vendor: String,
    /// `model` as `device-info` reported it.
    pub model: String,
    /// `firmware-version` as `device-info` reported it.
    pub firmware: String,
    /// Hex key id of the device's key.
    pub key_id: String,
    /// The device's chain as carried, each certificate in hex.
    pub certificate_chain: Vec<String>,
    /// Hex SHA-256 of the payload of the description the run was based on.
    pub description_sha256: String,
}

/// `ics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IcsText {
    /// The ICS exactly as read.
    pub text: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// `summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The run verdict (§6.2).
    pub verdict: Verdict,
    /// Test cases per verdict.
    pub counts: Counts,
    /// Every requirement some test case failed, sorted.
    pub failed_requirements: Vec<String>,
}

impl Summary {
    /// The summary of a run's test results: the count per verdict, every requirement a test
    /// case failed (sorted, once each), and the run verdict those counts give (§6.2).
    pub fn of(tests: &[TestResult]) -> Self {
        let mut counts = Counts::default();
        let mut failed: Vec<String> = Vec::new();
        for t in tests {
            counts.add(t.verdict);
            failed.extend(t.failed_requirements.iter().cloned());
        }
        failed.sort();
        failed.dedup();
        Self {
            verdict: run_verdict(&counts),
            counts,
            failed_requirements: failed,
        }
    }
}

/// Number of test cases per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Passed.
    pub pass: u32,
    /// Failed.
    pub fail: u32,
    /// Not applicable.
    #[serde(rename = "not-applicable")]
    pub not_applicable: u32,
    /// Inconclusive.
    pub inconclusive: u32,
    /// Error.
    pub error: u32,
}

impl Counts {
    /// Count one verdict.
    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::NotApplicable => self.not_applicable += 1,
            Verdict::Inconclusive => self.inconclusive += 1,
            Verdict::Error => self.error += 1,
        }
    }
}

/// One step of a test case and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// From 1.
    pub number: u32,
    /// What the step does.
    pub text: String,
    /// `done`, `failed`, `skipped` or `not-reached`.
    pub outcome: String,
}

/// A SHOULD-level finding that does not change the verdict (HRT-CONF-043).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// The requirement.
    pub requirement: String,
    /// What was observed.
    pub note: String,
}

/// One element of `tests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// `TC-<AREA>-<n>.<m>`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Requirements it checks.
    pub requirements: Vec<String>,
    /// Verdict.
    pub verdict: Verdict,
    /// Empty only for `pass`.
    pub reason: String,
    /// For `fail`: the requirements broken.
    pub failed_requirements: Vec<String>,
    /// SHOULD-level findings.
    pub advisories: Vec<Advisory>,
    /// When it started.
    pub started: String,
    /// How long it took.
    pub duration_ms: u64,
    /// Its steps.
    pub steps: Vec<Step>,
    /// Its part of the trace; empty for `not-applicable`.
    pub evidence: Vec<TraceEntry>,
    /// For `fail`: the `seq` of the entries that show the violation.
    pub violations: Vec<usize>,
}

impl TestResult {
    /// Leave out of the evidence the message bytes `level` does not keep for this result's
    /// verdict and violations (each entry keeps its length and digest).
    pub fn keep_bytes(&mut self, level: TraceLevel) {
        level.apply(&mut self.evidence, self.verdict, &self.violations);
    }
}

/// The run verdict from the test verdicts (§6.2): any fail → fail; else any error → error;
/// else any inconclusive → inconclusive; else pass (not-applicable cases do not count).
pub fn run_verdict(counts: &Counts) -> Verdict {
    if counts.fail > 0 {
        Verdict::Fail
    } else if counts.error > 0 {
        Verdict::Error
    } else if counts.inconclusive > 0 {
        Verdict::Inconclusive
    } else {
        Verdict::Pass
    }
}

impl Report {
    /// The canonical bytes of `report.json`: pretty-printed UTF-8 JSON with a final newline.
    /// These are the bytes `report.cose` signs.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Whether a lab may sign the report as far as its content shows (HRT-CONF-092): the run
    /// was complete and used the parameters the specification sets.
    pub fn signable(&self) -> bool {
        !self.partial && self.spec_parameters
    }

    /// Parse `report.json`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The trace level the run used, as its `trace` parameter records it; `None` for a
    /// report written before the parameter existed (which kept every message's bytes) or
    /// one naming no known level.
    pub fn trace_level(&self) -> Option<TraceLevel> {
        self.parameters
            .get(TRACE_PARAMETER)
            .and_then(serde_json::Value::as_str)
            .and_then(TraceLevel::from_name)
    }
}

/// The name of the parameter that sets the trace level (`spec/06-conformance.md` §3.7).
pub const TRACE_PARAMETER: &str = "trace";
