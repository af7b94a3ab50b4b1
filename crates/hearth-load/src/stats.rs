//! Latency percentiles and the process's CPU time.

use std::time::Duration;

/// Latencies in whole milliseconds, counted per millisecond up to a minute.
#[derive(Debug, Clone)]
pub struct Latency {
    buckets: Vec<u64>,
    count: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Self {
            buckets: vec![0; 60_001],
            count: 0,
        }
    }
}

impl Latency {
    /// Record one latency.
    pub fn record(&mut self, ms: u64) {
        let i = usize::try_from(ms)
            .unwrap_or(usize::MAX)
            .min(self.buckets.len() - 1);
        self.buckets[i] += 1;
        self.count += 1;
    }

    /// Add another histogram's counts.
    pub fn merge(&mut self, other: Self) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.count += other.count;
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (ms, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ms as f64;
            }
        }
        (self.buckets.len() - 1) as f64
    }

    /// p50, p95 and p99 in milliseconds.
    pub fn percentiles(&self) -> (f64, f64, f64) {
        (
            self.percentile(50.0),
            self.percentile(95.0),
            self.percentile(99.0),
        )
    }
}

/// User plus system CPU time of this process so far, where the platform tells (Linux).
pub fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // Linux reports in clock ticks of 1/100 s on every common configuration.
    Some(Duration::from_millis((utime + stime) * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut l = Latency::default();
        for ms in 1..=100 {
            l.record(ms);
        }
        assert_eq!(l.percentiles(), (50.0, 95.0, 99.0));
    }

    #[test]
    fn cpu_time_grows() {
        let a = cpu_time();
        let mut x = 0u64;
        for i in 0..5_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        std::hint::black_box(x);
        if let (Some(a), Some(b)) = (a, cpu_time()) {
            assert!(b >= a);
        }
    }
}
