//! The appliances the suite plays for a controller under test (`spec/08-controllers.md` §6):
//! two lab fans under a lab root of the suite's own, each a conforming device core of
//! `hearth-node`, and the credentials the controller must not accept.
//!
//! Every message of the lab — what the fans' cores publish and every hostile message a case
//! makes — goes out on **one** MQTT connection at QoS 1, in the order the cases ask for it,
//! so that a marker published after a hostile message on the same topic reaches the
//! controller after it (HRT-CTL-040). The fans' cores answer the controller's requests as a
//! device does, and every request is recorded for the cases that judge the controller as a
//! sender.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hearth_model::{Catalog, Description, Path, StatusCode, Value};
use hearth_mqtt::topic::Channel;
use hearth_mqtt::{BrokerUrl, DeviceAddr, Topics};
use hearth_node::device::{DeviceCore, DeviceSettings, Handler};
use hearth_node::{Credential as NodeCredential, Time, Transmit};
use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::cert::{Role, TrustStore};
use hearth_security::pki::{self, Credential, IssueRequest, TEST_VENDOR_ID};
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_security::{Algorithm, KeyId};
use hearth_wire::{Body, Envelope, Message, Report, Sender};
use rumqttc::{AsyncClient, Event, Packet, QoS};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The device ids of the lab fans.
pub const LAB_FANS: [&str; 2] = ["lab-fan-1", "lab-fan-2"];
/// The device id of the lab vendor's device that is neither lab fan ([`HostileKey::OtherDevice`]).
pub const OTHER_DEVICE: &str = "lab-fan-stranger";
/// fan-control `level` (1–12): the property hostile messages try to change.
pub const LEVEL: Path = Path::new(0, 9, 1);
/// energy-measurement `energy`: the markers' property; every marker is a new, higher value.
pub const ENERGY: Path = Path::new(0, 16, 1);

const DESCRIPTION: &str = include_str!("lab-fan.json");
const DAY: u64 = 86_400;
/// How many of a fan's own publishes are kept for replays and moves.
const KEPT: usize = 256;

/// The lab's certificates: a root the controller is told to trust, its vendor CA, and a
/// foreign root with a vendor CA of its own that the controller has never heard of.
pub struct LabPki {
    /// The lab root (`{trust}`).
    pub root: Credential,
    /// The vendor CA (vendor `fff1`) that issued the lab fans.
    pub vendor: Credential,
    /// A root the controller does not trust.
    pub foreign_root: Credential,
    /// A vendor CA under the foreign root.
    pub foreign_vendor: Credential,
    /// A device certificate of the lab vendor for the first lab fan's id, and a key of its
    /// own, that the vendor CA's revocation list revokes ([`HostileKey::Revoked`]).
    pub revoked: (
        hearth_security::cert::Certificate,
        Arc<dyn hearth_security::Signer + Send + Sync>,
    ),
    /// When the certificates were issued.
    pub now: u64,
}

impl LabPki {
    /// Fresh certificates at `now` (seconds since the epoch).
    ///
    /// # Errors
    ///
    /// What failed to issue.
    pub fn generate(now: u64) -> Result<Self, String> {
        let rng = ring::rand::SystemRandom::new();
        let e = |e: hearth_security::cert::CertError| e.to_string();
        let vendor_req = IssueRequest {
            role: Role::Vendor,
            subject: "hearth-lab-vendor-fff1".into(),
            vendor_id: Some(TEST_VENDOR_ID),
            device_type: None,
            model: None,
            days: 30,
            alg: Algorithm::EdDsa,
        };
        let root =
            pki::create_root("hearth-lab-root", 30, Algorithm::EdDsa, now, &rng).map_err(e)?;
        let vendor = pki::issue(&vendor_req, &root, now, &rng).map_err(e)?;
        let foreign_root =
            pki::create_root("hearth-lab-foreign-root", 30, Algorithm::EdDsa, now, &rng)
                .map_err(e)?;
        let foreign_vendor = pki::issue(&vendor_req, &foreign_root, now, &rng).map_err(e)?;
        let revoked = Self::device(&vendor, LAB_FANS[0], now, 30)?;
        let revoked = (revoked.cert, Arc::new(revoked.key) as Arc<_>);
        Ok(Self {
            root,
            vendor,
            foreign_root,
            foreign_vendor,
            revoked,
            now,
        })
    }

