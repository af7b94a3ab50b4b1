//! The body of every fuzz target, one function each, so that the targets in `fuzz/` stay
//! one line long and the committed corpus also runs as an ordinary test on stable Rust
//! (`tests/corpus.rs`).
//!
//! Each function takes any bytes, must not panic, and returns whether the input got all
//! the way through: decoded, opened, validated or verified. The only assertions are the
//! round trips the crates promise.

use std::borrow::Cow;

use hearth_conformance::ics::Ics;
use hearth_model::setup::{ManualCode, SetupCode, SetupPayload};
use hearth_model::Description;
use hearth_mqtt::topic::{Addressed, DeviceAddr, Topics};
use hearth_report::report::Report;
use hearth_report::signed::{verify_report_with, VerifyOptions};
use hearth_security::acl::Acl;
use hearth_security::cert::{validate_chain, CertClaims, Certificate, TrustStore};
use hearth_security::cose::{Envelope, Sign1};
use hearth_security::diag;
use hearth_security::key::{KeyPair, PublicKey};
use hearth_security::pki::{verify_chain_bytes, verify_chain_with_revocations};
use hearth_security::revocation::{RevocationList, RevocationSet};
use hearth_wire::codec::{self, Limits};
use hearth_wire::message::{Body, Kind, Message};
use hearth_wire::Receiver;

use crate::{exercise_description, exercise_message, Pki, Reader, DEVICE_ID, NOW};

/// Message decoding: the CBOR a receiver decodes after the signature verified, and before
/// it (to find a carried chain). `hearth_wire::codec::decode` within `Limits::STANDARD`; a
/// decoded message goes through [`exercise_message`].
pub fn message_decode(data: &[u8]) -> bool {
    match codec::decode(data, &Limits::STANDARD) {
        Ok(msg) => {
            exercise_message(&msg);
            true
        }
        Err(_) => false,
    }
}

/// Opening a sealed envelope, the first thing a receiver does with bytes off the transport:
/// `hearth_security::cose::{Sign1, Envelope}::parse` and `hearth_wire::Receiver::open` with
/// a trust store of the fixture's root, at [`NOW`].
///
/// Input: a mode byte, the topic (a chunk), then the bytes. Mode bit 0 seals the bytes as a
/// message payload with the device's key first, so the fuzzer reaches what follows the
/// signature check (decoding, the sender and header checks, the replay window); bit 1
/// admits the device's chain before opening, as a receiver that has seen the device before.
/// An opened message goes through [`exercise_message`], and is opened a second time.
pub fn envelope_open(data: &[u8]) -> bool {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let topic = String::from_utf8_lossy(input.chunk()).into_owned();
    let rest = input.rest();
    let bytes: Cow<'_, [u8]> = if mode & 1 == 1 {
        Cow::Owned(pki.seal_as_device(rest, &topic))
    } else {
        Cow::Borrowed(rest)
    };

    if let Ok(sign1) = Sign1::parse(&bytes) {
        let _ = sign1.to_be_signed(topic.as_bytes(), None);
    }
    if let Ok(envelope) = Envelope::parse(&bytes) {
        let _ = envelope.kid();
        let _ = envelope.algorithm();
        let _ = envelope.verify(pki.device.key.public_key(), topic.as_bytes());
    }

    let mut receiver = Receiver::new(pki.trust());
    if mode & 2 == 2 {
        receiver
            .admit_chain(&pki.device_chain(), NOW)
            .expect("the fixture's device chain validates");
    }
    match receiver.open(&bytes, &topic, NOW) {
        Ok(opened) => {
            exercise_message(&opened.message);
            // The same bytes again meet the replay window (or the will set) that just moved.
            let _ = receiver.open(&bytes, &topic, NOW);
            true
        }
        Err(_) => false,
    }
}

