//! Vendor ids (`HRT-MOD-001`) as text: exactly four lower-case hexadecimal digits, `fff1`,
//! the form topics (`d/fff1/fan-1/…`), the ICS (`vendor = "fff1"`) and device addresses
//! (`fff1/fan-1`) use. Every tool prints a vendor id in this one form, through [`Hex`], so
//! that what a user reads in one output can be pasted into any other input.

use core::fmt;

/// A vendor id that displays as four lower-case hexadecimal digits: `Hex(0xfff1)` is
/// `fff1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hex(pub u16);

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}", self.0)
    }
}

/// A vendor id as text: `hex(0xfff1)` is `"fff1"`.
pub fn hex(id: u16) -> String {
    Hex(id).to_string()
}

/// An optional vendor id (a certificate's claim) as text: `fff1`, or `none`.
pub fn hex_or_none(id: Option<u16>) -> String {
    id.map_or_else(|| "none".into(), hex)
}

/// A vendor id given by a person: one to four hexadecimal digits, optionally after `0x`
/// (`fff1`, `0xFFF1`). Decimal is not accepted: `1234` is the vendor `1234` of the topics.
///
/// # Errors
///
/// A sentence naming the accepted form.
pub fn parse(text: &str) -> Result<u16, String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "`{text}` is not a vendor id: four hexadecimal digits as in topics, e.g. fff1"
        ));
    }
    u16::from_str_radix(digits, 16).map_err(|e| format!("`{text}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_form_in_and_out() {
        assert_eq!(hex(0xfff1), "fff1");
        assert_eq!(Hex(0x0a).to_string(), "000a");
        assert_eq!(hex_or_none(None), "none");
        for text in ["fff1", "0xfff1", "FFF1", "0XfFf1"] {
            assert_eq!(parse(text), Ok(0xfff1), "{text}");
        }
        assert_eq!(parse("1234"), Ok(0x1234));
        for bad in ["", "0x", "fff10", "65521", "g001", "-1", " fff1"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
