//! The implementation conformance statement (ICS) of `spec/06-conformance.md` §3: the TOML
//! document in which a vendor declares what a device implements and what a lab may do with it.
//!
//! [`Ics::parse`] reads the document and checks its form: unknown tables and keys are
//! rejected (HRT-CONF-001), and every rule of §3 that needs no catalog and no device is
//! checked, each problem naming its key and the requirement it breaks (HRT-CONF-002). Whether
//! the names exist in the catalog, and whether the claims match the device's description
//! (§4), is decided later, against the catalog and the description.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use hearth_model::catalog::Catalog;
use hearth_model::CapabilityInstance;
use hearth_report::trace::TraceLevel;
use serde::{Deserialize, Serialize};

/// A parsed and form-checked ICS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ics {
    /// The device under test (`[device]`).
    pub device: Device,
    /// For each component id, the capability instances claimed: capability (catalog name or
    /// `0x` id) → optional members implemented (`[components.N]`).
    pub components: BTreeMap<u16, BTreeMap<String, Vec<String>>>,
    /// Optional behaviours (`[features]`).
    pub features: Features,
    /// What the suite may make the appliance do (`[actuation]`).
    pub actuation: Actuation,
    /// How the device is restarted (`[restart]`).
    pub restart: Restart,
    /// The run's parameters (`[parameters]`), defaults applied.
    pub parameters: Parameters,
    /// The controllers the lab provisioned (`[[controllers]]`).
    pub controllers: Vec<Controller>,
    /// A certificate authority the device trusts and whose key the lab holds
    /// (`[authority]`): with it the suite issues the certificates that chain, revocation and
    /// access-control cases need.
    pub authority: Option<Authority>,
    /// Whether and how the device is commissioned (`[commissioning]`).
    pub commissioning: Commissioning,
}

/// How the suite opens a commissioning window on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowOpener {
    /// The operator takes the local action that opens a basic window (HRT-COM-022).
    Button,
    /// A controller of the ICS holding `manage` asks for an enhanced window (HRT-COM-023).
    Manage,
}

/// The `[commissioning]` table (`spec/06-conformance.md` §3.10): whether the device is
/// commissioned as `spec/07-commissioning.md` specifies, how the suite opens a window, the
/// setup code printed on it, and whether an operator may reset it to factory-new.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Commissioning {
    /// The device implements commissioning.
    pub supported: bool,
    /// How the suite may open a window: any of `button` and `manage`.
    pub window: Vec<WindowOpener>,
    /// The setup code printed on the appliance: its QR text or its manual code.
    pub setup_code: Option<String>,
    /// The suite may ask the operator to reset the device to factory-new.
    pub factory_reset: bool,
}

impl Commissioning {
    /// The setup code, parsed (the form was checked when the ICS was).
    pub fn setup(&self) -> Option<hearth_model::setup::SetupCode> {
        let text = self.setup_code.as_deref()?;
        hearth_model::setup::SetupCode::parse(text).ok()
    }

    /// Whether the suite may open a window by `opener`.
    pub fn opens_by(&self, opener: WindowOpener) -> bool {
        self.supported && self.window.contains(&opener)
    }
}

/// The `[device]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// Vendor id as four lower-case hexadecimal digits.
    pub vendor: String,
    /// Device id.
    pub id: String,
    /// Catalog name of the device type.
    #[serde(rename = "type")]
    pub device_type: String,
    /// Vendor name as `device-info` reports it.
    pub vendor_name: String,
    /// Model as `device-info` reports it.
    pub model: String,
    /// Firmware version as `device-info` reports it.
    pub firmware: String,
}

/// The algorithm of the device's key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// EdDSA with Ed25519.
    #[default]
    Ed25519,
    /// ECDSA with P-256 and SHA-256.
    Es256,
}

/// The `[features]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// The algorithm of the device's own key.
    pub algorithm: Algorithm,
    /// The device answers refused requests with `unauthorized` (HRT-SEC-132).
    pub unauthorized_response: bool,
    /// The device persists the replay windows of privileged senders (HRT-SEC-103).
    pub persistent_replay_windows: bool,
    /// How many events the device keeps while disconnected (HRT-MQTT-035).
    pub event_store: u32,
    /// The device connects to the broker over TLS (HRT-MQTT-073).
    pub tls: bool,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::Ed25519,
            unauthorized_response: false,
            persistent_replay_windows: false,
            event_store: 32,
            tls: true,
        }
    }
}

/// The `[actuation]` table: every flag defaults to `false` (HRT-CONF-007).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Actuation {
    /// Switch the appliance on and off.
    pub power: bool,
    /// Write setpoints within the declared range.
    pub setpoints: bool,
    /// Change the mode or programme.
    pub modes: bool,
    /// Write other read-write properties.
    pub settings: bool,
    /// Start a cycle, and stop it again.
    pub start_cycle: bool,
    /// Pause and resume a running cycle.
    pub pause_resume: bool,
    /// Ask an operator to open and close the door or lid.
    pub door: bool,
    /// Ask an operator to change a setting at the appliance's panel.
    pub panel: bool,
    /// Ask an operator to provoke a fault the appliance reports, and clear it.
    pub faults: bool,
    /// Ask an operator to cut the appliance's network connection for a while, and restore
    /// it.
    pub network: bool,
    /// Invoke actions of `firmware-update`.
    pub firmware_update: bool,
    /// Invoke actions of vendor capabilities.
    pub vendor_actions: bool,
}

