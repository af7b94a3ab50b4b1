//! TC-MSG-2.x, writes: a write the description refuses answers the status of the first
//! check it fails, in the model's order, and changes nothing; a valid one takes effect and
//! is reported.

use std::time::Instant;

use hearth_model::catalog::{Property, TypeSpec};
use hearth_model::validate::{check_value, ValueError};
use hearth_model::{Path, StatusCode, Value};
use hearth_wire::{Body, Message};

use crate::harness::case::{
    always, found, needs, needs_writable, requirement, test_case, CaseResult, Ctx, UNDEFINED_MEMBER,
};
use crate::harness::craft::{publish, resigned};
use crate::harness::expect;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

/// A writable integer property with its effective bounds and step.
fn writable_int(ctx: &Ctx) -> Option<(Path, &'static Property, i64, i64, i64)> {
    ctx.properties().into_iter().find_map(|(path, p)| {
        let spec = p.ty.int_spec()?;
        if !p.writable() {
            return None;
        }
        let k = ctx
            .description
            .instance(path.component, path.capability)
            .and_then(|i| i.constraint(p.id));
        let min = k.and_then(|k| k.min).unwrap_or(spec.min);
        let max = k.and_then(|k| k.max).unwrap_or(spec.max);
        let step = i64::try_from(k.and_then(|k| k.step).unwrap_or(spec.step))
            .unwrap_or(1)
            .max(1);
        Some((path, p, min, max, step))
    })
}

test_case! {
    /// TC-MSG-2.1
    WRITE_OUT_OF_RANGE: "TC-MSG-2.1",
    title: "A write outside the declared range answers constraint-error and changes nothing",
    checks: [
        HRT_MOD_044,
        HRT_MOD_116,
        HRT_MOD_062,
    ],
    steps: [
        "Pick a writable integer property; read its value.",
        "Write a value one step above the declared maximum.",
        "Expect constraint-error, then read the property again: it must be unchanged.",
    ],
    applies: |ctx| needs(writable_int(ctx), "the device has no writable integer property"),
    run: write_out_of_range(operator),
}

async fn write_out_of_range(ctx: &mut Ctx, who: usize) -> CaseResult {
    let (path, _, min, max, step) = found(writable_int(ctx), "no writable integer property")?;
    ctx.step_with(1, format!("{path}, declared {min}…{max} step {step}"));
    let before = ctx.read(who, path).await?;
    let bad = Value::Int(max.saturating_add(step));
    let refusal = Refusal {
        status: (StatusCode::ConstraintError, req::HRT_MOD_044),
        unchanged: req::HRT_MOD_116,
        what: format!("writing {bad} to {path} (max {max})"),
    };
    refused_unchanged(ctx, who, (path, before), bad, refusal).await
}

/// What a refused write must answer (the status and the requirement that says so), the
/// requirement a change would break, and how a reason names the write.
struct Refusal {
    status: (StatusCode, Req),
    unchanged: Req,
    what: String,
}

/// Write `value` to `path`, which holds `before` (step 2): the write must be refused as
/// `refusal` says, and the property read again unchanged (step 3).
async fn refused_unchanged(
    ctx: &mut Ctx,
    who: usize,
    (path, before): (Path, Value),
    value: Value,
    refusal: Refusal,
) -> CaseResult {
    ctx.step_with(2, &value);
    let (status, seq) = ctx.write(who, path, value).await?;
    ctx.step(3);
    let what = refusal.what.as_str();
    // A changed value is put back either way; a write that was not refused fails for that
    // first (the value changing follows from it), one refused but applied for the change.
    let kept = expect::unchanged(ctx, who, (path, &before), seq, (refusal.unchanged, what)).await;
    let (want, requirement) = refusal.status;
    expect::status(status, want, seq, (requirement, what))?;
    kept
}

test_case! {
    /// TC-MSG-2.2
    WRITE_READ_ONLY: "TC-MSG-2.2",
    title: "A write to a read-only property answers read-only",
    checks: [
        HRT_MOD_041,
    ],
    steps: [
        "Write device-info vendor-name.",
        "Expect read-only.",
    ],
    applies: always,
    run: write_read_only(operator),
}

async fn write_read_only(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let (status, seq) = ctx
        .write(who, Path::new(0, 1, 1), Value::Text("Conformance".into()))
        .await?;
    ctx.step(2);
    let what = "writing the read-only vendor-name";
    expect::status(status, StatusCode::ReadOnly, seq, (req::HRT_MOD_041, what))
}

