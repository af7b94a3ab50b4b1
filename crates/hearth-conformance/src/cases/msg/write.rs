//! Read, write and invoke semantics and their status codes.

use std::time::Instant;

use hearth_model::catalog::{Property, TypeSpec};
use hearth_model::validate::check_value;
use hearth_model::{Path, StatusCode, Value};
use hearth_wire::{Body, Message};

use crate::case::{always, Case, Ctx};
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::verdict::Outcome;

/// A tester that may read and write (operate, else manage).
fn operator(ctx: &Ctx) -> Result<usize, Outcome> {
    ctx.tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
}

/// TC-MSG-1.1
pub(crate) const READ_ALL: Case = Case {
    id: "TC-MSG-1.1",
    title: "Every implemented property reads successfully with a value that fits the description",
    requirements: &[
        req::HRT_MOD_043,
        req::HRT_MOD_045,
        req::HRT_MOD_046,
        req::HRT_MOD_048,
        req::HRT_MOD_060,
        req::HRT_MOD_104,
        req::HRT_MOD_105,
        req::HRT_MOD_106,
        req::HRT_MSG_062,
        req::HRT_MSG_063,
    ],
    steps: &[
        "Read every property the description implements, a few paths per request.",
        "Check each result's status and value: the type and range of its catalog unit (temperatures int16 in centi-celsius, durations uint32 seconds, percentages 0 to 100) and the description's constraints.",
    ],
    applies: always,
    run: read_all,
};

case_fn!(read_all, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Read every property the description implements, a few paths per request.");
    let paths: Vec<Path> = ctx.properties().into_iter().map(|(p, _)| p).collect();
    for chunk in paths.chunks(16) {
        let (msg, seq) = try_outcome!(ctx.ask(who, Body::Read(chunk.to_vec())).await);
        let Body::ReadResponse(results) = msg.body else {
            return Outcome::fail(
                "HRT-MSG-062",
                "a read was not answered with a read-response",
            )
            .with_evidence([seq]);
        };
        if results.len() != chunk.len() || results.iter().zip(chunk).any(|(r, p)| r.path != *p) {
            return Outcome::fail(
                "HRT-MSG-062",
                "the read-response does not give one result per path, in order",
            )
            .with_evidence([seq]);
        }
        for r in &results {
            match (&r.status, &r.value) {
                (StatusCode::Success, Some(v)) => {
                    if let Err(e) = check_value(ctx.catalog, &ctx.description, &r.path, v) {
                        let mut o =
                            Outcome::fail(e.requirement(), format!("{} = {v}: {e}", r.path))
                                .with_evidence([seq]);
                        if !o.broken.iter().any(|b| b == "HRT-MOD-106") {
                            o.broken.push("HRT-MOD-106".to_owned());
                        }
                        return o;
                    }
                }
                (StatusCode::Success, None) => {
                    return Outcome::fail(
                        "HRT-MSG-063",
                        format!("{}: success without a value", r.path),
                    )
                    .with_evidence([seq])
                }
                (status, _) => {
                    return Outcome::fail(
                        "HRT-MOD-104",
                        format!("{} is implemented but reading it answered {status}", r.path),
                    )
                    .with_evidence([seq])
                }
            }
        }
    }
    ctx.step_text("Check each result's status and value: the type and range of its catalog unit (temperatures int16 in centi-celsius, durations uint32 seconds, percentages 0 to 100) and the description's constraints.");
    Outcome::pass()
});

/// TC-MSG-1.2
pub(crate) const READ_MISSING: Case = Case {
    id: "TC-MSG-1.2",
    title: "Reads of paths the device does not have answer unsupported-component, -capability or -property",
    requirements: &[req::HRT_MOD_040, req::HRT_MOD_104],
    steps: &["Read a component, a capability and a property the description does not declare.", "Check the three statuses."],
    applies: always,
    run: read_missing,
};

