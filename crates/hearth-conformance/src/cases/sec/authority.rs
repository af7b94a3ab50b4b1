//! TC-SEC-5.x, the device as a verifier of certificates it has never seen: the suite issues
//! them with the lab's CA (`[authority]` of the ICS) — valid ones, ones broken in exactly one
//! way, ones that expire during the case, revoked ones — and watches which requests the
//! device serves.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ciborium::Value as Cbor;
use hearth_model::{MemberKind, Path, Privilege, StatusCode, Value};
use hearth_mqtt::identity::unix_now;
use hearth_mqtt::topic::Topics;
use hearth_security::cert::{CertClaims, Role, CLAIM_ROLE};
use hearth_security::key::KeyId;
use hearth_security::Algorithm;
use hearth_wire::view::path_name;
use hearth_wire::Body;

use crate::authority::{Authority, Minted, RawClaims, BACKDATE};
use crate::harness::case::{found, needs, needs_writable, test_case, CaseResult, Ctx};
use crate::harness::craft::{model_read, publish, sign_as};
use crate::harness::expect;
use crate::harness::wait;
use crate::probe::summarize;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

/// Applicability of every case here: the ICS must give the suite a CA.
fn needs_authority(ctx: &Ctx) -> Result<(), String> {
    if ctx.authority.is_none() {
        return Err("the ICS has no [authority]: the suite holds no CA the device trusts, so it cannot issue the certificates this case needs (spec/06-conformance.md §3.9)".into());
    }
    Ok(())
}

fn authority(ctx: &Ctx) -> Result<Arc<Authority>, Outcome> {
    ctx.authority
        .clone()
        .ok_or_else(|| Outcome::not_applicable("the ICS has no [authority]"))
}

/// The name minted certificates carry: the operating tester's, so that answers come back on
/// a response topic the probe listens to and only the key differs.
fn tester_name(ctx: &Ctx, who: usize) -> String {
    ctx.probe
        .testers()
        .get(who)
        .map(|t| t.id.clone())
        .unwrap_or_default()
}

/// A key of `alg` with a controller certificate of the lab's CA, changed by `edit` and then,
/// encoded, by `raw`.
fn mint(
    ctx: &Ctx,
    who: usize,
    alg: Algorithm,
    edit: impl FnOnce(&mut CertClaims),
    raw: impl FnOnce(&mut Vec<(Cbor, Cbor)>),
) -> Result<Minted, Outcome> {
    let ca = authority(ctx)?;
    ca.mint(alg, &tester_name(ctx, who), unix_now(), edit, raw)
        .map_err(Outcome::error)
}

/// `body` as tester `who` would seal it, signed by `minted`'s key instead, carrying its
/// chain (or none) and the `counter` given. The request id and the bytes.
fn seal_as(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    body: Body,
    (counter, carry_chain): (u64, bool),
) -> Result<(u64, Vec<u8>), Outcome> {
    let chain = if carry_chain {
        minted.chain.clone()
    } else {
        Vec::new()
    };
    sign_as(ctx, who, &minted.key, body, |m| {
        m.chain = chain;
        m.counter = counter;
    })
}

/// Send a read signed by `minted`; it must be served: answered, opening, and not refused as
/// unauthorized.
async fn read_served(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    counter: u64,
    (requirement, what): (Req, &str),
) -> Result<(), Outcome> {
    let (id, bytes) = seal_as(ctx, who, minted, model_read(), (counter, true))?;
    let sent = publish(ctx, bytes, &format!("read signed by {what}")).await?;
    let what = format!("a read signed by {what}");
    let answer = expect::answer(ctx, id, sent, (requirement, &what)).await?;
    match answer.body {
        Body::ReadResponse(results)
            if !results.iter().any(|r| r.status == StatusCode::Unauthorized) =>
        {
            Ok(())
        }
        Body::ReadResponse(_) => Err(Outcome::fail(
            requirement,
            format!("the device refused {what} as unauthorized"),
        )
        .with_evidence([sent])),
        _ => Err(Outcome::fail(
            requirement,
            format!("the device answered {what} with {}", summarize(&answer)),
        )
        .with_evidence([sent])),
    }
}

/// Send a read signed by `minted` (with its chain, or without); there must be no answer.
async fn read_ignored(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    sealing: (u64, bool),
    (requirement, what): (Req, &str),
) -> Result<(), Outcome> {
    let (id, bytes) = seal_as(ctx, who, minted, model_read(), sealing)?;
    let sent = publish(ctx, bytes, &format!("read signed by {what}")).await?;
    let what = format!("a read signed by {what}");
    let e = (requirement, what.as_str());
    expect::silent(ctx, id, sent, e).await
}

/// A counter well above anything the operating tester uses, for keys the device has never
/// seen.
const FRESH: u64 = 1_000_000;

