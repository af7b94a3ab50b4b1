//! Waiting for messages: on a controller's verified [`Update`]s, on a plain MQTT client
//! that sees the raw packets any client on the broker sees (for captures, replays and
//! injected bytes), and on an [`Observer`] that verifies everything one device publishes
//! and keeps every copy in the order it arrived.
//!
//! Every wait ends with the first message that satisfies it; the timeout only bounds a wait
//! that would otherwise never end, it never stands in for an event.

use std::time::{Duration, Instant};

use hearth_model::{Path, Value};
use hearth_mqtt::topic::Channel;
use hearth_mqtt::{BrokerUrl, DeviceAddr, Topics, Update};
use hearth_security::cert::TrustStore;
use hearth_wire::{Availability, Body, Receiver};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeFilter};
use tokio::sync::{broadcast, mpsc};

/// Wait for an update for which `f` returns something; `None` if none comes within
/// `timeout`. Lagging behind the channel skips the lost updates and goes on.
pub async fn expect<T>(
    updates: &mut broadcast::Receiver<Update>,
    timeout: Duration,
    mut f: impl FnMut(&Update) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, updates.recv()).await {
            Ok(Ok(u)) => {
                if let Some(t) = f(&u) {
                    return Some(t);
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            _ => return None,
        }
    }
}

/// Wait for an event at `path` from `addr`; its fields.
pub async fn event(
    updates: &mut broadcast::Receiver<Update>,
    addr: &DeviceAddr,
    path: Path,
    timeout: Duration,
) -> Option<Value> {
    expect(updates, timeout, |u| match u {
        Update::Event { addr: a, event } if a == addr && event.path == path => {
            Some(event.fields.clone())
        }
        _ => None,
    })
    .await
}

/// Wait for a reported value at `path` from `addr` for which `ok` holds.
pub async fn reported(
    updates: &mut broadcast::Receiver<Update>,
    addr: &DeviceAddr,
    path: Path,
    timeout: Duration,
    ok: impl Fn(&Value) -> bool,
) -> Option<Value> {
    expect(updates, timeout, |u| match u {
        Update::Report {
            addr: a, values, ..
        } if a == addr => values
            .iter()
            .find(|(p, v)| *p == path && ok(v))
            .map(|(_, v)| v.clone()),
        _ => None,
    })
    .await
}

/// A plain MQTT client on `url` (under a unique client id) and every packet it receives, in
/// order, until the connection fails.
pub fn raw_client(url: &BrokerUrl) -> (AsyncClient, mpsc::UnboundedReceiver<Packet>) {
    let mut options = MqttOptions::new(crate::unique("raw"), url.host.clone(), url.port);
    options.set_max_packet_size(100 * 1024, 100 * 1024);
    let (client, mut eventloop) = hearth_mqtt::BrokerUrl::client(options, 64);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(ev) = eventloop.poll().await {
            if let Event::Incoming(p) = ev {
                if tx.send(p).is_err() {
                    break;
                }
            }
        }
    });
    (client, rx)
}

/// The first packet for which `f` returns something; panics if none comes within
/// `timeout`.
pub async fn next<T>(
    rx: &mut mpsc::UnboundedReceiver<Packet>,
    timeout: Duration,
    mut f: impl FnMut(&Packet) -> Option<T>,
) -> T {
    tokio::time::timeout(timeout, async {
        loop {
            let p = rx.recv().await.expect("the client is running");
            if let Some(t) = f(&p) {
                return t;
            }
        }
    })
    .await
    .expect("the packet in time")
}

