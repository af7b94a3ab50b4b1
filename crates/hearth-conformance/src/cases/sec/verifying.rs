//! TC-SEC-2.x, the device as a verifier of requests: what it must not serve — a broken or
//! missing signature, another topic, a replay, an unknown signer or root, another target, a
//! forbidden algorithm or header — what it must serve in every valid form, and the replay
//! window it keeps.

use hearth_security::cert::{Certificate, Role};
use hearth_security::{Algorithm, KeyPair};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::craft::{craft, model_read, publish, seal, sign_as, Craft};
use crate::harness::expect;
use crate::probe::Tamper;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-SEC-2.1
    BAD_SIGNATURE: "TC-SEC-2.1",
    title: "A request with a broken signature is not served",
    checks: [
        HRT_SEC_034,
        HRT_SEC_036,
        HRT_SEC_131,
        HRT_MSG_082,
        HRT_SEC_136,
    ],
    steps: [
        "Send a read whose signature has one bit flipped.",
        "Send a correct read as a barrier: it must be answered with no answer to the request before it (HRT-CONF-037).",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: bad_signature(operator),
}

async fn bad_signature(ctx: &mut Ctx, who: usize) -> CaseResult {
    let broken = (req::HRT_SEC_034, "a request with a broken signature");
    ignored(ctx, who, Tamper::BadSignature, broken).await?;
    ctx.step(3);
    expect::still_answers(ctx, who).await
}

/// Send the model read from `who`, broken as `tamper` says (step 1), and watch the silence
/// window (step 2): there must be no answer.
async fn ignored(ctx: &mut Ctx, who: usize, tamper: Tamper, e: expect::Expect<'_>) -> CaseResult {
    ctx.step(1);
    let (id, _, sent) = ctx.probe.send(who, model_read(), tamper).await?;
    ctx.step(2);
    expect::silent(ctx, id, sent, e).await
}