test_case! {
    /// TC-SEC-5.1
    CERTIFICATES_ACCEPTED: "TC-SEC-5.1",
    title: "Controller certificates of a CA the access-control list names are accepted, with unknown claims and with ES256 keys",
    checks: [
        HRT_MSG_013,
        HRT_MSG_014,
        HRT_SEC_001,
        HRT_SEC_002,
        HRT_SEC_038,
        HRT_SEC_045,
        HRT_SEC_067,
        HRT_SEC_112,
    ],
    steps: [
        "Issue, with the lab's CA, a controller certificate for a new Ed25519 key; send a read signed by it: it must be served (the CA's access-control entry matches a controller whose chain holds the CA). Send another without the chain: the device holds it, so it must be served too.",
        "Issue one that also carries two claims this specification does not define (99 and -70000); send a read signed by it: it must be served.",
        "Issue one for a new ES256 (P-256) key; send a read signed by it with ES256: it must be served.",
        "Issue one whose claims are encoded in reverse order, not deterministically; send a read signed by it: it must be served.",
        "Issue, for the key of step 1, a second certificate that has already expired; send a read signed by that key carrying the expired chain: the device holds a valid chain for the key and uses it, not the carried one, so the read must be served (HRT-MSG-014).",
        "Issue, for the same key, a valid certificate for another subject; send a read signed by that key, from the first subject, carrying the new chain: the sender matches the chain the device holds, so the read must be served (HRT-MSG-014, HRT-MSG-011).",
        "Issue one for a new key and send a read signed by it whose chain ends with a byte-for-byte copy of the trust anchor: the copy is not counted among the certificates below the anchor, so the read must be served (HRT-SEC-067).",
    ],
    applies: needs_authority,
    run: certificates_accepted(operator),
}

async fn certificates_accepted(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let plain = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    read_served(
        ctx,
        who,
        &plain,
        FRESH,
        (
            req::HRT_SEC_112,
            "an Ed25519 controller key of the lab's CA",
        ),
    )
    .await?;
    let (id, bytes) = seal_as(ctx, who, &plain, model_read(), (FRESH + 1, false))?;
    let sent = publish(ctx, bytes, "read signed by the same key, without its chain").await?;
    expect::answer(
        ctx,
        id,
        sent,
        (
            req::HRT_MSG_013,
            "a read of a key whose chain the device holds, without the chain",
        ),
    )
    .await?;
    ctx.step(2);
    let extra = mint(
        ctx,
        who,
        Algorithm::EdDsa,
        |_| {},
        |claims| {
            claims.push((Cbor::from(99), Cbor::Text("unknown claim".into())));
            claims.push((Cbor::from(-70_000), Cbor::from(1)));
        },
    )?;
    read_served(
        ctx,
        who,
        &extra,
        FRESH,
        (
            req::HRT_SEC_045,
            "a key whose certificate has unknown claims",
        ),
    )
    .await?;
    ctx.step(3);
    let p256 = mint(ctx, who, Algorithm::Es256, |_| {}, |_| {})?;
    read_served(
        ctx,
        who,
        &p256,
        FRESH,
        (req::HRT_SEC_002, "an ES256 controller key of the lab's CA"),
    )
    .await?;
    ctx.step(4);
    let reversed = mint(
        ctx,
        who,
        Algorithm::EdDsa,
        |_| {},
        |claims| claims.reverse(),
    )?;
    read_served(
        ctx,
        who,
        &reversed,
        FRESH,
        (
            req::HRT_SEC_038,
            "a key whose certificate's claims are not deterministically encoded",
        ),
    )
    .await?;
    ctx.step(5);
    let ca = authority(ctx)?;
    let now = unix_now();
    let name = tester_name(ctx, who);
    let mut claims = ca.controller_claims(&name, &plain.key, now);
    claims.expires = now.saturating_sub(BACKDATE / 2);
    let expired = ca.chain_for(ca.sign_claims(&claims, |_| {}).map_err(Outcome::error)?);
    let e = (
        req::HRT_MSG_014,
        "a read of a key whose valid chain the device holds, carrying an expired one",
    );
    read_answered(ctx, who, (&plain.key, expired, FRESH + 2), e).await?;
    ctx.step(6);
    let claims = ca.controller_claims(&format!("{name}-alias"), &plain.key, now);
    let alias = ca.chain_for(ca.sign_claims(&claims, |_| {}).map_err(Outcome::error)?);
    let e = (
        req::HRT_MSG_014,
        "a read of a key whose valid chain the device holds, carrying a valid one of another subject",
    );
    read_answered(ctx, who, (&plain.key, alias, FRESH + 3), e).await?;
    ctx.step(7);
    let anchor = ctx
        .probe
        .trust()
        .roots()
        .next()
        .map(|root| root.as_bytes().to_vec());
    let Some(anchor) = anchor else {
        return Ok(());
    };
    let anchored = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    let mut chain = anchored.chain.clone();
    chain.push(anchor);
    let e = (
        req::HRT_SEC_067,
        "a read of a new key whose chain ends with a copy of the trust anchor",
    );
    read_answered(ctx, who, (&anchored.key, chain, FRESH), e).await
}

/// Send a read signed by `key`, carrying `chain`, with `counter`, as tester `who` would send
/// it otherwise; it must be answered (`what` names it in the trace and the failure).
async fn read_answered(
    ctx: &mut Ctx,
    who: usize,
    (key, chain, counter): (&hearth_security::KeyPair, Vec<Vec<u8>>, u64),
    (requirement, what): (Req, &str),
) -> Result<(), Outcome> {
    let (id, bytes) = sign_as(ctx, who, key, model_read(), |m| {
        m.chain = chain;
        m.counter = counter;
    })?;
    let sent = publish(ctx, bytes, what).await?;
    expect::answer(ctx, id, sent, (requirement, what))
        .await
        .map(drop)
}

