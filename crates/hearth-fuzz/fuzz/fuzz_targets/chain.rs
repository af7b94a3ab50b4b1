//! Certificate chains with trust anchors and revocation lists, all from the input, as the
//! `hearth pki verify` command and a receiver see them: `hearth_security::pki::
//! verify_chain_with_revocations` and `hearth_wire::Receiver::{apply_revocation_list,
//! validate, admit_chain}`.
//!
//! Input: the validation time (eight bytes, big-endian), then records of a tag byte and a
//! length-prefixed chunk: tag 0 a trust anchor, 1 a chain certificate (trust-anchor side
//! first), 2 a revocation list. At most 8 records are read.
#![no_main]

use hearth_fuzz::Reader;
use hearth_security::cert::TrustStore;
use hearth_security::pki::{verify_chain_bytes, verify_chain_with_revocations};
use hearth_security::revocation::RevocationList;
use hearth_wire::Receiver;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Reader::new(data);
    let now = input.u64();
    let (mut roots, mut chain, mut lists) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..8 {
        if input.is_empty() {
            break;
        }
        let tag = input.u8();
        let chunk = input.chunk();
        match tag % 3 {
            0 => roots.push(chunk),
            1 => chain.push(chunk),
            _ => lists.push(chunk),
        }
    }

    let _ = verify_chain_bytes(&roots, &chain, now);
    let _ = verify_chain_with_revocations(&roots, &chain, &lists, now);

    let mut trust = TrustStore::new();
    for root in &roots {
        let _ = trust.add_root_bytes(root);
    }
    let mut receiver = Receiver::new(trust);
    let carried: Vec<Vec<u8>> = chain.iter().rev().map(|c| c.to_vec()).collect();
    let _ = receiver.validate(&carried, now);
    if receiver.admit_chain(&carried, now).is_ok() {
        for list in &lists {
            if let Ok(kid) = RevocationList::signer_kid(list) {
                let _ = receiver.apply_revocation_list(&kid, list, now);
            }
        }
        let _ = receiver.validate(&carried, now);
    }
});
