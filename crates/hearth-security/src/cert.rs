//! Certificates as CWTs (RFC 8392) with a proof-of-possession key (RFC 8747) and Hearth
//! role claims; issuing, parsing, trust store and chain validation (`HRT-SEC-040` …
//! `HRT-SEC-079`).
//!
//! A certificate is a tagged COSE_Sign1 signed by the issuer's key (`kid` = the issuer's key
//! id, content type [`CERT_CONTENT_TYPE`], empty external AAD) whose payload is the claims
//! map. Chains are given trust-anchor side first, leaf last.

use std::collections::BTreeMap;

use ciborium::value::Value;
use hearth_model::DeviceId;

use crate::cbor;
use crate::cose::{sign1_with_header, ProfileSign1, ProtectedHeader, Signer, VerifyError};
use crate::key::{KeyError, KeyId, PublicKey};
use crate::limits::{MAX_CERT_SIZE, MAX_CHAIN_LEN, MAX_TEXT_CLAIM, MAX_TRUST_ANCHORS};
use crate::revocation::RevocationSet;

/// Content type in the protected header of every certificate.
pub const CERT_CONTENT_TYPE: &str = "application/hearth-cert+cwt";

// CWT claim keys (RFC 8392 §4, RFC 8747 §3.1).
const ISS: i128 = 1;
const SUB: i128 = 2;
const EXP: i128 = 4;
const NBF: i128 = 5;
const IAT: i128 = 6;
const CNF: i128 = 8;
// cnf member holding a COSE_Key (RFC 8747 §3.2).
const CNF_COSE_KEY: i128 = 1;
// Hearth private claims (RFC 8392 §9.1: keys below −65536 are private use).
/// Claim key of the role.
pub const CLAIM_ROLE: i64 = -65537;
/// Claim key of the vendor id.
pub const CLAIM_VENDOR_ID: i64 = -65538;
/// Claim key of the device type.
pub const CLAIM_DEVICE_TYPE: i64 = -65539;
/// Claim key of the model.
pub const CLAIM_MODEL: i64 = -65540;

/// Errors about certificates, chains and trust stores.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// The certificate exceeds [`MAX_CERT_SIZE`].
    #[error("certificate of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Received length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The certificate is not well formed (with detail).
    #[error("malformed certificate: {0}")]
    Malformed(String),
    /// The signature or key algorithm is not accepted.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The certificate's signature does not verify under its issuer's key.
    #[error("bad signature on certificate {subject:?}")]
    BadSignature {
        /// Subject of the certificate.
        subject: String,
    },
    /// The issuer of the first certificate is not a trust anchor, or a certificate was not
    /// signed by the certificate before it, or `iss` differs from the issuer's `sub`.
    #[error("untrusted issuer: {0}")]
    UntrustedIssuer(String),
    /// The issuer's role may not issue this role, or a role-specific claim is wrong.
    #[error("wrong role: {0}")]
    WrongRole(String),
    /// A vendor CA issued a certificate for another vendor id.
    #[error("vendor id {} differs from the issuing vendor's {}", hearth_model::vendor::Hex(*.subject), hearth_model::vendor::Hex(*.issuer))]
    VendorMismatch {
        /// Vendor id of the issuer.
        issuer: u16,
        /// Vendor id in the issued certificate.
        subject: u16,
    },
    /// `now` is at or after `exp`.
    #[error("certificate {subject:?} expired at {exp} (now {now})")]
    Expired {
        /// Subject.
        subject: String,
        /// Expiry time.
        exp: u64,
        /// Validation time.
        now: u64,
    },
    /// `now` is before `nbf`.
    #[error("certificate {subject:?} not valid before {nbf} (now {now})")]
    NotYetValid {
        /// Subject.
        subject: String,
        /// Start of validity.
        nbf: u64,
        /// Validation time.
        now: u64,
    },
    /// The issuer's revocation list names the certificate's key id.
    #[error("certificate {subject:?} (key id {kid}) is revoked")]
    Revoked {
        /// Subject.
        subject: String,
        /// Revoked key id.
        kid: String,
    },
    /// The chain is empty or longer than [`MAX_CHAIN_LEN`].
    #[error("chain length {len} outside 1..={max}")]
    ChainLength {
        /// Given length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The trust store is full.
    #[error("trust store holds the maximum of {0} anchors")]
    TrustStoreFull(usize),
    /// Signing failed while issuing.
    #[error("issuing failed: {0}")]
    Key(#[from] KeyError),
}

impl CertError {
    /// Stable short code used in vectors and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::BadSignature { .. } => "bad_signature",
            Self::UntrustedIssuer(_) => "untrusted_issuer",
            Self::WrongRole(_) => "wrong_role",
            Self::VendorMismatch { .. } => "vendor_mismatch",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Revoked { .. } => "revoked",
            Self::ChainLength { .. } => "chain_length",
            Self::TrustStoreFull(_) => "trust_store_full",
            Self::Key(_) => "key",
        }
    }
}