test_case! {
    /// TC-SEC-5.2
    CERTIFICATES_REFUSED: "TC-SEC-5.2",
    title: "A request whose certificate chain is broken in any one way is not answered",
    checks: [
        HRT_SEC_050,
        HRT_SEC_064,
        HRT_SEC_066,
        HRT_SEC_067,
        HRT_SEC_068,
        HRT_SEC_069,
        HRT_SEC_070,
        HRT_SEC_071,
        HRT_SEC_112,
        HRT_SEC_120,
        HRT_SEC_131,
        HRT_SEC_136,
        HRT_SEC_137,
    ],
    steps: [
        "For each of these certificates, issued by the lab's CA for a new key, send a read signed by that key with its chain; expect no answer: role claim missing; role claim 9 (undefined); iss other than the CA's sub; a byte of the signature changed; a vendor id other than the CA's (or, from a root, any vendor id); three certificates below the trust anchor; nbf an hour ahead; exp a minute ago; the sub claim given twice, the second naming another controller.",
        "Issue a device certificate (role device) for a new key; send a read signed by it: expect no answer, not even unauthorized (HRT-SEC-120).",
        "Send a correct read as the operating controller: it must still be answered.",
    ],
    applies: needs_authority,
    run: certificates_refused(operator),
}

/// A certificate broken in one way: the key and chain, the requirement it breaks, and what
/// it is, for the trace.
pub(crate) struct Broken {
    /// The key and its chain.
    pub minted: Minted,
    /// The requirement a device that serves it breaks.
    pub requirement: Req,
    /// What is wrong with it.
    pub what: &'static str,
}

/// The certificates of TC-SEC-5.2, each issued by `ca` for a fresh key named `subject` and
/// broken in exactly one way, in the order the case sends them.
pub(crate) fn broken_certificates(
    ca: &Authority,
    subject: &str,
    now: u64,
) -> Result<Vec<Broken>, String> {
    let mint = |edit: &dyn Fn(&mut CertClaims), raw: &dyn Fn(&mut RawClaims)| {
        ca.mint(Algorithm::EdDsa, subject, now, edit, raw)
    };
    let role_key = Cbor::from(CLAIM_ROLE);
    let mut out = Vec::new();
    let mut push = |minted: Minted, requirement, what| {
        out.push(Broken {
            minted,
            requirement,
            what,
        });
    };
    push(
        mint(&|_| {}, &|c| c.retain(|(k, _)| *k != role_key))?,
        req::HRT_SEC_050,
        "a key whose certificate has no role claim",
    );
    push(
        mint(&|_| {}, &|c| {
            for (k, v) in c.iter_mut() {
                if *k == role_key {
                    *v = Cbor::from(9);
                }
            }
        })?,
        req::HRT_SEC_050,
        "a key whose certificate has role 9",
    );
    push(
        mint(&|c| c.issuer = format!("not-{}", c.issuer), &|_| {})?,
        req::HRT_SEC_066,
        "a key whose certificate names another issuer",
    );
    let mut forged = mint(&|_| {}, &|_| {})?;
    if let Some(last) = forged.chain.first_mut().and_then(|leaf| leaf.last_mut()) {
        *last ^= 0x01;
    }
    push(
        forged,
        req::HRT_SEC_068,
        "a key whose certificate's signature does not verify",
    );
    let foreign_vendor = if ca.cert.claims().vendor_id == Some(0xfff1) {
        0xfff2
    } else {
        0xfff1
    };
    push(
        mint(&|c| c.vendor_id = Some(foreign_vendor), &|_| {})?,
        req::HRT_SEC_069,
        "a key whose certificate carries a vendor id its issuer may not give",
    );
    push(
        long_chain(ca, subject, now)?,
        req::HRT_SEC_067,
        "a key three certificates below the trust anchor",
    );
    push(
        mint(
            &|c| {
                c.not_before = now + 3600;
                c.expires = now + 7200;
            },
            &|_| {},
        )?,
        req::HRT_SEC_070,
        "a key whose certificate is not yet valid",
    );
    push(
        mint(
            &|c| {
                c.issued_at = now.saturating_sub(7200);
                c.not_before = now.saturating_sub(7200);
                c.expires = now.saturating_sub(60);
            },
            &|_| {},
        )?,
        req::HRT_SEC_071,
        "a key whose certificate expired",
    );
    let sub = Cbor::from(2); // the CWT claim sub (RFC 8392)
    push(
        mint(&|_| {}, &|c| {
            c.push((sub.clone(), Cbor::Text(format!("{subject}-twin"))));
        })?,
        req::HRT_SEC_137,
        "a key whose certificate gives the sub claim twice",
    );
    Ok(out)
}

/// A valid certificate of the lab's CA for a fresh key, but with the role device.
pub(crate) fn device_certificate(
    ca: &Authority,
    subject: &str,
    device_type: &str,
    now: u64,
) -> Result<Minted, String> {
    ca.mint(
        Algorithm::EdDsa,
        subject,
        now,
        |c| {
            c.role = Role::Device;
            c.vendor_id = ca.cert.claims().vendor_id.or(Some(0xfff1));
            c.device_type = Some(device_type.to_owned());
            c.model = Some("conformance".into());
        },
        |_| {},
    )
}

