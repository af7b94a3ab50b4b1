//! Broker URLs: `mqtt://host:port` (and `mqtts://` once TLS is enabled in this build).

use std::fmt;

/// Where a broker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Whether to use TLS (`mqtts://`).
    pub tls: bool,
}

/// Why a broker URL is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not `mqtt://host[:port]` or `mqtts://host[:port]`.
    #[error("`{0}` is not a broker URL (mqtt://host:port)")]
    Syntax(String),
    /// `mqtts://` is not supported by this build.
    #[error("`{0}`: TLS (mqtts://) is not supported by this build; use mqtt:// on a trusted link or a TLS-terminating proxy")]
    TlsUnsupported(String),
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
        if tls {
            return Err(UrlError::TlsUnsupported(s.to_owned()));
        }
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h.trim_start_matches('[').trim_end_matches(']'),
                p.parse().map_err(|_| UrlError::Syntax(s.to_owned()))?,
            ),
            _ => (rest, if tls { 8883 } else { 1883 }),
        };
        if host.is_empty() {
            return Err(UrlError::Syntax(s.to_owned()));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            tls,
        })
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        assert_eq!(
            "mqtt://127.0.0.1:1884".parse(),
            Ok(BrokerUrl {
                host: "127.0.0.1".into(),
                port: 1884,
                tls: false
            })
        );
        assert_eq!(
            "mqtt://broker".parse(),
            Ok(BrokerUrl {
                host: "broker".into(),
                port: 1883,
                tls: false
            })
        );
        assert_eq!(
            "mqtt://[::1]:1883".parse(),
            Ok(BrokerUrl {
                host: "::1".into(),
                port: 1883,
                tls: false
            })
        );
        assert!("http://x".parse::<BrokerUrl>().is_err());
        assert!("mqtt://:1883".parse::<BrokerUrl>().is_err());
        assert!(matches!(
            "mqtts://x".parse::<BrokerUrl>(),
            Err(UrlError::TlsUnsupported(_))
        ));
    }
}
