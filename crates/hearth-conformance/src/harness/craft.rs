//! Crafted requests: a read sealed as a tester and then changed — re-signed by another key
//! with another chain or counter, its envelope or payload rebuilt byte by byte in a form the
//! profile allows or forbids — and the CBOR checks a crafted or received envelope needs.
//!
//! What the probe seals is always correct; everything here starts from that and changes one
//! thing, so that a device that refuses the result refuses it for that thing.

use ciborium::Value as Cbor;
use hearth_model::Path;
use hearth_security::{Algorithm, KeyPair};
use hearth_wire::{Body, Message};

use super::case::Ctx;
use crate::verdict::Outcome;

/// The request most cases send: a read of device-info `model`, which every device has.
pub fn model_read() -> Body {
    Body::Read(vec![Path::new(0, 1, 4)])
}

/// Seal [`model_read`] as tester `who` without publishing it; `adjust` may change the
/// numbered message (target, request id, time) before it is signed. The request id and the
/// bytes.
pub fn seal(
    ctx: &mut Ctx,
    who: usize,
    adjust: impl FnOnce(&mut Message),
) -> Result<(u64, Vec<u8>), Outcome> {
    Ok(ctx.probe.seal_request(who, model_read(), adjust)?)
}

/// Publish `bytes` on the device's request topic, named `what` in the trace; the trace entry.
pub async fn publish(ctx: &mut Ctx, bytes: Vec<u8>, what: &str) -> Result<usize, Outcome> {
    let topic = ctx.probe.request_topic();
    Ok(ctx.probe.publish_raw(&topic, bytes, what).await?)
}

/// Seal `body` as tester `who` would — its sender, target, request id and time — then let
/// `adjust` change the message (its chain, its counter) and sign it with `key` instead, for
/// the device's request topic. The request id and the bytes. `key`'s certificate carries
/// `who`'s name, so an answer would come on `who`'s response topic, as a barrier's does.
pub fn sign_as(
    ctx: &mut Ctx,
    who: usize,
    key: &KeyPair,
    body: Body,
    adjust: impl FnOnce(&mut Message),
) -> Result<(u64, Vec<u8>), Outcome> {
    let mut sealed: Option<Message> = None;
    let (id, _) = ctx.probe.seal_request(who, body, |m| {
        adjust(m);
        sealed = Some(m.clone());
    })?;
    let msg = sealed.ok_or_else(|| Outcome::error("the probe sealed nothing"))?;
    let topic = ctx.probe.request_topic();
    let bytes =
        hearth_security::cose::sign1(key, &hearth_wire::codec::encode(&msg), topic.as_bytes())
            .map_err(|e| Outcome::error(format!("signing: {e}")))?;
    Ok((id, bytes))
}

/// Bytes from lower-case or upper-case hexadecimal digits, skipping any pair that is not.
pub fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Whether `bytes` is one CBOR item in the deterministic encoding of RFC 8949 §4.2.1:
/// shortest arguments, definite lengths, map keys in bytewise order of their encodings.
pub fn deterministic(bytes: &[u8]) -> Result<(), String> {
    let mut reader = bytes;
    let value: Cbor = ciborium::de::from_reader(&mut reader).map_err(|e| e.to_string())?;
    if !reader.is_empty() {
        return Err(format!("{} bytes after the CBOR item", reader.len()));
    }
    sorted_maps(&value)?;
    let mut again = Vec::with_capacity(bytes.len());
    ciborium::ser::into_writer(&value, &mut again).map_err(|e| e.to_string())?;
    if again != bytes {
        return Err("not in the shortest, definite-length form".into());
    }
    Ok(())
}

