//! The MQTT binding across a restart: what a device publishes first on a new connection, the
//! full report, and counters above the will.

use std::collections::BTreeSet;

use hearth_model::Path;
use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Message};

use crate::case::{always, Case, Ctx};
use crate::cases::sec::verifying::{operator, Craft};
use crate::cases::{case_fn, try_outcome};
use crate::ics::RestartMethod;
use crate::requirements::req;
use crate::trace::Direction;
use crate::verdict::Outcome;

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

/// The device's own messages on its topics from trace entry `mark` on, decoded.
fn device_messages_since(ctx: &Ctx, mark: usize) -> Vec<(usize, Message)> {
    let prefix = format!(
        "{}/d/{:04x}/{}/",
        ctx.params.topic_root, ctx.description.vendor_id, ctx.description.device_id
    );
    ctx.probe
        .trace()
        .entries()
        .iter()
        .skip(mark)
        .filter(|e| e.direction == Direction::In && e.topic.starts_with(&prefix))
        .filter_map(|e| {
            let bytes = unhex(&e.hex);
            let env = hearth_security::cose::Envelope::parse(&bytes).ok()?;
            let msg = hearth_wire::codec::decode(
                env.unverified_payload(),
                &hearth_wire::Limits::STANDARD,
            )
            .ok()?;
            Some((e.seq, msg))
        })
        .collect()
}

fn is_offline(msg: &Message) -> bool {
    matches!(&msg.body, Body::Status(s) if s.availability == Availability::Offline)
}

/// TC-MQTT-3.1
pub(crate) const RECONNECT: Case = Case {
    id: "TC-MQTT-3.1",
    title: "After a restart the device publishes its description, its online status and a full report first, above the will's counter",
    requirements: &[
        req::HRT_MQTT_032,
        req::HRT_MQTT_033,
        req::HRT_MQTT_034,
        req::HRT_MSG_054,
        req::HRT_MSG_055,
    ],
    steps: &[
        "Restart the device as the ICS describes; wait for its online status with a new boot id, then for a full report.",
        "The first messages after the offline status must be the description, the online status and a full report, in this order; after an orderly restart the device's own offline status must come first.",
        "Every message after the offline status must carry a counter above the offline status's.",
        "The full report must hold every observable property the description implements, and no report any path twice.",
    ],
    applies: |ctx| match ctx.ics.restart.method {
        RestartMethod::None => Err("the ICS says the device cannot be restarted by the lab".into()),
        _ if ctx.restarter.is_none() => Err("this run has no way to restart the device".into()),
        _ => Ok(()),
    },
    run: reconnect,
};

