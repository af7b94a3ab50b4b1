//! The setup payload of commissioning (`spec/07-commissioning.md` §3, `HRT-COM-001` to
//! `HRT-COM-014`): what is printed on an appliance so that a commissioner can find it and
//! run the key exchange, as a QR text and as an 11-digit manual code with a Verhoeff check
//! digit.
//!
//! **Why here.** The payload is data about a device, like its description: the vendor id, the
//! catalog id of its device type, a discriminator and the passcode, checked against the ranges
//! the model and the commissioning chapter give them. Nothing in it is cryptographic; the
//! passcode is only a number here. What turns it into keys (PBKDF2, SPAKE2+) belongs to
//! `hearth_security::pake`, one layer up, which takes [`Passcode::value`]. Keeping the codec
//! in the model lets the simulator print a code, a command line parse one and a test generate
//! one without linking any cryptography.
//!
//! **Codec.** Both forms have one spelling per payload and are decoded strictly: the QR text
//! `HRT:0.FFF1.0008.F00.20202021` has fixed-width, upper-case fields and nothing else; the
//! manual code is eleven digits whose last is the Verhoeff check digit of the first ten
//! (spaces and hyphens between digits are ignored, `HRT-COM-014`). Every refusal is a typed
//! [`SetupError`]; inputs longer than [`MAX_INPUT_LEN`] are refused before they are looked at.

use core::fmt;

/// Longest text either decoder looks at, in bytes; longer input is refused at once.
pub const MAX_INPUT_LEN: usize = 64;
/// The payload version of this specification.
pub const PAYLOAD_VERSION: u8 = 0;
/// The prefix of a QR text.
pub const QR_PREFIX: &str = "HRT:";
/// The largest passcode.
pub const MAX_PASSCODE: u32 = 99_999_998;
/// The largest discriminator (12 bits).
pub const MAX_DISCRIMINATOR: u16 = 0x0FFF;
/// Passcodes that are refused because they are too easy to guess (`HRT-COM-003`).
pub const TRIVIAL_PASSCODES: [u32; 12] = [
    0, 11_111_111, 22_222_222, 33_333_333, 44_444_444, 55_555_555, 66_666_666, 77_777_777,
    88_888_888, 99_999_999, 12_345_678, 87_654_321,
];

/// Why a setup payload, a QR text or a manual code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The input is longer than [`MAX_INPUT_LEN`] bytes.
    #[error("setup code of {len} bytes, at most {MAX_INPUT_LEN}")]
    TooLong {
        /// Length of the input.
        len: usize,
    },
    /// A QR text that does not have the form `HRT:<v>.<vvvv>.<tttt>.<ddd>.<pppppppp>`
    /// (`HRT-COM-010`).
    #[error("QR text is not of the form HRT:<version>.<vendor>.<device type>.<discriminator>.<passcode>: {reason}")]
    QrForm {
        /// What is wrong.
        reason: &'static str,
    },
    /// A manual code that is not eleven decimal digits (after removing spaces and hyphens).
    #[error("manual code is not eleven decimal digits: {reason}")]
    ManualForm {
        /// What is wrong.
        reason: &'static str,
    },
    /// The manual code's check digit is wrong (`HRT-COM-013`).
    #[error("manual code check digit is {found}, expected {expected}")]
    CheckDigit {
        /// The check digit computed from the first ten digits.
        expected: u8,
        /// The eleventh digit.
        found: u8,
    },
    /// The manual code's first digit is above 3: not a manual code of payload version 0.
    #[error("manual code starts with {0}, expected 0 to 3")]
    FirstDigit(u8),
    /// A payload version other than 0.
    #[error("setup payload version {0}, expected {PAYLOAD_VERSION}")]
    Version(u8),
    /// A vendor id outside 0x0001–0xFFFE (`HRT-MOD-001`).
    #[error("vendor id {0:#06x} outside 0x0001-0xFFFE")]
    VendorId(u16),
    /// A device type id outside 1–32767.
    #[error("device type {0} outside 1-32767")]
    DeviceType(u16),
    /// A discriminator above 4095.
    #[error("discriminator {0} above 4095")]
    Discriminator(u16),
    /// A passcode outside 1–99999998 or one of [`TRIVIAL_PASSCODES`] (`HRT-COM-001`,
    /// `HRT-COM-003`).
    #[error("passcode outside 00000001-99999998 or trivial")]
    Passcode,
}

