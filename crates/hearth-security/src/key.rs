//! Keys: generation and loading with `ring`, COSE_Key encoding (RFC 9052 §7, RFC 9053 §7),
//! and key ids (`HRT-SEC-010` … `HRT-SEC-019`).
//!
//! A key id is the first 16 bytes of the SHA-256 COSE Key Thumbprint (RFC 9679) of the
//! public key: the deterministic CBOR encoding of the map holding only `kty`, `crv`, `x`
//! (and `y` for EC2 keys).

use core::fmt;

use ciborium::value::Value;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING,
};

use crate::alg::Algorithm;
use crate::cbor;
use crate::limits::MAX_KEY_SIZE;

/// Errors about keys: generation, loading, encoding and signing.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key encoding is not valid (with detail).
    #[error("malformed key: {0}")]
    Malformed(String),
    /// The key uses a key type, curve or algorithm Hearth does not accept.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The private part does not match the public part, or ring rejected the key.
    #[error("key rejected: {0}")]
    Rejected(String),
    /// The key id stored with the key differs from the one computed from it.
    #[error("key id mismatch: stored {stored}, computed {computed}")]
    KidMismatch {
        /// Key id found in the encoding.
        stored: String,
        /// Key id computed from the public key.
        computed: String,
    },
    /// A private key was expected but the encoding holds only a public key.
    #[error("not a private key")]
    NotPrivate,
    /// The random number generator or the signing primitive failed.
    #[error("signing or key generation failed")]
    Crypto,
}

/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 16;

/// A key id: the first 16 bytes of the SHA-256 COSE Key Thumbprint (RFC 9679) of a public
/// key (`HRT-SEC-011`, `HRT-SEC-012`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// Interpret a received `kid` value; `None` unless it is exactly 16 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; KEY_ID_LEN]>::try_from(bytes).ok().map(Self)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    /// Lower-case hexadecimal form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse the hexadecimal form.
    pub fn from_hex(s: &str) -> Option<Self> {
        hex::decode(s).ok().and_then(|b| Self::from_slice(&b))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

// COSE_Key labels and values (RFC 9052 §7.1, RFC 9053 §7).
pub(crate) const KTY: i64 = 1;
pub(crate) const KID: i64 = 2;
pub(crate) const ALG: i64 = 3;
pub(crate) const CRV: i64 = -1;
pub(crate) const X: i64 = -2;
pub(crate) const Y: i64 = -3;
pub(crate) const D: i64 = -4;
const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;

/// A public key of an accepted type. Cheap to copy: no heap allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// An Ed25519 public key (32 bytes).
    Ed25519([u8; 32]),
    /// A P-256 public key as an uncompressed SEC1 point (`04 || x || y`, 65 bytes).
    P256([u8; 65]),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ed25519(x) => write!(f, "PublicKey::Ed25519({})", hex::encode(x)),
            Self::P256(p) => write!(f, "PublicKey::P256({})", hex::encode(p)),
        }
    }
}

impl PublicKey {
    /// The algorithm this key is used with.
    pub const fn algorithm(&self) -> Algorithm {
        match self {
            Self::Ed25519(_) => Algorithm::EdDsa,
            Self::P256(_) => Algorithm::Es256,
        }
    }

