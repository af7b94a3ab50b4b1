//! TC-COM-7.2, room for the commissioner: a device whose ACL is full refuses a `pake-start`
//! with `resource-exhausted`, starting and counting no session.

use hearth_model::{Privilege, StatusCode};
use hearth_security::acl::{AclEntry, AclSubject};
use hearth_security::key::KeyId;
use hearth_wire::commissioning::AclOperation;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd};
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-7.2
    ACL_FULL: "TC-COM-7.2",
    title: "A device whose ACL is full answers a pake-start resource-exhausted, without a session and without counting one",
    checks: [
        HRT_COM_057,
    ],
    steps: [
        "Read the ACL as the manager: its entries and the most the device supports.",
        "As the manager, add entries with view for keys nobody holds until the ACL holds as many entries as the device supports: success.",
        "Open a window as the ICS allows; as the controller the device does not admit, send a pake-start: a commission-result of status resource-exhausted (HRT-COM-057).",
        "Put the ACL back as it was; as that controller, run a session with a wrong passcode ending with an abort: unauthorized, and the window admits 19 sessions, the refused start not counted (HRT-COM-057).",
        "Close the window; the ACL is as it was.",
    ],
    applies: com::needs_window,
    run: acl_full,
}

async fn acl_full(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let admin = com::manager(ctx)?;
    let (_, _, read) = com::acl_read(ctx, admin).await?;
    let (r, _) = read.ok_or_else(|| Outcome::error("the manager's acl-read had no answer"))?;
    let before = r.entries;
    let room = usize::from(r.max_entries).saturating_sub(before.len());
    ctx.step_with(2, format!("{room} entries"));
    let fill: Vec<AclOperation> = (0..room)
        .map(|i| {
            let mut id = [0xc7; 16];
            id[15] = u8::try_from(i).unwrap_or(u8::MAX);
            AclOperation::Add(AclEntry {
                subject: AclSubject::Key(KeyId(id)),
                privilege: Privilege::View,
            })
        })
        .collect();
    if !fill.is_empty() {
        match com::acl_change(ctx, admin, fill).await? {
            (_, _, Some((r, _))) if r.status == StatusCode::Success => {}
            (_, sent, answer) => {
                com::restore(ctx, &before).await?;
                return Err(Outcome::error(format!(
                    "filling the ACL to the {} entries the device supports was answered {answer:?} (trace #{sent})",
                    r.max_entries
                )));
            }
        }
    }
    ctx.step(3);
    let result = match com::open_window(ctx).await {
        Ok((window, passcode)) => full(ctx, &window, com::wrong_passcode(passcode), &before).await,
        Err(e) => Err(e),
    };
    ctx.step(5);
    com::close(ctx).await?;
    com::restore(ctx, &before).await?;
    result
}

/// Steps 3 and 4 of TC-COM-7.2.
async fn full(ctx: &mut Ctx, window: &DeviceWindow, wrong: u32, before: &[AclEntry]) -> CaseResult {
    let stranger = ctx.stranger()?;
    match com::session(ctx, stranger, window, wrong, Confirm::Honest).await? {
        SessionEnd::Refused { result, .. } if result.status == StatusCode::ResourceExhausted => {}
        SessionEnd::Refused { result, seq } => {
            return Err(Outcome::fail(
                req::HRT_COM_057,
                format!(
                    "a pake-start to a device whose ACL is full was answered {}, not resource-exhausted",
                    result.status
                ),
            )
            .with_evidence([seq]))
        }
        SessionEnd::Ran { response, .. } => {
            return Err(Outcome::fail(
                req::HRT_COM_057,
                "a pake-start to a device whose ACL is full started a session",
            )
            .with_evidence([response]))
        }
        other => {
            return Err(Outcome::fail(
                req::HRT_COM_057,
                format!("a pake-start to a device whose ACL is full ended {other:?}, not resource-exhausted"),
            ))
        }
    }
    ctx.step(4);
    com::restore(ctx, before).await?;
    let end = com::session(ctx, stranger, window, wrong, Confirm::Honest).await?;
    com::first_failure(
        end,
        req::HRT_COM_057,
        "after a refused pake-start and one failed session",
        "a session with a wrong passcode",
    )
}