case_fn!(reconnect, |ctx| {
    ctx.step_text("Restart the device as the ICS describes; wait for its online status with a new boot id, then for a full report.");
    let mark = ctx.probe.trace().len();
    try_outcome!(crate::cases::sec::signing::restart_and_wait(ctx).await);
    let limit = ctx.params.restart_timeout;
    let full = ctx
        .probe
        .wait_for(limit, |s| {
            s.channel == Channel::Report
                && matches!(&s.message, Ok(Message { body: Body::Report(r), .. }) if r.full)
        })
        .await;
    if full.is_none() {
        return Outcome::fail(
            "HRT-MQTT-034",
            format!("no full report within {limit:?} of the device being online again"),
        );
    }
    ctx.step_text("The first messages after the offline status must be the description, the online status and a full report, in this order; after an orderly restart the device's own offline status must come first.");
    let msgs = device_messages_since(ctx, mark);
    let offline: Vec<&(usize, Message)> = msgs.iter().filter(|(_, m)| is_offline(m)).collect();
    if !ctx.ics.restart.power_loss && offline.is_empty() {
        return Outcome::fail(
            "HRT-MQTT-033",
            "after an orderly shutdown the device came back without having published its offline status",
        );
    }
    // What the old connection still published (a full report a previous restart left in
    // flight) comes before the offline status; the new connection starts after it.
    let start = msgs
        .iter()
        .rposition(|(_, m)| is_offline(m))
        .map_or(0, |i| i + 1);
    let after: Vec<&(usize, Message)> = msgs[start..]
        .iter()
        .filter(|(_, m)| !is_offline(m))
        .collect();
    let first: Vec<&str> = after
        .iter()
        .take(3)
        .map(|(_, m)| match &m.body {
            Body::Description(_) => "description",
            Body::Status(_) => "online status",
            Body::Report(r) if r.full => "full report",
            Body::Report(_) => "report",
            Body::Event(_) => "event",
            _ => "other",
        })
        .collect();
    if first != ["description", "online status", "full report"] {
        return Outcome::fail(
            "HRT-MQTT-034",
            format!(
                "after the restart the device published first: {}",
                first.join(", ")
            ),
        )
        .with_evidence(after.iter().take(3).map(|(s, _)| *s));
    }
    ctx.step_text(
        "Every message after the offline status must carry a counter above the offline status's.",
    );
    if let Some((will_seq, will)) = offline.iter().max_by_key(|(_, m)| m.counter) {
        if let Some((seq, m)) = after.iter().find(|(_, m)| m.counter <= will.counter) {
            return Outcome::fail(
                "HRT-MQTT-032",
                format!(
                    "a {} after the restart has counter {}, not above the offline status's {}",
                    m.kind().name(),
                    m.counter,
                    will.counter
                ),
            )
            .with_evidence([*will_seq, *seq]);
        }
    }
    ctx.step_text("The full report must hold every observable property the description implements, and no report any path twice.");
    for (seq, m) in &after {
        let Body::Report(r) = &m.body else {
            continue;
        };
        let mut paths = BTreeSet::new();
        for (p, _) in &r.values {
            if !paths.insert(*p) {
                return Outcome::fail("HRT-MSG-055", format!("a report holds {p} twice"))
                    .with_evidence([*seq]);
            }
        }
        if r.full {
            let missing: Vec<String> = ctx
                .properties()
                .into_iter()
                .filter(|(path, p)| p.observable && !paths.contains(path))
                .map(|(path, _)| path.to_string())
                .collect();
            if !missing.is_empty() {
                return Outcome::fail(
                    "HRT-MSG-054",
                    format!(
                        "the full report lacks observable properties {}",
                        missing.join(", ")
                    ),
                )
                .with_evidence([*seq]);
            }
        }
    }
    Outcome::pass()
});

/// TC-MQTT-3.2
pub(crate) const RETAINED_REQUEST: Case = Case {
    id: "TC-MQTT-3.2",
    title: "A request delivered as a retained message after a restart is ignored",
    requirements: &[req::HRT_MQTT_016],
    steps: &[
        "Publish a correct read, retained, on the device's request topic; its live delivery may be answered.",
        "Restart the device as the ICS describes and wait for its online status with a new boot id: on subscribing again it receives the read with the RETAIN flag set.",
        "Watch the silence window: there must be no further answer to the read.",
        "Remove the retained read (an empty retained message).",
    ],
    applies: |ctx| match ctx.ics.restart.method {
        RestartMethod::None => Err("the ICS says the device cannot be restarted by the lab".into()),
        _ if ctx.restarter.is_none() => Err("this run has no way to restart the device".into()),
        _ => Ok(()),
    },
    run: retained_request,
};

