//! The `TC-CTL-6` cases: offline statuses (`spec/05-mqtt.md` §7). A lab fan's will, an
//! offline status numbered far ahead of its connection, reaches the controller while the fan
//! is still connected, as a broker that publishes the will of a live connection delivers it;
//! later the will is replayed. The fan's reports, and `devices` after them, are the verdict:
//! the agent's answers after messages of the lab's one connection, never a time without
//! change (HRT-CTL-041).

use std::time::Duration;

use serde_json::json;

use super::CtlCtx;
use crate::case::{CaseFuture, CaseResult};
use crate::requirements::req;
use crate::verdict::Outcome;

/// How many reports after a status the suite sends at most before it judges `devices`.
const REPORTS: usize = 8;

/// The steps of TC-CTL-6.1.
pub(super) const WILL_STEPS: &[&str] = &[
    "The lab fan reports a new level; wait until the controller believes it.",
    "The fan arms its will, an offline status numbered 2^32 above its counter; publish it on the fan's status topic while the fan stays connected.",
    "The fan reports new levels with its ordinary counters, each of which the controller must come to believe; after at most eight `devices` must show the fan offline, the will being its newest status.",
    "The fan reconnects: it announces its description and an online status numbered above the will; it reports new levels until `devices` shows it online (at most eight).",
    "Publish the will's bytes again on the status topic; then a new level of the fan; wait until the controller believes it.",
    "`devices` must still show the fan online.",
];

/// TC-CTL-6.1: an offline status does not move the fan's replay window (HRT-MQTT-043), is
/// checked against the offline statuses accepted before (HRT-MQTT-042), and the status with
/// the highest counter is the current one (HRT-MQTT-041).
pub(super) fn will(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        ctx.known_level(0).await?;
        ctx.step(2);
        let will = ctx.lab.will(0).map_err(Outcome::error)?;
        ctx.lab
            .publish_raw(&will.topic, will.payload.clone())
            .map_err(Outcome::error)?;
        ctx.step(3);
        if !shown(ctx, false, req::HRT_MQTT_043).await? {
            return Err(Outcome::fail(
                req::HRT_MQTT_041,
                format!("after its will and {REPORTS} reports after it, the controller does not show {} offline, though the will is its newest status", ctx.lab.addr(0)),
            ));
        }
        ctx.step(4);
        ctx.lab.reconnect(0).map_err(Outcome::error)?;
        if !shown(ctx, true, req::HRT_SEC_121).await? {
            return Err(Outcome::fail(
                req::HRT_MQTT_041,
                format!("after an online status of {} numbered above its will and {REPORTS} reports after it, the controller does not show it online", ctx.lab.addr(0)),
            ));
        }
        ctx.step(5);
        ctx.lab
            .publish_raw(&will.topic, will.payload)
            .map_err(Outcome::error)?;
        reported(ctx, req::HRT_SEC_121).await?;
        ctx.step(6);
        if online(ctx).await? == Some(true) {
            return Ok(());
        }
        Err(Outcome::fail(req::HRT_MQTT_042, format!("after a replay of the will of {}, which it had accepted before its newer online status, the controller no longer shows it online", ctx.lab.addr(0)))
            .and(req::HRT_MQTT_041))
    })
}

/// Fan 0 reports new levels, each of which the controller must believe (else `broken`),
/// until `devices` shows it `online` (at most [`REPORTS`]): whether it did.
async fn shown(ctx: &mut CtlCtx, want: bool, broken: req::Req) -> Result<bool, Outcome> {
    for _ in 0..REPORTS {
        reported(ctx, broken).await?;
        if online(ctx).await? == Some(want) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Fan 0 reports a new level with its ordinary counter; the controller must come to believe
/// it, else it breaks `broken`.
async fn reported(ctx: &mut CtlCtx, broken: req::Req) -> CaseResult {
    ctx.known_level(0).await.map(|_| ()).map_err(|o| {
        if broken == req::HRT_SEC_121 {
            return o;
        }
        Outcome::fail(
            broken,
            format!("the controller did not accept a report of {} with its ordinary counter after the fan's will, numbered far above it: the will moved the replay window", ctx.lab.addr(0)),
        )
    })
}

/// Whether `devices` shows fan 0 online (`None`: not listed, or not known).
async fn online(ctx: &mut CtlCtx) -> Result<Option<bool>, Outcome> {
    let addr = ctx.lab.addr(0).to_string();
    let answer = match ctx.ask("devices", json!({}), Duration::ZERO).await? {
        Ok(answer) => answer,
        Err(e) => {
            return Err(Outcome::fail(
                req::HRT_CTL_016,
                format!("the agent refused `devices`: {}", e.message),
            ))
        }
    };
    let entry = answer
        .as_array()
        .and_then(|list| list.iter().find(|e| e["device"] == json!(addr)));
    Ok(entry.and_then(|e| e["online"].as_bool()))
}
