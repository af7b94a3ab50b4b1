//! The implementation conformance statement: TOML a vendor writes and a lab reads
//! (`hearth_conformance::ics::Ics::parse`), on every UTF-8 input.
#![no_main]

use hearth_conformance::ics::Ics;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ics) = Ics::parse(text) {
        let _ = ics.parameters.to_json();
        let _ = ics.parameters.spec_values();
    }
});
