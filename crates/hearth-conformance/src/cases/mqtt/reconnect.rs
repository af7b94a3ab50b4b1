//! TC-MQTT-3.x, reconnection: what a device publishes first on a new connection after a
//! restart, the full report, counters above the will, and a retained request left on its
//! topic.

use std::collections::BTreeSet;

use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Message};

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::craft::seal;
use crate::harness::expect;
use crate::harness::wait;
use crate::requirements::req;
use crate::verdict::Outcome;

fn is_offline(msg: &Message) -> bool {
    matches!(&msg.body, Body::Status(s) if s.availability == Availability::Offline)
}

/// An offline status of a run before the one with boot id `boot`: the restart's own offline
/// status or will. One of the new run (its will, after a later loss of the new connection)
/// says nothing about the restart.
fn is_offline_before(msg: &Message, boot: u64) -> bool {
    matches!(&msg.body, Body::Status(s) if s.availability == Availability::Offline && s.boot_id != boot)
}

test_case! {
    /// TC-MQTT-3.1
    RECONNECT: "TC-MQTT-3.1",
    title: "After a restart the device publishes its description, its online status and a full report first, above the will's counter",
    checks: [
        HRT_MQTT_032,
        HRT_MQTT_033,
        HRT_MQTT_034,
        HRT_MQTT_045,
        HRT_MSG_054,
        HRT_MSG_055,
    ],
    steps: [
        "Restart the device as the ICS describes; wait for its online status with a new boot id, then for a full report.",
        "The first messages after the offline status must be the description, the online status and a full report, in this order; after an orderly restart the device's own offline status must come first.",
        "Every message after the offline status must carry a counter above the offline status's; after an orderly restart with a single offline status, the new connection's first counter must lie at least two above it, since the will's reserved counter lies between.",
        "The full report must hold every observable property the description implements, and no report any path twice.",
    ],
    applies: wait::restartable,
    run: reconnect,
}

