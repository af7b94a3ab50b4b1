//! The `TC-CTL` test cases (`spec/08-controllers.md` §6, §7): hostile messages on the lab
//! fans' topics that must not change what the controller believes, and the controller's own
//! requests.
//!
//! Every hostile case has the same shape. The fan first reports a fresh `level` the
//! controller must accept (its belief is then known); the lab publishes the hostile message,
//! which would set another level; then a marker on the same topic. Once the agent says the
//! controller believes the marker, the hostile message has been processed (HRT-CTL-040), and
//! the controller's belief about `level` is the verdict — never the absence of a change
//! within some time (HRT-CTL-041).

use std::time::Duration;

use hearth_model::{Path, Value};
use hearth_mqtt::agent::json::{from_json, to_json};
use hearth_mqtt::agent::protocol::AgentError;
use hearth_mqtt::topic::Channel;
use serde_json::{json, Value as Json};

use super::agent::{Agent, LinkError};
use super::ics::ControllerIcs;
use super::lab::{HostileKey, Lab, ENERGY, LEVEL};
use crate::case::{CaseFuture, CaseResult};
use crate::harness::assemble::CaseName;
use crate::report::Step;
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

mod answers;
mod order;
mod protocol;
mod responses;
mod revoked;
mod wills;

/// Starts the agent again (a restart of the controller under test).
pub type Starter = Box<dyn Fn() -> Result<Agent, LinkError> + Send + Sync>;

/// What a controller test case runs with.
pub struct CtlCtx {
    /// The lab fans.
    pub lab: Lab,
    /// The agent of the controller under test.
    pub agent: Agent,
    /// The statement.
    pub ics: ControllerIcs,
    start: Starter,
    plan: &'static [&'static str],
    steps: Vec<Step>,
    level: [i64; 2],
}

impl CtlCtx {
    /// A context over a running lab and agent; `start` starts the agent anew.
    pub fn new(lab: Lab, agent: Agent, ics: ControllerIcs, start: Starter) -> Self {
        Self {
            lab,
            agent,
            ics,
            start,
            plan: &[],
            steps: Vec::new(),
            level: [1, 1],
        }
    }

