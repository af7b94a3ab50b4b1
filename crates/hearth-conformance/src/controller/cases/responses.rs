//! The `TC-CTL-4` cases: responses the controller must not take (`spec/04-messages.md` §12.1).
//! A lab fan signs a response that answers no request of the controller and the lab publishes
//! it on the controller's response topic; the marker is the fan's genuine answer to a read
//! the agent asks for next, which goes out after it on the same topic and connection
//! (HRT-CTL-040). What the controller believes then is the verdict.

use std::time::Duration;

use hearth_model::{StatusCode, Value};
use hearth_mqtt::agent::json::from_json;
use hearth_wire::ReadResult;
use serde_json::json;

use super::CtlCtx;
use crate::case::CaseFuture;
use crate::controller::lab::{ENERGY, LEVEL};
use crate::requirements::req;
use crate::verdict::Outcome;

/// The steps of TC-CTL-4.1.
pub(super) const UNSOLICITED_STEPS: &[&str] = &[
    "The lab fan reports a new level; wait until the controller believes it.",
    "The fan signs a read response to the controller carrying another level and a random request id the controller never used; publish it on the controller's response topic.",
    "Through the agent, read the fan's energy; the fan's answer follows the response of step 2 on the same topic, and the read must succeed; wait until the controller believes the energy read.",
    "The controller must still believe the level of step 1.",
];

/// TC-CTL-4.1: a response whose request id belongs to no outstanding request is dropped
/// (HRT-MSG-084).
pub(super) fn unsolicited(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        let known = ctx.first_level(0).await?;
        ctx.step(2);
        let seen = ctx.lab.requests();
        let controller = seen
            .iter()
            .filter_map(|r| r.message.as_ref())
            .map(|m| m.sender.clone())
            .next_back()
            .unwrap_or_else(|| ctx.ics.id.clone());
        let used: Vec<u64> = seen
            .iter()
            .filter_map(|r| r.message.as_ref().and_then(|m| m.request_id))
            .collect();
        let mut request_id = 0;
        while request_id == 0 || used.contains(&request_id) {
            let mut bytes = [0u8; 8];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
                .map_err(|_| Outcome::error("no random request id"))?;
            request_id = u64::from_be_bytes(bytes);
        }
        let other = known % 12 + 1;
        ctx.lab
            .unsolicited_response(
                0,
                &controller,
                request_id,
                vec![ReadResult {
                    path: LEVEL,
                    status: StatusCode::Success,
                    value: Some(Value::Int(other)),
                }],
            )
            .map_err(Outcome::error)?;
        ctx.step(3);
        let fields = json!({"device": ctx.lab.addr(0).to_string(), "paths": [ENERGY.to_string()]});
        let energy = match ctx.ask("read", fields, Duration::ZERO).await? {
            Ok(answer) if answer["values"][0]["status"] == "success" => {
                from_json(&answer["values"][0]["value"]).map_err(|e| {
                    Outcome::fail(
                        req::HRT_CTL_020,
                        format!(
                            "`read` gave the fan's energy as {answer}, not a value of 08 §5 ({e})"
                        ),
                    )
                })?
            }
            Ok(answer) => {
                return Err(Outcome::fail(
                    req::HRT_CTL_015,
                    format!("the read of the fan's energy was answered {answer}"),
                ))
            }
            Err(e) => {
                return Err(Outcome::fail(
                    req::HRT_CTL_015,
                    format!(
                        "the controller did not carry out a read the fan admits: {} ({})",
                        e.message,
                        e.kind.name()
                    ),
                ))
            }
        };
        // The marker of HRT-CTL-040: the controller believes what the read answered.
        let why = format!(
            "the controller read the fan's energy {energy}, but `await` of it was not reached"
        );
        ctx.must_believe((0, ENERGY), &energy, req::HRT_CTL_013, why)
            .await?;
        ctx.step(4);
        ctx.still(
            0,
            known,
            &[req::HRT_MSG_084],
            &format!(
                "a read response of level {other} to request {request_id}, which it never sent"
            ),
        )
        .await
    })
}
