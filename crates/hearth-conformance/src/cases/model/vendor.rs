//! Vendor capabilities against the description.

use hearth_model::{Path, StatusCode};
use hearth_wire::Body;

use crate::case::{Case, Ctx};
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::verdict::Outcome;

/// Vendor capability instances: (component, capability, declared properties).
fn vendor_instances(ctx: &Ctx) -> Vec<(u16, u16, Vec<u16>)> {
    ctx.description
        .components
        .iter()
        .flat_map(|c| {
            c.capabilities
                .iter()
                .filter(|i| i.capability >= 0x8000)
                .map(|i| (c.id, i.capability, i.properties.clone()))
        })
        .collect()
}

/// TC-MOD-3.1
pub(crate) const VENDOR_MEMBERS: Case = Case {
    id: "TC-MOD-3.1",
    title: "A vendor capability implements no property its description does not list",
    requirements: &[req::HRT_MOD_102, req::HRT_MOD_104],
    steps: &[
        "For each vendor capability instance, read the property ids 1 to 32 and 0x8000 to 0x800F that its description does not list, 16 paths per request.",
        "Each must answer unsupported-property.",
    ],
    applies: |ctx| {
        if vendor_instances(ctx).is_empty() {
            Err("the description declares no vendor capability".into())
        } else {
            Ok(())
        }
    },
    run: vendor_members,
};

case_fn!(vendor_members, |ctx| {
    let who = try_outcome!(ctx
        .tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage)));
    ctx.step_text("For each vendor capability instance, read the property ids 1 to 32 and 0x8000 to 0x800F that its description does not list, 16 paths per request.");
    let mut paths = Vec::new();
    for (component, capability, declared) in vendor_instances(ctx) {
        paths.extend(
            (1..=32u16)
                .chain(0x8000..=0x800F)
                .filter(|id| !declared.contains(id))
                .map(|id| Path::new(component, capability, id)),
        );
    }
    ctx.step_text("Each must answer unsupported-property.");
    for chunk in paths.chunks(16) {
        let (msg, seq) = try_outcome!(ctx.ask(who, Body::Read(chunk.to_vec())).await);
        let Body::ReadResponse(results) = msg.body else {
            return Outcome::fail(
                "HRT-MSG-062",
                "a read was not answered with a read-response",
            )
            .with_evidence([seq]);
        };
        if let Some(r) = results
            .iter()
            .find(|r| r.status != StatusCode::UnsupportedProperty)
        {
            let (requirement, what) = if r.status == StatusCode::Success {
                (
                    "HRT-MOD-102",
                    "the description does not list it but it reads",
                )
            } else {
                ("HRT-MOD-104", "expected unsupported-property")
            };
            return Outcome::fail(
                requirement,
                format!("{}: {what} (status {})", r.path, r.status),
            )
            .with_evidence([seq]);
        }
    }
    Outcome::pass()
});
