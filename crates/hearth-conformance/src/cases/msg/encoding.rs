//! Further message checks: the encoding and headers of everything the device publishes, the
//! order of the checks on a write, values outside the effective constraints, invocation
//! arguments.

use std::collections::BTreeMap;

use hearth_model::catalog::TypeSpec;
use hearth_model::validate::{check_invoke, check_value, ValueError};
use hearth_model::{Path, StatusCode, Value};
use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Kind};

use crate::case::{always, Case, Ctx};
use crate::cases::sec::verifying::deterministic;
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::trace::Direction;
use crate::verdict::Outcome;

fn operator(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// TC-MSG-5.1
pub(crate) const ENCODING: Case = Case {
    id: "TC-MSG-5.1",
    title: "Everything the device publishes is deterministically encoded, numbered in order and on the topic of its kind",
    requirements: &[
        req::HRT_MSG_005,
        req::HRT_MSG_006,
        req::HRT_MSG_020,
        req::HRT_MSG_060,
        req::HRT_MSG_091,
        req::HRT_MQTT_008,
        req::HRT_MQTT_013,
    ],
    steps: &[
        "Send a read and take its response: it must name the request's id and the tester as target.",
        "Take every message the device has published in the run.",
        "Each payload must be deterministic CBOR; descriptions, statuses, reports and events must carry no request id and no target.",
        "Each message must be on the topic its kind selects (a response on the response topic of its target).",
        "Counters must never repeat, and must increase on each topic in the order of arrival (offline statuses, numbered ahead, aside).",
        "Each message must have been published with QoS 1 (the probe subscribes with QoS 1, so a message published with QoS 0 arrives with QoS 0).",
        "Between two statuses (one connection), each event must carry the number of the event before it plus one (or 0, the first event of a new boot after events kept from the last); only among the events kept while disconnected, published right after the full report, may numbers be missing (discarded from a full store, HRT-MQTT-038).",
    ],
    applies: always,
    run: encoding,
};

case_fn!(encoding, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text(
        "Send a read and take its response: it must name the request's id and the tester as target.",
    );
    let tester_id = ctx.probe.testers()[who].id.clone();
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(
            who,
            Body::Read(vec![Path::new(0, 1, 4)]),
            crate::probe::Tamper::None
        )
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let timeout = ctx.response_timeout();
    match ctx.probe.answer(id, timeout).await {
        Some(crate::probe::Answer {
            message: Ok(m),
            seq,
            ..
        }) => {
            if m.request_id != Some(id) || m.target.as_deref() != Some(tester_id.as_str()) {
                return Outcome::fail(
                    "HRT-MSG-091",
                    format!(
                        "the response names request id {:?} and target {:?}; the request was {id} from {tester_id:?}",
                        m.request_id, m.target
                    ),
                )
                .with_evidence([sent, seq]);
            }
        }
        Some(crate::probe::Answer {
            message: Err(crate::probe::Rejection { why, id: req, .. }),
            seq,
            ..
        }) => {
            return Outcome::fail(req, format!("the response did not open: {why}"))
                .with_evidence([sent, seq])
        }
        None => {
            return Outcome::fail(
                "HRT-MSG-091",
                format!("no response with the request's id within {timeout:?}"),
            )
            .with_evidence([sent])
        }
    }
    ctx.step_text("Take every message the device has published in the run.");
    let device_id = ctx.description.device_id.clone();
    let root = format!("{}/", ctx.params.topic_root);
    let dev_prefix = format!("d/{:04x}/{device_id}/", ctx.description.vendor_id);
    let mut mine = Vec::new();
    for e in ctx.probe.trace().entries() {
        if e.direction != Direction::In || e.check != "ok" {
            continue;
        }
        let bytes = unhex(&e.hex);
        let Ok(env) = hearth_security::cose::Envelope::parse(&bytes) else {
            continue;
        };
        let payload = env.unverified_payload().to_vec();
        let Ok(msg) = hearth_wire::codec::decode(&payload, &hearth_wire::Limits::STANDARD) else {
            continue;
        };
        if msg.sender == device_id {
            let rel = e.topic.strip_prefix(&root).unwrap_or(&e.topic).to_owned();
            mine.push((e.seq, rel, payload, msg, e.qos));
        }
    }
    ctx.step_text("Each payload must be deterministic CBOR; descriptions, statuses, reports and events must carry no request id and no target.");
    for (seq, _, payload, msg, _) in &mine {
        if let Err(why) = deterministic(payload) {
            return Outcome::fail(
                "HRT-MSG-020",
                format!("a {} payload: {why}", msg.kind().name()),
            )
            .with_evidence([*seq]);
        }
        let device_message = matches!(
            msg.kind(),
            Kind::Description | Kind::Status | Kind::Report | Kind::Event
        );
        if device_message && (msg.request_id.is_some() || msg.target.is_some()) {
            return Outcome::fail(
                "HRT-MSG-005",
                format!("a {} carries a request id or a target", msg.kind().name()),
            )
            .with_evidence([*seq]);
        }
    }
    ctx.step_text("Each message must be on the topic its kind selects (a response on the response topic of its target).");
    for (seq, rel, _, msg, _) in &mine {
        let want = match msg.kind() {
            Kind::Description => format!("{dev_prefix}{}", Channel::Desc.name()),
            Kind::Status => format!("{dev_prefix}{}", Channel::Status.name()),
            Kind::Report => format!("{dev_prefix}{}", Channel::Report.name()),
            Kind::Event => format!("{dev_prefix}{}", Channel::Event.name()),
            Kind::ReadResponse | Kind::WriteResponse | Kind::InvokeResponse => {
                format!("c/{}/resp", msg.target.as_deref().unwrap_or(""))
            }
            other => format!("(no topic: the device sent a {})", other.name()),
        };
        if *rel != want {
            return Outcome::fail(
                "HRT-MQTT-008",
                format!(
                    "a {} was published on {rel}, not on {want}",
                    msg.kind().name()
                ),
            )
            .with_evidence([*seq]);
        }
    }
    ctx.step_text("Counters must never repeat, and must increase on each topic in the order of arrival (offline statuses, numbered ahead, aside).");
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut last: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for (seq, rel, _, msg, _) in &mine {
        let will = matches!(&msg.body, Body::Status(s) if s.availability == Availability::Offline);
        if will {
            continue;
        }
        if let Some(first) = seen.insert(msg.counter, *seq) {
            return Outcome::fail("HRT-MSG-006", format!("counter {} used twice", msg.counter))
                .with_evidence([first, *seq]);
        }
        if let Some((before, at)) = last.get(rel.as_str()) {
            if msg.counter <= *before {
                return Outcome::fail(
                    "HRT-MSG-006",
                    format!(
                        "on {rel}, counter {} arrived after counter {before}",
                        msg.counter
                    ),
                )
                .with_evidence([*at, *seq]);
            }
        }
        last.insert(rel.as_str(), (msg.counter, *seq));
    }
    ctx.step_text("Each message must have been published with QoS 1 (the probe subscribes with QoS 1, so a message published with QoS 0 arrives with QoS 0).");
    if let Some((seq, _, _, msg, qos)) = mine.iter().find(|(_, _, _, _, q)| *q != 1) {
        return Outcome::fail(
            "HRT-MQTT-013",
            format!("a {} arrived with QoS {qos}", msg.kind().name()),
        )
        .with_evidence([*seq]);
    }
    ctx.step_text("Between two statuses (one connection), each event must carry the number of the event before it plus one (or 0, the first event of a new boot after events kept from the last); only among the events kept while disconnected, published right after the full report, may numbers be missing (discarded from a full store, HRT-MQTT-038).");
    let mut previous: Option<(u64, usize)> = None;
    let mut kept = false;
    for (seq, _, _, msg, _) in &mine {
        match &msg.body {
            Body::Status(_) => {
                previous = None;
                kept = true;
            }
            Body::Description(_) => {}
            Body::Report(r) if r.full => {}
            Body::Event(ev) => {
                if let Some((n, at)) = previous {
                    // 0 starts the numbering of a new boot, after events kept from the last.
                    let follows = if kept {
                        ev.number > n
                    } else {
                        ev.number == n.wrapping_add(1)
                    };
                    if !follows && ev.number != 0 {
                        return Outcome::fail(
                            "HRT-MSG-060",
                            format!("event number {} follows event number {n}", ev.number),
                        )
                        .with_evidence([at, *seq]);
                    }
                }
                previous = Some((ev.number, *seq));
            }
            _ => kept = false,
        }
    }
    Outcome::pass()
});

