//! Coverage: which test case checks which requirement, and which requirements no black-box test
//! can check, with the reason (`spec/06-conformance.md` §11).
//!
//! Test cases register in a [`Registry`] with their identifier, title and the requirement ids
//! they check; requirements that are untestable are listed in `conformance/untestable.toml`,
//! embedded at build time. [`Registry::matrix`] joins both with the requirement index into the
//! traceability matrix, rendered as `conformance/COVERAGE.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::requirements::{Level, Requirement};

/// The committed list of untestable requirements, `conformance/untestable.toml`.
pub const UNTESTABLE_TOML: &str = include_str!("../../../conformance/untestable.toml");

/// The areas of test case identifiers (`TC-<AREA>-<n>.<m>`): the requirement areas that a
/// black-box suite checks, plus `BEH` (behaviour per device type) and `ROB` (robustness).
pub const TEST_AREAS: &[&str] = &["MOD", "SEC", "MSG", "MQTT", "COM", "BEH", "ROB", "CTL"];

/// A test case as the coverage matrix sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    /// The identifier, `TC-<AREA>-<n>.<m>`, e.g. `TC-SEC-3.1`.
    pub id: String,
    /// A one-line title.
    pub title: String,
    /// The requirement identifiers the test case checks.
    pub requirements: Vec<String>,
}

/// A requirement that no black-box test can check, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Untestable {
    /// The requirement identifier.
    pub id: String,
    /// Why the suite cannot check it from outside the implementation.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UntestableFile {
    #[serde(default)]
    untestable: Vec<Untestable>,
}

/// An inconsistency between the registry and the requirement index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverageError {
    /// `untestable.toml` does not parse.
    #[error("untestable.toml: {0}")]
    Parse(String),
    /// A test case identifier is not of the form `TC-<AREA>-<n>.<m>` with a known area.
    #[error("{0}: not a test case identifier of the form TC-<AREA>-<n>.<m> with AREA one of MOD, SEC, MSG, MQTT, COM, BEH, ROB")]
    MalformedTestCaseId(String),
    /// Two test cases share an identifier.
    #[error("{0}: registered twice")]
    DuplicateTestCase(String),
    /// A test case names no requirement.
    #[error("{0}: names no requirement")]
    NoRequirements(String),
    /// A test case names a requirement that the index does not contain.
    #[error("{test_case}: names {requirement}, which the specification does not state")]
    UnknownRequirement {
        /// The test case.
        test_case: String,
        /// The requirement identifier it names.
        requirement: String,
    },
    /// An untestable entry names a requirement that the index does not contain.
    #[error("untestable.toml: {0} is not a requirement of the specification")]
    UnknownUntestable(String),
    /// A requirement is listed as untestable twice.
    #[error("untestable.toml: {0} is listed twice")]
    DuplicateUntestable(String),
    /// An untestable entry gives no reason.
    #[error("untestable.toml: {0} gives no reason")]
    EmptyReason(String),
    /// A requirement is both covered by a test case and listed as untestable.
    #[error("{requirement} is listed as untestable but {test_case} checks it")]
    CoveredAndUntestable {
        /// The requirement.
        requirement: String,
        /// A test case that checks it.
        test_case: String,
    },
}

/// Whether `id` is a test case identifier `TC-<AREA>-<n>.<m>` with an area of [`TEST_AREAS`]
/// and positive decimal numbers without leading zeros.
pub fn is_test_case_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("TC-") else {
        return false;
    };
    let Some((area, numbers)) = rest.split_once('-') else {
        return false;
    };
    let Some((n, m)) = numbers.split_once('.') else {
        return false;
    };
    let number = |s: &str| {
        !s.is_empty()
            && s.len() <= 4
            && s.bytes().all(|b| b.is_ascii_digit())
            && !s.starts_with('0')
    };
    TEST_AREAS.contains(&area) && number(n) && number(m)
}