/// How the suite restarts the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RestartMethod {
    /// The device cannot be restarted on request.
    #[default]
    None,
    /// The suite runs a command.
    Command,
    /// The suite asks the operator.
    Operator,
}

/// The `[restart]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Restart {
    /// How.
    pub method: RestartMethod,
    /// With [`RestartMethod::Command`]: the program and its arguments, run without a shell.
    pub command: Option<Vec<String>>,
    /// Whether the restart interrupts power.
    pub power_loss: bool,
}

/// The privilege an access-control list grants; in the ICS `"none"` (no privilege: trusted,
/// but not admitted by the list) is `None`.
pub use hearth_model::Privilege;

/// The ICS name of a privilege, or `none`.
pub fn privilege_name(p: Option<Privilege>) -> &'static str {
    p.map_or(hearth_model::privilege::or_none::NONE, Privilege::name)
}

/// One `[[controllers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// The controller's private key file.
    pub key: String,
    /// Its certificate chain file.
    pub chain: String,
    /// The privilege the device grants it (`none`: trusted, but not admitted).
    #[serde(with = "hearth_model::privilege::or_none")]
    pub privilege: Option<Privilege>,
}

/// The `[authority]` table: a vendor CA (or the trust anchor itself) under one of the
/// device's trust anchors, its key, and the privilege the device's access-control list
/// grants through a CA entry naming it (`spec/06-conformance.md` §3.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    /// The CA's private key file.
    pub key: String,
    /// The CA's certificate file.
    pub cert: String,
    /// The privilege of the CA entry in the device's access-control list (`view` or
    /// higher).
    #[serde(with = "hearth_model::privilege::or_none")]
    pub privilege: Option<Privilege>,
}

/// The run's parameters (`spec/06-conformance.md` §3.7), with their defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameters {
    /// Broker URL, or `embedded`.
    pub broker: String,
    /// The topic root.
    pub topic_root: String,
    /// File of the CA of the broker's TLS certificate.
    pub broker_ca: Option<String>,
    /// User name for the broker.
    pub broker_username: Option<String>,
    /// Name of the environment variable that holds the broker password.
    pub broker_password_env: Option<String>,
    /// File of the root certificate the device's chain leads to.
    pub trust: Option<String>,
    /// The largest MQTT packet the broker delivers, in bytes, the whole packet counted
    /// (HRT-MQTT-070, HRT-MQTT-071).
    pub broker_max_packet: usize,
    /// Wait for the device's description and status at the start.
    pub startup_timeout: Duration,
    /// Wait for a response.
    pub response_timeout: Duration,
    /// How late a report of a change may arrive.
    pub report_deadline: Duration,
    /// The broker's delivery time, added to every deadline the specification sets.
    pub latency_allowance: Duration,
    /// How long to watch for the absence of an answer.
    pub silence_window: Duration,
    /// How long to let the device settle after an actuation.
    pub settle_time: Duration,
    /// How long to wait for the operator.
    pub operator_timeout: Duration,
    /// How long to wait for a restarted device.
    pub restart_timeout: Duration,
    /// How long to wait for a cycle to reach a needed state.
    pub cycle_timeout: Duration,
    /// The longest a test case may take.
    pub test_timeout: Duration,
    /// The seed of every random choice; chosen at random when absent.
    pub seed: Option<u64>,
    /// How much of each message's bytes the report keeps.
    pub trace: TraceLevel,
}

impl Default for Parameters {
    fn default() -> Self {
        Self {
            broker: "embedded".into(),
            topic_root: "hearth/1".into(),
            broker_ca: None,
            broker_username: None,
            broker_password_env: None,
            trust: None,
            broker_max_packet: MIN_BROKER_PACKET,
            startup_timeout: Duration::from_secs(30),
            response_timeout: SPEC_RESPONSE_TIMEOUT,
            report_deadline: SPEC_REPORT_DEADLINE,
            latency_allowance: Duration::from_millis(500),
            silence_window: Duration::from_secs(3),
            settle_time: Duration::from_secs(2),
            operator_timeout: Duration::from_secs(120),
            restart_timeout: Duration::from_secs(120),
            cycle_timeout: Duration::from_secs(600),
            test_timeout: Duration::from_secs(300),
            seed: None,
            trace: TraceLevel::default(),
        }
    }
}

/// The smallest packet size limit a broker may have (HRT-MQTT-070), which the embedded broker
/// has: the default of `broker_max_packet`.
pub const MIN_BROKER_PACKET: usize = 71_680;

/// The largest MQTT packet there is: a remaining length of 268 435 455 bytes after a fixed
/// header of 5.
pub const MAX_MQTT_PACKET: usize = 268_435_460;

