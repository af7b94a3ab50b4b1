//! TC-MQTT-5.x, the session: the device connects with the client identifier the binding
//! gives it and a clean session.

use std::time::Duration;

use hearth_wire::Availability;

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::harness::wait;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MQTT-5.1
    CLIENT_ID: "TC-MQTT-5.1",
    title: "The device connects with the client identifier hd-{vendor}-{device} and a clean session",
    checks: [
        HRT_MQTT_020,
        HRT_MQTT_023,
    ],
    steps: [
        "Connect a second client to the broker with the client identifier hd-{vendor}-{device} and Clean Session 0, then disconnect it: the broker closes the device's connection if it uses that identifier, and reports no stored session if the device connected with Clean Session 1.",
        "Expect the device to connect again and publish its online status again within the restart timeout.",
    ],
    applies: always,
    run: client_id,
}

async fn client_id(ctx: &mut Ctx) -> CaseResult {
    use rumqttc::{Event, Packet};
    let broker = ctx.broker()?;
    let id = format!(
        "hd-{:04x}-{}",
        ctx.description.vendor_id, ctx.description.device_id
    );
    ctx.probe.clear_seen();
    ctx.step_with(1, &id);
    let mut options = broker
        .mqtt_options(id.clone())
        .map_err(|e| Outcome::error(format!("broker parameter: {e}")))?;
    options.set_keep_alive(Duration::from_secs(5));
    // Clean Session 0: the CONNACK then says whether the broker kept a session for this
    // identifier, which it does only for a client that connected with Clean Session 0. The
    // device's next connection, with Clean Session 1, discards the session made here.
    options.set_clean_session(false);
    let (client, mut eventloop) = hearth_mqtt::BrokerUrl::client(options, 10);
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
        Ok(Err(e)) => return Err(Outcome::error(format!("connecting as {id}: {e}"))),
        Err(_) => {
            return Err(Outcome::error(format!(
                "no CONNACK for {id} within {timeout:?}"
            )))
        }
    };
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(timeout, async { while eventloop.poll().await.is_ok() {} }).await;
    ctx.probe
        .note(format!("connected and disconnected as {id}"));
    ctx.step(2);
    let limit = ctx.params.restart_timeout;
    if wait::status(ctx, limit, Availability::Online)
        .await
        .is_none()
    {
        return Err(Outcome::fail(
            req::HRT_MQTT_020,
            format!(
                "no new online status within {limit:?} after another client took the identifier {id}: the device does not use it"
            ),
        ));
    }
    if session_present {
        return Err(Outcome::fail(
            req::HRT_MQTT_023,
            format!(
                "the broker had kept a session for {id}: the device connected with Clean Session 0"
            ),
        ));
    }
    Ok(())
}
