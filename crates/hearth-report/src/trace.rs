//! The message trace (`spec/06-conformance.md` §7, §10.2): every MQTT message the suite
//! publishes, and every one it receives from the device under test or in answer to its own
//! requests, with its time, direction, decoded kind, a one-line summary, how the suite's
//! receiver judged it, its length and SHA-256, and its bytes; and notes for steps.
//!
//! The trace holds every message's bytes while the run lasts; a report keeps them where its
//! [`TraceLevel`] says (by default only in the evidence of test cases that did not pass), and
//! the length and digest everywhere, so that an entry without its bytes still names exactly
//! which bytes it was.

use std::time::{SystemTime, UNIX_EPOCH};

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::verdict::Verdict;

/// Who the entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Sent by the suite.
    Out,
    /// Received from the device under test.
    In,
    /// Other traffic on the device's topics.
    Seen,
    /// A step or a watched window.
    Note,
}

/// One trace entry, as `report.json` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// Position in the run's trace, from 0.
    pub seq: usize,
    /// When the suite sent or received it (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// Direction.
    pub direction: Direction,
    /// Full MQTT topic; empty for a note.
    pub topic: String,
    /// 0, 1 or 2; 0 for a note.
    pub qos: u8,
    /// The retain flag.
    pub retain: bool,
    /// The message kind, `invalid`, or `note`.
    pub kind: String,
    /// The decoded content in one line, or the note.
    pub summary: String,
    /// `ok`, or why the suite's receiver dropped it; empty for sent entries and notes.
    pub check: String,
    /// The length of the payload in bytes; 0 for a note. (Absent from reports written
    /// before it was recorded.)
    #[serde(default)]
    pub size: usize,
    /// The lower-case hex SHA-256 of the payload; empty for a note.
    #[serde(default)]
    pub sha256: String,
    /// The complete payload in lower-case hex where the trace level keeps it, else empty
    /// (always empty for a note).
    pub hex: String,
    /// Milliseconds since the Unix epoch (for ordering and durations; not in the schema).
    #[serde(skip)]
    pub unix_ms: u64,
}

impl TraceEntry {
    /// Whether the entry is a message whose bytes the report left out (its length and
    /// digest remain).
    pub fn bytes_left_out(&self) -> bool {
        self.direction != Direction::Note && self.hex.is_empty() && self.size > 0
    }
}

/// How much of each message's bytes a report keeps (the `trace` parameter,
/// `spec/06-conformance.md` §7): summaries, lengths and digests are always kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TraceLevel {
    /// The bytes of every message.
    Full,
    /// The bytes of every message in the evidence of a test case that did not pass
    /// (`fail`, `inconclusive`, `error`).
    #[default]
    Failures,
    /// The bytes only of the entries that show a violation (`violations` of a `fail`).
    Summary,
}

impl TraceLevel {
    /// Every level, most bytes first.
    pub const ALL: [Self; 3] = [Self::Full, Self::Failures, Self::Summary];

    /// The name the parameter and the report use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Failures => "failures",
            Self::Summary => "summary",
        }
    }

    /// The level of a name, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    /// What the level keeps, in words, for a report to say.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Full => "the bytes of every message are kept",
            Self::Failures => {
                "the bytes of messages are kept in the evidence of test cases that did not pass"
            }
            Self::Summary => "the bytes of messages are kept only where they show a violation",
        }
    }

    /// Whether an entry keeps its bytes in a test result with `verdict`; `violation`: the
    /// entry is one of the result's `violations`.
    pub fn keeps_bytes(self, verdict: Verdict, violation: bool) -> bool {
        match self {
            Self::Full => true,
            Self::Failures => {
                violation
                    || matches!(
                        verdict,
                        Verdict::Fail | Verdict::Inconclusive | Verdict::Error
                    )
            }
            Self::Summary => violation,
        }
    }

    /// Leave out of `evidence` the bytes this level does not keep for a test result with
    /// `verdict` and `violations`.
    pub fn apply(self, evidence: &mut [TraceEntry], verdict: Verdict, violations: &[usize]) {
        for e in evidence {
            if !self.keeps_bytes(verdict, violations.contains(&e.seq)) {
                e.hex.clear();
            }
        }
    }
}