/// The response timeout the specification sets (HRT-MSG-095).
pub const SPEC_RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// The report deadline the specification sets (HRT-MSG-056).
pub const SPEC_REPORT_DEADLINE: Duration = Duration::from_secs(5);

impl Parameters {
    /// The name of every parameter, in the order of the chapter's table.
    pub const NAMES: &'static [&'static str] = &[
        "broker",
        "topic_root",
        "broker_ca",
        "broker_username",
        "broker_password_env",
        "trust",
        "broker_max_packet",
        "startup_timeout",
        "response_timeout",
        "report_deadline",
        "latency_allowance",
        "silence_window",
        "settle_time",
        "operator_timeout",
        "restart_timeout",
        "cycle_timeout",
        "test_timeout",
        "seed",
        "trace",
    ];

    /// Set the parameter `name` from its text form, as in the ICS or on the command line
    /// (`--param name=value`): durations as `250ms`, `5s` or `2m`, the seed as a decimal
    /// integer, the broker's packet size as a decimal number of bytes, everything else as
    /// given.
    ///
    /// # Errors
    ///
    /// When the name is unknown or the value invalid for it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), Problem> {
        let problem = |rule: String| Problem {
            key: format!("parameters.{name}"),
            rule,
        };
        let duration = || parse_duration(value).map_err(problem);
        let text = || {
            if value.is_empty() {
                Err(problem("must not be empty".into()))
            } else {
                Ok(value.to_owned())
            }
        };
        match name {
            "broker" => {
                check_broker(value).map_err(problem)?;
                self.broker = value.to_owned();
            }
            "topic_root" => {
                check_topic_root(value).map_err(problem)?;
                self.topic_root = value.to_owned();
            }
            "broker_ca" => self.broker_ca = Some(text()?),
            "broker_username" => self.broker_username = Some(text()?),
            "broker_password_env" => self.broker_password_env = Some(text()?),
            "trust" => self.trust = Some(text()?),
            "broker_max_packet" => {
                self.broker_max_packet = value
                    .parse()
                    .ok()
                    .filter(|n| (MIN_BROKER_PACKET..=MAX_MQTT_PACKET).contains(n))
                    .ok_or_else(|| {
                        problem(format!(
                            "the broker's packet size limit in bytes, a decimal integer from {MIN_BROKER_PACKET} (HRT-MQTT-070) to {MAX_MQTT_PACKET}"
                        ))
                    })?;
            }
            "startup_timeout" => self.startup_timeout = duration()?,
            "response_timeout" => self.response_timeout = duration()?,
            "report_deadline" => self.report_deadline = duration()?,
            "latency_allowance" => self.latency_allowance = duration()?,
            "silence_window" => self.silence_window = duration()?,
            "settle_time" => self.settle_time = duration()?,
            "operator_timeout" => self.operator_timeout = duration()?,
            "restart_timeout" => self.restart_timeout = duration()?,
            "cycle_timeout" => self.cycle_timeout = duration()?,
            "test_timeout" => self.test_timeout = duration()?,
            "seed" => {
                self.seed = Some(value.parse().map_err(|_| {
                    problem("the seed is an unsigned 64-bit decimal integer".into())
                })?);
            }
            "trace" => self.trace = value.parse().map_err(problem)?,
            _ => {
                return Err(problem(format!(
                    "unknown parameter; the parameters are {} (HRT-CONF-001)",
                    Self::NAMES.join(", ")
                )))
            }
        }
        Ok(())
    }

    /// Whether every parameter that carries a value set by the specification has that value
    /// (HRT-CONF-014): the response timeout and the report deadline.
    pub fn spec_values(&self) -> bool {
        self.response_timeout == SPEC_RESPONSE_TIMEOUT
            && self.report_deadline == SPEC_REPORT_DEADLINE
    }

    /// The duration parameters by name, in the order the statement and the report list them.
    #[must_use]
    pub fn durations(&self) -> [(&'static str, Duration); 10] {
        [
            ("startup_timeout", self.startup_timeout),
            ("response_timeout", self.response_timeout),
            ("report_deadline", self.report_deadline),
            ("latency_allowance", self.latency_allowance),
            ("silence_window", self.silence_window),
            ("settle_time", self.settle_time),
            ("operator_timeout", self.operator_timeout),
            ("restart_timeout", self.restart_timeout),
            ("cycle_timeout", self.cycle_timeout),
            ("test_timeout", self.test_timeout),
        ]
    }

    /// The effective values as the report records them: durations in milliseconds, the seed
    /// as a decimal string, absent optional parameters left out.
    pub fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut map = serde_json::Map::new();
        let ms =
            |d: Duration| serde_json::Value::from(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut text = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                map.insert(name.into(), v.clone().into());
            }
        };
        text("broker", &Some(self.broker.clone()));
        text("topic_root", &Some(self.topic_root.clone()));
        text("broker_ca", &self.broker_ca);
        text("broker_username", &self.broker_username);
        text("broker_password_env", &self.broker_password_env);
        text("trust", &self.trust);
        map.insert("broker_max_packet".into(), self.broker_max_packet.into());
        for (name, d) in self.durations() {
            map.insert(name.into(), ms(d));
        }
        if let Some(seed) = self.seed {
            // A string: JSON readers that hold numbers as doubles lose integers above 2^53.
            map.insert("seed".into(), seed.to_string().into());
        }
        map.insert(
            hearth_report::report::TRACE_PARAMETER.into(),
            self.trace.name().into(),
        );
        map
    }
}

