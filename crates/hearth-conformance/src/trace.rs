//! The message trace (`spec/06-conformance.md` §7): every MQTT message the suite publishes or
//! receives, with its time, topic, direction, decoded kind and a summary, and its bytes.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Whether the suite sent or received a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Published by the suite.
    Sent,
    /// Received by the suite.
    Received,
}

/// One traced message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEntry {
    /// Position in the device's trace (0-based).
    pub seq: usize,
    /// Milliseconds since the start of the run.
    pub t_ms: u64,
    /// Sent or received.
    pub direction: Direction,
    /// The full MQTT topic.
    pub topic: String,
    /// Whether the retain flag was set.
    pub retain: bool,
    /// The message kind, or `undecodable` / `unverified` with the reason.
    pub kind: String,
    /// A one-line decoded summary.
    pub summary: String,
    /// The payload in hex (truncated beyond 4 KiB).
    pub hex: String,
}

/// The trace of one device's run.
#[derive(Debug, Clone)]
pub struct Trace {
    start: Instant,
    entries: Vec<TraceEntry>,
}

/// Longest payload kept in full in a trace entry.
const MAX_HEX_BYTES: usize = 4096;

impl Trace {
    /// A trace whose times count from `start`.
    pub fn new(start: Instant) -> Self {
        Self {
            start,
            entries: Vec::new(),
        }
    }

    /// Record a message and return its sequence number.
    pub fn record(
        &mut self,
        direction: Direction,
        topic: &str,
        retain: bool,
        kind: &str,
        summary: String,
        payload: &[u8],
    ) -> usize {
        let seq = self.entries.len();
        let shown = &payload[..payload.len().min(MAX_HEX_BYTES)];
        let mut hex: String = shown.iter().map(|b| format!("{b:02x}")).collect();
        if payload.len() > MAX_HEX_BYTES {
            hex.push_str(&format!("… ({} bytes)", payload.len()));
        }
        self.entries.push(TraceEntry {
            seq,
            t_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            direction,
            topic: topic.to_owned(),
            retain,
            kind: kind.to_owned(),
            summary,
            hex,
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

    /// Time since the start of the run.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}
