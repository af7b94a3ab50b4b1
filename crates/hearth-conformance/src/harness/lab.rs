//! Testing a real device (`hearth test`): the ICS from a file, restarts by the command the
//! ICS names (run without a shell, HRT-CONF-009), an operator at the terminal for doors and
//! faults, and the reports.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hearth_mqtt::BrokerUrl;
use hearth_security::cert::TrustStore;
use hearth_security::fs::{read_cert, read_chain, read_key};

use crate::case::{Done, Operator, OperatorAction, Restarter};
use crate::ics::{Ics, RestartMethod};
use crate::output::{write_reports, LabSigner};
use crate::report::Report;
use crate::runner::{load_testers, run_device_until, DeviceRun, Interrupt};

/// Runs the ICS's restart command.
struct CommandRestarter {
    command: Vec<String>,
    timeout: Duration,
}

impl Restarter for CommandRestarter {
    fn restart<'a>(&'a self, _power_loss: bool, _gone: Done<'a>) -> Done<'a> {
        Box::pin(async move {
            let (program, args) = self
                .command
                .split_first()
                .ok_or("the restart command is empty")?;
            let mut child = tokio::process::Command::new(program)
                .args(args)
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("{program}: {e}"))?;
            match tokio::time::timeout(self.timeout, child.wait()).await {
                Ok(Ok(status)) if status.success() => Ok(()),
                Ok(Ok(status)) => Err(format!("{program} exited with {status}")),
                Ok(Err(e)) => Err(format!("{program}: {e}")),
                Err(_) => Err(format!(
                    "{program} did not finish within {:?}",
                    self.timeout
                )),
            }
        })
    }
}

/// Asks the person at the terminal and waits for Enter.
struct TerminalOperator {
    timeout: Duration,
}

fn instruction(action: &OperatorAction) -> String {
    match action {
        OperatorAction::OpenDoor { component } => {
            format!("Open the door of component {component} and leave it open")
        }
        OperatorAction::CloseDoor { component } => {
            format!("Close the door of component {component}")
        }
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            chars.next().map_or(text.clone(), |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    }
}

impl Operator for TerminalOperator {
    fn act(&self, action: OperatorAction) -> Done<'_> {
        Box::pin(async move {
            eprintln!("\n>>> {}, then press Enter.", instruction(&action));
            let read = tokio::task::spawn_blocking(|| {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map(|_| ())
            });
            match tokio::time::timeout(self.timeout, read).await {
                Ok(Ok(Ok(()))) => Ok(()),
                Ok(_) => Err("the terminal could not be read".into()),
                Err(_) => Err(format!(
                    "no answer from the operator within {:?}",
                    self.timeout
                )),
            }
        })
    }
}

/// What `hearth test` needs.
#[derive(Debug, Clone)]
pub struct TestConfig {
    /// The ICS file; controller paths in it are relative to its folder.
    pub ics: PathBuf,
    /// The broker (overrides the ICS's `broker` parameter).
    pub broker: Option<BrokerUrl>,
    /// A PKI folder: `root.cert` is trusted; `lab.key` + `lab.cert` (or `lab.chain`), when
    /// present, sign the report.
    pub pki: PathBuf,
    /// `vvvv/device` the operator expects; must match the ICS.
    pub device: Option<String>,
    /// Where to write the reports.
    pub out: Option<PathBuf>,
    /// Only test cases whose id starts with this.
    pub only: Option<String>,
    /// Parameter overrides (`name=value`).
    pub params: Vec<(String, String)>,
    /// Ends the run early when set (Ctrl-C); the report is then partial.
    pub interrupt: Interrupt,
    /// Check before the first test case that the device answers each controller of the
    /// ICS (HRT-CONF-065); `hearth test --no-preflight` turns it off.
    pub preflight: bool,
}

