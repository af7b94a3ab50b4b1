//! SPAKE2+ against RFC 9383's vector and the Matter SDK's published verifier record
//! (`conformance/vectors/spake2plus/`), value by value through both roles, and every
//! refusal of malformed input.

use super::*;
use serde_json::Value;

fn vectors() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance/vectors/spake2plus/vectors.json");
    let text = std::fs::read_to_string(&path).expect("vector file");
    let doc: Value = serde_json::from_str(&text).expect("vector JSON");
    assert_eq!(doc["format"], "hearth-spake2plus-vectors/1");
    assert_eq!(doc["suite"], SUITE);
    doc
}

fn hex_of(vector: &Value, field: &str) -> Vec<u8> {
    hex::decode(vector[field].as_str().expect(field)).expect(field)
}

fn text_of<'a>(vector: &'a Value, field: &str) -> &'a [u8] {
    vector[field].as_str().expect(field).as_bytes()
}

fn context_of(vector: &Value) -> Context {
    Context::new(
        text_of(vector, "context"),
        text_of(vector, "idProver"),
        text_of(vector, "idVerifier"),
    )
    .expect("context")
}

/// Every exchange vector, every value, through the prover and the verifier: `L`, both
/// shares, `Z` and `V` as each side computes them, `TT`, `K_main`, both confirmation keys,
/// both MACs and `K_shared` (HRT-COM-030).
#[test]
fn rfc9383_vectors_hold_for_both_roles() {
    let doc = vectors();
    let exchanges = doc["exchange"].as_array().expect("exchange vectors");
    assert!(!exchanges.is_empty());
    for v in exchanges {
        let name = v["name"].as_str().expect("name");
        let same = |got: &[u8], field: &str, what: &str| {
            assert_eq!(got.to_vec(), hex_of(v, field), "{name}: {what}");
        };
        let secret = ProverSecret::from_scalars(&hex_of(v, "w0"), &hex_of(v, "w1")).expect(name);
        let record = secret.verifier_record();
        same(&record.l_bytes().expect("L"), "L", "L");

        // The parts each side computes on its own.
        let x = parse_scalar(&hex_of(v, "x")).expect("x");
        let y = parse_scalar(&hex_of(v, "y")).expect("y");
        let share_p = encode_point(&share(&x, &secret.w0, mask_m())).expect("X");
        let share_v = encode_point(&share(&y, &record.w0, mask_n())).expect("Y");
        same(&share_p, "shareP", "shareP");
        same(&share_v, "shareV", "shareV");
        let y_point = decode_point(&share_v).expect("Y decodes");
        let x_point = decode_point(&share_p).expect("X decodes");
        let (zp, vp) = shared_points(&y_point, mask_n(), &secret.w0, &x, |u| *u * *secret.w1)
            .expect("prover Z, V");
        let (zv, vv) = shared_points(&x_point, mask_m(), &record.w0, &y, |_| *record.l * *y)
            .expect("verifier Z, V");
        for (side, z, vv) in [("prover", zp, vp), ("verifier", zv, vv)] {
            same(&z, "Z", &format!("{side} Z"));
            same(&vv, "V", &format!("{side} V"));
        }
        let tt = transcript(&context_of(v), &share_p, &share_v, &zp, &vp, &secret.w0);
        same(&tt, "TT", "TT");
        let keys = key_schedule(&tt);
        same(&keys.k_main, "K_main", "K_main");
        same(&keys.confirm_p, "K_confirmP", "K_confirmP");
        same(&keys.confirm_v, "K_confirmV", "K_confirmV");
        same(&keys.shared, "K_shared", "K_shared");

        // The two sessions, with the messages as bytes.
        let mut prover = Prover::new(&secret, context_of(v));
        let mut verifier = Verifier::new(&record, context_of(v));
        let sent_p = prover.start_with_scalar(&hex_of(v, "x")).expect("start");
        same(&sent_p, "shareP", "session shareP");
        let (sent_v, confirm_v) = verifier
            .respond_with_scalar(&sent_p, &hex_of(v, "y"))
            .expect("respond");
        same(&sent_v, "shareV", "session shareV");
        same(&confirm_v, "confirmV", "confirmV");
        let VerifierState::Confirming { keys } = &verifier.state else {
            panic!("{name}: verifier waits for confirmP");
        };
        same(&keys.k_main, "K_main", "verifier K_main");
        prover.receive_share(&sent_v).expect("receive_share");
        let ProverState::Confirming { keys } = &prover.state else {
            panic!("{name}: prover waits for confirmV");
        };
        same(&keys.k_main, "K_main", "prover K_main");
        let (confirm_p, prover_key) = prover.finish(&confirm_v).expect("prover finish");
        same(&confirm_p, "confirmP", "confirmP");
        let verifier_key = verifier.finish(&confirm_p).expect("verifier finish");
        same(prover_key.as_bytes(), "K_shared", "prover K_shared");
        same(verifier_key.as_bytes(), "K_shared", "verifier K_shared");
    }
}

