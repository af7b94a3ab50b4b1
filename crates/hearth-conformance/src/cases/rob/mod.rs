//! Area `ROB`: robustness — bad input of every kind, then a check that the device still
//! works.

pub(crate) mod malformed;
