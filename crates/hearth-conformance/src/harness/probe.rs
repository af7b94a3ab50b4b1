//! The suite's own MQTT client: it watches one device, sends it requests — correct ones and
//! deliberately broken ones — and records in the trace everything it sends and everything
//! about the device under test it receives.
//!
//! Unlike the Controller runtime, the probe must be able to misbehave (replay, tamper, send
//! unsigned or malformed bytes) and to see every message as it arrived, so it is built on
//! rumqttc and `hearth-wire` directly. One task drives the MQTT connection and forwards every
//! publish; the probe opens each one with its own [`Receiver`] when a test case asks for
//! messages, so the trace shows exactly what the device sent, decoded or not, summarised by
//! catalog name ([`hearth_wire::view`]).
//!
//! A controller's response topic is named after its certificate subject (`05-mqtt.md`), so
//! every run that speaks as the same controller receives the responses of every device
//! answering it. Those of another device to another run's requests are no evidence about
//! this one: the probe drops a response whose header names another sender and a request id
//! it did not send, before opening it, and keeps everything it cannot attribute so.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use hearth_model::catalog::DeviceType;
use hearth_model::Description;
use hearth_mqtt::topic::{Addressed, Channel};
use hearth_mqtt::{BrokerUrl, DeviceAddr, Topics};
use hearth_security::cert::TrustStore;
use hearth_security::replay::CounterStore;
use hearth_wire::view::BodyView;
use hearth_wire::{Body, Envelope, Message, Receiver, Sender};
use rumqttc::{AsyncClient, Event, Packet, QoS};
use tokio::sync::mpsc;

use crate::requirements::req::Req;
use crate::trace::{Direction, Trace};
use crate::verdict::Outcome;

/// A controller identity the suite speaks as, with the privilege the device should grant it.
pub struct Tester {
    /// Its certificate subject.
    pub id: String,
    /// The privilege the ICS says the device grants (`manage`, `operate`, `view`, `none`).
    pub privilege: Option<hearth_model::Privilege>,
    /// Key ids of every certificate of its chain and of the chain's issuer: the CAs an
    /// access-control entry can name to match it.
    pub vouched_by: Vec<hearth_security::key::KeyId>,
    /// Its sealing state (key, chain, counter).
    pub sender: Sender<Box<dyn CounterStore + Send>>,
}

/// A message the device published, as the probe saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Trace sequence number.
    pub seq: usize,
    /// The channel it came on.
    pub channel: Channel,
    /// Whether it was retained.
    pub retain: bool,
    /// When it arrived.
    pub at: Instant,
    /// The authenticated message, or why it did not open.
    pub message: Result<Message, Rejection>,
    /// The payload as received.
    pub payload: Vec<u8>,
}

/// Why the probe's receiver did not open a message: what it said, and the identifier of the
/// requirement the refusal enforces, as the wire crate names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Trace sequence number of the message.
    pub seq: usize,
    /// What the receiver said.
    pub why: String,
    /// The requirement identifier the receiver's refusal names.
    pub id: &'static str,
}

impl Rejection {
    /// The requirement the refusal enforces, if the specification states it (it always
    /// does: every identifier in the sources is checked to resolve).
    pub fn requirement(&self) -> Option<Req> {
        Req::resolve(self.id)
    }

    /// What the device broke as the sender of the refused message, where the refusal shows
    /// it: the receiver's rule says what the suite's receiver did, the sender's rule behind
    /// it what the device did wrong. Empty where the refusal does not tell (a counter too far
    /// below the window, for one, is a sender's fault only after a restart).
    pub fn sender_side(&self) -> (&'static [Req], &'static str) {
        use crate::requirements::req;
        match self.id {
            // The receiver accepted that counter from the same key on the same topic before.
            "HRT-SEC-097" => (
                &[req::HRT_SEC_090],
                "the device gave a counter to a second message signed with its key",
            ),
            // The key resolved through the device's own validated chain.
            "HRT-SEC-034" => (
                &[req::HRT_SEC_024, req::HRT_SEC_020],
                "the device signed it for another topic than the one it published it on, or with another key than its certified one",
            ),
            _ => (&[], ""),
        }
    }

    /// A failure naming what the device broke as the sender of the message where the refusal
    /// shows it ([`Rejection::sender_side`]), else the requirement the refusal enforces:
    /// `what` did not open.
    pub fn fail(&self, what: &str) -> Outcome {
        let (sender, did) = self.sender_side();
        if let Some((first, more)) = sender.split_first() {
            let ids: Vec<&str> = sender.iter().map(|r| r.id()).collect();
            return more
                .iter()
                .fold(
                    Outcome::fail(
                        *first,
                        format!(
                            "{what} did not open: {} ({}); {did} ({})",
                            self.why,
                            self.id,
                            ids.join(", ")
                        ),
                    ),
                    |o, r| o.and(*r),
                )
                .with_evidence([self.seq]);
        }
        match self.requirement() {
            Some(r) => Outcome::fail(r, format!("{what} did not open: {}", self.why)),
            None => Outcome::error(format!(
                "{what} did not open: {}; the receiver names {}, which the specification does not state",
                self.why, self.id
            )),
        }
        .with_evidence([self.seq])
    }
}

