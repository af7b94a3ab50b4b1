//! Signed revocation lists, one per issuing CA (`HRT-SEC-080` … `HRT-SEC-089`).
//!
//! A revocation list is a tagged COSE_Sign1 signed by the CA (content type
//! [`CRL_CONTENT_TYPE`], empty external AAD) over the map
//! `{1: issuer name, 2: this update, 3: next update, 4: [* revoked key id]}`.

use std::collections::{BTreeMap, BTreeSet};

use ciborium::value::Value;

use crate::cbor;
use crate::cert::Certificate;
use crate::cose::{sign1_with_header, ProfileSign1, ProtectedHeader, Signer, VerifyError};
use crate::key::{KeyError, KeyId};
use crate::limits::{MAX_REVOCATION_LIST_SIZE, MAX_REVOKED, MAX_TEXT_CLAIM};

/// Content type in the protected header of every revocation list.
pub const CRL_CONTENT_TYPE: &str = "application/hearth-crl+cbor";

/// Errors about revocation lists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The list exceeds [`MAX_REVOCATION_LIST_SIZE`] or [`MAX_REVOKED`] entries.
    #[error("revocation list too large: {0}")]
    TooLarge(String),
    /// The list is not well formed (with detail).
    #[error("malformed revocation list: {0}")]
    Malformed(String),
    /// The algorithm is not accepted.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The list was not signed by the given issuer, or names another issuer.
    #[error("untrusted issuer: {0}")]
    UntrustedIssuer(String),
    /// The issuer's role issues nothing, so it has nothing to revoke.
    #[error("wrong role: a {0} issues no certificates")]
    WrongRole(String),
    /// The signature does not verify.
    #[error("bad signature on revocation list")]
    BadSignature,
    /// `this update` is after `now`.
    #[error("revocation list not valid before {this_update} (now {now})")]
    NotYetValid {
        /// Issue time of the list.
        this_update: u64,
        /// Validation time.
        now: u64,
    },
    /// A list at least as recent from the same issuer is already held.
    #[error("revocation list of {this_update} is not newer than the held one of {held}")]
    NotNewer {
        /// Issue time of the offered list.
        this_update: u64,
        /// Issue time of the held list.
        held: u64,
    },
    /// Signing failed while issuing.
    #[error("issuing failed: {0}")]
    Key(#[from] KeyError),
}

impl RevocationError {
    /// Stable short code used in vectors and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge(_) => "too_large",
            Self::Malformed(_) => "malformed",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::UntrustedIssuer(_) => "untrusted_issuer",
            Self::WrongRole(_) => "wrong_role",
            Self::BadSignature => "bad_signature",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::NotNewer { .. } => "not_newer",
            Self::Key(_) => "key",
        }
    }
}

impl From<VerifyError> for RevocationError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::TooLarge { len, max } => Self::TooLarge(format!("{len} > {max} bytes")),
            VerifyError::UnsupportedAlgorithm(a) => Self::UnsupportedAlgorithm(a),
            VerifyError::UnknownKid(k) => Self::UntrustedIssuer(k),
            VerifyError::BadSignature | VerifyError::AlgorithmMismatch => Self::BadSignature,
            VerifyError::Malformed(m) => Self::Malformed(m),
            VerifyError::OutsideProfile(e) => Self::Malformed(e.to_string()),
        }
    }
}

/// The content of a revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// Subject name of the issuing CA.
    pub issuer: String,
    /// Issue time of this list (seconds since the Unix epoch).
    pub this_update: u64,
    /// Time by which the CA publishes the next list.
    pub next_update: u64,
    /// Key ids of the revoked certificates' subject keys, in ascending order.
    pub revoked: BTreeSet<KeyId>,
}

impl RevocationList {
    fn to_cbor(&self) -> Vec<u8> {
        let revoked = self
            .revoked
            .iter()
            .map(|k| Value::Bytes(k.0.to_vec()))
            .collect();
        cbor::encode(&Value::Map(vec![
            (cbor::int(1), Value::Text(self.issuer.clone())),
            (cbor::int(2), Value::from(self.this_update)),
            (cbor::int(3), Value::from(self.next_update)),
            (cbor::int(4), Value::Array(revoked)),
        ]))
    }