/// A writable property and a value its effective constraints refuse with `constraint-error`
/// (an unsupported enumeration code, a text or bytes too long).
fn refused_value(ctx: &Ctx) -> Option<(Path, Value, ValueError)> {
    ctx.properties().into_iter().find_map(|(path, p)| {
        if !p.writable() {
            return None;
        }
        let candidates: Vec<Value> = match &p.ty {
            TypeSpec::Enum { .. } => [0x7FFE, 0x7FFD, 0x7EEE, 0x0FFF, 0xFFFE]
                .into_iter()
                .map(Value::Int)
                .collect(),
            TypeSpec::String { max_len } => {
                vec![Value::Text("x".repeat(*max_len as usize + 1))]
            }
            TypeSpec::Bytes { max_len } => vec![Value::Bytes(vec![0; *max_len as usize + 1])],
            _ => Vec::new(),
        };
        candidates.into_iter().find_map(|v| {
            match check_value(ctx.catalog, &ctx.description, &path, &v) {
                Err(e @ (ValueError::UnsupportedCode { .. } | ValueError::TooLong { .. })) => {
                    Some((path, v, e))
                }
                _ => None,
            }
        })
    })
}

/// TC-MSG-2.7
pub(crate) const WRITE_UNSUPPORTED: Case = Case {
    id: "TC-MSG-2.7",
    title: "A write of an enumeration code outside the effective set, or of a text too long, answers constraint-error and changes nothing",
    requirements: &[req::HRT_MOD_045, req::HRT_MOD_046, req::HRT_MOD_116],
    steps: &[
        "Pick a writable enumeration (else text or bytes) property and a code outside its effective set (a value longer than its max_len); read its value.",
        "Write the refused value: expect constraint-error.",
        "Read the property again: it must be unchanged.",
    ],
    applies: |ctx| {
        refused_value(ctx).map(|_| ()).ok_or_else(|| {
            "the device has no writable enumeration, text or bytes property".into()
        })
    },
    run: write_unsupported,
};

