//! Sealing and opening with a real test PKI: every kind of bad input is rejected with its
//! typed error and changes nothing (HRT-SEC-…, HRT-MSG-…).

use hearth_model::ids::{cap, temperature_control};
use hearth_model::{Path, Value};
use hearth_security::alg::Algorithm;
use hearth_security::cert::{Role, TrustStore};
use hearth_security::pki::{issue, Credential, IssueRequest, TestPki};
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use std::sync::Arc;

use hearth_security::key::KeyPair;
use hearth_wire::{Body, Envelope, OpenError, Opened, Receiver, Report, Sender};
use ring::rand::SystemRandom;

const NOW: u64 = 1_800_000_000;
const TOPIC: &str = "d/fff1/fridge-1/report";

struct Fixture {
    pki: TestPki,
    device: Credential,
    device_key: Arc<KeyPair>,
    controller_key: Arc<KeyPair>,
}

fn fixture() -> Fixture {
    let rng = SystemRandom::new();
    let pki = TestPki::generate(NOW, &rng).expect("test PKI");
    let device = issue(
        &IssueRequest {
            role: Role::Device,
            subject: "fridge-1".into(),
            vendor_id: None,
            device_type: Some("refrigerator".into()),
            model: Some("RF-100".into()),
            days: 365,
            alg: Algorithm::EdDsa,
        },
        &pki.vendor,
        NOW,
        &rng,
    )
    .expect("device certificate");
    let device_key = Arc::new(KeyPair::generate(Algorithm::EdDsa, &rng).expect("key"));
    let controller_key = Arc::new(KeyPair::generate(Algorithm::EdDsa, &rng).expect("key"));
    // Keys are not Clone; re-issue the device certificate for a shareable key.
    let device = Credential {
        cert: hearth_security::cert::Certificate::issue(
            &hearth_security::cert::CertClaims {
                key: *device_key.public_key(),
                ..device.cert.claims().clone()
            },
            Some(&pki.vendor.cert),
            &pki.vendor.key,
        )
        .expect("re-issue"),
        key: device.key,
    };
    Fixture {
        pki,
        device,
        device_key,
        controller_key,
    }
}

fn sender(f: &Fixture, id: &str) -> Sender<MemoryCounterStore> {
    let counter = SendCounter::open(MemoryCounterStore::default(), 100).expect("counter");
    let chain = vec![
        f.device.cert.as_bytes().to_vec(),
        f.pki.vendor.cert.as_bytes().to_vec(),
    ];
    Sender::new(id, f.device_key.clone(), chain, counter)
}

fn receiver(pki: &TestPki) -> Receiver {
    let mut trust = TrustStore::new();
    trust.add_root(pki.root.cert.clone()).expect("root");
    Receiver::new(trust)
}

fn report() -> Body {
    Body::Report(Report {
        full: false,
        values: vec![(
            Path::new(1, cap::TEMPERATURE_CONTROL, temperature_control::SETPOINT),
            Value::Int(400),
        )],
    })
}

fn with_chain() -> Envelope {
    Envelope {
        with_chain: true,
        ..Envelope::default()
    }
}

/// A device signing as `id` with the fridge's chain, and a receiver trusting the root.
struct Link {
    f: Fixture,
    tx: Sender<MemoryCounterStore>,
    rx: Receiver,
}

fn link(id: &str) -> Link {
    let f = fixture();
    let tx = sender(&f, id);
    let rx = receiver(&f.pki);
    Link { f, tx, rx }
}

impl Link {
    /// The next report, carrying the chain.
    fn report(&mut self) -> Vec<u8> {
        self.tx.seal(report(), TOPIC, &with_chain()).expect("seal")
    }

    /// The next report, without the chain.
    fn bare_report(&mut self) -> Vec<u8> {
        self.tx
            .seal(report(), TOPIC, &Envelope::default())
            .expect("seal")
    }

    /// Open `bytes` on the report topic at `now`.
    fn open_at(&mut self, bytes: &[u8], now: u64) -> Result<Opened, OpenError> {
        self.rx.open(bytes, TOPIC, now)
    }

    /// Open `bytes` on the report topic.
    fn open(&mut self, bytes: &[u8]) -> Result<Opened, OpenError> {
        self.open_at(bytes, NOW)
    }

