//! The rate limit of `unauthorized` answers (`spec/03-security.md` §11, HRT-SEC-133).
//!
//! A device may tell a controller it lacks a privilege, but an attacker holding one valid
//! certificate must not turn that courtesy into a flood: at most one such answer per signer
//! and interval, and at most [`TOTAL`] per interval over all signers. Every answer in which
//! any path is `unauthorized` counts, also one that mixes `unauthorized` with
//! `unsupported-…` codes. Beyond the limit the request is dropped unanswered, as HRT-SEC-132
//! allows for any refused request.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use hearth_security::key::KeyId;

use crate::time::Time;

/// Most `unauthorized` answers within one interval, over all signers (HRT-SEC-133).
pub(crate) const TOTAL: usize = 10;

/// How many signers the limit remembers before it starts afresh: a bound on memory that
/// only ever errs towards answering less (a forgotten signer is answered once more).
const MEMORY: usize = 4096;

/// When `unauthorized` answers went out, per signer and in total.
#[derive(Debug, Clone)]
pub(crate) struct RefusalLimit {
    interval: Duration,
    per_signer: HashMap<KeyId, Time>,
    recent: VecDeque<Time>,
}

impl RefusalLimit {
    /// A limit of one answer per signer and `interval`, and [`TOTAL`] per `interval`.
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            per_signer: HashMap::new(),
            recent: VecDeque::with_capacity(TOTAL),
        }
    }

    /// Whether an `unauthorized` answer to `signer` may go out at `now`.
    pub(crate) fn allows(&self, now: Time, signer: &KeyId) -> bool {
        let within = |t: &Time| now.since(*t) < self.interval;
        let signer_recent = self.per_signer.get(signer).is_some_and(within);
        let total_recent = self.recent.iter().filter(|t| within(t)).count();
        !signer_recent && total_recent < TOTAL
    }

    /// Count an `unauthorized` answer sent to `signer` at `now`.
    pub(crate) fn count(&mut self, now: Time, signer: KeyId) {
        if self.per_signer.len() >= MEMORY {
            self.per_signer.clear();
        }
        self.per_signer.insert(signer, now);
        if self.recent.len() == TOTAL {
            self.recent.pop_front();
        }
        self.recent.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kid(n: u8) -> KeyId {
        KeyId::from_slice(&[n; 16]).expect("a key id")
    }

    fn at(ms: u64) -> Time {
        Time::from_unix_ms(1_800_000_000_000 + ms)
    }

    /// HRT-SEC-133: one answer per signer and second.
    #[test]
    fn one_answer_per_signer_and_interval() {
        let mut limit = RefusalLimit::new(Duration::from_secs(1));
        assert!(limit.allows(at(0), &kid(1)));
        limit.count(at(0), kid(1));
        assert!(!limit.allows(at(999), &kid(1)));
        assert!(
            limit.allows(at(999), &kid(2)),
            "another signer is not held back"
        );
        assert!(limit.allows(at(1000), &kid(1)));
    }

    /// HRT-SEC-133: ten answers per second in total, whoever the signers.
    #[test]
    fn ten_answers_per_interval_in_total() {
        let mut limit = RefusalLimit::new(Duration::from_secs(1));
        for n in 0..10u8 {
            assert!(limit.allows(at(u64::from(n)), &kid(n)), "answer {n}");
            limit.count(at(u64::from(n)), kid(n));
        }
        assert!(
            !limit.allows(at(500), &kid(200)),
            "an eleventh within the second"
        );
        assert!(
            limit.allows(at(1000), &kid(200)),
            "the first has left the second"
        );
        assert!(
            !limit.allows(at(1000), &kid(9)),
            "but signer 9's own second is not over"
        );
    }

    /// The memory of signers is bounded and forgetting only answers once more.
    #[test]
    fn memory_is_bounded() {
        let mut limit = RefusalLimit::new(Duration::from_secs(1));
        for n in 0..(MEMORY + 10) {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(n as u64).to_be_bytes());
            limit.count(at(0), KeyId::from_slice(&id).expect("id"));
        }
        assert!(limit.per_signer.len() <= MEMORY);
        assert_eq!(limit.recent.len(), TOTAL);
    }
}
