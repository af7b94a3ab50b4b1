//! TC-BEH-3.x, faults: a fault the operator provokes raises fault-raised with every
//! mandatory field and shows in the active list; its end raises fault-cleared.

use hearth_model::validate::check_value;
use hearth_model::{Path, Value};

use crate::harness::appliance::{cap_id, suggested_fault, FAULTS};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::expect;
use crate::harness::operator::{act, needs_operator, OperatorAction};
use crate::harness::wait::{self, deadline};
use crate::requirements::req;
use crate::verdict::Outcome;

/// Whether the active-fault list holds `code`.
fn lists(active: &Value, code: &Value) -> bool {
    match active {
        Value::List(items) => items.iter().any(|f| f.field(1) == Some(code)),
        _ => false,
    }
}

test_case! {
    /// TC-BEH-3.1
    FAULT_EVENTS: "TC-BEH-3.1",
    title: "A fault raises fault-raised with every mandatory field and shows in the active list; its end raises fault-cleared",
    checks: [
        HRT_MSG_061,
        HRT_MOD_047,
        HRT_MOD_106,
        HRT_MOD_108,
        HRT_CAT_001,
    ],
    steps: [
        "Read the active faults.",
        "Ask the operator to provoke a fault the appliance reports.",
        "Expect the fault-raised event within the report deadline, its fields valid against the description.",
        "Read the active faults: the fault is listed.",
        "Ask the operator to clear the fault; expect the fault-cleared event with valid fields.",
        "Read the active faults: the fault is gone.",
    ],
    applies: |ctx| {
        if ctx
            .description
            .instance(0, cap_id(ctx, FAULTS))
            .is_none()
        {
            return Err("the description has no `faults` capability on component 0".into());
        }
        needs_operator(ctx, ctx.ics.actuation.faults, "faults")
    },
    run: fault_events(operator),
}

async fn fault_events(ctx: &mut Ctx, who: usize) -> CaseResult {
    let cap = cap_id(ctx, FAULTS);
    let active_path = Path::new(0, cap, 1);
    let before = ctx.read(who, active_path).await?;
    ctx.step_with(1, &before);

    ctx.probe.clear_seen();
    let suggested = suggested_fault(ctx);
    ctx.step(2);
    act(ctx, OperatorAction::RaiseFault { code: suggested }).await?;
    ctx.step(3);
    let limit = deadline(ctx);
    let raised = wait::event(ctx, limit, Path::new(0, cap, 1)).await;
    let code = raised
        .as_ref()
        .and_then(|(e, _)| e.fields.field(1).cloned())
        .or_else(|| suggested.map(|c| Value::Int(c.into())));
    let valid = match &raised {
        None => Err(Outcome::fail(
            req::HRT_MOD_108,
            format!("a fault was provoked but no fault-raised event came within {limit:?}"),
        )),
        Some((event, seq)) => expect::event_fields(ctx, event, "fault-raised", *seq),
    };
    ctx.step(4);
    let listed = match valid {
        Err(o) => Err(o),
        Ok(()) => fault_listed(ctx, who, active_path, code.as_ref()).await,
    };

    ctx.step(5);
    let Some(clear) = code
        .as_ref()
        .and_then(Value::as_int)
        .and_then(|c| u16::try_from(c).ok())
    else {
        return Err(Outcome::inconclusive("no fault code to clear: the event named none and the device type has no fault to suggest"));
    };
    act(ctx, OperatorAction::ClearFault { code: clear }).await?;
    let removed = (req::HRT_MOD_108, "the fault's cause was removed");
    let cleared = expect::event(ctx, limit, Path::new(0, cap, 2), removed).await;
    listed?;
    let (event, seq) = cleared?;
    expect::event_fields(ctx, &event, "fault-cleared", seq)?;
    ctx.step(6);
    let after = ctx.read(who, active_path).await?;
    if code.as_ref().is_some_and(|c| lists(&after, c)) {
        return Err(Outcome::fail(
            req::HRT_CAT_001,
            format!("after fault-cleared the active list still holds it: {after}"),
        )
        .with_evidence([seq]));
    }
    Ok(())
}

/// The active-fault list at `active_path` must be valid and, once a fault was raised, hold
/// its `code`.
async fn fault_listed(
    ctx: &mut Ctx,
    who: usize,
    active_path: Path,
    code: Option<&Value>,
) -> Result<(), Outcome> {
    let active = ctx.read(who, active_path).await?;
    if let Err(e) = check_value(ctx.catalog, &ctx.description, &active_path, &active) {
        return Err(Outcome::fail(
            req::HRT_MOD_106,
            format!("{active_path} = {active}: {e}"),
        ));
    }
    if let Some(c) = code.filter(|c| !lists(&active, c)) {
        return Err(Outcome::fail(
            req::HRT_CAT_001,
            format!("the fault {c} was raised but the active list is {active}"),
        ));
    }
    Ok(())
}