    /// Raw public key bytes as ring takes them.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Ed25519(x) => x,
            Self::P256(p) => p,
        }
    }

    /// Build from raw bytes: 32 bytes Ed25519 or a 65-byte uncompressed P-256 point.
    pub fn from_raw(alg: Algorithm, bytes: &[u8]) -> Result<Self, KeyError> {
        match alg {
            Algorithm::EdDsa => <[u8; 32]>::try_from(bytes)
                .map(Self::Ed25519)
                .map_err(|_| KeyError::Malformed("Ed25519 public key must be 32 bytes".into())),
            Algorithm::Es256 => {
                let p = <[u8; 65]>::try_from(bytes)
                    .map_err(|_| KeyError::Malformed("P-256 public key must be 65 bytes".into()))?;
                if p[0] != 4 {
                    return Err(KeyError::Malformed(
                        "P-256 public key must be an uncompressed point".into(),
                    ));
                }
                Ok(Self::P256(p))
            }
        }
    }

    /// The thumbprint input of RFC 9679: `{1: kty, -1: crv, -2: x (, -3: y)}`, encoded
    /// deterministically. This is also the form carried in a certificate's `cnf` claim.
    pub(crate) fn thumbprint_value(&self) -> Value {
        let mut entries = Vec::with_capacity(4);
        match self {
            Self::Ed25519(x) => {
                entries.push((cbor::int(KTY), cbor::int(KTY_OKP)));
                entries.push((cbor::int(CRV), cbor::int(CRV_ED25519)));
                entries.push((cbor::int(X), Value::Bytes(x.to_vec())));
            }
            Self::P256(p) => {
                entries.push((cbor::int(KTY), cbor::int(KTY_EC2)));
                entries.push((cbor::int(CRV), cbor::int(CRV_P256)));
                entries.push((cbor::int(X), Value::Bytes(p[1..33].to_vec())));
                entries.push((cbor::int(Y), Value::Bytes(p[33..65].to_vec())));
            }
        }
        Value::Map(entries)
    }

    /// The key id (`HRT-SEC-011`): SHA-256 over the RFC 9679 thumbprint input, first 16
    /// bytes. Costs one small encoding and one hash; callers that need it often keep it.
    pub fn key_id(&self) -> KeyId {
        let encoded = cbor::encode(&self.thumbprint_value());
        let digest = ring::digest::digest(&ring::digest::SHA256, &encoded);
        let mut kid = [0u8; KEY_ID_LEN];
        kid.copy_from_slice(&digest.as_ref()[..KEY_ID_LEN]);
        KeyId(kid)
    }

    /// Verify `sig` over `msg` made with `alg`. The algorithm must match the key type.
    pub fn verify(&self, alg: Algorithm, msg: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        if alg != self.algorithm() {
            return Err(SignatureError::AlgorithmMismatch);
        }
        let ring_alg: &dyn signature::VerificationAlgorithm = match self {
            Self::Ed25519(_) => &signature::ED25519,
            Self::P256(_) => &signature::ECDSA_P256_SHA256_FIXED,
        };
        signature::UnparsedPublicKey::new(ring_alg, self.as_bytes())
            .verify(msg, sig)
            .map_err(|_| SignatureError::BadSignature)
    }

    /// Encode as a public COSE_Key file: `{1: kty, 2: kid, 3: alg, -1: crv, -2: x (, -3: y)}`.
    pub fn to_cose_key(&self) -> Vec<u8> {
        cbor::encode(&self.cose_key_value(None))
    }

    pub(crate) fn cose_key_value(&self, d: Option<&[u8]>) -> Value {
        let Value::Map(mut entries) = self.thumbprint_value() else {
            return Value::Null;
        };
        entries.push((cbor::int(KID), Value::Bytes(self.key_id().0.to_vec())));
        entries.push((cbor::int(ALG), cbor::int(self.algorithm().cose_id())));
        if let Some(d) = d {
            entries.push((cbor::int(D), Value::Bytes(d.to_vec())));
        }
        cbor::det_map(entries)
    }

    /// Decode a COSE_Key (public or private; a private part is ignored).
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        Ok(ParsedKey::parse(bytes)?.public)
    }

    /// Decode the `cnf` / thumbprint form of a key from a CBOR value.
    pub(crate) fn from_value(value: Value) -> Result<Self, KeyError> {
        Ok(ParsedKey::from_value(value)?.public)
    }
}

/// Why a raw signature check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The algorithm does not match the key type.
    #[error("algorithm does not match the key type")]
    AlgorithmMismatch,
    /// The signature does not verify.
    #[error("bad signature")]
    BadSignature,
}

/// A decoded COSE_Key.
struct ParsedKey {
    public: PublicKey,
    d: Option<Vec<u8>>,
}

impl ParsedKey {
    fn parse(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() > MAX_KEY_SIZE {
            return Err(KeyError::Malformed(format!(
                "key encoding of {} bytes exceeds {MAX_KEY_SIZE}",
                bytes.len()
            )));
        }
        let value = cbor::decode(bytes).map_err(KeyError::Malformed)?;
        Self::from_value(value)
    }

