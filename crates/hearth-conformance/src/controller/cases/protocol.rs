//! The `TC-CTL-3` cases: the test agent protocol itself (`spec/08-controllers.md` §4, §5) and
//! the controller's identity as its requests show it.
//!
//! The framing case writes its own lines — not JSON, without an id, of an unknown op, longer
//! than 65 536 bytes — and reads every line the agent writes back, one request at a time, so
//! that an answer missing, doubled or carrying another id is seen (HRT-CTL-010). The beliefs
//! case asks `value`, `await`, `devices` and `read` about what the lab fans verifiably sent,
//! and judges each answer against what the lab knows it published; every wait is an `await`
//! bounded by the statement's timeouts, never a verdict by elapsed time.

use std::time::Duration;

use hearth_model::{DeviceId, Path, Value};
use hearth_mqtt::agent::json::{from_json, to_json};
use hearth_mqtt::agent::protocol::{parse_response, AgentError, ErrorKind, MAX_LINE};
use hearth_security::cert::Role;
use hearth_security::fs::{read_cert, read_chain};
use serde_json::{json, Value as Json};

use super::{requests_since, write_level, CtlCtx};
use crate::case::{CaseFuture, CaseResult};
use crate::controller::lab::LEVEL;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

/// The steps of TC-CTL-3.1.
pub(super) const FRAMING_STEPS: &[&str] = &[
    "Send a line that is not JSON; the agent must answer with one `bad-request` or `unsupported` error of id 0.",
    "Send a JSON object without an integer `id`, and one whose `id` is text; each must be answered likewise, with id 0.",
    "Send a request of an op the protocol does not define; it must be answered with one such error carrying its id.",
    "Send a request line of 70 000 bytes (id 0, op `hello`); it must be answered with one `bad-request` error.",
    "Send `await` requests whose `value` is not a value of 08 §5 (a fraction, a bare JSON null, an unknown tagged object); each must be answered `bad-request` with its id.",
    "Send `hello`; the next line the agent writes must be its answer, with its id: the agent wrote nothing else and still serves.",
];

/// The steps of TC-CTL-3.2.
pub(super) const BELIEF_STEPS: &[&str] = &[
    "The first lab fan reports a new level; wait until the controller believes it.",
    "`value` of the level must be exactly that level, a plain JSON integer; `value` of a member no message carried must be JSON null.",
    "`await` of the level with the longest bound must answer reached true with the level; `await` of level 99, which no message carried, with a bound of 200 ms must answer reached false with the level.",
    "`devices` must list both lab fans, described and not offline.",
    "`read` every property of the fan; each answer of status success must carry the fan's own value, encoded as 08 §5 gives.",
];

/// The steps of TC-CTL-3.3.
pub(super) const IDENTITY_STEPS: &[&str] = &[
    "Through the agent, write a level to the first lab fan; it must succeed.",
    "Every request the lab received from the controller must name as its sender a controller id of 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.",
    "The controller's leaf certificate (the statement's chain) must carry its issuer's vendor id when a vendor issued it, and no vendor id when a root issued it.",
];

/// How the suite's own requests of the framing case are written: a bad line, and the answer
/// it expects (the id, and whether `unsupported` is as good as `bad-request`).
struct Probe {
    line: Vec<u8>,
    id: u64,
    unsupported_too: bool,
    broken: Req,
}

/// Write `probe.line` and read the one line the agent answers with: it must be an error of
/// the right kind with the right id.
async fn one_error(ctx: &mut CtlCtx, probe: Probe, what: &str) -> CaseResult {
    ctx.agent
        .send_line(&probe.line)
        .await
        .map_err(|e| Outcome::error(e.to_string()))?;
    let line = ctx.agent.next_line().await.map_err(|e| {
        Outcome::fail(
            probe.broken,
            format!("the agent gave no answer to {what}: {e}"),
        )
    })?;
    let (id, result) = parse_response(line.as_bytes()).map_err(|e| {
        Outcome::fail(
            req::HRT_CTL_010,
            format!("after {what} the agent wrote a line that is not an answer ({e}): {line}"),
        )
    })?;
    if id != probe.id {
        return Err(Outcome::fail(
            req::HRT_CTL_010,
            format!(
                "the agent answered {what} with id {id}, not {}: {line}",
                probe.id
            ),
        ));
    }
    match result {
        Err(AgentError {
            kind: ErrorKind::BadRequest,
            ..
        }) => Ok(()),
        Err(AgentError {
            kind: ErrorKind::Unsupported,
            ..
        }) if probe.unsupported_too => Ok(()),
        _ => Err(Outcome::fail(
            probe.broken,
            format!("the agent answered {what} with {line}"),
        )),
    }
}

