//! The signers and certificate authorities a receiver knows, in one bounded cache.
//!
//! A receiver validates a signer's chain once ([`Peer::validate`], which calls
//! [`crate::validate_chain`]) and keeps the result in [`Peers`]; every later message from
//! that signer costs one hash-map lookup and one signature verification. [`Peers`] also
//! keeps the CA certificates of the chains it holds, so that a revocation list signed by a
//! vendor CA that is not a trust anchor can still be checked. Both tables are
//! [`LimitedCache`]s: bounded ([`MAX_PEERS`] signers, [`MAX_KNOWN_CAS`] CAs) and forgetting
//! their oldest entry first, so a flood of valid but unknown signers costs a revalidation,
//! never unbounded memory. `peers.at(now)` resolves a key id only while the chain is valid
//! at `now` (`HRT-SEC-033`, `HRT-SEC-075`); [`Peers::apply_revocations`] drops chains a newly
//! received revocation list revokes. Like the rest of the crate it takes time as an
//! argument and does no I/O.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

use crate::cert::{validate_chain, CertError, Certificate, TrustStore, ValidatedChain};
use crate::cose::KeyResolver;
use crate::key::{KeyId, PublicKey};
use crate::limits::{MAX_KNOWN_CAS, MAX_PEERS};
use crate::revocation::RevocationSet;

/// A map that holds at most `capacity` entries and, when a new key would exceed that,
/// forgets the entry inserted longest ago (replacing a key's value keeps its age).
///
/// The shape is rustls's `LimitedCache`: a hash map for lookups beside a queue of keys in
/// insertion order for eviction.
#[derive(Debug, Clone)]
pub struct LimitedCache<K, V> {
    map: HashMap<K, V>,
    /// The keys of `map`, oldest first.
    oldest: VecDeque<K>,
    capacity: usize,
}