    /// The vendor CA's revocation list, which revokes [`revoked`](Self::revoked)'s key.
    fn revocation_list(&self) -> Result<Vec<u8>, String> {
        hearth_security::revocation::RevocationList {
            issuer: self.vendor.cert.claims().subject.clone(),
            this_update: self.now,
            next_update: self.now + 30 * DAY,
            revoked: [*self.revoked.0.subject_kid()].into_iter().collect(),
        }
        .issue(&self.vendor.cert, &self.vendor.key)
        .map_err(|e| format!("signing the lab vendor's revocation list: {e}"))
    }

    /// A device certificate for `id` issued by `issuer`, valid `days` from `now`.
    fn device(issuer: &Credential, id: &str, now: u64, days: u64) -> Result<Credential, String> {
        let rng = ring::rand::SystemRandom::new();
        let req = IssueRequest {
            days,
            ..IssueRequest::device(id, "fan", "Hearth lab fan")
        };
        pki::issue(&req, issuer, now, &rng).map_err(|e| e.to_string())
    }

    /// The subject, key and chain a hostile [`Signer`] signs with: a device of the foreign
    /// vendor, an expired one, a controller named as the device, another device of the lab
    /// vendor, or a revoked one.
    fn hostile(&self, kind: HostileKey, id: &str) -> Result<HostileSigner, String> {
        let (cert, key, issuer): (_, Arc<dyn hearth_security::Signer + Send + Sync>, _) = match kind
        {
            HostileKey::Revoked => (self.revoked.0.clone(), self.revoked.1.clone(), &self.vendor),
            kind => {
                let (c, issuer) = self.issue_hostile(kind, id)?;
                (c.cert, Arc::new(c.key), issuer)
            }
        };
        let chain = vec![cert.as_bytes().to_vec(), issuer.cert.as_bytes().to_vec()];
        Ok((cert.claims().subject.clone(), key, chain))
    }

    /// A fresh hostile credential of `kind` (not [`HostileKey::Revoked`]) and its issuer.
    fn issue_hostile(
        &self,
        kind: HostileKey,
        id: &str,
    ) -> Result<(Credential, &Credential), String> {
        match kind {
            HostileKey::Foreign => Ok((
                Self::device(&self.foreign_vendor, id, self.now, 30)?,
                &self.foreign_vendor,
            )),
            // Issued two days ago for one day: expired a day ago.
            HostileKey::Expired => Ok((
                Self::device(&self.vendor, id, self.now.saturating_sub(2 * DAY), 1)?,
                &self.vendor,
            )),
            HostileKey::Controller | HostileKey::Revoked => {
                let req = IssueRequest {
                    role: Role::Controller,
                    subject: id.to_owned(),
                    vendor_id: Some(TEST_VENDOR_ID),
                    device_type: None,
                    model: None,
                    days: 30,
                    alg: Algorithm::EdDsa,
                };
                let rng = ring::rand::SystemRandom::new();
                let c =
                    pki::issue(&req, &self.vendor, self.now, &rng).map_err(|e| e.to_string())?;
                Ok((c, &self.vendor))
            }
            HostileKey::OtherDevice => Ok((
                Self::device(&self.vendor, OTHER_DEVICE, self.now, 30)?,
                &self.vendor,
            )),
        }
    }
}

/// What a hostile message is signed with: the subject its header names, the key, the chain.
type HostileSigner = (
    String,
    Arc<dyn hearth_security::Signer + Send + Sync>,
    Vec<Vec<u8>>,
);

