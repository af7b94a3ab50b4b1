//! Writing an ICS: an [`Ics`] as the commented TOML document of `spec/06-conformance.md` §3,
//! which [`Ics::parse`] reads back as the same statement. `hearth ics init` writes a vendor's
//! first statement with it, and `hearth demo` the statements of its simulated appliances.
//!
//! Every table is written, with a comment saying what it is for, so that a vendor completes
//! a statement rather than looks up its keys; of the parameters, those that differ from
//! their defaults. Capabilities are written in the catalog's order for the device type
//! (mandatory first), the others after them by name.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hearth_model::{Catalog, Description};

use crate::ics::{
    claim, privilege_name, Actuation, Algorithm, Authority, Commissioning, Controller, Device,
    Features, Ics, Parameters, Privilege, Restart, RestartMethod, WindowOpener,
};

/// What an ICS claims of each component: capability (catalog name or `0x` id) → optional
/// members, as [`Ics::components`] holds them.
pub type Claims = BTreeMap<u16, BTreeMap<String, Vec<String>>>;

/// The claims of a description, in the form of an ICS (§3.3): what the device says it
/// implements, which its statement repeats.
pub fn claims_of(desc: &Description) -> Claims {
    let catalog = Catalog::standard();
    desc.components
        .iter()
        .map(|comp| {
            let caps = comp
                .capabilities
                .iter()
                .map(|inst| claim(catalog, inst))
                .collect();
            (comp.id, caps)
        })
        .collect()
}

/// The claims a device type makes of every device: each required component with its
/// mandatory capabilities; `None` for a name the catalog does not have.
pub fn mandatory_claims(device_type: &str) -> Option<Claims> {
    let dt = Catalog::standard().device_type_named(device_type)?;
    Some(
        dt.components
            .iter()
            .filter(|c| c.required)
            .map(|c| {
                let caps = c
                    .mandatory
                    .iter()
                    .map(|n| (n.clone(), Vec::new()))
                    .collect();
                (c.id, caps)
            })
            .collect(),
    )
}

/// Where a lab's statement points, for [`lab_statement`].
#[derive(Debug, Clone)]
pub struct Bench<'a> {
    /// The broker the device is on.
    pub broker: &'a str,
    /// The topic root it publishes under.
    pub topic_root: &'a str,
    /// The folder of `hearth pki init`, as a path relative to the statement's folder.
    pub pki: &'a str,
    /// What the suite may make the appliance do.
    pub actuation: Actuation,
}

/// A lab's statement for `device` with `components`: the lab's controllers and authority as
/// `hearth pki init` writes them in the `pki` folder of `bench` (`manage`, `operate`,
/// `view`, `stranger`, `authority`), its root as the trusted one, TLS declared when the
/// broker is `mqtts://`, no restart, every parameter else at its default.
pub fn lab_statement(device: Device, components: Claims, bench: &Bench<'_>) -> Ics {
    let file = |name: &str| {
        if bench.pki.is_empty() || bench.pki == "." {
            name.to_owned()
        } else {
            format!("{}/{name}", bench.pki.trim_end_matches('/'))
        }
    };
    let controllers = [
        ("manage", Some(Privilege::Manage)),
        ("operate", Some(Privilege::Operate)),
        ("view", Some(Privilege::View)),
        ("stranger", None),
    ]
    .into_iter()
    .map(|(name, privilege)| Controller {
        key: file(&format!("{name}.key")),
        chain: file(&format!("{name}.chain")),
        privilege,
    })
    .collect();
    Ics {
        device,
        components,
        features: Features {
            tls: bench.broker.starts_with("mqtts://"),
            ..Features::default()
        },
        actuation: bench.actuation,
        restart: Restart::default(),
        parameters: Parameters {
            broker: bench.broker.to_owned(),
            topic_root: bench.topic_root.to_owned(),
            trust: Some(file("root.cert")),
            ..Parameters::default()
        },
        controllers,
        authority: Some(Authority {
            key: file("authority.key"),
            cert: file("authority.cert"),
            privilege: Some(Privilege::View),
        }),
        commissioning: Commissioning::default(),
    }
}