impl<K: Clone + Eq + Hash, V> LimitedCache<K, V> {
    /// An empty cache for at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::new(),
            oldest: VecDeque::new(),
            capacity,
        }
    }

    /// The most entries it holds.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Insert or replace the value of `key`; a new key in a full cache first evicts the
    /// oldest entry. Returns the value replaced, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(old) = self.map.get_mut(&key) {
            return Some(std::mem::replace(old, value));
        }
        if self.capacity == 0 {
            return None;
        }
        if self.map.len() >= self.capacity {
            if let Some(evicted) = self.oldest.pop_front() {
                self.map.remove(&evicted);
            }
        }
        self.oldest.push_back(key.clone());
        self.map.insert(key, value);
        None
    }

    /// The value of `key`.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// Whether `key` is held.
    pub fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    /// Forget `key`.
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let value = self.map.remove(key)?;
        self.oldest.retain(|k| k != key);
        Some(value)
    }

    /// Keep only the entries for which `keep` holds; returns how many were dropped.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) -> usize {
        let before = self.map.len();
        self.map.retain(|k, v| keep(k, v));
        let map = &self.map;
        self.oldest.retain(|k| map.contains_key(k));
        before - self.map.len()
    }

    /// Forget every entry.
    pub fn clear(&mut self) {
        self.map.clear();
        self.oldest.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A signer whose certificate chain has been validated.
#[derive(Debug)]
pub struct Peer {
    /// The validated chain (leaf claims and CA key ids).
    pub chain: ValidatedChain,
    /// The leaf's public key.
    pub key: PublicKey,
    /// The certificates the chain was built from, leaf first.
    pub certificates: Vec<Certificate>,
}

impl Peer {
    /// Validate a chain as carried on the wire (encoded certificates, leaf first, as in
    /// COSE x5chain, RFC 9360) against `trust` at `now`, applying `revoked`.
    pub fn validate(
        trust: &TrustStore,
        chain: &[Vec<u8>],
        now: u64,
        revoked: &RevocationSet,
    ) -> Result<Self, CertError> {
        let mut certs = chain
            .iter()
            .map(|c| Certificate::from_bytes(c))
            .collect::<Result<Vec<_>, _>>()?;
        // Validation walks from the trust anchor down.
        certs.reverse();
        let validated = validate_chain(trust, &certs, now, revoked)?;
        certs.reverse();
        let key = validated.leaf.key;
        Ok(Self {
            chain: validated,
            key,
            certificates: certs,
        })
    }

    /// The peer's id: its certificate's subject.
    pub fn id(&self) -> &str {
        &self.chain.leaf.subject
    }

    /// Whether every certificate of the chain it carried is valid at `now`.
    pub fn valid_at(&self, now: u64) -> bool {
        self.certificates
            .iter()
            .all(|c| c.check_validity(now).is_ok())
    }
}

/// The validated signers a receiver knows by leaf key id, and the CA certificates seen in
/// their chains; bounded by [`MAX_PEERS`] and [`MAX_KNOWN_CAS`], oldest first out.
#[derive(Debug, Clone)]
pub struct Peers {
    signers: LimitedCache<KeyId, Arc<Peer>>,
    cas: LimitedCache<KeyId, Certificate>,
}

impl Default for Peers {
    fn default() -> Self {
        Self::new()
    }
}

impl Peers {
    /// An empty cache with the standard bounds.
    pub fn new() -> Self {
        Self::with_capacity(MAX_PEERS, MAX_KNOWN_CAS)
    }

    /// An empty cache for at most `signers` signers and `cas` CA certificates.
    pub fn with_capacity(signers: usize, cas: usize) -> Self {
        Self {
            signers: LimitedCache::new(signers),
            cas: LimitedCache::new(cas),
        }
    }

    /// Hold a validated signer (replacing one with the same leaf key) and remember the CA
    /// certificates of its chain that are not among `anchors`. Returns the leaf key id.
    pub fn insert(&mut self, peer: Arc<Peer>, anchors: &TrustStore) -> KeyId {
        for ca in peer.certificates.iter().skip(1) {
            let kid = *ca.subject_kid();
            if !self.cas.contains_key(&kid) && anchors.get(&kid).is_none() {
                self.cas.insert(kid, ca.clone());
            }
        }
        let kid = peer.chain.leaf_kid;
        self.signers.insert(kid, peer);
        kid
    }

    /// The signer with this leaf key id, whatever the time.
    pub fn get(&self, kid: &KeyId) -> Option<&Arc<Peer>> {
        self.signers.get(kid)
    }

    /// A CA certificate seen in a validated chain.
    pub fn ca(&self, kid: &KeyId) -> Option<&Certificate> {
        self.cas.get(kid)
    }

    /// Forget a signer.
    pub fn remove(&mut self, kid: &KeyId) -> Option<Arc<Peer>> {
        self.signers.remove(kid)
    }

    /// Forget every signer (so each is validated again on its next message), keeping the CA
    /// certificates.
    pub fn forget_signers(&mut self) {
        self.signers.clear();
    }

    /// Number of signers held.
    pub fn len(&self) -> usize {
        self.signers.len()
    }

    /// Whether no signer is held.
    pub fn is_empty(&self) -> bool {
        self.signers.is_empty()
    }

    /// Drop every signer whose chain `revoked` revokes; returns how many were dropped.
    pub fn apply_revocations(&mut self, revoked: &RevocationSet) -> usize {
        self.signers.retain(|_, p| !p.chain.is_revoked(revoked))
    }

    /// Drop every signer that is no longer valid at `now`; returns how many were dropped.
    pub fn expire(&mut self, now: u64) -> usize {
        self.signers.retain(|_, p| p.valid_at(now))
    }

    /// A resolver that knows the signers valid at `now`.
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
    /// The signer with this leaf key id, if valid at this instant.
    pub fn peer(&self, kid: &KeyId) -> Option<&Arc<Peer>> {
        self.peers.get(kid).filter(|p| p.valid_at(self.now))
    }

    /// The chain of a signer, if valid at this instant.
    pub fn chain(&self, kid: &KeyId) -> Option<&ValidatedChain> {
        self.peer(kid).map(|p| &p.chain)
    }
}

impl KeyResolver for PeersAt<'_> {
    fn resolve(&self, kid: &KeyId) -> Option<PublicKey> {
        self.peer(kid).map(|p| p.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::{CertClaims, Certificate, Role, TrustStore};
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
        let wire = [device.as_bytes().to_vec(), vendor.as_bytes().to_vec()];
        let peer = Peer::validate(&trust, &wire, 10, &RevocationSet::new()).expect("valid");
        assert_eq!((peer.chain.valid_from, peer.chain.valid_until), (0, 500));
        assert_eq!(peer.id(), "d");
        let mut peers = Peers::new();
        assert_eq!(peers.insert(Arc::new(peer), &trust), *dk.key_id());
        assert!(
            peers.ca(vendor.subject_kid()).is_some(),
            "the vendor CA is kept"
        );
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

    #[test]
    fn the_cache_forgets_its_oldest_entry_first() {
        let mut cache = LimitedCache::new(2);
        assert_eq!(cache.insert(1, "a"), None);
        assert_eq!(cache.insert(2, "b"), None);
        // Replacing keeps the key's age.
        assert_eq!(cache.insert(1, "A"), Some("a"));
        cache.insert(3, "c");
        assert_eq!(
            (cache.get(&1), cache.get(&2), cache.get(&3)),
            (None, Some(&"b"), Some(&"c"))
        );
        assert_eq!(cache.remove(&2), Some("b"));
        cache.insert(4, "d");
        cache.insert(5, "e");
        assert_eq!(cache.len(), 2);
        assert!(cache.contains_key(&4) && cache.contains_key(&5));
        assert_eq!(cache.retain(|k, _| *k == 5), 1);
        cache.insert(6, "f");
        cache.insert(7, "g");
        assert_eq!(
            (cache.get(&5), cache.get(&6), cache.get(&7)),
            (None, Some(&"f"), Some(&"g"))
        );
        let mut none = LimitedCache::new(0);
        none.insert(1, ());
        assert!(none.is_empty());
    }
}
