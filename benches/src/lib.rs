//! Fixtures shared by the benchmarks: a deterministic test PKI, a device sender and a
//! receiver that already knows the device, and a typical message of every kind.
//!
//! Everything is built from fixed seeds so two runs measure the same bytes.

use std::sync::Arc;

use hearth_model::{Description, Path, StatusCode, Value};
use hearth_security::alg::Algorithm;
use hearth_security::cert::{CertClaims, Certificate, Role, TrustStore};
use hearth_security::cose::Sign1;
use hearth_security::key::KeyPair;
use hearth_security::replay::{MemoryCounterStore, SendCounter};
use hearth_wire::{
    Availability, Body, Envelope, EventBody, InvokeResult, ReadResult, Receiver, Report, Sender,
    Status,
};
use ring::signature::{Ed25519KeyPair, KeyPair as _};

/// The time every fixture is valid at.
pub const NOW: u64 = 1_800_000_000;

/// The topic (below the root) a typical report is published on.
pub const REPORT_TOPIC: &str = "d/fff1/ac-livingroom-01/report";

/// A key from a fixed seed.
pub fn key(seed: u8) -> KeyPair {
    KeyPair::from_ed25519_seed(&[seed; 32]).expect("a 32-byte seed is a valid Ed25519 key")
}

/// A certificate of `role` for `key`, issued by `issuer` or self-signed; every one below
/// the root is of vendor 0xFFF1.
fn cert(
    issuer: Option<(&Certificate, &KeyPair)>,
    subject: &str,
    role: Role,
    key: &KeyPair,
    device_type: Option<&str>,
) -> Certificate {
    let vendor = issuer.map(|_| 0xFFF1);
    // Issued a little before NOW, valid for a year.
    let issued_at = NOW - 100;
    let claims = CertClaims {
        issuer: issuer
            .map_or(subject, |(c, _)| c.claims().subject.as_str())
            .to_owned(),
        subject: subject.to_owned(),
        issued_at,
        not_before: issued_at,
        expires: NOW + 86_400 * 365,
        key: *key.public_key(),
        role,
        vendor_id: vendor,
        device_type: device_type.map(str::to_owned),
        model: device_type.map(|_| "AC-1".to_owned()),
    };
    match issuer {
        Some((c, k)) => Certificate::issue(&claims, Some(c), k),
        None => Certificate::issue(&claims, None, key),
    }
    .expect("fixture certificate")
}

/// Root, vendor and device certificates and the device key.
pub struct Pki {
    /// The trust anchor.
    pub root: Certificate,
    /// The vendor CA.
    pub vendor: Certificate,
    /// The device certificate.
    pub device: Certificate,
    /// The device's signing key.
    pub device_key: Arc<KeyPair>,
}

impl Pki {
    /// The fixed test hierarchy.
    pub fn new() -> Self {
        let (root_key, vendor_key, device_key) = (key(1), key(2), key(3));
        let root = cert(None, "bench-root", Role::Root, &root_key, None);
        let vendor_ca = Some((&root, &root_key));
        let vendor = cert(vendor_ca, "bench-vendor", Role::Vendor, &vendor_key, None);
        let ac = Some("air-conditioner");
        let device_ca = Some((&vendor, &vendor_key));
        let device = cert(device_ca, "ac-livingroom-01", Role::Device, &device_key, ac);
        Self {
            root,
            vendor,
            device,
            device_key: Arc::new(device_key),
        }
    }

    /// The device's chain as carried on the wire, leaf first.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        vec![
            self.device.as_bytes().to_vec(),
            self.vendor.as_bytes().to_vec(),
        ]
    }

    /// A sender for the device.
    pub fn sender(&self) -> Sender<MemoryCounterStore> {
        let counter =
            SendCounter::open(MemoryCounterStore::default(), 1_000_000).expect("memory counter");
        Sender::new(
            "ac-livingroom-01",
            self.device_key.clone(),
            self.chain(),
            counter,
        )
    }

    /// A receiver that trusts the root and already knows the device.
    pub fn receiver(&self) -> Receiver {
        let mut trust = TrustStore::new();
        trust.add_root(self.root.clone()).expect("root");
        let mut rx = Receiver::new(trust);
        rx.admit_chain(&self.chain(), NOW).expect("device chain");
        rx
    }
}

