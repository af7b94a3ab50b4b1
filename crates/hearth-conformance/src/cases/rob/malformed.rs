//! TC-ROB-1.x, malformed input: random bytes, broken CBOR, oversized and deeply nested
//! messages on the request topic are dropped unanswered, and the device keeps answering;
//! correctly signed requests outside the CBOR profile are dropped as well, and an oversized
//! publish costs the device no connection.

use ciborium::Value as Cbor;
use hearth_model::{Path, Value};
use hearth_wire::Body;

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::craft::{int_key, publish, resigned};
use crate::harness::expect;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

/// Publish each input on the request topic (step 1), confirm by a barrier that the device
/// answered none of it (step 2, HRT-CONF-037), then check a correct read is still answered
/// correctly (step 3, HRT-CONF-070). A barrier before the input takes the answers to earlier
/// requests out of the way.
async fn survive(ctx: &mut Ctx, inputs: Vec<(String, Vec<u8>)>) -> CaseResult {
    let who = ctx.operator_tester()?;
    expect::barrier(ctx, who).await?;
    let _ = ctx.probe.stray_answers();
    let mut sent = Vec::new();
    for (what, bytes) in inputs {
        ctx.step_with(1, &what);
        sent.push(publish(ctx, bytes, &what).await?);
    }
    ctx.step(2);
    expect::barrier(ctx, who).await?;
    if let Some(a) = ctx.probe.stray_answers().into_iter().next() {
        return Err(Outcome::fail(
            req::HRT_SEC_131,
            "the device answered input that is not a valid request",
        )
        .with_evidence(sent.into_iter().chain([a.seq])));
    }
    ctx.step(3);
    expect::still_answers(ctx, who)
        .await
        .map_err(|o| o.with_evidence(sent))
}

