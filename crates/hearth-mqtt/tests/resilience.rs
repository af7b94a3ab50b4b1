//! What an attacker on the broker or a failing network can do, and how the runtimes hold:
//! replayed and re-routed requests, lost connections, broker outages and restarts.

use std::collections::BTreeSet;
use std::ops::Range;
use std::time::Duration;

use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::{BrokerUrl, Controller, DeviceHandle, Identity, Update};
use hearth_security::acl::Privilege;
use hearth_testkit::broker::{broker, free_port, Mosquitto, Proxy};
use hearth_testkit::fan;
use hearth_testkit::fixtures::fault_fields;
use hearth_testkit::node::{
    addr, controller_as, rig, spawn_device, until, wait_discovered, wait_status, write_one,
};
use hearth_testkit::pki::{pki, Pki};
use hearth_testkit::watch::{expect, next_publish, raw_client, subscribe};
use rumqttc::QoS;
use tokio::sync::broadcast;

const LEVEL: Path = Path::new(0, 9, 1);
const FAULT_RAISED: Path = Path::new(0, 2, 1);

/// mosquitto, when it is installed, and a scratch folder for its files.
fn mosquitto_and_folder() -> Option<(Mosquitto, tempfile::TempDir)> {
    let mosquitto = Mosquitto::or_skip()?;
    Some((mosquitto, tempfile::tempdir().expect("tempdir")))
}

/// Wait until the device has rejected `count` messages for `reason` (5 s at most).
async fn rejected_for(device: &DeviceHandle, reason: &str, count: u64) -> bool {
    until(Duration::from_secs(5), || {
        device.stats().rejected.get(reason).copied().unwrap_or(0) >= count
    })
    .await
}

/// HRT-SEC-097 (replay) and the topic binding of the signature: a captured request replayed to
/// its device, or re-published on another device's topic, is dropped and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_rerouted_requests_are_rejected() {
    let rig = rig().await;
    let (dev_a, mem_a) = rig.fan("fan-a", rig.acl(Privilege::Operate)).await;
    let (dev_b, mem_b) = rig.fan("fan-b", rig.acl(Privilege::Operate)).await;
    let (ctl, a) = (&rig.ctl, addr("fan-a"));
    // A plain client on the broker that records every request published to devices.
    let (raw, mut captured) = raw_client(rig.url());
    subscribe(&raw, &mut captured, "hearth/1/d/+/+/req").await;

    assert_eq!(
        write_one(ctl, &a, LEVEL, Value::Int(6)).await,
        StatusCode::Success
    );
    let (topic, bytes) = next_publish(&mut captured, Duration::from_secs(5), |_| true).await;
    assert!(topic.ends_with("/fan-a/req"));
    // Put the value back, then replay the captured "set 6".
    assert_eq!(
        write_one(ctl, &a, LEVEL, Value::Int(2)).await,
        StatusCode::Success
    );
    raw.publish(topic.clone(), QoS::AtLeastOnce, false, bytes.clone())
        .await
        .expect("replay");
    assert!(
        rejected_for(&dev_a, "HRT-SEC-097", 1).await,
        "replay not rejected: {:?}",
        dev_a.stats()
    );
    assert_eq!(mem_a.get(&LEVEL), Some(Value::Int(2)));

    // The same bytes on fan-b's topic fail the signature (the topic is the AAD).
    raw.publish(
        topic.replace("/fan-a/", "/fan-b/"),
        QoS::AtLeastOnce,
        false,
        bytes,
    )
    .await
    .expect("reroute");
    let rejected = |d: &DeviceHandle| d.stats().rejected.values().sum::<u64>();
    until(Duration::from_secs(5), || rejected(&dev_b) >= 1).await;
    assert_eq!(rejected(&dev_b), 1, "{:?}", dev_b.stats());
    assert!(
        !dev_b.stats().rejected.contains_key("HRT-SEC-097"),
        "rejected for the signature, not as a replay"
    );
    assert_eq!(mem_b.get(&LEVEL), Some(Value::Int(1)));
    dev_a.shutdown().await;
    dev_b.shutdown().await;
    ctl.shutdown().await;
}

/// A connection lost without DISCONNECT makes the broker publish the will: offline. After a
/// restart the device is online again with a new boot id and fresh counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_is_announced_by_the_will_and_a_restart_recovers() {
    let rig = rig().await;
    let (device, _) = rig.fan("fan-k", rig.acl(Privilege::Operate)).await;
    let (ctl, addr) = (&rig.ctl, addr("fan-k"));
    let boot = ctl.device(&addr).and_then(|d| d.boot_id);
    // Let a few reports go out so the will is not simply the next counter.
    for level in 1..=5 {
        write_one(ctl, &addr, LEVEL, Value::Int(level)).await;
    }
    device.kill().await;
    let offline = wait_status(ctl, &addr, false, Duration::from_secs(15)).await;
    assert!(offline, "will not seen: {:?}", ctl.device(&addr));

    let (again, _) = spawn_device(
        rig.url(),
        rig.pki.path(),
        fan("fan-k"),
        rig.acl(Privilege::Operate),
    );
    let online = wait_status(ctl, &addr, true, Duration::from_secs(10)).await;
    assert!(
        online,
        "restarted device not online: {:?}",
        ctl.device(&addr)
    );
    assert_ne!(ctl.device(&addr).and_then(|d| d.boot_id), boot);
    // Its counters did not restart: requests and responses still pass the replay windows.
    assert_eq!(
        write_one(ctl, &addr, LEVEL, Value::Int(3)).await,
        StatusCode::Success
    );
    again.shutdown().await;
    ctl.shutdown().await;
}

