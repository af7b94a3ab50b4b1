//! Area `MQTT`: the MQTT binding — topics and retained messages, the will, reconnection,
//! what the request topic takes, the session, the protocol version, and events kept while
//! the device is cut off.

pub(crate) mod inbound;
pub(crate) mod kept_events;
pub(crate) mod reconnect;
pub(crate) mod session;
pub(crate) mod topics;
pub(crate) mod version;
pub(crate) mod will;
