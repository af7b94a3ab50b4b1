//! TC-MQTT-4.x, what the device takes on its request topic: packets as large as the broker
//! delivers, nothing from outside its root or with its vendor level misspelt, no message of
//! another kind than a request, and no request from a sender that is no controller id.

use std::time::Duration;

use hearth_model::validate::check_value;
use hearth_model::{Path, Value};
use hearth_mqtt::identity::unix_now;
use hearth_mqtt::topic::Topics;
use hearth_security::Algorithm;
use hearth_wire::Body;

use crate::harness::case::{always, needs, needs_writable, test_case, CaseResult, Ctx};
use crate::harness::craft::{craft, model_read, publish, seal, sign_as, Craft};
use crate::harness::expect;
use crate::probe::Tamper;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MQTT-4.1
    LARGE_PACKETS: "TC-MQTT-4.1",
    title: "The device takes MQTT packets as large as the broker's limit, keeping its connection, and serves a request of nearly 64 KiB",
    checks: [
        HRT_MQTT_071,
    ],
    steps: [
        "Publish on the request topic a QoS 1 PUBLISH packet of exactly the broker's packet size limit (broker_max_packet, 71 680 bytes unless set), whose payload begins like an envelope; the device drops the message as too large.",
        "Send a correct read as a barrier: it must be answered, and no status of the device may have come since the packet (a will or a new online status: the device lost its connection).",
        "Send a correct read padded with an unknown header key to about 64 000 bytes: expect an answer, and still no status of the device since the packet.",
    ],
    applies: always,
    run: large_packets(operator),
}

/// The payload length that makes a QoS 1 PUBLISH on `topic` exactly `packet` bytes long:
/// fixed header (1 byte and a remaining length of 1 to 4), topic length (2), topic, packet
/// id (2), payload.
fn payload_for_packet(packet: usize, topic: &str) -> usize {
    let length_bytes = |remaining: usize| match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    (1..=4)
        .map(|n| (n, packet.saturating_sub(1 + n)))
        .find(|&(n, remaining)| length_bytes(remaining) == n)
        .map_or(0, |(_, remaining)| {
            remaining.saturating_sub(4 + topic.len())
        })
}

async fn large_packets(ctx: &mut Ctx, who: usize) -> CaseResult {
    let limit = ctx.params.broker_max_packet;
    let what = format!("a PUBLISH packet of {limit} bytes, the broker's limit");
    ctx.step_with(1, &what);
    let full = ctx.probe.full_topic(&ctx.probe.request_topic());
    let mut big = vec![0xd2, 0x84, 0x40, 0xa0, 0x5a, 0x00, 0x01, 0x17, 0xf0];
    big.resize(payload_for_packet(limit, &full).max(big.len()), 0x00);
    let sent = publish(ctx, big, &what).await?;
    ctx.step(2);
    let barrier = expect::barrier(ctx, who).await;
    let kept = (req::HRT_MQTT_071, what.as_str());
    expect::kept_connection(ctx, sent, kept)?;
    barrier?;
    ctx.step(3);
    let (_, plain) = craft(ctx, who, Craft::Padded(0))?;
    let pad = 64_000usize.saturating_sub(plain.len());
    let (id, bytes) = craft(ctx, who, Craft::Padded(pad))?;
    let read = format!("a correct read of {} bytes", bytes.len());
    let asked = publish(ctx, bytes, &read).await?;
    expect::answered(ctx, id, asked, (req::HRT_MQTT_071, &read)).await?;
    expect::kept_connection(ctx, sent, kept)
}

test_case! {
    /// TC-MQTT-4.2
    FOREIGN_TOPICS: "TC-MQTT-4.2",
    title: "Requests on topics outside the device's root, or with a vendor level not in lower-case hex, are ignored",
    checks: [
        HRT_MQTT_005,
        HRT_MQTT_009,
    ],
    steps: [
        "Publish a read signed for the device's request topic below the root, on that topic under another root (the root with `-x` appended): expect no answer.",
        "Publish a read signed for it, on the request topic whose vendor level has five digits: expect no answer.",
    ],
    applies: always,
    run: foreign_topics(operator),
}