async fn certificates_refused(ctx: &mut Ctx, who: usize) -> CaseResult {
    let ca = authority(ctx)?;
    let now = unix_now();
    let subject = tester_name(ctx, who);
    ctx.step(1);
    let broken = broken_certificates(&ca, &subject, now).map_err(Outcome::error)?;
    for b in &broken {
        read_ignored(ctx, who, &b.minted, (FRESH, true), (b.requirement, b.what)).await?;
    }
    ctx.step(2);
    let device_type = ctx.ics.device.device_type.clone();
    let as_device = device_certificate(&ca, &subject, &device_type, now).map_err(Outcome::error)?;
    read_refused(ctx, who, &as_device).await?;
    ctx.step(3);
    expect::still_answers(ctx, who).await
}

/// A read signed by a device-role key: dropped unanswered, not even refused (HRT-SEC-120).
async fn read_refused(ctx: &mut Ctx, who: usize, minted: &Minted) -> Result<(), Outcome> {
    let (id, bytes) = seal_as(ctx, who, minted, model_read(), (FRESH, true))?;
    let sent = publish(ctx, bytes, "read signed by a device key").await?;
    let e = (
        req::HRT_SEC_120,
        "a read signed by a key whose certificate has the role device",
    );
    expect::silent(ctx, id, sent, e).await
}

/// A controller key three certificates below the trust anchor: two intermediates, each a
/// vendor CA signed by the one above, between the leaf and the lab's CA.
fn long_chain(ca: &Authority, subject: &str, now: u64) -> Result<Minted, String> {
    let gen = || {
        hearth_security::KeyPair::generate_system(Algorithm::EdDsa)
            .map_err(|e| format!("generating a key: {e}"))
    };
    let vendor_id = ca.cert.claims().vendor_id.or(Some(0xfff1));
    let (k1, k2, leaf_key) = (gen()?, gen()?, gen()?);
    let sub = |issuer: &str, name: &str, key: &hearth_security::KeyPair| CertClaims {
        issuer: issuer.to_owned(),
        subject: name.to_owned(),
        issued_at: now.saturating_sub(60),
        not_before: now.saturating_sub(60),
        expires: now + 3600,
        key: *key.public_key(),
        role: Role::Vendor,
        vendor_id,
        device_type: None,
        model: None,
    };
    let ca_name = ca.cert.claims().subject.clone();
    let first = ca.sign_claims(&sub(&ca_name, "hearth-intermediate-1", &k1), |_| {})?;
    let second = hearth_security::cert::Certificate::sign(
        &sub("hearth-intermediate-1", "hearth-intermediate-2", &k2),
        &k1,
    )
    .map_err(|e| e.to_string())?;
    let mut leaf_claims = ca.controller_claims(subject, &leaf_key, now);
    leaf_claims.issuer = "hearth-intermediate-2".into();
    leaf_claims.vendor_id = vendor_id;
    let leaf =
        hearth_security::cert::Certificate::sign(&leaf_claims, &k2).map_err(|e| e.to_string())?;
    let mut chain = vec![leaf.as_bytes().to_vec(), second.as_bytes().to_vec(), first];
    if ca.cert.claims().role != Role::Root {
        chain.push(ca.cert.as_bytes().to_vec());
    }
    Ok(Minted {
        kid: leaf_key.public_key().key_id(),
        key: leaf_key,
        chain,
    })
}

test_case! {
    /// TC-SEC-5.3
    CHAIN_EXPIRES: "TC-SEC-5.3",
    title: "A signer whose certificate expires is not served from that moment on",
    checks: [
        HRT_SEC_071,
        HRT_SEC_075,
    ],
    steps: [
        "Issue, with the lab's CA, a controller certificate that expires at the end of the next second; send a read signed by its key: it must be served. Where it was not and the certificate has expired meanwhile, issue one twice as long-lived and try again (up to 8 seconds).",
        "Wait until the certificate has expired; send a read signed by the key without its chain, then one with it: neither may be answered.",
    ],
    applies: needs_authority,
    run: chain_expires(operator),
}

async fn chain_expires(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    // The wait for the expiry is the one wait for a clock: no message can say a certificate
    // has expired. It is kept short by a certificate that lives only to the end of the next
    // second; one that expired before the device checked it (a slow exchange) is no verdict,
    // and a longer-lived one is issued instead.
    let mut life = 1;
    let (short, expires) = loop {
        let expires = unix_now() + life;
        let short = mint(ctx, who, Algorithm::EdDsa, |c| c.expires = expires, |_| {})?;
        let served = read_served(
            ctx,
            who,
            &short,
            FRESH,
            (req::HRT_SEC_075, "a key whose certificate is still valid"),
        )
        .await;
        match served {
            Ok(()) => break (short, expires),
            Err(_) if unix_now() >= expires && life < 8 => life *= 2,
            Err(o) => return Err(o),
        }
    };
    ctx.step(2);
    wait::past(expires).await;
    read_ignored(
        ctx,
        who,
        &short,
        (FRESH + 1, false),
        (
            req::HRT_SEC_075,
            "a known key, without its chain, after its certificate expired",
        ),
    )
    .await?;
    read_ignored(
        ctx,
        who,
        &short,
        (FRESH + 2, true),
        (req::HRT_SEC_071, "a key whose certificate has just expired"),
    )
    .await
}

/// Publish a revocation list on the topic of `ca`, retained or not, and let it arrive.
async fn publish_list(
    ctx: &mut Ctx,
    ca: &KeyId,
    bytes: Vec<u8>,
    retain: bool,
    what: &str,
) -> Result<usize, Outcome> {
    let topic = ctx.probe.full_topic(&Topics::revocation_rel(&ca.to_hex()));
    let seq = ctx.probe.publish_full(&topic, retain, bytes, what).await?;
    tokio::time::sleep(ctx.params.settle_time).await;
    Ok(seq)
}

