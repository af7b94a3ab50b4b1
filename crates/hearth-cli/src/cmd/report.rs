//! `hearth report`: verify a lab-signed report offline (`spec/06-conformance.md` §10.6),
//! show the terminal summary of reports, render `junit.xml` and `report.html` from a
//! `report.json`, and sign a report with a lab key. All logic is in `hearth-report` (the
//! requirement texts of `report.html` come from the suite's embedded specification); this
//! module reads files and the clock, and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use hearth_conformance::html;
use hearth_report::junit;
use hearth_report::report::Report;
use hearth_report::signed::{self, VerifiedReport, VerifyOptions, MAX_SIGNED_REPORT_SIZE};
use hearth_report::summary::{self, terminal_safe};
use hearth_report::trace::rfc3339;
use hearth_security::fs::{self, FsError};
use hearth_security::TrustStore;

/// Arguments of `hearth report`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ReportCommand {
    /// Verify a signed report (report.cose) offline against a trusted root.
    ///
    /// Exits 0 when every step of the verification succeeds, 1 when one fails (naming the
    /// step and the reason), 4 when a file cannot be read, 64 on a usage error.
    Verify {
        /// The signed report.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Root certificate (trust anchor); may be repeated.
        #[arg(long, required = true, value_name = "ROOT.cert")]
        trust: Vec<PathBuf>,
        /// Revocation list to apply; may be repeated.
        #[arg(long, value_name = "FILE")]
        crl: Vec<PathBuf>,
        /// Validate the lab's chain at the verifier's clock instead of the signing time.
        #[arg(long)]
        at_now: bool,
        /// Write the verified report.json, byte for byte, to this file.
        #[arg(long, value_name = "FILE")]
        extract: Option<PathBuf>,
        /// Write the verified report.json into this directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the terminal summary of a report.json; of several, the table of the fleet.
    Show {
        /// report.json files.
        #[arg(required = true, value_name = "REPORT.json")]
        files: Vec<PathBuf>,
        /// Print the summary as JSON (of several reports, each and the fleet's verdict).
        #[arg(long)]
        json: bool,
    },
    /// Write junit.xml and report.html of a report.json into a directory.
    Render {
        /// The report.json.
        #[arg(value_name = "REPORT.json")]
        file: PathBuf,
        /// Output directory (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Sign a report.json with a lab key, writing report.cose.
    Sign {
        /// The report.json.
        #[arg(value_name = "REPORT.json")]
        file: PathBuf,
        /// The lab's private key.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
        /// The lab certificate (role lab).
        #[arg(long, value_name = "CERT")]
        cert: PathBuf,
        /// The signed report to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

fn read_report(path: &Path) -> anyhow::Result<Report> {
    let bytes = fs::read_bounded(path, MAX_SIGNED_REPORT_SIZE)?;
    Report::from_json(&bytes).with_context(|| format!("{}: not a report.json", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Run `hearth report`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        ReportCommand::Verify {
            file,
            trust,
            crl,
            at_now,
            extract,
            out,
            json,
        } => verify(&file, &trust, &crl, at_now, extract, out, json),
        ReportCommand::Show { files, json } => {
            let mut reports = Vec::with_capacity(files.len());
            for f in &files {
                reports.push(read_report(f)?);
            }
            let text = match (reports.as_slice(), json) {
                ([one], true) => format!("{:#}\n", summary::to_json(one)),
                (many, true) => format!(
                    "{:#}\n",
                    serde_json::json!({
                        "verdict": summary::fleet_verdict(many).name(),
                        "reports": many.iter().map(summary::to_json).collect::<Vec<_>>(),
                    })
                ),
                ([one], false) => summary::render(one),
                (many, false) => summary::render_fleet(many),
            };
            crate::out::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Render { file, out } => {
            let report = read_report(&file)?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let (j, h) = (out.join("junit.xml"), out.join("report.html"));
            write(&j, junit::render(&report).as_bytes())?;
            write(&h, html::render(&report).as_bytes())?;
            println!("{}\n{}", j.display(), h.display());
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Sign {
            file,
            key,
            cert,
            out,
        } => {
            let lab = fs::read_credential(&cert, &key)?;
            let json = fs::read_bounded(&file, MAX_SIGNED_REPORT_SIZE)?;
            let cose = signed::sign_report(
                &json,
                &lab.key,
                std::slice::from_ref(&lab.cert),
                crate::clock::now()?,
            )
            .with_context(|| format!("signing {}", file.display()))?;
            write(&out, &cose)?;
            println!("{} ({} bytes)", out.display(), cose.len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verify(
    file: &Path,
    trust: &[PathBuf],
    crl: &[PathBuf],
    at_now: bool,
    extract: Option<PathBuf>,
    out: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = TrustStore::new();
    for t in trust {
        let root = fs::read_cert(t)?;
        store
            .add_root(root)
            .with_context(|| format!("{}: not a trust anchor", t.display()))?;
    }
    let mut lists = Vec::with_capacity(crl.len());
    for l in crl {
        lists.push(fs::read_any(l)?);
    }
    let lists: Vec<&[u8]> = lists.iter().map(Vec::as_slice).collect();
    // Step 1: reading the file is part of the verification; failing to read it fails it.
    let bytes = match fs::read_bounded(file, MAX_SIGNED_REPORT_SIZE) {
        Ok(b) => b,
        Err(e) => {
            let code = match e {
                FsError::TooLarge { .. } => "too_large",
                _ => "unreadable",
            };
            return Ok(invalid(1, code, &e.to_string(), json));
        }
    };
    let options = VerifyOptions {
        now: crate::clock::now()?,
        at_now,
        revocation_lists: &lists,
    };
    let verified = match signed::verify_report_with(&bytes, &store, &options) {
        Ok(v) => v,
        Err(e) => return Ok(invalid(e.step(), e.code(), &e.to_string(), json)),
    };
    // Step 8.
    if let Some(path) = &extract {
        write(path, &verified.json)?;
    }
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        write(&dir.join("report.json"), &verified.json)?;
    }
    if json {
        println!("{}", valid_json(&verified));
    } else {
        print_valid(&verified, at_now);
    }
    Ok(ExitCode::SUCCESS)
}

fn invalid(step: u8, code: &str, reason: &str, json: bool) -> ExitCode {
    if json {
        let v = serde_json::json!({
            "valid": false,
            "step": step,
            "code": code,
            "reason": reason,
        });
        println!("{v}");
    } else {
        println!("invalid (step {step}, {code}): {}", terminal_safe(reason));
    }
    ExitCode::from(1)
}

fn valid_json(v: &VerifiedReport) -> serde_json::Value {
    let r = &v.report;
    let d = &r.device;
    serde_json::json!({
        "valid": true,
        "lab": {
            "subject": v.lab.subject,
            "key_id": v.lab_kid.to_hex(),
            "algorithm": v.alg.name(),
        },
        "signed_at": v.signed_at,
        "signed_at_time": seconds_time(v.signed_at),
        "validated_at": v.validated_at,
        "device": {
            "vendor": d.vendor,
            "model": d.model,
            "firmware": d.firmware,
            "device_id": d.device_id,
            "device_type": d.device_type,
            "vendor_id": d.vendor_id,
        },
        "run_id": r.run_id,
        "partial": r.partial,
        "verdict": r.summary.verdict.name(),
        "counts": r.summary.counts,
    })
}

/// A time in whole seconds as RFC 3339 in UTC: `2026-11-27T14:03:12Z`.
fn seconds_time(secs: u64) -> String {
    rfc3339(secs.saturating_mul(1000)).replace(".000Z", "Z")
}

fn print_valid(v: &VerifiedReport, at_now: bool) {
    let when = if at_now {
        "at the verifier's clock"
    } else {
        "at the signing time"
    };
    println!("valid signed report");
    println!(
        "lab       {} (key id {}, {})",
        terminal_safe(&v.lab.subject),
        v.lab_kid,
        v.alg.name()
    );
    println!(
        "signed    {} (lab chain validated {when})",
        seconds_time(v.signed_at)
    );
    println!();
    print!("{}", summary::render(&v.report));
}
