//! Property tests: signatures round-trip and resist every bit flip, parsers never panic,
//! the replay window matches its specification.

use std::collections::BTreeSet;

use hearth_security::cert::{CertClaims, Role};
use hearth_security::replay::WINDOW;
use hearth_security::{
    diag, sign1, verify_sign1, Acl, Certificate, KeyPair, PublicKey, ReplayError, ReplayWindow,
    RevocationList, Sign1,
};
use proptest::prelude::*;

fn key() -> KeyPair {
    KeyPair::from_ed25519_seed(&[0x5a; 32]).expect("seed")
}

fn cert() -> Certificate {
    let k = key();
    let c = CertClaims {
        issuer: "root".into(),
        subject: "root".into(),
        issued_at: 1,
        not_before: 1,
        expires: 2,
        key: *k.public_key(),
        role: Role::Root,
        vendor_id: None,
        device_type: None,
        model: None,
    };
    Certificate::issue(&c, None, &k).expect("root")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    // HRT-SEC-020, HRT-SEC-024, HRT-SEC-034: verify(sign(m)) holds.
    #[test]
    fn sign_verify_round_trip(payload in proptest::collection::vec(any::<u8>(), 0..512),
                              topic in "[a-z0-9/]{0,64}") {
        let k = key();
        let msg = sign1(&k, &payload, topic.as_bytes()).expect("sign");
        let v = verify_sign1(&msg, topic.as_bytes(), k.public_key()).expect("verify");
        prop_assert_eq!(v.payload, payload);
        prop_assert_eq!(v.kid, *k.key_id());
    }

    // HRT-SEC-030, HRT-SEC-034: any bit flip in header, payload or signature is rejected.
    #[test]
    fn any_bit_flip_rejected(payload in proptest::collection::vec(any::<u8>(), 1..64),
                             bit in any::<proptest::sample::Index>()) {
        let k = key();
        let msg = sign1(&k, &payload, b"d/x/report").expect("sign");
        let i = bit.index(msg.len() * 8);
        let mut bad = msg.clone();
        bad[i / 8] ^= 1 << (i % 8);
        prop_assert!(verify_sign1(&bad, b"d/x/report", k.public_key()).is_err(),
            "flip of bit {} accepted", i);
    }

    // HRT-SEC-034: a different AAD (topic) is rejected.
    #[test]
    fn other_aad_rejected(a in "[a-z/]{1,32}", b in "[a-z/]{1,32}") {
        prop_assume!(a != b);
        let k = key();
        let msg = sign1(&k, b"p", a.as_bytes()).expect("sign");
        prop_assert!(verify_sign1(&msg, b.as_bytes(), k.public_key()).is_err());
    }

    // HRT-SEC-068: any bit flip in a certificate makes it fail to parse or to verify.
    #[test]
    fn certificate_bit_flip_rejected(bit in any::<proptest::sample::Index>()) {
        let c = cert();
        let bytes = c.as_bytes();
        let i = bit.index(bytes.len() * 8);
        let mut bad = bytes.to_vec();
        bad[i / 8] ^= 1 << (i % 8);
        let rejected = match Certificate::from_bytes(&bad) {
            Err(_) => true,
            Ok(parsed) => parsed.verify_signature(&c.claims().key).is_err(),
        };
        prop_assert!(rejected, "flip of bit {} accepted", i);
    }

    // HRT-SEC-130: no parser panics on arbitrary input.
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let k = key();
        let root = cert();
        let _ = Sign1::parse(&bytes);
        let _ = verify_sign1(&bytes, b"t", k.public_key());
        let _ = Certificate::from_bytes(&bytes);
        let _ = CertClaims::from_cbor(&bytes);
        let _ = RevocationList::verify(&bytes, &root, 1);
        let _ = PublicKey::from_cose_key(&bytes);
        let _ = KeyPair::from_cose_key(&bytes);
        let _ = Acl::from_cbor(&bytes);
        let _ = diag::describe(&bytes);
    }

    // HRT-SEC-130: no parser panics on mutations of valid input.
    #[test]
    fn mutated_inputs_never_panic(flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 1..8)) {
        let k = key();
        let root = cert();
        for base in [root.as_bytes().to_vec(), k.to_cose_key(), sign1(&k, b"p", b"t").expect("sign")] {
            let mut m = base.clone();
            for (i, v) in &flips {
                let at = i.index(m.len());
                m[at] = *v;
            }
            let _ = Sign1::parse(&m);
            let _ = verify_sign1(&m, b"t", k.public_key());
            let _ = Certificate::from_bytes(&m);
            let _ = KeyPair::from_cose_key(&m);
            let _ = PublicKey::from_cose_key(&m);
            let _ = diag::describe(&m);
        }
    }

    // HRT-SEC-096 … HRT-SEC-099: the window accepts each counter once, in any order
    // within the window, and rejects anything older than the window.
    #[test]
    fn replay_window_model(counters in proptest::collection::vec(0u64..300, 1..200)) {
        let mut w = ReplayWindow::new();
        let mut accepted = BTreeSet::new();
        let mut highest: Option<u64> = None;
        for c in counters {
            let expect = match highest {
                Some(h) if c + WINDOW <= h => Err(ReplayError::TooOld { counter: c, highest: h }),
                _ if accepted.contains(&c) => Err(ReplayError::Replayed { counter: c }),
                _ => Ok(()),
            };
            prop_assert_eq!(w.accept(c), expect);
            if expect.is_ok() {
                accepted.insert(c);
                highest = Some(highest.map_or(c, |h| h.max(c)));
            }
        }
    }

    // HRT-SEC-099: any permutation of a window's worth of counters is accepted once.
    #[test]
    fn replay_window_any_order(perm in Just((0..WINDOW).collect::<Vec<_>>()).prop_shuffle()) {
        let mut w = ReplayWindow::new();
        w.accept(1_000 + WINDOW - 1).expect("first");
        for c in &perm {
            let c = 1_000 + c;
            if c == 1_000 + WINDOW - 1 { continue; }
            prop_assert_eq!(w.accept(c), Ok(()));
        }
        for c in &perm {
            let c = 1_000 + c;
            prop_assert_eq!(w.accept(c), Err(ReplayError::Replayed { counter: c }));
        }
        let old = matches!(w.accept(999), Err(ReplayError::TooOld { .. }));
        prop_assert!(old, "999 is older than the window");
    }
}
