//! Test cases of the area.

pub(crate) mod inbound;
pub(crate) mod kept_events;
pub(crate) mod version;
pub(crate) mod will;
