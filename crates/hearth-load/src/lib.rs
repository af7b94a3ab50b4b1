//! The Hearth load generator: how many signed reports a controller verifies per second.
//!
//! [`run`] creates a fleet of virtual devices with their own keys, certificates and counters
//! (issued in memory under a fresh root), spreads them over a few MQTT connections — many
//! devices per connection, as a gateway bridging a building would — and publishes sealed
//! partial reports at an aggregate rate. A controller subscribes to every report and opens
//! each one with the same [`hearth_wire::Receiver`] pipeline the Controller runtime uses,
//! sharded by device over one verification thread per core. Every message is accounted for:
//! sent, received, verified, rejected, lost; end-to-end latency comes from the message's own
//! time field; CPU time per verified message from the process's accounting.

mod fleet;
mod stats;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use hearth_mqtt::identity::unix_now_ms;
use hearth_mqtt::{BrokerUrl, Topics};
use hearth_wire::Body;
use rumqttc::{Event, Packet, QoS};
use serde::Serialize;

pub use stats::{cpu_time, Latency};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The broker.
    pub broker: BrokerUrl,
    /// Number of virtual devices.
    pub devices: usize,
    /// Aggregate reports per second over all devices.
    pub rate: f64,
    /// How long to publish.
    pub duration: Duration,
    /// Device-side MQTT connections the devices share.
    pub connections: usize,
    /// Verification threads (default: one per core).
    pub workers: usize,
    /// How long to wait after publishing for the last messages to arrive.
    pub drain: Duration,
}

impl LoadConfig {
    /// A configuration with the defaults: one connection per 100 devices (at least one, at
    /// most 16), one verifier per core, two seconds of drain.
    pub fn new(broker: BrokerUrl, devices: usize, rate: f64, duration: Duration) -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            broker,
            devices,
            rate,
            duration,
            connections: devices.div_ceil(100).clamp(1, 16),
            workers,
            drain: Duration::from_secs(2),
        }
    }
}

/// End-to-end latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct LatencyMs {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoadReport {
    /// Virtual devices.
    pub devices: usize,
    /// Device-side connections.
    pub connections: usize,
    /// Verification threads.
    pub workers: usize,
    /// Seconds spent publishing.
    pub duration_s: f64,
    /// Reports published.
    pub sent: u64,
    /// Reports the controller received.
    pub received: u64,
    /// Reports that opened (signature, chain, replay, decode).
    pub verified: u64,
    /// Reports that did not open.
    pub rejected: u64,
    /// Reports sent but never received.
    pub lost: u64,
    /// Verified reports per second of publishing.
    pub throughput_per_s: f64,
    /// End-to-end latency from the device's clock stamp to verification.
    pub latency_ms: LatencyMs,
    /// Process CPU time (all threads: devices, broker if embedded, controller) per verified
    /// report, in microseconds.
    pub cpu_us_per_msg: Option<f64>,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The fleet could not be created.
    #[error("creating the fleet: {0}")]
    Fleet(String),
    /// The broker could not be reached.
    #[error("connecting to {0}: {1}")]
    Connect(String, String),
}

struct Shared {
    received: AtomicU64,
    verified: AtomicU64,
    rejected: AtomicU64,
}

