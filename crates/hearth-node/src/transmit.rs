//! What a core asks its shell to do on the broker connection, and the sealing both cores
//! share.
//!
//! A core never touches a connection: it queues [`Transmit`]s, and its shell takes them with
//! `poll_transmit` and carries them out in order (every publish and subscription at QoS 1),
//! holding back, never dropping, what its connection cannot take yet.
//! `Endpoint` is the part both cores have in common: the topic tree, the sender that
//! numbers and signs, the receiver that opens, and the queue.

use std::collections::VecDeque;
use std::sync::Arc;

use hearth_security::cert::TrustStore;
use hearth_security::replay::{CounterError, CounterStore, SendCounter};
use hearth_security::Signer;
use hearth_wire::{Body, Envelope, Receiver, SealError, Sender};

use crate::time::Time;
use crate::topic::Topics;

/// How many counter values a core reserves in its counter store at a time.
const COUNTER_BLOCK: u64 = 1000;

/// Who a core signs as and whom it trusts, as its shell loaded it.
#[derive(Clone)]
pub struct Credential {
    pub(crate) id: String,
    pub(crate) vendor_id: Option<u16>,
    pub(crate) chain: Vec<Vec<u8>>,
    pub(crate) signer: Arc<dyn Signer + Send + Sync>,
    pub(crate) trust: TrustStore,
}

impl Credential {
    /// The credential of `id` (its certificate's subject) with the certificate's vendor id
    /// claim, the chain (leaf first, without the root), the signing key, and the trust
    /// anchors for everything the core receives.
    pub fn new(
        id: impl Into<String>,
        vendor_id: Option<u16>,
        chain: Vec<Vec<u8>>,
        signer: Arc<dyn Signer + Send + Sync>,
        trust: TrustStore,
    ) -> Self {
        Self {
            id: id.into(),
            vendor_id,
            chain,
            signer,
            trust,
        }
    }

    /// The id the core signs as.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The certificate's vendor id claim, if any.
    pub fn vendor_id(&self) -> Option<u16> {
        self.vendor_id
    }
}

impl std::fmt::Debug for Credential {
    /// Who, never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credential({:?} of vendor {:?})",
            self.id, self.vendor_id
        )
    }
}

/// A token a shell hands back with [`DeviceCore::handle_ack`](crate::DeviceCore::handle_ack)
/// once the broker has acknowledged the publish that carried it (the PUBACK of that publish's
/// packet id, on the same connection): the event it holds may then leave the store of kept
/// events. Tokens of a lost connection are never handed back; the events stay kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckToken(pub(crate) u64);

/// One message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// The full topic (root included).
    pub topic: String,
    /// The sealed message.
    pub payload: Vec<u8>,
    /// Whether the broker is to retain it.
    pub retain: bool,
    /// For a kept event: the token to hand back when the broker acknowledges this publish.
    pub ack: Option<AckToken>,
}

/// Something a core asks its shell to do on the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Publish a message at QoS 1.
    Publish(Publish),
    /// Subscribe to these topic filters at QoS 1, in one SUBSCRIBE.
    Subscribe(Vec<String>),
    /// Disconnect in an orderly way (with a DISCONNECT, so the broker drops the will).
    Disconnect,
}

/// The parts both cores share: topics, sender, receiver and the queue of transmits.
pub(crate) struct Endpoint<S: CounterStore> {
    pub(crate) topics: Topics,
    pub(crate) sender: Sender<S>,
    pub(crate) receiver: Receiver,
    queue: VecDeque<Transmit>,
}

impl<S: CounterStore> Endpoint<S> {
    /// Open the counter store and set up signing and opening for `credential`.
    pub(crate) fn new(
        topics: Topics,
        credential: &Credential,
        counter: S,
    ) -> Result<Self, CounterError> {
        let counter = SendCounter::open(counter, COUNTER_BLOCK)?;
        let sender = Sender::new(
            credential.id.clone(),
            credential.signer.clone(),
            credential.chain.clone(),
            counter,
        );
        Ok(Self {
            topics,
            sender,
            receiver: Receiver::new(credential.trust.clone()),
            queue: VecDeque::new(),
        })
    }

    /// Queue a transmit.
    pub(crate) fn push(&mut self, transmit: Transmit) {
        self.queue.push_back(transmit);
    }

    /// Drop every queued transmit (the connection they were for is gone).
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    /// The next transmit, in the order they were queued.
    pub(crate) fn pop(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// Seal `body` for the relative topic `rel`, signed for `aad`, stamped with `now`: the
    /// publish, not yet queued.
    pub(crate) fn seal(
        &mut self,
        now: Time,
        rel: &str,
        aad: &str,
        body: Body,
        envelope: &Envelope,
    ) -> Result<Publish, SealError> {
        let envelope = Envelope {
            time_ms: Some(now.unix_ms()),
            ..envelope.clone()
        };
        let payload = self.sender.seal(body, aad, &envelope)?;
        Ok(Publish {
            topic: self.topics.full(rel),
            payload,
            retain: false,
            ack: None,
        })
    }
}
