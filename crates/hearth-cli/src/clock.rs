//! The wall clock, read in one place. The library crates take time as an argument; the
//! binary reads it here when a command acts "now" (issuing certificates, validating a
//! captured message) and the user gave no time of their own.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;

/// Seconds since the Unix epoch; an error if the system clock is set before 1970.
pub(crate) fn now() -> anyhow::Result<u64> {
    Ok(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("system clock before 1970")?
        .as_secs())
}