    /// Begin a case: its plan, no steps done.
    pub fn begin(&mut self, plan: &'static [&'static str]) {
        self.plan = plan;
        self.steps.clear();
    }

    /// The steps done, then the rest of the plan as not reached; the last done one failed
    /// if the case did not pass.
    pub fn finish(&mut self, passed: bool) -> Vec<Step> {
        let mut steps = std::mem::take(&mut self.steps);
        if !passed {
            if let Some(last) = steps.last_mut() {
                last.outcome = "failed".into();
            }
        }
        for (i, text) in self.plan.iter().enumerate().skip(steps.len()) {
            steps.push(Step {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                text: (*text).to_owned(),
                outcome: "not-reached".into(),
            });
        }
        steps
    }

    /// Step `n` (from 1) of the plan begins.
    pub fn step(&mut self, n: usize) {
        let text = self
            .plan
            .get(n.wrapping_sub(1))
            .map_or("(not declared)", |t| t);
        self.steps.push(Step {
            number: u32::try_from(n).unwrap_or(u32::MAX),
            text: text.to_owned(),
            outcome: "done".into(),
        });
    }

    /// The longest a marker may take to be believed.
    fn await_bound(&self) -> Duration {
        self.ics.response_timeout * 2
    }

    /// Ask the agent; a broken link is an error of the run, an error answer is returned.
    async fn ask(
        &mut self,
        op: &str,
        fields: Json,
        extra: Duration,
    ) -> Result<Result<Json, AgentError>, Outcome> {
        let Json::Object(fields) = fields else {
            return Err(Outcome::error("a request is an object"));
        };
        self.agent.ask(op, fields, extra).await.map_err(|e| {
            Outcome::error(format!(
                "{e}; the agent wrote on its standard error: {}",
                tail(&self.agent.stderr())
            ))
        })
    }

    /// Whether the controller comes to believe `value` for `path` of fan `i`, waiting at
    /// most the await bound (HRT-CTL-014).
    pub async fn believes(&mut self, i: usize, path: Path, value: &Value) -> Result<bool, Outcome> {
        let bound = self.await_bound();
        let device = self.lab.addr(i).to_string();
        let fields = json!({
            "device": device,
            "path": path.to_string(),
            "value": to_json(value),
            "timeout_ms": u64::try_from(bound.as_millis()).unwrap_or(u64::MAX),
        });
        match self.ask("await", fields, bound).await? {
            Ok(answer) => Ok(answer["reached"] == Json::Bool(true)),
            Err(e) => Err(Outcome::error(format!(
                "the agent refused `await`: {}",
                e.message
            ))),
        }
    }

    /// The value the controller believes for `path` of fan `i` (`None`: none accepted, or
    /// the controller holds nothing of the fan).
    pub async fn believed(&mut self, i: usize, path: Path) -> Result<Option<Value>, Outcome> {
        let fields = json!({"device": self.lab.addr(i).to_string(), "path": path.to_string()});
        match self.ask("value", fields, Duration::ZERO).await? {
            Ok(answer) if answer["value"].is_null() => Ok(None),
            Ok(answer) => from_json(&answer["value"]).map(Some).map_err(|e| {
                Outcome::error(format!("the agent's `value` is not a value of 08 §5: {e}"))
            }),
            Err(e) if e.kind == hearth_mqtt::agent::protocol::ErrorKind::UnknownDevice => Ok(None),
            Err(e) => Err(Outcome::error(format!(
                "the agent refused `value`: {}",
                e.message
            ))),
        }
    }

    /// The controller must come to believe `value` at `path` of fan `i`; else it breaks
    /// `requirement`, as `why` says.
    pub async fn must_believe(
        &mut self,
        (i, path): (usize, Path),
        value: &Value,
        requirement: Req,
        why: String,
    ) -> CaseResult {
        if self.believes(i, path, value).await? {
            return Ok(());
        }
        Err(Outcome::fail(requirement, why))
    }

    /// Fan `i` publishes a marker; the controller must come to believe it (a conforming
    /// report, HRT-SEC-121).
    pub async fn marker(&mut self, i: usize) -> CaseResult {
        let marker = self.lab.marker(i).map_err(Outcome::error)?;
        let why = format!(
            "the controller did not accept a conforming report of {} (energy {marker}) within {:?}",
            self.lab.addr(i),
            self.await_bound()
        );
        self.must_believe((i, ENERGY), &marker, req::HRT_SEC_121, why)
            .await
    }

    /// Fan `i` reports a level it has not reported last, which the controller must accept;
    /// the level.
    pub async fn known_level(&mut self, i: usize) -> Result<i64, Outcome> {
        let level = self.level[i] % 12 + 1;
        self.level[i] = level;
        self.lab
            .report(i, vec![(LEVEL, Value::Int(level))])
            .map_err(Outcome::error)?;
        let why = format!(
            "the controller did not accept a conforming report of {} (level {level}) within {:?}",
            self.lab.addr(i),
            self.await_bound()
        );
        self.must_believe((i, LEVEL), &Value::Int(level), req::HRT_SEC_121, why)
            .await?;
        Ok(level)
    }

    /// Step 1 of most cases: fan `i` reports a level it has not reported last, which the
    /// controller must accept; the level.
    pub async fn first_level(&mut self, i: usize) -> Result<i64, Outcome> {
        self.step(1);
        self.known_level(i).await
    }

    /// The last two steps of a hostile case: step `step`, fan `i` publishes a marker the
    /// controller must come to believe; step `step + 1`, it must still believe `level` for
    /// fan `i`, else it acted on `what`, breaking `broken`.
    pub async fn marker_then_still(
        &mut self,
        step: usize,
        (i, level): (usize, i64),
        broken: &[Req],
        what: &str,
    ) -> CaseResult {
        self.step(step);
        self.marker(i).await?;
        self.step(step + 1);
        self.still(i, level, broken, what).await
    }

    /// The controller must still believe `level` for fan `i` after the marker; else it
    /// acted on the hostile message, breaking `broken`.
    pub async fn still(&mut self, i: usize, level: i64, broken: &[Req], what: &str) -> CaseResult {
        let now = self.believed(i, LEVEL).await?;
        if now == Some(Value::Int(level)) {
            return Ok(());
        }
        let shown = now.map_or_else(|| "nothing".to_owned(), |v| v.to_string());
        let mut outcome = Outcome::fail(
            broken[0],
            format!(
                "after {what} the controller believes level {shown} of {}, not {level}",
                self.lab.addr(i)
            ),
        );
        for r in &broken[1..] {
            outcome = outcome.and(*r);
        }
        Err(outcome)
    }

    /// Stop the agent and start it again (a restart of the controller); whether the old
    /// agent answered `stop` and exited by itself within the response timeout (HRT-CTL-017).
    pub async fn restart_agent(&mut self) -> Result<bool, Outcome> {
        let fresh = (self.start)().map_err(|e| Outcome::error(e.to_string()))?;
        let old = std::mem::replace(&mut self.agent, fresh);
        let exited = old.stop().await;
        // Answered once the new controller is subscribed (HRT-CTL-018).
        let wait = self.ics.response_timeout * 4;
        match self.ask("hello", json!({}), wait).await? {
            Ok(_) => Ok(exited),
            Err(e) => Err(Outcome::error(format!(
                "the restarted agent refused `hello`: {}",
                e.message
            ))),
        }
    }
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}