/// Parse a duration: a decimal integer followed by `ms`, `s` or `m`.
///
/// # Errors
///
/// A description of what is wrong.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let bad = || format!("`{text}` is not a duration: a decimal integer followed by ms, s or m");
    if number.is_empty() || number.len() > 9 {
        return Err(bad());
    }
    let n: u64 = number.parse().map_err(|_| bad())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        _ => Err(bad()),
    }
}

fn check_broker(url: &str) -> Result<(), String> {
    if url == "embedded" {
        return Ok(());
    }
    let Some(rest) = url
        .strip_prefix("mqtt://")
        .or_else(|| url.strip_prefix("mqtts://"))
    else {
        return Err(format!(
            "`{url}` is neither `embedded` nor an mqtt:// or mqtts:// URL"
        ));
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err("the URL carries credentials; name the password's environment variable in broker_password_env instead (HRT-CONF-013)".into());
    }
    let Some((host, port)) = authority.rsplit_once(':') else {
        return Err(format!("`{url}` names no port"));
    };
    if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(format!("`{url}` needs a host and a port 1–65535"));
    }
    Ok(())
}

fn check_topic_root(root: &str) -> Result<(), String> {
    if root.is_empty()
        || root.split('/').any(str::is_empty)
        || root.contains(['+', '#'])
        || root.starts_with('$')
    {
        return Err(format!(
            "`{root}` is not a topic root: one or more non-empty levels, no `+` or `#`, not starting with `$` (HRT-MQTT-004)"
        ));
    }
    Ok(())
}

/// One rule of `spec/06-conformance.md` §3 that an ICS breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {rule}")]
pub struct Problem {
    /// The key, e.g. `device.vendor` or `components.0.door`.
    pub key: String,
    /// The rule broken, with the requirement identifier.
    pub rule: String,
}

/// Why an ICS was refused (HRT-CONF-002).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    /// The document is not TOML, or has unknown or mistyped keys.
    #[error("the ICS does not parse (HRT-CONF-001): {0}")]
    Parse(String),
    /// The document parses but breaks rules of §3.
    #[error("the ICS breaks {} rule(s) of spec/06-conformance.md §3:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    ics_version: u32,
    spec_version: u32,
    device: Device,
    components: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    features: Features,
    #[serde(default)]
    actuation: Actuation,
    #[serde(default)]
    restart: Restart,
    #[serde(default)]
    parameters: BTreeMap<String, toml::Value>,
    #[serde(default)]
    controllers: Vec<Controller>,
    #[serde(default)]
    authority: Option<Authority>,
    #[serde(default)]
    commissioning: Commissioning,
}

impl Ics {
    /// Resolve every file path the ICS names that is not absolute — controller keys and
    /// chains, the authority's key and certificate, the trusted root, the broker's CA —
    /// against `base`, the folder that holds the ICS file (HRT-CONF-018), so that nothing
    /// later depends on the working directory of the run.
    pub fn resolve_paths(&mut self, base: &std::path::Path) {
        let resolve = |p: &mut String| {
            if !std::path::Path::new(p.as_str()).is_absolute() {
                *p = base.join(p.as_str()).to_string_lossy().into_owned();
            }
        };
        for c in &mut self.controllers {
            resolve(&mut c.key);
            resolve(&mut c.chain);
        }
        if let Some(a) = &mut self.authority {
            resolve(&mut a.key);
            resolve(&mut a.cert);
        }
        self.parameters.trust.as_mut().map(resolve);
        self.parameters.broker_ca.as_mut().map(resolve);
    }

    /// Where a text that does not parse as an ICS ([`IcsError::Parse`]) goes wrong: the line
    /// (from 1) and the parser's message without the excerpt, if the parser names a place.
    pub fn parse_error_at(text: &str) -> Option<(usize, String)> {
        let err = toml::from_str::<Raw>(text).err()?;
        let span = err.span()?;
        let line = text
            .get(..span.start)
            .map_or(1, |before| before.matches('\n').count() + 1);
        Some((line, err.message().trim().to_owned()))
    }