impl std::str::FromStr for TraceLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| {
            format!(
                "`{s}` is not a trace level ({})",
                Self::ALL.map(Self::name).join(", ")
            )
        })
    }
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The trace of one device's run.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    entries: Vec<TraceEntry>,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 in UTC with milliseconds, `2026-11-27T14:03:12.481Z`: the form of every time in
/// a report.
pub use hearth_model::time::format_ms as rfc3339;

impl Trace {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record a message and return its sequence number.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        direction: Direction,
        topic: &str,
        retain: bool,
        kind: &str,
        summary: String,
        check: &str,
        payload: &[u8],
    ) -> usize {
        let seq = self.entries.len();
        let unix_ms = now_ms();
        self.entries.push(TraceEntry {
            seq,
            time: rfc3339(unix_ms),
            direction,
            topic: topic.to_owned(),
            qos: 1,
            retain,
            kind: kind.to_owned(),
            summary,
            check: check.to_owned(),
            size: payload.len(),
            sha256: hex(ring::digest::digest(&ring::digest::SHA256, payload).as_ref()),
            hex: hex(payload),
            unix_ms,
        });
        seq
    }

    /// Set the QoS with which the message of entry `seq` was delivered.
    pub fn set_qos(&mut self, seq: usize, qos: u8) {
        if let Some(e) = self.entries.get_mut(seq) {
            e.qos = qos;
        }
    }

    /// Record a note (a step, a watched window) and return its sequence number.
    pub fn note(&mut self, text: impl Into<String>) -> usize {
        let seq = self.entries.len();
        let unix_ms = now_ms();
        self.entries.push(TraceEntry {
            seq,
            time: rfc3339(unix_ms),
            direction: Direction::Note,
            topic: String::new(),
            qos: 0,
            retain: false,
            kind: "note".into(),
            summary: text.into(),
            check: String::new(),
            size: 0,
            sha256: String::new(),
            hex: String::new(),
            unix_ms,
        });
        seq
    }

    /// Every entry so far.
    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// The number of entries so far (a mark to slice a test case's part of the trace).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the trace is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(1_795_788_192_481), "2026-11-27T14:03:12.481Z");
    }

    #[test]
    fn an_entry_keeps_its_length_and_digest_without_its_bytes() {
        let mut trace = Trace::new();
        trace.note("step 1");
        let seq = trace.record(
            Direction::In,
            "t",
            false,
            "status",
            "s".into(),
            "ok",
            b"abc",
        );
        let mut entries = trace.entries().to_vec();
        assert_eq!(entries[seq].size, 3);
        assert_eq!(
            entries[seq].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(entries[seq].hex, "616263");
        TraceLevel::Summary.apply(&mut entries, Verdict::Pass, &[]);
        assert!(entries[seq].bytes_left_out());
        assert!(
            !entries[0].bytes_left_out(),
            "a note has no bytes to leave out"
        );
        assert_eq!(entries[seq].size, 3);
    }

    #[test]
    fn levels_keep_bytes_where_they_say() {
        use Verdict::*;
        for (level, verdict, violation, kept) in [
            (TraceLevel::Full, Pass, false, true),
            (TraceLevel::Failures, Pass, false, false),
            (TraceLevel::Failures, Fail, false, true),
            (TraceLevel::Failures, Inconclusive, false, true),
            (TraceLevel::Failures, Error, false, true),
            (TraceLevel::Summary, Fail, false, false),
            (TraceLevel::Summary, Fail, true, true),
        ] {
            assert_eq!(
                level.keeps_bytes(verdict, violation),
                kept,
                "{} {verdict}",
                level.name()
            );
        }
        for level in TraceLevel::ALL {
            assert_eq!(level.name().parse::<TraceLevel>(), Ok(level));
        }
        assert!("all".parse::<TraceLevel>().is_err());
        assert_eq!(TraceLevel::default(), TraceLevel::Failures);
    }
}