case_fn!(retained_request, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Publish a correct read, retained, on the device's request topic; its live delivery may be answered.");
    let (id, bytes) = try_outcome!(ctx
        .probe
        .seal_request(who, Body::Read(vec![Path::new(0, 1, 4)]), |_| {})
        .map_err(|e| Outcome::error(e.to_string())));
    let topic = ctx.probe.full_topic(&ctx.probe.request_topic());
    let sent = try_outcome!(ctx
        .probe
        .publish_full(&topic, true, bytes, "retained read")
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let timeout = ctx.response_timeout();
    let _ = ctx.probe.answer(id, timeout).await;
    ctx.step_text("Restart the device as the ICS describes and wait for its online status with a new boot id: on subscribing again it receives the read with the RETAIN flag set.");
    let back = crate::cases::sec::signing::restart_and_wait(ctx).await;
    ctx.step_text("Watch the silence window: there must be no further answer to the read.");
    let window = ctx.params.silence_window;
    let again = match back {
        Ok(_) => ctx.probe.answer(id, window).await,
        Err(_) => None,
    };
    ctx.step_text("Remove the retained read (an empty retained message).");
    let cleared = ctx
        .probe
        .publish_full(&topic, true, Vec::new(), "remove the retained read")
        .await;
    if let Err(o) = back {
        return o;
    }
    if let Some(a) = again {
        return Outcome::fail(
            "HRT-MQTT-016",
            "after the restart the device answered the read the broker delivered as retained",
        )
        .with_evidence([sent, a.seq]);
    }
    match cleared {
        Ok(_) => Outcome::pass(),
        Err(e) => Outcome::error(format!("removing the retained read: {e}")),
    }
});

/// TC-MQTT-4.1
pub(crate) const LARGE_PACKETS: Case = Case {
    id: "TC-MQTT-4.1",
    title: "The device takes MQTT packets of 71 680 bytes and serves a request of nearly 64 KiB",
    requirements: &[req::HRT_MQTT_071],
    steps: &[
        "Publish a message in a PUBLISH packet of exactly 71 680 bytes on the request topic; the device drops the message as too large but must stay connected.",
        "Send a correct read padded with an unknown header key to about 64 000 bytes: expect an answer.",
    ],
    applies: always,
    run: large_packets,
};

case_fn!(large_packets, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Publish a message in a PUBLISH packet of exactly 71 680 bytes on the request topic; the device drops the message as too large but must stay connected.");
    // A QoS 1 PUBLISH of 71 680 bytes: fixed header (4), topic length (2), topic, packet
    // id (2), payload.
    let topic = ctx.probe.request_topic();
    let full = ctx.probe.full_topic(&topic);
    let mut big = vec![0xd2, 0x84, 0x40, 0xa0, 0x5a, 0x00, 0x01, 0x17, 0xf0];
    big.resize(71_672usize.saturating_sub(full.len()), 0x00);
    try_outcome!(ctx
        .probe
        .publish_raw(&topic, big, "a message in a PUBLISH packet of 71 680 bytes")
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    ctx.step_text("Send a correct read padded with an unknown header key to about 64 000 bytes: expect an answer.");
    let (_, plain) = try_outcome!(crate::cases::sec::verifying::craft(
        ctx,
        who,
        Craft::Padded(0)
    ));
    let pad = 64_000usize.saturating_sub(plain.len());
    let (id, bytes) = try_outcome!(crate::cases::sec::verifying::craft(
        ctx,
        who,
        Craft::Padded(pad)
    ));
    let what = format!("a correct read of {} bytes", bytes.len());
    let sent = try_outcome!(crate::cases::sec::verifying::publish(ctx, bytes, &what).await);
    crate::cases::sec::verifying::answered(ctx, id, "HRT-MQTT-071", &what, sent).await
});

/// TC-MQTT-4.2
pub(crate) const FOREIGN_TOPICS: Case = Case {
    id: "TC-MQTT-4.2",
    title: "Requests on topics outside the device's root, or with a vendor level not in lower-case hex, are ignored",
    requirements: &[req::HRT_MQTT_005, req::HRT_MQTT_009],
    steps: &[
        "Publish a read signed for the device's request topic below the root, on that topic under another root (the root with `-x` appended): expect no answer.",
        "Publish a read signed for it, on the request topic whose vendor level has five digits: expect no answer.",
    ],
    applies: always,
    run: foreign_topics,
};