/// Test cases and untestable requirements, as the suite declares them.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    test_cases: Vec<TestCase>,
    untestable: Vec<Untestable>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The suite's registry: every test case of the catalog ([`crate::cases::CASES`]) and
    /// the committed untestable list.
    ///
    /// # Errors
    ///
    /// When `conformance/untestable.toml` does not parse.
    pub fn standard() -> Result<Self, CoverageError> {
        let mut registry = Self::new();
        let device = crate::cases::CASES.iter().map(crate::case::Case::name);
        let controller = crate::controller::cases::CASES
            .iter()
            .map(crate::controller::cases::CtlCase::name);
        for case in device.chain(controller) {
            registry.add_test_case(TestCase {
                id: case.id.to_owned(),
                title: case.title.to_owned(),
                requirements: case
                    .requirements
                    .iter()
                    .map(|r| r.id().to_owned())
                    .collect(),
            });
        }
        registry.load_untestable(UNTESTABLE_TOML)?;
        Ok(registry)
    }

    /// Register a test case.
    pub fn add_test_case(&mut self, test_case: TestCase) {
        self.test_cases.push(test_case);
    }

    /// List a requirement as untestable.
    pub fn add_untestable(&mut self, untestable: Untestable) {
        self.untestable.push(untestable);
    }

    /// Add every entry of an `untestable.toml` document: an array of tables `[[untestable]]`
    /// with `id` and `reason`.
    ///
    /// # Errors
    ///
    /// When the document does not parse or has other keys.
    pub fn load_untestable(&mut self, toml_text: &str) -> Result<(), CoverageError> {
        let file: UntestableFile =
            toml::from_str(toml_text).map_err(|e| CoverageError::Parse(e.to_string()))?;
        self.untestable.extend(file.untestable);
        Ok(())
    }

    /// The registered test cases, in registration order.
    pub fn test_cases(&self) -> &[TestCase] {
        &self.test_cases
    }

    /// The untestable requirements, in the order listed.
    pub fn untestable(&self) -> &[Untestable] {
        &self.untestable
    }

    /// Every inconsistency between the registry and the requirement `index`.
    pub fn check(&self, index: &[Requirement]) -> Vec<CoverageError> {
        let known: BTreeSet<&str> = index.iter().map(|r| r.id.as_str()).collect();
        let mut errors = Vec::new();
        let mut ids = BTreeSet::new();
        for tc in &self.test_cases {
            if !is_test_case_id(&tc.id) {
                errors.push(CoverageError::MalformedTestCaseId(tc.id.clone()));
            }
            if !ids.insert(tc.id.as_str()) {
                errors.push(CoverageError::DuplicateTestCase(tc.id.clone()));
            }
            if tc.requirements.is_empty() {
                errors.push(CoverageError::NoRequirements(tc.id.clone()));
            }
            for req in &tc.requirements {
                if !known.contains(req.as_str()) {
                    errors.push(CoverageError::UnknownRequirement {
                        test_case: tc.id.clone(),
                        requirement: req.clone(),
                    });
                }
            }
        }
        let covering = self.covering();
        let mut listed = BTreeSet::new();
        for u in &self.untestable {
            if !known.contains(u.id.as_str()) {
                errors.push(CoverageError::UnknownUntestable(u.id.clone()));
            }
            if !listed.insert(u.id.as_str()) {
                errors.push(CoverageError::DuplicateUntestable(u.id.clone()));
            }
            if u.reason.trim().is_empty() {
                errors.push(CoverageError::EmptyReason(u.id.clone()));
            }
            if let Some(tc) = covering.get(u.id.as_str()).and_then(|tcs| tcs.first()) {
                errors.push(CoverageError::CoveredAndUntestable {
                    requirement: u.id.clone(),
                    test_case: (*tc).to_owned(),
                });
            }
        }
        errors
    }

    /// For each requirement id, the test cases that check it, sorted.
    fn covering(&self) -> BTreeMap<&str, Vec<&str>> {
        let mut map: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for tc in &self.test_cases {
            for req in &tc.requirements {
                map.entry(req.as_str()).or_default().push(tc.id.as_str());
            }
        }
        for tcs in map.values_mut() {
            tcs.sort_by_key(|id| test_case_order(id));
            tcs.dedup();
        }
        map
    }

    /// The traceability matrix of `index` (sorted by identifier) against this registry.
    pub fn matrix(&self, index: &[Requirement]) -> Matrix {
        let covering = self.covering();
        let untestable: BTreeMap<&str, &str> = self
            .untestable
            .iter()
            .map(|u| (u.id.as_str(), u.reason.as_str()))
            .collect();
        let mut rows: Vec<Row> = index
            .iter()
            .map(|r| Row {
                requirement: r.clone(),
                covered_by: covering
                    .get(r.id.as_str())
                    .map(|tcs| tcs.iter().map(|s| (*s).to_owned()).collect())
                    .unwrap_or_default(),
                untestable: untestable.get(r.id.as_str()).map(|s| (*s).to_owned()),
            })
            .collect();
        rows.sort_by(|a, b| a.requirement.id.cmp(&b.requirement.id));
        Matrix { rows }
    }
}

