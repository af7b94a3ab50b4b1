//! Replay protection (`HRT-SEC-090` … `HRT-SEC-103`): the receiver's 64-entry sliding
//! window per sender and topic (RFC 8613 §7.4, App. B.1) and the sender's counter, persisted
//! in blocks so that a reboot never reuses a value (RFC 8613 App. B.1.1).
//!
//! A window is kept per topic, not per sender alone, because MQTT orders one client's
//! messages per topic only: a broker may hand a receiver a device's events after many of
//! its later responses, and one window across topics would refuse those events as too old.
//! A message is bound to its topic by its signature (the topic is the external AAD), so it
//! cannot be replayed on another topic to reach another window.

use std::collections::{BTreeSet, HashMap};

use crate::key::KeyId;
use crate::limits::MAX_REPLAY_WINDOWS;

/// Width of the replay window.
pub const WINDOW: u64 = 64;

/// Why a counter was refused by a replay window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The counter was already accepted.
    #[error("counter {counter} replayed")]
    Replayed {
        /// The refused counter.
        counter: u64,
    },
    /// The counter is older than the window (64 or more below the highest accepted).
    #[error("counter {counter} too old (highest accepted {highest})")]
    TooOld {
        /// The refused counter.
        counter: u64,
        /// Highest counter accepted so far.
        highest: u64,
    },
    /// The table tracks the maximum number of windows and this sender and topic is new.
    #[error("replay table full")]
    TableFull,
}

impl ReplayError {
    /// Stable short code used in vectors and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Replayed { .. } => "replayed",
            Self::TooOld { .. } => "counter_too_old",
            Self::TableFull => "table_full",
        }
    }
}

/// A 64-entry sliding window over one sender's counters.
///
/// Bit `i` of `seen` records whether `highest - i` was accepted. A counter above `highest`
/// moves the window; one inside it is accepted once; one 64 or more below `highest` is
/// too old.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    highest: Option<u64>,
    seen: u64,
}

impl ReplayWindow {
    /// A window that has seen nothing: the first counter is accepted, whatever it is.
    pub const fn new() -> Self {
        Self {
            highest: None,
            seen: 0,
        }
    }

    /// A window restored from persisted state (highest accepted and the bitmap).
    pub const fn from_state(highest: u64, seen: u64) -> Self {
        Self {
            highest: Some(highest),
            seen: seen | 1,
        }
    }

    /// The persisted form: highest accepted counter and bitmap.
    pub const fn state(&self) -> Option<(u64, u64)> {
        match self.highest {
            Some(h) => Some((h, self.seen)),
            None => None,
        }
    }

    /// Check without changing state (`HRT-SEC-097`, `HRT-SEC-098`).
    pub fn check(&self, counter: u64) -> Result<(), ReplayError> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if counter > highest {
            return Ok(());
        }
        let age = highest - counter;
        if age >= WINDOW {
            return Err(ReplayError::TooOld { counter, highest });
        }
        if self.seen & (1u64 << age) != 0 {
            return Err(ReplayError::Replayed { counter });
        }
        Ok(())
    }

    /// Check and, if accepted, record `counter` (`HRT-SEC-096` … `HRT-SEC-101`). Call it
    /// only after the message has been authenticated.
    pub fn accept(&mut self, counter: u64) -> Result<(), ReplayError> {
        self.check(counter)?;
        match self.highest {
            None => {
                self.highest = Some(counter);
                self.seen = 1;
            }
            Some(highest) if counter > highest => {
                let shift = counter - highest;
                self.seen = if shift >= WINDOW {
                    1
                } else {
                    (self.seen << shift) | 1
                };
                self.highest = Some(counter);
            }
            Some(highest) => self.seen |= 1u64 << (highest - counter),
        }
        Ok(())
    }

    /// Highest counter accepted so far.
    pub const fn highest(&self) -> Option<u64> {
        self.highest
    }
}

