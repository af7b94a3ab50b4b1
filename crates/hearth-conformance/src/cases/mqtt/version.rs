//! TC-MQTT-6.x, the MQTT version: the device needs nothing beyond MQTT 3.1.1, from the
//! broker or from its peers.

use std::time::Duration;

use hearth_model::Path;
use hearth_mqtt::BrokerUrl;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::verdict::Outcome;

/// What a broker answered to an MQTT 5 CONNECT.
#[derive(Debug, PartialEq, Eq)]
enum Mqtt5 {
    /// An MQTT 5 CONNACK, whatever its reason code: the broker implements MQTT 5.
    Spoken,
    /// A 3.1.1 CONNACK (return code 1: unacceptable protocol level) or a closed connection.
    Refused,
}

/// An MQTT 5 CONNECT (clean start, keep-alive 60 s, no properties) for `client_id`.
fn connect_v5(client_id: &str) -> Vec<u8> {
    let id = client_id.as_bytes();
    let id_len = u16::try_from(id.len()).unwrap_or(0);
    let mut body = vec![
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C, 0x00,
    ];
    body.extend_from_slice(&id_len.to_be_bytes());
    body.extend_from_slice(&id[..usize::from(id_len)]);
    let mut packet = vec![0x10];
    // Remaining length as a variable byte integer (the packet is far below 128 × 128).
    let len = body.len();
    if len < 128 {
        packet.push(u8::try_from(len).unwrap_or(0));
    } else {
        packet.push(u8::try_from(len % 128).unwrap_or(0) | 0x80);
        packet.push(u8::try_from(len / 128).unwrap_or(0));
    }
    packet.extend_from_slice(&body);
    packet
}

/// Classify the first bytes a broker sent back.
fn classify(reply: &[u8]) -> Mqtt5 {
    match reply {
        // A 3.1.1 CONNACK has exactly two bytes of variable header; an MQTT 5 CONNACK has a
        // properties length after the reason code, so at least three.
        [0x20, len, ..] if *len >= 3 => Mqtt5::Spoken,
        _ => Mqtt5::Refused,
    }
}

/// Offer the broker an MQTT 5 CONNECT over plain TCP and see what it answers.
async fn probe_mqtt5(broker: &BrokerUrl, timeout: Duration) -> Result<Mqtt5, String> {
    let addr = format!("{}:{}", broker.host, broker.port);
    let mut stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&addr))
        .await
        .map_err(|_| format!("connecting to {addr} timed out"))?
        .map_err(|e| format!("connecting to {addr}: {e}"))?;
    stream
        .write_all(&connect_v5("hearth-suite-mqtt5-probe"))
        .await
        .map_err(|e| format!("writing to {addr}: {e}"))?;
    let mut reply = [0u8; 8];
    let n = match tokio::time::timeout(timeout, stream.read(&mut reply)).await {
        Ok(Ok(n)) => n,
        // Reset or silence: the broker did not take the CONNECT.
        Ok(Err(_)) | Err(_) => 0,
    };
    Ok(classify(&reply[..n]))
}

test_case! {
    /// TC-MQTT-6.1
    MQTT_311_ONLY: "TC-MQTT-6.1",
    title: "The device needs nothing beyond MQTT 3.1.1, from the broker or from its peers",
    checks: [
        HRT_MQTT_001,
        HRT_MQTT_002,
    ],
    steps: [
        "The suite is an MQTT 3.1.1 client that sends no MQTT 5 property: read a property, which must be answered.",
        "Offer the run's broker an MQTT 5 CONNECT: a broker that implements 3.1.1 only refuses it, and the device, which published its description and status and answered through that broker, then needs nothing beyond 3.1.1. A broker that accepts it leaves the verdict inconclusive, with the advice to run against a broker that implements 3.1.1 only, such as `hearth broker`.",
    ],
    applies: always,
    run: mqtt_311_only(operator),
}

async fn mqtt_311_only(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    ctx.read(who, Path::new(0, 1, 4)).await?;
    ctx.step(2);
    let broker = ctx.broker()?;
    if broker.tls {
        return Err(Outcome::inconclusive(format!(
            "the broker {broker} is reached over TLS, and the suite offers MQTT 5 only over plain TCP: the device worked with an MQTT 3.1.1 client, but whether it needs MQTT 5 from the broker is not shown; run against a broker that implements 3.1.1 only, such as `hearth broker`"
        )));
    }
    let timeout = ctx.response_timeout();
    match probe_mqtt5(&broker, timeout).await.map_err(Outcome::error)? {
        Mqtt5::Refused => {
            ctx.probe.note(format!(
                "{broker} refused an MQTT 5 CONNECT: it implements MQTT 3.1.1 only"
            ));
            Ok(())
        }
        Mqtt5::Spoken => Err(Outcome::inconclusive(format!(
            "the broker {broker} accepts MQTT 5, so this run cannot show that the device needs nothing beyond 3.1.1 from it; run against a broker that implements 3.1.1 only, such as `hearth broker`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_packet_is_well_formed() {
        let p = connect_v5("abc");
        assert_eq!(p[0], 0x10);
        assert_eq!(usize::from(p[1]), p.len() - 2);
        assert_eq!(&p[2..9], &[0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05]);
        assert_eq!(&p[p.len() - 5..], &[0x00, 0x03, b'a', b'b', b'c']);
    }

    #[test]
    fn connacks_are_told_apart() {
        // 3.1.1: unacceptable protocol level.
        assert_eq!(classify(&[0x20, 0x02, 0x00, 0x01]), Mqtt5::Refused);
        // MQTT 5: success, and not authorized, both with a properties length.
        assert_eq!(classify(&[0x20, 0x03, 0x00, 0x00, 0x00]), Mqtt5::Spoken);
        assert_eq!(classify(&[0x20, 0x03, 0x00, 0x87, 0x00]), Mqtt5::Spoken);
        assert_eq!(classify(&[]), Mqtt5::Refused);
    }

    #[tokio::test]
    async fn the_embedded_broker_implements_311_only() {
        let broker = hearth_mqtt::EmbeddedBroker::start_local().expect("broker");
        let got = probe_mqtt5(&broker.url(), Duration::from_secs(5))
            .await
            .expect("probe");
        assert_eq!(got, Mqtt5::Refused);
    }
}