    fn from_cbor(bytes: &[u8]) -> Result<Self, RevocationError> {
        let bad = |m: &str| RevocationError::Malformed(m.to_owned());
        let value = cbor::decode(bytes).map_err(RevocationError::Malformed)?;
        let entries =
            cbor::int_map(value, "revocation list").map_err(RevocationError::Malformed)?;
        let (mut issuer, mut this_update, mut next_update, mut revoked) = (None, None, None, None);
        for (k, v) in entries {
            match k {
                1 => match v {
                    Value::Text(t) if !t.is_empty() && t.len() <= MAX_TEXT_CLAIM => {
                        issuer = Some(t);
                    }
                    _ => return Err(bad("issuer must be a short text string")),
                },
                2 => this_update = Some(cbor::as_u64(&v).ok_or_else(|| bad("this update"))?),
                3 => next_update = Some(cbor::as_u64(&v).ok_or_else(|| bad("next update"))?),
                4 => {
                    let Value::Array(items) = v else {
                        return Err(bad("revoked must be an array"));
                    };
                    if items.len() > MAX_REVOKED {
                        return Err(RevocationError::TooLarge(format!(
                            "{} entries > {MAX_REVOKED}",
                            items.len()
                        )));
                    }
                    let mut set = BTreeSet::new();
                    for item in items {
                        let kid = match item {
                            Value::Bytes(b) => KeyId::from_slice(&b),
                            _ => None,
                        }
                        .ok_or_else(|| bad("revoked entries must be 16-byte key ids"))?;
                        set.insert(kid);
                    }
                    revoked = Some(set);
                }
                _ => return Err(bad("unknown revocation list field")),
            }
        }
        let list = Self {
            issuer: issuer.ok_or_else(|| bad("missing issuer"))?,
            this_update: this_update.ok_or_else(|| bad("missing this update"))?,
            next_update: next_update.ok_or_else(|| bad("missing next update"))?,
            revoked: revoked.ok_or_else(|| bad("missing revoked"))?,
        };
        if list.next_update <= list.this_update {
            return Err(bad("next update must be after this update"));
        }
        Ok(list)
    }

    /// Sign this list with the CA's key; `issuer` is the CA's certificate.
    pub fn issue(
        &self,
        issuer: &Certificate,
        signer: &(impl Signer + ?Sized),
    ) -> Result<Vec<u8>, RevocationError> {
        if self.revoked.len() > MAX_REVOKED {
            return Err(RevocationError::TooLarge(format!(
                "{} entries > {MAX_REVOKED}",
                self.revoked.len()
            )));
        }
        if signer.key_id() != *issuer.subject_kid() || self.issuer != issuer.claims().subject {
            return Err(RevocationError::UntrustedIssuer(
                "signer or issuer name does not match the issuer certificate".into(),
            ));
        }
        Ok(sign1_with_header(
            signer,
            &self.to_cbor(),
            b"",
            &ProtectedHeader::new().content_type(CRL_CONTENT_TYPE),
        )?)
    }

    /// The key id of the CA that signed an encoded list (parsed, not verified): used to
    /// find the CA certificate to verify it against.
    pub fn signer_kid(bytes: &[u8]) -> Result<KeyId, RevocationError> {
        Ok(ProfileSign1::parse(bytes, MAX_REVOCATION_LIST_SIZE, Some(CRL_CONTENT_TYPE))?.kid)
    }

