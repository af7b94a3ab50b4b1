//! `hearth ctl commission`, `hearth ctl acl` and `hearth ctl share`: commissioning and
//! access-control management (`spec/07-commissioning.md`) through
//! `hearth_mqtt::Controller`.
//!
//! `commission` takes a setup code as printed on an appliance (the QR text or the 11-digit
//! manual code), waits for a device in commissioning that it fits, and runs the key exchange;
//! the device then lists this controller with `manage`. With a manual code, which names no
//! vendor and no device type, it shows what the device's certificate says once the device has
//! proved the code, and completes the session only if the user confirms (HRT-COM-053):
//! `--yes` confirms in advance, for scripts; without it and without a terminal on standard
//! input it refuses at once. `acl show|add|remove` are the
//! manager's `acl-read` and `acl-change`; `share` opens an enhanced window and prints the
//! fresh setup code another controller commissions with (multi-admin). Exit codes as for the
//! other `ctl` commands: 1 when the device refuses or does not answer in time, 2 for usage
//! errors (a malformed setup code among them).

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _};
use hearth_model::setup::SetupCode;
use hearth_model::Privilege;
use hearth_mqtt::{Controller, RequestError};
use hearth_security::acl::{AclEntry, AclSubject};
use hearth_security::KeyId;
use hearth_wire::commissioning::AclOperation;
use serde::Serialize;

use super::{find, parse_secs, print_done, print_json, request_failed, Args, NotFound, FAILED};

/// `hearth ctl acl …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum AclCommand {
    /// List the device's access-control list (needs manage); also `acl list`.
    #[command(visible_alias = "list")]
    Show {
        /// The device: VENDOR/DEVICE, or a device id if unambiguous.
        id: String,
    },
    /// Add an entry granting a key, or with --ca every controller under a CA, a privilege.
    Add {
        /// The device: VENDOR/DEVICE, or a device id if unambiguous.
        id: String,
        /// The key id (32 hexadecimal digits), as `acl show` and `pki inspect` print it.
        key: String,
        /// view, operate or manage.
        privilege: String,
        /// The key id names a CA: the entry admits every controller certified under it.
        #[arg(long)]
        ca: bool,
    },
    /// Remove an entry; the last one granting manage stays (HRT-COM-063).
    Remove {
        /// The device: VENDOR/DEVICE, or a device id if unambiguous.
        id: String,
        /// The entry's key id (32 hexadecimal digits).
        key: String,
        /// The entry names a CA.
        #[arg(long)]
        ca: bool,
    },
}

/// Options of `hearth ctl commission`.
#[derive(Debug, clap::Args)]
pub(super) struct CommissionArgs {
    /// The setup code: the QR text (`HRT:0.FFF1.0008.F00.20202021`) or the 11-digit manual
    /// code (`3497-011-2332`; spaces and hyphens are ignored).
    #[arg(long, value_name = "CODE")]
    code: String,
    /// Seconds to wait for a device in commissioning and for the exchange to end.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    wait: Duration,
    /// With a manual code: commission the device it leads to without asking to confirm its
    /// vendor and device type (for scripts; they are printed all the same).
    #[arg(long)]
    yes: bool,
}

/// Options of `hearth ctl share`.
#[derive(Debug, clap::Args)]
pub(super) struct ShareArgs {
    /// The device: VENDOR/DEVICE, or a device id if unambiguous.
    id: String,
    /// What the controller commissioned with the new code gets: operate or manage.
    #[arg(long, default_value = "operate")]
    privilege: String,
    /// Seconds the window stays open, 180 to 900.
    #[arg(long, value_name = "SECS", default_value = "300")]
    window: u16,
    /// PBKDF2 iterations of the temporary verifier record, 1000 to 100000: the record
    /// crosses the broker, so the default is the most.
    #[arg(long, default_value = "100000")]
    iterations: u32,
}

impl ShareArgs {
    /// The iteration count asked for.
    pub(super) fn iterations(&self) -> u32 {
        self.iterations
    }
}

