//! Sealing and opening: the signed envelope around every message (`spec/04-messages.md`,
//! `spec/03-security.md`).
//!
//! A [`Sender`] numbers, encodes and signs: encode → COSE_Sign1 with the topic (below the
//! root) as external AAD → bytes. A [`Receiver`] does the reverse in a fixed order so that
//! nothing unauthenticated changes state: size check → parse the envelope → find the
//! signer's key (a cached, validated certificate chain, or the chain the message carries,
//! validated now) → verify the signature over the bytes as received → decode within
//! [`Limits`] → the sender named in the header must be the certificate's subject → only then
//! the replay window moves. Time comes in as an argument; no clock, no I/O.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use hearth_security::cert::{CertError, Certificate, Role, TrustStore};
use hearth_security::cose::{sign1, Envelope as SignedEnvelope, Signer, VerifyError};
use hearth_security::key::{KeyError, KeyId};
use hearth_security::peers::Peers;
use hearth_security::replay::{CounterError, CounterStore, ReplayError, ReplayTable, SendCounter};
use hearth_security::revocation::{RevocationError, RevocationList, RevocationSet};

use crate::codec::{self, DecodeError, Limits};
use crate::message::{Body, Message};

/// Most will counters a receiver remembers per sender.
pub const MAX_WILLS: usize = 64;

/// Most CAs not met yet whose revocation lists a receiver keeps (HRT-SEC-104).
pub const MAX_PENDING_LISTS: usize = 16;

/// Most revocation lists a receiver keeps for one CA it has not met yet (HRT-SEC-104): none of
/// them can be verified before the CA's certificate arrives, so the first ones are kept and a
/// later one is dropped rather than let it displace them.
pub const MAX_PENDING_PER_CA: usize = 4;

/// Whether a message is a will: an offline status.
fn is_will(msg: &Message) -> bool {
    matches!(&msg.body, Body::Status(s) if s.availability == crate::message::Availability::Offline)
}

/// Most peers whose validated chains a receiver keeps, and most CA certificates (seen in
/// validated chains) it keeps to check revocation lists against; the oldest entry goes
/// first. The bounds of [`Peers`].
pub use hearth_security::limits::{MAX_KNOWN_CAS, MAX_PEERS};

/// A peer whose certificate chain has been validated.
pub use hearth_security::peers::Peer;

/// Why a revocation list received over the transport was not applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationIntakeError {
    /// The list is signed by another CA than the one its topic names (`HRT-MQTT-062`).
    #[error("the list is signed by {signer}, but its topic names CA {topic}")]
    WrongTopic {
        /// Key id the topic names.
        topic: String,
        /// Key id that signed the list.
        signer: String,
    },
    /// Neither a trust anchor nor a CA of a validated chain has this key id, so the list
    /// cannot be checked yet.
    #[error("no certificate known for CA {0}")]
    UnknownCa(String),
    /// The list does not verify, is not newer than the one held, or is otherwise refused
    /// (`HRT-SEC-082`, `HRT-SEC-086`, `HRT-SEC-089`).
    #[error("{0}")]
    Refused(#[from] RevocationError),
}

impl RevocationIntakeError {
    /// The requirement this refusal enforces.
    pub fn requirement(&self) -> &'static str {
        match self {
            Self::WrongTopic { .. } => "HRT-MQTT-062",
            Self::Refused(RevocationError::NotNewer { .. }) => "HRT-SEC-086",
            Self::Refused(RevocationError::WrongRole(_)) => "HRT-SEC-089",
            Self::UnknownCa(_) | Self::Refused(_) => "HRT-SEC-082",
        }
    }

    /// Whether this is only a list already held, seen again (a retained list after a
    /// resubscription): nothing to report.
    pub fn is_repeat(&self) -> bool {
        matches!(self, Self::Refused(RevocationError::NotNewer { .. }))
    }
}

