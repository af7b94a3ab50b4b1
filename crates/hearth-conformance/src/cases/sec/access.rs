//! TC-SEC-3.x, access control: a controller the access-control list does not admit changes
//! nothing.

use hearth_wire::Body;

use crate::harness::case::{needs_stranger, needs_writable, test_case, CaseResult, Ctx};
use crate::harness::expect;
use crate::probe::Tamper;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-SEC-3.1
    UNAUTHORIZED: "TC-SEC-3.1",
    title: "A controller the access-control list does not admit changes nothing",
    checks: [
        HRT_SEC_114,
        HRT_SEC_119,
        HRT_SEC_133,
    ],
    steps: [
        "As a controller with no privilege, write a declared-valid value to a writable property.",
        "Send a correct read as a barrier: before its answer, no answer or unauthorized (never success) (HRT-CONF-037).",
        "Read the property as an admitted controller: it must be unchanged.",
    ],
    applies: |ctx| needs_stranger(ctx).and_then(|()| needs_writable(ctx)),
    run: unauthorized(operator),
}

async fn unauthorized(ctx: &mut Ctx, who: usize) -> CaseResult {
    let stranger = ctx.stranger()?;
    let Some((path, p)) = ctx
        .properties()
        .into_iter()
        .find(|(_, p)| p.writable() && p.ty.int_spec().is_some())
        .or_else(|| ctx.writable())
    else {
        return Err(Outcome::not_applicable("no writable property"));
    };
    let before = ctx.read(who, path).await?;
    let attempt = ctx
        .another_value(path, p, &before)
        .unwrap_or_else(|| before.clone());
    ctx.step_with(1, format!("{attempt} to {path}"));
    let (id, _, sent) = ctx
        .probe
        .send(stranger, Body::Write(vec![(path, attempt)]), Tamper::None)
        .await?;
    ctx.step(2);
    let answer = expect::confirm(ctx, id, sent).await?;
    ctx.step(3);
    let e = (
        req::HRT_SEC_114,
        "a request from a controller outside the ACL",
    );
    expect::unchanged(ctx, who, (path, &before), sent, e).await?;
    let e = (req::HRT_SEC_114, "a controller outside its ACL");
    expect::refusal(answer, sent, e)
}
