//! The MQTT binding: retained description and status, the will.

use hearth_mqtt::topic::Channel;
use hearth_mqtt::BrokerUrl;
use hearth_wire::{Availability, Body, Message};

use crate::case::{always, Case};
use crate::cases::{case_fn, try_outcome};
use crate::ics::RestartMethod;
use crate::probe::Seen;
use crate::requirements::req;
use crate::verdict::Outcome;

/// The broker the run uses, from the parameters.
fn broker_of(ctx: &crate::case::Ctx) -> Result<BrokerUrl, Outcome> {
    ctx.params
        .broker
        .parse::<BrokerUrl>()
        .map_err(|e| Outcome::error(format!("broker parameter: {e}")))
}

/// TC-MQTT-1.1
pub(crate) const RETAINED: Case = Case {
    id: "TC-MQTT-1.1",
    title: "The description and the status are retained",
    requirements: &[req::HRT_MQTT_006, req::HRT_MQTT_015],
    steps: &[
        "Before any test case runs, watch for the description under every vendor level: one that arrives only with the vendor id spelt otherwise than as four lower-case hexadecimal digits fails HRT-MQTT-006.",
        "Open a fresh subscription to the device's description topic; expect a retained message.",
        "Open a fresh subscription to the device's status topic; expect a retained message.",
    ],
    applies: always,
    run: retained,
};

case_fn!(retained, |ctx| {
    let broker = try_outcome!(broker_of(ctx));
    let window = ctx.params.silence_window;
    for (channel, name) in [(Channel::Desc, "description"), (Channel::Status, "status")] {
        ctx.step_text(format!(
            "Open a fresh subscription to the device's {name} topic; expect a retained message."
        ));
        match ctx.probe.retained(&broker, channel, window).await {
            Ok(true) => {}
            Ok(false) => {
                return Outcome::fail(
                    "HRT-MQTT-015",
                    format!("a new subscriber gets no retained {name} within {window:?}"),
                )
            }
            Err(e) => return Outcome::error(e.to_string()),
        }
    }
    Outcome::pass()
});

/// TC-MQTT-2.1
pub(crate) const WILL: Case = Case {
    id: "TC-MQTT-2.1",
    title: "When the device loses power, the broker announces it offline with its signed will",
    requirements: &[req::HRT_MQTT_030, req::HRT_MQTT_031],
    steps: &[
        "Cut the device's power as the ICS describes (a restart with power loss).",
        "Expect a signed offline status with the old boot id before the device is back.",
        "Wait for the device to be online again.",
    ],
    applies: |ctx| match ctx.ics.restart.method {
        RestartMethod::None => Err("the ICS says the device cannot be restarted by the lab".into()),
        _ if !ctx.ics.restart.power_loss => {
            Err("the ICS restart is orderly, not a power loss: no will is published".into())
        }
        _ if ctx.restarter.is_none() => Err("this run has no way to restart the device".into()),
        _ => Ok(()),
    },
    run: will,
};

case_fn!(will, |ctx| {
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
    ctx.step_text("Cut the device's power as the ICS describes (a restart with power loss).");
    let Some(restarter) = ctx.restarter.as_ref() else {
        return Outcome::not_applicable("no restart available");
    };
    try_outcome!(restarter
        .restart(true)
        .await
        .map_err(|why| Outcome::error(format!("the restart failed: {why}"))));
    ctx.step_text("Expect a signed offline status with the old boot id before the device is back.");
    let limit = ctx.params.restart_timeout;
    let first = ctx
        .probe
        .wait_for(limit, |s| s.channel == Channel::Status)
        .await;
    let outcome = match first {
        Some(Seen {
            message:
                Ok(Message {
                    body: Body::Status(st),
                    ..
                }),
            ..
        }) if st.availability == Availability::Offline => {
            if old_boot.is_some_and(|b| b != st.boot_id) {
                Outcome::fail(
                    "HRT-MQTT-030",
                    "the offline status names another boot than the one that went down",
                )
            } else {
                Outcome::pass()
            }
        }
        Some(Seen {
            seq,
            message: Err(crate::probe::Rejection { why, id: req, .. }),
            ..
        }) => Outcome::fail(req, format!("the will did not open: {why}")).with_evidence([seq]),
        Some(Seen { seq, .. }) => Outcome::fail(
            "HRT-MQTT-030",
            "the device came back online without the broker ever announcing it offline",
        )
        .with_evidence([seq]),
        None => Outcome::fail(
            "HRT-MQTT-030",
            format!("no status at all within {limit:?} of the power loss"),
        ),
    };
    ctx.step_text("Wait for the device to be online again.");
    let _ = ctx
        .probe
        .wait_for(limit, |s| matches!(&s.message, Ok(Message { body: Body::Status(st), .. }) if st.availability == Availability::Online))
        .await;
    outcome
});
