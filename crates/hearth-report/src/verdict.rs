//! Verdicts (`spec/06-conformance.md` §6): five, each but `pass` with a reason.

use serde::{Deserialize, Serialize};

/// The verdict of one test case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// An observation of the device contradicts a requirement it must meet.
    Fail,
    /// The test does not apply to this device, as its ICS or description shows.
    NotApplicable,
    /// The device did not give the suite what it needed to decide (e.g. no answer within the
    /// time the specification allows only a SHOULD for).
    Inconclusive,
    /// The suite or its environment failed (broker, lab setup), not the device.
    Error,
}

impl Verdict {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::NotApplicable => "not-applicable",
            Self::Inconclusive => "inconclusive",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A requirement identifier as a failure names it. The suite implements it only for its
/// generated constants (`requirements::req::Req`), so that a failure cannot name a misspelt
/// identifier or one the specification does not state.
pub trait RequirementId {
    /// The identifier, e.g. `HRT-SEC-136`.
    fn id(&self) -> &'static str;
}

/// A verdict with its reason and the requirements the reason concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Why (empty only for `pass`, HRT-CONF-041).
    pub reason: String,
    /// The requirements a `fail` breaks (a subset of the test case's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub broken: Vec<String>,
    /// Trace entry numbers that show the violation (HRT-CONF-052).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<usize>,
}

impl Outcome {
    /// Every check held.
    pub fn pass() -> Self {
        Self {
            verdict: Verdict::Pass,
            reason: String::new(),
            broken: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// The device broke `requirement`.
    pub fn fail(requirement: impl RequirementId, reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Fail,
            reason: reason.into(),
            broken: vec![requirement.id().to_owned()],
            evidence: Vec::new(),
        }
    }

    /// A failure that also breaks `requirement` (named once, whatever the order).
    pub fn and(mut self, requirement: impl RequirementId) -> Self {
        if !self.broken.iter().any(|b| b == requirement.id()) {
            self.broken.push(requirement.id().to_owned());
        }
        self
    }

    /// The test does not apply.
    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::NotApplicable,
            reason: reason.into(),
            broken: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// The device did not let the suite decide.
    pub fn inconclusive(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Inconclusive,
            reason: reason.into(),
            broken: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// The suite or its environment failed.
    pub fn error(reason: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Error,
            reason: reason.into(),
            broken: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// Attach trace entries as evidence.
    pub fn with_evidence(mut self, entries: impl IntoIterator<Item = usize>) -> Self {
        self.evidence.extend(entries);
        self
    }
}
