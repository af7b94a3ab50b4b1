//! Flags that several subcommands share, each defined once with its help text (clap's
//! `#[command(flatten)]`): the broker, the PKI folder, machine-readable output and parameter
//! overrides. A subcommand flattens the groups it takes and resolves what the flag means for
//! it (a default broker, a PKI that is required) through the methods here, so the same flag
//! has the same spelling, help and error message everywhere.

use std::path::{Path, PathBuf};

use hearth_mqtt::BrokerUrl;

use crate::exit::usage;

/// The broker on the local machine, where a command that talks to one has no other.
pub(crate) const LOCAL_BROKER: &str = "mqtt://127.0.0.1:1883";

/// `--broker URL`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Broker {
    /// The MQTT broker: `mqtt://host:port`, or `mqtts://host:port?ca=FILE` for TLS.
    #[arg(long, value_name = "URL")]
    pub(crate) broker: Option<BrokerUrl>,
}

impl Broker {
    /// The broker given, or the one on the local machine.
    pub(crate) fn or_local(&self) -> anyhow::Result<BrokerUrl> {
        match &self.broker {
            Some(url) => Ok(url.clone()),
            None => Ok(LOCAL_BROKER.parse()?),
        }
    }

    /// The broker given, or a usage error saying the command needs one.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))] // only `hearth sim` needs one
    pub(crate) fn required(&self) -> anyhow::Result<BrokerUrl> {
        self.broker
            .clone()
            .ok_or_else(|| usage(format!("--broker URL is needed (e.g. {LOCAL_BROKER})")))
    }
}

/// `--pki DIR`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Pki {
    /// A PKI folder made by `hearth pki init`: root, vendor, lab and controller credentials.
    #[arg(long, value_name = "DIR")]
    pub(crate) pki: Option<PathBuf>,
}

impl Pki {
    /// The folder given, which exists; else a usage error saying the command needs one, or
    /// an error saying it is missing, each with how to make it.
    pub(crate) fn required(&self) -> anyhow::Result<&Path> {
        let dir = self.pki.as_deref().ok_or_else(|| {
            usage("--pki DIR is needed: a folder made by `hearth pki init --dir DIR`")
        })?;
        existing(dir)?;
        Ok(dir)
    }
}

/// `dir` if it is a folder; else one error that says so and how to make one.
pub(crate) fn existing(dir: &Path) -> anyhow::Result<&Path> {
    if dir.is_dir() {
        return Ok(dir);
    }
    let what = if dir.exists() {
        "is not a folder"
    } else {
        "does not exist"
    };
    anyhow::bail!(
        "--pki {0}: the folder {what}; make a test PKI there with `hearth pki init --dir {0}`",
        dir.display()
    )
}

/// `--json`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub(crate) struct Json {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

/// `--param name=value`, repeatable.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Params {
    /// Override a parameter of the suite, `name=value` (repeatable; spec 06 §3.7).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub(crate) params: Vec<(String, String)>,
}

/// `name=value`.
fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("`{s}` is not name=value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_name_value_pairs() {
        assert_eq!(
            parse_param(" response_timeout = 2s"),
            Ok(("response_timeout".into(), "2s".into()))
        );
        assert!(parse_param("response_timeout").is_err());
    }

    #[test]
    fn missing_flags_say_what_is_needed() {
        let none = Broker { broker: None };
        assert_eq!(
            none.or_local().map(|u| u.to_string()).ok(),
            Some(LOCAL_BROKER.into())
        );
        assert!(none.required().is_err());
        let pki = Pki { pki: None };
        let err = pki.required().map(Path::to_path_buf).unwrap_err();
        assert!(err.to_string().contains("hearth pki init"), "{err}");
        assert_eq!(
            crate::exit::of_error(&err),
            std::process::ExitCode::from(crate::exit::USAGE)
        );
        let pki = Pki {
            pki: Some("no/such/pki".into()),
        };
        let err = pki.required().map(Path::to_path_buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--pki no/such/pki: the folder does not exist; make a test PKI there with \
             `hearth pki init --dir no/such/pki`"
        );
    }
}
