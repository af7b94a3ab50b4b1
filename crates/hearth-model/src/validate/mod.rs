//! Validation of descriptions, writes, invocations and reported values.
//!
//! Two questions, two error types. [`check_description`] asks whether a device's description
//! keeps to the catalog and its device type; it collects every [`DescriptionError`]. The
//! request checks ([`check_write`], [`check_invoke`], [`check_value`]) ask whether a value fits
//! a path of a *valid* description, stop at the first [`ValueError`], and map it to the status
//! code a device answers with. Every error names the requirement of the model chapter
//! (`spec/01-model.md`) it enforces, so a failed check can always be traced to the text.

mod description;
mod value;

pub use description::{
    check_description, device_id_is_valid, DescriptionError, DescriptionErrors, MAX_LABEL_LEN,
};
pub use value::{check_event, check_invoke, check_read, check_value, check_write, ValueError};
