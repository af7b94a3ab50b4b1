//! The lab's certificate authority (`[authority]` of the ICS, `spec/06-conformance.md` §3.9):
//! the suite issues, during a run, certificates for keys it generates — valid ones and ones
//! broken in exactly one way — and revocation lists of that CA.
//!
//! Every revocation list of a CA carries every key the suite revoked under that CA before it
//! in this process, with a this-update time later than any earlier list's, so that runs in
//! parallel (the demo tests its whole fleet at once) never undo one another's revocations
//! and the list left retained on the broker is the union of them all.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path as FsPath;
use std::sync::Mutex;

use ciborium::Value;
use hearth_security::alg::Algorithm;
use hearth_security::cert::{CertClaims, Certificate, Role};
use hearth_security::fs::{read_cert, read_key};
use hearth_security::key::{KeyId, KeyPair};
use hearth_security::revocation::RevocationList;

use crate::ics::{Ics, Privilege};

/// The lab's CA, loaded from the ICS.
pub struct Authority {
    /// The CA's key.
    pub key: KeyPair,
    /// The CA's certificate.
    pub cert: Certificate,
    /// The privilege of the device's access-control entry naming the CA.
    pub privilege: Privilege,
}

/// Why the `[authority]` of an ICS could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("[authority] of the ICS: {0}")]
pub struct AuthorityError(String);

/// A key the suite generated and a chain for it (leaf first, as carried on the wire).
pub struct Minted {
    /// The key.
    pub key: KeyPair,
    /// The chain, leaf first; the CA's certificate follows unless the CA is a trust anchor.
    pub chain: Vec<Vec<u8>>,
    /// The key id of the leaf key.
    pub kid: KeyId,
}

/// How long before `now` the certificates the suite issues become valid: two hours, so that
/// a device whose clock is somewhat slow still takes them and shows the flaw under test.
pub const BACKDATE: u64 = 7200;

/// Claims of a certificate before signing, as a map the test case may break.
pub type RawClaims = Vec<(Value, Value)>;

/// This-update time of the newest list and the keys revoked so far, per CA key id.
static ISSUED_LISTS: Mutex<BTreeMap<KeyId, (u64, BTreeSet<KeyId>)>> = Mutex::new(BTreeMap::new());

/// Load the ICS's `[authority]` (its paths resolved, [`Ics::resolve_paths`]), if it has one.
pub fn load_authority(ics: &Ics) -> Result<Option<Authority>, AuthorityError> {
    let Some(a) = &ics.authority else {
        return Ok(None);
    };
    let key = read_key(FsPath::new(&a.key)).map_err(|e| AuthorityError(e.to_string()))?;
    let cert = read_cert(FsPath::new(&a.cert)).map_err(|e| AuthorityError(e.to_string()))?;
    if cert.claims().key != *key.public_key() {
        return Err(AuthorityError(
            "the key does not match the certificate".into(),
        ));
    }
    if !matches!(cert.claims().role, Role::Root | Role::Vendor) {
        return Err(AuthorityError(format!(
            "the certificate has the role {}, not root or vendor",
            cert.claims().role
        )));
    }
    let privilege = a.privilege.ok_or_else(|| {
        AuthorityError("its privilege is none: a CA entry grants view or higher".into())
    })?;
    Ok(Some(Authority {
        key,
        cert,
        privilege,
    }))
}

fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = ciborium::into_writer(value, &mut out);
    out
}

impl Authority {
    /// The CA's key id.
    pub fn kid(&self) -> KeyId {
        *self.cert.subject_kid()
    }

    /// Claims of a valid certificate for `key`: a controller named `subject`, issued now by
    /// this CA, valid from [`BACKDATE`] ago for an hour.
    pub fn controller_claims(&self, subject: &str, key: &KeyPair, now: u64) -> CertClaims {
        CertClaims {
            issuer: self.cert.claims().subject.clone(),
            subject: subject.to_owned(),
            issued_at: now.saturating_sub(BACKDATE),
            not_before: now.saturating_sub(BACKDATE),
            expires: now + 3600,
            key: *key.public_key(),
            role: Role::Controller,
            vendor_id: match self.cert.claims().role {
                Role::Vendor => self.cert.claims().vendor_id,
                _ => None,
            },
            device_type: None,
            model: None,
        }
    }

    /// Generate a key of `alg` and sign a certificate for it whose claims are those of
    /// [`controller_claims`](Self::controller_claims) changed by `edit`, as encoded claims
    /// changed by `raw` — no chain rule is checked, so the certificate may be broken on
    /// purpose.
    pub fn mint(
        &self,
        alg: Algorithm,
        subject: &str,
        now: u64,
        edit: impl FnOnce(&mut CertClaims),
        raw: impl FnOnce(&mut RawClaims),
    ) -> Result<Minted, String> {
        let key = KeyPair::generate_system(alg).map_err(|e| format!("generating a key: {e}"))?;
        let mut claims = self.controller_claims(subject, &key, now);
        edit(&mut claims);
        let leaf = self.sign_claims(&claims, raw)?;
        let kid = key.public_key().key_id();
        Ok(Minted {
            key,
            chain: self.chain_for(leaf),
            kid,
        })
    }