impl From<VerifyError> for CertError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::TooLarge { len, max } => Self::TooLarge { len, max },
            VerifyError::UnsupportedAlgorithm(a) => Self::UnsupportedAlgorithm(a),
            VerifyError::UnknownKid(k) => Self::UntrustedIssuer(format!("unknown issuer key {k}")),
            VerifyError::BadSignature | VerifyError::AlgorithmMismatch => Self::BadSignature {
                subject: String::new(),
            },
            VerifyError::Malformed(m) => Self::Malformed(m),
            VerifyError::OutsideProfile(e) => Self::Malformed(e.to_string()),
        }
    }
}

/// The role a certificate grants (`HRT-SEC-050`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Trust anchor; self-signed.
    Root = 1,
    /// Vendor CA: issues devices (and gateway controllers) of its own vendor id.
    Vendor = 2,
    /// Test lab: signs conformance reports; issues nothing.
    Lab = 3,
    /// An appliance.
    Device = 4,
    /// A controller (app, gateway, test harness).
    Controller = 5,
}

impl Role {
    /// Numeric claim value.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// From the numeric claim value.
    pub const fn from_code(code: u64) -> Option<Self> {
        match code {
            1 => Some(Self::Root),
            2 => Some(Self::Vendor),
            3 => Some(Self::Lab),
            4 => Some(Self::Device),
            5 => Some(Self::Controller),
            _ => None,
        }
    }

    /// Lower-case name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Vendor => "vendor",
            Self::Lab => "lab",
            Self::Device => "device",
            Self::Controller => "controller",
        }
    }

    /// From the lower-case name.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Root,
            Self::Vendor,
            Self::Lab,
            Self::Device,
            Self::Controller,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }

    /// Whether a certificate of role `self` may issue one of role `subject`
    /// (`HRT-SEC-060` … `HRT-SEC-063`).
    pub const fn may_issue(self, subject: Self) -> bool {
        matches!(
            (self, subject),
            (Self::Root, Self::Vendor | Self::Lab | Self::Controller)
                | (Self::Vendor, Self::Device | Self::Controller)
        )
    }
}

impl core::fmt::Display for Role {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// The claims of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertClaims {
    /// `iss`: the issuer's subject name (equal to `sub` for a root).
    pub issuer: String,
    /// `sub`: the subject name (a device serial, vendor name, …).
    pub subject: String,
    /// `iat`: issue time, seconds since the Unix epoch.
    pub issued_at: u64,
    /// `nbf`: start of validity.
    pub not_before: u64,
    /// `exp`: end of validity (exclusive).
    pub expires: u64,
    /// `cnf`: the subject's public key.
    pub key: PublicKey,
    /// The role.
    pub role: Role,
    /// Vendor id (required for vendor and device; for a controller issued by a vendor).
    pub vendor_id: Option<u16>,
    /// Device type name from the catalog, e.g. `refrigerator` (devices only).
    pub device_type: Option<String>,
    /// Model (devices only).
    pub model: Option<String>,
}

fn text_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_TEXT_CLAIM
}

