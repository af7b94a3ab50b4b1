//! A short, small load run over the embedded broker: every report is accounted for.

use std::time::Duration;

use hearth_load::{run, LoadConfig};
use hearth_mqtt::EmbeddedBroker;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_is_verified_and_none_is_lost() {
    let broker = EmbeddedBroker::start_local().expect("broker");
    let mut config = LoadConfig::new(broker.url(), 50, 500.0, Duration::from_secs(2));
    config.workers = 2;
    let report = run(&config, |_, _| {}).await.expect("load run");
    assert!(report.sent >= 800, "{report:?}");
    assert_eq!(report.lost, 0, "{report:?}");
    assert_eq!(report.rejected, 0, "{report:?}");
    assert_eq!(report.verified, report.sent, "{report:?}");
    assert!(report.latency_ms.p50 <= report.latency_ms.p99);
}
