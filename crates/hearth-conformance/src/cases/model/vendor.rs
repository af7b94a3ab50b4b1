//! TC-MOD-3.x, vendor capabilities: a vendor capability implements what its description
//! lists and nothing else.

use hearth_model::{Path, StatusCode};

use crate::harness::appliance::instances_where;
use crate::harness::case::{needs, test_case, CaseResult, Ctx};
use crate::requirements::req;
use crate::verdict::Outcome;

/// Vendor capability instances: (component, capability, declared properties).
fn vendor_instances(ctx: &Ctx) -> Vec<(u16, u16, Vec<u16>)> {
    instances_where(ctx, |i| i.capability >= 0x8000)
        .into_iter()
        .map(|(c, i)| (c, i.capability, i.properties.clone()))
        .collect()
}

test_case! {
    /// TC-MOD-3.1
    VENDOR_MEMBERS: "TC-MOD-3.1",
    title: "A vendor capability implements no property its description does not list",
    checks: [
        HRT_MOD_102,
        HRT_MOD_104,
    ],
    steps: [
        "For each vendor capability instance, read the property ids 1 to 32 and 0x8000 to 0x800F that its description does not list, 16 paths per request.",
        "Each must answer unsupported-property.",
    ],
    applies: |ctx| needs(vendor_instances(ctx).first(), "the description declares no vendor capability"),
    run: vendor_members(operator),
}

async fn vendor_members(ctx: &mut Ctx, who: usize) -> CaseResult {
    ctx.step(1);
    let mut paths = Vec::new();
    for (component, capability, declared) in vendor_instances(ctx) {
        paths.extend(
            (1..=32u16)
                .chain(0x8000..=0x800F)
                .filter(|id| !declared.contains(id))
                .map(|id| Path::new(component, capability, id)),
        );
    }
    ctx.step(2);
    for chunk in paths.chunks(16) {
        let (results, seq) = ctx.read_results(who, chunk.to_vec()).await?;
        if let Some(r) = results
            .iter()
            .find(|r| r.status != StatusCode::UnsupportedProperty)
        {
            let (requirement, what) = if r.status == StatusCode::Success {
                (
                    req::HRT_MOD_102,
                    "the description does not list it but it reads",
                )
            } else {
                (req::HRT_MOD_104, "expected unsupported-property")
            };
            return Err(Outcome::fail(
                requirement,
                format!("{}: {what} (status {})", r.path, r.status),
            )
            .with_evidence([seq]));
        }
    }
    Ok(())
}