/// A device type name as in the catalog: lower-case kebab-case (`refrigerator`,
/// `air-conditioner`), at most 32 bytes (`HRT-SEC-054`).
pub fn valid_device_type(s: &str) -> bool {
    s.len() <= 32
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A vendor id: 0x0001–0xFFFE (`HRT-MOD-001`).
pub fn valid_vendor_id(v: &u16) -> bool {
    (0x0001..=0xFFFE).contains(v)
}

/// A device id (`HRT-MOD-002`, the rule of [`DeviceId::is_valid`]): the subject of a device
/// certificate (`HRT-SEC-053`).
pub fn valid_device_id(s: &str) -> bool {
    DeviceId::is_valid(s)
}

impl CertClaims {
    /// Check the claims a role requires (`HRT-SEC-049` … `HRT-SEC-059`).
    pub fn check_role_claims(&self) -> Result<(), CertError> {
        let wrong = |m: &str| {
            Err(CertError::WrongRole(format!(
                "{} certificate {m}",
                self.role
            )))
        };
        for (name, v) in [("iss", &self.issuer), ("sub", &self.subject)] {
            if !text_ok(v) {
                return Err(CertError::Malformed(format!(
                    "{name} must hold 1..={MAX_TEXT_CLAIM} bytes"
                )));
            }
        }
        if self.vendor_id.is_some_and(|v| !valid_vendor_id(&v)) {
            return Err(CertError::Malformed(
                "vendor id must lie in 0x0001-0xFFFE".into(),
            ));
        }
        if self.not_before >= self.expires {
            return Err(CertError::Malformed("nbf must be before exp".into()));
        }
        match self.role {
            Role::Vendor if self.vendor_id.is_none() => return wrong("without a vendor id"),
            Role::Device => {
                if self.vendor_id.is_none() {
                    return wrong("without a vendor id");
                }
                if !valid_device_id(&self.subject) {
                    return wrong("whose subject is not a device id");
                }
                match &self.device_type {
                    Some(t) if valid_device_type(t) => {}
                    _ => return wrong("without a valid device type"),
                }
                match &self.model {
                    Some(m) if text_ok(m) => {}
                    _ => return wrong("without a model"),
                }
            }
            _ => {}
        }
        if self.role != Role::Device && (self.device_type.is_some() || self.model.is_some()) {
            return wrong("with a device type or model");
        }
        if matches!(self.role, Role::Root | Role::Lab) && self.vendor_id.is_some() {
            return wrong("with a vendor id");
        }
        Ok(())
    }

    fn to_value(&self) -> Value {
        let cnf = vec![(cbor::int(1), self.key.thumbprint_value())];
        let mut m = vec![
            (cbor::int(1), Value::Text(self.issuer.clone())),
            (cbor::int(2), Value::Text(self.subject.clone())),
            (cbor::int(4), Value::from(self.expires)),
            (cbor::int(5), Value::from(self.not_before)),
            (cbor::int(6), Value::from(self.issued_at)),
            (cbor::int(8), Value::Map(cnf)),
            (cbor::int(CLAIM_ROLE), Value::from(self.role.code())),
        ];
        if let Some(v) = self.vendor_id {
            m.push((cbor::int(CLAIM_VENDOR_ID), Value::from(v)));
        }
        if let Some(t) = &self.device_type {
            m.push((cbor::int(CLAIM_DEVICE_TYPE), Value::Text(t.clone())));
        }
        if let Some(model) = &self.model {
            m.push((cbor::int(CLAIM_MODEL), Value::Text(model.clone())));
        }
        cbor::det_map(m)
    }

    /// Encode the claims map deterministically (RFC 8949 §4.2.1).
    pub fn to_cbor(&self) -> Vec<u8> {
        cbor::encode(&self.to_value())
    }

    /// Decode a claims map. Unknown claims are ignored (`HRT-SEC-045`).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CertError> {
        let value = cbor::decode(bytes).map_err(CertError::Malformed)?;
        let entries = cbor::int_map(value, "claims").map_err(CertError::Malformed)?;
        let mut issuer = None;
        let mut subject = None;
        let (mut exp, mut nbf, mut iat) = (None, None, None);
        let mut key = None;
        let mut role = None;
        let mut vendor_id = None;
        let mut device_type = None;
        let mut model = None;
        let bad = |m: &str| CertError::Malformed(m.to_owned());
        let text = |v: Value, name: &str| match v {
            Value::Text(t) if text_ok(&t) => Ok(t),
            _ => Err(CertError::Malformed(format!(
                "{name} must be a text string of 1..={MAX_TEXT_CLAIM} bytes"
            ))),
        };
        let time = |v: &Value, name: &str| {
            cbor::as_u64(v)
                .ok_or_else(|| CertError::Malformed(format!("{name} must be an unsigned integer")))
        };
        for (k, v) in entries {
            match k {
                ISS => issuer = Some(text(v, "iss")?),
                SUB => subject = Some(text(v, "sub")?),
                EXP => exp = Some(time(&v, "exp")?),
                NBF => nbf = Some(time(&v, "nbf")?),
                IAT => iat = Some(time(&v, "iat")?),
                CNF => {
                    let cnf = cbor::int_map(v, "cnf").map_err(CertError::Malformed)?;
                    let [(CNF_COSE_KEY, k)] = <[(i128, Value); 1]>::try_from(cnf)
                        .map_err(|_| bad("cnf must hold exactly a COSE_Key"))?
                    else {
                        return Err(bad("cnf must hold a COSE_Key (label 1)"));
                    };
                    key = Some(PublicKey::from_value(k).map_err(|e| match e {
                        KeyError::UnsupportedAlgorithm(a) => CertError::UnsupportedAlgorithm(a),
                        other => CertError::Malformed(format!("cnf key: {other}")),
                    })?);
                }
                k if k == i128::from(CLAIM_ROLE) => {
                    role = Some(
                        cbor::as_u64(&v)
                            .and_then(Role::from_code)
                            .ok_or_else(|| CertError::WrongRole("unknown role value".into()))?,
                    );
                }
                k if k == i128::from(CLAIM_VENDOR_ID) => {
                    vendor_id = Some(
                        cbor::as_u64(&v)
                            .and_then(|v| u16::try_from(v).ok())
                            .filter(valid_vendor_id)
                            .ok_or_else(|| bad("vendor id must lie in 0x0001-0xFFFE"))?,
                    );
                }
                k if k == i128::from(CLAIM_DEVICE_TYPE) => {
                    device_type = Some(text(v, "device type")?);
                }
                k if k == i128::from(CLAIM_MODEL) => model = Some(text(v, "model")?),
                _ => {}
            }
        }
        let claims = Self {
            issuer: issuer.ok_or_else(|| bad("missing iss"))?,
            subject: subject.ok_or_else(|| bad("missing sub"))?,
            issued_at: iat.ok_or_else(|| bad("missing iat"))?,
            not_before: nbf.ok_or_else(|| bad("missing nbf"))?,
            expires: exp.ok_or_else(|| bad("missing exp"))?,
            key: key.ok_or_else(|| bad("missing cnf"))?,
            role: role.ok_or_else(|| CertError::WrongRole("missing role".into()))?,
            vendor_id,
            device_type,
            model,
        };
        claims.check_role_claims()?;
        Ok(claims)
    }
}