impl SetupError {
    /// Stable short code used in vectors (`conformance/vectors/commissioning/`) and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "too_long",
            Self::QrForm { .. } => "qr_form",
            Self::ManualForm { .. } => "manual_form",
            Self::CheckDigit { .. } => "check_digit",
            Self::FirstDigit(_) => "first_digit",
            Self::Version(_) => "version",
            Self::VendorId(_) => "vendor_id",
            Self::DeviceType(_) => "device_type",
            Self::Discriminator(_) => "discriminator",
            Self::Passcode => "passcode",
        }
    }
}

/// A setup passcode: in 1–99999998 and not one of [`TRIVIAL_PASSCODES`]. Its `Debug` does
/// not show it, so that it does not end up in logs by accident.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Passcode(u32);

impl Passcode {
    /// `value` as a passcode, if valid (`HRT-COM-001`, `HRT-COM-003`).
    pub fn new(value: u32) -> Result<Self, SetupError> {
        if value > MAX_PASSCODE || TRIVIAL_PASSCODES.contains(&value) {
            return Err(SetupError::Passcode);
        }
        Ok(Self(value))
    }

    /// The passcode as a number, for the key derivation.
    pub const fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Debug for Passcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passcode(..)")
    }
}

/// The setup payload of Table 1 of the commissioning chapter (`HRT-COM-001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SetupPayload {
    vendor_id: u16,
    device_type: u16,
    discriminator: u16,
    passcode: Passcode,
}

impl SetupPayload {
    /// A payload of version 0 from its fields, each checked against Table 1.
    pub fn new(
        vendor_id: u16,
        device_type: u16,
        discriminator: u16,
        passcode: u32,
    ) -> Result<Self, SetupError> {
        if !(0x0001..=0xFFFE).contains(&vendor_id) {
            return Err(SetupError::VendorId(vendor_id));
        }
        if !(1..=0x7FFF).contains(&device_type) {
            return Err(SetupError::DeviceType(device_type));
        }
        if discriminator > MAX_DISCRIMINATOR {
            return Err(SetupError::Discriminator(discriminator));
        }
        Ok(Self {
            vendor_id,
            device_type,
            discriminator,
            passcode: Passcode::new(passcode)?,
        })
    }

    /// The vendor id.
    pub const fn vendor_id(&self) -> u16 {
        self.vendor_id
    }

    /// The catalog id of the device type.
    pub const fn device_type(&self) -> u16 {
        self.device_type
    }

    /// The 12-bit discriminator.
    pub const fn discriminator(&self) -> u16 {
        self.discriminator
    }

    /// The four high bits of the discriminator, which the manual code carries.
    pub const fn short_discriminator(&self) -> u8 {
        (self.discriminator >> 8) as u8
    }

    /// The passcode.
    pub const fn passcode(&self) -> Passcode {
        self.passcode
    }

    /// The QR text (`HRT-COM-010`), e.g. `HRT:0.FFF1.0008.F00.20202021`.
    pub fn to_qr_text(&self) -> String {
        format!(
            "{QR_PREFIX}{PAYLOAD_VERSION}.{:04X}.{:04X}.{:03X}.{:08}",
            self.vendor_id, self.device_type, self.discriminator, self.passcode.0
        )
    }