/// Deterministic pseudo-random bytes from the run's seed (HRT-CONF-035, HRT-CONF-071).
fn bytes_from_seed(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

test_case! {
    /// TC-ROB-1.1
    GARBAGE: "TC-ROB-1.1",
    title: "Malformed input is dropped and the device keeps answering",
    checks: [
        HRT_SEC_130,
        HRT_SEC_131,
        HRT_SEC_136,
        HRT_MSG_040,
        HRT_MSG_082,
    ],
    steps: [
        "Publish random bytes, truncated CBOR, a COSE envelope with a garbage payload, and an empty array on the request topic.",
        "Send a correct read as a barrier: it must be answered with no answer to any of the input before it.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: garbage,
}

async fn garbage(ctx: &mut Ctx) -> CaseResult {
    let seed = ctx.params.seed.unwrap_or(0x5eed);
    let inputs = vec![
        ("64 random bytes".to_owned(), bytes_from_seed(seed, 64)),
        (
            "a truncated CBOR map".to_owned(),
            vec![0xa5, 0x01, 0x01, 0x02],
        ),
        (
            "a tagged COSE_Sign1 holding garbage".to_owned(),
            vec![
                0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27, 0xa0, 0x44, 0xde, 0xad, 0xbe, 0xef, 0x40,
            ],
        ),
        ("an empty CBOR array".to_owned(), vec![0x80]),
    ];
    survive(ctx, inputs).await
}

test_case! {
    /// TC-ROB-1.2
    OVERSIZED: "TC-ROB-1.2",
    title: "An oversized message is dropped, the device keeps its connection and keeps answering",
    checks: [
        HRT_MSG_030,
        HRT_MSG_105,
        HRT_SEC_131,
        HRT_SEC_136,
        HRT_MSG_082,
    ],
    steps: [
        "Publish 70 000 bytes on the request topic.",
        "Send a correct read as a barrier: it must be answered with no answer to the input before it, and with no status of the device since the input (a will or a new online status: the device lost its connection).",
        "Send a correct read: it must still be answered correctly, and still no status of the device may have come.",
    ],
    applies: always,
    run: oversized,
}

async fn oversized(ctx: &mut Ctx) -> CaseResult {
    // 70 000 bytes: above the message limit, within the packets a broker must deliver
    // (HRT-MQTT-070) once the topic is added.
    let mut big = vec![0xd2, 0x84, 0x40, 0xa0, 0x5a, 0x00, 0x01, 0x11, 0x70];
    big.resize(70_000, 0x00);
    let what = "a 70 000-byte message";
    let who = ctx.operator_tester()?;
    expect::barrier(ctx, who).await?;
    let _ = ctx.probe.stray_answers();
    ctx.step_with(1, what);
    let sent = publish(ctx, big, what).await?;
    ctx.step(2);
    let barrier = expect::barrier(ctx, who).await;
    expect::kept_connection(ctx, sent, (req::HRT_MSG_105, what))?;
    barrier?;
    if let Some(a) = ctx.probe.stray_answers().into_iter().next() {
        return Err(Outcome::fail(
            req::HRT_SEC_131,
            "the device answered input that is not a valid request",
        )
        .with_evidence([sent, a.seq]));
    }
    ctx.step(3);
    expect::still_answers(ctx, who)
        .await
        .map_err(|o| o.with_evidence([sent]))?;
    expect::kept_connection(ctx, sent, (req::HRT_MSG_105, what))
}

test_case! {
    /// TC-ROB-1.3
    DEEP: "TC-ROB-1.3",
    title: "Deeply nested CBOR is dropped and the device keeps answering",
    checks: [
        HRT_MSG_030,
        HRT_SEC_130,
        HRT_SEC_131,
        HRT_SEC_136,
        HRT_MSG_082,
    ],
    steps: [
        "Publish 10 000 nested CBOR arrays on the request topic.",
        "Send a correct read as a barrier: it must be answered with no answer to the input before it.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: deep,
}

async fn deep(ctx: &mut Ctx) -> CaseResult {
    let mut nested = vec![0x81u8; 10_000];
    nested.push(0x00);
    survive(ctx, vec![("10 000 nested arrays".to_owned(), nested)]).await
}

test_case! {
    /// TC-ROB-1.4
    OUTSIDE_PROFILE: "TC-ROB-1.4",
    title: "Correctly signed requests outside the CBOR profile are dropped",
    checks: [
        HRT_MSG_101,
        HRT_MSG_102,
        HRT_MSG_103,
        HRT_MSG_104,
        HRT_MSG_082,
        HRT_SEC_136,
    ],
    steps: [
        "Send requests, each correctly signed by an admitted controller but outside the CBOR profile: a read whose counter is a bignum; a write of device-info model whose value is a bignum; a read with a text key twice in its header; a read with undefined under an unknown header key; a read whose payload map has an indefinite length; a read whose envelope's outer array has an indefinite length; a read with a tag in its unprotected header. Confirm by a barrier after each that it was not answered.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: outside_profile,
}

/// `change` applied to the payload's top-level map, written again.
fn in_map(
    change: impl FnOnce(&mut Vec<(Cbor, Cbor)>) -> Result<(), String>,
) -> impl FnOnce(Vec<u8>) -> Result<Vec<u8>, String> {
    move |payload| {
        let Ok(Cbor::Map(mut map)) = ciborium::de::from_reader::<Cbor, _>(payload.as_slice())
        else {
            return Err("the payload is not a map".into());
        };
        change(&mut map)?;
        let mut out = Vec::new();
        ciborium::ser::into_writer(&Cbor::Map(map), &mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }
}

/// The value of top-level key `key`.
fn entry(map: &mut [(Cbor, Cbor)], key: i128) -> Result<&mut Cbor, String> {
    map.iter_mut()
        .find(|(k, _)| int_key(k) == Some(key))
        .map(|(_, v)| v)
        .ok_or_else(|| format!("no key {key} in the payload"))
}

/// `n` as a bignum: tag 2 over its big-endian bytes, without leading zeros.
fn bignum(n: u64) -> Cbor {
    let be = n.to_be_bytes();
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    Cbor::Tag(2, Box::new(Cbor::Bytes(be[first..].to_vec())))
}

/// A correct read's envelope rewritten by `change`; the signature covers neither the outer
/// array nor the unprotected header, so it still verifies.
fn reframed(
    ctx: &mut Ctx,
    who: usize,
    change: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Result<(u64, Vec<u8>), Outcome> {
    let (id, genuine) = crate::harness::craft::seal(ctx, who, |_| {})?;
    let changed = change(&genuine)
        .ok_or_else(|| Outcome::error("the probe's own envelope has an unexpected layout"))?;
    Ok((id, changed))
}

/// Where the unprotected header (an empty map) of `d2 84 <bstr protected> a0 …` is.
fn unprotected_at(bytes: &[u8]) -> Option<usize> {
    let (len, at) = match bytes.get(2)? {
        b @ 0x40..=0x57 => (usize::from(b - 0x40), 3),
        0x58 => (usize::from(*bytes.get(3)?), 4),
        _ => return None,
    };
    let split = at + len;
    (bytes.get(..2)? == [0xd2, 0x84] && *bytes.get(split)? == 0xa0).then_some(split)
}

/// A crafted request: the requirement it tests, what it is, its request id and bytes.
type Crafted = (Req, &'static str, (u64, Vec<u8>));

async fn outside_profile(ctx: &mut Ctx) -> CaseResult {
    let who = ctx.operator_tester()?;
    // The device knows the tester's chain before the first crafted request.
    expect::barrier(ctx, who).await?;
    let read = crate::harness::craft::model_read;
    let mut inputs: Vec<Crafted> = Vec::new();
    inputs.push((
        req::HRT_MSG_102,
        "a read whose counter is a bignum",
        resigned(
            ctx,
            who,
            read(),
            in_map(|m| {
                let counter = entry(m, 4)?;
                let n = match counter {
                    Cbor::Integer(i) => u64::try_from(*i).map_err(|e| e.to_string())?,
                    _ => return Err("the counter is not an integer".into()),
                };
                *counter = bignum(n);
                Ok(())
            }),
        )?,
    ));
    inputs.push((
        req::HRT_MSG_102,
        "a write of device-info model whose value is a bignum",
        resigned(
            ctx,
            who,
            Body::Write(vec![(Path::new(0, 1, 4), Value::Int(1))]),
            in_map(|m| {
                let Cbor::Map(body) = entry(m, 5)? else {
                    return Err("the body is not a map".into());
                };
                match body.first_mut() {
                    Some((_, Cbor::Array(values))) => match values.first_mut() {
                        Some(Cbor::Array(value)) if value.len() == 4 => {
                            value[3] = bignum(1);
                            Ok(())
                        }
                        _ => Err("no [c, cap, m, value] in the write".into()),
                    },
                    _ => Err("no values in the write".into()),
                }
            }),
        )?,
    ));
    inputs.push((
        req::HRT_MSG_104,
        "a read with the text key \"x\" twice in its header",
        resigned(
            ctx,
            who,
            read(),
            in_map(|m| {
                m.push((Cbor::Text("x".into()), Cbor::Integer(1.into())));
                m.push((Cbor::Text("x".into()), Cbor::Integer(2.into())));
                Ok(())
            }),
        )?,
    ));
    inputs.push((
        req::HRT_MSG_103,
        "a read with undefined under the unknown header key 99",
        resigned(ctx, who, read(), |mut p| match p.first_mut() {
            // A map of fewer than 23 entries: one more, 99 => undefined, at the end.
            Some(head @ 0xa0..=0xb6) => {
                *head += 1;
                p.extend_from_slice(&[0x18, 0x63, 0xf7]);
                Ok(p)
            }
            _ => Err("the payload is not a small map".into()),
        })?,
    ));
    inputs.push((
        req::HRT_MSG_101,
        "a read whose payload map has an indefinite length",
        resigned(ctx, who, read(), |p| match p.split_first() {
            Some((0xa0..=0xb7, entries)) => Ok([&[0xbf][..], entries, &[0xff]].concat()),
            _ => Err("the payload is not a small map".into()),
        })?,
    ));
    inputs.push((
        req::HRT_MSG_101,
        "a read whose envelope's outer array has an indefinite length",
        reframed(ctx, who, |b| {
            unprotected_at(b)?;
            Some([&[0xd2, 0x9f][..], &b[2..], &[0xff]].concat())
        })?,
    ));
    inputs.push((
        req::HRT_MSG_102,
        "a read with the tag 2(h'01') in its unprotected header",
        reframed(ctx, who, |b| {
            let at = unprotected_at(b)?;
            Some(
                [
                    &b[..at],
                    &[0xa1, 0x18, 0x63, 0xc2, 0x41, 0x01][..],
                    &b[at + 1..],
                ]
                .concat(),
            )
        })?,
    ));
    for (requirement, what, (id, bytes)) in inputs {
        ctx.step_with(1, what);
        let sent = publish(ctx, bytes, what).await?;
        expect::silent(ctx, id, sent, (requirement, what)).await?;
    }
    ctx.step(2);
    expect::still_answers(ctx, who).await
}
