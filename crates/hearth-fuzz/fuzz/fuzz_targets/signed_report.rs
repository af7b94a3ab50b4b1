//! Fuzz target `signed_report`: see `hearth_fuzz::targets::signed_report` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::signed_report(data);
});
