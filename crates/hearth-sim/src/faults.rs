//! Fault profiles: named, documented single deviations from the specification.
//!
//! The conformance suite must prove that it catches non-conforming firmware, so every
//! profile here makes a simulated appliance break exactly one rule (or one closely knit
//! group), and names the requirement ids it breaks. Deviations of the protocol itself
//! (signing, replay, access control, will, retain, malformed input, timing) go through the
//! runtime's one hook, `hearth_mqtt::fault::FaultInjection`; deviations an application can
//! commit through the ordinary API (wrong status codes, missing reports, events without
//! mandatory fields, a description that lies, a counter store that forgets) are done by the
//! simulator's own code through [`AppDeviation`].

use hearth_mqtt::fault::FaultInjection;
use serde::Serialize;
use std::time::Duration;

/// The chapter of the specification a profile offends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Chapter {
    /// `spec/01-model.md` and the catalog.
    Model,
    /// `spec/03-security.md`.
    Security,
    /// `spec/04-messages.md`.
    Messages,
    /// `spec/05-mqtt.md`.
    Mqtt,
    /// What an appliance does over time: the behaviour the catalog defines for it.
    Behaviour,
}

impl Chapter {
    /// The name in kebab-case.
    pub fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Security => "security",
            Self::Messages => "messages",
            Self::Mqtt => "mqtt",
            Self::Behaviour => "behaviour",
        }
    }
}

/// Deviations the simulator commits in its own (application) code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppDeviation {
    /// Answer `failure` where `invalid-in-state` is due.
    pub wrong_status: bool,
    /// Leave the mandatory `faults` capability out of the description.
    pub omit_mandatory: bool,
    /// Refuse the upper half of the declared setpoint range with `constraint-error`.
    pub range_lie: bool,
    /// Report no change the appliance makes by itself (nor those of writes).
    pub silent: bool,
    /// Keep the send counter in memory only, so a restart starts again from zero.
    pub forget_counter: bool,
    /// Emit fault events without their mandatory fields.
    pub bare_events: bool,
    /// Report a mode code the description does not declare.
    pub undeclared_mode: bool,
    /// Reset the cumulative energy counter whenever the appliance draws no power.
    pub energy_resets: bool,
    /// Never emit the door-alarm events although the description declares them.
    pub no_door_alarm: bool,
    /// Start a cycle with the door open.
    pub ignore_door: bool,
    /// Publish under the default topic root whatever root it is configured with.
    pub fixed_root: bool,
}

/// Everything a profile changes: the runtime's hook and the simulator's own deviations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deviation {
    /// Protocol deviations committed by the Device runtime.
    pub protocol: FaultInjection,
    /// Deviations committed by the appliance's own code.
    pub app: AppDeviation,
}

/// One named fault profile.
#[derive(Debug, Clone, Serialize)]
pub struct FaultProfile {
    /// The name, in kebab-case (`--fault NAME`).
    pub name: &'static str,
    /// What the device does wrong.
    pub summary: &'static str,
    /// The chapter it offends.
    pub chapter: Chapter,
    /// The requirement ids it breaks.
    pub requirements: &'static [&'static str],
    /// Which appliances show it (the others behave normally under it).
    pub applies_to: &'static str,
    /// How it is applied.
    pub applied: &'static str,
    #[serde(skip)]
    build: fn(&mut Deviation),
}

impl FaultProfile {
    /// The deviations this profile makes.
    pub fn deviation(&self) -> Deviation {
        let mut d = Deviation::default();
        (self.build)(&mut d);
        d
    }
}

/// How long the `slow-response` profile holds every response back.
pub const SLOW_RESPONSE: Duration = Duration::from_secs(6);

const ALL: &str = "every device type";
const CYCLE: &str = "rice cooker, microwave oven, dishwasher, washing machine";
const SETPOINT: &str =
    "air conditioner, refrigerator, freezer, water heater, and washing machines and dishwashers with temperature control";

