//! Signatures, certificate chains, topic binding, replay, access control and counters.

use std::time::Duration;

use hearth_model::{Path, Value};
use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Message};

use crate::case::{always, Case, Ctx};
use crate::cases::{case_fn, try_outcome};
use crate::ics::{Privilege, RestartMethod};
use crate::probe::Tamper;
use crate::verdict::Outcome;

fn operator(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
}

/// Watch the silence window for any response to `request_id`: there must be none.
async fn expect_silence(
    ctx: &mut Ctx,
    request_id: u64,
    requirement: &str,
    what: &str,
    sent: usize,
) -> Outcome {
    let window = ctx.params.silence_window;
    ctx.step_text(format!(
        "Watch {window:?} for an answer: there must be none."
    ));
    match ctx.probe.answer(request_id, window).await {
        None => Outcome::pass(),
        Some(a) => Outcome::fail(
            requirement,
            format!("the device answered {what} (trace #{})", a.seq),
        )
        .with_evidence([sent, a.seq]),
    }
}

/// Check the device still answers a correct request afterwards.
async fn still_answers(ctx: &mut Ctx, who: usize) -> Result<(), Outcome> {
    ctx.step_text("Send a correct read: it must still be answered.");
    ctx.read(who, Path::new(0, 1, 4))
        .await
        .map(|_| ())
        .map_err(|o| {
            Outcome::fail(
                "HRT-SEC-136",
                format!(
                    "after the rejected input the device no longer answers: {}",
                    o.reason
                ),
            )
        })
}

/// TC-SEC-1.1
pub(crate) const SIGNED: Case = Case {
    id: "TC-SEC-1.1",
    title: "Everything the device publishes is signed by its certified key for the topic it is on",
    requirements: &[
        req::HRT_SEC_007,
        req::HRT_SEC_010,
        req::HRT_SEC_011,
        req::HRT_SEC_012,
        req::HRT_SEC_020,
        req::HRT_SEC_021,
        req::HRT_SEC_022,
        req::HRT_SEC_023,
        req::HRT_SEC_024,
        req::HRT_SEC_034,
        req::HRT_SEC_040,
        req::HRT_SEC_041,
        req::HRT_SEC_042,
        req::HRT_SEC_043,
        req::HRT_SEC_047,
        req::HRT_SEC_048,
        req::HRT_SEC_049,
        req::HRT_SEC_051,
        req::HRT_SEC_054,
        req::HRT_SEC_055,
        req::HRT_SEC_061,
        req::HRT_SEC_063,
        req::HRT_SEC_064,
        req::HRT_SEC_079,
        req::HRT_MSG_001,
        req::HRT_MSG_002,
        req::HRT_MSG_003,
        req::HRT_MSG_004,
        req::HRT_MSG_011,
        req::HRT_MSG_012,
        req::HRT_MSG_022,
        req::HRT_MSG_023,
        req::HRT_MSG_031,
        req::HRT_MQTT_010,
    ],
    steps: &[
        "Read a property so that the device publishes a response; watch its description, status and reports.",
        "Every message must have opened: signature over its own topic, chain to the trusted root, sender = certificate subject.",
    ],
    applies: always,
    run: signed,
};

case_fn!(signed, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Read a property so that the device publishes a response; watch its description, status and reports.");
    let read = ctx.read(who, Path::new(0, 1, 1)).await;
    ctx.step_text("Every message must have opened: signature over its own topic, chain to the trusted root, sender = certificate subject.");
    let bad: Vec<_> = ctx
        .probe
        .trace()
        .entries()
        .iter()
        .filter(|e| {
            e.direction == crate::trace::Direction::In && e.check != "ok" && !e.check.is_empty()
        })
        .map(|e| (e.seq, e.check.clone()))
        .collect();
    if let Some((seq, why)) = bad.first() {
        let requirement = why
            .split(':')
            .next()
            .unwrap_or("HRT-SEC-034")
            .trim()
            .to_owned();
        let requirement = if requirement.starts_with("HRT-") {
            requirement
        } else {
            "HRT-SEC-034".to_owned()
        };
        return Outcome::fail(
            &requirement,
            format!("a message from the device did not open: {why}"),
        )
        .with_evidence(bad.iter().map(|(s, _)| *s).chain([*seq]));
    }
    match read {
        Ok(_) => Outcome::pass(),
        Err(o) => o,
    }
});

