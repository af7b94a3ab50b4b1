//! Hearth security vectors in `conformance/vectors/security/` (schema in its README.md).
//!
//! `vectors_are_up_to_date` regenerates every file from fixed seeds and fixed times and
//! fails on any byte difference; run with `HEARTH_REGENERATE_VECTORS=1` to rewrite them.
//! `vectors_hold` checks each vector's expected outcome against this implementation.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use coset::{iana, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use hearth_security::cert::{CertClaims, Role, ValidatedChain};
use hearth_security::{
    sign1, validate_chain, verify_sign1, Certificate, KeyId, KeyPair, PublicKey, ReplayWindow,
    RevocationList, RevocationSet, TrustStore,
};
use hearth_security::{Acl, AclEntry, AclSubject, Operation, Privilege};
use serde_json::{json, Value as Json};

const FORMAT: &str = "hearth-security-vectors/1";
/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600;
const DAY: u64 = 86_400;
/// Validation time of the chain vectors: 30 days after T0.
const NOW: u64 = T0 + 30 * DAY;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/vectors/security")
}

fn seed(n: u8) -> [u8; 32] {
    // Seeds are SHA-256("hearth vector key <n>"), so other implementations can derive them.
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("hearth vector key {n}").as_bytes(),
    );
    let mut s = [0u8; 32];
    s.copy_from_slice(d.as_ref());
    s
}

fn ed(n: u8) -> KeyPair {
    KeyPair::from_ed25519_seed(&seed(n)).expect("seed")
}

fn h(b: &[u8]) -> Json {
    Json::String(hex::encode(b))
}

// ---------------------------------------------------------------------------------------
// Fixed ES256 material. ECDSA signatures in ring are randomized, so these signatures were
// made once and are kept as constants; the key is the P-256 key of the COSE WG examples
// (RFC 9052 Appendix C).
const P256_D: &str = "57c92077664146e876760c9520d054aa93c3afb04e306705db6090308507b4d3";
const P256_X: &str = "bac5b11cad8f99f9c72b05cf4b9e26d244dc189f745228255a219a86d6a09eff";
const P256_Y: &str = "20138bf82dc1b6d562be0fa54ab7804a3a64b6d72ccfed6b6fb6ed28bbfc117e";
const ES256_SIG_M7: &str = "90d28fe796d4f25bf259a74c287ea01b861e49e4b0615d54c482e349799b8e0251c1d14eed19774f56200cdb514ddebe55f2aa1aecfedade43b617378a182b5f";
const ES256_SIG_M9: &str = "70a918f4d241c794d7162537e3e50d20301fbb4c6c8ecac023426f20a54fe1ff33c9ea01a4f8f72c1977f599a1bf9947424490480a030aece5875519f68ef045";

fn p256_public() -> PublicKey {
    let mut p = vec![4u8];
    p.extend(hex::decode(P256_X).expect("x"));
    p.extend(hex::decode(P256_Y).expect("y"));
    PublicKey::from_raw(hearth_security::Algorithm::Es256, &p).expect("P-256")
}

/// Build a COSE_Sign1 with a custom protected header, signing with `sign`.
fn custom_sign1(
    protected: coset::Header,
    unprotected: coset::Header,
    payload: Option<&[u8]>,
    aad: &[u8],
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Vec<u8> {
    let mut b = CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected);
    if let Some(p) = payload {
        b = b.payload(p.to_vec());
    }
    let mut s = b.build();
    // Sig_structure over the (possibly absent) payload, as the builder would.
    let tbs = s.tbs_data(aad);
    s.signature = sign(&tbs);
    s.to_tagged_vec().expect("encode")
}

fn es256_message(alg: iana::Algorithm, sig_hex: &str) -> Vec<u8> {
    let kid = p256_public().key_id();
    custom_sign1(
        HeaderBuilder::new()
            .algorithm(alg)
            .key_id(kid.0.to_vec())
            .build(),
        HeaderBuilder::new().build(),
        Some(PAYLOAD),
        TOPIC.as_bytes(),
        |_| hex::decode(sig_hex).expect("signature constant"),
    )
}

const TOPIC: &str = "d/fridge-0001/report";
/// A small CBOR map standing in for an encoded message.
const PAYLOAD: &[u8] = &[0xa2, 0x01, 0x01, 0x02, 0x18, 0x2a];

fn ok_expect(kid: &KeyId, alg: i64, payload: &[u8]) -> Json {
    json!({"result": "ok", "kid": h(&kid.0), "alg": alg, "payload": h(payload)})
}

fn err_expect(code: &str) -> Json {
    json!({"result": "error", "error": code})
}

/// A COSE_Sign1 of [`PAYLOAD`] for [`TOPIC`] whose protected header is `protected` byte for
/// byte, signed by `key`.
fn raw_protected_sign1(key: &KeyPair, protected: &[u8]) -> Vec<u8> {
    let bstr = |b: &[u8]| -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(&ciborium::Value::Bytes(b.to_vec()), &mut out).expect("bstr");
        out
    };
    let tbs = [
        &[0x84, 0x6a][..],
        b"Signature1",
        &bstr(protected),
        &bstr(TOPIC.as_bytes()),
        &bstr(PAYLOAD),
    ]
    .concat();
    let signature = key.sign_raw(&tbs).expect("sign");
    [
        &[0xd2, 0x84][..],
        &bstr(protected),
        &[0xa0],
        &bstr(PAYLOAD),
        &bstr(&signature),
    ]
    .concat()
}

