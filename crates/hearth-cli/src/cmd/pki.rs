//! `hearth pki`: create a test PKI, issue certificates, show and verify them. All logic is
//! in `hearth-security`; this module reads the clock, parses flags and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use hearth_security::pki::{self, IssueRequest, LabCredentials, TestPki, CERT_DAYS};
use hearth_security::{diag, fs, Algorithm, KeyId, RevocationList, Role};

use crate::clock::now;

/// Arguments of `hearth pki`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: PkiCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PkiCommand {
    /// Create a complete test PKI: root, vendor (fff1), lab and controller, each a `.cert`
    /// and a `.key` file, and the lab's credentials an ICS names: the test CA `authority`,
    /// and the controllers `manage`, `operate`, `view` (issued by the authority) and
    /// `stranger` (issued by the root, admitted by no access-control entry), each with a
    /// `.chain` file, leaf first.
    Init {
        /// Directory to write into (created if missing).
        #[arg(long)]
        dir: PathBuf,
    },
    /// Issue a certificate for a fresh key; writes PREFIX.cert and PREFIX.key.
    Issue(IssueArgs),
    /// Sign a revocation list of the issuer's certificates.
    Revoke {
        /// Certificate of the issuing CA (root or vendor).
        #[arg(long)]
        issuer_cert: PathBuf,
        /// Private key of the issuing CA.
        #[arg(long)]
        issuer_key: PathBuf,
        /// Certificate to revoke (its subject key id is listed); may be repeated.
        #[arg(long)]
        cert: Vec<PathBuf>,
        /// Key id (32 hexadecimal digits) to revoke; may be repeated.
        #[arg(long)]
        kid: Vec<String>,
        /// Days until the next update.
        #[arg(long, default_value_t = 30)]
        days: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a certificate, chain file, revocation list or key in CBOR diagnostic notation
    /// with its decoded claims (private keys are redacted).
    Show {
        /// The file.
        file: PathBuf,
        /// Print what the file holds as JSON: its kind, each certificate's claims and key
        /// id, the signer of a revocation list, a key's id and algorithm (never the private
        /// key), and the diagnostic text.
        #[arg(long)]
        json: bool,
    },
    /// Verify a chain: CERT... leaf first, up to the one the root issued, as in a chain
    /// file (a chain file may stand for any of them). Exits 0 if valid, 1 if not.
    Verify {
        /// Root certificate (trust anchor); may be repeated.
        #[arg(long, required = true)]
        trust: Vec<PathBuf>,
        /// Certificates or chain files, leaf first.
        #[arg(required = true)]
        certs: Vec<PathBuf>,
        /// Revocation list to apply; may be repeated.
        #[arg(long)]
        crl: Vec<PathBuf>,
        /// Validation time in seconds since the Unix epoch (default: now).
        #[arg(long)]
        at: Option<u64>,
    },
}

// The flags of `hearth pki issue` (documented on the subcommand).
#[derive(Debug, clap::Args)]
struct IssueArgs {
    /// Role of the new certificate.
    #[arg(long, value_parser = ["device", "vendor", "lab", "controller"])]
    role: String,
    /// Certificate of the issuer.
    #[arg(long)]
    issuer_cert: PathBuf,
    /// Private key of the issuer.
    #[arg(long)]
    issuer_key: PathBuf,
    /// Subject name (e.g. a device serial).
    #[arg(long)]
    subject: String,
    /// Vendor id, four hexadecimal digits as in topics, e.g. `fff1` (default: the issuing
    /// vendor's).
    #[arg(long, value_parser = hearth_model::vendor::parse)]
    vendor_id: Option<u16>,
    /// Device type from the catalog, e.g. `refrigerator` (devices).
    #[arg(long)]
    device_type: Option<String>,
    /// Model (devices).
    #[arg(long)]
    model: Option<String>,
    /// Validity in days.
    #[arg(long, default_value_t = CERT_DAYS)]
    days: u64,
    /// Key algorithm of the new key.
    #[arg(long, default_value = "ed25519", value_parser = ["ed25519", "p256"])]
    alg: String,
    /// Output prefix.
    #[arg(long)]
    out: PathBuf,
}

impl IssueArgs {
    /// The request these flags make, for a parsed role and algorithm.
    fn request(&self, role: Role, alg: Algorithm) -> IssueRequest {
        IssueRequest {
            role,
            subject: self.subject.clone(),
            vendor_id: self.vendor_id,
            device_type: self.device_type.clone(),
            model: self.model.clone(),
            days: self.days,
            alg,
        }
    }
}

