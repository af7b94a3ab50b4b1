//! The seed generator: writes `corpus/<target>/` for every fuzz target from real captures.
//!
//! ```text
//! hearth demo --trace full --out DEMO          # in the Hearth workspace
//! cargo run --release --bin seeds -- DEMO      # in crates/hearth-fuzz
//! ```
//!
//! Sources: the message trace of every `DEMO/*/report.json` (the bytes of each envelope, the
//! topic it travelled on, the malformed inputs the robustness cases send and the
//! revocation lists they publish), the demo's certificates (`DEMO/pki/**/*.cert`), its ICS
//! files and reports, and from the repository the security vectors
//! (`conformance/vectors/security/chains.json`), the sample descriptions and the example
//! ICS. Seeds that must verify under the fuzz targets' own PKI are signed again with it.
//! Each target gets at most [`CAP`] seeds, picked round-robin over kinds of input so that
//! every kind is represented; each folder is emptied first.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ciborium::value::{Integer, Value as Cbor};
use hearth_fuzz::{Pki, Writer, DEVICE_ID, NOW};
use hearth_model::time::parse_ms;
use hearth_security::cert::{CertClaims, Certificate};
use hearth_security::cose::{Envelope, Sign1};
use hearth_security::revocation::RevocationList;
use hearth_security::Privilege::{Manage, Operate, View};
use hearth_wire::codec::{self, Limits};
use serde_json::Value as Json;

/// Most seeds per target.
const CAP: usize = 40;
/// Largest seed kept, in bytes: larger inputs only test the size limits, and they slow the
/// fuzzer down.
const MAX_SEED: usize = 12 * 1024;

/// Candidate seeds of one target, by kind of input.
#[derive(Default)]
struct Seeds {
    by_kind: BTreeMap<String, BTreeSet<Vec<u8>>>,
}

impl Seeds {
    fn add(&mut self, kind: impl Into<String>, bytes: Vec<u8>) {
        if bytes.len() <= MAX_SEED {
            self.by_kind.entry(kind.into()).or_default().insert(bytes);
        }
    }