case_fn!(write_unsupported, |ctx| {
    let who = try_outcome!(operator(ctx));
    let Some((path, value, why)) = refused_value(ctx) else {
        return Outcome::not_applicable("no writable enumeration, text or bytes property");
    };
    let requirement = why.requirement();
    ctx.step_text(format!(
        "Pick {path} and the value {value} ({why}); read its value."
    ));
    let before = try_outcome!(ctx.read(who, path).await);
    ctx.step_text("Write the refused value: expect constraint-error.");
    let (status, seq) = try_outcome!(ctx.write(who, path, value.clone()).await);
    ctx.step_text("Read the property again: it must be unchanged.");
    let after = try_outcome!(ctx.read(who, path).await);
    if after != before {
        let _ = ctx.write(who, path, before.clone()).await;
        return Outcome::fail(
            "HRT-MOD-116",
            format!("{path} changed from {before} to {after} after a refused write"),
        )
        .with_evidence([seq]);
    }
    if status != StatusCode::ConstraintError {
        return Outcome::fail(
            requirement,
            format!("writing {value} to {path} answered {status}, expected constraint-error"),
        )
        .with_evidence([seq]);
    }
    Outcome::pass()
});

/// TC-MSG-2.8
pub(crate) const CHECK_ORDER: Case = Case {
    id: "TC-MSG-2.8",
    title: "A write is checked in the order of the model: path, writability, then the value",
    requirements: &[req::HRT_MOD_115],
    steps: &[
        "Write a text to a property device-info does not define: expect unsupported-property, not invalid-type.",
        "Write a text to device-info vendor-id, an integer property that is read-only: expect read-only, not invalid-type.",
    ],
    applies: always,
    run: check_order,
};

