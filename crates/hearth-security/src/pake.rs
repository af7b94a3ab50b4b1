//! SPAKE2+ ([RFC 9383]) with the ciphersuite P256-SHA256-HKDF-SHA256-HMAC-SHA256, the
//! password-authenticated key exchange that commissioning runs over the setup passcode
//! (`spec/07-commissioning.md`, `HRT-COM-…`).
//!
//! **What it is.** Both roles of the RFC as plain state machines: the [`Prover`] (the
//! commissioner, which knows the passcode from the setup payload) and the [`Verifier`] (the
//! device, which stores only the [`VerifierRecord`] `(w0, L)` made from the passcode at the
//! factory), the password derivation that turns a passcode, a salt and an iteration count
//! into `w0` and `w1` (PBKDF2-HMAC-SHA256, each 40-byte half reduced modulo the group order,
//! RFC 9383 §3.2 and Matter's PASE), the transcript `TT` and the key schedule of §3.4.
//! Every value it takes from a peer (a share, a confirmation, a stored record) is checked
//! and refused with a typed [`PakeError`]: a wrong length or point encoding, a point off the
//! curve, the identity, a share that cancels the password's mask, a wrong confirmation MAC
//! (compared in constant time) and a call out of the protocol's order. A session that fails
//! once is finished: every later call is refused, so one run is one passcode guess.
//!
//! **What it is not.** It does no I/O, reads no clock and has no async runtime; shares and
//! confirmations come in and go out as byte arrays. The random scalars `x` and `y` come from
//! a `ring` [`SecureRandom`] the caller passes (or, for test vectors, from the caller
//! directly). It is not a general SPAKE2+ library: one ciphersuite, the one Matter's PASE
//! uses, and the RFC's M and N.
//!
//! **Why this implementation.** Two crates implement RFC 9383: `spake2plus` 0.1.0, published
//! weeks before this module by one author and unaudited, whose public API takes `w0`/`w1`
//! only through a PBKDF output and `x`/`y` only through a random generator and keeps `Z`,
//! `V`, `K_main` and the confirmation keys inside, so RFC 9383's vectors can be checked
//! from outside only in part; and `pakery-spake2plus`, which needs Rust 1.88 (the workspace
//! supports 1.85) and a separate ciphersuite crate. This module is the RFC's formulas on
//! RustCrypto's `p256` (the group arithmetic `ring` does not expose), `sha2`, `hkdf`,
//! `hmac` and `pbkdf2`, a few hundred lines checked value by value (shares, `Z`, `V`, `TT`,
//! `K_main`, both confirmation keys and MACs, `K_shared`) against the RFC's vector in
//! `conformance/vectors/spake2plus/`. Secrets (`w0`, `w1`, `x`, `y`, the keys) are zeroized
//! when dropped (`zeroize`); copies the compiler makes when a value moves are beyond reach.
//!
//! **How data flows.** At the factory: [`ProverSecret::from_passcode`] →
//! [`ProverSecret::verifier_record`] → [`VerifierRecord::to_bytes`], stored by the device.
//! In a run, with both sides holding the same [`Context`] (for commissioning,
//! [`Context::commissioning`], which binds both certificate chains and the window's PBKDF
//! parameters):
//!
//! ```text
//! prover                                   verifier
//! start()              ── shareP ──▶       respond(shareP)
//! receive_share(shareV) ◀── shareV, confirmV ──
//! finish(confirmV)     ── confirmP ──▶     finish(confirmP)
//! → SharedKey                              → SharedKey
//! ```
//!
//! [RFC 9383]: https://www.rfc-editor.org/rfc/rfc9383

use std::fmt;
use std::sync::OnceLock;

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use p256::elliptic_curve::ff::{Field, PrimeField};
use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::elliptic_curve::subtle::ConstantTimeEq;
use p256::{AffinePoint, EncodedPoint, ProjectivePoint, Scalar};
use ring::rand::SecureRandom;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::key::KeyId;

