//! TC-COM-6.x, the factory reset: it erases the ACL and opens a basic window, keeps the
//! device's identity, its counters and its printed code, which commissions it again.

use hearth_model::Path;
use hearth_security::acl::AclSubject;

use hearth_wire::commissioning::WindowType;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, Confirm, DeviceWindow, SessionEnd};
use crate::harness::operator::{act, OperatorAction};
use crate::harness::wait;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-6.1
    FACTORY_RESET: "TC-COM-6.1",
    title: "A factory reset erases the ACL and opens a basic window; the printed code commissions the device again",
    checks: [
        HRT_COM_021,
        HRT_COM_080,
        HRT_COM_081,
        HRT_COM_082,
        HRT_COM_083,
        HRT_COM_084,
    ],
    steps: [
        "Read the ACL as the manager; ask the operator to reset the appliance to factory-new by its local action (HRT-COM-080).",
        "The device announces an open basic window with the discriminator of its setup code (HRT-COM-084, HRT-COM-082).",
        "The manager's acl-read goes unanswered: its entry is gone (HRT-COM-081).",
        "Where the run can restart the device: restart it while it is factory-new: on connecting it announces an open basic window again (HRT-COM-021).",
        "As the manager, run a session with the passcode of the setup code: success (HRT-COM-082); every message the device sent since the reset opens with the counters the suite remembers (HRT-COM-083).",
        "Add the other entries back as the manager; the operating controller's read is served.",
    ],
    applies: com::needs_factory_reset,
    run: factory_reset,
}

async fn factory_reset(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let (before, _) = com::acl_of(ctx).await?;
    let code = ctx
        .ics
        .commissioning
        .setup()
        .ok_or_else(|| Outcome::error("no setup code"))?;
    let mark = ctx.probe.trace().len();
    com::forget_windows(ctx);
    act(ctx, OperatorAction::FactoryReset).await?;
    ctx.step(2);
    let within = com::announce_within(ctx);
    let Some(window) = com::opened(ctx, within).await? else {
        return Err(Outcome::fail(
            req::HRT_COM_084,
            format!("no window message announced an open window within {within:?} of the reset"),
        ));
    };
    if !code.matches_discriminator(window.open.params.discriminator)
        || !com::is_type(&window, hearth_wire::commissioning::WindowType::Basic)
    {
        return Err(Outcome::fail(
            req::HRT_COM_082,
            format!(
                "after the reset the device announces a {:?} window with discriminator {}, not the basic window of its setup code",
                window.open.window_type, window.open.params.discriminator
            ),
        )
        .with_evidence([window.seq]));
    }
    ctx.step(3);
    let admin = com::manager(ctx)?;
    let (id, sent, answer) = com::acl_read(ctx, admin).await?;
    let erased = match answer {
        Some((_, seq)) => Err(Outcome::fail(
            req::HRT_COM_081,
            "after the reset the device still answers the manager's acl-read",
        )
        .with_evidence([sent, seq])),
        None => {
            crate::harness::expect::silent(
                ctx,
                id,
                sent,
                (req::HRT_COM_081, "the manager's acl-read after the reset"),
            )
            .await
        }
    };
    let window = match after_restart(ctx).await? {
        Some(w) => w,
        None => window,
    };
    ctx.step(5);
    let session = com::session(
        ctx,
        admin,
        &window,
        code.passcode().value(),
        Confirm::Honest,
    )
    .await?;
    if !matches!(&session, SessionEnd::Ran { confirm_v_ok: true, result: Some((r, _)), .. } if r.status == hearth_model::StatusCode::Success)
    {
        let _ = com::close(ctx).await;
        return Err(Outcome::fail(
            req::HRT_COM_082,
            format!("after the reset a session with the printed passcode ended {session:?}"),
        ));
    }
    if let Some(r) = ctx.probe.rejections(mark).first() {
        return Err(Outcome::fail(
            req::HRT_COM_083,
            format!(
                "after the reset a message of the device did not open: {} [{}]",
                r.why, r.id
            ),
        )
        .with_evidence([r.seq]));
    }
    ctx.step(6);
    com::restore(ctx, &before).await?;
    let (after, _) = com::acl_of(ctx).await?;
    let key = com::key_of(ctx, admin).map(AclSubject::Key);
    if !after.iter().any(|e| Some(e.subject) == key) {
        return Err(Outcome::error(
            "the manager is not in the ACL after the case put it back",
        ));
    }
    let who = ctx.operator_tester()?;
    ctx.read(who, Path::new(0, 1, 4)).await.map(drop)?;
    erased
}

/// Step 4 of TC-COM-6.1: where the run can restart the device, restart the factory-new
/// device and wait for the basic window it opens on connecting (HRT-COM-021); that window.
async fn after_restart(ctx: &mut Ctx) -> Result<Option<DeviceWindow>, Outcome> {
    if wait::restartable(ctx).is_err() {
        ctx.step_with(4, "not run: the run cannot restart the device");
        return Ok(None);
    }
    ctx.step(4);
    wait::restart(ctx).await?;
    let within = com::announce_within(ctx);
    match com::opened(ctx, within).await? {
        Some(w) if com::is_type(&w, WindowType::Basic) => Ok(Some(w)),
        Some(w) => Err(Outcome::fail(
            req::HRT_COM_021,
            format!(
                "after a restart the factory-new device announces a {:?} window, not a basic one",
                w.open.window_type
            ),
        )
        .with_evidence([w.seq])),
        None => Err(Outcome::fail(
            req::HRT_COM_021,
            format!("after a restart the factory-new device announced no open window within {within:?} of coming online"),
        )),
    }
}
