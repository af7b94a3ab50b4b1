//! Deliberate deviations from the specification, for the simulator's fault profiles: the one
//! seam through which a core can be told to misbehave.
//!
//! The conformance suite must prove that it catches non-conforming firmware, so the
//! simulator needs devices that break the protocol on purpose. Every such deviation of the
//! device core is a hook here, and the core asks the hook at the one place the rule is
//! applied. With the `fault-injection` cargo feature, [`FaultInjection`] is a set of switches
//! the simulator turns on. Without it (every product build) it is a zero-sized type whose
//! every hook is a constant `false` or `None`, so the compiler removes the deviating branches
//! and none of their code is in the binary.
//!
//! Not here: deviations an application commits through the ordinary API (wrong status codes
//! from its handler, missing reports of its own changes, events without mandatory fields, a
//! counter store that forgets, a slow clock handed to its shell) need no hook.

#[cfg(feature = "fault-injection")]
use std::time::Duration;

use hearth_security::cose::VerifyError;
#[cfg(feature = "fault-injection")]
use hearth_security::pake::ProverSecret;
use hearth_security::pake::VerifierRecord;
use hearth_security::pki::SecureRandom;
use hearth_wire::commissioning::WindowParams;
use hearth_wire::{DecodeError, Message, OpenError, Receiver};