static PROFILES: &[FaultProfile] = &[
    FaultProfile {
        name: "accept-unsigned",
        summary: "Serves requests whose signature does not verify, whose chain is untrusted, or that carry no valid signature at all.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-033", "HRT-SEC-034", "HRT-SEC-064", "HRT-SEC-131"],
        applies_to: ALL,
        applied: "FaultInjection::accept_unsigned",
        build: |d| d.protocol.accept_unsigned = true,
    },
    FaultProfile {
        name: "ignore-acl",
        summary: "Serves requests from controllers its access-control list does not admit.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-114", "HRT-SEC-119"],
        applies_to: ALL,
        applied: "FaultInjection::ignore_acl",
        build: |d| d.protocol.ignore_acl = true,
    },
    FaultProfile {
        name: "ignore-revocation",
        summary: "Takes no revocation list: keys its CA revoked are still served.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-072", "HRT-SEC-083"],
        applies_to: ALL,
        applied: "FaultInjection::ignore_revocation",
        build: |d| d.protocol.ignore_revocation = true,
    },
    FaultProfile {
        name: "slow-clock",
        summary: "Checks certificates against a clock an hour slow: a certificate that expired within the hour is still accepted.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-071", "HRT-SEC-075"],
        applies_to: ALL,
        applied: "FaultInjection::clock_behind",
        build: |d| d.protocol.clock_behind = Some(Duration::from_secs(3600)),
    },
    FaultProfile {
        name: "fixed-root",
        summary: "Publishes under the default topic root hearth/1 whatever root it is configured with.",
        chapter: Chapter::Mqtt,
        requirements: &["HRT-MQTT-003"],
        applies_to: ALL,
        applied: "simulator: the device's topics ignore the configured root",
        build: |d| d.app.fixed_root = true,
    },
    FaultProfile {
        name: "forget-offline-events",
        summary: "Drops the events it emits while disconnected instead of publishing them when it is back.",
        chapter: Chapter::Mqtt,
        requirements: &["HRT-MQTT-035"],
        applies_to: ALL,
        applied: "FaultInjection::forget_offline_events",
        build: |d| d.protocol.forget_offline_events = true,
    },
    FaultProfile {
        name: "fifo-event-store",
        summary: "When its store of kept events is full, drops the oldest event, critical or not.",
        chapter: Chapter::Mqtt,
        requirements: &["HRT-MQTT-038"],
        applies_to: ALL,
        applied: "FaultInjection::fifo_event_store",
        build: |d| d.protocol.fifo_event_store = true,
    },
    FaultProfile {
        name: "ignore-replay",
        summary: "Serves a request again when the same signed message is replayed.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-097", "HRT-SEC-098", "HRT-SEC-102"],
        applies_to: ALL,
        applied: "FaultInjection::ignore_replay",
        build: |d| d.protocol.ignore_replay = true,
    },
    FaultProfile {
        name: "counter-reuse",
        summary: "Keeps its send counter in memory only: after a restart it signs again from counter 0, reusing counters receivers have already accepted.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-090", "HRT-SEC-091", "HRT-SEC-092"],
        applies_to: ALL,
        applied: "simulator: a MemoryCounterStore created afresh at every start",
        build: |d| d.app.forget_counter = true,
    },
    FaultProfile {
        name: "wrong-aad",
        summary: "Signs every message with a topic other than the one it publishes it on as external AAD.",
        chapter: Chapter::Messages,
        requirements: &["HRT-MSG-002", "HRT-SEC-024"],
        applies_to: ALL,
        applied: "FaultInjection::wrong_aad",
        build: |d| d.protocol.wrong_aad = true,
    },
    FaultProfile {
        name: "slow-response",
        summary: "Answers every request only after 6 seconds, when controllers have stopped waiting.",
        chapter: Chapter::Messages,
        requirements: &["HRT-MSG-093", "HRT-MSG-097"],
        applies_to: ALL,
        applied: "FaultInjection::response_delay = 6 s",
        build: |d| d.protocol.response_delay = Some(SLOW_RESPONSE),
    },
    FaultProfile {
        name: "stall-after-malformed",
        summary: "Stops answering requests after the first message that does not decode.",
        chapter: Chapter::Security,
        requirements: &["HRT-SEC-130", "HRT-SEC-136"],
        applies_to: ALL,
        applied: "FaultInjection::stall_after_malformed",
        build: |d| d.protocol.stall_after_malformed = true,
    },
    FaultProfile {
        name: "event-missing-fields",
        summary: "Emits fault-raised and fault-cleared events without their mandatory severity and action fields.",
        chapter: Chapter::Messages,
        requirements: &["HRT-MSG-061", "HRT-MOD-047", "HRT-MOD-106"],
        applies_to: ALL,
        applied: "simulator: the fault events are built without fields 3 and 4",
        build: |d| d.app.bare_events = true,
    },
    FaultProfile {
        name: "no-will",
        summary: "Connects without a will, so a lost connection never shows the device offline.",
        chapter: Chapter::Mqtt,
        requirements: &["HRT-MQTT-030"],
        applies_to: ALL,
        applied: "FaultInjection::no_will",
        build: |d| d.protocol.no_will = true,
    },
    FaultProfile {
        name: "description-not-retained",
        summary: "Publishes its description without the RETAIN flag, so controllers that subscribe later never discover it.",
        chapter: Chapter::Mqtt,
        requirements: &["HRT-MQTT-015"],
        applies_to: ALL,
        applied: "FaultInjection::description_not_retained",
        build: |d| d.protocol.description_not_retained = true,
    },
    FaultProfile {
        name: "accept-out-of-range",
        summary: "Accepts and applies writes outside the declared range or step, and actions with invalid arguments, answering success.",
        chapter: Chapter::Model,
        requirements: &["HRT-MOD-044", "HRT-MOD-045", "HRT-MOD-062"],
        applies_to: ALL,
        applied: "FaultInjection::skip_validation",
        build: |d| d.protocol.skip_validation = true,
    },
    FaultProfile {
        name: "missing-mandatory-capability",
        summary: "Leaves the mandatory faults capability out of its description.",
        chapter: Chapter::Model,
        requirements: &["HRT-MOD-020", "HRT-MOD-024"],
        applies_to: ALL,
        applied: "simulator: the description builder drops `faults`; FaultInjection::skip_description_check lets it start",
        build: |d| {
            d.app.omit_mandatory = true;
            d.protocol.skip_description_check = true;
        },
    },
    FaultProfile {
        name: "range-lie",
        summary: "Declares a setpoint range, then refuses the upper half of it with constraint-error.",
        chapter: Chapter::Model,
        requirements: &["HRT-MOD-062"],
        applies_to: SETPOINT,
        applied: "simulator: the handler refuses setpoints above the middle of the declared range",
        build: |d| d.app.range_lie = true,
    },
    FaultProfile {
        name: "undeclared-mode",
        summary: "Reports a vendor mode code that its description does not declare.",
        chapter: Chapter::Model,
        requirements: &["HRT-MOD-006", "HRT-MOD-045", "HRT-MOD-106"],
        applies_to: "every appliance with a mode",
        applied: "simulator: reads of mode/current-mode return 0x80FF",
        build: |d| d.app.undeclared_mode = true,
    },
    FaultProfile {
        name: "wrong-status-code",
        summary: "Answers a command the current state does not allow with failure instead of invalid-in-state.",
        chapter: Chapter::Behaviour,
        requirements: &["HRT-MOD-051", "HRT-MOD-062"],
        applies_to: CYCLE,
        applied: "simulator: invalid-in-state answers are replaced by failure",
        build: |d| d.app.wrong_status = true,
    },
    FaultProfile {
        name: "silent-changes",
        summary: "Reports none of its changes: neither those it makes by itself (temperatures, cycle progress) nor those of writes.",
        chapter: Chapter::Behaviour,
        requirements: &["HRT-MOD-107", "HRT-MSG-056", "HRT-MSG-057"],
        applies_to: ALL,
        applied: "simulator: no change reports; FaultInjection::suppress_reports for writes",
        build: |d| {
            d.app.silent = true;
            d.protocol.suppress_reports = true;
        },
    },
    FaultProfile {
        name: "no-door-alarm",
        summary: "Declares the door-alarm events but never emits them when a door stays open too long.",
        chapter: Chapter::Behaviour,
        requirements: &["HRT-MOD-108"],
        applies_to: "refrigerator, freezer",
        applied: "simulator: the compartment raises its alarm property without the event",
        build: |d| d.app.no_door_alarm = true,
    },
    FaultProfile {
        name: "start-with-door-open",
        summary: "Starts a cycle although the door is open, instead of refusing with invalid-in-state.",
        chapter: Chapter::Behaviour,
        requirements: &["HRT-MOD-051", "HRT-CAT-001"],
        applies_to: "microwave oven, dishwasher, washing machine, rice cooker with a lid sensor",
        applied: "simulator: the door check before start is skipped",
        build: |d| d.app.ignore_door = true,
    },
    FaultProfile {
        name: "energy-counter-reset",
        summary: "Resets its cumulative energy counter to zero whenever it draws no power.",
        chapter: Chapter::Behaviour,
        requirements: &["HRT-CAT-001"],
        applies_to: "every appliance with energy measurement",
        applied: "simulator: the energy counter is cleared while the power is 0 W",
        build: |d| d.app.energy_resets = true,
    },
];