/// Why a run could not start (exit status 4, HRT-CONF-002).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// Run the suite against one real device; the report, written to `out` if given.
pub async fn run_test(
    config: &TestConfig,
    progress: impl FnMut(&str, &str, &crate::report::TestResult),
) -> Result<Report, StartError> {
    let run = prepare(config)?;
    let report = run_device_until(run, crate::cases::CASES, &config.interrupt, progress).await;
    if let Some(out) = &config.out {
        write_lab_reports(out, &config.pki, &report)?;
    }
    Ok(report)
}

/// Everything a run of `config` needs before its first case: the ICS with the overrides
/// applied, the trusted root, the ICS's controllers and lab authority, restarts by the ICS's
/// command and an operator at the terminal. A caller that drives the appliance otherwise (a
/// simulator) replaces `restarter` and `operator`.
pub fn prepare(config: &TestConfig) -> Result<DeviceRun, StartError> {
    let text = std::fs::read_to_string(&config.ics)
        .map_err(|e| StartError(format!("{}: {e}", config.ics.display())))?;
    let mut ics =
        Ics::parse(&text).map_err(|e| StartError(format!("{}: {e}", config.ics.display())))?;
    // Paths in the ICS are relative to its folder; those given on the command line below
    // are the user's, relative to the working directory (HRT-CONF-018).
    ics.resolve_paths(config.ics.parent().unwrap_or_else(|| Path::new("")));
    if let Some(url) = &config.broker {
        ics.parameters
            .set("broker", &url.to_string())
            .map_err(|e| StartError(format!("--broker: {e}")))?;
    }
    for (k, v) in &config.params {
        ics.parameters
            .set(k, v)
            .map_err(|e| StartError(format!("--param {k}: {e}")))?;
    }
    let addr = format!("{}/{}", ics.device.vendor, ics.device.id);
    if let Some(d) = &config.device {
        if *d != addr && *d != ics.device.id {
            return Err(StartError(format!(
                "--device {d} is not the device of the ICS ({addr})"
            )));
        }
    }
    let broker: BrokerUrl = ics
        .parameters
        .broker
        .parse()
        .map_err(|e| StartError(format!("broker: {e} (give --broker or set it in the ICS)")))?;
    let mut trust = TrustStore::new();
    let root_path = ics
        .parameters
        .trust
        .clone()
        .map(PathBuf::from)
        .unwrap_or_else(|| config.pki.join("root.cert"));
    trust
        .add_root(read_cert(&root_path).map_err(|e| StartError(e.to_string()))?)
        .map_err(|e| StartError(e.to_string()))?;
    let testers = load_testers(&ics).map_err(|e| StartError(e.to_string()))?;
    let authority = crate::authority::load_authority(&ics)
        .map_err(|e| StartError(e.to_string()))?
        .map(std::sync::Arc::new);
    let restarter = match (ics.restart.method, &ics.restart.command) {
        (RestartMethod::Command, Some(command)) => Some(Box::new(CommandRestarter {
            command: command.clone(),
            timeout: ics.parameters.restart_timeout,
        }) as Box<dyn Restarter>),
        _ => None,
    };
    Ok(DeviceRun {
        operator: Some(Box::new(TerminalOperator {
            timeout: ics.parameters.operator_timeout,
        })),
        restarter,
        only: config.only.clone(),
        authority,
        preflight: config.preflight,
        ics_text: text,
        ics,
        broker,
        trust,
        testers,
    })
}

/// Write every report file to `out`, `report.cose` signed with the PKI's lab credential
/// (`lab.key` with `lab.chain`, or `lab.cert`) when it has one. A partial run or loosened
/// parameters are not signed (spec §10.5): the other files are written regardless. Returns
/// the files written.
pub fn write_lab_reports(
    out: &Path,
    pki: &Path,
    report: &Report,
) -> Result<Vec<PathBuf>, StartError> {
    let key = read_key(&pki.join("lab.key")).ok();
    let chain = read_chain(&pki.join("lab.chain"))
        .or_else(|_| read_chain(&pki.join("lab.cert")))
        .ok();
    let signer = key
        .as_ref()
        .zip(chain.as_deref())
        .map(|(k, c)| LabSigner { key: k, chain: c });
    write_reports(out, report, signer.as_ref()).map_err(|e| StartError(e.to_string()))
}
