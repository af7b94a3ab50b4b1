//! What a test case is, and the context it runs in.
//!
//! A [`Case`] is data — identifier, title, the requirements it checks as typed constants, its
//! numbered steps (HRT-CONF-032: the catalog of test cases is generated from these), an
//! applicability rule — plus an async function over a [`Ctx`] that returns a [`CaseResult`];
//! cases declare it with `test_case!`. The function runs its steps by number ([`Ctx::step`]),
//! so the documented plan and what the report shows are the same texts. The context owns the probe for the device, the ICS and
//! parameters, the device's verified description, and records the steps as they are done.
//! Cases never read a constant timeout: every wait comes from the parameters (HRT-CONF-011).

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hearth_model::catalog::Catalog;
use hearth_model::{Description, Path, StatusCode, Value};
use hearth_wire::{Body, InvokeResult, Message, ReadResult};

use crate::harness::assemble::CaseName;
use crate::ics::{privilege_name, Ics, Parameters, Privilege};
use crate::probe::{Probe, ProbeError};
use crate::report::{Advisory, Step};
use crate::requirements::req::{self, Req};
use crate::verdict::Outcome;

pub use super::operator::{Done, Operator, OperatorAction};

/// What a test case's function ends with: `Ok` when every check held (the verdict `pass`),
/// `Err` with the outcome that ended it otherwise — a failure, or why it could not decide —
/// so that `?` carries an outcome out of any step or helper.
pub type CaseResult = Result<(), Outcome>;

/// A boxed future of a test case's result.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = CaseResult> + Send + 'a>>;

/// A failure of the probe (the broker, sealing) is the environment's, not the device's.
impl From<ProbeError> for Outcome {
    fn from(e: ProbeError) -> Self {
        Self::error(e.to_string())
    }
}

/// How a test case restarts the device, where the ICS allows it.
pub trait Restarter: Send + Sync {
    /// Restart the device (a power loss where `power_loss`); return when the restart has
    /// been requested, not when the device is back. `gone` resolves once the suite has seen
    /// the device go (its will) or has waited for that as long as it may: a restarter that
    /// holds the power off awaits it before powering on, so that the device comes back only
    /// after the broker has announced it gone; one that cannot (a lab's restart command)
    /// drops it.
    fn restart<'a>(&'a self, power_loss: bool, gone: Done<'a>) -> Done<'a>;
}

/// One test case.
#[derive(Clone, Copy)]
pub struct Case {
    /// `TC-<AREA>-<n>.<m>`.
    pub id: &'static str,
    /// What it checks, in a line.
    pub title: &'static str,
    /// The requirements it checks: a `fail` names only these (HRT-CONF-042).
    pub requirements: &'static [Req],
    /// Its steps, in order; the function runs step `n` as `ctx.step(n)`, from 1.
    pub steps: &'static [&'static str],
    /// `Err(reason)` when it does not apply to this device.
    pub applies: fn(&Ctx) -> Result<(), String>,
    /// The test itself.
    pub run: for<'a> fn(&'a mut Ctx) -> CaseFuture<'a>,
}

impl Case {
    /// Its identifier, title and requirements, as the report and the coverage registry
    /// name it.
    #[must_use]
    pub fn name(&self) -> CaseName<'static> {
        CaseName::new(self.id, self.title, self.requirements)
    }
}

