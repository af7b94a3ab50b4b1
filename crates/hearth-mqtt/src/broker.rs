//! The embedded broker: rumqttd in-process, for zero-setup use and tests.
//!
//! [`EmbeddedBroker::start`] binds a loopback (or chosen) address — port 0 picks a free one —
//! and runs the broker on its own threads for the rest of the process. It speaks MQTT 3.1.1
//! with retained messages and wills, which is all the binding requires. Clients reach it
//! through a [`relay`](crate::relay) on that address, which keeps the broker's small
//! segments from waiting on delayed acknowledgements; the broker itself listens on another
//! loopback port.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

use crate::url::BrokerUrl;

/// Largest MQTT payload the embedded broker accepts: a maximal Hearth message plus headroom.
pub const MAX_PAYLOAD: usize = 70 * 1024;

/// Why the broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The broker did not accept connections in time.
    #[error("the embedded broker did not come up on {0}")]
    NotReady(SocketAddr),
}

/// Accept connections on `front` for the rest of the process and relay each to the broker
/// on `inner`.
fn relay_to(front: TcpListener, inner: SocketAddr) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(r) => r,
        Err(err) => {
            tracing::error!("embedded broker relay: {err}");
            return;
        }
    };
    runtime.block_on(async move {
        let front = match tokio::net::TcpListener::from_std(front) {
            Ok(l) => l,
            Err(err) => {
                tracing::error!("embedded broker relay: {err}");
                return;
            }
        };
        loop {
            let Ok((client, _)) = front.accept().await else {
                // Out of descriptors or similar: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            tokio::spawn(async move {
                if let Ok(broker) = tokio::net::TcpStream::connect(inner).await {
                    crate::relay::pipe(client, broker).await;
                }
            });
        }
    });
}

/// A running in-process broker.
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
}

impl EmbeddedBroker {
    /// Start a broker on `addr` (e.g. `127.0.0.1:0` for a free loopback port) and wait until it
    /// accepts connections.
    pub fn start(addr: SocketAddr) -> Result<Self, BrokerError> {
        let front = TcpListener::bind(addr).map_err(|source| BrokerError::Bind { addr, source })?;
        let addr = front
            .local_addr()
            .map_err(|source| BrokerError::Bind { addr, source })?;
        // rumqttd does not report the port it bound; reserve a free one first.
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let inner = TcpListener::bind(loopback)
            .and_then(|l| l.local_addr())
            .map_err(|source| BrokerError::Bind {
                addr: loopback,
                source,
            })?;
        let connections = ConnectionSettings {
            connection_timeout_ms: 10_000,
            max_payload_size: MAX_PAYLOAD,
            max_inflight_count: 500,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        };
        let server = ServerSettings {
            name: "hearth-v4".into(),
            listen: inner,
            tls: None,
            next_connection_delay_ms: 0,
            connections,
        };
        let config = Config {
            id: 0,
            router: RouterConfig {
                max_connections: 20_000,
                max_outgoing_packet_count: 1000,
                max_segment_size: 100 * 1024 * 1024,
                max_segment_count: 10,
                custom_segment: None,
                initialized_filters: None,
                shared_subscriptions_strategy: Default::default(),
            },
            v4: Some(HashMap::from([("hearth".to_owned(), server)])),
            v5: None,
            ws: None,
            cluster: None,
            console: None,
            bridge: None,
            prometheus: None,
            metrics: None,
        };
        let mut broker = Broker::new(config);
        std::thread::Builder::new()
            .name("hearth-broker".into())
            .spawn(move || {
                if let Err(err) = broker.start() {
                    tracing::error!("embedded broker stopped: {err}");
                }
            })
            .map_err(|source| BrokerError::Bind { addr, source })?;
        let mut up = false;
        for _ in 0..200 {
            if std::net::TcpStream::connect_timeout(&inner, Duration::from_millis(50)).is_ok() {
                up = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !up {
            return Err(BrokerError::NotReady(addr));
        }
        front
            .set_nonblocking(true)
            .map_err(|source| BrokerError::Bind { addr, source })?;
        std::thread::Builder::new()
            .name("hearth-broker-relay".into())
            .spawn(move || relay_to(front, inner))
            .map_err(|source| BrokerError::Bind { addr, source })?;
        Ok(Self { addr })
    }

    /// Start on a free loopback port.
    pub fn start_local() -> Result<Self, BrokerError> {
        Self::start(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL clients connect to.
    pub fn url(&self) -> BrokerUrl {
        BrokerUrl::plain(self.addr.ip().to_string(), self.addr.port())
    }
}
