//! Values as people type and read them: `26.5°C`, `cool`, `90%`, `{"time": "5min"}`.
//!
//! On the wire every quantity is a scaled integer (`2650` centi-celsius) and every
//! enumeration a code (`0x0102`). Tools show and accept the human form instead. [`parse`]
//! turns text into a [`Value`] guided by the catalog type of the property, field or argument
//! ([`TypeSpec`]), and [`format()`] renders a value so that [`parse`] reads it back unchanged.
//!
//! What is accepted, by type:
//!
//! * integers: the raw wire number (`2650`, `0x0a5a`), or a number with the unit's symbol or
//!   a common alias, scaled by the unit (`26.5C`, `26.5°C`, `26.5 °C` → 2650 for
//!   centi-celsius; `90%`; `30s`, `5min`, `2h` for seconds; `1.5L` → 15 for deci-litres;
//!   `W`, `kW`, `Wh`, `kWh`, `rpm`). A whole number without a symbol is the raw value; one
//!   with a fraction (`26.5`) can only be meant in the unit's symbol and is read so. A number
//!   finer than the unit's resolution is an error, never rounded. Points in time
//!   (`unix-time`) are also written as UTC dates, `2026-11-27T14:30:00Z`.
//! * booleans: `true`, `false`, `on`, `off`, `yes`, `no`, `1`, `0`.
//! * enumerations: a catalog name (`cool`; device-type enumerations such as modes, cycle
//!   phases and faults use the device type's names), a vendor label declared in the device's
//!   description, a code (`258`, `0x0102`), or the displayed form `cool (0x0102)`.
//! * strings: bare text, or a JSON string literal (`"with \"quotes\""`).
//! * bytes: hexadecimal, bare or as `h'0102'`.
//! * lists and structs: JSON-like text whose items are any of the forms above
//!   (`[26.5C, 27C]`, `{"time": "5min"}`, `{time: 5min}`); struct keys are field names or ids.
//! * `null` for every type (whether it is allowed is the validator's decision).
//!
//! Parsing checks representability (an integer fits, a code is 16 bits, a field exists), not
//! the property's range or the device's constraints: that is [`crate::validate`]'s job, on
//! the device. Nothing here does I/O or panics on input.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::catalog::{Catalog, DeviceType, Field, IntSpec, TypeSpec, Unit};
use crate::description::EnumEntry;
use crate::time;
use crate::value::{Value, MAX_DEPTH};

/// Deepest nesting the text reader follows before giving up.
const MAX_TEXT_DEPTH: usize = MAX_DEPTH + 8;

/// Longest number (in digits) accepted; longer ones cannot be exact 64-bit values anyway.
const MAX_DIGITS: usize = 30;

/// What [`parse`] and [`format()`] need besides the type: where names come from.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The catalog (units, enumerations).
    pub catalog: &'a Catalog,
    /// The device type, for the modes, cycle phases and faults it adds.
    pub device_type: Option<&'a DeviceType>,
    /// Codes a device declares for the enumeration at hand, with vendor labels.
    pub labels: &'a [EnumEntry],
}

impl<'a> Context<'a> {
    /// Names from the catalog and, if given, the device type.
    pub fn new(catalog: &'a Catalog, device_type: Option<&'a DeviceType>) -> Self {
        Self {
            catalog,
            device_type,
            labels: &[],
        }
    }

    /// Also use the labels of these declared enum codes (from a description's constraint).
    pub fn with_labels(mut self, labels: &'a [EnumEntry]) -> Self {
        self.labels = labels;
        self
    }
}

/// Why a text is not a value of the type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Malformed text (brackets, quotes, separators).
    #[error("cannot read `{text}`: {reason}")]
    Syntax {
        /// The text, or the part of it at fault.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// Not a number.
    #[error("`{0}` is not a number")]
    Number(String),
    /// A number that does not fit the wire type.
    #[error("`{0}` is out of range")]
    OutOfRange(String),
    /// A unit symbol the type does not have.
    #[error("`{given}` is not a unit of this value (expected {expected})")]
    Unit {
        /// The symbol given.
        given: String,
        /// The unit's symbol, or `no unit`.
        expected: String,
    },
    /// A quantity finer than the unit's resolution.
    #[error("`{text}` is finer than the resolution of {unit}")]
    Precision {
        /// The text given.
        text: String,
        /// The unit's catalog name.
        unit: String,
    },
    /// Not a boolean.
    #[error("`{0}` is not a boolean (true, false, on, off)")]
    Bool(String),
    /// Not a name or code of the enumeration.
    #[error("`{name}` is not a {enumeration} (known: {known})")]
    Enum {
        /// The text given.
        name: String,
        /// The enumeration.
        enumeration: String,
        /// Names that would be accepted, comma-separated.
        known: String,
    },
    /// The displayed form `name (code)` names another code.
    #[error("`{name}` is not the name of code {code:#06x}")]
    EnumMismatch {
        /// The name given.
        name: String,
        /// The code given.
        code: u16,
    },
    /// Not hexadecimal bytes.
    #[error("`{0}` is not hexadecimal bytes")]
    Bytes(String),
    /// A struct key that is neither a field name nor a field id.
    #[error("`{0}` is not a field (known: {1})")]
    Field(String, String),
    /// A field given twice.
    #[error("field `{0}` is given twice")]
    DuplicateField(String),
    /// The shape of the text does not fit the type (a list for a number, …).
    #[error("expected {expected}, found {found}")]
    Type {
        /// What the type needs.
        expected: String,
        /// What the text holds.
        found: &'static str,
    },
    /// Nested deeper than any valid value.
    #[error("nested deeper than {MAX_TEXT_DEPTH} levels")]
    TooDeep,
}

