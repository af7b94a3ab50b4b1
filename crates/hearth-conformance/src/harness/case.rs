//! What a test case is, and the context it runs in.
//!
//! A [`Case`] is data — identifier, title, the requirements it checks, its documented steps
//! (HRT-CONF-032: the catalog of test cases is generated from these), an applicability rule
//! — plus an async function over a [`Ctx`]. The context owns the probe for the device, the
//! ICS and parameters, the device's verified description, and records the steps as they are
//! done. Cases never read a constant timeout: every wait comes from the parameters
//! (HRT-CONF-011).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hearth_model::catalog::Catalog;
use hearth_model::{Description, Path, StatusCode, Value};
use hearth_wire::{Body, Message};

use crate::ics::{Ics, Parameters, Privilege};
use crate::probe::Probe;
use crate::report::{Advisory, Step};
use crate::verdict::Outcome;

/// A boxed future of a test case's outcome.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// How a test case restarts the device, where the ICS allows it.
pub trait Restarter: Send + Sync {
    /// Restart the device (a power loss where `power_loss`); return when the restart has
    /// been requested, not when the device is back.
    fn restart(
        &self,
        power_loss: bool,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

/// One test case.
#[derive(Clone, Copy)]
pub struct Case {
    /// `TC-<AREA>-<n>.<m>`.
    pub id: &'static str,
    /// What it checks, in a line.
    pub title: &'static str,
    /// The requirements it checks.
    pub requirements: &'static [&'static str],
    /// Its documented steps.
    pub steps: &'static [&'static str],
    /// `Err(reason)` when it does not apply to this device.
    pub applies: fn(&Ctx) -> Result<(), String>,
    /// The test itself.
    pub run: for<'a> fn(&'a mut Ctx) -> CaseFuture<'a>,
}

/// Applies to every device.
pub fn always(_: &Ctx) -> Result<(), String> {
    Ok(())
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
    pub(crate) steps: Vec<Step>,
    pub(crate) advisories: Vec<Advisory>,
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
            steps: Vec::new(),
            advisories: Vec::new(),
        }
    }

    /// Record that a step is being done, in the result and as a note in the trace.
    pub fn step(&mut self, text: impl Into<String>) {
        let text = text.into();
        let number = u32::try_from(self.steps.len() + 1).unwrap_or(u32::MAX);
        self.probe.note(format!("step {number}: {text}"));
        self.steps.push(Step {
            number,
            text,
            outcome: "done".into(),
        });
    }

    /// Record a SHOULD-level finding that does not change the verdict.
    pub fn advise(&mut self, requirement: &str, note: impl Into<String>) {
        self.advisories.push(Advisory {
            requirement: requirement.to_owned(),
            note: note.into(),
        });
    }

    /// The tester with at least `privilege`, or why there is none (an `error`: the lab's
    /// setup lacks it, HRT-CONF-015).
    pub fn tester(&self, privilege: Privilege) -> Result<usize, Outcome> {
        let name = privilege_name(privilege);
        self.probe.tester(name).ok_or_else(|| {
            Outcome::error(format!(
                "the ICS lists no controller with privilege {name}, which this test case needs"
            ))
        })
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
            .map_err(|why| Outcome::fail("HRT-MSG-092", why))
    }

    /// Read one property; the value, or an outcome explaining why not.
    pub async fn read(&mut self, who: usize, path: Path) -> Result<Value, Outcome> {
        let (msg, seq) = self.ask(who, Body::Read(vec![path])).await?;
        match msg.body {
            Body::ReadResponse(results) => match results.as_slice() {
                [r] if r.path == path && r.status == StatusCode::Success => {
                    r.value.clone().ok_or_else(|| {
                        Outcome::fail("HRT-MSG-063", format!("{path}: success without a value"))
                            .with_evidence([seq])
                    })
                }
                [r] => Err(Outcome::fail(
                    "HRT-MOD-104",
                    format!("reading {path} answered {}", r.status),
                )
                .with_evidence([seq])),
                _ => Err(Outcome::fail(
                    "HRT-MSG-062",
                    "a read of one path answered with another number of results",
                )
                .with_evidence([seq])),
            },
            other => Err(Outcome::fail(
                "HRT-MSG-091",
                format!("a read was answered with a {} message", other.kind()),
            )
            .with_evidence([seq])),
        }
    }

    /// Write one property; the status, or an outcome explaining why there is none.
    pub async fn write(
        &mut self,
        who: usize,
        path: Path,
        value: Value,
    ) -> Result<(StatusCode, usize), Outcome> {
        let (msg, seq) = self.ask(who, Body::Write(vec![(path, value)])).await?;
        match msg.body {
            Body::WriteResponse(results) => match results.as_slice() {
                [(p, status)] if *p == path => Ok((*status, seq)),
                _ => Err(Outcome::fail(
                    "HRT-MSG-066",
                    "a write of one path answered with another set of results",
                )
                .with_evidence([seq])),
            },
            other => Err(Outcome::fail(
                "HRT-MSG-091",
                format!("a write was answered with a {} message", other.kind()),
            )
            .with_evidence([seq])),
        }
    }

    /// Every property the description implements, with its catalog definition.
    pub fn properties(&self) -> Vec<(Path, &'static hearth_model::catalog::Property)> {
        let mut out = Vec::new();
        for comp in &self.description.components {
            for inst in &comp.capabilities {
                let Some(cap) = self.catalog.capability(inst.capability) else {
                    continue;
                };
                for p in cap
                    .properties
                    .iter()
                    .filter(|p| !p.optional || inst.properties.contains(&p.id))
                {
                    out.push((Path::new(comp.id, cap.id, p.id), p));
                }
            }
        }
        out
    }
}

