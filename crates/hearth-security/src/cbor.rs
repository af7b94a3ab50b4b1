//! Small CBOR helpers shared by the modules: bounded decoding into a `ciborium::Value`
//! that rejects trailing bytes, deterministic map construction and the COSE
//! `Sig_structure` (RFC 9052 §4.4).

use ciborium::value::{Integer, Value};

/// How deep the arrays and maps of a certificate, a revocation list, a key, an access-control
/// list or a counter file may nest: far more than any of them needs.
const MAX_DEPTH: usize = 16;

/// Decode exactly one CBOR data item from `bytes` in the Hearth profile ([`strict::decode`]:
/// definite lengths, no tags, no floats, no repeated map key), as every certificate, claims
/// set, revocation list and credential file is read (HRT-SEC-137).
///
/// [`strict::decode`]: crate::strict::decode
pub(crate) fn decode(bytes: &[u8]) -> Result<Value, String> {
    crate::strict::decode(bytes, None, MAX_DEPTH).map_err(|e| format!("invalid CBOR: {e}"))
}

/// Decode exactly one CBOR data item from `bytes` as a general-purpose decoder reads it:
/// for showing what arrived (diagnostics), never for acting on it. Trailing bytes are an
/// error.
pub(crate) fn decode_any(bytes: &[u8]) -> Result<Value, String> {
    let mut rest = bytes;
    let value: Value =
        ciborium::de::from_reader(&mut rest).map_err(|e| format!("invalid CBOR: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes after the CBOR item", rest.len()));
    }
    Ok(value)
}

/// Encode a value. Encoding a `Value` into a vector cannot fail except on allocation.
pub(crate) fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec never returns an I/O error; ciborium only fails on the writer.
    if ciborium::ser::into_writer(value, &mut out).is_err() {
        out.clear();
    }
    out
}

/// Build a map whose entries are sorted in the deterministic order of RFC 8949 §4.2.1
/// (bytewise lexicographic order of the encoded keys).
pub(crate) fn det_map(mut entries: Vec<(Value, Value)>) -> Value {
    entries.sort_by_cached_key(|(k, _)| encode(k));
    Value::Map(entries)
}

/// An integer map key.
pub(crate) fn int(v: i64) -> Value {
    Value::Integer(Integer::from(v))
}

/// Read an integer value as i128 (CBOR integers span −2^64 … 2^64−1).
pub(crate) fn as_i128(v: &Value) -> Option<i128> {
    match v {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

/// Read an unsigned integer that fits in u64.
pub(crate) fn as_u64(v: &Value) -> Option<u64> {
    as_i128(v).and_then(|i| u64::try_from(i).ok())
}

/// Map view with integer keys: rejects non-integer and duplicate keys.
pub(crate) fn int_map(v: Value, what: &str) -> Result<Vec<(i128, Value)>, String> {
    let Value::Map(entries) = v else {
        return Err(format!("{what}: expected a map"));
    };
    let mut out: Vec<(i128, Value)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let Some(k) = as_i128(&k) else {
            return Err(format!("{what}: map key is not an integer"));
        };
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(format!("{what}: duplicate map key {k}"));
        }
        out.push((k, v));
    }
    Ok(out)
}

/// Append a CBOR head (major type and argument) in its shortest form.
fn head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let mt = major << 5;
    if arg < 24 {
        out.push(mt | arg as u8);
    } else if arg <= u64::from(u8::MAX) {
        out.push(mt | 24);
        out.push(arg as u8);
    } else if arg <= u64::from(u16::MAX) {
        out.push(mt | 25);
        out.extend_from_slice(&(arg as u16).to_be_bytes());
    } else if arg <= u64::from(u32::MAX) {
        out.push(mt | 26);
        out.extend_from_slice(&(arg as u32).to_be_bytes());
    } else {
        out.push(mt | 27);
        out.extend_from_slice(&arg.to_be_bytes());
    }
}

fn bstr(out: &mut Vec<u8>, bytes: &[u8]) {
    head(out, 2, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `Sig_structure = ["Signature1", body_protected, external_aad, payload]` (RFC 9052 §4.4),
/// built from the protected header bytes exactly as received.
pub(crate) fn sig_structure1(protected: &[u8], aad: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(protected.len() + aad.len() + payload.len() + 32);
    head(&mut out, 4, 4);
    head(&mut out, 3, 10);
    out.extend_from_slice(b"Signature1");
    bstr(&mut out, protected);
    bstr(&mut out, aad);
    bstr(&mut out, payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sig_structure_matches_cose_wg_intermediate() {
        // sign-pass-01: protected h'', aad h'', payload "This is the content."
        let tbs = sig_structure1(b"", b"", b"This is the content.");
        assert_eq!(
            hex::encode_upper(tbs),
            "846A5369676E617475726531404054546869732069732074686520636F6E74656E742E"
        );
    }

    #[test]
    fn heads_are_shortest() {
        for (arg, len) in [(0u64, 1), (23, 1), (24, 2), (255, 2), (256, 3), (65_536, 5)] {
            let mut out = Vec::new();
            head(&mut out, 2, arg);
            assert_eq!(out.len(), len, "{arg}");
        }
    }

    #[test]
    fn decode_rejects_trailing() {
        assert!(decode(&[0x01, 0x02]).is_err());
        assert!(decode(&[0x01]).is_ok());
        assert!(decode(&[]).is_err());
    }
}
