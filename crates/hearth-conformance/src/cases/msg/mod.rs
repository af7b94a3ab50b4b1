//! Area `MSG`: the message set — reads, writes, invocations, their timing, the encoding of
//! what the device publishes, and the order in which a request is checked.

pub(crate) mod encoding;
pub(crate) mod invoke;
pub(crate) mod processing;
pub(crate) mod read;
pub(crate) mod timing;
pub(crate) mod write;
