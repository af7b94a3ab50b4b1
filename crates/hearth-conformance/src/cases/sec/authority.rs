//! The device as a verifier of certificates it has never seen: the suite issues them with the
//! lab's CA (`[authority]` of the ICS) — valid ones, ones broken in exactly one way, ones that
//! expire during the case, revoked ones — and watches which requests the device serves.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ciborium::Value as Cbor;
use hearth_model::{Path, StatusCode};
use hearth_mqtt::identity::unix_now;
use hearth_mqtt::topic::Topics;
use hearth_security::cert::{CertClaims, Role, CLAIM_ROLE};
use hearth_security::key::KeyId;
use hearth_security::Algorithm;
use hearth_wire::{Body, Message};

use crate::authority::{Authority, Minted, RawClaims};
use crate::case::{Case, Ctx};
use crate::cases::sec::signing::other_valid_value;
use crate::cases::sec::verifying::{operator, publish, silent};
use crate::cases::{case_fn, try_outcome};
use crate::requirements::req;
use crate::verdict::{Outcome, Verdict};

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

/// Seal `body` as tester `who` would, then sign it with `minted`'s key instead, carrying its
/// chain (or none) and the `counter` given. The request id and the bytes.
fn seal_as(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    body: Body,
    counter: u64,
    carry_chain: bool,
) -> Result<(u64, Vec<u8>), Outcome> {
    let mut sealed: Option<Message> = None;
    let chain = if carry_chain {
        minted.chain.clone()
    } else {
        Vec::new()
    };
    let (id, _) = ctx
        .probe
        .seal_request(who, body, |m| {
            m.chain = chain;
            m.counter = counter;
            sealed = Some(m.clone());
        })
        .map_err(|e| Outcome::error(e.to_string()))?;
    let msg = sealed.ok_or_else(|| Outcome::error("the probe sealed nothing"))?;
    let topic = ctx.probe.request_topic();
    let bytes = hearth_security::cose::sign1(
        &minted.key,
        &hearth_wire::codec::encode(&msg),
        topic.as_bytes(),
    )
    .map_err(|e| Outcome::error(format!("signing: {e}")))?;
    Ok((id, bytes))
}

fn read_body() -> Body {
    Body::Read(vec![Path::new(0, 1, 4)])
}

/// Send a read signed by `minted`; it must be served: answered, opening, and not refused as
/// unauthorized.
async fn read_served(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    counter: u64,
    (requirement, what): (&str, &str),
) -> Outcome {
    let (id, bytes) = try_outcome!(seal_as(ctx, who, minted, read_body(), counter, true));
    let sent = try_outcome!(publish(ctx, bytes, &format!("read signed by {what}")).await);
    let timeout = ctx.response_timeout();
    match ctx.probe.answer(id, timeout).await {
        Some(crate::probe::Answer {
            message:
                Ok(Message {
                    body: Body::ReadResponse(results),
                    ..
                }),
            seq,
            ..
        }) => {
            if results.iter().any(|r| r.status == StatusCode::Unauthorized) {
                Outcome::fail(
                    requirement,
                    format!("the device refused a read signed by {what} as unauthorized"),
                )
                .with_evidence([sent, seq])
            } else {
                Outcome::pass()
            }
        }
        Some(crate::probe::Answer {
            message: Ok(m),
            seq,
            ..
        }) => Outcome::fail(
            "HRT-MSG-060",
            format!(
                "the device answered a read with {}",
                crate::probe::summarize(&m)
            ),
        )
        .with_evidence([sent, seq]),
        Some(crate::probe::Answer {
            message: Err(crate::probe::Rejection { why, id: req, .. }),
            seq,
            ..
        }) => {
            Outcome::fail(req, format!("the answer did not open: {why}")).with_evidence([sent, seq])
        }
        None => Outcome::fail(
            requirement,
            format!("no answer within {timeout:?} to a read signed by {what}"),
        )
        .with_evidence([sent]),
    }
}

/// Send a read signed by `minted` (with its chain, or without); there must be no answer.
async fn read_ignored(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    counter: u64,
    carry_chain: bool,
    (requirement, what): (&str, &str),
) -> Outcome {
    let (id, bytes) = try_outcome!(seal_as(ctx, who, minted, read_body(), counter, carry_chain));
    let sent = try_outcome!(publish(ctx, bytes, &format!("read signed by {what}")).await);
    silent(
        ctx,
        id,
        requirement,
        &format!("a read signed by {what}"),
        sent,
    )
    .await
}