/// Whose key signs a hostile message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostileKey {
    /// A device certificate for the fan's id under a root the controller does not trust.
    Foreign,
    /// A device certificate for the fan's id from the lab vendor that has expired.
    Expired,
    /// A controller certificate of the lab vendor whose subject is the fan's id.
    Controller,
    /// A valid device certificate of the lab vendor for another device
    /// ([`OTHER_DEVICE`]), which signs as itself for the fan's topic.
    OtherDevice,
    /// A device certificate of the lab vendor for the first fan's id that the vendor CA's
    /// revocation list revokes ([`LabPki::revoked`], [`Lab::publish_revocation_list`]).
    Revoked,
}

/// A lab fan's application: every property holds a value, writes are kept.
struct LabHandler {
    values: BTreeMap<Path, Value>,
}

impl Handler for LabHandler {
    fn read(&mut self, path: &Path) -> Result<Value, StatusCode> {
        self.values
            .get(path)
            .cloned()
            .ok_or(StatusCode::UnsupportedProperty)
    }
    fn write(&mut self, path: &Path, value: &Value) -> Result<(), StatusCode> {
        self.values.insert(*path, value.clone());
        Ok(())
    }
    fn invoke(&mut self, _path: &Path, _args: &Value) -> Result<Option<Value>, StatusCode> {
        Ok(None)
    }
}

/// One publish of the lab, as it went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The full topic.
    pub topic: String,
    /// The bytes.
    pub payload: Vec<u8>,
}

/// A request of the controller to a lab fan, as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The fan it went to.
    pub device: DeviceAddr,
    /// Its message, decoded without verification (`None` when it does not decode).
    pub message: Option<Message>,
}

struct Fan {
    addr: DeviceAddr,
    core: DeviceCore<LabHandler, MemoryCounterStore>,
    /// The fan's own key and chain, for the messages a case makes the fan sign that its
    /// core never would (a response to no request).
    signer: Arc<dyn hearth_security::Signer + Send + Sync>,
    chain: Vec<Vec<u8>>,
    kept: Vec<Sent>,
    energy: i64,
}

struct Inner {
    fans: Vec<Fan>,
    requests: Vec<SeenRequest>,
    /// The response to send ahead of a fan's own answer to its next request, by fan.
    forgeries: BTreeMap<usize, Forgery>,
    /// What became of each forgery sent ahead of a fan's answer, by fan, until a case takes it.
    forged: BTreeMap<usize, Result<(), String>>,
    client: AsyncClient,
    topics: Topics,
}

fn now() -> Time {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Time::from_unix_ms(ms)
}

impl Inner {
    /// Hand everything the fans' cores have to do to the client, in order.
    fn flush(&mut self) -> Result<(), String> {
        for fan in &mut self.fans {
            while let Some(t) = fan.core.poll_transmit() {
                match t {
                    Transmit::Publish(p) => {
                        self.client
                            .try_publish(
                                p.topic.clone(),
                                QoS::AtLeastOnce,
                                p.retain,
                                p.payload.clone(),
                            )
                            .map_err(|e| format!("publishing for {}: {e}", fan.addr))?;
                        fan.kept.push(Sent {
                            topic: p.topic,
                            payload: p.payload,
                        });
                        if fan.kept.len() > KEPT {
                            fan.kept.remove(0);
                        }
                    }
                    Transmit::Subscribe(filters) => {
                        for f in filters {
                            self.client
                                .try_subscribe(f, QoS::AtLeastOnce)
                                .map_err(|e| format!("subscribing for {}: {e}", fan.addr))?;
                        }
                    }
                    Transmit::Disconnect => {}
                }
            }
        }
        Ok(())
    }

    fn on_publish(&mut self, topic: &str, payload: &[u8], retain: bool) {
        let now = now();
        for i in 0..self.fans.len() {
            let req = self
                .topics
                .full(&Topics::device_rel(&self.fans[i].addr, Channel::Req));
            if topic != req {
                continue;
            }
            let message = decode_unverified(payload);
            if let (Some(forgery), Some(request)) = (self.forgeries.remove(&i), &message) {
                // The case asks what became of it: a forgery that did not go out must not
                // pass as one the controller refused.
                let sent = self.forge_answer(i, forgery, request);
                self.forged.insert(i, sent);
            }
            self.requests.push(SeenRequest {
                device: self.fans[i].addr.clone(),
                message,
            });
            self.fans[i]
                .core
                .handle_publish(now, topic, payload, retain);
        }
        let _ = self.flush();
    }