/// The ciphersuite's name in RFC 9383 §4.
pub const SUITE: &str = "P256-SHA256-HKDF-SHA256-HMAC-SHA256";
/// Length of a share (`shareP`, `shareV`): an uncompressed SEC1 P-256 point.
pub const SHARE_LEN: usize = 65;
/// Length of a confirmation MAC (`confirmP`, `confirmV`): HMAC-SHA256.
pub const CONFIRM_LEN: usize = 32;
/// Length of the shared key `K_shared`.
pub const KEY_LEN: usize = 32;
/// Length of a scalar (`w0`, `w1`, `x`, `y`), big-endian.
pub const SCALAR_LEN: usize = 32;
/// Length of each half (`w0s`, `w1s`) of the PBKDF output: `ceil(log2(p))/8 + 8` bytes, so
/// that the reduction modulo the group order has a bias of at most 2^-64 (RFC 9383 §3.2).
pub const SEED_LEN: usize = 40;
/// Length of the PBKDF output `w0s || w1s`.
pub const PBKDF_OUTPUT_LEN: usize = 2 * SEED_LEN;
/// Length of a stored verifier record: `w0` (32 bytes) then `L` (65 bytes), Matter's layout.
pub const RECORD_LEN: usize = SCALAR_LEN + SHARE_LEN;
/// Fewest PBKDF2 iterations accepted (Matter's lower bound).
pub const MIN_ITERATIONS: u32 = 1_000;
/// Most PBKDF2 iterations accepted (Matter's upper bound): it bounds the work one
/// commissioning attempt costs a device's commissioner.
pub const MAX_ITERATIONS: u32 = 100_000;
/// Shortest salt accepted, in bytes.
pub const MIN_SALT_LEN: usize = 16;
/// Longest salt accepted, in bytes.
pub const MAX_SALT_LEN: usize = 32;
/// Longest context string or identity bound into the transcript, in bytes.
pub const MAX_CONTEXT_LEN: usize = 256;

/// RFC 9383's `M` for P-256, compressed SEC1.
const M_COMPRESSED: [u8; 33] =
    hex33("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f");
/// RFC 9383's `N` for P-256, compressed SEC1.
const N_COMPRESSED: [u8; 33] =
    hex33("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49");

/// Why a SPAKE2+ step, a derivation or a record was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PakeError {
    /// A share is not 65 bytes long.
    #[error("share of {actual} bytes, expected {SHARE_LEN} (uncompressed SEC1 point)")]
    ShareLength {
        /// Length received.
        actual: usize,
    },
    /// A share does not start with the uncompressed-point tag 0x04.
    #[error("share with SEC1 tag {tag:#04x}, expected 0x04 (uncompressed point)")]
    PointEncoding {
        /// First byte received.
        tag: u8,
    },
    /// A share's coordinates are not those of a point of P-256 (a coordinate not below the
    /// field prime, or the curve equation fails).
    #[error("share is not a point on P-256")]
    NotOnCurve,
    /// A share, or a record's `L`, is the identity element.
    #[error("share is the identity element")]
    IdentityPoint,
    /// A share equals the password's mask (`w0*M` or `w0*N`), which would leave nothing
    /// secret in the key.
    #[error("share cancels the password mask")]
    DegenerateShare,
    /// A confirmation is not 32 bytes long.
    #[error("confirmation of {actual} bytes, expected {CONFIRM_LEN}")]
    ConfirmationLength {
        /// Length received.
        actual: usize,
    },
    /// A confirmation MAC does not match: the peer holds another passcode, context or
    /// identity, or a message was altered.
    #[error("confirmation MAC does not match")]
    ConfirmationMismatch,
    /// A step was called in the wrong order, or after the session ended.
    #[error("{call} called while the session is {state}")]
    OutOfOrder {
        /// The step called.
        call: &'static str,
        /// The session's state at the call.
        state: &'static str,
    },
    /// A PBKDF2 iteration count outside 1000..=100000.
    #[error("PBKDF2 iteration count {iterations} outside {MIN_ITERATIONS}..={MAX_ITERATIONS}")]
    Iterations {
        /// Count given.
        iterations: u32,
    },
    /// A salt outside 16..=32 bytes.
    #[error("salt of {actual} bytes, expected {MIN_SALT_LEN}..={MAX_SALT_LEN}")]
    SaltLength {
        /// Length given.
        actual: usize,
    },
    /// A scalar that is zero or not below the group order, or of the wrong length.
    #[error("scalar is zero, not below the group order, or not {SCALAR_LEN} bytes")]
    InvalidScalar,
    /// A PBKDF output or a stored record of the wrong length.
    #[error("{what} of {actual} bytes, expected {expected}")]
    Length {
        /// What was given (`pbkdf output`, `verifier record`).
        what: &'static str,
        /// Length given.
        actual: usize,
        /// Length expected.
        expected: usize,
    },
    /// A context string or identity longer than 256 bytes.
    #[error("context or identity of {actual} bytes, at most {MAX_CONTEXT_LEN}")]
    ContextLength {
        /// Length given.
        actual: usize,
    },
    /// The random generator failed.
    #[error("random generator failed")]
    Random,
}

