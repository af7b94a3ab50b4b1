//! Test cases of the area.

pub(crate) mod authority;
pub(crate) mod signing;
pub(crate) mod verifying;