/// Every step's outcome in turn; the first that does not pass ends the case.
macro_rules! check {
    ($e:expr) => {{
        let o = $e;
        if o.verdict != Verdict::Pass {
            return o;
        }
    }};
}

/// A counter well above anything the operating tester uses, for keys the device has never
/// seen.
const FRESH: u64 = 1_000_000;

/// TC-SEC-5.1
pub(crate) const CERTIFICATES_ACCEPTED: Case = Case {
    id: "TC-SEC-5.1",
    title: "Controller certificates of a CA the access-control list names are accepted, with unknown claims and with ES256 keys",
    requirements: &[req::HRT_SEC_001, req::HRT_SEC_002, req::HRT_SEC_045, req::HRT_SEC_112],
    steps: &[
        "Issue, with the lab's CA, a controller certificate for a new Ed25519 key; send a read signed by it: it must be served (the CA's access-control entry matches a controller whose chain holds the CA).",
        "Issue one that also carries two claims this specification does not define (99 and -70000); send a read signed by it: it must be served.",
        "Issue one for a new ES256 (P-256) key; send a read signed by it with ES256: it must be served.",
    ],
    applies: needs_authority,
    run: certificates_accepted,
};

case_fn!(certificates_accepted, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Issue, with the lab's CA, a controller certificate for a new Ed25519 key; send a read signed by it: it must be served (the CA's access-control entry matches a controller whose chain holds the CA).");
    let plain = try_outcome!(mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {}));
    check!(
        read_served(
            ctx,
            who,
            &plain,
            FRESH,
            ("HRT-SEC-112", "an Ed25519 controller key of the lab's CA")
        )
        .await
    );
    ctx.step_text("Issue one that also carries two claims this specification does not define (99 and -70000); send a read signed by it: it must be served.");
    let extra = try_outcome!(mint(
        ctx,
        who,
        Algorithm::EdDsa,
        |_| {},
        |claims| {
            claims.push((Cbor::from(99), Cbor::Text("unknown claim".into())));
            claims.push((Cbor::from(-70_000), Cbor::from(1)));
        }
    ));
    check!(
        read_served(
            ctx,
            who,
            &extra,
            FRESH,
            ("HRT-SEC-045", "a key whose certificate has unknown claims")
        )
        .await
    );
    ctx.step_text("Issue one for a new ES256 (P-256) key; send a read signed by it with ES256: it must be served.");
    let p256 = try_outcome!(mint(ctx, who, Algorithm::Es256, |_| {}, |_| {}));
    read_served(
        ctx,
        who,
        &p256,
        FRESH,
        ("HRT-SEC-002", "an ES256 controller key of the lab's CA"),
    )
    .await
});

/// TC-SEC-5.2
pub(crate) const CERTIFICATES_REFUSED: Case = Case {
    id: "TC-SEC-5.2",
    title: "A request whose certificate chain is broken in any one way is not answered",
    requirements: &[
        req::HRT_SEC_050,
        req::HRT_SEC_064,
        req::HRT_SEC_066,
        req::HRT_SEC_067,
        req::HRT_SEC_068,
        req::HRT_SEC_069,
        req::HRT_SEC_070,
        req::HRT_SEC_071,
        req::HRT_SEC_112,
        req::HRT_SEC_120,
        req::HRT_SEC_131,
    ],
    steps: &[
        "For each of these certificates, issued by the lab's CA for a new key, send a read signed by that key with its chain; expect no answer: role claim missing; role claim 9 (undefined); iss other than the CA's sub; a byte of the signature changed; a vendor id other than the CA's (or, from a root, any vendor id); three certificates below the trust anchor; nbf an hour ahead; exp a minute ago.",
        "Issue a device certificate (role device) for a new key; send a read signed by it: expect no answer or unauthorized, never a value.",
        "Send a correct read as the operating controller: it must still be answered.",
    ],
    applies: needs_authority,
    run: certificates_refused,
};

