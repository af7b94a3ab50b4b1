//! What the fuzz targets of Hearth share: a deterministic PKI to sign and trust with, the
//! sample fan's description, and the small framing that lets one input carry several
//! byte strings (a certificate and a revocation list, a topic and an envelope, …).
//!
//! Every target feeds outside bytes to a public decoder of a Hearth crate and asserts only
//! what the crate promises: no panic, a typed error for bad input, and where a decode
//! succeeds the round trip the crate documents. Where a signature stands between the bytes
//! and the decoder behind it, a target has a second mode that signs the fuzzed bytes with
//! the fixture's keys first, so the fuzzer reaches the code after the signature check too.
//!
//! The keys come from fixed seeds and the clock is [`NOW`], so an input behaves the same on
//! every run and every machine: a crash found once reproduces. The bodies of the targets
//! are in [`targets`]; `fuzz/` holds the cargo-fuzz project that calls them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod targets;

use std::sync::OnceLock;

use ciborium::value::{Integer, Value as Cbor};
use hearth_model::catalog::Catalog;
use hearth_model::{validate, Description};
use hearth_security::cert::{CertClaims, Certificate, Role, TrustStore};
use hearth_security::cose::{sign1, sign1_with_header, ProtectedHeader};
use hearth_security::key::KeyPair;
use hearth_security::pki::Credential;
use hearth_security::revocation::CRL_CONTENT_TYPE;
use hearth_wire::codec::{self, Limits};
use hearth_wire::message::{Body, Message};
use hearth_wire::policy;
use hearth_wire::view::{self, BodyView, DescriptionView};

/// The fixed clock of every target: 2026-09-21T02:13:20Z, seconds since the Unix epoch.
pub const NOW: u64 = 1_790_000_000;
/// Vendor id of the fixture's vendor and device.
pub const VENDOR_ID: u16 = 0xfff1;
/// Subject (device id) of the fixture's device.
pub const DEVICE_ID: &str = "fan-1";
/// The topic (below the root) the fixture's device reports on.
pub const REPORT_TOPIC: &str = "d/fff1/fan-1/report";

const YEAR: u64 = 365 * 86_400;

// ---------------------------------------------------------------------------------------
// Framing.

/// Reads one fuzz input as a sequence of fields. Every read succeeds: past the end it
/// yields zeros and empty slices, so any input is a valid (if short) frame.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over a whole input.
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    /// One byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((b, rest)) => {
                self.rest = rest;
                *b
            }
            None => 0,
        }
    }

    /// A big-endian u64 of up to eight bytes.
    pub fn u64(&mut self) -> u64 {
        let n = self.rest.len().min(8);
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        head.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b))
    }

    /// A byte string prefixed by its length (big-endian u16), cut short at the end.
    pub fn chunk(&mut self) -> &'a [u8] {
        let len = (usize::from(self.u8()) << 8) | usize::from(self.u8());
        let n = self.rest.len().min(len);
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        head
    }

    /// Whatever is left.
    pub fn rest(self) -> &'a [u8] {
        self.rest
    }

    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Writes an input that [`Reader`] reads back field by field: how the seed generator frames
/// its seeds.
#[derive(Debug, Clone, Default)]
pub struct Writer {
    out: Vec<u8>,
}

impl Writer {
    /// An empty input.
    pub fn new() -> Self {
        Self::default()
    }

    /// One byte.
    #[must_use]
    pub fn u8(mut self, b: u8) -> Self {
        self.out.push(b);
        self
    }

