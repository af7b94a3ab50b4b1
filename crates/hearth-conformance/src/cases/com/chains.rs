//! TC-COM-7.3, the commissioner's chain: a device takes a chain that ends with a root it does
//! not know, for that `pake-start` alone, and drops one that is invalid or whose leaf is no
//! controller.

use hearth_security::cert::Role;
use hearth_security::pki::{create_root, SystemRandom};
use hearth_security::Algorithm;

use crate::harness::authority::{Authority, Minted};
use crate::harness::case::{test_case, CaseResult, Ctx};
use crate::harness::commission::{self as com, DeviceWindow, SessionEnd};
use crate::harness::expect;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-COM-7.3
    FOREIGN_ROOT: "TC-COM-7.3",
    title: "A pake-start is taken with a chain to a root the device does not know, and dropped when its chain is invalid or its leaf no controller",
    checks: [
        HRT_COM_047,
        HRT_COM_059,
    ],
    steps: [
        "Read the ACL as the manager; open a window as the ICS allows. The suite makes a root of its own, which the device does not trust, and certificates under it for fresh keys, each named as the controller the device does not admit.",
        "Send a pake-start signed by a key whose certificate under that root has the role device, carrying its chain and the root: no answer, confirmed by order (HRT-COM-059).",
        "Send a pake-start signed by a controller key under that root whose certificate has a byte of its signature changed, carrying it and the root: no answer, confirmed by order (HRT-COM-059).",
        "Send a pake-start signed by a controller key under that root, carrying its certificate and the root: a pake-response, the chain validated with the root it ends with as trust anchor for that message (HRT-COM-047).",
        "Close the window (which ends the session) and put the ACL back as it was.",
    ],
    applies: com::needs_window,
    run: foreign_root,
}

async fn foreign_root(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    let w = com::InWindow::open(ctx).await?;
    let result = chains(ctx, &w.window, com::wrong_passcode(w.passcode)).await;
    ctx.step(5);
    w.close(ctx, result).await
}

/// A root of the suite's own and the chain, leaf first and ending with that root, of a fresh
/// key under it named `subject`, with claims `edit` changes and the leaf's signature broken
/// where `broken`.
fn foreign(
    subject: &str,
    now: u64,
    edit: impl FnOnce(&mut hearth_security::cert::CertClaims),
    broken: bool,
) -> Result<Minted, Outcome> {
    let bad = |e: String| Outcome::error(format!("making the suite's own root: {e}"));
    let root = create_root(
        "conformance-foreign-root",
        1,
        Algorithm::EdDsa,
        now,
        &SystemRandom::new(),
    )
    .map_err(|e| bad(e.to_string()))?;
    let ca = Authority {
        key: root.key,
        cert: root.cert,
        privilege: crate::ics::Privilege::View,
    };
    let mut minted = ca
        .mint(Algorithm::EdDsa, subject, now, edit, |_| {})
        .map_err(bad)?;
    if broken {
        if let Some(byte) = minted.chain.first_mut().and_then(|leaf| leaf.last_mut()) {
            *byte ^= 0x01;
        }
    }
    minted.chain.push(ca.cert.as_bytes().to_vec());
    Ok(minted)
}

/// Steps 2 to 4 of TC-COM-7.3.
async fn chains(ctx: &mut Ctx, window: &DeviceWindow, wrong: u32) -> CaseResult {
    let stranger = ctx.stranger()?;
    let subject = ctx
        .probe
        .testers()
        .get(stranger)
        .map(|t| t.id.clone())
        .ok_or_else(|| Outcome::error("no stranger"))?;
    let now = hearth_mqtt::identity::unix_now();
    let device_type = ctx.ics.device.device_type.clone();
    ctx.step(2);
    let as_device = foreign(
        &subject,
        now,
        |c| {
            c.role = Role::Device;
            c.vendor_id = Some(0xfff1);
            c.device_type = Some(device_type);
            c.model = Some("conformance".into());
        },
        false,
    )?;
    dropped(
        ctx,
        stranger,
        &as_device,
        window,
        wrong,
        "whose leaf has the role device",
    )
    .await?;
    ctx.step(3);
    let broken = foreign(&subject, now, |_| {}, true)?;
    dropped(
        ctx,
        stranger,
        &broken,
        window,
        wrong,
        "whose leaf's signature does not verify",
    )
    .await?;
    ctx.step(4);
    let controller = foreign(&subject, now, |_| {}, false)?;
    match com::start_signed(ctx, stranger, &controller, window, wrong).await? {
        SessionEnd::Ran { .. } => Ok(()),
        SessionEnd::Unanswered { sent } => Err(Outcome::fail(
            req::HRT_COM_047,
            "a pake-start whose valid chain ends with a root the device does not know had no answer",
        )
        .with_evidence([sent])),
        SessionEnd::Refused { result, seq } => Err(Outcome::fail(
            req::HRT_COM_047,
            format!(
                "a pake-start whose valid chain ends with a root the device does not know was answered {}",
                result.status
            ),
        )
        .with_evidence([seq])),
        SessionEnd::Unexpected { what, seq } => Err(Outcome::fail(
            req::HRT_COM_047,
            format!("a pake-start whose valid chain ends with a root the device does not know was answered with {what}"),
        )
        .with_evidence([seq])),
    }
}

/// A pake-start signed by `minted` under tester `who`'s name must go unanswered
/// (HRT-COM-059).
async fn dropped(
    ctx: &mut Ctx,
    who: usize,
    minted: &Minted,
    window: &DeviceWindow,
    wrong: u32,
    what: &str,
) -> CaseResult {
    let (id, sent) = com::send_start_signed(ctx, who, minted, window, wrong).await?;
    let what = format!("a pake-start {what}");
    expect::silent(ctx, id, sent, (req::HRT_COM_059, &what)).await
}