/// Parse `text` as a value of type `ty`.
pub fn parse(text: &str, ty: &TypeSpec, ctx: &Context<'_>) -> Result<Value, TextError> {
    let trimmed = text.trim();
    if trimmed == "null" {
        return Ok(Value::Null);
    }
    match ty {
        TypeSpec::List { .. } | TypeSpec::Struct { .. } => {
            let tree = Reader::read_all(trimmed)?;
            convert(&tree, ty, ctx, 0)
        }
        TypeSpec::String { .. } if !trimmed.starts_with('"') => Ok(Value::Text(trimmed.into())),
        _ if trimmed.starts_with('"') => {
            let tree = Reader::read_all(trimmed)?;
            convert(&tree, ty, ctx, 0)
        }
        _ => scalar(trimmed, ty, ctx),
    }
}

/// Render `value` of type `ty` for people; [`parse()`] reads the result back to the same value.
///
/// Quantities carry the unit's symbol with the unit's resolution (`26.50 °C`), enumeration
/// codes their name and code (`cool (0x0102)`), struct fields their names. A value that does
/// not fit the type is shown in diagnostic notation.
pub fn format(value: &Value, ty: &TypeSpec, ctx: &Context<'_>) -> String {
    let mut out = String::new();
    write_value(&mut out, value, ty, ctx, false);
    out
}

/// The unit whose values are points in time, shown as UTC dates.
const UNIX_TIME: &str = "unix-time";

/// Render a raw integer in a unit: `2650` centi-celsius → `26.50 °C`; a `unix-time` as a
/// UTC date, `2026-11-27T14:30:00Z`.
pub fn format_quantity(raw: i64, unit: &Unit) -> String {
    if unit.name == UNIX_TIME {
        // Four-digit years only, so that `parse` reads the date back.
        if let Some(secs) = u64::try_from(raw).ok().filter(|s| *s < time::YEAR_10000) {
            return time::format_secs(secs);
        }
    }
    match scale_ratio(unit.scale) {
        Some((num, den)) => {
            let scaled = i128::from(raw) * num;
            let decimals = den.ilog10() as usize;
            format!("{} {}", decimal(scaled, decimals), unit.symbol)
        }
        None => format!("{raw} × {} {}", unit.scale, unit.symbol),
    }
}

/// `value / 10^decimals` written out exactly.
fn decimal(value: i128, decimals: usize) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let digits = value.unsigned_abs().to_string();
    if decimals == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (int, frac) = padded.split_at(padded.len() - decimals);
    format!("{sign}{int}.{frac}")
}

/// A unit's scale as `num / den` with `den` a power of ten.
fn scale_ratio(scale: f64) -> Option<(i128, i128)> {
    if !scale.is_finite() || scale <= 0.0 {
        return None;
    }
    let mut den: i128 = 1;
    for _ in 0..10 {
        #[allow(clippy::cast_precision_loss)]
        let n = scale * den as f64;
        let rounded = n.round();
        if rounded >= 1.0 && (n - rounded).abs() < 1e-9 * n.max(1.0) && rounded < 1e15 {
            #[allow(clippy::cast_possible_truncation)]
            return Some((rounded as i128, den));
        }
        den *= 10;
    }
    None
}

/// Symbols accepted for a unit symbol, each with its factor `num / den` to the symbol.
fn aliases(symbol: &str) -> Vec<(&'static str, i128, i128)> {
    let mut out: Vec<(&'static str, i128, i128)> = match symbol {
        "°C" => vec![("°C", 1, 1), ("C", 1, 1), ("degC", 1, 1), ("℃", 1, 1)],
        "s" => vec![
            ("s", 1, 1),
            ("sec", 1, 1),
            ("min", 60, 1),
            ("h", 3600, 1),
            ("d", 86_400, 1),
        ],
        "L" => vec![("L", 1, 1), ("l", 1, 1), ("dL", 1, 10), ("mL", 1, 1000)],
        "%" => vec![("%", 1, 1)],
        "W" => vec![("W", 1, 1), ("kW", 1000, 1)],
        "Wh" => vec![("Wh", 1, 1), ("kWh", 1000, 1)],
        "r/min" => vec![("r/min", 1, 1), ("rpm", 1, 1)],
        "°" => vec![("°", 1, 1), ("deg", 1, 1)],
        _ => Vec::new(),
    };
    if out.is_empty() {
        out.push(("", 1, 1));
    }
    out
}

