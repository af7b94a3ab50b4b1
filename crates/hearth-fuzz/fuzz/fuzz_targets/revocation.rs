//! Revocation lists (`hearth_security::revocation`), as a receiver takes them off the
//! transport (`hearth_wire::Receiver::apply_revocation_list`) and a verifier from a file.
//!
//! Input: a mode byte and the time (eight bytes, big-endian). Mode 0: an issuer certificate
//! (a length-prefixed chunk), then the list as received. Mode 1: the rest is the list's
//! payload, signed by the fixture's root first, so the fuzzer reaches the list's decoder
//! behind the signature; a list that verifies must issue and verify again to itself.
#![no_main]

use hearth_fuzz::{Pki, Reader};
use hearth_security::cert::{Certificate, TrustStore};
use hearth_security::revocation::{RevocationList, RevocationSet};
use hearth_wire::Receiver;
use libfuzzer_sys::fuzz_target;

fn exercise(list: &[u8], issuer: &Certificate, trust: TrustStore, now: u64) {
    let _ = RevocationList::signer_kid(list);
    if let Ok(verified) = RevocationList::verify(list, issuer, now) {
        let _ = verified.is_stale(now);
    }
    let mut set = RevocationSet::new();
    if set.add(list, issuer, now).is_ok() {
        let _ = set.add(list, issuer, now);
        let _ = set.is_revoked(issuer.subject_kid(), issuer.subject_kid());
    }
    let mut receiver = Receiver::new(trust);
    let _ = receiver.apply_revocation_list(issuer.subject_kid(), list, now);
}

fuzz_target!(|data: &[u8]| {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let now = input.u64();
    if mode & 1 == 0 {
        let Ok(issuer) = Certificate::from_bytes(input.chunk()) else {
            return;
        };
        let mut trust = TrustStore::new();
        let _ = trust.add_root(issuer.clone());
        exercise(input.rest(), &issuer, trust, now);
    } else {
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
        exercise(&signed, &root.cert, pki.trust(), now);
    }
});