/// A message the device published, decoded without checking its envelope.
#[derive(Debug, Clone)]
pub struct Published {
    /// Trace sequence number.
    pub seq: usize,
    /// The topic below the root.
    pub topic: String,
    /// The QoS it arrived with.
    pub qos: u8,
    /// The COSE_Sign1 envelope as received.
    pub bytes: Vec<u8>,
    /// The envelope's payload: the encoded message.
    pub payload: Vec<u8>,
    /// The message the payload decodes to.
    pub message: Message,
    /// Whether the probe's receiver opened it (signature, chain, replay window).
    pub opened: bool,
}

/// A response to one of the probe's requests.
#[derive(Debug, Clone)]
pub struct Answer {
    /// Trace sequence number.
    pub seq: usize,
    /// The authenticated response, or why it did not open.
    pub message: Result<Message, Rejection>,
    /// When it arrived.
    pub at: Instant,
}

impl Answer {
    /// Whether the answer opened and refuses its request as unauthorized: every status of a
    /// read- or write-response, or the status of an invoke-response, is `unauthorized`.
    pub fn is_unauthorized(&self) -> bool {
        let denied = |s: &hearth_model::StatusCode| *s == hearth_model::StatusCode::Unauthorized;
        match &self.message {
            Ok(Message {
                body: Body::ReadResponse(r),
                ..
            }) => r.iter().all(|x| denied(&x.status)),
            Ok(Message {
                body: Body::WriteResponse(r),
                ..
            }) => r.iter().all(|(_, s)| denied(s)),
            Ok(Message {
                body: Body::InvokeResponse(r),
                ..
            }) => denied(&r.status),
            _ => false,
        }
    }

    /// What `pick` takes from the answer to `what` (sent as trace entry `sent`): an answer
    /// that did not open fails as [`Rejection::fail`] says, one that `pick` hands back (of
    /// another kind, for which it takes nothing) fails `requirement`.
    ///
    /// # Errors
    ///
    /// The outcome of an answer that did not open or is not of the kind `pick` takes.
    pub fn body<T>(
        self,
        sent: usize,
        pick: impl FnOnce(&Body) -> Option<T>,
        (requirement, what): (Req, &str),
    ) -> Result<T, Outcome> {
        let m = self
            .message
            .map_err(|r| r.fail("the answer").with_evidence([sent]))?;
        pick(&m.body).ok_or_else(|| {
            Outcome::fail(
                requirement,
                format!("{what} was answered with {}", summarize(&m)),
            )
            .with_evidence([sent, self.seq])
        })
    }
}

/// What the probe received from the device, kept for [`Probe::published`] and
/// [`Probe::rejections`].
struct Received {
    seq: usize,
    topic: String,
    qos: u8,
    payload: Vec<u8>,
    rejection: Option<Rejection>,
}

struct Raw {
    topic: String,
    retain: bool,
    qos: u8,
    payload: Vec<u8>,
    at: Instant,
}

/// Why the probe could not work.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The broker could not be reached or refused the subscription.
    #[error("broker {0}: {1}")]
    Broker(String, String),
    /// A request could not be sealed.
    #[error("sealing: {0}")]
    Seal(String),
}

/// Ways to break a request on purpose (robustness and security test cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// A correct request.
    None,
    /// Flip a bit of the signature.
    BadSignature,
    /// Sign for another device's request topic.
    WrongTopic,
    /// Send the CBOR message without any envelope.
    Unsigned,
    /// Leave out the certificate chain (an unknown signer for a fresh receiver).
    NoChain,
}

/// The probe for one device.
pub struct Probe {
    client: AsyncClient,
    topics: Topics,
    device: DeviceAddr,
    testers: Vec<Tester>,
    receiver: Receiver,
    inbox: mpsc::UnboundedReceiver<Raw>,
    seen: VecDeque<Seen>,
    answers: Vec<(u64, Answer)>,
    trace: Trace,
    received: Vec<Received>,
    /// The request id before the first this probe sent: it sent those after it, up to
    /// `next_request`.
    first_request: u64,
    next_request: u64,
    /// Full topics on which the suite left a retained message it published, to be cleared
    /// when the probe closes (a test case that ended early has not cleared them).
    retained: Vec<String>,
    /// The certificate subject each request of this run was sealed as, newest last, so
    /// that a barrier can follow it on the same response topic; bounded by
    /// [`MAX_SENDERS_KEPT`].
    senders: VecDeque<(u64, String)>,
    /// The device's newest verified description.
    pub description: Option<Description>,
}