    /// Parse an ICS and check its form.
    ///
    /// # Errors
    ///
    /// [`IcsError::Parse`] when the text is not TOML with the tables and keys of §3;
    /// [`IcsError::Invalid`] with every rule broken otherwise.
    pub fn parse(text: &str) -> Result<Self, IcsError> {
        let raw: Raw = toml::from_str(text).map_err(|e| IcsError::Parse(e.to_string()))?;
        let mut problems = Vec::new();
        let mut problem = |key: &str, rule: &str| {
            problems.push(Problem {
                key: key.to_owned(),
                rule: rule.to_owned(),
            });
        };

        if raw.ics_version != 1 {
            problem("ics_version", "must be 1 (HRT-CONF-003)");
        }
        if raw.spec_version != 1 {
            problem(
                "spec_version",
                "must be 1, the major version of this specification (HRT-CONF-003)",
            );
        }

        let d = &raw.device;
        let vendor_ok = d.vendor.len() == 4
            && d.vendor
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && d.vendor != "0000"
            && d.vendor != "ffff";
        if !vendor_ok {
            problem(
                "device.vendor",
                "must be a vendor id 0001–fffe as four lower-case hexadecimal digits (HRT-CONF-004)",
            );
        }
        if !hearth_model::DeviceId::is_valid(&d.id) {
            problem(
                "device.id",
                "must be 1 to 64 characters of A–Z, a–z, 0–9, `.`, `_` and `-` (HRT-CONF-004)",
            );
        }
        if !is_kebab(&d.device_type, 32) {
            problem(
                "device.type",
                "must be the catalog name of a device type, in lower-case kebab-case (HRT-CONF-004)",
            );
        }
        for (key, value) in [
            ("device.vendor_name", &d.vendor_name),
            ("device.model", &d.model),
            ("device.firmware", &d.firmware),
        ] {
            if value.trim().is_empty() {
                problem(key, "must not be empty (HRT-CONF-004)");
            }
        }

        let mut components = BTreeMap::new();
        for (cid, caps) in &raw.components {
            let key = format!("components.{cid}");
            let id = cid.parse::<u16>().ok().filter(|n| n.to_string() == *cid);
            let Some(id) = id else {
                problem(
                    &key,
                    "a component id is a decimal number 0–65535 without leading zeros (HRT-CONF-005)",
                );
                continue;
            };
            if caps.is_empty() {
                problem(&key, "lists no capability (HRT-CONF-005)");
            }
            for (cap, members) in caps {
                let key = format!("{key}.{cap}");
                let vendor_cap = vendor_id(cap).is_some();
                if !vendor_cap && !is_kebab(cap, 64) {
                    problem(&key, "a capability is a catalog name or a vendor capability id 0x8000–0xfffe (HRT-CONF-005)");
                }
                let mut seen = BTreeSet::new();
                for m in members {
                    let ok = if vendor_cap {
                        vendor_member(m).is_some()
                    } else {
                        is_kebab(m, 64) || vendor_member(m).is_some()
                    };
                    if !ok {
                        problem(&key, &format!("`{m}` is neither a member name nor a vendor member written `property:0x…`, `action:0x…` or `event:0x…` with an id 0x8000–0xfffe (HRT-CONF-017)"));
                    }
                    if !seen.insert(m) {
                        problem(&key, &format!("`{m}` is listed twice (HRT-CONF-005)"));
                    }
                }
            }
            components.insert(id, caps.clone());
        }
        if !raw.components.contains_key("0") {
            problem(
                "components.0",
                "is missing: every device has component 0 (HRT-CONF-005)",
            );
        }

        match (&raw.restart.method, &raw.restart.command) {
            (RestartMethod::Command, None) => {
                problem(
                    "restart.command",
                    "is needed with method = \"command\" (HRT-CONF-009)",
                );
            }
            (RestartMethod::Command, Some(argv)) if argv.first().is_none_or(|p| p.is_empty()) => {
                problem(
                    "restart.command",
                    "must name a program as its first element (HRT-CONF-009)",
                );
            }
            (RestartMethod::None | RestartMethod::Operator, Some(_)) => {
                problem(
                    "restart.command",
                    "is only allowed with method = \"command\" (HRT-CONF-009)",
                );
            }
            _ => {}
        }

        let mut parameters = Parameters::default();
        for (name, value) in &raw.parameters {
            let text = match value {
                toml::Value::String(s) => Some(s.clone()),
                toml::Value::Integer(i) if name == "seed" || name == "broker_max_packet" => {
                    Some(i.to_string())
                }
                _ => None,
            };
            match text {
                Some(text) => {
                    if let Err(p) = parameters.set(name, &text) {
                        problems.push(p);
                    }
                }
                None => problems.push(Problem {
                    key: format!("parameters.{name}"),
                    rule: "must be a string (durations as \"5s\"), or an integer for the seed and broker_max_packet (HRT-CONF-001)".into(),
                }),
            }
        }

        if !raw
            .controllers
            .iter()
            .any(|c| c.privilege >= Some(Privilege::Operate))
        {
            problems.push(Problem {
                key: "controllers".into(),
                rule:
                    "must list a controller with privilege \"manage\" or \"operate\" (HRT-CONF-015)"
                        .into(),
            });
        }
        for (i, c) in raw.controllers.iter().enumerate() {
            if c.key.is_empty() || c.chain.is_empty() {
                problems.push(Problem {
                    key: format!("controllers[{i}]"),
                    rule: "needs a key file and a chain file (HRT-CONF-015)".into(),
                });
            }
        }

        if let Some(a) = &raw.authority {
            if a.key.is_empty() || a.cert.is_empty() || a.privilege.is_none() {
                problems.push(Problem {
                    key: "authority".into(),
                    rule: "needs a key file, a certificate file and a privilege of at least \"view\" (HRT-CONF-016)".into(),
                });
            }
        }

        check_commissioning(&raw.commissioning, &raw.controllers, &mut problems);

        if !problems.is_empty() {
            return Err(IcsError::Invalid(problems));
        }
        Ok(Self {
            device: raw.device,
            components,
            features: raw.features,
            actuation: raw.actuation,
            restart: raw.restart,
            parameters,
            controllers: raw.controllers,
            authority: raw.authority,
            commissioning: raw.commissioning,
        })
    }
}