/// What `commission` prints.
#[derive(Serialize)]
struct CommissionedOut {
    id: String,
    device_type: Option<String>,
    model: Option<String>,
}

/// `hearth ctl commission --code CODE`.
pub(super) async fn commission(
    ctl: &Controller,
    args: &Args,
    opts: &CommissionArgs,
) -> anyhow::Result<ExitCode> {
    let code = SetupCode::parse(&opts.code)
        .map_err(|e| crate::exit::usage(format!("`{}` is not a setup code: {e}", opts.code)))?;
    let outcome = match code {
        SetupCode::Qr(_) => ctl.commission(code, opts.wait).await,
        SetupCode::Manual(_) => {
            let ask = !opts.yes;
            if ask && !std::io::stdin().is_terminal() {
                return Err(crate::exit::usage(
                    "a manual code names no vendor and no device type: confirm the device on a \
                     terminal, or pass --yes to commission whichever device proves the code",
                ));
            }
            ctl.commission_confirming(code, opts.wait, |device| confirm(device, ask))
                .await
        }
    };
    let done = match outcome {
        Ok(done) => done,
        Err(RequestError::Timeout(d)) => {
            eprintln!("error: no device in commissioning fits the code within {d:?}");
            return Ok(ExitCode::from(FAILED));
        }
        Err(RequestError::Commission(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(FAILED));
        }
        Err(e) => return Err(e).context("commissioning"),
    };
    let out = CommissionedOut {
        id: done.addr.to_string(),
        device_type: done.device_type,
        model: done.model,
    };
    print_done(args.output.json, &out, |out| {
        println!(
            "commissioned {} ({}, model {}): this controller manages it",
            out.id,
            out.device_type.as_deref().unwrap_or("?"),
            out.model.as_deref().unwrap_or("?")
        );
    })
}

