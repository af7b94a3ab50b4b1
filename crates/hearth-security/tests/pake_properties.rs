//! Property tests of SPAKE2+ through the public API, messages carried as bytes: the same
//! passcode always agrees, different passcodes never do, and no input from a peer panics.

use hearth_security::pake::{
    Context, PakeError, Prover, ProverSecret, Verifier, VerifierRecord, CONFIRM_LEN,
    PBKDF_OUTPUT_LEN, SHARE_LEN,
};
use proptest::prelude::*;
use ring::rand::SystemRandom;

fn context() -> Context {
    Context::new(b"hearth commissioning test", b"commissioner", b"fff1/fan-1").expect("context")
}

/// One full run with the verifier's record stored and loaded on the way; each side's key,
/// or the first error.
fn run(prover: &ProverSecret, record: &VerifierRecord) -> Result<([u8; 32], [u8; 32]), PakeError> {
    let rng = SystemRandom::new();
    let record = VerifierRecord::from_bytes(&record.to_bytes()[..])?;
    let mut p = Prover::new(prover, context());
    let mut v = Verifier::new(&record, context());
    let share_p = p.start(&rng)?;
    let (share_v, confirm_v) = v.respond(&share_p, &rng)?;
    p.receive_share(&share_v)?;
    let (confirm_p, prover_key) = p.finish(&confirm_v)?;
    let verifier_key = v.finish(&confirm_p)?;
    Ok((*prover_key.as_bytes(), *verifier_key.as_bytes()))
}

fn seed() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), PBKDF_OUTPUT_LEN)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // HRT-COM-030: a prover and a verifier with the same secret always agree on the key.
    #[test]
    fn same_secret_agrees(seed in seed()) {
        let secret = ProverSecret::from_pbkdf_output(&seed).expect("non-zero halves");
        let (p, v) = run(&secret, &secret.verifier_record()).expect("run");
        prop_assert_eq!(p, v);
    }

    // HRT-COM-030, HRT-COM-034: a different secret is refused by the prover at confirmV,
    // before it reveals confirmP.
    #[test]
    fn different_secrets_never_agree(a in seed(), b in seed()) {
        prop_assume!(a != b);
        let prover = ProverSecret::from_pbkdf_output(&a).expect("a");
        let device = ProverSecret::from_pbkdf_output(&b).expect("b");
        prop_assert_eq!(
            run(&prover, &device.verifier_record()).map(|_| ()),
            Err(PakeError::ConfirmationMismatch)
        );
    }

    // HRT-COM-033: arbitrary bytes as shareP never panic; only a point of the curve is taken.
    #[test]
    fn arbitrary_share_p_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let secret = ProverSecret::from_pbkdf_output(&[9; PBKDF_OUTPUT_LEN]).expect("secret");
        let mut v = Verifier::new(&secret.verifier_record(), context());
        if let Ok((share_v, _)) = v.respond(&bytes, &SystemRandom::new()) {
            prop_assert_eq!(bytes.len(), SHARE_LEN);
            prop_assert_eq!(share_v.len(), SHARE_LEN);
        }
        let _ = v.finish(&bytes);
    }

    // HRT-COM-033: arbitrary bytes as shareV and confirmV never panic.
    #[test]
    fn arbitrary_share_v_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let secret = ProverSecret::from_pbkdf_output(&[9; PBKDF_OUTPUT_LEN]).expect("secret");
        let mut p = Prover::new(&secret, context());
        p.start(&SystemRandom::new()).expect("start");
        if p.receive_share(&bytes).is_ok() {
            prop_assert_eq!(bytes.len(), SHARE_LEN);
            let confirm = bytes.get(..CONFIRM_LEN).unwrap_or_default();
            prop_assert!(p.finish(confirm).is_err());
        }
    }

    // Arbitrary bytes as a stored record never panic.
    #[test]
    fn arbitrary_record_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let _ = VerifierRecord::from_bytes(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    // HRT-COM-031: passcodes derived with the same salt and count agree only when equal.
    #[test]
    fn passcodes_agree_only_when_equal(a in 0u32..100_000_000, b in 0u32..100_000_000) {
        let salt = b"hearth-test-salt";
        let prover = ProverSecret::from_passcode(a, salt, 1000).expect("a");
        let device = ProverSecret::from_passcode(b, salt, 1000).expect("b");
        let outcome = run(&prover, &device.verifier_record());
        if a == b {
            prop_assert!(outcome.is_ok());
        } else {
            prop_assert_eq!(outcome.map(|_| ()), Err(PakeError::ConfirmationMismatch));
        }
    }
}