/// Raw ring Ed25519 over exactly the bytes Hearth signs for a typical report: the floor
/// the benchmarks compare sealing and opening with.
pub struct Raw {
    /// The device's key (seed 3), as a ring key pair.
    pub key: Ed25519KeyPair,
    /// Its public key.
    pub public: Vec<u8>,
    /// The `Sig_structure` of a sealed [`report`] on [`REPORT_TOPIC`].
    pub to_be_signed: Vec<u8>,
    /// The key's signature of `to_be_signed`.
    pub signature: Vec<u8>,
}

impl Raw {
    /// The raw signing of a report sealed by the device's sender.
    pub fn new(pki: &Pki) -> Self {
        let sealed = pki
            .sender()
            .seal(report(), REPORT_TOPIC, &Envelope::default())
            .expect("seal");
        let to_be_signed = Sign1::parse(&sealed)
            .expect("parse")
            .to_be_signed(REPORT_TOPIC.as_bytes(), None);
        let key = Ed25519KeyPair::from_seed_unchecked(&[3; 32]).expect("seed");
        let public = key.public_key().as_ref().to_vec();
        let signature = key.sign(&to_be_signed).as_ref().to_vec();
        Self {
            key,
            public,
            to_be_signed,
            signature,
        }
    }
}

impl Default for Pki {
    fn default() -> Self {
        Self::new()
    }
}

/// The air conditioner description of the model tests.
pub fn description() -> Description {
    serde_json::from_str(include_str!(
        "../../crates/hearth-model/tests/descriptions/air-conditioner.json"
    ))
    .expect("fixture parses")
}

/// A typical report: a setpoint, a room temperature and the on/off state change.
pub fn report() -> Body {
    Body::Report(Report {
        full: false,
        values: vec![
            (Path::new(0, 6, 1), Value::Int(2650)),
            (Path::new(0, 7, 1), Value::Int(2712)),
            (Path::new(0, 3, 1), Value::Bool(true)),
        ],
    })
}

/// One typical body of every kind, named.
pub fn bodies() -> Vec<(&'static str, Body)> {
    let fault = Value::structure([
        (1, Value::Int(0x0101)),
        (2, Value::Int(4)),
        (3, Value::Int(1)),
        (4, Value::Int(5)),
        (5, Value::Int(1_800_000_000)),
    ]);
    vec![
        ("description", Body::Description(description())),
        (
            "status",
            Body::Status(Status {
                availability: Availability::Online,
                boot_id: 0x1234_5678_9abc_def0,
            }),
        ),
        ("report", report()),
        (
            "event",
            Body::Event(EventBody {
                path: Path::new(0, 2, 1),
                number: 17,
                fields: fault,
            }),
        ),
        (
            "read",
            Body::Read(vec![Path::new(0, 6, 1), Path::new(0, 7, 1)]),
        ),
        (
            "write",
            Body::Write(vec![(Path::new(0, 6, 1), Value::Int(2650))]),
        ),
        (
            "invoke",
            Body::Invoke {
                path: Path::new(0, 19, 1),
                args: Value::Null,
            },
        ),
        (
            "read-response",
            Body::ReadResponse(vec![
                ReadResult {
                    path: Path::new(0, 6, 1),
                    status: StatusCode::Success,
                    value: Some(Value::Int(2650)),
                },
                ReadResult {
                    path: Path::new(0, 7, 1),
                    status: StatusCode::Success,
                    value: Some(Value::Int(2712)),
                },
            ]),
        ),
        (
            "write-response",
            Body::WriteResponse(vec![(Path::new(0, 6, 1), StatusCode::Success)]),
        ),
        (
            "invoke-response",
            Body::InvokeResponse(InvokeResult {
                path: Path::new(0, 19, 1),
                status: StatusCode::Success,
                results: None,
            }),
        ),
    ]
}

/// The algorithm of every fixture key.
pub const ALG: Algorithm = Algorithm::EdDsa;