    /// A big-endian u64.
    #[must_use]
    pub fn u64(mut self, v: u64) -> Self {
        self.out.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A byte string with its length; at most 65 535 bytes are kept.
    #[must_use]
    pub fn chunk(mut self, bytes: &[u8]) -> Self {
        let bytes = &bytes[..bytes.len().min(usize::from(u16::MAX))];
        let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(bytes);
        self
    }

    /// The remaining bytes, unframed.
    #[must_use]
    pub fn rest(mut self, bytes: &[u8]) -> Self {
        self.out.extend_from_slice(bytes);
        self
    }

    /// The input.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}

// ---------------------------------------------------------------------------------------
// The PKI.

/// A complete, deterministic hierarchy: root → vendor → device, root → lab, root →
/// controller, all Ed25519, valid around [`NOW`].
#[derive(Debug)]
pub struct Pki {
    /// The self-signed root, the one trust anchor.
    pub root: Credential,
    /// Vendor CA with vendor id [`VENDOR_ID`].
    pub vendor: Credential,
    /// The fan [`DEVICE_ID`], issued by the vendor.
    pub device: Credential,
    /// A test lab, issued by the root.
    pub lab: Credential,
    /// A controller, issued by the root.
    pub controller: Credential,
}

fn key(seed: u8) -> KeyPair {
    KeyPair::from_ed25519_seed(&[seed; 32]).expect("an Ed25519 key from a fixed seed")
}

fn claims(issuer: &str, subject: &str, key: &KeyPair, role: Role) -> CertClaims {
    CertClaims {
        issuer: issuer.to_owned(),
        subject: subject.to_owned(),
        issued_at: NOW - YEAR,
        not_before: NOW - YEAR,
        expires: NOW + 5 * YEAR,
        key: *key.public_key(),
        role,
        vendor_id: None,
        device_type: None,
        model: None,
    }
}

fn issue(claims: &CertClaims, issuer: &Credential, key: KeyPair) -> Credential {
    let cert = Certificate::issue(claims, Some(&issuer.cert), &issuer.key)
        .expect("the fixture's chain rules hold");
    Credential { cert, key }
}

impl Pki {
    /// The hierarchy, built once per process.
    pub fn get() -> &'static Self {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(Self::build)
    }

    fn build() -> Self {
        let root_name = "hearth-fuzz-root";
        let root_key = key(1);
        let root_claims = claims(root_name, root_name, &root_key, Role::Root);
        let root = Credential {
            cert: Certificate::issue(&root_claims, None, &root_key).expect("a valid root"),
            key: root_key,
        };
        let vendor_key = key(2);
        let vendor_name = "hearth-fuzz-vendor-fff1";
        let vendor = issue(
            &CertClaims {
                vendor_id: Some(VENDOR_ID),
                ..claims(root_name, vendor_name, &vendor_key, Role::Vendor)
            },
            &root,
            vendor_key,
        );
        let device_key = key(3);
        let device = issue(
            &CertClaims {
                vendor_id: Some(VENDOR_ID),
                device_type: Some("fan".into()),
                model: Some("Fuzz Fan".into()),
                ..claims(vendor_name, DEVICE_ID, &device_key, Role::Device)
            },
            &vendor,
            device_key,
        );
        let lab_key = key(4);
        let lab = issue(
            &claims(root_name, "hearth-fuzz-lab", &lab_key, Role::Lab),
            &root,
            lab_key,
        );
        let controller_key = key(5);
        let controller = issue(
            &claims(
                root_name,
                "hearth-fuzz-controller",
                &controller_key,
                Role::Controller,
            ),
            &root,
            controller_key,
        );
        Self {
            root,
            vendor,
            device,
            lab,
            controller,
        }
    }

    /// A trust store holding the root.
    pub fn trust(&self) -> TrustStore {
        let mut trust = TrustStore::new();
        trust
            .add_root(self.root.cert.clone())
            .expect("the fixture's root is a valid anchor");
        trust
    }

    /// The device's chain as a message carries it: leaf first, then the vendor.
    pub fn device_chain(&self) -> Vec<Vec<u8>> {
        vec![
            self.device.cert.as_bytes().to_vec(),
            self.vendor.cert.as_bytes().to_vec(),
        ]
    }

    /// `payload` sealed by the device as a message on `topic` (below the root).
    pub fn seal_as_device(&self, payload: &[u8], topic: &str) -> Vec<u8> {
        sign1(&self.device.key, payload, topic.as_bytes()).expect("Ed25519 signing")
    }

    /// `payload` signed by the root as a revocation list (its content type, no AAD).
    pub fn sign_as_crl(&self, payload: &[u8]) -> Vec<u8> {
        sign1_with_header(
            &self.root.key,
            payload,
            b"",
            &ProtectedHeader::new().content_type(CRL_CONTENT_TYPE),
        )
        .expect("Ed25519 signing")
    }

    /// `json` signed by the lab as `report.cose` at `iat`, with the protected header of
    /// `spec/06-conformance.md` §10.5 and the lab certificate as its chain.
    pub fn sign_as_lab_report(&self, json: &[u8], iat: u64) -> Vec<u8> {
        use hearth_report::signed::{
            CLAIM_IAT, CONTENT_TYPE, EXTERNAL_AAD, LABEL_CHAIN, LABEL_CWT_CLAIMS,
        };
        let int = |v: i64| Cbor::Integer(Integer::from(v));
        let header = ProtectedHeader::new()
            .content_type(CONTENT_TYPE)
            .param(
                LABEL_CWT_CLAIMS,
                Cbor::Map(vec![(int(CLAIM_IAT), Cbor::Integer(Integer::from(iat)))]),
            )
            .param(
                LABEL_CHAIN,
                Cbor::Array(vec![Cbor::Bytes(self.lab.cert.as_bytes().to_vec())]),
            );
        sign1_with_header(&self.lab.key, json, EXTERNAL_AAD, &header).expect("Ed25519 signing")
    }
}

// ---------------------------------------------------------------------------------------
// The model.

/// The sample fan's description (`hearth-model/tests/descriptions/fan.json`) under the
/// fixture's vendor and device id.
pub fn fan_description() -> &'static Description {
    static DESC: OnceLock<Description> = OnceLock::new();
    DESC.get_or_init(|| {
        let mut desc: Description = serde_json::from_str(include_str!(
            "../../hearth-model/tests/descriptions/fan.json"
        ))
        .expect("the sample fan description parses");
        desc.vendor_id = VENDOR_ID;
        desc.device_id = DEVICE_ID.into();
        desc
    })
}