impl PakeError {
    /// Stable short code used in vectors and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::ShareLength { .. } => "share_length",
            Self::PointEncoding { .. } => "point_encoding",
            Self::NotOnCurve => "not_on_curve",
            Self::IdentityPoint => "identity_point",
            Self::DegenerateShare => "degenerate_share",
            Self::ConfirmationLength { .. } => "confirmation_length",
            Self::ConfirmationMismatch => "confirmation_mismatch",
            Self::OutOfOrder { .. } => "out_of_order",
            Self::Iterations { .. } => "iterations",
            Self::SaltLength { .. } => "salt_length",
            Self::InvalidScalar => "invalid_scalar",
            Self::Length { .. } => "length",
            Self::ContextLength { .. } => "context_length",
            Self::Random => "random",
        }
    }
}

/// What both sides bind into the transcript besides the password: the application's
/// context string and the two identities (RFC 9383 §3.3). A run succeeds only if both sides
/// hold the same context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    context: Vec<u8>,
    prover_id: Vec<u8>,
    verifier_id: Vec<u8>,
}

impl Context {
    /// A context from its three parts, each at most 256 bytes.
    pub fn new(context: &[u8], prover_id: &[u8], verifier_id: &[u8]) -> Result<Self, PakeError> {
        for part in [context, prover_id, verifier_id] {
            if part.len() > MAX_CONTEXT_LEN {
                return Err(PakeError::ContextLength { actual: part.len() });
            }
        }
        Ok(Self {
            context: context.to_vec(),
            prover_id: prover_id.to_vec(),
            verifier_id: verifier_id.to_vec(),
        })
    }

    /// The context of a Hearth commissioning session (`spec/07-commissioning.md` §5.3,
    /// HRT-COM-038 and HRT-COM-039): `hearth-commissioning-1`, the SHA-256 hashes of both
    /// chains (each the deterministic CBOR array of its certificates, leaf first, as the
    /// messages carried them), the discriminator, the salt and the iteration count; the
    /// identities are the key ids of the commissioner's and the device's leaf keys.
    pub fn commissioning(session: &CommissioningSession<'_>) -> Result<Self, PakeError> {
        let mut context = Vec::with_capacity(COMMISSIONING_LABEL.len() + 2 * 32 + 2 + 32 + 4);
        context.extend_from_slice(COMMISSIONING_LABEL);
        context.extend_from_slice(&chain_hash(session.commissioner_chain));
        context.extend_from_slice(&chain_hash(session.device_chain));
        context.extend_from_slice(&session.discriminator.to_be_bytes());
        context.extend_from_slice(session.salt);
        context.extend_from_slice(&session.iterations.to_be_bytes());
        Self::new(&context, &session.commissioner_key.0, &session.device_key.0)
    }
}

/// The label that opens the context of a commissioning session.
pub const COMMISSIONING_LABEL: &[u8; 22] = b"hearth-commissioning-1";

/// What both sides of a commissioning session bind into its context
/// ([`Context::commissioning`]).
#[derive(Debug, Clone, Copy)]
pub struct CommissioningSession<'a> {
    /// The commissioner's chain as its `pake-start` carried it, leaf first.
    pub commissioner_chain: &'a [Vec<u8>],
    /// The device's chain as its `window` message carried it, leaf first.
    pub device_chain: &'a [Vec<u8>],
    /// The discriminator of the window.
    pub discriminator: u16,
    /// The PBKDF2 salt of the window's verifier record.
    pub salt: &'a [u8],
    /// The PBKDF2 iteration count of the window's verifier record.
    pub iterations: u32,
    /// The key id of the commissioner's leaf key (`idProver`).
    pub commissioner_key: KeyId,
    /// The key id of the device's leaf key (`idVerifier`).
    pub device_key: KeyId,
}

/// SHA-256 of a chain encoded as the deterministic CBOR array of its certificates.
pub fn chain_hash(chain: &[Vec<u8>]) -> [u8; 32] {
    let array = ciborium::value::Value::Array(
        chain
            .iter()
            .map(|c| ciborium::value::Value::Bytes(c.clone()))
            .collect(),
    );
    Sha256::digest(crate::cbor::encode(&array)).into()
}

