//! Hearth MQTT binding (`spec/05-mqtt.md`): the Device and Controller runtimes on tokio +
//! rumqttc, broker URLs and identities, and an embedded rumqttd broker.
//!
//! This is the only async library crate of Hearth, and a thin one: the protocol itself —
//! what a device announces and answers, what a controller verifies and correlates — is the
//! sans-IO cores of `hearth-node`. The runtimes here are their shells. A
//! [`device::Device`] moves bytes between rumqttc and a [`hearth_node::DeviceCore`]; a
//! [`controller::Controller`] does the same for a [`hearth_node::ControllerCore`] and turns
//! what it learns into [`controller::Update`]s and answered requests. Both read time from a
//! [`clock::Clock`] their config carries (the system clock unless a simulator or a test
//! hands another), run the rumqttc event loop on a task of its own so that no poll of it is
//! cut short, hand the core's transmits to the client in order (waiting, never dropping, when
//! the client's queue is full), map packet ids to the core's ack tokens, and sleep until the
//! core's next timeout. Data flows broker → rumqttc event loop (driver task) → core →
//! transmits → outbox → rumqttc client → broker; the application's [`device::Handler`] is
//! called by the core. Any MQTT 3.1.1
//! broker works; [`broker::EmbeddedBroker`] starts one in-process for zero-setup use and
//! tests.

pub mod agent;
pub mod broker;
pub mod clock;
pub mod controller;
pub mod device;
pub mod identity;
pub mod relay;
mod shell;
pub mod url;

/// Deliberate deviations for the simulator's fault profiles (`fault-injection` feature).
#[cfg(feature = "fault-injection")]
pub use hearth_node::fault;
/// The topic tree of the binding.
pub use hearth_node::topic;

pub use broker::EmbeddedBroker;
pub use clock::{Clock, SystemClock};
pub use controller::{Controller, ControllerConfig, DeviceView, RequestError, Update};
pub use device::{Device, DeviceConfig, DeviceHandle, DeviceStats, Handler};
pub use identity::Identity;
pub use topic::{DeviceAddr, Topics};
pub use url::BrokerUrl;

/// Commissioning (`spec/07-commissioning.md`): what a device keeps from the factory, and what
/// a commissioning attempt ends with.
pub use hearth_node::commissioner::{enhanced_window, fresh_setup};
pub use hearth_node::{
    CommissionError, CommissionEvent, Commissioned, CommissioningSettings, ShareError, WindowError,
};