/// Replay windows of all senders a receiver tracks, one per sender key and topic
/// (`HRT-SEC-096`), bounded by [`MAX_REPLAY_WINDOWS`].
///
/// Windows are found by key id, then by topic, so that a message on a topic already seen is
/// checked without allocating: the topic is looked up as the borrowed string it arrived as.
#[derive(Debug, Clone, Default)]
pub struct ReplayTable {
    windows: HashMap<KeyId, HashMap<String, ReplayWindow>>,
    count: usize,
}

impl ReplayTable {
    /// Empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accept `counter` from `sender` (authenticated) on `topic` (the topic below the root
    /// the message was signed for), or refuse it.
    pub fn accept(&mut self, sender: &KeyId, topic: &str, counter: u64) -> Result<(), ReplayError> {
        if let Some(w) = self.windows.get_mut(sender).and_then(|t| t.get_mut(topic)) {
            return w.accept(counter);
        }
        if self.count >= MAX_REPLAY_WINDOWS {
            return Err(ReplayError::TableFull);
        }
        let mut w = ReplayWindow::new();
        w.accept(counter)?;
        self.windows
            .entry(*sender)
            .or_default()
            .insert(topic.to_owned(), w);
        self.count += 1;
        Ok(())
    }

    /// The window of a sender on a topic.
    pub fn window(&self, sender: &KeyId, topic: &str) -> Option<&ReplayWindow> {
        self.windows.get(sender).and_then(|t| t.get(topic))
    }

    /// Forget a sender on every topic (e.g. when its certificate is removed).
    pub fn remove(&mut self, sender: &KeyId) {
        if let Some(topics) = self.windows.remove(sender) {
            self.count -= topics.len();
        }
    }
}

/// Errors of a counter store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing the backing storage failed.
    #[error("counter store I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The stored value is not readable.
    #[error("counter store corrupt: {0}")]
    Corrupt(String),
}

/// Errors of [`SendCounter`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CounterError {
    /// Every counter value has been used: the sender needs a new key.
    #[error("send counter exhausted")]
    Exhausted,
    /// The reservation could not be persisted; no counter is handed out.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Persistent storage of a sender's counter reservation: the first value not yet reserved
/// (every value below it may have been used).
pub trait CounterStore {
    /// The persisted reservation, `None` if nothing was ever stored.
    fn load(&mut self) -> Result<Option<u64>, StoreError>;
    /// Persist a new reservation durably before returning.
    fn store(&mut self, reserved_until: u64) -> Result<(), StoreError>;
}

/// Any boxed store is a store, so runtimes can hold one without a type parameter.
impl<S: CounterStore + ?Sized> CounterStore for Box<S> {
    fn load(&mut self) -> Result<Option<u64>, StoreError> {
        (**self).load()
    }

    fn store(&mut self, reserved_until: u64) -> Result<(), StoreError> {
        (**self).store(reserved_until)
    }
}

/// A counter store in memory (tests, and senders whose key lives no longer than the
/// process).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryCounterStore {
    /// The stored reservation.
    pub value: Option<u64>,
    /// How many times `store` was called.
    pub writes: u64,
}

impl CounterStore for MemoryCounterStore {
    fn load(&mut self) -> Result<Option<u64>, StoreError> {
        Ok(self.value)
    }
    fn store(&mut self, reserved_until: u64) -> Result<(), StoreError> {
        self.value = Some(reserved_until);
        self.writes += 1;
        Ok(())
    }
}

/// Default number of counter values reserved per write.
pub const DEFAULT_BLOCK: u64 = 1_000;

/// A sender's message counter, persisted in blocks (`HRT-SEC-090` … `HRT-SEC-095`).
///
/// On open it resumes at the persisted reservation (all values below it count as used)
/// and reserves the next block before handing out any value; whenever the block is used
/// up it persists the next reservation first. A crash therefore skips at most one block
/// and never reuses a value.
#[derive(Debug)]
pub struct SendCounter<S: CounterStore> {
    store: S,
    next: u64,
    reserved_until: u64,
    block: u64,
    /// Values handed out by [`SendCounter::reserve_ahead`]; `next_value` steps over them.
    ahead: BTreeSet<u64>,
}