/// Subscribe the raw client to `filter` and wait for the broker's acknowledgement, so that
/// everything published afterwards reaches it. Packets received before the acknowledgement
/// are passed over: to capture a retained message, subscribe with the client itself and
/// wait with [`next_publish`].
pub async fn subscribe(
    client: &AsyncClient,
    rx: &mut mpsc::UnboundedReceiver<Packet>,
    filter: &str,
) {
    client
        .subscribe(filter, QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let acked = |p: &Packet| matches!(p, Packet::SubAck(_)).then_some(());
    next(rx, Duration::from_secs(5), acked).await;
}

/// The next message published on a topic for which `topic` holds: its topic and payload.
pub async fn next_publish(
    rx: &mut mpsc::UnboundedReceiver<Packet>,
    timeout: Duration,
    topic: impl Fn(&str) -> bool,
) -> (String, Vec<u8>) {
    next(rx, timeout, |p| match p {
        Packet::Publish(x) if topic(&x.topic) => Some((x.topic.clone(), x.payload.to_vec())),
        _ => None,
    })
    .await
}

/// One message an [`Observer`] saw a device publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A description.
    Description,
    /// A status (online on every connection; offline as the will or on shutdown).
    Status {
        /// Whether it says online.
        online: bool,
        /// The boot id it carries.
        boot_id: u64,
    },
    /// A report; `full` for the snapshot that opens each connection.
    Report {
        /// Whether it is a full report.
        full: bool,
    },
    /// An event, by its number.
    Event(u64),
    /// A message that did not open or does not belong on its topic, and why.
    Rejected(String),
}

/// A QoS 1 subscriber to one device's description, status, reports and events that opens
/// every message as a controller does (signature, chain, replay window) and keeps what it
/// saw in the order it arrived. Unlike a controller it drops no event as a duplicate of an
/// earlier number, so a test sees every copy the broker delivered.
pub struct Observer {
    _client: AsyncClient,
    rx: mpsc::UnboundedReceiver<Packet>,
    receiver: Receiver,
    topics: Topics,
    seen: Vec<Seen>,
}

/// Subscribe an [`Observer`] to `addr` on `url` (default topic root), trusting `trust`;
/// returns once the broker has granted the subscription. Subscribe before the device
/// connects to see its first connection.
pub async fn observe(url: &BrokerUrl, trust: TrustStore, addr: &DeviceAddr) -> Observer {
    let (client, rx) = raw_client(url);
    let topics = Topics::default();
    let filters = [
        Channel::Desc,
        Channel::Status,
        Channel::Report,
        Channel::Event,
    ]
    .map(|c| SubscribeFilter::new(topics.full(&Topics::device_rel(addr, c)), QoS::AtLeastOnce));
    client.subscribe_many(filters).await.expect("subscribe");
    let mut observer = Observer {
        _client: client,
        rx,
        receiver: Receiver::new(trust),
        topics,
        seen: Vec::new(),
    };
    let granted = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(p) = observer.rx.recv().await {
            if matches!(p, Packet::SubAck(_)) {
                return true;
            }
            observer.take(&p);
        }
        false
    })
    .await;
    assert_eq!(granted, Ok(true), "the observer's subscription is granted");
    observer
}

impl Observer {
    /// Everything seen so far, in order of arrival.
    pub fn seen(&self) -> &[Seen] {
        &self.seen
    }

    /// The numbers of the events seen so far, every copy, in order of arrival.
    pub fn events(&self) -> Vec<u64> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Event(n) => Some(*n),
                _ => None,
            })
            .collect()
    }

    /// Take messages until `done` holds for what has been seen; false if it does not within
    /// `timeout`.
    pub async fn until(&mut self, timeout: Duration, done: impl Fn(&[Seen]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(p)) => self.take(&p),
                _ => return false,
            }
        }
        true
    }

    fn take(&mut self, packet: &Packet) {
        let Packet::Publish(p) = packet else { return };
        let Some(rel) = self.topics.relative(&p.topic) else {
            return;
        };
        let seen = match self.receiver.open(&p.payload, rel, crate::unix_now()) {
            Ok(opened) => match opened.message.body {
                Body::Description(_) => Seen::Description,
                Body::Status(s) => Seen::Status {
                    online: s.availability == Availability::Online,
                    boot_id: s.boot_id,
                },
                Body::Report(r) => Seen::Report { full: r.full },
                Body::Event(e) => Seen::Event(e.number),
                other => Seen::Rejected(format!("a {} on {}", other.kind(), p.topic)),
            },
            Err(err) => Seen::Rejected(format!("on {}: {err}", p.topic)),
        };
        self.seen.push(seen);
    }
}