test_case! {
    /// TC-MSG-2.3
    WRITE_WRONG_TYPE: "TC-MSG-2.3",
    title: "A write of the wrong data type answers invalid-type and changes nothing",
    checks: [
        HRT_MOD_042,
        HRT_MOD_116,
    ],
    steps: [
        "Pick a writable property; write a value of another type.",
        "Expect invalid-type.",
    ],
    applies: needs_writable,
    run: write_wrong_type(operator),
}

async fn write_wrong_type(ctx: &mut Ctx, who: usize) -> CaseResult {
    let (path, p) = ctx.writable_property()?;
    let wrong = if matches!(p.ty, TypeSpec::String { .. }) {
        Value::Int(7)
    } else {
        Value::Text("wrong type".into())
    };
    ctx.step_with(1, format!("{wrong} to {path} ({})", p.ty.type_name()));
    let (status, seq) = ctx.write(who, path, wrong).await?;
    ctx.step(2);
    let what = format!("a write of the wrong type to {path}");
    let e = (req::HRT_MOD_042, what.as_str());
    expect::status(status, StatusCode::InvalidType, seq, e)
}

test_case! {
    /// TC-MSG-2.4
    WRITE_MISSING: "TC-MSG-2.4",
    title: "Writes to paths the device does not have answer unsupported-component, -capability or -property",
    checks: [
        HRT_MOD_040,
        HRT_MSG_065,
        HRT_MSG_066,
    ],
    steps: [
        "Write a component, a capability and a property the description does not declare, in one request.",
        "Check one status per path, in order.",
    ],
    applies: always,
    run: write_missing(operator),
}

async fn write_missing(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let absent = ctx.absent_paths();
    let values = absent.iter().map(|(p, _)| (*p, Value::Int(1))).collect();
    let (results, seq) = ctx.write_results(who, values).await?;
    ctx.step(2);
    if results.len() != absent.len() {
        return Err(Outcome::fail(
            req::HRT_MSG_066,
            format!("{} paths written, {} results", absent.len(), results.len()),
        )
        .with_evidence([seq]));
    }
    for ((path, want), (got_path, got)) in absent.iter().zip(&results) {
        if got_path != path || got != want {
            return Err(Outcome::fail(
                req::HRT_MOD_040,
                format!("writing {path} answered {got} for {got_path}, expected {want}"),
            )
            .with_evidence([seq]));
        }
    }
    Ok(())
}

/// The writable properties whose change the ICS allows, of a type the suite can choose
/// another valid value for.
fn actuatable(ctx: &Ctx) -> Vec<(Path, &'static Property)> {
    let a = &ctx.ics.actuation;
    ctx.properties()
        .into_iter()
        .filter(|(path, p)| {
            if !p.writable() {
                return false;
            }
            let cap = ctx
                .catalog
                .capability(path.capability)
                .map_or("", |c| c.name.as_str());
            match cap {
                "on-off" => a.power,
                "temperature-control" | "water-heater-control" => a.setpoints,
                "mode" => a.modes,
                _ => a.settings,
            }
        })
        .filter(|(_, p)| {
            matches!(
                p.ty,
                TypeSpec::Bool | TypeSpec::Int(_) | TypeSpec::Uint(_) | TypeSpec::Enum { .. }
            )
        })
        .collect()
}

test_case! {
    /// TC-MSG-2.5
    WRITE_VALID: "TC-MSG-2.5",
    title: "A valid write takes effect, is answered success and is reported in time",
    checks: [
        HRT_MOD_062,
        HRT_MOD_107,
        HRT_MSG_056,
    ],
    steps: [
        "Pick a writable property the ICS allows the suite to change; read it.",
        "Write another valid value; expect success.",
        "Expect a report of the new value within the report deadline.",
        "Read it back, then restore the original value.",
    ],
    applies: |ctx| needs(actuatable(ctx).first(), "the ICS allows no write the device supports (see [actuation])"),
    run: write_valid(operator),
}