fn sign1_vectors() -> Json {
    let a = ed(1);
    let b = ed(2);
    let msg = sign1(&a, PAYLOAD, TOPIC.as_bytes()).expect("sign");
    let kid = *a.key_id();
    let key_a = h(&a.public_key().to_cose_key());
    let key_b = h(&b.public_key().to_cose_key());
    let key_p = h(&p256_public().to_cose_key());
    let flip = |i: usize| {
        let mut m = msg.clone();
        m[i] ^= 0x01;
        m
    };
    let sig_at = msg.len() - 10;
    let payload_at = msg.len() - 64 - 2 - 2;
    let protected = |alg: Option<iana::Algorithm>, kid: &[u8]| {
        let mut hb = HeaderBuilder::new();
        if let Some(alg) = alg {
            hb = hb.algorithm(alg);
        }
        if !kid.is_empty() {
            hb = hb.key_id(kid.to_vec());
        }
        hb
    };
    let signed_by_a = |hdr: coset::Header, unprot: coset::Header, payload: Option<&[u8]>| {
        custom_sign1(hdr, unprot, payload, TOPIC.as_bytes(), |tbs| {
            a.sign_raw(tbs).expect("sign")
        })
    };
    let mut v = vec![
        json!({
            "name": "ed25519-basic",
            "description": "EdDSA (-8) signature with the topic as external AAD.",
            "requirements": ["HRT-SEC-020", "HRT-SEC-021", "HRT-SEC-022", "HRT-SEC-023", "HRT-SEC-024"],
            "seed": h(&seed(1)),
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()), "message": h(&msg),
            "expected": ok_expect(&kid, -8, PAYLOAD),
        }),
        json!({
            "name": "ed25519-empty-payload",
            "description": "An empty payload is embedded as a zero-length byte string.",
            "requirements": ["HRT-SEC-022"],
            "seed": h(&seed(1)),
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&sign1(&a, b"", TOPIC.as_bytes()).expect("sign")),
            "expected": ok_expect(&kid, -8, b""),
        }),
        json!({
            "name": "wrong-topic",
            "description": "The same message received on another topic.",
            "requirements": ["HRT-SEC-024", "HRT-SEC-034"],
            "keys": [key_a.clone()], "aad": h(b"d/oven-0002/report"), "message": h(&msg),
            "expected": err_expect("bad_signature"),
        }),
        json!({
            "name": "flipped-signature",
            "description": "One bit of the signature flipped.",
            "requirements": ["HRT-SEC-034"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()), "message": h(&flip(sig_at)),
            "expected": err_expect("bad_signature"),
        }),
        json!({
            "name": "flipped-payload",
            "description": "One bit of the payload flipped.",
            "requirements": ["HRT-SEC-034"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()), "message": h(&flip(payload_at)),
            "expected": err_expect("bad_signature"),
        }),
        json!({
            "name": "untagged",
            "description": "The message without tag 18.",
            "requirements": ["HRT-SEC-021", "HRT-SEC-030"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()), "message": h(&msg[1..]),
            "expected": err_expect("malformed"),
        }),
        json!({
            "name": "indefinite-outer-array",
            "description": "The outer array of indefinite length (9f ... ff): the signature, which does not cover it, verifies, but a message envelope is definite-length CBOR.",
            "requirements": ["HRT-SEC-030", "HRT-MSG-101"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&[&[0xd2, 0x9f][..], &msg[2..], &[0xff]].concat()),
            "expected": err_expect("outside_profile"),
        }),
        json!({
            "name": "bignum-algorithm",
            "description": "The protected header's alg written as the bignum 3(h'07'), which a general-purpose decoder reads as -8; signed as it is.",
            "requirements": ["HRT-SEC-023", "HRT-MSG-102"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&raw_protected_sign1(&a, &[&[0xa2, 0x01, 0xc3, 0x41, 0x07, 0x04, 0x50][..], &kid.0].concat())),
            "expected": err_expect("outside_profile"),
        }),
        json!({
            "name": "unknown-kid",
            "description": "The verifier knows another key only.",
            "requirements": ["HRT-SEC-033"],
            "keys": [key_b.clone()], "aad": h(TOPIC.as_bytes()), "message": h(&msg),
            "expected": err_expect("unknown_kid"),
        }),
        json!({
            "name": "fully-specified-ed25519",
            "description": "Algorithm -19 (Ed25519) is accepted on receipt.",
            "requirements": ["HRT-SEC-004"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::Ed25519), &kid.0).build(),
                HeaderBuilder::new().build(), Some(PAYLOAD))),
            "expected": ok_expect(&kid, -8, PAYLOAD),
        }),
        json!({
            "name": "alg-only-unprotected",
            "description": "The algorithm is in the unprotected header only.",
            "requirements": ["HRT-SEC-023", "HRT-SEC-030", "HRT-SEC-032"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(None, &kid.0).build(),
                HeaderBuilder::new().algorithm(iana::Algorithm::EdDSA).build(), Some(PAYLOAD))),
            "expected": err_expect("unsupported_algorithm"),
        }),
        json!({
            "name": "es384-rejected",
            "description": "ES384 (-35) is not accepted.",
            "requirements": ["HRT-SEC-005"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::ES384), &kid.0).build(),
                HeaderBuilder::new().build(), Some(PAYLOAD))),
            "expected": err_expect("unsupported_algorithm"),
        }),
        json!({
            "name": "kid-only-unprotected",
            "description": "The kid is in the unprotected header only.",
            "requirements": ["HRT-SEC-023", "HRT-SEC-030", "HRT-SEC-032"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::EdDSA), &[]).build(),
                HeaderBuilder::new().key_id(kid.0.to_vec()).build(), Some(PAYLOAD))),
            "expected": err_expect("malformed"),
        }),
        json!({
            "name": "short-kid",
            "description": "A kid that is not 16 bytes.",
            "requirements": ["HRT-SEC-023", "HRT-SEC-030"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::EdDSA), &kid.0[..8]).build(),
                HeaderBuilder::new().build(), Some(PAYLOAD))),
            "expected": err_expect("malformed"),
        }),
        json!({
            "name": "detached-payload",
            "description": "A nil (detached) payload.",
            "requirements": ["HRT-SEC-022", "HRT-SEC-030"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::EdDSA), &kid.0).build(),
                HeaderBuilder::new().build(), None)),
            "expected": err_expect("malformed"),
        }),
        json!({
            "name": "critical-header",
            "description": "A crit header parameter.",
            "requirements": ["HRT-SEC-031"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::EdDSA), &kid.0)
                    .add_critical(iana::HeaderParameter::Alg).build(),
                HeaderBuilder::new().build(), Some(PAYLOAD))),
            "expected": err_expect("malformed"),
        }),
        json!({
            "name": "content-type-on-message",
            "description": "A message carrying the certificate content type.",
            "requirements": ["HRT-SEC-031"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::EdDSA), &kid.0)
                    .content_type("application/hearth-cert+cwt".into()).build(),
                HeaderBuilder::new().build(), Some(PAYLOAD))),
            "expected": err_expect("malformed"),
        }),
        json!({
            "name": "unprotected-ignored",
            "description": "A non-empty unprotected header is ignored.",
            "requirements": ["HRT-SEC-032"],
            "keys": [key_a.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&signed_by_a(
                protected(Some(iana::Algorithm::EdDSA), &kid.0).build(),
                HeaderBuilder::new().key_id(b.key_id().0.to_vec()).build(), Some(PAYLOAD))),
            "expected": ok_expect(&kid, -8, PAYLOAD),
        }),
    ];
    if !ES256_SIG_M7.is_empty() {
        let pk = p256_public().key_id();
        v.push(json!({
            "name": "es256-verify",
            "description": "ES256 (-7) with the P-256 key of RFC 9052 Appendix C; verification only (ECDSA signatures are randomized).",
            "requirements": ["HRT-SEC-002", "HRT-SEC-003"],
            "keys": [key_p.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&es256_message(iana::Algorithm::ES256, ES256_SIG_M7)),
            "expected": ok_expect(&pk, -7, PAYLOAD),
        }));
        v.push(json!({
            "name": "esp256-verify",
            "description": "ESP256 (-9), the fully-specified identifier, accepted on receipt.",
            "requirements": ["HRT-SEC-004"],
            "keys": [key_p.clone()], "aad": h(TOPIC.as_bytes()),
            "message": h(&es256_message(iana::Algorithm::ESP256, ES256_SIG_M9)),
            "expected": ok_expect(&pk, -7, PAYLOAD),
        }));
        v.push(json!({
            "name": "es256-wrong-topic",
            "description": "The ES256 message on another topic.",
            "requirements": ["HRT-SEC-034"],
            "keys": [key_p], "aad": h(b"d/oven-0002/report"),
            "message": h(&es256_message(iana::Algorithm::ES256, ES256_SIG_M7)),
            "expected": err_expect("bad_signature"),
        }));
    }
    json!({"format": FORMAT, "kind": "sign1", "vectors": v})
}

