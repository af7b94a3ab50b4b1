//! TC-BEH-4.x, cumulative counters: energy and water counters never decrease — across
//! switching the appliance off and on, while a cycle runs and after it stops.

use std::time::Instant;

use hearth_model::validate::check_value;
use hearth_model::{Path, StatusCode, Value};
use hearth_wire::{Body, Message};

use crate::harness::appliance::{
    cap_id, cycle_component, cycle_path, first, instances, invoke_cycle, leave_idle, opstate,
    ready_to_start, start_cycle, startable_cycle, state, state_name, Action, ENERGY, ON_OFF, WATER,
};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::operator::needs_actuation;
use crate::harness::probe::Seen;
use crate::harness::wait::budget;
use crate::requirements::req;
use crate::verdict::Outcome;

/// Applies when the device implements a cumulative counter.
fn has_counters(ctx: &Ctx) -> Result<(), String> {
    if counters(ctx).is_empty() {
        return Err(
            "the description has no `energy-measurement` or `water-consumption` capability".into(),
        );
    }
    Ok(())
}

/// The cumulative counters the device implements.
fn counters(ctx: &Ctx) -> Vec<Path> {
    [(ENERGY, 1), (WATER, 1)]
        .iter()
        .flat_map(|(name, member)| {
            let id = cap_id(ctx, name);
            instances(ctx, name)
                .into_iter()
                .map(move |(c, _)| Path::new(c, id, *member))
        })
        .collect()
}

test_case! {
    /// TC-BEH-4.1
    COUNTERS_GROW: "TC-BEH-4.1",
    title: "Cumulative energy and water counters never decrease, also across switching off and on",
    checks: [
        HRT_CAT_001,
        HRT_MOD_106,
    ],
    steps: [
        "Read the cumulative counters (energy-measurement, water-consumption) and whether the appliance is on.",
        "If it is off, switch it on; where every counter reads zero, let it work until a report shows one above zero (bounded by cycle_timeout).",
        "Switch it off; read the counters every settle_time for the silence window: never lower than before.",
        "Switch it on again if it was on; read the counters: never lower.",
        "Leave the appliance switched as it was.",
    ],
    applies: |ctx| {
        has_counters(ctx)?;
        if first(ctx, ON_OFF).is_none() {
            return Err("the description has no `on-off` capability to make the appliance work and stop".into());
        }
        needs_actuation(ctx.ics.actuation.power, "power")
    },
    run: counters_grow(operator),
}

/// The cumulative counters of the device and the highest reading of each so far.
struct Counters {
    paths: Vec<Path>,
    highest: Vec<i64>,
}

impl Counters {
    /// Every counter the device implements, read once as the first readings.
    async fn read(ctx: &mut Ctx, who: usize) -> Result<Self, Outcome> {
        let paths = counters(ctx);
        let mut counters = Self {
            highest: vec![i64::MIN; paths.len()],
            paths,
        };
        counters.check(ctx, who, "").await?;
        Ok(counters)
    }

    /// Read every counter; fail when one is below its highest reading so far (`when` says
    /// when, in a reason). Whether one grew.
    async fn check(&mut self, ctx: &mut Ctx, who: usize, when: &str) -> Result<bool, Outcome> {
        let mut grew = false;
        for (path, top) in self.paths.iter().zip(self.highest.iter_mut()) {
            let value = ctx.read(who, *path).await?;
            if let Err(e) = check_value(ctx.catalog, &ctx.description, path, &value) {
                return Err(Outcome::fail(
                    req::HRT_MOD_106,
                    format!("{path} = {value}: {e}"),
                ));
            }
            let Some(v) = value.as_int() else {
                continue;
            };
            if v < *top {
                return Err(Outcome::fail(
                    req::HRT_CAT_001,
                    format!("the cumulative counter {path} went down from {top} to {v} {when}"),
                ));
            }
            grew |= v > *top;
            *top = v;
        }
        Ok(grew)
    }

    /// Whether every counter read zero so far.
    fn all_zero(&self) -> bool {
        self.highest.iter().all(|v| *v <= 0)
    }

    /// Read the counters every settle_time for the silence window: never lower. A counter
    /// that resets some time after the appliance stops shows only over time, so this is a
    /// watch over a window, not a confirmation by a message.
    async fn watch(&mut self, ctx: &mut Ctx, who: usize, when: &str) -> Result<(), Outcome> {
        let until = Instant::now() + ctx.params.silence_window;
        loop {
            tokio::time::sleep(ctx.params.settle_time).await;
            self.check(ctx, who, when).await?;
            if Instant::now() >= until {
                return Ok(());
            }
        }
    }
}