/// A parsed certificate. Parsing checks structure and claims, not the signature: that is
/// done against the issuer in [`validate_chain`] and [`TrustStore::add_root`].
#[derive(Debug, Clone, PartialEq)]
pub struct Certificate {
    bytes: Vec<u8>,
    signed: ProfileSign1,
    claims: CertClaims,
    subject_kid: KeyId,
}

/// The protected header of a certificate: its content type.
fn cert_header() -> ProtectedHeader {
    ProtectedHeader::new().content_type(CERT_CONTENT_TYPE)
}

impl Certificate {
    /// Parse a certificate (at most [`MAX_CERT_SIZE`] bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertError> {
        let signed = ProfileSign1::parse(bytes, MAX_CERT_SIZE, Some(CERT_CONTENT_TYPE))?;
        let claims = CertClaims::from_cbor(signed.payload())?;
        Ok(Self {
            bytes: bytes.to_vec(),
            subject_kid: claims.key.key_id(),
            signed,
            claims,
        })
    }

    /// Sign `claims` with `signer` without checking any chain rule. Use [`Certificate::issue`]
    /// for certificates meant to validate; this exists for test vectors of invalid chains.
    pub fn sign(claims: &CertClaims, signer: &(impl Signer + ?Sized)) -> Result<Self, CertError> {
        let bytes = sign1_with_header(signer, &claims.to_cbor(), b"", &cert_header())?;
        Self::from_bytes(&bytes)
    }

    /// Sign an arbitrary claims map (already CBOR-encoded) as a certificate, without parsing
    /// it back: the encoded certificate. This exists to make malformed certificates —
    /// a missing role, unknown claims — for vectors and conformance tests; nothing that
    /// issues real certificates should use it.
    pub fn sign_encoded_claims(
        claims: &[u8],
        signer: &(impl Signer + ?Sized),
    ) -> Result<Vec<u8>, CertError> {
        Ok(sign1_with_header(signer, claims, b"", &cert_header())?)
    }

    /// Issue a certificate following the chain rules: `issuer` is the issuer's
    /// certificate and `signer` its key, or `None` for a self-signed root.
    pub fn issue(
        claims: &CertClaims,
        issuer: Option<&Self>,
        signer: &(impl Signer + ?Sized),
    ) -> Result<Self, CertError> {
        claims.check_role_claims()?;
        match issuer {
            None => {
                if claims.role != Role::Root {
                    return Err(CertError::WrongRole(format!(
                        "only a root is self-signed, not a {}",
                        claims.role
                    )));
                }
                if claims.key.key_id() != signer.key_id() || claims.issuer != claims.subject {
                    return Err(CertError::UntrustedIssuer(
                        "a root must be signed by its own key and name itself as issuer".into(),
                    ));
                }
            }
            Some(issuer) => {
                if issuer.subject_kid != signer.key_id() {
                    return Err(CertError::UntrustedIssuer(
                        "signing key does not match the issuer certificate".into(),
                    ));
                }
                check_issuance(issuer.claims(), claims)?;
            }
        }
        Self::sign(claims, signer)
    }

    /// The encoded certificate.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The claims.
    pub const fn claims(&self) -> &CertClaims {
        &self.claims
    }

    /// Key id of the subject key (`cnf`).
    pub const fn subject_kid(&self) -> &KeyId {
        &self.subject_kid
    }

    /// Key id of the issuer key (`kid` of the protected header).
    pub const fn issuer_kid(&self) -> &KeyId {
        &self.signed.kid
    }

    /// Whether the certificate is self-signed (issuer key = subject key).
    pub fn is_self_signed(&self) -> bool {
        self.signed.kid == self.subject_kid
    }

    /// Verify the signature with the issuer's key.
    pub fn verify_signature(&self, issuer_key: &PublicKey) -> Result<(), CertError> {
        self.signed
            .verify_with(issuer_key, b"")
            .map_err(|_| CertError::BadSignature {
                subject: self.claims.subject.clone(),
            })
    }

    /// Check `nbf <= now < exp` (`HRT-SEC-070`, `HRT-SEC-071`).
    pub fn check_validity(&self, now: u64) -> Result<(), CertError> {
        let c = &self.claims;
        if now < c.not_before {
            return Err(CertError::NotYetValid {
                subject: c.subject.clone(),
                nbf: c.not_before,
                now,
            });
        }
        if now >= c.expires {
            return Err(CertError::Expired {
                subject: c.subject.clone(),
                exp: c.expires,
                now,
            });
        }
        Ok(())
    }
}

