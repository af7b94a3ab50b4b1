//! Hearth's shared test support: the fixtures, credentials, brokers, devices and controllers
//! that the integration tests of several crates would otherwise each write again.
//!
//! This crate is for tests only. It is never published (`publish = false`) and no production
//! crate depends on it: crates list it under `[dev-dependencies]` and use it from `tests/`.
//! Its helpers panic with a message when their set-up fails, which is what a test wants; they
//! are not an API for products.
//!
//! What it offers, by layer (features keep the lower crates' tests free of tokio):
//!
//! - always: [`fixtures`] (the realistic descriptions of `hearth-model/tests/descriptions/`,
//!   [`fixtures::fan`] and the fields of its fault events, the properties a description
//!   implements and a valid value for each),
//!   [`pki`] (a test PKI written into a temporary folder as `hearth pki init` writes it, access
//!   lists for its root, device credentials), [`arb`] (proptest strategies for values and
//!   descriptions), [`unique`] ids, and [`process`] helpers for tests that run binaries;
//! - feature `mqtt`: `broker::broker` (an embedded rumqttd, or the broker named by
//!   `HEARTH_TEST_BROKER`, which CI points at a mosquitto), `broker::Mosquitto` for tests
//!   that start their own, `broker::Proxy` to cut connections, `memory::MemoryDevice` (a
//!   `hearth_mqtt::Handler` over a map), `node` (a spawned device, a connected controller,
//!   discovery waits, requests sealed ahead for floods) and `watch` (waits on a controller's
//!   updates, a plain MQTT client that records what it receives, and an observer that
//!   verifies everything one device publishes and keeps every copy in order);
//! - feature `sim`: `bench`, a simulated fleet on a broker with a controller watching it.
//!
//! Data flows one way: a test asks for a PKI and a broker, spawns devices and controllers
//! over them, and then waits on what the controller sees; nothing here keeps global state
//! beyond the counter behind [`unique`].

pub mod arb;
#[cfg(feature = "sim")]
pub mod bench;
#[cfg(feature = "mqtt")]
pub mod broker;
pub mod fixtures;
#[cfg(feature = "mqtt")]
pub mod memory;
#[cfg(feature = "mqtt")]
pub mod node;
pub mod pki;
pub mod process;
#[cfg(feature = "mqtt")]
pub mod watch;

pub use fixtures::{description, descriptions, fan};
pub use pki::Pki;

use std::sync::atomic::{AtomicU32, Ordering};

/// An id beginning with `prefix` that no other test of this run, nor another run on a shared
/// broker, uses: the process id, the clock's nanoseconds and a counter.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{:x}{nanos:x}{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Seconds since the Unix epoch, for certificates issued by a test.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
