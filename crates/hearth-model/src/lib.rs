//! Hearth device model.
