//! `hearth decode`: show a captured Hearth message — its COSE_Sign1 structure in CBOR
//! diagnostic notation, the decoded header and body with catalog names, and, given a trust
//! anchor, whether the signature and the chain it carries are valid.
//!
//! Verification is `hearth_wire::Receiver::open`, the same code a device or controller runs:
//! the carried chain is validated against the roots, the signature checked with the topic as
//! external AAD, the header's sender matched with the certificate. Exit codes
//! (`crate::exit`): 0 decoded (and valid, if checked); 1 not a valid message: undecodable, or
//! its signature checked and not valid; 2 the signature could not be checked; 4 the input
//! could not be read; 64 a usage error.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use hearth_model::Catalog;
use hearth_security::cert::{Certificate, TrustStore};
use hearth_security::cose::Sign1;
use hearth_security::{diag, fs};
use hearth_wire::view::{device_type, BodyView};
use hearth_wire::{codec, Kind, Limits, Message, Receiver};
use serde::Serialize;

use crate::clock::now;

/// Largest input read, in bytes (hex doubles a maximal message).
const MAX_INPUT: u64 = 4 * 65_536;

/// Arguments of `hearth decode`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The message: a file of raw bytes or hexadecimal text (whitespace allowed); `-` or
    /// nothing reads standard input.
    file: Option<PathBuf>,
    /// Root certificate to verify the message's chain and signature against; may be repeated.
    #[arg(long, value_name = "ROOT.cert")]
    trust: Vec<PathBuf>,
    /// The topic below the root the message was published on (`d/fff1/fan-1/report`), the
    /// signature's external AAD. Inferred from the message when not given, except for
    /// requests.
    #[arg(long, value_name = "REL")]
    topic: Option<String>,
    /// Validation time in seconds since the Unix epoch (default: now).
    #[arg(long, value_name = "SECS")]
    at: Option<u64>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

/// One certificate of the carried chain.
#[derive(Debug, Serialize)]
struct ChainEntry {
    subject: String,
    role: String,
    issuer: String,
    /// Four lower-case hexadecimal digits, as in topics.
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    key_id: String,
}

/// The decoded header and body.
#[derive(Debug, Serialize)]
struct Decoded {
    version: u16,
    kind: &'static str,
    sender: String,
    counter: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    chain: Vec<ChainEntry>,
    body: BodyView,
}

/// The signature verdict.
#[derive(Debug, Serialize)]
struct Verdict {
    /// Whether a check was made.
    checked: bool,
    /// Whether signature, chain and sender are valid.
    valid: bool,
    /// The topic used as external AAD.
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    /// Who signed, when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<String>,
    /// Why not valid, or why not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The requirement a failure breaks.
    #[serde(skip_serializing_if = "Option::is_none")]
    requirement: Option<String>,
}

/// Everything `decode` prints.
#[derive(Debug, Serialize)]
struct Report {
    structure: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Decoded>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<Verdict>,
}

fn read_input(file: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match file {
        Some(path) if path.as_os_str() != "-" => {
            std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?
                .take(MAX_INPUT + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("cannot read {}", path.display()))?;
        }
        _ => {
            std::io::stdin()
                .take(MAX_INPUT + 1)
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
        }
    }
    if bytes.len() as u64 > MAX_INPUT {
        bail!("input larger than {MAX_INPUT} bytes");
    }
    Ok(bytes)
}

/// Raw bytes, or the bytes that hexadecimal text (whitespace allowed) spells.
fn unhex(input: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    let text = input.strip_prefix(b"0x").unwrap_or(&input);
    let is_hex = !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
        && text.iter().any(u8::is_ascii_hexdigit);
    if !is_hex {
        return Ok(input);
    }
    let digits: Vec<u8> = text.iter().copied().filter(u8::is_ascii_hexdigit).collect();
    hex::decode(&digits).context("odd number of hexadecimal digits")
}

fn chain_entry(bytes: &[u8]) -> ChainEntry {
    match Certificate::from_bytes(bytes) {
        Ok(cert) => {
            let c = cert.claims();
            ChainEntry {
                subject: c.subject.clone(),
                role: c.role.to_string(),
                issuer: c.issuer.clone(),
                vendor_id: c.vendor_id.map(hearth_model::vendor::hex),
                device_type: c.device_type.clone(),
                model: c.model.clone(),
                key_id: cert.subject_kid().to_string(),
            }
        }
        Err(e) => ChainEntry {
            subject: format!("<not a certificate: {e}>"),
            role: String::new(),
            issuer: String::new(),
            vendor_id: None,
            device_type: None,
            model: None,
            key_id: String::new(),
        },
    }
}

