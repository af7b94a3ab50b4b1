//! Fuzz target `ics`: see `hearth_fuzz::targets::ics` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::ics(data);
});