test_case! {
    /// TC-SEC-5.4
    REVOCATION: "TC-SEC-5.4",
    title: "Revocation lists on R/crl/{ca}: the newest valid list of the CA is applied, and kept after its next-update time; others are ignored",
    checks: [
        HRT_SEC_072,
        HRT_SEC_075,
        HRT_SEC_082,
        HRT_SEC_083,
        HRT_SEC_085,
        HRT_SEC_086,
        HRT_SEC_112,
        HRT_MQTT_062,
    ],
    steps: [
        "Issue, with the lab's CA, controller certificates for two new keys A and B; send a read signed by each: both must be served.",
        "Publish, retained on R/crl/{ca}, a list of the CA revoking A (and every key revoked before by this suite), dated a second back where it can be, whose next-update time is 1 second after its this-update time; send a read signed by A: no answer; one signed by B: served.",
        "Publish on R/crl/{ca}, not retained, lists revoking B that the device must ignore: one signed by another key, one dated 2 minutes ahead, one dated like the list that revoked A; each also revokes every key revoked before, so that no other device loses a revocation by it; after each, a read signed by B must be served.",
        "Wait until the list's next-update time has passed; send a read signed by A: still no answer.",
    ],
    applies: needs_authority,
    run: revocation(operator),
}

/// Two keys of the lab's CA, both served, the first then revoked by a retained list: what
/// steps 1 and 2 of TC-SEC-5.4 and TC-SEC-5.9 leave.
struct Revoked {
    /// The key the list revokes.
    a: Minted,
    /// The key it does not name.
    b: Minted,
    /// The list's this-update time.
    this_update: u64,
}

/// Steps 1 and 2 of TC-SEC-5.4 and TC-SEC-5.9: issue keys A and B, send a read signed by
/// each (both served), publish retained a list of the CA revoking A whose next-update time
/// is `valid_for` seconds after its this-update time, and send a read signed by A (no answer).
async fn revoke_first_of_two(
    ctx: &mut Ctx,
    who: usize,
    ca: &Authority,
    valid_for: u64,
) -> Result<Revoked, Outcome> {
    ctx.step(1);
    let a = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    let b = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    read_served(ctx, who, &a, FRESH, (req::HRT_SEC_112, "key A")).await?;
    read_served(ctx, who, &b, FRESH, (req::HRT_SEC_112, "key B")).await?;
    ctx.step(2);
    let (list, this_update) = ca
        .next_list(&[a.kid], valid_for)
        .await
        .map_err(Outcome::error)?;
    publish_list(ctx, &ca.kid(), list, true, "revocation list revoking key A").await?;
    read_ignored(
        ctx,
        who,
        &a,
        (FRESH + 1, true),
        (req::HRT_SEC_072, "key A after its CA's list revoked it"),
    )
    .await?;
    Ok(Revoked { a, b, this_update })
}

async fn revocation(ctx: &mut Ctx, who: usize) -> CaseResult {
    let ca = authority(ctx)?;
    let ca_kid = ca.kid();
    let Revoked { a, b, this_update } = revoke_first_of_two(ctx, who, &ca, 1).await?;
    read_served(
        ctx,
        who,
        &b,
        FRESH + 1,
        (req::HRT_SEC_083, "key B, which the list does not name"),
    )
    .await?;
    ctx.step(3);
    let mut revoke_b: BTreeSet<KeyId> = ca.revoked_so_far();
    revoke_b.insert(b.kid);
    let foreign = impostor_of(&ca)?
        .list(unix_now(), 3600, revoke_b.clone())
        .map_err(Outcome::error)?;
    let mut counter = FRESH + 2;
    for (bytes, requirement, what) in [
        (
            foreign,
            req::HRT_MQTT_062,
            "a list on the CA's topic signed by another key under the CA's name",
        ),
        (
            ca.list(unix_now() + 120, 3600, revoke_b.clone())
                .map_err(Outcome::error)?,
            req::HRT_SEC_082,
            "a list of the CA dated 2 minutes ahead",
        ),
        (
            ca.list(this_update, 3600, revoke_b.clone())
                .map_err(Outcome::error)?,
            req::HRT_SEC_086,
            "a list of the CA dated like the one it holds",
        ),
    ] {
        publish_list(ctx, &ca_kid, bytes, false, what).await?;
        read_served(
            ctx,
            who,
            &b,
            counter,
            (requirement, &format!("key B after {what}")),
        )
        .await?;
        counter += 1;
    }
    ctx.step(4);
    wait::past(this_update + 1).await;
    read_ignored(
        ctx,
        who,
        &a,
        (counter, true),
        (
            req::HRT_SEC_085,
            "key A after the list revoking it passed its next-update time",
        ),
    )
    .await
}

/// A CA under `ca`'s name and claims with a key of its own: its lists are forgeries of
/// `ca`'s, signed by another key.
fn impostor_of(ca: &Authority) -> Result<Authority, Outcome> {
    let key = hearth_security::KeyPair::generate_system(Algorithm::EdDsa)
        .map_err(|e| Outcome::error(format!("generating a key: {e}")))?;
    let cert = hearth_security::cert::Certificate::sign(
        &CertClaims {
            key: *key.public_key(),
            ..ca.cert.claims().clone()
        },
        &key,
    )
    .map_err(|e| Outcome::error(e.to_string()))?;
    Ok(Authority {
        cert,
        key,
        privilege: ca.privilege,
    })
}