/// The prover's secret, `w0` and `w1`, derived from the passcode. Zeroized on drop; its
/// `Debug` shows nothing.
#[derive(Clone)]
pub struct ProverSecret {
    w0: Zeroizing<Scalar>,
    w1: Zeroizing<Scalar>,
}

impl ProverSecret {
    /// `w0` and `w1` from a setup passcode: `w0s || w1s = PBKDF2-HMAC-SHA256(passcode as
    /// four bytes little-endian, salt, iterations, 80 bytes)`, each half reduced modulo the
    /// group order, as Matter's PASE derives them.
    pub fn from_passcode(passcode: u32, salt: &[u8], iterations: u32) -> Result<Self, PakeError> {
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(PakeError::Iterations { iterations });
        }
        if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
            return Err(PakeError::SaltLength { actual: salt.len() });
        }
        let password = Zeroizing::new(passcode.to_le_bytes());
        let mut output = Zeroizing::new([0u8; PBKDF_OUTPUT_LEN]);
        pbkdf2::pbkdf2_hmac::<Sha256>(&password[..], salt, iterations, &mut output[..]);
        Self::from_pbkdf_output(&output[..])
    }

    /// `w0` and `w1` from a PBKDF's 80-byte output `w0s || w1s`: each half read as a
    /// big-endian integer and reduced modulo the group order (RFC 9383 §3.2).
    pub fn from_pbkdf_output(output: &[u8]) -> Result<Self, PakeError> {
        let output = exact_len::<PBKDF_OUTPUT_LEN>(output, "pbkdf output")?;
        let (w0s, w1s) = output.split_at(SEED_LEN);
        Ok(Self {
            w0: nonzero(reduce(w0s))?,
            w1: nonzero(reduce(w1s))?,
        })
    }

    /// `w0` and `w1` given directly as 32-byte big-endian scalars in `1..n`, as RFC 9383's
    /// test vectors give them.
    pub fn from_scalars(w0: &[u8], w1: &[u8]) -> Result<Self, PakeError> {
        Ok(Self {
            w0: parse_scalar(w0)?,
            w1: parse_scalar(w1)?,
        })
    }

    /// The record the verifier stores instead of the passcode: `w0` and `L = w1*P`.
    pub fn verifier_record(&self) -> VerifierRecord {
        VerifierRecord {
            w0: self.w0.clone(),
            l: Zeroizing::new(ProjectivePoint::GENERATOR * *self.w1),
        }
    }
}

impl fmt::Debug for ProverSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProverSecret(..)")
    }
}

/// The verifier's registration record `(w0, L)`: what a device stores instead of its
/// passcode. Whoever holds it can pose as the device and test passcode guesses offline, so
/// it stays secret. Zeroized on drop; its `Debug` shows nothing.
#[derive(Clone)]
pub struct VerifierRecord {
    w0: Zeroizing<Scalar>,
    l: Zeroizing<ProjectivePoint>,
}

impl VerifierRecord {
    /// Parses a stored record: `w0` (32 bytes big-endian, in `1..n`) then `L` (65 bytes,
    /// an uncompressed point other than the identity).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PakeError> {
        let bytes = exact_len::<RECORD_LEN>(bytes, "verifier record")?;
        let (w0, l) = bytes.split_at(SCALAR_LEN);
        Ok(Self {
            w0: parse_scalar(w0)?,
            l: Zeroizing::new(decode_point(l)?),
        })
    }

    /// The record for storage: `w0` big-endian, then `L` uncompressed. The copy is zeroized
    /// on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; RECORD_LEN]> {
        let mut out = Zeroizing::new([0u8; RECORD_LEN]);
        out[..SCALAR_LEN].copy_from_slice(&self.w0.to_repr());
        // `L` is never the identity: it was decoded as a non-identity point or computed
        // from a non-zero `w1` in a group of prime order.
        if let Ok(l) = encode_point(&self.l) {
            out[SCALAR_LEN..].copy_from_slice(&l);
        }
        out
    }

    /// `L = w1*P`, uncompressed.
    pub fn l_bytes(&self) -> Result<[u8; SHARE_LEN], PakeError> {
        encode_point(&self.l)
    }
}

impl fmt::Debug for VerifierRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifierRecord(..)")
    }
}