/// Show the user what the device proved, and with `ask` ask whether to go on (HRT-COM-053).
async fn confirm(device: hearth_mqtt::Commissioned, ask: bool) -> bool {
    eprintln!(
        "{} proved the code: vendor {}, device type {}, model {}",
        device.addr,
        hearth_model::vendor::hex(device.addr.vendor_id),
        device.device_type.as_deref().unwrap_or("?"),
        device.model.as_deref().unwrap_or("?")
    );
    if !ask {
        return true;
    }
    let answer = tokio::task::spawn_blocking(|| {
        eprint!("commission it? [y/N] ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await;
    matches!(answer, Ok(Ok(line)) if matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

/// One ACL entry as `acl show` lists it.
#[derive(Serialize)]
struct EntryOut {
    key: String,
    ca: bool,
    privilege: &'static str,
    /// Whether the entry names this controller's own key.
    this_controller: bool,
}

/// What `acl show` prints.
#[derive(Serialize)]
struct AclOut {
    device: String,
    entries: Vec<EntryOut>,
    max_entries: u8,
}

fn parse_key(text: &str) -> anyhow::Result<KeyId> {
    KeyId::from_hex(text.trim()).ok_or_else(|| {
        crate::exit::usage(format!("`{text}` is not a key id of 32 hexadecimal digits"))
    })
}

fn parse_privilege(text: &str) -> anyhow::Result<Privilege> {
    Privilege::from_name(text)
        .with_context(|| format!("`{text}` is not a privilege: view, operate or manage"))
}

fn subject(key: KeyId, ca: bool) -> AclSubject {
    if ca {
        AclSubject::Ca(key)
    } else {
        AclSubject::Key(key)
    }
}

/// `hearth ctl acl show|add|remove`.
pub(super) async fn acl(
    ctl: &Controller,
    args: &Args,
    own_key: &KeyId,
    command: &AclCommand,
) -> anyhow::Result<ExitCode> {
    let (id, operation) = match command {
        AclCommand::Show { id } => (id, None),
        AclCommand::Add {
            id,
            key,
            privilege,
            ca,
        } => {
            let entry = AclEntry {
                subject: subject(parse_key(key)?, *ca),
                privilege: parse_privilege(privilege)?,
            };
            (id, Some(AclOperation::Add(entry)))
        }
        AclCommand::Remove { id, key, ca } => (
            id,
            Some(AclOperation::Remove(subject(parse_key(key)?, *ca))),
        ),
    };
    let addr = target!(ctl, args, id).addr().clone();
    if let Some(op) = operation {
        let answer = match ctl.change_acl(&addr, vec![op]).await {
            Ok(a) => a,
            Err(e) => return request_failed(e, &addr),
        };
        if args.output.json {
            print_json(&serde_json::json!({
                "device": addr.to_string(),
                "status": answer.status.name(),
            }))?;
        } else {
            println!("{addr}: {}", answer.status.name());
        }
        return Ok(if answer.status == hearth_model::StatusCode::Success {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(FAILED)
        });
    }
    let listed = match ctl.acl(&addr).await {
        Ok(l) => l,
        // A controller without manage is not answered at all (HRT-COM-060).
        Err(RequestError::Timeout(d)) => {
            eprintln!(
                "error: no answer from {addr} within {d:?} (does this controller manage it?)"
            );
            return Ok(ExitCode::from(FAILED));
        }
        Err(e) => return request_failed(e, &addr),
    };
    let entries: Vec<EntryOut> = listed
        .entries
        .iter()
        .map(|e| {
            let ca = matches!(e.subject, AclSubject::Ca(_));
            let (AclSubject::Key(key) | AclSubject::Ca(key)) = e.subject;
            EntryOut {
                key: key.to_hex(),
                ca,
                privilege: e.privilege.name(),
                this_controller: !ca && key == *own_key,
            }
        })
        .collect();
    let out = AclOut {
        device: addr.to_string(),
        entries,
        max_entries: listed.max_entries,
    };
    if args.output.json {
        print_json(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<34} {:<4} PRIVILEGE", "KEY ID", "KIND");
    for e in &out.entries {
        let kind = if e.ca { "ca" } else { "key" };
        let me = if e.this_controller {
            "  (this controller)"
        } else {
            ""
        };
        println!("{:<34} {kind:<4} {}{me}", e.key, e.privilege);
    }
    println!(
        "{} of {} entries on {}",
        out.entries.len(),
        out.max_entries,
        out.device
    );
    Ok(ExitCode::SUCCESS)
}

/// What `share` prints.
#[derive(Serialize)]
struct SharedOut {
    device: String,
    qr: String,
    manual: String,
    privilege: &'static str,
    seconds: u16,
}

/// `hearth ctl share DEVICE`.
pub(super) async fn share(
    ctl: &Controller,
    args: &Args,
    opts: &ShareArgs,
) -> anyhow::Result<ExitCode> {
    let privilege = parse_privilege(&opts.privilege)?;
    if privilege == Privilege::View {
        bail!("a shared window grants operate or manage, not view");
    }
    if !(180..=900).contains(&opts.window) {
        bail!("a window lasts 180 to 900 seconds, not {}", opts.window);
    }
    if !(1000..=100_000).contains(&opts.iterations) {
        bail!("--iterations is 1000 to 100000, not {}", opts.iterations);
    }
    let addr = target!(ctl, args, &opts.id).addr().clone();
    let window = Duration::from_secs(u64::from(opts.window));
    let payload = match ctl.share(&addr, privilege, window).await {
        Ok(p) => p,
        Err(RequestError::Refused(status)) => {
            eprintln!("error: {addr} refused the window: {}", status.name());
            return Ok(ExitCode::from(FAILED));
        }
        Err(e) => return request_failed(e, &addr),
    };
    let out = SharedOut {
        device: addr.to_string(),
        qr: payload.to_qr_text(),
        manual: payload.manual_code().to_string(),
        privilege: privilege.name(),
        seconds: opts.window,
    };
    print_done(args.output.json, &out, |out| {
        println!(
            "window open on {} for {} s: commission the other controller ({}) with",
            out.device, out.seconds, out.privilege
        );
        println!("  QR text:     {}", out.qr);
        println!("  manual code: {}", out.manual);
    })
}
