//! The Hearth security layer: keys, signed messages, certificates, revocation, replay
//! protection and access control, as specified in `spec/03-security.md` (`HRT-SEC-…`).
//!
//! **What it is.** A deterministic, sans-IO implementation of the Hearth security profile:
//! Ed25519 and ECDSA P-256 keys (via `ring`) stored as COSE_Key ([`key`]); tagged
//! COSE_Sign1 with the transport topic as external AAD, verified over the protected header
//! bytes exactly as received, and signed with a content type and further protected
//! parameters where a format needs them ([`cose::sign1_with_header`]; [`cose`]), a message
//! envelope decoded strictly in the CBOR profile of messages, one reading only ([`strict`]);
//! certificates as CWTs with a `cnf` key and Hearth
//! role claims, chained root → vendor → device / controller and root → lab / controller
//! and validated against a [`cert::TrustStore`] ([`cert`]); signed revocation lists
//! ([`revocation`]); the 64-entry sliding replay window and a block-reserving send counter
//! ([`replay`]); access-control lists with the view / operate / manage privileges
//! ([`acl`]); and SPAKE2+ (RFC 9383), the passcode-authenticated key exchange of
//! commissioning, with its passcode derivation and verifier record ([`pake`]).
//!
//! **What it is not.** It reads no clock: every check that depends on time takes `now`
//! (seconds since the Unix epoch) as an argument. It performs no I/O: bytes come in and go
//! out as slices and vectors. The one exception is the clearly separated [`fs`] module,
//! which reads and writes key and certificate files and implements a file-backed
//! [`replay::CounterStore`] and [`access::AccessStore`]; nothing else in the crate calls it. Randomness (key generation
//! and ECDSA signatures, SPAKE2+ scalars) comes from `ring`'s system generator, passed in
//! where a caller may want another. `ring` does all the cryptography except SPAKE2+'s
//! group arithmetic, which it does not expose: [`pake`] uses RustCrypto's `p256`, `sha2`,
//! `hkdf`, `hmac` and `pbkdf2` (its module doc says why no SPAKE2+ crate). It has no async runtime. It
//! builds on `hearth-model` only for vocabulary both layers share (the [`Privilege`] an
//! access-control list grants, the device-id rule a device certificate's subject keeps).
//!
//! **How data flows.** A sender holds a [`key::KeyPair`] (or any [`cose::Signer`], e.g. a
//! secure element), takes the next value of its [`replay::SendCounter`], encodes its
//! message and calls [`cose::sign1`] with the topic as AAD. A receiver validates each
//! signer's certificate chain once ([`peers::Peer::validate`], which calls
//! [`cert::validate_chain`]) and keeps the result in the bounded [`peers::Peers`] cache; per
//! message it calls [`cose::verify_sign1`] with `peers.at(now)` as the
//! [`cose::KeyResolver`], looks up the signer's chain, checks the signer's role and
//! privilege with [`acl::Acl::authorize`] (requests) or [`acl::check_device_signer`]
//! (device messages), and only then feeds the message counter to the sender's
//! [`replay::ReplayWindow`] (in a [`replay::ReplayTable`]) and acts on the payload. Every failure is a typed error that names its
//! cause; none of them changes any state except where documented (a replay window only
//! moves on success).

#![forbid(unsafe_code)]

pub mod access;
pub mod acl;
pub mod alg;
mod cbor;
pub mod cert;
pub mod cose;
pub mod diag;
pub mod fs;
pub mod key;
pub mod pake;
pub mod peers;
pub mod pki;
pub mod replay;
pub mod revocation;
pub mod strict;

pub use access::{AccessState, AccessStore, AccessStoreError, MemoryAccessStore};
pub use acl::{check_device_signer, Acl, AclEntry, AclError, AclSubject, Operation, Privilege};
pub use alg::Algorithm;
pub use cert::{
    validate_chain, CertClaims, CertError, Certificate, Role, TrustStore, ValidatedChain,
};
pub use cose::{
    sign1, sign1_with_header, verify_sign1, KeyResolver, ProtectedHeader, Sign1, Signer, Verified,
    VerifyError,
};
pub use key::{KeyError, KeyId, KeyPair, PublicKey};
pub use peers::{LimitedCache, Peer, Peers, PeersAt};
pub use replay::{
    CounterError, CounterStore, MemoryCounterStore, ReplayError, ReplayTable, ReplayWindow,
    SendCounter,
};
pub use revocation::{RevocationError, RevocationList, RevocationSet};

/// Size bounds applied to every input this crate parses (Table 6 of the security chapter,
/// `HRT-SEC-134`).
pub mod limits {
    /// Largest COSE_Sign1 message accepted by [`crate::verify_sign1`], in bytes.
    pub const MAX_MESSAGE_SIZE: usize = 65_536;
    /// Largest encoded certificate, in bytes.
    pub const MAX_CERT_SIZE: usize = 2_048;
    /// Largest number of certificates in a chain, not counting the trust anchor.
    pub const MAX_CHAIN_LEN: usize = 2;
    /// Largest number of trust anchors in a trust store.
    pub const MAX_TRUST_ANCHORS: usize = 64;
    /// Largest encoded revocation list, in bytes.
    pub const MAX_REVOCATION_LIST_SIZE: usize = 49_152;
    /// Largest number of key ids in one revocation list.
    pub const MAX_REVOKED: usize = 2_048;
    /// Largest number of entries in an access-control list.
    pub const MAX_ACL_ENTRIES: usize = 64;
    /// Largest encoded key file, in bytes.
    pub const MAX_KEY_SIZE: usize = 512;
    /// Largest text claim (subject, issuer, device type, model), in bytes.
    pub const MAX_TEXT_CLAIM: usize = 128;
    /// Largest number of validated signers held by one [`crate::Peers`] cache; the oldest
    /// goes first.
    pub const MAX_PEERS: usize = 4_096;
    /// Largest number of CA certificates (seen in validated chains) held by one
    /// [`crate::Peers`] cache to check revocation lists against; the oldest goes first.
    pub const MAX_KNOWN_CAS: usize = 256;
    /// Largest number of replay windows (one per sender key and topic) held by one
    /// [`crate::ReplayTable`].
    pub const MAX_REPLAY_WINDOWS: usize = 16_384;
}
