//! TC-COM-5.x, managing the access-control list: only a manager reads and changes it and
//! opens windows, a change applies all its operations or none, and the last manager stays.

use hearth_model::{Privilege, StatusCode};
use hearth_security::acl::{AclEntry, AclSubject};
use hearth_wire::commissioning::{AclOperation, WindowControl};
use hearth_wire::Body;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission as com;
use crate::harness::expect;
use crate::requirements::req;
use crate::verdict::Outcome;

/// An entry for the controller the device does not admit, with `privilege`.
fn stranger_entry(ctx: &Ctx, privilege: Privilege) -> Result<AclEntry, Outcome> {
    let who = ctx.stranger()?;
    let key = com::key_of(ctx, who).ok_or_else(|| Outcome::error("no stranger"))?;
    Ok(AclEntry {
        subject: AclSubject::Key(key),
        privilege,
    })
}

test_case! {
    /// TC-COM-5.1
    NEEDS_MANAGE: "TC-COM-5.1",
    title: "acl-read, acl-change and window-control need manage",
    checks: [
        HRT_COM_060,
    ],
    steps: [
        "Read the ACL as the manager.",
        "As the operating controller, send an acl-read: unanswered, confirmed by order (HRT-COM-060).",
        "As the operating controller, add an entry with acl-change: refused, unauthorized or unanswered (HRT-COM-060).",
        "As the operating controller, close the window with window-control: refused, unauthorized or unanswered (HRT-COM-060).",
        "The manager reads the ACL unchanged (HRT-COM-060); put it back if it is not.",
    ],
    applies: operate_applies,
    run: needs_manage,
}

/// Applicability of TC-COM-5.1: commissioning, and an operating controller that is no
/// manager.
fn operate_applies(ctx: &Ctx) -> Result<(), String> {
    com::needs_commissioning(ctx)?;
    crate::harness::case::needs(
        ctx.probe.tester(Some(Privilege::Operate)),
        "the ICS lists no controller with privilege operate",
    )
}

async fn needs_manage(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let who = ctx.tester(Privilege::Operate)?;
    ctx.step(2);
    let (id, sent, answer) = com::acl_read(ctx, who).await?;
    if let Some((_, seq)) = answer {
        return Err(Outcome::fail(
            req::HRT_COM_060,
            "the device answered an acl-read of a controller holding operate with its entries",
        )
        .with_evidence([sent, seq]));
    }
    let e = (
        req::HRT_COM_060,
        "an acl-read of a controller holding operate",
    );
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(3);
    let add = AclOperation::Add(stranger_entry(ctx, Privilege::Manage)?);
    let (_, sent, answer) = com::acl_change(ctx, who, vec![add]).await?;
    let changed = match answer {
        Some((r, seq)) if r.status != StatusCode::Unauthorized => Some((r.status, seq)),
        _ => None,
    };
    ctx.step(4);
    let body = Body::WindowControl(WindowControl::Close);
    let closed = com::window_control(ctx, who, body).await?;
    ctx.step(5);
    let (after, seq) = com::acl_of(ctx).await?;
    if after != before {
        com::restore(ctx, &before).await?;
        return Err(Outcome::fail(
            req::HRT_COM_060,
            "an acl-change of a controller holding operate changed the access-control list",
        )
        .with_evidence([sent, seq]));
    }
    if let Some((status, seq)) = changed {
        return Err(Outcome::fail(
            req::HRT_COM_060,
            format!("an acl-change of a controller holding operate was answered {status}"),
        )
        .with_evidence([seq]));
    }
    match closed {
        Some((status, seq)) if status != StatusCode::Unauthorized => Err(Outcome::fail(
            req::HRT_COM_060,
            format!("a window-control of a controller holding operate was answered {status}"),
        )
        .with_evidence([seq])),
        _ => Ok(()),
    }
}

test_case! {
    /// TC-COM-5.2
    LAST_MANAGER: "TC-COM-5.2",
    title: "A change that leaves no manager is refused as a whole",
    checks: [
        HRT_COM_063,
    ],
    steps: [
        "Read the ACL as the manager.",
        "As the manager, remove every entry with manage in one acl-change: invalid-in-state, with no operation index (HRT-COM-063).",
        "The ACL is unchanged (HRT-COM-063).",
    ],
    applies: com::needs_commissioning,
    run: last_manager,
}

