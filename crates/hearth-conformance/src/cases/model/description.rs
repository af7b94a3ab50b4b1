//! TC-MOD-1.x, the description: the ICS against the description the device publishes, and
//! the description against the catalog and its device type's rules.

use std::collections::{BTreeMap, BTreeSet};

use hearth_model::validate::check_description;

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

test_case! {
    /// TC-MOD-1.1
    ICS_MATCHES: "TC-MOD-1.1",
    title: "The ICS names the device and claims exactly what its description declares",
    checks: [
        HRT_CONF_020,
        HRT_CONF_022,
        HRT_CONF_023,
        HRT_CONF_025,
    ],
    steps: [
        "Take the device's verified, retained description.",
        "Compare the device type, vendor and device id with the ICS.",
        "Compare, component by component, the capability instances and their optional members.",
    ],
    applies: always,
    run: ics_matches,
}

/// The ICS view of a description: component → capability (name or 0x id) → optional members.
fn claims_of(ctx: &Ctx) -> BTreeMap<u16, BTreeMap<String, BTreeSet<String>>> {
    let mut out = BTreeMap::new();
    for comp in &ctx.description.components {
        let caps: &mut BTreeMap<String, BTreeSet<String>> = out.entry(comp.id).or_default();
        for inst in &comp.capabilities {
            let (name, members) = crate::ics::claim(ctx.catalog, inst);
            caps.insert(name, members.into_iter().collect());
        }
    }
    out
}

async fn ics_matches(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    ctx.step(2);
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
        return Err(Outcome::fail(
            req::HRT_CONF_020,
            format!(
                "the ICS names {}/{} ({}); the description {:04x}/{} ({dt})",
                d.vendor, d.id, d.device_type, desc.vendor_id, desc.device_id
            ),
        ));
    }
    ctx.step(3);
    let described = claims_of(ctx);
    let mut problems: Vec<(Req, String)> = Vec::new();
    for (comp, caps) in &ctx.ics.components {
        for (cap, members) in caps {
            let claimed: BTreeSet<String> = members.iter().cloned().collect();
            match described.get(comp).and_then(|c| c.get(cap)) {
                None => problems.push((req::HRT_CONF_022, format!("the ICS claims `{cap}` on component {comp}; the description has none there"))),
                Some(got) if *got != claimed => problems.push((
                    req::HRT_CONF_023,
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
                problems.push((req::HRT_CONF_022, format!("the description has `{cap}` on component {comp}; the ICS does not claim it")));
            }
        }
    }
    failing(&problems).map_or(Ok(()), Err)
}

/// One failure naming every requirement among `problems` (sorted, each once) and every
/// reason, in order; `None` when there are none.
fn failing(problems: &[(Req, String)]) -> Option<Outcome> {
    let reason = problems
        .iter()
        .map(|(_, p)| p.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    broken_by(problems.iter().map(|(r, _)| *r), reason)
}

/// A failure naming `requirements`, sorted and each once, for `reason`; `None` for none.
fn broken_by(requirements: impl IntoIterator<Item = Req>, reason: String) -> Option<Outcome> {
    let mut broken: Vec<Req> = requirements.into_iter().collect();
    broken.sort();
    let (first, rest) = broken.split_first()?;
    Some(
        rest.iter()
            .fold(Outcome::fail(*first, reason), |o, r| o.and(*r)),
    )
}

test_case! {
    /// TC-MOD-1.2
    DESCRIPTION_VALID: "TC-MOD-1.2",
    title: "The description is valid for its device type",
    checks: [
        HRT_MOD_001,
        HRT_MOD_002,
        HRT_MOD_003,
        HRT_MOD_004,
        HRT_MOD_005,
        HRT_MOD_006,
        HRT_MOD_010,
        HRT_MOD_011,
        HRT_MOD_012,
        HRT_MOD_020,
        HRT_MOD_021,
        HRT_MOD_022,
        HRT_MOD_023,
        HRT_MOD_024,
        HRT_MOD_030,
        HRT_MOD_031,
        HRT_MOD_032,
        HRT_MOD_033,
        HRT_MOD_034,
        HRT_MOD_035,
        HRT_MOD_061,
        HRT_MOD_100,
        HRT_MOD_111,
        HRT_MOD_120,
        HRT_MSG_050,
    ],
    steps: [
        "Decode the retained description (before any test case runs): a description with a key its CDDL does not define fails HRT-MOD-111, one with an optional list sent empty instead of omitted fails HRT-MOD-120, one that does not decode otherwise fails HRT-MSG-050.",
        "Validate the description against the catalog and its device type's rules.",
    ],
    applies: always,
    run: description_valid,
}

async fn description_valid(ctx: &mut Ctx) -> CaseResult {
    ctx.step(1);
    ctx.step(2);
    let Err(errors) = check_description(ctx.catalog, &ctx.description) else {
        return Ok(());
    };
    let mut broken = Vec::new();
    for e in &errors.0 {
        broken.push(Req::resolve(e.requirement()).ok_or_else(|| {
            Outcome::error(format!(
                "the validator names {}, which the specification does not state",
                e.requirement()
            ))
        })?);
    }
    broken_by(broken, errors.to_string()).map_or(Ok(()), Err)
}