/// The rules of `[commissioning]` (HRT-CONF-019): a setup code that parses as chapter 7
/// writes one, button with a setup code, manage with a manager among the controllers.
fn check_commissioning(c: &Commissioning, controllers: &[Controller], problems: &mut Vec<Problem>) {
    let mut problem = |key: &str, rule: String| {
        problems.push(Problem {
            key: format!("commissioning.{key}"),
            rule,
        });
    };
    if let Some(code) = &c.setup_code {
        if let Err(e) = hearth_model::setup::SetupCode::parse(code) {
            problem(
                "setup_code",
                format!("is neither a QR text nor a manual code of spec/07-commissioning.md §3: {e} (HRT-CONF-019)"),
            );
        }
    }
    if !c.supported {
        if !c.window.is_empty() || c.factory_reset {
            problem(
                "supported",
                "is false, so no window and no factory reset can be declared (HRT-CONF-019)".into(),
            );
        }
        return;
    }
    if c.window.contains(&WindowOpener::Button) && c.setup_code.is_none() {
        problem(
            "window",
            "\"button\" opens a basic window, whose passcode the suite needs: give setup_code (HRT-CONF-019)".into(),
        );
    }
    if c.factory_reset && c.setup_code.is_none() {
        problem(
            "factory_reset",
            "the suite commissions the device again after the reset with its setup code: give setup_code (HRT-CONF-019)".into(),
        );
    }
    let manager = controllers
        .iter()
        .any(|c| c.privilege == Some(Privilege::Manage));
    if c.window.contains(&WindowOpener::Manage) && !manager {
        problem(
            "window",
            "\"manage\" needs a controller with privilege \"manage\" in [[controllers]] (HRT-CONF-019)".into(),
        );
    }
}

/// The kinds of member a vendor member id can name, as an ICS writes them: properties,
/// actions and events have separate id spaces (`01-model.md`), so the kind is part of the
/// member's name (HRT-CONF-017).
const MEMBER_KINDS: [&str; 3] = ["property", "action", "event"];

/// A vendor member written `kind:0x…` (`property:0x8001`): its kind and id.
fn vendor_member(text: &str) -> Option<(&str, u16)> {
    let (kind, id) = text.split_once(':')?;
    let kind = MEMBER_KINDS.into_iter().find(|k| *k == kind)?;
    Some((kind, vendor_id(id)?))
}

/// A vendor-range id written `0x` and four lower-case hexadecimal digits (0x8000–0xfffe).
fn vendor_id(text: &str) -> Option<u16> {
    let hex = text.strip_prefix("0x")?;
    if hex.len() != 4
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u16::from_str_radix(hex, 16)
        .ok()
        .filter(|&v| (0x8000..=0xfffe).contains(&v))
}

