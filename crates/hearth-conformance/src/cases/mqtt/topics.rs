//! TC-MQTT-1.x, where the device publishes: its description and status retained, under the
//! vendor level spelt as the specification requires, below the topic root it was
//! configured with.

use hearth_mqtt::topic::{Channel, DEFAULT_ROOT};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MQTT-1.1
    RETAINED: "TC-MQTT-1.1",
    title: "The description and the status are retained",
    checks: [
        HRT_MQTT_006,
        HRT_MQTT_015,
    ],
    steps: [
        "Before any test case runs, watch for the description under every vendor level: one that arrives only with the vendor id spelt otherwise than as four lower-case hexadecimal digits fails HRT-MQTT-006.",
        "Open a fresh subscription to the device's description topic; expect a retained message.",
        "Open a fresh subscription to the device's status topic; expect a retained message.",
    ],
    applies: always,
    run: retained,
}

async fn retained(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let broker = ctx.broker()?;
    let window = ctx.params.silence_window;
    ctx.step(2);
    retained_on(ctx, &broker, (Channel::Desc, "description"), window).await?;
    ctx.step(3);
    retained_on(ctx, &broker, (Channel::Status, "status"), window).await
}

/// A fresh subscription to the device's `channel` (named `name`) must get a retained
/// message within `window`.
async fn retained_on(
    ctx: &mut Ctx,
    broker: &hearth_mqtt::BrokerUrl,
    (channel, name): (Channel, &str),
    window: std::time::Duration,
) -> Result<(), Outcome> {
    if ctx.probe.retained(broker, channel, window).await? {
        return Ok(());
    }
    Err(Outcome::fail(
        req::HRT_MQTT_015,
        format!("a new subscriber gets no retained {name} within {window:?}"),
    ))
}

test_case! {
    /// TC-MQTT-1.2
    CONFIGURED_ROOT: "TC-MQTT-1.2",
    title: "The device lives under the topic root it was configured with",
    checks: [
        HRT_MQTT_003,
    ],
    steps: [
        "Before any test case, the suite looks for the device's retained description under the root the ICS names; when it is not there but under the default root hearth/1, the run cannot start and this case fails.",
        "Read a property under the configured root: it must be answered.",
    ],
    applies: |ctx| {
        if ctx.params.topic_root == DEFAULT_ROOT {
            Err(format!("the ICS names the default root {DEFAULT_ROOT}; configure the device and the ICS (topic_root) with another root to check that the root can be configured"))
        } else {
            Ok(())
        }
    },
    run: configured_root(operator),
}

async fn configured_root(ctx: &mut Ctx, who: usize) -> CaseResult {
    let root = ctx.params.topic_root.clone();
    ctx.step_with(
        1,
        format!("the description and online status arrived under {root}"),
    );
    ctx.step(2);
    ctx.read(who, hearth_model::Path::new(0, 1, 4))
        .await
        .map(drop)
}