fn bad(line: &[u8], broken: Req) -> Probe {
    Probe {
        line: line.to_vec(),
        id: 0,
        unsupported_too: true,
        broken,
    }
}

/// TC-CTL-3.1: malformed lines are answered once each, with the kind and id the protocol
/// names, and the agent keeps serving.
pub(super) fn framing(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        one_error(
            ctx,
            bad(b"hello, agent", req::HRT_CTL_011),
            "a line that is not JSON",
        )
        .await?;
        ctx.step(2);
        one_error(
            ctx,
            bad(br#"{"op":"hello"}"#, req::HRT_CTL_011),
            "a request without an id",
        )
        .await?;
        one_error(
            ctx,
            bad(br#"{"id":"7","op":"hello"}"#, req::HRT_CTL_011),
            "a request whose id is text",
        )
        .await?;
        ctx.step(3);
        let id = ctx.agent.fresh_id();
        one_error(
            ctx,
            Probe {
                line: format!(r#"{{"id":{id},"op":"hearth-no-such-op"}}"#).into_bytes(),
                id,
                unsupported_too: true,
                broken: req::HRT_CTL_011,
            },
            "a request of an unknown op",
        )
        .await?;
        ctx.step(4);
        // Complete JSON after the limit: an agent that read it all would answer `hello`.
        let mut long = br#"{"id":0,"op":"hello","padding":""#.to_vec();
        long.resize(70_000 - 2, b'x');
        long.extend_from_slice(br#""}"#);
        debug_assert!(long.len() > MAX_LINE);
        one_error(
            ctx,
            Probe {
                line: long,
                id: 0,
                unsupported_too: false,
                broken: req::HRT_CTL_012,
            },
            "a request line of 70 000 bytes",
        )
        .await?;
        ctx.step(5);
        let device = ctx.lab.addr(0).to_string();
        for (value, what) in [
            ("1.5", "a fraction"),
            ("null", "a bare JSON null"),
            (r#"{"float":1}"#, "an unknown tagged object"),
        ] {
            let id = ctx.agent.fresh_id();
            let line = format!(
                r#"{{"id":{id},"op":"await","device":"{device}","path":"{LEVEL}","value":{value},"timeout_ms":1}}"#
            );
            one_error(
                ctx,
                Probe {
                    line: line.into_bytes(),
                    id,
                    unsupported_too: false,
                    broken: req::HRT_CTL_020,
                },
                &format!("an `await` whose value is {what}"),
            )
            .await?;
        }
        ctx.step(6);
        let id = ctx.agent.fresh_id();
        ctx.agent
            .send_line(format!(r#"{{"id":{id},"op":"hello"}}"#).as_bytes())
            .await
            .map_err(|e| Outcome::error(e.to_string()))?;
        let line = ctx.agent.next_line().await.map_err(|e| {
            Outcome::fail(
                req::HRT_CTL_011,
                format!("after the malformed lines the agent no longer answers `hello`: {e}"),
            )
            .and(req::HRT_CTL_012)
        })?;
        match parse_response(line.as_bytes()) {
            Ok((got, Ok(_))) if got == id => Ok(()),
            Ok((got, _)) if got != id => Err(Outcome::fail(
                req::HRT_CTL_010,
                format!("the next line after `hello` (id {id}) is not its answer: the agent wrote more than one answer per request: {line}"),
            )),
            Ok(_) => Err(Outcome::fail(
                req::HRT_CTL_011,
                format!("after the malformed lines the agent refused `hello`: {line}"),
            )
            .and(req::HRT_CTL_012)),
            Err(e) => Err(Outcome::fail(
                req::HRT_CTL_010,
                format!("the agent wrote a line that is not an answer ({e}): {line}"),
            )),
        }
    })
}

/// Ask `op` with `fields`; an error answer is a fail on `broken`.
async fn must_answer(
    ctx: &mut CtlCtx,
    op: &str,
    fields: Json,
    extra: Duration,
    broken: Req,
) -> Result<Json, Outcome> {
    match ctx.ask(op, fields, extra).await? {
        Ok(answer) => Ok(answer),
        Err(e) => Err(Outcome::fail(
            broken,
            format!(
                "the agent answered `{op}` with an error: {} ({})",
                e.message,
                e.kind.name()
            ),
        )),
    }
}

/// TC-CTL-3.2: `value`, `await`, `devices` and `read` say what the controller verifiably
/// accepted, in the encoding of 08 §5.
pub(super) fn beliefs(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        let level = ctx.first_level(0).await?;
        let device = ctx.lab.addr(0).to_string();
        ctx.step(2);
        let fields = json!({"device": device, "path": LEVEL.to_string()});
        let answer = must_answer(ctx, "value", fields, Duration::ZERO, req::HRT_CTL_013).await?;
        if answer["value"] != json!(level) {
            let same = from_json(&answer["value"]) == Ok(Value::Int(level))
                || answer["value"].as_f64() == i32::try_from(level).ok().map(f64::from);
            let broken = if same {
                req::HRT_CTL_020
            } else {
                req::HRT_CTL_013
            };
            return Err(Outcome::fail(
                broken,
                format!("the controller believes level {level} of {device}, but `value` answered {answer}"),
            ));
        }
        let never = Path::new(LEVEL.component, LEVEL.capability, 200);
        let fields = json!({"device": device, "path": never.to_string()});
        let answer = must_answer(ctx, "value", fields, Duration::ZERO, req::HRT_CTL_013).await?;
        if !answer["value"].is_null() {
            return Err(Outcome::fail(
                req::HRT_CTL_013,
                format!("no message carried {never} of {device}, but `value` answered {answer}"),
            ));
        }
        ctx.step(3);
        let bound = ctx.await_bound();
        let bound_ms = u64::try_from(bound.as_millis()).unwrap_or(u64::MAX);
        let fields = json!({"device": device, "path": LEVEL.to_string(), "value": level, "timeout_ms": bound_ms});
        let answer = must_answer(ctx, "await", fields, bound, req::HRT_CTL_014).await?;
        if answer["reached"] != json!(true) || answer["value"] != json!(level) {
            return Err(Outcome::fail(
                req::HRT_CTL_014,
                format!(
                    "`await` of level {level}, which the controller believes, answered {answer}"
                ),
            ));
        }
        // Above the description's 12: no message of the lab ever carried it.
        let unreached = 99;
        let fields = json!({"device": device, "path": LEVEL.to_string(), "value": unreached, "timeout_ms": 200});
        let answer = must_answer(
            ctx,
            "await",
            fields,
            Duration::from_millis(200),
            req::HRT_CTL_014,
        )
        .await?;
        if answer["reached"] != json!(false) || answer["value"] != json!(level) {
            return Err(Outcome::fail(
                req::HRT_CTL_014,
                format!("`await` of level {unreached}, which no message carried, answered {answer}, not reached false with the current level {level}"),
            ));
        }
        ctx.step(4);
        let answer =
            must_answer(ctx, "devices", json!({}), Duration::ZERO, req::HRT_CTL_016).await?;
        for i in 0..2 {
            let addr = ctx.lab.addr(i).to_string();
            let entry = answer
                .as_array()
                .and_then(|list| list.iter().find(|d| d["device"] == json!(addr)));
            let Some(entry) = entry else {
                return Err(Outcome::fail(
                    req::HRT_CTL_016,
                    format!("`devices` does not list {addr}, whose retained description and online status the lab published before the agent started: {answer}"),
                )
                .and(req::HRT_MQTT_040));
            };
            if entry["described"] != json!(true) || entry["online"] == json!(false) {
                return Err(Outcome::fail(
                    req::HRT_CTL_016,
                    format!("`devices` lists {addr} as {entry}: the lab published its description and only online statuses"),
                )
                .and(req::HRT_MQTT_040));
            }
        }
        ctx.step(5);
        let own = ctx.lab.values(0);
        let paths: Vec<String> = own.iter().map(|(p, _)| p.to_string()).collect();
        let fields = json!({"device": device, "paths": paths});
        let answer = must_answer(ctx, "read", fields, Duration::ZERO, req::HRT_CTL_015).await?;
        let Some(values) = answer["values"].as_array() else {
            return Err(Outcome::fail(
                req::HRT_CTL_015,
                format!("`read` answered {answer}, without a list `values`"),
            ));
        };
        let mut matched = 0;
        for (path, held) in &own {
            let text = path.to_string();
            let Some(entry) = values.iter().find(|v| v["path"] == json!(text)) else {
                continue;
            };
            if entry["status"] != json!("success") {
                continue;
            }
            match from_json(&entry["value"]) {
                Err(e) => {
                    return Err(Outcome::fail(
                        req::HRT_CTL_020,
                        format!(
                        "`read` gave {text} as {}, not a value of 08 §5 ({e}); the fan holds {}",
                        entry["value"],
                        to_json(held)
                    ),
                    ))
                }
                Ok(v) if v != *held => {
                    return Err(Outcome::fail(
                        req::HRT_CTL_015,
                        format!("`read` gave {text} as {v}, but the fan answered {held}"),
                    ))
                }
                Ok(_) => matched += 1,
            }
        }
        if matched == 0 {
            return Err(Outcome::fail(
                req::HRT_CTL_015,
                format!("`read` of every property of {device} gave no value of status success: {answer}"),
            ));
        }
        Ok(())
    })
}

/// TC-CTL-3.3: the controller's id as its requests name it, and the vendor id of its
/// certificate.
pub(super) fn identity(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        let from = ctx.lab.requests().len();
        write_level(ctx, 2).await?;
        ctx.step(2);
        if requests_since(ctx, from).is_empty() {
            return Err(Outcome::error(
                "the lab saw no request of the controller after a write",
            ));
        }
        let senders: Vec<String> = requests_since(ctx, 0)
            .into_iter()
            .map(|m| m.sender)
            .collect();
        if let Some(bad) = senders.iter().find(|s| !DeviceId::is_valid(s)) {
            return Err(Outcome::fail(
                req::HRT_MQTT_007,
                format!("the controller's request names the sender {bad:?}, not a controller id of 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'"),
            ));
        }
        ctx.step(3);
        check_issuer_vendor(ctx)
    })
}

/// HRT-SEC-058, HRT-SEC-059 on the statement's chain.
fn check_issuer_vendor(ctx: &CtlCtx) -> CaseResult {
    let chain = read_chain(&ctx.ics.chain)
        .map_err(|e| Outcome::error(format!("{}: {e}", ctx.ics.chain.display())))?;
    let Some(leaf) = chain.first() else {
        return Err(Outcome::error("the controller's chain is empty"));
    };
    let issuer = match chain.get(1) {
        Some(c) => c.clone(),
        None => read_cert(&ctx.ics.root)
            .map_err(|e| Outcome::error(format!("{}: {e}", ctx.ics.root.display())))?,
    };
    let leaf_vendor = leaf.claims().vendor_id;
    match issuer.claims().role {
        Role::Vendor if leaf_vendor != issuer.claims().vendor_id => Err(Outcome::fail(
            req::HRT_SEC_058,
            format!(
                "the controller's certificate, issued by the vendor CA {:?} of vendor {}, carries the vendor id {}",
                issuer.claims().subject,
                show_vendor(issuer.claims().vendor_id),
                show_vendor(leaf_vendor)
            ),
        )),
        Role::Root if leaf_vendor.is_some() => Err(Outcome::fail(
            req::HRT_SEC_059,
            format!(
                "the controller's certificate, issued by the root {:?}, carries the vendor id {}",
                issuer.claims().subject,
                show_vendor(leaf_vendor)
            ),
        )),
        _ => Ok(()),
    }
}

fn show_vendor(v: Option<u16>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| format!("{v:04x}"))
}