/// Paths outside the description: an unused component, a capability absent from component
/// 0, and an undefined property of device-info.
fn missing_paths(ctx: &Ctx) -> [(Path, StatusCode); 3] {
    let unused_component = (1..u16::MAX)
        .find(|c| ctx.description.component(*c).is_none())
        .unwrap_or(u16::MAX - 1);
    let absent_capability = ctx
        .catalog
        .capabilities()
        .iter()
        .map(|c| c.id)
        .find(|id| ctx.description.instance(0, *id).is_none())
        .unwrap_or(0x7FFE);
    [
        (
            Path::new(unused_component, 1, 1),
            StatusCode::UnsupportedComponent,
        ),
        (
            Path::new(0, absent_capability, 1),
            StatusCode::UnsupportedCapability,
        ),
        (Path::new(0, 1, 0x7FF0), StatusCode::UnsupportedProperty),
    ]
}

case_fn!(read_missing, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text(
        "Read a component, a capability and a property the description does not declare.",
    );
    let cases = missing_paths(ctx);
    let (msg, seq) = try_outcome!(
        ctx.ask(who, Body::Read(cases.iter().map(|(p, _)| *p).collect()))
            .await
    );
    ctx.step_text("Check the three statuses.");
    let Body::ReadResponse(results) = msg.body else {
        return Outcome::fail(
            "HRT-MSG-062",
            "a read was not answered with a read-response",
        )
        .with_evidence([seq]);
    };
    for ((path, want), got) in cases.iter().zip(&results) {
        if got.status != *want {
            return Outcome::fail(
                "HRT-MOD-040",
                format!("reading {path} answered {}, expected {want}", got.status),
            )
            .with_evidence([seq]);
        }
    }
    Outcome::pass()
});

/// TC-MSG-1.3
pub(crate) const READ_ORDER_OF_CHECKS: Case = Case {
    id: "TC-MSG-1.3",
    title: "A read by a controller without the view privilege is checked for existence before privilege",
    requirements: &[req::HRT_MSG_064],
    steps: &[
        "As a controller the device does not admit, read a property the description declares, then a component, a capability and a property it does not declare.",
        "The device may stay silent; if it answers, expect unauthorized for the declared property and unsupported-component, -capability and -property for the others, none with a value.",
    ],
    applies: |ctx| {
        ctx.probe
            .tester("none")
            .map(|_| ())
            .ok_or_else(|| "the ICS lists no controller that the device does not admit (privilege none)".into())
    },
    run: read_order_of_checks,
};

case_fn!(read_order_of_checks, |ctx| {
    let stranger = try_outcome!(ctx.tester(Privilege::None));
    let Some((declared, _)) = ctx.properties().into_iter().next() else {
        return Outcome::not_applicable("the description declares no property");
    };
    let mut expected = vec![(declared, StatusCode::Unauthorized)];
    expected.extend(missing_paths(ctx));
    ctx.step_text("As a controller the device does not admit, read a property the description declares, then a component, a capability and a property it does not declare.");
    let paths = expected.iter().map(|(p, _)| *p).collect();
    let (id, _, sent) = try_outcome!(ctx
        .probe
        .send(stranger, Body::Read(paths), crate::probe::Tamper::None)
        .await
        .map_err(|e| Outcome::error(e.to_string())));
    ctx.step_text("The device may stay silent; if it answers, expect unauthorized for the declared property and unsupported-component, -capability and -property for the others, none with a value.");
    let window = ctx.params.silence_window;
    let Some(answer) = ctx.probe.answer(id, window).await else {
        return Outcome::pass();
    };
    let seq = answer.seq;
    let results = match answer.message {
        Ok(Message {
            body: Body::ReadResponse(results),
            ..
        }) => results,
        Ok(m) => {
            return Outcome::fail(
                "HRT-MSG-062",
                format!("a read was answered with {}", crate::probe::summarize(&m)),
            )
            .with_evidence([sent, seq])
        }
        Err(crate::probe::Rejection { why, .. }) => {
            return Outcome::fail("HRT-SEC-034", format!("the answer did not open: {why}"))
                .with_evidence([sent, seq])
        }
    };
    if results.len() != expected.len() {
        return Outcome::fail(
            "HRT-MSG-062",
            format!(
                "{} paths were read, {} results came back",
                expected.len(),
                results.len()
            ),
        )
        .with_evidence([sent, seq]);
    }
    for ((path, want), got) in expected.iter().zip(&results) {
        if got.status != *want || got.value.is_some() {
            return Outcome::fail(
                "HRT-MSG-064",
                format!(
                    "reading {path} as a controller outside the ACL answered {}{}, expected {want}",
                    got.status,
                    if got.value.is_some() {
                        " with a value"
                    } else {
                        ""
                    }
                ),
            )
            .with_evidence([sent, seq]);
        }
    }
    Outcome::pass()
});

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