/// Sort key of a test case id: area, then group and number numerically.
fn test_case_order(id: &str) -> (String, u32, u32) {
    let rest = id.strip_prefix("TC-").unwrap_or(id);
    let (area, numbers) = rest.split_once('-').unwrap_or((rest, ""));
    let (n, m) = numbers.split_once('.').unwrap_or((numbers, ""));
    (
        area.to_owned(),
        n.parse().unwrap_or(u32::MAX),
        m.parse().unwrap_or(u32::MAX),
    )
}

/// One requirement in the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The requirement.
    pub requirement: Requirement,
    /// The test cases that check it, sorted.
    pub covered_by: Vec<String>,
    /// Why it is untestable, if it is listed as such.
    pub untestable: Option<String>,
}

impl Row {
    /// Neither covered by a test case nor listed as untestable.
    pub fn is_uncovered(&self) -> bool {
        self.covered_by.is_empty() && self.untestable.is_none()
    }
}

/// Counts of one class of requirements.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Requirements in the class.
    pub total: usize,
    /// Checked by at least one test case.
    pub covered: usize,
    /// Listed as untestable.
    pub untestable: usize,
    /// Neither.
    pub uncovered: usize,
}

impl Counts {
    fn add(&mut self, row: &Row) {
        self.total += 1;
        if !row.covered_by.is_empty() {
            self.covered += 1;
        } else if row.untestable.is_some() {
            self.untestable += 1;
        } else {
            self.uncovered += 1;
        }
    }
}

/// The traceability matrix: every requirement with its covering test cases or its reason for
/// being untestable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// One row per requirement, sorted by identifier.
    pub rows: Vec<Row>,
}

impl Matrix {
    /// Counts of (mandatory, other) requirements.
    pub fn summary(&self) -> (Counts, Counts) {
        let mut mandatory = Counts::default();
        let mut other = Counts::default();
        for row in &self.rows {
            if row.requirement.level.is_mandatory() {
                mandatory.add(row);
            } else {
                other.add(row);
            }
        }
        (mandatory, other)
    }

    /// The mandatory requirements that are neither covered nor listed as untestable: each is a
    /// defect of the suite (`spec/README.md` §4.5).
    pub fn uncovered_mandatory(&self) -> Vec<&Requirement> {
        self.rows
            .iter()
            .filter(|r| r.requirement.level.is_mandatory() && r.is_uncovered())
            .map(|r| &r.requirement)
            .collect()
    }

