//! TC-SEC-1.x, what the device signs: every message it publishes opens in a receiver that
//! trusts the lab's root, and its envelopes and certificate chain follow the profile byte by
//! byte, without its private key anywhere.

use ciborium::Value as Cbor;
use hearth_model::Path;
use hearth_security::cert::{Certificate, Role};
use hearth_security::{Algorithm, KeyPair};
use hearth_wire::{Body, Message};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::craft::{deterministic, int_key, sign1_parts, unhex};
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

test_case! {
    /// TC-SEC-1.1
    SIGNED: "TC-SEC-1.1",
    title: "Everything the device publishes is signed by its certified key for the topic it is on",
    checks: [
        HRT_SEC_007,
        HRT_SEC_010,
        HRT_SEC_011,
        HRT_SEC_012,
        HRT_SEC_020,
        HRT_SEC_021,
        HRT_SEC_022,
        HRT_SEC_023,
        HRT_SEC_024,
        HRT_SEC_034,
        HRT_SEC_040,
        HRT_SEC_041,
        HRT_SEC_042,
        HRT_SEC_043,
        HRT_SEC_047,
        HRT_SEC_048,
        HRT_SEC_049,
        HRT_SEC_051,
        HRT_SEC_054,
        HRT_SEC_055,
        HRT_SEC_061,
        HRT_SEC_063,
        HRT_SEC_064,
        HRT_SEC_079,
        HRT_MSG_001,
        HRT_MSG_002,
        HRT_MSG_003,
        HRT_MSG_004,
        HRT_MSG_011,
        HRT_MSG_012,
        HRT_MSG_022,
        HRT_MSG_023,
        HRT_MSG_031,
        HRT_MQTT_010,
        // What else the suite's receiver can refuse a device message for.
        HRT_MSG_030,
        HRT_MSG_040,
        HRT_SEC_030,
        HRT_SEC_031,
        HRT_SEC_033,
        HRT_SEC_097,
        HRT_SEC_098,
        HRT_MQTT_017,
    ],
    steps: [
        "Read a property so that the device publishes a response; watch its description, status and reports.",
        "Every message must have opened: signature over its own topic, chain to the trusted root, sender = certificate subject.",
    ],
    applies: always,
    run: signed(operator),
}

async fn signed(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let read = ctx.read(who, Path::new(0, 1, 1)).await;
    ctx.step(2);
    let rejected = ctx.probe.rejections(0);
    if let Some(first) = rejected.first() {
        return Err(first
            .fail("a message from the device")
            .with_evidence(rejected.iter().map(|r| r.seq)));
    }
    read.map(drop)
}

test_case! {
    /// TC-SEC-1.2
    ENVELOPE_PROFILE: "TC-SEC-1.2",
    title: "The device's envelopes and certificate chain follow the profile byte by byte",
    checks: [
        HRT_SEC_003,
        HRT_SEC_014,
        HRT_SEC_021,
        HRT_SEC_025,
        HRT_SEC_026,
        HRT_SEC_027,
        HRT_SEC_040,
        HRT_SEC_044,
        HRT_SEC_046,
        HRT_SEC_052,
        HRT_SEC_053,
        HRT_MSG_008,
        HRT_MSG_009,
        HRT_CONF_024,
    ],
    steps: [
        "Read a property so that the device publishes a response; take every message the device has published in the run.",
        "Each protected header must be exactly the deterministic {1: alg, 4: kid}, with alg -8 for an Ed25519 key or -7 for a P-256 key; each unprotected header empty.",
        "The description must carry the chain, leaf first, each certificate issued by the next one's key; the leaf must be the device certificate of this vendor id and device id, with the device type's catalog name, and its key of the algorithm the ICS declares.",
        "Each certificate's claims must be deterministically encoded, and its cnf must hold only the thumbprint parameters of the key.",
        "No byte string or hexadecimal text in any payload (the certificates aside) may hold, in any 32 consecutive bytes, the private key of the device's certified public key.",
    ],
    applies: always,
    run: envelope_profile(operator),
}

