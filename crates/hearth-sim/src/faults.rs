//! Fault profiles: named, documented single deviations from the specification.
//!
//! The conformance suite must prove that it catches non-conforming firmware, so every
//! profile here makes a simulated appliance break exactly one rule (or one closely knit
//! group), and names the requirement ids it breaks. Deviations of the protocol itself
//! (signing, replay, access control, will, retain, malformed input, timing) go through the
//! protocol core's one seam, `hearth_mqtt::fault::FaultInjection` (compiled only with the
//! `fault-injection` feature this crate turns on); deviations an application or its
//! platform can commit through the ordinary API (wrong status codes, missing reports, events
//! without mandatory fields, a description that lies, a counter store that forgets, a clock
//! that runs slow) are done by the simulator's own code through [`AppDeviation`].

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
    /// `spec/07-commissioning.md`.
    Commissioning,
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
            Self::Commissioning => "commissioning",
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
    /// Resume a paused cycle with the door open.
    pub resume_with_door_open: bool,
    /// Leave a cycle under way when switched off.
    pub off_keeps_running: bool,
    /// Take pause while waiting for a delayed start.
    pub pause_while_delayed: bool,
    /// Start a cycle while switched off.
    pub start_while_off: bool,
    /// Take writes of the settings the catalog fixes during a cycle.
    pub settings_during_cycle: bool,
    /// Accept `resume` while idle, starting the selected programme, where the state machine
    /// refuses it.
    pub lax_states: bool,
    /// Refuse start and stop once a cycle has completed, as if completed were a final state,
    /// where the state machine gives both a transition.
    pub completed_terminal: bool,
    /// Publish under the default topic root whatever root it is configured with.
    pub fixed_root: bool,
    /// Keep the passcode of the setup payload in the appliance (instead of only its verifier
    /// record) and derive a new record, with a fresh salt, for every basic window.
    pub keep_passcode: bool,
    /// Hand the runtime a clock this far behind, so that it checks certificates and
    /// revocation lists against a time in the past.
    pub clock_behind: Option<Duration>,
    /// Keep the ACL in memory only, so a restart starts again from the factory's.
    pub forget_acl: bool,
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

/// The incoming MQTT packet limit of a `disconnect-on-oversize` device: every Hearth message
/// with its topic fits (HRT-MSG-030), a 70 000-byte publish does not.
pub const OVERSIZE_LIMIT: usize = 68 * 1024;

/// How far behind the clock of a `slow-clock` device runs.
pub const SLOW_CLOCK: Duration = Duration::from_secs(3600);

const ALL: &str = "every device type";
const CYCLE: &str = "rice cooker, microwave oven, dishwasher, washing machine";
const RESUMABLE: &str = "cycle appliances with a resume action";
const DELAYED_CYCLES: &str = "cycle appliances with delayed start and a pause action";
const SWITCHABLE_CYCLES: &str = "cycle appliances with on-off";
const RESUMABLE_DOORS: &str = "cycle appliances with a door and a resume action";
const SETPOINT: &str =
    "air conditioner, refrigerator, freezer, water heater, and washing machines and dishwashers with temperature control";
const MODES: &str = "every appliance with a mode";
const FRIDGES: &str = "refrigerator, freezer";
const DOORS: &str = "microwave oven, dishwasher, washing machine, rice cooker with a lid sensor";
const ENERGY: &str = "every appliance with energy measurement";

