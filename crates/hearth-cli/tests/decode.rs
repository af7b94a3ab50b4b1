//! `hearth decode` on messages sealed by the device's own credential and on a message
//! captured from the broker, with and without a trust anchor.

mod common;

use std::io::Write as _;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use common::{
    assert_contains, command, exited, fan_on_broker, hearth, p, pki_init, stdout, trusting,
};
use hearth_model::{Path, Value};
use hearth_mqtt::Identity;
use hearth_security::cose::Signer;
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_testkit::watch::{next_publish, raw_client};
use hearth_wire::{Body, Envelope, Report, Sender};

/// A report sealed by a fan provisioned in `dir`, for topic `d/fff1/{id}/report`.
fn sealed_report(dir: &std::path::Path, id: &str) -> Vec<u8> {
    let identity = Identity::provision_device(dir, id, "fan", "TF-1").expect("identity");
    let counter = SendCounter::open(MemoryCounterStore::default(), 1000).expect("counter");
    let signer: Arc<dyn Signer + Send + Sync> = identity.key.clone();
    let mut sender = Sender::new(identity.id.clone(), signer, identity.chain.clone(), counter);
    let body = Body::Report(Report {
        full: false,
        values: vec![
            (Path::new(0, 9, 1), Value::Int(7)),
            (Path::new(0, 5, 1), Value::Int(0x0803)),
        ],
    });
    let envelope = Envelope {
        time_ms: Some(1_790_000_000_000),
        with_chain: true,
        ..Envelope::default()
    };
    sender
        .seal(body, &format!("d/fff1/{id}/report"), &envelope)
        .expect("seal")
}

/// Hexadecimal with line breaks, as people paste it.
fn hex_lines(bytes: &[u8]) -> String {
    bytes
        .chunks(32)
        .map(|c| c.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn decodes_and_verifies_a_sealed_report() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    pki_init(dir);
    let bytes = sealed_report(dir, "fan-7");
    let file = dir.join("report.hex");
    std::fs::write(&file, hex_lines(&bytes)).expect("write");
    let root = dir.join("root.cert");

    // Structure and fields without a trust anchor.
    let o = hearth(&["decode", p(&file)]);
    let text = exited(&o, 0);
    assert_contains(
        &text,
        &[
            "signed message (COSE_Sign1, tag 18)",
            "kind:        report",
            "sender:      fan-7",
            "0/fan-control/level = 7",
            "0/mode/current-mode = sleep (0x0803)",
            "device \"fan-7\"",
        ],
    );
    assert!(!text.contains("\nsignature:"), "{text}");

    // Valid with the topic inferred, and with it given.
    let o = trusting(&["decode"], &file, &root, &[]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(stdout(&o).contains("signature: valid"), "{o:?}");
    let o = trusting(
        &["decode"],
        &file,
        &root,
        &["--topic", "d/fff1/fan-7/report", "--json"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["signature"]["valid"], true, "{doc}");
    assert_eq!(doc["message"]["kind"], "report", "{doc}");
    assert_eq!(doc["message"]["chain"][0]["subject"], "fan-7", "{doc}");
    assert_eq!(
        doc["message"]["body"]["values"][0]["path"], "0/fan-control/level",
        "{doc}"
    );

    // The signature binds the topic.
    let o = trusting(
        &["decode"],
        &file,
        &root,
        &["--topic", "d/fff1/fan-8/report"],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stdout(&o).contains("signature: INVALID"), "{o:?}");

    // Another PKI's root does not vouch for the chain.
    let other = dir.join("other");
    pki_init(&other);
    let o = trusting(&["decode"], &file, &other.join("root.cert"), &[]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");

    // A flipped signature byte, as raw bytes on standard input.
    let mut bad = bytes.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    let mut child = command()
        .args(["decode", "-", "--trust", p(&root)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run hearth");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&bad)
        .expect("write stdin");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        stdout(&o).contains("bad signature") || stdout(&o).contains("INVALID"),
        "{o:?}"
    );
}

#[test]
fn undecodable_input_exits_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("junk");
    for junk in ["not hex at all", "a1b2c", "", "00"] {
        std::fs::write(&file, junk).expect("write");
        let o = hearth(&["decode", p(&file)]);
        assert_eq!(o.status.code(), Some(1), "{junk:?}: {o:?}");
    }
}

#[test]
fn decodes_a_description_captured_from_the_broker() {
    let fan = fan_on_broker("fan-cap");
    let (dir, id) = (fan.dir(), &fan.id);

    // The retained description, as any MQTT client sees it.
    let url: hearth_mqtt::BrokerUrl = fan.url.parse().expect("URL");
    let topic = format!("hearth/1/d/fff1/{id}/desc");
    let (_, bytes) = fan.rt.block_on(async {
        let (client, mut rx) = raw_client(&url);
        client
            .subscribe(&topic, rumqttc::QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        next_publish(&mut rx, Duration::from_secs(10), |t| t == topic).await
    });
    let file = dir.join("desc.bin");
    std::fs::write(&file, &bytes).expect("write");
    let o = trusting(&["decode"], &file, &dir.join("root.cert"), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["signature"]["valid"], true, "{doc}");
    assert_eq!(
        doc["signature"]["topic"],
        format!("d/fff1/{id}/desc"),
        "{doc}"
    );
    assert_eq!(doc["message"]["kind"], "description", "{doc}");
    assert_eq!(doc["message"]["body"]["device_type"], "fan", "{doc}");
    assert!(
        doc["structure"]
            .as_str()
            .unwrap_or_default()
            .contains("COSE_Sign1"),
        "{doc}"
    );
}
