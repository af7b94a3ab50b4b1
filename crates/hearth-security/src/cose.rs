//! COSE_Sign1 (RFC 9052 §4.2) in the Hearth profile (`HRT-SEC-020` … `HRT-SEC-036`).
//!
//! Signing builds the structure with `coset`. Verification parses the outer array itself
//! so that the signature is checked over the protected header bytes exactly as received
//! (RFC 9052 §3 and §4.4), never over a re-encoding of them.

use ciborium::value::Value;
use coset::{iana, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};

use crate::alg::Algorithm;
use crate::cbor;
use crate::key::{KeyError, KeyId, KeyPair, PublicKey, SignatureError};
use crate::limits::MAX_MESSAGE_SIZE;
use crate::strict::{self, StrictError};

/// Deepest nesting of arrays and maps in a message envelope or its protected header (the
/// payload's own limit, `spec/04-messages.md` §10.1).
const MAX_ENVELOPE_DEPTH: usize = 16;

/// CBOR tag of COSE_Sign1 (RFC 9052 §2).
pub const COSE_SIGN1_TAG: u64 = 18;

/// Errors of [`verify_sign1`] and [`Sign1::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The input exceeds the size bound.
    #[error("message of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Received length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The input is not a well-formed COSE_Sign1 in the Hearth profile (with detail).
    #[error("malformed COSE_Sign1: {0}")]
    Malformed(String),
    /// The algorithm is absent from the protected header or not accepted.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// No key is known for the key id of the protected header.
    #[error("unknown key id {0}")]
    UnknownKid(String),
    /// The key found for the key id is of another type than the algorithm.
    #[error("algorithm does not match the signer's key type")]
    AlgorithmMismatch,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// The envelope (or its protected header) is well-formed CBOR, but outside the data
    /// model of the profile: an indefinite length, a tag other than the outer 18, a float, a
    /// simple value other than `false`, `true` and `null`, or a map key given twice
    /// (`spec/04-messages.md` §10.2).
    #[error("envelope outside the CBOR profile: {0}")]
    OutsideProfile(StrictError),
}

impl VerifyError {
    /// Stable short code used in vectors and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::UnknownKid(_) => "unknown_kid",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::BadSignature => "bad_signature",
            Self::OutsideProfile(_) => "outside_profile",
        }
    }
}

impl From<SignatureError> for VerifyError {
    fn from(e: SignatureError) -> Self {
        match e {
            SignatureError::AlgorithmMismatch => Self::AlgorithmMismatch,
            SignatureError::BadSignature => Self::BadSignature,
        }
    }
}