/// Run the load and report. `progress` is called about once a second with the counts so far.
pub async fn run(
    config: &LoadConfig,
    mut progress: impl FnMut(u64, u64),
) -> Result<LoadReport, LoadError> {
    let topics = Topics::default();
    let fleet = fleet::Fleet::new(config.devices).map_err(LoadError::Fleet)?;
    let workers = config.workers.max(1);
    let shared = Arc::new(Shared {
        received: AtomicU64::new(0),
        verified: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
    });

    // Verification threads, each with its own receiver that already knows its devices.
    let mut senders = Vec::with_capacity(workers);
    let mut joins = Vec::with_capacity(workers);
    for w in 0..workers {
        let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
        let mut receiver = fleet
            .receiver(|i| i % workers == w)
            .map_err(LoadError::Fleet)?;
        let shared = shared.clone();
        let rel: Vec<String> = (0..config.devices).map(|i| fleet.report_topic(i)).collect();
        joins.push(std::thread::spawn(move || {
            let mut latency = Latency::default();
            while let Ok((device, bytes)) = rx.recv() {
                let now_ms = unix_now_ms();
                match receiver.open(&bytes, &rel[device], now_ms / 1000) {
                    Ok(opened) => {
                        shared.verified.fetch_add(1, Ordering::Relaxed);
                        if let (Body::Report(_), Some(sent)) =
                            (&opened.message.body, opened.message.time_ms)
                        {
                            latency.record(now_ms.saturating_sub(sent));
                        }
                    }
                    Err(_) => {
                        shared.rejected.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            latency
        }));
        senders.push(tx);
    }

    // The controller's subscription.
    let mut options = config
        .broker
        .mqtt_options(format!("hc-load-{}", std::process::id()))
        .map_err(|e| LoadError::Connect(config.broker.to_string(), e.to_string()))?;
    options.set_keep_alive(Duration::from_secs(30));
    options.set_inflight(1000);
    let (sub, mut sub_loop) = hearth_mqtt::BrokerUrl::client(options, 10_000);
    sub.subscribe(
        topics.all_devices(hearth_mqtt::topic::Channel::Report),
        QoS::AtLeastOnce,
    )
    .await
    .map_err(|e| LoadError::Connect(config.broker.to_string(), e.to_string()))?;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let root = topics.root().to_owned();
    let recv_shared = shared.clone();
    let router = tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        let prefix = format!("{root}/d/fff1/load-");
        loop {
            match sub_loop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    tell(&mut ready, Ok(()));
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    recv_shared.received.fetch_add(1, Ordering::Relaxed);
                    let device = p
                        .topic
                        .strip_prefix(&prefix)
                        .and_then(|t| t.strip_suffix("/report"))
                        .and_then(|n| n.parse::<usize>().ok());
                    if let Some(device) = device {
                        let _ = senders[device % senders.len()].send((device, p.payload.to_vec()));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if tell(&mut ready, Err(e.to_string())) {
                        // The subscription never came: the start says why.
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    match tokio::time::timeout(Duration::from_secs(10), ready_rx).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(LoadError::Connect(config.broker.to_string(), e)),
        _ => {
            return Err(LoadError::Connect(
                config.broker.to_string(),
                "no subscription acknowledgement".into(),
            ))
        }
    }

    // Publishers: devices spread over connections, each connection paced to its share.
    let cpu_start = cpu_time();
    let started = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    let connections = config.connections.clamp(1, config.devices.max(1));
    let per_connection = config.rate / connections as f64;
    let mut publishers = Vec::new();
    let mut loops = Vec::new();
    for c in 0..connections {
        let devices: Vec<usize> = (c..config.devices).step_by(connections).collect();
        let mut senders = fleet.senders(&devices).map_err(LoadError::Fleet)?;
        let topics: Vec<String> = devices
            .iter()
            .map(|i| topics.full(&fleet.report_topic(*i)))
            .collect();
        let rel: Vec<String> = devices.iter().map(|i| fleet.report_topic(*i)).collect();
        let mut options = config
            .broker
            .mqtt_options(format!("hd-load-{}-{c}", std::process::id()))
            .map_err(|e| LoadError::Connect(config.broker.to_string(), e.to_string()))?;
        options.set_inflight(1000);
        let (client, mut eventloop) = hearth_mqtt::BrokerUrl::client(options, 10_000);
        loops.push(tokio::spawn(async move {
            loop {
                if eventloop.poll().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
        let sent = sent.clone();
        let duration = config.duration;
        publishers.push(tokio::spawn(async move {
            let tick = Duration::from_millis(10);
            let mut interval = tokio::time::interval(tick);
            let begin = Instant::now();
            let mut owed = 0.0f64;
            let mut next = 0usize;
            let mut level = 0i64;
            while begin.elapsed() < duration {
                interval.tick().await;
                owed += per_connection * tick.as_secs_f64();
                while owed >= 1.0 && !senders.is_empty() {
                    owed -= 1.0;
                    let i = next % senders.len();
                    next += 1;
                    level = (level + 1) % 1000;
                    let body = fleet::report(level);
                    let envelope = hearth_wire::Envelope {
                        time_ms: Some(unix_now_ms()),
                        ..Default::default()
                    };
                    if let Ok(bytes) = senders[i].seal(body, &rel[i], &envelope) {
                        if client
                            .publish(topics[i].clone(), QoS::AtLeastOnce, false, bytes)
                            .await
                            .is_ok()
                        {
                            sent.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }

    // Progress while publishing, then drain.
    let mut last = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if last.elapsed() >= Duration::from_secs(1) {
            progress(
                sent.load(Ordering::Relaxed),
                shared.verified.load(Ordering::Relaxed),
            );
            last = Instant::now();
        }
        if publishers.iter().all(|p| p.is_finished()) {
            break;
        }
    }
    let publishing = started.elapsed();
    let sent_total = sent.load(Ordering::Relaxed);
    let drain_until = Instant::now() + config.drain;
    while Instant::now() < drain_until && shared.received.load(Ordering::Relaxed) < sent_total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the verifiers finish what was received.
    let settle_until = Instant::now() + config.drain;
    while Instant::now() < settle_until
        && shared.verified.load(Ordering::Relaxed) + shared.rejected.load(Ordering::Relaxed)
            < shared.received.load(Ordering::Relaxed)
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu = cpu_time()
        .zip(cpu_start)
        .map(|(end, start)| end.saturating_sub(start));
    router.abort();
    for l in loops {
        l.abort();
    }
    let mut latency = Latency::default();
    for join in joins {
        // The router owned the channels; aborting it closes them and the threads return.
        if let Ok(l) = join.join() {
            latency.merge(l);
        }
    }
    let received = shared.received.load(Ordering::Relaxed);
    let verified = shared.verified.load(Ordering::Relaxed);
    let rejected = shared.rejected.load(Ordering::Relaxed);
    let (p50, p95, p99) = latency.percentiles();
    Ok(LoadReport {
        devices: config.devices,
        connections,
        workers,
        duration_s: publishing.as_secs_f64(),
        sent: sent_total,
        received,
        verified,
        rejected,
        lost: sent_total.saturating_sub(received),
        throughput_per_s: verified as f64 / publishing.as_secs_f64().max(1e-9),
        latency_ms: LatencyMs { p50, p95, p99 },
        cpu_us_per_msg: cpu
            .filter(|_| verified > 0)
            .map(|d| d.as_secs_f64() * 1e6 / verified as f64),
    })
}

/// Tell the start waiting on `ready`, if it still waits, how the subscription went: whether
/// it was waiting.
fn tell(
    ready: &mut Option<tokio::sync::oneshot::Sender<Result<(), String>>>,
    outcome: Result<(), String>,
) -> bool {
    match ready.take() {
        Some(r) => {
            let _ = r.send(outcome);
            true
        }
        None => false,
    }
}
