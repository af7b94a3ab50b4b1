//! Controller fault profiles: named, documented single deviations of a controller from the
//! specification, for the self-check of the controller suite (`TC-CTL`).
//!
//! Each profile makes the reference controller break one receiver or sender rule and names
//! the requirement ids it breaks. Deviations of the protocol go through the controller
//! core's seam, `hearth_mqtt::fault::ControllerFaults` (compiled only with the
//! `fault-injection` feature this crate turns on); a counter store that forgets is the
//! controller's platform's doing, and the self-check commits it itself
//! ([`ControllerDeviation::forget_counter`]).

use hearth_mqtt::fault::ControllerFaults;
use serde::Serialize;

use crate::faults::{applied, build, Chapter};

/// Everything a controller profile changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControllerDeviation {
    /// Protocol deviations committed by the controller core.
    pub protocol: ControllerFaults,
    /// Keep the send counter in memory only, so that every start signs again from zero.
    pub forget_counter: bool,
}

/// One named controller fault profile.
#[derive(Debug, Clone, Serialize)]
pub struct ControllerProfile {
    /// The name, in kebab-case, beginning with `ctl-` (`hearth mutants --only NAME`).
    pub name: &'static str,
    /// What the controller does wrong, in a line.
    pub summary: &'static str,
    /// The chapter it offends.
    pub chapter: Chapter,
    /// The requirement ids it breaks.
    pub requirements: &'static [&'static str],
    /// How it is applied.
    pub applied: &'static str,
    #[serde(skip)]
    build: fn(&mut ControllerDeviation),
}

impl ControllerProfile {
    /// The deviations this profile makes.
    pub fn deviation(&self) -> ControllerDeviation {
        let mut d = ControllerDeviation::default();
        (self.build)(&mut d);
        d
    }
}

/// The table of controller profiles: the summary as a doc comment, how it is applied
/// (`#[applied = "…"]`, unless it is a single switch of [`ControllerFaults`]), then
/// `name Chapter [requirements] => how`, `how` the switch or a closure in parentheses.
macro_rules! controller_profiles {
    ($(
        $(#[doc = $doc:literal])+
        $(#[applied = $applied:literal])?
        $name:literal $chapter:ident [$($req:literal),+] => $how:tt;
    )+) => {
        &[$(ControllerProfile {
            name: $name,
            summary: concat!($($doc),+).trim_ascii_start(),
            chapter: Chapter::$chapter,
            requirements: &[$($req),+],
            applied: applied!(ControllerFaults $($applied)? $how),
            build: build!($how),
        }),+]
    };
}

#[rustfmt::skip]
static CONTROLLER_PROFILES: &[ControllerProfile] = controller_profiles! {
    /// Takes a report that is no COSE_Sign1 at all, the bare message, as the device's.
    "ctl-accept-unsigned" Security ["HRT-SEC-030"] => accept_unsigned;
    /// Takes a report whose signature does not verify under the device's key.
    "ctl-skip-signature" Security ["HRT-SEC-034"] => skip_signature;
    /// Takes a report again when the same signed message is replayed, and its values as the newest.
    #[applied = "ControllerFaults::ignore_replay and ignore_value_order: no replay window, and every value taken as it comes"]
    "ctl-ignore-replay" Security ["HRT-SEC-097"] => (|d| {
        d.protocol.ignore_replay = true;
        d.protocol.ignore_value_order = true;
    });
    /// Takes the values of a report that arrives after a newer one as the newest.
    "ctl-ignore-order" Messages ["HRT-MSG-059"] => ignore_value_order;
    /// Trusts the leaf of a chain whose issuer is no trust anchor, so a foreign root's device is believed.
    "ctl-trust-any-root" Security ["HRT-SEC-065"] => trust_any_root;
    /// Takes a chain refused only because a certificate of it has expired.
    "ctl-ignore-expiry" Security ["HRT-SEC-071"] => ignore_expiry;
    /// Takes a report signed by a controller certificate named as the device, whatever its role.
    "ctl-accept-wrong-role" Security ["HRT-SEC-121"] => accept_wrong_role;
    /// Takes a report signed by another device of the vendor as the report of the device its topic names.
    "ctl-ignore-topic-binding" Mqtt ["HRT-MQTT-010"] => ignore_topic_binding;
    /// Takes every reported value, also one outside the range the description declares.
    "ctl-accept-out-of-range" Messages ["HRT-MSG-085"] => accept_out_of_range;
    /// Gives every request the same request id.
    "ctl-repeat-request-ids" Messages ["HRT-MSG-090"] => repeat_request_ids;
    /// Ignores revocation lists, so a report signed under a certificate its vendor CA revoked is believed.
    "ctl-ignore-revocation" Security ["HRT-SEC-075"] => ignore_revocation;
    /// Takes an offline status as a live message, so that a will numbered far ahead makes the device's later messages look old.
    "ctl-will-as-live" Mqtt ["HRT-MQTT-043"] => will_as_live;
    /// Keeps its send counter in memory only: after a restart it signs again from counter 0.
    #[applied = "self-check: a MemoryCounterStore created afresh at every start"]
    "ctl-counter-reuse" Security ["HRT-SEC-090"] => (|d| d.forget_counter = true);
};

/// Every controller fault profile.
pub fn controller_profiles() -> &'static [ControllerProfile] {
    CONTROLLER_PROFILES
}

/// The controller profile named `name`.
pub fn controller_profile(name: &str) -> Option<&'static ControllerProfile> {
    CONTROLLER_PROFILES.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::table_checks;
    use std::collections::BTreeSet;

    #[test]
    fn controller_profiles_are_many_distinct_and_apart_from_the_device_ones() {
        assert!(controller_profiles().len() >= 6);
        let names: BTreeSet<_> = controller_profiles().iter().map(|p| p.name).collect();
        assert_eq!(names.len(), controller_profiles().len());
        for p in controller_profiles() {
            assert!(p.name.starts_with("ctl-"), "{}", p.name);
            assert!(crate::profile(p.name).is_none(), "{}", p.name);
            assert_ne!(p.deviation(), ControllerDeviation::default(), "{}", p.name);
            table_checks::assert_well_formed(p.name, p.requirements, p.summary);
        }
    }

    /// Every requirement id a controller profile cites exists in the specification.
    #[test]
    fn cited_requirements_exist_in_the_spec() {
        let chapters = [
            "03-security.md",
            "04-messages.md",
            "05-mqtt.md",
            "08-controllers.md",
        ];
        let cited = controller_profiles()
            .iter()
            .map(|p| (p.name, p.requirements));
        table_checks::assert_cited_exist(&chapters, cited);
    }
}