/// One controller test case.
#[derive(Clone, Copy)]
pub struct CtlCase {
    /// `TC-CTL-<n>.<m>`.
    pub id: &'static str,
    /// What it checks, in a line.
    pub title: &'static str,
    /// The requirements it checks: a `fail` names only these.
    pub requirements: &'static [Req],
    /// Its steps.
    pub steps: &'static [&'static str],
    /// Whether it restarts the controller (not applicable unless the statement allows it).
    pub restarts: bool,
    /// The test itself.
    pub run: for<'a> fn(&'a mut CtlCtx) -> CaseFuture<'a>,
}

impl CtlCase {
    /// What the controller report and the coverage registry call it.
    #[must_use]
    pub fn name(&self) -> CaseName<'static> {
        CaseName::new(self.id, self.title, self.requirements)
    }
}

const HOSTILE_STEPS: &[&str] = &[
    "The lab fan reports a new level; wait until the controller believes it.",
    "Publish the hostile message, which would set another level, on the fan's report topic.",
    "Publish a marker (a new energy reading) on the same topic; wait until the controller believes it.",
    "The controller must still believe the level of step 1.",
];

/// A hostile case on fan 0: `make` publishes the hostile message for `level`.
async fn hostile(
    ctx: &mut CtlCtx,
    broken: &[Req],
    what: &str,
    make: impl FnOnce(&Lab, i64) -> Result<(), String>,
) -> CaseResult {
    let known = ctx.first_level(0).await?;
    ctx.step(2);
    let other = known % 12 + 1;
    make(&ctx.lab, other).map_err(Outcome::error)?;
    ctx.marker_then_still(3, (0, known), broken, what).await
}

fn publish_hostile(lab: &Lab, kind: HostileKey, level: i64) -> Result<(), String> {
    let bytes = lab.hostile_report(0, kind, vec![(LEVEL, Value::Int(level))])?;
    lab.publish_raw(&lab.topic(0, Channel::Report), bytes)
}

/// The lab fan's report of `level`, sealed, then changed by `tamper`, on its report topic.
fn publish_altered(lab: &Lab, level: i64, tamper: impl FnOnce(&mut Vec<u8>)) -> Result<(), String> {
    lab.report_altered(0, vec![(LEVEL, Value::Int(level))], tamper)
}

/// A sealed message with the last byte of its signature flipped: it no longer verifies.
fn flip_signature(bytes: &mut [u8]) {
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
}

/// A sealed message replaced by its bare payload, without the COSE envelope.
fn strip_envelope(bytes: &mut Vec<u8>) {
    if let Some(payload) = hearth_security::cose::Sign1::parse(bytes)
        .ok()
        .and_then(|s| s.payload)
    {
        *bytes = payload;
    }
}