async fn write_valid(ctx: &mut Ctx, who: usize) -> CaseResult {
    let mut chosen = None;
    for (path, p) in actuatable(ctx) {
        let current = ctx.read(who, path).await?;
        if let Some(next) = ctx.another_value(path, p, &current) {
            chosen = Some((path, current, next));
            break;
        }
    }
    let Some((path, before, next)) = chosen else {
        return Err(Outcome::inconclusive(
            "no allowed property had another valid value to write",
        ));
    };
    ctx.step_with(1, format!("{path} = {before}"));
    ctx.probe.clear_seen();
    ctx.step_with(2, &next);
    let written = Instant::now();
    let (status, seq) = ctx.write(who, path, next.clone()).await?;
    if status != StatusCode::Success {
        return Err(Outcome::fail(
            req::HRT_MOD_062,
            format!("writing the declared-valid value {next} to {path} answered {status}"),
        )
        .with_evidence([seq]));
    }
    ctx.step(3);
    let deadline = ctx.params.report_deadline + ctx.params.latency_allowance;
    let want = next.clone();
    let reported = ctx
        .probe
        .wait_for(deadline.saturating_sub(written.elapsed()), move |s| {
            matches!(&s.message, Ok(Message { body: Body::Report(r), .. }) if r.values.iter().any(|(p, v)| *p == path && *v == want))
        })
        .await;
    ctx.step(4);
    let after = ctx.read(who, path).await;
    let _ = ctx.write(who, path, before.clone()).await;
    if reported.is_none() {
        return Err(Outcome::fail(
            req::HRT_MOD_107,
            format!("no report of {path} = {next} within {deadline:?} of the write"),
        )
        .with_evidence([seq]));
    }
    let after = after?;
    if after != next {
        return Err(Outcome::fail(
            req::HRT_MOD_062,
            format!("after a successful write of {next}, {path} reads {after}"),
        ));
    }
    Ok(())
}

/// Numeric properties the suite may change, with their declared bounds.
fn declared_ranges(ctx: &Ctx) -> Vec<(Path, i64, i64)> {
    actuatable(ctx)
        .into_iter()
        .filter_map(|(path, p)| {
            let k = ctx
                .description
                .instance(path.component, path.capability)
                .and_then(|i| i.constraint(p.id))?;
            let spec = p.ty.int_spec()?;
            let min = k.min.unwrap_or(spec.min);
            let max = k.max?;
            let step = i64::try_from(k.step.unwrap_or(spec.step))
                .unwrap_or(1)
                .max(1);
            // The top of the grid: the declared maximum may lie between two steps.
            let top = min + (max - min) / step * step;
            Some((path, min, top))
        })
        .collect()
}

test_case! {
    /// TC-MSG-2.6
    WRITE_BOUNDS: "TC-MSG-2.6",
    title: "The device accepts every bound its description declares",
    checks: [
        HRT_MOD_062,
        HRT_MOD_044,
    ],
    steps: [
        "For each numeric property the ICS lets the suite change and whose range the description declares: read it.",
        "Write the declared minimum, then the top of the declared grid; each must answer success.",
        "Restore the original value.",
    ],
    applies: |ctx| needs(declared_ranges(ctx).first(), "no declared numeric range the ICS lets the suite change"),
    run: write_bounds(operator),
}

async fn write_bounds(ctx: &mut Ctx, who: usize) -> CaseResult {
    for (path, min, top) in declared_ranges(ctx) {
        ctx.step_with(1, format!("{path}, {min}…{top}"));
        let before = ctx.read(who, path).await?;
        let mut refused = None;
        for bound in [min, top] {
            ctx.step_with(2, format!("{bound} to {path}"));
            let (status, seq) = ctx.write(who, path, Value::Int(bound)).await?;
            if status != StatusCode::Success {
                refused = Some(
                    Outcome::fail(
                        req::HRT_MOD_062,
                        format!("{path} declares {min}…{top} but refused {bound} with {status}"),
                    )
                    .with_evidence([seq]),
                );
                break;
            }
        }
        ctx.step(3);
        let _ = ctx.write(who, path, before).await;
        if let Some(o) = refused {
            return Err(o);
        }
    }
    Ok(())
}

/// A writable property and a value its effective constraints refuse with `constraint-error`
/// (an unsupported enumeration code, a text or bytes too long).
fn refused_value(ctx: &Ctx) -> Option<(Path, Value, ValueError)> {
    ctx.properties().into_iter().find_map(|(path, p)| {
        if !p.writable() {
            return None;
        }
        let candidates: Vec<Value> = match &p.ty {
            TypeSpec::Enum { .. } => [0x7FFE, 0x7FFD, 0x7EEE, 0x0FFF, 0xFFFE]
                .into_iter()
                .map(Value::Int)
                .collect(),
            TypeSpec::String { max_len } => {
                vec![Value::Text("x".repeat(*max_len as usize + 1))]
            }
            TypeSpec::Bytes { max_len } => vec![Value::Bytes(vec![0; *max_len as usize + 1])],
            _ => Vec::new(),
        };
        candidates.into_iter().find_map(|v| {
            match check_value(ctx.catalog, &ctx.description, &path, &v) {
                Err(e @ (ValueError::UnsupportedCode { .. } | ValueError::TooLong { .. })) => {
                    Some((path, v, e))
                }
                _ => None,
            }
        })
    })
}