/// What every decoded message goes through, as the receivers of the implementation use
/// it: the round trip the codec promises (`decode(encode(m)) == m`, and the encoding is
/// canonical, so encoding again gives the same bytes), the header check, the policy and
/// model checks against the sample fan, and the views that show it to people. Only the
/// round trip is asserted; everything else must merely return.
pub fn exercise_message(msg: &Message) {
    let bytes = codec::encode(msg);
    let again = codec::decode(&bytes, &Limits::STANDARD);
    assert_eq!(again.as_ref(), Ok(msg), "decode(encode(m)) differs from m");
    if let Ok(again) = &again {
        assert_eq!(codec::encode(again), bytes, "the encoding is not canonical");
    }
    let _ = codec::check_header(msg);

    let catalog = Catalog::standard();
    let desc = fan_description();
    let _ = policy::required_privilege(catalog, msg);
    let _ = policy::check_device_message(catalog, desc, msg);
    match &msg.body {
        Body::Write(values) => {
            for (path, value) in values {
                let _ = validate::check_write(catalog, desc, path, value);
            }
        }
        Body::Read(paths) => {
            for path in paths {
                let _ = validate::check_read(catalog, desc, path);
            }
        }
        Body::Invoke { path, args } => {
            let _ = validate::check_invoke(catalog, desc, path, args);
        }
        Body::Description(d) => exercise_description(d),
        _ => {}
    }
    let view = BodyView::new(&msg.body, view::device_type(desc.device_type));
    let _ = view.line();
    let _ = view.text("  ");
}

/// What a decoded description goes through: validation against the catalog, and when it
/// is valid, the request checks of every member it implements and its view.
pub fn exercise_description(desc: &Description) {
    let catalog = Catalog::standard();
    let valid = hearth_model::check_description(catalog, desc).is_ok();
    let _ = DescriptionView::new(desc).text("  ");
    if !valid {
        return;
    }
    for member in desc.implemented(catalog) {
        let _ = validate::check_read(catalog, desc, &member.path);
        let _ = validate::check_write(catalog, desc, &member.path, &hearth_model::Value::Null);
    }
}
