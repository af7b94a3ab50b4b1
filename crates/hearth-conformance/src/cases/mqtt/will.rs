//! TC-MQTT-2.x, the will: when the device loses power, the broker announces it offline
//! with the signed status the device left with it.

use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, Message};

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::wait;
use crate::ics::RestartMethod;
use crate::probe::Seen;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MQTT-2.1
    WILL: "TC-MQTT-2.1",
    title: "When the device loses power, the broker announces it offline with its signed will",
    checks: [
        HRT_MQTT_030,
        HRT_MQTT_031,
    ],
    steps: [
        "Cut the device's power as the ICS describes (a restart with power loss).",
        "Expect a signed offline status with the old boot id before the device is back.",
        "Wait for the device to be online again.",
    ],
    applies: |ctx| {
        if ctx.ics.restart.method != RestartMethod::None && !ctx.ics.restart.power_loss {
            return Err(
                "the ICS restart is orderly, not a power loss: no will is published".into(),
            );
        }
        wait::restartable(ctx)
    },
    run: will,
}

async fn will(ctx: &mut Ctx) -> CaseResult {
    let old_boot = wait::boot_id(ctx);
    ctx.probe.clear_seen();
    ctx.step(1);
    wait::request_restart(ctx, true).await?;
    ctx.step(2);
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
                Err(Outcome::fail(
                    req::HRT_MQTT_030,
                    "the offline status names another boot than the one that went down",
                ))
            } else {
                Ok(())
            }
        }
        Some(Seen {
            message: Err(r), ..
        }) => Err(r.fail("the will")),
        Some(Seen { seq, .. }) => Err(Outcome::fail(
            req::HRT_MQTT_030,
            "the device came back online without the broker ever announcing it offline",
        )
        .with_evidence([seq])),
        None => Err(Outcome::fail(
            req::HRT_MQTT_030,
            format!("no status at all within {limit:?} of the power loss"),
        )),
    };
    ctx.step(3);
    let _ = wait::status(ctx, limit, Availability::Online).await;
    outcome
}
