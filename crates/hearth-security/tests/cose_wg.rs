//! The COSE WG examples (github.com/cose-wg/Examples, public domain) run against the
//! generic COSE_Sign1 parser and `Sig_structure` of this crate: every `sign-pass-*` must
//! verify, every `sign-fail-*` must fail, and the Sign1 examples of the EdDSA and ECDSA
//! sets must verify. Files are in `conformance/vectors/cose-wg/`.
//!
//! Requirements exercised: HRT-SEC-030 (COSE_Sign1 structure), HRT-SEC-035 (`Sig_structure`
//! over the protected bytes as received; an empty map as the zero-length string),
//! HRT-SEC-005 (unknown algorithms rejected).

use std::path::{Path, PathBuf};

use hearth_security::{Algorithm, PublicKey, Sign1};
use serde_json::Value as Json;

/// Files deliberately not run, each with its reason. Every other file in scope is run.
const SKIPS: &[(&str, &str)] = &[
    (
        "eddsa-examples/eddsa-01.json",
        "COSE_Sign (tag 98, multi-signer) is outside the Hearth profile, which uses COSE_Sign1 only",
    ),
    (
        "eddsa-examples/eddsa-02.json",
        "COSE_Sign (tag 98) is outside the Hearth profile; also Ed448, which ring lacks",
    ),
    (
        "eddsa-examples/eddsa-sig-02.json",
        "Ed448: ring implements Ed25519 only",
    ),
    (
        "ecdsa-examples/ecdsa-01.json",
        "COSE_Sign (tag 98, multi-signer) is outside the Hearth profile",
    ),
    (
        "ecdsa-examples/ecdsa-02.json",
        "COSE_Sign (tag 98, multi-signer) is outside the Hearth profile",
    ),
    (
        "ecdsa-examples/ecdsa-03.json",
        "COSE_Sign (tag 98) is outside the Hearth profile; also ES512 on P-521, which ring lacks",
    ),
    (
        "ecdsa-examples/ecdsa-04.json",
        "COSE_Sign (tag 98) is outside the Hearth profile; also ES512 (SHA-512) on P-256, which ring lacks",
    ),
    (
        "ecdsa-examples/ecdsa-sig-03.json",
        "ES512 on P-521: ring has no P-521",
    ),
    (
        "ecdsa-examples/ecdsa-sig-04.json",
        "ES512 (ECDSA with SHA-512) on P-256: ring pairs P-256 with SHA-256 only",
    ),
];

const DIRS: [&str; 3] = ["sign1-tests", "eddsa-examples", "ecdsa-examples"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conformance/vectors/cose-wg")
}

fn b64url(s: &str) -> Vec<u8> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut bits, mut n, mut out) = (0u32, 0, Vec::new());
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = T.iter().position(|&d| d == c).expect("base64url digit") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

fn coord(key: &Json, name: &str) -> Option<Vec<u8>> {
    if let Some(h) = key.get(format!("{name}_hex")).and_then(Json::as_str) {
        return Some(hex::decode(h).expect("hex"));
    }
    key.get(name).and_then(Json::as_str).map(b64url)
}

/// The verification key of an example and the ring algorithm for it.
enum VKey {
    /// Through this crate's `PublicKey` (Ed25519, P-256).
    Hearth(PublicKey),
    /// ES384: ring supports it, Hearth does not; verified with ring directly.
    P384(Vec<u8>),
}

fn load_key(key: &Json) -> VKey {
    let crv = key["crv"].as_str().expect("crv");
    let x = coord(key, "x").expect("x");
    match crv {
        "Ed25519" => VKey::Hearth(PublicKey::from_raw(Algorithm::EdDsa, &x).expect("Ed25519")),
        "P-256" | "P-384" => {
            let mut p = vec![4u8];
            p.extend(x);
            p.extend(coord(key, "y").expect("y"));
            if crv == "P-256" {
                VKey::Hearth(PublicKey::from_raw(Algorithm::Es256, &p).expect("P-256"))
            } else {
                VKey::P384(p)
            }
        }
        other => panic!("curve {other} is not in scope and must be listed in SKIPS"),
    }
}

fn alg_of(s: &Sign1) -> Option<i64> {
    let a = s.protected.alg.as_ref().or(s.unprotected.alg.as_ref())?;
    match a {
        coset::Algorithm::Assigned(a) => Some(coset::iana::EnumI64::to_i64(a)),
        coset::Algorithm::PrivateUse(i) => Some(*i),
        coset::Algorithm::Text(_) => None,
    }
}