/// TC-SEC-2.1
pub(crate) const BAD_SIGNATURE: Case = Case {
    id: "TC-SEC-2.1",
    title: "A request with a broken signature is not served",
    requirements: &[
        req::HRT_SEC_034,
        req::HRT_SEC_036,
        req::HRT_SEC_131,
        req::HRT_MSG_082,
    ],
    steps: &[
        "Send a read whose signature has one bit flipped.",
        "Watch the silence window for an answer: there must be none.",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: bad_signature,
};

case_fn!(bad_signature, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Send a read whose signature has one bit flipped.");
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(
            who,
            Body::Read(vec![Path::new(0, 1, 4)]),
            Tamper::BadSignature
        )
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let o = expect_silence(
        ctx,
        id,
        "HRT-SEC-034",
        "a request with a broken signature",
        sent,
    )
    .await;
    if o.verdict != crate::verdict::Verdict::Pass {
        return o;
    }
    try_outcome!(still_answers(ctx, who).await);
    Outcome::pass()
});

/// TC-SEC-2.2
pub(crate) const UNSIGNED: Case = Case {
    id: "TC-SEC-2.2",
    title: "An unsigned request is not served",
    requirements: &[req::HRT_SEC_030, req::HRT_SEC_131, req::HRT_MSG_082],
    steps: &[
        "Send a read as bare CBOR, without a COSE envelope.",
        "Watch the silence window for an answer: there must be none.",
        "Send a correct read: it must still be answered.",
    ],
    applies: always,
    run: unsigned,
};

case_fn!(unsigned, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Send a read as bare CBOR, without a COSE envelope.");
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(who, Body::Read(vec![Path::new(0, 1, 4)]), Tamper::Unsigned)
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let o = expect_silence(ctx, id, "HRT-SEC-030", "an unsigned request", sent).await;
    if o.verdict != crate::verdict::Verdict::Pass {
        return o;
    }
    try_outcome!(still_answers(ctx, who).await);
    Outcome::pass()
});

/// TC-SEC-2.3
pub(crate) const WRONG_TOPIC: Case = Case {
    id: "TC-SEC-2.3",
    title: "A request signed for another device's topic is not served",
    requirements: &[
        req::HRT_MSG_002,
        req::HRT_SEC_034,
        req::HRT_SEC_131,
        req::HRT_MSG_082,
    ],
    steps: &[
        "Send a read signed with another device's request topic as AAD, on this device's topic.",
        "Watch the silence window for an answer: there must be none.",
    ],
    applies: always,
    run: wrong_topic,
};

case_fn!(wrong_topic, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text(
        "Send a read signed with another device's request topic as AAD, on this device's topic.",
    );
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(
            who,
            Body::Read(vec![Path::new(0, 1, 4)]),
            Tamper::WrongTopic
        )
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    expect_silence(
        ctx,
        id,
        "HRT-MSG-002",
        "a request signed for another topic",
        sent,
    )
    .await
});

/// TC-SEC-2.4
pub(crate) const REPLAY: Case = Case {
    id: "TC-SEC-2.4",
    title: "A replayed request is not served again",
    requirements: &[
        req::HRT_SEC_097,
        req::HRT_SEC_102,
        req::HRT_SEC_131,
        req::HRT_MSG_082,
    ],
    steps: &[
        "Send a correct read and wait for its answer.",
        "Publish exactly the same bytes again.",
        "Watch the silence window for a second answer: there must be none.",
    ],
    applies: always,
    run: replay,
};