/// Something that signs: a [`KeyPair`] in memory, or a secure element.
pub trait Signer {
    /// The algorithm of the signatures.
    fn algorithm(&self) -> Algorithm;
    /// The key id of the signing key.
    fn key_id(&self) -> KeyId;
    /// Sign `msg` (the encoded `Sig_structure`) and return the raw signature (64 bytes:
    /// Ed25519, or `r || s` for ES256).
    fn sign_raw(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError>;
}

impl Signer for KeyPair {
    fn algorithm(&self) -> Algorithm {
        Self::algorithm(self)
    }
    fn key_id(&self) -> KeyId {
        *Self::key_id(self)
    }
    fn sign_raw(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        Self::sign_raw(self, msg)
    }
}

/// Maps a key id to a key whose certificate chain the caller has validated.
pub trait KeyResolver {
    /// The key for `kid`, if known.
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey>;
}

impl KeyResolver for PublicKey {
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey> {
        (self.key_id() == *kid).then_some(*self)
    }
}

impl KeyResolver for std::collections::HashMap<KeyId, PublicKey> {
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey> {
        self.get(kid).copied()
    }
}

impl KeyResolver for std::collections::BTreeMap<KeyId, PublicKey> {
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey> {
        self.get(kid).copied()
    }
}

impl<R: KeyResolver + ?Sized> KeyResolver for &R {
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey> {
        (**self).resolve(kid)
    }
}

/// Sign `payload` as a tagged COSE_Sign1 in the Hearth profile (`HRT-SEC-020`): protected
/// header `{1: alg, 4: kid}`, empty unprotected header, embedded payload, and `aad` (the
/// topic below the root, as UTF-8 bytes) as external AAD.
pub fn sign1(
    signer: &(impl Signer + ?Sized),
    payload: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, KeyError> {
    sign1_with_header(signer, payload, aad, &ProtectedHeader::new())
}

/// What a COSE_Sign1 made by [`sign1_with_header`] carries in its protected header beyond
/// the signer's `alg` (1) and `kid` (4): a content type (3) and further parameters, such as
/// CWT claims (15) or a certificate chain under a private label.
///
/// Messages carry none of these (`HRT-SEC-020`); certificates, revocation lists and signed
/// reports name their content type, and a signed report adds its signing time and chain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProtectedHeader {
    content_type: Option<String>,
    params: Vec<(i64, Value)>,
}

impl ProtectedHeader {
    /// `{1: alg, 4: kid}` only, as for messages.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a text content type (label 3), e.g. `application/hearth-report+json`.
    #[must_use]
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Add a parameter under an integer label other than 0 to 7 (the core parameters,
    /// which [`sign1_with_header`] sets itself or does not support); signing refuses a
    /// label given twice.
    #[must_use]
    pub fn param(mut self, label: i64, value: Value) -> Self {
        self.params.push((label, value));
        self
    }
}

/// Sign `payload` as a tagged COSE_Sign1 with `aad` as external AAD, an empty unprotected
/// header, an embedded payload and the protected header `{1: alg, 3: content type, 4: kid,
/// …parameters}` described by `header`.
///
/// The protected header is written in the deterministic encoding of RFC 8949 §4.2.1: the
/// parameters follow the core labels, sorted by their encoded labels (so 15 comes before
/// −65537), with shortest heads; the outer structure is `18([bstr, {}, bstr, bstr])`. The
/// same bytes a verifier checks the signature over are the ones written.
///
/// # Errors
///
/// [`KeyError::Malformed`] for a parameter label of 0 to 7 or a label given twice, and
/// whatever the signer returns.
pub fn sign1_with_header(
    signer: &(impl Signer + ?Sized),
    payload: &[u8],
    aad: &[u8],
    header: &ProtectedHeader,
) -> Result<Vec<u8>, KeyError> {
    let alg = match signer.algorithm() {
        Algorithm::EdDsa => iana::Algorithm::EdDSA,
        Algorithm::Es256 => iana::Algorithm::ES256,
    };
    let mut builder = HeaderBuilder::new()
        .algorithm(alg)
        .key_id(signer.key_id().0.to_vec());
    if let Some(ct) = &header.content_type {
        builder = builder.content_type(ct.clone());
    }
    let mut params = header.params.clone();
    params.sort_by_cached_key(|(label, _)| cbor::encode(&cbor::int(*label)));
    if let Some(w) = params.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(KeyError::Malformed(format!(
            "protected header parameter {} given twice",
            w[0].0
        )));
    }
    for (label, value) in params {
        if (0..=7).contains(&label) {
            return Err(KeyError::Malformed(format!(
                "protected header parameter {label} is a core parameter"
            )));
        }
        builder = builder.value(label, value);
    }
    let sign1 = CoseSign1Builder::new()
        .protected(builder.build())
        .payload(payload.to_vec())
        .try_create_signature(aad, |tbs| signer.sign_raw(tbs))?
        .build();
    sign1
        .to_tagged_vec()
        .map_err(|e| KeyError::Malformed(format!("encoding COSE_Sign1: {e}")))
}

/// The bytes a COSE_Sign1 signature covers, `Sig_structure = ["Signature1", body_protected,
/// external_aad, payload]` (RFC 9052 §4.4), from the protected header bytes exactly as
/// received. For envelopes that [`Sign1::parse`] does not take (a signed report's payload
/// may be far larger than a message), so their verifiers check the same bytes.
pub fn sig_structure(protected: &[u8], aad: &[u8], payload: &[u8]) -> Vec<u8> {
    cbor::sig_structure1(protected, aad, payload)
}

/// A parsed COSE_Sign1 with the protected header bytes kept as received. This is the
/// generic RFC 9052 view; [`verify_sign1`] applies the Hearth profile on top of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sign1 {
    /// Whether the input carried tag 18 (any other tag is rejected by [`Sign1::parse`]).
    pub tagged: bool,
    /// The protected header bytes exactly as received.
    pub protected_raw: Vec<u8>,
    /// The decoded protected header.
    pub protected: coset::Header,
    /// The decoded unprotected header.
    pub unprotected: coset::Header,
    /// The payload, `None` if detached (`nil`).
    pub payload: Option<Vec<u8>>,
    /// The signature bytes.
    pub signature: Vec<u8>,
}