case_fn!(check_order, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Write a text to a property device-info does not define: expect unsupported-property, not invalid-type.");
    let wrong = Value::Text("not a value of this property".into());
    let path = Path::new(0, 1, 0x7FF0);
    let (status, seq) = try_outcome!(ctx.write(who, path, wrong.clone()).await);
    if status != StatusCode::UnsupportedProperty {
        return Outcome::fail(
            "HRT-MOD-115",
            format!("writing a text to the undefined {path} answered {status}, expected unsupported-property"),
        )
        .with_evidence([seq]);
    }
    ctx.step_text("Write a text to device-info vendor-id, an integer property that is read-only: expect read-only, not invalid-type.");
    let path = Path::new(0, 1, 2);
    let (status, seq) = try_outcome!(ctx.write(who, path, wrong).await);
    if status != StatusCode::ReadOnly {
        return Outcome::fail(
            "HRT-MOD-115",
            format!("writing a text to the read-only {path} answered {status}, expected read-only"),
        )
        .with_evidence([seq]);
    }
    Outcome::pass()
});

/// A writable property of the description.
fn any_writable(ctx: &Ctx) -> Option<Path> {
    ctx.properties()
        .into_iter()
        .find(|(_, p)| p.writable())
        .map(|(path, _)| path)
}

/// TC-MSG-2.9
pub(crate) const WRITE_TOO_DEEP: Case = Case {
    id: "TC-MSG-2.9",
    title: "A value nested more than 8 levels deep answers malformed and changes nothing",
    requirements: &[req::HRT_MOD_048],
    steps: &[
        "Pick a writable property and read its value.",
        "Write a value of nine nested lists: expect malformed.",
        "Read the property again: it must be unchanged.",
    ],
    applies: |ctx| {
        any_writable(ctx)
            .map(|_| ())
            .ok_or_else(|| "the device has no writable property".into())
    },
    run: write_too_deep,
};

case_fn!(write_too_deep, |ctx| {
    let who = try_outcome!(operator(ctx));
    let Some(path) = any_writable(ctx) else {
        return Outcome::not_applicable("no writable property");
    };
    ctx.step_text(format!("Pick {path} and read its value."));
    let before = try_outcome!(ctx.read(who, path).await);
    ctx.step_text("Write a value of nine nested lists: expect malformed.");
    let mut deep = Value::Int(0);
    for _ in 0..9 {
        deep = Value::List(vec![deep]);
    }
    let (status, seq) = try_outcome!(ctx.write(who, path, deep).await);
    ctx.step_text("Read the property again: it must be unchanged.");
    let after = try_outcome!(ctx.read(who, path).await);
    if after != before {
        let _ = ctx.write(who, path, before.clone()).await;
        return Outcome::fail(
            "HRT-MOD-048",
            format!(
                "{path} changed from {before} to {after} after a write nested nine levels deep"
            ),
        )
        .with_evidence([seq]);
    }
    if status != StatusCode::Malformed {
        return Outcome::fail(
            "HRT-MOD-048",
            format!("a value nested nine levels deep answered {status}, expected malformed"),
        )
        .with_evidence([seq]);
    }
    Outcome::pass()
});

/// An implemented standard action with a mandatory argument.
fn action_with_argument(ctx: &Ctx) -> Option<Path> {
    for comp in &ctx.description.components {
        for inst in &comp.capabilities {
            let Some(cap) = ctx.catalog.capability(inst.capability) else {
                continue;
            };
            for a in &cap.actions {
                if (!a.optional || inst.actions.contains(&a.id))
                    && a.args.iter().any(|f| !f.optional)
                {
                    let path = Path::new(comp.id, cap.id, a.id);
                    let empty = Value::Struct(BTreeMap::new());
                    if matches!(
                        check_invoke(ctx.catalog, &ctx.description, &path, &empty),
                        Err(ValueError::MissingField { .. })
                    ) {
                        return Some(path);
                    }
                }
            }
        }
    }
    None
}

/// TC-MSG-3.2
pub(crate) const INVOKE_INVALID: Case = Case {
    id: "TC-MSG-3.2",
    title: "An invocation whose arguments lack a mandatory field, or are not a struct, answers invalid-type",
    requirements: &[req::HRT_MOD_050, req::HRT_MSG_068],
    steps: &[
        "Pick an implemented action with a mandatory argument.",
        "Invoke it with an empty struct of arguments: expect invalid-type for the request's action path, without results.",
        "Invoke it with the integer 1 as arguments: expect invalid-type.",
    ],
    applies: |ctx| {
        action_with_argument(ctx)
            .map(|_| ())
            .ok_or_else(|| "the device implements no action with a mandatory argument".into())
    },
    run: invoke_invalid,
};