fn sorted_maps(value: &Cbor) -> Result<(), String> {
    match value {
        Cbor::Map(entries) => {
            let mut last: Option<Vec<u8>> = None;
            for (k, v) in entries {
                let mut key = Vec::new();
                ciborium::ser::into_writer(k, &mut key).map_err(|e| e.to_string())?;
                if last.as_ref().is_some_and(|l| *l >= key) {
                    return Err("map keys out of deterministic order or repeated".into());
                }
                last = Some(key);
                sorted_maps(k)?;
                sorted_maps(v)?;
            }
            Ok(())
        }
        Cbor::Array(items) => items.iter().try_for_each(sorted_maps),
        Cbor::Tag(_, inner) => sorted_maps(inner),
        _ => Ok(()),
    }
}

/// A tagged COSE_Sign1 taken apart: protected bytes, unprotected map, payload.
pub type Sign1Parts = (Vec<u8>, Vec<(Cbor, Cbor)>, Vec<u8>);

/// The parts of a tagged COSE_Sign1.
pub fn sign1_parts(bytes: &[u8]) -> Result<Sign1Parts, String> {
    let value: Cbor = ciborium::de::from_reader(bytes).map_err(|e| e.to_string())?;
    let Cbor::Tag(18, inner) = value else {
        return Err("not a COSE_Sign1 with tag 18".into());
    };
    let Cbor::Array(items) = *inner else {
        return Err("COSE_Sign1 is not an array".into());
    };
    match <[Cbor; 4]>::try_from(items) {
        Ok([Cbor::Bytes(p), Cbor::Map(u), Cbor::Bytes(payload), Cbor::Bytes(_)]) => {
            Ok((p, u, payload))
        }
        _ => Err("COSE_Sign1 is not [bstr, map, bstr, bstr]".into()),
    }
}

