//! Waiting for the device: for a report, an event or a status it publishes, for it to be
//! back after a restart, and how long a case may wait. Every wait ends as soon as the
//! awaited message arrives and is bounded by a parameter (HRT-CONF-036, HRT-CONF-011).

use std::time::{Duration, Instant};

use hearth_model::{Path, Value};
use hearth_mqtt::topic::Channel;
use hearth_wire::{Availability, Body, EventBody, Message};

use super::case::{Ctx, Done};
use super::probe::Seen;
use crate::ics::RestartMethod;
use crate::verdict::Outcome;

/// The time a report or an event may take to arrive after its cause.
pub fn deadline(ctx: &Ctx) -> Duration {
    ctx.params.report_deadline + ctx.params.latency_allowance
}

/// What is left of the test case's budget (`test_timeout`) since `started`, keeping back
/// what the steps after a long wait need to put the appliance back: a few responses and
/// reports.
pub fn budget(ctx: &Ctx, started: Instant) -> Duration {
    let reserve = ctx.response_timeout() * 4 + deadline(ctx) * 2;
    ctx.params
        .test_timeout
        .saturating_sub(started.elapsed())
        .saturating_sub(reserve)
}

/// Wait until the Unix time is past `unix_time` (a certificate's expiry, a list's
/// next-update time): the one wait for a clock rather than a message.
pub async fn past(unix_time: u64) {
    while hearth_mqtt::identity::unix_now() <= unix_time {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Wait at most `timeout` for a report of `path` whose value satisfies `want`: the value and
/// the report's trace entry.
pub async fn report(
    ctx: &mut Ctx,
    timeout: Duration,
    path: Path,
    want: impl Fn(&Value) -> bool,
) -> Option<(Value, usize)> {
    report_with(ctx, timeout, path, want)
        .await
        .map(|(v, _, seq)| (v, seq))
}

/// Like [`report`], and also every value the same report carried.
pub async fn report_with(
    ctx: &mut Ctx,
    timeout: Duration,
    path: Path,
    want: impl Fn(&Value) -> bool,
) -> Option<(Value, Vec<(Path, Value)>, usize)> {
    let value_of = |s: &Seen| match &s.message {
        Ok(Message {
            body: Body::Report(r),
            ..
        }) => r
            .values
            .iter()
            .find(|(p, v)| *p == path && want(v))
            .map(|(_, v)| v.clone()),
        _ => None,
    };
    let seen = ctx
        .probe
        .wait_for(timeout, |s| value_of(s).is_some())
        .await?;
    let value = value_of(&seen)?;
    match seen.message {
        Ok(Message {
            body: Body::Report(r),
            ..
        }) => Some((value, r.values, seen.seq)),
        _ => None,
    }
}

/// Wait at most `timeout` for the event at `path`: the event and its trace entry.
pub async fn event(ctx: &mut Ctx, timeout: Duration, path: Path) -> Option<(EventBody, usize)> {
    let seen = ctx
        .probe
        .wait_for(
            timeout,
            |s| matches!(&s.message, Ok(Message { body: Body::Event(e), .. }) if e.path == path),
        )
        .await?;
    match seen.message {
        Ok(Message {
            body: Body::Event(e),
            ..
        }) => Some((e, seen.seq)),
        _ => None,
    }
}

/// Wait at most `timeout` for a status of the device saying `availability`.
pub async fn status(ctx: &mut Ctx, timeout: Duration, availability: Availability) -> Option<Seen> {
    ctx.probe
        .wait_for(timeout, |s| {
            s.channel == Channel::Status
                && matches!(&s.message, Ok(Message { body: Body::Status(st), .. }) if st.availability == availability)
        })
        .await
}

/// The boot id of the newest status seen and not yet taken.
pub fn boot_id(ctx: &mut Ctx) -> Option<u64> {
    ctx.probe
        .seen()
        .iter()
        .rev()
        .find_map(|s| match &s.message {
            Ok(Message {
                body: Body::Status(st),
                ..
            }) => Some(st.boot_id),
            _ => None,
        })
}

/// Applies when the ICS allows the lab to restart the device and the run can.
pub fn restartable(ctx: &Ctx) -> Result<(), String> {
    match ctx.ics.restart.method {
        RestartMethod::None => Err("the ICS says the device cannot be restarted by the lab".into()),
        _ if ctx.restarter.is_none() => Err("this run has no way to restart the device".into()),
        _ => Ok(()),
    }
}

/// Ask the run's restarter to restart the device (with a power loss where `power_loss`);
/// return once the restart is requested, not when the device is back.
pub async fn request_restart(ctx: &mut Ctx, power_loss: bool) -> Result<(), Outcome> {
    let limit = deadline(ctx);
    let Some(restarter) = ctx.restarter.as_ref() else {
        return Err(Outcome::not_applicable("no restart available"));
    };
    let probe = &mut ctx.probe;
    let gone: Done<'_> = Box::pin(async move {
        probe.watch_for(limit, went_offline).await;
        Ok(())
    });
    restarter
        .restart(power_loss, gone)
        .await
        .map_err(|why| Outcome::error(format!("the restart failed: {why}")))
}

/// Whether `s` says the device went: a status other than online, or one that does not open.
fn went_offline(s: &Seen) -> bool {
    s.channel == Channel::Status
        && !matches!(&s.message, Ok(Message { body: Body::Status(st), .. }) if st.availability == Availability::Online)
}

/// Restart the device as the ICS describes and wait until it is online with a new boot id;
/// the new boot id. A status that does not open, or any message since the restart that does
/// not (replayed counters, for one), fails with the requirement its refusal names.
pub async fn restart(ctx: &mut Ctx) -> Result<u64, Outcome> {
    let old_boot = boot_id(ctx);
    ctx.probe.clear_seen();
    request_restart(ctx, ctx.ics.restart.power_loss).await?;
    let limit = ctx.params.restart_timeout;
    let back = ctx
        .probe
        .wait_for(limit, move |s| {
            s.channel == Channel::Status
                && match &s.message {
                    Ok(Message {
                        body: Body::Status(st),
                        ..
                    }) => st.availability == Availability::Online && Some(st.boot_id) != old_boot,
                    // A status that does not open ends the wait: the reason is the verdict.
                    Err(_) => true,
                    Ok(_) => false,
                }
        })
        .await;
    match back {
        Some(Seen {
            message:
                Ok(Message {
                    body: Body::Status(st),
                    ..
                }),
            ..
        }) => Ok(st.boot_id),
        Some(Seen {
            message: Err(r), ..
        }) => Err(r.fail("after the restart the device's status")),
        _ => {
            // Anything rejected since the restart tells why (replayed counters, for one).
            let rejected = ctx.probe.seen().into_iter().find_map(|s| s.message.err());
            match rejected {
                Some(r) => Err(r.fail("after the restart a message of the device")),
                None => Err(Outcome::error(format!(
                    "the device was not online again with a new boot id within {limit:?} of the restart (HRT-CONF-010)"
                ))),
            }
        }
    }
}