/// Lower-case kebab-case of 1 to `max` characters: `[a-z][a-z0-9]*(-[a-z0-9]+)*`.
fn is_kebab(text: &str, max: usize) -> bool {
    !text.is_empty()
        && text.len() <= max
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// How an ICS names a capability instance of a description under `[components.N]`: the
/// capability by its catalog name (a vendor capability as `0x…`), and the optional members
/// the instance lists by their names (vendor members as `property:0x…`, `action:0x…` or
/// `event:0x…`, HRT-CONF-017). The suite
/// compares a statement with the device's description in this form (TC-MOD-1.1), and the
/// demo writes its statements from it.
pub fn claim(catalog: &Catalog, inst: &CapabilityInstance) -> (String, Vec<String>) {
    let hex = |id: &u16| format!("0x{id:04x}");
    let kinds = [&inst.properties, &inst.actions, &inst.events];
    let cap = catalog.capability(inst.capability);
    let name = |kind: &str, id: u16| {
        let standard = cap.and_then(|c| match kind {
            "property" => c.property(id).map(|p| p.name.clone()),
            "action" => c.action(id).map(|a| a.name.clone()),
            _ => c.event(id).map(|e| e.name.clone()),
        });
        standard.unwrap_or_else(|| format!("{kind}:{}", hex(&id)))
    };
    let members = MEMBER_KINDS
        .into_iter()
        .zip(kinds)
        .flat_map(|(kind, ids)| ids.iter().map(move |id| name(kind, *id)))
        .collect();
    (
        cap.map_or_else(|| hex(&inst.capability), |c| c.name.clone()),
        members,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../ics/example.toml");

    /// HRT-CONF-018: paths are relative to the ICS's folder, absolute ones stay.
    #[test]
    fn relative_paths_resolve_against_the_folder_of_the_ics() {
        let mut ics = Ics::parse(EXAMPLE).expect("the example parses");
        ics.parameters.trust = Some("lab/root.cert".into());
        ics.parameters.broker_ca = Some("/etc/ssl/broker-ca.pem".into());
        ics.controllers[0].key = "lab/operate.key".into();
        let base = std::path::Path::new("/srv/lab-7");
        ics.resolve_paths(base);
        assert_eq!(
            ics.parameters.trust.as_deref(),
            Some("/srv/lab-7/lab/root.cert")
        );
        assert_eq!(
            ics.parameters.broker_ca.as_deref(),
            Some("/etc/ssl/broker-ca.pem")
        );
        assert_eq!(ics.controllers[0].key, "/srv/lab-7/lab/operate.key");
        for c in &ics.controllers {
            assert!(
                std::path::Path::new(&c.chain).starts_with(base),
                "{}",
                c.chain
            );
        }
        if let Some(a) = &ics.authority {
            assert!(std::path::Path::new(&a.key).starts_with(base));
            assert!(std::path::Path::new(&a.cert).starts_with(base));
        }
    }

    /// The example ICS of the chapter (§15) is the committed example file, byte for byte.
    #[test]
    fn chapter_example_is_the_example_file() {
        let chapter = crate::requirements::chapters()
            .iter()
            .find(|(name, _)| *name == "06-conformance.md")
            .map(|(_, text)| *text)
            .expect("chapter 6 is embedded");
        let section = chapter
            .split("## 15. Example conformance statement")
            .nth(1)
            .expect("§15 exists");
        let block = section
            .split("```toml\n")
            .nth(1)
            .and_then(|b| b.split("```\n").next())
            .expect("§15 has a toml block");
        assert_eq!(block, EXAMPLE);
    }

    #[test]
    fn example_parses() {
        let ics = Ics::parse(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ics.device.vendor, "fff1");
        assert_eq!(ics.device.device_type, "washing-machine");
        assert!(ics.actuation.start_cycle && !ics.actuation.door);
        assert_eq!(ics.restart.method, RestartMethod::Command);
        assert_eq!(ics.parameters.cycle_timeout, Duration::from_secs(900));
        assert_eq!(ics.parameters.response_timeout, Duration::from_secs(5));
        assert!(ics.parameters.spec_values());
        assert_eq!(ics.controllers.len(), 4);
        let caps = &ics.components[&0];
        assert_eq!(caps["laundry-controls"], ["rinses", "pre-wash"]);
        assert_eq!(caps["0x8001"], ["property:0x8001"]);
        let json = ics.parameters.to_json();
        assert_eq!(json["cycle_timeout"], 900_000);
        assert_eq!(json["broker"], "mqtts://broker.lab.example:8883");
    }

    const MINIMAL: &str = "ics_version = 1\nspec_version = 1\n\n[device]\nvendor = \"fff1\"\nid = \"fan-1\"\ntype = \"fan\"\nvendor_name = \"V\"\nmodel = \"M\"\nfirmware = \"1\"\n\n[components.0]\ndevice-info = []\nfaults = []\n\n[[controllers]]\nkey = \"k\"\nchain = \"c\"\nprivilege = \"operate\"\n";

    #[test]
    fn defaults() {
        let ics = Ics::parse(MINIMAL).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ics.actuation, Actuation::default());
        assert_eq!(ics.restart.method, RestartMethod::None);
        assert_eq!(ics.parameters, Parameters::default());
        assert_eq!(ics.features.event_store, 32);
        assert!(ics.features.tls);
    }

    /// A vendor member names its kind, so the same id of a property and an action are two
    /// members (HRT-CONF-017).
    #[test]
    fn vendor_members_name_their_kind() {
        let text = MINIMAL.replace(
            "faults = []",
            "faults = []\n\"0x8001\" = [\"property:0x8001\", \"action:0x8001\", \"event:0x8002\"]",
        );
        assert_eq!(problems(&text), Vec::<String>::new());
    }

    /// A standard member's name is unique within its capability across properties, actions
    /// and events, so an ICS can list them in one array (06 §3.3).
    #[test]
    fn standard_member_names_are_unique_within_a_capability() {
        for cap in Catalog::standard().capabilities() {
            let mut names = BTreeSet::new();
            let all = cap
                .properties
                .iter()
                .map(|p| &p.name)
                .chain(cap.actions.iter().map(|a| &a.name))
                .chain(cap.events.iter().map(|e| &e.name));
            for name in all {
                assert!(
                    names.insert(name),
                    "{}: `{name}` names two members",
                    cap.name
                );
            }
        }
    }

    fn problems(text: &str) -> Vec<String> {
        match Ics::parse(text) {
            Err(IcsError::Invalid(p)) => p.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
            Ok(_) => vec![],
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        for (from, to) in [
            (
                "[components.0]",
                "[actuaton]\nstart_cycle = true\n\n[components.0]",
            ),
            ("firmware = \"1\"", "firmware = \"1\"\nserial = \"x\""),
            (
                "[[controllers]]",
                "[parameters]\nbroker_password = \"secret\"\n\n[[controllers]]",
            ),
        ] {
            let p = problems(&MINIMAL.replace(from, to));
            assert_eq!(p.len(), 1, "{p:?}");
            assert!(
                p[0].contains("HRT-CONF-001")
                    && (p[0].contains("unknown") || p[0].contains("broker_password")),
                "{p:?}"
            );
        }
    }

    #[test]
    fn form_rules() {
        let cases = [
            ("vendor = \"fff1\"", "vendor = \"FFF1\"", "device.vendor"),
            ("vendor = \"fff1\"", "vendor = \"0000\"", "device.vendor"),
            ("id = \"fan-1\"", "id = \"fan 1\"", "device.id"),
            ("type = \"fan\"", "type = \"Fan\"", "device.type"),
            ("model = \"M\"", "model = \"\"", "device.model"),
            ("ics_version = 1", "ics_version = 2", "ics_version"),
            (
                "[[controllers]]",
                "[components.01]\ndoor = []\n\n[[controllers]]",
                "components.01",
            ),
            (
                "faults = []",
                "faults = [\"x\", \"x\"]",
                "components.0.faults",
            ),
            ("faults = []", "\"0x1234\" = []", "components.0.0x1234"),
            (
                "faults = []",
                "\"0x8001\" = [\"name\"]",
                "components.0.0x8001",
            ),
            (
                "faults = []",
                "faults = []\n\"0x8001\" = [\"0x8001\"]",
                "components.0.0x8001",
            ),
            (
                "faults = []",
                "faults = []\n\"0x8001\" = [\"field:0x8001\"]",
                "components.0.0x8001",
            ),
            (
                "privilege = \"operate\"",
                "privilege = \"view\"",
                "controllers",
            ),
            (
                "[[controllers]]",
                "[restart]\nmethod = \"command\"\n\n[[controllers]]",
                "restart.command",
            ),
            (
                "[[controllers]]",
                "[restart]\ncommand = [\"x\"]\n\n[[controllers]]",
                "restart.command",
            ),
            (
                "[[controllers]]",
                "[parameters]\nresponse_timeout = \"5 s\"\n\n[[controllers]]",
                "parameters.response_timeout",
            ),
            (
                "[[controllers]]",
                "[parameters]\nresponse_timeout = 5\n\n[[controllers]]",
                "parameters.response_timeout",
            ),
            (
                "[[controllers]]",
                "[parameters]\nbroker = \"mqtt://u:p@host:1883\"\n\n[[controllers]]",
                "parameters.broker",
            ),
            (
                "[[controllers]]",
                "[parameters]\nbroker = \"localhost:1883\"\n\n[[controllers]]",
                "parameters.broker",
            ),
            (
                "[[controllers]]",
                "[parameters]\ntopic_root = \"hearth/+\"\n\n[[controllers]]",
                "parameters.topic_root",
            ),
            (
                "[[controllers]]",
                "[authority]\nkey = \"k\"\ncert = \"c\"\nprivilege = \"none\"\n\n[[controllers]]",
                "authority",
            ),
            (
                "[[controllers]]",
                "[authority]\nkey = \"\"\ncert = \"c\"\nprivilege = \"view\"\n\n[[controllers]]",
                "authority",
            ),
        ];
        for (from, to, key) in cases {
            let text = MINIMAL.replace(from, to);
            assert_ne!(text, MINIMAL, "{from}");
            let p = problems(&text);
            assert!(
                p.len() == 1 && p[0].starts_with(&format!("{key}: ")),
                "{to}: {p:?}"
            );
        }
        let p = problems(&MINIMAL.replace("[components.0]", "[components.1]"));
        assert_eq!(
            p,
            ["components.0: is missing: every device has component 0 (HRT-CONF-005)"]
        );
    }

    #[test]
    fn parameters_from_the_command_line() {
        let mut p = Parameters::default();
        p.set("report_deadline", "8s")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!p.spec_values());
        p.set("latency_allowance", "0ms")
            .unwrap_or_else(|e| panic!("{e}"));
        p.set("seed", "42").unwrap_or_else(|e| panic!("{e}"));
        p.set("broker", "mqtt://10.0.0.2:1884")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.seed, Some(42));
        assert_eq!(p.to_json()["seed"], "42");
        assert!(p.set("report_deadlin", "8s").is_err());
        assert!(p.set("seed", "-1").is_err());
        assert_eq!(p.to_json()["trace"], "failures");
        p.set("trace", "full").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.trace, TraceLevel::Full);
        assert_eq!(p.to_json()["trace"], "full");
        assert!(p.set("trace", "everything").is_err());
        for bad in ["", "5", "s", "5h", "1.5s", "99999999999s", " 5s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    }
}