/// Why a message could not be sealed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The send counter could not be advanced or persisted.
    #[error("send counter: {0}")]
    Counter(#[from] CounterError),
    /// The signer failed.
    #[error("signing: {0}")]
    Key(#[from] KeyError),
    /// The encoded message would exceed the size limit receivers enforce.
    #[error("message of {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// Options for one sealed message beyond its body.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// Request id, for requests and responses.
    pub request_id: Option<u64>,
    /// Recipient id, for requests and responses.
    pub target: Option<String>,
    /// Sender's wall-clock time in milliseconds since the Unix epoch.
    pub time_ms: Option<u64>,
    /// Whether to carry the sender's certificate chain.
    pub with_chain: bool,
}

/// Signs outgoing messages for one identity: its signer, certificate chain and counter.
pub struct Sender<S: CounterStore> {
    id: String,
    signer: Arc<dyn Signer + Send + Sync>,
    chain: Vec<Vec<u8>>,
    counter: SendCounter<S>,
    limits: Limits,
}

impl<S: CounterStore> Sender<S> {
    /// A sender with id `id` (its certificate's subject), a signer, its chain (leaf first) and
    /// a send counter.
    pub fn new(
        id: impl Into<String>,
        signer: Arc<dyn Signer + Send + Sync>,
        chain: Vec<Vec<u8>>,
        counter: SendCounter<S>,
    ) -> Self {
        Self {
            id: id.into(),
            signer,
            chain,
            counter,
            limits: Limits::STANDARD,
        }
    }

    /// The sender's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The sender's certificate chain, leaf first, as it carries it.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The sender's key id.
    pub fn key_id(&self) -> KeyId {
        self.signer.key_id()
    }

    /// The signer, for a conformance probe that must sign envelopes of its own making
    /// (unusual headers, payloads in other encodings).
    pub fn signer(&self) -> &(dyn Signer + Send + Sync) {
        self.signer.as_ref()
    }

    /// Build the message for `body` with the next counter value.
    pub fn message(&mut self, body: Body, envelope: &Envelope) -> Result<Message, SealError> {
        let counter = self.counter.next_value()?;
        Ok(self.numbered(body, envelope, counter))
    }

    /// The message for `body` numbered `counter`, with what `envelope` asks for.
    fn numbered(&self, body: Body, envelope: &Envelope, counter: u64) -> Message {
        Message {
            time_ms: envelope.time_ms,
            request_id: envelope.request_id,
            target: envelope.target.clone(),
            chain: if envelope.with_chain {
                self.chain.clone()
            } else {
                Vec::new()
            },
            ..Message::new(self.id.clone(), counter, body)
        }
    }

    /// Number, encode and sign `body` for `topic` (the topic below the root).
    pub fn seal(
        &mut self,
        body: Body,
        topic: &str,
        envelope: &Envelope,
    ) -> Result<Vec<u8>, SealError> {
        let msg = self.message(body, envelope)?;
        self.seal_message(&msg, topic)
    }

    /// Seal `body` with a counter reserved earlier by [`reserve_ahead`](Self::reserve_ahead),
    /// e.g. an offline status handed to the broker as a will.
    pub fn seal_reserved(
        &self,
        body: Body,
        topic: &str,
        envelope: &Envelope,
        counter: u64,
    ) -> Result<Vec<u8>, SealError> {
        self.seal_message(&self.numbered(body, envelope, counter), topic)
    }

    /// Reserve a counter value `gap` above the next one (persisted), for a message that may
    /// be delivered later than everything sent before it.
    pub fn reserve_ahead(&mut self, gap: u64) -> Result<u64, SealError> {
        Ok(self.counter.reserve_ahead(gap)?)
    }

    /// Continue numbering above `counter`.
    pub fn skip_past(&mut self, counter: u64) -> Result<(), SealError> {
        Ok(self.counter.skip_past(counter)?)
    }

    /// Encode and sign an already numbered message.
    pub fn seal_message(&self, msg: &Message, topic: &str) -> Result<Vec<u8>, SealError> {
        seal(msg, topic, self.signer.as_ref(), &self.limits)
    }
}

/// Encode `msg` and sign it with `topic` as external AAD.
pub fn seal(
    msg: &Message,
    topic: &str,
    signer: &(impl Signer + ?Sized),
    limits: &Limits,
) -> Result<Vec<u8>, SealError> {
    let payload = codec::encode(msg);
    let bytes = sign1(signer, &payload, topic.as_bytes())?;
    if bytes.len() > limits.max_message {
        return Err(SealError::TooLarge {
            size: bytes.len(),
            max: limits.max_message,
        });
    }
    Ok(bytes)
}

/// Why a received message was rejected. Nothing was changed by it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Larger than the size limit.
    #[error("message of {size} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Size received.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Not a valid COSE_Sign1 envelope, or a bad signature.
    #[error("envelope: {0}")]
    Envelope(#[from] VerifyError),
    /// The payload is not a valid message.
    #[error("payload: {0}")]
    Decode(#[from] DecodeError),
    /// The signer's key is unknown and the message carries no certificate chain.
    #[error("unknown signer {0}: no certificate chain known or carried")]
    UnknownSigner(String),
    /// The carried certificate chain does not validate.
    #[error("certificate: {0}")]
    Certificate(#[from] CertError),
    /// The chain's leaf key is not the key that signed.
    #[error("the certificate chain is for key {chain}, but the message is signed by {signer}")]
    ChainKeyMismatch {
        /// Leaf key id of the chain.
        chain: String,
        /// Key id in the envelope.
        signer: String,
    },
    /// The header's sender is not the certificate's subject.
    #[error("sender {claimed:?} is not the certificate subject {subject:?}")]
    SenderMismatch {
        /// Sender in the header.
        claimed: String,
        /// Subject of the signer's certificate.
        subject: String,
    },
    /// The counter was seen before or is older than the window.
    #[error("replay: {0}")]
    Replay(#[from] ReplayError),
}

impl OpenError {
    /// The requirement of the security or message chapter this rejection enforces.
    pub fn requirement(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "HRT-MSG-030",
            Self::Envelope(VerifyError::BadSignature) => "HRT-SEC-034",
            Self::Envelope(VerifyError::UnknownKid(_))
            | Self::UnknownSigner(_)
            | Self::ChainKeyMismatch { .. } => "HRT-SEC-033",
            Self::Envelope(
                VerifyError::UnsupportedAlgorithm(_) | VerifyError::AlgorithmMismatch,
            ) => "HRT-SEC-031",
            Self::Envelope(VerifyError::OutsideProfile(e))
            | Self::Decode(DecodeError::OutsideProfile(e)) => e.requirement(),
            Self::Envelope(_) => "HRT-SEC-030",
            Self::Decode(_) => "HRT-MSG-040",
            Self::Certificate(_) => "HRT-SEC-064",
            Self::SenderMismatch { .. } => "HRT-MSG-011",
            Self::Replay(ReplayError::TooOld { .. }) => "HRT-SEC-098",
            Self::Replay(_) => "HRT-SEC-097",
        }
    }
}

/// An authenticated, decoded, fresh message and who sent it.
#[derive(Debug)]
pub struct Opened {
    /// The message.
    pub message: Message,
    /// The signer.
    pub peer: Arc<Peer>,
}

/// Opens incoming messages for one receiver: trust anchors, revocations, known peers (a
/// bounded [`Peers`] cache of validated signers and the CAs of their chains, oldest out
/// first) and their replay windows.
pub struct Receiver {
    trust: TrustStore,
    revoked: RevocationSet,
    peers: Peers,
    replay: ReplayTable,
    wills: HashMap<KeyId, BTreeSet<u64>>,
    /// Revocation lists of CAs no validated chain has brought yet, by the CA's key id.
    pending_lists: VecDeque<(KeyId, Vec<u8>)>,
    limits: Limits,
}

impl Receiver {
    /// A receiver that trusts these roots.
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            revoked: RevocationSet::default(),
            peers: Peers::new(),
            replay: ReplayTable::new(),
            wills: HashMap::new(),
            pending_lists: VecDeque::new(),
            limits: Limits::STANDARD,
        }
    }

    /// Replace the set of revoked keys; cached peers are validated again on their next message.
    pub fn set_revocations(&mut self, revoked: RevocationSet) {
        self.revoked = revoked;
        self.peers.forget_signers();
    }

    /// Take a revocation list received on the transport for the CA with key id `ca` (the
    /// topic's `{ca}`) and, if it is that CA's and newer than the one held, apply it to every
    /// chain from now on (`HRT-MQTT-062`, `HRT-SEC-082`, `HRT-SEC-083`, `HRT-SEC-086`). The
    /// CA's certificate is a trust anchor or one seen in a validated chain; a list of a CA
    /// not met yet is kept (bounded, [`MAX_PENDING_LISTS`]) and applied when a validated
    /// chain brings the CA (HRT-SEC-104), which the error `UnknownCa` then says.
    pub fn apply_revocation_list(
        &mut self,
        ca: &KeyId,
        bytes: &[u8],
        now: u64,
    ) -> Result<(), RevocationIntakeError> {
        let signer = RevocationList::signer_kid(bytes)?;
        if signer != *ca {
            return Err(RevocationIntakeError::WrongTopic {
                topic: ca.to_hex(),
                signer: signer.to_hex(),
            });
        }
        let Some(issuer) = self.trust.get(ca).or_else(|| self.peers.ca(ca)).cloned() else {
            self.keep_pending(ca, bytes);
            return Err(RevocationIntakeError::UnknownCa(ca.to_hex()));
        };
        self.revoked.add(bytes, &issuer, now)?;
        // Cached peers are validated again against the new list on their next message.
        self.peers.forget_signers();
        Ok(())
    }

    /// Keep `bytes`, a list of the CA `ca` not met yet, in place of any kept for it before.
    /// Keep a list of the CA `ca`, not met yet, unless it is one already kept or the store is
    /// full: [`MAX_PENDING_PER_CA`] lists of that CA, or lists of [`MAX_PENDING_LISTS`] other
    /// CAs. Nothing kept is ever displaced (HRT-SEC-104): a list cannot be verified before its
    /// CA is met, so a forged one must not push out the genuine list that came first.
    fn keep_pending(&mut self, ca: &KeyId, bytes: &[u8]) {
        if bytes.len() > self.limits.max_message {
            return;
        }
        let of_ca = self.pending_lists.iter().filter(|(k, _)| k == ca);
        if of_ca.clone().any(|(_, b)| b == bytes) || of_ca.count() >= MAX_PENDING_PER_CA {
            return;
        }
        let mut cas: Vec<&KeyId> = self.pending_lists.iter().map(|(k, _)| k).collect();
        cas.sort_unstable();
        cas.dedup();
        if !cas.contains(&ca) && cas.len() >= MAX_PENDING_LISTS {
            return;
        }
        self.pending_lists.push_back((*ca, bytes.to_vec()));
    }

    /// Apply every kept list whose CA a validated chain has now brought; whether any was.
    fn apply_pending(&mut self, now: u64) -> bool {
        let peers = &self.peers;
        let (ready, waiting): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.pending_lists)
            .into_iter()
            .partition(|(ca, _)| peers.ca(ca).is_some());
        self.pending_lists = waiting;
        let mut applied = false;
        for (ca, bytes) in ready {
            applied |= self.apply_revocation_list(&ca, &bytes, now).is_ok();
        }
        applied
    }

    /// The revocation lists held.
    pub fn revocations(&self) -> &RevocationSet {
        &self.revoked
    }

    /// The trust store.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// The decoding limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A known peer by key id.
    pub fn peer(&self, kid: &KeyId) -> Option<&Arc<Peer>> {
        self.peers.get(kid)
    }

    /// Validate a certificate chain (leaf first, as carried on the wire) at `now`.
    pub fn validate(&self, chain: &[Vec<u8>], now: u64) -> Result<Peer, OpenError> {
        Ok(Peer::validate(&self.trust, chain, now, &self.revoked)?)
    }

    /// Validate a certificate chain (leaf first) and remember the peer.
    pub fn admit_chain(&mut self, chain: &[Vec<u8>], now: u64) -> Result<Arc<Peer>, OpenError> {
        let peer = Arc::new(self.validate(chain, now)?);
        self.peers.insert(peer.clone(), &self.trust);
        Ok(peer)
    }

    /// Trust `root` from now on as well (commissioning adds the root of the commissioner's
    /// chain, `spec/07-commissioning.md` HRT-COM-055). It must be a self-signed root; a root
    /// already held is kept as it is.
    pub fn add_trust_anchor(&mut self, root: Certificate) -> Result<(), CertError> {
        if self.trust.get(root.subject_kid()).is_some() {
            return Ok(());
        }
        self.trust.add_root(root)
    }

    /// Start afresh with `trust` as the only trust anchors, as a factory reset does
    /// (`spec/07-commissioning.md` HRT-COM-081): every known peer, every replay window and
    /// every will counter is forgotten. Revocation lists are kept: a reset never makes a
    /// revoked certificate good again.
    pub fn reset(&mut self, trust: TrustStore) {
        self.trust = trust;
        self.peers = Peers::new();
        self.replay = ReplayTable::new();
        self.wills.clear();
    }

    /// Open a message of a commissioning session (`pake-start`, `pake-confirm`) whose carried
    /// chain ends with the self-signed root that anchors it (`spec/07-commissioning.md`
    /// HRT-COM-046, HRT-COM-047): the chain is validated against the trust anchors and, for
    /// this message alone, that root. Otherwise the order of [`open`](Self::open) holds, and
    /// the replay window moves as for any message; but the signer is not remembered among
    /// the peers, since its root is trusted for nothing else until the session succeeds.
    ///
    /// Returns the message and the root its chain ended with (`None` when the chain ended
    /// below a trust anchor already held).
    pub fn open_self_anchored(
        &mut self,
        bytes: &[u8],
        topic: &str,
        now: u64,
    ) -> Result<(Opened, Option<Certificate>), OpenError> {
        if bytes.len() > self.limits.max_message {
            return Err(OpenError::TooLarge {
                size: bytes.len(),
                max: self.limits.max_message,
            });
        }
        let envelope = SignedEnvelope::parse(bytes)?;
        let kid = *envelope.kid();
        // The unauthenticated payload is decoded only to find the chain it carries, which is
        // validated before its key is used (HRT-SEC-037).
        let unverified = codec::decode(envelope.unverified_payload(), &self.limits)?;
        let Some(last) = unverified.chain.last() else {
            return Err(OpenError::UnknownSigner(kid.to_hex()));
        };
        let last = Certificate::from_bytes(last)?;
        let root = (last.claims().role == Role::Root && last.is_self_signed()).then_some(last);
        let mut anchors = self.trust.clone();
        if let Some(root) = &root {
            if anchors.add_root(root.clone()).is_err() {
                // A full store: the chain ends with its own root, so that root alone anchors it.
                anchors = TrustStore::new();
                anchors.add_root(root.clone())?;
            }
        }
        let peer = Peer::validate(&anchors, &unverified.chain, now, &self.revoked)?;
        if peer.chain.leaf_kid != kid {
            return Err(OpenError::ChainKeyMismatch {
                chain: peer.chain.leaf_kid.to_hex(),
                signer: kid.to_hex(),
            });
        }
        let verified = envelope.verify(&peer.key, topic.as_bytes())?;
        let message = codec::decode(&verified.payload, &self.limits)?;
        codec::check_header(&message)?;
        if message.sender != peer.chain.leaf.subject {
            return Err(OpenError::SenderMismatch {
                claimed: message.sender,
                subject: peer.chain.leaf.subject.clone(),
            });
        }
        self.replay.accept(&kid, topic, message.counter)?;
        let root = root.filter(|r| self.trust.get(r.subject_kid()).is_none());
        let opened = Opened {
            message,
            peer: Arc::new(peer),
        };
        Ok((opened, root))
    }

    /// Authenticate and decode `bytes` received on `topic` (below the root) at `now` (seconds
    /// since the Unix epoch). On success the sender's replay window has moved; on failure
    /// nothing has changed (except that a valid carried chain may have been remembered).
    pub fn open(&mut self, bytes: &[u8], topic: &str, now: u64) -> Result<Opened, OpenError> {
        if bytes.len() > self.limits.max_message {
            return Err(OpenError::TooLarge {
                size: bytes.len(),
                max: self.limits.max_message,
            });
        }
        let envelope = SignedEnvelope::parse(bytes)?;
        let kid = *envelope.kid();
        let cached = self.peers.at(now).peer(&kid).cloned();
        let (peer, carried) = match cached {
            Some(peer) => (peer, None),
            None => {
                // Decode the unauthenticated payload only to find the chain it carries
                // (HRT-SEC-037 allows this one use); the chain is validated against the trust
                // anchors before its key is used, and remembered only once the signature
                // verifies, so forged messages cannot crowd real peers out of the cache.
                let msg = codec::decode(envelope.unverified_payload(), &self.limits)?;
                if msg.chain.is_empty() {
                    return Err(OpenError::UnknownSigner(kid.to_hex()));
                }
                let peer = self.validate(&msg.chain, now)?;
                if peer.chain.leaf_kid != kid {
                    return Err(OpenError::ChainKeyMismatch {
                        chain: peer.chain.leaf_kid.to_hex(),
                        signer: kid.to_hex(),
                    });
                }
                (Arc::new(peer), Some(msg.chain))
            }
        };
        let verified = envelope.verify(&peer.key, topic.as_bytes())?;
        if let Some(chain) = carried {
            self.peers.insert(peer.clone(), &self.trust);
            // A list that waited for a CA of this chain may revoke this very signer.
            if self.apply_pending(now) {
                self.validate(&chain, now)?;
            }
        }
        let message = codec::decode(&verified.payload, &self.limits)?;
        codec::check_header(&message)?;
        if message.sender != peer.chain.leaf.subject {
            return Err(OpenError::SenderMismatch {
                claimed: message.sender,
                subject: peer.chain.leaf.subject.clone(),
            });
        }
        if is_will(&message) {
            // A will is numbered far ahead of its connection (HRT-MQTT-031) and the broker,
            // not the device, decides when it is published: it is checked against the wills
            // already accepted and never moves the replay window (HRT-MQTT-042, HRT-MQTT-043), so a will
            // published early cannot make the device's later messages look old.
            // Only the newest MAX_WILLS are kept: once they are full, a will older than all of
            // them may be one forgotten, so it is refused as too old.
            let seen = self.wills.entry(kid).or_default();
            if seen.contains(&message.counter) {
                return Err(OpenError::Replay(ReplayError::Replayed {
                    counter: message.counter,
                }));
            }
            if seen.len() >= MAX_WILLS {
                if let Some(&oldest) = seen.first().filter(|o| message.counter < **o) {
                    return Err(OpenError::Replay(ReplayError::TooOld {
                        counter: message.counter,
                        highest: oldest,
                    }));
                }
                seen.pop_first();
            }
            seen.insert(message.counter);
        } else {
            self.replay.accept(&kid, topic, message.counter)?;
        }
        Ok(Opened { message, peer })
    }
}