/// How many requests' senders the probe remembers for [`Probe::confirm`]: far more than a
/// test case sends between a request and its confirmation.
const MAX_SENDERS_KEPT: usize = 4096;

/// What a barrier showed about an earlier request ([`Probe::confirm`]).
#[derive(Debug, Clone)]
pub struct Confirmation {
    /// The answer the earlier request had, if any.
    pub answer: Option<Answer>,
    /// The trace entry of the barrier request.
    pub barrier_sent: usize,
    /// The trace entry of the barrier's answer; `None` when it had none within the timeout.
    pub barrier_answered: Option<usize>,
    /// Whether the barrier went to the same response topic as the earlier request's answer
    /// would (the same certificate subject); when not, the probe watched `margin` longer.
    pub same_topic: bool,
}

impl Probe {
    /// Connect to the broker and watch `device`. `testers` are the controller identities the
    /// suite may use; responses to each are subscribed to.
    pub async fn connect(
        broker: &BrokerUrl,
        topics: Topics,
        device: DeviceAddr,
        trust: TrustStore,
        testers: Vec<Tester>,
        client_suffix: u64,
    ) -> Result<Self, ProbeError> {
        let mut options = broker
            .mqtt_options(format!("hc-suite-{client_suffix:016x}"))
            .map_err(|e| ProbeError::Broker(broker.to_string(), e.to_string()))?;
        options.set_keep_alive(Duration::from_secs(30));
        // The suite publishes packets as large as the broker takes (TC-MQTT-4.1), whatever
        // limit a Hearth client needs for itself.
        let any = crate::ics::MAX_MQTT_PACKET;
        options.set_max_packet_size(any, any);
        let (client, mut eventloop) = BrokerUrl::client(options, 1024);
        // The description is watched under any vendor level, so that one published with
        // the vendor id spelt otherwise than the spec requires is seen and named
        // (HRT-MQTT-006, see `misaddressed_descriptions`) instead of just missing.
        let mut filters: Vec<String> = vec![topics.full(&format!(
            "d/+/{}/{}",
            device.device_id,
            Channel::Desc.name()
        ))];
        filters.extend(
            [
                Channel::Status,
                Channel::Report,
                Channel::Event,
                Channel::Window,
            ]
            .into_iter()
            .map(|c| topics.full(&Topics::device_rel(&device, c))),
        );
        filters.extend(
            testers
                .iter()
                .map(|t| topics.full(&Topics::responses_rel(&t.id))),
        );
        let (tx, inbox) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        let subscriber = client.clone();
        tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        for f in &filters {
                            let _ = subscriber.try_subscribe(f.clone(), QoS::AtLeastOnce);
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(Ok(()));
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let raw = Raw {
                            topic: p.topic.clone(),
                            retain: p.retain,
                            qos: p.qos as u8,
                            payload: p.payload.to_vec(),
                            at: Instant::now(),
                        };
                        if tx.send(raw).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(Err(e.to_string()));
                            return;
                        }
                        if tx.is_closed() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        match tokio::time::timeout(Duration::from_secs(10), ready_rx).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => return Err(ProbeError::Broker(broker.to_string(), e)),
            _ => {
                return Err(ProbeError::Broker(
                    broker.to_string(),
                    "no subscription acknowledgement within 10 s".into(),
                ))
            }
        }
        let first_request = client_suffix.rotate_left(17) & 0x0000_ffff_ffff_0000;
        Ok(Self {
            client,
            topics,
            device,
            testers,
            receiver: Receiver::new(trust),
            inbox,
            seen: VecDeque::new(),
            answers: Vec::new(),
            trace: Trace::new(),
            received: Vec::new(),
            first_request,
            next_request: first_request,
            retained: Vec::new(),
            senders: VecDeque::new(),
            description: None,
        })
    }

    /// The topics on which the device's description arrived with its vendor level spelt
    /// otherwise than as four lower-case hexadecimal digits (HRT-MQTT-006).
    pub fn misaddressed_descriptions(&mut self) -> Vec<String> {
        self.pump();
        let mut topics: Vec<String> = self
            .trace
            .entries()
            .iter()
            .filter(|e| {
                self.topics
                    .relative(&e.topic)
                    .is_some_and(|rel| vendor_level_misspelt(rel, &self.device))
            })
            .map(|e| e.topic.clone())
            .collect();
        topics.dedup();
        topics
    }

    /// The device under test.
    pub fn device(&self) -> &DeviceAddr {
        &self.device
    }

    /// The trust anchors the suite validates the device's chain against.
    pub fn trust(&self) -> &TrustStore {
        self.receiver.trust()
    }

    /// The trace so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Add a note (a step, a watched window) to the trace.
    pub fn note(&mut self, text: impl Into<String>) -> usize {
        self.pump();
        self.trace.note(text)
    }

    /// The testers.
    pub fn testers(&self) -> &[Tester] {
        &self.testers
    }

    /// The index of the first tester with `privilege`.
    pub fn tester(&self, privilege: Option<hearth_model::Privilege>) -> Option<usize> {
        self.testers.iter().position(|t| t.privilege == privilege)
    }

    /// Take everything that has arrived into the trace and the queues.
    pub fn pump(&mut self) {
        while let Ok(raw) = self.inbox.try_recv() {
            self.ingest(raw);
        }
    }

    /// Whether this probe sent a request with `id`.
    fn sent_request(&self, id: u64) -> bool {
        id.wrapping_sub(self.first_request).wrapping_sub(1)
            < self.next_request.wrapping_sub(self.first_request)
    }

    /// Whether a response whose header claims `claimed` (sender, request id) may concern the
    /// device under test: it names the device as sender or answers a request of this run.
    /// One the probe cannot decode may too.
    fn concerns_this_run(&self, claimed: Option<&(String, Option<u64>)>) -> bool {
        claimed.is_none_or(|(sender, request_id)| {
            *sender == self.device.device_id || request_id.is_some_and(|id| self.sent_request(id))
        })
    }

    fn ingest(&mut self, raw: Raw) {
        let Some(rel) = self.topics.relative(&raw.topic).map(str::to_owned) else {
            return;
        };
        let addressed = Topics::parse(&rel);
        let claimed = match addressed {
            Some(Addressed::Responses(_)) => claimed_header(&raw.payload),
            _ => None,
        };
        if matches!(addressed, Some(Addressed::Responses(_)))
            && !self.concerns_this_run(claimed.as_ref())
        {
            return;
        }
        let seq = self.trace.len();
        let opened = if raw.payload.is_empty() {
            Err(("empty payload".to_owned(), "HRT-MQTT-017"))
        } else {
            self.receiver
                .open(&raw.payload, &rel, hearth_mqtt::identity::unix_now())
                .map_err(|e| (e.to_string(), e.requirement()))
        }
        .map_err(|(why, id)| Rejection { seq, why, id });
        let (kind, summary, check) = match &opened {
            Ok(o) => (
                o.message.kind().name().to_owned(),
                self.summary(&o.message),
                "ok".to_owned(),
            ),
            Err(r) => (
                "invalid".to_owned(),
                r.why.clone(),
                format!("{}: {}", r.id, r.why),
            ),
        };
        let direction = match &addressed {
            Some(Addressed::Device(addr, _)) if *addr == self.device => Direction::In,
            Some(Addressed::Responses(_)) => Direction::In,
            _ => Direction::Seen,
        };
        let seq = self.trace.record(
            direction,
            &raw.topic,
            raw.retain,
            &kind,
            summary,
            &check,
            &raw.payload,
        );
        self.trace.set_qos(seq, raw.qos);
        if direction == Direction::In {
            self.received.push(Received {
                seq,
                topic: rel.clone(),
                qos: raw.qos,
                payload: raw.payload.clone(),
                rejection: opened.as_ref().err().cloned(),
            });
        }
        let message = opened.map(|o| o.message);
        match addressed {
            Some(Addressed::Device(addr, channel)) if addr == self.device => {
                if let (
                    Channel::Desc,
                    Ok(Message {
                        body: Body::Description(d),
                        ..
                    }),
                ) = (channel, &message)
                {
                    self.description = Some(d.clone());
                }
                self.seen.push_back(Seen {
                    seq,
                    channel,
                    retain: raw.retain,
                    at: raw.at,
                    message,
                    payload: raw.payload.clone(),
                });
            }
            Some(Addressed::Responses(_)) => {
                // Answers are what the device under test sent (for a response that did not
                // open, as its header claims); a response of another sender kept above, to a
                // request of this run, is evidence but no answer.
                let sender = match &message {
                    Ok(m) => Some(m.sender.clone()),
                    Err(_) => claimed.map(|(sender, _)| sender),
                };
                if sender.as_deref() == Some(self.device.device_id.as_str()) {
                    let id = message
                        .as_ref()
                        .ok()
                        .and_then(|m| m.request_id)
                        .unwrap_or(u64::MAX);
                    self.answers.push((
                        id,
                        Answer {
                            seq,
                            message,
                            at: raw.at,
                        },
                    ));
                }
            }
            _ => {}
        }
    }

    /// Wait until a device message satisfying `want` arrives (or has arrived and was not yet
    /// taken), at most `timeout`. Messages before it stay queued.
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        want: impl Fn(&Seen) -> bool,
    ) -> Option<Seen> {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if let Some(i) = self.seen.iter().position(&want) {
                return self.seen.remove(i);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match tokio::time::timeout(left, self.inbox.recv()).await {
                Ok(Some(raw)) => self.ingest(raw),
                Ok(None) | Err(_) => {
                    self.pump();
                    return self
                        .seen
                        .iter()
                        .position(&want)
                        .and_then(|i| self.seen.remove(i));
                }
            }
        }
    }

    /// Wait at most `timeout` until a device message satisfying `want` has arrived, leaving
    /// it queued for [`wait_for`](Self::wait_for): whether one did.
    pub async fn watch_for(&mut self, timeout: Duration, want: impl Fn(&Seen) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if self.seen.iter().any(&want) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.next(left).await {
                return self.seen.iter().any(&want);
            }
        }
    }

    /// Wait at most `timeout` for the next message from the broker and take it in: whether
    /// one came. For a case that counts what has arrived after each message.
    pub async fn next(&mut self, timeout: Duration) -> bool {
        self.pump();
        match tokio::time::timeout(timeout, self.inbox.recv()).await {
            Ok(Some(raw)) => {
                self.ingest(raw);
                true
            }
            _ => false,
        }
    }

    /// The messages received from the device (on its topics and as responses) from trace
    /// entry `since` on whose envelope parses and whose payload decodes, opened or not.
    pub fn published(&mut self, since: usize) -> Vec<Published> {
        self.pump();
        self.received
            .iter()
            .filter(|r| r.seq >= since)
            .filter_map(|r| {
                let envelope = hearth_security::cose::Envelope::parse(&r.payload).ok()?;
                let payload = envelope.unverified_payload().to_vec();
                let message =
                    hearth_wire::codec::decode(&payload, &hearth_wire::Limits::STANDARD).ok()?;
                Some(Published {
                    seq: r.seq,
                    topic: r.topic.clone(),
                    qos: r.qos,
                    bytes: r.payload.clone(),
                    payload,
                    message,
                    opened: r.rejection.is_none(),
                })
            })
            .collect()
    }

    /// Every message received from the device from trace entry `since` on that the probe's
    /// receiver did not open, with why.
    pub fn rejections(&mut self, since: usize) -> Vec<Rejection> {
        self.pump();
        self.received
            .iter()
            .filter(|r| r.seq >= since)
            .filter_map(|r| r.rejection.clone())
            .collect()
    }

    /// Forget device messages received so far (after pumping them into the trace).
    pub fn clear_seen(&mut self) {
        self.pump();
        self.seen.clear();
    }

    /// Device messages received so far and not yet taken.
    pub fn seen(&mut self) -> Vec<Seen> {
        self.pump();
        self.seen.iter().cloned().collect()
    }

    /// Seal a request from tester `who`, break it as `tamper` says, publish it and return its
    /// request id, the bytes sent, and the trace sequence number.
    pub async fn send(
        &mut self,
        who: usize,
        body: Body,
        tamper: Tamper,
    ) -> Result<(u64, Vec<u8>, usize), ProbeError> {
        self.next_request = self.next_request.wrapping_add(1);
        let request_id = self.next_request;
        let rel = Topics::device_rel(&self.device, Channel::Req);
        let envelope = Envelope {
            request_id: Some(request_id),
            target: Some(self.device.device_id.clone()),
            time_ms: Some(hearth_mqtt::identity::unix_now_ms()),
            with_chain: tamper != Tamper::NoChain,
        };
        let tester = self
            .testers
            .get_mut(who)
            .ok_or_else(|| ProbeError::Seal(format!("no tester {who}")))?;
        let msg = tester
            .sender
            .message(body, &envelope)
            .map_err(|e| ProbeError::Seal(e.to_string()))?;
        let subject = tester.id.clone();
        let bytes = match tamper {
            Tamper::Unsigned => hearth_wire::codec::encode(&msg),
            Tamper::WrongTopic => {
                let other = Topics::device_rel(
                    &DeviceAddr::new(self.device.vendor_id, "another-device"),
                    Channel::Req,
                );
                tester
                    .sender
                    .seal_message(&msg, &other)
                    .map_err(|e| ProbeError::Seal(e.to_string()))?
            }
            _ => {
                let mut b = tester
                    .sender
                    .seal_message(&msg, &rel)
                    .map_err(|e| ProbeError::Seal(e.to_string()))?;
                if tamper == Tamper::BadSignature {
                    if let Some(last) = b.last_mut() {
                        *last ^= 0x01;
                    }
                }
                b
            }
        };
        self.remember_sender(request_id, subject);
        let seq = self
            .publish_raw(
                &rel,
                bytes.clone(),
                &format!("{} {}", msg.kind().name(), self.summary(&msg)),
            )
            .await?;
        Ok((request_id, bytes, seq))
    }

    /// Seal a request from tester `who` for the device's request topic without publishing
    /// it: `adjust` may change the numbered message (target, request id, time) before it is
    /// signed. The request id and the sealed bytes; publish them with
    /// [`publish_raw`](Self::publish_raw). Counters follow the order of sealing.
    pub fn seal_request(
        &mut self,
        who: usize,
        body: Body,
        adjust: impl FnOnce(&mut Message),
    ) -> Result<(u64, Vec<u8>), ProbeError> {
        let rel = Topics::device_rel(&self.device, Channel::Req);
        self.seal_request_for(who, body, &rel, adjust)
    }

    /// Like [`seal_request`](Self::seal_request), signed for the topic `rel` (below the root)
    /// instead of the device's request topic.
    pub fn seal_request_for(
        &mut self,
        who: usize,
        body: Body,
        rel: &str,
        adjust: impl FnOnce(&mut Message),
    ) -> Result<(u64, Vec<u8>), ProbeError> {
        self.next_request = self.next_request.wrapping_add(1);
        let request_id = self.next_request;
        let envelope = Envelope {
            request_id: Some(request_id),
            target: Some(self.device.device_id.clone()),
            time_ms: Some(hearth_mqtt::identity::unix_now_ms()),
            with_chain: true,
        };
        let tester = self
            .testers
            .get_mut(who)
            .ok_or_else(|| ProbeError::Seal(format!("no tester {who}")))?;
        let mut msg = tester
            .sender
            .message(body, &envelope)
            .map_err(|e| ProbeError::Seal(e.to_string()))?;
        adjust(&mut msg);
        let bytes = tester
            .sender
            .seal_message(&msg, rel)
            .map_err(|e| ProbeError::Seal(e.to_string()))?;
        let subject = tester.id.clone();
        if let Some(id) = msg.request_id {
            self.remember_sender(id, subject);
        }
        Ok((request_id, bytes))
    }

    /// Note that request `id` was sealed as `subject`, forgetting the oldest beyond
    /// [`MAX_SENDERS_KEPT`].
    fn remember_sender(&mut self, id: u64, subject: String) {
        if self.senders.len() >= MAX_SENDERS_KEPT {
            self.senders.pop_front();
        }
        self.senders.push_back((id, subject));
    }

    /// The tester that sends the barrier after request `id`, and whether its answer goes to
    /// the response topic of that request's sender: a tester of the same certificate subject
    /// that the device must answer (any privilege but none), else the most privileged one.
    fn barrier_tester(&self, id: u64) -> Option<(usize, bool)> {
        let subject = self
            .senders
            .iter()
            .rev()
            .find(|(r, _)| *r == id)
            .map(|(_, s)| s.as_str());
        if let Some(subject) = subject {
            if let Some(i) = self
                .testers
                .iter()
                .position(|t| t.id == subject && t.privilege.is_some())
            {
                return Some((i, true));
            }
        }
        let best = self
            .testers
            .iter()
            .enumerate()
            .filter(|(_, t)| t.privilege.is_some())
            .max_by_key(|(i, t)| (t.privilege, std::cmp::Reverse(*i)))?;
        Some((best.0, false))
    }

    /// Confirm by order that the device has handled request `id`, and take the answer it
    /// had, if any (06 §5.4, HRT-CONF-037): send a correct read (a barrier) and wait at most
    /// `timeout` for its answer. A device handles its requests one at a time in the order of
    /// arrival and answers in that order (HRT-MSG-098, HRT-MQTT-044), and MQTT keeps one
    /// client's messages on one topic in order, so once the barrier is answered on the
    /// response topic the earlier request's answer would have used, that answer has arrived
    /// or there is none. Where no tester of the earlier request's subject gets answers (a
    /// controller outside the access-control list), the barrier's answer comes on another
    /// topic, which MQTT does not order with it, and the probe watches `margin` longer.
    pub async fn confirm(
        &mut self,
        id: u64,
        timeout: Duration,
        margin: Duration,
    ) -> Result<Confirmation, ProbeError> {
        let (who, same_topic) = self
            .barrier_tester(id)
            .ok_or_else(|| ProbeError::Seal("no tester the device answers".into()))?;
        let (barrier_sent, barrier_answered) = self.barrier(who, timeout).await?;
        let mut answer = self.take_answer(id);
        if answer.is_none() && !same_topic && barrier_answered.is_some() {
            answer = self.answer(id, margin).await;
        }
        Ok(Confirmation {
            answer,
            barrier_sent,
            barrier_answered,
            same_topic,
        })
    }

    /// Send a barrier as tester `who`, a correct read, and wait at most `timeout` for its
    /// answer: the trace entries of the barrier and of its answer, if it came.
    pub async fn barrier(
        &mut self,
        who: usize,
        timeout: Duration,
    ) -> Result<(usize, Option<usize>), ProbeError> {
        let (id, _, sent) = self.send(who, barrier(), Tamper::None).await?;
        Ok((sent, self.answer(id, timeout).await.map(|a| a.seq)))
    }

    /// The answer to request `id` already received, taken.
    fn take_answer(&mut self, id: u64) -> Option<Answer> {
        self.pump();
        let i = self.answers.iter().position(|(r, _)| *r == id)?;
        Some(self.answers.remove(i).1)
    }

    /// The signer of tester `who`, to sign envelopes of a test case's own making.
    pub fn tester_signer(
        &self,
        who: usize,
    ) -> Option<&(dyn hearth_security::cose::Signer + Send + Sync)> {
        self.testers.get(who).map(|t| t.sender.signer())
    }

    /// Publish bytes to a topic below the root as they are, and trace them.
    pub async fn publish_raw(
        &mut self,
        rel: &str,
        bytes: Vec<u8>,
        summary: &str,
    ) -> Result<usize, ProbeError> {
        let topic = self.topics.full(rel);
        let kind = hearth_security::cose::Envelope::parse(&bytes)
            .ok()
            .and_then(|e| {
                hearth_wire::codec::decode(e.unverified_payload(), &hearth_wire::Limits::STANDARD)
                    .ok()
            })
            .map_or_else(|| "raw".to_owned(), |m| m.kind().name().to_owned());
        self.publish_traced((&topic, false), &kind, bytes, summary)
            .await
    }

    /// Publish bytes on a full topic name (not below the root), retained or not, and trace
    /// them.
    pub async fn publish_full(
        &mut self,
        topic: &str,
        retain: bool,
        bytes: Vec<u8>,
        summary: &str,
    ) -> Result<usize, ProbeError> {
        self.publish_traced((topic, retain), "raw", bytes, summary)
            .await
    }

    /// Record bytes sent on `topic` (retained or not) in the trace as `kind`, then publish
    /// them; the trace entry.
    async fn publish_traced(
        &mut self,
        (topic, retain): (&str, bool),
        kind: &str,
        bytes: Vec<u8>,
        summary: &str,
    ) -> Result<usize, ProbeError> {
        let seq = self.trace.record(
            Direction::Out,
            topic,
            retain,
            kind,
            summary.to_owned(),
            "",
            &bytes,
        );
        if retain {
            self.retained.retain(|t| t != topic);
            if !bytes.is_empty() {
                self.retained.push(topic.to_owned());
            }
        }
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, bytes)
            .await
            .map_err(|e| ProbeError::Broker(String::new(), e.to_string()))?;
        Ok(seq)
    }

    /// A one-line summary of `msg` for the trace, naming modes, phases and faults by the
    /// device under test's type once its description is known.
    pub fn summary(&self, msg: &Message) -> String {
        let dt = self
            .description
            .as_ref()
            .and_then(|d| hearth_wire::view::device_type(d.device_type));
        summarize_for(msg, dt)
    }

    /// The full name of a topic below the root.
    pub fn full_topic(&self, rel: &str) -> String {
        self.topics.full(rel)
    }

    /// The request topic of the device, below the root.
    pub fn request_topic(&self) -> String {
        Topics::device_rel(&self.device, Channel::Req)
    }

    /// Wait for the response to `request_id`, at most `timeout`.
    pub async fn answer(&mut self, request_id: u64, timeout: Duration) -> Option<Answer> {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump();
            if let Some(i) = self.answers.iter().position(|(id, _)| *id == request_id) {
                return Some(self.answers.remove(i).1);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match tokio::time::timeout(left, self.inbox.recv()).await {
                Ok(Some(raw)) => self.ingest(raw),
                _ => {
                    self.pump();
                    return self
                        .answers
                        .iter()
                        .position(|(id, _)| *id == request_id)
                        .map(|i| self.answers.remove(i).1);
                }
            }
        }
    }

    /// The trace entry of an answer to request `id` received so far, left in place.
    pub fn answers_to(&mut self, id: u64) -> Option<usize> {
        self.pump();
        self.answers
            .iter()
            .find(|(r, _)| *r == id)
            .map(|(_, a)| a.seq)
    }

    /// Responses that did not open or answered no known request.
    pub fn stray_answers(&mut self) -> Vec<Answer> {
        self.pump();
        self.answers.drain(..).map(|(_, a)| a).collect()
    }

    /// Send a correct request and wait for its authenticated response.
    pub async fn ask(
        &mut self,
        who: usize,
        body: Body,
        timeout: Duration,
    ) -> Result<(Message, usize), String> {
        let (id, _, sent) = self
            .send(who, body, Tamper::None)
            .await
            .map_err(|e| e.to_string())?;
        match self.answer(id, timeout).await {
            Some(Answer {
                message: Ok(m),
                seq,
                ..
            }) => Ok((m, seq)),
            Some(Answer {
                message: Err(r),
                seq,
                ..
            }) => Err(format!(
                "the response (trace #{seq}) did not open: {} [{}]",
                r.why, r.id
            )),
            None => Err(format!(
                "no response to the request (trace #{sent}) within {timeout:?}"
            )),
        }
    }

    /// Open a second, fresh subscription to the device's `channel` and return whether the
    /// broker delivers a retained message there within `window` (HRT-MQTT-015).
    pub async fn retained(
        &mut self,
        broker: &BrokerUrl,
        channel: Channel,
        window: Duration,
    ) -> Result<bool, ProbeError> {
        let topics = self.topics.clone();
        self.retained_under(broker, &topics, channel, window).await
    }

    /// Like [`retained`](Self::retained), under another topic root.
    pub async fn retained_under(
        &mut self,
        broker: &BrokerUrl,
        topics: &Topics,
        channel: Channel,
        window: Duration,
    ) -> Result<bool, ProbeError> {
        let topic = topics.full(&Topics::device_rel(&self.device, channel));
        let options = broker
            .mqtt_options(format!("hc-suite-retained-{:x}", self.next_request))
            .map_err(|e| ProbeError::Broker(broker.to_string(), e.to_string()))?;
        let (client, mut eventloop) = BrokerUrl::client(options, 16);
        client
            .subscribe(topic.clone(), QoS::AtLeastOnce)
            .await
            .map_err(|e| ProbeError::Broker(broker.to_string(), e.to_string()))?;
        self.trace.note(format!(
            "fresh subscription to {topic}, watching {window:?} for a retained message"
        ));
        let found = tokio::time::timeout(window, async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p)))
                        if p.retain && !p.payload.is_empty() =>
                    {
                        return true
                    }
                    Ok(_) => {}
                    Err(_) => return false,
                }
            }
        })
        .await
        .unwrap_or(false);
        let _ = client.disconnect().await;
        Ok(found)
    }

    /// Clear every retained message the suite left on the broker (HRT-CONF-061: a test case
    /// that ended early, or was interrupted, did not), then stop the connection.
    pub async fn close(mut self) -> Trace {
        for topic in std::mem::take(&mut self.retained) {
            let _ = self
                .publish_full(
                    &topic,
                    true,
                    Vec::new(),
                    "clear the retained message the suite left",
                )
                .await;
        }
        let _ = self.client.disconnect().await;
        self.trace
    }
}