fn malformed(detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed(detail.into())
}

impl Sign1 {
    /// Parse a COSE_Sign1, tagged (18) or untagged, bounded by [`MAX_MESSAGE_SIZE`].
    ///
    /// This is the generic view: any well-formed CBOR is read as ciborium reads it (a bignum
    /// as an integer, indefinite lengths taken). A message envelope is parsed strictly
    /// instead ([`Envelope::parse`], [`verify_sign1`]).
    pub fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        Self::parse_bounded(bytes, MAX_MESSAGE_SIZE, true, false)
    }

    /// `decode_unprotected: false` only checks that the unprotected header is a map and
    /// leaves [`Sign1::unprotected`] empty: the Hearth profile ignores it (`HRT-SEC-032`).
    /// `strict` decodes the envelope and its protected header in the CBOR profile of
    /// messages ([`strict::decode`]).
    pub(crate) fn parse_bounded(
        bytes: &[u8],
        max: usize,
        decode_unprotected: bool,
        strict: bool,
    ) -> Result<Self, VerifyError> {
        if bytes.len() > max {
            return Err(VerifyError::TooLarge {
                len: bytes.len(),
                max,
            });
        }
        let decode = |bytes: &[u8], outer_tag: Option<u64>| {
            if strict {
                strict::decode(bytes, outer_tag, MAX_ENVELOPE_DEPTH).map_err(|e| {
                    if e.is_outside_profile() {
                        VerifyError::OutsideProfile(e)
                    } else {
                        malformed(e.to_string())
                    }
                })
            } else {
                cbor::decode_any(bytes).map_err(malformed)
            }
        };
        let value = decode(bytes, Some(COSE_SIGN1_TAG))?;
        let (tagged, value) = match value {
            Value::Tag(COSE_SIGN1_TAG, inner) => (true, *inner),
            Value::Tag(tag, _) => return Err(malformed(format!("unexpected CBOR tag {tag}"))),
            other => (false, other),
        };
        let Value::Array(items) = value else {
            return Err(malformed("not an array"));
        };
        let Ok([protected, unprotected, payload, signature]) = <[Value; 4]>::try_from(items) else {
            return Err(malformed("COSE_Sign1 must have 4 elements"));
        };
        let Value::Bytes(protected_raw) = protected else {
            return Err(malformed("protected header is not a byte string"));
        };
        let protected = if protected_raw.is_empty() {
            coset::Header::default()
        } else {
            parse_header(decode(&protected_raw, None)?, "protected")?
        };
        let unprotected = if decode_unprotected {
            parse_header(unprotected, "unprotected")?
        } else if matches!(unprotected, Value::Map(_)) {
            coset::Header::default()
        } else {
            return Err(malformed("unprotected header is not a map"));
        };
        let payload = match payload {
            Value::Bytes(p) => Some(p),
            Value::Null => None,
            _ => return Err(malformed("payload is neither a byte string nor nil")),
        };
        let Value::Bytes(signature) = signature else {
            return Err(malformed("signature is not a byte string"));
        };
        Ok(Self {
            tagged,
            protected_raw,
            protected,
            unprotected,
            payload,
            signature,
        })
    }

    /// The bytes to be signed, `Sig_structure` (RFC 9052 §4.4), for external AAD `aad` and
    /// the embedded payload (or `detached` when the payload is detached).
    ///
    /// `body_protected` is the protected header as received; when it encodes an empty map
    /// the zero-length string is used, as §4.4 requires "if there are no protected
    /// attributes" (`HRT-SEC-035`).
    pub fn to_be_signed(&self, aad: &[u8], detached: Option<&[u8]>) -> Vec<u8> {
        let protected: &[u8] = if self.protected.is_empty() {
            &[]
        } else {
            &self.protected_raw
        };
        let payload = self.payload.as_deref().or(detached).unwrap_or_default();
        cbor::sig_structure1(protected, aad, payload)
    }
}

