//! Human-readable rendering: CBOR diagnostic notation (RFC 8949 §8) and a description of
//! Hearth security objects (certificates, revocation lists, keys) that never shows private
//! key material.

use core::fmt::Write as _;

use ciborium::value::Value;
use hearth_model::text::write_json_string;

use crate::cbor;
use crate::cert::{Certificate, CERT_CONTENT_TYPE};
use crate::cose::Sign1;
use crate::key::{KeyPair, PublicKey, D};
use crate::revocation::CRL_CONTENT_TYPE;

/// Render a value in CBOR diagnostic notation.
pub fn diagnostic(value: &Value) -> String {
    let mut out = String::new();
    write_diag(&mut out, value, 0);
    out
}

/// Render encoded CBOR in diagnostic notation (bounded to 64 KiB of input).
pub fn diagnostic_bytes(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() > crate::limits::MAX_MESSAGE_SIZE {
        return Err("input too large".into());
    }
    Ok(diagnostic(&cbor::decode_any(bytes)?))
}

fn write_diag(out: &mut String, value: &Value, depth: usize) {
    if depth > 64 {
        out.push_str("...");
        return;
    }
    match value {
        Value::Integer(i) => {
            let _ = write!(out, "{}", i128::from(*i));
        }
        Value::Bytes(b) => {
            let _ = write!(out, "h'{}'", hex::encode(b));
        }
        Value::Float(f) => {
            if f.is_nan() {
                out.push_str("NaN");
            } else if f.is_infinite() {
                out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" });
            } else {
                let _ = write!(out, "{f:?}");
            }
        }
        Value::Text(t) => write_json_string(out, t),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        Value::Tag(t, v) => {
            let _ = write!(out, "{t}(");
            write_diag(out, v, depth + 1);
            out.push(')');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_diag(out, v, depth + 1);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_diag(out, k, depth + 1);
                out.push_str(": ");
                write_diag(out, v, depth + 1);
            }
            out.push('}');
        }
        _ => out.push_str("undefined"),
    }
}

/// Render seconds since the Unix epoch as `YYYY-MM-DDThh:mm:ssZ` (with
/// [`hearth_model::time::format_secs`]).
pub fn format_time(secs: u64) -> String {
    hearth_model::time::format_secs(secs)
}

