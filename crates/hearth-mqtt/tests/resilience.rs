//! What an attacker on the broker or a failing network can do, and how the runtimes hold:
//! replayed and re-routed requests, lost connections, broker outages and restarts.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::proxy::Proxy;
use common::*;
use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::{Controller, ControllerConfig, DeviceAddr, Identity, Update};
use hearth_security::acl::Privilege;
use hearth_security::fs::FileCounterStore;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

const LEVEL: Path = Path::new(0, 9, 1);
const FAULT_RAISED: Path = Path::new(0, 2, 1);
const SEVERITY: i64 = 1; // warning
const ACTION: i64 = 0; // none

async fn wait_online(ctl: &Controller, addr: &DeviceAddr) {
    let ok = ctl
        .wait_for(Duration::from_secs(10), |d| {
            d.iter()
                .any(|v| &v.addr == addr && v.online == Some(true) && v.description.is_some())
        })
        .await;
    assert!(ok, "{addr} not online: {:?}", ctl.device(addr));
}

/// A raw MQTT client that records every request published to devices.
async fn sniffer(
    url: &hearth_mqtt::BrokerUrl,
) -> (
    AsyncClient,
    tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    let mut options = MqttOptions::new("sniffer", url.host.clone(), url.port);
    options.set_max_packet_size(100_000, 100_000);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    client
        .subscribe("hearth/1/d/+/+/req", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    let _ = tokio::time::timeout(Duration::from_secs(5), ready_rx).await;
    (client, rx)
}

async fn wait_rejected(device: &hearth_mqtt::DeviceHandle, reason: &str, count: u64) -> bool {
    for _ in 0..100 {
        if device.stats().rejected.get(reason).copied().unwrap_or(0) >= count {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// HRT-SEC-097 (replay) and the topic binding of the signature: a captured request replayed to
/// its device, or re-published on another device's topic, is dropped and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_rerouted_requests_are_rejected() {
    let (url, _broker) = broker();
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let acl = || acl_for_root(&pki, Privilege::Operate);
    let (dev_a, mem_a) = start_device(&url, dir.path(), fan("fan-a"), acl());
    let (dev_b, mem_b) = start_device(&url, dir.path(), fan("fan-b"), acl());
    let ctl = controller(&url, dir.path()).await;
    let (a, b) = (
        DeviceAddr::new(0xFFF1, "fan-a"),
        DeviceAddr::new(0xFFF1, "fan-b"),
    );
    wait_online(&ctl, &a).await;
    wait_online(&ctl, &b).await;
    let (raw, mut captured) = sniffer(&url).await;

    assert_eq!(
        ctl.write(&a, vec![(LEVEL, Value::Int(6))])
            .await
            .expect("write"),
        vec![(LEVEL, StatusCode::Success)]
    );
    let (topic, bytes) = tokio::time::timeout(Duration::from_secs(5), captured.recv())
        .await
        .expect("captured")
        .expect("request");
    assert!(topic.ends_with("/fan-a/req"));
    // Put the value back, then replay the captured "set 6".
    assert_eq!(
        ctl.write(&a, vec![(LEVEL, Value::Int(2))])
            .await
            .expect("write"),
        vec![(LEVEL, StatusCode::Success)]
    );
    raw.publish(topic.clone(), QoS::AtLeastOnce, false, bytes.clone())
        .await
        .expect("replay");
    assert!(
        wait_rejected(&dev_a, "HRT-SEC-097", 1).await,
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
    let rejected = |d: &hearth_mqtt::DeviceHandle| d.stats().rejected.values().sum::<u64>();
    for _ in 0..100 {
        if rejected(&dev_b) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    let (url, _broker) = broker();
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let (device, _) = start_device(
        &url,
        dir.path(),
        fan("fan-k"),
        acl_for_root(&pki, Privilege::Operate),
    );
    let ctl = controller(&url, dir.path()).await;
    let addr = DeviceAddr::new(0xFFF1, "fan-k");
    wait_online(&ctl, &addr).await;
    let boot = ctl.device(&addr).and_then(|d| d.boot_id);
    // Let a few reports go out so the will is not simply the next counter.
    for level in 1..=5 {
        ctl.write(&addr, vec![(LEVEL, Value::Int(level))])
            .await
            .expect("write");
    }
    device.kill().await;
    let offline = ctl
        .wait_for(Duration::from_secs(15), |d| {
            d.iter().any(|v| v.addr == addr && v.online == Some(false))
        })
        .await;
    assert!(offline, "will not seen: {:?}", ctl.device(&addr));

    let (again, _) = start_device(
        &url,
        dir.path(),
        fan("fan-k"),
        acl_for_root(&pki, Privilege::Operate),
    );
    let online = ctl
        .wait_for(Duration::from_secs(10), |d| {
            d.iter().any(|v| v.addr == addr && v.online == Some(true))
        })
        .await;
    assert!(
        online,
        "restarted device not online: {:?}",
        ctl.device(&addr)
    );
    assert_ne!(ctl.device(&addr).and_then(|d| d.boot_id), boot);
    // Its counters did not restart: requests and responses still pass the replay windows.
    assert_eq!(
        ctl.write(&addr, vec![(LEVEL, Value::Int(3))])
            .await
            .expect("write"),
        vec![(LEVEL, StatusCode::Success)]
    );
    again.shutdown().await;
    ctl.shutdown().await;
}

fn fault_fields(n: i64) -> Value {
    // fault-raised: code general-failure, the vendor code carrying n, severity, action, raised-at.
    Value::structure([
        (1, Value::Int(1)),
        (2, Value::Int(n)),
        (3, Value::Int(SEVERITY)),
        (4, Value::Int(ACTION)),
        (5, Value::Null),
    ])
}

async fn persistent_controller(
    url: &hearth_mqtt::BrokerUrl,
    dir: &std::path::Path,
    session: &str,
) -> Controller {
    let identity = Identity::controller(dir).expect("identity");
    let counter = Box::new(FileCounterStore::new(Identity::counter_path(
        dir,
        &identity.id,
        false,
    )));
    let mut config = ControllerConfig::new(url.clone(), identity, counter);
    config.session = Some(session.into());
    config.keep_alive = Duration::from_secs(5);
    Controller::connect(config).await.expect("controller")
}

async fn collect_events(
    updates: &mut tokio::sync::broadcast::Receiver<Update>,
    want: usize,
    within: Duration,
) -> BTreeSet<u64> {
    let mut numbers = BTreeSet::new();
    let _ = tokio::time::timeout(within, async {
        while numbers.len() < want {
            if let Ok(Update::Event { event, .. }) = updates.recv().await {
                numbers.insert(event.number);
            }
        }
    })
    .await;
    numbers
}

/// Events emitted while the broker is unreachable are delivered once it is back (QoS 1, the
/// device's outbox, the controller's persistent session).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_outage_loses_no_event() {
    let (url, broker) = broker();
    let upstream = match &broker {
        Some(b) => b.addr(),
        None => format!("{}:{}", url.host, url.port)
            .parse()
            .expect("socket address"),
    };
    let proxy = Proxy::start(upstream).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = pki(dir.path());
    let (device, _) = start_device(
        &proxy.url(),
        dir.path(),
        fan("fan-o"),
        acl_for_root(&pki, Privilege::Operate),
    );
    let ctl = persistent_controller(&proxy.url(), dir.path(), "outage").await;
    let addr = DeviceAddr::new(0xFFF1, "fan-o");
    wait_online(&ctl, &addr).await;
    let mut updates = ctl.updates();
    for n in 0..10 {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
    }
    proxy.cut();
    for n in 10..20 {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.restore();
    for n in 20..30 {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
    }
    let numbers = collect_events(&mut updates, 30, Duration::from_secs(30)).await;
    let missing: Vec<u64> = (0..30).filter(|n| !numbers.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "lost events {missing:?}; device {:?}",
        device.stats()
    );
    device.shutdown().await;
    ctl.shutdown().await;
}

/// A real broker restart (mosquitto with persistence), when mosquitto is installed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mosquitto_restart_loses_no_event() {
    let Some(mosquitto) = Mosquitto::find() else {
        eprintln!("skipped: mosquitto is not installed (CI installs it)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut broker = mosquitto.start(dir.path()).await;
    let url = broker.url();
    let pki = pki(dir.path());
    let (device, _) = start_device(
        &url,
        dir.path(),
        fan("fan-m"),
        acl_for_root(&pki, Privilege::Operate),
    );
    let ctl = persistent_controller(&url, dir.path(), "restart").await;
    let addr = DeviceAddr::new(0xFFF1, "fan-m");
    wait_online(&ctl, &addr).await;
    let mut updates = ctl.updates();
    for n in 0..10 {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    broker.stop().await;
    for n in 10..20 {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker = mosquitto.start_on(dir.path(), broker.port).await;
    for n in 20..30 {
        device
            .event(FAULT_RAISED, fault_fields(n))
            .await
            .expect("event");
    }
    let numbers = collect_events(&mut updates, 30, Duration::from_secs(40)).await;
    let missing: Vec<u64> = (0..30).filter(|n| !numbers.contains(n)).collect();
    assert!(
        missing.is_empty(),
        "lost events {missing:?}; device {:?}",
        device.stats()
    );
    device.shutdown().await;
    ctl.shutdown().await;
    broker.stop().await;
}

struct Mosquitto {
    binary: std::path::PathBuf,
}

struct RunningMosquitto {
    child: tokio::process::Child,
    port: u16,
}

impl Mosquitto {
    fn find() -> Option<Self> {
        [
            "/usr/sbin/mosquitto",
            "/usr/bin/mosquitto",
            "/usr/local/sbin/mosquitto",
        ]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .map(|binary| Self { binary })
    }

    async fn start(&self, dir: &std::path::Path) -> RunningMosquitto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        self.start_on(dir, port).await
    }

    async fn start_on(&self, dir: &std::path::Path, port: u16) -> RunningMosquitto {
        let conf = dir.join("mosquitto.conf");
        let data = dir.join("mosquitto-data");
        std::fs::create_dir_all(&data).expect("data dir");
        // Started as root, mosquitto drops to its own user: let it write its persistence file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for d in [dir, data.as_path()] {
                let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777));
            }
        }
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nmax_queued_messages 10000\nmessage_size_limit 70000\n",
                data.display()
            ),
        )
        .expect("config");
        let child = tokio::process::Command::new(&self.binary)
            .arg("-c")
            .arg(&conf)
            .kill_on_drop(true)
            .spawn()
            .expect("mosquitto starts");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        RunningMosquitto { child, port }
    }
}

impl RunningMosquitto {
    fn url(&self) -> hearth_mqtt::BrokerUrl {
        hearth_mqtt::BrokerUrl::plain("127.0.0.1", self.port)
    }

    /// Stop gracefully so the persistence file is written.
    async fn stop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}
