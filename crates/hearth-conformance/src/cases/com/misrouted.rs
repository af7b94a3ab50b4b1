//! TC-COM-3.2 and 3.3, messages the device must not take: a commissioning message on the
//! topic of another kind, and a `window-control` whose body is outside the CDDL.

use ciborium::Value as Cbor;
use hearth_model::{Privilege, StatusCode};
use hearth_mqtt::topic::Channel;
use hearth_wire::commissioning::WindowControl;
use hearth_wire::Body;

use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, DeviceWindow};
use crate::harness::craft::{int_key, publish, resigned};
use crate::harness::expect;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-3.2
    WRONG_TOPIC: "TC-COM-3.2",
    title: "A commissioning message on the topic of another kind is rejected",
    checks: [
        HRT_COM_058,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows.",
        "As the controller the device does not admit, send a correct pake-start for the open window on the device's request topic instead of its commission topic: no answer, confirmed by order (HRT-COM-058).",
        "As the manager, send an acl-read on the device's commission topic instead of its request topic: no answer, confirmed by order (HRT-COM-058).",
        "Close the window and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: wrong_topic,
}

async fn wrong_topic(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = misrouted(ctx, &w.window).await;
    ctx.step(4);
    w.close(ctx, result).await
}

/// Steps 2 and 3 of TC-COM-3.2.
async fn misrouted(ctx: &mut Ctx, window: &DeviceWindow) -> CaseResult {
    ctx.step(2);
    let stranger = ctx.stranger()?;
    let (id, sent) = com::start_on(ctx, stranger, window, Channel::Req).await?;
    let e = (
        req::HRT_COM_058,
        "a pake-start on the device's request topic",
    );
    expect::silent(ctx, id, sent, e).await?;
    ctx.step(3);
    let admin = com::manager(ctx)?;
    let chain = com::session_chain(ctx, admin)?;
    let (id, sent) = com::send_on(
        ctx,
        admin,
        Body::AclRead,
        Channel::Commission,
        (&chain, None),
    )
    .await?;
    let e = (
        req::HRT_COM_058,
        "an acl-read on the device's commission topic",
    );
    expect::silent(ctx, id, sent, e).await
}

test_case! {
    /// TC-COM-3.3
    OUTSIDE_CDDL: "TC-COM-3.3",
    title: "A window-control whose body is outside the CDDL is rejected with no effect",
    checks: [
        HRT_COM_044,
    ],
    steps: [
        "As the manager, send a correctly signed window-control that opens an enhanced window for 100 seconds, outside the 180 to 900 of the CDDL: no answer, confirmed by order (HRT-COM-044).",
        "As the manager, ask for an enhanced window with a valid request: success, not busy, since the rejected request opened no window (HRT-COM-044).",
        "Close the window as the manager.",
    ],
    applies: com::needs_manage_window,
    run: outside_cddl,
}

/// The duration TC-COM-3.3 asks for: below the CDDL's 180 seconds.
const SHORT_WINDOW_SECS: u8 = 100;

async fn outside_cddl(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let admin = com::manager(ctx)?;
    let device = ctx.probe.device().clone();
    let (request, _) = hearth_mqtt::enhanced_window(
        device.vendor_id,
        ctx.description.device_type,
        (
            Privilege::Operate,
            com::SUITE_WINDOW_SECS,
            com::SUITE_ITERATIONS,
        ),
        &hearth_security::pki::SystemRandom::new(),
    )
    .map_err(|e| Outcome::error(format!("a fresh setup payload: {e}")))?;
    let body = Body::WindowControl(WindowControl::Open(Box::new(request)));
    let (id, bytes) = resigned(ctx, admin, body, shorten)?;
    com::forget_windows(ctx);
    let sent = publish(ctx, bytes, "window-control for 100 s, outside the CDDL").await?;
    let e = (
        req::HRT_COM_044,
        "a window-control whose duration is outside the CDDL",
    );
    let silent = expect::silent(ctx, id, sent, e).await;
    ctx.step(2);
    let (status, _) = com::ask_enhanced(ctx, admin, Privilege::Operate).await?;
    ctx.step(3);
    com::close(ctx).await?;
    silent?;
    match status {
        Some((StatusCode::Success, _)) => Ok(()),
        Some((StatusCode::Busy, seq)) => Err(Outcome::fail(
            req::HRT_COM_044,
            "after a window-control outside the CDDL a valid one was answered busy: the first opened a window",
        )
        .with_evidence([sent, seq])),
        other => Err(Outcome::error(format!(
            "the manager's valid window-control was answered {other:?}"
        ))),
    }
}

/// The encoded message with the duration of its `window-control` body (key 6 of key 5) set
/// to [`SHORT_WINDOW_SECS`].
fn shorten(payload: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut map = match ciborium::de::from_reader::<Cbor, _>(payload.as_slice()) {
        Ok(Cbor::Map(m)) => m,
        _ => return Err("the payload is not a map".into()),
    };
    let mut changed = false;
    for (k, v) in map.iter_mut() {
        if let (Some(5), Cbor::Map(body)) = (int_key(k), v) {
            for (bk, bv) in body.iter_mut() {
                if int_key(bk) == Some(6) {
                    *bv = Cbor::Integer(SHORT_WINDOW_SECS.into());
                    changed = true;
                }
            }
        }
    }
    if !changed {
        return Err("the window-control body has no duration".into());
    }
    let mut out = Vec::new();
    ciborium::ser::into_writer(&Cbor::Map(map), &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