    /// Decodes a QR text strictly (`HRT-COM-010`, `HRT-COM-011`): the prefix, five parts of
    /// fixed width separated by `.`, upper-case hexadecimal digits, nothing else; then the
    /// values of Table 1.
    pub fn from_qr_text(text: &str) -> Result<Self, SetupError> {
        let bytes = bounded(text)?;
        let rest = bytes
            .strip_prefix(QR_PREFIX.as_bytes())
            .ok_or(SetupError::QrForm {
                reason: "no HRT: prefix",
            })?;
        let mut parts = rest.split(|b| *b == b'.');
        let mut next = |width: usize, radix: u32, what: &'static str| -> Result<u32, SetupError> {
            let part = parts.next().ok_or(SetupError::QrForm {
                reason: "too few parts",
            })?;
            if part.len() != width {
                return Err(SetupError::QrForm { reason: what });
            }
            number(part, radix).ok_or(SetupError::QrForm { reason: what })
        };
        let version = next(1, 10, "version is not one decimal digit")?;
        let vendor = next(4, 16, "vendor id is not four upper-case hexadecimal digits")?;
        let device_type = next(
            4,
            16,
            "device type is not four upper-case hexadecimal digits",
        )?;
        let discriminator = next(
            3,
            16,
            "discriminator is not three upper-case hexadecimal digits",
        )?;
        let passcode = next(8, 10, "passcode is not eight decimal digits")?;
        if parts.next().is_some() {
            return Err(SetupError::QrForm {
                reason: "too many parts",
            });
        }
        // Each part is at most four hexadecimal or eight decimal digits, so these fit.
        if version != u32::from(PAYLOAD_VERSION) {
            return Err(SetupError::Version(version as u8));
        }
        Self::new(
            vendor as u16,
            device_type as u16,
            discriminator as u16,
            passcode,
        )
    }

    /// The manual code that carries this payload's short discriminator and passcode.
    pub fn manual_code(&self) -> ManualCode {
        ManualCode {
            short_discriminator: self.short_discriminator(),
            passcode: self.passcode,
        }
    }
}

impl fmt::Display for SetupPayload {
    /// The QR text; the passcode is part of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_qr_text())
    }
}

/// What an 11-digit manual code carries (`HRT-COM-012`): the short discriminator and the
/// passcode. Its `Display` is the eleven digits, without separators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ManualCode {
    short_discriminator: u8,
    passcode: Passcode,
}

impl ManualCode {
    /// A manual code from a short discriminator (0–15) and a passcode.
    pub fn new(short_discriminator: u8, passcode: u32) -> Result<Self, SetupError> {
        if short_discriminator > 15 {
            return Err(SetupError::Discriminator(
                u16::from(short_discriminator) << 8,
            ));
        }
        Ok(Self {
            short_discriminator,
            passcode: Passcode::new(passcode)?,
        })
    }

    /// The four high bits of the discriminator.
    pub const fn short_discriminator(&self) -> u8 {
        self.short_discriminator
    }

    /// The passcode.
    pub const fn passcode(&self) -> Passcode {
        self.passcode
    }

    /// Whether a device's 12-bit `discriminator` has this code's short discriminator
    /// (`HRT-COM-052`).
    pub const fn matches(&self, discriminator: u16) -> bool {
        discriminator >> 8 == self.short_discriminator as u16
    }

    /// The eleven digits of Table 3.
    pub fn digits(&self) -> String {
        let s = u32::from(self.short_discriminator);
        let p = self.passcode.0;
        let body = format!(
            "{}{:05}{:04}",
            s >> 2,
            ((s & 3) << 14) | (p & 0x3FFF),
            p >> 14
        );
        let check = verhoeff_check_digit(body.as_bytes()).unwrap_or_default();
        format!("{body}{check}")
    }

    /// Decodes a manual code (`HRT-COM-013`): eleven decimal digits, spaces and hyphens
    /// between them ignored (`HRT-COM-014`), the Verhoeff check digit right, the first digit
    /// at most 3, the passcode valid.
    pub fn parse(text: &str) -> Result<Self, SetupError> {
        let bytes = bounded(text)?;
        let mut digits = [0u8; 11];
        let mut n = 0;
        for &b in bytes {
            match b {
                b' ' | b'-' => {}
                b'0'..=b'9' => {
                    let slot = digits.get_mut(n).ok_or(SetupError::ManualForm {
                        reason: "more than eleven digits",
                    })?;
                    *slot = b;
                    n += 1;
                }
                _ => {
                    return Err(SetupError::ManualForm {
                        reason: "a character other than a digit, a space or a hyphen",
                    })
                }
            }
        }
        if n != digits.len() {
            return Err(SetupError::ManualForm {
                reason: "fewer than eleven digits",
            });
        }
        let (body, check) = digits.split_at(10);
        let expected = verhoeff_check_digit(body).unwrap_or_default();
        let found = check.first().map_or(0, |c| c - b'0');
        if expected != found {
            return Err(SetupError::CheckDigit { expected, found });
        }
        let first = digits[0] - b'0';
        if first > 3 {
            return Err(SetupError::FirstDigit(first));
        }
        // Ten decimal digits in three chunks: these parses cannot fail, and fit.
        let chunk2 = number(&digits[1..6], 10).unwrap_or_default();
        let chunk3 = number(&digits[6..10], 10).unwrap_or_default();
        if chunk2 > 0xFFFF {
            return Err(SetupError::ManualForm {
                reason: "digits 2 to 6 exceed 65535",
            });
        }
        let short = (first << 2) | (chunk2 >> 14) as u8;
        Self::new(short, (chunk3 << 14) | (chunk2 & 0x3FFF))
    }
}

