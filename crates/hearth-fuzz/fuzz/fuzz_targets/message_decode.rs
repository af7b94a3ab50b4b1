//! Message decoding: the CBOR a receiver decodes after the signature verified, and before it
//! (to find a carried chain). `hearth_wire::codec::decode` within `Limits::STANDARD`; a
//! decoded message must survive encode → decode unchanged and then every check and view.
#![no_main]

use hearth_wire::codec::{self, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = codec::decode(data, &Limits::STANDARD) {
        hearth_fuzz::exercise_message(&msg);
    }
});
