//! Sealing and opening with a real test PKI: every kind of bad input is rejected with its
//! typed error and changes nothing (HRT-SEC-…, HRT-MSG-…).

use std::sync::Arc;

use hearth_model::{Path, Value};
use hearth_security::cert::{Certificate, TrustStore};
use hearth_security::key::KeyPair;
use hearth_security::pki::{Credential, TestPki};
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_testkit::pki::{generate, issue_device};
use hearth_wire::{Body, Envelope, OpenError, Receiver, Report, Sender};
use ring::rand::SystemRandom;

const NOW: u64 = 1_800_000_000;
const TOPIC: &str = "d/fff1/fridge-1/report";

struct Fixture {
    pki: TestPki,
    device: Certificate,
    device_key: Arc<KeyPair>,
    controller_key: Arc<KeyPair>,
}

fn fixture() -> Fixture {
    let pki = generate(NOW);
    let Credential { cert, key } =
        issue_device(&pki, "fridge-1", ("refrigerator", "RF-100"), 365, NOW);
    let rng = SystemRandom::new();
    let controller_key = KeyPair::generate(hearth_security::alg::Algorithm::EdDsa, &rng);
    Fixture {
        pki,
        device: cert,
        device_key: Arc::new(key),
        controller_key: Arc::new(controller_key.expect("key")),
    }
}

/// A sender claiming `id` that signs with `key` and carries the device's chain.
fn sender_with(f: &Fixture, id: &str, key: &Arc<KeyPair>) -> Sender<MemoryCounterStore> {
    let counter = SendCounter::open(MemoryCounterStore::default(), 100).expect("counter");
    let chain = vec![
        f.device.as_bytes().to_vec(),
        f.pki.vendor.cert.as_bytes().to_vec(),
    ];
    Sender::new(id, key.clone(), chain, counter)
}

/// The device's own sender, claiming `id`.
fn sender(f: &Fixture, id: &str) -> Sender<MemoryCounterStore> {
    sender_with(f, id, &f.device_key)
}

fn receiver(pki: &TestPki) -> Receiver {
    let mut trust = TrustStore::new();
    trust.add_root(pki.root.cert.clone()).expect("root");
    Receiver::new(trust)
}

/// The device's sender (claiming `id`) and a receiver trusting the fixture's root.
fn link(f: &Fixture, id: &str) -> (Sender<MemoryCounterStore>, Receiver) {
    (sender(f, id), receiver(&f.pki))
}

/// Seal a report on [`TOPIC`], with the chain or without.
fn seal(tx: &mut Sender<MemoryCounterStore>, chain: bool) -> Vec<u8> {
    let envelope = if chain {
        with_chain()
    } else {
        Envelope::default()
    };
    tx.seal(report(), TOPIC, &envelope).expect("seal")
}

/// Open `bytes` on [`TOPIC`] now, which must fail: why.
fn refused(rx: &mut Receiver, bytes: &[u8]) -> OpenError {
    rx.open(bytes, TOPIC, NOW).map(|_| ()).expect_err("refused")
}

/// Seal a report with the chain and open it at `now`: what the receiver says.
fn sealed_and_opened(
    tx: &mut Sender<MemoryCounterStore>,
    rx: &mut Receiver,
    now: u64,
) -> Result<(), OpenError> {
    let bytes = seal(tx, true);
    rx.open(&bytes, TOPIC, now).map(|_| ())
}

fn report() -> Body {
    Body::Report(Report {
        full: false,
        values: vec![(Path::new(1, 6, 1), Value::Int(400))],
    })
}

fn with_chain() -> Envelope {
    Envelope {
        with_chain: true,
        ..Envelope::default()
    }
}