/// A certificate broken in one way: the key and chain, the requirement it breaks, and what
/// it is, for the trace.
pub(crate) struct Broken {
    /// The key and its chain.
    pub minted: Minted,
    /// The requirement a device that serves it breaks.
    pub requirement: &'static str,
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
        "HRT-SEC-050",
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
        "HRT-SEC-050",
        "a key whose certificate has role 9",
    );
    push(
        mint(&|c| c.issuer = format!("not-{}", c.issuer), &|_| {})?,
        "HRT-SEC-066",
        "a key whose certificate names another issuer",
    );
    let mut forged = mint(&|_| {}, &|_| {})?;
    if let Some(last) = forged.chain.first_mut().and_then(|leaf| leaf.last_mut()) {
        *last ^= 0x01;
    }
    push(
        forged,
        "HRT-SEC-068",
        "a key whose certificate's signature does not verify",
    );
    let foreign_vendor = if ca.cert.claims().vendor_id == Some(0xfff1) {
        0xfff2
    } else {
        0xfff1
    };
    push(
        mint(&|c| c.vendor_id = Some(foreign_vendor), &|_| {})?,
        "HRT-SEC-069",
        "a key whose certificate carries a vendor id its issuer may not give",
    );
    push(
        long_chain(ca, subject, now)?,
        "HRT-SEC-067",
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
        "HRT-SEC-070",
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
        "HRT-SEC-071",
        "a key whose certificate expired",
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

case_fn!(certificates_refused, |ctx| {
    let who = try_outcome!(operator(ctx));
    let ca = try_outcome!(authority(ctx));
    let now = unix_now();
    let subject = tester_name(ctx, who);
    ctx.step_text("For each of these certificates, issued by the lab's CA for a new key, send a read signed by that key with its chain; expect no answer: role claim missing; role claim 9 (undefined); iss other than the CA's sub; a byte of the signature changed; a vendor id other than the CA's (or, from a root, any vendor id); three certificates below the trust anchor; nbf an hour ahead; exp a minute ago.");
    let broken = try_outcome!(broken_certificates(&ca, &subject, now).map_err(Outcome::error));
    for b in &broken {
        check!(read_ignored(ctx, who, &b.minted, FRESH, true, (b.requirement, b.what)).await);
    }
    ctx.step_text("Issue a device certificate (role device) for a new key; send a read signed by it: expect no answer or unauthorized, never a value.");
    let device_type = ctx.ics.device.device_type.clone();
    let as_device =
        try_outcome!(device_certificate(&ca, &subject, &device_type, now).map_err(Outcome::error));
    check!(read_refused(ctx, who, &as_device).await);
    ctx.step_text("Send a correct read as the operating controller: it must still be answered.");
    try_outcome!(ctx.read(who, Path::new(0, 1, 4)).await);
    Outcome::pass()
});

/// A read signed by a device-role key: silence or unauthorized, never served.
async fn read_refused(ctx: &mut Ctx, who: usize, minted: &Minted) -> Outcome {
    let (id, bytes) = try_outcome!(seal_as(ctx, who, minted, read_body(), FRESH, true));
    let sent = try_outcome!(publish(ctx, bytes, "read signed by a device key").await);
    let window = ctx.params.silence_window;
    match ctx.probe.answer(id, window).await {
        None => Outcome::pass(),
        Some(a) if a.is_unauthorized() => Outcome::pass(),
        Some(a) => Outcome::fail(
            "HRT-SEC-120",
            format!(
                "the device served a read signed by a key whose certificate has the role device (trace #{})",
                a.seq
            ),
        )
        .with_evidence([sent, a.seq]),
    }
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

/// TC-SEC-5.3
pub(crate) const CHAIN_EXPIRES: Case = Case {
    id: "TC-SEC-5.3",
    title: "A signer whose certificate expires is not served from that moment on",
    requirements: &[req::HRT_SEC_071, req::HRT_SEC_075],
    steps: &[
        "Issue, with the lab's CA, a controller certificate that expires in 3 seconds; send a read signed by its key: it must be served.",
        "Wait until the certificate has expired; send a read signed by the key without its chain, then one with it: neither may be answered.",
    ],
    applies: needs_authority,
    run: chain_expires,
};

case_fn!(chain_expires, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Issue, with the lab's CA, a controller certificate that expires in 3 seconds; send a read signed by its key: it must be served.");
    let expires = unix_now() + 3;
    let short = try_outcome!(mint(
        ctx,
        who,
        Algorithm::EdDsa,
        |c| c.expires = expires,
        |_| {}
    ));
    check!(
        read_served(
            ctx,
            who,
            &short,
            FRESH,
            ("HRT-SEC-075", "a key whose certificate is still valid")
        )
        .await
    );
    ctx.step_text("Wait until the certificate has expired; send a read signed by the key without its chain, then one with it: neither may be answered.");
    while unix_now() <= expires {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    check!(
        read_ignored(
            ctx,
            who,
            &short,
            FRESH + 1,
            false,
            (
                "HRT-SEC-075",
                "a known key, without its chain, after its certificate expired"
            )
        )
        .await
    );
    read_ignored(
        ctx,
        who,
        &short,
        FRESH + 2,
        true,
        ("HRT-SEC-071", "a key whose certificate has just expired"),
    )
    .await
});

/// Publish a revocation list on the topic of `ca`, retained or not, and let it arrive.
async fn publish_list(
    ctx: &mut Ctx,
    ca: &KeyId,
    bytes: Vec<u8>,
    retain: bool,
    what: &str,
) -> Result<usize, Outcome> {
    let topic = ctx.probe.full_topic(&Topics::revocation_rel(&ca.to_hex()));
    let seq = ctx
        .probe
        .publish_full(&topic, retain, bytes, what)
        .await
        .map_err(|e| Outcome::error(e.to_string()))?;
    tokio::time::sleep(ctx.params.settle_time).await;
    Ok(seq)
}

/// TC-SEC-5.4
pub(crate) const REVOCATION: Case = Case {
    id: "TC-SEC-5.4",
    title: "Revocation lists on R/crl/{ca}: the newest valid list of the CA is applied, and kept after its next-update time; others are ignored",
    requirements: &[
        req::HRT_SEC_072,
        req::HRT_SEC_075,
        req::HRT_SEC_082,
        req::HRT_SEC_083,
        req::HRT_SEC_085,
        req::HRT_SEC_086,
        req::HRT_MQTT_062,
    ],
    steps: &[
        "Issue, with the lab's CA, controller certificates for two new keys A and B; send a read signed by each: both must be served.",
        "Publish, retained on R/crl/{ca}, a list of the CA revoking A (and every key revoked before by this suite), whose next-update time is 2 seconds later; send a read signed by A: no answer; one signed by B: served.",
        "Publish on R/crl/{ca}, not retained, lists revoking B that the device must ignore: one signed by another key, one dated 2 minutes ahead, one dated like the list that revoked A; each also revokes every key revoked before, so that no other device loses a revocation by it; after each, a read signed by B must be served.",
        "Wait until the list's next-update time has passed; send a read signed by A: still no answer.",
    ],
    applies: needs_authority,
    run: revocation,
};

case_fn!(revocation, |ctx| {
    let who = try_outcome!(operator(ctx));
    let ca = try_outcome!(authority(ctx));
    let ca_kid = ca.kid();
    ctx.step_text("Issue, with the lab's CA, controller certificates for two new keys A and B; send a read signed by each: both must be served.");
    let a = try_outcome!(mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {}));
    let b = try_outcome!(mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {}));
    check!(read_served(ctx, who, &a, FRESH, ("HRT-SEC-112", "key A")).await);
    check!(read_served(ctx, who, &b, FRESH, ("HRT-SEC-112", "key B")).await);
    ctx.step_text("Publish, retained on R/crl/{ca}, a list of the CA revoking A (and every key revoked before by this suite), whose next-update time is 2 seconds later; send a read signed by A: no answer; one signed by B: served.");
    let (list, this_update) = try_outcome!(ca.next_list(&[a.kid], 2).await.map_err(Outcome::error));
    try_outcome!(publish_list(ctx, &ca_kid, list, true, "revocation list revoking key A").await);
    check!(
        read_ignored(
            ctx,
            who,
            &a,
            FRESH + 1,
            true,
            ("HRT-SEC-072", "key A after its CA's list revoked it")
        )
        .await
    );
    check!(
        read_served(
            ctx,
            who,
            &b,
            FRESH + 1,
            ("HRT-SEC-083", "key B, which the list does not name")
        )
        .await
    );
    ctx.step_text("Publish on R/crl/{ca}, not retained, lists revoking B that the device must ignore: one signed by another key, one dated 2 minutes ahead, one dated like the list that revoked A; each also revokes every key revoked before, so that no other device loses a revocation by it; after each, a read signed by B must be served.");
    let mut revoke_b: BTreeSet<KeyId> = ca.revoked_so_far();
    revoke_b.insert(b.kid);
    let impostor = try_outcome!(hearth_security::KeyPair::generate_system(Algorithm::EdDsa)
        .map_err(|e| Outcome::error(format!("generating a key: {e}"))));
    let impostor_ca = Authority {
        cert: try_outcome!(hearth_security::cert::Certificate::sign(
            &CertClaims {
                key: *impostor.public_key(),
                ..ca.cert.claims().clone()
            },
            &impostor
        )
        .map_err(|e| Outcome::error(e.to_string()))),
        key: impostor,
        privilege: ca.privilege,
    };
    let foreign = try_outcome!(impostor_ca
        .list(unix_now(), 3600, revoke_b.clone())
        .map_err(Outcome::error));
    let mut counter = FRESH + 2;
    for (bytes, requirement, what) in [
        (
            foreign,
            "HRT-MQTT-062",
            "a list on the CA's topic signed by another key under the CA's name",
        ),
        (
            try_outcome!(ca
                .list(unix_now() + 120, 3600, revoke_b.clone())
                .map_err(Outcome::error)),
            "HRT-SEC-082",
            "a list of the CA dated 2 minutes ahead",
        ),
        (
            try_outcome!(ca
                .list(this_update, 3600, revoke_b.clone())
                .map_err(Outcome::error)),
            "HRT-SEC-086",
            "a list of the CA dated like the one it holds",
        ),
    ] {
        try_outcome!(publish_list(ctx, &ca_kid, bytes, false, what).await);
        check!(
            read_served(
                ctx,
                who,
                &b,
                counter,
                (requirement, &format!("key B after {what}"))
            )
            .await
        );
        counter += 1;
    }
    ctx.step_text("Wait until the list's next-update time has passed; send a read signed by A: still no answer.");
    while unix_now() <= this_update + 2 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    read_ignored(
        ctx,
        who,
        &a,
        counter,
        true,
        (
            "HRT-SEC-085",
            "key A after the list revoking it passed its next-update time",
        ),
    )
    .await
});

