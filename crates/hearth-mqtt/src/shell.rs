//! What the Device and Controller shells share: building the MQTT client, and carrying out
//! the transmits a core hands out.

use std::time::Duration;

use hearth_node::{AckToken, Transmit};
use rumqttc::{AsyncClient, ClientError, EventLoop, QoS, SubscribeFilter};

use crate::url::{BrokerUrl, UrlError};

/// How many requests the client queues towards its event loop.
const CLIENT_QUEUE: usize = 4096;

/// A client and its event loop for `broker`.
pub(crate) fn client(
    broker: &BrokerUrl,
    client_id: String,
    keep_alive: Duration,
    clean_session: bool,
) -> Result<(AsyncClient, EventLoop), UrlError> {
    let mut options = broker.mqtt_options(client_id)?;
    options.set_keep_alive(keep_alive);
    options.set_clean_session(clean_session);
    Ok(AsyncClient::new(options, CLIENT_QUEUE))
}

/// What carrying out a transmit came to.
pub(crate) enum Carried {
    /// A publish the client took, with its ack token if it is a kept event.
    Published(Option<AckToken>),
    /// A publish the client refused.
    Refused(ClientError),
    /// A subscription or a disconnect.
    Other,
}

/// Hand one transmit of a core to the client (QoS 1 throughout), without waiting.
pub(crate) fn carry_out(client: &AsyncClient, transmit: Transmit) -> Carried {
    match transmit {
        Transmit::Publish(p) => {
            match client.try_publish(&p.topic, QoS::AtLeastOnce, p.retain, p.payload) {
                Ok(()) => Carried::Published(p.ack),
                Err(err) => {
                    tracing::warn!("publish to {}: {err}", p.topic);
                    Carried::Refused(err)
                }
            }
        }
        Transmit::Subscribe(filters) => {
            let filters = filters
                .into_iter()
                .map(|f| SubscribeFilter::new(f, QoS::AtLeastOnce));
            if let Err(err) = client.try_subscribe_many(filters) {
                tracing::error!("subscribe: {err}");
            }
            Carried::Other
        }
        Transmit::Disconnect => {
            let _ = client.try_disconnect();
            Carried::Other
        }
    }
}

/// How long until `due`, seen from `now`; `None` when nothing is due ever.
pub(crate) fn until(due: Option<hearth_node::Time>, now: hearth_node::Time) -> Option<Duration> {
    due.map(|t| t.since(now))
}

/// Sleep for `wait`, or forever when there is nothing to wait for.
pub(crate) async fn sleep(wait: Option<Duration>) {
    match wait {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}
