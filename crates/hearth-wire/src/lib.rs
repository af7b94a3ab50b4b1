//! Hearth wire format: the message set in CBOR, and sealing and opening of the signed
//! envelopes that carry it (`spec/04-messages.md`).
//!
//! This crate is sans-IO and has no async runtime, so a vendor's firmware or a gateway can use
//! it with any transport. Data flows one way on each side: a [`seal::Sender`] turns a
//! [`message::Body`] into a numbered [`message::Message`], encodes it in deterministic CBOR
//! ([`codec`]) and signs it as a COSE_Sign1 bound to its transport topic; a
//! [`seal::Receiver`] verifies the signature against a validated certificate chain, decodes
//! strictly (one reading only: no tag, no indefinite length, no map key twice) within fixed
//! limits, checks the sender and the replay window, and hands back an
//! [`seal::Opened`] message. The commissioning and access-control management kinds of
//! `spec/07-commissioning.md` have their bodies in [`commissioning`]. What a message *means* — whether a write fits the device's
//! description, whether the signer may send it — is checked with [`policy`] against the
//! model (`hearth-model`) and the access list (`hearth-security`); [`view`] shows messages
//! and descriptions to people by catalog name.

pub mod codec;
pub mod commissioning;
pub mod message;
pub mod policy;
pub mod seal;
pub mod view;

pub use codec::{DecodeError, Limits};
pub use message::{
    Availability, Body, EventBody, InvokeResult, Kind, Message, ReadResult, Report, Status,
    PROTOCOL_VERSION,
};
pub use seal::{Envelope, OpenError, Opened, Peer, Receiver, SealError, Sender};