#[test]
fn a_sealed_report_opens_once() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let bytes = seal(&mut tx, true);
    let opened = rx.open(&bytes, TOPIC, NOW).expect("opens");
    assert_eq!(opened.message.body, report());
    assert_eq!(opened.peer.id(), "fridge-1");
    assert_eq!(
        opened.peer.chain.leaf.device_type.as_deref(),
        Some("refrigerator")
    );
    // HRT-SEC-097: the same bytes again are a replay.
    assert!(matches!(refused(&mut rx, &bytes), OpenError::Replay(_)));
}

#[test]
fn once_the_chain_is_known_messages_need_not_carry_it() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let bare = seal(&mut tx, false);
    assert!(matches!(
        refused(&mut rx, &bare),
        OpenError::UnknownSigner(_)
    ));
    let first = seal(&mut tx, true);
    rx.open(&first, TOPIC, NOW).expect("chain admitted");
    let next = seal(&mut tx, false);
    rx.open(&next, TOPIC, NOW).expect("known signer");
    // The earlier bare message was never accepted, so its counter is still fresh but older
    // than messages seen since; within the window it is accepted exactly once now.
    rx.open(&bare, TOPIC, NOW)
        .expect("within the window, first time");
}

#[test]
fn a_message_moved_to_another_topic_is_rejected() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let bytes = seal(&mut tx, true);
    let err = rx
        .open(&bytes, "d/fff1/fridge-2/report", NOW)
        .expect_err("topic is bound");
    assert!(matches!(err, OpenError::Envelope(_)), "{err}");
    // Nothing changed: the original still opens on its own topic.
    rx.open(&bytes, TOPIC, NOW).expect("still fresh");
}

#[test]
fn any_flipped_byte_is_rejected() {
    let f = fixture();
    let mut tx = sender(&f, "fridge-1");
    let bytes = seal(&mut tx, true);
    for i in 0..bytes.len() {
        let mut rx = receiver(&f.pki);
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        assert!(rx.open(&bad, TOPIC, NOW).is_err(), "flip at {i} accepted");
    }
}

#[test]
fn a_sender_claiming_another_identity_is_rejected() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-2");
    assert!(matches!(
        sealed_and_opened(&mut tx, &mut rx, NOW),
        Err(OpenError::SenderMismatch { .. })
    ));
}

#[test]
fn a_chain_from_another_root_is_rejected() {
    let f = fixture();
    let other = fixture();
    let mut tx = sender(&f, "fridge-1");
    assert!(matches!(
        sealed_and_opened(&mut tx, &mut receiver(&other.pki), NOW),
        Err(OpenError::Certificate(_))
    ));
}

#[test]
fn an_expired_certificate_is_rejected() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let later = NOW + 400 * 86_400;
    assert!(matches!(
        sealed_and_opened(&mut tx, &mut rx, later),
        Err(OpenError::Certificate(_))
    ));
}

#[test]
fn a_chain_for_another_key_is_rejected() {
    let f = fixture();
    // Signed with the controller's key but carrying the device's chain.
    let mut tx = sender_with(&f, "fridge-1", &f.controller_key);
    assert!(matches!(
        sealed_and_opened(&mut tx, &mut receiver(&f.pki), NOW),
        Err(OpenError::ChainKeyMismatch { .. })
    ));
}

#[test]
fn garbage_is_rejected_without_panic() {
    let f = fixture();
    let mut rx = receiver(&f.pki);
    for bytes in [
        &b""[..],
        b"\xd2",
        b"\xd2\x84\x40\xa0\xf6\x40",
        &[0xffu8; 100],
    ] {
        assert!(rx.open(bytes, TOPIC, NOW).is_err());
    }
}

/// HRT-MSG-081: a valid chain carried by a message whose signature fails is not remembered, so
/// forged messages cannot fill or change the receiver's peer cache.
#[test]
fn a_carried_chain_is_remembered_only_after_the_signature_verifies() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let mut forged = seal(&mut tx, true);
    let last = forged.len() - 1;
    forged[last] ^= 0x01; // the signature's last byte
    assert!(matches!(refused(&mut rx, &forged), OpenError::Envelope(_)));
    assert!(
        rx.peer(&tx.key_id()).is_none(),
        "chain cached before the signature verified"
    );
    let bare = seal(&mut tx, false);
    assert!(matches!(
        refused(&mut rx, &bare),
        OpenError::UnknownSigner(_)
    ));
}

