//! The full commissioning exchange of `conformance/vectors/commissioning/exchange.json`
//! (schema in the README beside it): fixed keys, certificates, salt and SPAKE2+ scalars give
//! the setup payload, the verifier record, the context, the shares, the confirmations, the
//! shared key, the signed `window`, `pake-start`, `pake-response`, `pake-confirm` and
//! `commission-result` carrying the chains, and the ACL the device ends with. The file is
//! what this test generates (`HEARTH_REGENERATE=1` rewrites it); the messages also open as the
//! receiving side opens them (HRT-COM-038, HRT-COM-046, HRT-COM-055).
//!
//! Fixed randomness goes through the explicit-scalar entry points of the PAKE
//! (`Prover::start_with_scalar`, `Verifier::respond_with_scalar`), which exist for vectors;
//! the product path draws its scalars from the system generator.

use std::sync::Arc;

use hearth_model::setup::SetupPayload;
use hearth_model::{Privilege, StatusCode};
use hearth_node::{Channel, DeviceAddr, Topics};
use hearth_security::acl::{Acl, AclEntry, AclSubject};
use hearth_security::cert::{CertClaims, Certificate, Role, TrustStore};
use hearth_security::key::KeyPair;
use hearth_security::pake::{
    chain_hash, CommissioningSession, Context, Prover, ProverSecret, Verifier,
};
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_wire::commissioning::{
    CommissionResult, Confirmation, OpenWindow, PakeConfirm, PakeResponse, Share, WindowParams,
    WindowState, WindowType,
};
use hearth_wire::{Body, Envelope, Receiver, Sender};
use serde_json::{json, Value};

const VECTOR: &str = "../../conformance/vectors/commissioning/exchange.json";
/// When every message is signed and opened (seconds since the epoch).
const NOW: u64 = 1_800_000_000;
const PASSCODE: u32 = 20_202_021;
const SALT: &[u8; 16] = b"hearth-vector-01";
const ITERATIONS: u32 = 1000;
/// The commissioner's scalar `x` and the device's `y` (32 bytes big-endian, in 1..n).
const X: [u8; 32] = [0x11; 32];
const Y: [u8; 32] = [0x22; 32];
const REQUEST_ID: u64 = 1;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key(seed: u8) -> KeyPair {
    KeyPair::from_ed25519_seed(&[seed; 32]).expect("seed")
}

/// A certificate of `role` for `subject` with `key`, signed by `issuer` (`None`: itself).
fn cert(
    (role, subject, vendor_id): (Role, &str, Option<u16>),
    key: &KeyPair,
    issuer: Option<(&str, &KeyPair)>,
    device: Option<(&str, &str)>,
) -> Certificate {
    let (issuer_name, signer) = issuer.unwrap_or((subject, key));
    let claims = CertClaims {
        issuer: issuer_name.to_owned(),
        subject: subject.to_owned(),
        issued_at: NOW - 86_400,
        not_before: NOW - 86_400,
        expires: NOW + 365 * 86_400,
        key: *key.public_key(),
        role,
        vendor_id,
        device_type: device.map(|(t, _)| t.to_owned()),
        model: device.map(|(_, m)| m.to_owned()),
    };
    Certificate::sign(&claims, signer).expect("certificate")
}

/// A root certificate for `subject` with `key`, signed by itself.
fn root_cert(subject: &str, key: &KeyPair) -> Certificate {
    cert((Role::Root, subject, None), key, None, None)
}

fn sender(id: &str, key: KeyPair, chain: Vec<Vec<u8>>) -> Sender<MemoryCounterStore> {
    let counter = SendCounter::open(MemoryCounterStore::default(), 1).expect("counter");
    Sender::new(id, Arc::new(key), chain, counter)
}

/// One sealed message: the name of the kind of body it carries, and the topic below the
/// root with its bytes.
fn message(
    from: &mut Sender<MemoryCounterStore>,
    topic: &str,
    body: Body,
    envelope: &Envelope,
) -> (&'static str, (String, Vec<u8>)) {
    let name = body.kind().name();
    let bytes = from.seal(body, topic, envelope).expect("seal");
    (name, (topic.to_owned(), bytes))
}