/// What `pki show --json` prints: the same file as the text, as data.
fn show_json(bytes: &[u8], text: &str) -> serde_json::Value {
    let cert = |c: &hearth_security::cert::Certificate| {
        let k = c.claims();
        serde_json::json!({
            "subject": k.subject,
            "issuer": k.issuer,
            "role": k.role.to_string(),
            "vendor_id": k.vendor_id.map(hearth_model::vendor::hex),
            "device_type": k.device_type,
            "model": k.model,
            "not_before": diag::format_time(k.not_before),
            "expires": diag::format_time(k.expires),
            "algorithm": k.key.algorithm().name(),
            "key_id": c.subject_kid().to_hex(),
            "issuer_key_id": c.issuer_kid().to_hex(),
        })
    };
    let items = fs::chain_items(bytes);
    let certs: Option<Vec<_>> = items
        .iter()
        .map(|b| hearth_security::cert::Certificate::from_bytes(b).ok())
        .collect();
    let mut doc = match certs {
        Some(certs) if items.len() > 1 || items[0] != bytes => serde_json::json!({
            "kind": "chain",
            "certificates": certs.iter().map(cert).collect::<Vec<_>>(),
        }),
        Some(certs) => {
            let mut one = certs.first().map(cert).unwrap_or_default();
            one["kind"] = "certificate".into();
            one
        }
        None => match (
            RevocationList::signer_kid(bytes),
            hearth_security::KeyPair::from_cose_key(bytes),
        ) {
            (Ok(kid), _) => serde_json::json!({
                "kind": "revocation list",
                "signer_key_id": kid.to_hex(),
            }),
            (_, Ok(key)) => serde_json::json!({
                "kind": "key",
                "algorithm": key.public_key().algorithm().name(),
                "key_id": key.public_key().key_id().to_hex(),
            }),
            _ => serde_json::json!({ "kind": "cbor" }),
        },
    };
    doc["diagnostic"] = text.into();
    doc
}

/// Run `hearth pki`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        PkiCommand::Init { dir } => {
            let (now, rng) = (now()?, pki::SystemRandom::new());
            let pki = TestPki::generate(now, &rng)?;
            fs::write_test_pki(&dir, &pki)?;
            let lab = LabCredentials::generate(&pki.root, now, &rng)?;
            fs::write_lab_credentials(&dir, &lab)?;
            for name in fs::TEST_PKI_FILES.iter().chain(&fs::LAB_FILES) {
                println!("{}", dir.join(name).display());
            }
            Ok(ExitCode::SUCCESS)
        }
        PkiCommand::Issue(issue) => {
            let issuer = fs::read_credential(&issue.issuer_cert, &issue.issuer_key)?;
            let Some(role) = Role::from_name(&issue.role) else {
                bail!("unknown role {}", issue.role);
            };
            let Some(alg) = Algorithm::from_name(&issue.alg) else {
                bail!("unknown algorithm {}", issue.alg);
            };
            let req = issue.request(role, alg);
            let cred = pki::issue(&req, &issuer, now()?, &pki::SystemRandom::new())?;
            fs::write_credential(&issue.out, &cred)?;
            println!(
                "{}.cert\n{}.key\nkey id {}",
                issue.out.display(),
                issue.out.display(),
                cred.cert.subject_kid()
            );
            Ok(ExitCode::SUCCESS)
        }
        PkiCommand::Revoke {
            issuer_cert,
            issuer_key,
            cert,
            kid,
            days,
            out,
        } => {
            let issuer = fs::read_credential(&issuer_cert, &issuer_key)?;
            let mut revoked = std::collections::BTreeSet::new();
            for c in &cert {
                revoked.insert(*fs::read_cert(c)?.subject_kid());
            }
            for k in &kid {
                let Some(k) = KeyId::from_hex(k) else {
                    return Err(crate::exit::usage(format!(
                        "{k:?} is not a key id of 32 hexadecimal digits"
                    )));
                };
                revoked.insert(k);
            }
            let now = now()?;
            let list = RevocationList {
                issuer: issuer.cert.claims().subject.clone(),
                this_update: now,
                next_update: now.saturating_add(days.max(1).saturating_mul(pki::DAY)),
                revoked,
            };
            let bytes = list.issue(&issuer.cert, &issuer.key)?;
            fs::write_public(&out, &bytes)?;
            println!("{} ({} key ids)", out.display(), list.revoked.len());
            Ok(ExitCode::SUCCESS)
        }
        PkiCommand::Show { file, json } => {
            let bytes = fs::read_any(&file)?;
            let text =
                diag::describe(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if json {
                crate::out::print(&format!("{:#}\n", show_json(&bytes, &text)))?;
            } else {
                crate::out::print(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        PkiCommand::Verify {
            trust,
            certs,
            crl,
            at,
        } => {
            let at = match at {
                Some(t) => t,
                None => now()?,
            };
            let mut roots = Vec::with_capacity(trust.len());
            for t in &trust {
                roots.push(fs::read_any(t)?);
            }
            // Leaf first on the command line, as in chain files; the validation takes the
            // root's side first.
            let mut chain = Vec::with_capacity(certs.len());
            for c in &certs {
                chain.extend(fs::chain_items(&fs::read_any(c)?));
            }
            chain.reverse();
            let mut lists = Vec::with_capacity(crl.len());
            for l in &crl {
                lists.push(fs::read_any(l)?);
            }
            let roots: Vec<&[u8]> = roots.iter().map(Vec::as_slice).collect();
            let chain: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
            let lists: Vec<&[u8]> = lists.iter().map(Vec::as_slice).collect();
            match pki::verify_chain_with_revocations(&roots, &chain, &lists, at) {
                Ok(v) => {
                    println!(
                        "valid: {} {:?} (key id {})",
                        v.role(),
                        v.leaf.subject,
                        v.leaf_kid
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("invalid ({}): {e}", e.code());
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
