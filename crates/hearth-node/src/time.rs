//! The time a core is told: wall-clock milliseconds since the Unix epoch.
//!
//! A core never reads a clock. Its shell reads one (the system clock, a simulator's clock, a
//! test's hand-driven one) and passes the reading into every call that needs it. One value
//! serves both purposes a core has for time: certificates and revocation lists are checked
//! against its seconds ([`Time::unix_secs`]), timers (the unauthorized rate limit, delayed
//! answers) compare its milliseconds, and outgoing messages carry it as their informative time.

use std::ops::Add;
use std::time::Duration;

/// A point in wall-clock time, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

impl Time {
    /// The epoch itself.
    pub const EPOCH: Self = Self(0);

    /// The time `ms` milliseconds after the epoch.
    pub const fn from_unix_ms(ms: u64) -> Self {
        Self(ms)
    }

    /// The time `secs` seconds after the epoch.
    pub const fn from_unix_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the epoch: the message time (`time_ms`).
    pub const fn unix_ms(self) -> u64 {
        self.0
    }

    /// Whole seconds since the epoch: what certificates and revocation lists are checked
    /// against.
    pub const fn unix_secs(self) -> u64 {
        self.0 / 1000
    }

    /// How long after `earlier` this is (zero if it is not after it).
    pub fn since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// This time moved back by `d` (not before the epoch).
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(millis(d)))
    }
}

impl Add<Duration> for Time {
    type Output = Self;

    /// This time moved on by `d` (saturating at the end of time).
    fn add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(millis(d)))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_milliseconds_agree() {
        let t = Time::from_unix_ms(1_700_000_000_999);
        assert_eq!(t.unix_secs(), 1_700_000_000);
        assert_eq!(Time::from_unix_secs(5).unix_ms(), 5000);
        let later = t + Duration::from_millis(1500);
        assert_eq!(later.since(t), Duration::from_millis(1500));
        assert_eq!(t.since(later), Duration::ZERO);
        assert_eq!(later.saturating_sub(Duration::from_millis(1500)), t);
        assert_eq!(
            Time::EPOCH.saturating_sub(Duration::from_secs(1)),
            Time::EPOCH
        );
    }
}