    fn from_value(value: Value) -> Result<Self, KeyError> {
        let entries = cbor::int_map(value, "COSE_Key").map_err(KeyError::Malformed)?;
        let (mut kty, mut crv, mut alg) = (None, None, None);
        let (mut x, mut y, mut d, mut kid) = (None, None, None, None);
        for (label, v) in entries {
            let int = || {
                cbor::as_i128(&v).ok_or_else(|| {
                    KeyError::Malformed(format!("COSE_Key label {label}: expected an integer"))
                })
            };
            let bytes = |v: Value| match v {
                Value::Bytes(b) => Ok(b),
                _ => Err(KeyError::Malformed(format!(
                    "COSE_Key label {label}: expected a byte string"
                ))),
            };
            match i64::try_from(label).unwrap_or(i64::MIN) {
                KTY => kty = Some(int()?),
                CRV => crv = Some(int()?),
                ALG => alg = Some(int()?),
                X => x = Some(bytes(v)?),
                Y => y = Some(bytes(v)?),
                D => d = Some(bytes(v)?),
                KID => kid = Some(bytes(v)?),
                // Other parameters (key_ops, base IV, …) carry no meaning for Hearth keys.
                _ => {}
            }
        }
        let x = x.ok_or_else(|| KeyError::Malformed("COSE_Key without x".into()))?;
        let public = match (kty, crv) {
            (Some(1), Some(6)) => {
                if y.is_some() {
                    return Err(KeyError::Malformed("OKP key with a y coordinate".into()));
                }
                if alg.is_some_and(|a| Algorithm::from_cose_id_i128(a) != Some(Algorithm::EdDsa)) {
                    return Err(KeyError::UnsupportedAlgorithm(
                        "Ed25519 key with an algorithm other than EdDSA".into(),
                    ));
                }
                PublicKey::from_raw(Algorithm::EdDsa, &x)?
            }
            (Some(2), Some(1)) => {
                let y = y.ok_or_else(|| KeyError::Malformed("EC2 key without y".into()))?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(KeyError::Malformed(
                        "P-256 coordinates must be 32 bytes".into(),
                    ));
                }
                if alg.is_some_and(|a| Algorithm::from_cose_id_i128(a) != Some(Algorithm::Es256)) {
                    return Err(KeyError::UnsupportedAlgorithm(
                        "P-256 key with an algorithm other than ES256".into(),
                    ));
                }
                let mut p = [0u8; 65];
                p[0] = 4;
                p[1..33].copy_from_slice(&x);
                p[33..].copy_from_slice(&y);
                PublicKey::P256(p)
            }
            (Some(kty), crv) => {
                return Err(KeyError::UnsupportedAlgorithm(format!(
                    "key type {kty} with curve {crv:?}"
                )))
            }
            (None, _) => return Err(KeyError::Malformed("COSE_Key without kty".into())),
        };
        if let Some(kid) = kid {
            let computed = public.key_id();
            if kid.as_slice() != computed.0.as_slice() {
                return Err(KeyError::KidMismatch {
                    stored: hex::encode(&kid),
                    computed: computed.to_hex(),
                });
            }
        }
        Ok(Self { public, d })
    }
}

impl Algorithm {
    fn from_cose_id_i128(id: i128) -> Option<Self> {
        i64::try_from(id).ok().and_then(Self::from_cose_id)
    }
}

/// A private signing key with its public key and key id.
pub struct KeyPair {
    inner: Inner,
    public: PublicKey,
    kid: KeyId,
}

enum Inner {
    Ed25519 {
        pair: Ed25519KeyPair,
        seed: [u8; 32],
    },
    P256 {
        pair: EcdsaKeyPair,
        d: [u8; 32],
        rng: SystemRandom,
    },
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("alg", &self.public.algorithm())
            .field("kid", &self.kid)
            .field("private", &"<redacted>")
            .finish()
    }
}