/// Hostile cases on fan 0 ([`hostile`]): for each, the case function, the requirements
/// acting on the hostile message breaks, what that message is, and how it is published.
macro_rules! hostile_cases {
    ($($name:ident: $broken:expr, $what:literal, $publish:expr;)+) => {
        $(
            fn $name(ctx: &mut CtlCtx) -> CaseFuture<'_> {
                Box::pin(hostile(ctx, $broken, $what, $publish))
            }
        )+
    };
}

hostile_cases! {
    foreign: &[req::HRT_SEC_065], "a report signed under a root it does not trust",
        |lab, level| publish_hostile(lab, HostileKey::Foreign, level);
    expired: &[req::HRT_SEC_071], "a report signed under an expired certificate",
        |lab, level| publish_hostile(lab, HostileKey::Expired, level);
    wrong_role: &[req::HRT_SEC_121], "a report signed by a controller certificate",
        |lab, level| publish_hostile(lab, HostileKey::Controller, level);
    other_device: &[req::HRT_MQTT_010, req::HRT_SEC_121],
        "a report signed by another device of the vendor for the fan's topic",
        |lab, level| publish_hostile(lab, HostileKey::OtherDevice, level);
    bad_signature: &[req::HRT_SEC_034], "a report whose signature does not verify",
        |lab, level| publish_altered(lab, level, |b| flip_signature(b));
    unsigned: &[req::HRT_SEC_030], "an unsigned report",
        |lab, level| publish_altered(lab, level, strip_envelope);
}

fn out_of_range(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        let known = ctx.first_level(0).await?;
        ctx.step(2);
        let marker = ctx.lab.next_energy(0);
        ctx.lab
            .report(0, vec![(LEVEL, Value::Int(13)), (ENERGY, marker.clone())])
            .map_err(Outcome::error)?;
        let why = format!("the controller dropped the whole report for its one value out of range: it does not believe the energy {marker} beside it");
        ctx.must_believe((0, ENERGY), &marker, req::HRT_MSG_085, why)
            .await?;
        ctx.step(3);
        ctx.still(
            0,
            known,
            &[req::HRT_MSG_085],
            "a report of level 13, above the description's 12",
        )
        .await
    })
}

fn replayed(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        let old = ctx.first_level(0).await?;
        let Some(copy) = ctx.lab.published(0, Channel::Report).last().cloned() else {
            return Err(Outcome::error("the lab fan's report was not kept"));
        };
        ctx.step(2);
        let known = ctx.known_level(0).await?;
        ctx.step(3);
        ctx.lab
            .publish_raw(&copy.topic, copy.payload)
            .map_err(Outcome::error)?;
        let what = format!("a replay of its report of level {old}");
        ctx.marker_then_still(4, (0, known), &[req::HRT_SEC_097], &what)
            .await
    })
}

fn moved(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        let known = ctx.first_level(1).await?;
        ctx.step(2);
        let level = ctx.known_level(0).await?;
        if level == known {
            // The two fans happen to agree: one more report of the first makes them differ.
            ctx.known_level(0).await?;
        }
        let Some(copy) = ctx.lab.published(0, Channel::Report).last().cloned() else {
            return Err(Outcome::error("the lab fan's report was not kept"));
        };
        ctx.step(3);
        let topic = ctx.lab.topic(1, Channel::Report);
        ctx.lab
            .publish_raw(&topic, copy.payload)
            .map_err(Outcome::error)?;
        ctx.marker_then_still(
            4,
            (1, known),
            &[req::HRT_MQTT_010, req::HRT_SEC_034],
            "a report of the other fan published on its topic",
        )
        .await
    })
}

/// The controller's requests seen by the lab since `from`, decoded.
fn requests_since(ctx: &CtlCtx, from: usize) -> Vec<hearth_wire::Message> {
    ctx.lab
        .requests()
        .into_iter()
        .skip(from)
        .filter_map(|r| r.message)
        .collect()
}

