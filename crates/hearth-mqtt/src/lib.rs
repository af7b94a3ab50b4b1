//! Hearth MQTT binding (`spec/05-mqtt.md`): the topic tree, the Device and Controller
//! runtimes on tokio + rumqttc, and an embedded rumqttd broker.
//!
//! This is the only async library crate of Hearth. It is a thin shell around the sans-IO
//! layers below: `hearth-wire` seals and opens every message, `hearth-model` validates
//! descriptions and values, `hearth-security` supplies keys, chains, replay windows and
//! access lists. Data flows one way: a [`device::Device`] turns its application's
//! [`device::Handler`] answers and reported changes into sealed publishes; a
//! [`controller::Controller`] opens what devices publish into verified
//! [`controller::Update`]s and correlates requests with responses. Any MQTT 3.1.1 broker
//! works; [`broker::EmbeddedBroker`] starts one in-process for zero-setup use and tests.

pub mod broker;
pub mod controller;
pub mod device;
#[cfg(feature = "fault-injection")]
pub mod fault;
#[cfg(not(feature = "fault-injection"))]
mod fault;
pub mod identity;
pub mod topic;
pub mod url;

pub use broker::EmbeddedBroker;
pub use controller::{Controller, ControllerConfig, DeviceView, RequestError, Update};
pub use device::{Device, DeviceConfig, DeviceHandle, DeviceStats, Handler};
pub use identity::Identity;
pub use topic::{DeviceAddr, Topics};
pub use url::BrokerUrl;