    /// The matrix for the terminal: one line per requirement — its identifier, level, and
    /// the test cases that check it, `untestable` with the start of the reason, or
    /// `UNCOVERED` — then the counts.
    pub fn to_lines(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let r = &row.requirement;
            let what = if !row.covered_by.is_empty() {
                row.covered_by.join(", ")
            } else if let Some(why) = &row.untestable {
                let mut short: String = why.chars().take(80).collect();
                if short.len() < why.len() {
                    short.push('…');
                }
                format!("untestable: {short}")
            } else {
                "UNCOVERED".to_owned()
            };
            let _ = writeln!(out, "{:<14} {:<10} {what}", r.id, r.level.keyword());
        }
        let (mandatory, other) = self.summary();
        let line = |c: &Counts| {
            format!(
                "{} in all: {} covered by test cases, {} untestable with a reason, {} uncovered",
                c.total, c.covered, c.untestable, c.uncovered
            )
        };
        let _ = writeln!(out, "\nmandatory requirements:   {}", line(&mandatory));
        let _ = writeln!(out, "recommended and optional: {}", line(&other));
        out
    }

    /// The matrix as JSON: `summary` (`mandatory` and `other` counts) and every row with its
    /// requirement, the test cases covering it and the reason it is untestable.
    pub fn to_json(&self) -> serde_json::Value {
        let (mandatory, other) = self.summary();
        serde_json::json!({
            "summary": { "mandatory": mandatory, "other": other },
            "rows": self.rows,
        })
    }

    /// Render the matrix as the committed `conformance/COVERAGE.md`.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let (mandatory, other) = self.summary();
        let mut all = Counts::default();
        for row in &self.rows {
            all.add(row);
        }
        let _ = writeln!(out, "# Conformance coverage\n");
        let _ = writeln!(
            out,
            "<!-- Generated from spec/*.md, the suite's test cases and conformance/untestable.toml \
             by `HEARTH_REGENERATE=1 cargo test -p hearth-conformance`. Do not edit by hand. -->\n"
        );
        let _ = writeln!(
            out,
            "This matrix traces every requirement of the Hearth specification to the conformance \
             test cases that check it, or gives the reason why no black-box test can check it \
             (`spec/06-conformance.md` §11). A mandatory requirement (MUST, MUST NOT, SHALL, \
             SHALL NOT, REQUIRED) that is neither covered nor explained is a defect of the \
             suite.\n"
        );
        let _ = writeln!(out, "## Summary\n");
        let _ = writeln!(
            out,
            "| requirements | total | covered | untestable | uncovered |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|");
        for (name, c) in [
            ("mandatory", mandatory),
            ("recommended and optional", other),
            ("all", all),
        ] {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} |",
                c.total, c.covered, c.untestable, c.uncovered
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Mandatory requirements covered by a test case: {} of {}; untestable: {}; \
             uncovered: {}.\n",
            mandatory.covered, mandatory.total, mandatory.untestable, mandatory.uncovered
        );

        let mut chapters: Vec<&str> = self
            .rows
            .iter()
            .map(|r| r.requirement.chapter.as_str())
            .collect();
        chapters.sort_unstable();
        chapters.dedup();
        for chapter in chapters {
            let _ = writeln!(out, "## {chapter}\n");
            let _ = writeln!(out, "| requirement | level | section | checked by |");
            let _ = writeln!(out, "|---|---|---|---|");
            for row in self
                .rows
                .iter()
                .filter(|r| r.requirement.chapter == chapter)
            {
                let r = &row.requirement;
                let checked = if !row.covered_by.is_empty() {
                    row.covered_by.join(", ")
                } else if let Some(reason) = &row.untestable {
                    format!("untestable: {}", cell(reason))
                } else if r.level.is_mandatory() {
                    "**uncovered**".to_owned()
                } else {
                    "uncovered".to_owned()
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    r.id,
                    level_cell(r.level),
                    cell(&r.section),
                    checked
                );
            }
            let _ = writeln!(out);
        }
        out
    }
}

