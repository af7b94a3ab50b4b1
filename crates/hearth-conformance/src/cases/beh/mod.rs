//! Test cases of the area.

pub(crate) mod cycle;