/// TC-SEC-5.5
pub(crate) const ACL_MATCHING: Case = Case {
    id: "TC-SEC-5.5",
    title: "An access-control entry naming a key matches that key only, not another key under the same name",
    requirements: &[req::HRT_SEC_111, req::HRT_SEC_112, req::HRT_SEC_114],
    steps: &[
        "Issue, with the lab's CA, a controller certificate with the operating controller's name for a new key; the device admits it only through the CA's entry.",
        "Send a read signed by the new key: it must be served.",
        "If the CA's entry grants view only: write, signed by the new key, a declared-valid value to a writable property; expect no answer or unauthorized, and the property unchanged when read by the operating controller.",
    ],
    applies: needs_authority,
    run: acl_matching,
};

case_fn!(acl_matching, |ctx| {
    let who = try_outcome!(operator(ctx));
    let ca = try_outcome!(authority(ctx));
    ctx.step_text("Issue, with the lab's CA, a controller certificate with the operating controller's name for a new key; the device admits it only through the CA's entry.");
    let twin = try_outcome!(mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {}));
    ctx.step_text("Send a read signed by the new key: it must be served.");
    check!(
        read_served(
            ctx,
            who,
            &twin,
            FRESH,
            (
                "HRT-SEC-112",
                "a new key under the operating controller's name"
            )
        )
        .await
    );
    if ca.privilege != crate::ics::Privilege::View {
        return Outcome::pass();
    }
    let Some((path, p)) = ctx.properties().into_iter().find(|(_, p)| p.writable()) else {
        return Outcome::pass();
    };
    ctx.step_text("If the CA's entry grants view only: write, signed by the new key, a declared-valid value to a writable property; expect no answer or unauthorized, and the property unchanged when read by the operating controller.");
    let before = try_outcome!(ctx.read(who, path).await);
    let attempt = other_valid_value(ctx, path, p, &before);
    let (id, bytes) = try_outcome!(seal_as(
        ctx,
        who,
        &twin,
        Body::Write(vec![(path, attempt.clone())]),
        FRESH + 1,
        true
    ));
    let sent = try_outcome!(
        publish(
            ctx,
            bytes,
            &format!("write {path} = {attempt} signed by the twin key")
        )
        .await
    );
    let window = ctx.params.silence_window;
    let answer = ctx.probe.answer(id, window).await;
    let after = try_outcome!(ctx.read(who, path).await);
    if after != before {
        let _ = ctx.write(who, path, before.clone()).await;
        return Outcome::fail(
            "HRT-SEC-111",
            format!("{path} changed from {before} to {after} on a write signed by a key that only shares the name of a key the access-control list names"),
        )
        .with_evidence([sent]);
    }
    match answer {
        None => Outcome::pass(),
        Some(a) if a.is_unauthorized() => Outcome::pass(),
        Some(a) => Outcome::fail(
            "HRT-SEC-111",
            format!(
                "the device accepted a write signed by a key that only shares the name of a key the access-control list names (trace #{})",
                a.seq
            ),
        )
        .with_evidence([sent, a.seq]),
    }
});

