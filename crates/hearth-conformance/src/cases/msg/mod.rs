//! Test cases of the area.

pub(crate) mod encoding;
pub(crate) mod write;