impl fmt::Display for ManualCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits())
    }
}

/// A setup code as a person hands it to a commissioner: a QR text or a manual code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetupCode {
    /// A QR text: the whole payload.
    Qr(SetupPayload),
    /// A manual code: the short discriminator and the passcode.
    Manual(ManualCode),
}

impl SetupCode {
    /// A QR text if `text` starts with `HRT:`, a manual code otherwise.
    pub fn parse(text: &str) -> Result<Self, SetupError> {
        if text.starts_with(QR_PREFIX) {
            SetupPayload::from_qr_text(text).map(Self::Qr)
        } else {
            ManualCode::parse(text).map(Self::Manual)
        }
    }

    /// The passcode either form carries.
    pub const fn passcode(&self) -> Passcode {
        match self {
            Self::Qr(p) => p.passcode(),
            Self::Manual(m) => m.passcode(),
        }
    }

    /// Whether a device announcing `discriminator` may be the one this code is for: all 12
    /// bits for a QR text, the four high bits for a manual code (`HRT-COM-052`).
    pub const fn matches_discriminator(&self, discriminator: u16) -> bool {
        match self {
            Self::Qr(p) => p.discriminator() == discriminator,
            Self::Manual(m) => m.matches(discriminator),
        }
    }
}

/// The Verhoeff check digit of a string of ASCII decimal digits, or `None` if it holds
/// anything else (J. Verhoeff, 1969: the dihedral group D5).
pub fn verhoeff_check_digit(digits: &[u8]) -> Option<u8> {
    let mut c = 0u8;
    for (i, &b) in digits.iter().rev().enumerate() {
        let n = b.checked_sub(b'0').filter(|n| *n <= 9)?;
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[(i + 1) % 8][usize::from(n)])];
    }
    Some(VERHOEFF_INV[usize::from(c)])
}

/// Whether a string of ASCII decimal digits ends with its own Verhoeff check digit.
pub fn verhoeff_valid(digits: &[u8]) -> bool {
    match digits.split_last() {
        Some((last, body)) => verhoeff_check_digit(body).is_some_and(|c| c + b'0' == *last),
        None => false,
    }
}

/// The product `j·k` in the dihedral group D5, its elements numbered as Verhoeff does:
/// 0-4 the rotations, 5-9 the reflections.
const fn d5(j: u8, k: u8) -> u8 {
    match (j < 5, k < 5) {
        (true, true) => (j + k) % 5,
        (true, false) => 5 + (j + k - 5) % 5,
        (false, true) => 5 + (j - k) % 5,
        (false, false) => (j + 5 - k) % 5,
    }
}

/// Verhoeff's multiplication table: `VERHOEFF_D[j][k]` is `j·k` in D5.
const VERHOEFF_D: [[u8; 10]; 10] = {
    let mut t = [[0u8; 10]; 10];
    let mut j = 0;
    while j < 10 {
        let mut k = 0;
        while k < 10 {
            t[j][k] = d5(j as u8, k as u8);
            k += 1;
        }
        j += 1;
    }
    t
};