/// TC-SEC-5.6
pub(crate) const HIGHEST_PRIVILEGE: Case = Case {
    id: "TC-SEC-5.6",
    title: "A controller that several access-control entries match gets the highest of their privileges",
    requirements: &[req::HRT_SEC_113],
    steps: &[
        "Take a controller of the ICS whose chain holds the lab's CA and whose own entry grants more than the CA's entry.",
        "As that controller, write to a writable property the value it holds: the write must succeed.",
    ],
    applies: |ctx| {
        needs_authority(ctx)?;
        higher_tester(ctx).map(|_| ()).ok_or_else(|| {
            "no controller of the ICS is matched both by its own entry and, with a lower privilege, by the lab's CA".to_owned()
        })?;
        ctx.properties()
            .iter()
            .any(|(_, p)| p.writable())
            .then_some(())
            .ok_or_else(|| "the device has no writable property".into())
    },
    run: highest_privilege,
};

/// A tester vouched for by the lab's CA whose own privilege is higher than the CA entry's.
fn higher_tester(ctx: &Ctx) -> Option<usize> {
    let ca = ctx.authority.as_ref()?;
    let kid = ca.kid();
    let rank = |name: &str| match name {
        "view" => 1,
        "operate" => 2,
        "manage" => 3,
        _ => 0,
    };
    let ca_rank = rank(crate::case::privilege_name(ca.privilege));
    ctx.probe
        .testers()
        .iter()
        .position(|t| t.vouched_by.contains(&kid) && rank(&t.privilege) > ca_rank.max(1))
}