async fn reconnect(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let mark = ctx.probe.trace().len();
    let boot = wait::restart(ctx).await?;
    // The full report of the new connection, numbered after its online status: one the old
    // connection left in flight may still arrive, and on another topic than the status.
    let online = ctx
        .probe
        .published(mark)
        .iter()
        .filter(|p| {
            matches!(&p.message.body, Body::Status(st) if st.availability == Availability::Online)
        })
        .map(|p| p.message.counter)
        .max()
        .unwrap_or(0);
    let limit = ctx.params.restart_timeout;
    let full = ctx
        .probe
        .wait_for(limit, |s| {
            s.channel == Channel::Report
                && matches!(&s.message, Ok(m @ Message { body: Body::Report(r), .. }) if r.full && m.counter > online)
        })
        .await;
    if full.is_none() {
        return Err(Outcome::fail(
            req::HRT_MQTT_034,
            format!("no full report within {limit:?} of the device being online again"),
        ));
    }
    ctx.step(2);
    let prefix = format!(
        "d/{:04x}/{}/",
        ctx.description.vendor_id, ctx.description.device_id
    );
    // In the order the device produced them, which their counters give (the will opens the
    // numbering of the connection after it, 05 §7.2): description, status and report each
    // have a topic of their own, and MQTT keeps the order of one topic only.
    let mut msgs: Vec<(usize, Message)> = ctx
        .probe
        .published(mark)
        .into_iter()
        .filter(|p| p.topic.starts_with(&prefix))
        .map(|p| (p.seq, p.message))
        .collect();
    msgs.sort_by_key(|(_, m)| m.counter);
    let offline: Vec<&(usize, Message)> = msgs
        .iter()
        .filter(|(_, m)| is_offline_before(m, boot))
        .collect();
    if !ctx.ics.restart.power_loss && offline.is_empty() {
        return Err(Outcome::fail(
            req::HRT_MQTT_033,
            "after an orderly shutdown the device came back without having published its offline status",
        ));
    }
    // What the old connection still published (a full report a previous restart left in
    // flight) is numbered before the offline status; the new connection starts after it.
    let start = msgs
        .iter()
        .rposition(|(_, m)| is_offline_before(m, boot))
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
        return Err(Outcome::fail(
            req::HRT_MQTT_034,
            format!(
                "after the restart the device published first: {}",
                first.join(", ")
            ),
        )
        .with_evidence(after.iter().take(3).map(|(s, _)| *s)));
    }
    ctx.step(3);
    if let Some((will_seq, will)) = offline.iter().max_by_key(|(_, m)| m.counter) {
        // The new connection's online status is known by its boot id, wherever its counter
        // put it; everything else of the new connection is numbered after the will.
        let new_online = msgs.iter().filter(|(_, m)| {
            matches!(&m.body, Body::Status(st) if st.availability == Availability::Online && st.boot_id == boot)
        });
        if let Some((seq, m)) = after
            .iter()
            .copied()
            .chain(new_online)
            .find(|(_, m)| m.counter <= will.counter)
        {
            return Err(Outcome::fail(
                req::HRT_MQTT_032,
                format!(
                    "a {} after the restart has counter {}, not above the offline status's {}",
                    m.kind().name(),
                    m.counter,
                    will.counter
                ),
            )
            .with_evidence([*will_seq, *seq]));
        }
        // An orderly offline status is sealed with the next counter (HRT-MQTT-045), below the
        // will's, which lies below every counter of the next connection (HRT-MQTT-031,
        // HRT-MQTT-032): so a gap of at least two. Only when this offline status is the only
        // one, so that it is not the broker's copy of a will.
        let first_new = after.iter().map(|(_, m)| m.counter).min();
        if let (false, [_], Some(first)) =
            (ctx.ics.restart.power_loss, offline.as_slice(), first_new)
        {
            if first == will.counter.saturating_add(1) {
                let seq = after
                    .iter()
                    .find(|(_, m)| m.counter == first)
                    .map(|(s, _)| *s);
                return Err(Outcome::fail(
                    req::HRT_MQTT_045,
                    format!(
                        "after an orderly shutdown the offline status has counter {} and the next connection starts at {first}: no counter was left for the will between them, so the offline status was sealed with the will's reserved counter (or it is the will, and no orderly offline status was published)",
                        will.counter
                    ),
                )
                .with_evidence(std::iter::once(*will_seq).chain(seq)));
            }
        }
    }
    ctx.step(4);
    for (seq, m) in &after {
        let Body::Report(r) = &m.body else {
            continue;
        };
        let mut paths = BTreeSet::new();
        for (p, _) in &r.values {
            if !paths.insert(*p) {
                return Err(
                    Outcome::fail(req::HRT_MSG_055, format!("a report holds {p} twice"))
                        .with_evidence([*seq]),
                );
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
                return Err(Outcome::fail(
                    req::HRT_MSG_054,
                    format!(
                        "the full report lacks observable properties {}",
                        missing.join(", ")
                    ),
                )
                .with_evidence([*seq]));
            }
        }
    }
    Ok(())
}

test_case! {
    /// TC-MQTT-3.2
    RETAINED_REQUEST: "TC-MQTT-3.2",
    title: "A request delivered as a retained message after a restart is ignored",
    checks: [
        HRT_MQTT_016,
    ],
    steps: [
        "Publish a correct read, retained, on the device's request topic; its live delivery may be answered.",
        "Restart the device as the ICS describes and wait for its online status with a new boot id: on subscribing again it receives the read with the RETAIN flag set.",
        "Send a correct read as a barrier: it must be answered with no further answer to the retained read before it (HRT-CONF-037).",
        "Remove the retained read (an empty retained message).",
    ],
    applies: wait::restartable,
    run: retained_request(operator),
}

async fn retained_request(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let (id, bytes) = seal(ctx, who, |_| {})?;
    let topic = ctx.probe.full_topic(&ctx.probe.request_topic());
    let sent = ctx
        .probe
        .publish_full(&topic, true, bytes, "retained read")
        .await?;
    // The live delivery's answer, if any, taken before the restart.
    expect::confirm(ctx, id, sent).await?;
    ctx.step(2);
    let back = wait::restart(ctx).await;
    ctx.step(3);
    let again = match back {
        Ok(_) => expect::confirm(ctx, id, sent).await,
        Err(_) => Ok(None),
    };
    ctx.step(4);
    let cleared = ctx
        .probe
        .publish_full(&topic, true, Vec::new(), "remove the retained read")
        .await;
    back?;
    if let Some(a) = again? {
        return Err(Outcome::fail(
            req::HRT_MQTT_016,
            "after the restart the device answered the read the broker delivered as retained",
        )
        .with_evidence([sent, a.seq]));
    }
    cleared
        .map(drop)
        .map_err(|e| Outcome::error(format!("removing the retained read: {e}")))
}