/// `K_shared`, the key both sides hold after a confirmed run. Zeroized on drop; its `Debug`
/// shows nothing.
#[derive(Clone)]
pub struct SharedKey(Zeroizing<[u8; KEY_LEN]>);

impl SharedKey {
    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedKey(..)")
    }
}

/// The keys of RFC 9383 §3.4, derived from the transcript.
struct Keys {
    k_main: [u8; 32],
    confirm_p: [u8; 32],
    confirm_v: [u8; 32],
    shared: [u8; KEY_LEN],
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.k_main.zeroize();
        self.confirm_p.zeroize();
        self.confirm_v.zeroize();
        self.shared.zeroize();
    }
}

/// The prover's side of a run: the commissioner, which knows the passcode.
///
/// Call [`start`](Self::start), then [`receive_share`](Self::receive_share), then
/// [`finish`](Self::finish), once each. A failed step, or a step out of this order, ends the
/// session: every later call returns [`PakeError::OutOfOrder`].
pub struct Prover {
    secret: ProverSecret,
    context: Context,
    state: ProverState,
}

enum ProverState {
    Ready,
    Sent {
        x: Zeroizing<Scalar>,
        share_p: [u8; SHARE_LEN],
    },
    Confirming {
        keys: Keys,
    },
    Done,
    Failed,
}

