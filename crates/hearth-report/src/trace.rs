//! The message trace (`spec/06-conformance.md` §7, §10.2): every MQTT message the suite
//! publishes or receives on the device's topics, with its time, direction, decoded kind, a
//! one-line summary, how the suite's receiver judged it, and its bytes; and notes for steps.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

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
    /// The complete payload in lower-case hex; empty for a note.
    pub hex: String,
    /// Milliseconds since the Unix epoch (for ordering and durations; not in the schema).
    #[serde(skip)]
    pub unix_ms: u64,
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
            hex: payload.iter().map(|b| format!("{b:02x}")).collect(),
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
}
