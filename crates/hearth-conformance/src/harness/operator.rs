//! The operator: who acts on the appliance from the outside world, as a person in the lab
//! would (`spec/06-conformance.md` §3.5, §3.6) — doors, faults, the network link — never by a
//! protocol request. A case asks through [`act`]; whether it may ask at all is the ICS's
//! `[actuation]` flag and the run's having an operator ([`needs_operator`]).

use std::future::Future;
use std::pin::Pin;

use super::case::Ctx;
use crate::verdict::Outcome;

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
    /// Allow (or withdraw) remote start at the appliance's own panel
    /// (`operational-state/remote-start-enabled`).
    AllowRemoteStart {
        /// Whether remote start is to be allowed.
        allowed: bool,
    },
    /// Cut the appliance's network connection (unplug its cable, switch off its access
    /// point), leaving it powered.
    CutNetwork,
    /// Restore the appliance's network connection.
    RestoreNetwork,
    /// Take the local physical action that opens a basic commissioning window (a button, a
    /// key combination on the panel; `spec/07-commissioning.md` HRT-COM-022).
    OpenCommissioningWindow,
    /// Take the local physical action that resets the appliance to factory-new
    /// (HRT-COM-080).
    FactoryReset,
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
            Self::AllowRemoteStart { allowed: true } => {
                f.write_str("allow remote start at the appliance's own panel")
            }
            Self::AllowRemoteStart { allowed: false } => {
                f.write_str("withdraw remote start at the appliance's own panel")
            }
            Self::CutNetwork => f.write_str(
                "cut the appliance's network connection (unplug its cable or switch off its access point), leaving it powered",
            ),
            Self::RestoreNetwork => f.write_str("restore the appliance's network connection"),
            Self::OpenCommissioningWindow => f.write_str(
                "open a commissioning window on the appliance (its commissioning button or key combination)",
            ),
            Self::FactoryReset => f.write_str("reset the appliance to factory-new at the appliance itself"),
        }
    }
}

/// What an action on the appliance from outside the protocol (the operator's, a restart)
/// comes to: done, or why it could not be.
pub type Done<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Who performs an [`OperatorAction`], where the ICS allows it (`door`, `faults`): a person
/// prompted at the terminal, or the simulator's control surface.
pub trait Operator: Send + Sync {
    /// Perform `action`; return once it is done (or why it could not be), not when the
    /// appliance has reported it.
    fn act(&self, action: OperatorAction) -> Done<'_>;
}

/// Ask the operator; an environment error when it cannot be done.
pub async fn act(ctx: &mut Ctx, action: OperatorAction) -> Result<(), Outcome> {
    let Some(operator) = ctx.operator.as_ref() else {
        return Err(Outcome::error("this run has no operator"));
    };
    let result = operator.act(action).await;
    ctx.probe.note(format!("operator: {action}"));
    result.map_err(|why| Outcome::error(format!("the operator could not {action}: {why}")))
}

/// Not applicable unless the ICS sets `flag` (named `name` in `[actuation]`): the suite
/// changes what the appliance does only where the statement allows it (HRT-CONF-007).
pub fn needs_actuation(flag: bool, name: &str) -> Result<(), String> {
    if flag {
        Ok(())
    } else {
        Err(format!("ICS [actuation] {name} = false"))
    }
}

/// Not applicable unless the ICS sets `flag` (named `name` in `[actuation]`) and the run has
/// an operator.
pub fn needs_operator(ctx: &Ctx, flag: bool, name: &str) -> Result<(), String> {
    needs_actuation(flag, name)?;
    if ctx.operator.is_none() {
        return Err("the run has no operator to act on the appliance".into());
    }
    Ok(())
}
