//! The embedded broker: rumqttd in-process, for zero-setup use and tests.
//!
//! [`EmbeddedBroker::start`] binds a loopback (or chosen) address — port 0 picks a free one —
//! and runs the broker on its own threads for the rest of the process. It speaks MQTT 3.1.1
//! with retained messages and wills, which is all the binding requires.

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

/// A running in-process broker.
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
}

impl EmbeddedBroker {
    /// Start a broker on `addr` (e.g. `127.0.0.1:0` for a free loopback port) and wait until it
    /// accepts connections.
    pub fn start(addr: SocketAddr) -> Result<Self, BrokerError> {
        let addr = if addr.port() == 0 {
            // rumqttd does not report the port it bound; reserve a free one first.
            let probe =
                TcpListener::bind(addr).map_err(|source| BrokerError::Bind { addr, source })?;
            probe
                .local_addr()
                .map_err(|source| BrokerError::Bind { addr, source })?
        } else {
            TcpListener::bind(addr).map_err(|source| BrokerError::Bind { addr, source })?;
            addr
        };
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
            listen: addr,
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
        for _ in 0..200 {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)).is_ok() {
                return Ok(Self { addr });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(BrokerError::NotReady(addr))
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