/// HRT-MQTT-042, HRT-MQTT-043: an offline status published early by the broker does not make the
/// device's later messages look old, and the same will is accepted only once.
#[test]
fn an_early_will_does_not_move_the_replay_window() {
    use hearth_wire::{Availability, Status};
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let first = seal(&mut tx, true);
    rx.open(&first, TOPIC, NOW).expect("opens");
    let will_counter = tx.reserve_ahead(1 << 32).expect("reserve");
    let offline = Body::Status(Status {
        availability: Availability::Offline,
        boot_id: 1,
    });
    let will = tx
        .seal_reserved(
            offline,
            "d/fff1/fridge-1/status",
            &with_chain(),
            will_counter,
        )
        .expect("will");
    rx.open(&will, "d/fff1/fridge-1/status", NOW)
        .expect("the will opens");
    assert!(
        matches!(
            rx.open(&will, "d/fff1/fridge-1/status", NOW),
            Err(OpenError::Replay(_))
        ),
        "a will opens only once"
    );
    let later = seal(&mut tx, false);
    rx.open(&later, TOPIC, NOW)
        .expect("messages below the will still open");
}

/// HRT-MQTT-042: a receiver keeps the newest MAX_WILLS wills of a sender; once it holds
/// that many, a will older than all of them (perhaps one it forgot) is refused, and a newer
/// one still opens.
#[test]
fn a_will_older_than_every_will_kept_is_refused() {
    use hearth_wire::seal::MAX_WILLS;
    use hearth_wire::{Availability, Status};
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    rx.open(&seal(&mut tx, true), TOPIC, NOW).expect("opens");
    let offline = || {
        Body::Status(Status {
            availability: Availability::Offline,
            boot_id: 1,
        })
    };
    let status = "d/fff1/fridge-1/status";
    let mut wills = Vec::new();
    for i in 0..=MAX_WILLS as u64 {
        let counter = tx.reserve_ahead((i + 1) << 20).expect("reserve");
        let will = tx
            .seal_reserved(offline(), status, &with_chain(), counter)
            .expect("will");
        wills.push(will);
    }
    // The first is kept back; the newest MAX_WILLS are accepted, filling the memory.
    for will in &wills[1..] {
        rx.open(will, status, NOW).expect("a new will opens");
    }
    assert!(
        matches!(rx.open(&wills[0], status, NOW), Err(OpenError::Replay(_))),
        "a will below every will kept is refused"
    );
    let counter = tx
        .reserve_ahead((MAX_WILLS as u64 + 2) << 20)
        .expect("reserve");
    let newest = tx
        .seal_reserved(offline(), status, &with_chain(), counter)
        .expect("will");
    rx.open(&newest, status, NOW)
        .expect("a newer will still opens");
}

/// HRT-SEC-104: a revocation list of a CA the receiver has not met yet (a retained list
/// arrives on subscription, before any chain) is kept and applied when the first chain
/// through that CA arrives, so the key it revokes is never served.
#[test]
fn a_list_that_arrives_before_its_ca_is_applied_when_the_ca_comes() {
    use hearth_wire::seal::RevocationIntakeError;
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let vendor_kid = *f.pki.vendor.cert.subject_kid();
    let device_kid = *f.device.subject_kid();
    let list = revoke(&f.pki.vendor, NOW, &[device_kid]);
    assert!(matches!(
        rx.apply_revocation_list(&vendor_kid, &list, NOW),
        Err(RevocationIntakeError::UnknownCa(_))
    ));
    let first = seal(&mut tx, true);
    assert!(
        matches!(rx.open(&first, TOPIC, NOW), Err(OpenError::Certificate(_))),
        "the kept list revokes the key the first chain brings"
    );
    let again = seal(&mut tx, true);
    assert!(
        rx.open(&again, TOPIC, NOW).is_err(),
        "and keeps revoking it"
    );
}