/// A decimal number: `mantissa / 10^exp`.
fn parse_decimal(s: &str) -> Result<(i128, u32), TextError> {
    let bad = || TextError::Number(s.to_owned());
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0');
    if significant.len() > MAX_DIGITS {
        return Err(TextError::OutOfRange(s.to_owned()));
    }
    let frac_len = u32::try_from(frac.len()).map_err(|_| TextError::OutOfRange(s.to_owned()))?;
    if frac_len > MAX_DIGITS as u32 {
        return Err(TextError::OutOfRange(s.to_owned()));
    }
    let mantissa: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| bad())?
    };
    Ok((if neg { -mantissa } else { mantissa }, frac_len))
}

/// A plain integer: decimal or `0x` hexadecimal, with an optional sign.
fn parse_integer(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let value = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.len() <= 16 => i128::from_str_radix(hex, 16).ok()?,
        Some(_) => return None,
        None if !body.is_empty() && body.len() <= MAX_DIGITS => {
            if !body.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            body.parse().ok()?
        }
        None => return None,
    };
    Some(if neg { -value } else { value })
}

fn to_i64(v: i128, text: &str) -> Result<i64, TextError> {
    i64::try_from(v).map_err(|_| TextError::OutOfRange(text.to_owned()))
}

fn parse_int(s: &str, spec: &IntSpec, ctx: &Context<'_>) -> Result<Value, TextError> {
    if let Some(v) = parse_integer(s) {
        return Ok(Value::Int(to_i64(v, s)?));
    }
    if spec.unit.as_deref() == Some(UNIX_TIME) {
        if let Some(secs) = time::parse_secs(s) {
            return Ok(Value::Int(secs));
        }
    }
    // A number followed by a unit symbol.
    let split = s
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+')))
        .map_or(s.len(), |(i, _)| i);
    let (number, symbol) = (&s[..split], s[split..].trim());
    if number.is_empty() {
        return Err(TextError::Number(s.to_owned()));
    }
    let (mantissa, exp) = parse_decimal(number)?;
    let unit = spec.unit.as_deref().and_then(|u| ctx.catalog.unit(u));
    let Some(unit) = unit else {
        if symbol.is_empty() {
            // A decimal without a unit, e.g. `12.0`: accept when it is whole.
            let pow = 10i128
                .checked_pow(exp)
                .ok_or_else(|| TextError::OutOfRange(s.to_owned()))?;
            if mantissa % pow != 0 {
                return Err(TextError::Number(s.to_owned()));
            }
            return Ok(Value::Int(to_i64(mantissa / pow, s)?));
        }
        return Err(TextError::Unit {
            given: symbol.to_owned(),
            expected: "no unit".into(),
        });
    };
    let (factor_num, factor_den) = if symbol.is_empty() {
        // A bare decimal is in the unit's symbol when it has a fraction (`26.5`); a whole
        // number without a symbol was taken as raw above.
        (1, 1)
    } else {
        aliases(&unit.symbol)
            .into_iter()
            .find(|(a, _, _)| a.eq_ignore_ascii_case(symbol) || *a == symbol)
            .map(|(_, n, d)| (n, d))
            .ok_or_else(|| TextError::Unit {
                given: symbol.to_owned(),
                expected: unit.symbol.clone(),
            })?
    };
    let (scale_num, scale_den) = scale_ratio(unit.scale).ok_or_else(|| TextError::Unit {
        given: symbol.to_owned(),
        expected: unit.symbol.clone(),
    })?;
    // raw = mantissa / 10^exp × factor / scale = mantissa·fnum·sden / (10^exp·fden·snum)
    let overflow = || TextError::OutOfRange(s.to_owned());
    let numerator = mantissa
        .checked_mul(factor_num)
        .and_then(|v| v.checked_mul(scale_den))
        .ok_or_else(overflow)?;
    let denominator = 10i128
        .checked_pow(exp)
        .and_then(|v| v.checked_mul(factor_den))
        .and_then(|v| v.checked_mul(scale_num))
        .ok_or_else(overflow)?;
    if numerator % denominator != 0 {
        return Err(TextError::Precision {
            text: s.to_owned(),
            unit: unit.name.clone(),
        });
    }
    Ok(Value::Int(to_i64(numerator / denominator, s)?))
}

fn parse_bool(s: &str) -> Result<Value, TextError> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(Value::Bool(true)),
        "false" | "off" | "no" | "0" => Ok(Value::Bool(false)),
        _ => Err(TextError::Bool(s.to_owned())),
    }
}

/// The name a code goes by: a declared label first, then the catalog name.
fn code_name(enumeration: &str, code: u16, ctx: &Context<'_>) -> Option<String> {
    if let Some(label) = ctx
        .labels
        .iter()
        .find(|e| e.code == code)
        .and_then(|e| e.label.clone())
    {
        return Some(label);
    }
    ctx.catalog
        .code(enumeration, ctx.device_type, code)
        .map(|c| c.name.to_owned())
}

