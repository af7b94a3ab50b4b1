//! Signed reports (`report.cose`): `hearth_report::signed::verify_report_with`, which
//! anyone verifying a lab's report runs on a file they were sent.
//!
//! Input: a mode byte and the verifier's clock (eight bytes, big-endian). Mode bit 0 clear:
//! a trust anchor (a length-prefixed chunk, added beside the fixture's root), a revocation
//! list (a chunk, applied when not empty), then `report.cose` as received. Bit 0 set: the
//! signing time (eight bytes), then the payload, signed by the fixture's lab first, so the
//! fuzzer reaches the report parser behind the signature. Bit 1 validates the chain at the
//! clock rather than at the signing time. A verified report must print and parse again to
//! itself.
#![no_main]

use hearth_fuzz::{Pki, Reader};
use hearth_report::report::Report;
use hearth_report::signed::{verify_report_with, VerifyOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let now = input.u64();
    let mut trust = pki.trust();
    let mut lists: Vec<&[u8]> = Vec::new();
    let cose = if mode & 1 == 0 {
        let _ = trust.add_root_bytes(input.chunk());
        let list = input.chunk();
        if !list.is_empty() {
            lists.push(list);
        }
        input.rest().to_vec()
    } else {
        let iat = input.u64();
        let json = input.rest();
        if let Ok(report) = Report::from_json(json) {
            let _ = report.signable();
            let _ = report.trace_level();
        }
        pki.sign_as_lab_report(json, iat)
    };
    let options = VerifyOptions {
        now,
        at_now: mode & 2 == 2,
        revocation_lists: &lists,
    };
    if let Ok(verified) = verify_report_with(&cose, &trust, &options) {
        let again = Report::from_json(&verified.report.to_json_bytes()).ok();
        assert_eq!(
            again.as_ref(),
            Some(&verified.report),
            "a verified report does not print and parse again to itself"
        );
    }
});
