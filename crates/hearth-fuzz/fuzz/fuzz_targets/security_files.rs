//! Fuzz target `security_files`: see `hearth_fuzz::targets::security_files` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::security_files(data);
});