/// TC-MSG-2.1
pub(crate) const WRITE_OUT_OF_RANGE: Case = Case {
    id: "TC-MSG-2.1",
    title: "A write outside the declared range answers constraint-error and changes nothing",
    requirements: &[req::HRT_MOD_044, req::HRT_MOD_116, req::HRT_MOD_062],
    steps: &[
        "Pick a writable integer property; read its value.",
        "Write a value one step above the declared maximum.",
        "Expect constraint-error, then read the property again: it must be unchanged.",
    ],
    applies: |ctx| {
        writable_int(ctx)
            .map(|_| ())
            .ok_or_else(|| "the device has no writable integer property".into())
    },
    run: write_out_of_range,
};

case_fn!(write_out_of_range, |ctx| {
    let who = try_outcome!(operator(ctx));
    let Some((path, _, min, max, step)) = writable_int(ctx) else {
        return Outcome::not_applicable("no writable integer property");
    };
    ctx.step_text(format!("Pick a writable integer property; read its value ({path}, declared {min}…{max} step {step})."));
    let before = try_outcome!(ctx.read(who, path).await);
    let bad = max.saturating_add(step);
    ctx.step_text(format!("Write {bad}, one step above the declared maximum."));
    let (status, seq) = try_outcome!(ctx.write(who, path, Value::Int(bad)).await);
    ctx.step_text("Expect constraint-error, then read the property again: it must be unchanged.");
    let after = try_outcome!(ctx.read(who, path).await);
    if after != before {
        // Put it back where a non-conforming device accepted the value (HRT-CONF-008).
        let _ = ctx.write(who, path, before.clone()).await;
        return Outcome::fail(
            "HRT-MOD-116",
            format!(
                "{path} changed from {before} to {after} after a refused or out-of-range write"
            ),
        )
        .with_evidence([seq]);
    }
    if status != StatusCode::ConstraintError {
        return Outcome::fail(
            "HRT-MOD-044",
            format!(
                "writing {bad} to {path} (max {max}) answered {status}, expected constraint-error"
            ),
        )
        .with_evidence([seq]);
    }
    let _ = min;
    Outcome::pass()
});

/// TC-MSG-2.2
pub(crate) const WRITE_READ_ONLY: Case = Case {
    id: "TC-MSG-2.2",
    title: "A write to a read-only property answers read-only",
    requirements: &[req::HRT_MOD_041],
    steps: &["Write device-info vendor-name.", "Expect read-only."],
    applies: always,
    run: write_read_only,
};

case_fn!(write_read_only, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Write device-info vendor-name.");
    let (status, seq) = try_outcome!(
        ctx.write(who, Path::new(0, 1, 1), Value::Text("Conformance".into()))
            .await
    );
    ctx.step_text("Expect read-only.");
    if status == StatusCode::ReadOnly {
        Outcome::pass()
    } else {
        Outcome::fail(
            "HRT-MOD-041",
            format!("writing the read-only vendor-name answered {status}"),
        )
        .with_evidence([seq])
    }
});

/// TC-MSG-2.3
pub(crate) const WRITE_WRONG_TYPE: Case = Case {
    id: "TC-MSG-2.3",
    title: "A write of the wrong data type answers invalid-type and changes nothing",
    requirements: &[req::HRT_MOD_042, req::HRT_MOD_116],
    steps: &[
        "Pick a writable property; write a value of another type.",
        "Expect invalid-type.",
    ],
    applies: |ctx| {
        ctx.properties()
            .iter()
            .any(|(_, p)| p.writable())
            .then_some(())
            .ok_or_else(|| "the device has no writable property".into())
    },
    run: write_wrong_type,
};