fn parse_enum(s: &str, enumeration: &str, ctx: &Context<'_>) -> Result<Value, TextError> {
    let code16 = |v: i128| u16::try_from(v).map_err(|_| TextError::OutOfRange(s.to_owned()));
    if let Some(v) = parse_integer(s) {
        return Ok(Value::Int(i64::from(code16(v)?)));
    }
    // The displayed form: `name (0x0102)`.
    if let Some((name, rest)) = s.rsplit_once(" (") {
        if let Some(code) = rest.strip_suffix(')').and_then(parse_integer) {
            let code = code16(code)?;
            let name = name.trim();
            let known = code_name(enumeration, code, ctx);
            let catalog = ctx.catalog.code(enumeration, ctx.device_type, code);
            let fits = known
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case(name))
                || catalog.is_some_and(|c| c.name.eq_ignore_ascii_case(name));
            if !fits {
                return Err(TextError::EnumMismatch {
                    name: name.to_owned(),
                    code,
                });
            }
            return Ok(Value::Int(i64::from(code)));
        }
    }
    let codes = ctx.catalog.codes(enumeration, ctx.device_type);
    if let Some(c) = codes.iter().find(|c| c.name.eq_ignore_ascii_case(s)) {
        return Ok(Value::Int(i64::from(c.code)));
    }
    if let Some(e) = ctx.labels.iter().find(|e| {
        e.label
            .as_deref()
            .is_some_and(|l| l.eq_ignore_ascii_case(s))
    }) {
        return Ok(Value::Int(i64::from(e.code)));
    }
    let mut known: Vec<String> = codes.iter().map(|c| c.name.to_owned()).collect();
    known.extend(ctx.labels.iter().filter_map(|e| e.label.clone()));
    Err(TextError::Enum {
        name: s.to_owned(),
        enumeration: enumeration.to_owned(),
        known: if known.is_empty() {
            "codes only".into()
        } else {
            known.join(", ")
        },
    })
}

fn parse_bytes(s: &str) -> Result<Value, TextError> {
    let inner = s
        .strip_prefix("h'")
        .and_then(|r| r.strip_suffix('\''))
        .unwrap_or(s);
    let digits: Vec<u8> = inner.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(TextError::Bytes(s.to_owned()));
    }
    let nibble = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    digits
        .chunks(2)
        .map(|pair| match (nibble(pair[0]), nibble(pair[1])) {
            (Some(h), Some(l)) => Ok((h << 4) | l),
            _ => Err(TextError::Bytes(s.to_owned())),
        })
        .collect::<Result<Vec<u8>, _>>()
        .map(Value::Bytes)
}

/// A scalar (anything but a list or struct) from its text.
fn scalar(s: &str, ty: &TypeSpec, ctx: &Context<'_>) -> Result<Value, TextError> {
    let s = s.trim();
    if s == "null" {
        return Ok(Value::Null);
    }
    match ty {
        TypeSpec::Bool => parse_bool(s),
        TypeSpec::Int(spec) | TypeSpec::Uint(spec) => parse_int(s, spec, ctx),
        TypeSpec::Enum { enumeration } => parse_enum(s, enumeration, ctx),
        TypeSpec::String { .. } => Ok(Value::Text(s.to_owned())),
        TypeSpec::Bytes { .. } => parse_bytes(s),
        TypeSpec::List { .. } | TypeSpec::Struct { .. } => Err(TextError::Type {
            expected: ty.type_name(),
            found: "a single value",
        }),
    }
}

/// The shape of JSON-like text before types are applied.
#[derive(Debug)]
enum Tree {
    /// A string literal.
    Quoted(String),
    /// Anything unquoted up to the next separator: numbers, names, `26.5 °C`.
    Bare(String),
    /// `[…]`.
    List(Vec<Self>),
    /// `{key: value, …}`.
    Map(Vec<(String, Self)>),
}