    /// Parse and verify a signed list against the CA certificate `issuer` (which the
    /// caller trusts: a trust anchor or a CA of a validated chain) at time `now`.
    pub fn verify(bytes: &[u8], issuer: &Certificate, now: u64) -> Result<Self, RevocationError> {
        let signed = ProfileSign1::parse(bytes, MAX_REVOCATION_LIST_SIZE, Some(CRL_CONTENT_TYPE))?;
        if signed.kid != *issuer.subject_kid() {
            return Err(RevocationError::UntrustedIssuer(format!(
                "signed by {}, not by {}",
                signed.kid,
                issuer.subject_kid()
            )));
        }
        let role = issuer.claims().role;
        if !matches!(role, crate::cert::Role::Root | crate::cert::Role::Vendor) {
            return Err(RevocationError::WrongRole(role.name().into()));
        }
        signed.verify_with(&issuer.claims().key, b"")?;
        let list = Self::from_cbor(signed.payload())?;
        if list.issuer != issuer.claims().subject {
            return Err(RevocationError::UntrustedIssuer(format!(
                "list names issuer {:?}, certificate is {:?}",
                list.issuer,
                issuer.claims().subject
            )));
        }
        if now < list.this_update {
            return Err(RevocationError::NotYetValid {
                this_update: list.this_update,
                now,
            });
        }
        Ok(list)
    }

    /// Whether `now` is past the next update (the list is stale; still applied).
    pub const fn is_stale(&self, now: u64) -> bool {
        now >= self.next_update
    }
}

/// The revocation lists a validator holds, at most one (the newest) per issuer.
#[derive(Debug, Clone, Default)]
pub struct RevocationSet {
    lists: BTreeMap<KeyId, RevocationList>,
}

impl RevocationSet {
    /// No lists.
    pub fn new() -> Self {
        Self::default()
    }

    /// Verify `bytes` against `issuer` and hold it, replacing an older list of the same
    /// issuer. A list not newer than the held one is refused (`HRT-SEC-086`).
    pub fn add(
        &mut self,
        bytes: &[u8],
        issuer: &Certificate,
        now: u64,
    ) -> Result<(), RevocationError> {
        let list = RevocationList::verify(bytes, issuer, now)?;
        if let Some(held) = self.lists.get(issuer.subject_kid()) {
            if list.this_update <= held.this_update {
                return Err(RevocationError::NotNewer {
                    this_update: list.this_update,
                    held: held.this_update,
                });
            }
        }
        self.lists.insert(*issuer.subject_kid(), list);
        Ok(())
    }

    /// Whether the list of issuer `issuer_kid` revokes `subject_kid`.
    pub fn is_revoked(&self, issuer_kid: &KeyId, subject_kid: &KeyId) -> bool {
        self.lists
            .get(issuer_kid)
            .is_some_and(|l| l.revoked.contains(subject_kid))
    }

    /// The list held for an issuer.
    pub fn get(&self, issuer_kid: &KeyId) -> Option<&RevocationList> {
        self.lists.get(issuer_kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{CertClaims, Role};
    use crate::key::KeyPair;

    fn root(k: &KeyPair) -> Certificate {
        let c = CertClaims {
            issuer: "r".into(),
            subject: "r".into(),
            issued_at: 0,
            not_before: 0,
            expires: 1000,
            key: *k.public_key(),
            role: Role::Root,
            vendor_id: None,
            device_type: None,
            model: None,
        };
        Certificate::issue(&c, None, k).expect("root")
    }

    // HRT-SEC-081, HRT-SEC-082, HRT-SEC-083, HRT-SEC-086
    #[test]
    fn issue_verify_and_rollback() {
        let k = KeyPair::from_ed25519_seed(&[1; 32]).expect("seed");
        let r = root(&k);
        let victim = KeyId([9; 16]);
        let list = RevocationList {
            issuer: "r".into(),
            this_update: 10,
            next_update: 20,
            revoked: [victim].into_iter().collect(),
        };
        let bytes = list.issue(&r, &k).expect("issue");
        let mut set = RevocationSet::new();
        assert_eq!(
            set.add(&bytes, &r, 5).map_err(|e| e.code()),
            Err("not_yet_valid")
        );
        set.add(&bytes, &r, 10).expect("add");
        assert!(set.is_revoked(r.subject_kid(), &victim));
        assert!(!set.is_revoked(r.subject_kid(), &KeyId([8; 16])));
        assert_eq!(
            set.add(&bytes, &r, 30).map_err(|e| e.code()),
            Err("not_newer")
        );
        let mut tampered = bytes.clone();
        let n = tampered.len();
        tampered[n - 70] ^= 1;
        assert!(RevocationList::verify(&tampered, &r, 10).is_err());
    }
}
