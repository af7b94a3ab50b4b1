//! TC-MOD-2.x, device-info: what the device says of itself against its description and the
//! ICS.

use hearth_model::{Path, Value};

use crate::harness::case::{always, test_case, CaseResult, Ctx};
use crate::ics::Privilege;
use crate::requirements::req;
use crate::verdict::Outcome;

test_case! {
    /// TC-MOD-2.1
    DEVICE_INFO: "TC-MOD-2.1",
    title: "device-info agrees with the description and the ICS",
    checks: [
        HRT_MOD_118,
        HRT_CONF_021,
    ],
    steps: [
        "Read device-info vendor-id, vendor-name, model and firmware-version.",
        "Compare the vendor id with the description's, the others with the ICS.",
    ],
    applies: always,
    run: device_info,
}

async fn device_info(ctx: &mut Ctx) -> CaseResult {
    let who = ctx
        .operator_tester()
        .or_else(|_| ctx.tester(Privilege::View))?;
    ctx.step(1);
    let vendor_id = ctx.read(who, Path::new(0, 1, 2)).await?;
    let mut texts = Vec::new();
    for member in [1, 4, 7] {
        texts.push(ctx.read(who, Path::new(0, 1, member)).await?);
    }
    ctx.step(2);
    if vendor_id != Value::Int(i64::from(ctx.description.vendor_id)) {
        return Err(Outcome::fail(
            req::HRT_MOD_118,
            format!(
                "device-info vendor-id is {}; the description says {}",
                match &vendor_id {
                    Value::Int(v) =>
                        u16::try_from(*v).map_or_else(|_| v.to_string(), hearth_model::vendor::hex),
                    other => other.to_string(),
                },
                hearth_model::vendor::Hex(ctx.description.vendor_id)
            ),
        ));
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
            return Err(Outcome::fail(
                req::HRT_CONF_021,
                format!("device-info {name} is {got}; the ICS says {claimed:?}"),
            ));
        }
    }
    Ok(())
}