/// The ICS name of a privilege.
pub fn privilege_name(p: Privilege) -> &'static str {
    match p {
        Privilege::None => "none",
        Privilege::View => "view",
        Privilege::Operate => "operate",
        Privilege::Manage => "manage",
    }
}

/// Something an operator does to the appliance from the outside world, as a person in the
/// lab would (`spec/06-conformance.md` §3.5, §3.6): never a protocol request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    /// Open the door or lid of `component` (0 for the appliance's only door).
    OpenDoor {
        /// The component whose door opens.
        component: u16,
    },
    /// Close the door or lid of `component`.
    CloseDoor {
        /// The component whose door closes.
        component: u16,
    },
    /// Provoke a fault that the appliance reports: the standard fault `code` where the
    /// operator can choose (a suggestion; any fault the appliance reports will do).
    RaiseFault {
        /// The standard fault code suggested, if any.
        code: Option<u16>,
    },
    /// Remove the cause of the fault `code`, so that the appliance clears it.
    ClearFault {
        /// The standard fault code to clear.
        code: u16,
    },
    /// Cut the appliance's network connection (unplug its cable, switch off its access
    /// point), leaving it powered.
    CutNetwork,
    /// Restore the appliance's network connection.
    RestoreNetwork,
}

impl std::fmt::Display for OperatorAction {
    /// The instruction as an operator at the terminal reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OpenDoor { component } => {
                write!(f, "open the door or lid of component {component}")
            }
            Self::CloseDoor { component } => {
                write!(f, "close the door or lid of component {component}")
            }
            Self::RaiseFault { code: Some(code) } => write!(
                f,
                "provoke a fault the appliance reports (fault code 0x{code:04x} if possible)"
            ),
            Self::RaiseFault { code: None } => f.write_str("provoke a fault the appliance reports"),
            Self::ClearFault { code } => {
                write!(
                    f,
                    "remove the cause of fault 0x{code:04x} so that it clears"
                )
            }
            Self::CutNetwork => f.write_str(
                "cut the appliance's network connection (unplug its cable or switch off its access point), leaving it powered",
            ),
            Self::RestoreNetwork => f.write_str("restore the appliance's network connection"),
        }
    }
}

/// Who performs an [`OperatorAction`], where the ICS allows it (`door`, `faults`): a person
/// prompted at the terminal, or the simulator's control surface.
pub trait Operator: Send + Sync {
    /// Perform `action`; return once it is done (or why it could not be), not when the
    /// appliance has reported it.
    fn act(
        &self,
        action: OperatorAction,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}