    /// A counter fan `i` never uses again, above every one it used: its core seals a report
    /// with it, which is discarded (HRT-CTL-030).
    fn spare_counter(&mut self, i: usize) -> Result<u64, String> {
        self.flush()?;
        let fan = &mut self.fans[i];
        let held = fan.core.handler().values.get(&ENERGY).cloned();
        fan.core
            .report(now(), vec![(ENERGY, held.unwrap_or(Value::Int(0)))]);
        let Some(Transmit::Publish(spent)) = fan.core.poll_transmit() else {
            return Err("the fan's core sealed no report".into());
        };
        Ok(decode_unverified(&spent.payload)
            .ok_or("the fan's own report does not decode")?
            .counter)
    }

    /// A response to `controller` for `request_id` carrying `body`, signed by fan `signer`
    /// with a spare counter and published on the controller's response topic; `tamper`
    /// changes the encoded message before it is signed.
    fn forge(
        &mut self,
        signer: usize,
        controller: &str,
        request_id: u64,
        body: Body,
        tamper: impl FnOnce(&mut [u8]),
    ) -> Result<Sent, String> {
        let counter = self.spare_counter(signer)?;
        let fan = &self.fans[signer];
        let msg = Message {
            request_id: Some(request_id),
            target: Some(controller.to_owned()),
            time_ms: Some(now().unix_ms()),
            chain: fan.chain.clone(),
            ..Message::new(fan.addr.device_id.clone(), counter, body)
        };
        let rel = Topics::responses_rel(controller);
        let mut encoded = hearth_wire::codec::encode(&msg);
        tamper(encoded.as_mut_slice());
        let payload = hearth_security::cose::sign1(fan.signer.as_ref(), &encoded, rel.as_bytes())
            .map_err(|e| e.to_string())?;
        let topic = self.topics.full(&rel);
        self.client
            .try_publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
            .map_err(|e| e.to_string())?;
        self.flush()?;
        Ok(Sent { topic, payload })
    }

    /// Send `forgery` as the answer to `request`, a request to fan `i`.
    fn forge_answer(
        &mut self,
        i: usize,
        forgery: Forgery,
        request: &Message,
    ) -> Result<(), String> {
        let id = request
            .request_id
            .ok_or("the request carries no request id")?;
        let to = request.sender.clone();
        match forgery {
            Forgery::OtherFan(level) => {
                let results = vec![hearth_wire::ReadResult {
                    path: LEVEL,
                    status: StatusCode::Success,
                    value: Some(Value::Int(level)),
                }];
                let other = (i + 1) % self.fans.len();
                self.forge(other, &to, id, Body::ReadResponse(results), |_| {})?;
            }
            Forgery::UnknownStatus => {
                let body = Body::WriteResponse(vec![(LEVEL, StatusCode::Busy)]);
                self.forge(i, &to, id, body, unknown_status)?;
            }
        }
        Ok(())
    }
}

/// The status code of LEVEL's write result (`busy`, 12) becomes 23, a code no version of
/// the catalog defines.
fn unknown_status(encoded: &mut [u8]) {
    let result = [0x84, 0x00, 0x09, 0x01, 0x0c];
    if let Some(at) = encoded.windows(result.len()).position(|w| w == result) {
        encoded[at + 4] = 0x17;
    }
}

/// A response the lab sends to the controller ahead of a fan's own answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// The other lab fan, a valid device of the lab vendor, signs as itself a read response
    /// carrying this level for the request (HRT-MQTT-012).
    OtherFan(i64),
    /// The fan itself answers the write with a status code no catalog defines for `level`
    /// (HRT-MSG-071).
    UnknownStatus,
}

/// The message inside a sealed envelope, without verifying it.
pub fn decode_unverified(payload: &[u8]) -> Option<Message> {
    let sign1 = hearth_security::cose::Sign1::parse(payload).ok()?;
    hearth_wire::codec::decode(&sign1.payload?, &hearth_wire::Limits::STANDARD).ok()
}

