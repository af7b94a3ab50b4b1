//! Hearth MQTT binding (being assembled).

pub mod broker;
pub mod identity;
pub mod topic;
pub mod url;
