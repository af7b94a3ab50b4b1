//! Area `SEC`: security — what the device signs, what it verifies, whom it admits, its
//! counters across a restart, and certificates of the lab's CA it has never seen.

pub(crate) mod access;
pub(crate) mod authority;
pub(crate) mod counters;
pub(crate) mod signing;
pub(crate) mod verifying;