/// One certificate: parsed, its round trips checked, and validated under `issuers` (the
/// fixture's, trust-anchor side first) at [`NOW`].
fn exercise_certificate(bytes: &[u8], issuers: &[&Certificate]) -> bool {
    let pki = Pki::get();
    let Ok(cert) = Certificate::from_bytes(bytes) else {
        return false;
    };
    let claims = cert.claims();
    assert_eq!(
        CertClaims::from_cbor(&claims.to_cbor()).as_ref(),
        Ok(claims),
        "claims do not round-trip"
    );
    assert_eq!(
        Certificate::from_bytes(cert.as_bytes()).as_ref(),
        Ok(&cert),
        "a certificate does not parse again to itself"
    );
    let _ = cert.is_self_signed();
    let _ = cert.check_validity(NOW);
    let _ = cert.verify_signature(pki.root.key.public_key());
    let _ = claims.check_role_claims();

    let mut chain: Vec<Certificate> = issuers.iter().map(|c| (*c).clone()).collect();
    chain.push(cert.clone());
    let valid = match validate_chain(&pki.trust(), &chain, NOW, &RevocationSet::new()) {
        Ok(validated) => {
            let _ = validated.root_kid();
            let _ = validated.links().count();
            true
        }
        Err(_) => false,
    };
    let _ = TrustStore::new().add_root(cert);
    valid
}

/// Certificate parsing and validation (`hearth_security::cert`): every certificate arrives
/// from outside, in a message's chain, a trust file or a signed report.
///
/// Input: a mode byte, then the bytes. Mode 0: a certificate, parsed and validated alone
/// under the fixture's root. Mode 1: a claims map, signed by the fixture's vendor and
/// validated under root → vendor; mode 2: signed by the root. The signing modes let the
/// fuzzer reach the chain rules behind the signature. A parsed certificate must parse again
/// to itself, and its claims encode and decode to themselves. True when the chain validates.
pub fn certificate(data: &[u8]) -> bool {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let rest = input.rest();
    match mode % 3 {
        0 => exercise_certificate(rest, &[]),
        1 => {
            if let Ok(claims) = CertClaims::from_cbor(rest) {
                assert_eq!(CertClaims::from_cbor(&claims.to_cbor()), Ok(claims));
            }
            Certificate::sign_encoded_claims(rest, &pki.vendor.key)
                .is_ok_and(|bytes| exercise_certificate(&bytes, &[&pki.vendor.cert]))
        }
        _ => Certificate::sign_encoded_claims(rest, &pki.root.key)
            .is_ok_and(|bytes| exercise_certificate(&bytes, &[])),
    }
}

/// Certificate chains with trust anchors and revocation lists, all from the input, as the
/// `hearth pki verify` command and a receiver see them: `hearth_security::pki::
/// verify_chain_with_revocations` and `hearth_wire::Receiver::{apply_revocation_list,
/// validate, admit_chain}`.
///
/// Input: the validation time (eight bytes, big-endian), then records of a tag byte and a
/// chunk: tag 0 a trust anchor, 1 a chain certificate (trust-anchor side first), 2 a
/// revocation list. At most 8 records are read. True when the chain validates with its lists.
pub fn chain(data: &[u8]) -> bool {
    let mut input = Reader::new(data);
    let now = input.u64();
    let (mut roots, mut chain, mut lists) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..8 {
        if input.is_empty() {
            break;
        }
        let tag = input.u8();
        let chunk = input.chunk();
        match tag % 3 {
            0 => roots.push(chunk),
            1 => chain.push(chunk),
            _ => lists.push(chunk),
        }
    }

    let _ = verify_chain_bytes(&roots, &chain, now);
    let valid = verify_chain_with_revocations(&roots, &chain, &lists, now).is_ok();

    let mut trust = TrustStore::new();
    for root in &roots {
        let _ = trust.add_root_bytes(root);
    }
    let mut receiver = Receiver::new(trust);
    let carried: Vec<Vec<u8>> = chain.iter().rev().map(|c| c.to_vec()).collect();
    let _ = receiver.validate(&carried, now);
    if receiver.admit_chain(&carried, now).is_ok() {
        for list in &lists {
            if let Ok(kid) = RevocationList::signer_kid(list) {
                let _ = receiver.apply_revocation_list(&kid, list, now);
            }
        }
        let _ = receiver.validate(&carried, now);
    }
    valid
}