/// Switch the appliance on or off; the write must succeed.
async fn switch(ctx: &mut Ctx, who: usize, on_path: Path, on: bool) -> Result<(), Outcome> {
    let (status, seq) = ctx.write(who, on_path, Value::Bool(on)).await?;
    if status == StatusCode::Success {
        Ok(())
    } else {
        Err(Outcome::inconclusive(format!(
            "switching {} answered {status}",
            if on { "on" } else { "off" }
        ))
        .with_evidence([seq]))
    }
}

async fn counters_grow(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let Some(c) = first(ctx, ON_OFF) else {
        return Err(Outcome::not_applicable("no on-off"));
    };
    let on_path = Path::new(c, cap_id(ctx, ON_OFF), 1);
    let was_on = ctx.read(who, on_path).await? == Value::Bool(true);
    let mut counters = Counters::read(ctx, who).await?;
    ctx.step_with(1, if was_on { "on" } else { "off" });
    let result: CaseResult = async {
        ctx.step(2);
        if !was_on {
            switch(ctx, who, on_path, true).await?;
        }
        // A counter that has counted something can show a reset; where all read zero, the
        // appliance works until one has.
        if !was_on && counters.all_zero() {
            // Confirmed by the report of a counter above zero (HRT-MOD-107), not by reading
            // again and again: the bound only ends the wait for an appliance that draws
            // nothing while idle.
            let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
            let paths = counters.paths.clone();
            let counted = move |s: &Seen| match &s.message {
                Ok(Message {
                    body: Body::Report(r),
                    ..
                }) => r
                    .values
                    .iter()
                    .any(|(p, v)| paths.contains(p) && v.as_int().is_some_and(|v| v > 0)),
                _ => false,
            };
            ctx.probe.wait_for(limit, counted).await;
            counters
                .check(ctx, who, "while the appliance was on")
                .await?;
        }
        ctx.step(3);
        switch(ctx, who, on_path, false).await?;
        counters
            .watch(ctx, who, "after the appliance was switched off")
            .await?;
        ctx.step(4);
        if was_on {
            switch(ctx, who, on_path, true).await?;
            tokio::time::sleep(ctx.params.settle_time).await;
            counters
                .check(ctx, who, "after the appliance was switched on again")
                .await?;
        }
        Ok(())
    }
    .await;
    ctx.step(5);
    let _ = ctx.write(who, on_path, Value::Bool(was_on)).await;
    result
}

test_case! {
    /// TC-BEH-4.2
    COUNTERS_ACROSS_CYCLE: "TC-BEH-4.2",
    title: "Cumulative energy and water counters never decrease while a cycle runs and after it stops",
    checks: [
        HRT_CAT_001,
        HRT_MOD_106,
    ],
    steps: [
        "Read the cumulative counters (energy-measurement, water-consumption) and the operational state: idle or completed, ready to start.",
        "Invoke start; expect success.",
        "Read the counters every settle_time until one grows or the cycle ends (bounded by cycle_timeout): never lower.",
        "Invoke stop if the cycle is still under way; read the counters every settle_time for the silence window: never lower.",
    ],
    applies: |ctx| {
        has_counters(ctx)?;
        startable_cycle(ctx).map(drop)
    },
    run: counters_across_cycle(operator),
}

async fn counters_across_cycle(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let component = cycle_component(ctx).map_err(Outcome::not_applicable)?;
    let state_path = cycle_path(ctx, component, opstate::STATE);
    let mut counters = Counters::read(ctx, who).await?;
    ready_to_start(ctx, who, component).await?;
    ctx.step(1);

    ctx.step(2);
    start_cycle(ctx, who, component).await?;
    let result: CaseResult = async {
        ctx.step(3);
        let until = Instant::now() + ctx.params.cycle_timeout.min(budget(ctx, started));
        loop {
            tokio::time::sleep(ctx.params.settle_time).await;
            let grew = counters.check(ctx, who, "while a cycle ran").await?;
            let state = ctx.read(who, state_path).await?.as_int().unwrap_or(-1);
            let under_way = matches!(state, state::RUNNING | state::PAUSED | state::DELAYED);
            if grew || !under_way || Instant::now() >= until {
                break;
            }
        }
        ctx.step(4);
        let state = ctx.read(who, state_path).await?.as_int().unwrap_or(-1);
        if matches!(state, state::RUNNING | state::PAUSED | state::DELAYED) {
            let (status, seq) = invoke_cycle(ctx, who, component, Action::Stop).await?;
            let after = ctx.read(who, state_path).await?.as_int();
            let ended_by_itself = matches!(after, Some(state::COMPLETED | state::IDLE));
            if status != StatusCode::Success && !ended_by_itself {
                return Err(Outcome::fail(
                    req::HRT_CAT_001,
                    format!("stop of a {} cycle answered {status}", state_name(state)),
                )
                .with_evidence([seq]));
            }
        }
        counters.watch(ctx, who, "after the cycle ended").await
    }
    .await;
    // Leave no cycle running (HRT-CONF-008); a completed one goes back to idle where allowed.
    leave_idle(ctx, who, component).await;
    result
}
