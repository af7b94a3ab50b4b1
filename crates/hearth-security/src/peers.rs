//! The signers a receiver knows: validated chains by leaf key id, usable as the
//! [`KeyResolver`] of [`crate::verify_sign1`] at a given time (`HRT-SEC-033`,
//! `HRT-SEC-075`).
//!
//! A receiver validates a signer's chain once ([`crate::validate_chain`]) and inserts the
//! result; every message then costs one hash-map lookup and one signature verification.
//! `peers.at(now)` resolves a key id only while the whole chain is valid at `now`, and
//! [`Peers::apply_revocations`] drops chains a newly received revocation list revokes.

use std::collections::HashMap;

use crate::cert::{CertError, ValidatedChain};
use crate::cose::KeyResolver;
use crate::key::{KeyId, PublicKey};
use crate::limits::MAX_PEERS;
use crate::revocation::RevocationSet;

/// Validated signer chains by leaf key id, bounded by [`MAX_PEERS`].
#[derive(Debug, Clone, Default)]
pub struct Peers {
    chains: HashMap<KeyId, ValidatedChain>,
}

impl Peers {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Hold a validated chain (replacing one with the same leaf key). Returns the leaf
    /// key id.
    pub fn insert(&mut self, chain: ValidatedChain) -> Result<KeyId, CertError> {
        let kid = chain.leaf_kid;
        if self.chains.len() >= MAX_PEERS && !self.chains.contains_key(&kid) {
            return Err(CertError::PeersFull(MAX_PEERS));
        }
        self.chains.insert(kid, chain);
        Ok(kid)
    }

    /// The chain of a signer.
    pub fn get(&self, kid: &KeyId) -> Option<&ValidatedChain> {
        self.chains.get(kid)
    }

    /// Forget a signer.
    pub fn remove(&mut self, kid: &KeyId) -> Option<ValidatedChain> {
        self.chains.remove(kid)
    }

    /// Number of signers held.
    pub fn len(&self) -> usize {
        self.chains.len()
    }

    /// Whether no signer is held.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty()
    }

    /// Drop every chain that `revoked` revokes; returns how many were dropped.
    pub fn apply_revocations(&mut self, revoked: &RevocationSet) -> usize {
        let before = self.chains.len();
        self.chains.retain(|_, c| !c.is_revoked(revoked));
        before - self.chains.len()
    }

    /// Drop every chain that is no longer valid at `now`; returns how many were dropped.
    pub fn expire(&mut self, now: u64) -> usize {
        let before = self.chains.len();
        self.chains.retain(|_, c| c.is_valid_at(now));
        before - self.chains.len()
    }

    /// A resolver that knows the signers whose chains are valid at `now`.
    pub const fn at(&self, now: u64) -> PeersAt<'_> {
        PeersAt { peers: self, now }
    }
}

/// [`Peers`] seen at one instant; see [`Peers::at`].
#[derive(Debug, Clone, Copy)]
pub struct PeersAt<'a> {
    peers: &'a Peers,
    now: u64,
}

impl PeersAt<'_> {
    /// The chain of a signer, if valid at this instant.
    pub fn chain(&self, kid: &KeyId) -> Option<&ValidatedChain> {
        self.peers.get(kid).filter(|c| c.is_valid_at(self.now))
    }
}

impl KeyResolver for PeersAt<'_> {
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey> {
        self.chain(kid).map(|c| *c.leaf_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{validate_chain, CertClaims, Certificate, Role, TrustStore};
    use crate::cose::{sign1, verify_sign1, VerifyError};
    use crate::key::KeyPair;
    use crate::revocation::RevocationList;

    fn claims(iss: &str, sub: &str, k: &KeyPair, role: Role, exp: u64) -> CertClaims {
        CertClaims {
            issuer: iss.into(),
            subject: sub.into(),
            issued_at: 0,
            not_before: 0,
            expires: exp,
            key: *k.public_key(),
            role,
            vendor_id: (role == Role::Vendor || role == Role::Device).then_some(0xFFF1),
            device_type: (role == Role::Device).then(|| "fan".into()),
            model: (role == Role::Device).then(|| "F1".into()),
        }
    }

    // HRT-SEC-033, HRT-SEC-075, HRT-SEC-083
    #[test]
    fn resolves_only_valid_unrevoked_chains() {
        let (rk, vk, dk) = (
            KeyPair::from_ed25519_seed(&[1; 32]).expect("seed"),
            KeyPair::from_ed25519_seed(&[2; 32]).expect("seed"),
            KeyPair::from_ed25519_seed(&[3; 32]).expect("seed"),
        );
        let root =
            Certificate::issue(&claims("r", "r", &rk, Role::Root, 1000), None, &rk).expect("root");
        let vendor =
            Certificate::issue(&claims("r", "v", &vk, Role::Vendor, 500), Some(&root), &rk)
                .expect("vendor");
        let device = Certificate::issue(
            &claims("v", "d", &dk, Role::Device, 800),
            Some(&vendor),
            &vk,
        )
        .expect("device");
        let mut trust = TrustStore::new();
        trust.add_root(root).expect("root");
        let chain = validate_chain(&trust, &[vendor.clone(), device], 10, &RevocationSet::new())
            .expect("valid");
        assert_eq!((chain.valid_from, chain.valid_until), (0, 500));
        let mut peers = Peers::new();
        peers.insert(chain).expect("insert");
        let msg = sign1(&dk, b"report", b"d/d/report").expect("sign");
        assert!(verify_sign1(&msg, b"d/d/report", &peers.at(10)).is_ok());
        // The vendor certificate expires at 500, so the chain does.
        assert!(matches!(
            verify_sign1(&msg, b"d/d/report", &peers.at(500)),
            Err(VerifyError::UnknownKid(_))
        ));
        let mut revoked = RevocationSet::new();
        let list = RevocationList {
            issuer: "v".into(),
            this_update: 5,
            next_update: 50,
            revoked: [*dk.key_id()].into_iter().collect(),
        }
        .issue(&vendor, &vk)
        .expect("crl");
        revoked.add(&list, &vendor, 10).expect("add");
        assert_eq!(peers.apply_revocations(&revoked), 1);
        assert!(peers.is_empty());
    }
}