/// A revocation list against its issuer, as a verifier and a receiver take it.
fn exercise_list(list: &[u8], issuer: &Certificate, trust: TrustStore, now: u64) -> bool {
    let _ = RevocationList::signer_kid(list);
    let verified = match RevocationList::verify(list, issuer, now) {
        Ok(verified) => {
            let _ = verified.is_stale(now);
            true
        }
        Err(_) => false,
    };
    let mut set = RevocationSet::new();
    if set.add(list, issuer, now).is_ok() {
        let _ = set.add(list, issuer, now);
        let _ = set.is_revoked(issuer.subject_kid(), issuer.subject_kid());
    }
    let mut receiver = Receiver::new(trust);
    let _ = receiver.apply_revocation_list(issuer.subject_kid(), list, now);
    verified
}

/// Revocation lists (`hearth_security::revocation`), as a receiver takes them off the
/// transport (`hearth_wire::Receiver::apply_revocation_list`) and a verifier from a file.
///
/// Input: a mode byte and the time (eight bytes, big-endian). Mode bit 0 clear: an issuer
/// certificate (a chunk), then the list as received. Bit 0 set: the rest is the list's
/// payload, signed by the fixture's root first, so the fuzzer reaches the list's decoder
/// behind the signature; a list that verifies must issue and verify again to itself. True
/// when the list verifies.
pub fn revocation(data: &[u8]) -> bool {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let now = input.u64();
    if mode & 1 == 0 {
        let Ok(issuer) = Certificate::from_bytes(input.chunk()) else {
            return false;
        };
        let mut trust = TrustStore::new();
        let _ = trust.add_root(issuer.clone());
        return exercise_list(input.rest(), &issuer, trust, now);
    }
    let signed = pki.sign_as_crl(input.rest());
    let root = &pki.root;
    if let Ok(list) = RevocationList::verify(&signed, &root.cert, now) {
        if let Ok(again) = list.issue(&root.cert, &root.key) {
            assert_eq!(
                RevocationList::verify(&again, &root.cert, now).as_ref(),
                Ok(&list),
                "a revocation list does not issue again to itself"
            );
        }
    }
    exercise_list(&signed, &root.cert, pki.trust(), now)
}

/// Descriptions: the retained message a device describes itself with, decoded by every
/// controller and the suite and checked against the catalog (`hearth_model::validate`), and
/// the JSON form tools read.
///
/// Input: a mode byte, then the bytes. Mode bit 0 clear: a description message in CBOR (any
/// message decodes, but the seeds are descriptions). Set: a description in JSON; one that
/// parses must print and parse again to itself, and its message must survive the codec's
/// round trip when it fits the limits. True when the description is valid.
pub fn description(data: &[u8]) -> bool {
    let mut input = Reader::new(data);
    let mode = input.u8();
    let rest = input.rest();
    let catalog = hearth_model::catalog::Catalog::standard();
    if mode & 1 == 0 {
        return match codec::decode(rest, &Limits::STANDARD) {
            Ok(msg) => {
                exercise_message(&msg);
                matches!(&msg.body, Body::Description(d)
                    if hearth_model::check_description(catalog, d).is_ok())
            }
            Err(_) => false,
        };
    }
    let Ok(desc) = serde_json::from_slice::<Description>(rest) else {
        return false;
    };
    let json = serde_json::to_vec(&desc).expect("a description prints as JSON");
    assert_eq!(
        serde_json::from_slice::<Description>(&json).ok().as_ref(),
        Some(&desc),
        "a description does not round-trip through JSON"
    );
    exercise_description(&desc);
    let valid = hearth_model::check_description(catalog, &desc).is_ok();
    let msg = Message::new(DEVICE_ID, 1, Body::Description(desc));
    if let Ok(decoded) = codec::decode(&codec::encode(&msg), &Limits::STANDARD) {
        assert_eq!(decoded, msg, "the codec changed a description");
        exercise_message(&decoded);
    }
    valid
}