async fn envelope_profile(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    ctx.read(who, Path::new(0, 1, 4)).await?;
    let device_id = ctx.description.device_id.clone();
    let mine: Vec<(usize, Vec<u8>, Message)> = ctx
        .probe
        .published(0)
        .into_iter()
        .filter(|p| p.opened && p.message.sender == device_id)
        .map(|p| (p.seq, p.bytes, p.message))
        .collect();
    ctx.step(2);
    let Some((desc_seq, _, desc)) = mine
        .iter()
        .find(|(_, _, m)| matches!(m.body, Body::Description(_)))
        .cloned()
    else {
        return Err(Outcome::fail(
            req::HRT_MSG_008,
            "no description from the device opened in this run",
        ));
    };
    // A failure the description shows (trace entry `desc_seq`).
    let of_description =
        |requirement: Req, why: String| Outcome::fail(requirement, why).with_evidence([desc_seq]);
    if desc.chain.is_empty() {
        return Err(Outcome::fail(
            req::HRT_MSG_008,
            "the description carries no certificate chain",
        )
        .with_evidence([desc_seq]));
    }
    let mut certs = Vec::new();
    for c in &desc.chain {
        match Certificate::from_bytes(c) {
            Ok(cert) => certs.push(cert),
            Err(e) => {
                return Err(of_description(
                    req::HRT_SEC_040,
                    format!("a certificate of the chain: {e}"),
                ))
            }
        }
    }
    let leaf_alg = certs[0].claims().key.algorithm();
    let alg_byte = match leaf_alg {
        Algorithm::EdDsa => 0x27,
        _ => 0x26,
    };
    for (seq, bytes, _) in &mine {
        let (protected, unprotected, _) = match sign1_parts(bytes) {
            Ok(p) => p,
            Err(why) => return Err(Outcome::fail(req::HRT_SEC_021, why).with_evidence([*seq])),
        };
        if !unprotected.is_empty() {
            return Err(Outcome::fail(
                req::HRT_SEC_027,
                format!(
                    "an unprotected header with {} parameters",
                    unprotected.len()
                ),
            )
            .with_evidence([*seq]));
        }
        let well_formed = protected.len() == 21
            && protected[..2] == [0xa2, 0x01]
            && protected[3..5] == [0x04, 0x50];
        if !well_formed {
            return Err(Outcome::fail(
                req::HRT_SEC_026,
                format!(
                    "the protected header is not the deterministic {{1: alg, 4: kid}}: {}",
                    protected
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ),
            )
            .with_evidence([*seq]));
        }
        if protected[2] != alg_byte {
            return Err(Outcome::fail(
                req::HRT_SEC_003,
                format!(
                    "the algorithm is labelled 0x{:02x} (CBOR) for a {leaf_alg:?} key; the profile requires {}",
                    protected[2],
                    if alg_byte == 0x27 { "-8" } else { "-7" }
                ),
            )
            .with_evidence([*seq]));
        }
    }
    ctx.step(3);
    let desc_bytes = mine
        .iter()
        .find(|(s, _, _)| *s == desc_seq)
        .map(|(_, b, _)| b.clone())
        .unwrap_or_default();
    let signer_kid = hearth_security::cose::Envelope::parse(&desc_bytes)
        .map(|e| *e.kid())
        .ok();
    if signer_kid.as_ref() != Some(certs[0].subject_kid()) {
        return Err(Outcome::fail(
            req::HRT_MSG_009,
            "the first certificate of the chain is not the signer's own",
        )
        .with_evidence([desc_seq]));
    }
    for pair in certs.windows(2) {
        if pair[0].issuer_kid() != pair[1].subject_kid() {
            return Err(of_description(
                req::HRT_MSG_009,
                format!(
                    "{:?} is not followed by the certificate of its issuer",
                    pair[0].claims().subject
                ),
            ));
        }
    }
    let leaf = certs[0].claims();
    let dt = ctx
        .catalog
        .device_type(ctx.description.device_type)
        .map(|d| d.name.clone());
    if leaf.role != Role::Device
        || leaf.vendor_id != Some(ctx.description.vendor_id)
        || leaf.subject != device_id
        || leaf.device_type != dt
        || leaf.model.is_none()
    {
        return Err(Outcome::fail(
            if leaf.subject == device_id {
                req::HRT_SEC_052
            } else {
                req::HRT_SEC_053
            },
            format!(
                "the signer's certificate is a {} certificate for {:?} of vendor {}, type {:?}, model {:?}; the device is {device_id:?} of vendor {}, type {dt:?}",
                leaf.role, leaf.subject, hearth_model::vendor::hex_or_none(leaf.vendor_id), leaf.device_type, leaf.model, hearth_model::vendor::Hex(ctx.description.vendor_id)
            ),
        )
        .with_evidence([desc_seq]));
    }
    let declared = match ctx.ics.features.algorithm {
        crate::ics::Algorithm::Ed25519 => Algorithm::EdDsa,
        crate::ics::Algorithm::Es256 => Algorithm::Es256,
    };
    if declared != leaf_alg {
        return Err(of_description(
            req::HRT_CONF_024,
            format!(
                "the ICS declares {declared:?}; the device's certificate holds a {leaf_alg:?} key"
            ),
        ));
    }
    ctx.step(4);
    for (i, c) in desc.chain.iter().enumerate() {
        let Ok((_, _, claims)) = sign1_parts(c) else {
            return Err(of_description(
                req::HRT_SEC_040,
                format!("certificate {i} of the chain is not a tagged COSE_Sign1"),
            ));
        };
        if let Err(why) = deterministic(&claims) {
            return Err(of_description(
                req::HRT_SEC_044,
                format!("the claims of certificate {i} of the chain: {why}"),
            ));
        }
        let Ok(Cbor::Map(entries)) = ciborium::de::from_reader::<Cbor, _>(claims.as_slice()) else {
            continue;
        };
        let cnf = entries
            .iter()
            .find(|(k, _)| int_key(k) == Some(8))
            .map(|(_, v)| v);
        let key_labels: Option<Vec<i128>> = match cnf {
            Some(Cbor::Map(m)) if m.len() == 1 => match &m[0] {
                (k, Cbor::Map(key)) if int_key(k) == Some(1) => {
                    key.iter().map(|(l, _)| int_key(l)).collect()
                }
                _ => None,
            },
            _ => None,
        };
        let mut labels = key_labels.unwrap_or_default();
        labels.sort_unstable();
        let thumbprint_only = labels == [-2, -1, 1] || labels == [-3, -2, -1, 1];
        if !thumbprint_only {
            return Err(of_description(
                req::HRT_SEC_046,
                format!(
                    "the cnf claim of certificate {i} of the chain holds key parameters {labels:?}, not exactly the thumbprint parameters"
                ),
            ));
        }
    }
    ctx.step(5);
    let public = certs[0].claims().key;
    for (seq, _, msg) in &mine {
        let mut stripped = msg.clone();
        stripped.chain.clear();
        let payload = hearth_wire::codec::encode(&stripped);
        let Ok(value) = ciborium::de::from_reader::<Cbor, _>(payload.as_slice()) else {
            continue;
        };
        let mut strings = Vec::new();
        byte_strings(&value, &mut strings);
        if holds_private_key(&strings, &public) {
            return Err(Outcome::fail(
                req::HRT_SEC_014,
                format!("a {} holds the device's private key", msg.kind().name()),
            )
            .with_evidence([*seq]));
        }
    }
    Ok(())
}