/// The passcode derivation gives the verifier record the Matter SDK publishes for its test
/// setup (HRT-COM-031, HRT-COM-032).
#[test]
fn passcode_derivation_matches_the_published_record() {
    let doc = vectors();
    for v in doc["derivation"].as_array().expect("derivation vectors") {
        let name = v["name"].as_str().expect("name");
        let passcode = u32::try_from(v["passcode"].as_u64().expect("passcode")).expect("u32");
        let iterations = u32::try_from(v["iterations"].as_u64().expect("iterations")).expect("u32");
        let secret =
            ProverSecret::from_passcode(passcode, &hex_of(v, "salt"), iterations).expect(name);
        let record = secret.verifier_record();
        assert_eq!(
            record.to_bytes().to_vec(),
            hex_of(v, "record"),
            "{name}: record"
        );
        let parsed = VerifierRecord::from_bytes(&hex_of(v, "record")).expect("record parses");
        assert_eq!(parsed.to_bytes()[..], record.to_bytes()[..]);
    }
}

fn vector_parts() -> (ProverSecret, VerifierRecord, Context) {
    let doc = vectors();
    let v = &doc["exchange"][0];
    let secret = ProverSecret::from_scalars(&hex_of(v, "w0"), &hex_of(v, "w1")).expect("secret");
    let record = secret.verifier_record();
    (secret, record, context_of(v))
}

fn share_variants() -> Vec<(Vec<u8>, PakeError)> {
    let (secret, record, _) = vector_parts();
    let generator = encode_point(&ProjectivePoint::GENERATOR).expect("P");
    let mut off_curve = generator;
    off_curve[64] ^= 1;
    let mut x_too_big = generator;
    x_too_big[1..33].copy_from_slice(&[0xff; 32]);
    let compressed = ProjectivePoint::GENERATOR
        .to_affine()
        .to_encoded_point(true);
    let mask_p = encode_point(&(*mask_m() * *secret.w0)).expect("w0*M");
    let mask_v = encode_point(&(*mask_n() * *record.w0)).expect("w0*N");
    vec![
        (vec![], PakeError::ShareLength { actual: 0 }),
        (vec![0x00], PakeError::IdentityPoint),
        (
            generator[..64].to_vec(),
            PakeError::ShareLength { actual: 64 },
        ),
        (
            [&generator[..], &[0]].concat(),
            PakeError::ShareLength { actual: 66 },
        ),
        (
            compressed.as_bytes().to_vec(),
            PakeError::ShareLength { actual: 33 },
        ),
        (
            [&[0x02], &generator[1..]].concat(),
            PakeError::PointEncoding { tag: 0x02 },
        ),
        (
            [&[0x06], &generator[1..]].concat(),
            PakeError::PointEncoding { tag: 0x06 },
        ),
        (off_curve.to_vec(), PakeError::NotOnCurve),
        (x_too_big.to_vec(), PakeError::NotOnCurve),
        // Only as the share of the matching side does a mask cancel.
        (mask_v.to_vec(), PakeError::DegenerateShare),
        (mask_p.to_vec(), PakeError::DegenerateShare),
    ]
}

