//! Fuzz target `message_decode`: see `hearth_fuzz::targets::message_decode` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::message_decode(data);
});