/// Verify an example; `Err` carries why it failed.
fn verify(example: &Json, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let input = &example["input"];
    let sign0 = input.get("sign0").expect("Sign1 example");
    let aad = sign0
        .get("external")
        .and_then(Json::as_str)
        .map(|h| hex::decode(h).expect("external hex"))
        .unwrap_or_default();
    let s = Sign1::parse(bytes).map_err(|e| e.to_string())?;
    let tbs = s.to_be_signed(&aad, None);
    let alg = alg_of(&s).ok_or("no algorithm")?;
    match (load_key(&sign0["key"]), alg) {
        (VKey::Hearth(k), -7 | -8) => {
            let alg = Algorithm::from_cose_id(alg).ok_or("algorithm")?;
            k.verify(alg, &tbs, &s.signature)
                .map_err(|e| e.to_string())?;
        }
        (VKey::P384(p), -35) => {
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_FIXED, p)
                .verify(&tbs, &s.signature)
                .map_err(|_| "bad signature".to_owned())?;
        }
        (_, other) => return Err(format!("algorithm {other} does not fit the key")),
    }
    if let Some(expected) = example["intermediates"]
        .get("ToBeSign_hex")
        .and_then(Json::as_str)
    {
        if example.get("fail").and_then(Json::as_bool) != Some(true) {
            assert_eq!(hex::encode_upper(&tbs), expected, "Sig_structure");
        }
    }
    Ok(s.payload.unwrap_or_default())
}

// HRT-SEC-005, HRT-SEC-030, HRT-SEC-035
#[test]
fn cose_wg_examples() {
    let mut ran = Vec::new();
    let mut skipped = Vec::new();
    for dir in DIRS {
        let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
            .expect("vector directory")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for path in files {
            let name = format!(
                "{dir}/{}",
                path.file_name().expect("name").to_string_lossy()
            );
            if let Some((_, reason)) = SKIPS.iter().find(|(f, _)| *f == name) {
                assert!(!reason.is_empty());
                skipped.push(name);
                continue;
            }
            let example: Json =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            let bytes =
                hex::decode(example["output"]["cbor"].as_str().expect("cbor")).expect("cbor hex");
            let should_fail = example.get("fail").and_then(Json::as_bool) == Some(true);
            let result = verify(&example, &bytes);
            if should_fail {
                assert!(result.is_err(), "{name} must fail but verified");
            } else {
                let payload = result.unwrap_or_else(|e| panic!("{name} must verify: {e}"));
                let plaintext = example["input"]["plaintext"].as_str().expect("plaintext");
                assert_eq!(payload, plaintext.as_bytes(), "{name} payload");
            }
            ran.push(name);
        }
    }
    assert_eq!(
        skipped.len(),
        SKIPS.len(),
        "every skip names an existing file"
    );
    for must in [
        "sign1-tests/sign-pass-01.json",
        "sign1-tests/sign-pass-02.json",
        "sign1-tests/sign-pass-03.json",
        "sign1-tests/sign-fail-01.json",
        "sign1-tests/sign-fail-02.json",
        "sign1-tests/sign-fail-03.json",
        "sign1-tests/sign-fail-04.json",
        "sign1-tests/sign-fail-06.json",
        "sign1-tests/sign-fail-07.json",
        "eddsa-examples/eddsa-sig-01.json",
        "ecdsa-examples/ecdsa-sig-01.json",
        "ecdsa-examples/ecdsa-sig-02.json",
    ] {
        assert!(ran.iter().any(|r| r == must), "{must} was not run");
    }
}

// HRT-SEC-035: coset verifies over the protected bytes as received (h'a0'), while the
// example was signed with the zero-length string RFC 9052 §4.4 prescribes for an empty
// protected header; this crate's Sig_structure follows §4.4.
#[test]
fn sign_pass_01_empty_protected_map() {
    let example: Json = serde_json::from_str(
        &std::fs::read_to_string(root().join("sign1-tests/sign-pass-01.json")).expect("read"),
    )
    .expect("json");
    let bytes = hex::decode(example["output"]["cbor"].as_str().expect("cbor")).expect("hex");
    let s = Sign1::parse(&bytes).expect("parse");
    assert_eq!(s.protected_raw, [0xa0]);
    assert!(verify(&example, &bytes).is_ok());
    use coset::CborSerializable;
    let c = coset::CoseSign1::from_slice(&bytes[1..]).expect("coset parse");
    let via_coset = c.tbs_data(b"");
    assert_ne!(via_coset, s.to_be_signed(b"", None));
}
