//! Test cases of the area.

pub(crate) mod description;
pub(crate) mod vendor;
