//! Fuzz target `commissioning`: see `hearth_fuzz::targets::commissioning` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::commissioning(data);
});
