//! TC-MSG-1.x, reads: every implemented property reads with a value that fits the
//! description, absent paths answer the status of the first absent part, and existence is
//! checked before privilege.

use hearth_model::validate::check_value;
use hearth_model::StatusCode;
use hearth_wire::Body;

use crate::harness::case::{always, needs_stranger, requirement, test_case, CaseResult, Ctx};
use crate::harness::expect;
use crate::probe::Tamper;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MSG-1.1
    READ_ALL: "TC-MSG-1.1",
    title: "Every implemented property reads successfully with a value that fits the description",
    checks: [
        HRT_MOD_043,
        HRT_MOD_045,
        HRT_MOD_046,
        HRT_MOD_048,
        HRT_MOD_060,
        HRT_MOD_104,
        HRT_MOD_105,
        HRT_MOD_106,
        HRT_MSG_062,
        HRT_MSG_063,
    ],
    steps: [
        "Read every property the description implements, a few paths per request.",
        "Check each result's status and value: the type and range of its catalog unit (temperatures int16 in centi-celsius, durations uint32 seconds, percentages 0 to 100) and the description's constraints.",
    ],
    applies: always,
    run: read_all(operator),
}

async fn read_all(ctx: &mut Ctx, who: usize) -> CaseResult {
    let paths: Vec<_> = ctx.properties().into_iter().map(|(p, _)| p).collect();
    for chunk in paths.chunks(16) {
        ctx.step_with(1, format!("{} paths from {}", chunk.len(), chunk[0]));
        let (results, seq) = ctx.read_results(who, chunk.to_vec()).await?;
        ctx.step(2);
        if results.len() != chunk.len() || results.iter().zip(chunk).any(|(r, p)| r.path != *p) {
            return Err(Outcome::fail(
                req::HRT_MSG_062,
                "the read-response does not give one result per path, in order",
            )
            .with_evidence([seq]));
        }
        for r in &results {
            match (&r.status, &r.value) {
                (StatusCode::Success, Some(v)) => {
                    if let Err(e) = check_value(ctx.catalog, &ctx.description, &r.path, v) {
                        return Err(Outcome::fail(
                            requirement(e.requirement())?,
                            format!("{} = {v}: {e}", r.path),
                        )
                        .and(req::HRT_MOD_106)
                        .with_evidence([seq]));
                    }
                }
                (StatusCode::Success, None) => {
                    return Err(Outcome::fail(
                        req::HRT_MSG_063,
                        format!("{}: success without a value", r.path),
                    )
                    .with_evidence([seq]))
                }
                (status, _) => {
                    return Err(Outcome::fail(
                        req::HRT_MOD_104,
                        format!("{} is implemented but reading it answered {status}", r.path),
                    )
                    .with_evidence([seq]))
                }
            }
        }
    }
    Ok(())
}

test_case! {
    /// TC-MSG-1.2
    READ_MISSING: "TC-MSG-1.2",
    title: "Reads of paths the device does not have answer unsupported-component, -capability or -property",
    checks: [
        HRT_MOD_040,
        HRT_MOD_104,
    ],
    steps: [
        "Read a component, a capability and a property the description does not declare.",
        "Check the three statuses.",
    ],
    applies: always,
    run: read_missing(operator),
}

async fn read_missing(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let absent = ctx.absent_paths();
    let (results, seq) = ctx
        .read_results(who, absent.iter().map(|(p, _)| *p).collect())
        .await?;
    ctx.step(2);
    for ((path, want), got) in absent.iter().zip(&results) {
        if got.status != *want {
            return Err(Outcome::fail(
                req::HRT_MOD_040,
                format!("reading {path} answered {}, expected {want}", got.status),
            )
            .with_evidence([seq]));
        }
    }
    Ok(())
}

test_case! {
    /// TC-MSG-1.3
    READ_ORDER_OF_CHECKS: "TC-MSG-1.3",
    title: "A read by a controller without the view privilege is checked for existence before privilege",
    checks: [
        HRT_MSG_064,
    ],
    steps: [
        "As a controller the device does not admit, read a property the description declares, then a component, a capability and a property it does not declare.",
        "Send a correct read as a barrier; before its answer the device may have stayed silent; if it answered, expect unauthorized for the declared property and unsupported-component, -capability and -property for the others, none with a value.",
    ],
    applies: needs_stranger,
    run: read_order_of_checks(stranger),
}

async fn read_order_of_checks(ctx: &mut Ctx, stranger: usize) -> CaseResult {
    let Some((declared, _)) = ctx.properties().into_iter().next() else {
        return Err(Outcome::not_applicable(
            "the description declares no property",
        ));
    };
    let mut expected = vec![(declared, StatusCode::Unauthorized)];
    expected.extend(ctx.absent_paths());
    ctx.step(1);
    let paths = expected.iter().map(|(p, _)| *p).collect();
    let (id, _, sent) = ctx
        .probe
        .send(stranger, Body::Read(paths), Tamper::None)
        .await?;
    ctx.step(2);
    let Some(answer) = expect::confirm(ctx, id, sent).await? else {
        return Ok(());
    };
    let seq = answer.seq;
    let pick = |b: &Body| match b {
        Body::ReadResponse(results) => Some(results.clone()),
        _ => None,
    };
    let results = answer.body(sent, pick, (req::HRT_MSG_064, "a read"))?;
    if results.len() != expected.len() {
        return Err(Outcome::fail(
            req::HRT_MSG_064,
            format!(
                "{} paths were read, {} results came back",
                expected.len(),
                results.len()
            ),
        )
        .with_evidence([sent, seq]));
    }
    for ((path, want), got) in expected.iter().zip(&results) {
        if got.status != *want || got.value.is_some() {
            return Err(Outcome::fail(
                req::HRT_MSG_064,
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
            .with_evidence([sent, seq]));
        }
    }
    Ok(())
}