/// The value of an integer CBOR map key.
pub fn int_key(k: &Cbor) -> Option<i128> {
    match k {
        Cbor::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

/// How a crafted request differs from a correct one.
#[derive(Clone, Copy)]
pub enum Craft {
    /// The algorithm labelled with another identifier (CBOR-encoded), the rest unchanged.
    Alg(&'static [u8]),
    /// The protected header `{4: kid, 1: alg}`: not in deterministic order.
    KidFirst,
    /// An extra protected parameter (CBOR-encoded label and value) after alg and kid.
    Extra(&'static [u8]),
    /// The payload's top-level map in reverse key order.
    ReversedPayload,
    /// Unknown keys in the header (99 and a text key) and in the body (99).
    UnknownKeys,
    /// `version` set to 2.
    Version2,
    /// `kind` set to 99.
    Kind99,
    /// An unknown header key (98) holding this many zero bytes.
    Padded(usize),
}

/// Seal a correct read from `who`, then rebuild and sign its envelope as `craft` says.
pub fn craft(ctx: &mut Ctx, who: usize, craft: Craft) -> Result<(u64, Vec<u8>), Outcome> {
    let (id, genuine) = seal(ctx, who, |_| {})?;
    let bad = |why: String| Outcome::error(format!("crafting a request: {why}"));
    let (_, _, payload) = sign1_parts(&genuine).map_err(bad)?;
    let Some(signer) = ctx.probe.tester_signer(who) else {
        return Err(Outcome::error("no signer for the tester"));
    };
    let alg: &[u8] = match signer.algorithm() {
        Algorithm::EdDsa => &[0x27],
        _ => &[0x26],
    };
    let mut kid = vec![0x04, 0x50];
    kid.extend_from_slice(&signer.key_id().0);
    let protected: Vec<u8> = match craft {
        Craft::Alg(other) => [&[0xa2, 0x01][..], other, &kid].concat(),
        Craft::KidFirst => [&[0xa2][..], &kid, &[0x01], alg].concat(),
        Craft::Extra(param) => [&[0xa3, 0x01][..], alg, &kid, param].concat(),
        _ => [&[0xa2, 0x01][..], alg, &kid].concat(),
    };
    let mut map = match ciborium::de::from_reader::<Cbor, _>(payload.as_slice()) {
        Ok(Cbor::Map(m)) => m,
        _ => return Err(bad("the payload is not a map".into())),
    };
    let set = |map: &mut Vec<(Cbor, Cbor)>, key: i64, value: Cbor| {
        for (k, v) in map.iter_mut() {
            if int_key(k) == Some(i128::from(key)) {
                *v = value.clone();
            }
        }
    };
    match craft {
        Craft::ReversedPayload => map.reverse(),
        Craft::UnknownKeys => {
            for (k, v) in map.iter_mut() {
                if let (Some(5), Cbor::Map(body)) = (int_key(k), v) {
                    body.push((Cbor::Integer(99.into()), Cbor::Integer(0.into())));
                }
            }
            map.push((Cbor::Integer(99.into()), Cbor::Text("x".into())));
            map.push((
                Cbor::Text("vendor-extension".into()),
                Cbor::Integer(1.into()),
            ));
        }
        Craft::Version2 => set(&mut map, 1, Cbor::Integer(2.into())),
        Craft::Kind99 => set(&mut map, 2, Cbor::Integer(99.into())),
        Craft::Padded(n) => map.push((Cbor::Integer(98.into()), Cbor::Bytes(vec![0; n]))),
        _ => {}
    }
    let mut payload = Vec::new();
    ciborium::ser::into_writer(&Cbor::Map(map), &mut payload).map_err(|e| bad(e.to_string()))?;
    let topic = ctx.probe.request_topic();
    let tbs = Cbor::Array(vec![
        Cbor::Text("Signature1".into()),
        Cbor::Bytes(protected.clone()),
        Cbor::Bytes(topic.into_bytes()),
        Cbor::Bytes(payload.clone()),
    ]);
    let mut tbs_bytes = Vec::new();
    ciborium::ser::into_writer(&tbs, &mut tbs_bytes).map_err(|e| bad(e.to_string()))?;
    let signature = signer
        .sign_raw(&tbs_bytes)
        .map_err(|e| bad(e.to_string()))?;
    let envelope = Cbor::Tag(
        18,
        Box::new(Cbor::Array(vec![
            Cbor::Bytes(protected),
            Cbor::Map(Vec::new()),
            Cbor::Bytes(payload),
            Cbor::Bytes(signature),
        ])),
    );
    let mut bytes = Vec::new();
    ciborium::ser::into_writer(&envelope, &mut bytes).map_err(|e| bad(e.to_string()))?;
    Ok((id, bytes))
}

/// A request sealed as tester `who` with `body`, its payload (the encoded message) rewritten
/// by `change` and signed again by `who` for the request topic: a request the signature
/// vouches for, whose CBOR is what `change` made of it.
pub fn resigned(
    ctx: &mut Ctx,
    who: usize,
    body: Body,
    change: impl FnOnce(Vec<u8>) -> Result<Vec<u8>, String>,
) -> Result<(u64, Vec<u8>), Outcome> {
    let bad = |why: String| Outcome::error(format!("crafting a request: {why}"));
    let (id, genuine) = ctx.probe.seal_request(who, body, |_| {})?;
    let (_, _, payload) = sign1_parts(&genuine).map_err(bad)?;
    let payload = change(payload).map_err(bad)?;
    let topic = ctx.probe.request_topic();
    let signer = ctx
        .probe
        .tester_signer(who)
        .ok_or_else(|| Outcome::error("no signer for the tester"))?;
    let bytes = hearth_security::cose::sign1(signer, &payload, topic.as_bytes())
        .map_err(|e| bad(e.to_string()))?;
    Ok((id, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_cbor_is_recognised() {
        assert!(deterministic(&[0xa2, 0x01, 0x27, 0x04, 0x41, 0x00]).is_ok());
        // keys out of order
        assert!(deterministic(&[0xa2, 0x04, 0x41, 0x00, 0x01, 0x27]).is_err());
        // 1 in a two-byte argument
        assert!(deterministic(&[0x18, 0x01]).is_err());
        // indefinite-length array
        assert!(deterministic(&[0x9f, 0x01, 0xff]).is_err());
    }
}