fn parse_header(value: Value, which: &str) -> Result<coset::Header, VerifyError> {
    use coset::AsCborValue;
    if !matches!(value, Value::Map(_)) {
        return Err(malformed(format!("{which} header is not a map")));
    }
    // Report an unaccepted algorithm as such rather than as a decoding failure.
    if let Value::Map(entries) = &value {
        for (k, v) in entries {
            if cbor::as_i128(k) == Some(1) {
                match v {
                    Value::Integer(i) => {
                        let id = i128::from(*i);
                        let known = i64::try_from(id).ok().and_then(Algorithm::from_cose_id);
                        if known.is_none() && coset::Algorithm::from_cbor_value(v.clone()).is_err()
                        {
                            return Err(VerifyError::UnsupportedAlgorithm(id.to_string()));
                        }
                    }
                    Value::Text(t) => {
                        return Err(VerifyError::UnsupportedAlgorithm(format!("{t:?}")));
                    }
                    _ => {}
                }
            }
        }
    }
    coset::Header::from_cbor_value(value).map_err(|e| malformed(format!("{which} header: {e}")))
}

/// A message whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Key id of the signer (from the protected header).
    pub kid: KeyId,
    /// Algorithm of the signature.
    pub alg: Algorithm,
    /// The payload (the encoded message).
    pub payload: Vec<u8>,
}

/// Verify a Hearth message (`HRT-SEC-030` … `HRT-SEC-036`): a tagged COSE_Sign1 at most
/// [`MAX_MESSAGE_SIZE`] bytes in the CBOR profile of messages ([`strict::decode`]), protected header holding an accepted `alg` and a 16-byte
/// `kid`, no `crit` and no content type, embedded payload, signature valid under the key
/// `resolver` returns for the kid, with `aad` as external AAD. The unprotected header is
/// ignored.
pub fn verify_sign1(
    bytes: &[u8],
    aad: &[u8],
    resolver: &(impl KeyResolver + ?Sized),
) -> Result<Verified, VerifyError> {
    let parsed = ProfileSign1::parse_message(bytes)?;
    let key = resolver
        .resolve(&parsed.kid)
        .ok_or_else(|| VerifyError::UnknownKid(parsed.kid.to_hex()))?;
    parsed.verify_with(&key, aad)?;
    Ok(Verified {
        kid: parsed.kid,
        alg: parsed.alg,
        payload: parsed.sign1.payload.unwrap_or_default(),
    })
}

/// A Hearth message envelope that passed the profile's structural checks but whose signature
/// is not yet verified. A receiver parses once, looks the signer up by [`kid`](Self::kid),
/// and verifies with [`verify`](Self::verify) — the same checks as [`verify_sign1`] without
/// parsing twice.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope(ProfileSign1);

impl Envelope {
    /// Parse a message envelope (`HRT-SEC-030`, `HRT-SEC-031`): tagged, at most
    /// [`MAX_MESSAGE_SIZE`] bytes, in the CBOR profile of messages ([`strict::decode`]:
    /// definite lengths, no tag but the outer 18, no repeated map key), an accepted algorithm and a 16-byte key id, no `crit`, no
    /// content type.
    pub fn parse(bytes: &[u8]) -> Result<Self, VerifyError> {
        Ok(Self(ProfileSign1::parse_message(bytes)?))
    }

    /// The signer's key id.
    pub fn kid(&self) -> &KeyId {
        &self.0.kid
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.0.alg
    }

    /// The payload, **not yet authenticated** (`HRT-SEC-036`, `HRT-SEC-037`).
    pub fn unverified_payload(&self) -> &[u8] {
        self.0.sign1.payload.as_deref().unwrap_or_default()
    }

    /// Verify the signature under `key` with `aad` as external AAD (`HRT-SEC-034`,
    /// `HRT-SEC-035`) and hand out the authenticated payload.
    pub fn verify(self, key: &PublicKey, aad: &[u8]) -> Result<Verified, VerifyError> {
        self.0.verify_with(key, aad)?;
        Ok(Verified {
            kid: self.0.kid,
            alg: self.0.alg,
            payload: self.0.sign1.payload.unwrap_or_default(),
        })
    }
}

/// A COSE_Sign1 that passed the Hearth profile's structural checks, not yet verified.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ProfileSign1 {
    pub(crate) sign1: Sign1,
    pub(crate) kid: KeyId,
    pub(crate) alg: Algorithm,
}

impl ProfileSign1 {
    /// The profile checks on a certificate or a revocation list, decoded strictly like a
    /// message envelope (HRT-SEC-137).
    pub(crate) fn parse(
        bytes: &[u8],
        max: usize,
        content_type: Option<&str>,
    ) -> Result<Self, VerifyError> {
        Self::parse_with(bytes, max, content_type, true)
    }

