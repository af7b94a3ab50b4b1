//! The pre-flight check of a run (`spec/06-conformance.md` §8.1, HRT-CONF-065): before the
//! first test case, one signed read from each controller of the ICS that the device admits.
//! A run whose controllers get no answer would otherwise spend every test case waiting for
//! one and end in a wall of timeouts that says nothing of the cause; the check stops it at
//! once with the likely cause instead — the chain, the access-control list, the topic root
//! or a clock — found by what the suite can see: which controllers were answered, whether
//! each chain leads to the trusted root at the suite's clock, and how far the device's clock
//! is from the suite's.
//!
//! An answer of any kind counts: one that arrives late, or that does not open, is the
//! device's to answer for in the test cases that check it, not a reason not to run them.

use std::time::{Duration, Instant};

use hearth_model::{ids, Path};
use hearth_security::cert::{validate_chain, CertError, Certificate, TrustStore};
use hearth_security::revocation::RevocationSet;
use hearth_wire::{Body, Message};

use crate::ics::{privilege_name, Ics};
use crate::probe::{Answer, Probe, Tamper};

/// The path the check reads, by name.
const READ: &str = "0/device-info/vendor-name";

/// How far the device's clock may be from the suite's before the check names it.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// What one admitted controller's read got.
enum Got {
    /// An answer that opened and refused the read as `unauthorized`.
    Unauthorized,
    /// Some answer.
    Answer,
    /// None within the window.
    Nothing,
}

/// Send a read of `device-info` `vendor-name` (every device has it) from each controller of
/// the ICS with a privilege, and wait for the answers at most twice the response timeout
/// plus the latency allowance. `Ok` when each got one; otherwise the sentence that says who
/// got none and why that is likely. `now` is the suite's time in seconds since the epoch.
pub(crate) async fn preflight(
    probe: &mut Probe,
    ics: &Ics,
    trust: &TrustStore,
    now: u64,
) -> Result<(), String> {
    let params = &ics.parameters;
    let window = params.response_timeout * 2 + params.latency_allowance;
    let path = Path::new(0, ids::cap::DEVICE_INFO, ids::device_info::VENDOR_NAME);
    let admitted: Vec<usize> = (0..probe.testers().len())
        .filter(|&i| probe.testers()[i].privilege.is_some())
        .collect();
    probe.note(format!(
        "pre-flight (HRT-CONF-065): a signed read of {READ} from each of the {} controllers the ICS says the device admits, answers awaited {window:?}",
        admitted.len()
    ));
    let mut sent = Vec::with_capacity(admitted.len());
    for &who in &admitted {
        let (id, _, _) = probe
            .send(who, Body::Read(vec![path]), Tamper::None)
            .await
            .map_err(|e| format!("pre-flight: the read could not be sent: {e}"))?;
        sent.push((who, id));
    }
    let deadline = Instant::now() + window;
    let mut got = Vec::with_capacity(sent.len());
    for (who, id) in sent {
        let left = deadline.saturating_duration_since(Instant::now());
        let answer = probe.answer(id, left).await;
        got.push((who, classify(answer.as_ref())));
    }
    // Answers that did not open cannot be matched to their read: if the device sent any, it
    // answers, and the test cases will say what is wrong with them. None is left for them.
    if !probe.stray_answers().is_empty() {
        for (_, g) in &mut got {
            if matches!(g, Got::Nothing) {
                *g = Got::Answer;
            }
        }
    }
    let answered = got
        .iter()
        .filter(|(_, g)| !matches!(g, Got::Nothing))
        .count();
    let mut problems = Vec::new();
    for (who, g) in &got {
        let tester = &probe.testers()[*who];
        let c = &ics.controllers[*who];
        let name = format!(
            "`{}` ({}, privilege {})",
            tester.id,
            c.chain,
            privilege_name(tester.privilege)
        );
        match g {
            Got::Answer => {}
            Got::Unauthorized => problems.push(format!(
                "{name} was refused as unauthorized: the device's access-control list does not grant it what the ICS says (ACL); admit its key {} or a CA of its chain with privilege {}",
                tester.sender.key_id(),
                privilege_name(tester.privilege)
            )),
            Got::Nothing => {
                let checked = chain_of(tester.sender.chain())
                    .and_then(|chain| check_chain(trust, &chain, now));
                let cause = match checked {
                    Err(e) => format!(
                        "its chain does not lead to the trusted root at the suite's clock: {e} ({})",
                        if matches!(e, CertError::Expired { .. } | CertError::NotYetValid { .. }) {
                            "clock"
                        } else {
                            "chain"
                        }
                    ),
                    Ok(()) if answered > 0 => format!(
                        "other controllers were answered, so the device takes requests: it does not admit this one — its access-control list lacks key {} and the CAs of its chain, and it drops refused requests without an answer (ACL) — or it does not trust the root this chain leads to (chain)",
                        tester.sender.key_id()
                    ),
                    Ok(()) => String::new(),
                };
                problems.push(if cause.is_empty() {
                    format!("{name} got no answer")
                } else {
                    format!("{name} got no answer: {cause}")
                });
            }
        }
    }
    if problems.is_empty() {
        probe.note("pre-flight: every admitted controller was answered");
        return Ok(());
    }
    let mut why = format!(
        "pre-flight (HRT-CONF-065): {} did not answer the signed reads of {READ} as the ICS expects (waited {window:?}): {}",
        probe.device(),
        problems.join("; ")
    );
    if answered == 0 {
        why.push_str(&format!(
            ". No controller of the ICS was answered; check, in this order, that the device trusts the root the chains lead to (chain), that its access-control list admits the controllers' keys or their CA (ACL), that it takes requests under the topic root `{}` it publishes under (topic root){}",
            params.topic_root,
            clock_note(probe, now)
        ));
    }
    why.push_str(". `hearth test --check-ics` checks the chains against the ICS's root; `--no-preflight` runs the test cases anyway");
    probe.note(why.clone());
    Err(why)
}

fn classify(answer: Option<&Answer>) -> Got {
    match answer {
        None => Got::Nothing,
        Some(a) if a.is_unauthorized() => Got::Unauthorized,
        Some(_) => Got::Answer,
    }
}

/// The certificates of a tester's chain, leaf first.
fn chain_of(bytes: &[Vec<u8>]) -> Result<Vec<Certificate>, CertError> {
    bytes.iter().map(|b| Certificate::from_bytes(b)).collect()
}

/// Whether `chain` (leaf first) leads to a root of `trust` at `now`.
fn check_chain(trust: &TrustStore, chain: &[Certificate], now: u64) -> Result<(), CertError> {
    let mut anchored = chain.to_vec();
    anchored.reverse();
    validate_chain(trust, &anchored, now, &RevocationSet::new()).map(|_| ())
}

/// `, and that its clock is right (clock): …` when the device's messages carry a time far
/// from the suite's, or the last clause of the list otherwise.
fn clock_note(probe: &mut Probe, now: u64) -> String {
    let now_ms = now.saturating_mul(1000);
    let skew = probe
        .seen()
        .iter()
        .filter_map(|s| s.message.as_ref().ok().and_then(|m: &Message| m.time_ms))
        .map(|t| t.abs_diff(now_ms))
        .max();
    match skew {
        Some(ms) if ms > u64::try_from(CLOCK_SKEW.as_millis()).unwrap_or(u64::MAX) => format!(
            ", and that its clock is right: its messages are stamped {} s from the suite's, so it may find the certificates not yet valid or expired (clock)",
            ms / 1000
        ),
        _ => ", and that its clock lies within the certificates' validity (clock)".into(),
    }
}