/// Describe a file's content: a certificate, a revocation list, another COSE_Sign1 or a
/// COSE_Key. Private key material is replaced by a redaction marker.
pub fn describe(bytes: &[u8]) -> Result<String, String> {
    if bytes.len() > crate::limits::MAX_MESSAGE_SIZE {
        return Err("input too large".into());
    }
    let value = cbor::decode_any(bytes)?;
    let mut out = String::new();
    match value {
        // A chain file (`03-security.md` §13.5): an array of certificates, leaf first. A
        // COSE_Sign1 is an array too, but its second element is a map.
        Value::Array(items)
            if (1..=crate::fs::MAX_CHAIN_CERTS).contains(&items.len())
                && items.iter().all(|i| matches!(i, Value::Bytes(_))) =>
        {
            let _ = writeln!(
                out,
                "certificate chain ({} certificate{}, leaf first)",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            );
            for (i, item) in items.iter().enumerate() {
                let Value::Bytes(cert) = item else { continue };
                let mut one = String::new();
                describe_sign1(&mut one, cert)
                    .map_err(|e| format!("certificate {}: {e}", i + 1))?;
                let role = if i == 0 {
                    "leaf"
                } else {
                    "issuer of the one above"
                };
                let _ = writeln!(out, "[{}] {role}", i + 1);
                for line in one.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        Value::Tag(18, _) | Value::Array(_) => describe_sign1(&mut out, bytes)?,
        Value::Map(entries) => describe_key(&mut out, bytes, entries)?,
        other => {
            out.push_str("CBOR data item\n");
            out.push_str(&diagnostic(&other));
            out.push('\n');
        }
    }
    Ok(out)
}

fn describe_sign1(out: &mut String, bytes: &[u8]) -> Result<(), String> {
    let s = Sign1::parse(bytes).map_err(|e| e.to_string())?;
    let ct = match &s.protected.content_type {
        Some(coset::ContentType::Text(t)) => Some(t.as_str()),
        _ => None,
    };
    let kind = match ct {
        Some(CERT_CONTENT_TYPE) => "certificate",
        Some(CRL_CONTENT_TYPE) => "revocation list",
        _ => "signed message",
    };
    let _ = writeln!(
        out,
        "{kind} (COSE_Sign1{})",
        if s.tagged { ", tag 18" } else { "" }
    );
    let protected = cbor::decode_any(&s.protected_raw)
        .map(|v| diagnostic(&v))
        .unwrap_or_else(|_| "h''".into());
    let _ = writeln!(out, "  protected:   {protected}");
    let unprotected = cbor::decode_any(bytes).ok().and_then(|v| {
        let v = match v {
            Value::Tag(_, inner) => *inner,
            v => v,
        };
        match v {
            Value::Array(mut items) if items.len() == 4 => Some(items.swap_remove(1)),
            _ => None,
        }
    });
    let _ = writeln!(
        out,
        "  unprotected: {}",
        unprotected.as_ref().map(diagnostic).unwrap_or_default()
    );
    match &s.payload {
        Some(p) => {
            let d = diagnostic_bytes(p).unwrap_or_else(|_| format!("h'{}'", hex::encode(p)));
            let _ = writeln!(out, "  payload:     << {d} >>");
        }
        None => out.push_str("  payload:     nil (detached)\n"),
    }
    let _ = writeln!(out, "  signature:   h'{}'", hex::encode(&s.signature));
    if kind == "certificate" {
        let cert = Certificate::from_bytes(bytes).map_err(|e| e.to_string())?;
        let c = cert.claims();
        out.push_str("claims:\n");
        let _ = writeln!(out, "  role:        {}", c.role);
        let _ = writeln!(out, "  subject:     {:?}", c.subject);
        let _ = writeln!(out, "  issuer:      {:?}", c.issuer);
        let _ = writeln!(out, "  subject kid: {}", cert.subject_kid());
        let _ = writeln!(out, "  issuer kid:  {}", cert.issuer_kid());
        let _ = writeln!(out, "  key:         {}", c.key.algorithm());
        let _ = writeln!(
            out,
            "  issued at:   {} ({})",
            format_time(c.issued_at),
            c.issued_at
        );
        let _ = writeln!(
            out,
            "  not before:  {} ({})",
            format_time(c.not_before),
            c.not_before
        );
        let _ = writeln!(
            out,
            "  expires:     {} ({})",
            format_time(c.expires),
            c.expires
        );
        if let Some(v) = c.vendor_id {
            let _ = writeln!(out, "  vendor id:   {}", hearth_model::vendor::Hex(v));
        }
        if let Some(t) = &c.device_type {
            let _ = writeln!(out, "  device type: {t}");
        }
        if let Some(m) = &c.model {
            let _ = writeln!(out, "  model:       {m:?}");
        }
        if cert.is_self_signed() {
            let verdict = match cert.verify_signature(&c.key) {
                Ok(()) => "valid",
                Err(_) => "INVALID",
            };
            let _ = writeln!(out, "  self-signed: signature {verdict}");
        }
    }
    Ok(())
}

fn describe_key(
    out: &mut String,
    bytes: &[u8],
    entries: Vec<(Value, Value)>,
) -> Result<(), String> {
    let private = entries
        .iter()
        .any(|(k, _)| cbor::as_i128(k) == Some(i128::from(D)));
    let redacted: Vec<(Value, Value)> = entries
        .into_iter()
        .map(|(k, v)| {
            if cbor::as_i128(&k) == Some(i128::from(D)) {
                let n = match &v {
                    Value::Bytes(b) => b.len(),
                    _ => 0,
                };
                (k, Value::Text(format!("<redacted: {n} bytes>")))
            } else {
                (k, v)
            }
        })
        .collect();
    let public = if private {
        KeyPair::from_cose_key(bytes).map(|k| *k.public_key())
    } else {
        PublicKey::from_cose_key(bytes)
    }
    .map_err(|e| e.to_string())?;
    let _ = writeln!(
        out,
        "{} key (COSE_Key)",
        if private { "private" } else { "public" }
    );
    let _ = writeln!(out, "  {}", diagnostic(&Value::Map(redacted)));
    let _ = writeln!(out, "  algorithm:   {}", public.algorithm());
    let _ = writeln!(out, "  key id:      {}", public.key_id());
    let _ = writeln!(out, "  public key:  {}", hex::encode(public.as_bytes()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
        ] {
            assert_eq!(format_time(secs), text);
        }
    }

    #[test]
    fn diag_forms() {
        let v = cbor::decode_any(&hex::decode("d28443a10126a0f64101").expect("hex")).expect("cbor");
        assert_eq!(diagnostic(&v), "18([h'a10126', {}, null, h'01'])");
    }

    #[test]
    fn private_key_redacted() {
        let k = KeyPair::from_ed25519_seed(&[0x42; 32]).expect("seed");
        let text = describe(&k.to_cose_key()).expect("describe");
        assert!(text.contains("<redacted: 32 bytes>"));
        assert!(!text.contains(&hex::encode([0x42; 32])));
    }
}