async fn foreign_topics(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let rel = ctx.probe.request_topic();
    let (id, bytes) = seal(ctx, who, |_| {})?;
    let other_root = format!("{}-x/{rel}", ctx.params.topic_root);
    let sent = ctx
        .probe
        .publish_full(&other_root, false, bytes, "read under another root")
        .await?;
    let e = (req::HRT_MQTT_005, "a request published under another root");
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(2);
    let odd = format!(
        "d/0{:04x}/{}/req",
        ctx.description.vendor_id, ctx.description.device_id
    );
    let (id, bytes) = ctx
        .probe
        .seal_request_for(who, model_read(), &odd, |_| {})?;
    let sent = ctx
        .probe
        .publish_raw(&odd, bytes, "read with a five-digit vendor level")
        .await?;
    let e = (
        req::HRT_MQTT_009,
        "a request whose vendor level is five digits",
    );
    expect::silent(ctx, id, sent, e).await
}

/// A writable property, its current value and another value the description declares
/// valid for it.
async fn changeable(ctx: &mut Ctx, who: usize) -> Result<Option<(Path, Value, Value)>, Outcome> {
    let candidates: Vec<_> = ctx
        .properties()
        .into_iter()
        .filter(|(_, p)| p.writable())
        .collect();
    for (path, p) in candidates {
        let now = ctx.read(who, path).await?;
        let other = ctx
            .another_value(path, p, &now)
            .filter(|v| check_value(ctx.catalog, &ctx.description, &path, v).is_ok());
        if let Some(other) = other {
            return Ok(Some((path, now, other)));
        }
    }
    Ok(None)
}

test_case! {
    /// TC-MQTT-4.3
    WRONG_KIND: "TC-MQTT-4.3",
    title: "A report sent to the device's request topic is rejected and changes nothing",
    checks: [
        HRT_MQTT_011,
    ],
    steps: [
        "Pick a writable boolean or integer property, read it, and choose another valid value.",
        "Send, correctly signed, a report (kind 3) of that value for that property on the device's request topic.",
        "Send a correct read as a barrier: no answer before its answer; read the property: it must be unchanged.",
    ],
    applies: needs_writable,
    run: wrong_kind(operator),
}

async fn wrong_kind(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let Some((path, before, other)) = changeable(ctx, who).await? else {
        return Err(Outcome::not_applicable(
            "no writable boolean or integer property with another valid value",
        ));
    };
    ctx.step_with(2, format!("{path} = {other}"));
    let body = Body::Report(hearth_wire::Report {
        full: false,
        values: vec![(path, other)],
    });
    let (id, _, sent) = ctx.probe.send(who, body, Tamper::None).await?;
    ctx.step(3);
    let e = (req::HRT_MQTT_011, "a report on its request topic");
    let silent = expect::silent(ctx, id, sent, e).await;
    let e = (req::HRT_MQTT_011, "a report on the request topic");
    expect::unchanged(ctx, who, (path, &before), sent, e).await?;
    silent
}

test_case! {
    /// TC-MQTT-4.4
    SENDER_NOT_AN_ID: "TC-MQTT-4.4",
    title: "A request whose sender is no controller id is dropped unanswered",
    checks: [
        HRT_MQTT_046,
    ],
    steps: [
        "Issue, with the lab's CA, a controller certificate whose subject has 65 characters, one more than a controller id may have; subscribe a client of the suite's own to the response topic named after it.",
        "Send a read of device-info signed by that key, with that subject as its sender; confirm by a barrier of the operating controller.",
        "Watch the response topic named after the subject `latency_allowance` longer, as its answer would come on a topic MQTT does not order with the barrier's: nothing may arrive there.",
    ],
    applies: |ctx| {
        needs(ctx.authority.as_ref(), "the ICS has no [authority]: the suite holds no CA the device trusts, so it cannot issue a certificate whose subject is no controller id")
    },
    run: sender_not_an_id(operator),
}

