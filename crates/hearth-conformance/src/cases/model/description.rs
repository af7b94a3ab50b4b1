//! Description and model: the statement against the description, the description against
//! the catalog, `device-info` against both.

use std::collections::{BTreeMap, BTreeSet};

use hearth_model::validate::check_description;
use hearth_model::{Path, Value};

use crate::case::{always, Case, Ctx};
use crate::cases::{case_fn, try_outcome};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::verdict::Outcome;

/// TC-MOD-1.1
pub(crate) const ICS_MATCHES: Case = Case {
    id: "TC-MOD-1.1",
    title: "The ICS names the device and claims exactly what its description declares",
    requirements: &[
        req::HRT_CONF_020,
        req::HRT_CONF_022,
        req::HRT_CONF_023,
        req::HRT_CONF_025,
    ],
    steps: &[
        "Take the device's verified, retained description.",
        "Compare the device type, vendor and device id with the ICS.",
        "Compare, component by component, the capability instances and their optional members.",
    ],
    applies: always,
    run: ics_matches,
};

/// The ICS view of a description: component → capability (name or 0x id) → optional members.
fn claims_of(ctx: &Ctx) -> BTreeMap<u16, BTreeMap<String, BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    for comp in &ctx.description.components {
        let caps: &mut BTreeMap<String, BTreeSet<String>> = out.entry(comp.id).or_default();
        for inst in &comp.capabilities {
            let entry = match ctx.catalog.capability(inst.capability) {
                Some(cap) => (
                    cap.name.clone(),
                    inst.properties
                        .iter()
                        .filter_map(|id| cap.property(*id).map(|p| p.name.clone()))
                        .chain(
                            inst.actions
                                .iter()
                                .filter_map(|id| cap.action(*id).map(|a| a.name.clone())),
                        )
                        .chain(
                            inst.events
                                .iter()
                                .filter_map(|id| cap.event(*id).map(|e| e.name.clone())),
                        )
                        .collect(),
                ),
                None => (
                    format!("{:#06x}", inst.capability),
                    inst.properties
                        .iter()
                        .chain(&inst.actions)
                        .chain(&inst.events)
                        .map(|id| format!("{id:#06x}"))
                        .collect(),
                ),
            };
            caps.insert(entry.0, entry.1);
        }
    }
    out
}