case_fn!(highest_privilege, |ctx| {
    ctx.step_text("Take a controller of the ICS whose chain holds the lab's CA and whose own entry grants more than the CA's entry.");
    let Some(who) = higher_tester(ctx) else {
        return Outcome::not_applicable("no such controller");
    };
    let Some((path, _)) = ctx.properties().into_iter().find(|(_, p)| p.writable()) else {
        return Outcome::not_applicable("no writable property");
    };
    ctx.step_text("As that controller, write to a writable property the value it holds: the write must succeed.");
    let value = try_outcome!(ctx.read(who, path).await);
    let (msg, seq) = try_outcome!(ctx.ask(who, Body::Write(vec![(path, value.clone())])).await);
    match msg.body {
        Body::WriteResponse(r) if r.iter().all(|(_, s)| *s == StatusCode::Success) => {
            Outcome::pass()
        }
        Body::WriteResponse(r) => Outcome::fail(
            "HRT-SEC-113",
            format!(
                "writing {path} = {value} as a controller whose own entry grants more than the CA's was answered {:?}",
                r.iter().map(|(_, s)| *s).collect::<Vec<_>>()
            ),
        )
        .with_evidence([seq]),
        other => Outcome::fail(
            "HRT-MSG-060",
            format!(
                "a write was answered with {}",
                crate::probe::summarize(&Message {
                    body: other,
                    ..msg
                })
            ),
        )
        .with_evidence([seq]),
    }
});