/// Write `level` to fan 0 through the agent; the statuses must say success.
async fn write_level(ctx: &mut CtlCtx, level: i64) -> CaseResult {
    let fields = json!({
        "device": ctx.lab.addr(0).to_string(),
        "values": [{"path": LEVEL.to_string(), "value": level}],
    });
    match ctx.ask("write", fields, Duration::ZERO).await? {
        Ok(answer) if answer["statuses"][0]["status"] == "success" => {
            if ctx.lab.value(0, &LEVEL) == Some(Value::Int(level)) {
                Ok(())
            } else {
                Err(Outcome::fail(
                    req::HRT_CTL_015,
                    "the agent said the write succeeded, but the fan's level did not change",
                ))
            }
        }
        Ok(answer) => Err(Outcome::fail(
            req::HRT_CTL_015,
            format!("the write of a valid level was answered {answer}"),
        )),
        Err(e) => Err(Outcome::fail(
            req::HRT_CTL_015,
            format!(
                "the controller did not carry out a write the fan admits: {} ({})",
                e.message,
                e.kind.name()
            ),
        )),
    }
}

fn requests(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        let from = ctx.lab.requests().len();
        let answered = ctx.lab.answered(0);
        for level in [3, 4, 5] {
            write_level(ctx, level).await?;
        }
        if ctx.lab.answered(0) < answered + 3 {
            return Err(Outcome::fail(
                req::HRT_CTL_015,
                "the lab fan did not answer every write: a request of the controller was refused",
            ));
        }
        ctx.step(2);
        let sent = requests_since(ctx, from);
        let mut ids: Vec<u64> = sent.iter().filter_map(|m| m.request_id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() < 3 {
            return Err(Outcome::fail(
                req::HRT_MSG_090,
                format!(
                    "three requests carried only {} distinct request ids",
                    ids.len()
                ),
            ));
        }
        ctx.step(3);
        let counters: Vec<u64> = sent.iter().map(|m| m.counter).collect();
        if counters.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Outcome::fail(
                req::HRT_SEC_090,
                format!("the controller's requests carried the counters {counters:?}, not rising"),
            ));
        }
        Ok(())
    })
}

fn restart(ctx: &mut CtlCtx) -> CaseFuture<'_> {
    Box::pin(async move {
        ctx.step(1);
        let from = ctx.lab.requests().len();
        write_level(ctx, 6).await?;
        let before = requests_since(ctx, from)
            .iter()
            .map(|m| m.counter)
            .max()
            .unwrap_or(0);
        ctx.step(2);
        let exited = ctx.restart_agent().await?;
        // Published right after the restarted agent's `hello`: a controller that answered
        // before its subscriptions were acknowledged misses it for good.
        ctx.marker(0).await.map_err(|o| o.and(req::HRT_CTL_018))?;
        if !exited {
            return Err(Outcome::fail(
                req::HRT_CTL_017,
                format!(
                    "the agent did not answer `stop` and exit within {:?}: the suite killed it",
                    ctx.ics.response_timeout
                ),
            ));
        }
        ctx.step(3);
        let from = ctx.lab.requests().len();
        // The counter is judged whatever came of the write: a fan drops a request whose
        // counter it has accepted before, so a reused counter also makes the write fail.
        let written = write_level(ctx, 7).await;
        let after = requests_since(ctx, from).iter().map(|m| m.counter).min();
        match after {
            Some(c) if c > before => written,
            Some(c) => Err(Outcome::fail(
                req::HRT_SEC_090,
                format!("after its restart the controller signed with counter {c}, not above {before} of before"),
            )),
            None => written.and(Err(Outcome::error("the lab saw no request after the restart"))),
        }
    })
}