/// Declares a set of switches once: the struct, with a public field per switch (and the
/// `extra` fields) under the feature, and a hook method per switch that reads it (or is a
/// constant `false` without the feature).
macro_rules! switches {
    (
        $(#[doc = $tydoc:literal])+
        $ty:ident { $($extra:tt)* }
        $($(#[doc = $doc:literal])+ $name:ident,)+
    ) => {
        $(#[doc = $tydoc])+
        #[cfg(feature = "fault-injection")]
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $ty {
            $($(#[doc = $doc])+ pub $name: bool,)+
            $($extra)*
        }

        impl $ty {
            $(
                $(#[doc = $doc])+
                #[cfg(feature = "fault-injection")]
                #[inline]
                pub(crate) fn $name(&self) -> bool {
                    self.$name
                }

                $(#[doc = $doc])+
                #[cfg(not(feature = "fault-injection"))]
                #[inline]
                pub(crate) const fn $name(&self) -> bool {
                    false
                }
            )+
        }
    };
}

/// No deviations: the product build has nothing to switch on (a zero-sized type).
#[cfg(not(feature = "fault-injection"))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultInjection {
    _none: (),
}

switches! {
    /// The protocol deviations a device core can be told to commit (all off by default).
    FaultInjection {
        /// Hold every response back this long (HRT-MSG-093): a timer of the core.
        pub response_delay: Option<Duration>,
        /// Take incoming MQTT packets of at most this many bytes, and lose the connection
        /// on a larger one (HRT-MSG-105): read by the MQTT shell, not the core.
        pub mqtt_packet_limit: Option<usize>,
        /// Keep this passcode instead of only the factory's verifier record (HRT-COM-032),
        /// and derive from it a new record, with a fresh salt, for every basic window
        /// (HRT-COM-085).
        pub kept_passcode: Option<u32>,
    }
    /// Serve requests whose signature or certificate chain does not verify (HRT-SEC-034,
    /// HRT-SEC-064), and requests without any.
    accept_unsigned,
    /// Serve requests from controllers the access-control list does not admit.
    ignore_acl,
    /// Serve replayed requests (HRT-SEC-097, HRT-SEC-098).
    ignore_replay,
    /// Hand every write and invocation to the handler without checking it against the
    /// description (HRT-MOD-044 and neighbours).
    skip_validation,
    /// Sign with a topic other than the one the message is published on (HRT-MSG-002).
    wrong_aad,
    /// Connect without a will (HRT-MQTT-030).
    no_will,
    /// Publish the description without the retain flag (HRT-MQTT-015).
    description_not_retained,
    /// Stop answering requests after the first one that does not decode (robustness).
    stall_after_malformed,
    /// Start even with a description that does not validate (HRT-MOD-020 and neighbours).
    skip_description_check,
    /// Do not report the changes that writes make (HRT-MOD-107).
    suppress_reports,
    /// Drop the events emitted while disconnected instead of keeping them (HRT-MQTT-035).
    forget_offline_events,
    /// When the store of kept events is full, drop the oldest event whatever its priority
    /// (HRT-MQTT-038).
    fifo_event_store,
    /// Take no revocation list (HRT-SEC-072, HRT-SEC-083).
    ignore_revocation,
    /// Serve a request whose sender is no controller id, and answer it on the response topic
    /// named after that sender (HRT-MQTT-046).
    answer_any_sender,
    /// Take no retained revocation list, as if a list the broker kept were not news: after
    /// a restart, keys revoked before it are served until the CA publishes again
    /// (HRT-SEC-104, HRT-MQTT-061).
    ignore_retained_lists,
    /// Answer a request whose signer is no controller `unauthorized` instead of dropping it
    /// unanswered (HRT-SEC-120).
    answer_wrong_role,
    /// Refuse every path of a request its sender may not make as `unauthorized`, whether
    /// the path exists or not (HRT-MSG-064, HRT-MOD-115: existence comes first).
    privilege_before_existence,
    /// Read a payload outside the CBOR profile as a general-purpose decoder does: a bignum as
    /// an integer, `undefined` as null, indefinite lengths, a repeated text key ignored
    /// (HRT-MSG-101 … HRT-MSG-104). The signature is still verified.
    lax_decoding,
    /// Take an envelope outside the CBOR profile — an indefinite-length array, a tag inside
    /// (HRT-MSG-101, HRT-MSG-102) — as a general-purpose decoder reads it. The signature is
    /// still verified.
    lax_envelope,
    /// Read a floating-point number in a request as a value of the wrong type and answer
    /// `invalid-type`, instead of dropping the message, which does not decode (HRT-MSG-040,
    /// HRT-MSG-082). The signature is still verified.
    answer_float,
    /// Count only refusals that answer every path `unauthorized` against the rate limit, not
    /// those mixing `unauthorized` with `unsupported-…` codes (HRT-SEC-133).
    uncounted_mixed_refusals,
    /// Publish the will's own bytes, sealed with the counter reserved for it, as the offline
    /// status of an orderly shutdown (HRT-MQTT-045).
    offline_status_as_will,
    /// Take the chain a request carries in place of the valid chain the device holds for its
    /// key: drop the request when the carried chain does not validate, or when its subject is
    /// not the sender (HRT-MSG-014).
    carried_chain_first,
    /// Check a replayed request against the access-control list before the replay window,
    /// and answer it `unauthorized` again where the list refuses its sender (HRT-SEC-102).
    acl_before_replay,
    /// Count a copy of the trust anchor at the anchor end of a carried chain as a certificate
    /// below the anchor, and so refuse a chain of two certificates and that copy (HRT-SEC-067).
    anchor_copy_counted,
    /// Take any `confirmP` of a session as correct, so that a commissioner with a wrong
    /// passcode is admitted (HRT-COM-055, HRT-COM-056).
    any_passcode,
    /// Keep a window open however many of its sessions fail (HRT-COM-024).
    no_attempt_limit,
    /// Keep a window open past its deadline (HRT-COM-026).
    window_never_closes,
    /// Take `acl-read`, `acl-change` and `window-control` from a controller holding
    /// `operate` (HRT-COM-060).
    acl_with_operate,
    /// Apply an `acl-change` that leaves no entry with `manage` (HRT-COM-063).
    last_manager_removable,
    /// Take the `pake-confirm` of the running session from whichever controller signs it,
    /// and add that controller's key to the ACL instead of the commissioner's key the
    /// session's transcript binds (HRT-COM-055).
    unbound_commissioner,
}

impl FaultInjection {
    /// How long to hold a response back, if at all.
    #[cfg(feature = "fault-injection")]
    #[inline]
    pub(crate) fn response_delay(&self) -> Option<Duration> {
        self.response_delay
    }

    /// Without deviations a response goes out at once.
    #[cfg(not(feature = "fault-injection"))]
    #[inline]
    pub(crate) const fn response_delay(&self) -> Option<std::time::Duration> {
        None
    }

    /// The parameters and the verifier record of a basic window, if a deviation does not use
    /// the factory's `params`: with a kept passcode, a record derived afresh for a salt of the
    /// same length drawn from `rng` (`kept_passcode`).
    #[cfg(feature = "fault-injection")]
    pub(crate) fn rederived(
        &self,
        params: &WindowParams,
        rng: &dyn SecureRandom,
    ) -> Option<(WindowParams, VerifierRecord)> {
        let passcode = self.kept_passcode?;
        let mut salt = vec![0; params.salt.len()];
        rng.fill(&mut salt).ok()?;
        let secret = ProverSecret::from_passcode(passcode, &salt, params.iterations).ok()?;
        let fresh = WindowParams {
            salt,
            ..params.clone()
        };
        Some((fresh, secret.verifier_record()))
    }

    /// Without deviations a basic window uses the factory's record.
    #[cfg(not(feature = "fault-injection"))]
    #[inline]
    pub(crate) const fn rederived(
        &self,
        _: &WindowParams,
        _: &dyn SecureRandom,
    ) -> Option<(WindowParams, VerifierRecord)> {
        None
    }

    /// The privilege a request needs: `needed`, unless a deviation lets `operate` do what
    /// `manage` is for (`acl_with_operate`).
    pub(crate) fn privilege_needed(
        &self,
        needed: Option<hearth_model::Privilege>,
    ) -> Option<hearth_model::Privilege> {
        match needed {
            Some(hearth_model::Privilege::Manage) if self.acl_with_operate() => {
                Some(hearth_model::Privilege::Operate)
            }
            other => other,
        }
    }

    /// The topic a message is signed for: its own, unless the signature is to be wrong.
    pub(crate) fn aad(&self, rel: &str) -> String {
        if self.wrong_aad() {
            format!("{rel}/moved")
        } else {
            rel.to_owned()
        }
    }

    /// Whether a request that failed to open with `err` stops the device answering.
    pub(crate) fn stalls_on(&self, err: &OpenError) -> bool {
        self.stall_after_malformed() && matches!(err, OpenError::Decode(_) | OpenError::Envelope(_))
    }

    /// A request that failed to open with `err`, decoded without its signature, if a
    /// deviation serves it anyway (replays under `ignore_replay`, anything else under
    /// `accept_unsigned`).
    pub(crate) fn lenient(&self, err: &OpenError, payload: &[u8]) -> Option<Message> {
        let serve = if matches!(err, OpenError::Replay(_)) {
            self.ignore_replay()
        } else {
            self.accept_unsigned()
        };
        serve.then(|| unverified(payload)).flatten()
    }
}

impl FaultInjection {
    /// A replayed request (`err`) of a signer `receiver` knows, decoded with that signer's
    /// peer, if a deviation checks the access-control list before the replay window.
    pub(crate) fn replayed_for_acl(
        &self,
        err: &OpenError,
        bytes: &[u8],
        receiver: &Receiver,
    ) -> Option<(Message, std::sync::Arc<hearth_security::peers::Peer>)> {
        if !self.acl_before_replay() || !matches!(err, OpenError::Replay(_)) {
            return None;
        }
        replayed_request(bytes, receiver)
    }

    /// Why a deviation drops a request that opened, if it does: for the other chain it
    /// carries, which does not validate at `now` (Unix seconds) or whose subject is not the
    /// sender, although the receiver holds a valid one (`carried_chain_first`); or for a copy
    /// of a trust anchor at the anchor end of its chain, counted as a certificate below the
    /// anchor (`anchor_copy_counted`).
    pub(crate) fn refuses_opened(
        &self,
        receiver: &Receiver,
        msg: &Message,
        now: u64,
    ) -> Option<&'static str> {
        if self.carried_chain_first()
            && !msg.chain.is_empty()
            && receiver
                .validate(&msg.chain, now)
                .map_or(true, |peer| peer.chain.leaf.subject != msg.sender)
        {
            return Some("HRT-MSG-014");
        }
        let ends_with_anchor = || {
            msg.chain.last().is_some_and(|last| {
                receiver
                    .trust()
                    .roots()
                    .any(|root| root.as_bytes() == last.as_slice())
            })
        };
        if self.anchor_copy_counted() && msg.chain.len() > 2 && ends_with_anchor() {
            return Some("HRT-SEC-067");
        }
        None
    }

    /// A request refused for its CBOR alone, opened the way a receiver that is not strict
    /// opens it, if a deviation does (`lax_envelope` for the envelope, `lax_decoding` for
    /// the payload): the envelope read as ciborium reads it, the signature verified under
    /// the key of a signer `receiver` already knows, the payload decoded, the header and
    /// the sender checked. The replay window is not consulted.
    pub(crate) fn lax(
        &self,
        err: &OpenError,
        bytes: &[u8],
        rel: &str,
        receiver: &Receiver,
    ) -> Option<Message> {
        let outside = |e: &OpenError| match e {
            OpenError::Envelope(VerifyError::OutsideProfile(_)) => Some(true),
            OpenError::Decode(DecodeError::OutsideProfile(_)) => Some(false),
            _ => None,
        };
        let envelope = outside(err)?;
        if !envelope && self.answer_float() {
            return lax_open(bytes, rel, receiver, PayloadReading::FloatsAsText);
        }
        if (envelope && !self.lax_envelope()) || (!envelope && !self.lax_decoding()) {
            return None;
        }
        let reading = if self.lax_decoding() {
            PayloadReading::Lax
        } else {
            PayloadReading::Strict
        };
        lax_open(bytes, rel, receiver, reading)
    }
}

/// How a leniently opened envelope's payload is decoded.
#[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
enum PayloadReading {
    /// As the profile requires.
    Strict,
    /// As a general-purpose CBOR decoder reads it (`codec::decode_lax`).
    Lax,
    /// Strictly, but with floating-point numbers read as text (`codec::decode_floats_as_text`).
    FloatsAsText,
}

/// Open `bytes` received on `rel` with the envelope read leniently and the payload as
/// `reading` says.
#[cfg(feature = "fault-injection")]
fn lax_open(
    bytes: &[u8],
    rel: &str,
    receiver: &Receiver,
    reading: PayloadReading,
) -> Option<Message> {
    let sign1 = hearth_security::cose::Sign1::parse(bytes).ok()?;
    let kid = hearth_security::key::KeyId::from_slice(&sign1.protected.key_id)?;
    let peer = receiver.peer(&kid)?;
    let tbs = sign1.to_be_signed(rel.as_bytes(), None);
    peer.key
        .verify(peer.key.algorithm(), &tbs, &sign1.signature)
        .ok()?;
    let payload = sign1.payload.as_deref()?;
    let limits = receiver.limits();
    let msg = match reading {
        PayloadReading::Strict => hearth_wire::codec::decode(payload, limits),
        PayloadReading::Lax => hearth_wire::codec::decode_lax(payload, limits),
        PayloadReading::FloatsAsText => hearth_wire::codec::decode_floats_as_text(payload, limits),
    }
    .ok()?;
    hearth_wire::codec::check_header(&msg).ok()?;
    (msg.sender == peer.chain.leaf.subject).then_some(msg)
}

/// Without deviations nothing is opened leniently.
#[cfg(not(feature = "fault-injection"))]
const fn lax_open(_: &[u8], _: &str, _: &Receiver, _: PayloadReading) -> Option<Message> {
    None
}

/// A replayed request decoded with the peer of its signer, which `receiver` knows.
#[cfg(feature = "fault-injection")]
fn replayed_request(
    bytes: &[u8],
    receiver: &Receiver,
) -> Option<(Message, std::sync::Arc<hearth_security::peers::Peer>)> {
    let sign1 = hearth_security::cose::Sign1::parse(bytes).ok()?;
    let kid = hearth_security::key::KeyId::from_slice(&sign1.protected.key_id)?;
    let peer = receiver.peer(&kid)?.clone();
    let msg = hearth_wire::codec::decode(sign1.payload.as_deref()?, receiver.limits()).ok()?;
    Some((msg, peer))
}

/// Without deviations no replay is looked at again.
#[cfg(not(feature = "fault-injection"))]
const fn replayed_request(
    _: &[u8],
    _: &Receiver,
) -> Option<(Message, std::sync::Arc<hearth_security::peers::Peer>)> {
    None
}

/// A request decoded without checking its signature.
#[cfg(feature = "fault-injection")]
fn unverified(payload: &[u8]) -> Option<Message> {
    let envelope = hearth_security::cose::Sign1::parse(payload).ok()?;
    let limits = &hearth_wire::Limits::STANDARD;
    hearth_wire::codec::decode(envelope.payload.as_deref()?, limits).ok()
}

/// Without deviations nothing is ever decoded without its signature.
#[cfg(not(feature = "fault-injection"))]
const fn unverified(_payload: &[u8]) -> Option<Message> {
    None
}

/// No controller deviations: the product build has nothing to switch on (a zero-sized type).
#[cfg(not(feature = "fault-injection"))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ControllerFaults {
    _none: (),
}

switches! {
    /// The protocol deviations a controller core can be told to commit (all off by
    /// default), for the controller profiles of the suite's self-check.
    ControllerFaults {}
    /// Take a device message that is no COSE_Sign1 at all, the bare message, as the device of
    /// its topic's (HRT-SEC-030).
    accept_unsigned,
    /// Take a device message whose signature does not verify under the key of a signer it
    /// knows (HRT-SEC-034).
    skip_signature,
    /// Take a device message whose counter it has already accepted (HRT-SEC-097).
    ignore_replay,
    /// Take a carried chain whose first certificate's issuer is no trust anchor, trusting its
    /// leaf as it stands (HRT-SEC-065).
    trust_any_root,
    /// Take a carried chain refused because a certificate of it has expired (HRT-SEC-071).
    ignore_expiry,
    /// Take a device message from a signer of the topic's vendor and device id whatever the
    /// role of its certificate (HRT-SEC-121).
    accept_wrong_role,
    /// Take a device message from any device signer, whatever vendor id and subject its
    /// certificate names: the topic alone says whose it is (HRT-MQTT-010).
    ignore_topic_binding,
    /// Take every reported value, whether or not it fits the description (HRT-MSG-085).
    accept_out_of_range,
    /// Give every request the same request id (HRT-MSG-090).
    repeat_request_ids,
    /// Take every verified value as the newest, whatever the counter of the message that
    /// supplied the value held (HRT-MSG-059).
    ignore_value_order,
    /// Ignore revocation lists: a chain under a revoked certificate stays good (HRT-SEC-075).
    ignore_revocation,
    /// Take an offline status as a live message: its counter moves the device's replay
    /// window, so that its later messages more than 64 below it look old (HRT-MQTT-043).
    will_as_live,
}

impl ControllerFaults {
    /// A device message that failed to open with `err`, opened anyway if a deviation takes
    /// it: a replay under `ignore_replay`, a signature that does not verify under
    /// `skip_signature` (both for a signer `receiver` knows, decoded strictly), a chain of an
    /// untrusted root under `trust_any_root` or of an expired certificate under
    /// `ignore_expiry` (its leaf then taken as the signer, the signature verified under its
    /// key). The header and the sender are checked as for any message.
    pub(crate) fn reopen(
        &self,
        err: &OpenError,
        bytes: &[u8],
        rel: &str,
        receiver: &Receiver,
    ) -> Option<hearth_wire::Opened> {
        use hearth_security::cert::CertError;
        let take = match err {
            OpenError::Replay(_) => self.ignore_replay(),
            OpenError::Envelope(VerifyError::BadSignature) => self.skip_signature(),
            OpenError::Certificate(CertError::UntrustedIssuer(_)) => self.trust_any_root(),
            OpenError::Certificate(CertError::Expired { .. }) => self.ignore_expiry(),
            _ => false,
        };
        if !take {
            return None;
        }
        let verify = !matches!(err, OpenError::Envelope(VerifyError::BadSignature));
        let chain_only = matches!(err, OpenError::Certificate(_));
        reopened(bytes, rel, receiver, verify, chain_only)
    }

    /// A device message that is no COSE_Sign1 (`err`), decoded as a bare message, if
    /// `accept_unsigned` takes it.
    pub(crate) fn unsigned(&self, err: &OpenError, bytes: &[u8]) -> Option<Message> {
        let not_sign1 = matches!(err, OpenError::Envelope(_)) && err.requirement() == "HRT-SEC-030";
        (self.accept_unsigned() && not_sign1)
            .then(|| bare(bytes))
            .flatten()
    }
}

/// Open `bytes` received on `rel` leniently: the signer is the peer `receiver` knows for the
/// envelope's key, or with `chain_only` the leaf of the chain the message carries, taken as
/// it stands; the signature is checked under its key only when `verify`; no replay window.
#[cfg(feature = "fault-injection")]
fn reopened(
    bytes: &[u8],
    rel: &str,
    receiver: &Receiver,
    verify: bool,
    chain_only: bool,
) -> Option<hearth_wire::Opened> {
    use hearth_security::cert::{Certificate, ValidatedChain};
    use hearth_security::peers::Peer;
    let sign1 = hearth_security::cose::Sign1::parse(bytes).ok()?;
    let kid = hearth_security::key::KeyId::from_slice(&sign1.protected.key_id)?;
    let payload = sign1.payload.as_deref()?;
    let msg = hearth_wire::codec::decode(payload, receiver.limits()).ok()?;
    let peer = if chain_only {
        let leaf = Certificate::from_bytes(msg.chain.first()?).ok()?;
        let claims = leaf.claims().clone();
        let chain = ValidatedChain {
            leaf_kid: *leaf.subject_kid(),
            ca_kids: Vec::new(),
            valid_from: claims.not_before,
            valid_until: claims.expires,
            leaf: claims.clone(),
        };
        (chain.leaf_kid == kid).then(|| {
            std::sync::Arc::new(Peer {
                chain,
                key: claims.key,
                certificates: vec![leaf],
            })
        })?
    } else {
        receiver.peer(&kid)?.clone()
    };
    if verify {
        let tbs = sign1.to_be_signed(rel.as_bytes(), None);
        peer.key
            .verify(peer.key.algorithm(), &tbs, &sign1.signature)
            .ok()?;
    }
    hearth_wire::codec::check_header(&msg).ok()?;
    (msg.sender == peer.chain.leaf.subject).then_some(hearth_wire::Opened { message: msg, peer })
}

/// Without deviations nothing is opened leniently.
#[cfg(not(feature = "fault-injection"))]
const fn reopened(
    _: &[u8],
    _: &str,
    _: &Receiver,
    _: bool,
    _: bool,
) -> Option<hearth_wire::Opened> {
    None
}

/// `bytes` decoded as a bare message, without any envelope.
#[cfg(feature = "fault-injection")]
fn bare(bytes: &[u8]) -> Option<Message> {
    hearth_wire::codec::decode(bytes, &hearth_wire::Limits::STANDARD).ok()
}

/// Without deviations nothing is taken without its envelope.
#[cfg(not(feature = "fault-injection"))]
const fn bare(_: &[u8]) -> Option<Message> {
    None
}
