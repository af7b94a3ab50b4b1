//! The controller conformance statement (`spec/08-controllers.md` §3): who the controller
//! is, its chain and root, and the agent command the suite starts. Paths are relative to the
//! statement's folder (HRT-CONF-018); every problem is named with its key, never a panic.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::ics::parse_duration;

/// The placeholders the suite replaces in the agent command (HRT-CTL-002).
pub const PLACEHOLDERS: [&str; 4] = ["{broker}", "{root}", "{trust}", "{state}"];

/// A controller's conformance statement, as read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerIcs {
    /// The controller id its certificate names.
    pub id: String,
    /// Its vendor's name.
    pub vendor: String,
    /// The product.
    pub product: String,
    /// Its firmware or software version.
    pub firmware: String,
    /// Its certificate chain file (leaf first), resolved against the statement's folder.
    pub chain: PathBuf,
    /// The root certificate its chain ends at, resolved likewise.
    pub root: PathBuf,
    /// The agent command, program first, placeholders not yet replaced.
    pub command: Vec<String>,
    /// Whether the suite may stop the agent and start it again within a run.
    pub restartable: bool,
    /// How long the suite waits for an answer of the agent or the controller.
    pub response_timeout: Duration,
    /// The statement exactly as read.
    pub text: String,
}

/// The default `response_timeout`.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    controller: RawController,
    agent: RawAgent,
    #[serde(default)]
    parameters: RawParameters,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawController {
    id: String,
    vendor: String,
    product: String,
    firmware: String,
    chain: PathBuf,
    root: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    command: Vec<String>,
    #[serde(default)]
    restartable: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawParameters {
    response_timeout: Option<String>,
}

impl ControllerIcs {
    /// Parse `text`, a statement in the folder `base` (HRT-CTL-001).
    ///
    /// # Errors
    ///
    /// What is missing or wrong, with the key.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        let raw: Raw = toml::from_str(text).map_err(|e| e.to_string())?;
        let c = raw.controller;
        if c.id.is_empty() {
            return Err("controller.id is empty".into());
        }
        if raw.agent.command.first().is_none_or(String::is_empty) {
            return Err("agent.command is empty: name the program that starts the agent".into());
        }
        let response_timeout = match raw.parameters.response_timeout.as_deref() {
            None => RESPONSE_TIMEOUT,
            Some(t) => {
                parse_duration(t).map_err(|e| format!("parameters.response_timeout: {e}"))?
            }
        };
        if response_timeout.is_zero() {
            return Err("parameters.response_timeout must be above zero".into());
        }
        Ok(Self {
            id: c.id,
            vendor: c.vendor,
            product: c.product,
            firmware: c.firmware,
            chain: base.join(c.chain),
            root: base.join(c.root),
            command: raw.agent.command,
            restartable: raw.agent.restartable,
            response_timeout,
            text: text.to_owned(),
        })
    }

    /// Read and parse the statement at `path`.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or [`parse`](Self::parse) fails; the message names the file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The agent command with the placeholders of HRT-CTL-002 replaced.
    pub fn command_for(&self, broker: &str, root: &str, trust: &Path, state: &Path) -> Vec<String> {
        let trust = trust.display().to_string();
        let state = state.display().to_string();
        self.command
            .iter()
            .map(|arg| {
                arg.replace("{broker}", broker)
                    .replace("{root}", root)
                    .replace("{trust}", &trust)
                    .replace("{state}", &state)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No argument of `cmd` still holds a placeholder.
    fn assert_no_placeholder(cmd: &[String]) {
        assert!(cmd
            .iter()
            .all(|a| PLACEHOLDERS.iter().all(|p| !a.contains(p))));
    }

    const EXAMPLE: &str = r#"
[controller]
id = "acme-hub-7"
vendor = "Acme"
product = "Hub 7"
firmware = "3.1.0"
chain = "bench/hub.chain"
root = "bench/acme-root.cert"

[agent]
command = ["hearth", "ctl", "--broker", "{broker}", "--root", "{root}", "--pki", "bench/hub", "--trust", "{trust}", "agent"]
restartable = true

[parameters]
response_timeout = "4s"
"#;

    /// HRT-CTL-001, HRT-CTL-002: the example of 08 §3.1 reads, with paths relative to its
    /// folder and every placeholder replaced.
    #[test]
    fn the_example_statement_reads() {
        let ics = ControllerIcs::parse(EXAMPLE, Path::new("/lab")).expect("parses");
        assert_eq!(ics.id, "acme-hub-7");
        assert_eq!(ics.chain, Path::new("/lab/bench/hub.chain"));
        assert!(ics.restartable);
        assert_eq!(ics.response_timeout, Duration::from_secs(4));
        let cmd = ics.command_for(
            "mqtt://127.0.0.1:1883",
            "hearth",
            Path::new("/t/root.cert"),
            Path::new("/s"),
        );
        assert_eq!(cmd[3], "mqtt://127.0.0.1:1883");
        assert_eq!(cmd[5], "hearth");
        assert_eq!(cmd[9], "/t/root.cert");
        assert_no_placeholder(&cmd);
    }

    /// HRT-CTL-002: every placeholder is replaced wherever it stands in an argument, as
    /// often as it stands there, and nothing else of the argument changes.
    #[test]
    fn every_placeholder_is_replaced_in_every_argument() {
        let text = EXAMPLE.replace(
            r#""agent"]"#,
            r#""agent", "--state={state}", "{root}/{root}", "{trust}{state}{broker}"]"#,
        );
        let ics = ControllerIcs::parse(&text, Path::new("/lab")).expect("parses");
        let cmd = ics.command_for(
            "mqtt://127.0.0.1:1883",
            "r",
            Path::new("/t/root.cert"),
            Path::new("/s"),
        );
        assert_eq!(
            &cmd[cmd.len() - 3..],
            ["--state=/s", "r/r", "/t/root.cert/smqtt://127.0.0.1:1883"]
        );
        assert_eq!(cmd[0], "hearth");
        assert_no_placeholder(&cmd);
    }

    #[test]
    fn what_is_wrong_is_named() {
        let without = |key: &str| {
            EXAMPLE
                .lines()
                .filter(|l| !l.starts_with(key))
                .collect::<Vec<_>>()
                .join("\n")
        };
        for key in ["id =", "chain =", "root =", "command ="] {
            assert!(
                ControllerIcs::parse(&without(key), Path::new(".")).is_err(),
                "{key}"
            );
        }
        let typo = EXAMPLE.replace("restartable", "restartible");
        assert!(ControllerIcs::parse(&typo, Path::new("."))
            .unwrap_err()
            .contains("restartible"));
        let empty = EXAMPLE.replace(r#"command = ["hearth""#, r#"command = [""#);
        assert!(ControllerIcs::parse(&empty, Path::new(".")).is_err());
        let bad = EXAMPLE.replace("\"4s\"", "\"four\"");
        assert!(ControllerIcs::parse(&bad, Path::new("."))
            .unwrap_err()
            .contains("response_timeout"));
    }
}