/// A subject one character longer than a controller id may be (HRT-MQTT-007), each
/// character one a controller id may hold, so that it is a topic level all the same.
fn overlong_id() -> String {
    "hearth-suite-".chars().cycle().take(65).collect()
}

async fn sender_not_an_id(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let ca = ctx
        .authority
        .clone()
        .ok_or_else(|| Outcome::not_applicable("the ICS has no [authority]"))?;
    let subject = overlong_id();
    let minted = ca
        .mint(Algorithm::EdDsa, &subject, unix_now(), |_| {}, |_| {})
        .map_err(Outcome::error)?;
    let topic = ctx.probe.full_topic(&Topics::responses_rel(&subject));
    let client_id = format!("hc-suite-watch-{}", minted.kid.to_hex());
    let mut watch = TopicWatch::subscribe(ctx, &topic, client_id).await?;
    ctx.step(2);
    let chain = minted.chain.clone();
    let (id, bytes) = sign_as(ctx, who, &minted.key, model_read(), |m| {
        m.sender.clone_from(&subject);
        m.chain = chain;
        m.counter = 1;
    })?;
    let sent = publish(ctx, bytes, "read whose sender has 65 characters").await?;
    let e = (
        req::HRT_MQTT_046,
        "a request whose sender is no controller id",
    );
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(3);
    let arrived = watch.next(ctx.params.latency_allowance).await;
    watch.close().await;
    match arrived {
        Some(bytes) => {
            let seq = ctx.probe.note(format!(
                "{} bytes arrived on {topic}, the response topic of a sender that is no controller id",
                bytes.len()
            ));
            Err(Outcome::fail(
                req::HRT_MQTT_046,
                "the device answered a request whose sender is no controller id",
            )
            .with_evidence([sent, seq]))
        }
        None => Ok(()),
    }
}

/// A client of the suite's own subscribed to one topic the probe does not watch.
struct TopicWatch {
    client: rumqttc::AsyncClient,
    eventloop: rumqttc::EventLoop,
}

impl TopicWatch {
    /// Connect as `client_id` and subscribe to `topic`; return once the broker has
    /// acknowledged the subscription, so that whatever is published there from now on
    /// reaches it.
    async fn subscribe(ctx: &mut Ctx, topic: &str, client_id: String) -> Result<Self, Outcome> {
        use rumqttc::{Event, Packet, QoS};
        let broker = ctx.broker()?;
        let options = broker
            .mqtt_options(client_id)
            .map_err(|e| Outcome::error(format!("broker parameter: {e}")))?;
        let (client, mut eventloop) = hearth_mqtt::BrokerUrl::client(options, 16);
        client
            .subscribe(topic, QoS::AtLeastOnce)
            .await
            .map_err(|e| Outcome::error(format!("subscribing to {topic}: {e}")))?;
        let timeout = ctx.response_timeout();
        let acked = tokio::time::timeout(timeout, async {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
        })
        .await;
        match acked {
            Ok(Ok(())) => {
                ctx.probe
                    .note(format!("a client of the suite subscribed to {topic}"));
                Ok(Self { client, eventloop })
            }
            Ok(Err(e)) => Err(Outcome::error(format!("subscribing to {topic}: {e}"))),
            Err(_) => Err(Outcome::error(format!(
                "no SUBACK for {topic} within {timeout:?}"
            ))),
        }
    }

    /// The payload of the next publish within `window`, if one comes.
    async fn next(&mut self, window: Duration) -> Option<Vec<u8>> {
        use rumqttc::{Event, Packet};
        tokio::time::timeout(window, async {
            loop {
                match self.eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => return Some(p.payload.to_vec()),
                    Ok(_) => {}
                    Err(_) => return None,
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Disconnect.
    async fn close(mut self) {
        let _ = self.client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while self.eventloop.poll().await.is_ok() {}
        })
        .await;
    }
}