// ---------------------------------------------------------------------------------------

struct Cred {
    cert: Certificate,
    key: KeyPair,
}

fn claims(
    iss: &Cred,
    sub: &str,
    key: &KeyPair,
    role: Role,
    vendor: Option<u16>,
    nbf: u64,
    days: u64,
) -> CertClaims {
    CertClaims {
        issuer: iss.cert.claims().subject.clone(),
        subject: sub.into(),
        issued_at: nbf,
        not_before: nbf,
        expires: nbf + days * DAY,
        key: *key.public_key(),
        role,
        vendor_id: vendor,
        device_type: (role == Role::Device).then(|| "refrigerator".into()),
        model: (role == Role::Device).then(|| "RF-100".into()),
    }
}

fn root(n: u8, name: &str) -> Cred {
    let key = ed(n);
    let c = CertClaims {
        issuer: name.into(),
        subject: name.into(),
        issued_at: T0,
        not_before: T0,
        expires: T0 + 3653 * DAY,
        key: *key.public_key(),
        role: Role::Root,
        vendor_id: None,
        device_type: None,
        model: None,
    };
    Cred {
        cert: Certificate::issue(&c, None, &key).expect("root"),
        key,
    }
}

fn issue(issuer: &Cred, c: &CertClaims, key: KeyPair) -> Cred {
    Cred {
        cert: Certificate::issue(c, Some(&issuer.cert), &issuer.key).expect("issue"),
        key,
    }
}

