//! The signed envelope and certificate chain byte by byte, and the device as a verifier:
//! unknown signers, the unprotected header, the replay window, the target and time of a
//! request.

use ciborium::Value as Cbor;
use hearth_model::Path;
use hearth_security::cert::{Certificate, Role};
use hearth_security::{Algorithm, KeyPair};
use hearth_wire::{Body, Message};

use crate::case::{always, Case, Ctx};
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::trace::Direction;
use crate::verdict::{Outcome, Verdict};

pub(crate) fn operator(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// Whether `bytes` is one CBOR item in the deterministic encoding of RFC 8949 §4.2.1:
/// shortest arguments, definite lengths, map keys in bytewise order of their encodings.
pub(crate) fn deterministic(bytes: &[u8]) -> Result<(), String> {
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
type Sign1Parts = (Vec<u8>, Vec<(Cbor, Cbor)>, Vec<u8>);

/// The parts of a tagged COSE_Sign1.
fn sign1_parts(bytes: &[u8]) -> Result<Sign1Parts, String> {
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

fn int_key(k: &Cbor) -> Option<i128> {
    match k {
        Cbor::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

/// TC-SEC-1.2
pub(crate) const ENVELOPE_PROFILE: Case = Case {
    id: "TC-SEC-1.2",
    title: "The device's envelopes and certificate chain follow the profile byte by byte",
    requirements: &[
        req::HRT_SEC_003,
        req::HRT_SEC_014,
        req::HRT_SEC_025,
        req::HRT_SEC_026,
        req::HRT_SEC_027,
        req::HRT_SEC_044,
        req::HRT_SEC_046,
        req::HRT_SEC_052,
        req::HRT_SEC_053,
        req::HRT_MSG_008,
        req::HRT_MSG_009,
        req::HRT_CONF_024,
    ],
    steps: &[
        "Read a property so that the device publishes a response; take every message the device has published in the run.",
        "Each protected header must be exactly the deterministic {1: alg, 4: kid}, with alg -8 for an Ed25519 key or -7 for a P-256 key; each unprotected header empty.",
        "The description must carry the chain, leaf first, each certificate issued by the next one's key; the leaf must be the device certificate of this vendor id and device id, with the device type's catalog name, and its key of the algorithm the ICS declares.",
        "Each certificate's claims must be deterministically encoded, and its cnf must hold only the thumbprint parameters of the key.",
        "No byte string or hexadecimal text in any payload (the certificates aside) may hold, in any 32 consecutive bytes, the private key of the device's certified public key.",
    ],
    applies: always,
    run: envelope_profile,
};

case_fn!(envelope_profile, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Read a property so that the device publishes a response; take every message the device has published in the run.");
    try_outcome!(ctx.read(who, Path::new(0, 1, 4)).await);
    let device_id = ctx.description.device_id.clone();
    let mut mine = Vec::new();
    for e in ctx.probe.trace().entries() {
        if e.direction != Direction::In || e.check != "ok" {
            continue;
        }
        let bytes = unhex(&e.hex);
        let Ok(env) = hearth_security::cose::Envelope::parse(&bytes) else {
            continue;
        };
        let Ok(msg) =
            hearth_wire::codec::decode(env.unverified_payload(), &hearth_wire::Limits::STANDARD)
        else {
            continue;
        };
        if msg.sender == device_id {
            mine.push((e.seq, bytes, msg));
        }
    }
    ctx.step_text("Each protected header must be exactly the deterministic {1: alg, 4: kid}, with alg -8 for an Ed25519 key or -7 for a P-256 key; each unprotected header empty.");
    let Some((desc_seq, _, desc)) = mine
        .iter()
        .find(|(_, _, m)| matches!(m.body, Body::Description(_)))
        .cloned()
    else {
        return Outcome::fail(
            "HRT-MSG-008",
            "no description from the device opened in this run",
        );
    };
    if desc.chain.is_empty() {
        return Outcome::fail(
            "HRT-MSG-008",
            "the description carries no certificate chain",
        )
        .with_evidence([desc_seq]);
    }
    let mut certs = Vec::new();
    for c in &desc.chain {
        match Certificate::from_bytes(c) {
            Ok(cert) => certs.push(cert),
            Err(e) => {
                return Outcome::fail("HRT-SEC-064", format!("a certificate of the chain: {e}"))
                    .with_evidence([desc_seq])
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
            Err(why) => return Outcome::fail("HRT-SEC-021", why).with_evidence([*seq]),
        };
        if !unprotected.is_empty() {
            return Outcome::fail(
                "HRT-SEC-027",
                format!(
                    "an unprotected header with {} parameters",
                    unprotected.len()
                ),
            )
            .with_evidence([*seq]);
        }
        let well_formed = protected.len() == 21
            && protected[..2] == [0xa2, 0x01]
            && protected[3..5] == [0x04, 0x50];
        if !well_formed {
            return Outcome::fail(
                "HRT-SEC-026",
                format!(
                    "the protected header is not the deterministic {{1: alg, 4: kid}}: {}",
                    protected
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>()
                ),
            )
            .with_evidence([*seq]);
        }
        if protected[2] != alg_byte {
            return Outcome::fail(
                "HRT-SEC-003",
                format!(
                    "the algorithm is labelled 0x{:02x} (CBOR) for a {leaf_alg:?} key; the profile requires {}",
                    protected[2],
                    if alg_byte == 0x27 { "-8" } else { "-7" }
                ),
            )
            .with_evidence([*seq]);
        }
    }
    ctx.step_text("The description must carry the chain, leaf first, each certificate issued by the next one's key; the leaf must be the device certificate of this vendor id and device id, with the device type's catalog name, and its key of the algorithm the ICS declares.");
    let desc_bytes = mine
        .iter()
        .find(|(s, _, _)| *s == desc_seq)
        .map(|(_, b, _)| b.clone())
        .unwrap_or_default();
    let signer_kid = hearth_security::cose::Envelope::parse(&desc_bytes)
        .map(|e| *e.kid())
        .ok();
    if signer_kid.as_ref() != Some(certs[0].subject_kid()) {
        return Outcome::fail(
            "HRT-MSG-009",
            "the first certificate of the chain is not the signer's own",
        )
        .with_evidence([desc_seq]);
    }
    for pair in certs.windows(2) {
        if pair[0].issuer_kid() != pair[1].subject_kid() {
            return Outcome::fail(
                "HRT-MSG-009",
                format!(
                    "{:?} is not followed by the certificate of its issuer",
                    pair[0].claims().subject
                ),
            )
            .with_evidence([desc_seq]);
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
        return Outcome::fail(
            if leaf.subject == device_id {
                "HRT-SEC-052"
            } else {
                "HRT-SEC-053"
            },
            format!(
                "the signer's certificate is a {} certificate for {:?} of vendor {:?}, type {:?}, model {:?}; the device is {device_id:?} of vendor {:#06x}, type {dt:?}",
                leaf.role, leaf.subject, leaf.vendor_id, leaf.device_type, leaf.model, ctx.description.vendor_id
            ),
        )
        .with_evidence([desc_seq]);
    }
    let declared = match ctx.ics.features.algorithm {
        crate::ics::Algorithm::Ed25519 => Algorithm::EdDsa,
        crate::ics::Algorithm::Es256 => Algorithm::Es256,
    };
    if declared != leaf_alg {
        return Outcome::fail(
            "HRT-CONF-024",
            format!(
                "the ICS declares {declared:?}; the device's certificate holds a {leaf_alg:?} key"
            ),
        )
        .with_evidence([desc_seq]);
    }
    ctx.step_text("Each certificate's claims must be deterministically encoded, and its cnf must hold only the thumbprint parameters of the key.");
    for (i, c) in desc.chain.iter().enumerate() {
        let Ok((_, _, claims)) = sign1_parts(c) else {
            return Outcome::fail(
                "HRT-SEC-040",
                format!("certificate {i} of the chain is not a tagged COSE_Sign1"),
            )
            .with_evidence([desc_seq]);
        };
        if let Err(why) = deterministic(&claims) {
            return Outcome::fail(
                "HRT-SEC-044",
                format!("the claims of certificate {i} of the chain: {why}"),
            )
            .with_evidence([desc_seq]);
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
            return Outcome::fail(
                "HRT-SEC-046",
                format!(
                    "the cnf claim of certificate {i} of the chain holds key parameters {labels:?}, not exactly the thumbprint parameters"
                ),
            )
            .with_evidence([desc_seq]);
        }
    }
    ctx.step_text("No byte string or hexadecimal text in any payload (the certificates aside) may hold, in any 32 consecutive bytes, the private key of the device's certified public key.");
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
            return Outcome::fail(
                "HRT-SEC-014",
                format!("a {} holds the device's private key", msg.kind().name()),
            )
            .with_evidence([*seq]);
        }
    }
    Outcome::pass()
});

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

/// Wait the silence window for an answer to `id`; `Ok` when there is none.
pub(crate) async fn silent(
    ctx: &mut Ctx,
    id: u64,
    requirement: &str,
    what: &str,
    sent: usize,
) -> Outcome {
    let window = ctx.params.silence_window;
    match ctx.probe.answer(id, window).await {
        None => Outcome::pass(),
        Some(a) => Outcome::fail(
            requirement,
            format!("the device answered {what} (trace #{})", a.seq),
        )
        .with_evidence([sent, a.seq]),
    }
}

/// Wait for an authenticated answer to `id`; `Ok` when there is one.
pub(crate) async fn answered(
    ctx: &mut Ctx,
    id: u64,
    requirement: &str,
    what: &str,
    sent: usize,
) -> Outcome {
    let timeout = ctx.response_timeout();
    match ctx.probe.answer(id, timeout).await {
        Some(crate::probe::Answer { message: Ok(_), .. }) => Outcome::pass(),
        Some(crate::probe::Answer {
            message: Err(crate::probe::Rejection { why, id: req, .. }),
            seq,
            ..
        }) => Outcome::fail(req, format!("the answer to {what} did not open: {why}"))
            .with_evidence([sent, seq]),
        None => Outcome::fail(
            requirement,
            format!("no answer to {what} within {timeout:?}"),
        )
        .with_evidence([sent]),
    }
}

fn read_body() -> Body {
    Body::Read(vec![Path::new(0, 1, 4)])
}

pub(crate) async fn publish(ctx: &mut Ctx, bytes: Vec<u8>, what: &str) -> Result<usize, Outcome> {
    let topic = ctx.probe.request_topic();
    ctx.probe
        .publish_raw(&topic, bytes, what)
        .await
        .map_err(|e| Outcome::error(e.to_string()))
}

fn seal(
    ctx: &mut Ctx,
    who: usize,
    adjust: impl FnOnce(&mut Message),
) -> Result<(u64, Vec<u8>), Outcome> {
    ctx.probe
        .seal_request(who, read_body(), adjust)
        .map_err(|e| Outcome::error(e.to_string()))
}

/// Seal a read as tester `who`, then send it signed by `key` instead, carrying `chain`, with
/// its counter moved `ahead` so that the replay window cannot be why it is dropped. The
/// device must not answer it (`requirement`), and must answer a correct read afterwards.
/// `label` names the request in the trace, `what` in a failure.
async fn forged_read_ignored(
    ctx: &mut Ctx,
    who: usize,
    key: &KeyPair,
    chain: Vec<Vec<u8>>,
    ahead: u64,
    requirement: &str,
    (label, what): (&str, &str),
) -> Outcome {
    let (id, genuine) = try_outcome!(seal(ctx, who, |_| {}));
    let Ok(env) = hearth_security::cose::Envelope::parse(&genuine) else {
        return Outcome::error("the probe's own request does not parse");
    };
    let Ok(mut msg) =
        hearth_wire::codec::decode(env.unverified_payload(), &hearth_wire::Limits::STANDARD)
    else {
        return Outcome::error("the probe's own request does not decode");
    };
    msg.chain = chain;
    msg.counter = msg.counter.saturating_add(ahead);
    let topic = ctx.probe.request_topic();
    let forged = try_outcome!(hearth_security::cose::sign1(
        key,
        &hearth_wire::codec::encode(&msg),
        topic.as_bytes()
    )
    .map_err(|e| Outcome::error(format!("signing: {e}"))));
    let sent = try_outcome!(publish(ctx, forged, label).await);
    ctx.step_text("Watch the silence window for an answer: there must be none.");
    let o = silent(ctx, id, requirement, what, sent).await;
    if o.verdict != Verdict::Pass {
        return o;
    }
    ctx.step_text("Send a correct read: it must still be answered.");
    try_outcome!(ctx.read(who, Path::new(0, 1, 4)).await);
    Outcome::pass()
}

/// TC-SEC-2.5
pub(crate) const UNKNOWN_SIGNER: Case = Case {
    id: "TC-SEC-2.5",
    title: "A request signed by a key no validated chain vouches for is not served",
    requirements: &[req::HRT_SEC_033, req::HRT_SEC_131, req::HRT_MSG_082],
    steps: &[
        "Sign a read with a freshly generated key, in the name of an admitted controller, without a certificate chain.",
        "Watch the silence window for an answer: there must be none.",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: unknown_signer,
};

case_fn!(unknown_signer, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Sign a read with a freshly generated key, in the name of an admitted controller, without a certificate chain.");
    let key = try_outcome!(KeyPair::generate_system(Algorithm::EdDsa)
        .map_err(|e| Outcome::error(format!("generating a key: {e}"))));
    forged_read_ignored(
        ctx,
        who,
        &key,
        Vec::new(),
        1_000,
        "HRT-SEC-033",
        (
            "read signed by an unknown key, no chain",
            "a request signed by an unknown key",
        ),
    )
    .await
});

/// TC-SEC-2.6
pub(crate) const UNPROTECTED_IGNORED: Case = Case {
    id: "TC-SEC-2.6",
    title: "Parameters in the unprotected header are ignored",
    requirements: &[req::HRT_SEC_032],
    steps: &[
        "Seal a correct read, then put into its unprotected header an algorithm (-35) and a key id (16 zero bytes) that do not belong to the signer.",
        "Expect the read to be answered.",
    ],
    applies: always,
    run: unprotected_ignored,
};

case_fn!(unprotected_ignored, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Seal a correct read, then put into its unprotected header an algorithm (-35) and a key id (16 zero bytes) that do not belong to the signer.");
    let (id, bytes) = try_outcome!(seal(ctx, who, |_| {}));
    // d2 84 <bstr protected> a0 <payload> <signature>
    let (len, at) = match bytes.get(2) {
        Some(b @ 0x40..=0x57) => (usize::from(b - 0x40), 3),
        Some(0x58) => (usize::from(bytes.get(3).copied().unwrap_or(0)), 4),
        _ => return Outcome::error("the probe's own envelope has an unexpected layout"),
    };
    let split = at + len;
    if bytes.get(..2) != Some(&[0xd2, 0x84][..]) || bytes.get(split) != Some(&0xa0) {
        return Outcome::error("the probe's own envelope has an unexpected layout");
    }
    let mut changed = bytes[..split].to_vec();
    changed.extend_from_slice(&[0xa2, 0x01, 0x38, 0x22, 0x04, 0x50]);
    changed.extend_from_slice(&[0u8; 16]);
    changed.extend_from_slice(&bytes[split + 1..]);
    let sent = try_outcome!(publish(ctx, changed, "read with a foreign unprotected header").await);
    ctx.step_text("Expect the read to be answered.");
    answered(
        ctx,
        id,
        "HRT-SEC-032",
        "a correct read with parameters in its unprotected header",
        sent,
    )
    .await
});

/// TC-SEC-2.7
pub(crate) const REPLAY_WINDOW: Case = Case {
    id: "TC-SEC-2.7",
    title: "The replay window holds 64 counters, accepts them in any order, and moves only on authenticated messages",
    requirements: &[
        req::HRT_SEC_096,
        req::HRT_SEC_098,
        req::HRT_SEC_099,
        req::HRT_SEC_101,
        req::HRT_MSG_081,
    ],
    steps: &[
        "Seal 65 reads with consecutive counters c … c+64; publish the last one and expect an answer.",
        "Publish the read with counter c+1 (63 below the highest): expect an answer.",
        "Publish the read with counter c (64 below the highest): expect no answer.",
        "Seal a read y, skip 70 counters, seal a read z and break z's signature; publish z, expect no answer; publish y: expect an answer.",
    ],
    applies: always,
    run: replay_window,
};

case_fn!(replay_window, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Seal 65 reads with consecutive counters c … c+64; publish the last one and expect an answer.");
    let mut sealed = Vec::with_capacity(65);
    for _ in 0..65 {
        sealed.push(try_outcome!(seal(ctx, who, |_| {})));
    }
    let (last_id, last) = sealed.pop().unwrap_or_default();
    let sent = try_outcome!(publish(ctx, last, "read with counter c+64").await);
    let o = answered(ctx, last_id, "HRT-SEC-099", "a fresh read", sent).await;
    if o.verdict != Verdict::Pass {
        return o;
    }
    ctx.step_text("Publish the read with counter c+1 (63 below the highest): expect an answer.");
    let (id1, m1) = sealed[1].clone();
    let sent = try_outcome!(publish(ctx, m1, "read with counter c+1").await);
    let o = answered(
        ctx,
        id1,
        "HRT-SEC-096",
        "a read 63 counters below the highest accepted, never seen before",
        sent,
    )
    .await;
    if o.verdict != Verdict::Pass {
        return o;
    }
    ctx.step_text("Publish the read with counter c (64 below the highest): expect no answer.");
    let (id0, m0) = sealed[0].clone();
    let sent = try_outcome!(publish(ctx, m0, "read with counter c").await);
    let o = silent(
        ctx,
        id0,
        "HRT-SEC-098",
        "a read 64 counters below the highest accepted",
        sent,
    )
    .await;
    if o.verdict != Verdict::Pass {
        return o;
    }
    ctx.step_text("Seal a read y, skip 70 counters, seal a read z and break z's signature; publish z, expect no answer; publish y: expect an answer.");
    let (y_id, y) = try_outcome!(seal(ctx, who, |_| {}));
    let (z_id, mut z) = try_outcome!(seal(ctx, who, |m| {
        m.counter = m.counter.saturating_add(70);
    }));
    if let Some(b) = z.last_mut() {
        *b ^= 0x01;
    }
    let sent = try_outcome!(publish(ctx, z, "read z, 71 counters ahead, broken signature").await);
    let o = silent(
        ctx,
        z_id,
        "HRT-SEC-034",
        "a read with a broken signature",
        sent,
    )
    .await;
    if o.verdict != Verdict::Pass {
        return o;
    }
    let sent = try_outcome!(publish(ctx, y, "read y").await);
    answered(
        ctx,
        y_id,
        "HRT-SEC-101",
        "a fresh read after an unauthenticated message with a higher counter",
        sent,
    )
    .await
});

/// TC-SEC-2.8
pub(crate) const FOREIGN_REQUESTS: Case = Case {
    id: "TC-SEC-2.8",
    title: "Requests for another target, without a request id, or with an empty payload are dropped; the sender's clock is not trusted",
    requirements: &[
        req::HRT_SEC_122,
        req::HRT_MSG_007,
        req::HRT_MSG_012,
        req::HRT_MSG_082,
        req::HRT_MSG_083,
        req::HRT_MQTT_017,
    ],
    steps: &[
        "Publish a correctly signed read whose target is another device id: expect no answer.",
        "Publish a correctly signed read without a request id, and an empty payload, on the request topic: expect no answer to either.",
        "Publish a correctly signed read whose time is 1 January 1970: expect an answer.",
    ],
    applies: always,
    run: foreign_requests,
};

case_fn!(foreign_requests, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text(
        "Publish a correctly signed read whose target is another device id: expect no answer.",
    );
    let other = format!("{}-other", ctx.description.device_id);
    let (id, bytes) = try_outcome!(seal(ctx, who, |m| m.target = Some(other)));
    let sent = try_outcome!(publish(ctx, bytes, "read for another target").await);
    let o = silent(ctx, id, "HRT-MSG-083", "a request for another target", sent).await;
    if o.verdict != Verdict::Pass {
        return o;
    }
    ctx.step_text("Publish a correctly signed read without a request id, and an empty payload, on the request topic: expect no answer to either.");
    let _ = ctx.probe.stray_answers();
    let (_, bytes) = try_outcome!(seal(ctx, who, |m| m.request_id = None));
    let first = try_outcome!(publish(ctx, bytes, "read without a request id").await);
    let second = try_outcome!(publish(ctx, Vec::new(), "empty payload").await);
    tokio::time::sleep(ctx.params.silence_window).await;
    if let Some(a) = ctx.probe.stray_answers().into_iter().next() {
        return Outcome::fail(
            "HRT-MSG-012",
            "the device answered a request without a request id, or an empty payload",
        )
        .with_evidence([first, second, a.seq]);
    }
    ctx.step_text(
        "Publish a correctly signed read whose time is 1 January 1970: expect an answer.",
    );
    let (id, bytes) = try_outcome!(seal(ctx, who, |m| m.time_ms = Some(0)));
    let sent = try_outcome!(publish(ctx, bytes, "read dated 1970").await);
    answered(ctx, id, "HRT-MSG-007", "a correct read dated 1970", sent).await
});

/// How a crafted request differs from a correct one.
#[derive(Clone, Copy)]
pub(crate) enum Craft {
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
pub(crate) fn craft(ctx: &mut Ctx, who: usize, craft: Craft) -> Result<(u64, Vec<u8>), Outcome> {
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

/// TC-SEC-2.9
pub(crate) const CRAFTED_ENVELOPES: Case = Case {
    id: "TC-SEC-2.9",
    title: "Correctly signed requests in unusual but valid forms are served; those with a wrong algorithm, header parameter, version or kind are not",
    requirements: &[
        req::HRT_SEC_004,
        req::HRT_SEC_005,
        req::HRT_SEC_008,
        req::HRT_SEC_031,
        req::HRT_SEC_035,
        req::HRT_MSG_021,
        req::HRT_MSG_041,
        req::HRT_MSG_042,
        req::HRT_MSG_043,
        req::HRT_MSG_082,
    ],
    steps: &[
        "Send reads, each correctly signed by an admitted controller: with the algorithm labelled -19 (Ed25519) or -9 (ESP256); with the protected header {4: kid, 1: alg} in non-deterministic order; with the payload's map keys in reverse order; with unknown keys in the header and the body. Expect each to be answered.",
        "Send reads, each correctly signed: labelled with algorithm -35, with the text \"EdDSA\", with the algorithm of the other key type; with a crit parameter; with a content type; with version 2; with kind 99. Watch the silence window after each: there must be no answer.",
    ],
    applies: always,
    run: crafted_envelopes,
};

case_fn!(crafted_envelopes, |ctx| {
    let who = try_outcome!(operator(ctx));
    let ed = matches!(
        ctx.probe.tester_signer(who).map(|s| s.algorithm()),
        Some(Algorithm::EdDsa)
    );
    ctx.step_text("Send reads, each correctly signed by an admitted controller: with the algorithm labelled -19 (Ed25519) or -9 (ESP256); with the protected header {4: kid, 1: alg} in non-deterministic order; with the payload's map keys in reverse order; with unknown keys in the header and the body. Expect each to be answered.");
    let fully_specified: &'static [u8] = if ed { &[0x32] } else { &[0x28] };
    for (craft_as, requirement, what) in [
        (
            Craft::Alg(fully_specified),
            "HRT-SEC-004",
            "a read labelled with the fully specified algorithm identifier",
        ),
        (
            Craft::KidFirst,
            "HRT-SEC-035",
            "a read whose protected header is {4: kid, 1: alg}",
        ),
        (
            Craft::ReversedPayload,
            "HRT-MSG-021",
            "a read whose payload is not deterministically encoded",
        ),
        (
            Craft::UnknownKeys,
            "HRT-MSG-041",
            "a read with unknown keys in its header and body",
        ),
    ] {
        let (id, bytes) = try_outcome!(craft(ctx, who, craft_as));
        let sent = try_outcome!(publish(ctx, bytes, what).await);
        let o = answered(ctx, id, requirement, what, sent).await;
        if o.verdict != Verdict::Pass {
            return o;
        }
    }
    ctx.step_text("Send reads, each correctly signed: labelled with algorithm -35, with the text \"EdDSA\", with the algorithm of the other key type; with a crit parameter; with a content type; with version 2; with kind 99. Watch the silence window after each: there must be no answer.");
    let other_type: &'static [u8] = if ed { &[0x26] } else { &[0x27] };
    for (craft_as, requirement, what) in [
        (
            Craft::Alg(&[0x38, 0x22]),
            "HRT-SEC-005",
            "a read labelled with algorithm -35",
        ),
        (
            Craft::Alg(&[0x65, b'E', b'd', b'D', b'S', b'A']),
            "HRT-SEC-005",
            "a read labelled with the text algorithm \"EdDSA\"",
        ),
        (
            Craft::Alg(other_type),
            "HRT-SEC-008",
            "a read labelled with the algorithm of the other key type",
        ),
        (
            Craft::Extra(&[0x02, 0x81, 0x01]),
            "HRT-SEC-031",
            "a read with a crit parameter",
        ),
        (
            Craft::Extra(&[
                0x03,
                0x60 + 16,
                b'a',
                b'p',
                b'p',
                b'l',
                b'i',
                b'c',
                b'a',
                b't',
                b'i',
                b'o',
                b'n',
                b'/',
                b'c',
                b'b',
                b'o',
                b'r',
            ]),
            "HRT-SEC-031",
            "a read with a content type",
        ),
        (Craft::Version2, "HRT-MSG-042", "a read with version 2"),
        (Craft::Kind99, "HRT-MSG-043", "a message of kind 99"),
    ] {
        let (id, bytes) = try_outcome!(craft(ctx, who, craft_as));
        let sent = try_outcome!(publish(ctx, bytes, what).await);
        let o = silent(ctx, id, requirement, what, sent).await;
        if o.verdict != Verdict::Pass {
            return o;
        }
    }
    Outcome::pass()
});

/// TC-SEC-2.10
pub(crate) const UNTRUSTED_ROOT: Case = Case {
    id: "TC-SEC-2.10",
    title: "A request whose chain leads to a root the device does not trust is not served",
    requirements: &[req::HRT_SEC_065, req::HRT_SEC_131, req::HRT_MSG_082],
    steps: &[
        "Make a root certificate of a fresh key and, under it, a controller certificate of another fresh key in the name of an admitted controller.",
        "Send a read signed by the controller key, carrying that chain (leaf first, root last).",
        "Watch the silence window for an answer: there must be none.",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: untrusted_root,
};

case_fn!(untrusted_root, |ctx| {
    use hearth_security::cert::CertClaims;
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Make a root certificate of a fresh key and, under it, a controller certificate of another fresh key in the name of an admitted controller.");
    let keys = KeyPair::generate_system(Algorithm::EdDsa)
        .and_then(|r| KeyPair::generate_system(Algorithm::EdDsa).map(|c| (r, c)));
    let (root_key, leaf_key) =
        try_outcome!(keys.map_err(|e| Outcome::error(format!("generating keys: {e}"))));
    let tester = ctx.probe.testers()[who].id.clone();
    let now = hearth_mqtt::identity::unix_now();
    let claims = |sub: &str, key: &KeyPair, role: Role| CertClaims {
        issuer: "conformance-untrusted-root".into(),
        subject: sub.into(),
        issued_at: now.saturating_sub(60),
        not_before: now.saturating_sub(60),
        expires: now + 3600,
        key: *key.public_key(),
        role,
        vendor_id: None,
        device_type: None,
        model: None,
    };
    let made = Certificate::issue(
        &claims("conformance-untrusted-root", &root_key, Role::Root),
        None,
        &root_key,
    )
    .and_then(|root| {
        Certificate::issue(
            &claims(&tester, &leaf_key, Role::Controller),
            Some(&root),
            &root_key,
        )
        .map(|leaf| (root, leaf))
    });
    let (root, leaf) =
        try_outcome!(made.map_err(|e| Outcome::error(format!("making certificates: {e}"))));
    ctx.step_text(
        "Send a read signed by the controller key, carrying that chain (leaf first, root last).",
    );
    forged_read_ignored(
        ctx,
        who,
        &leaf_key,
        vec![leaf.as_bytes().to_vec(), root.as_bytes().to_vec()],
        2_000,
        "HRT-SEC-065",
        (
            "read with a chain to an untrusted root",
            "a request whose chain leads to an untrusted root",
        ),
    )
    .await
});

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
