//! Area `MOD`: the device's description and model, against the ICS and the catalog.

pub(crate) mod description;
pub(crate) mod device_info;
pub(crate) mod vendor;