test_case! {
    /// TC-SEC-5.5
    ACL_MATCHING: "TC-SEC-5.5",
    title: "An access-control entry naming a key matches that key only, not another key under the same name",
    checks: [
        HRT_SEC_111,
        HRT_SEC_112,
        HRT_SEC_114,
    ],
    steps: [
        "Issue, with the lab's CA, a controller certificate with the operating controller's name for a new key; the device admits it only through the CA's entry.",
        "Send a read signed by the new key: it must be served.",
        "If the CA's entry grants view only: write, signed by the new key, a declared-valid value to a writable property; expect no answer or unauthorized, and the property unchanged when read by the operating controller.",
    ],
    applies: needs_authority,
    run: acl_matching(operator),
}

async fn acl_matching(ctx: &mut Ctx, who: usize) -> CaseResult {
    let ca = authority(ctx)?;
    ctx.step(1);
    let twin = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    ctx.step(2);
    read_served(
        ctx,
        who,
        &twin,
        FRESH,
        (
            req::HRT_SEC_112,
            "a new key under the operating controller's name",
        ),
    )
    .await?;
    if ca.privilege != Privilege::View {
        return Ok(());
    }
    let Some((path, p)) = ctx.writable() else {
        return Ok(());
    };
    ctx.step(3);
    let before = ctx.read(who, path).await?;
    let attempt = ctx
        .another_value(path, p, &before)
        .unwrap_or_else(|| before.clone());
    let (id, bytes) = seal_as(
        ctx,
        who,
        &twin,
        Body::Write(vec![(path, attempt.clone())]),
        (FRESH + 1, true),
    )?;
    let sent = publish(
        ctx,
        bytes,
        &format!("write {path} = {attempt} signed by the twin key"),
    )
    .await?;
    let answer = expect::confirm(ctx, id, sent).await?;
    let twin = (
        req::HRT_SEC_111,
        "a write signed by a key that only shares the name of a key the access-control list names",
    );
    expect::unchanged(ctx, who, (path, &before), sent, twin).await?;
    expect::refusal(answer, sent, twin)
}

test_case! {
    /// TC-SEC-5.6
    HIGHEST_PRIVILEGE: "TC-SEC-5.6",
    title: "A controller that several access-control entries match gets the highest of their privileges",
    checks: [
        HRT_SEC_113,
    ],
    steps: [
        "Take a controller of the ICS whose chain holds the lab's CA and whose own entry grants more than the CA's entry.",
        "As that controller, write to a writable property the value it holds: the write must succeed.",
    ],
    applies: |ctx| {
        needs_authority(ctx)?;
        needs(higher_tester(ctx), "no controller of the ICS is matched both by its own entry and, with a lower privilege, by the lab's CA")?;
        needs_writable(ctx)
    },
    run: highest_privilege,
}

/// A tester vouched for by the lab's CA whose own privilege is higher than the CA entry's.
fn higher_tester(ctx: &Ctx) -> Option<usize> {
    let ca = ctx.authority.as_ref()?;
    let kid = ca.kid();
    let floor = Some(ca.privilege.max(Privilege::View));
    ctx.probe
        .testers()
        .iter()
        .position(|t| t.vouched_by.contains(&kid) && t.privilege > floor)
}

async fn highest_privilege(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let who = found(higher_tester(ctx), "no such controller")?;
    let (path, _) = ctx.writable_property()?;
    ctx.step(2);
    let value = ctx.read(who, path).await?;
    let (results, seq) = ctx.write_results(who, vec![(path, value.clone())]).await?;
    if !results.iter().all(|(_, s)| *s == StatusCode::Success) {
        return Err(Outcome::fail(
            req::HRT_SEC_113,
            format!(
                "writing {path} = {value} as a controller whose own entry grants more than the CA's was answered {:?}",
                results.iter().map(|(_, s)| *s).collect::<Vec<_>>()
            ),
        )
        .with_evidence([seq]));
    }
    Ok(())
}

test_case! {
    /// TC-SEC-5.7
    WINDOW_START: "TC-SEC-5.7",
    title: "The replay window of a sender key the device has never seen starts at the counter of its first message",
    checks: [
        HRT_SEC_100,
    ],
    steps: [
        "Issue, with the lab's CA, a controller certificate for a new key; send a read signed by it with counter 1,000,000: it must be served.",
        "Send a read with counter 999,936 (64 below the first): no answer.",
        "Send a read with counter 999,937 (63 below the first): it must be served.",
    ],
    applies: needs_authority,
    run: window_start(operator),
}

async fn window_start(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let fresh = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    read_served(
        ctx,
        who,
        &fresh,
        FRESH,
        (
            req::HRT_SEC_100,
            "a new key whose first counter is 1,000,000",
        ),
    )
    .await?;
    ctx.step(2);
    read_ignored(
        ctx,
        who,
        &fresh,
        (FRESH - 64, true),
        (
            req::HRT_SEC_100,
            "a key 64 counters below its first accepted counter",
        ),
    )
    .await?;
    ctx.step(3);
    read_served(
        ctx,
        who,
        &fresh,
        FRESH - 63,
        (
            req::HRT_SEC_100,
            "a key 63 counters below its first accepted counter",
        ),
    )
    .await
}

