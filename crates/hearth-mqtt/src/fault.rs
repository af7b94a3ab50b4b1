//! Deliberate deviations from the specification, for the simulator's fault profiles.
//!
//! The conformance suite must prove that it catches non-conforming firmware, so the
//! simulator needs devices that break the protocol on purpose. This is the one place where
//! the Device runtime can be told to misbehave, and it exists only with the
//! `fault-injection` cargo feature, which products never enable. Deviations that an
//! application can commit through the ordinary API (wrong status codes from its handler,
//! missing reports of its own changes, events without mandatory fields, a counter store that
//! forgets) need no hook and are not here.

// Without the feature the type is private and every deviation stays off.
#![cfg_attr(not(feature = "fault-injection"), allow(unreachable_pub))]

use std::time::Duration;

/// The protocol deviations a device runtime can be told to commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultInjection {
    /// Serve requests whose signature or certificate chain does not verify (HRT-SEC-034,
    /// HRT-SEC-064), and requests without any.
    pub accept_unsigned: bool,
    /// Serve requests from controllers the access-control list does not admit.
    pub ignore_acl: bool,
    /// Serve replayed requests (HRT-SEC-097, HRT-SEC-098).
    pub ignore_replay: bool,
    /// Hand every write and invocation to the handler without checking it against the
    /// description (HRT-MOD-044 and neighbours).
    pub skip_validation: bool,
    /// Sign with a topic other than the one the message is published on (HRT-MSG-002).
    pub wrong_aad: bool,
    /// Connect without a will (HRT-MQTT-030).
    pub no_will: bool,
    /// Publish the description without the retain flag (HRT-MQTT-015).
    pub description_not_retained: bool,
    /// Stop answering requests after the first one that does not decode (robustness).
    pub stall_after_malformed: bool,
    /// Hold every response back this long (HRT-MSG-093).
    pub response_delay: Option<Duration>,
    /// Start even with a description that does not validate (HRT-MOD-020 and neighbours).
    pub skip_description_check: bool,
    /// Do not report the changes that writes make (HRT-MOD-107).
    pub suppress_reports: bool,
    /// Drop the events emitted while disconnected instead of keeping them (HRT-MQTT-035).
    pub forget_offline_events: bool,
    /// When the store of kept events is full, drop the oldest event whatever its priority
    /// (HRT-MQTT-038).
    pub fifo_event_store: bool,
    /// Take no revocation list (HRT-SEC-072, HRT-SEC-083).
    pub ignore_revocation: bool,
    /// Check certificates and revocation lists against a clock this far behind (HRT-SEC-071,
    /// HRT-SEC-075).
    pub clock_behind: Option<Duration>,
}
