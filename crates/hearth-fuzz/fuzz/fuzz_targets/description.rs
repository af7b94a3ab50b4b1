//! Descriptions: the retained message a device describes itself with, decoded by every
//! controller and the suite and checked against the catalog (`hearth_model::validate`), and
//! the JSON form tools read.
//!
//! Input: a mode byte, then the bytes. Mode 0: a description message in CBOR (any message
//! decodes, but the seeds are descriptions). Mode 1: a description in JSON; one that parses
//! must print and parse again to itself, and its message must survive the codec's round
//! trip when it fits the limits.
#![no_main]

use hearth_fuzz::{Reader, DEVICE_ID};
use hearth_model::Description;
use hearth_wire::codec::{self, Limits};
use hearth_wire::message::{Body, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Reader::new(data);
    let mode = input.u8();
    let rest = input.rest();
    if mode & 1 == 0 {
        if let Ok(msg) = codec::decode(rest, &Limits::STANDARD) {
            hearth_fuzz::exercise_message(&msg);
        }
        return;
    }
    let Ok(desc) = serde_json::from_slice::<Description>(rest) else {
        return;
    };
    let json = serde_json::to_vec(&desc).expect("a description prints as JSON");
    assert_eq!(
        serde_json::from_slice::<Description>(&json).ok().as_ref(),
        Some(&desc),
        "a description does not round-trip through JSON"
    );
    hearth_fuzz::exercise_description(&desc);
    let msg = Message::new(DEVICE_ID, 1, Body::Description(desc));
    if let Ok(decoded) = codec::decode(&codec::encode(&msg), &Limits::STANDARD) {
        assert_eq!(decoded, msg, "the codec changed a description");
        hearth_fuzz::exercise_message(&decoded);
    }
});