test_case! {
    /// TC-MSG-2.7
    WRITE_UNSUPPORTED: "TC-MSG-2.7",
    title: "A write of an enumeration code outside the effective set, or of a text too long, answers constraint-error and changes nothing",
    checks: [
        HRT_MOD_045,
        HRT_MOD_046,
        HRT_MOD_116,
    ],
    steps: [
        "Pick a writable enumeration (else text or bytes) property and a code outside its effective set (a value longer than its max_len); read its value.",
        "Write the refused value: expect constraint-error.",
        "Read the property again: it must be unchanged.",
    ],
    applies: |ctx| needs(refused_value(ctx), "the device has no writable enumeration, text or bytes property"),
    run: write_unsupported(operator),
}

async fn write_unsupported(ctx: &mut Ctx, who: usize) -> CaseResult {
    let (path, value, why) = found(
        refused_value(ctx),
        "no writable enumeration, text or bytes property",
    )?;
    let broken = requirement(why.requirement())?;
    ctx.step_with(1, format!("{path} and the value {value} ({why})"));
    let before = ctx.read(who, path).await?;
    let refusal = Refusal {
        status: (StatusCode::ConstraintError, broken),
        unchanged: req::HRT_MOD_116,
        what: format!("writing {value} to {path}"),
    };
    refused_unchanged(ctx, who, (path, before), value, refusal).await
}

test_case! {
    /// TC-MSG-2.8
    CHECK_ORDER: "TC-MSG-2.8",
    title: "A write is checked in the order of the model: path, writability, then the value",
    checks: [
        HRT_MOD_115,
    ],
    steps: [
        "Write a text to a property device-info does not define: expect unsupported-property, not invalid-type.",
        "Write a text to device-info vendor-id, an integer property that is read-only: expect read-only, not invalid-type.",
    ],
    applies: always,
    run: check_order(operator),
}

async fn check_order(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    text_answers(ctx, who, UNDEFINED_MEMBER, StatusCode::UnsupportedProperty).await?;
    ctx.step(2);
    text_answers(ctx, who, Path::new(0, 1, 2), StatusCode::ReadOnly).await
}

/// A text written to `path`, which takes no text, must answer `want`: the check the model
/// makes before the value's type.
async fn text_answers(ctx: &mut Ctx, who: usize, path: Path, want: StatusCode) -> CaseResult {
    let wrong = Value::Text("not a value of this property".into());
    let (status, seq) = ctx.write(who, path, wrong).await?;
    let what = format!("writing a text to {path}");
    expect::status(status, want, seq, (req::HRT_MOD_115, &what))
}

test_case! {
    /// TC-MSG-2.9
    WRITE_TOO_DEEP: "TC-MSG-2.9",
    title: "A value nested more than 8 levels deep answers malformed and changes nothing",
    checks: [
        HRT_MOD_041,
        HRT_MOD_042,
        HRT_MOD_048,
        HRT_MOD_115,
    ],
    steps: [
        "Pick a writable property and read its value.",
        "Write a value of nine nested lists: expect malformed.",
        "Read the property again: it must be unchanged.",
        "Write the same value to a property of that capability the description does not declare: expect unsupported-property, since existence is checked before the value.",
        "Write the same value to the read-only device-info vendor-name: expect read-only, since writability is checked before the value's depth.",
        "Write a value of eight nested lists, the deepest allowed, to the writable property: expect invalid-type, not malformed.",
    ],
    applies: needs_writable,
    run: write_too_deep(operator),
}

