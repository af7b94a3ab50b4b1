//! TC-BEH-5.x, setpoints: a cooled compartment moves its measured temperature towards a
//! lowered setpoint.

use std::time::Instant;

use hearth_model::{Path, StatusCode, Value};

use crate::harness::appliance::{cap_id, instances, MODE, TEMPERATURE, TEMPERATURE_CONTROL};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::operator::needs_actuation;
use crate::harness::wait::budget;
use crate::requirements::req;
use crate::verdict::Outcome;

/// The `normal` mode codes of the cooling device types: "keeps the compartment at its
/// setpoint" (`spec/02-catalog.md`, refrigerator and freezer modes).
const KEEPS_SETPOINT: [i64; 2] = [0x0201, 0x0301];

/// The cooled compartments: components of a refrigerator or freezer with both a setpoint
/// and a measured temperature.
fn cooled_compartments(ctx: &Ctx) -> Result<Vec<u16>, String> {
    let dt = ctx
        .catalog
        .device_type(ctx.description.device_type)
        .map_or("", |d| d.name.as_str());
    if dt != "refrigerator" && dt != "freezer" {
        return Err(format!(
            "the device type is {}, not refrigerator or freezer",
            if dt.is_empty() { "unknown" } else { dt }
        ));
    }
    let measured = cap_id(ctx, TEMPERATURE);
    let out: Vec<u16> = instances(ctx, TEMPERATURE_CONTROL)
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| ctx.description.instance(*c, measured).is_some())
        .collect();
    if out.is_empty() {
        return Err(
            "no component has both `temperature-control` and `temperature-measurement`".into(),
        );
    }
    Ok(out)
}

test_case! {
    /// TC-BEH-5.1
    SETPOINT_HONOURED: "TC-BEH-5.1",
    title: "A cooled compartment moves its measured temperature towards a lowered setpoint",
    checks: [
        HRT_CAT_001,
        HRT_CAT_002,
        HRT_MOD_062,
        HRT_MOD_106,
    ],
    steps: [
        "Pick a compartment in the normal mode (where it has modes); read its setpoint, declared range and measured temperature.",
        "Write a setpoint up to three steps lower, within the declared range and below the measured temperature; expect success.",
        "Read the measured temperature every settle_time: it must come closer to the new setpoint by at least one step, or half the distance (bounded by cycle_timeout).",
        "Restore the original setpoint.",
    ],
    applies: |ctx| {
        cooled_compartments(ctx)?;
        needs_actuation(ctx.ics.actuation.setpoints, "setpoints")
    },
    run: setpoint_honoured(operator),
}

async fn setpoint_honoured(ctx: &mut Ctx, who: usize) -> CaseResult {
    let started = Instant::now();
    let compartments = cooled_compartments(ctx).map_err(Outcome::not_applicable)?;
    let tc = cap_id(ctx, TEMPERATURE_CONTROL);
    let tm = cap_id(ctx, TEMPERATURE);
    let mode = cap_id(ctx, MODE);
    // A compartment whose mode keeps it at its setpoint (or that has no modes).
    let mut chosen = None;
    for c in compartments {
        if ctx.description.instance(c, mode).is_some() {
            let m = ctx.read(who, Path::new(c, mode, 1)).await?;
            if !m.as_int().is_some_and(|m| KEEPS_SETPOINT.contains(&m)) {
                continue;
            }
        }
        chosen = Some(c);
        break;
    }
    let Some(c) = chosen else {
        return Err(Outcome::inconclusive(
            "no compartment is in the normal mode, which keeps it at its setpoint",
        ));
    };
    let setpoint_path = Path::new(c, tc, 1);
    let measured_path = Path::new(c, tm, 1);
    let constraint = ctx
        .description
        .instance(c, tc)
        .and_then(|i| i.constraint(1))
        .cloned()
        .unwrap_or_default();
    let (min, step) = (
        constraint.min.unwrap_or(i64::MIN),
        i64::try_from(constraint.step.unwrap_or(1))
            .unwrap_or(1)
            .max(1),
    );
    let before = ctx.read(who, setpoint_path).await?;
    let Some(s0) = before.as_int() else {
        return Err(Outcome::fail(
            req::HRT_MOD_106,
            format!("{setpoint_path} reads {before}"),
        ));
    };
    let Some(t0) = ctx.read(who, measured_path).await?.as_int() else {
        return Err(Outcome::inconclusive(format!(
            "{measured_path} gives no reading"
        )));
    };
    ctx.step_with(1, format!("component {c}: setpoint {s0}, measured {t0}"));
    // Up to three steps lower, on the declared grid, within the range.
    let mut s1 = s0;
    for _ in 0..3 {
        if s1 - step >= min {
            s1 -= step;
        }
    }
    if s1 >= t0 {
        return Err(Outcome::inconclusive(format!(
            "the measured temperature {t0} is already at or below the lowest setpoint tried ({s1})"
        )));
    }
    ctx.step_with(2, s1);
    let (status, seq) = ctx.write(who, setpoint_path, Value::Int(s1)).await?;
    if status != StatusCode::Success {
        let _ = ctx.write(who, setpoint_path, before.clone()).await;
        return Err(Outcome::fail(
            req::HRT_MOD_062,
            format!(
                "writing the declared-valid setpoint {s1} to {setpoint_path} answered {status}"
            ),
        )
        .with_evidence([seq]));
    }
    ctx.step(3);
    let distance = t0 - s1;
    let wanted = step.min(distance / 2).max(1);
    let limit = ctx.params.cycle_timeout.min(budget(ctx, started));
    let until = Instant::now() + limit;
    let mut closest = t0;
    let result = loop {
        tokio::time::sleep(ctx.params.settle_time).await;
        match ctx.read(who, measured_path).await {
            Err(o) => break Err(o),
            Ok(v) => {
                if let Some(t) = v.as_int() {
                    closest = closest.min(t.max(s1));
                }
            }
        }
        if t0 - closest >= wanted {
            break Ok(());
        }
        if Instant::now() >= until {
            break Err(Outcome::fail(
                req::HRT_CAT_001,
                format!(
                    "after the setpoint of component {c} was lowered from {s0} to {s1}, the measured temperature went from {t0} to at best {closest} in {limit:?}: not towards the setpoint"
                ),
            ));
        }
    };
    ctx.step(4);
    let _ = ctx.write(who, setpoint_path, before).await;
    result
}