test_case! {
    /// TC-SEC-2.2
    UNSIGNED: "TC-SEC-2.2",
    title: "An unsigned request is not served",
    checks: [
        HRT_SEC_030,
        HRT_SEC_131,
        HRT_MSG_082,
        HRT_SEC_136,
    ],
    steps: [
        "Send a read as bare CBOR, without a COSE envelope.",
        "Send a correct read as a barrier: it must be answered with no answer to the request before it (HRT-CONF-037).",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: unsigned(operator),
}

async fn unsigned(ctx: &mut Ctx, who: usize) -> CaseResult {
    let bare = (req::HRT_SEC_030, "an unsigned request");
    ignored(ctx, who, Tamper::Unsigned, bare).await?;
    ctx.step(3);
    expect::still_answers(ctx, who).await
}

test_case! {
    /// TC-SEC-2.3
    WRONG_TOPIC: "TC-SEC-2.3",
    title: "A request signed for another device's topic is not served",
    checks: [
        HRT_MSG_002,
        HRT_SEC_034,
        HRT_SEC_131,
        HRT_MSG_082,
    ],
    steps: [
        "Send a read signed with another device's request topic as AAD, on this device's topic.",
        "Send a correct read as a barrier: it must be answered with no answer to the request before it (HRT-CONF-037).",
    ],
    applies: always,
    run: wrong_topic(operator),
}

async fn wrong_topic(ctx: &mut Ctx, who: usize) -> CaseResult {
    let moved = (req::HRT_MSG_002, "a request signed for another topic");
    ignored(ctx, who, Tamper::WrongTopic, moved).await
}

test_case! {
    /// TC-SEC-2.4
    REPLAY: "TC-SEC-2.4",
    title: "A replayed request is not served again",
    checks: [
        HRT_SEC_097,
        HRT_SEC_102,
        HRT_SEC_131,
        HRT_MSG_082,
    ],
    steps: [
        "Send a correct read and wait for its answer.",
        "Publish exactly the same bytes again.",
        "Send a correct read as a barrier: it must be answered with no second answer before it.",
    ],
    applies: always,
    run: replay(operator),
}

async fn replay(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let (id, bytes, sent) = ctx.probe.send(who, model_read(), Tamper::None).await?;
    expect::reply(ctx, id, sent).await?;
    ctx.step(2);
    let sent = publish(ctx, bytes, "replay of the previous request").await?;
    ctx.step(3);
    expect::silent(ctx, id, sent, (req::HRT_SEC_097, "a replayed request")).await
}

test_case! {
    /// TC-SEC-2.5
    UNKNOWN_SIGNER: "TC-SEC-2.5",
    title: "A request signed by a key no validated chain vouches for is not served",
    checks: [
        HRT_SEC_033,
        HRT_SEC_131,
        HRT_MSG_082,
        HRT_SEC_136,
    ],
    steps: [
        "Sign a read with a freshly generated key, in the name of an admitted controller, without a certificate chain.",
        "Send a correct read as a barrier: it must be answered with no answer to the request before it (HRT-CONF-037).",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: unknown_signer(operator),
}

async fn unknown_signer(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let key = KeyPair::generate_system(Algorithm::EdDsa)
        .map_err(|e| Outcome::error(format!("generating a key: {e}")))?;
    let (id, bytes) = forged(ctx, who, &key, Vec::new(), 1_000)?;
    let sent = publish(ctx, bytes, "read signed by an unknown key, no chain").await?;
    ctx.step(2);
    let e = (req::HRT_SEC_033, "a request signed by an unknown key");
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(3);
    expect::still_answers(ctx, who).await
}

/// A read as tester `who` would seal it, signed by `key` instead and carrying `chain`, with
/// its counter moved `ahead` so that the replay window cannot be why it is dropped.
fn forged(
    ctx: &mut Ctx,
    who: usize,
    key: &KeyPair,
    chain: Vec<Vec<u8>>,
    ahead: u64,
) -> Result<(u64, Vec<u8>), Outcome> {
    sign_as(ctx, who, key, model_read(), |m| {
        m.chain = chain;
        m.counter = m.counter.saturating_add(ahead);
    })
}

test_case! {
    /// TC-SEC-2.6
    UNPROTECTED_IGNORED: "TC-SEC-2.6",
    title: "Parameters in the unprotected header are ignored",
    checks: [
        HRT_SEC_032,
    ],
    steps: [
        "Seal a correct read, then put into its unprotected header an algorithm (-35) and a key id (16 zero bytes) that do not belong to the signer.",
        "Expect the read to be answered.",
    ],
    applies: always,
    run: unprotected_ignored(operator),
}

async fn unprotected_ignored(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let (id, bytes) = seal(ctx, who, |_| {})?;
    // d2 84 <bstr protected> a0 <payload> <signature>
    let layout = || Outcome::error("the probe's own envelope has an unexpected layout");
    let (len, at) = match bytes.get(2) {
        Some(b @ 0x40..=0x57) => (usize::from(b - 0x40), 3),
        Some(0x58) => (usize::from(bytes.get(3).copied().unwrap_or(0)), 4),
        _ => return Err(layout()),
    };
    let split = at + len;
    if bytes.get(..2) != Some(&[0xd2, 0x84][..]) || bytes.get(split) != Some(&0xa0) {
        return Err(layout());
    }
    let mut changed = bytes[..split].to_vec();
    changed.extend_from_slice(&[0xa2, 0x01, 0x38, 0x22, 0x04, 0x50]);
    changed.extend_from_slice(&[0u8; 16]);
    changed.extend_from_slice(&bytes[split + 1..]);
    let sent = publish(ctx, changed, "read with a foreign unprotected header").await?;
    ctx.step(2);
    let e = (
        req::HRT_SEC_032,
        "a correct read with parameters in its unprotected header",
    );
    expect::answered(ctx, id, sent, e).await
}

test_case! {
    /// TC-SEC-2.7
    REPLAY_WINDOW: "TC-SEC-2.7",
    title: "The replay window holds 64 counters, accepts them in any order, and moves only on authenticated messages",
    checks: [
        HRT_SEC_096,
        HRT_SEC_098,
        HRT_SEC_099,
        HRT_SEC_101,
        HRT_MSG_081,
        HRT_SEC_034,
    ],
    steps: [
        "Seal 65 reads with consecutive counters c … c+64; publish the last one and expect an answer.",
        "Publish the read with counter c+1 (63 below the highest): expect an answer.",
        "Publish the read with counter c (64 below the highest): expect no answer.",
        "Seal a read y, skip 70 counters, seal a read z and break z's signature; publish z, expect no answer; publish y: expect an answer.",
    ],
    applies: always,
    run: replay_window(operator),
}

async fn replay_window(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let mut sealed = Vec::with_capacity(65);
    for _ in 0..65 {
        sealed.push(seal(ctx, who, |_| {})?);
    }
    let (last_id, last) = sealed.pop().unwrap_or_default();
    let sent = publish(ctx, last, "read with counter c+64").await?;
    expect::answered(ctx, last_id, sent, (req::HRT_SEC_099, "a fresh read")).await?;
    ctx.step(2);
    let (id1, m1) = sealed[1].clone();
    let sent = publish(ctx, m1, "read with counter c+1").await?;
    let e = (
        req::HRT_SEC_096,
        "a read 63 counters below the highest accepted, never seen before",
    );
    expect::answered(ctx, id1, sent, e).await?;
    ctx.step(3);
    let (id0, m0) = sealed[0].clone();
    let sent = publish(ctx, m0, "read with counter c").await?;
    let e = (
        req::HRT_SEC_098,
        "a read 64 counters below the highest accepted",
    );
    expect::silent(ctx, id0, sent, e).await?;
    ctx.step(4);
    let (y_id, y) = seal(ctx, who, |_| {})?;
    let (z_id, mut z) = seal(ctx, who, |m| {
        m.counter = m.counter.saturating_add(70);
    })?;
    if let Some(b) = z.last_mut() {
        *b ^= 0x01;
    }
    let sent = publish(ctx, z, "read z, 71 counters ahead, broken signature").await?;
    let e = (req::HRT_SEC_034, "a read with a broken signature");
    expect::silent(ctx, z_id, sent, e).await?;
    let sent = publish(ctx, y, "read y").await?;
    let e = (
        req::HRT_SEC_101,
        "a fresh read after an unauthenticated message with a higher counter",
    );
    expect::answered(ctx, y_id, sent, e).await
}

test_case! {
    /// TC-SEC-2.8
    FOREIGN_REQUESTS: "TC-SEC-2.8",
    title: "Requests for another target, without a request id, or with an empty payload are dropped; the sender's clock is not trusted",
    checks: [
        HRT_SEC_122,
        HRT_MSG_007,
        HRT_MSG_012,
        HRT_MSG_082,
        HRT_MSG_083,
        HRT_MQTT_017,
    ],
    steps: [
        "Publish a correctly signed read whose target is another device id: expect no answer.",
        "Publish a correctly signed read without a request id, and an empty payload, on the request topic, then a correct read as a barrier: no answer to either before its answer.",
        "Publish a correctly signed read whose time is 1 January 1970: expect an answer.",
    ],
    applies: always,
    run: foreign_requests(operator),
}

async fn foreign_requests(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let other = format!("{}-other", ctx.description.device_id);
    let (id, bytes) = seal(ctx, who, |m| m.target = Some(other))?;
    let sent = publish(ctx, bytes, "read for another target").await?;
    let e = (req::HRT_MSG_083, "a request for another target");
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(2);
    let _ = ctx.probe.stray_answers();
    let (_, bytes) = seal(ctx, who, |m| m.request_id = None)?;
    let first = publish(ctx, bytes, "read without a request id").await?;
    let second = publish(ctx, Vec::new(), "empty payload").await?;
    expect::barrier(ctx, who).await?;
    if let Some(a) = ctx.probe.stray_answers().into_iter().next() {
        return Err(Outcome::fail(
            req::HRT_MSG_012,
            "the device answered a request without a request id, or an empty payload",
        )
        .with_evidence([first, second, a.seq]));
    }
    ctx.step(3);
    let (id, bytes) = seal(ctx, who, |m| m.time_ms = Some(0))?;
    let sent = publish(ctx, bytes, "read dated 1970").await?;
    let e = (req::HRT_MSG_007, "a correct read dated 1970");
    expect::answered(ctx, id, sent, e).await
}

test_case! {
    /// TC-SEC-2.9
    CRAFTED_ENVELOPES: "TC-SEC-2.9",
    title: "Correctly signed requests in unusual but valid forms are served; those with a wrong algorithm, header parameter, version or kind are not",
    checks: [
        HRT_SEC_004,
        HRT_SEC_005,
        HRT_SEC_008,
        HRT_SEC_031,
        HRT_SEC_035,
        HRT_MSG_100,
        HRT_MSG_041,
        HRT_MSG_042,
        HRT_MSG_043,
        HRT_MSG_082,
    ],
    steps: [
        "Send reads, each correctly signed by an admitted controller: with the algorithm labelled -19 (Ed25519) or -9 (ESP256); with the protected header {4: kid, 1: alg} in non-deterministic order; with the payload's map keys in reverse order; with unknown keys in the header and the body. Expect each to be answered.",
        "Send reads, each correctly signed: labelled with algorithm -35, with the text \"EdDSA\", with the algorithm of the other key type; with a crit parameter; with a content type; with version 2; with kind 99. Watch the silence window after each: there must be no answer.",
    ],
    applies: always,
    run: crafted_envelopes(operator),
}

async fn crafted_envelopes(ctx: &mut Ctx, who: usize) -> CaseResult {
    let ed = matches!(
        ctx.probe.tester_signer(who).map(|s| s.algorithm()),
        Some(Algorithm::EdDsa)
    );
    ctx.step(1);
    let fully_specified: &'static [u8] = if ed { &[0x32] } else { &[0x28] };
    for (craft_as, requirement, what) in [
        (
            Craft::Alg(fully_specified),
            req::HRT_SEC_004,
            "a read labelled with the fully specified algorithm identifier",
        ),
        (
            Craft::KidFirst,
            req::HRT_SEC_035,
            "a read whose protected header is {4: kid, 1: alg}",
        ),
        (
            Craft::ReversedPayload,
            req::HRT_MSG_100,
            "a read whose payload is not deterministically encoded",
        ),
        (
            Craft::UnknownKeys,
            req::HRT_MSG_041,
            "a read with unknown keys in its header and body",
        ),
    ] {
        let (id, bytes) = craft(ctx, who, craft_as)?;
        let sent = publish(ctx, bytes, what).await?;
        expect::answered(ctx, id, sent, (requirement, what)).await?;
    }
    ctx.step(2);
    let other_type: &'static [u8] = if ed { &[0x26] } else { &[0x27] };
    for (craft_as, requirement, what) in [
        (
            Craft::Alg(&[0x38, 0x22]),
            req::HRT_SEC_005,
            "a read labelled with algorithm -35",
        ),
        (
            Craft::Alg(&[0x65, b'E', b'd', b'D', b'S', b'A']),
            req::HRT_SEC_005,
            "a read labelled with the text algorithm \"EdDSA\"",
        ),
        (
            Craft::Alg(other_type),
            req::HRT_SEC_008,
            "a read labelled with the algorithm of the other key type",
        ),
        (
            Craft::Extra(&[0x02, 0x81, 0x01]),
            req::HRT_SEC_031,
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
            req::HRT_SEC_031,
            "a read with a content type",
        ),
        (Craft::Version2, req::HRT_MSG_042, "a read with version 2"),
        (Craft::Kind99, req::HRT_MSG_043, "a message of kind 99"),
    ] {
        let (id, bytes) = craft(ctx, who, craft_as)?;
        let sent = publish(ctx, bytes, what).await?;
        expect::silent(ctx, id, sent, (requirement, what)).await?;
    }
    Ok(())
}

test_case! {
    /// TC-SEC-2.10
    UNTRUSTED_ROOT: "TC-SEC-2.10",
    title: "A request whose chain leads to a root the device does not trust is not served",
    checks: [
        HRT_SEC_065,
        HRT_SEC_131,
        HRT_MSG_082,
        HRT_SEC_136,
    ],
    steps: [
        "Make a root certificate of a fresh key and, under it, a controller certificate of another fresh key in the name of an admitted controller.",
        "Send a read signed by the controller key, carrying that chain (leaf first, root last).",
        "Send a correct read as a barrier: it must be answered with no answer to the request before it (HRT-CONF-037).",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: untrusted_root(operator),
}

async fn untrusted_root(ctx: &mut Ctx, who: usize) -> CaseResult {
    use hearth_security::cert::CertClaims;
    ctx.step(1);
    let keys = KeyPair::generate_system(Algorithm::EdDsa)
        .and_then(|r| KeyPair::generate_system(Algorithm::EdDsa).map(|c| (r, c)));
    let (root_key, leaf_key) = keys.map_err(|e| Outcome::error(format!("generating keys: {e}")))?;
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
    let (root, leaf) = made.map_err(|e| Outcome::error(format!("making certificates: {e}")))?;
    ctx.step(2);
    let chain = vec![leaf.as_bytes().to_vec(), root.as_bytes().to_vec()];
    let (id, bytes) = forged(ctx, who, &leaf_key, chain, 2_000)?;
    let sent = publish(ctx, bytes, "read with a chain to an untrusted root").await?;
    ctx.step(3);
    let e = (
        req::HRT_SEC_065,
        "a request whose chain leads to an untrusted root",
    );
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(4);
    expect::still_answers(ctx, who).await
}