impl ProverState {
    const fn name(&self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Sent { .. } => "waiting for shareV",
            Self::Confirming { .. } => "waiting for confirmV",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

impl Prover {
    /// A prover for one run with `secret` and `context`.
    pub fn new(secret: &ProverSecret, context: Context) -> Self {
        Self {
            secret: secret.clone(),
            context,
            state: ProverState::Ready,
        }
    }

    /// Picks `x` at random and returns `shareP = x*P + w0*M`, to send to the verifier.
    pub fn start(&mut self, rng: &dyn SecureRandom) -> Result<[u8; SHARE_LEN], PakeError> {
        let x = random_scalar(rng);
        self.start_inner(x, "start")
    }

    /// As [`start`](Self::start) with a given `x` (32 bytes big-endian, in `1..n`): for test
    /// vectors and reproducible examples only, since a scalar used twice reveals the keys.
    pub fn start_with_scalar(&mut self, x: &[u8]) -> Result<[u8; SHARE_LEN], PakeError> {
        let x = parse_scalar(x);
        self.start_inner(x, "start_with_scalar")
    }

    fn start_inner(
        &mut self,
        x: Result<Zeroizing<Scalar>, PakeError>,
        call: &'static str,
    ) -> Result<[u8; SHARE_LEN], PakeError> {
        let state = std::mem::replace(&mut self.state, ProverState::Failed);
        if !matches!(state, ProverState::Ready) {
            return Err(out_of_order(call, state.name()));
        }
        let x = x?;
        let share_p = encode_point(&share(&x, &self.secret.w0, mask_m()))?;
        self.state = ProverState::Sent { x, share_p };
        Ok(share_p)
    }

    /// Takes the verifier's share, checks it, and derives the keys through `Z`, `V`, the
    /// transcript and the key schedule.
    pub fn receive_share(&mut self, share_v: &[u8]) -> Result<(), PakeError> {
        let state = std::mem::replace(&mut self.state, ProverState::Failed);
        let ProverState::Sent { x, share_p } = state else {
            return Err(out_of_order("receive_share", state.name()));
        };
        let y_point = decode_point(share_v)?;
        let w1 = &self.secret.w1;
        let (z, v) = shared_points(&y_point, mask_n(), &self.secret.w0, &x, |u| *u * **w1)?;
        let share_v = encode_point(&y_point)?;
        let tt = transcript(&self.context, &share_p, &share_v, &z, &v, &self.secret.w0);
        let mut keys = key_schedule(&tt);
        keys.confirm_p = mac(&keys.confirm_p, &share_v);
        keys.confirm_v = mac(&keys.confirm_v, &share_p);
        self.state = ProverState::Confirming { keys };
        Ok(())
    }

    /// Checks the verifier's confirmation `confirmV` (constant time) and only then returns
    /// the prover's confirmation `confirmP`, to send, and the shared key: the order RFC 9383
    /// §3.3 requires.
    pub fn finish(
        &mut self,
        confirm_v: &[u8],
    ) -> Result<([u8; CONFIRM_LEN], SharedKey), PakeError> {
        let state = std::mem::replace(&mut self.state, ProverState::Failed);
        let ProverState::Confirming { keys } = state else {
            return Err(out_of_order("finish", state.name()));
        };
        check_confirmation(&keys.confirm_v, confirm_v)?;
        self.state = ProverState::Done;
        Ok((keys.confirm_p, SharedKey(Zeroizing::new(keys.shared))))
    }
}

impl fmt::Debug for Prover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prover")
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

/// The verifier's side of a run: the device, which holds the [`VerifierRecord`].
///
/// Call [`respond`](Self::respond), then [`finish`](Self::finish), once each. A failed step,
/// or a step out of this order, ends the session: every later call returns
/// [`PakeError::OutOfOrder`].
pub struct Verifier {
    record: VerifierRecord,
    context: Context,
    state: VerifierState,
}

enum VerifierState {
    Ready,
    Confirming { keys: Keys },
    Done,
    Failed,
}

impl VerifierState {
    const fn name(&self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Confirming { .. } => "waiting for confirmP",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

impl Verifier {
    /// A verifier for one run with `record` and `context`.
    pub fn new(record: &VerifierRecord, context: Context) -> Self {
        Self {
            record: record.clone(),
            context,
            state: VerifierState::Ready,
        }
    }

    /// Takes the prover's share, checks it, picks `y` at random, and returns `shareV = y*P +
    /// w0*N` and `confirmV`, to send to the prover together.
    pub fn respond(
        &mut self,
        share_p: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<([u8; SHARE_LEN], [u8; CONFIRM_LEN]), PakeError> {
        let y = random_scalar(rng);
        self.respond_inner(share_p, y, "respond")
    }

    /// As [`respond`](Self::respond) with a given `y` (32 bytes big-endian, in `1..n`): for
    /// test vectors and reproducible examples only.
    pub fn respond_with_scalar(
        &mut self,
        share_p: &[u8],
        y: &[u8],
    ) -> Result<([u8; SHARE_LEN], [u8; CONFIRM_LEN]), PakeError> {
        let y = parse_scalar(y);
        self.respond_inner(share_p, y, "respond_with_scalar")
    }

    fn respond_inner(
        &mut self,
        share_p: &[u8],
        y: Result<Zeroizing<Scalar>, PakeError>,
        call: &'static str,
    ) -> Result<([u8; SHARE_LEN], [u8; CONFIRM_LEN]), PakeError> {
        let state = std::mem::replace(&mut self.state, VerifierState::Failed);
        if !matches!(state, VerifierState::Ready) {
            return Err(out_of_order(call, state.name()));
        }
        let y = y?;
        let x_point = decode_point(share_p)?;
        let share_v = encode_point(&share(&y, &self.record.w0, mask_n()))?;
        let l = &self.record.l;
        let (z, v) = shared_points(&x_point, mask_m(), &self.record.w0, &y, |_| **l * *y)?;
        let share_p = encode_point(&x_point)?;
        let tt = transcript(&self.context, &share_p, &share_v, &z, &v, &self.record.w0);
        let mut keys = key_schedule(&tt);
        keys.confirm_p = mac(&keys.confirm_p, &share_v);
        keys.confirm_v = mac(&keys.confirm_v, &share_p);
        let confirm_v = keys.confirm_v;
        self.state = VerifierState::Confirming { keys };
        Ok((share_v, confirm_v))
    }

    /// Checks the prover's confirmation `confirmP` (constant time) and returns the shared
    /// key.
    pub fn finish(&mut self, confirm_p: &[u8]) -> Result<SharedKey, PakeError> {
        let state = std::mem::replace(&mut self.state, VerifierState::Failed);
        let VerifierState::Confirming { keys } = state else {
            return Err(out_of_order("finish", state.name()));
        };
        check_confirmation(&keys.confirm_p, confirm_p)?;
        self.state = VerifierState::Done;
        Ok(SharedKey(Zeroizing::new(keys.shared)))
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

const fn out_of_order(call: &'static str, state: &'static str) -> PakeError {
    PakeError::OutOfOrder { call, state }
}

/// Decodes a compile-time hex string of 33 bytes.
const fn hex33(s: &str) -> [u8; 33] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lower-case hex"),
        }
    }
    let bytes = s.as_bytes();
    assert!(bytes.len() == 66, "33 bytes of hex");
    let mut out = [0u8; 33];
    let mut i = 0;
    while i < 33 {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// RFC 9383's `M` and `N` for P-256, as points and uncompressed.
struct FixedPoints {
    m: ProjectivePoint,
    n: ProjectivePoint,
    m_bytes: [u8; SHARE_LEN],
    n_bytes: [u8; SHARE_LEN],
}

/// `M` and `N`, decoded once.
fn fixed_points() -> &'static FixedPoints {
    static POINTS: OnceLock<FixedPoints> = OnceLock::new();
    POINTS.get_or_init(|| {
        let decode = |bytes: &[u8; 33]| {
            let point = EncodedPoint::from_bytes(bytes)
                .ok()
                .and_then(|p| Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&p)))
                .map(ProjectivePoint::from)
                .expect("RFC 9383's M and N are points of P-256");
            let encoded = encode_point(&point).expect("M and N are not the identity");
            (point, encoded)
        };
        let ((m, m_bytes), (n, n_bytes)) = (decode(&M_COMPRESSED), decode(&N_COMPRESSED));
        FixedPoints {
            m,
            n,
            m_bytes,
            n_bytes,
        }
    })
}

fn mask_m() -> &'static ProjectivePoint {
    &fixed_points().m
}

fn mask_n() -> &'static ProjectivePoint {
    &fixed_points().n
}

/// `scalar*P + w0*mask`: a share.
fn share(scalar: &Scalar, w0: &Scalar, mask: &ProjectivePoint) -> ProjectivePoint {
    ProjectivePoint::GENERATOR * scalar + *mask * w0
}

/// `Z` and `V` (the cofactor is 1) from the peer's share unmasked, `share - w0*mask`, and
/// the side's own scalar: the prover's `Z = x*(Y - w0*N)` and `V = w1*(Y - w0*N)`, the
/// verifier's `Z = y*(X - w0*M)` and `V = y*L`; `v` gives `V` from the unmasked share.
fn shared_points(
    share: &ProjectivePoint,
    mask: &ProjectivePoint,
    w0: &Scalar,
    own: &Scalar,
    v: impl FnOnce(&ProjectivePoint) -> ProjectivePoint,
) -> Result<([u8; SHARE_LEN], [u8; SHARE_LEN]), PakeError> {
    let unmasked = Zeroizing::new(*share - *mask * w0);
    if bool::from(unmasked.is_identity()) {
        return Err(PakeError::DegenerateShare);
    }
    let z = Zeroizing::new(*unmasked * own);
    let v = Zeroizing::new(v(&unmasked));
    Ok((encode_point(&z)?, encode_point(&v)?))
}

/// The transcript `TT` of RFC 9383 §3.3: each part preceded by its length as eight bytes
/// little-endian.
fn transcript(
    context: &Context,
    share_p: &[u8; SHARE_LEN],
    share_v: &[u8; SHARE_LEN],
    z: &[u8; SHARE_LEN],
    v: &[u8; SHARE_LEN],
    w0: &Scalar,
) -> Zeroizing<Vec<u8>> {
    let fixed = fixed_points();
    let w0 = Zeroizing::new(w0.to_repr());
    let parts: [&[u8]; 10] = [
        &context.context,
        &context.prover_id,
        &context.verifier_id,
        &fixed.m_bytes,
        &fixed.n_bytes,
        share_p,
        share_v,
        z,
        v,
        &w0[..],
    ];
    let len = parts.iter().map(|part| 8 + part.len()).sum();
    let mut tt = Zeroizing::new(Vec::with_capacity(len));
    for part in parts {
        tt.extend_from_slice(&(part.len() as u64).to_le_bytes());
        tt.extend_from_slice(part);
    }
    tt
}

/// `K_main = Hash(TT)`, `K_confirmP || K_confirmV = KDF(nil, K_main, "ConfirmationKeys")`,
/// `K_shared = KDF(nil, K_main, "SharedKey")` (RFC 9383 §3.4).
fn key_schedule(tt: &[u8]) -> Keys {
    let k_main: [u8; 32] = Sha256::digest(tt).into();
    let kdf = Hkdf::<Sha256>::new(None, &k_main);
    let mut confirmation = Zeroizing::new([0u8; 64]);
    kdf.expand(b"ConfirmationKeys", &mut confirmation[..])
        .expect("64 bytes is a valid HKDF-SHA256 output length");
    let mut shared = [0u8; KEY_LEN];
    kdf.expand(b"SharedKey", &mut shared)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let mut keys = Keys {
        k_main,
        confirm_p: [0; 32],
        confirm_v: [0; 32],
        shared,
    };
    keys.confirm_p.copy_from_slice(&confirmation[..32]);
    keys.confirm_v.copy_from_slice(&confirmation[32..]);
    shared.zeroize();
    keys
}

fn hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// `bytes` as an array of exactly `N` bytes, or [`PakeError::Length`] naming `what`.
fn exact_len<'a, const N: usize>(
    bytes: &'a [u8],
    what: &'static str,
) -> Result<&'a [u8; N], PakeError> {
    bytes.try_into().map_err(|_| PakeError::Length {
        what,
        actual: bytes.len(),
        expected: N,
    })
}