/// Verhoeff's permutations: row `i` applies the permutation of row 1 `i` times.
const VERHOEFF_P: [[u8; 10]; 8] = {
    const FIRST: [u8; 10] = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
    let mut t = [[0u8; 10]; 8];
    let mut n = 0;
    while n < 10 {
        t[0][n] = n as u8;
        n += 1;
    }
    let mut i = 1;
    while i < 8 {
        let mut n = 0;
        while n < 10 {
            t[i][n] = FIRST[t[i - 1][n] as usize];
            n += 1;
        }
        i += 1;
    }
    t
};
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/// `text` as bytes, if at most [`MAX_INPUT_LEN`] long.
fn bounded(text: &str) -> Result<&[u8], SetupError> {
    if text.len() > MAX_INPUT_LEN {
        return Err(SetupError::TooLong { len: text.len() });
    }
    Ok(text.as_bytes())
}

/// Digits in `radix` 10 or 16 (upper-case only) as a number; at most eight digits.
fn number(digits: &[u8], radix: u32) -> Option<u32> {
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'F' if radix == 16 => u32::from(b - b'A') + 10,
            _ => return None,
        };
        Some(acc * radix + d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the commissioning chapter: a fan of the test vendor 0xFFF1, whose manual
    /// code is the one Matter gives for the same passcode and discriminator (HRT-COM-010,
    /// HRT-COM-012).
    #[test]
    fn the_chapter_example() {
        let p = SetupPayload::new(0xFFF1, 8, 3840, 20_202_021).expect("payload");
        assert_eq!(p.to_qr_text(), "HRT:0.FFF1.0008.F00.20202021");
        assert_eq!(p.manual_code().digits(), "34970112332");
        assert_eq!(
            SetupPayload::from_qr_text("HRT:0.FFF1.0008.F00.20202021"),
            Ok(p)
        );
        let m = ManualCode::parse("3497-011-2332").expect("grouped manual code");
        assert_eq!(m, p.manual_code());
        assert_eq!(m.short_discriminator(), 15);
        assert_eq!(m.passcode().value(), 20_202_021);
        assert!(m.matches(0xF00) && m.matches(0xFFF) && !m.matches(0xE00));
    }

    /// Verhoeff's own examples: 236 has check digit 3, 12345 has 1 (HRT-COM-013).
    #[test]
    fn verhoeff_examples() {
        assert_eq!(verhoeff_check_digit(b"236"), Some(3));
        assert_eq!(verhoeff_check_digit(b"12345"), Some(1));
        assert!(verhoeff_valid(b"2363") && verhoeff_valid(b"123451"));
        // Eight digits pass through every row of the permutation table.
        assert_eq!(verhoeff_check_digit(b"55555555"), Some(4));
        assert!(!verhoeff_valid(b"2364") && !verhoeff_valid(b""));
        assert_eq!(verhoeff_check_digit(b"12a"), None);
    }

    /// Every field of Table 1 is checked, and trivial passcodes are refused (HRT-COM-001,
    /// HRT-COM-003).
    #[test]
    fn fields_outside_table_1_are_refused() {
        let ok = SetupPayload::new(0xFFF1, 8, 3840, 20_202_021);
        assert!(ok.is_ok());
        for (vendor_id, device_type, discriminator, error) in [
            (0, 8, 0, SetupError::VendorId(0)),
            (0xFFFF, 8, 0, SetupError::VendorId(0xFFFF)),
            (1, 0, 0, SetupError::DeviceType(0)),
            (1, 0x8000, 0, SetupError::DeviceType(0x8000)),
            (1, 1, 4096, SetupError::Discriminator(4096)),
        ] {
            assert_eq!(
                SetupPayload::new(vendor_id, device_type, discriminator, 20_202_021),
                Err(error)
            );
        }
        for trivial in TRIVIAL_PASSCODES {
            assert_eq!(
                SetupPayload::new(1, 1, 0, trivial),
                Err(SetupError::Passcode)
            );
        }
        assert_eq!(
            SetupPayload::new(1, 1, 0, 100_000_000),
            Err(SetupError::Passcode)
        );
        assert!(SetupPayload::new(1, 1, 0, 1).is_ok());
        assert!(SetupPayload::new(1, 1, 0, MAX_PASSCODE).is_ok());
        assert_eq!(
            format!("{:?}", Passcode::new(1).expect("1")),
            "Passcode(..)"
        );
    }

    /// A QR text has one spelling: every other spelling is refused with a typed error
    /// (HRT-COM-010, HRT-COM-011).
    #[test]
    fn qr_text_is_strict() {
        let form = |t: &str| {
            matches!(
                SetupPayload::from_qr_text(t),
                Err(SetupError::QrForm { .. })
            )
        };
        for bad in [
            "",
            "HRT:",
            "hrt:0.FFF1.0008.F00.20202021",
            "MT:0.FFF1.0008.F00.20202021",
            "HRT:0.fff1.0008.F00.20202021",
            "HRT:0.FFF1.0008.f00.20202021",
            "HRT:0.FFF1.8.F00.20202021",
            "HRT:0.FFF1.0008.F00.2020202",
            "HRT:0.FFF1.0008.F00.020202021",
            "HRT:0.FFF1.0008.F00.20202021.",
            "HRT:0.FFF1.0008.F00",
            "HRT:0.FFF1.0008.F00.20202021\n",
            " HRT:0.FFF1.0008.F00.20202021",
            "HRT:0.FFF1.0008.F00.2020202A",
            "HRT:0..FFF1.0008.F00.20202021",
            "HRT:+.FFF1.0008.F00.20202021",
        ] {
            assert!(form(bad), "{bad:?}");
        }
        for (text, error) in [
            (
                "HRT:1.FFF1.0008.F00.20202021".to_owned(),
                SetupError::Version(1),
            ),
            (
                "HRT:0.0000.0008.F00.20202021".to_owned(),
                SetupError::VendorId(0),
            ),
            (
                "HRT:0.FFF1.0008.F00.12345678".to_owned(),
                SetupError::Passcode,
            ),
            ("9".repeat(65), SetupError::TooLong { len: 65 }),
        ] {
            assert_eq!(SetupPayload::from_qr_text(&text), Err(error), "{text}");
        }
    }

    /// A manual code is refused for a wrong check digit, a first digit above 3, a wrong
    /// length or character, or an invalid passcode (HRT-COM-013, HRT-COM-014).
    #[test]
    fn manual_code_is_checked() {
        assert_eq!(
            ManualCode::parse("34970112333"),
            Err(SetupError::CheckDigit {
                expected: 2,
                found: 3
            })
        );
        assert!(matches!(
            ManualCode::parse("3497011233"),
            Err(SetupError::ManualForm { .. })
        ));
        assert!(matches!(
            ManualCode::parse("349701123320"),
            Err(SetupError::ManualForm { .. })
        ));
        assert!(matches!(
            ManualCode::parse("3497_011_2332"),
            Err(SetupError::ManualForm { .. })
        ));
        assert!(ManualCode::parse(" 3497 011 2332 ").is_ok());
        // A first digit of 4 to 9, with its own correct check digit.
        let body = "4497011233";
        let code = format!(
            "{body}{}",
            verhoeff_check_digit(body.as_bytes()).expect("digits")
        );
        assert_eq!(ManualCode::parse(&code), Err(SetupError::FirstDigit(4)));
        // Digits 2 to 6 above 65535.
        let body = "0700001233";
        let code = format!(
            "{body}{}",
            verhoeff_check_digit(body.as_bytes()).expect("digits")
        );
        assert!(matches!(
            ManualCode::parse(&code),
            Err(SetupError::ManualForm { .. })
        ));
        // The passcode 0.
        let body = "0000000000";
        let code = format!(
            "{body}{}",
            verhoeff_check_digit(body.as_bytes()).expect("digits")
        );
        assert_eq!(ManualCode::parse(&code), Err(SetupError::Passcode));
    }

    /// Either form through one parser; the discriminator rule of HRT-COM-052.
    #[test]
    fn setup_code_parses_both_forms() {
        let qr = SetupCode::parse("HRT:0.FFF1.0008.F00.20202021").expect("qr");
        let manual = SetupCode::parse("34970112332").expect("manual");
        assert_eq!(qr.passcode(), manual.passcode());
        assert!(qr.matches_discriminator(0xF00) && !qr.matches_discriminator(0xF01));
        assert!(manual.matches_discriminator(0xF01));
        assert!(SetupCode::parse("HRT:garbage").is_err());
    }
}