/// The implementation conformance statement: TOML a vendor writes and a lab reads
/// (`hearth_conformance::ics::Ics::parse`), on every UTF-8 input. True when it parses.
pub fn ics(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    match Ics::parse(text) {
        Ok(ics) => {
            let _ = ics.parameters.to_json();
            let _ = ics.parameters.spec_values();
            true
        }
        Err(_) => false,
    }
}

/// Signed reports (`report.cose`): `hearth_report::signed::verify_report_with`, which
/// anyone verifying a lab's report runs on a file they were sent.
///
/// Input: a mode byte and the verifier's clock (eight bytes, big-endian). Mode bit 0 clear:
/// a trust anchor (a chunk, added beside the fixture's root), a revocation list (a chunk,
/// applied when not empty), then `report.cose` as received. Bit 0 set: the signing time
/// (eight bytes), then the payload, signed by the fixture's lab first, so the fuzzer
/// reaches the report parser behind the signature. Bit 1 validates the chain at the clock
/// rather than at the signing time. A verified report must print and parse again to itself.
/// True when the report verifies.
pub fn signed_report(data: &[u8]) -> bool {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let now = input.u64();
    let mut trust = pki.trust();
    let mut lists: Vec<&[u8]> = Vec::new();
    let cose = if mode & 1 == 0 {
        let _ = trust.add_root_bytes(input.chunk());
        let list = input.chunk();
        if !list.is_empty() {
            lists.push(list);
        }
        input.rest().to_vec()
    } else {
        let iat = input.u64();
        let json = input.rest();
        if let Ok(report) = Report::from_json(json) {
            let _ = report.signable();
            let _ = report.trace_level();
        }
        pki.sign_as_lab_report(json, iat)
    };
    let options = VerifyOptions {
        now,
        at_now: mode & 2 == 2,
        revocation_lists: &lists,
    };
    match verify_report_with(&cose, &trust, &options) {
        Ok(verified) => {
            let again = Report::from_json(&verified.report.to_json_bytes()).ok();
            assert_eq!(
                again.as_ref(),
                Some(&verified.report),
                "a verified report does not print and parse again to itself"
            );
            true
        }
        Err(_) => false,
    }
}

/// One topic below the root: parsed, and what parses written back from its parts.
fn exercise_topic(rel: &str) -> bool {
    let addressed = match Topics::parse(rel) {
        Some(Addressed::Device(addr, channel)) => {
            let again = Topics::device_rel(&addr, channel);
            assert_eq!(again, rel, "a device topic written back differs");
            true
        }
        Some(Addressed::Responses(controller)) => {
            let again = Topics::responses_rel(&controller);
            assert_eq!(again, rel, "a response topic written back differs");
            true
        }
        None => false,
    };
    match Topics::parse_revocation(rel) {
        Some(kid) => {
            let again = Topics::revocation_rel(&kid.to_hex());
            assert_eq!(Topics::parse_revocation(&again), Some(kid));
            true
        }
        None => addressed,
    }
}

/// Topic parsing: every topic a runtime receives on is parsed before anything else
/// (`hearth_mqtt::topic`), below the root and in full under the default root. A parsed
/// topic written back from its parts is the same topic; the command-line form of a device
/// address round-trips by value. True when the topic addresses something.
pub fn topic(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let mut addressed = exercise_topic(text);
    if let Some(rel) = Topics::default().relative(text) {
        addressed |= exercise_topic(rel);
    }
    if let Ok(addr) = text.parse::<DeviceAddr>() {
        let again = addr.to_string().parse::<DeviceAddr>();
        assert_eq!(
            again.as_ref(),
            Ok(&addr),
            "a device address does not round-trip"
        );
    }
    addressed
}