/// Every fault profile.
pub fn profiles() -> &'static [FaultProfile] {
    PROFILES
}

/// The profile named `name`.
pub fn profile(name: &str) -> Option<&'static FaultProfile> {
    PROFILES.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn profiles_are_many_distinct_and_span_every_chapter() {
        assert!(profiles().len() >= 15);
        let names: BTreeSet<_> = profiles().iter().map(|p| p.name).collect();
        assert_eq!(names.len(), profiles().len());
        for chapter in [
            Chapter::Model,
            Chapter::Security,
            Chapter::Messages,
            Chapter::Mqtt,
            Chapter::Behaviour,
        ] {
            assert!(
                profiles().iter().any(|p| p.chapter == chapter),
                "{chapter:?}"
            );
        }
        for p in profiles() {
            assert!(!p.requirements.is_empty(), "{}", p.name);
            assert_ne!(p.deviation(), Deviation::default(), "{}", p.name);
            assert!(p.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
    }

    /// Every requirement id a profile cites exists in the specification.
    #[test]
    fn cited_requirements_exist_in_the_spec() {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec");
        let mut text = String::new();
        for chapter in [
            "01-model.md",
            "02-catalog.md",
            "03-security.md",
            "04-messages.md",
            "05-mqtt.md",
        ] {
            text.push_str(
                &std::fs::read_to_string(format!("{spec}/{chapter}")).expect("spec chapter"),
            );
        }
        for p in profiles() {
            for id in p.requirements {
                assert!(
                    text.contains(&format!("**[{id}]**")),
                    "{}: {id} is not a requirement of the spec",
                    p.name
                );
            }
        }
    }
}
