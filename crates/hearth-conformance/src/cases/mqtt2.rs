//! The MQTT binding across a restart: what a device publishes first on a new connection, the
//! full report, and counters above the will.

use std::collections::BTreeSet;

use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Message};

use super::{case_fn, try_outcome};
use crate::case::{Case, Ctx};
use crate::ics::RestartMethod;
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
        "HRT-MQTT-032",
        "HRT-MQTT-033",
        "HRT-MQTT-034",
        "HRT-MSG-054",
        "HRT-MSG-055",
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
    ctx.step("Restart the device as the ICS describes; wait for its online status with a new boot id, then for a full report.");
    let mark = ctx.probe.trace().len();
    try_outcome!(super::security::restart_and_wait(ctx).await);
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
    ctx.step("The first messages after the offline status must be the description, the online status and a full report, in this order; after an orderly restart the device's own offline status must come first.");
    let msgs = device_messages_since(ctx, mark);
    let offline: Vec<&(usize, Message)> = msgs.iter().filter(|(_, m)| is_offline(m)).collect();
    if !ctx.ics.restart.power_loss && offline.is_empty() {
        return Outcome::fail(
            "HRT-MQTT-033",
            "after an orderly shutdown the device came back without having published its offline status",
        );
    }
    let after: Vec<&(usize, Message)> = msgs.iter().filter(|(_, m)| !is_offline(m)).collect();
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
    ctx.step(
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
    ctx.step("The full report must hold every observable property the description implements, and no report any path twice.");
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
