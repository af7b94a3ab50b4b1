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
        Ok(Self {
            root,
            vendor,
            foreign_root,
            foreign_vendor,
            now,
        })
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

    /// The certificate of a credential the lab signs with, as a hostile [`Signer`] carries
    /// it: a device of the foreign vendor, an expired one, a controller named as the device,
    /// or another device of the lab vendor.
    fn hostile(&self, kind: HostileKey, id: &str) -> Result<(Credential, Vec<Vec<u8>>), String> {
        let rng = ring::rand::SystemRandom::new();
        match kind {
            HostileKey::Foreign => {
                let c = Self::device(&self.foreign_vendor, id, self.now, 30)?;
                let chain = chain_of(&c, &self.foreign_vendor);
                Ok((c, chain))
            }
            HostileKey::Expired => {
                // Issued two days ago for one day: expired a day ago.
                let c = Self::device(&self.vendor, id, self.now.saturating_sub(2 * DAY), 1)?;
                let chain = chain_of(&c, &self.vendor);
                Ok((c, chain))
            }
            HostileKey::Controller => {
                let req = IssueRequest {
                    role: Role::Controller,
                    subject: id.to_owned(),
                    vendor_id: Some(TEST_VENDOR_ID),
                    device_type: None,
                    model: None,
                    days: 30,
                    alg: Algorithm::EdDsa,
                };
                let c =
                    pki::issue(&req, &self.vendor, self.now, &rng).map_err(|e| e.to_string())?;
                let chain = chain_of(&c, &self.vendor);
                Ok((c, chain))
            }
            HostileKey::OtherDevice => {
                let c = Self::device(&self.vendor, OTHER_DEVICE, self.now, 30)?;
                let chain = chain_of(&c, &self.vendor);
                Ok((c, chain))
            }
        }
    }
}

/// The chain a hostile [`Signer`] carries for `c`: its certificate, then that of `issuer`.
fn chain_of(c: &Credential, issuer: &Credential) -> Vec<Vec<u8>> {
    vec![c.cert.as_bytes().to_vec(), issuer.cert.as_bytes().to_vec()]
}

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
        for fan in &mut self.fans {
            let req = self
                .topics
                .full(&Topics::device_rel(&fan.addr, Channel::Req));
            if topic == req {
                self.requests.push(SeenRequest {
                    device: fan.addr.clone(),
                    message: decode_unverified(payload),
                });
                fan.core.handle_publish(now, topic, payload, retain);
            }
        }
        let _ = self.flush();
    }
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
        let (cred, chain) = self.pki.hostile(kind, id)?;
        let counter =
            SendCounter::open(MemoryCounterStore::default(), 1000).map_err(|e| e.to_string())?;
        // The header names the certificate's subject, so the message opens as its signer's.
        let subject = cred.cert.claims().subject.clone();
        let mut sender = Sender::new(subject, Arc::new(cred.key), chain, counter);
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
        inner.flush()?;
        let fan = &mut inner.fans[i];
        let held = fan.core.handler().values.get(&ENERGY).cloned();
        fan.core
            .report(now(), vec![(ENERGY, held.unwrap_or(Value::Int(0)))]);
        let Some(Transmit::Publish(spent)) = fan.core.poll_transmit() else {
            return Err("the fan's core sealed no report".into());
        };
        let counter = decode_unverified(&spent.payload)
            .ok_or("the fan's own report does not decode")?
            .counter;
        let store = MemoryCounterStore {
            value: Some(counter),
            writes: 0,
        };
        let counter = SendCounter::open(store, 1).map_err(|e| e.to_string())?;
        let mut sender = Sender::new(
            LAB_FANS[i % LAB_FANS.len()],
            fan.signer.clone(),
            fan.chain.clone(),
            counter,
        );
        let rel = Topics::responses_rel(controller);
        let envelope = Envelope {
            request_id: Some(request_id),
            target: Some(controller.to_owned()),
            time_ms: Some(now().unix_ms()),
            with_chain: true,
        };
        let payload = sender
            .seal(Body::ReadResponse(results), &rel, &envelope)
            .map_err(|e| e.to_string())?;
        let topic = inner.topics.full(&rel);
        inner
            .client
            .try_publish(topic.clone(), QoS::AtLeastOnce, false, payload.clone())
            .map_err(|e| e.to_string())?;
        inner.flush()?;
        Ok(Sent { topic, payload })
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