/// The barrier request: a read of device-info `model`, which every device has and every
/// privilege may read.
fn barrier() -> Body {
    Body::Read(vec![hearth_model::Path::new(0, 1, 4)])
}

/// A one-line summary of a message for the trace, by catalog name: counter, sender, request
/// id and the body as [`BodyView::line`] shows it.
pub fn summarize(msg: &Message) -> String {
    summarize_for(msg, None)
}

/// [`summarize`], with `dt` naming modes, phases and faults.
pub fn summarize_for(msg: &Message, dt: Option<&DeviceType>) -> String {
    let rid = msg
        .request_id
        .map(|r| format!(" req {r:x}"))
        .unwrap_or_default();
    format!(
        "#{} from {}{rid}: {}",
        msg.counter,
        msg.sender,
        BodyView::new(&msg.body, dt).line()
    )
}

/// The sender and request id a message's header claims, read without opening its envelope;
/// `None` when the bytes are no envelope of a message that decodes.
fn claimed_header(payload: &[u8]) -> Option<(String, Option<u64>)> {
    let envelope = hearth_security::cose::Envelope::parse(payload).ok()?;
    let message = hearth_wire::codec::decode(
        envelope.unverified_payload(),
        &hearth_wire::Limits::STANDARD,
    )
    .ok()?;
    Some((message.sender, message.request_id))
}

