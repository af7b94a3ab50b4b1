//! Robustness: malformed, oversized and deeply nested input; the device keeps answering.

use hearth_model::Path;

use crate::case::{always, Case, Ctx};
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::verdict::Outcome;

fn operator(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
}

/// Publish each input on the request topic, then check a correct read is still answered
/// correctly (HRT-CONF-070).
async fn survive(ctx: &mut Ctx, inputs: Vec<(String, Vec<u8>)>) -> Outcome {
    let who = try_outcome!(operator(ctx));
    let topic = ctx.probe.request_topic();
    let mut sent = Vec::new();
    for (what, bytes) in inputs {
        ctx.step_text(format!("Publish {what} on the request topic."));
        sent.push(try_outcome!(ctx
            .probe
            .publish_raw(&topic, bytes, &what)
            .await
            .map_err(|e| Outcome::error(e.to_string()))));
    }
    let window = ctx.params.silence_window;
    ctx.step_text(format!(
        "Watch {window:?}: the device must not answer any of it."
    ));
    tokio::time::sleep(window).await;
    if let Some(a) = ctx.probe.stray_answers().into_iter().next() {
        return Outcome::fail(
            "HRT-SEC-131",
            "the device answered input that is not a valid request",
        )
        .with_evidence(sent.into_iter().chain([a.seq]));
    }
    ctx.step_text("Send a correct read: it must still be answered correctly.");
    match ctx.read(who, Path::new(0, 1, 4)).await {
        Ok(_) => Outcome::pass(),
        Err(o) => Outcome::fail(
            "HRT-SEC-136",
            format!(
                "after the malformed input the device no longer answers correctly: {}",
                o.reason
            ),
        )
        .with_evidence(sent),
    }
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

/// TC-ROB-1.1
pub(crate) const GARBAGE: Case = Case {
    id: "TC-ROB-1.1",
    title: "Malformed input is dropped and the device keeps answering",
    requirements: &[req::HRT_SEC_130, req::HRT_SEC_131, req::HRT_SEC_136, req::HRT_MSG_040, req::HRT_MSG_082],
    steps: &[
        "Publish random bytes, truncated CBOR, a COSE envelope with a garbage payload, and an empty array on the request topic.",
        "Watch the silence window: the device must not answer any of it.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: garbage,
};

case_fn!(garbage, |ctx| {
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
});

/// TC-ROB-1.2
pub(crate) const OVERSIZED: Case = Case {
    id: "TC-ROB-1.2",
    title: "An oversized message is dropped and the device keeps answering",
    requirements: &[req::HRT_MSG_030, req::HRT_SEC_136, req::HRT_MSG_082],
    steps: &[
        "Publish 70 000 bytes on the request topic.",
        "Watch the silence window: no answer.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: oversized,
};

case_fn!(oversized, |ctx| {
    let mut big = vec![0xd2, 0x84, 0x40, 0xa0, 0x5a, 0x00, 0x01, 0x11, 0x70];
    big.resize(70_000, 0x00);
    survive(ctx, vec![("a 70 000-byte message".to_owned(), big)]).await
});

/// TC-ROB-1.3
pub(crate) const DEEP: Case = Case {
    id: "TC-ROB-1.3",
    title: "Deeply nested CBOR is dropped and the device keeps answering",
    requirements: &[
        req::HRT_MSG_030,
        req::HRT_SEC_130,
        req::HRT_SEC_136,
        req::HRT_MSG_082,
    ],
    steps: &[
        "Publish 10 000 nested CBOR arrays on the request topic.",
        "Watch the silence window: no answer.",
        "Send a correct read: it must still be answered correctly.",
    ],
    applies: always,
    run: deep,
};

case_fn!(deep, |ctx| {
    let mut nested = vec![0x81u8; 10_000];
    nested.push(0x00);
    survive(ctx, vec![("10 000 nested arrays".to_owned(), nested)]).await
});
