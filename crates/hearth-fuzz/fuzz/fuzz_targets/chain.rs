//! Fuzz target `chain`: see `hearth_fuzz::targets::chain` for what it covers and how an
//! input is read.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    hearth_fuzz::targets::chain(data);
});
