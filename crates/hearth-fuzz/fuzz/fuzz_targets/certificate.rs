//! Certificate parsing and validation (`hearth_security::cert`): every certificate arrives
//! from outside, in a message's chain, a trust file or a signed report.
//!
//! Input: a mode byte, then the bytes. Mode 0: the bytes are a certificate, parsed and
//! validated alone under the fixture's root. Mode 1: the bytes are a claims map, signed by
//! the fixture's vendor and validated under root → vendor; mode 2: signed by the root. The
//! signing modes let the fuzzer reach the chain rules behind the signature. A parsed
//! certificate must parse again to itself, and its claims encode and decode to themselves.
#![no_main]

use hearth_fuzz::{Pki, Reader, NOW};
use hearth_security::cert::{validate_chain, CertClaims, Certificate, TrustStore};
use hearth_security::revocation::RevocationSet;
use libfuzzer_sys::fuzz_target;

fn exercise(bytes: &[u8], issuers: &[&Certificate]) {
    let pki = Pki::get();
    let Ok(cert) = Certificate::from_bytes(bytes) else {
        return;
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
    let trust = pki.trust();
    if let Ok(validated) = validate_chain(&trust, &chain, NOW, &RevocationSet::new()) {
        let _ = validated.root_kid();
        let _ = validated.links().count();
    }
    let _ = TrustStore::new().add_root(cert);
}

fuzz_target!(|data: &[u8]| {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let rest = input.rest();
    match mode % 3 {
        0 => exercise(rest, &[]),
        1 => {
            if let Ok(claims) = CertClaims::from_cbor(rest) {
                assert_eq!(CertClaims::from_cbor(&claims.to_cbor()), Ok(claims));
            }
            if let Ok(bytes) = Certificate::sign_encoded_claims(rest, &pki.vendor.key) {
                exercise(&bytes, &[&pki.vendor.cert]);
            }
        }
        _ => {
            if let Ok(bytes) = Certificate::sign_encoded_claims(rest, &pki.root.key) {
                exercise(&bytes, &[]);
            }
        }
    }
});