case_fn!(invoke_invalid, |ctx| {
    let who = try_outcome!(operator(ctx));
    let Some(path) = action_with_argument(ctx) else {
        return Outcome::not_applicable("no action with a mandatory argument");
    };
    ctx.step_text(format!(
        "Pick {path}, an implemented action with a mandatory argument."
    ));
    for (what, args) in [
        (
            "an empty struct of arguments",
            Value::Struct(BTreeMap::new()),
        ),
        ("the integer 1 as arguments", Value::Int(1)),
    ] {
        ctx.step_text(format!("Invoke it with {what}: expect invalid-type."));
        let (msg, seq) = try_outcome!(ctx.ask(who, Body::Invoke { path, args }).await);
        match msg.body {
            Body::InvokeResponse(r) if r.path != path || r.results.is_some() => {
                return Outcome::fail(
                    "HRT-MSG-068",
                    format!(
                        "the invoke-response names {} (request: {path}) or carries results with status {}",
                        r.path, r.status
                    ),
                )
                .with_evidence([seq])
            }
            Body::InvokeResponse(r) if r.status == StatusCode::InvalidType => {}
            Body::InvokeResponse(r) => {
                return Outcome::fail(
                    "HRT-MOD-050",
                    format!("invoking {path} with {what} answered {}, expected invalid-type", r.status),
                )
                .with_evidence([seq])
            }
            other => {
                return Outcome::fail(
                    "HRT-MSG-091",
                    format!("an invocation was answered with a {} message", other.kind()),
                )
                .with_evidence([seq])
            }
        }
    }
    Outcome::pass()
});

/// The path of operational-state `stop` on the first component that has the capability.
fn stop_action(ctx: &Ctx) -> Option<Path> {
    ctx.description
        .components
        .iter()
        .find(|c| c.instance(4).is_some())
        .map(|c| Path::new(c.id, 4, 4))
}

/// TC-MSG-3.3
pub(crate) const INVOKE_NULL_ARGS: Case = Case {
    id: "TC-MSG-3.3",
    title: "Null arguments are treated like an empty map of arguments",
    requirements: &[req::HRT_MSG_067],
    steps: &[
        "Read operational-state state; go on only while the appliance is idle.",
        "Invoke stop (refused while idle) with an empty map of arguments.",
        "Invoke stop with null arguments: the status must be the same.",
    ],
    applies: |ctx| {
        stop_action(ctx)
            .map(|_| ())
            .ok_or_else(|| "the device has no operational-state capability".into())
    },
    run: invoke_null_args,
};

case_fn!(invoke_null_args, |ctx| {
    let who = try_outcome!(operator(ctx));
    let Some(stop) = stop_action(ctx) else {
        return Outcome::not_applicable("no operational-state capability");
    };
    ctx.step_text("Read operational-state state; go on only while the appliance is idle.");
    let state = try_outcome!(ctx.read(who, Path::new(stop.component, 4, 1)).await);
    if state != Value::Int(0) {
        return Outcome::inconclusive(format!(
            "the appliance is not idle (state {state}), so stop would end a cycle"
        ));
    }
    let mut statuses = Vec::new();
    for (what, args) in [
        ("an empty map of arguments", Value::Struct(BTreeMap::new())),
        ("null arguments", Value::Null),
    ] {
        ctx.step_text(format!("Invoke stop with {what}."));
        let (msg, seq) = try_outcome!(ctx.ask(who, Body::Invoke { path: stop, args }).await);
        match msg.body {
            Body::InvokeResponse(r) => statuses.push((what, r.status, seq)),
            other => {
                return Outcome::fail(
                    "HRT-MSG-091",
                    format!("an invocation was answered with a {} message", other.kind()),
                )
                .with_evidence([seq])
            }
        }
    }
    match statuses.as_slice() {
        [(_, a, _), (_, b, seq)] if a != b => Outcome::fail(
            "HRT-MSG-067",
            format!("stop answered {a} with an empty map of arguments but {b} with null arguments"),
        )
        .with_evidence([*seq]),
        _ => Outcome::pass(),
    }
});

