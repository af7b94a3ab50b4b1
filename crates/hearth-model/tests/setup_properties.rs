//! Property tests of the setup payload codec: both forms round-trip, every single-digit error
//! and every swap of adjacent digits in a manual code is caught, and no string panics.

use hearth_model::setup::{ManualCode, SetupCode, SetupError, SetupPayload};
use proptest::prelude::*;

fn payload() -> impl Strategy<Value = SetupPayload> {
    (
        1u16..=0xFFFE,
        1u16..=0x7FFF,
        0u16..=0x0FFF,
        1u32..=99_999_998,
    )
        .prop_filter_map(
            "valid payload",
            |(vendor, device_type, discriminator, passcode)| {
                SetupPayload::new(vendor, device_type, discriminator, passcode).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // HRT-COM-010, HRT-COM-011: the QR text decodes to the payload it was made from.
    #[test]
    fn qr_text_round_trips(p in payload()) {
        let text = p.to_qr_text();
        prop_assert_eq!(text.len(), 28);
        prop_assert_eq!(SetupPayload::from_qr_text(&text), Ok(p));
        prop_assert_eq!(SetupCode::parse(&text), Ok(SetupCode::Qr(p)));
    }

    // HRT-COM-012, HRT-COM-013: the manual code decodes to the short discriminator and the
    // passcode, and has eleven digits starting with 0 to 3.
    #[test]
    fn manual_code_round_trips(p in payload()) {
        let code = p.manual_code();
        let digits = code.digits();
        prop_assert_eq!(digits.len(), 11);
        prop_assert!(digits.as_bytes()[0] <= b'3');
        prop_assert_eq!(ManualCode::parse(&digits), Ok(code));
        prop_assert!(code.matches(p.discriminator()));
        prop_assert_eq!(code.passcode(), p.passcode());
    }

    // HRT-COM-013: a changed digit is refused, as a wrong check digit or an invalid field.
    #[test]
    fn one_wrong_digit_is_caught(p in payload(), at in 0usize..11, delta in 1u8..10) {
        let mut digits = p.manual_code().digits().into_bytes();
        digits[at] = b'0' + (digits[at] - b'0' + delta) % 10;
        let text = String::from_utf8(digits).expect("digits");
        prop_assert!(ManualCode::parse(&text).is_err(), "{}", text);
    }

    // HRT-COM-013: a swap of two adjacent, different digits is refused.
    #[test]
    fn adjacent_swaps_are_caught(p in payload(), at in 0usize..10) {
        let mut digits = p.manual_code().digits().into_bytes();
        prop_assume!(digits[at] != digits[at + 1]);
        digits.swap(at, at + 1);
        let text = String::from_utf8(digits).expect("digits");
        prop_assert!(ManualCode::parse(&text).is_err(), "{}", text);
    }

    // No string makes either decoder panic; a string longer than the bound is refused as such.
    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,80}") {
        let parsed = SetupCode::parse(&text);
        if text.len() > hearth_model::setup::MAX_INPUT_LEN {
            prop_assert_eq!(parsed, Err(SetupError::TooLong { len: text.len() }));
        }
        let _ = SetupPayload::from_qr_text(&text);
        let _ = ManualCode::parse(&text);
    }

    // Strings close to the forms: digits, hyphens and the QR alphabet.
    #[test]
    fn near_miss_strings_never_panic(text in "(HRT:)?[0-9A-F.: -]{0,40}") {
        let _ = SetupCode::parse(&text);
    }
}