    /// Sign `claims` (changed by `raw` after encoding) with the CA's key, keys in the
    /// deterministic order of RFC 8949 §4.2.1.
    pub fn sign_claims(
        &self,
        claims: &CertClaims,
        raw: impl FnOnce(&mut RawClaims),
    ) -> Result<Vec<u8>, String> {
        let value: Value = ciborium::from_reader(claims.to_cbor().as_slice())
            .map_err(|e| format!("re-reading claims: {e}"))?;
        let Value::Map(mut entries) = value else {
            return Err("claims are not a map".into());
        };
        raw(&mut entries);
        entries.sort_by_key(|(k, _)| encode(k));
        Certificate::sign_encoded_claims(&encode(&Value::Map(entries)), &self.key)
            .map_err(|e| format!("signing a certificate: {e}"))
    }

    /// The chain carried with a leaf this CA issued: the leaf, then the CA's certificate
    /// unless the CA is itself a trust anchor.
    pub fn chain_for(&self, leaf: Vec<u8>) -> Vec<Vec<u8>> {
        if self.cert.claims().role == Role::Root {
            vec![leaf]
        } else {
            vec![leaf, self.cert.as_bytes().to_vec()]
        }
    }

    /// The next revocation list of this CA: every key revoked before in this process and
    /// `add`, with a this-update time later than any earlier list's — a second back where it
    /// can be, so that a short next-update time `valid_for` seconds after it passes soon —
    /// and not in the future (HRT-SEC-082), waiting for that if it must. The list and its
    /// this-update time.
    pub async fn next_list(&self, add: &[KeyId], valid_for: u64) -> Result<(Vec<u8>, u64), String> {
        let (this_update, revoked) = {
            let mut lists = ISSUED_LISTS
                .lock()
                .map_err(|_| "the revocation registry is poisoned".to_owned())?;
            let entry = lists.entry(self.kid()).or_default();
            let now = hearth_mqtt::identity::unix_now();
            entry.0 = now.saturating_sub(1).max(entry.0 + 1);
            entry.1.extend(add.iter().copied());
            (entry.0, entry.1.clone())
        };
        loop {
            let now = hearth_mqtt::identity::unix_now();
            if now >= this_update {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let bytes = self.list(this_update, valid_for, revoked)?;
        Ok((bytes, this_update))
    }

    /// Every key revoked so far under this CA in this process: lists the device must refuse
    /// carry them too, so that another device of the same run that takes one by mistake — or
    /// because it has not yet seen the newest list — loses no revocation.
    pub fn revoked_so_far(&self) -> BTreeSet<KeyId> {
        ISSUED_LISTS
            .lock()
            .ok()
            .and_then(|l| l.get(&self.kid()).map(|(_, r)| r.clone()))
            .unwrap_or_default()
    }

    /// A list of this CA with the given times and keys, outside the registry: for lists the
    /// device must refuse.
    pub fn list(
        &self,
        this_update: u64,
        valid_for: u64,
        revoked: BTreeSet<KeyId>,
    ) -> Result<Vec<u8>, String> {
        RevocationList {
            issuer: self.cert.claims().subject.clone(),
            this_update,
            next_update: this_update + valid_for.max(1),
            revoked,
        }
        .issue(&self.cert, &self.key)
        .map_err(|e| format!("signing a revocation list: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ciborium::Value as Cbor;

    #[test]
    fn raw_claims_keep_the_deterministic_order() {
        // The encoded claims of a minted certificate must stay in RFC 8949 §4.2.1 order, or
        // a device would refuse it for its encoding rather than for the flaw under test.
        let rng = ring::rand::SystemRandom::new();
        let pki = hearth_security::pki::TestPki::generate(1_800_000_000, &rng).expect("pki");
        let ca = Authority {
            key: pki.vendor.key,
            cert: pki.vendor.cert,
            privilege: crate::ics::Privilege::View,
        };
        let minted = ca
            .mint(
                Algorithm::EdDsa,
                "t",
                1_800_000_000,
                |_| {},
                |c| {
                    c.push((Cbor::from(99), Cbor::from(1)));
                    c.push((Cbor::from(-70_000), Cbor::from(1)));
                },
            )
            .expect("minted");
        let sign1: Cbor = ciborium::from_reader(minted.chain[0].as_slice()).expect("cbor");
        let Cbor::Tag(18, inner) = sign1 else {
            panic!("not a tagged COSE_Sign1")
        };
        let Cbor::Array(parts) = *inner else {
            panic!("not an array")
        };
        let Some(Cbor::Bytes(payload)) = parts.get(2) else {
            panic!("no payload")
        };
        crate::harness::craft::deterministic(payload).expect("deterministic");
        // Unknown claims are ignored (HRT-SEC-045): the certificate still parses.
        hearth_security::cert::Certificate::from_bytes(&minted.chain[0]).expect("parses");
        assert_eq!(
            minted.chain.len(),
            2,
            "a vendor CA's certificate follows the leaf"
        );
    }
}