/// A summary written as doc comment lines, without the space each line starts with.
const fn summary(doc: &'static str) -> &'static str {
    doc.trim_ascii_start()
}

/// The table of profiles, one entry each: the summary as a doc comment, how it is applied
/// (`#[applied = "…"]`, unless it is a single switch of the runtime's [`FaultInjection`]),
/// then `name Chapter [requirements] for applies_to => how`. `how` is the name of that
/// switch, or a closure in parentheses that sets the deviation.
macro_rules! profiles {
    ($(
        $(#[doc = $doc:literal])+
        $(#[applied = $applied:literal])?
        $name:literal $chapter:ident [$($req:literal),+] for $applies:ident => $how:tt;
    )+) => {
        &[$(FaultProfile {
            name: $name,
            summary: summary(concat!($($doc),+)),
            chapter: Chapter::$chapter,
            requirements: &[$($req),+],
            applies_to: $applies,
            applied: applied!(FaultInjection $($applied)? $how),
            build: build!($how),
        }),+]
    };
}

/// What `applied` says of a profile: its own words, or the switch of the set of switches
/// `$faults` it turns on (the device and the controller tables alike).
macro_rules! applied {
    ($faults:ident $switch:ident) => {
        concat!(stringify!($faults), "::", stringify!($switch))
    };
    ($faults:ident $text:literal $how:tt) => {
        $text
    };
}
pub(crate) use applied;

/// The deviation a profile makes: its closure, or the switch it turns on (the device and
/// the controller tables alike).
macro_rules! build {
    ($switch:ident) => {
        |d| d.protocol.$switch = true
    };
    (($build:expr)) => {
        $build
    };
}
pub(crate) use build;

#[rustfmt::skip]
static PROFILES: &[FaultProfile] = profiles! {
    /// Serves requests whose signature does not verify, whose chain is untrusted, or that carry
    /// no valid signature at all.
    "accept-unsigned" Security ["HRT-SEC-033", "HRT-SEC-034", "HRT-SEC-064", "HRT-SEC-131"] for ALL => accept_unsigned;
    /// Serves requests from controllers its access-control list does not admit.
    "ignore-acl" Security ["HRT-SEC-114", "HRT-SEC-119"] for ALL => ignore_acl;
    /// Answers a request signed by a device or lab certificate `unauthorized` instead of
    /// dropping it unanswered.
    "answer-wrong-role" Security ["HRT-SEC-120"] for ALL => answer_wrong_role;
    /// Leaves an unauthorized answer that also names a missing path unsupported out of its rate
    /// limit, so the signer is answered unauthorized again within the same second.
    "uncounted-mixed-refusals" Security ["HRT-SEC-133"] for ALL => uncounted_mixed_refusals;
    /// Refuses every path of a request its sender may not make as `unauthorized`, also the
    /// paths it does not have, which existence answers first.
    "privilege-before-existence" Messages ["HRT-MSG-064", "HRT-MOD-115"] for ALL => privilege_before_existence;
    /// Takes the chain a request carries in place of the valid chain it already holds for the
    /// key, and drops the request when that other chain does not validate or names another
    /// subject than the sender.
    "carried-chain-first" Security ["HRT-MSG-014"] for ALL => carried_chain_first;
    /// Counts a copy of the trust anchor at the end of a carried chain as a certificate below
    /// the anchor, and so refuses a controller two certificates below the anchor whose chain
    /// ends with that copy.
    "anchor-copy-counted" Security ["HRT-SEC-067"] for ALL => anchor_copy_counted;
    /// Takes any `confirmP` as correct: a commissioner with a wrong passcode is admitted with
    /// `manage`.
    "any-passcode" Commissioning ["HRT-COM-055", "HRT-COM-056"] for ALL => any_passcode;
    /// Keeps a commissioning window open however many of its sessions fail.
    "no-attempt-limit" Commissioning ["HRT-COM-024"] for ALL => no_attempt_limit;
    /// Keeps a commissioning window open past its deadline.
    "window-never-closes" Commissioning ["HRT-COM-026"] for ALL => window_never_closes;
    /// Takes ACL reads and changes and window requests from a controller holding `operate`.
    "acl-with-operate" Commissioning ["HRT-COM-060"] for ALL => acl_with_operate;
    /// Applies an ACL change that leaves no manager.
    "last-manager-removable" Commissioning ["HRT-COM-063"] for ALL => last_manager_removable;
    /// Takes the confirmation of a session from whichever controller signs it, and admits that
    /// controller's key instead of the commissioner's key the key exchange bound.
    "unbound-commissioner" Commissioning ["HRT-COM-055"] for ALL => unbound_commissioner;
    /// Keeps its passcode instead of only the verifier record, and derives a new record with a
    /// fresh salt for every basic window it opens.
    #[applied = "simulator: the runtime is given the passcode (FaultInjection::kept_passcode) and derives each basic window's record from it"]
    "passcode-stored" Commissioning ["HRT-COM-032", "HRT-COM-085"] for ALL => (|d| d.app.keep_passcode = true);
    /// Keeps its ACL in memory only: after a restart it has the ACL it left the factory with,
    /// and every controller commissioned or changed since is forgotten.
    #[applied = "simulator: the runtime's access store is in memory, new at every start, holding the factory's ACL"]
    "acl-forgotten" Commissioning ["HRT-COM-065"] for ALL => (|d| d.app.forget_acl = true);
    /// Takes no revocation list: keys its CA revoked are still served.
    "ignore-revocation" Security ["HRT-SEC-072", "HRT-SEC-083"] for ALL => ignore_revocation;
    /// Serves a request whose sender is no controller id and answers it on that sender's topic.
    "answer-any-sender" Messages ["HRT-MQTT-046"] for ALL => answer_any_sender;
    /// Takes no retained revocation list: after a restart, keys revoked before it are served.
    "ignore-retained-lists" Security ["HRT-SEC-104"] for ALL => ignore_retained_lists;
    /// Checks certificates against a clock an hour slow: a certificate that expired within the
    /// hour is still accepted.
    #[applied = "simulator: its runtime reads the time from a clock an hour slow"]
    "slow-clock" Security ["HRT-SEC-071", "HRT-SEC-075"] for ALL => (|d| d.app.clock_behind = Some(SLOW_CLOCK));
    /// Publishes under the default topic root hearth/1 whatever root it is configured with.
    #[applied = "simulator: the device's topics ignore the configured root"]
    "fixed-root" Mqtt ["HRT-MQTT-003"] for ALL => (|d| d.app.fixed_root = true);
    /// Publishes its will, sealed with the counter reserved for it, as the offline status of an
    /// orderly shutdown instead of sealing that status with the next counter.
    "offline-status-as-will" Mqtt ["HRT-MQTT-045"] for ALL => offline_status_as_will;
    /// Drops the events it emits while disconnected instead of publishing them when it is back.
    "forget-offline-events" Mqtt ["HRT-MQTT-035"] for ALL => forget_offline_events;
    /// When its store of kept events is full, drops the oldest event, critical or not.
    "fifo-event-store" Mqtt ["HRT-MQTT-038"] for ALL => fifo_event_store;
    /// Checks a replayed request against its access-control list before the replay window, so
    /// that a controller without the privilege is answered unauthorized again.
    "acl-before-replay" Security ["HRT-SEC-102"] for ALL => acl_before_replay;
    /// Serves a request again when the same signed message is replayed.
    "ignore-replay" Security ["HRT-SEC-097", "HRT-SEC-098", "HRT-SEC-102"] for ALL => ignore_replay;
    /// Keeps its send counter in memory only: after a restart it signs again from counter 0,
    /// reusing counters receivers have already accepted.
    #[applied = "simulator: a MemoryCounterStore created afresh at every start"]
    "counter-reuse" Security ["HRT-SEC-090", "HRT-SEC-091", "HRT-SEC-092"] for ALL => (|d| d.app.forget_counter = true);
    /// Signs every message with a topic other than the one it publishes it on as external AAD.
    "wrong-aad" Messages ["HRT-MSG-002", "HRT-SEC-024"] for ALL => wrong_aad;
    /// Answers every request only after 6 seconds, when controllers have stopped waiting.
    #[applied = "FaultInjection::response_delay = 6 s"]
    "slow-response" Messages ["HRT-MSG-093", "HRT-MSG-097"] for ALL => (|d| d.protocol.response_delay = Some(SLOW_RESPONSE));
    /// Stops answering requests after the first message that does not decode.
    "stall-after-malformed" Security ["HRT-SEC-130", "HRT-SEC-136"] for ALL => stall_after_malformed;
    /// Decodes payloads as a general-purpose CBOR decoder does: a bignum counter or value is
    /// read as an integer, undefined as null, indefinite lengths are taken and a repeated text
    /// key is ignored, so correctly signed requests outside the profile are served.
    "lax-decoding" Messages ["HRT-MSG-101", "HRT-MSG-102", "HRT-MSG-103", "HRT-MSG-104"] for ALL => lax_decoding;
    /// Takes an envelope outside the CBOR profile, such as an outer array of indefinite length,
    /// as a general-purpose decoder reads it.
    "lax-envelope" Messages ["HRT-MSG-101", "HRT-MSG-102"] for ALL => lax_envelope;
    /// Answers a write carrying a floating-point number invalid-type, as if the float were a
    /// value of the wrong type, instead of dropping the message, which does not decode.
    "float-answered" Messages ["HRT-MSG-040", "HRT-MSG-082"] for ALL => answer_float;
    /// Takes incoming MQTT packets of at most 68 KiB, as an MQTT client with a packet limit
    /// below the broker's does, and loses its connection on a larger publish instead of
    /// dropping the message.
    #[applied = "FaultInjection::mqtt_packet_limit = 68 KiB"]
    "disconnect-on-oversize" Messages ["HRT-MSG-105", "HRT-MQTT-071", "HRT-SEC-136"] for ALL => (|d| d.protocol.mqtt_packet_limit = Some(OVERSIZE_LIMIT));
    /// Emits fault-raised and fault-cleared events without their mandatory severity and action
    /// fields.
    #[applied = "simulator: the fault events are built without fields 3 and 4"]
    "event-missing-fields" Messages ["HRT-MSG-061", "HRT-MOD-047", "HRT-MOD-106"] for ALL => (|d| d.app.bare_events = true);
    /// Connects without a will, so a lost connection never shows the device offline.
    "no-will" Mqtt ["HRT-MQTT-030"] for ALL => no_will;
    /// Publishes its description without the RETAIN flag, so controllers that subscribe later
    /// never discover it.
    "description-not-retained" Mqtt ["HRT-MQTT-015"] for ALL => description_not_retained;
    /// Accepts and applies writes outside the declared range or step, and actions with invalid
    /// arguments, answering success.
    "accept-out-of-range" Model ["HRT-MOD-044", "HRT-MOD-045", "HRT-MOD-062"] for ALL => skip_validation;
    /// Leaves the mandatory faults capability out of its description.
    #[applied = "simulator: the description builder drops `faults`; FaultInjection::skip_description_check lets it start"]
    "missing-mandatory-capability" Model ["HRT-MOD-020", "HRT-MOD-024"] for ALL => (|d| { d.app.omit_mandatory = true; d.protocol.skip_description_check = true; });
    /// Declares a setpoint range, then refuses the upper half of it with constraint-error.
    #[applied = "simulator: the handler refuses setpoints above the middle of the declared range"]
    "range-lie" Model ["HRT-MOD-062"] for SETPOINT => (|d| d.app.range_lie = true);
    /// Reports a vendor mode code that its description does not declare.
    #[applied = "simulator: reads of mode/current-mode return 0x80FF"]
    "undeclared-mode" Model ["HRT-MOD-006", "HRT-MOD-045", "HRT-MOD-106"] for MODES => (|d| d.app.undeclared_mode = true);
    /// Answers a command the current state does not allow with failure instead of
    /// invalid-in-state.
    #[applied = "simulator: invalid-in-state answers are replaced by failure"]
    "wrong-status-code" Behaviour ["HRT-MOD-051", "HRT-CAT-040", "HRT-MOD-062"] for CYCLE => (|d| d.app.wrong_status = true);
    /// Reports none of its changes: neither those it makes by itself (temperatures, cycle
    /// progress) nor those of writes.
    #[applied = "simulator: no change reports; FaultInjection::suppress_reports for writes"]
    "silent-changes" Behaviour ["HRT-MOD-107", "HRT-MSG-056", "HRT-MSG-057"] for ALL => (|d| { d.app.silent = true; d.protocol.suppress_reports = true; });
    /// Declares the door-alarm events but never emits them when a door stays open too long.
    #[applied = "simulator: the compartment raises its alarm property without the event"]
    "no-door-alarm" Behaviour ["HRT-MOD-108"] for FRIDGES => (|d| d.app.no_door_alarm = true);
    /// Starts a cycle although the door is open, instead of refusing with invalid-in-state.
    #[applied = "simulator: the door check before start is skipped"]
    "start-with-door-open" Behaviour ["HRT-CAT-047", "HRT-MOD-051", "HRT-CAT-001"] for DOORS => (|d| d.app.ignore_door = true);
    /// Resumes a paused cycle although the door is open, instead of refusing with
    /// invalid-in-state (it checks the door only before start).
    #[applied = "simulator: the door check before resume is skipped"]
    "resume-with-door-open" Behaviour ["HRT-CAT-047"] for RESUMABLE_DOORS => (|d| d.app.resume_with_door_open = true);
    /// Switches off without ending the cycle under way, which keeps running, instead of
    /// stopping it as the stop action does.
    #[applied = "simulator: writing on-off false leaves the cycle as it is"]
    "off-keeps-running" Behaviour ["HRT-CAT-048"] for SWITCHABLE_CYCLES => (|d| d.app.off_keeps_running = true);
    /// Accepts pause while a cycle waits for its delayed start, which the state machine gives no
    /// transition, and goes to paused instead of answering invalid-in-state.
    #[applied = "simulator: pause while delayed is served, the state becomes paused"]
    "pause-while-delayed" Behaviour ["HRT-CAT-040"] for DELAYED_CYCLES => (|d| d.app.pause_while_delayed = true);
    /// Starts a cycle while switched off, instead of answering invalid-in-state until it is
    /// switched on.
    #[applied = "simulator: the on-off check before start is skipped"]
    "start-while-off" Behaviour ["HRT-CAT-045"] for SWITCHABLE_CYCLES => (|d| d.app.start_while_off = true);
    /// Takes a change of programme or of its options while a cycle is under way, instead of
    /// answering invalid-in-state as the settings table requires.
    #[applied = "simulator: the settings table is not consulted before a write"]
    "settings-during-cycle" Behaviour ["HRT-CAT-043"] for CYCLE => (|d| d.app.settings_during_cycle = true);
    /// Accepts a transition the state machine forbids: resume while idle starts the selected
    /// programme instead of answering invalid-in-state.
    #[applied = "simulator: resume while idle is served as start"]
    "lax-state-machine" Behaviour ["HRT-CAT-040", "HRT-MOD-051"] for RESUMABLE => (|d| d.app.lax_states = true);
    /// Treats completed as a final state: refuses start and stop there with invalid-in-state,
    /// where the state machine starts a new cycle and returns to idle.
    #[applied = "simulator: start and stop while completed answer invalid-in-state"]
    "completed-is-terminal" Behaviour ["HRT-CAT-049"] for CYCLE => (|d| d.app.completed_terminal = true);
    /// Resets its cumulative energy counter to zero whenever it draws no power.
    #[applied = "simulator: the energy counter is cleared while the power is 0 W"]
    "energy-counter-reset" Behaviour ["HRT-CAT-001"] for ENERGY => (|d| d.app.energy_resets = true);
};

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
            assert_ne!(p.deviation(), Deviation::default(), "{}", p.name);
            table_checks::assert_well_formed(p.name, p.requirements, p.summary);
        }
    }

    /// Every requirement id a profile cites exists in the specification.
    #[test]
    fn cited_requirements_exist_in_the_spec() {
        let chapters = [
            "01-model.md",
            "02-catalog.md",
            "03-security.md",
            "04-messages.md",
            "05-mqtt.md",
            "07-commissioning.md",
        ];
        table_checks::assert_cited_exist(
            &chapters,
            profiles().iter().map(|p| (p.name, p.requirements)),
        );
    }
}

/// The checks the device and the controller profile tables share.
#[cfg(test)]
pub(crate) mod table_checks {
    /// A profile cites requirements, and its name and summary have the table's form.
    pub(crate) fn assert_well_formed(name: &str, requirements: &[&str], summary: &str) {
        assert!(!requirements.is_empty(), "{name}");
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name}"
        );
        assert!(
            summary.ends_with('.') && !summary.starts_with(' ') && !summary.contains("  "),
            "{name}: {summary}"
        );
    }

    /// Every requirement id each `(profile, ids)` cites is one of the spec's `chapters`.
    pub(crate) fn assert_cited_exist<'a>(
        chapters: &[&str],
        cited: impl IntoIterator<Item = (&'a str, &'a [&'a str])>,
    ) {
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec");
        let text: String = chapters
            .iter()
            .map(|c| std::fs::read_to_string(format!("{spec}/{c}")).expect("spec chapter"))
            .collect();
        for (name, ids) in cited {
            for id in ids {
                assert!(
                    text.contains(&format!("**[{id}]**")),
                    "{name}: {id} is not a requirement of the spec"
                );
            }
        }
    }
}