/// Every malformed share of [`share_variants`] but the side's own mask `w0*mask` (an
/// ordinary point to it), given to a fresh session by `receive`, is refused with its own
/// error, and the session is over: `finish` finds it failed.
fn refuses_malformed_shares<S>(
    (mask, w0): (&ProjectivePoint, &Scalar),
    mut session: impl FnMut(&ring::rand::SystemRandom) -> S,
    receive: impl Fn(&mut S, &[u8], &ring::rand::SystemRandom) -> Result<(), PakeError>,
    finish: impl Fn(&mut S) -> Result<(), PakeError>,
) {
    let rng = ring::rand::SystemRandom::new();
    let own_mask = encode_point(&(*mask * *w0)).expect("w0 times the own mask");
    for (share, expected) in share_variants() {
        if share == own_mask {
            continue;
        }
        let mut s = session(&rng);
        let refused = receive(&mut s, &share, &rng);
        assert_eq!(refused, Err(expected), "{}", hex::encode(&share));
        assert!(matches!(
            finish(&mut s),
            Err(PakeError::OutOfOrder {
                state: "failed",
                ..
            })
        ));
    }
}

/// A prover refuses every malformed `shareV` with its own error, and the session is over
/// (HRT-COM-033).
#[test]
fn prover_refuses_malformed_shares() {
    let (secret, _, context) = vector_parts();
    refuses_malformed_shares(
        (mask_m(), &secret.w0),
        |rng| {
            let mut prover = Prover::new(&secret, context.clone());
            prover.start(rng).expect("start");
            prover
        },
        |prover, share, _| prover.receive_share(share).map(|_| ()),
        |prover| prover.finish(&[0; 32]).map(|_| ()),
    );
}

/// A verifier refuses every malformed `shareP` with its own error, and the session is over
/// (HRT-COM-033).
#[test]
fn verifier_refuses_malformed_shares() {
    let (_, record, context) = vector_parts();
    refuses_malformed_shares(
        (mask_n(), &record.w0),
        |_| Verifier::new(&record, context.clone()),
        |verifier, share, rng| verifier.respond(share, rng).map(|_| ()),
        |verifier| verifier.finish(&[0; 32]).map(|_| ()),
    );
}

/// A wrong or truncated confirmation is refused, on both sides, and ends the session
/// (HRT-COM-034).
#[test]
fn wrong_confirmations_are_refused() {
    let (secret, record, context) = vector_parts();
    let rng = ring::rand::SystemRandom::new();
    for bad in [vec![0u8; 32], vec![0u8; 31], vec![]] {
        let mut prover = Prover::new(&secret, context.clone());
        let mut verifier = Verifier::new(&record, context.clone());
        let share_p = prover.start(&rng).expect("start");
        let (share_v, mut confirm_v) = verifier.respond(&share_p, &rng).expect("respond");
        prover.receive_share(&share_v).expect("receive");
        let expected = if bad.len() == CONFIRM_LEN {
            PakeError::ConfirmationMismatch
        } else {
            PakeError::ConfirmationLength { actual: bad.len() }
        };
        assert_eq!(verifier.finish(&bad).map(|_| ()), Err(expected));
        confirm_v[0] ^= 1;
        assert_eq!(
            prover.finish(&confirm_v).map(|_| ()),
            Err(PakeError::ConfirmationMismatch)
        );
        assert!(matches!(
            prover.finish(&confirm_v),
            Err(PakeError::OutOfOrder { .. })
        ));
        assert!(matches!(
            verifier.finish(&bad),
            Err(PakeError::OutOfOrder { .. })
        ));
    }
}