    /// Why the next report (carrying the chain) is rejected.
    fn refusal(&mut self) -> OpenError {
        let bytes = self.report();
        self.open(&bytes).expect_err("rejected")
    }
}

#[test]
fn a_sealed_report_opens_once() {
    let mut l = link("fridge-1");
    let bytes = l.report();
    let opened = l.open(&bytes).expect("opens");
    assert_eq!(opened.message.body, report());
    assert_eq!(opened.peer.id(), "fridge-1");
    assert_eq!(
        opened.peer.chain.leaf.device_type.as_deref(),
        Some("refrigerator")
    );
    // HRT-SEC-097: the same bytes again are a replay.
    assert!(matches!(l.open(&bytes), Err(OpenError::Replay(_))));
}

#[test]
fn once_the_chain_is_known_messages_need_not_carry_it() {
    let mut l = link("fridge-1");
    let bare = l.bare_report();
    assert!(matches!(l.open(&bare), Err(OpenError::UnknownSigner(_))));
    let first = l.report();
    l.open(&first).expect("chain admitted");
    let next = l.bare_report();
    l.open(&next).expect("known signer");
    // The earlier bare message was never accepted, so its counter is still fresh but older
    // than messages seen since; within the window it is accepted exactly once now.
    l.open(&bare).expect("within the window, first time");
}

#[test]
fn a_message_moved_to_another_topic_is_rejected() {
    let mut l = link("fridge-1");
    let bytes = l.report();
    let err =
        l.rx.open(&bytes, "d/fff1/fridge-2/report", NOW)
            .expect_err("topic is bound");
    assert!(matches!(err, OpenError::Envelope(_)), "{err}");
    // Nothing changed: the original still opens on its own topic.
    l.open(&bytes).expect("still fresh");
}

#[test]
fn any_flipped_byte_is_rejected() {
    let mut l = link("fridge-1");
    let bytes = l.report();
    for i in 0..bytes.len() {
        let mut rx = receiver(&l.f.pki);
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert!(rx.open(&bad, TOPIC, NOW).is_err(), "flip at {i} accepted");
    }
}

#[test]
fn a_sender_claiming_another_identity_is_rejected() {
    let mut l = link("fridge-2");
    assert!(matches!(l.refusal(), OpenError::SenderMismatch { .. }));
}

#[test]
fn a_chain_from_another_root_is_rejected() {
    let mut l = link("fridge-1");
    l.rx = receiver(&fixture().pki);
    assert!(matches!(l.refusal(), OpenError::Certificate(_)));
}

#[test]
fn an_expired_certificate_is_rejected() {
    let mut l = link("fridge-1");
    let bytes = l.report();
    let later = NOW + 400 * 86_400;
    assert!(matches!(
        l.open_at(&bytes, later),
        Err(OpenError::Certificate(_))
    ));
}

#[test]
fn a_chain_for_another_key_is_rejected() {
    let mut l = link("fridge-1");
    // Signed with the controller's key but carrying the device's chain.
    let counter = SendCounter::open(MemoryCounterStore::default(), 100).expect("counter");
    let chain = vec![
        l.f.device.cert.as_bytes().to_vec(),
        l.f.pki.vendor.cert.as_bytes().to_vec(),
    ];
    l.tx = Sender::new("fridge-1", l.f.controller_key.clone(), chain, counter);
    assert!(matches!(l.refusal(), OpenError::ChainKeyMismatch { .. }));
}

#[test]
fn garbage_is_rejected_without_panic() {
    let mut l = link("fridge-1");
    for bytes in [
        &b""[..],
        b"\xd2",
        b"\xd2\x84\x40\xa0\xf6\x40",
        &[0xffu8; 100],
    ] {
        assert!(l.open(bytes).is_err());
    }
}

/// HRT-MSG-081: a valid chain carried by a message whose signature fails is not remembered, so
/// forged messages cannot fill or change the receiver's peer cache.
#[test]
fn a_carried_chain_is_remembered_only_after_the_signature_verifies() {
    let mut l = link("fridge-1");
    let mut forged = l.report();
    let last = forged.len() - 1;
    forged[last] ^= 0x01; // the signature's last byte
    assert!(matches!(l.open(&forged), Err(OpenError::Envelope(_))));
    assert!(
        l.rx.peer(&l.tx.key_id()).is_none(),
        "chain cached before the signature verified"
    );
    let bare = l.bare_report();
    assert!(matches!(l.open(&bare), Err(OpenError::UnknownSigner(_))));
}

