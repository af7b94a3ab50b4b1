//! TC-MSG-3.x, invocations: an absent action answers unsupported-action, arguments that do
//! not fit answer invalid-type, and null arguments mean no arguments.

use std::collections::BTreeMap;

use hearth_model::validate::{check_invoke, ValueError};
use hearth_model::{Path, StatusCode, Value};

use crate::harness::case::{always, found, needs, test_case, CaseResult, Ctx, UNDEFINED_MEMBER};
use crate::harness::expect;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MSG-3.1
    INVOKE_MISSING: "TC-MSG-3.1",
    title: "Invoking an action the device does not have answers unsupported-action",
    checks: [
        HRT_MOD_040,
        HRT_MOD_051,
        HRT_MSG_068,
    ],
    steps: [
        "Invoke an undefined action of device-info.",
        "Expect unsupported-action, for the action path of the request and without results.",
    ],
    applies: always,
    run: invoke_missing(operator),
}

async fn invoke_missing(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    ctx.step(2);
    let missing = (req::HRT_MOD_040, "invoking an undefined action");
    refused_as(
        ctx,
        who,
        (UNDEFINED_MEMBER, Value::Null),
        StatusCode::UnsupportedAction,
        missing,
    )
    .await
}

/// Invoke `path` with `args`: the invoke-response must name that path, carry no results
/// (HRT-MSG-068) and answer `want` (`e` says which requirement that is, and what the
/// invocation was).
async fn refused_as(
    ctx: &mut Ctx,
    who: usize,
    (path, args): (Path, Value),
    want: StatusCode,
    e: expect::Expect<'_>,
) -> Result<(), Outcome> {
    let (r, seq) = ctx.invoke(who, path, args).await?;
    if r.path != path || r.results.is_some() {
        return Err(Outcome::fail(
            req::HRT_MSG_068,
            format!(
                "the invoke-response names {} where the request named {path}, or carries results with status {}",
                r.path, r.status
            ),
        )
        .with_evidence([seq]));
    }
    expect::status(r.status, want, seq, e)
}

/// An implemented standard action with a mandatory argument.
fn action_with_argument(ctx: &Ctx) -> Option<Path> {
    let empty = Value::Struct(BTreeMap::new());
    ctx.description
        .implemented_actions(ctx.catalog)
        .filter(|m| m.def.is_some_and(|a| a.args.iter().any(|f| !f.optional)))
        .map(|m| m.path)
        .find(|path| {
            matches!(
                check_invoke(ctx.catalog, &ctx.description, path, &empty),
                Err(ValueError::MissingField { .. })
            )
        })
}

test_case! {
    /// TC-MSG-3.2
    INVOKE_INVALID: "TC-MSG-3.2",
    title: "An invocation whose arguments lack a mandatory field, or are not a struct, answers invalid-type",
    checks: [
        HRT_MOD_050,
        HRT_MSG_068,
    ],
    steps: [
        "Pick an implemented action with a mandatory argument.",
        "Invoke it with an empty struct of arguments: expect invalid-type for the request's action path, without results.",
        "Invoke it with the integer 1 as arguments: expect invalid-type.",
    ],
    applies: |ctx| needs(action_with_argument(ctx), "the device implements no action with a mandatory argument"),
    run: invoke_invalid(operator),
}

async fn invoke_invalid(ctx: &mut Ctx, who: usize) -> CaseResult {
    let path = found(
        action_with_argument(ctx),
        "no action with a mandatory argument",
    )?;
    ctx.step_with(1, path);
    ctx.step(2);
    let empty = (path, Value::Struct(BTreeMap::new()));
    let invalid = StatusCode::InvalidType;
    let what = format!("invoking {path} with an empty struct of arguments");
    refused_as(ctx, who, empty, invalid, (req::HRT_MOD_050, &what)).await?;
    ctx.step(3);
    let what = format!("invoking {path} with the integer 1 as arguments");
    let one = (path, Value::Int(1));
    refused_as(ctx, who, one, invalid, (req::HRT_MOD_050, &what)).await
}

/// The path of operational-state `stop` on the first component that has the capability.
fn stop_action(ctx: &Ctx) -> Option<Path> {
    ctx.description
        .components
        .iter()
        .find(|c| c.instance(4).is_some())
        .map(|c| Path::new(c.id, 4, 4))
}

test_case! {
    /// TC-MSG-3.3
    INVOKE_NULL_ARGS: "TC-MSG-3.3",
    title: "Null arguments are treated like an empty map of arguments",
    checks: [
        HRT_MSG_067,
    ],
    steps: [
        "Read operational-state state; go on only while the appliance is idle.",
        "Invoke stop (refused while idle) with an empty map of arguments.",
        "Invoke stop with null arguments: the status must be the same.",
    ],
    applies: |ctx| needs(stop_action(ctx), "the device has no operational-state capability"),
    run: invoke_null_args(operator),
}

async fn invoke_null_args(ctx: &mut Ctx, who: usize) -> CaseResult {
    let stop = found(stop_action(ctx), "no operational-state capability")?;
    ctx.step(1);
    let state = ctx.read(who, Path::new(stop.component, 4, 1)).await?;
    if state != Value::Int(0) {
        return Err(Outcome::inconclusive(format!(
            "the appliance is not idle (state {state}), so stop would end a cycle"
        )));
    }
    ctx.step(2);
    let (empty, _) = ctx
        .invoke(who, stop, Value::Struct(BTreeMap::new()))
        .await?;
    ctx.step(3);
    let (null, seq) = ctx.invoke(who, stop, Value::Null).await?;
    if empty.status != null.status {
        return Err(Outcome::fail(
            req::HRT_MSG_067,
            format!(
                "stop answered {} with an empty map of arguments but {} with null arguments",
                empty.status, null.status
            ),
        )
        .with_evidence([seq]));
    }
    Ok(())
}