test_case! {
    /// TC-SEC-5.8
    EXISTENCE_BEFORE_PRIVILEGE: "TC-SEC-5.8",
    title: "A write its sender may not make is checked path by path for existence before privilege",
    checks: [
        HRT_MOD_115,
        HRT_MSG_064,
        HRT_SEC_114,
        HRT_SEC_133,
    ],
    steps: [
        "Issue, with the lab's CA, a controller certificate for a new key; the CA's entry grants it view only, and the device has answered it nothing yet, so no rate limit holds an answer back.",
        "Write, signed by the new key, a declared-valid value to a writable property and a value to a property the description does not declare; confirm by a barrier.",
        "The device may have dropped the write; if it answered, expect unauthorized for the declared property and unsupported-property for the other.",
        "If it answered, write the declared property alone again with the same key at once; confirm by a barrier: the mixed answer counted against the signer's one unauthorized answer per second, so an answer sent less than a second after the first fails HRT-SEC-133.",
    ],
    applies: |ctx| {
        needs_authority(ctx)?;
        needs(
            ctx.authority.as_ref().filter(|a| a.privilege == Privilege::View),
            "the lab's CA entry grants more than view, so no key of the CA lacks the privilege to write",
        )?;
        needs_writable(ctx)
    },
    run: existence_before_privilege(operator),
}

async fn existence_before_privilege(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let viewer = mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {})?;
    let (path, p) = ctx.writable_property()?;
    let before = ctx.read(who, path).await?;
    let attempt = ctx
        .another_value(path, p, &before)
        .unwrap_or_else(|| before.clone());
    let missing = Path::new(path.component, path.capability, 0x7FF0);
    ctx.step(2);
    let body = Body::Write(vec![(path, attempt.clone()), (missing, Value::Int(1))]);
    let (id, bytes) = seal_as(ctx, who, &viewer, body, (FRESH, true))?;
    let first_sent_at = Instant::now();
    let sent = publish(
        ctx,
        bytes,
        &format!(
            "write {} and the undeclared {}, signed by a key with view only",
            path_name(&path, MemberKind::Property),
            path_name(&missing, MemberKind::Property)
        ),
    )
    .await?;
    let answer = expect::confirm(ctx, id, sent).await?;
    ctx.step(3);
    let Some(answer) = answer else {
        return Ok(());
    };
    let pick = |b: &Body| match b {
        Body::WriteResponse(r) => Some(r.clone()),
        _ => None,
    };
    let answer_seq = answer.seq;
    let results = answer.body(sent, pick, (req::HRT_MOD_115, "the write"))?;
    let want = [
        (path, StatusCode::Unauthorized),
        (missing, StatusCode::UnsupportedProperty),
    ];
    for (p, status) in want {
        let got = results.iter().find(|(q, _)| *q == p).map(|(_, s)| *s);
        if got != Some(status) {
            return Err(Outcome::fail(
                req::HRT_MOD_115,
                format!(
                    "writing {p} without the privilege answered {}, expected {status}: a path's existence is checked before the sender's privilege",
                    got.map_or_else(|| "nothing".to_owned(), |s| s.to_string())
                ),
            )
            .with_evidence([sent, answer_seq]));
        }
    }
    ctx.step(4);
    let body = Body::Write(vec![(path, attempt)]);
    let (id, bytes) = seal_as(ctx, who, &viewer, body, (FRESH + 1, true))?;
    let what = format!(
        "write {} again, signed by the same key, at once",
        path_name(&path, MemberKind::Property)
    );
    let again = publish(ctx, bytes, &what).await?;
    let Some(second) = expect::confirm(ctx, id, again).await? else {
        return Ok(());
    };
    if !second.is_unauthorized() {
        return Err(Outcome::fail(
            req::HRT_SEC_114,
            "a write signed by a key with view only was served",
        )
        .with_evidence([again, second.seq]));
    }
    // The device answered the first write after it was sent and the second before its answer
    // arrived here: less than that span apart, whatever the load (HRT-CONF-037).
    let apart = second.at.saturating_duration_since(first_sent_at);
    if apart < UNAUTHORIZED_INTERVAL {
        return Err(Outcome::fail(
            req::HRT_SEC_133,
            format!(
                "two unauthorized answers to one signer less than {apart:?} apart: the first, mixing unauthorized and unsupported-property, counts against the limit of one a second"
            ),
        )
        .with_evidence([sent, answer_seq, again, second.seq]));
    }
    Err(Outcome::inconclusive(format!(
        "the second write was answered unauthorized {apart:?} after the first was sent, so a second may have passed between the answers: the rate limit (HRT-SEC-133) was not shown either way"
    )))
}

/// The interval of HRT-SEC-133: at most one `unauthorized` answer to a signer within it.
const UNAUTHORIZED_INTERVAL: Duration = Duration::from_secs(1);