case_fn!(write_wrong_type, |ctx| {
    let who = try_outcome!(operator(ctx));
    let Some((path, p)) = ctx.properties().into_iter().find(|(_, p)| p.writable()) else {
        return Outcome::not_applicable("no writable property");
    };
    let wrong = if matches!(p.ty, TypeSpec::String { .. }) {
        Value::Int(7)
    } else {
        Value::Text("wrong type".into())
    };
    ctx.step_text(format!("Write {wrong} to {path} ({}).", p.ty.type_name()));
    let (status, seq) = try_outcome!(ctx.write(who, path, wrong).await);
    ctx.step_text("Expect invalid-type.");
    if status == StatusCode::InvalidType {
        Outcome::pass()
    } else {
        Outcome::fail(
            "HRT-MOD-042",
            format!("a write of the wrong type to {path} answered {status}"),
        )
        .with_evidence([seq])
    }
});

/// TC-MSG-2.4
pub(crate) const WRITE_MISSING: Case = Case {
    id: "TC-MSG-2.4",
    title: "Writes to paths the device does not have answer unsupported-component, -capability or -property",
    requirements: &[req::HRT_MOD_040, req::HRT_MSG_065, req::HRT_MSG_066],
    steps: &["Write a component, a capability and a property the description does not declare, in one request.", "Check one status per path, in order."],
    applies: always,
    run: write_missing,
};

case_fn!(write_missing, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Write a component, a capability and a property the description does not declare, in one request.");
    let cases = missing_paths(ctx);
    let body = Body::Write(cases.iter().map(|(p, _)| (*p, Value::Int(1))).collect());
    let (msg, seq) = try_outcome!(ctx.ask(who, body).await);
    ctx.step_text("Check one status per path, in order.");
    let Body::WriteResponse(results) = msg.body else {
        return Outcome::fail(
            "HRT-MSG-066",
            "a write was not answered with a write-response",
        )
        .with_evidence([seq]);
    };
    if results.len() != cases.len() {
        return Outcome::fail(
            "HRT-MSG-066",
            format!("{} paths written, {} results", cases.len(), results.len()),
        )
        .with_evidence([seq]);
    }
    for ((path, want), (got_path, got)) in cases.iter().zip(&results) {
        if got_path != path || got != want {
            return Outcome::fail(
                "HRT-MOD-040",
                format!("writing {path} answered {got} for {got_path}, expected {want}"),
            )
            .with_evidence([seq]);
        }
    }
    Outcome::pass()
});

/// A writable property whose change the ICS allows, with a valid value different from
/// `current` (decided after reading it).
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

fn another_value(ctx: &Ctx, path: Path, p: &Property, current: &Value) -> Option<Value> {
    let k = ctx
        .description
        .instance(path.component, path.capability)
        .and_then(|i| i.constraint(p.id));
    match (&p.ty, current) {
        (TypeSpec::Bool, Value::Bool(b)) => Some(Value::Bool(!b)),
        (TypeSpec::Int(s) | TypeSpec::Uint(s), Value::Int(v)) => {
            let min = k.and_then(|k| k.min).unwrap_or(s.min);
            let max = k.and_then(|k| k.max).unwrap_or(s.max);
            let step = i64::try_from(k.and_then(|k| k.step).unwrap_or(s.step))
                .unwrap_or(1)
                .max(1);
            let up = v.checked_add(step).filter(|n| *n <= max);
            let down = v.checked_sub(step).filter(|n| *n >= min);
            up.or(down).map(Value::Int)
        }
        (TypeSpec::Enum { .. }, Value::Int(v)) => k
            .and_then(|k| k.values.as_ref())?
            .iter()
            .map(|e| i64::from(e.code))
            .find(|c| c != v)
            .map(Value::Int),
        _ => None,
    }
}

