//! Fuzz target `certificate`: see `hearth_fuzz::targets::certificate` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::certificate(data);
});