/// The issuance rules between an issuer and a subject (`HRT-SEC-058` … `HRT-SEC-063`,
/// `HRT-SEC-066`, `HRT-SEC-069`).
fn check_issuance(issuer: &CertClaims, subject: &CertClaims) -> Result<(), CertError> {
    if !issuer.role.may_issue(subject.role) {
        return Err(CertError::WrongRole(format!(
            "a {} may not issue a {} certificate",
            issuer.role, subject.role
        )));
    }
    if subject.issuer != issuer.subject {
        return Err(CertError::UntrustedIssuer(format!(
            "iss {:?} differs from the issuer's sub {:?}",
            subject.issuer, issuer.subject
        )));
    }
    if issuer.role == Role::Vendor {
        let (Some(iv), Some(sv)) = (issuer.vendor_id, subject.vendor_id) else {
            return Err(CertError::WrongRole(
                "a certificate issued by a vendor must carry the vendor id".into(),
            ));
        };
        if iv != sv {
            return Err(CertError::VendorMismatch {
                issuer: iv,
                subject: sv,
            });
        }
    }
    if issuer.role == Role::Root && subject.role == Role::Controller && subject.vendor_id.is_some()
    {
        return Err(CertError::WrongRole(
            "a controller issued by a root carries no vendor id".into(),
        ));
    }
    Ok(())
}

