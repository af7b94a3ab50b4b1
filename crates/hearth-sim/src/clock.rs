//! Simulated time.
//!
//! Appliance behaviour never reads a clock: it advances by [`crate::appliance::Sim::tick`]
//! with the simulated time that passed, so a unit test drives a whole washing cycle in a loop
//! without waiting. The runner turns real time into simulated time with a [`SimClock`]: every
//! real second counts as `speed` simulated seconds, so a two-hour programme finishes in
//! seconds at a high speed factor and in real time at speed 1.
//!
//! The runtime's own clock (what certificates and revocation lists are checked against) is
//! the system's, unless a fault profile hands it a [`SlowClock`].

use std::time::{Duration, Instant};

use hearth_mqtt::clock::{Clock, SystemClock, Time};

/// The system clock, running a fixed time behind: the `slow-clock` profile's runtime clock.
#[derive(Debug, Clone, Copy)]
pub struct SlowClock {
    /// How far behind it runs.
    pub behind: Duration,
}

impl Clock for SlowClock {
    fn now(&self) -> Time {
        SystemClock.now().saturating_sub(self.behind)
    }
}

/// Converts real elapsed time into simulated time with a speed factor.
#[derive(Debug, Clone)]
pub struct SimClock {
    speed: f64,
    last: Option<Instant>,
    elapsed: Duration,
    start_unix: u64,
}

impl SimClock {
    /// A clock running `speed` times faster than real time (clamped to 0.001–1 000 000), whose
    /// simulated wall-clock time starts at `start_unix` seconds since the Unix epoch.
    pub fn new(speed: f64, start_unix: u64) -> Self {
        let speed = if speed.is_finite() {
            speed.clamp(0.001, 1_000_000.0)
        } else {
            1.0
        };
        Self {
            speed,
            last: None,
            elapsed: Duration::ZERO,
            start_unix,
        }
    }

    /// The speed factor.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The simulated time that passed since the previous call, given the real time `now`
    /// (zero on the first call).
    pub fn advance(&mut self, now: Instant) -> Duration {
        let real = match self.last {
            Some(last) => now.saturating_duration_since(last),
            None => Duration::ZERO,
        };
        self.last = Some(now);
        let dt = self.scale(real);
        self.elapsed += dt;
        dt
    }

    /// Real time `real` in simulated time.
    pub fn scale(&self, real: Duration) -> Duration {
        Duration::from_secs_f64((real.as_secs_f64() * self.speed).min(1.0e9))
    }

    /// Simulated time elapsed so far.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The simulated wall-clock time, in seconds since the Unix epoch.
    pub fn unix(&self) -> u64 {
        self.start_unix.saturating_add(self.elapsed.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_real_time_by_the_speed_factor() {
        let mut clock = SimClock::new(60.0, 1_700_000_000);
        let t0 = Instant::now();
        assert_eq!(clock.advance(t0), Duration::ZERO);
        let dt = clock.advance(t0 + Duration::from_millis(500));
        assert_eq!(dt, Duration::from_secs(30));
        assert_eq!(clock.elapsed(), Duration::from_secs(30));
        assert_eq!(clock.unix(), 1_700_000_030);
        // Time never runs backwards.
        assert_eq!(clock.advance(t0), Duration::ZERO);
    }

    #[test]
    fn a_slow_clock_runs_behind_the_system_clock() {
        let behind = Duration::from_secs(3600);
        let slow = SlowClock { behind }.now();
        let system = SystemClock.now();
        assert!(system.since(slow) >= behind);
        assert!(system.since(slow) < behind + Duration::from_secs(60));
    }

    #[test]
    fn rejects_absurd_speeds() {
        assert_eq!(SimClock::new(f64::NAN, 0).speed(), 1.0);
        assert_eq!(SimClock::new(-5.0, 0).speed(), 0.001);
    }
}