fn level_cell(level: Level) -> &'static str {
    level.keyword()
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements;

    const MATRIX_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conformance/COVERAGE.md");

    fn index() -> Vec<Requirement> {
        requirements::index().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The committed matrix is exactly what the specification and the registry generate.
    #[test]
    fn committed_matrix_matches_the_registry() {
        let registry = Registry::standard().unwrap_or_else(|e| panic!("{e}"));
        let generated = registry.matrix(&index()).to_markdown();
        if std::env::var_os("HEARTH_REGENERATE").is_some_and(|v| v == "1") {
            std::fs::write(MATRIX_PATH, &generated).expect("write conformance/COVERAGE.md");
        }
        let committed = std::fs::read_to_string(MATRIX_PATH).unwrap_or_default();
        assert!(
            committed == generated,
            "conformance/COVERAGE.md differs from what the specification and the registry \
             generate; regenerate it with HEARTH_REGENERATE=1 cargo test -p hearth-conformance"
        );
    }

    #[test]
    fn standard_registry_is_consistent() {
        let registry = Registry::standard().unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> = registry
            .check(&index())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        assert!(!registry.untestable().is_empty());
    }

    #[test]
    fn test_case_ids() {
        for ok in [
            "TC-SEC-3.1",
            "TC-MOD-1.1",
            "TC-BEH-12.40",
            "TC-ROB-1.1",
            "TC-MQTT-2.3",
        ] {
            assert!(is_test_case_id(ok), "{ok}");
        }
        for bad in [
            "TC-SEC-3",
            "TC-XYZ-1.1",
            "TC-SEC-01.1",
            "TC-SEC-1.0",
            "TC-SEC-1.1.1",
            "SEC-1.1",
            "TC-CAT-1.1",
            "TC-SEC-a.1",
        ] {
            assert!(!is_test_case_id(bad), "{bad}");
        }
    }

    fn req(id: &str, level: Level) -> Requirement {
        Requirement {
            id: id.into(),
            level,
            chapter: "03-security.md".into(),
            section: "9 | Replay".into(),
            text: "…".into(),
        }
    }

    #[test]
    fn matrix_and_checks() {
        let index = vec![
            req("HRT-SEC-001", Level::Must),
            req("HRT-SEC-002", Level::MustNot),
            req("HRT-SEC-003", Level::Should),
            req("HRT-SEC-004", Level::Must),
        ];
        let mut registry = Registry::new();
        registry.add_test_case(TestCase {
            id: "TC-SEC-1.10".into(),
            title: "t".into(),
            requirements: vec!["HRT-SEC-001".into()],
        });
        registry.add_test_case(TestCase {
            id: "TC-SEC-1.2".into(),
            title: "t".into(),
            requirements: vec!["HRT-SEC-001".into(), "HRT-SEC-003".into()],
        });
        registry
            .load_untestable(
                "[[untestable]]\nid = \"HRT-SEC-002\"\nreason = \"inside the device\"\n",
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(registry.check(&index).is_empty());
        let matrix = registry.matrix(&index);
        assert_eq!(matrix.rows[0].covered_by, ["TC-SEC-1.2", "TC-SEC-1.10"]);
        let (mandatory, other) = matrix.summary();
        assert_eq!(
            (
                mandatory.total,
                mandatory.covered,
                mandatory.untestable,
                mandatory.uncovered
            ),
            (3, 1, 1, 1)
        );
        assert_eq!((other.total, other.covered), (1, 1));
        let uncovered: Vec<&str> = matrix
            .uncovered_mandatory()
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(uncovered, ["HRT-SEC-004"]);
        let md = matrix.to_markdown();
        assert!(md
            .contains("| HRT-SEC-002 | MUST NOT | 9 \\| Replay | untestable: inside the device |"));
        assert!(md.contains("| HRT-SEC-004 | MUST | 9 \\| Replay | **uncovered** |"));

        registry.add_test_case(TestCase {
            id: "TC-SEC-1.2".into(),
            title: "t".into(),
            requirements: vec!["HRT-SEC-002".into(), "HRT-SEC-999".into()],
        });
        registry.add_test_case(TestCase {
            id: "TC-SEC".into(),
            title: "t".into(),
            requirements: vec![],
        });
        registry.add_untestable(Untestable {
            id: "HRT-SEC-009".into(),
            reason: " ".into(),
        });
        let errors: Vec<String> = registry
            .check(&index)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "TC-SEC-1.2: registered twice",
                "TC-SEC-1.2: names HRT-SEC-999, which the specification does not state",
                "TC-SEC: not a test case identifier of the form TC-<AREA>-<n>.<m> with AREA one of MOD, SEC, MSG, MQTT, COM, BEH, ROB",
                "TC-SEC: names no requirement",
                "HRT-SEC-002 is listed as untestable but TC-SEC-1.2 checks it",
                "untestable.toml: HRT-SEC-009 is not a requirement of the specification",
                "untestable.toml: HRT-SEC-009 gives no reason",
            ]
        );
        assert!(registry
            .load_untestable("[[untestable]]\nid = 1\n")
            .is_err());
        assert!(registry
            .load_untestable("[[untestable]]\nid = \"x\"\nreason = \"y\"\nextra = 1\n")
            .is_err());
    }
}