/// A certificate of `issuer` for the key of seed `n`, issued with the chain rules checked.
fn leaf(
    issuer: &Cred,
    sub: &str,
    n: u8,
    role: Role,
    vendor: Option<u16>,
    nbf: u64,
    days: u64,
) -> Cred {
    issue(
        issuer,
        &claims(issuer, sub, &ed(n), role, vendor, nbf, days),
        ed(n),
    )
}

/// Sign without the issuance checks, for invalid chains.
fn forge(issuer: &Cred, c: &CertClaims, key: KeyPair) -> Cred {
    Cred {
        cert: Certificate::sign(c, &issuer.key).expect("sign"),
        key,
    }
}

/// Chain vectors trusting `root` alone, unless a case says otherwise.
struct Chains<'a> {
    root: &'a Cred,
}

/// One chain vector: by default trusted by the root alone, with no revocation lists, validated
/// at [`NOW`].
struct ChainCase<'a> {
    name: &'a str,
    description: &'a str,
    requirements: &'a [&'a str],
    trust: Vec<&'a Cred>,
    chain: Vec<&'a [u8]>,
    crls: Vec<(&'a Cred, Vec<u8>)>,
    now: u64,
}

impl<'a> Chains<'a> {
    fn case(
        &self,
        name: &'a str,
        description: &'a str,
        requirements: &'a [&'a str],
        chain: &[&'a [u8]],
    ) -> ChainCase<'a> {
        ChainCase {
            name,
            description,
            requirements,
            trust: vec![self.root],
            chain: chain.to_vec(),
            crls: Vec::new(),
            now: NOW,
        }
    }
}

