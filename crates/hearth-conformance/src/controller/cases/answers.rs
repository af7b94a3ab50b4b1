//! The `TC-CTL-4.2`, `TC-CTL-4.3` cases: the answers to the controller's own requests
//! (`spec/05-mqtt.md` §6, `spec/04-messages.md` §6.7). The lab answers a request of the
//! agent with a forged response first; the fan's own answer follows it on the controller's
//! response topic, from the same connection (HRT-CTL-040). Which of the two the agent's
//! answer reports is the verdict.

use std::time::Duration;

use hearth_model::Value;
use hearth_mqtt::agent::json::from_json;
use serde_json::json;

use super::CtlCtx;
use crate::case::{CaseFuture, CaseResult};
use crate::controller::lab::{Forgery, LEVEL};
use crate::requirements::req;
use crate::verdict::Outcome;

/// The steps of TC-CTL-4.2.
pub(super) const OTHER_SIGNER_STEPS: &[&str] = &[
    "The lab fan reports a new level; wait until the controller believes it.",
    "Through the agent, read the fan's level. The second lab fan, a valid device of the same vendor, answers the request first with a read response of its own carrying another level; the fan's own answer follows on the same topic. The read must succeed with the fan's level of step 1.",
    "The controller must still believe the level of step 1.",
];

/// TC-CTL-4.2: a response signed by another device than the one the request went to is not
/// taken as its answer (HRT-MQTT-012).
pub(super) fn other_signer(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        let known = ctx.known_level(0).await?;
        ctx.step(2);
        let other = known % 12 + 1;
        ctx.lab.forge_next(0, Forgery::OtherFan(other));
        let fields = json!({"device": ctx.lab.addr(0).to_string(), "paths": [LEVEL.to_string()]});
        let answer = match ctx.ask("read", fields, Duration::ZERO).await? {
            Ok(answer) if answer["values"][0]["status"] == "success" => answer,
            Ok(answer) => return Err(refused(format!("was answered {answer}"))),
            Err(e) => return Err(refused(format!("{} ({})", e.message, e.kind.name()))),
        };
        ctx.lab.forged(0).map_err(Outcome::error)?;
        let read = from_json(&answer["values"][0]["value"]).map_err(|e| {
            Outcome::fail(
                req::HRT_CTL_020,
                format!("`read` gave the fan's level as {answer}, not a value of 08 §5 ({e})"),
            )
        })?;
        if read != Value::Int(known) {
            return Err(Outcome::fail(
                req::HRT_MQTT_012,
                format!(
                    "the read of {}'s level answered {read}: the controller took the response of {} as the fan's",
                    ctx.lab.addr(0),
                    ctx.lab.addr(1)
                ),
            ));
        }
        ctx.step(3);
        ctx.still(
            0,
            known,
            &[req::HRT_MQTT_012],
            &format!("a read response of level {other} signed by the other fan"),
        )
        .await
    })
}

/// The steps of TC-CTL-4.3.
pub(super) const UNKNOWN_STATUS_STEPS: &[&str] = &[
    "Through the agent, write a level to the lab fan. The fan answers the request first with a write response, signed with its own key, whose status for the level is 23, a code no catalog defines; its ordinary answer (success) follows on the same topic.",
    "The write must be answered with the status failure for the level: the controller took the first response, its unknown code as failure.",
];

/// TC-CTL-4.3: a status code the controller does not know is taken as `failure`, and the
/// response that carries it is not rejected (HRT-MSG-071).
pub(super) fn unknown_status(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        ctx.lab.forge_next(0, Forgery::UnknownStatus);
        let fields = json!({
            "device": ctx.lab.addr(0).to_string(),
            "values": [{"path": LEVEL.to_string(), "value": 2}],
        });
        let asked = ctx.ask("write", fields, Duration::ZERO).await?;
        ctx.lab.forged(0).map_err(Outcome::error)?;
        ctx.step(2);
        judge_unknown_status(asked.map_err(|e| format!("{} ({})", e.message, e.kind.name())))
    })
}

fn judge_unknown_status(answer: Result<serde_json::Value, String>) -> CaseResult {
    match answer {
        Ok(a) if a["statuses"][0]["status"] == "failure" => Ok(()),
        Ok(a) if a["statuses"][0]["status"] == "success" => Err(Outcome::fail(
            req::HRT_MSG_071,
            format!("the write was answered {a}: the controller dropped the response with status 23 and took the one after it"),
        )),
        Ok(a) => Err(Outcome::fail(
            req::HRT_MSG_071,
            format!("the write was answered {a}, not failure for a status code it does not know"),
        )),
        Err(e) => Err(Outcome::fail(
            req::HRT_MSG_071,
            format!("the controller rejected the response with status 23: {e}"),
        )),
    }
}

/// The read of a level the fan holds was not carried out.
fn refused(what: String) -> Outcome {
    Outcome::fail(
        req::HRT_CTL_015,
        format!("the read of the fan's level, which the fan admits, {what}"),
    )
}