/// The whole exchange, and the sealed messages in order (for opening).
fn exchange() -> (Value, Vec<(String, Vec<u8>)>, TrustStore, TrustStore) {
    // The device's ecosystem: its vendor's root, the vendor CA, the fan.
    let (vendor_root_key, vendor_key, device_key) = (key(3), key(4), key(5));
    let vendor_root = root_cert("vector-vendor-root", &vendor_root_key);
    let vendor = cert(
        (Role::Vendor, "vector-vendor", Some(0xFFF1)),
        &vendor_key,
        Some(("vector-vendor-root", &vendor_root_key)),
        None,
    );
    let device = cert(
        (Role::Device, "fan-v1", Some(0xFFF1)),
        &device_key,
        Some(("vector-vendor", &vendor_key)),
        Some(("fan", "VF-1")),
    );
    // The commissioner's own ecosystem: a root and a controller under it.
    let (root_key, controller_key) = (key(1), key(2));
    let root = root_cert("vector-home-root", &root_key);
    let controller = cert(
        (Role::Controller, "vector-app", None),
        &controller_key,
        Some(("vector-home-root", &root_key)),
        None,
    );
    let device_chain = vec![device.as_bytes().to_vec(), vendor.as_bytes().to_vec()];
    // The chain a pake-start carries ends with the commissioner's root (HRT-COM-046).
    let commissioner_chain = vec![controller.as_bytes().to_vec(), root.as_bytes().to_vec()];

    let payload = SetupPayload::new(0xFFF1, 8, 0xF00, PASSCODE).expect("payload");
    let secret = ProverSecret::from_passcode(PASSCODE, SALT, ITERATIONS).expect("pbkdf2");
    let record = secret.verifier_record();
    let session = CommissioningSession {
        commissioner_chain: &commissioner_chain,
        device_chain: &device_chain,
        discriminator: payload.discriminator(),
        salt: SALT,
        iterations: ITERATIONS,
        commissioner_key: *controller.subject_kid(),
        device_key: *device.subject_kid(),
    };
    let context = Context::commissioning(&session).expect("context");
    let mut prover = Prover::new(&secret, context.clone());
    let mut verifier = Verifier::new(&record, context);
    let share_p = prover.start_with_scalar(&X).expect("shareP");
    let (share_v, confirm_v) = verifier.respond_with_scalar(&share_p, &Y).expect("shareV");
    prover.receive_share(&share_v).expect("shareV accepted");
    let (confirm_p, prover_key) = prover.finish(&confirm_v).expect("confirmV");
    let verifier_key = verifier.finish(&confirm_p).expect("confirmP");
    assert_eq!(prover_key.as_bytes(), verifier_key.as_bytes());

    let addr = DeviceAddr::new(0xFFF1, "fan-v1".to_owned());
    let mut fan = sender("fan-v1", device_key, device_chain.clone());
    let mut app = sender("vector-app", controller_key, commissioner_chain.clone());
    let params = WindowParams {
        discriminator: payload.discriminator(),
        salt: SALT.to_vec(),
        iterations: ITERATIONS,
    };
    let announce = Envelope {
        request_id: None,
        target: None,
        time_ms: None,
        with_chain: true,
    };
    let to_device = Envelope {
        request_id: Some(REQUEST_ID),
        target: Some("fan-v1".to_owned()),
        time_ms: Some(NOW * 1000),
        with_chain: true,
    };
    let to_app = Envelope {
        request_id: Some(REQUEST_ID),
        target: Some("vector-app".to_owned()),
        time_ms: None,
        with_chain: true,
    };
    let commission = Topics::device_rel(&addr, Channel::Commission);
    let responses = Topics::responses_rel("vector-app");
    let window = Body::Window(WindowState::Open(OpenWindow {
        params,
        closes_in: 900,
        window_type: WindowType::Basic,
    }));
    let sealed = [
        message(
            &mut fan,
            &Topics::device_rel(&addr, Channel::Window),
            window,
            &announce,
        ),
        message(
            &mut app,
            &commission,
            Body::PakeStart(Share(share_p)),
            &to_device,
        ),
        message(
            &mut fan,
            &responses,
            Body::PakeResponse(PakeResponse {
                share: Share(share_v),
                confirm: Confirmation(confirm_v),
            }),
            &to_app,
        ),
        message(
            &mut app,
            &commission,
            Body::PakeConfirm(PakeConfirm::Confirm(Confirmation(confirm_p))),
            &to_device,
        ),
        message(
            &mut fan,
            &responses,
            Body::CommissionResult(CommissionResult {
                status: StatusCode::Success,
                sessions_left: None,
            }),
            &to_app,
        ),
    ];
    let (names, messages): (Vec<&str>, Vec<(String, Vec<u8>)>) = sealed.into_iter().unzip();
    let acl = Acl::from_entries(vec![AclEntry {
        subject: AclSubject::Key(*controller.subject_kid()),
        privilege: Privilege::Manage,
    }])
    .expect("acl");
    let record_bytes = record.to_bytes();
    let context_bytes = [
        &b"hearth-commissioning-1"[..],
        &chain_hash(&commissioner_chain),
        &chain_hash(&device_chain),
        &payload.discriminator().to_be_bytes(),
        SALT,
        &ITERATIONS.to_be_bytes(),
    ]
    .concat();
    // The context as the vector spells it out is the one both sides bound (HRT-COM-038).
    assert_eq!(
        Context::new(
            &context_bytes,
            &controller.subject_kid().0,
            &device.subject_kid().0
        ),
        Context::commissioning(&session)
    );
    let doc = json!({
        "format": "hearth-commissioning-exchange/1",
        "time": NOW,
        "setup": {
            "vendor_id": payload.vendor_id(),
            "device_type": payload.device_type(),
            "discriminator": payload.discriminator(),
            "passcode": PASSCODE,
            "qr": payload.to_qr_text(),
            "manual": payload.manual_code().digits(),
        },
        "pbkdf2": {
            "salt": hex(SALT),
            "iterations": ITERATIONS,
            "w0": hex(&record_bytes[..32]),
            "L": hex(&record_bytes[32..]),
            "verifier_record": hex(&record_bytes[..]),
        },
        "certificates": {
            "device_root": hex(vendor_root.as_bytes()),
            "vendor": hex(vendor.as_bytes()),
            "device": hex(device.as_bytes()),
            "commissioner_root": hex(root.as_bytes()),
            "commissioner": hex(controller.as_bytes()),
        },
        "keys": {
            "ed25519_seeds": {
                "device_root": hex(&[3; 32]), "vendor": hex(&[4; 32]), "device": hex(&[5; 32]),
                "commissioner_root": hex(&[1; 32]), "commissioner": hex(&[2; 32]),
            },
            "device_kid": hex(&device.subject_kid().0),
            "commissioner_kid": hex(&controller.subject_kid().0),
        },
        "context": {
            "device_chain_hash": hex(&chain_hash(&device_chain)),
            "commissioner_chain_hash": hex(&chain_hash(&commissioner_chain)),
            "context": hex(&context_bytes),
            "id_prover": hex(&controller.subject_kid().0),
            "id_verifier": hex(&device.subject_kid().0),
        },
        "spake2plus": {
            "x": hex(&X),
            "y": hex(&Y),
            "shareP": hex(&share_p),
            "shareV": hex(&share_v),
            "confirmP": hex(&confirm_p),
            "confirmV": hex(&confirm_v),
            "K_shared": hex(prover_key.as_bytes()),
        },
        "messages": names.iter().zip(&messages).map(|(name, (topic, bytes))| json!({
            "name": name,
            "topic": topic,
            "cose_sign1": hex(bytes),
        })).collect::<Vec<_>>(),
        "result": {
            "acl": hex(&acl.to_cbor()),
            "entry": { "kid": hex(&controller.subject_kid().0), "ca": false, "privilege": "manage" },
            "trust_anchor_added": hex(root.as_bytes()),
        },
    });
    let mut device_trust = TrustStore::new();
    device_trust
        .add_root(vendor_root.clone())
        .expect("vendor root");
    let mut commissioner_trust = TrustStore::new();
    commissioner_trust.add_root(root).expect("own root");
    commissioner_trust
        .add_root(vendor_root)
        .expect("vendor root");
    (doc, messages, device_trust, commissioner_trust)
}

