//! Broker URLs — `mqtt://host:port`, and `mqtts://host:port` for TLS — and the MQTT
//! connection options every Hearth client builds from one.
//!
//! TLS uses rustls with the `ring` provider (the one crypto library of the project) and the
//! Mozilla root certificates compiled in, so `mqtts://` works on a fresh machine without any
//! system setup; a private CA is added with `?ca=FILE` (PEM). Confidentiality is the broker
//! link's job (`spec/05-mqtt.md`); authenticity is Hearth's own, end to end.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// The largest remaining length an MQTT 3.1.1 packet can declare (§2.2.3): the client's
/// incoming limit, so that no packet the broker delivers is a protocol error. The memory for
/// one packet is bounded by the broker's own packet limit (HRT-MQTT-070 asks for at least
/// 71 680 bytes; the embedded broker's is [`MAX_PAYLOAD`](crate::broker::MAX_PAYLOAD)), not
/// by the client.
pub const MAX_INCOMING_PACKET: usize = 268_435_455;

/// Where a broker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to use TLS (`mqtts://`).
    pub tls: bool,
    /// A CA certificate file (PEM) to trust besides the built-in roots (`?ca=FILE`).
    pub ca: Option<PathBuf>,
}

/// Why a broker URL is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not `mqtt://host[:port]` or `mqtts://host[:port][?ca=FILE]`.
    #[error("`{0}` is not a broker URL (mqtt://host:port or mqtts://host:port?ca=FILE)")]
    Syntax(String),
    /// The TLS configuration could not be built (e.g. an unreadable CA file).
    #[error("TLS: {0}")]
    Tls(String),
}

impl BrokerUrl {
    /// A plain-TCP broker address.
    pub fn plain(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            tls: false,
            ca: None,
        }
    }

    /// The rustls client configuration: built-in roots plus the `ca` file, if any.
    pub fn tls_config(&self) -> Result<Arc<ClientConfig>, UrlError> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = &self.ca {
            let pem = std::fs::read(path)
                .map_err(|e| UrlError::Tls(format!("{}: {e}", path.display())))?;
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| UrlError::Tls(format!("{}: {e}", path.display())))?;
                roots
                    .add(cert)
                    .map_err(|e| UrlError::Tls(format!("{}: {e}", path.display())))?;
                added += 1;
            }
            if added == 0 {
                return Err(UrlError::Tls(format!(
                    "{}: no PEM certificate",
                    path.display()
                )));
            }
        }
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| UrlError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    /// A client and its event loop with `options` (from [`mqtt_options`](Self::mqtt_options))
    /// and a request queue of `cap`, its TCP connection without Nagle's algorithm: Hearth's
    /// messages are small requests and answers, which Nagle's algorithm and delayed
    /// acknowledgements would otherwise hold back some 40 ms each.
    pub fn client(options: MqttOptions, cap: usize) -> (rumqttc::AsyncClient, rumqttc::EventLoop) {
        let (client, mut eventloop) = rumqttc::AsyncClient::new(options, cap);
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        (client, eventloop)
    }

    /// MQTT options for a client of this broker: address, transport (TLS for `mqtts://`) and
    /// packet sizes. Outgoing, what Hearth needs; incoming, whatever the broker delivers
    /// ([`MAX_INCOMING_PACKET`]): rumqttc ends the connection on an incoming packet above its
    /// limit, so a lower one would let anybody who can publish to a client disconnect it
    /// with one large publish (HRT-MSG-105). The Hearth size limit is applied to each
    /// message after the packet has arrived, before anything parses it.
    pub fn mqtt_options(&self, client_id: impl Into<String>) -> Result<MqttOptions, UrlError> {
        let mut options = MqttOptions::new(client_id, self.host.clone(), self.port);
        options.set_max_packet_size(MAX_INCOMING_PACKET, crate::broker::MAX_PAYLOAD * 2);
        if self.tls {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                self.tls_config()?,
            )));
        }
        Ok(options)
    }
}

impl std::str::FromStr for BrokerUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (tls, rest) = if let Some(rest) = s.strip_prefix("mqtt://") {
            (false, rest)
        } else if let Some(rest) = s.strip_prefix("mqtts://") {
            (true, rest)
        } else if let Some(rest) = s.strip_prefix("tcp://") {
            (false, rest)
        } else {
            return Err(UrlError::Syntax(s.to_owned()));
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let mut ca = None;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("ca", path)) if tls && !path.is_empty() => ca = Some(PathBuf::from(path)),
                _ => return Err(UrlError::Syntax(s.to_owned())),
            }
        }
        let rest = rest.trim_end_matches('/');
        let default_port = if tls { 8883 } else { 1883 };
        let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| UrlError::Syntax(s.to_owned()))?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| UrlError::Syntax(s.to_owned()))?,
                None if after.is_empty() => default_port,
                None => return Err(UrlError::Syntax(s.to_owned())),
            };
            (host, port)
        } else {
            match rest.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| UrlError::Syntax(s.to_owned()))?),
                None => (rest, default_port),
            }
        };
        if host.is_empty() {
            return Err(UrlError::Syntax(s.to_owned()));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            tls,
            ca,
        })
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)?;
        }
        if let Some(ca) = &self.ca {
            write!(f, "?ca={}", ca.display())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        assert_eq!(
            "mqtt://127.0.0.1:1884".parse(),
            Ok(BrokerUrl::plain("127.0.0.1", 1884))
        );
        assert_eq!(
            "mqtt://broker".parse(),
            Ok(BrokerUrl::plain("broker", 1883))
        );
        assert_eq!(
            "mqtt://[::1]:1883".parse(),
            Ok(BrokerUrl::plain("::1", 1883))
        );
        assert_eq!(
            "mqtts://broker?ca=/etc/ca.pem".parse(),
            Ok(BrokerUrl {
                host: "broker".into(),
                port: 8883,
                tls: true,
                ca: Some("/etc/ca.pem".into())
            })
        );
        assert!("http://x".parse::<BrokerUrl>().is_err());
        assert!("mqtt://:1883".parse::<BrokerUrl>().is_err());
        assert!(
            "mqtt://x?ca=/a.pem".parse::<BrokerUrl>().is_err(),
            "a CA without TLS is a mistake"
        );
        assert!("mqtts://x?cafile=/a.pem".parse::<BrokerUrl>().is_err());
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "mqtt://127.0.0.1:1884",
            "mqtts://[::1]:8883",
            "mqtts://b:8883?ca=/tmp/ca.pem",
        ] {
            let url: BrokerUrl = s.parse().expect("parses");
            assert_eq!(url.to_string(), s);
        }
    }

    #[test]
    fn a_missing_ca_file_is_a_clear_error() {
        let url: BrokerUrl = "mqtts://b?ca=/nonexistent/ca.pem".parse().expect("parses");
        assert!(matches!(url.mqtt_options("x"), Err(UrlError::Tls(_))));
    }

    #[test]
    fn tls_options_build_with_the_built_in_roots() {
        let url: BrokerUrl = "mqtts://broker.example:8883".parse().expect("parses");
        assert!(url.mqtt_options("x").is_ok());
    }
}
