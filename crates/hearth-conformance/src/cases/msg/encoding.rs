//! TC-MSG-5.x, encoding: everything the device publishes is deterministically encoded,
//! numbered in order, on the topic of its kind and with QoS 1.

use std::collections::BTreeMap;

use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Kind};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::craft::{deterministic, model_read};
use crate::probe::{Answer, Published, Tamper};
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MSG-5.1
    ENCODING: "TC-MSG-5.1",
    title: "Everything the device publishes is deterministically encoded, numbered in order and on the topic of its kind",
    checks: [
        HRT_MSG_005,
        HRT_MSG_006,
        HRT_MSG_020,
        HRT_MSG_060,
        HRT_MSG_091,
        HRT_MQTT_008,
        HRT_MQTT_013,
    ],
    steps: [
        "Send a read and take its response: it must name the request's id and the tester as target.",
        "Take every message the device has published in the run.",
        "Each payload must be deterministic CBOR; descriptions, statuses, reports and events must carry no request id and no target.",
        "Each message must be on the topic its kind selects (a response on the response topic of its target).",
        "Counters must never repeat, and must increase on each topic in the order of arrival (offline statuses, numbered ahead, aside).",
        "Each message must have been published with QoS 1 (the probe subscribes with QoS 1, so a message published with QoS 0 arrives with QoS 0).",
        "Taking the messages in the order of their counters (the order the device produced them), between two statuses (one connection) each event must carry the number of the event before it plus one (or 0, the first event of a new boot after events kept from the last); only among the events kept while disconnected, published right after the full report, may numbers be missing (discarded from a full store, HRT-MQTT-038).",
    ],
    applies: always,
    run: encoding(operator),
}

async fn encoding(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let tester_id = ctx.probe.testers()[who].id.clone();
    let (id, _, sent) = ctx.probe.send(who, model_read(), Tamper::None).await?;
    let timeout = ctx.response_timeout();
    match ctx.probe.answer(id, timeout).await {
        Some(Answer {
            message: Ok(m),
            seq,
            ..
        }) => {
            if m.request_id != Some(id) || m.target.as_deref() != Some(tester_id.as_str()) {
                return Err(Outcome::fail(
                    req::HRT_MSG_091,
                    format!(
                        "the response names request id {:?} and target {:?}; the request was {id} from {tester_id:?}",
                        m.request_id, m.target
                    ),
                )
                .with_evidence([sent, seq]));
            }
        }
        Some(Answer {
            message: Err(r), ..
        }) => return Err(r.fail("the response").with_evidence([sent])),
        None => {
            return Err(Outcome::fail(
                req::HRT_MSG_091,
                format!("no response with the request's id within {timeout:?}"),
            )
            .with_evidence([sent]))
        }
    }
    ctx.step(2);
    let device_id = ctx.description.device_id.clone();
    let dev_prefix = format!("d/{:04x}/{device_id}/", ctx.description.vendor_id);
    let mine: Vec<Published> = ctx
        .probe
        .published(0)
        .into_iter()
        .filter(|p| p.opened && p.message.sender == device_id)
        .collect();
    ctx.step(3);
    for p in &mine {
        let (seq, msg) = (p.seq, &p.message);
        if let Err(why) = deterministic(&p.payload) {
            return Err(Outcome::fail(
                req::HRT_MSG_020,
                format!("a {} payload: {why}", msg.kind().name()),
            )
            .with_evidence([seq]));
        }
        let device_message = matches!(
            msg.kind(),
            Kind::Description | Kind::Status | Kind::Report | Kind::Event
        );
        if device_message && (msg.request_id.is_some() || msg.target.is_some()) {
            return Err(Outcome::fail(
                req::HRT_MSG_005,
                format!("a {} carries a request id or a target", msg.kind().name()),
            )
            .with_evidence([seq]));
        }
    }
    ctx.step(4);
    for p in &mine {
        let msg = &p.message;
        let want = match msg.kind() {
            Kind::Description => format!("{dev_prefix}{}", Channel::Desc.name()),
            Kind::Status => format!("{dev_prefix}{}", Channel::Status.name()),
            Kind::Report => format!("{dev_prefix}{}", Channel::Report.name()),
            Kind::Event => format!("{dev_prefix}{}", Channel::Event.name()),
            Kind::Window => format!("{dev_prefix}{}", Channel::Window.name()),
            Kind::ReadResponse
            | Kind::WriteResponse
            | Kind::InvokeResponse
            | Kind::PakeResponse
            | Kind::CommissionResult
            | Kind::AclReadResponse
            | Kind::AclChangeResponse
            | Kind::WindowControlResponse => {
                format!("c/{}/resp", msg.target.as_deref().unwrap_or(""))
            }
            other => format!("(no topic: the device sent a {})", other.name()),
        };
        if p.topic != want {
            return Err(Outcome::fail(
                req::HRT_MQTT_008,
                format!(
                    "a {} was published on {}, not on {want}",
                    msg.kind().name(),
                    p.topic
                ),
            )
            .with_evidence([p.seq]));
        }
    }
    ctx.step(5);
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut last: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for p in &mine {
        let msg = &p.message;
        let will = matches!(&msg.body, Body::Status(s) if s.availability == Availability::Offline);
        if will {
            continue;
        }
        if let Some(first) = seen.insert(msg.counter, p.seq) {
            return Err(Outcome::fail(
                req::HRT_MSG_006,
                format!("counter {} used twice", msg.counter),
            )
            .with_evidence([first, p.seq]));
        }
        if let Some((before, at)) = last.get(p.topic.as_str()) {
            if msg.counter <= *before {
                return Err(Outcome::fail(
                    req::HRT_MSG_006,
                    format!(
                        "on {}, counter {} arrived after counter {before}",
                        p.topic, msg.counter
                    ),
                )
                .with_evidence([*at, p.seq]));
            }
        }
        last.insert(p.topic.as_str(), (msg.counter, p.seq));
    }
    ctx.step(6);
    if let Some(p) = mine.iter().find(|p| p.qos != 1) {
        return Err(Outcome::fail(
            req::HRT_MQTT_013,
            format!("a {} arrived with QoS {}", p.message.kind().name(), p.qos),
        )
        .with_evidence([p.seq]));
    }
    ctx.step(7);
    // In the order the device produced its messages, which their counters give: MQTT keeps
    // the order of one topic only, so a report may arrive before the events kept ahead of it.
    let mut produced: Vec<&Published> = mine.iter().collect();
    produced.sort_by_key(|p| p.message.counter);
    let mut previous: Option<(u64, usize)> = None;
    let mut kept = false;
    for p in produced {
        match &p.message.body {
            Body::Status(_) => {
                previous = None;
                kept = true;
            }
            // What a device publishes on each connection before the events it kept: its
            // description, its full report and its window (HRT-COM-043).
            Body::Description(_) | Body::Window(_) => {}
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
                        return Err(Outcome::fail(
                            req::HRT_MSG_060,
                            format!("event number {} follows event number {n}", ev.number),
                        )
                        .with_evidence([at, p.seq]));
                    }
                }
                previous = Some((ev.number, p.seq));
            }
            _ => kept = false,
        }
    }
    Ok(())
}