/// TC-MSG-6.1
pub(crate) const FIRST_FAILED_STEP: Case = Case {
    id: "TC-MSG-6.1",
    title: "A request that fails several checks of §11.1 is handled by the first that fails",
    requirements: &[req::HRT_MSG_080, req::HRT_MSG_082],
    steps: &[
        "Write a text to vendor-id of device-info (content check, step 12) with a broken signature (step 4): expect no answer.",
        "Read a property the description does not declare (step 12): expect unsupported-property; publish the same bytes again (replay, step 8): expect no answer.",
        "Read a property the description does not declare, addressed to another device id (step 10): expect no answer.",
        "As a controller with no privilege, write a text to a writable property (privilege, step 11, before content, step 12): expect no answer or unauthorized, never invalid-type.",
    ],
    applies: always,
    run: first_failed_step,
};

case_fn!(first_failed_step, |ctx| {
    let who = try_outcome!(operator(ctx));
    let wrong = Value::Text("not a value of this property".into());
    let window = ctx.params.silence_window;
    ctx.step_text("Write a text to vendor-id of device-info (content check, step 12) with a broken signature (step 4): expect no answer.");
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(
            who,
            Body::Write(vec![(Path::new(0, 1, 1), wrong.clone())]),
            crate::probe::Tamper::BadSignature,
        )
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    if let Some(a) = ctx.probe.answer(id, window).await {
        return Outcome::fail(
            "HRT-MSG-080",
            "the device answered an invalid write whose signature does not verify: it checked the content before the signature",
        )
        .with_evidence([sent, a.seq]);
    }
    ctx.step_text("Read a property the description does not declare (step 12): expect unsupported-property; publish the same bytes again (replay, step 8): expect no answer.");
    let missing = Path::new(0, 1, 0x7FF0);
    let (id, bytes, sent) = try_outcome!(ctx
        .probe
        .send(who, Body::Read(vec![missing]), crate::probe::Tamper::None)
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let timeout = ctx.response_timeout();
    if ctx.probe.answer(id, timeout).await.is_none() {
        return Outcome::fail(
            "HRT-MSG-060",
            format!("no answer within {timeout:?} to a read of {missing}"),
        )
        .with_evidence([sent]);
    }
    let topic = ctx.probe.request_topic();
    let again = try_outcome!(ctx
        .probe
        .publish_raw(&topic, bytes, "the same read again (a replay)")
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    if let Some(a) = ctx.probe.answer(id, window).await {
        return Outcome::fail(
            "HRT-MSG-080",
            "the device answered a replayed read of an undeclared property: it checked the content before the replay window",
        )
        .with_evidence([sent, again, a.seq]);
    }
    ctx.step_text("Read a property the description does not declare, addressed to another device id (step 10): expect no answer.");
    let other = format!("{}-other", ctx.description.device_id);
    let (id, bytes) = try_outcome!(ctx
        .probe
        .seal_request(who, Body::Read(vec![missing]), |m| m.target = Some(other))
        .map_err(|e| Outcome::error(e.to_string())));
    let sent = try_outcome!(ctx
        .probe
        .publish_raw(
            &topic,
            bytes,
            "read of an undeclared property for another device"
        )
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    if let Some(a) = ctx.probe.answer(id, window).await {
        return Outcome::fail(
            "HRT-MSG-080",
            "the device answered a read addressed to another device id: it checked the content before the target",
        )
        .with_evidence([sent, a.seq]);
    }
    ctx.step_text("As a controller with no privilege, write a text to a writable property (privilege, step 11, before content, step 12): expect no answer or unauthorized, never invalid-type.");
    let Ok(stranger) = ctx.tester(Privilege::None) else {
        return Outcome::pass();
    };
    let Some((path, _)) = ctx.properties().into_iter().find(|(_, p)| p.writable()) else {
        return Outcome::pass();
    };
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(
            stranger,
            Body::Write(vec![(path, wrong)]),
            crate::probe::Tamper::None
        )
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    match ctx.probe.answer(id, window).await {
        None => Outcome::pass(),
        Some(a) if a.is_unauthorized() => Outcome::pass(),
        Some(a) => Outcome::fail(
            "HRT-MSG-080",
            "a controller without privilege writing a value of the wrong type was answered with something other than unauthorized: the device checked the content before the privilege",
        )
        .with_evidence([sent, a.seq]),
    }
});