/// The lab: its certificates, its fans and its connection.
pub struct Lab {
    inner: Arc<Mutex<Inner>>,
    task: JoinHandle<()>,
    /// The lab's certificates.
    pub pki: LabPki,
}

impl Drop for Lab {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Lab {
    /// Connect the lab fans to `broker` under `topics`, admitting the controller whose leaf
    /// key is `controller` with `operate`, and trusting `controller_root` for its chain.
    /// Returns once the broker has accepted the connection and the fans have announced
    /// themselves, at most `within`.
    ///
    /// # Errors
    ///
    /// What failed: certificates, the description, the broker.
    pub async fn start(
        broker: &BrokerUrl,
        topics: Topics,
        controller: KeyId,
        controller_root: &hearth_security::cert::Certificate,
        within: Duration,
    ) -> Result<Self, String> {
        let pki = LabPki::generate(now().unix_secs())?;
        let mut trust = TrustStore::new();
        trust
            .add_root(controller_root.clone())
            .map_err(|e| format!("the controller's root: {e}"))?;
        let acl = Acl::from_entries(vec![AclEntry {
            subject: AclSubject::Key(controller),
            privilege: Privilege::Operate,
        }])
        .map_err(|e| e.to_string())?;
        let mut fans = Vec::new();
        for id in LAB_FANS {
            let cred = LabPki::device(&pki.vendor, id, pki.now, 30)?;
            let mut desc: Description =
                serde_json::from_str(DESCRIPTION).map_err(|e| e.to_string())?;
            desc.device_id = id.into();
            let values = desc.initial_values(Catalog::standard());
            let chain = vec![
                cred.cert.as_bytes().to_vec(),
                pki.vendor.cert.as_bytes().to_vec(),
            ];
            let signer: Arc<dyn hearth_security::Signer + Send + Sync> = Arc::new(cred.key);
            let node = NodeCredential::new(
                id,
                Some(TEST_VENDOR_ID),
                chain.clone(),
                signer.clone(),
                trust.clone(),
            );
            let mut boot = [0u8; 8];
            let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut boot);
            let settings = DeviceSettings {
                topics: topics.clone(),
                ..DeviceSettings::new(desc, acl.clone(), u64::from_be_bytes(boot))
            };
            let core = DeviceCore::new(
                settings,
                &node,
                MemoryCounterStore::default(),
                LabHandler { values },
            )
            .map_err(|e| format!("{id}: {e}"))?;
            fans.push(Fan {
                addr: DeviceAddr::new(TEST_VENDOR_ID, id),
                core,
                signer,
                chain,
                kept: Vec::new(),
                energy: 0,
            });
        }
        let mut options = broker
            .mqtt_options(format!("hc-lab-{:016x}", now().unix_ms()))
            .map_err(|e| e.to_string())?;
        options.set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = BrokerUrl::client(options, 4096);
        let inner = Arc::new(Mutex::new(Inner {
            fans,
            requests: Vec::new(),
            forgeries: BTreeMap::new(),
            forged: BTreeMap::new(),
            client,
            topics,
        }));
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), String>>();
        let driven = inner.clone();
        let task = tokio::spawn(async move {
            let mut ready = Some(ready_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let mut inner = lock(&driven);
                        let now = now();
                        for fan in &mut inner.fans {
                            fan.core.handle_connected(now);
                        }
                        let flushed = inner.flush();
                        if let Some(r) = ready.take() {
                            let _ = r.send(flushed);
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        lock(&driven).on_publish(&p.topic, &p.payload, p.retain);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(Err(e.to_string()));
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(250)).await;
                        let mut inner = lock(&driven);
                        for fan in &mut inner.fans {
                            let _ = fan.core.handle_connection_lost();
                        }
                    }
                }
            }
        });
        match tokio::time::timeout(within, ready_rx).await {
            Ok(Ok(Ok(()))) => Ok(Self { inner, task, pki }),
            Ok(Ok(Err(e))) => Err(format!("the lab's connection to {broker}: {e}")),
            _ => Err(format!(
                "the broker {broker} did not accept the lab's connection within {within:?}"
            )),
        }
    }

    /// Publish the vendor CA's revocation list, which revokes [`LabPki::revoked`], retained
    /// on its topic (HRT-MQTT-061).
    ///
    /// # Errors
    ///
    /// The list could not be signed, or the client's queue is full.
    pub fn publish_revocation_list(&self) -> Result<(), String> {
        let list = self.pki.revocation_list()?;
        let ca = self.pki.vendor.cert.subject_kid().to_hex();
        let inner = self.inner();
        let topic = inner.topics.full(&Topics::revocation_rel(&ca));
        inner
            .client
            .try_publish(topic, QoS::AtLeastOnce, true, list)
            .map_err(|e| e.to_string())
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// The address of lab fan `i`.
    pub fn addr(&self, i: usize) -> DeviceAddr {
        DeviceAddr::new(TEST_VENDOR_ID, LAB_FANS[i % LAB_FANS.len()])
    }

    /// The full topic of `channel` of fan `i`.
    pub fn topic(&self, i: usize, channel: Channel) -> String {
        let inner = self.inner();
        inner
            .topics
            .full(&Topics::device_rel(&self.addr(i), channel))
    }

    /// Fan `i` reports `changes`, as a conforming device does (the value is also kept as
    /// the fan's own).
    ///
    /// # Errors
    ///
    /// The client's queue is full or the connection is gone.
    pub fn report(&self, i: usize, changes: Vec<(Path, Value)>) -> Result<(), String> {
        let mut inner = self.inner();
        let fan = &mut inner.fans[i];
        for (p, v) in &changes {
            let _ = fan.core.handler_mut().write(p, v);
        }
        fan.core.report(now(), changes);
        inner.flush()
    }

    /// Fan `i` seals a report of `changes` with its own key and next counter but does not
    /// publish it: the case publishes the bytes later ([`publish_raw`](Self::publish_raw)),
    /// after a newer report, to deliver the two out of order. The fan holds the values as
    /// its own, as [`report`](Self::report) does.
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn sealed_report(&self, i: usize, changes: Vec<(Path, Value)>) -> Result<Sent, String> {
        let mut inner = self.inner();
        inner.flush()?;
        let fan = &mut inner.fans[i];
        for (p, v) in &changes {
            let _ = fan.core.handler_mut().write(p, v);
        }
        fan.core.report(now(), changes);
        let Some(Transmit::Publish(p)) = fan.core.poll_transmit() else {
            return Err("the fan's core sealed no report".into());
        };
        inner.flush()?;
        Ok(Sent {
            topic: p.topic,
            payload: p.payload,
        })
    }

    /// Fan `i` reports a new energy reading, a value never reported before: a marker
    /// (HRT-CTL-042). The value.
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn marker(&self, i: usize) -> Result<Value, String> {
        let value = self.next_energy(i);
        self.report(i, vec![(ENERGY, value.clone())])?;
        Ok(value)
    }

    /// The next energy reading of fan `i`, a value it has never reported, for a marker the
    /// case reports itself (beside other values).
    pub fn next_energy(&self, i: usize) -> Value {
        let mut inner = self.inner();
        let fan = &mut inner.fans[i];
        fan.energy += 1;
        Value::Int(fan.energy)
    }

    /// Fan `i` reports `changes` with its own key and next counter, but `tamper` changes
    /// the sealed bytes before they go out: a message whose signature no longer verifies,
    /// or whose value the fan never held.
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn report_altered(
        &self,
        i: usize,
        changes: Vec<(Path, Value)>,
        tamper: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), String> {
        let mut inner = self.inner();
        inner.flush()?;
        let fan = &mut inner.fans[i];
        fan.core.report(now(), changes);
        let Some(Transmit::Publish(mut p)) = fan.core.poll_transmit() else {
            return Err("the fan's core sealed no report".into());
        };
        tamper(&mut p.payload);
        let topic = p.topic;
        inner
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, p.payload)
            .map_err(|e| e.to_string())?;
        inner.flush()
    }

    /// What fan `i` published so far on `channel` (the last 256 publishes).
    pub fn published(&self, i: usize, channel: Channel) -> Vec<Sent> {
        let topic = self.topic(i, channel);
        let inner = self.inner();
        inner.fans[i]
            .kept
            .iter()
            .filter(|s| s.topic == topic)
            .cloned()
            .collect()
    }

    /// Publish `payload` on the full `topic` as it is, on the lab's connection.
    ///
    /// # Errors
    ///
    /// As [`report`](Self::report).
    pub fn publish_raw(&self, topic: &str, payload: Vec<u8>) -> Result<(), String> {
        let inner = self.inner();
        inner
            .client
            .try_publish(topic, QoS::AtLeastOnce, false, payload)
            .map_err(|e| e.to_string())
    }

    /// A report of `changes` on fan `i`'s report topic, signed by a hostile key of `kind`
    /// and carrying its chain.
    ///
    /// # Errors
    ///
    /// The certificate or the seal failed.
    pub fn hostile_report(
        &self,
        i: usize,
        kind: HostileKey,
        changes: Vec<(Path, Value)>,
    ) -> Result<Vec<u8>, String> {
        let id = LAB_FANS[i];
        // The header names the certificate's subject, so the message opens as its signer's.
        let (subject, key, chain) = self.pki.hostile(kind, id)?;
        let counter =
            SendCounter::open(MemoryCounterStore::default(), 1000).map_err(|e| e.to_string())?;
        let mut sender = Sender::new(subject, key, chain, counter);
        let rel = Topics::device_rel(&self.addr(i), Channel::Report);
        let envelope = Envelope {
            with_chain: true,
            ..Envelope::default()
        };
        sender
            .seal(
                Body::Report(Report {
                    full: false,
                    values: changes,
                }),
                &rel,
                &envelope,
            )
            .map_err(|e| e.to_string())
    }

    /// A read response of fan `i` to `controller`, signed with the fan's own key, carrying
    /// `request_id` and `results`, that its core never sent: no request asked for it. Its
    /// counter is one the fan's core has sealed a report with and then discarded, so it lies
    /// above every counter the fan used before and the fan's core never uses it again
    /// (HRT-CTL-030).
    ///
    /// # Errors
    ///
    /// The seal failed or the client's queue is full.
    pub fn unsolicited_response(
        &self,
        i: usize,
        controller: &str,
        request_id: u64,
        results: Vec<hearth_wire::ReadResult>,
    ) -> Result<Sent, String> {
        let mut inner = self.inner();
        let body = Body::ReadResponse(results);
        inner.forge(i, controller, request_id, body, |_| {})
    }

    /// The lab answers the controller's next request to fan `i` with `forgery` first; the
    /// fan's own answer follows it on the same topic and connection.
    pub fn forge_next(&self, i: usize, forgery: Forgery) {
        self.inner().forgeries.insert(i, forgery);
    }

    /// Whether the forgery of [`Lab::forge_next`] for fan `i` went out ahead of its answer.
    ///
    /// # Errors
    ///
    /// No request reached fan `i` since, or its forgery could not be sent.
    pub fn forged(&self, i: usize) -> Result<(), String> {
        self.inner()
            .forged
            .remove(&i)
            .unwrap_or_else(|| Err("no request of the controller reached the fan".into()))
            .map_err(|e| format!("the lab's forged response was not sent: {e}"))
    }

    /// Fan `i`'s will, armed as for a new connection: an offline status sealed with a counter
    /// reserved far above everything the fan sends until its connection ends (HRT-MQTT-031).
    /// Not published: the case publishes the bytes, as a broker that publishes the will of a
    /// live connection does.
    ///
    /// # Errors
    ///
    /// The seal failed.
    pub fn will(&self, i: usize) -> Result<Sent, String> {
        let mut inner = self.inner();
        let core = &mut inner.fans[i].core;
        core.arm_will().map_err(|e| e.to_string())?;
        let will = core.will().ok_or("the fan's core armed no will")?;
        Ok(Sent {
            topic: will.topic.clone(),
            payload: will.payload.clone(),
        })
    }

    /// Fan `i` loses its connection and has it again, as its core sees it: it counts on from
    /// above its will and announces itself anew (description, online status, full report).
    ///
    /// # Errors
    ///
    /// The counter is exhausted or the client's queue is full.
    pub fn reconnect(&self, i: usize) -> Result<(), String> {
        let mut inner = self.inner();
        inner.flush()?;
        let core = &mut inner.fans[i].core;
        core.handle_connection_lost().map_err(|e| e.to_string())?;
        core.handle_connected(now());
        inner.flush()
    }

    /// The requests of the controller seen so far.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.inner().requests.clone()
    }

    /// How many requests fan `i`'s core has answered.
    pub fn answered(&self, i: usize) -> u64 {
        self.inner().fans[i].core.stats().requests
    }

    /// Every property of fan `i` with the value the fan holds, in path order: what a
    /// verified read of the fan answers.
    pub fn values(&self, i: usize) -> Vec<(Path, Value)> {
        self.inner().fans[i]
            .core
            .handler()
            .values
            .iter()
            .map(|(p, v)| (*p, v.clone()))
            .collect()
    }

    /// Fan `i`'s own value of `path`.
    pub fn value(&self, i: usize, path: &Path) -> Option<Value> {
        self.inner().fans[i]
            .core
            .handler()
            .values
            .get(path)
            .cloned()
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HRT-CTL-030, HRT-CTL-042: what a lab fan publishes is signed as that fan with a
    /// counter above every one before, and each marker is an energy reading above every one
    /// before, on a path no hostile message of the cases carries.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lab_messages_carry_rising_counters() {
        let broker = hearth_mqtt::EmbeddedBroker::start_local().expect("broker");
        let url = broker.url();
        let topics = Topics::new("hc-lab-test");
        let options = url.mqtt_options("hc-lab-watch").expect("options");
        let (watcher, mut events) = BrokerUrl::client(options, 64);
        watcher
            .subscribe(topics.full("d/+/+/report"), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let bound = Duration::from_secs(20);
        // The subscription holds once the broker acknowledged it.
        tokio::time::timeout(bound, async {
            loop {
                if let Ok(Event::Incoming(Packet::SubAck(_))) = events.poll().await {
                    break;
                }
            }
        })
        .await
        .expect("the broker acknowledged the subscription");
        let rng = ring::rand::SystemRandom::new();
        let root = pki::create_root("hc-ctl-root", 30, Algorithm::EdDsa, now().unix_secs(), &rng)
            .expect("a root");
        let lab = Lab::start(
            &url,
            topics.clone(),
            *root.cert.subject_kid(),
            &root.cert,
            bound,
        )
        .await
        .expect("the lab starts");
        let mut markers = Vec::new();
        for level in [3, 4, 5] {
            lab.report(0, vec![(LEVEL, Value::Int(level))])
                .expect("report");
            markers.push(lab.marker(0).expect("marker"));
        }
        let report_topic = lab.topic(0, Channel::Report);
        let mut seen = Vec::new();
        tokio::time::timeout(bound, async {
            while seen.len() < 6 {
                if let Ok(Event::Incoming(Packet::Publish(p))) = events.poll().await {
                    if p.topic == report_topic {
                        seen.push(decode_unverified(&p.payload).expect("a sealed message"));
                    }
                }
            }
        })
        .await
        .expect("the six reports arrived");
        assert!(seen.iter().all(|m| m.sender == LAB_FANS[0]));
        let counters: Vec<u64> = seen.iter().map(|m| m.counter).collect();
        assert!(counters.windows(2).all(|w| w[0] < w[1]), "{counters:?}");
        let energies: Vec<i64> = markers
            .iter()
            .map(|v| match v {
                Value::Int(n) => *n,
                other => panic!("a marker is an integer, not {other}"),
            })
            .collect();
        assert!(energies.windows(2).all(|w| w[0] < w[1]), "{energies:?}");
        assert_ne!(ENERGY, LEVEL);
    }
}
