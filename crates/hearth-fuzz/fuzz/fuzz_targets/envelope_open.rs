//! Opening a sealed envelope: the first thing a receiver does with bytes off the transport.
//! `hearth_security::cose::{Sign1, Envelope}::parse` and `hearth_wire::Receiver::open` with
//! a trust store of the fixture's root, at the fixture's clock.
//!
//! Input: a mode byte, the topic (a length-prefixed chunk), then the bytes. Mode bit 0
//! seals the bytes as a message payload with the device's key first, so the fuzzer reaches
//! what follows the signature check (decoding, the sender and header checks, the replay
//! window); bit 1 admits the device's chain before opening, as a receiver that has seen the
//! device before. An opened message goes through the codec's round trip and every check.
#![no_main]

use std::borrow::Cow;

use hearth_fuzz::{Pki, Reader, NOW};
use hearth_security::cose::{Envelope, Sign1};
use hearth_wire::Receiver;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let pki = Pki::get();
    let mut input = Reader::new(data);
    let mode = input.u8();
    let topic = String::from_utf8_lossy(input.chunk()).into_owned();
    let rest = input.rest();
    let bytes: Cow<'_, [u8]> = if mode & 1 == 1 {
        Cow::Owned(pki.seal_as_device(rest, &topic))
    } else {
        Cow::Borrowed(rest)
    };

    if let Ok(sign1) = Sign1::parse(&bytes) {
        let _ = sign1.to_be_signed(topic.as_bytes(), None);
    }
    if let Ok(envelope) = Envelope::parse(&bytes) {
        let _ = envelope.kid();
        let _ = envelope.algorithm();
        let _ = envelope.verify(pki.device.key.public_key(), topic.as_bytes());
    }

    let mut receiver = Receiver::new(pki.trust());
    if mode & 2 == 2 {
        receiver
            .admit_chain(&pki.device_chain(), NOW)
            .expect("the fixture's device chain validates");
    }
    if let Ok(opened) = receiver.open(&bytes, &topic, NOW) {
        hearth_fuzz::exercise_message(&opened.message);
        // The same bytes again meet the replay window (or the will set) that just moved.
        let _ = receiver.open(&bytes, &topic, NOW);
    }
});