case_fn!(replay, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Send a correct read and wait for its answer.");
    let (id, bytes, _) = try_outcome!(ctx
        .probe
        .send(who, Body::Read(vec![Path::new(0, 1, 4)]), Tamper::None)
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let timeout = ctx.response_timeout();
    if ctx.probe.answer(id, timeout).await.is_none() {
        return Outcome::fail("HRT-MSG-092", "no answer to the original request");
    }
    ctx.step_text("Publish exactly the same bytes again.");
    let topic = ctx.probe.request_topic();
    let sent = try_outcome!(ctx
        .probe
        .publish_raw(&topic, bytes, "replay of the previous request")
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    expect_silence(ctx, id, "HRT-SEC-097", "a replayed request", sent).await
});

/// TC-SEC-3.1
pub(crate) const UNAUTHORIZED: Case = Case {
    id: "TC-SEC-3.1",
    title: "A controller the access-control list does not admit changes nothing",
    requirements: &[req::HRT_SEC_114, req::HRT_SEC_119, req::HRT_SEC_133],
    steps: &[
        "As a controller with no privilege, write a declared-valid value to a writable property.",
        "Expect silence or unauthorized (never success).",
        "Read the property as an admitted controller: it must be unchanged.",
    ],
    applies: |ctx| {
        if ctx.probe.tester("none").is_none() {
            return Err(
                "the ICS lists no controller that the device does not admit (privilege none)"
                    .into(),
            );
        }
        ctx.properties()
            .iter()
            .any(|(_, p)| p.writable())
            .then_some(())
            .ok_or_else(|| "the device has no writable property".into())
    },
    run: unauthorized,
};

case_fn!(unauthorized, |ctx| {
    let who = try_outcome!(operator(ctx));
    let stranger = try_outcome!(ctx.tester(Privilege::None));
    let Some((path, p)) = ctx
        .properties()
        .into_iter()
        .find(|(_, p)| p.writable() && p.ty.int_spec().is_some())
        .or_else(|| ctx.properties().into_iter().find(|(_, p)| p.writable()))
    else {
        return Outcome::not_applicable("no writable property");
    };
    let before = try_outcome!(ctx.read(who, path).await);
    let attempt = other_valid_value(ctx, path, p, &before);
    ctx.step_text(format!(
        "As a controller with no privilege, write {attempt} to {path}."
    ));
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(stranger, Body::Write(vec![(path, attempt)]), Tamper::None)
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    ctx.step_text("Expect silence or unauthorized (never success).");
    let window = ctx.params.silence_window;
    let answer = ctx.probe.answer(id, window).await;
    ctx.step_text("Read the property as an admitted controller: it must be unchanged.");
    let after = try_outcome!(ctx.read(who, path).await);
    if after != before {
        let _ = ctx.write(who, path, before.clone()).await;
        return Outcome::fail("HRT-SEC-114", format!("{path} changed from {before} to {after} on a request from a controller outside the ACL")).with_evidence([sent]);
    }
    match answer.map(|a| (a.is_unauthorized(), a.seq, a.message)) {
        None | Some((true, _, _)) => Outcome::pass(),
        Some((false, seq, Ok(m))) => Outcome::fail(
            "HRT-SEC-114",
            format!(
                "the device answered a controller outside its ACL with {}",
                crate::probe::summarize(&m)
            ),
        )
        .with_evidence([sent, seq]),
        Some((false, seq, Err(crate::probe::Rejection { why, .. }))) => {
            Outcome::fail("HRT-SEC-034", format!("the answer did not open: {why}"))
                .with_evidence([sent, seq])
        }
    }
});

/// A value for the writable property `p` at `path` that differs from `before` and that the
/// description declares valid (the next step up, or down at the maximum; the other boolean).
pub(crate) fn other_valid_value(
    ctx: &Ctx,
    path: Path,
    p: &hearth_model::catalog::Property,
    before: &Value,
) -> Value {
    match before {
        Value::Bool(b) => Value::Bool(!b),
        Value::Int(v) => {
            let k = ctx
                .description
                .instance(path.component, path.capability)
                .and_then(|i| i.constraint(p.id));
            let spec = p.ty.int_spec();
            let step = i64::try_from(k.and_then(|k| k.step).or(spec.map(|s| s.step)).unwrap_or(1))
                .unwrap_or(1);
            let max = k.and_then(|k| k.max).or(spec.map(|s| s.max)).unwrap_or(*v);
            Value::Int(if v + step <= max { v + step } else { v - step })
        }
        other => other.clone(),
    }
}

/// TC-SEC-4.1
pub(crate) const COUNTERS_ACROSS_RESTART: Case = Case {
    id: "TC-SEC-4.1",
    title: "After a restart the device's counters continue above every value it used before",
    requirements: &[req::HRT_SEC_090, req::HRT_SEC_091, req::HRT_SEC_092, req::HRT_MSG_052],
    steps: &[
        "Note the boot id; restart the device as the ICS describes.",
        "Wait for its new online status: a new boot id.",
        "Read a property: the response and every message since the restart must open in a receiver that remembers the counters from before.",
    ],
    applies: |ctx| match ctx.ics.restart.method {
        RestartMethod::None => Err("the ICS says the device cannot be restarted by the lab".into()),
        _ if ctx.restarter.is_none() => Err("this run has no way to restart the device".into()),
        _ => Ok(()),
    },
    run: counters_across_restart,
};

/// Restart the device and wait until it is online with a new boot id; the new boot id.
pub(crate) async fn restart_and_wait(ctx: &mut Ctx) -> Result<u64, Outcome> {
    let old_boot = ctx
        .probe
        .seen()
        .iter()
        .rev()
        .find_map(|s| match &s.message {
            Ok(Message {
                body: Body::Status(st),
                ..
            }) => Some(st.boot_id),
            _ => None,
        });
    ctx.probe.clear_seen();
    let power_loss = ctx.ics.restart.power_loss;
    let Some(restarter) = ctx.restarter.as_ref() else {
        return Err(Outcome::not_applicable("no restart available"));
    };
    restarter
        .restart(power_loss)
        .await
        .map_err(|why| Outcome::error(format!("the restart failed: {why}")))?;
    let limit = ctx.params.restart_timeout;
    let back = ctx
        .probe
        .wait_for(limit, move |s| {
            s.channel == Channel::Status
                && match &s.message {
                    Ok(Message {
                        body: Body::Status(st),
                        ..
                    }) => st.availability == Availability::Online && Some(st.boot_id) != old_boot,
                    // A status that does not open ends the wait: the reason is the verdict.
                    Err(_) => true,
                    Ok(_) => false,
                }
        })
        .await;
    match back {
        Some(Seen {
            message:
                Ok(Message {
                    body: Body::Status(st),
                    ..
                }),
            ..
        }) => Ok(st.boot_id),
        Some(Seen {
            seq,
            message: Err(crate::probe::Rejection { why, id: req, .. }),
            ..
        }) => Err(Outcome::fail(
            req,
            format!("after the restart the device's status does not open: {why}"),
        )
        .with_evidence([seq])),
        _ => {
            // Anything rejected since the restart tells why (replayed counters, for one).
            let rejected = ctx.probe.seen().into_iter().find(|s| s.message.is_err());
            match rejected {
                Some(Seen {
                    seq,
                    message: Err(crate::probe::Rejection { why, id: req, .. }),
                    ..
                }) => Err(Outcome::fail(
                    req,
                    format!("after the restart the device's messages do not open: {why}"),
                )
                .with_evidence([seq])),
                _ => Err(Outcome::fail(
                    "HRT-CONF-010",
                    format!("the device was not online again with a new boot id within {limit:?}"),
                )),
            }
        }
    }
}

use crate::probe::Seen;
use crate::requirements::req;

case_fn!(counters_across_restart, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Note the boot id; restart the device as the ICS describes.");
    ctx.step_text("Wait for its new online status: a new boot id.");
    try_outcome!(restart_and_wait(ctx).await);
    ctx.step_text("Read a property: the response and every message since the restart must open in a receiver that remembers the counters from before.");
    try_outcome!(ctx.read(who, Path::new(0, 1, 4)).await);
    let _ = Duration::ZERO;
    Outcome::pass()
});
