//! Hearth protocol cores: the device and controller state machines of the MQTT binding
//! (`spec/04-messages.md`, `spec/05-mqtt.md`), with no networking code and no clock.
//!
//! **What it is.** [`DeviceCore`] is everything a Hearth device does on the bus: its will,
//! description, status and full report on every connection, reports, events with the
//! prioritised store of kept events, revocation lists, the request pipeline (open → kind →
//! target → privilege → rate-limited `unauthorized` → validation → handler → response) and
//! the orderly shutdown. [`ControllerCore`] is everything a controller does: the device
//! views, the verification of every device message, requests sealed and correlated with
//! their responses, rejected messages with the requirement they broke, revocation lists.
//! Both take part in commissioning (`spec/07-commissioning.md`): the device core runs the
//! commissioning window, the SPAKE2+ verifier and the manager's ACL and window requests
//! (`device::CommissioningSettings`), the controller core the commissioner's side from a
//! setup code to a device whose ACL names it, and multi-admin ([`commissioner`]).
//! Both are deterministic: the same calls with the same arguments give the same output, but
//! for the random scalars of a key exchange, which come from the generator the shell hands in.
//!
//! **What it is not.** No sockets, no MQTT client, no async runtime, no clock and no
//! randomness of its own: a shell (`hearth-mqtt` on tokio and rumqttc, or a test's in-memory
//! bus) owns the connection, reads the time, draws the boot id, hands in a random generator
//! for commissioning, and moves bytes in and out. Nor is
//! it the message layer: `hearth-wire` seals and opens, `hearth-model` validates,
//! `hearth-security` supplies keys, chains, replay windows and access lists.
//!
//! **How data flows.** Like quinn-proto's `Connection`, a core takes what happened through
//! `handle_*` calls — the broker accepted the connection, a publish arrived as
//! `(topic, payload, retain)`, the broker acknowledged a publish, a timer is due — each with
//! the current [`Time`] as `now`, and hands out what to do through `poll_*` calls:
//! [`Transmit`]s (publish with topic, bytes, retain and, for a kept event, an [`AckToken`];
//! subscribe; disconnect), the next time it wants to be woken (`poll_timeout`, then
//! `handle_timeout`), and for a controller the [`ControllerEvent`]s it learnt. The call order
//! is in the type docs of [`DeviceCore`] and [`ControllerCore`]; in short, after every
//! `handle_*` call or application call, drain `poll_transmit` (and `poll_event`), carrying
//! transmits out in order — one the connection cannot take yet waits, with everything after
//! it — then sleep until `poll_timeout`. A kept event's [`AckToken`] goes back to the core when
//! the broker acknowledges that very publish; when a connection is lost, the core drops the
//! transmits still queued for it and publishes every kept event again after the next
//! connection's full report.
//!
//! Deliberate deviations for the simulator's fault profiles live behind one seam,
//! [`fault`], compiled in only with the `fault-injection` cargo feature.

pub mod commissioner;
pub mod controller;
pub mod device;
pub mod fault;
pub mod time;
pub mod topic;
pub mod transmit;

pub use commissioner::{CommissionError, CommissionEvent, Commissioned, ShareError};
pub use controller::{ControllerCore, ControllerEvent, ControllerSettings, DeviceView, Update};
pub use device::{
    CommissioningSettings, DeviceCore, DeviceSettings, DeviceStats, Handler, StartError,
    WindowError,
};
pub use fault::{ControllerFaults, FaultInjection};
pub use time::Time;
pub use topic::{Addressed, Channel, DeviceAddr, Topics};
pub use transmit::{AckToken, Credential, Publish, Transmit};
