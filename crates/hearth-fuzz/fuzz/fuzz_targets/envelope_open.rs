//! Fuzz target `envelope_open`: see `hearth_fuzz::targets::envelope_open` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::envelope_open(data);
});