impl<S: CounterStore> SendCounter<S> {
    /// Open with a block size (at least 1).
    pub fn open(mut store: S, block: u64) -> Result<Self, CounterError> {
        let block = block.max(1);
        let next = store.load()?.unwrap_or(0);
        let mut me = Self {
            store,
            next,
            reserved_until: next,
            block,
            ahead: BTreeSet::new(),
        };
        me.reserve()?;
        Ok(me)
    }

    fn reserve(&mut self) -> Result<(), CounterError> {
        if self.next == u64::MAX {
            return Err(CounterError::Exhausted);
        }
        let until = self.next.saturating_add(self.block);
        self.store.store(until)?;
        self.reserved_until = until;
        Ok(())
    }

    /// The next counter value; persists a new block first when needed.
    pub fn next_value(&mut self) -> Result<u64, CounterError> {
        // Never hand out a value already given to a message reserved ahead.
        while self.ahead.first() == Some(&self.next) {
            self.ahead.pop_first();
            self.next = self.next.checked_add(1).ok_or(CounterError::Exhausted)?;
        }
        if self.next >= self.reserved_until {
            self.reserve()?;
        }
        let value = self.next;
        self.next += 1;
        Ok(value)
    }

    /// The value the next call returns.
    pub const fn peek(&self) -> u64 {
        self.next
    }

    /// Reserve the value `gap` above the next one for a message that may be sent later, such
    /// as an MQTT will, and persist so that after a reboot counting resumes above it.
    /// [`next_value`](Self::next_value) keeps handing out the values below it until
    /// [`skip_past`](Self::skip_past) moves beyond it, and never hands out the reserved
    /// value itself (`HRT-SEC-090` … `HRT-SEC-093`).
    pub fn reserve_ahead(&mut self, gap: u64) -> Result<u64, CounterError> {
        let value = self
            .next
            .checked_add(gap.max(1))
            .ok_or(CounterError::Exhausted)?;
        let until = value.checked_add(1).ok_or(CounterError::Exhausted)?;
        if until > self.reserved_until {
            self.store.store(until)?;
            self.reserved_until = until;
        }
        self.ahead.insert(value);
        Ok(value)
    }

    /// Continue counting above `value` (e.g. a will that may have been published).
    pub fn skip_past(&mut self, value: u64) -> Result<(), CounterError> {
        if self.next <= value {
            self.next = value.checked_add(1).ok_or(CounterError::Exhausted)?;
        }
        self.ahead.retain(|&a| a > value);
        if self.next >= self.reserved_until {
            self.reserve()?;
        }
        Ok(())
    }