    /// Round-robin over the kinds until [`CAP`] seeds are picked.
    fn pick(&self) -> Vec<&[u8]> {
        let mut kinds: Vec<Vec<&Vec<u8>>> = self
            .by_kind
            .values()
            .map(|set| {
                // Spread over each kind rather than take its smallest inputs only.
                let mut v: Vec<&Vec<u8>> = set.iter().collect();
                v.sort_by_key(|b| fnv(b));
                v
            })
            .collect();
        let mut out: Vec<&[u8]> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut round = 0;
        while out.len() < CAP && kinds.iter().any(|k| k.len() > round) {
            for kind in &mut kinds {
                if let Some(b) = kind.get(round) {
                    if out.len() < CAP && seen.insert(b.as_slice()) {
                        out.push(b);
                    }
                }
            }
            round += 1;
        }
        out
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One message of a trace: where it went and its bytes.
struct Captured {
    topic: String,
    kind: String,
    summary: String,
    bytes: Vec<u8>,
}

fn read_json(path: &Path) -> Result<Json, String> {
    let text = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every trace entry with bytes, from every report of the demo.
fn captures(demo: &Path) -> Result<(Vec<Captured>, Vec<Json>), String> {
    let mut out = Vec::new();
    let mut reports = Vec::new();
    for dir in sorted_dir(demo)? {
        let path = dir.join("report.json");
        if !path.is_file() {
            continue;
        }
        let report = read_json(&path)?;
        for test in report["tests"].as_array().into_iter().flatten() {
            for e in test["evidence"].as_array().into_iter().flatten() {
                let Some(bytes) = e["hex"].as_str().and_then(unhex) else {
                    continue;
                };
                if bytes.is_empty() {
                    continue;
                }
                out.push(Captured {
                    topic: e["topic"].as_str().unwrap_or_default().to_owned(),
                    kind: e["kind"].as_str().unwrap_or_default().to_owned(),
                    summary: e["summary"].as_str().unwrap_or_default().to_owned(),
                    bytes,
                });
            }
        }
        reports.push(report);
    }
    Ok((out, reports))
}

fn sorted_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for path in sorted_dir(dir).unwrap_or_default() {
        if path.is_dir() {
            files_with(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The part of a topic below the root: the demo's root is two levels (`hearth-demo/1`).
fn relative(topic: &str) -> String {
    topic.splitn(3, '/').nth(2).unwrap_or(topic).to_owned()
}

/// A robustness case's malformed input is its own kind; other messages group by kind.
fn kind_of(c: &Captured) -> String {
    if c.kind == "raw" {
        format!(
            "raw {}",
            c.summary.split(['#', ':']).next().unwrap_or_default()
        )
    } else {
        c.kind.clone()
    }
}

/// A claims map with its issuer replaced (and, for a vendor's subject, the fixture's
/// vendor id) and its validity moved to the fixture's clock, so that it chains to the
/// fixture's `issuer`.
fn reissued_claims(cert: &Certificate, issuer: &Certificate) -> Vec<u8> {
    let mut claims: CertClaims = cert.claims().clone();
    claims.issuer = issuer.claims().subject.clone();
    // Valid at the fixture's clock, for as long as it was.
    let lifetime = claims.expires.saturating_sub(claims.not_before);
    claims.issued_at = NOW - 3_600;
    claims.not_before = NOW - 3_600;
    claims.expires = (NOW - 3_600).saturating_add(lifetime);
    if claims.vendor_id.is_some() {
        claims.vendor_id = issuer.claims().vendor_id.or(claims.vendor_id);
    }
    claims.to_cbor()
}

/// A revocation list's payload with its issuer named `issuer`.
fn renamed_list(payload: &[u8], issuer: &str) -> Option<Vec<u8>> {
    let mut value: Cbor = ciborium::de::from_reader(payload).ok()?;
    if let Cbor::Map(entries) = &mut value {
        for (k, v) in entries.iter_mut() {
            if *k == Cbor::Integer(Integer::from(1)) {
                *v = Cbor::Text(issuer.to_owned());
            }
        }
    }
    let mut out = Vec::new();
    ciborium::ser::into_writer(&value, &mut out).ok()?;
    Some(out)
}

/// A report cut down to a few test cases with a few trace entries each: still a report the
/// verifier accepts, small enough to mutate quickly.
fn small_report(report: &Json) -> Vec<u8> {
    let mut report = report.clone();
    if let Some(tests) = report["tests"].as_array_mut() {
        tests.truncate(3);
        for test in tests {
            if let Some(evidence) = test["evidence"].as_array_mut() {
                evidence.truncate(2);
            }
            if let Some(steps) = test["steps"].as_array_mut() {
                steps.truncate(3);
            }
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&report).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn run(demo: &Path) -> Result<(), String> {
    let pki = Pki::get();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (mut topic, mut revocation, mut envelope, mut message) = Default::default();
    let (mut description, mut certificate, mut chain, mut ics, mut signed) = Default::default();
    let mut files: Seeds = Seeds::default();
    let (captured, reports) = captures(demo)?;
    println!("{} trace entries with bytes", captured.len());

    // Certificates of the demo: its PKI files and the chains messages carry.
    let mut certs: BTreeMap<Vec<u8>, Certificate> = BTreeMap::new();
    let mut cert_files = Vec::new();
    files_with(&demo.join("pki"), "cert", &mut cert_files);
    for path in &cert_files {
        let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Ok(cert) = Certificate::from_bytes(&bytes) {
            certs.insert(bytes, cert);
        }
    }

    for c in &captured {
        let rel = relative(&c.topic);
        let kind = kind_of(c);
        // Topics, below the root and in full under the default root.
        let topics: &mut Seeds = &mut topic;
        topics.add(format!("rel {}", c.kind), rel.clone().into_bytes());
        topics.add(
            format!("full {}", c.kind),
            format!("hearth/1/{rel}").into_bytes(),
        );

        if rel.starts_with("crl/") {
            let Ok(kid) = RevocationList::signer_kid(&c.bytes) else {
                continue;
            };
            let Some(issuer) = certs.values().find(|cert| *cert.subject_kid() == kid) else {
                continue;
            };
            let now = RevocationList::verify(&c.bytes, issuer, u64::MAX / 2)
                .map_or(NOW, |l| l.this_update + 1);
            let revocation: &mut Seeds = &mut revocation;
            revocation.add(
                format!("captured {}", c.summary),
                Writer::new()
                    .u8(0)
                    .u64(now)
                    .chunk(issuer.as_bytes())
                    .rest(&c.bytes)
                    .finish(),
            );
            if let Some(payload) = Sign1::parse(&c.bytes).ok().and_then(|s| s.payload) {
                if let Some(renamed) = renamed_list(&payload, &pki.root.cert.claims().subject) {
                    revocation.add(
                        format!("payload {}", c.summary),
                        Writer::new().u8(1).u64(NOW).rest(&renamed).finish(),
                    );
                }
            }
            continue;
        }

        let envelope: &mut Seeds = &mut envelope;
        envelope.add(
            format!("captured {kind}"),
            Writer::new()
                .u8(0)
                .chunk(rel.as_bytes())
                .rest(&c.bytes)
                .finish(),
        );
        let payload = match Envelope::parse(&c.bytes) {
            Ok(e) => e.unverified_payload().to_vec(),
            // Unsealed messages and garbage are message seeds as they are.
            Err(_) => c.bytes.clone(),
        };
        Seeds::add(&mut message, kind.clone(), payload.clone());
        let Ok(mut msg) = codec::decode(&payload, &Limits::STANDARD) else {
            continue;
        };
        for cert in &msg.chain {
            if let Ok(parsed) = Certificate::from_bytes(cert) {
                certs.insert(cert.clone(), parsed);
            }
        }
        if matches!(msg.body, hearth_wire::Body::Description(_)) {
            Seeds::add(
                &mut description,
                "cbor",
                Writer::new().u8(0).rest(&payload).finish(),
            );
        }
        // The same message from the fixture's device, sealed with its key: with the chain
        // carried (mode 0 sealed here, mode 1 sealed by the target), and without it for a
        // receiver that admitted the chain (mode 2 and 3).
        msg.sender = DEVICE_ID.into();
        msg.chain.clear();
        let bare = codec::encode(&msg);
        msg.chain = pki.device_chain();
        let carried = codec::encode(&msg);
        let frame = |mode: u8, bytes: &[u8]| {
            Writer::new()
                .u8(mode)
                .chunk(rel.as_bytes())
                .rest(bytes)
                .finish()
        };
        envelope.add(
            format!("sealed {kind}"),
            frame(0, &pki.seal_as_device(&carried, &rel)),
        );
        envelope.add(format!("payload {kind}"), frame(1, &carried));
        envelope.add(
            format!("admitted {kind}"),
            frame(2, &pki.seal_as_device(&bare, &rel)),
        );
        envelope.add(format!("admitted payload {kind}"), frame(3, &bare));
    }

    // Certificates alone (mode 0), and their claims to be signed by the fixture's vendor
    // (devices, mode 1) or root (everything else, mode 2).
    let certificate: &mut Seeds = &mut certificate;
    for (bytes, cert) in &certs {
        let role = cert.claims().role.name();
        certificate.add(
            format!("cert {role}"),
            Writer::new().u8(0).rest(bytes).finish(),
        );
        // Devices and a vendor's controllers (gateways) chain to the vendor.
        let (mode, issuer) = match cert.claims().role {
            hearth_security::Role::Device => (1, &pki.vendor.cert),
            hearth_security::Role::Controller if cert.claims().vendor_id.is_some() => {
                (1, &pki.vendor.cert)
            }
            _ => (2, &pki.root.cert),
        };
        certificate.add(
            format!("claims {role}"),
            Writer::new()
                .u8(mode)
                .rest(&reissued_claims(cert, issuer))
                .finish(),
        );
    }
    for cred in [
        &pki.root,
        &pki.vendor,
        &pki.device,
        &pki.lab,
        &pki.controller,
    ] {
        certificate.add(
            "fixture",
            Writer::new().u8(0).rest(cred.cert.as_bytes()).finish(),
        );
    }

    // Chains: the security vectors, and the demo's device chains with the lists of their CAs.
    let chain: &mut Seeds = &mut chain;
    let vectors = read_json(&repo.join("conformance/vectors/security/chains.json"))?;
    for v in vectors["vectors"].as_array().into_iter().flatten() {
        let mut w = Writer::new().u64(v["now"].as_u64().unwrap_or(NOW));
        for (tag, key) in [(0, "trust"), (1, "chain"), (2, "revocation_lists")] {
            for hex in v[key].as_array().into_iter().flatten() {
                if let Some(bytes) = hex.as_str().and_then(unhex) {
                    w = w.u8(tag).chunk(&bytes);
                }
            }
        }
        chain.add(
            format!("vector {}", v["name"].as_str().unwrap_or_default()),
            w.finish(),
        );
    }
    let roots: Vec<&Certificate> = certs.values().filter(|c| c.is_self_signed()).collect();
    for device in certs
        .values()
        .filter(|c| c.claims().role == hearth_security::Role::Device)
    {
        let Some(vendor) = certs
            .values()
            .find(|c| c.subject_kid() == device.issuer_kid())
        else {
            continue;
        };
        let Some(root) = roots
            .iter()
            .find(|r| r.subject_kid() == vendor.issuer_kid())
        else {
            continue;
        };
        let now = device.claims().issued_at + 60;
        let mut w = Writer::new()
            .u64(now)
            .u8(0)
            .chunk(root.as_bytes())
            .u8(1)
            .chunk(vendor.as_bytes())
            .u8(1)
            .chunk(device.as_bytes());
        // A list of the vendor or the root, when the demo published one.
        if let Some(list) = captured.iter().find(|c| {
            c.topic.contains("/crl/")
                && RevocationList::signer_kid(&c.bytes)
                    .is_ok_and(|k| k == *vendor.subject_kid() || k == *root.subject_kid())
        }) {
            w = w.u8(2).chunk(&list.bytes);
        }
        chain.add(
            format!(
                "demo {}",
                device.claims().device_type.as_deref().unwrap_or("")
            ),
            w.finish(),
        );
    }
    let fixture_chain = Writer::new()
        .u64(NOW)
        .u8(0)
        .chunk(pki.root.cert.as_bytes())
        .u8(1)
        .chunk(pki.vendor.cert.as_bytes())
        .u8(1)
        .chunk(pki.device.cert.as_bytes())
        .finish();
    chain.add("fixture", fixture_chain);

    // Descriptions in JSON (mode 1): the sample descriptions.
    let mut json_files = Vec::new();
    files_with(
        &repo.join("crates/hearth-model/tests/descriptions"),
        "json",
        &mut json_files,
    );
    for path in &json_files {
        let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Seeds::add(
            &mut description,
            "json",
            Writer::new().u8(1).rest(&bytes).finish(),
        );
    }

    // ICS files: the example and every device's of the demo.
    let ics: &mut Seeds = &mut ics;
    let mut ics_files = vec![repo.join("crates/hearth-conformance/ics/example.toml")];
    files_with(demo, "toml", &mut ics_files);
    for path in &ics_files {
        if let Ok(bytes) = fs::read(path) {
            ics.add("ics", bytes);
        }
    }

    // Signed reports: each demo report cut down, signed by the fixture's lab a second after
    // its run finished (mode 0), and as the payload the target signs (mode 1, 3).
    let signed: &mut Seeds = &mut signed;
    for report in &reports {
        let json = small_report(report);
        let finished = report["finished"].as_str().and_then(parse_ms).unwrap_or(0);
        let iat = finished / 1000 + 1;
        let now = iat + 60;
        let device = report["device"]["type"].as_str().unwrap_or("").to_owned();
        signed.add(
            format!("cose {device}"),
            Writer::new()
                .u8(0)
                .u64(now)
                .chunk(&[])
                .chunk(&[])
                .rest(&pki.sign_as_lab_report(&json, iat))
                .finish(),
        );
        signed.add(
            format!("payload {device}"),
            Writer::new().u8(1).u64(now).u64(iat).rest(&json).finish(),
        );
        signed.add(
            format!("payload at now {device}"),
            Writer::new().u8(3).u64(now).u64(iat).rest(&json).finish(),
        );
    }

    // Security files: keys of both algorithms in both forms, access lists, and the files
    // `hearth pki show` describes (certificates and lists).
    let p256 = hearth_security::KeyPair::generate(
        hearth_security::Algorithm::Es256,
        &hearth_security::pki::SystemRandom::new(),
    )
    .map_err(|e| format!("a P-256 key: {e}"))?;
    for key in [&pki.root.key, &pki.device.key, &p256] {
        files.add("private key", key.to_cose_key());
        files.add("public key", key.public_key().to_cose_key());
    }
    let entry = |cred: &hearth_security::pki::Credential, privilege, ca: bool| {
        let kid = *cred.cert.subject_kid();
        hearth_security::AclEntry {
            subject: if ca {
                hearth_security::AclSubject::Ca(kid)
            } else {
                hearth_security::AclSubject::Key(kid)
            },
            privilege,
        }
    };
    for entries in [
        vec![entry(&pki.controller, Manage, false)],
        vec![
            entry(&pki.controller, Manage, false),
            entry(&pki.vendor, Operate, true),
            entry(&pki.lab, View, false),
        ],
        vec![entry(&pki.root, View, true)],
    ] {
        let acl = hearth_security::Acl::from_entries(entries)
            .map_err(|e| format!("an access list: {e}"))?;
        files.add("acl", acl.to_cbor());
    }
    for (bytes, cert) in &certs {
        files.add(format!("cert {}", cert.claims().role.name()), bytes.clone());
    }
    for c in captured.iter().filter(|c| c.topic.contains("/crl/")) {
        files.add("crl", c.bytes.clone());
    }

    let targets: [(&str, &Seeds); 10] = [
        ("certificate", certificate),
        ("chain", chain),
        ("description", &description),
        ("envelope_open", &envelope),
        ("ics", ics),
        ("message_decode", &message),
        ("revocation", &revocation),
        ("signed_report", signed),
        ("topic", &topic),
        ("security_files", &files),
    ];
    write(&targets)?;
    let (setup, commissioning) = without_demo(pki)?;
    write(&[("setup_code", &setup), ("commissioning", &commissioning)])
}

/// The seeds of the targets whose inputs no demo carries: setup codes from the repository's
/// vectors (`conformance/vectors/commissioning/setup-payload.json`), and the body of every
/// commissioning and access-control management kind, built from the fixture's PKI.
fn without_demo(pki: &Pki) -> Result<(Seeds, Seeds), String> {
    use hearth_wire::commissioning::{
        AclChangeResponse, AclOperation, AclReadResponse, CommissionResult, Confirmation,
        EnhancedWindow, OpenWindow, PakeAbort, PakeConfirm, PakeResponse, Share, VerifierBytes,
        WindowControl, WindowParams, WindowState, WindowType, RECORD_LEN,
    };
    use hearth_wire::message::Body;

    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = repo.join("conformance/vectors/commissioning/setup-payload.json");
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let vectors: Json =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut setup = Seeds::default();
    for (group, fields) in [
        ("valid", &["qr", "manual"][..]),
        ("accepted", &["text"][..]),
        ("invalid", &["text"][..]),
    ] {
        for v in vectors[group].as_array().into_iter().flatten() {
            for field in fields {
                if let Some(t) = v[field].as_str() {
                    setup.add(format!("{group} {field}"), t.as_bytes().to_vec());
                }
            }
        }
    }

    let params = WindowParams {
        discriminator: 0xF00,
        salt: (0..16).collect(),
        iterations: 1000,
    };
    let kid = *pki.controller.cert.subject_kid();
    let ca = *pki.vendor.cert.subject_kid();
    let entry = hearth_security::AclEntry {
        subject: hearth_security::AclSubject::Key(kid),
        privilege: Manage,
    };
    let share = Share([0x04; 65]);
    let confirm = Confirmation([0x5a; 32]);
    let ok = hearth_model::StatusCode::Success;
    let bodies = [
        Body::Window(WindowState::Open(OpenWindow {
            params: params.clone(),
            closes_in: 600,
            window_type: WindowType::Basic,
        })),
        Body::Window(WindowState::Closed),
        Body::PakeStart(share),
        Body::PakeResponse(PakeResponse { share, confirm }),
        Body::PakeConfirm(PakeConfirm::Confirm(confirm)),
        Body::PakeConfirm(PakeConfirm::Abort(PakeAbort::RefusedShare)),
        Body::CommissionResult(CommissionResult {
            status: ok,
            sessions_left: Some(19),
        }),
        Body::AclRead,
        Body::AclReadResponse(AclReadResponse {
            entries: vec![entry],
            max_entries: 64,
        }),
        Body::AclChange(vec![
            AclOperation::Add(entry),
            AclOperation::Set {
                subject: hearth_security::AclSubject::Ca(ca),
                privilege: Operate,
            },
            AclOperation::Remove(hearth_security::AclSubject::Key(kid)),
        ]),
        Body::AclChangeResponse(AclChangeResponse {
            status: ok,
            failed_at: Some(1),
        }),
        Body::WindowControl(WindowControl::Open(Box::new(EnhancedWindow {
            params,
            verifier: VerifierBytes([0x11; RECORD_LEN]),
            duration: 300,
            privilege: Operate,
        }))),
        Body::WindowControl(WindowControl::Close),
        Body::WindowControlResponse(ok),
    ];
    // The selector byte counts the kinds from `window` on, as the target does.
    let first = hearth_wire::Kind::Window as u64;
    let mut commissioning = Seeds::default();
    for body in &bodies {
        let kind = body.kind();
        let mut cbor = Vec::new();
        ciborium::into_writer(&codec::encode_body(body), &mut cbor)
            .map_err(|e| format!("encoding a {} body: {e}", kind.name()))?;
        let selector = u8::try_from(kind as u64 - first).map_err(|e| e.to_string())?;
        commissioning.add(kind.name(), Writer::new().u8(selector).rest(&cbor).finish());
    }
    Ok((setup, commissioning))
}

/// Write each target's picked seeds to `corpus/<target>/`, its folder emptied first.
fn write(targets: &[(&str, &Seeds)]) -> Result<(), String> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for &(target, seeds) in targets {
        let dir = corpus.join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let picked = seeds.pick();
        let mut total = 0;
        for seed in &picked {
            total += seed.len();
            let path = dir.join(format!("{:016x}", fnv(seed)));
            fs::write(&path, seed).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        println!(
            "{target:>15}: {:>3} seeds of {:>3} kinds, {total:>7} bytes",
            picked.len(),
            seeds.by_kind.len()
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let Some(demo) = std::env::args_os().nth(1) else {
        eprintln!(
            "usage: seeds DEMO_DIR   (the output of `hearth demo --trace full --out DEMO_DIR`)\n       seeds --without-demo   (only the targets whose seeds need no demo)"
        );
        return ExitCode::from(2);
    };
    let done = if demo == "--without-demo" {
        without_demo(Pki::get()).and_then(|(setup, commissioning)| {
            write(&[("setup_code", &setup), ("commissioning", &commissioning)])
        })
    } else {
        run(Path::new(&demo))
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seeds: {e}");
            ExitCode::FAILURE
        }
    }
}
