//! Where a runtime's time comes from.
//!
//! The protocol cores of `hearth-node` read no clock: the runtimes read one and pass the
//! time in. A [`Clock`] is that source. Products use [`SystemClock`]; a simulator hands a
//! clock of its own (one that runs slow, or on simulated time) and a test one it drives by
//! hand, so certificate expiry and revocation-list freshness follow that clock.

use std::sync::Arc;

pub use hearth_node::Time;

use crate::identity::unix_now_ms;

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Time;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        Time::from_unix_ms(unix_now_ms())
    }
}

/// The clock runtimes use unless told otherwise: the system's.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