/// Declare a test case as a constant [`Case`]: its identifier, title, the requirements it
/// checks (names of [`crate::requirements::req`] constants), its steps in order — the texts
/// the plan shows and `ctx.step(n)` logs — its applicability and the async function that
/// runs it. One shape for every case, laid out as the plan reads.
///
/// ```ignore
/// test_case! {
///     /// TC-MSG-2.2
///     WRITE_READ_ONLY: "TC-MSG-2.2",
///     title: "A write to a read-only property answers read-only",
///     checks: [
///         HRT_MOD_041,
///     ],
///     steps: [
///         "Write device-info vendor-name.",
///         "Expect read-only.",
///     ],
///     applies: always,
///     run: write_read_only(operator),
/// }
/// ```
///
/// `run: f(operator)` runs `f(ctx, who)` with the operating tester ([`Ctx::operator_tester`])
/// as `who`, or ends the case with the `error` of its absence; `run: f(stranger)` likewise
/// with a controller the device does not admit ([`Ctx::stranger`]); `run: f` runs `f(ctx)`.
macro_rules! test_case {
    (@run $run:ident(operator)) => {
        |ctx| {
            Box::pin(async move {
                let who = ctx.operator_tester()?;
                $run(ctx, who).await
            })
        }
    };
    (@run $run:ident(stranger)) => {
        |ctx| {
            Box::pin(async move {
                let who = ctx.stranger()?;
                $run(ctx, who).await
            })
        }
    };
    (@run $run:ident) => {
        |ctx| Box::pin($run(ctx))
    };
    (
        $(#[$attr:meta])*
        $name:ident: $id:literal,
        title: $title:literal,
        checks: [$($req:ident),+ $(,)?],
        steps: [$($step:literal),+ $(,)?],
        applies: $applies:expr,
        run: $run:ident $(($with:ident))? $(,)?
    ) => {
        $(#[$attr])*
        pub(crate) const $name: $crate::harness::case::Case = $crate::harness::case::Case {
            id: $id,
            title: $title,
            requirements: &[$($crate::requirements::req::$req),+],
            steps: &[$($step),+],
            applies: $applies,
            run: $crate::harness::case::test_case!(@run $run $(($with))?),
        };
    };
}
pub(crate) use test_case;

/// A member that device-info (capability 1 on component 0) does not define: what a case
/// reads, writes or invokes to be answered unsupported-property or unsupported-action
/// (HRT-MOD-040).
pub const UNDEFINED_MEMBER: Path = Path::new(0, 1, 0x7FF0);

/// Applies to every device.
pub fn always(_: &Ctx) -> Result<(), String> {
    Ok(())
}

/// Applies when the description implements a writable property.
pub fn needs_writable(ctx: &Ctx) -> Result<(), String> {
    needs(ctx.writable(), "the device has no writable property")
}

/// Applies when the ICS lists a controller the device does not admit (privilege none).
pub fn needs_stranger(ctx: &Ctx) -> Result<(), String> {
    needs(
        ctx.probe.tester(None),
        "the ICS lists no controller that the device does not admit (privilege none)",
    )
}

/// Applicability on what the description or the ICS offers: `Ok` when `found` holds
/// something, `Err(reason)` (the condition that does not hold, HRT-CONF-033) otherwise.
pub fn needs<T>(found: Option<T>, reason: &str) -> Result<(), String> {
    found.map(drop).ok_or_else(|| reason.to_owned())
}

/// What a case needs of the description or the ICS, found when it runs as its applicability
/// found it: `found` itself, or the `not-applicable` outcome of `reason` when it holds nothing.
///
/// # Errors
///
/// `not-applicable` when `found` is `None`.
pub fn found<T>(found: Option<T>, reason: &str) -> Result<T, Outcome> {
    found.ok_or_else(|| Outcome::not_applicable(reason))
}

/// The context a test case runs in.
pub struct Ctx {
    /// The probe watching and driving the device.
    pub probe: Probe,
    /// The statement.
    pub ics: Ics,
    /// The effective parameters.
    pub params: Parameters,
    /// The device's verified description.
    pub description: Description,
    /// The catalog.
    pub catalog: &'static Catalog,
    /// How to restart the device, if the run can.
    pub restarter: Option<Box<dyn Restarter>>,
    /// Who acts on the appliance from the outside world (doors, faults), if the run has one.
    pub operator: Option<Box<dyn Operator>>,
    /// The lab's certificate authority (`[authority]` of the ICS), if any.
    pub authority: Option<std::sync::Arc<crate::authority::Authority>>,
    pub(crate) plan: &'static [&'static str],
    pub(crate) steps: Vec<Step>,
    pub(crate) advisories: Vec<Advisory>,
    pub(crate) defects: Vec<String>,
}

impl Ctx {
    /// A context for one device.
    pub fn new(
        probe: Probe,
        ics: Ics,
        params: Parameters,
        description: Description,
        restarter: Option<Box<dyn Restarter>>,
        operator: Option<Box<dyn Operator>>,
    ) -> Self {
        Self {
            probe,
            ics,
            params,
            description,
            catalog: Catalog::standard(),
            restarter,
            operator,
            authority: None,
            plan: &[],
            steps: Vec::new(),
            advisories: Vec::new(),
            defects: Vec::new(),
        }
    }

    /// Start `case`: its steps are the ones [`step`](Self::step) runs by number; nothing
    /// recorded for the case before remains.
    pub(crate) fn begin(&mut self, case: &Case) {
        self.plan = case.steps;
        self.steps.clear();
        self.advisories.clear();
        self.defects.clear();
    }

    /// Record that step `n` (from 1) of the test case is being done, with its declared text,
    /// in the result and as a note in the trace.
    pub fn step(&mut self, n: usize) {
        self.record_step(n, None);
    }

    /// Like [`step`](Self::step), with what the step works on this time (a path, a value),
    /// which the trace note shows after the declared text.
    pub fn step_with(&mut self, n: usize, detail: impl Display) {
        self.record_step(n, Some(detail.to_string()));
    }

    fn record_step(&mut self, n: usize, detail: Option<String>) {
        let text = match n.checked_sub(1).and_then(|i| self.plan.get(i)) {
            Some(text) => (*text).to_owned(),
            None => {
                self.defects.push(format!(
                    "it ran step {n}, but it declares {} steps",
                    self.plan.len()
                ));
                format!("(step {n} is not declared)")
            }
        };
        let number = u32::try_from(n).unwrap_or(u32::MAX);
        self.probe.note(match &detail {
            Some(d) => format!("step {number}: {text} ({d})"),
            None => format!("step {number}: {text}"),
        });
        self.steps.push(Step {
            number,
            text,
            outcome: "done".into(),
        });
    }

    /// Record a SHOULD-level finding that does not change the verdict.
    pub fn advise(&mut self, requirement: Req, note: impl Into<String>) {
        self.advisories.push(Advisory {
            requirement: requirement.id().to_owned(),
            note: note.into(),
        });
    }

    /// The tester with at least `privilege`, or why there is none (an `error`: the lab's
    /// setup lacks it, HRT-CONF-015).
    pub fn tester(&self, privilege: Privilege) -> Result<usize, Outcome> {
        self.tester_with(Some(privilege))
    }

    /// The tester the device trusts but does not admit (ICS privilege `none`), or why there
    /// is none.
    pub fn stranger(&self) -> Result<usize, Outcome> {
        self.tester_with(None)
    }

    fn tester_with(&self, privilege: Option<Privilege>) -> Result<usize, Outcome> {
        let name = privilege_name(privilege);
        self.probe.tester(privilege).ok_or_else(|| {
            Outcome::error(format!(
                "the ICS lists no controller with privilege {name}, which this test case needs"
            ))
        })
    }

    /// The tester that reads, writes and invokes for a test case: one with the privilege
    /// operate, else manage.
    pub fn operator_tester(&self) -> Result<usize, Outcome> {
        self.tester(Privilege::Operate)
            .or_else(|_| self.tester(Privilege::Manage))
    }

    /// The broker the run uses, from the parameters.
    pub fn broker(&self) -> Result<hearth_mqtt::BrokerUrl, Outcome> {
        self.params
            .broker
            .parse()
            .map_err(|e| Outcome::error(format!("broker parameter: {e}")))
    }

    /// The time to wait for a response.
    pub fn response_timeout(&self) -> Duration {
        self.params.response_timeout + self.params.latency_allowance
    }

    /// Send a correct request from tester `who` and wait for its response.
    pub async fn ask(&mut self, who: usize, body: Body) -> Result<(Message, usize), Outcome> {
        let timeout = self.response_timeout();
        self.probe
            .ask(who, body, timeout)
            .await
            .map_err(|why| Outcome::fail(req::HRT_MSG_092, why))
    }

    /// Send `body` as tester `who` and take what its answer carries as `take` says: an
    /// answer of another kind fails `requirement`, the reason naming the request as `what`.
    async fn answer_of<T>(
        &mut self,
        (who, body): (usize, Body),
        (requirement, what): (Req, &str),
        take: fn(Body) -> Result<T, Body>,
    ) -> Result<(T, usize), Outcome> {
        let (msg, seq) = self.ask(who, body).await?;
        take(msg.body).map(|t| (t, seq)).map_err(|other| {
            Outcome::fail(
                requirement,
                format!("{what} was answered with a {} message", other.kind()),
            )
            .with_evidence([seq])
        })
    }

    /// Read `paths` in one request; the results as the device gave them (however many, in
    /// whatever order), or an outcome when the answer is not a read-response.
    pub async fn read_results(
        &mut self,
        who: usize,
        paths: Vec<Path>,
    ) -> Result<(Vec<ReadResult>, usize), Outcome> {
        let read = (who, Body::Read(paths));
        self.answer_of(read, (req::HRT_MSG_062, "a read"), |b| match b {
            Body::ReadResponse(results) => Ok(results),
            other => Err(other),
        })
        .await
    }

    /// Read one property; the value, or an outcome explaining why not.
    pub async fn read(&mut self, who: usize, path: Path) -> Result<Value, Outcome> {
        let (results, seq) = self.read_results(who, vec![path]).await?;
        let r = only(results, seq, (req::HRT_MSG_062, "a read of one path"))?;
        if r.path != path || r.status != StatusCode::Success {
            return Err(Outcome::fail(
                req::HRT_MOD_104,
                format!("reading {path} answered {}", r.status),
            )
            .with_evidence([seq]));
        }
        r.value.ok_or_else(|| {
            Outcome::fail(req::HRT_MSG_063, format!("{path}: success without a value"))
                .with_evidence([seq])
        })
    }

    /// Write `values` in one request; the results as the device gave them, or an outcome
    /// when the answer is not a write-response.
    pub async fn write_results(
        &mut self,
        who: usize,
        values: Vec<(Path, Value)>,
    ) -> Result<(Vec<(Path, StatusCode)>, usize), Outcome> {
        let write = (who, Body::Write(values));
        self.answer_of(write, (req::HRT_MSG_066, "a write"), |b| match b {
            Body::WriteResponse(results) => Ok(results),
            other => Err(other),
        })
        .await
    }

    /// Write one property; the status, or an outcome explaining why there is none.
    pub async fn write(
        &mut self,
        who: usize,
        path: Path,
        value: Value,
    ) -> Result<(StatusCode, usize), Outcome> {
        let (results, seq) = self.write_results(who, vec![(path, value)]).await?;
        let (p, status) = only(results, seq, (req::HRT_MSG_066, "a write of one path"))?;
        if p != path {
            return Err(Outcome::fail(
                req::HRT_MSG_066,
                format!("a write of {path} was answered for {p}"),
            )
            .with_evidence([seq]));
        }
        Ok((status, seq))
    }

    /// Invoke the action at `path` with `args`; its result, or an outcome when the answer is
    /// not an invoke-response.
    pub async fn invoke(
        &mut self,
        who: usize,
        path: Path,
        args: Value,
    ) -> Result<(InvokeResult, usize), Outcome> {
        let invoke = (who, Body::Invoke { path, args });
        self.answer_of(invoke, (req::HRT_MSG_091, "an invocation"), |b| match b {
            Body::InvokeResponse(result) => Ok(result),
            other => Err(other),
        })
        .await
    }

    /// Every property the description implements, with its catalog definition.
    pub fn properties(&self) -> Vec<(Path, &'static hearth_model::catalog::Property)> {
        let catalog: &'static Catalog = self.catalog;
        self.description
            .implemented(catalog)
            .filter_map(|m| Some((m.path, m.def?)))
            .collect()
    }

    /// Paths outside the description, each with the status a read or write of it must
    /// answer: an unused component, a capability absent from component 0, and an undefined
    /// property of device-info.
    pub fn absent_paths(&self) -> [(Path, StatusCode); 3] {
        let unused_component = (1..u16::MAX)
            .find(|c| self.description.component(*c).is_none())
            .unwrap_or(u16::MAX - 1);
        let absent_capability = self
            .catalog
            .capabilities()
            .iter()
            .map(|c| c.id)
            .find(|id| self.description.instance(0, *id).is_none())
            .unwrap_or(0x7FFE);
        [
            (
                Path::new(unused_component, 1, 1),
                StatusCode::UnsupportedComponent,
            ),
            (
                Path::new(0, absent_capability, 1),
                StatusCode::UnsupportedCapability,
            ),
            (UNDEFINED_MEMBER, StatusCode::UnsupportedProperty),
        ]
    }

    /// A value for the property `p` at `path` other than `current` that the description
    /// declares valid: the other boolean; the next step up, or down at the maximum, within
    /// the effective range; another code of the effective set. `None` when there is none.
    pub fn another_value(
        &self,
        path: Path,
        p: &hearth_model::catalog::Property,
        current: &Value,
    ) -> Option<Value> {
        use hearth_model::catalog::TypeSpec;
        let k = self
            .description
            .instance(path.component, path.capability)
            .and_then(|i| i.constraint(p.id));
        match (&p.ty, current) {
            (TypeSpec::Bool, Value::Bool(b)) => Some(Value::Bool(!b)),
            (TypeSpec::Int(s) | TypeSpec::Uint(s), Value::Int(v)) => {
                let min = k.and_then(|k| k.min).unwrap_or(s.min);
                let max = k.and_then(|k| k.max).unwrap_or(s.max);
                let step = i64::try_from(k.and_then(|k| k.step).unwrap_or(s.step))
                    .unwrap_or(1)
                    .max(1);
                let up = v.checked_add(step).filter(|n| *n <= max);
                let down = v.checked_sub(step).filter(|n| *n >= min);
                up.or(down).map(Value::Int)
            }
            (TypeSpec::Enum { .. }, Value::Int(v)) => k
                .and_then(|k| k.values.as_ref())?
                .iter()
                .map(|e| i64::from(e.code))
                .find(|c| c != v)
                .map(Value::Int),
            _ => None,
        }
    }

    /// The first writable property the description implements.
    pub fn writable(&self) -> Option<(Path, &'static hearth_model::catalog::Property)> {
        self.properties().into_iter().find(|(_, p)| p.writable())
    }

    /// The first writable property, or the not-applicable outcome of a device without one.
    pub fn writable_property(
        &self,
    ) -> Result<(Path, &'static hearth_model::catalog::Property), Outcome> {
        self.writable()
            .ok_or_else(|| Outcome::not_applicable("no writable property"))
    }
}

/// The one result of a request for one path (answered in trace entry `seq`), or a failure
/// of `requirement`: `what` answered with another number of results.
fn only<T>(results: Vec<T>, seq: usize, (requirement, what): (Req, &str)) -> Result<T, Outcome> {
    let mut results = results.into_iter();
    match (results.next(), results.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(Outcome::fail(
            requirement,
            format!("{what} answered with another number of results"),
        )
        .with_evidence([seq])),
    }
}

/// The constant for a requirement identifier another crate names (a validator's error), or
/// an `error` saying the specification does not state it.
pub fn requirement(id: &str) -> Result<Req, Outcome> {
    Req::resolve(id).ok_or_else(|| {
        Outcome::error(format!(
            "{id} is named by the validator but the specification does not state it"
        ))
    })
}