/// Every controller test case, in identifier order.
pub static CASES: &[CtlCase] = &[
    CtlCase {
        id: "TC-CTL-1.1",
        title: "A report signed under a root the controller does not trust changes nothing",
        requirements: &[req::HRT_SEC_065, req::HRT_SEC_121],
        steps: HOSTILE_STEPS,
        restarts: false,
        run: foreign,
    },
    CtlCase {
        id: "TC-CTL-1.2",
        title: "A report signed under an expired device certificate changes nothing",
        requirements: &[req::HRT_SEC_071, req::HRT_SEC_121],
        steps: HOSTILE_STEPS,
        restarts: false,
        run: expired,
    },
    CtlCase {
        id: "TC-CTL-1.3",
        title: "A report signed by a controller certificate named as the device changes nothing",
        requirements: &[req::HRT_SEC_121],
        steps: HOSTILE_STEPS,
        restarts: false,
        run: wrong_role,
    },
    CtlCase {
        id: "TC-CTL-1.4",
        title: "A report whose signature does not verify changes nothing",
        requirements: &[req::HRT_SEC_034, req::HRT_SEC_121],
        steps: HOSTILE_STEPS,
        restarts: false,
        run: bad_signature,
    },
    CtlCase {
        id: "TC-CTL-1.5",
        title: "An unsigned report changes nothing",
        requirements: &[req::HRT_SEC_030, req::HRT_SEC_121],
        steps: HOSTILE_STEPS,
        restarts: false,
        run: unsigned,
    },
    CtlCase {
        id: "TC-CTL-1.6",
        title: "A replayed report changes nothing",
        requirements: &[req::HRT_SEC_097, req::HRT_SEC_121],
        steps: &[
            "The lab fan reports a new level; wait until the controller believes it, and keep the report's bytes.",
            "The fan reports another level; wait until the controller believes it.",
            "Publish the kept bytes of step 1 again on the fan's report topic.",
            "Publish a marker on the same topic; wait until the controller believes it.",
            "The controller must still believe the level of step 2.",
        ],
        restarts: false,
        run: replayed,
    },
    CtlCase {
        id: "TC-CTL-1.7",
        title: "A report of one device published on another's topic changes nothing",
        requirements: &[req::HRT_MQTT_010, req::HRT_SEC_034, req::HRT_SEC_121],
        steps: &[
            "The second lab fan reports a new level; wait until the controller believes it.",
            "The first fan reports another level; wait until the controller believes it, and keep the report's bytes.",
            "Publish the kept bytes on the second fan's report topic.",
            "Publish a marker of the second fan on its topic; wait until the controller believes it.",
            "The controller must still believe the second fan's level of step 1.",
        ],
        restarts: false,
        run: moved,
    },
    CtlCase {
        id: "TC-CTL-1.8",
        title: "A reported value outside the description's range is ignored, and the rest of its report accepted",
        requirements: &[req::HRT_MSG_085, req::HRT_SEC_121],
        steps: &[
            "The lab fan reports a new level; wait until the controller believes it.",
            "The fan reports level 13 (above the description's 12) and a new energy reading in one report; the controller must come to believe the energy reading.",
            "The controller must still believe the level of step 1.",
        ],
        restarts: false,
        run: out_of_range,
    },
    CtlCase {
        id: "TC-CTL-1.9",
        title: "A report signed by another device of the same vendor for the device's topic changes nothing",
        requirements: &[req::HRT_MQTT_010, req::HRT_SEC_121],
        steps: HOSTILE_STEPS,
        restarts: false,
        run: other_device,
    },
    CtlCase {
        id: "TC-CTL-2.1",
        title: "The controller's requests are carried out, with distinct request ids and rising counters",
        requirements: &[req::HRT_CTL_015, req::HRT_MSG_090, req::HRT_SEC_090],
        steps: &[
            "Through the agent, write three levels to the lab fan; each must be answered success and change the fan.",
            "The three requests must carry distinct request ids.",
            "Their counters must rise.",
        ],
        restarts: false,
        run: requests,
    },
    CtlCase {
        id: "TC-CTL-2.2",
        title: "After a restart the controller signs with counters above every one it used before",
        requirements: &[
            req::HRT_CTL_015,
            req::HRT_CTL_017,
            req::HRT_CTL_018,
            req::HRT_SEC_090,
            req::HRT_SEC_121,
        ],
        steps: &[
            "Through the agent, write a level to the lab fan; note the request's counter.",
            "Stop the agent, which must answer and exit within the response timeout, and start it again; wait until the controller believes a marker of the fan published right after the agent answered `hello`.",
            "Write another level; its request's counter must lie above the one of step 1.",
        ],
        restarts: true,
        run: restart,
    },
    CtlCase {
        id: "TC-CTL-3.1",
        title: "The test agent answers every malformed or overlong line once, with the error and id the protocol names, and keeps serving",
        requirements: &[
            req::HRT_CTL_010,
            req::HRT_CTL_011,
            req::HRT_CTL_012,
            req::HRT_CTL_020,
        ],
        steps: protocol::FRAMING_STEPS,
        restarts: false,
        run: protocol::framing,
    },
    CtlCase {
        id: "TC-CTL-3.2",
        title: "The test agent's value, await, devices and read say what the controller verifiably accepted, encoded as 08 §5 gives",
        requirements: &[
            req::HRT_CTL_013,
            req::HRT_CTL_014,
            req::HRT_CTL_015,
            req::HRT_CTL_016,
            req::HRT_CTL_020,
            req::HRT_MQTT_040,
            req::HRT_SEC_121,
        ],
        steps: protocol::BELIEF_STEPS,
        restarts: false,
        run: protocol::beliefs,
    },
    CtlCase {
        id: "TC-CTL-3.3",
        title: "The controller's requests name a valid controller id, and its certificate's vendor id fits its issuer",
        requirements: &[
            req::HRT_CTL_015,
            req::HRT_MQTT_007,
            req::HRT_SEC_058,
            req::HRT_SEC_059,
        ],
        steps: protocol::IDENTITY_STEPS,
        restarts: false,
        run: protocol::identity,
    },
    CtlCase {
        id: "TC-CTL-4.1",
        title: "A response to a request the controller never sent changes nothing",
        requirements: &[
            req::HRT_CTL_013,
            req::HRT_CTL_015,
            req::HRT_CTL_020,
            req::HRT_MSG_084,
            req::HRT_SEC_121,
        ],
        steps: responses::UNSOLICITED_STEPS,
        restarts: false,
        run: responses::unsolicited,
    },
    CtlCase {
        id: "TC-CTL-4.2",
        title: "A response signed by another device than the one the request went to is not taken as its answer",
        requirements: &[req::HRT_CTL_015, req::HRT_CTL_020, req::HRT_MQTT_012, req::HRT_SEC_121],
        steps: answers::OTHER_SIGNER_STEPS,
        restarts: false,
        run: answers::other_signer,
    },
    CtlCase {
        id: "TC-CTL-4.3",
        title: "A status code the controller does not know counts as failure, and its response is taken",
        requirements: &[req::HRT_MSG_071],
        steps: answers::UNKNOWN_STATUS_STEPS,
        restarts: false,
        run: answers::unknown_status,
    },
    CtlCase {
        id: "TC-CTL-5.1",
        title: "A report that arrives after a newer one of the same device does not replace its values",
        requirements: &[req::HRT_MSG_059, req::HRT_SEC_121],
        steps: order::OLDER_REPORT_STEPS,
        restarts: false,
        run: order::older_report,
    },
    CtlCase {
        id: "TC-CTL-6.1",
        title: "A will published while the device is connected does not make its later messages look old, and its replay does not mark the device offline",
        requirements: &[
            req::HRT_CTL_016,
            req::HRT_MQTT_041,
            req::HRT_MQTT_042,
            req::HRT_MQTT_043,
            req::HRT_SEC_121,
        ],
        steps: wills::WILL_STEPS,
        restarts: false,
        run: wills::will,
    },
    CtlCase {
        id: "TC-CTL-7.1",
        title: "A report signed under a certificate the vendor CA has revoked changes nothing",
        requirements: &[req::HRT_SEC_075, req::HRT_SEC_121],
        steps: revoked::REVOKED_STEPS,
        restarts: false,
        run: revoked::revoked,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Identifiers are unique and in order; every case lists the requirement its markers
    /// fail on.
    #[test]
    fn cases_are_ordered_and_declare_what_they_fail() {
        let ids: Vec<&str> = CASES.iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
        for case in CASES.iter().filter(|c| c.id.starts_with("TC-CTL-1.")) {
            assert!(case.requirements.contains(&req::HRT_SEC_121), "{}", case.id);
        }
    }
}