impl Tree {
    fn shape(&self) -> &'static str {
        match self {
            Self::Quoted(_) => "a string",
            Self::Bare(_) => "a single value",
            Self::List(_) => "a list",
            Self::Map(_) => "an object",
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Reader<'a> {
    fn read_all(text: &'a str) -> Result<Tree, TextError> {
        let mut r = Self { text, pos: 0 };
        let tree = r.value(0)?;
        r.skip_ws();
        if r.pos != text.len() {
            return Err(r.error("unexpected text after the value"));
        }
        Ok(tree)
    }

    fn error(&self, reason: &str) -> TextError {
        TextError::Syntax {
            text: self.text.to_owned(),
            reason: format!("{reason} at byte {}", self.pos),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if !c.is_whitespace() {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    fn eat(&mut self, want: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(want) {
            self.pos += want.len_utf8();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Tree, TextError> {
        if depth > MAX_TEXT_DEPTH {
            return Err(TextError::TooDeep);
        }
        self.skip_ws();
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                Ok(Tree::List(self.items(']', |p| p.value(depth + 1))?))
            }
            Some('{') => {
                self.pos += 1;
                Ok(Tree::Map(self.items('}', |p| p.entry(depth))?))
            }
            Some('"') => Ok(Tree::Quoted(self.string()?)),
            Some(_) => Ok(Tree::Bare(self.bare(&[',', ']', '}'])?)),
            None => Err(self.error("expected a value")),
        }
    }

    /// The items of a list or map whose opening bracket was just read, up to and including
    /// `close`: none, or `item`s separated by commas.
    fn items<T>(
        &mut self,
        close: char,
        mut item: impl FnMut(&mut Self) -> Result<T, TextError>,
    ) -> Result<Vec<T>, TextError> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            if self.eat(',') {
                continue;
            }
            if self.eat(close) {
                return Ok(items);
            }
            return Err(self.error(&format!("expected `,` or `{close}`")));
        }
    }

    /// One `key: value` entry of a map at `depth`.
    fn entry(&mut self, depth: usize) -> Result<(String, Tree), TextError> {
        self.skip_ws();
        let key = match self.peek() {
            Some('"') => self.string()?,
            _ => self.bare(&[':', ',', '}'])?,
        };
        if !self.eat(':') {
            return Err(self.error("expected `:`"));
        }
        Ok((key, self.value(depth + 1)?))
    }

    fn bare(&mut self, stops: &[char]) -> Result<String, TextError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if stops.contains(&c) || matches!(c, '[' | '{' | '"') {
                break;
            }
            self.pos += c.len_utf8();
        }
        let token = self.text[start..self.pos].trim();
        if token.is_empty() {
            return Err(self.error("expected a value"));
        }
        Ok(token.to_owned())
    }

    fn hex4(&mut self) -> Result<u32, TextError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("short \\u escape"))?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| self.error("bad \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    /// A JSON string literal; the reader stands on its opening quote.
    fn string(&mut self) -> Result<String, TextError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.pos += e.len_utf8();
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.text[self.pos..].starts_with("\\u") {
                                    return Err(self.error("lone surrogate"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.error("bad surrogate pair"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(
                                char::from_u32(code).ok_or_else(|| self.error("bad \\u escape"))?,
                            );
                        }
                        _ => return Err(self.error("unknown escape")),
                    }
                }
                c => out.push(c),
            }
        }
    }
}