    /// The backing store.
    pub const fn store(&self) -> &S {
        &self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // HRT-SEC-096, HRT-SEC-097, HRT-SEC-098, HRT-SEC-099
    #[test]
    fn window_basics() {
        let mut w = ReplayWindow::new();
        assert_eq!(w.accept(100), Ok(()));
        assert_eq!(w.accept(100), Err(ReplayError::Replayed { counter: 100 }));
        assert_eq!(w.accept(98), Ok(()));
        assert_eq!(w.accept(99), Ok(()));
        assert_eq!(w.accept(98), Err(ReplayError::Replayed { counter: 98 }));
        assert_eq!(w.accept(37), Ok(()));
        assert_eq!(
            w.accept(36),
            Err(ReplayError::TooOld {
                counter: 36,
                highest: 100
            })
        );
        assert_eq!(w.accept(200), Ok(()));
        assert_eq!(w.accept(137), Ok(()));
        assert_eq!(w.accept(136).map_err(|e| e.code()), Err("counter_too_old"));
    }

    // HRT-SEC-091, HRT-SEC-092
    #[test]
    fn counter_blocks_survive_reboot() {
        let mut c = SendCounter::open(MemoryCounterStore::default(), 10).expect("open");
        for want in 0..25 {
            assert_eq!(c.next_value().expect("next"), want);
        }
        assert_eq!(c.store().writes, 3);
        let store = c.store().clone();
        assert_eq!(store.value, Some(30));
        // Reboot: resume at the reservation, never below.
        let mut c = SendCounter::open(store, 10).expect("reopen");
        assert_eq!(c.next_value().expect("next"), 30);
    }

    // HRT-SEC-090
    #[test]
    fn a_value_reserved_ahead_is_never_handed_out_again() {
        let mut c = SendCounter::open(MemoryCounterStore::default(), 10).expect("open");
        let will = c.reserve_ahead(3).expect("reserve");
        assert_eq!(will, 3);
        let got: Vec<u64> = (0..5).map(|_| c.next_value().expect("v")).collect();
        assert_eq!(got, [0, 1, 2, 4, 5]);
    }

    #[test]
    fn a_reservation_ahead_survives_reboot_and_can_be_skipped() {
        let mut c = SendCounter::open(MemoryCounterStore::default(), 10).expect("open");
        assert_eq!(c.next_value().expect("v"), 0);
        let will = c.reserve_ahead(1 << 32).expect("reserve");
        assert_eq!(will, 1 + (1 << 32));
        // Ordinary values continue below the reservation...
        assert_eq!(c.next_value().expect("v"), 1);
        // ...a reboot resumes above it...
        let rebooted = SendCounter::open(c.store().clone(), 10).expect("reopen");
        assert_eq!(rebooted.peek(), will + 1);
        // ...and skipping moves past it without a reboot.
        c.skip_past(will).expect("skip");
        assert_eq!(c.next_value().expect("v"), will + 1);
    }

    // HRT-SEC-095
    #[test]
    fn exhausted() {
        let store = MemoryCounterStore {
            value: Some(u64::MAX),
            writes: 0,
        };
        assert!(matches!(
            SendCounter::open(store, 10),
            Err(CounterError::Exhausted)
        ));
    }

    #[test]
    fn one_window_per_sender_and_topic() {
        let mut t = ReplayTable::new();
        let (a, b) = (KeyId([1; 16]), KeyId([2; 16]));
        assert_eq!(t.accept(&a, "d/fff1/x/event", 5), Ok(()));
        assert_eq!(
            t.accept(&a, "d/fff1/x/event", 5).map_err(|e| e.code()),
            Err("replayed")
        );
        assert_eq!(t.accept(&b, "d/fff1/x/event", 5), Ok(()));
        // Far ahead on one topic does not age another topic's window (HRT-SEC-096).
        assert_eq!(t.accept(&a, "c/ctl/res", 500), Ok(()));
        assert_eq!(t.accept(&a, "d/fff1/x/event", 6), Ok(()));
        assert_eq!(
            t.accept(&a, "c/ctl/res", 400).map_err(|e| e.code()),
            Err("counter_too_old")
        );
        t.remove(&a);
        assert!(t.window(&a, "c/ctl/res").is_none());
        assert!(t.window(&b, "d/fff1/x/event").is_some());
    }

    #[test]
    fn table_bound() {
        let mut t = ReplayTable::new();
        for i in 0..MAX_REPLAY_WINDOWS {
            assert_eq!(t.accept(&KeyId([1; 16]), &i.to_string(), 1), Ok(()));
        }
        assert_eq!(
            t.accept(&KeyId([1; 16]), "one more", 1)
                .map_err(|e| e.code()),
            Err("table_full")
        );
        assert_eq!(t.accept(&KeyId([1; 16]), "0", 2), Ok(()));
        // Forgetting the sender frees its windows for others.
        t.remove(&KeyId([1; 16]));
        assert_eq!(t.accept(&KeyId([2; 16]), "one more", 1), Ok(()));
    }
}