fn decoded(msg: &Message) -> Decoded {
    let chain: Vec<ChainEntry> = msg.chain.iter().map(|c| chain_entry(c)).collect();
    // Modes, phases and faults are named per device type: the signer's, if it is a device.
    let dt = chain
        .first()
        .and_then(|c| c.device_type.as_deref())
        .and_then(|name| Catalog::standard().device_type_named(name))
        .or_else(|| match &msg.body {
            hearth_wire::Body::Description(d) => device_type(d.device_type),
            _ => None,
        });
    Decoded {
        version: msg.version,
        kind: msg.kind().name(),
        sender: msg.sender.clone(),
        counter: msg.counter,
        time_ms: msg.time_ms,
        time: msg
            .time_ms
            .map(|ms| hearth_model::time::format_secs(ms / 1000)),
        request_id: msg.request_id,
        target: msg.target.clone(),
        chain,
        body: BodyView::new(&msg.body, dt),
    }
}

/// The topic (below the root) a message was published on, when the message tells.
fn infer_topic(msg: &Message, decoded: &Decoded) -> Option<String> {
    let vendor = decoded.chain.first().and_then(|c| c.vendor_id.clone());
    let channel = match msg.kind() {
        Kind::Description => "desc",
        Kind::Status => "status",
        Kind::Report => "report",
        Kind::Event => "event",
        k if k.is_response() => return msg.target.as_ref().map(|t| format!("c/{t}/resp")),
        _ => return None,
    };
    vendor.map(|v| format!("d/{v}/{}/{channel}", msg.sender))
}

fn verify(args: &Args, bytes: &[u8], msg: &Message, decoded: &Decoded) -> anyhow::Result<Verdict> {
    let mut trust = TrustStore::new();
    for path in &args.trust {
        let cert = fs::read_cert(path).with_context(|| format!("{}", path.display()))?;
        trust
            .add_root(cert)
            .with_context(|| format!("{} is not a usable root", path.display()))?;
    }
    let Some(topic) = args.topic.clone().or_else(|| infer_topic(msg, decoded)) else {
        return Ok(Verdict {
            checked: false,
            valid: false,
            topic: None,
            signer: None,
            reason: Some(format!(
                "the topic of a {} cannot be inferred from the message; give --topic",
                msg.kind()
            )),
            requirement: None,
        });
    };
    let at = match args.at {
        Some(t) => t,
        None => now()?,
    };
    let mut receiver = Receiver::new(trust);
    Ok(match receiver.open(bytes, &topic, at) {
        Ok(opened) => {
            let leaf = &opened.peer.chain.leaf;
            Verdict {
                checked: true,
                valid: true,
                topic: Some(topic),
                signer: Some(format!(
                    "{} {:?} (key id {})",
                    leaf.role, leaf.subject, opened.peer.chain.leaf_kid
                )),
                reason: None,
                requirement: None,
            }
        }
        Err(err) => Verdict {
            checked: true,
            valid: false,
            topic: Some(topic),
            signer: None,
            reason: Some(err.to_string()),
            requirement: Some(err.requirement().to_owned()),
        },
    })
}

fn print_text(report: &Report) {
    print!("{}", report.structure);
    if let Some(m) = &report.message {
        println!("message:");
        println!("  kind:        {} (version {})", m.kind, m.version);
        println!("  sender:      {}", m.sender);
        println!("  counter:     {}", m.counter);
        if let (Some(ms), Some(t)) = (m.time_ms, &m.time) {
            println!("  time:        {t} ({ms} ms)");
        }
        if let Some(id) = m.request_id {
            println!("  request id:  {id:#x}");
        }
        if let Some(t) = &m.target {
            println!("  target:      {t}");
        }
        if m.chain.is_empty() {
            println!("  chain:       none carried");
        }
        for (i, c) in m.chain.iter().enumerate() {
            let mut line = format!("{} {:?} issued by {:?}", c.role, c.subject, c.issuer);
            if let Some(v) = &c.vendor_id {
                line.push_str(&format!(", vendor {v}"));
            }
            if let Some(t) = &c.device_type {
                line.push_str(&format!(", {t}"));
            }
            if let Some(model) = &c.model {
                line.push_str(&format!(" {model:?}"));
            }
            println!(
                "  {}{line}",
                if i == 0 {
                    "chain:       "
                } else {
                    "             "
                }
            );
        }
        println!("  body:");
        print!("{}", m.body.text("    "));
    }
    if let Some(e) = &report.error {
        println!("error: {e}");
    }
    if let Some(v) = &report.signature {
        match (v.checked, v.valid) {
            (true, true) => println!(
                "signature: valid, signed by {} on {}",
                v.signer.as_deref().unwrap_or("?"),
                v.topic.as_deref().unwrap_or("?")
            ),
            (true, false) => println!(
                "signature: INVALID on {}: {} [{}]",
                v.topic.as_deref().unwrap_or("?"),
                v.reason.as_deref().unwrap_or("?"),
                v.requirement.as_deref().unwrap_or("?")
            ),
            (false, _) => println!(
                "signature: not checked: {}",
                v.reason.as_deref().unwrap_or("?")
            ),
        }
    }
}