async fn write_too_deep(ctx: &mut Ctx, who: usize) -> CaseResult {
    let (path, _) = ctx.writable_property()?;
    ctx.step_with(1, path);
    let before = ctx.read(who, path).await?;
    let deep = (0..9).fold(Value::Int(0), |v, _| Value::List(vec![v]));
    let refusal = Refusal {
        status: (StatusCode::Malformed, req::HRT_MOD_048),
        unchanged: req::HRT_MOD_048,
        what: "a write nested nine levels deep".into(),
    };
    refused_unchanged(ctx, who, (path, before), deep.clone(), refusal).await?;
    ctx.step(4);
    let missing = Path::new(path.component, path.capability, 0x7FF0);
    let (status, seq) = ctx.write(who, missing, deep.clone()).await?;
    expect::status(
        status,
        StatusCode::UnsupportedProperty,
        seq,
        (
            req::HRT_MOD_115,
            "a nine-level value written to an undeclared property",
        ),
    )?;
    ctx.step(5);
    let (status, seq) = ctx.write(who, Path::new(0, 1, 1), deep).await?;
    let e = (
        req::HRT_MOD_041,
        "a nine-level value written to the read-only vendor-name",
    );
    expect::status(status, StatusCode::ReadOnly, seq, e)?;
    ctx.step(6);
    let deepest = (0..8).fold(Value::Int(0), |v, _| Value::List(vec![v]));
    let (status, seq) = ctx.write(who, path, deepest).await?;
    if status == StatusCode::Malformed {
        return Err(Outcome::fail(
            req::HRT_MOD_048,
            format!("a value eight levels deep, which the limit allows, written to {path} answered malformed"),
        )
        .with_evidence([seq]));
    }
    let e = (
        req::HRT_MOD_042,
        "an eight-level list written to a property of another type",
    );
    expect::status(status, StatusCode::InvalidType, seq, e)
}
test_case! {
    /// TC-MSG-2.10
    WRITE_FLOAT: "TC-MSG-2.10",
    title: "A write carrying a floating-point number or undefined, which are no values, is dropped unanswered and changes nothing",
    checks: [
        HRT_MSG_040,
        HRT_MSG_082,
        HRT_MOD_042,
    ],
    steps: [
        "Pick a writable integer property and read its value.",
        "Write it, correctly signed, with the floating-point number 26.5 in place of an integer; confirm by a barrier: no answer, not even invalid-type.",
        "Read the property again: it must be unchanged.",
        "Write it, correctly signed, with the simple value undefined in place of an integer; confirm by a barrier: no answer, not even invalid-type.",
        "Read the property again: it must be unchanged.",
    ],
    applies: |ctx| needs(float_target(ctx), "no writable integer property"),
    run: write_float(operator),
}

/// A writable property of an integer type, for a float in its place.
fn float_target(ctx: &Ctx) -> Option<Path> {
    ctx.properties()
        .into_iter()
        .find(|(_, p)| p.writable() && p.ty.int_spec().is_some())
        .map(|(path, _)| path)
}

/// A placeholder integer the write carries before its encoding is changed: five bytes
/// (`0x1a` and four), unlikely to occur elsewhere in a message.
const PLACEHOLDER: i64 = 0x5eed_f10a;

async fn write_float(ctx: &mut Ctx, who: usize) -> CaseResult {
    let path = found(float_target(ctx), "no writable integer property")?;
    ctx.step_with(1, path);
    let before = ctx.read(who, path).await?;
    // 26.5 as a CBOR double (major type 7, additional information 27).
    let float = [0xfb, 0x40, 0x3a, 0x80, 0, 0, 0, 0, 0];
    let dropped = (
        req::HRT_MSG_082,
        "a write carrying a non-value, which does not decode",
    );
    let kept = (req::HRT_MSG_040, "a write carrying a non-value");
    ctx.step(2);
    let (id, sent) =
        write_in_place_of_an_integer(ctx, who, path, &float, "26.5 (a CBOR float)").await?;
    expect::silent(ctx, id, sent, dropped).await?;
    ctx.step(3);
    expect::unchanged(ctx, who, (path, &before), sent, kept).await?;
    ctx.step(4);
    let (id, sent) = write_in_place_of_an_integer(ctx, who, path, &[0xf7], "undefined").await?;
    expect::silent(ctx, id, sent, dropped).await?;
    ctx.step(5);
    expect::unchanged(ctx, who, (path, &before), sent, kept).await?;
    Ok(())
}

/// Write `path`, correctly signed, with the bytes `encoding` (named `name` in the trace) in
/// place of an integer: the request id and the trace entry.
async fn write_in_place_of_an_integer(
    ctx: &mut Ctx,
    who: usize,
    path: Path,
    encoding: &[u8],
    name: &str,
) -> Result<(u64, usize), Outcome> {
    let placeholder = [0x1a, 0x5e, 0xed, 0xf1, 0x0a];
    let body = Body::Write(vec![(path, Value::Int(PLACEHOLDER))]);
    let (id, bytes) = resigned(ctx, who, body, |encoded| {
        let at = encoded
            .windows(placeholder.len())
            .position(|w| w == placeholder)
            .ok_or("the placeholder value is not in the encoded write")?;
        let mut payload = encoded[..at].to_vec();
        payload.extend_from_slice(encoding);
        payload.extend_from_slice(&encoded[at + placeholder.len()..]);
        Ok(payload)
    })?;
    let member = hearth_wire::view::path_name(&path, hearth_model::MemberKind::Property);
    let sent = publish(ctx, bytes, &format!("write {member} = {name}")).await?;
    Ok((id, sent))
}
