//! Civil dates and Unix time, written once: RFC 3339 text in UTC for seconds and
//! milliseconds since the Unix epoch, and back.
//!
//! Pure arithmetic on the proleptic Gregorian calendar (H. Hinnant's `days_from_civil` and
//! `civil_from_days`), without leap seconds and without reading any clock: the caller passes
//! the instant. Two shapes are written, and each parser reads what its writer writes:
//!
//! - seconds, `2026-11-27T14:30:00Z` ([`format_secs`], [`parse_secs`]): how a `unix-time`
//!   value is shown to people and typed back (`hearth_model::text`), and certificate times;
//! - milliseconds, `2026-11-27T14:03:12.481Z` ([`format_ms`], [`parse_ms`]): trace and
//!   report timestamps. [`parse_ms`] also reads the other forms RFC 3339 allows for UTC (a
//!   fraction of 0 to 9 digits, `z`, `+00:00`), since reports come from other tools too.

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The first second of the year 10000. Before it, [`format_secs`] writes four-digit years,
/// the form [`parse_secs`] reads back.
pub const YEAR_10000: u64 = 253_402_300_800;

/// Days since 1970-01-01 of a proleptic Gregorian date (`month` 1–12, `day` 1–31).
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (month as i64, day as i64);
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month 1–12, day 1–31) of a day counted from
/// 1970-01-01.
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m as u32, d as u32)
}

/// Whether `year` is a leap year of the Gregorian calendar.
pub const fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The number of days of `month` (1–12) in `year`; `None` for another month number.
pub const fn days_in_month(year: i64, month: u32) -> Option<u32> {
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => return None,
    })
}

/// `YYYY-MM-DDThh:mm:ss` of seconds since the Unix epoch (at least four digits of year).
fn date_time(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(DAY), secs.rem_euclid(DAY));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `YYYY-MM-DDThh:mm:ssZ` of seconds since the Unix epoch (from [`YEAR_10000`] on, the year
/// takes more than four digits).
pub fn format_secs(secs: u64) -> String {
    // u64::MAX / 86400 days is far inside what an i64 of seconds can hold.
    format!("{}Z", date_time(i64::try_from(secs).unwrap_or(i64::MAX)))
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ` of milliseconds since the Unix epoch.
pub fn format_ms(unix_ms: u64) -> String {
    // u64::MAX / 1000 fits an i64.
    let secs = i64::try_from(unix_ms / 1000).unwrap_or(i64::MAX);
    format!("{}.{:03}Z", date_time(secs), unix_ms % 1000)
}

/// The fields of `YYYY-MM-DD?hh:mm:ss` at the start of `b` (`?` one of `T`, `t`, space), as
/// written; not yet checked against the calendar.
fn fields(b: &[u8]) -> Option<[u64; 6]> {
    let shape = b.len() >= 19
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !shape {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        let part = &b[from..to];
        part.iter().try_fold(0u64, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u64::from(d - b'0'))
        })
    };
    Some([
        num(0, 4)?,
        num(5, 7)?,
        num(8, 10)?,
        num(11, 13)?,
        num(14, 16)?,
        num(17, 19)?,
    ])
}

/// Seconds since the Unix epoch of checked fields; `max_second` is 59, or 60 where a leap
/// second is read as the second after it.
fn seconds_of(f: [u64; 6], max_second: u64) -> Option<i64> {
    let [y, m, d, hh, mm, ss] = f.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    let month = u32::try_from(m).ok()?;
    let day = u32::try_from(d).ok()?;
    let last = days_in_month(y, month)?;
    if day < 1 || day > last || hh > 23 || mm > 59 || ss > max_second as i64 {
        return None;
    }
    Some(days_from_civil(y, month, day) * DAY + hh * 3600 + mm * 60 + ss)
}

/// Seconds since the Unix epoch of exactly `YYYY-MM-DDThh:mm:ssZ` (UTC; `t` or a space for
/// `T`, `z` for `Z`), the form [`format_secs`] writes. Years before 1970 give negative
/// seconds.
pub fn parse_secs(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || !matches!(b[19], b'Z' | b'z') {
        return None;
    }
    seconds_of(fields(b)?, 59)
}

/// Milliseconds since the Unix epoch of an RFC 3339 time in UTC, from 1970 on:
/// `2026-11-27T14:03:12.481Z`, where the fraction may have 0 to 9 digits (digits past the
/// millisecond are dropped), `z` and `+00:00` stand for `Z`, and second 60 (a leap second)
/// is accepted.
pub fn parse_ms(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let f = fields(b)?;
    let mut rest = &b[19..];
    let mut ms = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        ms = frac[..digits.min(3)]
            .iter()
            .zip([100, 10, 1])
            .map(|(d, scale)| u64::from(d - b'0') * scale)
            .sum();
        rest = &frac[digits..];
    }
    if !matches!(rest, b"Z" | b"z" | b"+00:00") || f[0] < 1970 {
        return None;
    }
    let secs = u64::try_from(seconds_of(f, 60)?).ok()?;
    secs.checked_mul(1000)?.checked_add(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        for days in [-719_468, -1, 0, 59, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{days}");
        }
        assert_eq!(days_in_month(2000, 2), Some(29));
        assert_eq!(days_in_month(1900, 2), Some(28));
        assert_eq!(days_in_month(2026, 13), None);
    }

    #[test]
    fn seconds_of_known_instants() {
        assert_eq!(format_secs(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_secs(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(format_secs(YEAR_10000 - 1), "9999-12-31T23:59:59Z");
        assert_eq!(format_secs(YEAR_10000), "10000-01-01T00:00:00Z");
        for secs in [0, 951_782_400, 1_700_000_000, YEAR_10000 - 1] {
            let text = format_secs(secs);
            assert_eq!(parse_secs(&text), i64::try_from(secs).ok(), "{text}");
        }
        assert_eq!(parse_secs("1969-12-31t23:59:59z"), Some(-1));
        assert_eq!(parse_secs("2023-11-14 22:13:20Z"), Some(1_700_000_000));
        for bad in [
            "",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20.000Z",
            "2023-02-29T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:60Z",
            "2023-11-14X22:13:20Z",
            "२०२३-11-14T22:13:20Z",
        ] {
            assert_eq!(parse_secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn milliseconds_of_known_instants() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(format_ms(1_795_788_192_481), "2026-11-27T14:03:12.481Z");
        for ms in [0, 951_782_400_123, 1_795_788_192_481, 4_102_444_799_999] {
            assert_eq!(parse_ms(&format_ms(ms)), Some(ms), "{ms}");
        }
        let leap_second = parse_ms("2027-01-01T00:00:00Z");
        let cases: [(&str, Option<u64>); 13] = [
            ("2026-11-27T14:03:12Z", Some(1_795_788_192_000)),
            ("2026-11-27t14:03:12.4819z", Some(1_795_788_192_481)),
            ("2026-11-27T14:03:12.4+00:00", Some(1_795_788_192_400)),
            ("2026-12-31T23:59:60Z", leap_second),
            ("", None),
            ("2026-13-01T00:00:00.000Z", None),
            ("2026-02-29T00:00:00.000Z", None),
            ("2026-11-27T14:03:12.481", None),
            ("2026-11-27T14:03:12.Z", None),
            ("2026-11-27T14:03:12.1234567890Z", None),
            ("2026-11-27T14:03:12.481+01:00", None),
            ("1969-12-31T23:59:59.999Z", None),
            ("२०२६-11-27T14:03:12.481Z", None),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_ms(text), ms, "{text:?}");
        }
    }
}
