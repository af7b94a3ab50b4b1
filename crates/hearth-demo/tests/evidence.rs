//! A report holds the evidence of its own device only. Two appliances answer the same
//! controllers, so their responses share one response topic (named after the controller);
//! each device's report must hold its own device's responses and never the other's.

use hearth_demo::demo::{run_demo, DemoConfig};
use hearth_report::report::Report;
use hearth_report::trace::{Direction, TraceEntry};
use hearth_report::verdict::Verdict;
use hearth_sim::{BrandId, DeviceKind, DeviceSpec, Fleet};

/// Two fans of different brands, answering the same two controllers.
fn two_fans() -> Fleet {
    let fan = |brand: BrandId, key: &str| DeviceSpec {
        kind: DeviceKind::Fan,
        brand,
        id: format!("fan-{key}-1"),
        fault: None,
    };
    Fleet {
        devices: vec![
            fan(BrandId::Kestrel, "kestrel"),
            fan(BrandId::Lotus, "lotus"),
        ],
    }
}

fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

/// The sender a response's bytes name, read without checking the signature.
fn sender(entry: &TraceEntry) -> String {
    let payload = bytes(&entry.hex);
    let envelope = hearth_security::cose::Envelope::parse(&payload).expect("an envelope");
    hearth_wire::codec::decode(
        envelope.unverified_payload(),
        &hearth_wire::Limits::STANDARD,
    )
    .expect("a message")
    .sender
}

fn entries(r: &Report) -> impl Iterator<Item = &TraceEntry> {
    r.tests.iter().flat_map(|t| &t.evidence)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_report_holds_only_the_responses_of_its_own_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = DemoConfig {
        fleet: two_fans(),
        // Every message's bytes, to read each response's sender from them.
        params: vec![("trace".into(), "full".into())],
        // Cases that read, write and check responses, while the other fan's run does too.
        only_requirements: Some(
            [
                "HRT-MOD-048",
                "HRT-MOD-118",
                "HRT-MQTT-003",
                "HRT-MSG-064",
                "HRT-SEC-007",
            ]
            .map(String::from)
            .to_vec(),
        ),
        all_renderings: false,
        ..DemoConfig::new(dir.path())
    };
    let reports = run_demo(&config, |_, _, _| {}).await.expect("demo runs");
    assert_eq!(reports.len(), 2);
    for r in &reports {
        let device = &r.device.device_id;
        assert_eq!(r.trace_level().map(|l| l.name()), Some("full"));
        for t in &r.tests {
            assert!(
                matches!(t.verdict, Verdict::Pass | Verdict::NotApplicable),
                "{device} {} {}: {}",
                t.id,
                t.verdict,
                t.reason
            );
        }
        let mut responses = 0;
        for e in entries(r).filter(|e| e.direction != Direction::Note) {
            assert_eq!(
                e.hex.len(),
                2 * e.size,
                "{device} #{}: every byte kept",
                e.seq
            );
            let digest = ring::digest::digest(&ring::digest::SHA256, &bytes(&e.hex));
            assert_eq!(e.sha256, hex(digest.as_ref()), "{device} #{}", e.seq);
            if e.direction == Direction::In && e.topic.ends_with("/resp") {
                assert_eq!(&sender(e), device, "{device} #{}: {}", e.seq, e.summary);
                responses += 1;
            }
        }
        assert!(responses > 0, "{device}: no responses");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passing_test_case_keeps_summaries_and_digests_but_no_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = DemoConfig {
        fleet: Fleet {
            devices: two_fans().devices.into_iter().take(1).collect(),
        },
        only_requirements: Some(vec!["HRT-MSG-064".into()]),
        all_renderings: false,
        ..DemoConfig::new(dir.path())
    };
    let reports = run_demo(&config, |_, _, _| {}).await.expect("demo runs");
    let r = &reports[0];
    assert_eq!(r.trace_level().map(|l| l.name()), Some("failures"));
    let passed: Vec<&TraceEntry> = r
        .tests
        .iter()
        .filter(|t| t.verdict == Verdict::Pass)
        .flat_map(|t| &t.evidence)
        .filter(|e| e.direction != Direction::Note)
        .collect();
    assert!(!passed.is_empty());
    for e in passed {
        assert!(e.bytes_left_out(), "#{}: {}", e.seq, e.summary);
        assert_eq!(e.sha256.len(), 64);
        // Summaries name paths from the catalog, not by number (`0/1/1`).
        assert!(!numeric_path(&e.summary), "#{}: {}", e.seq, e.summary);
    }
}

/// Whether `text` holds a path in numeric form, three numbers joined by `/`.
fn numeric_path(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_digit() || c == '/'))
        .any(|word| {
            let parts: Vec<&str> = word.split('/').collect();
            parts.len() == 3 && parts.iter().all(|p| !p.is_empty())
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
