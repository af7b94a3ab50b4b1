//! Events under load and across connection losses (HRT-MQTT-035): a QoS 1 subscriber that
//! verifies every message sees every event number once, in order, while the device is
//! flooded with requests, and sees the events of an outage after the next full report; and
//! a controller that publishes every request of a burst.
//!
//! Both run on the embedded broker, or on the broker `HEARTH_TEST_BROKER` names.

use std::sync::Arc;
use std::time::Duration;

use hearth_model::Path;
use hearth_mqtt::{DeviceHandle, Identity, Topics};
use hearth_security::acl::Privilege;
use hearth_testkit::broker::{broker, Proxy};
use hearth_testkit::fixtures::fault_fields;
use hearth_testkit::node::{addr, controller_as, sealed_requests, spawn_device, wait_discovered};
use hearth_testkit::pki::pki;
use hearth_testkit::watch::{observe, raw_client, subscribe, Seen};
use hearth_testkit::{fan, unique};
use hearth_wire::Body;
use rumqttc::{Packet, QoS};
use tokio::sync::Semaphore;

const LEVEL: Path = Path::new(0, 9, 1);
const FAULT_RAISED: Path = Path::new(0, 2, 1);

/// Requests in the flood.
const FLOOD: usize = 10_000;
/// Requests in the burst through one controller (the client queues 4096).
const BURST: usize = 6_000;
/// One event per this many answered requests.
const EVENT_EVERY: usize = 100;
/// Upper bound of every wait (of a wait for progress, in the flood): none is expected to
/// take it.
const WAIT: Duration = Duration::from_secs(25);

/// The flood and the burst each load both cores: one at a time.
static HEAVY: Semaphore = Semaphore::const_new(1);

async fn raise(device: &DeviceHandle, n: u64) {
    device
        .event(
            FAULT_RAISED,
            fault_fields(i64::try_from(n).unwrap_or(i64::MAX)),
        )
        .await
        .expect("the device takes the event");
}

fn rejected(seen: &[Seen]) -> Vec<&Seen> {
    seen.iter()
        .filter(|s| matches!(s, Seen::Rejected(_)))
        .collect()
}

/// Under a flood of valid requests, sealed beforehand and published as fast as the broker
/// takes them, with an event after every hundred answers, the subscriber sees every event
/// number from 0 to the last exactly once and in increasing order, and every request is
/// answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_requests_loses_and_reorders_no_event() {
    let _alone = HEAVY.acquire().await;
    let broker = broker();
    let pki = pki();
    let id = unique("flood");
    let fan_addr = addr(&id);
    let identity = Identity::controller(pki.path()).expect("controller identity");
    let requests = sealed_requests(&identity, &fan_addr, &Body::Read(vec![LEVEL]), FLOOD);
    let mut observer = observe(broker.url(), identity.trust.clone(), &fan_addr).await;
    let (responses, mut answers) = raw_client(broker.url());
    let response_topic = Topics::default().full(&Topics::responses_rel(&identity.id));
    subscribe(&responses, &mut answers, &response_topic).await;
    let (device, _) = spawn_device(
        broker.url(),
        pki.path(),
        fan(&id),
        pki.acl(Privilege::Operate),
    );
    let full_report = Seen::Report { full: true };
    assert!(observer.until(WAIT, |s| s.contains(&full_report)).await);

    // The flooder's packets are kept (unread) to the end, so that its event loop runs on.
    let (flooder, _flooder_packets) = raw_client(broker.url());
    tokio::spawn(async move {
        for (topic, bytes) in requests {
            if flooder
                .publish(topic, QoS::AtLeastOnce, false, bytes)
                .await
                .is_err()
            {
                break;
            }
        }
    });
    let mut emitted = 0;
    raise(&device, emitted).await;
    emitted += 1;
    let mut answered = 0;
    // Bounded by progress, not in total: on a loaded machine the flood takes longer.
    while answered < FLOOD {
        match tokio::time::timeout(WAIT, answers.recv()).await {
            Ok(Some(Packet::Publish(_))) => answered += 1,
            Ok(Some(_)) => continue,
            _ => break,
        }
        if answered % EVENT_EVERY == 0 {
            raise(&device, emitted).await;
            emitted += 1;
        }
    }
    let last = Seen::Event(emitted - 1);
    let complete = observer.until(WAIT, |seen| seen.contains(&last)).await;
    let events = observer.events();
    let expected: Vec<u64> = (0..emitted).collect();
    let missing: Vec<u64> = expected
        .iter()
        .copied()
        .filter(|n| !events.contains(n))
        .collect();
    assert!(
        complete && events == expected,
        "events seen {events:?}\nmissing {missing:?}\nrejected {:?}\ndevice {:?}",
        rejected(observer.seen()),
        device.stats()
    );
    assert_eq!(
        answered,
        FLOOD,
        "requests answered; device {:?}",
        device.stats()
    );
    device.shutdown().await;
}