/// The statement as TOML, `title` as its first comment line (without `#`).
pub fn render(ics: &Ics, title: &str) -> String {
    let mut out = String::new();
    for line in title.lines() {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("ics_version = 1\nspec_version = 1\n");
    device(&mut out, ics);
    components(&mut out, ics);
    features(&mut out, ics);
    actuation(&mut out, ics);
    restart(&mut out, ics);
    commissioning(&mut out, &ics.commissioning);
    parameters(&mut out, &ics.parameters);
    controllers(&mut out, ics);
    out
}

/// A TOML string: JSON's escaping is TOML's for basic strings.
fn quoted(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn device(out: &mut String, ics: &Ics) {
    let d = &ics.device;
    let _ = write!(
        out,
        "\n# The device under test (§3.2). The vendor name, model and firmware are checked against\n\
         # what its device-info reports (HRT-CONF-021).\n\
         [device]\nvendor = {}\nid = {}\ntype = {}\nvendor_name = {}\nmodel = {}\nfirmware = {}\n",
        quoted(&d.vendor),
        quoted(&d.id),
        quoted(&d.device_type),
        quoted(&d.vendor_name),
        quoted(&d.model),
        quoted(&d.firmware),
    );
}

fn components(out: &mut String, ics: &Ics) {
    let catalog = Catalog::standard();
    let dt = catalog.device_type_named(&ics.device.device_type);
    out.push_str(
        "\n# Every component and capability of the device, each with the optional members it\n\
         # implements, exactly as its description lists them (§3.3, HRT-CONF-022, HRT-CONF-023).\n",
    );
    for (cid, caps) in &ics.components {
        let slot = dt.and_then(|dt| dt.component(*cid));
        let rank = |name: &str| {
            slot.and_then(|s| {
                s.mandatory
                    .iter()
                    .chain(&s.optional)
                    .position(|n| n == name)
            })
            .unwrap_or(usize::MAX)
        };
        let mut names: Vec<&String> = caps.keys().collect();
        names.sort_by_key(|n| (rank(n), n.as_str()));
        let label = slot.map_or_else(String::new, |s| format!("  # {}", s.name));
        let _ = writeln!(out, "[components.{cid}]{label}");
        for name in names {
            let members: Vec<String> = caps[name].iter().map(|m| quoted(m)).collect();
            let key = if name.starts_with("0x") {
                quoted(name)
            } else {
                name.clone()
            };
            let _ = writeln!(out, "{key} = [{}]", members.join(", "));
        }
    }
}

fn features(out: &mut String, ics: &Ics) {
    let f = &ics.features;
    let algorithm = match f.algorithm {
        Algorithm::Ed25519 => "ed25519",
        Algorithm::Es256 => "es256",
    };
    out.push_str("\n# Optional behaviours its description does not show (§3.4).\n[features]\n");
    for (line, comment) in [
        (
            format!("algorithm = {}", quoted(algorithm)),
            "of the device's own key",
        ),
        (
            format!("unauthorized_response = {}", f.unauthorized_response),
            "answers refused requests with `unauthorized` (HRT-SEC-132)",
        ),
        (
            format!(
                "persistent_replay_windows = {}",
                f.persistent_replay_windows
            ),
            "persists the replay windows of privileged senders (HRT-SEC-103)",
        ),
        (
            format!("event_store = {}", f.event_store),
            "events kept while disconnected (HRT-MQTT-035)",
        ),
        (
            format!("tls = {}", f.tls),
            "connects to the broker over TLS (HRT-MQTT-073)",
        ),
    ] {
        let _ = writeln!(out, "{line:<34}# {comment}");
    }
}

fn actuation(out: &mut String, ics: &Ics) {
    let a = &ics.actuation;
    out.push_str(
        "\n# What the suite may make the appliance do (§3.5): nothing physical happens unless a flag\n\
         # allows it (HRT-CONF-007). Set only what is safe at the bench; the test cases that need a\n\
         # flag left false are not applicable. door, panel, faults and network ask an operator.\n\
         [actuation]\n",
    );
    for (name, set) in [
        ("power", a.power),
        ("setpoints", a.setpoints),
        ("modes", a.modes),
        ("settings", a.settings),
        ("start_cycle", a.start_cycle),
        ("pause_resume", a.pause_resume),
        ("door", a.door),
        ("panel", a.panel),
        ("faults", a.faults),
        ("network", a.network),
        ("firmware_update", a.firmware_update),
        ("vendor_actions", a.vendor_actions),
    ] {
        let _ = writeln!(out, "{name} = {set}");
    }
}

fn restart(out: &mut String, ics: &Ics) {
    let r = &ics.restart;
    let method = match r.method {
        RestartMethod::None => "none",
        RestartMethod::Command => "command",
        RestartMethod::Operator => "operator",
    };
    let _ = write!(
        out,
        "\n# How the suite restarts the device (§3.6): \"none\", \"command\" (run without a shell) or\n\
         # \"operator\".\n[restart]\nmethod = {}\n",
        quoted(method)
    );
    if let Some(command) = &r.command {
        let argv: Vec<String> = command.iter().map(|a| quoted(a)).collect();
        let _ = writeln!(out, "command = [{}]", argv.join(", "));
    }
    let _ = writeln!(out, "power_loss = {}", r.power_loss);
}

/// `[commissioning]`, unless it says nothing but its defaults.
fn commissioning(out: &mut String, c: &Commissioning) {
    if *c == Commissioning::default() {
        return;
    }
    let windows: Vec<String> = c
        .window
        .iter()
        .map(|w| {
            quoted(match w {
                WindowOpener::Button => "button",
                WindowOpener::Manage => "manage",
            })
        })
        .collect();
    let _ = write!(
        out,
        "\n# Commissioning (§3.10): how the suite opens a window (\"button\": the operator's local\n\
         # action; \"manage\": a manager's window-control), the printed setup code, and whether an\n\
         # operator may reset the device to factory-new.\n[commissioning]\nsupported = {}\nwindow = [{}]\n",
        c.supported,
        windows.join(", "),
    );
    if let Some(code) = &c.setup_code {
        let _ = writeln!(out, "setup_code = {}", quoted(code));
    }
    let _ = writeln!(out, "factory_reset = {}", c.factory_reset);
}

/// A duration as the ICS writes one: the largest of `m`, `s` and `ms` that is exact.
pub fn duration_text(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 60_000 && ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

fn parameters(out: &mut String, p: &Parameters) {
    let default = Parameters::default();
    out.push_str(
        "\n# The run's parameters (§3.7); `hearth test --param NAME=VALUE` overrides any of them.\n\
         # Paths are relative to this file's folder (HRT-CONF-018). Every parameter not written\n\
         # here has its default.\n[parameters]\n",
    );
    let text = |name: &str, value: &Option<String>, default: &Option<String>| {
        value
            .as_ref()
            .filter(|v| Some(*v) != default.as_ref())
            .map(|v| format!("{name} = {}\n", quoted(v)))
    };
    let lines = [
        (p.broker != default.broker).then(|| format!("broker = {}\n", quoted(&p.broker))),
        (p.topic_root != default.topic_root)
            .then(|| format!("topic_root = {}\n", quoted(&p.topic_root))),
        text("broker_ca", &p.broker_ca, &default.broker_ca),
        text(
            "broker_username",
            &p.broker_username,
            &default.broker_username,
        ),
        text(
            "broker_password_env",
            &p.broker_password_env,
            &default.broker_password_env,
        ),
        text("trust", &p.trust, &default.trust),
    ];
    for line in lines.into_iter().flatten() {
        out.push_str(&line);
    }
    for ((name, value), (_, default)) in p.durations().into_iter().zip(default.durations()) {
        if value != default {
            let _ = writeln!(out, "{name} = {}", quoted(&duration_text(value)));
        }
    }
    if p.broker_max_packet != default.broker_max_packet {
        let _ = writeln!(out, "broker_max_packet = {}", p.broker_max_packet);
    }
    if let Some(seed) = p.seed {
        let _ = writeln!(out, "seed = {}", quoted(&seed.to_string()));
    }
    if p.trace != default.trace {
        let _ = writeln!(out, "trace = {}", quoted(p.trace.name()));
    }
}

fn controllers(out: &mut String, ics: &Ics) {
    out.push_str(
        "\n# The controllers the device admits (§3.8): a key, its chain (leaf first) and the\n\
         # privilege the device's access-control list grants it; \"none\" for one it trusts but\n\
         # does not admit.\n",
    );
    for c in &ics.controllers {
        let _ = write!(
            out,
            "[[controllers]]\nkey = {}\nchain = {}\nprivilege = {}\n\n",
            quoted(&c.key),
            quoted(&c.chain),
            quoted(privilege_name(c.privilege)),
        );
    }
    if let Some(a) = &ics.authority {
        let _ = write!(
            out,
            "# A test CA under the device's root whose key the lab holds, and the privilege of the\n\
             # access-control entry naming it (§3.9): with it the suite issues the certificates the\n\
             # chain, revocation and access-control cases need.\n\
             [authority]\nkey = {}\ncert = {}\nprivilege = {}\n",
            quoted(&a.key),
            quoted(&a.cert),
            quoted(privilege_name(a.privilege)),
        );
    } else if out.ends_with("\n\n") {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What is written reads back as the same statement.
    #[test]
    fn the_example_round_trips() {
        let example = Ics::parse(include_str!("../ics/example.toml")).expect("example");
        let text = render(&example, "Acme WM-8");
        let again = Ics::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(again, example);
        assert!(text.starts_with("# Acme WM-8\nics_version = 1\n"), "{text}");
        // In the catalog's order for the device type: mandatory capabilities first.
        let device_info = text.find("device-info = []").expect("device-info");
        assert!(device_info < text.find("door = ").expect("door"), "{text}");
        assert!(text.contains("cycle_timeout = \"15m\""), "{text}");
        assert!(!text.contains("response_timeout"), "{text}");
    }

    /// A lab's statement for the mandatory claims of a type is one the review accepts, but
    /// for its credentials.
    #[test]
    fn a_lab_statement_of_a_type_is_valid() {
        let device = Device {
            vendor: "fff1".into(),
            id: "fan-1".into(),
            device_type: "fan".into(),
            vendor_name: "V".into(),
            model: "M".into(),
            firmware: "1".into(),
        };
        let claims = mandatory_claims("fan").expect("fan");
        assert!(claims[&0].contains_key("fan-control"));
        assert!(mandatory_claims("frige").is_none());
        let bench = Bench {
            broker: "mqtt://127.0.0.1:1883",
            topic_root: "hearth/1",
            pki: "../pki",
            actuation: Actuation::default(),
        };
        let ics = lab_statement(device, claims, &bench);
        let text = render(&ics, "a fan");
        assert_eq!(Ics::parse(&text).as_ref(), Ok(&ics), "{text}");
        assert!(text.contains("chain = \"../pki/manage.chain\""), "{text}");
        assert!(text.contains("trust = \"../pki/root.cert\""), "{text}");
        assert!(text.contains("tls = false"), "{text}");
        let findings = crate::ics_review::review(
            &text,
            &crate::ics_review::ReviewContext {
                base: std::path::Path::new("/nowhere"),
                default_root: None,
                now: 0,
            },
        );
        // Only the files, which are not there.
        assert!(
            findings
                .iter()
                .all(|f| f.message.contains("No such file") || f.message.contains("os error")),
            "{findings:?}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_text(Duration::from_secs(120)), "2m");
        assert_eq!(duration_text(Duration::from_secs(90)), "90s");
        assert_eq!(duration_text(Duration::from_millis(250)), "250ms");
        assert_eq!(duration_text(Duration::ZERO), "0s");
    }
}