case_fn!(ics_matches, |ctx| {
    ctx.step_text("Take the device's verified, retained description.");
    ctx.step_text("Compare the device type, vendor and device id with the ICS.");
    let desc = &ctx.description;
    let dt = ctx
        .catalog
        .device_type(desc.device_type)
        .map_or("(unknown)", |d| d.name.as_str());
    let d = &ctx.ics.device;
    if d.vendor != format!("{:04x}", desc.vendor_id)
        || d.id != desc.device_id
        || d.device_type != dt
    {
        return Outcome::fail(
            "HRT-CONF-020",
            format!(
                "the ICS names {}/{} ({}); the description {:04x}/{} ({dt})",
                d.vendor, d.id, d.device_type, desc.vendor_id, desc.device_id
            ),
        );
    }
    ctx.step_text(
        "Compare, component by component, the capability instances and their optional members.",
    );
    let described = claims_of(ctx);
    let mut problems = Vec::new();
    for (comp, caps) in &ctx.ics.components {
        for (cap, members) in caps {
            let claimed: BTreeSet<String> = members.iter().cloned().collect();
            match described.get(comp).and_then(|c| c.get(cap)) {
                None => problems.push(("HRT-CONF-022", format!("the ICS claims `{cap}` on component {comp}; the description has none there"))),
                Some(got) if *got != claimed => problems.push((
                    "HRT-CONF-023",
                    format!("component {comp} `{cap}`: the ICS lists optional members {claimed:?}, the description {got:?}"),
                )),
                Some(_) => {}
            }
        }
    }
    for (comp, caps) in &described {
        for cap in caps.keys() {
            if !ctx
                .ics
                .components
                .get(comp)
                .is_some_and(|c| c.contains_key(cap))
            {
                problems.push(("HRT-CONF-022", format!("the description has `{cap}` on component {comp}; the ICS does not claim it")));
            }
        }
    }
    match problems.first() {
        None => Outcome::pass(),
        Some((req, _)) => {
            let mut o = Outcome::fail(
                *req,
                problems
                    .iter()
                    .map(|(_, p)| p.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            o.broken = problems
                .iter()
                .map(|(r, _)| (*r).to_owned())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            o
        }
    }
});

/// TC-MOD-1.2
pub(crate) const DESCRIPTION_VALID: Case = Case {
    id: "TC-MOD-1.2",
    title: "The description is valid for its device type",
    requirements: &[
        req::HRT_MOD_001,
        req::HRT_MOD_002,
        req::HRT_MOD_003,
        req::HRT_MOD_004,
        req::HRT_MOD_005,
        req::HRT_MOD_006,
        req::HRT_MOD_010,
        req::HRT_MOD_011,
        req::HRT_MOD_012,
        req::HRT_MOD_020,
        req::HRT_MOD_021,
        req::HRT_MOD_022,
        req::HRT_MOD_023,
        req::HRT_MOD_024,
        req::HRT_MOD_030,
        req::HRT_MOD_031,
        req::HRT_MOD_032,
        req::HRT_MOD_033,
        req::HRT_MOD_034,
        req::HRT_MOD_035,
        req::HRT_MOD_061,
        req::HRT_MOD_100,
        req::HRT_MOD_111,
        req::HRT_MSG_050,
    ],
    steps: &[
        "Decode the retained description (before any test case runs): a description with a key its CDDL does not define fails HRT-MOD-111, one that does not decode otherwise fails HRT-MSG-050.",
        "Validate the description against the catalog and its device type's rules.",
    ],
    applies: always,
    run: description_valid,
};

case_fn!(description_valid, |ctx| {
    ctx.step_text("Validate the description against the catalog and its device type's rules.");
    match check_description(ctx.catalog, &ctx.description) {
        Ok(()) => Outcome::pass(),
        Err(errors) => {
            let mut broken: Vec<String> = errors
                .0
                .iter()
                .map(|e| e.requirement().to_owned())
                .collect();
            broken.sort();
            broken.dedup();
            let mut o = Outcome::fail(&broken[0], errors.to_string());
            o.broken = broken;
            o
        }
    }
});

/// TC-MOD-2.1
pub(crate) const DEVICE_INFO: Case = Case {
    id: "TC-MOD-2.1",
    title: "device-info agrees with the description and the ICS",
    requirements: &[req::HRT_MOD_118, req::HRT_CONF_021],
    steps: &[
        "Read device-info vendor-id, vendor-name, model and firmware-version.",
        "Compare the vendor id with the description's, the others with the ICS.",
    ],
    applies: always,
    run: device_info,
};

case_fn!(device_info, |ctx| {
    let who = try_outcome!(ctx
        .tester(Privilege::Operate)
        .or_else(|_| ctx.tester(Privilege::Manage))
        .or_else(|_| ctx.tester(Privilege::View)));
    ctx.step_text("Read device-info vendor-id, vendor-name, model and firmware-version.");
    let vendor_id = try_outcome!(ctx.read(who, Path::new(0, 1, 2)).await);
    let mut texts = Vec::new();
    for member in [1, 4, 7] {
        texts.push(try_outcome!(ctx.read(who, Path::new(0, 1, member)).await));
    }
    ctx.step_text("Compare the vendor id with the description's, the others with the ICS.");
    if vendor_id != Value::Int(i64::from(ctx.description.vendor_id)) {
        return Outcome::fail(
            "HRT-MOD-118",
            format!(
                "device-info vendor-id is {vendor_id}; the description says {:#06x}",
                ctx.description.vendor_id
            ),
        );
    }
    let d = &ctx.ics.device;
    for ((name, claimed), got) in [
        ("vendor-name", &d.vendor_name),
        ("model", &d.model),
        ("firmware-version", &d.firmware),
    ]
    .into_iter()
    .zip(&texts)
    {
        if got.as_text() != Some(claimed.as_str()) {
            return Outcome::fail(
                "HRT-CONF-021",
                format!("device-info {name} is {got}; the ICS says {claimed:?}"),
            );
        }
    }
    Outcome::pass()
});
