//! The store of kept events (HRT-MQTT-035, HRT-MQTT-038): every event a device emits stays
//! here until the broker acknowledges it, so a reconnect re-sends what a lost connection
//! swallowed. It is bounded; when it is full, the oldest event of the lowest priority present
//! makes room, and a critical one only when nothing else is left.

use std::collections::BTreeMap;

use hearth_model::catalog::Priority;
use hearth_model::{Catalog, Path, Value};
use hearth_wire::EventBody;

struct Kept {
    event: EventBody,
    priority: Priority,
}

/// Events not yet acknowledged, by event number.
pub(super) struct EventStore {
    kept: BTreeMap<u64, Kept>,
    next_number: u64,
    max: usize,
}

impl EventStore {
    /// An empty store that keeps at most `max` events.
    pub(super) fn new(max: usize) -> Self {
        Self {
            kept: BTreeMap::new(),
            next_number: 0,
            max,
        }
    }

    /// Number a new event (numbers count up from 0 for each boot).
    pub(super) fn number(&mut self, path: Path, fields: Value) -> EventBody {
        let number = self.next_number;
        self.next_number += 1;
        EventBody {
            path,
            number,
            fields,
        }
    }

    /// Keep `event`, first making room if the store is full: the oldest event of the lowest
    /// priority goes, or simply the oldest one when `fifo` (a fault profile). Returns the
    /// number of the event dropped to make room, if one was.
    pub(super) fn keep(&mut self, event: EventBody, fifo: bool) -> Option<u64> {
        let priority = Catalog::standard()
            .capability(event.path.capability)
            .and_then(|c| c.event(event.path.member))
            .map_or(Priority::Info, |e| e.priority);
        let mut dropped = None;
        if self.kept.len() >= self.max {
            let lowest = if fifo {
                self.kept.values().next().map(|e| e.priority)
            } else {
                self.kept.values().map(|e| e.priority).min()
            };
            let victim = lowest.and_then(|p| {
                self.kept
                    .iter()
                    .find(|(_, e)| e.priority == p)
                    .map(|(n, _)| *n)
            });
            if let Some(n) = victim {
                self.kept.remove(&n);
                dropped = Some(n);
            }
        }
        self.kept.insert(event.number, Kept { event, priority });
        dropped
    }

    /// Forget an acknowledged event; whether it was still kept.
    pub(super) fn acknowledge(&mut self, number: u64) -> bool {
        self.kept.remove(&number).is_some()
    }

    /// Every kept event, oldest first.
    pub(super) fn all(&self) -> Vec<EventBody> {
        self.kept.values().map(|e| e.event.clone()).collect()
    }
}