// Fixed DER prefixes of the PKCS#8 documents ring produces and reads.
// Ed25519, PKCS#8 v1 (RFC 8410) and v2 (RFC 5958): the 32-byte seed follows at offset 16.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
const ED25519_PKCS8_V2_PREFIX: [u8; 16] = [
    0x30, 0x51, 0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
// P-256 (RFC 5915 inside RFC 5208) as produced by ring: the private scalar follows at 36.
const P256_PKCS8_PREFIX: [u8; 36] = [
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20,
];

impl KeyPair {
    /// Generate a fresh key pair for `alg` with the given random number generator.
    pub fn generate(alg: Algorithm, rng: &dyn SecureRandom) -> Result<Self, KeyError> {
        match alg {
            Algorithm::EdDsa => {
                let mut seed = [0u8; 32];
                rng.fill(&mut seed).map_err(|_| KeyError::Crypto)?;
                Self::from_ed25519_seed(&seed)
            }
            Algorithm::Es256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
                    .map_err(|_| KeyError::Crypto)?;
                Self::from_pkcs8(Algorithm::Es256, doc.as_ref())
            }
        }
    }

    /// Generate a key pair with the operating system's random number generator.
    pub fn generate_system(alg: Algorithm) -> Result<Self, KeyError> {
        Self::generate(alg, &SystemRandom::new())
    }

    /// An Ed25519 key pair from its 32-byte seed (RFC 8032 private key). Deterministic.
    pub fn from_ed25519_seed(seed: &[u8; 32]) -> Result<Self, KeyError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|e| KeyError::Rejected(e.to_string()))?;
        let public = PublicKey::from_raw(Algorithm::EdDsa, pair.public_key().as_ref())?;
        Ok(Self {
            kid: public.key_id(),
            public,
            inner: Inner::Ed25519 { pair, seed: *seed },
        })
    }

    /// A P-256 key pair from its private scalar and uncompressed public point; ring checks
    /// that they match.
    pub fn from_p256_parts(d: &[u8; 32], public: &[u8]) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            d,
            public,
            &rng,
        )
        .map_err(|e| KeyError::Rejected(e.to_string()))?;
        let public = PublicKey::from_raw(Algorithm::Es256, pair.public_key().as_ref())?;
        Ok(Self {
            kid: public.key_id(),
            public,
            inner: Inner::P256 { pair, d: *d, rng },
        })
    }

    /// Load from a PKCS#8 document (Ed25519 v1/v2 as produced by ring or OpenSSL; P-256 in
    /// the form ring produces, which carries the public key).
    pub fn from_pkcs8(alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        match alg {
            Algorithm::EdDsa => {
                let seed = if der.starts_with(&ED25519_PKCS8_V1_PREFIX)
                    || der.starts_with(&ED25519_PKCS8_V2_PREFIX)
                {
                    der.get(16..48)
                } else {
                    None
                };
                let seed = seed
                    .and_then(|s| <[u8; 32]>::try_from(s).ok())
                    .ok_or_else(|| KeyError::Malformed("unrecognised Ed25519 PKCS#8".into()))?;
                // Let ring check the whole document (including a v2 public key).
                Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|e| KeyError::Rejected(e.to_string()))?;
                Self::from_ed25519_seed(&seed)
            }
            Algorithm::Es256 => {
                let rng = SystemRandom::new();
                let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
                    .map_err(|e| KeyError::Rejected(e.to_string()))?;
                let d = if der.starts_with(&P256_PKCS8_PREFIX) {
                    der.get(36..68).and_then(|s| <[u8; 32]>::try_from(s).ok())
                } else {
                    None
                }
                .ok_or_else(|| KeyError::Malformed("unrecognised P-256 PKCS#8 layout".into()))?;
                let public = PublicKey::from_raw(Algorithm::Es256, pair.public_key().as_ref())?;
                Ok(Self {
                    kid: public.key_id(),
                    public,
                    inner: Inner::P256 { pair, d, rng },
                })
            }
        }
    }

    /// Decode a private COSE_Key (`HRT-SEC-015`).
    pub fn from_cose_key(bytes: &[u8]) -> Result<Self, KeyError> {
        let parsed = ParsedKey::parse(bytes)?;
        let d = parsed.d.ok_or(KeyError::NotPrivate)?;
        let d = <[u8; 32]>::try_from(d.as_slice())
            .map_err(|_| KeyError::Malformed("private key d must be 32 bytes".into()))?;
        let pair = match parsed.public {
            PublicKey::Ed25519(_) => Self::from_ed25519_seed(&d)?,
            PublicKey::P256(p) => Self::from_p256_parts(&d, &p)?,
        };
        if pair.public != parsed.public {
            return Err(KeyError::Rejected("private key does not match x".into()));
        }
        Ok(pair)
    }

    /// Encode as a private COSE_Key: the public form plus `-4: d`. Handle with care.
    pub fn to_cose_key(&self) -> Vec<u8> {
        let d: &[u8] = match &self.inner {
            Inner::Ed25519 { seed, .. } => seed,
            Inner::P256 { d, .. } => d,
        };
        cbor::encode(&self.public.cose_key_value(Some(d)))
    }

    /// The public key.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key id of the public key.
    pub const fn key_id(&self) -> &KeyId {
        &self.kid
    }

    /// The signature algorithm.
    pub const fn algorithm(&self) -> Algorithm {
        self.public.algorithm()
    }

    /// Sign raw bytes (Ed25519 is deterministic; ECDSA draws a random nonce).
    pub fn sign_raw(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Ed25519 { pair, .. } => Ok(pair.sign(msg).as_ref().to_vec()),
            Inner::P256 { pair, rng, .. } => pair
                .sign(rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Crypto),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 8032 §7.1 test 1 (the key of the cose-wg eddsa examples).
    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const X: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn seed() -> [u8; 32] {
        let mut s = [0u8; 32];
        s.copy_from_slice(&hex::decode(SEED).unwrap_or_default());
        s
    }

    // HRT-SEC-011, HRT-SEC-012
    #[test]
    fn key_id_is_thumbprint_prefix() {
        let kp = KeyPair::from_ed25519_seed(&seed()).expect("valid seed");
        assert_eq!(hex::encode(kp.public_key().as_bytes()), X);
        let encoded = cbor::encode(&kp.public_key().thumbprint_value());
        // {1: 1, -1: 6, -2: h'…'}
        assert_eq!(hex::encode(&encoded[..7]), "a3010120062158");
        assert_eq!(encoded.len(), 40);
        let digest = ring::digest::digest(&ring::digest::SHA256, &encoded);
        assert_eq!(&digest.as_ref()[..16], kp.key_id().as_bytes());
        // The example of the security chapter, §4.2.
        assert_eq!(kp.key_id().to_hex(), "866eefbd6718c8846cd7ddfe43fc74ab");
    }

    // HRT-SEC-015
    #[test]
    fn cose_key_round_trip_ed25519() {
        let kp = KeyPair::from_ed25519_seed(&seed()).expect("valid seed");
        let private = kp.to_cose_key();
        let back = KeyPair::from_cose_key(&private).expect("round trip");
        assert_eq!(back.public_key(), kp.public_key());
        let public = kp.public_key().to_cose_key();
        assert_eq!(PublicKey::from_cose_key(&public), Ok(*kp.public_key()));
        assert_eq!(
            KeyPair::from_cose_key(&public).err(),
            Some(KeyError::NotPrivate)
        );
    }

    #[test]
    fn cose_key_round_trip_p256() {
        let kp = KeyPair::generate_system(Algorithm::Es256).expect("generate");
        let back = KeyPair::from_cose_key(&kp.to_cose_key()).expect("round trip");
        assert_eq!(back.public_key(), kp.public_key());
        let sig = back.sign_raw(b"m").expect("sign");
        assert_eq!(kp.public_key().verify(Algorithm::Es256, b"m", &sig), Ok(()));
    }

    #[test]
    fn pkcs8_ed25519() {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("generate");
        let kp = KeyPair::from_pkcs8(Algorithm::EdDsa, doc.as_ref()).expect("load");
        let sig = kp.sign_raw(b"m").expect("sign");
        assert_eq!(kp.public_key().verify(Algorithm::EdDsa, b"m", &sig), Ok(()));
    }

    // HRT-SEC-017
    #[test]
    fn kid_mismatch_rejected() {
        let kp = KeyPair::from_ed25519_seed(&seed()).expect("valid seed");
        let mut bytes = kp.public_key().to_cose_key();
        // The kid is the first byte string after label 2 (0x02 0x50).
        let pos = bytes
            .windows(2)
            .position(|w| w == [0x02, 0x50])
            .expect("kid");
        bytes[pos + 2] ^= 1;
        assert!(matches!(
            PublicKey::from_cose_key(&bytes),
            Err(KeyError::KidMismatch { .. })
        ));
    }

    // HRT-SEC-008
    #[test]
    fn wrong_algorithm_for_key() {
        let kp = KeyPair::from_ed25519_seed(&seed()).expect("valid seed");
        let sig = kp.sign_raw(b"m").expect("sign");
        assert_eq!(
            kp.public_key().verify(Algorithm::Es256, b"m", &sig),
            Err(SignatureError::AlgorithmMismatch)
        );
    }
}