/// HRT-SEC-104: lists that cannot be verified yet do not displace the one kept first —
/// neither forged lists on the same CA's topic nor lists of other CAs beyond the bound.
#[test]
fn forged_lists_do_not_displace_a_kept_one() {
    use hearth_wire::seal::{MAX_PENDING_LISTS, MAX_PENDING_PER_CA};
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let vendor_kid = *f.pki.vendor.cert.subject_kid();
    let device_kid = *f.device.subject_kid();
    let genuine = revoke(&f.pki.vendor, NOW, &[device_kid]);
    let _ = rx.apply_revocation_list(&vendor_kid, &genuine, NOW);
    for n in 0..(MAX_PENDING_PER_CA as u64 + 4) {
        // The vendor's key id in the header, but a signature that does not verify.
        let mut forged = revoke(&f.pki.vendor, NOW - 1 - n, &[]);
        if let Some(last) = forged.last_mut() {
            *last ^= 0x01;
        }
        let _ = rx.apply_revocation_list(&vendor_kid, &forged, NOW);
    }
    // Lists of other CAs the receiver has not met, more than the bound.
    let rng = ring::rand::SystemRandom::new();
    for _ in 0..(MAX_PENDING_LISTS + 4) {
        let other = TestPki::generate(NOW, &rng).expect("another PKI");
        let kid = *other.vendor.cert.subject_kid();
        let _ = rx.apply_revocation_list(&kid, &revoke(&other.vendor, NOW, &[]), NOW);
    }
    let first = seal(&mut tx, true);
    assert!(
        matches!(rx.open(&first, TOPIC, NOW), Err(OpenError::Certificate(_))),
        "the genuine list, kept first, still revokes the key when its CA arrives"
    );
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
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let vendor_kid = *f.pki.vendor.cert.subject_kid();
    let device_kid = *f.device.subject_kid();
    let list = revoke(&f.pki.vendor, NOW, &[device_kid]);
    // The vendor CA is not a trust anchor and no chain through it was seen yet: an earlier
    // list revoking nothing is kept, and applied when the first chain brings the CA.
    let empty = revoke(&f.pki.vendor, NOW - 10, &[]);
    assert!(matches!(
        rx.apply_revocation_list(&vendor_kid, &empty, NOW),
        Err(RevocationIntakeError::UnknownCa(_))
    ));
    let first = seal(&mut tx, true);
    rx.open(&first, TOPIC, NOW).expect("opens before the list");
    // HRT-MQTT-062: a list on another CA's topic is ignored.
    let root_kid = *f.pki.root.cert.subject_kid();
    let wrong = rx.apply_revocation_list(&root_kid, &list, NOW);
    assert!(matches!(
        wrong,
        Err(RevocationIntakeError::WrongTopic { .. })
    ));
    assert_eq!(wrong.err().map(|e| e.requirement()), Some("HRT-MQTT-062"));
    // HRT-SEC-082: a list dated in the future is refused.
    let future = revoke(&f.pki.vendor, NOW + 10, &[device_kid]);
    assert!(rx.apply_revocation_list(&vendor_kid, &future, NOW).is_err());
    rx.apply_revocation_list(&vendor_kid, &list, NOW)
        .expect("the vendor's list");
    // HRT-SEC-072, HRT-SEC-075: the cached peer no longer opens, with or without a chain.
    let next = seal(&mut tx, true);
    assert!(matches!(
        rx.open(&next, TOPIC, NOW + 1),
        Err(OpenError::Certificate(_))
    ));
    // HRT-SEC-086: an older (or equally old) list does not un-revoke the key.
    let older = revoke(&f.pki.vendor, NOW - 5, &[]);
    let refused = rx
        .apply_revocation_list(&vendor_kid, &older, NOW + 1)
        .expect_err("an older list");
    assert_eq!(refused.requirement(), "HRT-SEC-086");
    assert!(refused.is_repeat(), "not newer: nothing to report again");
    // HRT-SEC-085: still applied after its next-update time.
    let later = seal(&mut tx, true);
    assert!(rx.open(&later, TOPIC, NOW + 3600).is_err());
    // A newer list without the key lifts the revocation.
    let lifted = revoke(&f.pki.vendor, NOW + 2, &[]);
    rx.apply_revocation_list(&vendor_kid, &lifted, NOW + 2)
        .expect("newer list");
    let again = seal(&mut tx, true);
    rx.open(&again, TOPIC, NOW + 3).expect("opens again");
}