/// Whether `rel` is the description topic of `device` with its vendor level naming the right
/// vendor but not written as exactly four lower-case hexadecimal digits (HRT-MQTT-006).
fn vendor_level_misspelt(rel: &str, device: &DeviceAddr) -> bool {
    let mut levels = rel.split('/');
    let (Some("d"), Some(vendor), Some(id), Some(channel), None) = (
        levels.next(),
        levels.next(),
        levels.next(),
        levels.next(),
        levels.next(),
    ) else {
        return false;
    };
    id == device.device_id
        && channel == Channel::Desc.name()
        && vendor != format!("{:04x}", device.vendor_id)
        && vendor.bytes().all(|b| b.is_ascii_hexdigit())
        && u16::from_str_radix(vendor, 16) == Ok(device.vendor_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vendor_level_spelt_otherwise_is_recognised() {
        let device = DeviceAddr::new(0xfff1, "ac-aurora-1");
        for rel in [
            "d/FFF1/ac-aurora-1/desc",
            "d/Fff1/ac-aurora-1/desc",
            "d/0fff1/ac-aurora-1/desc",
        ] {
            assert!(vendor_level_misspelt(rel, &device), "{rel}");
        }
        for rel in [
            "d/fff1/ac-aurora-1/desc",
            "d/fff2/ac-aurora-1/desc",
            "d/FFF2/ac-aurora-1/desc",
            "d/FFF1/ac-aurora-2/desc",
            "d/FFF1/ac-aurora-1/status",
            "d/FFF1/ac-aurora-1/desc/x",
            "d/+fff1/ac-aurora-1/desc",
            "c/FFF1/resp",
        ] {
            assert!(!vendor_level_misspelt(rel, &device), "{rel}");
        }
    }
}
