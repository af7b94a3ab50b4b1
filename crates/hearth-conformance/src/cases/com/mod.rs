//! Area `COM`: commissioning (`spec/07-commissioning.md`) — the window and what it announces,
//! the key exchange over the passcode with wrong passcodes and the attempt limit, no
//! commissioning outside a window, a second controller through an enhanced window, the
//! management of the access-control list, the factory reset, and what the exchange binds. The suite is the
//! commissioner; every case puts the device's ACL back as it found it.

pub(crate) mod acl;
pub(crate) mod binding;
pub(crate) mod chains;
pub(crate) mod misrouted;
pub(crate) mod multi_admin;
pub(crate) mod outside;
pub(crate) mod passcode;
pub(crate) mod reset;
pub(crate) mod room;
pub(crate) mod sessions;
pub(crate) mod setup;
pub(crate) mod window;