#[test]
fn replay_windows_are_per_topic() {
    // A broker orders a device's messages per topic only: an event overtaken by 100 later
    // responses is not too old, while a replay on its own topic still is (HRT-SEC-096..099).
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    const EVENTS: &str = "d/fff1/fridge-1/event";
    const RESPONSES: &str = "c/ctl-1/res";
    let late = tx.seal(report(), EVENTS, &with_chain()).expect("seal");
    let responses: Vec<Vec<u8>> = (0..100)
        .map(|_| tx.seal(report(), RESPONSES, &with_chain()).expect("seal"))
        .collect();
    for r in &responses {
        rx.open(r, RESPONSES, NOW).expect("a response");
    }
    rx.open(&late, EVENTS, NOW)
        .expect("an event behind responses on another topic");
    assert!(matches!(
        rx.open(&late, EVENTS, NOW),
        Err(OpenError::Replay(_))
    ));
    assert!(matches!(
        rx.open(&responses[0], RESPONSES, NOW),
        Err(OpenError::Replay(_))
    ));
}

/// `payload` as it is, signed by the device for [`TOPIC`].
fn signed_payload(f: &Fixture, payload: &[u8]) -> Vec<u8> {
    hearth_security::cose::sign1(f.device_key.as_ref(), payload, TOPIC.as_bytes()).expect("sign")
}