/// Every step called out of order is refused with `OutOfOrder`, and ends the session.
#[test]
fn out_of_order_calls_are_refused() {
    let (secret, record, context) = vector_parts();
    let rng = ring::rand::SystemRandom::new();
    let share = encode_point(&ProjectivePoint::GENERATOR).expect("P");

    let mut prover = Prover::new(&secret, context.clone());
    assert_eq!(
        prover.receive_share(&share),
        Err(PakeError::OutOfOrder {
            call: "receive_share",
            state: "ready"
        })
    );
    let mut prover = Prover::new(&secret, context.clone());
    assert!(matches!(
        prover.finish(&[0; 32]),
        Err(PakeError::OutOfOrder { call: "finish", .. })
    ));
    let mut prover = Prover::new(&secret, context.clone());
    prover.start(&rng).expect("start");
    assert_eq!(
        prover.start(&rng),
        Err(PakeError::OutOfOrder {
            call: "start",
            state: "waiting for shareV"
        })
    );
    assert!(matches!(
        prover.receive_share(&share),
        Err(PakeError::OutOfOrder {
            state: "failed",
            ..
        })
    ));

    let mut verifier = Verifier::new(&record, context.clone());
    assert_eq!(
        verifier.finish(&[0; 32]).map(|_| ()),
        Err(PakeError::OutOfOrder {
            call: "finish",
            state: "ready"
        })
    );
    let mut verifier = Verifier::new(&record, context);
    let mut prover = Prover::new(&secret, context_of(&vectors()["exchange"][0]));
    let share_p = prover.start(&rng).expect("start");
    verifier.respond(&share_p, &rng).expect("respond");
    assert!(matches!(
        verifier.respond(&share_p, &rng),
        Err(PakeError::OutOfOrder {
            call: "respond",
            state: "waiting for confirmP"
        })
    ));
}

/// Derivation parameters and stored records outside their bounds are refused.
#[test]
fn derivation_inputs_and_records_are_checked() {
    let salt = [7u8; 16];
    assert_eq!(
        ProverSecret::from_passcode(20202021, &salt, 999).map(|_| ()),
        Err(PakeError::Iterations { iterations: 999 })
    );
    assert_eq!(
        ProverSecret::from_passcode(20202021, &salt, 100_001).map(|_| ()),
        Err(PakeError::Iterations {
            iterations: 100_001
        })
    );
    assert_eq!(
        ProverSecret::from_passcode(20202021, &salt[..15], 1000).map(|_| ()),
        Err(PakeError::SaltLength { actual: 15 })
    );
    assert_eq!(
        ProverSecret::from_passcode(20202021, &[0; 33], 1000).map(|_| ()),
        Err(PakeError::SaltLength { actual: 33 })
    );
    assert!(matches!(
        ProverSecret::from_pbkdf_output(&[1; 79]),
        Err(PakeError::Length { .. })
    ));
    assert_eq!(
        ProverSecret::from_pbkdf_output(&[0; 80]).map(|_| ()),
        Err(PakeError::InvalidScalar)
    );
    // The group order itself is not a scalar; nor is zero.
    let order =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").expect("n");
    assert_eq!(
        ProverSecret::from_scalars(&order, &[1; 32]).map(|_| ()),
        Err(PakeError::InvalidScalar)
    );
    assert_eq!(
        ProverSecret::from_scalars(&[0; 32], &[1; 32]).map(|_| ()),
        Err(PakeError::InvalidScalar)
    );
    assert_eq!(
        ProverSecret::from_scalars(&[1; 31], &[1; 32]).map(|_| ()),
        Err(PakeError::InvalidScalar)
    );

    let (_, record, _) = vector_parts();
    let good = record.to_bytes();
    assert!(matches!(
        VerifierRecord::from_bytes(&good[..96]),
        Err(PakeError::Length { .. })
    ));
    let mut zero_w0 = *good;
    zero_w0[..32].fill(0);
    assert_eq!(
        VerifierRecord::from_bytes(&zero_w0).map(|_| ()),
        Err(PakeError::InvalidScalar)
    );
    let mut bad_l = *good;
    bad_l[96] ^= 1;
    assert_eq!(
        VerifierRecord::from_bytes(&bad_l).map(|_| ()),
        Err(PakeError::NotOnCurve)
    );
    assert!(Context::new(&[0; 257], b"", b"").is_err());
    assert!(Context::new(&[0; 256], &[0; 256], &[0; 256]).is_ok());
}

