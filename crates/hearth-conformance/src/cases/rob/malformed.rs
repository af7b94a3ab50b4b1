//! TC-ROB-1.x, malformed input: random bytes, broken CBOR, oversized and deeply nested
//! messages on the request topic are dropped unanswered, and the device keeps answering.

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::craft::publish;
use crate::harness::expect;
use crate::requirements::req;
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
    title: "An oversized message is dropped and the device keeps answering",
    checks: [
        HRT_MSG_030,
        HRT_SEC_131,
        HRT_SEC_136,
        HRT_MSG_082,
    ],
    steps: [
        "Publish 70 000 bytes on the request topic.",
        "Send a correct read as a barrier: it must be answered with no answer to the input before it.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: oversized,
}

async fn oversized(ctx: &mut Ctx) -> CaseResult {
    let mut big = vec![0xd2, 0x84, 0x40, 0xa0, 0x5a, 0x00, 0x01, 0x11, 0x70];
    big.resize(70_000, 0x00);
    survive(ctx, vec![("a 70 000-byte message".to_owned(), big)]).await
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