// HRT-MSG-102, HRT-MSG-104, HRT-MSG-101: correctly signed, known signer, and still refused
// for its CBOR alone; nothing moves.
#[test]
fn correctly_signed_messages_outside_the_cbor_profile_are_rejected() {
    use ciborium::value::Value as Cbor;
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    rx.open(&seal(&mut tx, true), TOPIC, NOW)
        .expect("chain admitted");
    let msg = tx.message(report(), &Envelope::default()).expect("message");
    let plain = hearth_wire::codec::encode(&msg);
    let Ok(Cbor::Map(map)) = ciborium::de::from_reader::<Cbor, _>(plain.as_slice()) else {
        panic!("map")
    };
    let counter = Cbor::Integer(4.into());
    let big = Cbor::Tag(2, Box::new(Cbor::Bytes(msg.counter.to_be_bytes().to_vec())));
    let with_bignum: Vec<_> = map
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if *k == counter {
                    big.clone()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    let mut twice = map.clone();
    twice.push((Cbor::Text("x".into()), Cbor::Null));
    twice.push((Cbor::Text("x".into()), Cbor::Null));
    for (map, requirement) in [(with_bignum, "HRT-MSG-102"), (twice, "HRT-MSG-104")] {
        let mut payload = Vec::new();
        ciborium::ser::into_writer(&Cbor::Map(map), &mut payload).expect("encode");
        let err = refused(&mut rx, &signed_payload(&f, &payload));
        assert!(matches!(err, OpenError::Decode(_)), "{err}");
        assert_eq!(err.requirement(), requirement);
    }
    // The outer array of indefinite length: the signature does not cover it.
    let mut open_ended = signed_payload(&f, &plain);
    assert_eq!(open_ended[1], 0x84);
    open_ended[1] = 0x9f;
    open_ended.push(0xff);
    let err = refused(&mut rx, &open_ended);
    assert!(matches!(err, OpenError::Envelope(_)), "{err}");
    assert_eq!(err.requirement(), "HRT-MSG-101");
    // None of them moved the window: the plain bytes, signed the same way, open.
    rx.open(&signed_payload(&f, &plain), TOPIC, NOW)
        .expect("the same message in the profile");
}

/// A commissioner of another ecosystem: a root the receiver does not trust and a controller
/// under it, whose chain ends with that root (HRT-COM-046).
fn foreign_commissioner() -> (Sender<MemoryCounterStore>, Certificate) {
    let other = generate(NOW);
    let counter = SendCounter::open(MemoryCounterStore::default(), 100).expect("counter");
    let chain = vec![
        other.controller.cert.as_bytes().to_vec(),
        other.root.cert.as_bytes().to_vec(),
    ];
    let id = other.controller.cert.claims().subject.clone();
    let sender = Sender::new(id, Arc::new(other.controller.key), chain, counter);
    (sender, other.root.cert)
}

const COMMISSION: &str = "d/fff1/fridge-1/commission";

/// The envelope of a session message: request id, target and chain.
fn session() -> Envelope {
    Envelope {
        request_id: Some(7),
        target: Some("fridge-1".into()),
        ..with_chain()
    }
}

/// HRT-COM-047: a chain ending with its own root opens for that message alone; the signer is
/// not remembered, so the same signer without the root, or on an ordinary topic, is refused.
#[test]
fn a_self_anchored_chain_opens_for_its_message_alone() {
    let f = fixture();
    let mut rx = receiver(&f.pki);
    let (mut tx, root) = foreign_commissioner();
    let start = Body::PakeStart(hearth_wire::commissioning::Share([4; 65]));
    let bytes = tx
        .seal(start.clone(), COMMISSION, &session())
        .expect("seal");
    assert!(
        matches!(
            rx.open(&bytes, COMMISSION, NOW),
            Err(OpenError::Certificate(_))
        ),
        "an untrusted root is not trusted by an ordinary open"
    );
    let (opened, carried) = rx
        .open_self_anchored(&bytes, COMMISSION, NOW)
        .expect("opens with its own root");
    assert_eq!(opened.message.body, start);
    assert_eq!(
        carried.as_ref().map(|r| r.subject_kid()),
        Some(root.subject_kid())
    );
    assert!(
        matches!(
            rx.open_self_anchored(&bytes, COMMISSION, NOW),
            Err(OpenError::Replay(_))
        ),
        "the replay window moved"
    );
    let again = tx.seal(start, COMMISSION, &session()).expect("seal");
    assert!(
        rx.open(&again, COMMISSION, NOW).is_err(),
        "the signer was not remembered as a peer"
    );
    rx.add_trust_anchor(root).expect("a root");
    assert!(
        rx.open(&again, COMMISSION, NOW).is_ok(),
        "trusted once added"
    );
}

/// HRT-COM-081: a reset forgets peers and replay windows and trusts only what it is given.
#[test]
fn a_reset_forgets_peers_and_replay_windows() {
    let f = fixture();
    let (mut tx, mut rx) = link(&f, "fridge-1");
    let first = seal(&mut tx, true);
    rx.open(&first, TOPIC, NOW).expect("opens");
    rx.reset(TrustStore::new());
    assert!(
        matches!(rx.open(&first, TOPIC, NOW), Err(OpenError::Certificate(_))),
        "the root is no longer trusted"
    );
    let mut trust = TrustStore::new();
    trust.add_root(f.pki.root.cert.clone()).expect("root");
    rx.reset(trust);
    assert!(
        rx.open(&first, TOPIC, NOW).is_ok(),
        "the old window is gone"
    );
}