/// Whether any 32 consecutive bytes of `strings` are the private key of `public`.
fn holds_private_key(strings: &[Vec<u8>], public: &hearth_security::PublicKey) -> bool {
    strings.iter().any(|s| {
        s.windows(32).any(|window| {
            let Ok(secret) = <[u8; 32]>::try_from(window) else {
                return false;
            };
            match public {
                hearth_security::PublicKey::Ed25519(_) => {
                    KeyPair::from_ed25519_seed(&secret).is_ok_and(|k| k.public_key() == public)
                }
                hearth_security::PublicKey::P256(p) => KeyPair::from_p256_parts(&secret, p).is_ok(),
            }
        })
    })
}

/// Every byte string of at least 32 bytes in `value`, and every text that is at least 64
/// hexadecimal digits, decoded.
fn byte_strings(value: &Cbor, out: &mut Vec<Vec<u8>>) {
    match value {
        Cbor::Bytes(b) if b.len() >= 32 => out.push(b.clone()),
        Cbor::Text(t)
            if t.len() >= 64 && t.len() % 2 == 0 && t.bytes().all(|c| c.is_ascii_hexdigit()) =>
        {
            out.push(unhex(t));
        }
        Cbor::Array(items) => items.iter().for_each(|i| byte_strings(i, out)),
        Cbor::Map(entries) => entries.iter().for_each(|(k, v)| {
            byte_strings(k, out);
            byte_strings(v, out);
        }),
        Cbor::Tag(_, inner) => byte_strings(inner, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_key_is_found_in_bytes_and_hex_text() {
        let key = KeyPair::from_ed25519_seed(&[7; 32]).expect("seed");
        let public = *key.public_key();
        let mut padded = vec![1, 2, 3];
        padded.extend_from_slice(&[7; 32]);
        let value = Cbor::Array(vec![
            Cbor::Bytes(vec![9; 40]),
            Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Bytes(padded))]),
        ]);
        let mut strings = Vec::new();
        byte_strings(&value, &mut strings);
        assert!(holds_private_key(&strings, &public));
        let hex: String = [7u8; 32].iter().map(|b| format!("{b:02x}")).collect();
        let mut strings = Vec::new();
        byte_strings(&Cbor::Text(hex), &mut strings);
        assert!(holds_private_key(&strings, &public));
        let mut strings = Vec::new();
        byte_strings(&Cbor::Bytes(vec![9; 40]), &mut strings);
        assert!(!holds_private_key(&strings, &public));
    }
}