/// Reducing a PBKDF half modulo the group order: a 40-byte value below the order is itself,
/// and the order plus one reduces to one.
#[test]
fn reduction_is_modulo_the_order() {
    let order =
        hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551").expect("n");
    let mut padded = vec![0u8; 8];
    padded.extend_from_slice(&order);
    assert_eq!(reduce(&padded), Scalar::ZERO);
    *padded.last_mut().expect("last") += 1;
    assert_eq!(reduce(&padded), Scalar::ONE);
    assert_eq!(reduce(&[0xff; 40]) + Scalar::ONE, {
        // 2^320 mod n, computed as (2^64)^5.
        let two64 = Scalar::from(u64::MAX) + Scalar::ONE;
        two64 * two64 * two64 * two64 * two64
    });
}

/// Secrets never show in `Debug` output.
#[test]
fn debug_shows_no_secret() {
    let (secret, record, context) = vector_parts();
    assert_eq!(format!("{secret:?}"), "ProverSecret(..)");
    assert_eq!(format!("{record:?}"), "VerifierRecord(..)");
    let prover = Prover::new(&secret, context);
    assert_eq!(format!("{prover:?}"), "Prover { state: \"ready\", .. }");
}

/// The commissioning context is the label, both chain hashes, the discriminator, the salt
/// and the iteration count, with the two leaf key ids as identities (HRT-COM-038,
/// HRT-COM-039); any difference in a chain changes it.
#[test]
fn commissioning_context_binds_both_chains() {
    let commissioner_chain = vec![vec![1u8; 40], vec![2u8; 50]];
    let device_chain = vec![vec![3u8; 60]];
    let session = CommissioningSession {
        commissioner_chain: &commissioner_chain,
        device_chain: &device_chain,
        discriminator: 0x0F00,
        salt: b"SPAKE2P Key Salt",
        iterations: 1000,
        commissioner_key: KeyId([0xc0; 16]),
        device_key: KeyId([0xde; 16]),
    };
    let context = Context::commissioning(&session).expect("context");
    // An array of two byte strings of 40 and 50 bytes: 0x82, 0x58 0x28 …, 0x58 0x32 ….
    let mut encoded = vec![0x82, 0x58, 40];
    encoded.extend_from_slice(&[1; 40]);
    encoded.extend_from_slice(&[0x58, 50]);
    encoded.extend_from_slice(&[2; 50]);
    let expected: Vec<u8> = [
        &b"hearth-commissioning-1"[..],
        &Sha256::digest(&encoded)[..],
        &chain_hash(&device_chain)[..],
        &[0x0f, 0x00][..],
        &b"SPAKE2P Key Salt"[..],
        &1000u32.to_be_bytes()[..],
    ]
    .concat();
    assert_eq!(context.context, expected);
    assert_eq!(context.prover_id, vec![0xc0; 16]);
    assert_eq!(context.verifier_id, vec![0xde; 16]);

    let other_chain = vec![vec![1u8; 40], vec![2u8; 51]];
    let other = Context::commissioning(&CommissioningSession {
        commissioner_chain: &other_chain,
        ..session
    })
    .expect("context");
    assert_ne!(other, context);

    // A run whose two sides bound different chains never confirms.
    let (secret, record, _) = vector_parts();
    let rng = ring::rand::SystemRandom::new();
    let mut prover = Prover::new(&secret, context);
    let mut verifier = Verifier::new(&record, other);
    let share_p = prover.start(&rng).expect("start");
    let (share_v, confirm_v) = verifier.respond(&share_p, &rng).expect("respond");
    prover.receive_share(&share_v).expect("receive");
    assert_eq!(
        prover.finish(&confirm_v).map(|_| ()),
        Err(PakeError::ConfirmationMismatch)
    );
}