fn field_names(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn convert(
    tree: &Tree,
    ty: &TypeSpec,
    ctx: &Context<'_>,
    depth: usize,
) -> Result<Value, TextError> {
    if depth > MAX_TEXT_DEPTH {
        return Err(TextError::TooDeep);
    }
    match (tree, ty) {
        (Tree::Bare(s), _) if s == "null" => Ok(Value::Null),
        (Tree::Quoted(s), TypeSpec::String { .. }) => Ok(Value::Text(s.clone())),
        (Tree::Bare(_) | Tree::Quoted(_), TypeSpec::List { .. } | TypeSpec::Struct { .. }) => {
            Err(TextError::Type {
                expected: ty.type_name(),
                found: tree.shape(),
            })
        }
        (Tree::Bare(s) | Tree::Quoted(s), _) => scalar(s, ty, ctx),
        (Tree::List(items), TypeSpec::List { items: item_ty, .. }) => items
            .iter()
            .map(|i| convert(i, item_ty, ctx, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (Tree::Map(entries), TypeSpec::Struct { fields }) => {
            let inner = Context {
                labels: &[],
                ..*ctx
            };
            let mut out = BTreeMap::new();
            for (key, item) in entries {
                let field = fields
                    .iter()
                    .find(|f| f.name == *key)
                    .or_else(|| fields.iter().find(|f| f.name.eq_ignore_ascii_case(key)))
                    .or_else(|| {
                        parse_integer(key)
                            .and_then(|id| u16::try_from(id).ok())
                            .and_then(|id| fields.iter().find(|f| f.id == id))
                    })
                    .ok_or_else(|| TextError::Field(key.clone(), field_names(fields)))?;
                let value = convert(item, &field.ty, &inner, depth + 1)?;
                if out.insert(field.id, value).is_some() {
                    return Err(TextError::DuplicateField(field.name.clone()));
                }
            }
            Ok(Value::Struct(out))
        }
        (_, _) => Err(TextError::Type {
            expected: ty.type_name(),
            found: tree.shape(),
        }),
    }
}

/// Append `s` to `out` as a JSON string literal with every control character escaped
/// (DEL too), so that text from a device is safe to print on a terminal.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Quote a scalar's display when, inside a list or struct, it would not read back as one
/// bare token.
fn write_nested_scalar(out: &mut String, shown: &str) {
    let plain = !shown.is_empty()
        && shown.trim() == shown
        && !shown.contains([',', '[', ']', '{', '}', '"'])
        && shown != "null";
    if plain {
        out.push_str(shown);
    } else {
        write_json_string(out, shown);
    }
}

fn write_value(out: &mut String, value: &Value, ty: &TypeSpec, ctx: &Context<'_>, nested: bool) {
    let scalar_text = match (value, ty) {
        (Value::Null, _) => {
            out.push_str("null");
            return;
        }
        (Value::Bool(b), TypeSpec::Bool) => b.to_string(),
        (Value::Int(i), TypeSpec::Int(spec) | TypeSpec::Uint(spec)) => {
            match spec.unit.as_deref().and_then(|u| ctx.catalog.unit(u)) {
                Some(unit) if scale_ratio(unit.scale).is_some() => format_quantity(*i, unit),
                _ => i.to_string(),
            }
        }
        (Value::Int(i), TypeSpec::Enum { enumeration }) => match u16::try_from(*i) {
            Ok(code) => match code_name(enumeration, code, ctx) {
                Some(name) => format!("{name} ({code:#06x})"),
                None => format!("{code:#06x}"),
            },
            Err(_) => i.to_string(),
        },
        (Value::Text(s), TypeSpec::String { .. }) => {
            write_json_string(out, s);
            return;
        }
        (Value::Bytes(_), TypeSpec::Bytes { .. }) => value.to_string(),
        (Value::List(items), TypeSpec::List { items: item_ty, .. }) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, item_ty, ctx, true);
            }
            out.push(']');
            return;
        }
        (Value::Struct(map), TypeSpec::Struct { fields })
            if map.keys().all(|k| fields.iter().any(|f| f.id == *k)) =>
        {
            let inner = Context {
                labels: &[],
                ..*ctx
            };
            out.push('{');
            for (i, (id, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                if let Some(field) = fields.iter().find(|f| f.id == *id) {
                    out.push_str(&field.name);
                    out.push_str(": ");
                    write_value(out, item, &field.ty, &inner, true);
                }
            }
            out.push('}');
            return;
        }
        // A value that does not fit its type: diagnostic notation, which is honest if not
        // parseable as this type.
        (other, _) => other.to_string(),
    };
    if nested {
        write_nested_scalar(out, &scalar_text);
    } else {
        out.push_str(&scalar_text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;

    fn cat() -> &'static Catalog {
        Catalog::standard()
    }

    fn prop_ty(cap: &str, prop: &str) -> TypeSpec {
        cat()
            .capability_named(cap)
            .and_then(|c| c.property_named(prop))
            .map(|p| p.ty.clone())
            .expect("catalog property")
    }

    fn int_in(unit: Option<&str>) -> TypeSpec {
        TypeSpec::Int(IntSpec {
            min: -100_000,
            max: 100_000,
            step: 1,
            unit: unit.map(str::to_owned),
        })
    }

    fn p(text: &str, ty: &TypeSpec) -> Result<Value, TextError> {
        parse(text, ty, &Context::new(cat(), None))
    }

    #[test]
    fn temperatures_in_every_spelling() {
        let ty = int_in(Some("centi-celsius"));
        for text in [
            "2650",
            "26.5C",
            "26.5°C",
            "26.5 °C",
            "26.50 °C",
            "26.5c",
            " 26.5 degC ",
        ] {
            assert_eq!(p(text, &ty), Ok(Value::Int(2650)), "{text}");
        }
        assert_eq!(p("26.5", &ty), Ok(Value::Int(2650)));
        assert_eq!(p("-0.5C", &ty), Ok(Value::Int(-50)));
        assert_eq!(p("0x0a5a", &ty), Ok(Value::Int(2650)));
        assert!(matches!(
            p("26.555C", &ty),
            Err(TextError::Precision { .. })
        ));
        assert!(matches!(p("26.5%", &ty), Err(TextError::Unit { .. })));
        assert!(matches!(p("warm", &ty), Err(TextError::Number(_))));
    }

    #[test]
    fn other_units() {
        let secs = int_in(Some("second"));
        assert_eq!(p("30s", &secs), Ok(Value::Int(30)));
        assert_eq!(p("5min", &secs), Ok(Value::Int(300)));
        assert_eq!(p("2h", &secs), Ok(Value::Int(7200)));
        assert_eq!(p("1.5 h", &secs), Ok(Value::Int(5400)));
        assert_eq!(p("90%", &int_in(Some("percent"))), Ok(Value::Int(90)));
        assert_eq!(p("1.5L", &int_in(Some("deci-litre"))), Ok(Value::Int(15)));
        assert_eq!(p("3 kW", &int_in(Some("watt"))), Ok(Value::Int(3000)));
        assert_eq!(p("12Wh", &int_in(Some("watt-hour"))), Ok(Value::Int(12)));
        assert_eq!(p("1200rpm", &int_in(Some("rpm"))), Ok(Value::Int(1200)));
        assert!(matches!(
            p("5C", &int_in(None)),
            Err(TextError::Unit { .. })
        ));
        assert_eq!(p("12", &int_in(None)), Ok(Value::Int(12)));
        assert!(matches!(
            p("99999999999999999999", &int_in(None)),
            Err(TextError::OutOfRange(_))
        ));
    }

    #[test]
    fn points_in_time_are_dates() {
        let ty = int_in(Some("unix-time"));
        let ctx = Context::new(cat(), None);
        assert_eq!(p("1970-01-01T00:00:00Z", &ty), Ok(Value::Int(0)));
        assert_eq!(
            p("2023-11-14T22:13:20Z", &ty),
            Ok(Value::Int(1_700_000_000))
        );
        assert_eq!(p("2000-02-29T00:00:00Z", &ty), Ok(Value::Int(951_782_400)));
        assert_eq!(p("1700000000", &ty), Ok(Value::Int(1_700_000_000)));
        assert!(p("2023-02-29T00:00:00Z", &ty).is_err());
        assert!(p("2023-11-14T24:00:00Z", &ty).is_err());
        assert_eq!(
            format(&Value::Int(1_700_000_000), &ty, &ctx),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(format(&Value::Int(-1), &ty, &ctx), "-1 s");
    }

    #[test]
    fn booleans_and_null() {
        for (t, b) in [
            ("true", true),
            ("on", true),
            ("OFF", false),
            ("false", false),
        ] {
            assert_eq!(p(t, &TypeSpec::Bool), Ok(Value::Bool(b)));
        }
        assert!(matches!(
            p("maybe", &TypeSpec::Bool),
            Err(TextError::Bool(_))
        ));
        assert_eq!(p("null", &int_in(None)), Ok(Value::Null));
    }

    #[test]
    fn enums_by_name_code_and_label() {
        let dt = cat().device_type_named("air-conditioner");
        let ctx = Context::new(cat(), dt);
        let ty = prop_ty("mode", "current-mode");
        let cool = ctx
            .catalog
            .code_named("mode", dt, "cool")
            .expect("air conditioners cool")
            .code;
        assert_eq!(parse("cool", &ty, &ctx), Ok(Value::Int(i64::from(cool))));
        assert_eq!(parse("258", &ty, &ctx), Ok(Value::Int(258)));
        assert_eq!(parse("0x0102", &ty, &ctx), Ok(Value::Int(258)));
        let shown = format(&Value::Int(i64::from(cool)), &ty, &ctx);
        assert_eq!(shown, format!("cool ({cool:#06x})"));
        assert_eq!(parse(&shown, &ty, &ctx), Ok(Value::Int(i64::from(cool))));
        assert!(matches!(
            parse("toast", &ty, &ctx),
            Err(TextError::Enum { .. })
        ));
        assert!(matches!(
            parse("heat (0x9999)", &ty, &ctx).and(parse(&format!("dry ({cool:#06x})"), &ty, &ctx)),
            Err(TextError::EnumMismatch { .. })
        ));
        let labels = [EnumEntry {
            code: 0x8001,
            label: Some("Baby breeze".into()),
            tags: vec![],
        }];
        let ctx = ctx.with_labels(&labels);
        assert_eq!(parse("baby breeze", &ty, &ctx), Ok(Value::Int(0x8001)));
        assert_eq!(
            format(&Value::Int(0x8001), &ty, &ctx),
            "Baby breeze (0x8001)"
        );
    }

    #[test]
    fn strings_and_bytes() {
        let s = TypeSpec::String { max_len: 64 };
        assert_eq!(p("hello world", &s), Ok(Value::Text("hello world".into())));
        assert_eq!(p("\"a \\\"b\\\"\"", &s), Ok(Value::Text("a \"b\"".into())));
        assert_eq!(p("\"null\"", &s), Ok(Value::Text("null".into())));
        assert!(matches!(p("\"open", &s), Err(TextError::Syntax { .. })));
        let b = TypeSpec::Bytes { max_len: 8 };
        assert_eq!(p("h'01ab'", &b), Ok(Value::Bytes(vec![1, 0xab])));
        assert_eq!(p("01 AB", &b), Ok(Value::Bytes(vec![1, 0xab])));
        assert!(matches!(p("0g", &b), Err(TextError::Bytes(_))));
    }

    #[test]
    fn lists_and_structs() {
        let list = TypeSpec::List {
            items: Box::new(int_in(Some("centi-celsius"))),
            max_count: 4,
        };
        assert_eq!(
            p("[26.5C, \"27 °C\", 2800]", &list),
            Ok(Value::List(vec![
                Value::Int(2650),
                Value::Int(2700),
                Value::Int(2800)
            ]))
        );
        let args = cat()
            .capability_named("microwave-control")
            .and_then(|c| c.action_named("add-time"))
            .map(|a| TypeSpec::Struct {
                fields: a.args.clone(),
            })
            .expect("microwave ovens add time");
        let five_min = Ok(Value::structure([(1, Value::Int(300))]));
        assert_eq!(p("{\"time\": \"5min\"}", &args), five_min);
        assert_eq!(p("{time: 5min}", &args), five_min);
        assert_eq!(p("{1: 300}", &args), five_min);
        assert!(matches!(p("{nope: 1}", &args), Err(TextError::Field(..))));
        assert!(matches!(
            p("{time: 1, 1: 2}", &args),
            Err(TextError::DuplicateField(_))
        ));
        assert!(matches!(p("[1, 2", &list), Err(TextError::Syntax { .. })));
        assert!(matches!(p("5", &list), Err(TextError::Type { .. })));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(p(&deep, &list).err().map(|_| ()), Some(()));
    }

    #[test]
    fn display_forms() {
        let ctx = Context::new(cat(), None);
        let t = int_in(Some("centi-celsius"));
        assert_eq!(format(&Value::Int(2650), &t, &ctx), "26.50 °C");
        assert_eq!(format(&Value::Int(-5), &t, &ctx), "-0.05 °C");
        assert_eq!(
            format(&Value::Int(15), &int_in(Some("deci-litre")), &ctx),
            "1.5 L"
        );
        assert_eq!(
            format(&Value::Int(90), &int_in(Some("percent")), &ctx),
            "90 %"
        );
        assert_eq!(format(&Value::Null, &t, &ctx), "null");
        assert_eq!(
            format(
                &Value::Text("x".into()),
                &TypeSpec::String { max_len: 4 },
                &ctx
            ),
            "\"x\""
        );
        // A value of another kind than the type is shown as it is.
        assert_eq!(format(&Value::Bool(true), &t, &ctx), "true");
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use crate::catalog::Catalog;
    use proptest::prelude::*;

    fn arb(ty: &TypeSpec, ctx: &Context<'static>, depth: usize) -> BoxedStrategy<Value> {
        match ty {
            TypeSpec::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            TypeSpec::Int(s) | TypeSpec::Uint(s) => (s.min..=s.max).prop_map(Value::Int).boxed(),
            TypeSpec::Enum { enumeration } => {
                let mut codes: Vec<u16> = ctx
                    .catalog
                    .codes(enumeration, ctx.device_type)
                    .iter()
                    .map(|c| c.code)
                    .collect();
                codes.push(0x8001);
                prop_oneof![prop::sample::select(codes), any::<u16>()]
                    .prop_map(|c| Value::Int(i64::from(c)))
                    .boxed()
            }
            TypeSpec::String { .. } => prop::collection::vec(any::<char>(), 0..12)
                .prop_map(|c| Value::Text(c.into_iter().collect()))
                .boxed(),
            TypeSpec::Bytes { .. } => prop::collection::vec(any::<u8>(), 0..12)
                .prop_map(Value::Bytes)
                .boxed(),
            TypeSpec::List { items, .. } if depth < 4 => {
                prop::collection::vec(arb(items, ctx, depth + 1), 0..4)
                    .prop_map(Value::List)
                    .boxed()
            }
            TypeSpec::Struct { fields } if depth < 4 => {
                let parts: Vec<BoxedStrategy<(u16, Value)>> = fields
                    .iter()
                    .map(|f| {
                        let id = f.id;
                        arb(&f.ty, ctx, depth + 1)
                            .prop_map(move |v| (id, v))
                            .boxed()
                    })
                    .collect();
                parts
                    .prop_map(|fields| Value::Struct(fields.into_iter().collect()))
                    .boxed()
            }
            _ => Just(Value::Null).boxed(),
        }
    }

    /// Every type the catalog uses: properties, action arguments and results, event fields.
    fn catalog_types() -> Vec<TypeSpec> {
        let mut out = Vec::new();
        for cap in Catalog::standard().capabilities() {
            out.extend(cap.properties.iter().map(|p| p.ty.clone()));
            for a in &cap.actions {
                out.push(TypeSpec::Struct {
                    fields: a.args.clone(),
                });
                out.push(TypeSpec::Struct {
                    fields: a.results.clone(),
                });
            }
            for e in &cap.events {
                out.push(TypeSpec::Struct {
                    fields: e.fields.clone(),
                });
            }
        }
        out
    }

    fn case() -> impl Strategy<Value = (TypeSpec, usize, Value)> {
        let dts = Catalog::standard().device_types().len();
        (prop::sample::select(catalog_types()), 0..dts).prop_flat_map(|(ty, dt)| {
            let ctx = Context::new(
                Catalog::standard(),
                Catalog::standard().device_types().get(dt),
            );
            let values = arb(&ty, &ctx, 0);
            (Just(ty), Just(dt), values)
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn format_then_parse_is_identity((ty, dt, value) in case()) {
            let catalog = Catalog::standard();
            let labels = [EnumEntry { code: 0x8001, label: Some("Vendor, special".into()), tags: vec![] }];
            let ctx = Context::new(catalog, catalog.device_types().get(dt)).with_labels(&labels);
            let shown = format(&value, &ty, &ctx);
            prop_assert_eq!(parse(&shown, &ty, &ctx), Ok(value), "shown as {}", shown);
        }

        #[test]
        fn quantities_round_trip(raw in any::<i64>(), unit in prop::sample::select(Catalog::standard().units().to_vec())) {
            let ty = TypeSpec::Int(IntSpec { min: i64::MIN, max: i64::MAX, step: 1, unit: Some(unit.name.clone()) });
            let ctx = Context::new(Catalog::standard(), None);
            let shown = format(&Value::Int(raw), &ty, &ctx);
            prop_assert_eq!(parse(&shown, &ty, &ctx), Ok(Value::Int(raw)), "shown as {}", shown);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,40}", which in 0usize..64) {
            let types = catalog_types();
            if let Some(ty) = types.get(which % types.len()) {
                let _ = parse(&text, ty, &Context::new(Catalog::standard(), None));
            }
        }
    }
}