/// The trust anchors: self-signed root certificates, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    roots: BTreeMap<KeyId, Certificate>,
}

impl TrustStore {
    /// An empty trust store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a root: it must be self-signed, have role root and a valid signature
    /// (`HRT-SEC-077`). Validity times are checked at validation time, not here.
    pub fn add_root(&mut self, cert: Certificate) -> Result<(), CertError> {
        if cert.claims.role != Role::Root {
            return Err(CertError::WrongRole(format!(
                "trust anchor has role {}",
                cert.claims.role
            )));
        }
        if !cert.is_self_signed() || cert.claims.issuer != cert.claims.subject {
            return Err(CertError::UntrustedIssuer(
                "trust anchor is not self-signed".into(),
            ));
        }
        cert.verify_signature(&cert.claims.key)?;
        if self.roots.len() >= MAX_TRUST_ANCHORS && !self.roots.contains_key(&cert.subject_kid) {
            return Err(CertError::TrustStoreFull(MAX_TRUST_ANCHORS));
        }
        self.roots.insert(cert.subject_kid, cert);
        Ok(())
    }

    /// Parse and add a root.
    pub fn add_root_bytes(&mut self, bytes: &[u8]) -> Result<(), CertError> {
        self.add_root(Certificate::from_bytes(bytes)?)
    }

    /// The root with this key id.
    pub fn get(&self, kid: &KeyId) -> Option<&Certificate> {
        self.roots.get(kid)
    }

    /// Iterate over the roots.
    pub fn roots(&self) -> impl Iterator<Item = &Certificate> {
        self.roots.values()
    }

    /// Number of roots.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }
}

/// The outcome of a successful chain validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedChain {
    /// Claims of the leaf certificate.
    pub leaf: CertClaims,
    /// Key id of the leaf's key.
    pub leaf_kid: KeyId,
    /// Key ids of the certificate authorities above the leaf, nearest first, ending with
    /// the trust anchor.
    pub ca_kids: Vec<KeyId>,
    /// The latest `nbf` of the chain, trust anchor included.
    pub valid_from: u64,
    /// The earliest `exp` of the chain, trust anchor included: the chain is valid while
    /// `valid_from <= now < valid_until`.
    pub valid_until: u64,
}

impl ValidatedChain {
    /// The leaf's public key.
    pub const fn leaf_key(&self) -> &PublicKey {
        &self.leaf.key
    }

    /// The leaf's role.
    pub const fn role(&self) -> Role {
        self.leaf.role
    }

    /// The trust anchor's key id.
    pub fn root_kid(&self) -> Option<&KeyId> {
        self.ca_kids.last()
    }

    /// Whether every certificate of the chain is valid at `now` (`HRT-SEC-075`).
    pub const fn is_valid_at(&self, now: u64) -> bool {
        self.valid_from <= now && now < self.valid_until
    }