/// The file is what the exchange gives (`HEARTH_REGENERATE=1` writes it).
#[test]
fn the_commissioning_vector_is_current() {
    let (doc, _, _, _) = exchange();
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON");
    text.push('\n');
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTOR);
    if std::env::var_os("HEARTH_REGENERATE").is_some_and(|v| v == "1") {
        std::fs::write(&path, &text).expect("write the vector");
    }
    let kept = std::fs::read_to_string(&path).expect("the vector file");
    assert!(
        kept == text,
        "{} is not what the exchange gives; regenerate it with \
         HEARTH_REGENERATE=1 cargo test -p hearth-node --test commissioning_vector",
        path.display()
    );
}

/// Every message of the vector opens as its receiver opens it and carries what the vector
/// lists: the device's window and answers under the device's root, the commissioner's
/// messages under the root their chain ends with (HRT-COM-046, HRT-COM-047).
#[test]
fn the_vector_messages_open_as_their_receivers_open_them() {
    let (doc, messages, device_trust, commissioner_trust) = exchange();
    let mut at_device = Receiver::new(device_trust);
    let mut at_app = Receiver::new(commissioner_trust);
    let pake = &doc["spake2plus"];
    for (i, (topic, bytes)) in messages.iter().enumerate() {
        let body = if topic.ends_with("/commission") {
            let (opened, root) = at_device
                .open_self_anchored(bytes, topic, NOW)
                .expect("the device opens it");
            assert_eq!(
                root.map(|r| hex(r.as_bytes())).as_deref(),
                doc["result"]["trust_anchor_added"].as_str(),
                "anchored by the commissioner's root"
            );
            opened.message.body
        } else {
            at_app
                .open(bytes, topic, NOW)
                .expect("the commissioner opens it")
                .message
                .body
        };
        match (i, body) {
            (0, Body::Window(WindowState::Open(w))) => {
                assert_eq!(w.params.salt, SALT.to_vec());
            }
            (1, Body::PakeStart(s)) => {
                assert_eq!(Some(hex(&s.0).as_str()), pake["shareP"].as_str())
            }
            (2, Body::PakeResponse(r)) => {
                assert_eq!(Some(hex(&r.share.0).as_str()), pake["shareV"].as_str());
                assert_eq!(Some(hex(&r.confirm.0).as_str()), pake["confirmV"].as_str());
            }
            (3, Body::PakeConfirm(PakeConfirm::Confirm(c))) => {
                assert_eq!(Some(hex(&c.0).as_str()), pake["confirmP"].as_str());
            }
            (4, Body::CommissionResult(r)) => assert_eq!(r.status, StatusCode::Success),
            (i, other) => panic!("message {i}: {other:?}"),
        }
    }
}