/// TC-SEC-5.7
pub(crate) const WINDOW_START: Case = Case {
    id: "TC-SEC-5.7",
    title: "The replay window of a sender key the device has never seen starts at the counter of its first message",
    requirements: &[req::HRT_SEC_100],
    steps: &[
        "Issue, with the lab's CA, a controller certificate for a new key; send a read signed by it with counter 1,000,000: it must be served.",
        "Send a read with counter 999,936 (64 below the first): no answer.",
        "Send a read with counter 999,937 (63 below the first): it must be served.",
    ],
    applies: needs_authority,
    run: window_start,
};

case_fn!(window_start, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Issue, with the lab's CA, a controller certificate for a new key; send a read signed by it with counter 1,000,000: it must be served.");
    let fresh = try_outcome!(mint(ctx, who, Algorithm::EdDsa, |_| {}, |_| {}));
    check!(
        read_served(
            ctx,
            who,
            &fresh,
            FRESH,
            ("HRT-SEC-100", "a new key whose first counter is 1,000,000")
        )
        .await
    );
    ctx.step_text("Send a read with counter 999,936 (64 below the first): no answer.");
    check!(
        read_ignored(
            ctx,
            who,
            &fresh,
            FRESH - 64,
            true,
            (
                "HRT-SEC-100",
                "a key 64 counters below its first accepted counter"
            )
        )
        .await
    );
    ctx.step_text("Send a read with counter 999,937 (63 below the first): it must be served.");
    read_served(
        ctx,
        who,
        &fresh,
        FRESH - 63,
        (
            "HRT-SEC-100",
            "a key 63 counters below its first accepted counter",
        ),
    )
    .await
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_claims_keep_the_deterministic_order() {
        // The encoded claims of a minted certificate must stay in RFC 8949 §4.2.1 order, or
        // a device would refuse it for its encoding rather than for the flaw under test.
        let rng = ring::rand::SystemRandom::new();
        let pki = hearth_security::pki::TestPki::generate(1_800_000_000, &rng).expect("pki");
        let ca = Authority {
            key: pki.vendor.key,
            cert: pki.vendor.cert,
            privilege: crate::ics::Privilege::View,
        };
        let minted = ca
            .mint(
                Algorithm::EdDsa,
                "t",
                1_800_000_000,
                |_| {},
                |c| {
                    c.push((Cbor::from(99), Cbor::from(1)));
                    c.push((Cbor::from(-70_000), Cbor::from(1)));
                },
            )
            .expect("minted");
        let sign1: Cbor = ciborium::from_reader(minted.chain[0].as_slice()).expect("cbor");
        let Cbor::Tag(18, inner) = sign1 else {
            panic!("not a tagged COSE_Sign1")
        };
        let Cbor::Array(parts) = *inner else {
            panic!("not an array")
        };
        let Some(Cbor::Bytes(payload)) = parts.get(2) else {
            panic!("no payload")
        };
        crate::cases::sec::verifying::deterministic(payload).expect("deterministic");
        // Unknown claims are ignored (HRT-SEC-045): the certificate still parses.
        hearth_security::cert::Certificate::from_bytes(&minted.chain[0]).expect("parses");
        assert_eq!(
            minted.chain.len(),
            2,
            "a vendor CA's certificate follows the leaf"
        );
    }

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
                privilege: crate::ics::Privilege::View,
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
        type Expected = (&'static str, fn(&CertError) -> bool);
        let expected: [Expected; 8] = [
            ("HRT-SEC-050", |e| matches!(e, CertError::WrongRole(_))),
            ("HRT-SEC-050", |e| matches!(e, CertError::WrongRole(_))),
            ("HRT-SEC-066", |e| {
                matches!(e, CertError::UntrustedIssuer(_))
            }),
            ("HRT-SEC-068", |e| {
                matches!(e, CertError::BadSignature { .. })
            }),
            ("HRT-SEC-069", |e| {
                matches!(e, CertError::VendorMismatch { .. })
            }),
            ("HRT-SEC-067", |e| {
                matches!(e, CertError::ChainLength { .. })
            }),
            ("HRT-SEC-070", |e| {
                matches!(e, CertError::NotYetValid { .. })
            }),
            ("HRT-SEC-071", |e| matches!(e, CertError::Expired { .. })),
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