/// Keys, access lists and any Hearth file a person hands to `hearth pki show`: the private
/// and public COSE_Key decoders (`hearth_security::key`), `Acl::from_cbor` and
/// `Acl::check_replacement`, and the diagnostic renderers (`hearth_security::diag`), all on
/// the same bytes. A decoded key encodes and decodes to itself (a private key to the same
/// public key), and so does an access list. True when any of them decodes.
pub fn security_files(data: &[u8]) -> bool {
    let mut decoded = false;
    if let Ok(key) = PublicKey::from_cose_key(data) {
        assert_eq!(
            PublicKey::from_cose_key(&key.to_cose_key()),
            Ok(key),
            "a public key does not round-trip"
        );
        let _ = key.key_id();
        decoded = true;
    }
    if let Ok(pair) = KeyPair::from_cose_key(data) {
        let again = KeyPair::from_cose_key(&pair.to_cose_key()).map(|k| *k.public_key());
        assert_eq!(
            again,
            Ok(*pair.public_key()),
            "a private key does not round-trip"
        );
        decoded = true;
    }
    if let Ok(acl) = Acl::from_cbor(data) {
        assert_eq!(
            Acl::from_cbor(&acl.to_cbor()).as_ref(),
            Ok(&acl),
            "an access list does not round-trip"
        );
        let _ = Acl::check_replacement(&acl);
        decoded = true;
    }
    let _ = diag::diagnostic_bytes(data);
    let _ = diag::describe(data);
    decoded
}

/// The setup code a person types or scans (`hearth_model::setup`): `SetupCode::parse`, which
/// takes a QR text (`SetupPayload::from_qr_text`) or a manual code (`ManualCode::parse`),
/// and both decoders on their own. A decoded payload writes back to the same QR text and its
/// manual code parses to itself; a decoded manual code does too. True when either decodes.
pub fn setup_code(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let _ = SetupCode::parse(text);
    let manual = |code: ManualCode| {
        assert_eq!(
            ManualCode::parse(&code.digits()),
            Ok(code),
            "a manual code does not round-trip"
        );
        let _ = code.matches(0);
    };
    let mut decoded = false;
    if let Ok(payload) = SetupPayload::from_qr_text(text) {
        assert_eq!(
            SetupPayload::from_qr_text(&payload.to_qr_text()),
            Ok(payload),
            "a setup payload does not round-trip"
        );
        manual(payload.manual_code());
        decoded = true;
    }
    if let Ok(code) = ManualCode::parse(text) {
        manual(code);
        decoded = true;
    }
    decoded
}

/// The bodies of the commissioning and access-control management messages
/// (`hearth_wire::commissioning`, `spec/07-commissioning.md`), which the device decodes from
/// controllers it does not know yet. Input: a byte choosing one of those kinds, then the CBOR
/// of its body, parsed within `Limits::STANDARD` and decoded by `codec::decode_body`. A
/// decoded body encodes and decodes to itself. True when it decodes.
pub fn commissioning(data: &[u8]) -> bool {
    let mut input = Reader::new(data);
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| *k as u64 >= Kind::Window as u64)
        .collect();
    let kind = kinds[usize::from(input.u8()) % kinds.len()];
    let Ok(item) = codec::parse_cbor(input.rest(), &Limits::STANDARD) else {
        return false;
    };
    let Ok(body) = codec::decode_body(kind, &item, &Limits::STANDARD) else {
        return false;
    };
    assert_eq!(body.kind(), kind, "a body decodes to another kind");
    let again = codec::decode_body(kind, &codec::encode_body(&body), &Limits::STANDARD);
    assert_eq!(
        again.as_ref(),
        Ok(&body),
        "a commissioning body does not round-trip"
    );
    true
}

/// The body of a fuzz target: any bytes in, whether they got all the way through out.
pub type Target = fn(&[u8]) -> bool;

/// Every target by name, in the order of `fuzz/Cargo.toml`.
pub const ALL: [(&str, Target); 12] = [
    ("message_decode", message_decode),
    ("envelope_open", envelope_open),
    ("certificate", certificate),
    ("chain", chain),
    ("revocation", revocation),
    ("description", description),
    ("ics", ics),
    ("signed_report", signed_report),
    ("topic", topic),
    ("security_files", security_files),
    ("setup_code", setup_code),
    ("commissioning", commissioning),
];