    /// The (issuer key id, subject key id) pair of every certificate of the chain, leaf
    /// first; what revocation lists are matched against.
    pub fn links(&self) -> impl Iterator<Item = (KeyId, KeyId)> + '_ {
        let subjects = core::iter::once(self.leaf_kid).chain(self.ca_kids.iter().copied());
        self.ca_kids.iter().copied().zip(subjects)
    }

    /// Whether `revoked` revokes any certificate of the chain.
    pub fn is_revoked(&self, revoked: &RevocationSet) -> bool {
        self.links().any(|(i, s)| revoked.is_revoked(&i, &s))
    }
}

/// Validate `chain` (trust-anchor side first, leaf last; the anchor itself is not part of
/// it, but a leading copy of a trust anchor is skipped) at time `now` against `trust`,
/// applying the revocation lists in `revoked` (`HRT-SEC-064` … `HRT-SEC-072`).
///
/// For each certificate, in order: issuer known, signature, issuer name, role and vendor
/// rules, validity at `now`, revocation. The first failure is returned.
pub fn validate_chain(
    trust: &TrustStore,
    chain: &[Certificate],
    now: u64,
    revoked: &RevocationSet,
) -> Result<ValidatedChain, CertError> {
    let chain = match chain.first() {
        Some(first)
            if first.is_self_signed()
                && trust.get(first.subject_kid()).map(|r| r.as_bytes())
                    == Some(first.as_bytes()) =>
        {
            &chain[1..]
        }
        _ => chain,
    };
    if chain.is_empty() || chain.len() > MAX_CHAIN_LEN {
        return Err(CertError::ChainLength {
            len: chain.len(),
            max: MAX_CHAIN_LEN,
        });
    }
    let first = &chain[0];
    let root = trust.get(first.issuer_kid()).ok_or_else(|| {
        CertError::UntrustedIssuer(format!(
            "issuer key {} of {:?} is not a trust anchor",
            first.issuer_kid(),
            first.claims.subject
        ))
    })?;
    root.check_validity(now)?;
    let mut valid_from = root.claims.not_before;
    let mut valid_until = root.claims.expires;
    let mut issuer = root;
    let mut ca_kids = vec![*root.subject_kid()];
    for (i, cert) in chain.iter().enumerate() {
        if cert.issuer_kid() != issuer.subject_kid() {
            return Err(CertError::UntrustedIssuer(format!(
                "{:?} is not signed by {:?}",
                cert.claims.subject, issuer.claims.subject
            )));
        }
        cert.verify_signature(&issuer.claims.key)?;
        check_issuance(&issuer.claims, &cert.claims)?;
        cert.check_validity(now)?;
        if revoked.is_revoked(issuer.subject_kid(), cert.subject_kid()) {
            return Err(CertError::Revoked {
                subject: cert.claims.subject.clone(),
                kid: cert.subject_kid().to_hex(),
            });
        }
        if i + 1 < chain.len() {
            ca_kids.push(*cert.subject_kid());
        }
        valid_from = valid_from.max(cert.claims.not_before);
        valid_until = valid_until.min(cert.claims.expires);
        issuer = cert;
    }
    ca_kids.reverse();
    Ok(ValidatedChain {
        leaf: issuer.claims.clone(),
        leaf_kid: *issuer.subject_kid(),
        ca_kids,
        valid_from,
        valid_until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyPair;

    const NOW: u64 = 1_800_000_000;

    fn kp(n: u8) -> KeyPair {
        KeyPair::from_ed25519_seed(&[n; 32]).expect("seed")
    }

    /// HRT-SEC-137: a claims set that gives a key twice (two subjects) is refused, whichever
    /// one a lenient decoder would keep; so is one outside the profile in another way.
    #[test]
    fn claims_outside_the_cbor_profile_are_refused() {
        let ca = kp(1);
        let leaf = kp(2);
        let encoded = claims("ca", "ctl", &leaf, Role::Controller).to_cbor();
        let good = Certificate::sign_encoded_claims(&encoded, &ca).expect("signed");
        assert!(Certificate::from_bytes(&good).is_ok());
        let Ok(Value::Map(mut entries)) = crate::cbor::decode(&encoded) else {
            panic!("claims are a map");
        };
        entries.push((Value::from(SUB), Value::Text("someone-else".into())));
        let twice =
            Certificate::sign_encoded_claims(&crate::cbor::encode(&Value::Map(entries)), &ca)
                .expect("signed");
        assert!(
            Certificate::from_bytes(&twice).is_err(),
            "a repeated sub claim"
        );
        // The same claims in an indefinite-length map: 0xbf … 0xff instead of a definite head.
        let mut indefinite = vec![0xbf];
        indefinite.extend_from_slice(&encoded[1..]);
        indefinite.push(0xff);
        let signed = Certificate::sign_encoded_claims(&indefinite, &ca).expect("signed");
        assert!(
            Certificate::from_bytes(&signed).is_err(),
            "an indefinite-length map"
        );
    }

    fn claims(iss: &str, sub: &str, key: &KeyPair, role: Role) -> CertClaims {
        CertClaims {
            issuer: iss.into(),
            subject: sub.into(),
            issued_at: NOW - 10,
            not_before: NOW - 10,
            expires: NOW + 1000,
            key: *key.public_key(),
            role,
            vendor_id: matches!(role, Role::Vendor | Role::Device).then_some(0xFFF1),
            device_type: (role == Role::Device).then(|| "refrigerator".into()),
            model: (role == Role::Device).then(|| "RF-1".into()),
        }
    }

    fn pki() -> (TrustStore, Certificate, Certificate, KeyPair) {
        let (rk, vk, dk) = (kp(1), kp(2), kp(3));
        let root =
            Certificate::issue(&claims("root", "root", &rk, Role::Root), None, &rk).expect("root");
        let vendor = Certificate::issue(&claims("root", "v", &vk, Role::Vendor), Some(&root), &rk)
            .expect("vendor");
        let device = Certificate::issue(&claims("v", "d", &dk, Role::Device), Some(&vendor), &vk)
            .expect("device");
        let mut trust = TrustStore::new();
        trust.add_root(root).expect("add root");
        (trust, vendor, device, vk)
    }

    // HRT-SEC-064
    #[test]
    fn valid_device_chain() {
        let (trust, vendor, device, _) = pki();
        let v =
            validate_chain(&trust, &[vendor, device], NOW, &RevocationSet::new()).expect("valid");
        assert_eq!(v.role(), Role::Device);
        assert_eq!(v.ca_kids.len(), 2);
        assert_eq!(v.leaf_kid, *kp(3).key_id());
        assert_eq!(v.ca_kids[0], *kp(2).key_id());
    }

    // HRT-SEC-070, HRT-SEC-071
    #[test]
    fn validity_window() {
        let (trust, vendor, device, _) = pki();
        let chain = [vendor, device];
        let none = RevocationSet::new();
        assert_eq!(
            validate_chain(&trust, &chain, NOW + 1000, &none).map_err(|e| e.code()),
            Err("expired")
        );
        assert_eq!(
            validate_chain(&trust, &chain, NOW - 11, &none).map_err(|e| e.code()),
            Err("not_yet_valid")
        );
    }

    // HRT-SEC-063
    #[test]
    fn vendor_cannot_issue_other_vendor_id() {
        let (_, vendor, _, vk) = pki();
        let mut c = claims("v", "d2", &kp(4), Role::Device);
        c.vendor_id = Some(0xFFF2);
        assert_eq!(
            Certificate::issue(&c, Some(&vendor), &vk).map_err(|e| e.code()),
            Err("vendor_mismatch")
        );
    }

    // HRT-SEC-062, HRT-SEC-067
    #[test]
    fn device_cannot_issue() {
        let (trust, vendor, device, _) = pki();
        let dk = kp(3);
        let bad = Certificate::sign(&claims("d", "x", &kp(5), Role::Device), &dk).expect("sign");
        assert_eq!(
            validate_chain(&trust, &[vendor, device, bad], NOW, &RevocationSet::new())
                .map_err(|e| e.code()),
            Err("chain_length")
        );
    }

    #[test]
    fn claims_round_trip() {
        let c = claims("v", "d", &kp(3), Role::Device);
        assert_eq!(CertClaims::from_cbor(&c.to_cbor()), Ok(c));
    }
}