/// Run `hearth decode`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let input = read_input(args.file.as_ref())?;
    let undecodable = |why: String| {
        eprintln!("error: not a Hearth message: {why}");
        Ok(ExitCode::from(crate::exit::FAIL))
    };
    let bytes = match unhex(input) {
        Ok(bytes) => bytes,
        Err(e) => return undecodable(e.to_string()),
    };
    let structure = match diag::describe(&bytes) {
        Ok(s) => s,
        Err(e) => return undecodable(e.to_string()),
    };
    let mut report = Report {
        structure,
        message: None,
        error: None,
        signature: None,
    };
    // Decode the payload as received, before any verification, to show what it claims.
    let msg = Sign1::parse(&bytes)
        .map_err(|e| e.to_string())
        .and_then(|s| s.payload.ok_or_else(|| "detached payload".to_owned()))
        .and_then(|p| codec::decode(&p, &Limits::STANDARD).map_err(|e| e.to_string()));
    let code = match msg {
        Ok(msg) => {
            let d = decoded(&msg);
            let mut code = ExitCode::SUCCESS;
            if !args.trust.is_empty() {
                let verdict = verify(&args, &bytes, &msg, &d)?;
                code = match (verdict.checked, verdict.valid) {
                    (true, true) => ExitCode::SUCCESS,
                    (true, false) => ExitCode::from(crate::exit::FAIL),
                    (false, _) => ExitCode::from(crate::exit::INCONCLUSIVE),
                };
                report.signature = Some(verdict);
            }
            report.message = Some(d);
            code
        }
        Err(e) => {
            report.error = Some(format!("not a Hearth message: {e}"));
            ExitCode::from(crate::exit::FAIL)
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_detected_and_raw_bytes_pass_through() {
        assert_eq!(
            unhex(b"d2 84\n40a0".to_vec()).ok(),
            Some(vec![0xd2, 0x84, 0x40, 0xa0])
        );
        assert_eq!(unhex(b"0xD284".to_vec()).ok(), Some(vec![0xd2, 0x84]));
        assert_eq!(
            unhex(vec![0xd2, 0x84, 0x43]).ok(),
            Some(vec![0xd2, 0x84, 0x43])
        );
        assert!(unhex(b"d28".to_vec()).is_err());
        assert_eq!(unhex(b"  \n".to_vec()).ok(), Some(b"  \n".to_vec()));
    }

    fn message(body: hearth_wire::Body, sender: &str, target: Option<&str>) -> Message {
        Message {
            version: 1,
            sender: sender.into(),
            counter: 1,
            time_ms: None,
            request_id: target.map(|_| 7),
            target: target.map(str::to_owned),
            chain: Vec::new(),
            body,
        }
    }

    #[test]
    fn topics_are_inferred_where_the_message_tells() {
        let status = message(
            hearth_wire::Body::Status(hearth_wire::Status {
                availability: hearth_wire::Availability::Online,
                boot_id: 1,
            }),
            "fan-1",
            None,
        );
        let mut d = decoded(&status);
        assert_eq!(infer_topic(&status, &d), None, "no chain, no vendor");
        d.chain.push(ChainEntry {
            subject: "fan-1".into(),
            role: "device".into(),
            issuer: "v".into(),
            vendor_id: Some("fff1".into()),
            device_type: Some("fan".into()),
            model: None,
            key_id: String::new(),
        });
        assert_eq!(
            infer_topic(&status, &d).as_deref(),
            Some("d/fff1/fan-1/status")
        );
        let response = message(
            hearth_wire::Body::WriteResponse(Vec::new()),
            "fan-1",
            Some("gw-1"),
        );
        assert_eq!(
            infer_topic(&response, &decoded(&response)).as_deref(),
            Some("c/gw-1/resp")
        );
        let request = message(hearth_wire::Body::Read(Vec::new()), "gw-1", Some("fan-1"));
        assert_eq!(infer_topic(&request, &decoded(&request)), None);
    }
}