/// A burst of requests far beyond what the client queues at once, all through one
/// controller: each is published in its turn and answered, none refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_publishes_every_request_of_a_burst() {
    let _alone = HEAVY.acquire().await;
    let broker = broker();
    let pki = pki();
    let identity = Identity::controller(pki.path()).expect("controller identity");
    // The last request waits for all before it: on a loaded machine, that takes a while.
    let ctl = controller_as(broker.url(), identity, pki.path(), |c| {
        c.request_timeout = 4 * WAIT;
    })
    .await;
    let id = unique("burst");
    let to = addr(&id);
    let acl = pki.acl(Privilege::Operate);
    let (device, _) = spawn_device(broker.url(), pki.path(), fan(&id), acl);
    wait_discovered(&ctl, &to).await;
    let ctl = Arc::new(ctl);
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..BURST {
        let (ctl, to) = (ctl.clone(), to.clone());
        burst.spawn(async move { ctl.read(&to, vec![LEVEL]).await.map(|_| ()) });
    }
    let mut failures = Vec::new();
    while let Some(result) = burst.join_next().await {
        if let Ok(Err(err)) = result {
            failures.push(err.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {BURST} requests failed, the first: {:?}",
        failures.len(),
        failures.first()
    );
    device.shutdown().await;
    ctl.shutdown().await;
}

/// Index of the first status after `from` that says `online`.
fn next_status(seen: &[Seen], from: usize, online: bool) -> Option<usize> {
    seen.iter()
        .enumerate()
        .skip(from)
        .find(|(_, s)| matches!(s, Seen::Status { online: o, .. } if *o == online))
        .map(|(i, _)| i)
}

fn numbers(seen: &[Seen]) -> Vec<u64> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Event(n) => Some(*n),
            _ => None,
        })
        .collect()
}

/// Events emitted while the broker is cut off are published after the full report of the
/// next connection, in order; none is lost, and a number arrives twice only as the re-sent
/// copy of an event from before the loss (HRT-MQTT-035, HRT-MQTT-039).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_of_an_outage_follow_the_next_full_report() {
    let broker = broker();
    let proxy = Proxy::start(broker.addr()).await;
    let pki = pki();
    let id = unique("outage");
    let identity = Identity::controller(pki.path()).expect("controller identity");
    let mut observer = observe(broker.url(), identity.trust, &addr(&id)).await;
    let (device, _) = spawn_device(
        &proxy.url(),
        pki.path(),
        fan(&id),
        pki.acl(Privilege::Operate),
    );
    let full_report = Seen::Report { full: true };
    assert!(observer.until(WAIT, |s| s.contains(&full_report)).await);
    for n in 0..10 {
        raise(&device, n).await;
    }
    proxy.cut();
    // The broker has seen the connection go once it publishes the will.
    let will = |s: &[Seen]| next_status(s, 0, false).is_some();
    assert!(observer.until(WAIT, will).await, "{:?}", observer.seen());
    for n in 10..20 {
        raise(&device, n).await;
    }
    proxy.restore();
    let reconnected = |s: &[Seen]| {
        next_status(s, 0, false)
            .and_then(|offline| next_status(s, offline, true))
            .is_some_and(|online| s[online..].contains(&full_report))
    };
    assert!(
        observer.until(WAIT, reconnected).await,
        "{:?}",
        observer.seen()
    );
    for n in 20..30 {
        raise(&device, n).await;
    }
    let last = Seen::Event(29);
    let complete = observer.until(WAIT, |s| s.contains(&last)).await;
    device.shutdown().await;

    let seen = observer.seen();
    let context = format!("seen {seen:?}\ndevice {:?}", device.stats());
    assert!(complete, "event 29 never arrived\n{context}");
    assert!(rejected(seen).is_empty(), "{context}");
    let offline = next_status(seen, 0, false).expect("the will");
    let online = next_status(seen, offline, true).expect("online again");
    let (first, second) = (numbers(&seen[..online]), numbers(&seen[online..]));
    // Within one connection: increasing, no copy.
    for connection in [&first, &second] {
        assert!(
            connection.windows(2).all(|w| w[0] < w[1]),
            "out of order or twice within one connection\n{context}"
        );
    }
    // Nothing emitted during the outage went out before the loss; everything after the
    // reconnection comes after its full report.
    assert!(first.iter().all(|n| *n < 10), "{context}");
    let report = seen[online..]
        .iter()
        .position(|s| *s == full_report)
        .expect("a full report");
    assert!(
        !seen[online..online + report]
            .iter()
            .any(|s| matches!(s, Seen::Event(_))),
        "an event before the full report\n{context}"
    );
    // None lost; a number twice only as the copy of one from before the loss.
    let mut all: Vec<u64> = first.iter().chain(&second).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all, (0..30).collect::<Vec<_>>(), "{context}");
    assert!(second.iter().all(|n| !first.contains(n) || *n < 10));
}