    /// The profile checks on a message envelope, decoded strictly ([`strict::decode`]). An
    /// envelope of the one shape Hearth senders produce is read straight from its bytes
    /// ([`canonical_envelope`]); any other goes through the general decoder, which accepts
    /// and refuses exactly as before.
    pub(crate) fn parse_message(bytes: &[u8]) -> Result<Self, VerifyError> {
        if bytes.len() <= MAX_MESSAGE_SIZE {
            if let Some(parsed) = canonical_envelope(bytes) {
                return Ok(parsed);
            }
        }
        Self::parse_with(bytes, MAX_MESSAGE_SIZE, None, true)
    }

    fn parse_with(
        bytes: &[u8],
        max: usize,
        content_type: Option<&str>,
        strict: bool,
    ) -> Result<Self, VerifyError> {
        let sign1 = Sign1::parse_bounded(bytes, max, false, strict)?;
        if !sign1.tagged {
            return Err(malformed("COSE_Sign1 tag 18 missing"));
        }
        let alg = match &sign1.protected.alg {
            Some(coset::Algorithm::Assigned(a)) => {
                Algorithm::from_cose_id(coset::iana::EnumI64::to_i64(a))
            }
            Some(coset::Algorithm::PrivateUse(a)) => Algorithm::from_cose_id(*a),
            Some(coset::Algorithm::Text(t)) => {
                return Err(VerifyError::UnsupportedAlgorithm(format!("{t:?}")))
            }
            None => {
                return Err(VerifyError::UnsupportedAlgorithm(
                    "no algorithm in the protected header".into(),
                ))
            }
        };
        let alg = alg.ok_or_else(|| {
            VerifyError::UnsupportedAlgorithm(format!("{:?}", sign1.protected.alg))
        })?;
        if sign1.protected.key_id.is_empty() {
            return Err(malformed("no kid in the protected header"));
        }
        let kid = KeyId::from_slice(&sign1.protected.key_id)
            .ok_or_else(|| malformed("kid is not 16 bytes"))?;
        if !sign1.protected.crit.is_empty() {
            return Err(malformed("critical header parameters are not supported"));
        }
        let got_ct = match &sign1.protected.content_type {
            None => None,
            Some(coset::ContentType::Text(t)) => Some(t.as_str()),
            Some(coset::ContentType::Assigned(_)) => Some(""),
        };
        if got_ct != content_type {
            return Err(malformed(format!(
                "content type {got_ct:?} where {content_type:?} is expected"
            )));
        }
        if sign1.payload.is_none() {
            return Err(malformed("detached payload"));
        }
        if sign1.signature.len() != alg.signature_len() {
            return Err(VerifyError::BadSignature);
        }
        Ok(Self { sign1, kid, alg })
    }

    pub(crate) fn verify_with(&self, key: &PublicKey, aad: &[u8]) -> Result<(), VerifyError> {
        if key.algorithm() != self.alg {
            return Err(VerifyError::AlgorithmMismatch);
        }
        let tbs = self.sign1.to_be_signed(aad, None);
        key.verify(self.alg, &tbs, &self.sign1.signature)?;
        Ok(())
    }

    pub(crate) fn payload(&self) -> &[u8] {
        self.sign1.payload.as_deref().unwrap_or_default()
    }
}