async fn last_manager(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let ops: Vec<AclOperation> = before
        .iter()
        .filter(|e| e.privilege == Privilege::Manage)
        .map(|e| AclOperation::Remove(e.subject))
        .collect();
    if ops.is_empty() {
        return Err(Outcome::error(
            "the ACL the manager read holds no entry with manage",
        ));
    }
    ctx.step(2);
    let who = com::manager(ctx)?;
    let (_, sent, answer) = com::acl_change(ctx, who, ops).await?;
    ctx.step(3);
    let after = com::acl_of(ctx).await;
    let Some((r, seq)) = answer else {
        return Err(Outcome::fail(
            req::HRT_COM_063,
            "an acl-change removing every manager had no answer",
        )
        .with_evidence([sent]));
    };
    if r.status != StatusCode::InvalidInState || r.failed_at.is_some() {
        return Err(Outcome::fail(
            req::HRT_COM_063,
            format!(
                "an acl-change removing every manager was answered {} (operation {:?}), not invalid-in-state without an index",
                r.status, r.failed_at
            ),
        )
        .with_evidence([sent, seq]));
    }
    match after {
        Ok((after, _)) if after == before => Ok(()),
        Ok((_, seq)) => Err(Outcome::fail(
            req::HRT_COM_063,
            "a refused acl-change changed the access-control list",
        )
        .with_evidence([seq])),
        Err(_) => Err(Outcome::fail(
            req::HRT_COM_063,
            "after an acl-change removing every manager, the manager's acl-read had no answer: the manager is gone",
        )
        .with_evidence([sent, seq])),
    }
}

test_case! {
    /// TC-COM-5.3
    ALL_OR_NOTHING: "TC-COM-5.3",
    title: "An acl-change applies all its operations or none, and an accepted one governs the next request",
    checks: [
        HRT_COM_061,
        HRT_COM_062,
        HRT_COM_064,
    ],
    steps: [
        "Read the ACL as the manager: every entry and the most the device supports (HRT-COM-061).",
        "As the manager, add an entry for the controller the device does not admit and remove an entry that does not exist, in one change: constraint-error at operation 1, and the ACL unchanged (HRT-COM-062).",
        "Add that entry with operate alone: success, the ACL lists it, and that controller's read is served (HRT-COM-062, HRT-COM-064).",
        "Put the ACL back: the controller's read is refused again (HRT-COM-064).",
    ],
    applies: com::needs_commissioning,
    run: all_or_nothing,
}

async fn all_or_nothing(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let who = com::manager(ctx)?;
    let (_, _, read) = com::acl_read(ctx, who).await?;
    let Some((r, seq)) = read else {
        return Err(Outcome::fail(
            req::HRT_COM_061,
            "the manager's acl-read had no answer",
        ));
    };
    if usize::from(r.max_entries) < r.entries.len() {
        return Err(Outcome::fail(
            req::HRT_COM_061,
            format!(
                "the acl-read lists {} entries of at most {}",
                r.entries.len(),
                r.max_entries
            ),
        )
        .with_evidence([seq]));
    }
    let before = r.entries;
    let result = changes(ctx, &before).await;
    ctx.step(4);
    com::restore(ctx, &before).await?;
    result?;
    let stranger = ctx.stranger()?;
    let e = (
        req::HRT_COM_064,
        "a read by a controller whose entry was removed",
    );
    com::read_refused(ctx, stranger, e).await
}

/// Steps 2 and 3 of TC-COM-5.3.
async fn changes(ctx: &mut Ctx, before: &[AclEntry]) -> CaseResult {
    ctx.step(2);
    let who = com::manager(ctx)?;
    let entry = stranger_entry(ctx, Privilege::Operate)?;
    let missing = AclSubject::Key(hearth_security::key::KeyId([0xa5; 16]));
    let ops = vec![AclOperation::Add(entry), AclOperation::Remove(missing)];
    let (_, sent, answer) = com::acl_change(ctx, who, ops).await?;
    match answer {
        Some((r, _)) if r.status == StatusCode::ConstraintError && r.failed_at == Some(1) => {}
        other => {
            return Err(Outcome::fail(
                req::HRT_COM_062,
                format!("a change whose second operation removes no entry was answered {other:?}, not constraint-error at operation 1"),
            )
            .with_evidence([sent]))
        }
    }
    let (after, seq) = com::acl_of(ctx).await?;
    if after != before {
        return Err(
            Outcome::fail(req::HRT_COM_062, "a refused acl-change took effect in part")
                .with_evidence([seq]),
        );
    }
    ctx.step(3);
    let (_, sent, answer) = com::acl_change(ctx, who, vec![AclOperation::Add(entry)]).await?;
    if !matches!(answer, Some((r, _)) if r.status == StatusCode::Success) {
        return Err(Outcome::fail(
            req::HRT_COM_062,
            format!("adding one new entry was answered {answer:?}"),
        )
        .with_evidence([sent]));
    }
    let (after, seq) = com::acl_of(ctx).await?;
    if !after.contains(&entry) {
        return Err(Outcome::fail(
            req::HRT_COM_062,
            "an accepted addition is not in the ACL the manager reads",
        )
        .with_evidence([seq]));
    }
    let stranger = ctx.stranger()?;
    com::read_served(ctx, stranger, "the read of a controller just added").await
}