impl<'a> ChainCase<'a> {
    /// Trust these roots instead.
    fn trust(mut self, roots: &[&'a Cred]) -> Self {
        self.trust = roots.to_vec();
        self
    }

    /// With the revocation list `list` of `issuer`.
    fn crl(mut self, issuer: &'a Cred, list: Vec<u8>) -> Self {
        self.crls.push((issuer, list));
        self
    }

    /// Validated at `now`.
    fn at(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    /// The chain validates, with `leaf` as its leaf and `cas` above it.
    fn ok(self, leaf: &Cred, cas: &[&Cred]) -> Json {
        let expected = chain_ok(leaf, cas);
        self.vector(expected)
    }

    /// The chain fails with the error `code`.
    fn err(self, code: &str) -> Json {
        self.vector(err_expect(code))
    }

    fn vector(self, expected: Json) -> Json {
        json!({
            "name": self.name,
            "description": self.description,
            "requirements": self.requirements,
            "trust": self.trust.iter().map(|c| h(c.cert.as_bytes())).collect::<Vec<_>>(),
            "chain": self.chain.iter().map(|c| h(c)).collect::<Vec<_>>(),
            "revocation_lists": self.crls.iter().map(|(i, l)| json!({"issuer": h(i.cert.as_bytes()), "list": h(l)})).collect::<Vec<_>>(),
            "now": self.now,
            "expected": expected,
        })
    }
}

fn chain_ok(leaf: &Cred, cas: &[&Cred]) -> Json {
    json!({
        "result": "ok",
        "role": leaf.cert.claims().role.name(),
        "leaf_kid": h(&leaf.cert.subject_kid().0),
        "ca_kids": cas.iter().map(|c| h(&c.cert.subject_kid().0)).collect::<Vec<_>>(),
    })
}

fn chain_vectors() -> Json {
    let r = root(10, "hearth-vector-root");
    let other = root(11, "hearth-vector-other-root");
    let t = T0;
    let vendor = leaf(&r, "vendor-fff1", 12, Role::Vendor, Some(0xFFF1), t, 1826);
    let lab = leaf(&r, "lab-1", 13, Role::Lab, None, t, 1826);
    let ctrl = leaf(&r, "controller-1", 14, Role::Controller, None, t, 1826);
    // Certificates of vendor 0xFFF1 by the seed of their key; devices for a year from T0.
    let by_vendor = |sub: &str, n: u8, role: Role, nbf: u64, days: u64| {
        leaf(&vendor, sub, n, role, Some(0xFFF1), nbf, days)
    };
    let fridge = |issuer: &Cred, sub: &str, n: u8| {
        claims(issuer, sub, &ed(n), Role::Device, Some(0xFFF1), t, 365)
    };
    let device = by_vendor("fridge-0001", 15, Role::Device, t, 365);
    let gateway = by_vendor("gateway-0001", 16, Role::Controller, t, 365);
    let p256 = KeyPair::from_p256_parts(
        &<[u8; 32]>::try_from(hex::decode(P256_D).expect("d").as_slice()).expect("32"),
        p256_public().as_bytes(),
    )
    .expect("P-256 key");
    let device_p256 = issue(
        &vendor,
        &claims(
            &vendor,
            "fridge-0002",
            &p256,
            Role::Device,
            Some(0xFFF1),
            t,
            365,
        ),
        p256,
    );
    let short = by_vendor("fridge-0003", 17, Role::Device, t, 10);
    let future = by_vendor("fridge-0004", 18, Role::Device, t + 60 * DAY, 365);
    let by_lab = forge(&lab, &fridge(&lab, "fridge-0005", 19), ed(19));
    let by_root = forge(&r, &fridge(&r, "fridge-0006", 20), ed(20));
    let mut other_vendor = fridge(&vendor, "fridge-0007", 21);
    other_vendor.vendor_id = Some(0xFFF2);
    let other_vendor = forge(&vendor, &other_vendor, ed(21));
    let mut misnamed = fridge(&vendor, "fridge-0008", 22);
    misnamed.issuer = "vendor-fff2".into();
    let misnamed = forge(&vendor, &misnamed, ed(22));
    // Tampered: the model "RF-100" changed to "RF-101" after signing.
    let mut tampered = device.cert.as_bytes().to_vec();
    let pos = tampered
        .windows(6)
        .position(|w| w == b"RF-100")
        .expect("model in certificate");
    tampered[pos + 5] = b'1';
    let crl = RevocationList {
        issuer: "vendor-fff1".into(),
        this_update: t + DAY,
        next_update: t + 31 * DAY,
        revoked: [*device.cert.subject_kid()].into_iter().collect(),
    }
    .issue(&vendor.cert, &vendor.key)
    .expect("crl");
    let vc = vendor.cert.as_bytes();
    let c = Chains { root: &r };
    let v = vec![
        c.case(
            "valid-vendor",
            "Root → vendor.",
            &["HRT-SEC-060", "HRT-SEC-064"],
            &[vc],
        )
        .ok(&vendor, &[&r]),
        c.case(
            "valid-lab",
            "Root → lab.",
            &["HRT-SEC-060", "HRT-SEC-064"],
            &[lab.cert.as_bytes()],
        )
        .ok(&lab, &[&r]),
        c.case(
            "valid-controller-root",
            "Root → controller.",
            &["HRT-SEC-060", "HRT-SEC-064"],
            &[ctrl.cert.as_bytes()],
        )
        .ok(&ctrl, &[&r]),
        c.case(
            "valid-device",
            "Root → vendor → device.",
            &["HRT-SEC-061", "HRT-SEC-064"],
            &[vc, device.cert.as_bytes()],
        )
        .ok(&device, &[&vendor, &r]),
        c.case(
            "valid-device-with-root",
            "The chain may start with a copy of the trust anchor.",
            &["HRT-SEC-064", "HRT-SEC-067"],
            &[r.cert.as_bytes(), vc, device.cert.as_bytes()],
        )
        .ok(&device, &[&vendor, &r]),
        c.case(
            "valid-device-p256",
            "A device with a P-256 key (signed by an Ed25519 vendor).",
            &["HRT-SEC-002", "HRT-SEC-064"],
            &[vc, device_p256.cert.as_bytes()],
        )
        .ok(&device_p256, &[&vendor, &r]),
        c.case(
            "valid-gateway-controller",
            "Root → vendor → controller.",
            &["HRT-SEC-058", "HRT-SEC-061", "HRT-SEC-064"],
            &[vc, gateway.cert.as_bytes()],
        )
        .ok(&gateway, &[&vendor, &r]),
        c.case(
            "expired",
            "The device certificate expired (10 days of validity).",
            &["HRT-SEC-071"],
            &[vc, short.cert.as_bytes()],
        )
        .err("expired"),
        c.case(
            "expired-at-exp",
            "Validity ends at exp, exclusive.",
            &["HRT-SEC-071"],
            &[vc, device.cert.as_bytes()],
        )
        .at(t + 365 * DAY)
        .err("expired"),
        c.case(
            "not-yet-valid",
            "nbf is 60 days after T0.",
            &["HRT-SEC-070"],
            &[vc, future.cert.as_bytes()],
        )
        .err("not_yet_valid"),
        c.case(
            "wrong-root",
            "The chain is verified against another root.",
            &["HRT-SEC-065"],
            &[vc, device.cert.as_bytes()],
        )
        .trust(&[&other])
        .err("untrusted_issuer"),
        c.case(
            "wrong-issuer-name",
            "iss differs from the issuer's sub.",
            &["HRT-SEC-066"],
            &[vc, misnamed.cert.as_bytes()],
        )
        .err("untrusted_issuer"),
        c.case(
            "missing-intermediate",
            "A device certificate without its vendor.",
            &["HRT-SEC-065"],
            &[device.cert.as_bytes()],
        )
        .err("untrusted_issuer"),
        c.case(
            "wrong-role-lab-issues-device",
            "A lab may issue nothing.",
            &["HRT-SEC-062", "HRT-SEC-069"],
            &[lab.cert.as_bytes(), by_lab.cert.as_bytes()],
        )
        .err("wrong_role"),
        c.case(
            "wrong-role-root-issues-device",
            "A root may not issue a device.",
            &["HRT-SEC-060", "HRT-SEC-069"],
            &[by_root.cert.as_bytes()],
        )
        .err("wrong_role"),
        c.case(
            "vendor-mismatch",
            "Vendor 0xFFF1 issued a device of vendor 0xFFF2.",
            &["HRT-SEC-063", "HRT-SEC-069"],
            &[vc, other_vendor.cert.as_bytes()],
        )
        .err("vendor_mismatch"),
        c.case(
            "tampered",
            "A claim changed after signing.",
            &["HRT-SEC-068"],
            &[vc, &tampered],
        )
        .err("bad_signature"),
        c.case(
            "revoked",
            "The vendor's revocation list names the device key.",
            &["HRT-SEC-072", "HRT-SEC-083"],
            &[vc, device.cert.as_bytes()],
        )
        .crl(&vendor, crl.clone())
        .err("revoked"),
        c.case(
            "not-revoked",
            "The list names another key.",
            &["HRT-SEC-083"],
            &[vc, gateway.cert.as_bytes()],
        )
        .crl(&vendor, crl)
        .ok(&gateway, &[&vendor, &r]),
        c.case(
            "chain-too-long",
            "Three certificates below the root.",
            &["HRT-SEC-067"],
            &[vc, device.cert.as_bytes(), device.cert.as_bytes()],
        )
        .err("chain_length"),
    ];
    json!({"format": FORMAT, "kind": "chain", "vectors": v})
}

// ---------------------------------------------------------------------------------------

fn replay_vectors() -> Json {
    let step = |c: u64, e: &str| json!({"counter": c, "expected": e});
    let v = vec![
        json!({"name": "in-order", "requirements": ["HRT-SEC-096", "HRT-SEC-097"],
            "steps": [step(0, "accepted"), step(1, "accepted"), step(2, "accepted"), step(2, "replayed")]}),
        json!({"name": "first-counter-any-value", "requirements": ["HRT-SEC-100"],
            "steps": [step(5000, "accepted"), step(4999, "accepted"), step(5000, "replayed")]}),
        json!({"name": "out-of-order-within-window", "requirements": ["HRT-SEC-097", "HRT-SEC-098", "HRT-SEC-099"],
            "steps": [step(100, "accepted"), step(98, "accepted"), step(99, "accepted"),
                      step(37, "accepted"), step(98, "replayed"), step(101, "accepted"), step(37, "counter_too_old")]}),
        json!({"name": "window-edge", "requirements": ["HRT-SEC-098", "HRT-SEC-099"],
            "steps": [step(200, "accepted"), step(137, "accepted"), step(136, "counter_too_old"),
                      step(137, "replayed"), step(201, "accepted"), step(138, "accepted"), step(137, "counter_too_old")]}),
        json!({"name": "jump-clears-window", "requirements": ["HRT-SEC-098"],
            "steps": [step(10, "accepted"), step(1000, "accepted"), step(10, "counter_too_old"),
                      step(999, "accepted"), step(937, "accepted"), step(936, "counter_too_old")]}),
        json!({"name": "large-counters", "requirements": ["HRT-SEC-096", "HRT-SEC-098"],
            "steps": [step(u64::MAX - 1, "accepted"), step(u64::MAX - 64, "accepted"),
                      step(u64::MAX - 65, "counter_too_old"), step(u64::MAX - 1, "replayed")]}),
    ];
    json!({"format": FORMAT, "kind": "replay", "vectors": v})
}

// ---------------------------------------------------------------------------------------

const OPERATIONS: [(&str, Operation); 6] = [
    ("read", Operation::Read),
    ("write", Operation::Write),
    ("invoke", Operation::Invoke),
    ("manage-acl", Operation::ManageAcl),
    ("manage-trust", Operation::ManageTrust),
    ("manage-firmware", Operation::ManageFirmware),
];

fn acl_vectors() -> Json {
    let kid = |n: u8| KeyId(<[u8; 16]>::try_from(&seed(n)[..16]).expect("16"));
    let (ctrl, other, vendor_ca, root) = (kid(40), kid(41), kid(42), kid(43));
    let key = |k: KeyId, p: Privilege| AclEntry {
        subject: AclSubject::Key(k),
        privilege: p,
    };
    let ca = |k: KeyId, p: Privilege| AclEntry {
        subject: AclSubject::Ca(k),
        privilege: p,
    };
    let acl = |entries: Vec<AclEntry>| h(&Acl::from_entries(entries).expect("acl").to_cbor());
    let signer = |leaf: KeyId, role: Role, cas: &[KeyId]| {
        json!({"leaf_kid": h(&leaf.0), "role": role.name(),
               "ca_kids": cas.iter().map(|k| h(&k.0)).collect::<Vec<_>>()})
    };
    let gateway = signer(ctrl, Role::Controller, &[vendor_ca, root]);
    let app = signer(ctrl, Role::Controller, &[root]);
    let device = signer(ctrl, Role::Device, &[vendor_ca, root]);
    let ok = || json!({"result": "ok"});
    let case = |name: &str, req: &[&str], acl: &Json, signer: &Json, op: &str, e: Json| {
        json!({"name": name, "requirements": req, "acl": acl, "signer": signer,
               "operation": op, "expected": e})
    };
    let view_key = acl(vec![key(ctrl, Privilege::View)]);
    let operate_ca = acl(vec![ca(vendor_ca, Privilege::Operate)]);
    let mixed = acl(vec![
        ca(root, Privilege::View),
        key(ctrl, Privilege::Operate),
        key(other, Privilege::Manage),
    ]);
    let manage_key = acl(vec![key(ctrl, Privilege::Manage)]);
    let mut v = vec![
        case(
            "key-view-read",
            &["HRT-SEC-111", "HRT-SEC-119"],
            &view_key,
            &app,
            "read",
            ok(),
        ),
        case(
            "key-view-write",
            &["HRT-SEC-114", "HRT-SEC-119"],
            &view_key,
            &app,
            "write",
            err_expect("insufficient_privilege"),
        ),
        case(
            "ca-operate-invoke",
            &["HRT-SEC-112", "HRT-SEC-119"],
            &operate_ca,
            &gateway,
            "invoke",
            ok(),
        ),
        case(
            "ca-not-in-chain",
            &["HRT-SEC-112", "HRT-SEC-114"],
            &operate_ca,
            &app,
            "read",
            err_expect("unauthorized"),
        ),
        case(
            "highest-entry-wins",
            &["HRT-SEC-113"],
            &mixed,
            &app,
            "write",
            ok(),
        ),
        case(
            "highest-entry-still-short",
            &["HRT-SEC-113", "HRT-SEC-119"],
            &mixed,
            &app,
            "manage-acl",
            err_expect("insufficient_privilege"),
        ),
        case(
            "manage-firmware",
            &["HRT-SEC-119"],
            &manage_key,
            &app,
            "manage-firmware",
            ok(),
        ),
        case(
            "manage-trust",
            &["HRT-SEC-119"],
            &manage_key,
            &gateway,
            "manage-trust",
            ok(),
        ),
        case(
            "device-as-requester",
            &["HRT-SEC-120"],
            &manage_key,
            &device,
            "read",
            err_expect("wrong_signer"),
        ),
        case(
            "empty-acl",
            &["HRT-SEC-114"],
            &acl(vec![]),
            &app,
            "read",
            err_expect("unauthorized"),
        ),
    ];
    let too_many: Vec<AclEntry> = (0..=64u8)
        .map(|i| key(kid(100 + i / 2), Privilege::View))
        .collect();
    let mut encoded = vec![0x98, 65];
    for e in &too_many {
        let one = Acl::from_entries(vec![*e]).expect("one").to_cbor();
        encoded.extend_from_slice(&one[1..]);
    }
    v.push(case(
        "too-many-entries",
        &["HRT-SEC-116"],
        &h(&encoded),
        &app,
        "read",
        err_expect("too_many_entries"),
    ));
    v.push(case(
        "malformed-entry",
        &["HRT-SEC-118"],
        &h(&[0x81, 0xa1, 0x02, 0x07]),
        &app,
        "read",
        err_expect("malformed"),
    ));
    json!({"format": FORMAT, "kind": "acl", "vectors": v})
}

fn generate() -> BTreeMap<&'static str, String> {
    let mut files = BTreeMap::new();
    for (name, v) in [
        ("sign1.json", sign1_vectors()),
        ("chains.json", chain_vectors()),
        ("replay.json", replay_vectors()),
        ("acl.json", acl_vectors()),
    ] {
        let mut text = serde_json::to_string_pretty(&v).expect("json");
        text.push('\n');
        files.insert(name, text);
    }
    files
}

#[test]
fn vectors_are_up_to_date() {
    let files = generate();
    let regenerate = std::env::var_os("HEARTH_REGENERATE_VECTORS").is_some_and(|v| v == "1");
    for (name, text) in &files {
        let path = dir().join(name);
        if regenerate {
            std::fs::write(&path, text).expect("write vector file");
            continue;
        }
        let on_disk = std::fs::read(&path).unwrap_or_default();
        assert!(
            on_disk == text.as_bytes(),
            "{} differs from the generator; run with HEARTH_REGENERATE_VECTORS=1 and review the diff",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------------

fn unhex(v: &Json) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn load(name: &str) -> Vec<Json> {
    // While the files are being rewritten, check the freshly generated content instead.
    let regenerating = std::env::var_os("HEARTH_REGENERATE_VECTORS").is_some_and(|v| v == "1");
    let text = if regenerating {
        generate().remove(name).expect("generated file")
    } else {
        std::fs::read_to_string(dir().join(name)).expect("vector file")
    };
    let v: Json = serde_json::from_str(&text).expect("json");
    assert_eq!(v["format"], FORMAT);
    v["vectors"].as_array().expect("vectors").clone()
}

fn check_sign1(v: &Json) {
    let name = v["name"].as_str().expect("name");
    let keys: HashMap<KeyId, PublicKey> = v["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| {
            let k = PublicKey::from_cose_key(&unhex(k)).expect("key");
            (k.key_id(), k)
        })
        .collect();
    let got = verify_sign1(&unhex(&v["message"]), &unhex(&v["aad"]), &keys);
    let e = &v["expected"];
    match e["result"].as_str() {
        Some("ok") => {
            let got = got.unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(hex::encode(got.kid.0), e["kid"], "{name}");
            assert_eq!(got.alg.cose_id(), e["alg"].as_i64().expect("alg"), "{name}");
            assert_eq!(hex::encode(&got.payload), e["payload"], "{name}");
        }
        _ => assert_eq!(
            got.map_err(|e| e.code()).err(),
            e["error"].as_str(),
            "{name}"
        ),
    }
    if let Some(s) = v.get("seed") {
        let kp =
            KeyPair::from_ed25519_seed(&unhex(s).try_into().expect("32-byte seed")).expect("seed");
        assert!(
            keys.contains_key(kp.key_id()),
            "{name}: seed matches the key"
        );
    }
}

fn check_chain(v: &Json) {
    let name = v["name"].as_str().expect("name");
    let mut trust = TrustStore::new();
    for r in v["trust"].as_array().expect("trust") {
        trust.add_root_bytes(&unhex(r)).expect("root");
    }
    let now = v["now"].as_u64().expect("now");
    let mut revoked = RevocationSet::new();
    for l in v["revocation_lists"].as_array().expect("lists") {
        let issuer = Certificate::from_bytes(&unhex(&l["issuer"])).expect("issuer");
        revoked.add(&unhex(&l["list"]), &issuer, now).expect("list");
    }
    let parsed: Result<Vec<Certificate>, _> = v["chain"]
        .as_array()
        .expect("chain")
        .iter()
        .map(|c| Certificate::from_bytes(&unhex(c)))
        .collect();
    let got = parsed.and_then(|chain| validate_chain(&trust, &chain, now, &revoked));
    let e = &v["expected"];
    match e["result"].as_str() {
        Some("ok") => {
            let got = got.unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(got.role().name(), e["role"], "{name}");
            assert_eq!(hex::encode(got.leaf_kid.0), e["leaf_kid"], "{name}");
            let cas: Vec<Json> = got.ca_kids.iter().map(|k| h(&k.0)).collect();
            assert_eq!(Json::Array(cas), e["ca_kids"], "{name}");
        }
        _ => assert_eq!(
            got.map_err(|e| e.code()).err(),
            e["error"].as_str(),
            "{name}"
        ),
    }
}

fn check_replay(v: &Json) {
    let name = v["name"].as_str().expect("name");
    let mut w = ReplayWindow::new();
    for s in v["steps"].as_array().expect("steps") {
        let c = s["counter"].as_u64().expect("counter");
        let got = match w.accept(c) {
            Ok(()) => "accepted",
            Err(e) => e.code(),
        };
        assert_eq!(got, s["expected"], "{name}: counter {c}");
    }
}

fn check_acl(v: &Json) {
    let name = v["name"].as_str().expect("name");
    let s = &v["signer"];
    let kid = |j: &Json| KeyId::from_hex(j.as_str().expect("hex")).expect("kid");
    let role = Role::from_name(s["role"].as_str().expect("role")).expect("role");
    let chain = ValidatedChain {
        leaf: CertClaims {
            issuer: "issuer".into(),
            subject: "signer".into(),
            issued_at: 0,
            not_before: 0,
            expires: 1,
            key: *ed(1).public_key(),
            role,
            vendor_id: None,
            device_type: None,
            model: None,
        },
        leaf_kid: kid(&s["leaf_kid"]),
        ca_kids: s["ca_kids"]
            .as_array()
            .expect("ca_kids")
            .iter()
            .map(kid)
            .collect(),
        valid_from: 0,
        valid_until: 1,
    };
    let op = v["operation"].as_str().expect("operation");
    let (_, op) = OPERATIONS
        .iter()
        .find(|(n, _)| *n == op)
        .expect("known operation");
    let got = Acl::from_cbor(&unhex(&v["acl"])).and_then(|acl| acl.authorize(&chain, *op));
    let e = &v["expected"];
    match e["result"].as_str() {
        Some("ok") => assert_eq!(got, Ok(()), "{name}"),
        _ => assert_eq!(
            got.map_err(|e| e.code()).err(),
            e["error"].as_str(),
            "{name}"
        ),
    }
}

#[test]
fn vectors_hold() {
    let s = load("sign1.json");
    assert!(s.len() >= 15);
    s.iter().for_each(check_sign1);
    let c = load("chains.json");
    assert!(c.len() >= 15);
    c.iter().for_each(check_chain);
    let r = load("replay.json");
    assert!(!r.is_empty());
    r.iter().for_each(check_replay);
    let a = load("acl.json");
    assert!(a.len() >= 10);
    a.iter().for_each(check_acl);
}

/// Prints fresh ES256 signatures for the constants above (run with `--ignored
/// --nocapture` only when the ES256 vectors' protected header or payload change).
#[test]
#[ignore = "produces new randomized ES256 signatures for the vector constants"]
fn print_es256_signatures() {
    let d = <[u8; 32]>::try_from(hex::decode(P256_D).expect("d").as_slice()).expect("32");
    let k = KeyPair::from_p256_parts(&d, p256_public().as_bytes()).expect("key");
    for alg in [iana::Algorithm::ES256, iana::Algorithm::ESP256] {
        let mut sig = Vec::new();
        let _ = custom_sign1(
            HeaderBuilder::new()
                .algorithm(alg)
                .key_id(k.key_id().0.to_vec())
                .build(),
            HeaderBuilder::new().build(),
            Some(PAYLOAD),
            TOPIC.as_bytes(),
            |tbs| {
                sig = k.sign_raw(tbs).expect("sign");
                sig.clone()
            },
        );
        println!("{alg:?}: {}", hex::encode(&sig));
    }
}
