//! Waiting for messages: on a controller's verified [`Update`]s, and on a plain MQTT client
//! that sees the raw packets any client on the broker sees (for captures, replays and
//! injected bytes).
//!
//! Every wait ends with the first message that satisfies it; the timeout only bounds a wait
//! that would otherwise never end, it never stands in for an event.

use std::time::{Duration, Instant};

use hearth_model::{Path, Value};
use hearth_mqtt::{BrokerUrl, DeviceAddr, Update};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
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
    let (client, mut eventloop) = AsyncClient::new(options, 64);
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