/// TC-MSG-2.5
pub(crate) const WRITE_VALID: Case = Case {
    id: "TC-MSG-2.5",
    title: "A valid write takes effect, is answered success and is reported in time",
    requirements: &[req::HRT_MOD_062, req::HRT_MOD_107, req::HRT_MSG_056],
    steps: &[
        "Pick a writable property the ICS allows the suite to change; read it.",
        "Write another valid value; expect success.",
        "Expect a report of the new value within the report deadline.",
        "Read it back, then restore the original value.",
    ],
    applies: |ctx| {
        (!actuatable(ctx).is_empty())
            .then_some(())
            .ok_or_else(|| "the ICS allows no write the device supports (see [actuation])".into())
    },
    run: write_valid,
};

case_fn!(write_valid, |ctx| {
    let who = try_outcome!(operator(ctx));
    let candidates = actuatable(ctx);
    let mut chosen = None;
    for (path, p) in candidates {
        let current = try_outcome!(ctx.read(who, path).await);
        if let Some(next) = another_value(ctx, path, p, &current) {
            chosen = Some((path, current, next));
            break;
        }
    }
    let Some((path, before, next)) = chosen else {
        return Outcome::inconclusive("no allowed property had another valid value to write");
    };
    ctx.step_text(format!(
        "Pick a writable property the ICS allows the suite to change; read it ({path} = {before})."
    ));
    ctx.probe.clear_seen();
    ctx.step_text(format!("Write {next}; expect success."));
    let written = Instant::now();
    let (status, seq) = try_outcome!(ctx.write(who, path, next.clone()).await);
    if status != StatusCode::Success {
        return Outcome::fail(
            "HRT-MOD-062",
            format!("writing the declared-valid value {next} to {path} answered {status}"),
        )
        .with_evidence([seq]);
    }
    ctx.step_text("Expect a report of the new value within the report deadline.");
    let deadline = ctx.params.report_deadline + ctx.params.latency_allowance;
    let want = next.clone();
    let reported = ctx
        .probe
        .wait_for(deadline.saturating_sub(written.elapsed()), move |s| {
            matches!(&s.message, Ok(Message { body: Body::Report(r), .. }) if r.values.iter().any(|(p, v)| *p == path && *v == want))
        })
        .await;
    ctx.step_text("Read it back, then restore the original value.");
    let after = ctx.read(who, path).await;
    let _ = ctx.write(who, path, before.clone()).await;
    if reported.is_none() {
        return Outcome::fail(
            "HRT-MOD-107",
            format!("no report of {path} = {next} within {deadline:?} of the write"),
        )
        .with_evidence([seq]);
    }
    match after {
        Ok(v) if v == next => Outcome::pass(),
        Ok(v) => Outcome::fail(
            "HRT-MOD-062",
            format!("after a successful write of {next}, {path} reads {v}"),
        ),
        Err(o) => o,
    }
});

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

/// TC-MSG-2.6
pub(crate) const WRITE_BOUNDS: Case = Case {
    id: "TC-MSG-2.6",
    title: "The device accepts every bound its description declares",
    requirements: &[req::HRT_MOD_062, req::HRT_MOD_044],
    steps: &[
        "For each numeric property the ICS lets the suite change and whose range the description declares: read it.",
        "Write the declared minimum, then the top of the declared grid; each must answer success.",
        "Restore the original value.",
    ],
    applies: |ctx| (!declared_ranges(ctx).is_empty()).then_some(()).ok_or_else(|| "no declared numeric range the ICS lets the suite change".into()),
    run: write_bounds,
};

case_fn!(write_bounds, |ctx| {
    let who = try_outcome!(operator(ctx));
    for (path, min, top) in declared_ranges(ctx) {
        ctx.step_text(format!("For each numeric property the ICS lets the suite change and whose range the description declares: read it ({path}, {min}…{top})."));
        let before = try_outcome!(ctx.read(who, path).await);
        let mut outcome = Outcome::pass();
        for bound in [min, top] {
            ctx.step_text(format!("Write {bound} to {path}; it must answer success."));
            let (status, seq) = try_outcome!(ctx.write(who, path, Value::Int(bound)).await);
            if status != StatusCode::Success {
                outcome = Outcome::fail(
                    "HRT-MOD-062",
                    format!("{path} declares {min}…{top} but refused {bound} with {status}"),
                )
                .with_evidence([seq]);
                break;
            }
        }
        ctx.step_text("Restore the original value.");
        let _ = ctx.write(who, path, before).await;
        if outcome.verdict != crate::verdict::Verdict::Pass {
            return outcome;
        }
    }
    Outcome::pass()
});