case_fn!(foreign_topics, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Publish a read signed for the device's request topic below the root, on that topic under another root (the root with `-x` appended): expect no answer.");
    let rel = ctx.probe.request_topic();
    let (id, bytes) = try_outcome!(ctx
        .probe
        .seal_request(who, Body::Read(vec![Path::new(0, 1, 4)]), |_| {})
        .map_err(|e| Outcome::error(e.to_string())));
    let other_root = format!("{}-x/{rel}", ctx.params.topic_root);
    let sent = try_outcome!(ctx
        .probe
        .publish_full(&other_root, false, bytes, "read under another root")
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    let o = crate::cases::sec::verifying::silent(
        ctx,
        id,
        "HRT-MQTT-005",
        "a request published under another root",
        sent,
    )
    .await;
    if o.verdict != crate::verdict::Verdict::Pass {
        return o;
    }
    ctx.step_text("Publish a read signed for it, on the request topic whose vendor level has five digits: expect no answer.");
    let odd = format!(
        "d/0{:04x}/{}/req",
        ctx.description.vendor_id, ctx.description.device_id
    );
    let (id, bytes) = try_outcome!(ctx
        .probe
        .seal_request_for(who, Body::Read(vec![Path::new(0, 1, 4)]), &odd, |_| {})
        .map_err(|e| Outcome::error(e.to_string())));
    let sent = try_outcome!(ctx
        .probe
        .publish_raw(&odd, bytes, "read with a five-digit vendor level")
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    crate::cases::sec::verifying::silent(
        ctx,
        id,
        "HRT-MQTT-009",
        "a request whose vendor level is five digits",
        sent,
    )
    .await
});

/// A writable property, its current value and another valid value for it.
async fn changeable(
    ctx: &mut Ctx,
    who: usize,
) -> Result<Option<(Path, hearth_model::Value, hearth_model::Value)>, Outcome> {
    use hearth_model::Value;
    let candidates: Vec<Path> = ctx
        .properties()
        .into_iter()
        .filter(|(_, p)| p.writable())
        .map(|(path, _)| path)
        .collect();
    for path in candidates {
        let now = ctx.read(who, path).await?;
        let options: Vec<Value> = match &now {
            Value::Bool(b) => vec![Value::Bool(!b)],
            Value::Int(v) => (1..=100)
                .flat_map(|d| [Value::Int(v + d), Value::Int(v - d)])
                .collect(),
            _ => Vec::new(),
        };
        if let Some(other) = options.into_iter().find(|v| {
            hearth_model::validate::check_value(ctx.catalog, &ctx.description, &path, v).is_ok()
        }) {
            return Ok(Some((path, now, other)));
        }
    }
    Ok(None)
}

/// TC-MQTT-4.3
pub(crate) const WRONG_KIND: Case = Case {
    id: "TC-MQTT-4.3",
    title: "A report sent to the device's request topic is rejected and changes nothing",
    requirements: &[req::HRT_MQTT_011],
    steps: &[
        "Pick a writable boolean or integer property, read it, and choose another valid value.",
        "Send, correctly signed, a report (kind 3) of that value for that property on the device's request topic.",
        "Watch the silence window: no answer; read the property: it must be unchanged.",
    ],
    applies: |ctx| {
        ctx.properties()
            .iter()
            .any(|(_, p)| p.writable())
            .then_some(())
            .ok_or_else(|| "the device has no writable property".into())
    },
    run: wrong_kind,
};

case_fn!(wrong_kind, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text(
        "Pick a writable boolean or integer property, read it, and choose another valid value.",
    );
    let Some((path, before, other)) = try_outcome!(changeable(ctx, who).await) else {
        return Outcome::not_applicable(
            "no writable boolean or integer property with another valid value",
        );
    };
    ctx.step_text(format!(
        "Send, correctly signed, a report of {path} = {other} on the device's request topic."
    ));
    let body = Body::Report(hearth_wire::Report {
        full: false,
        values: vec![(path, other)],
    });
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(who, body, crate::probe::Tamper::None)
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    ctx.step_text("Watch the silence window: no answer; read the property: it must be unchanged.");
    let o = crate::cases::sec::verifying::silent(
        ctx,
        id,
        "HRT-MQTT-011",
        "a report on its request topic",
        sent,
    )
    .await;
    let after = try_outcome!(ctx.read(who, path).await);
    if after != before {
        let _ = ctx.write(who, path, before.clone()).await;
        return Outcome::fail(
            "HRT-MQTT-011",
            format!("{path} changed from {before} to {after} after a report on the request topic"),
        )
        .with_evidence([sent]);
    }
    o
});