/// A fan and a controller with the persistent session `session` on `url`, both of `pki`,
/// once the controller has discovered the fan; the controller's updates from then on.
async fn fan_with_persistent_controller(
    url: &BrokerUrl,
    pki: &Pki,
    session: &str,
) -> (DeviceHandle, Controller, broadcast::Receiver<Update>) {
    let id = format!("fan-{session}");
    let (device, _) = spawn_device(url, pki.path(), fan(&id), pki.acl(Privilege::Operate));
    let identity = Identity::controller(pki.path()).expect("identity");
    let ctl = controller_as(url, identity, pki.path(), |c| {
        c.session = Some(session.into());
        c.keep_alive = Duration::from_secs(5);
    })
    .await;
    wait_discovered(&ctl, &addr(&id)).await;
    let updates = ctl.updates();
    (device, ctl, updates)
}

/// Raise the faults numbered `numbers`, pausing `pause` after each.
async fn raise(device: &DeviceHandle, numbers: Range<i64>, pause: Duration) {
    for n in numbers {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}

/// Wait until the events numbered 0 to 29 have all arrived, at most `within`; panics naming
/// those lost.
async fn all_thirty_arrive(
    updates: &mut broadcast::Receiver<Update>,
    device: &DeviceHandle,
    within: Duration,
) {
    let mut numbers = BTreeSet::new();
    expect(updates, within, |u| {
        if let Update::Event { event, .. } = u {
            numbers.insert(event.number);
        }
        (numbers.len() >= 30).then_some(())
    })
    .await;
    let missing: Vec<u64> = (0..30).filter(|n| !numbers.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "lost events {missing:?}; device {:?}",
        device.stats()
    );
}

/// Events emitted while the broker is unreachable are delivered once it is back (QoS 1, the
/// device's outbox, the controller's persistent session).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_loses_no_event() {
    let broker = broker();
    let proxy = Proxy::start(broker.addr()).await;
    let pki = pki();
    let (device, ctl, mut updates) =
        fan_with_persistent_controller(&proxy.url(), &pki, "outage").await;
    raise(&device, 0..10, Duration::ZERO).await;
    proxy.cut();
    raise(&device, 10..20, Duration::from_millis(50)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.restore();
    raise(&device, 20..30, Duration::ZERO).await;
    all_thirty_arrive(&mut updates, &device, Duration::from_secs(30)).await;
    device.shutdown().await;
    ctl.shutdown().await;
}

/// A real broker restart (mosquitto with persistence), when mosquitto is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mosquitto_restart_loses_no_event() {
    let Some((mosquitto, dir)) = mosquitto_and_folder() else {
        return;
    };
    let data = dir.path().join("mosquitto-data");
    std::fs::create_dir_all(&data).expect("data dir");
    let conf = format!(
        "persistence true\npersistence_location {}/\nmax_queued_messages 10000\nmessage_size_limit 70000\n",
        data.display()
    );
    let mut broker = mosquitto.start(dir.path(), free_port(), &conf).await;
    let pki = pki();
    let (device, ctl, mut updates) =
        fan_with_persistent_controller(&broker.url(), &pki, "restart").await;
    raise(&device, 0..10, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    broker.stop().await;
    raise(&device, 10..20, Duration::ZERO).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker = mosquitto.start(dir.path(), broker.port(), &conf).await;
    raise(&device, 20..30, Duration::ZERO).await;
    all_thirty_arrive(&mut updates, &device, Duration::from_secs(40)).await;
    device.shutdown().await;
    ctl.shutdown().await;
    broker.stop().await;
}

/// HRT-MSG-105: a publish of 300 KiB on a device's request topic, which a broker without a
/// packet limit (mosquitto's default) delivers, costs the device nothing but the drop: it
/// counts it as too large (HRT-MSG-030), keeps its one connection and answers on. An MQTT
/// client whose packet limit is below the broker's would have closed the connection on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_publish_costs_the_device_no_connection() {
    let Some((mosquitto, dir)) = mosquitto_and_folder() else {
        return;
    };
    let broker = mosquitto.start(dir.path(), free_port(), "").await;
    let url = broker.url();
    let pki = pki();
    let ctl = hearth_testkit::node::controller(&url, pki.path()).await;
    let (device, _) = spawn_device(
        &url,
        pki.path(),
        fan("fan-big"),
        pki.acl(Privilege::Operate),
    );
    let a = addr("fan-big");
    wait_discovered(&ctl, &a).await;
    assert_eq!(device.stats().connects, 1);

    let mut options = rumqttc::MqttOptions::new("big-publisher", url.host.clone(), url.port);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (raw, mut eventloop) = BrokerUrl::client(options, 8);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let topics = hearth_mqtt::Topics::default();
    let req = topics.full(&hearth_mqtt::Topics::device_rel(
        &a,
        hearth_mqtt::topic::Channel::Req,
    ));
    raw.publish(req, QoS::AtLeastOnce, false, vec![0xd2; 300 * 1024])
        .await
        .expect("publish");
    assert!(
        rejected_for(&device, "HRT-MSG-030", 1).await,
        "not dropped by its size: {:?}",
        device.stats()
    );
    assert_eq!(
        write_one(&ctl, &a, LEVEL, Value::Int(4)).await,
        StatusCode::Success
    );
    let stats = device.stats();
    assert!(stats.connected, "{stats:?}");
    assert_eq!(stats.connects, 1, "the device reconnected: {stats:?}");
    device.shutdown().await;
    ctl.shutdown().await;
}