test_case! {
    /// TC-SEC-5.9
    LISTS_OF_UNMET_CA: "TC-SEC-5.9",
    title: "After a restart, the revocation list of a CA not met yet is kept, not displaced by forgeries, and applied when a chain brings the CA",
    checks: [
        HRT_SEC_072,
        HRT_SEC_104,
        HRT_SEC_112,
    ],
    steps: [
        "Issue, with the lab's CA, controller certificates for two new keys A and B; send a read signed by each: both must be served.",
        "Publish, retained on R/crl/{ca}, a list of the CA revoking A (and every key revoked before by this suite); send a read signed by A: no answer.",
        "Restart the device as the ICS describes and wait for its new online status: a device that forgets the CA's certificate then holds the retained list without being able to verify it.",
        "Publish on R/crl/{ca}, not retained, five lists under the CA's name signed by another key, revoking nothing: they must not displace the list that came first.",
        "Send a read signed by A, carrying its chain, which brings the CA's certificate: no answer. Then one signed by B: served.",
    ],
    applies: |ctx| {
        needs_authority(ctx)?;
        wait::restartable(ctx)
    },
    run: lists_of_unmet_ca(operator),
}

/// How many forged lists TC-SEC-5.9 publishes: one more than the lists a verifier must keep
/// for a CA it has not met (HRT-SEC-104).
const FORGED_LISTS: usize = 5;

async fn lists_of_unmet_ca(ctx: &mut Ctx, who: usize) -> CaseResult {
    let ca = authority(ctx)?;
    let ca_kid = ca.kid();
    let Revoked { a, b, .. } = revoke_first_of_two(ctx, who, &ca, 3600).await?;
    ctx.step(3);
    wait::restart(ctx).await?;
    ctx.step(4);
    let impostor = impostor_of(&ca)?;
    for n in 1..=FORGED_LISTS {
        let forged = impostor
            .list(unix_now(), 3600, BTreeSet::new())
            .map_err(Outcome::error)?;
        let what =
            format!("forged list {n} of {FORGED_LISTS} under the CA's name, revoking nothing");
        publish_list(ctx, &ca_kid, forged, false, &what).await?;
    }
    ctx.step(5);
    read_ignored(
        ctx,
        who,
        &a,
        (FRESH + 2, true),
        (
            req::HRT_SEC_104,
            "key A after a restart, its CA's list retained and forged ones published after it",
        ),
    )
    .await?;
    read_served(
        ctx,
        who,
        &b,
        FRESH + 1,
        (req::HRT_SEC_112, "key B after the restart"),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo's arrangement: a trust anchor and, under it, a vendor CA the suite holds.
    fn demo_ca(now: u64) -> (hearth_wire::Receiver, Authority) {
        let rng = ring::rand::SystemRandom::new();
        let pki = hearth_security::pki::TestPki::generate(now, &rng).expect("pki");
        let ca = hearth_security::pki::issue(
            &hearth_security::pki::IssueRequest {
                role: Role::Vendor,
                subject: "hearth-conformance-ca".into(),
                vendor_id: Some(0xfff4),
                device_type: None,
                model: None,
                days: 30,
                alg: Algorithm::EdDsa,
            },
            &pki.root,
            now,
            &rng,
        )
        .expect("ca");
        let mut trust = hearth_security::cert::TrustStore::new();
        trust.add_root(pki.root.cert.clone()).expect("root");
        (
            hearth_wire::Receiver::new(trust),
            Authority {
                key: ca.key,
                cert: ca.cert,
                privilege: Privilege::View,
            },
        )
    }

    #[test]
    fn each_broken_certificate_fails_for_its_own_reason() {
        use hearth_security::cert::CertError;
        use hearth_wire::OpenError;
        let now = 1_800_000_000;
        let (rx, ca) = demo_ca(now);
        // The unbroken certificate validates: whatever refuses the others is their flaw.
        let good = ca
            .mint(Algorithm::EdDsa, "hearth-suite", now, |_| {}, |_| {})
            .expect("minted");
        rx.validate(&good.chain, now).expect("a valid chain");
        let broken = broken_certificates(&ca, "hearth-suite", now).expect("broken");
        type Expected = (Req, fn(&CertError) -> bool);
        let expected: [Expected; 9] = [
            (req::HRT_SEC_050, |e| matches!(e, CertError::WrongRole(_))),
            (req::HRT_SEC_050, |e| matches!(e, CertError::WrongRole(_))),
            (req::HRT_SEC_066, |e| {
                matches!(e, CertError::UntrustedIssuer(_))
            }),
            (req::HRT_SEC_068, |e| {
                matches!(e, CertError::BadSignature { .. })
            }),
            (req::HRT_SEC_069, |e| {
                matches!(e, CertError::VendorMismatch { .. })
            }),
            (req::HRT_SEC_067, |e| {
                matches!(e, CertError::ChainLength { .. })
            }),
            (req::HRT_SEC_070, |e| {
                matches!(e, CertError::NotYetValid { .. })
            }),
            (req::HRT_SEC_071, |e| matches!(e, CertError::Expired { .. })),
            (req::HRT_SEC_137, |e| matches!(e, CertError::Malformed(_))),
        ];
        assert_eq!(broken.len(), expected.len());
        for (b, (requirement, is)) in broken.iter().zip(expected) {
            assert_eq!(b.requirement, requirement, "{}", b.what);
            match rx.validate(&b.minted.chain, now) {
                Err(OpenError::Certificate(e)) => assert!(is(&e), "{}: {e}", b.what),
                Err(other) => panic!("{}: {other}", b.what),
                Ok(_) => panic!("{}: validates", b.what),
            }
        }
        // The device certificate is valid as a chain; the access-control list refuses it.
        let device = device_certificate(&ca, "hearth-suite", "fan", now).expect("device");
        let peer = rx
            .validate(&device.chain, now)
            .expect("a valid device chain");
        assert_eq!(peer.chain.leaf.role, Role::Device);
    }
}
