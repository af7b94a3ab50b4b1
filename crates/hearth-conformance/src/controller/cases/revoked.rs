//! `TC-CTL-7.1`: a report signed under a certificate that the vendor CA's revocation list
//! revokes (`spec/03-security.md` §7). The lab publishes the list; the lab fans announce
//! themselves again, with their chains, after it; then the case has the shape of every
//! hostile case: a known level, the hostile report, a marker on the same topic.

use super::{publish_hostile, CtlCtx};
use crate::case::CaseFuture;
use crate::controller::lab::HostileKey;
use crate::requirements::req;
use crate::verdict::Outcome;

/// The steps of TC-CTL-7.1.
pub(super) const REVOKED_STEPS: &[&str] = &[
    "Publish the lab vendor CA's revocation list, retained, revoking a device certificate of the vendor for the fan's id; both lab fans announce themselves again after it, with their chains.",
    "The lab fan reports a new level; wait until the controller believes it.",
    "Publish a report of another level signed under the revoked certificate, carrying its chain, on the fan's report topic.",
    "Publish a marker (a new energy reading) on the same topic; wait until the controller believes it.",
    "The controller must still believe the level of step 2.",
];

/// TC-CTL-7.1: a report under a revoked certificate changes nothing (HRT-SEC-075).
pub(super) fn revoked(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        ctx.lab.publish_revocation_list().map_err(Outcome::error)?;
        for i in 0..2 {
            ctx.lab.reconnect(i).map_err(Outcome::error)?;
        }
        ctx.step(2);
        let known = ctx.known_level(0).await?;
        ctx.step(3);
        publish_hostile(&ctx.lab, HostileKey::Revoked, known % 12 + 1).map_err(Outcome::error)?;
        ctx.step(4);
        ctx.marker(0).await?;
        ctx.step(5);
        ctx.still(
            0,
            known,
            &[req::HRT_SEC_075],
            "a report signed under a certificate its vendor CA revoked",
        )
        .await
    })
}