/// `MAC(key, message)` with HMAC-SHA256.
fn mac(key: &[u8; 32], message: &[u8]) -> [u8; CONFIRM_LEN] {
    let mut h = hmac(key);
    h.update(message);
    h.finalize().into_bytes().into()
}

/// Compares a received confirmation with the expected MAC in constant time (`subtle`).
fn check_confirmation(expected: &[u8; CONFIRM_LEN], received: &[u8]) -> Result<(), PakeError> {
    if received.len() != CONFIRM_LEN {
        return Err(PakeError::ConfirmationLength {
            actual: received.len(),
        });
    }
    if !bool::from(expected.ct_eq(received)) {
        return Err(PakeError::ConfirmationMismatch);
    }
    Ok(())
}

/// Decodes a received share: exactly an uncompressed SEC1 point of P-256 other than the
/// identity.
fn decode_point(bytes: &[u8]) -> Result<ProjectivePoint, PakeError> {
    if bytes == [0x00] {
        return Err(PakeError::IdentityPoint);
    }
    if bytes.len() != SHARE_LEN {
        return Err(PakeError::ShareLength {
            actual: bytes.len(),
        });
    }
    let tag = bytes.first().copied().unwrap_or_default();
    if tag != 0x04 {
        return Err(PakeError::PointEncoding { tag });
    }
    let encoded = EncodedPoint::from_bytes(bytes).map_err(|_| PakeError::PointEncoding { tag })?;
    let point = Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&encoded))
        .ok_or(PakeError::NotOnCurve)?;
    let point = ProjectivePoint::from(point);
    if bool::from(point.is_identity()) {
        return Err(PakeError::IdentityPoint);
    }
    Ok(point)
}