/// HRT-MQTT-042, HRT-MQTT-043: an offline status published early by the broker does not make the
/// device's later messages look old, and the same will is accepted only once.
#[test]
fn an_early_will_does_not_move_the_replay_window() {
    use hearth_wire::{Availability, Status};
    let mut l = link("fridge-1");
    let first = l.report();
    l.open(&first).expect("opens");
    let will_counter = l.tx.reserve_ahead(1 << 32).expect("reserve");
    let offline = Body::Status(Status {
        availability: Availability::Offline,
        boot_id: 1,
    });
    let status = "d/fff1/fridge-1/status";
    let will =
        l.tx.seal_reserved(offline, status, &with_chain(), will_counter)
            .expect("will");
    l.rx.open(&will, status, NOW).expect("the will opens");
    assert!(
        matches!(l.rx.open(&will, status, NOW), Err(OpenError::Replay(_))),
        "a will opens only once"
    );
    let later = l.bare_report();
    l.open(&later).expect("messages below the will still open");
}

fn revoke(by: &Credential, this_update: u64, kids: &[hearth_security::key::KeyId]) -> Vec<u8> {
    hearth_security::revocation::RevocationList {
        issuer: by.cert.claims().subject.clone(),
        this_update,
        next_update: this_update + 60,
        revoked: kids.iter().copied().collect(),
    }
    .issue(&by.cert, &by.key)
    .expect("list")
}

#[test]
fn a_revocation_list_of_a_ca_seen_in_a_chain_stops_its_keys() {
    use hearth_wire::seal::RevocationIntakeError;
    let mut l = link("fridge-1");
    let (vendor, device_kid) = (&l.f.pki.vendor, *l.f.device.cert.subject_kid());
    let vendor_kid = *vendor.cert.subject_kid();
    let root_kid = *l.f.pki.root.cert.subject_kid();
    let [list, future, older, lifted] = [
        (NOW, vec![device_kid]),
        (NOW + 10, vec![device_kid]),
        (NOW - 5, vec![]),
        (NOW + 2, vec![]),
    ]
    .map(|(this_update, kids)| revoke(vendor, this_update, &kids));
    // The vendor CA is not a trust anchor and no chain through it was seen yet.
    assert!(matches!(
        l.rx.apply_revocation_list(&vendor_kid, &list, NOW),
        Err(RevocationIntakeError::UnknownCa(_))
    ));
    let first = l.report();
    l.open(&first).expect("opens before the list");
    // HRT-MQTT-062: a list on another CA's topic is ignored.
    let wrong = l.rx.apply_revocation_list(&root_kid, &list, NOW);
    assert!(matches!(
        wrong,
        Err(RevocationIntakeError::WrongTopic { .. })
    ));
    assert_eq!(wrong.err().map(|e| e.requirement()), Some("HRT-MQTT-062"));
    // HRT-SEC-082: a list dated in the future is refused.
    assert!(l
        .rx
        .apply_revocation_list(&vendor_kid, &future, NOW)
        .is_err());
    l.rx.apply_revocation_list(&vendor_kid, &list, NOW)
        .expect("the vendor's list");
    // HRT-SEC-072, HRT-SEC-075: the cached peer no longer opens, with or without a chain.
    let next = l.report();
    assert!(matches!(
        l.open_at(&next, NOW + 1),
        Err(OpenError::Certificate(_))
    ));
    // HRT-SEC-086: an older (or equally old) list does not un-revoke the key.
    let refused =
        l.rx.apply_revocation_list(&vendor_kid, &older, NOW + 1)
            .expect_err("an older list");
    assert_eq!(refused.requirement(), "HRT-SEC-086");
    assert!(refused.is_repeat(), "not newer: nothing to report again");
    // HRT-SEC-085: still applied after its next-update time.
    let later = l.report();
    assert!(l.open_at(&later, NOW + 3600).is_err());
    // A newer list without the key lifts the revocation.
    l.rx.apply_revocation_list(&vendor_kid, &lifted, NOW + 2)
        .expect("newer list");
    let again = l.report();
    l.open_at(&again, NOW + 3).expect("opens again");
}