/// TC-MQTT-5.1
pub(crate) const CLIENT_ID: Case = Case {
    id: "TC-MQTT-5.1",
    title: "The device connects with the client identifier hd-{vendor}-{device} and a clean session",
    requirements: &[req::HRT_MQTT_020, req::HRT_MQTT_023],
    steps: &[
        "Connect a second client to the broker with the client identifier hd-{vendor}-{device} and Clean Session 0, then disconnect it: the broker closes the device's connection if it uses that identifier, and reports no stored session if the device connected with Clean Session 1.",
        "Expect the device to connect again and publish its online status again within the restart timeout.",
    ],
    applies: always,
    run: client_id,
};

case_fn!(client_id, |ctx| {
    use rumqttc::{AsyncClient, Event, Packet};
    let broker = try_outcome!(ctx
        .params
        .broker
        .parse::<hearth_mqtt::BrokerUrl>()
        .map_err(|e| Outcome::error(format!("broker parameter: {e}"))));
    let id = format!(
        "hd-{:04x}-{}",
        ctx.description.vendor_id, ctx.description.device_id
    );
    ctx.probe.clear_seen();
    ctx.step_text(format!(
        "Connect a second client to the broker with the client identifier {id} and Clean Session 0, then disconnect it."
    ));
    let mut options = try_outcome!(broker
        .mqtt_options(id.clone())
        .map_err(|e| Outcome::error(format!("broker parameter: {e}"))));
    options.set_keep_alive(std::time::Duration::from_secs(5));
    // Clean Session 0: the CONNACK then says whether the broker kept a session for this
    // identifier, which it does only for a client that connected with Clean Session 0. The
    // device's next connection, with Clean Session 1, discards the session made here.
    options.set_clean_session(false);
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let timeout = ctx.response_timeout();
    let connected = tokio::time::timeout(timeout, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => return Ok(ack.session_present),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    })
    .await;
    let session_present = match connected {
        Ok(Ok(present)) => present,
        Ok(Err(e)) => return Outcome::error(format!("connecting as {id}: {e}")),
        Err(_) => return Outcome::error(format!("no CONNACK for {id} within {timeout:?}")),
    };
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(timeout, async { while eventloop.poll().await.is_ok() {} }).await;
    ctx.probe
        .note(format!("connected and disconnected as {id}"));
    ctx.step_text("Expect the device to connect again and publish its online status again within the restart timeout.");
    let limit = ctx.params.restart_timeout;
    let back = ctx
        .probe
        .wait_for(limit, |s| {
            s.channel == Channel::Status
                && matches!(&s.message, Ok(Message { body: Body::Status(st), .. }) if st.availability == Availability::Online)
        })
        .await;
    match back {
        Some(_) if session_present => Outcome::fail(
            "HRT-MQTT-023",
            format!("the broker had kept a session for {id}: the device connected with Clean Session 0"),
        ),
        Some(_) => Outcome::pass(),
        None => Outcome::fail(
            "HRT-MQTT-020",
            format!(
                "no new online status within {limit:?} after another client took the identifier {id}: the device does not use it"
            ),
        ),
    }
});