/// Encodes a point uncompressed; the identity, which has no such encoding, is refused.
fn encode_point(point: &ProjectivePoint) -> Result<[u8; SHARE_LEN], PakeError> {
    let encoded = point.to_affine().to_encoded_point(false);
    encoded
        .as_bytes()
        .try_into()
        .map_err(|_| PakeError::IdentityPoint)
}

/// A 32-byte big-endian scalar in `1..n`.
fn parse_scalar(bytes: &[u8]) -> Result<Zeroizing<Scalar>, PakeError> {
    let repr: [u8; SCALAR_LEN] = bytes.try_into().map_err(|_| PakeError::InvalidScalar)?;
    let scalar =
        Option::<Scalar>::from(Scalar::from_repr(repr.into())).ok_or(PakeError::InvalidScalar)?;
    nonzero(scalar)
}

fn nonzero(scalar: Scalar) -> Result<Zeroizing<Scalar>, PakeError> {
    let scalar = Zeroizing::new(scalar);
    if bool::from(scalar.is_zero()) {
        return Err(PakeError::InvalidScalar);
    }
    Ok(scalar)
}

/// A big-endian integer of any length reduced modulo the group order (Horner's rule in the
/// scalar field).
fn reduce(bytes: &[u8]) -> Scalar {
    let base = Scalar::from(256u64);
    bytes.iter().fold(Scalar::ZERO, |acc, b| {
        acc * base + Scalar::from(u64::from(*b))
    })
}

/// A uniformly random non-zero scalar: 40 random bytes reduced modulo the group order
/// (bias below 2^-64), drawn again in the negligible case of zero. A failing generator
/// gives [`PakeError::Random`].
fn random_scalar(rng: &dyn SecureRandom) -> Result<Zeroizing<Scalar>, PakeError> {
    for _ in 0..4 {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rng.fill(&mut seed[..]).map_err(|_| PakeError::Random)?;
        if let Ok(scalar) = nonzero(reduce(&seed[..])) {
            return Ok(scalar);
        }
    }
    Err(PakeError::Random)
}

#[cfg(test)]
mod tests;