/// TC-MSG-3.1
pub(crate) const INVOKE_MISSING: Case = Case {
    id: "TC-MSG-3.1",
    title: "Invoking an action the device does not have answers unsupported-action",
    requirements: &[req::HRT_MOD_040, req::HRT_MOD_051, req::HRT_MSG_068],
    steps: &[
        "Invoke an undefined action of device-info.",
        "Expect unsupported-action, for the action path of the request and without results.",
    ],
    applies: always,
    run: invoke_missing,
};

case_fn!(invoke_missing, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Invoke an undefined action of device-info.");
    let path = Path::new(0, 1, 0x7FF0);
    let (msg, seq) = try_outcome!(
        ctx.ask(
            who,
            Body::Invoke {
                path,
                args: Value::Null
            }
        )
        .await
    );
    ctx.step_text(
        "Expect unsupported-action, for the action path of the request and without results.",
    );
    match msg.body {
        Body::InvokeResponse(r) if r.path != path || r.results.is_some() => Outcome::fail(
            "HRT-MSG-068",
            format!(
                "the invoke-response names {} where the request named {path}, or carries results with status {}",
                r.path, r.status
            ),
        )
        .with_evidence([seq]),
        Body::InvokeResponse(r) if r.status == StatusCode::UnsupportedAction => Outcome::pass(),
        Body::InvokeResponse(r) => Outcome::fail(
            "HRT-MOD-040",
            format!("invoking {path} answered {}", r.status),
        )
        .with_evidence([seq]),
        other => Outcome::fail(
            "HRT-MSG-091",
            format!("an invocation was answered with a {} message", other.kind()),
        )
        .with_evidence([seq]),
    }
});

/// TC-MSG-4.1
pub(crate) const RESPONSE_TIME: Case = Case {
    id: "TC-MSG-4.1",
    title: "Requests are answered within 5 seconds, and preferably within 2",
    requirements: &[req::HRT_MSG_092, req::HRT_MSG_093, req::HRT_MSG_097],
    steps: &[
        "Read device-info five times, one request at a time, timing each response (waiting up to twice the response timeout).",
        "Fail any response later than the response timeout; advise on any later than 2 s.",
    ],
    applies: always,
    run: response_time,
};

case_fn!(response_time, |ctx| {
    let who = try_outcome!(operator(ctx));
    ctx.step_text("Read device-info five times, one request at a time, timing each response (waiting up to twice the response timeout).");
    let limit = ctx.params.response_timeout;
    let patience = limit * 2 + ctx.params.latency_allowance;
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..5 {
        let (id, _, sent) = try_outcome!(ctx
            .probe
            .send(
                who,
                Body::Read(vec![Path::new(0, 1, 4)]),
                crate::probe::Tamper::None
            )
            .await
            .map_err(|e| Outcome::error(e.to_string())));
        let t = Instant::now();
        let Some(answer) = ctx.probe.answer(id, patience).await else {
            return Outcome::fail("HRT-MSG-092", format!("no response within {patience:?}"))
                .with_evidence([sent]);
        };
        let took = answer.at.saturating_duration_since(t);
        ctx.step_text(format!("Fail any response later than the response timeout; advise on any later than 2 s (this one: {took:?})."));
        if took > limit + ctx.params.latency_allowance {
            return Outcome::fail(
                "HRT-MSG-097",
                format!("the response came after {took:?}; the limit is {limit:?}"),
            )
            .with_evidence([sent, answer.seq]);
        }
        slowest = slowest.max(took);
    }
    if slowest > std::time::Duration::from_secs(2) {
        ctx.advise(req::HRT_MSG_093, format!("the slowest of five responses took {slowest:?}; the specification recommends at most 2 s"));
    }
    Outcome::pass()
});
