//! Fuzz target `setup_code`: see `hearth_fuzz::targets::setup_code` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::setup_code(data);
});