/// An envelope in the shape every Hearth sender writes — tag 18, a four-element array, the
/// protected header `{1: alg, 4: kid}` with EdDSA (-8) or ES256 (-7) and a 16-byte key id,
/// an empty unprotected map, the payload as a byte string of up to 65 535 bytes, and a
/// 64-byte signature, nothing after it — read from its bytes without a value tree.
///
/// `None` for any other bytes, which the general path then judges: this is a shortcut for
/// the common case, never a second set of rules. Everything it accepts the general path
/// accepts too, with the same result (a test checks both on sealed and on damaged
/// envelopes).
fn canonical_envelope(bytes: &[u8]) -> Option<ProfileSign1> {
    const EDDSA: u8 = 0x27; // -8
    const ES256: u8 = 0x26; // -7
    let head = bytes.get(..8)?;
    if head[..5] != [0xd2, 0x84, 0x55, 0xa2, 0x01] || head[6..8] != [0x04, 0x50] {
        return None;
    }
    let (alg, cose_alg) = match head[5] {
        EDDSA => (Algorithm::EdDsa, iana::Algorithm::EdDSA),
        ES256 => (Algorithm::Es256, iana::Algorithm::ES256),
        _ => return None,
    };
    let kid = KeyId::from_slice(bytes.get(8..24)?)?;
    if *bytes.get(24)? != 0xa0 {
        return None;
    }
    let (len, start) = match *bytes.get(25)? {
        h @ 0x40..=0x57 => (usize::from(h - 0x40), 26_usize),
        0x58 => (usize::from(*bytes.get(26)?), 27),
        0x59 => (
            usize::from(u16::from_be_bytes([*bytes.get(26)?, *bytes.get(27)?])),
            28,
        ),
        _ => return None,
    };
    let end = start.checked_add(len)?;
    let payload = bytes.get(start..end)?;
    if bytes.get(end..end.checked_add(2)?)? != [0x58, 0x40] || bytes.len() != end + 66 {
        return None;
    }
    let signature = &bytes[end + 2..];
    Some(ProfileSign1 {
        sign1: Sign1 {
            tagged: true,
            protected_raw: bytes[3..24].to_vec(),
            protected: HeaderBuilder::new()
                .algorithm(cose_alg)
                .key_id(kid.as_bytes().to_vec())
                .build(),
            unprotected: coset::Header::default(),
            payload: Some(payload.to_vec()),
            signature: signature.to_vec(),
        },
        kid,
        alg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for the canonical envelope gives what the general path gives, on sealed
    /// envelopes of both algorithms and payloads of every length form, and it never accepts
    /// what the general path refuses: every single-byte change of a sealed envelope is judged
    /// the same way by both (HRT-SEC-030, HRT-SEC-031, HRT-MSG-101 … HRT-MSG-104).
    #[test]
    fn the_canonical_shortcut_agrees_with_the_general_path() {
        let keys = [
            KeyPair::from_ed25519_seed(&[7; 32]).expect("ed25519"),
            KeyPair::generate_system(Algorithm::Es256).expect("p256"),
        ];
        for key in &keys {
            for len in [0_usize, 5, 23, 24, 200, 255, 256, 1000] {
                let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let sealed = sign1(key, &payload, b"d/fff1/x/report").expect("sealed");
                let fast = canonical_envelope(&sealed).expect("the canonical shape");
                let general = ProfileSign1::parse_with(&sealed, MAX_MESSAGE_SIZE, None, true)
                    .expect("the general path");
                assert_eq!(fast, general, "payload of {len} bytes");
                for at in 0..sealed.len() {
                    for flip in [0x01_u8, 0x80, 0xff] {
                        let mut damaged = sealed.clone();
                        damaged[at] ^= flip;
                        if let Some(fast) = canonical_envelope(&damaged) {
                            let general =
                                ProfileSign1::parse_with(&damaged, MAX_MESSAGE_SIZE, None, true);
                            assert_eq!(Ok(fast), general, "byte {at} ^ {flip:#x}");
                        }
                    }
                }
                let mut longer = sealed.clone();
                longer.push(0);
                assert!(canonical_envelope(&longer).is_none(), "a trailing byte");
                assert!(canonical_envelope(&sealed[..sealed.len() - 1]).is_none());
            }
        }
    }

    fn key() -> KeyPair {
        KeyPair::from_ed25519_seed(&[7u8; 32]).expect("seed")
    }

    // HRT-SEC-020, HRT-SEC-021, HRT-SEC-022, HRT-SEC-023
    #[test]
    fn sign_then_verify() {
        let k = key();
        let msg = sign1(&k, b"payload", b"d/abc/report").expect("sign");
        assert_eq!(msg[0], 0xd2, "tag 18");
        let v = verify_sign1(&msg, b"d/abc/report", k.public_key()).expect("verify");
        assert_eq!(v.payload, b"payload");
        assert_eq!(v.kid, *k.key_id());
        assert_eq!(v.alg, Algorithm::EdDsa);
    }

    // HRT-SEC-024, HRT-SEC-034: the AAD binds the topic.
    #[test]
    fn other_topic_rejected() {
        let k = key();
        let msg = sign1(&k, b"payload", b"d/abc/report").expect("sign");
        assert_eq!(
            verify_sign1(&msg, b"d/xyz/report", k.public_key()),
            Err(VerifyError::BadSignature)
        );
    }

    // HRT-SEC-033
    #[test]
    fn unknown_kid() {
        let k = key();
        let other = KeyPair::from_ed25519_seed(&[8u8; 32]).expect("seed");
        let msg = sign1(&k, b"p", b"t").expect("sign");
        assert!(matches!(
            verify_sign1(&msg, b"t", other.public_key()),
            Err(VerifyError::UnknownKid(_))
        ));
    }

    #[test]
    fn es256_round_trip() {
        let k = KeyPair::generate_system(Algorithm::Es256).expect("generate");
        let msg = sign1(&k, b"p", b"t").expect("sign");
        let v = verify_sign1(&msg, b"t", k.public_key()).expect("verify");
        assert_eq!(v.alg, Algorithm::Es256);
    }

    // HRT-SEC-030: untagged messages are rejected in the profile.
    #[test]
    fn untagged_rejected() {
        let k = key();
        let msg = sign1(&k, b"p", b"t").expect("sign");
        assert!(matches!(
            verify_sign1(&msg[1..], b"t", k.public_key()),
            Err(VerifyError::Malformed(_))
        ));
    }

    // HRT-SEC-032: the unprotected header is ignored, even when coset could not decode it.
    #[test]
    fn undecodable_unprotected_header_ignored() {
        let k = key();
        let msg = sign1(&k, b"p", b"t").expect("sign");
        // Replace the empty unprotected map (a0) by {4: h''}, an empty kid coset refuses.
        let pos = msg
            .windows(2)
            .position(|w| w == [0xa0, 0x41])
            .expect("unprotected map");
        let mut bad = msg[..pos].to_vec();
        bad.extend_from_slice(&[0xa1, 0x04, 0x40]);
        bad.extend_from_slice(&msg[pos + 1..]);
        assert!(Sign1::parse(&bad).is_err());
        assert!(verify_sign1(&bad, b"t", k.public_key()).is_ok());
    }

    // HRT-SEC-032: the unprotected header is ignored.
    #[test]
    fn unprotected_header_ignored() {
        let k = key();
        let msg = sign1(&k, b"p", b"t").expect("sign");
        let mut parsed = Sign1::parse(&msg).expect("parse");
        parsed.unprotected = HeaderBuilder::new().key_id(vec![1, 2, 3]).build();
        let rebuilt = coset::CoseSign1 {
            protected: coset::ProtectedHeader {
                original_data: Some(parsed.protected_raw.clone()),
                header: parsed.protected.clone(),
            },
            unprotected: parsed.unprotected.clone(),
            payload: parsed.payload.clone(),
            signature: parsed.signature.clone(),
        }
        .to_tagged_vec()
        .expect("encode");
        assert!(verify_sign1(&rebuilt, b"t", k.public_key()).is_ok());
    }

    /// The envelope of a signed report (`spec/06-conformance.md` §10.5), written by hand the
    /// way RFC 9052 and RFC 8949 §4.2.1 lay it out, is what `sign1_with_header` writes.
    #[test]
    fn content_type_and_parameters_in_deterministic_order() {
        let k = key();
        let chain = Value::Array(vec![Value::Bytes(vec![0xAB; 40])]);
        let claims = Value::Map(vec![(cbor::int(6), cbor::int(1_795_788_192))]);
        let header = ProtectedHeader::new()
            .content_type("application/hearth-report+json")
            .param(-65537, chain.clone())
            .param(15, claims.clone());
        let payload = br#"{"report":true}"#;
        let aad = b"hearth-report";
        let signed = sign1_with_header(&k, payload, aad, &header).expect("sign");

        let protected = cbor::encode(&Value::Map(vec![
            (cbor::int(1), cbor::int(-8)),
            (
                cbor::int(3),
                Value::Text("application/hearth-report+json".into()),
            ),
            (cbor::int(4), Value::Bytes(k.key_id().0.to_vec())),
            (cbor::int(15), claims),
            (cbor::int(-65537), chain),
        ]));
        let signature = k
            .sign_raw(&cbor::sig_structure1(&protected, aad, payload))
            .expect("sign");
        let expected = cbor::encode(&Value::Tag(
            COSE_SIGN1_TAG,
            Box::new(Value::Array(vec![
                Value::Bytes(protected),
                Value::Map(vec![]),
                Value::Bytes(payload.to_vec()),
                Value::Bytes(signature),
            ])),
        ));
        assert_eq!(signed, expected);

        let parsed = Sign1::parse(&signed).expect("parse");
        let tbs = parsed.to_be_signed(aad, None);
        assert!(k
            .public_key()
            .verify(Algorithm::EdDsa, &tbs, &parsed.signature)
            .is_ok());
        // A message verifier refuses a content type.
        assert!(matches!(
            verify_sign1(&signed, aad, k.public_key()),
            Err(VerifyError::Malformed(_))
        ));
    }

    /// A correctly signed message whose envelope is rewritten by `change` (the signature
    /// covers neither the outer array nor the unprotected header).
    fn rewritten(change: impl FnOnce(Vec<u8>) -> Vec<u8>) -> (KeyPair, Vec<u8>) {
        let k = key();
        let msg = sign1(&k, b"payload", b"t").expect("sign");
        assert_eq!(&msg[..2], &[0xd2, 0x84]);
        (k, change(msg))
    }

    // HRT-MSG-101: an indefinite-length outer array is refused; the generic view reads it.
    #[test]
    fn indefinite_length_envelope_is_outside_the_profile() {
        let (k, bad) = rewritten(|mut m| {
            m[1] = 0x9f;
            m.push(0xff);
            m
        });
        assert!(Sign1::parse(&bad).is_ok());
        assert_eq!(
            verify_sign1(&bad, b"t", k.public_key()),
            Err(VerifyError::OutsideProfile(StrictError::Indefinite {
                offset: 1
            }))
        );
        assert!(matches!(
            Envelope::parse(&bad),
            Err(VerifyError::OutsideProfile(StrictError::Indefinite { .. }))
        ));
    }

    // HRT-MSG-101, HRT-MSG-102, HRT-MSG-104: the unprotected header is ignored, but its CBOR
    // is the envelope's and must be in the profile.
    #[test]
    fn unprotected_header_cbor_is_in_the_profile() {
        let pos = |m: &[u8]| {
            m.windows(2)
                .position(|w| w == [0xa0, 0x47])
                .expect("unprotected map")
        };
        for (header, code) in [
            (&[0xbf, 0xff][..], "indefinite"),
            (&[0xa1, 0x04, 0xc2, 0x41, 0x01], "tag"),
            (&[0xa2, 0x61, b'x', 0x00, 0x61, b'x', 0x01], "duplicate"),
        ] {
            let (k, bad) = rewritten(|m| {
                let at = pos(&m);
                [&m[..at], header, &m[at + 1..]].concat()
            });
            let err = verify_sign1(&bad, b"t", k.public_key()).expect_err(code);
            assert!(
                matches!(err, VerifyError::OutsideProfile(_)),
                "{code}: {err}"
            );
            assert_eq!(err.code(), "outside_profile");
        }
    }

    // HRT-MSG-102: a bignum algorithm in the protected header is not -8; HRT-MSG-104: nor
    // is a protected header with its key id twice. (Signed as they are, so only the CBOR
    // rules can refuse them.)
    #[test]
    fn protected_header_cbor_is_in_the_profile() {
        let k = key();
        let kid = k.key_id().0;
        let mut bignum_alg = vec![0xa2, 0x01, 0xc3, 0x41, 0x07, 0x04, 0x50];
        bignum_alg.extend_from_slice(&kid);
        let mut twice_kid = vec![0xa3, 0x01, 0x27, 0x04, 0x50];
        twice_kid.extend_from_slice(&kid);
        twice_kid.extend_from_slice(&[0x04, 0x50]);
        twice_kid.extend_from_slice(&kid);
        for protected in [bignum_alg, twice_kid] {
            let tbs = cbor::sig_structure1(&protected, b"t", b"p");
            let signature = k.sign_raw(&tbs).expect("sign");
            let bytes = cbor::encode(&Value::Tag(
                COSE_SIGN1_TAG,
                Box::new(Value::Array(vec![
                    Value::Bytes(protected),
                    Value::Map(vec![]),
                    Value::Bytes(b"p".to_vec()),
                    Value::Bytes(signature),
                ])),
            ));
            assert!(matches!(
                verify_sign1(&bytes, b"t", k.public_key()),
                Err(VerifyError::OutsideProfile(_))
            ));
        }
    }

    #[test]
    fn core_and_repeated_labels_are_refused() {
        let k = key();
        for header in [
            ProtectedHeader::new().param(1, Value::Null),
            ProtectedHeader::new().param(0, Value::Null),
            ProtectedHeader::new()
                .param(15, Value::Null)
                .param(15, Value::Null),
        ] {
            assert!(matches!(
                sign1_with_header(&k, b"p", b"t", &header),
                Err(KeyError::Malformed(_))
            ));
        }
    }
}
