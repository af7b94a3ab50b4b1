//! `report.cose`: the lab-signed report (`spec/06-conformance.md` §10.5–§10.7).
//!
//! A signed report is a `COSE_Sign1_Tagged` (RFC 9052) whose embedded payload is the exact
//! bytes of `report.json`, signed with the key of a certificate with role lab
//! (HRT-CONF-090, HRT-CONF-091):
//!
//! ```text
//! 18([
//!   protected:   << {
//!                     1 => -8 / -7,                           ; alg (verifiers also accept -19 / -9)
//!                     3 => "application/hearth-report+json",  ; content type
//!                     4 => kid,                               ; the lab key's 16-byte key id
//!                     15 => { 6 => iat },                     ; CWT Claims: signing time
//!                     -65537 => [+ bstr],                     ; lab certificate first, then its issuer
//!                   } >>,
//!   unprotected: {},
//!   payload:     bstr,      ; the exact bytes of report.json
//!   signature:   bstr,      ; 64 bytes
//! ])
//! ```
//!
//! with the 13 ASCII bytes `hearth-report` as external additional data.
//!
//! [`sign_report`] writes the protected header in the deterministic encoding of RFC 8949
//! §4.2.1 (keys in the order 1, 3, 4, 15, −65537, shortest heads). [`verify_report_with`]
//! carries out the steps of §10.6 in their order and names the failing step in its error
//! ([`ReportVerifyError::step`]); it checks the signature over the protected header bytes
//! and the payload exactly as received, never over a re-encoding.
//!
//! Choices where the chapter leaves a detail open:
//!
//! - **Sizes.** A signed report is at most [`MAX_SIGNED_REPORT_SIZE`] bytes (64 MiB, §10.6
//!   step 1); its protected header at most [`MAX_PROTECTED_SIZE`] bytes; the chain under
//!   −65537 holds 1 to [`MAX_CHAIN_LEN`] certificates of at most [`MAX_CERT_SIZE`] bytes
//!   each.
//! - **Encoding.** The outer structure is read without decoding arbitrary CBOR, so memory
//!   stays bounded by the input; indefinite-length items are refused there (no Hearth
//!   encoder writes them), and so are trailing bytes.
//! - **Exactly the parameters.** The protected header must hold the five labels and no
//!   other; a repeated label is malformed; the CWT Claims map must hold `iat` (6) and nothing
//!   else; the tag must be 18 (an untagged message is refused).
//! - **Signing time against `finished`.** `iat` is in whole seconds and `finished` in
//!   milliseconds: step 7 accepts `iat >= floor(finished / 1000)`, so that a report signed in
//!   the second its run ended verifies.
//! - **Revocation lists** (`--crl`) are verified against a trust anchor or a CA of the chain
//!   at the verifier's clock and apply whatever the signing time (§10.6).
//! - **Report structure.** Step 7 parses the payload as a [`Report`] and refuses any key that
//!   §10.2 does not define (HRT-CONF-081), by comparing the payload's JSON value with the
//!   value of the parsed report.
//! - **Signing.** [`sign_report`] refuses what HRT-CONF-092 forbids a lab to sign that the
//!   report itself shows (a partial run, `spec_parameters` false), a signing time before
//!   the run's end, a chain whose first certificate is not a lab certificate of the signing
//!   key, and payloads that do not parse as a report. Whether the suite was a released
//!   version is for the lab to know; the report does not say it.

use std::collections::BTreeSet;

use ciborium::value::{Integer, Value};
use hearth_model::time::parse_ms;
use hearth_security::cert::{CertError, Certificate, Role, TrustStore, ValidatedChain};
use hearth_security::cose::{sig_structure, sign1_with_header, ProtectedHeader};
use hearth_security::limits::{MAX_CERT_SIZE, MAX_CHAIN_LEN};
use hearth_security::revocation::{RevocationError, RevocationList, RevocationSet};
use hearth_security::strict;
use hearth_security::{validate_chain, Algorithm, CertClaims, KeyError, KeyId, Signer};

use crate::report::Report;

/// Content type of a signed report (protected header label 3).
pub const CONTENT_TYPE: &str = "application/hearth-report+json";
/// External additional data of a signed report's signature.
pub const EXTERNAL_AAD: &[u8] = b"hearth-report";
/// Private header label of the lab's certificate chain.
pub const LABEL_CHAIN: i64 = -65537;
/// Header label of the CWT Claims (RFC 9597).
pub const LABEL_CWT_CLAIMS: i64 = 15;
/// CWT claim key of `iat`.
pub const CLAIM_IAT: i64 = 6;
/// Largest `report.cose` a verifier reads (§10.6 step 1): 64 MiB.
pub const MAX_SIGNED_REPORT_SIZE: usize = 64 * 1024 * 1024;
/// Largest protected header accepted: the chain plus a small allowance for the other
/// parameters.
pub const MAX_PROTECTED_SIZE: usize = MAX_CHAIN_LEN * (MAX_CERT_SIZE + 5) + 256;
/// The `format` of a report this verifier knows.
pub const KNOWN_FORMAT: &str = "hearth-report";
/// The `format_version` of a report this verifier knows.
pub const KNOWN_FORMAT_VERSION: u32 = 1;

const COSE_SIGN1_TAG: u64 = 18;
const LABEL_ALG: i64 = 1;
const LABEL_CONTENT_TYPE: i64 = 3;
const LABEL_KID: i64 = 4;

/// Why a report could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The bytes to sign are not a report of §10.2.
    #[error("not a report: {0}")]
    NotAReport(String),
    /// The bytes exceed what a verifier reads.
    #[error("report of {len} bytes is too large to sign (the signed file may hold {max})")]
    TooLarge {
        /// Length of the report.
        len: usize,
        /// Limit of the signed file.
        max: usize,
    },
    /// The run was partial (HRT-CONF-092).
    #[error("the run was partial: a lab does not sign a partial run (HRT-CONF-092)")]
    Partial,
    /// A parameter the specification sets had another value (HRT-CONF-092).
    #[error("spec_parameters is false: a lab does not sign such a run (HRT-CONF-092)")]
    NonSpecParameters,
    /// The signing time lies before the end of the run.
    #[error("signing time {iat} is before the end of the run ({finished})")]
    BeforeFinished {
        /// Signing time, seconds since the Unix epoch.
        iat: u64,
        /// `finished` of the report.
        finished: String,
    },
    /// The chain is empty or too long.
    #[error("the lab chain holds {len} certificates; 1 to {max} are allowed")]
    ChainLength {
        /// Given length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// The first certificate of the chain is not a lab certificate.
    #[error("the first certificate of the chain has role {0}, not lab")]
    NotLab(Role),
    /// The signing key is not the key of the lab certificate.
    #[error("the signing key {key} is not the lab certificate's key {cert}")]
    KeyMismatch {
        /// Key id of the signing key.
        key: String,
        /// Key id of the certificate's key.
        cert: String,
    },
    /// The signer failed.
    #[error("signing failed: {0}")]
    Key(#[from] KeyError),
}

/// Why a signed report was refused; each variant belongs to one step of §10.6.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReportVerifyError {
    /// Step 1: the file exceeds [`MAX_SIGNED_REPORT_SIZE`].
    #[error("signed report of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Length read.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Step 1: not a `COSE_Sign1_Tagged`.
    #[error("not a COSE_Sign1_Tagged: {0}")]
    Malformed(String),
    /// Step 2: the headers are not those of `hearth-report-protected`.
    #[error("headers: {0}")]
    Header(String),
    /// Step 3: the chain does not validate against the trust anchors.
    #[error("lab chain: {0}")]
    Chain(CertError),
    /// Step 3: a revocation list is invalid.
    #[error("revocation list: {0}")]
    Revocation(RevocationError),
    /// Step 4: the leaf certificate does not have role lab.
    #[error("the signer's certificate {subject:?} has role {role}, not lab")]
    NotLab {
        /// Subject of the leaf certificate.
        subject: String,
        /// Its role.
        role: Role,
    },
    /// Step 4: the kid of the protected header is not the lab certificate's key.
    #[error("kid {kid} is not the key id {cert} of the lab certificate")]
    KidMismatch {
        /// The kid of the protected header.
        kid: String,
        /// The key id of the lab certificate.
        cert: String,
    },
    /// Step 5: the signature does not verify.
    #[error("bad signature")]
    BadSignature,
    /// Step 6: the signing time lies after the verifier's clock.
    #[error("signing time {iat} is later than the verifier's clock {now}")]
    SignedInFuture {
        /// Signing time.
        iat: u64,
        /// Verifier's clock.
        now: u64,
    },
    /// Step 7: the payload is not a report of §10.2.
    #[error("payload is not a report: {0}")]
    NotAReport(String),
    /// Step 7: `format` or `format_version` is unknown.
    #[error("unknown report format {format:?} version {version}")]
    UnknownFormat {
        /// `format`.
        format: String,
        /// `format_version`.
        version: u32,
    },
    /// Step 7: the report was signed before its run finished.
    #[error("signing time {iat} is earlier than the end of the run {finished}")]
    SignedBeforeFinished {
        /// Signing time.
        iat: u64,
        /// `finished` of the report.
        finished: String,
    },
}

impl ReportVerifyError {
    /// The step of §10.6 that failed (1 to 7).
    pub const fn step(&self) -> u8 {
        match self {
            Self::TooLarge { .. } | Self::Malformed(_) => 1,
            Self::Header(_) => 2,
            Self::Chain(_) | Self::Revocation(_) => 3,
            Self::NotLab { .. } | Self::KidMismatch { .. } => 4,
            Self::BadSignature => 5,
            Self::SignedInFuture { .. } => 6,
            Self::NotAReport(_)
            | Self::UnknownFormat { .. }
            | Self::SignedBeforeFinished { .. } => 7,
        }
    }

    /// Stable short code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::Header(_) => "header",
            Self::Chain(e) => e.code(),
            Self::Revocation(_) => "revocation_list",
            Self::NotLab { .. } => "not_lab",
            Self::KidMismatch { .. } => "kid_mismatch",
            Self::BadSignature => "bad_signature",
            Self::SignedInFuture { .. } => "signed_in_future",
            Self::NotAReport(_) => "not_a_report",
            Self::UnknownFormat { .. } => "unknown_format",
            Self::SignedBeforeFinished { .. } => "signed_before_finished",
        }
    }
}

/// A signed report that passed every step of §10.6.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedReport {
    /// The parsed report.
    pub report: Report,
    /// The payload: the exact bytes of `report.json` as signed.
    pub json: Vec<u8>,
    /// The claims of the lab certificate (`subject` names the lab).
    pub lab: CertClaims,
    /// Key id of the lab key.
    pub lab_kid: KeyId,
    /// The signing time (`iat`), seconds since the Unix epoch.
    pub signed_at: u64,
    /// The signature algorithm.
    pub alg: Algorithm,
    /// The validated chain.
    pub chain: ValidatedChain,
    /// The time the chain was validated at: `signed_at`, or the verifier's clock with
    /// [`VerifyOptions::at_now`].
    pub validated_at: u64,
}

/// Options of [`verify_report_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// The verifier's clock, seconds since the Unix epoch.
    pub now: u64,
    /// Validate the chain at `now` rather than at the signing time (`--at-now`).
    pub at_now: bool,
    /// Encoded revocation lists to apply (`--crl`).
    pub revocation_lists: &'a [&'a [u8]],
}

// ---------------------------------------------------------------------------------------
// Signing

/// Sign `json` (the exact bytes of `report.json`) with the lab key `lab_key` at time `iat`
/// (seconds since the Unix epoch). `lab_chain` is the lab's chain as the signed report
/// carries it: the lab certificate first, then its issuer if that is not the trust anchor.
///
/// # Errors
///
/// See [`SignError`]: the bytes must be a complete, non-partial report run with the
/// specified parameters that finished no later than `iat`, and the chain's first certificate
/// a lab certificate of `lab_key`.
pub fn sign_report(
    json: &[u8],
    lab_key: &(impl Signer + ?Sized),
    lab_chain: &[Certificate],
    iat: u64,
) -> Result<Vec<u8>, SignError> {
    // Room for the envelope around the payload.
    let max = MAX_SIGNED_REPORT_SIZE - MAX_PROTECTED_SIZE - 128;
    if json.len() > max {
        return Err(SignError::TooLarge {
            len: json.len(),
            max,
        });
    }
    let report = parse_report(json).map_err(|e| SignError::NotAReport(e.to_string()))?;
    if !report.signable() {
        return Err(if report.partial {
            SignError::Partial
        } else {
            SignError::NonSpecParameters
        });
    }
    match parse_ms(&report.finished) {
        Some(ms) if iat >= ms / 1000 => {}
        _ => {
            return Err(SignError::BeforeFinished {
                iat,
                finished: report.finished,
            })
        }
    }
    if lab_chain.is_empty() || lab_chain.len() > MAX_CHAIN_LEN {
        return Err(SignError::ChainLength {
            len: lab_chain.len(),
            max: MAX_CHAIN_LEN,
        });
    }
    let lab = &lab_chain[0];
    if lab.claims().role != Role::Lab {
        return Err(SignError::NotLab(lab.claims().role));
    }
    let kid = lab_key.key_id();
    if *lab.subject_kid() != kid {
        return Err(SignError::KeyMismatch {
            key: kid.to_hex(),
            cert: lab.subject_kid().to_hex(),
        });
    }
    Ok(sign1_with_header(
        lab_key,
        json,
        EXTERNAL_AAD,
        &protected_header(iat, lab_chain),
    )?)
}

fn int(v: i64) -> Value {
    Value::Integer(Integer::from(v))
}

/// The protected header beyond `alg` and `kid`: content type, CWT claims with `iat`, and the
/// lab's chain (`hearth_security::cose` writes it in deterministic order: 1, 3, 4, 15,
/// −65537).
fn protected_header(iat: u64, chain: &[Certificate]) -> ProtectedHeader {
    ProtectedHeader::new()
        .content_type(CONTENT_TYPE)
        .param(
            LABEL_CWT_CLAIMS,
            Value::Map(vec![(int(CLAIM_IAT), Value::Integer(Integer::from(iat)))]),
        )
        .param(
            LABEL_CHAIN,
            Value::Array(
                chain
                    .iter()
                    .map(|c| Value::Bytes(c.as_bytes().to_vec()))
                    .collect(),
            ),
        )
}

// ---------------------------------------------------------------------------------------
// Verification

/// Verify a signed report against `trust` with the verifier's clock `now` (seconds since the
/// Unix epoch): the chain is validated at the signing time, without revocation lists. See
/// [`verify_report_with`].
///
/// # Errors
///
/// The first step of §10.6 that fails, as a [`ReportVerifyError`].
pub fn verify_report(
    cose: &[u8],
    trust: &TrustStore,
    now: u64,
) -> Result<VerifiedReport, ReportVerifyError> {
    verify_report_with(
        cose,
        trust,
        &VerifyOptions {
            now,
            ..VerifyOptions::default()
        },
    )
}

/// The decoded envelope: what steps 1 and 2 establish.
struct Envelope {
    protected_raw: Vec<u8>,
    alg: Algorithm,
    kid: KeyId,
    iat: u64,
    chain: Vec<Certificate>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// Verify a signed report by every step of §10.6 (HRT-CONF-093), in order:
///
/// 1. at most [`MAX_SIGNED_REPORT_SIZE`] bytes, a `COSE_Sign1_Tagged` with an embedded
///    payload;
/// 2. a protected header of exactly `hearth-report-protected` with content type
///    [`CONTENT_TYPE`], an empty unprotected header;
/// 3. the chain under −65537 valid against `trust` at the signing time (or at
///    [`VerifyOptions::now`] with [`VerifyOptions::at_now`]), with the revocation lists
///    applied;
/// 4. the leaf certificate of role lab, its key the protected header's `kid`;
/// 5. the signature, with the external additional data [`EXTERNAL_AAD`], over the protected
///    header and payload bytes as received;
/// 6. the signing time not later than the verifier's clock;
/// 7. the payload a report of §10.2 of known format and version, finished no later than it
///    was signed.
///
/// Never panics; every failure names its step ([`ReportVerifyError::step`]).
///
/// # Errors
///
/// The first failing step, as a [`ReportVerifyError`].
pub fn verify_report_with(
    cose: &[u8],
    trust: &TrustStore,
    options: &VerifyOptions<'_>,
) -> Result<VerifiedReport, ReportVerifyError> {
    // Steps 1 and 2.
    let env = parse_envelope(cose)?;
    // Step 3: the header carries the lab certificate first; validation wants it last.
    let at = if options.at_now { options.now } else { env.iat };
    let anchor_first: Vec<Certificate> = env.chain.iter().rev().cloned().collect();
    let revoked = revocations(trust, &anchor_first, options)?;
    let chain =
        validate_chain(trust, &anchor_first, at, &revoked).map_err(ReportVerifyError::Chain)?;
    // Step 4.
    if chain.role() != Role::Lab {
        return Err(ReportVerifyError::NotLab {
            subject: chain.leaf.subject.clone(),
            role: chain.role(),
        });
    }
    if chain.leaf_kid != env.kid {
        return Err(ReportVerifyError::KidMismatch {
            kid: env.kid.to_hex(),
            cert: chain.leaf_kid.to_hex(),
        });
    }
    // Step 5.
    let key = chain.leaf_key();
    if key.algorithm() != env.alg {
        return Err(ReportVerifyError::BadSignature);
    }
    let tbs = sig_structure(&env.protected_raw, EXTERNAL_AAD, &env.payload);
    key.verify(env.alg, &tbs, &env.signature)
        .map_err(|_| ReportVerifyError::BadSignature)?;
    // Step 6.
    if env.iat > options.now {
        return Err(ReportVerifyError::SignedInFuture {
            iat: env.iat,
            now: options.now,
        });
    }
    // Step 7.
    let report =
        parse_report(&env.payload).map_err(|e| ReportVerifyError::NotAReport(e.to_string()))?;
    if report.format != KNOWN_FORMAT || report.format_version != KNOWN_FORMAT_VERSION {
        return Err(ReportVerifyError::UnknownFormat {
            format: report.format,
            version: report.format_version,
        });
    }
    let Some(finished_ms) = parse_ms(&report.finished) else {
        return Err(ReportVerifyError::NotAReport(format!(
            "finished {:?} is not an RFC 3339 time in UTC",
            report.finished
        )));
    };
    if env.iat < finished_ms / 1000 {
        return Err(ReportVerifyError::SignedBeforeFinished {
            iat: env.iat,
            finished: report.finished,
        });
    }
    Ok(VerifiedReport {
        report,
        json: env.payload,
        lab: chain.leaf.clone(),
        lab_kid: chain.leaf_kid,
        signed_at: env.iat,
        alg: env.alg,
        chain,
        validated_at: at,
    })
}

/// Verify each revocation list against a trust anchor or a CA of the chain.
fn revocations(
    trust: &TrustStore,
    chain: &[Certificate],
    options: &VerifyOptions<'_>,
) -> Result<RevocationSet, ReportVerifyError> {
    let mut set = RevocationSet::new();
    for list in options.revocation_lists {
        let kid = RevocationList::signer_kid(list).map_err(ReportVerifyError::Revocation)?;
        let issuer = trust
            .get(&kid)
            .or_else(|| chain.iter().find(|c| *c.subject_kid() == kid))
            .ok_or_else(|| {
                ReportVerifyError::Revocation(RevocationError::UntrustedIssuer(format!(
                    "signer {kid} is neither a trust anchor nor a CA of the lab chain"
                )))
            })?;
        set.add(list, issuer, options.now)
            .map_err(ReportVerifyError::Revocation)?;
    }
    Ok(set)
}

fn malformed(detail: impl Into<String>) -> ReportVerifyError {
    ReportVerifyError::Malformed(detail.into())
}

fn header_err(detail: impl Into<String>) -> ReportVerifyError {
    ReportVerifyError::Header(detail.into())
}

/// Decode exactly one CBOR item strictly (the profile of `hearth_security::strict`: no tag,
/// no float, no duplicate key, definite lengths, at most 4 levels deep); trailing bytes are an
/// error.
fn decode_cbor(bytes: &[u8]) -> Result<Value, String> {
    strict::decode(bytes, None, 4).map_err(|e| format!("invalid CBOR: {e}"))
}

fn as_i128(v: &Value) -> Option<i128> {
    match v {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

/// A reader of definite-length CBOR heads (RFC 8949 §3); indefinite lengths are refused.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, ReportVerifyError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or_else(|| malformed("truncated CBOR"))?;
        self.pos += 1;
        Ok(b)
    }

    /// Major type and argument of the next data item.
    fn head(&mut self) -> Result<(u8, u64), ReportVerifyError> {
        let initial = self.byte()?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        let arg = match info {
            0..=23 => u64::from(info),
            24..=27 => {
                let n = 1usize << (info - 24);
                let mut arg = 0u64;
                for _ in 0..n {
                    arg = (arg << 8) | u64::from(self.byte()?);
                }
                arg
            }
            31 => return Err(malformed("indefinite-length CBOR is not accepted")),
            _ => return Err(malformed("reserved CBOR additional information")),
        };
        Ok((major, arg))
    }

    fn take(&mut self, len: u64, what: &str) -> Result<&'a [u8], ReportVerifyError> {
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.pos.checked_add(l))
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| malformed(format!("truncated {what}")))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn bstr(&mut self, what: &str) -> Result<&'a [u8], ReportVerifyError> {
        match self.head()? {
            (2, len) => self.take(len, what),
            _ => Err(malformed(format!("{what} is not a byte string"))),
        }
    }
}

/// Steps 1 and 2.
fn parse_envelope(bytes: &[u8]) -> Result<Envelope, ReportVerifyError> {
    if bytes.len() > MAX_SIGNED_REPORT_SIZE {
        return Err(ReportVerifyError::TooLarge {
            len: bytes.len(),
            max: MAX_SIGNED_REPORT_SIZE,
        });
    }
    // The outer structure is read by hand, without decoding arbitrary CBOR: memory stays
    // bounded by the input whatever it holds.
    let mut r = Reader { bytes, pos: 0 };
    match r.head()? {
        (6, COSE_SIGN1_TAG) => {}
        (6, tag) => return Err(malformed(format!("CBOR tag {tag} instead of 18"))),
        _ => return Err(malformed("COSE_Sign1 tag 18 missing")),
    }
    if r.head()? != (4, 4) {
        return Err(malformed("not an array of 4 elements"));
    }
    let protected_raw = r.bstr("protected header")?.to_vec();
    // Step 2 (the unprotected header comes before the payload).
    match r.head()? {
        (5, 0) => {}
        (5, _) => return Err(header_err("the unprotected header is not empty")),
        _ => return Err(malformed("unprotected header is not a map")),
    }
    let payload = match r.head()? {
        (2, len) => r.take(len, "payload")?.to_vec(),
        (7, 22) => return Err(malformed("detached payload")),
        _ => return Err(malformed("payload is not a byte string")),
    };
    let signature = r.bstr("signature")?.to_vec();
    if r.pos != bytes.len() {
        return Err(malformed(format!(
            "{} trailing bytes after the COSE_Sign1",
            bytes.len() - r.pos
        )));
    }
    if protected_raw.len() > MAX_PROTECTED_SIZE {
        return Err(header_err(format!(
            "protected header of {} bytes exceeds {MAX_PROTECTED_SIZE}",
            protected_raw.len()
        )));
    }
    let Value::Map(entries) = decode_cbor(&protected_raw).map_err(header_err)? else {
        return Err(header_err("protected header is not a map"));
    };
    let mut seen = BTreeSet::new();
    let (mut alg, mut ct, mut kid, mut iat, mut chain) = (None, None, None, None, None);
    for (k, v) in entries {
        let Some(label) = as_i128(&k) else {
            return Err(header_err("protected header label is not an integer"));
        };
        if !seen.insert(label) {
            return Err(header_err(format!("label {label} repeated")));
        }
        match i64::try_from(label) {
            Ok(LABEL_ALG) => alg = Some(parse_alg(&v)?),
            Ok(LABEL_CONTENT_TYPE) => ct = Some(v),
            Ok(LABEL_KID) => kid = Some(v),
            Ok(LABEL_CWT_CLAIMS) => iat = Some(parse_claims(v)?),
            Ok(LABEL_CHAIN) => chain = Some(parse_chain(v)?),
            _ => return Err(header_err(format!("unexpected parameter {label}"))),
        }
    }
    let alg = alg.ok_or_else(|| header_err("no algorithm (label 1)"))?;
    match ct {
        Some(Value::Text(t)) if t == CONTENT_TYPE => {}
        Some(other) => {
            return Err(header_err(format!(
                "content type {other:?} instead of {CONTENT_TYPE:?}"
            )))
        }
        None => return Err(header_err("no content type (label 3)")),
    }
    let kid = match kid {
        Some(Value::Bytes(b)) => {
            KeyId::from_slice(&b).ok_or_else(|| header_err("kid is not 16 bytes"))?
        }
        Some(_) => return Err(header_err("kid is not a byte string")),
        None => return Err(header_err("no kid (label 4)")),
    };
    let iat = iat.ok_or_else(|| header_err("no CWT Claims with iat (label 15)"))?;
    let chain = chain.ok_or_else(|| header_err("no lab certificate chain (label -65537)"))?;
    if signature.len() != alg.signature_len() {
        return Err(malformed(format!(
            "signature of {} bytes instead of {}",
            signature.len(),
            alg.signature_len()
        )));
    }
    Ok(Envelope {
        protected_raw,
        alg,
        kid,
        iat,
        chain,
        payload,
        signature,
    })
}

fn parse_alg(v: &Value) -> Result<Algorithm, ReportVerifyError> {
    as_i128(v)
        .and_then(|i| i64::try_from(i).ok())
        .and_then(Algorithm::from_cose_id)
        .ok_or_else(|| header_err(format!("algorithm {v:?} is not accepted")))
}

fn parse_claims(v: Value) -> Result<u64, ReportVerifyError> {
    let Value::Map(entries) = v else {
        return Err(header_err("CWT Claims (label 15) is not a map"));
    };
    let Ok([(k, v)]) = <[(Value, Value); 1]>::try_from(entries) else {
        return Err(header_err("CWT Claims (label 15) must hold exactly iat"));
    };
    if as_i128(&k) != Some(i128::from(CLAIM_IAT)) {
        return Err(header_err("CWT Claims (label 15) must hold exactly iat"));
    }
    as_i128(&v)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| header_err("iat is not an unsigned integer"))
}

fn parse_chain(v: Value) -> Result<Vec<Certificate>, ReportVerifyError> {
    let Value::Array(items) = v else {
        return Err(header_err("the chain (label -65537) is not an array"));
    };
    if items.is_empty() || items.len() > MAX_CHAIN_LEN {
        return Err(header_err(format!(
            "the chain holds {} certificates; 1 to {MAX_CHAIN_LEN} are allowed",
            items.len()
        )));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Bytes(b) => Certificate::from_bytes(&b)
                .map_err(|e| header_err(format!("certificate {} of the chain: {e}", i + 1))),
            _ => Err(header_err(format!(
                "certificate {} of the chain is not a byte string",
                i + 1
            ))),
        })
        .collect()
}

/// Parse `report.json` and refuse keys that §10.2 does not define.
fn parse_report(json: &[u8]) -> Result<Report, String> {
    let report = Report::from_json(json).map_err(|e| e.to_string())?;
    let given: serde_json::Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let known = serde_json::to_value(&report).map_err(|e| e.to_string())?;
    if given != known {
        return Err("it holds keys or values that report.json does not define (§10.2)".into());
    }
    Ok(report)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::Report;
    use crate::summary::tests::sample_report;
    use hearth_security::pki::{self, IssueRequest, TestPki};
    use hearth_security::KeyPair;
    use proptest::prelude::*;

    /// 2026-11-27T14:03:12Z: the time the sample PKI is made at.
    pub(crate) const NOW: u64 = 1_795_788_192;

    pub(crate) fn test_pki() -> TestPki {
        TestPki::generate(NOW - 86_400, &pki::SystemRandom::new()).expect("pki")
    }

    fn trust(pki: &TestPki) -> TrustStore {
        let mut t = TrustStore::new();
        t.add_root(pki.root.cert.clone()).expect("root");
        t
    }

    fn signed(pki: &TestPki) -> (Vec<u8>, Vec<u8>) {
        let json = sample_report().to_json_bytes();
        let cose = sign_report(
            &json,
            &pki.lab.key,
            std::slice::from_ref(&pki.lab.cert),
            NOW,
        )
        .expect("sign");
        (json, cose)
    }

    /// A fresh PKI, the sample report signed by its lab, and a trust store of its root.
    fn signed_and_trusted() -> (TestPki, Vec<u8>, TrustStore) {
        let pki = test_pki();
        let (_, cose) = signed(&pki);
        let t = trust(&pki);
        (pki, cose, t)
    }

    // HRT-CONF-090, HRT-CONF-091, HRT-CONF-093
    #[test]
    fn sign_then_verify() {
        let pki = test_pki();
        let (json, cose) = signed(&pki);
        assert_eq!(cose[0], 0xd2, "tag 18");
        let v = verify_report(&cose, &trust(&pki), NOW + 10).expect("valid");
        assert_eq!(v.json, json);
        assert_eq!(v.report, sample_report());
        assert_eq!(v.lab.subject, "hearth-test-lab");
        assert_eq!(v.lab_kid, *pki.lab.key.key_id());
        assert_eq!(v.signed_at, NOW);
        assert_eq!(v.validated_at, NOW);
        // The payload is embedded byte for byte.
        assert!(cose.windows(json.len()).any(|w| w == json.as_slice()));
    }

    #[test]
    fn protected_header_is_exactly_the_profile() {
        let pki = test_pki();
        let (_, cose) = signed(&pki);
        let Value::Tag(18, inner) = strict::decode(&cose, Some(18), 8).expect("cbor") else {
            panic!("tag")
        };
        let Value::Array(items) = *inner else {
            panic!("array")
        };
        assert_eq!(items[1], Value::Map(vec![]));
        let Value::Bytes(p) = &items[0] else {
            panic!("bstr")
        };
        let Value::Map(h) = decode_cbor(p).expect("header") else {
            panic!("map")
        };
        let labels: Vec<i128> = h.iter().map(|(k, _)| as_i128(k).expect("int")).collect();
        assert_eq!(labels, [1, 3, 4, 15, -65537]);
        assert_eq!(h[0].1, int(-8));
        assert_eq!(h[1].1, Value::Text(CONTENT_TYPE.into()));
        assert_eq!(
            h[3].1,
            Value::Map(vec![(int(6), Value::Integer(NOW.into()))])
        );
        assert_eq!(
            h[4].1,
            Value::Array(vec![Value::Bytes(pki.lab.cert.as_bytes().to_vec())])
        );
        let Value::Bytes(sig) = &items[3] else {
            panic!("sig")
        };
        assert_eq!(sig.len(), 64);
    }

    #[test]
    fn es256_lab_key() {
        let pki = test_pki();
        let lab = pki::issue(
            &IssueRequest {
                role: Role::Lab,
                subject: "p256-lab".into(),
                vendor_id: None,
                device_type: None,
                model: None,
                days: 30,
                alg: Algorithm::Es256,
            },
            &pki.root,
            NOW - 100,
            &pki::SystemRandom::new(),
        )
        .expect("lab");
        let json = sample_report().to_json_bytes();
        let cose =
            sign_report(&json, &lab.key, std::slice::from_ref(&lab.cert), NOW).expect("sign");
        let v = verify_report(&cose, &trust(&pki), NOW).expect("valid");
        assert_eq!(v.alg, Algorithm::Es256);
        assert_eq!(v.lab.subject, "p256-lab");
    }

    // HRT-CONF-090: only a lab signs reports.
    #[test]
    fn vendor_signature_rejected() {
        let pki = test_pki();
        let json = sample_report().to_json_bytes();
        assert_eq!(
            sign_report(
                &json,
                &pki.vendor.key,
                std::slice::from_ref(&pki.vendor.cert),
                NOW
            ),
            Err(SignError::NotLab(Role::Vendor))
        );
        // Forge it anyway: the verifier refuses it at step 4.
        let cose = forge(&pki.vendor.key, &pki.vendor.cert, &json);
        let err = verify_report(&cose, &trust(&pki), NOW).expect_err("vendor");
        assert!(
            matches!(
                err,
                ReportVerifyError::NotLab {
                    role: Role::Vendor,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.step(), 4);
        // A controller certificate likewise.
        let err = verify_report(
            &forge(&pki.controller.key, &pki.controller.cert, &json),
            &trust(&pki),
            NOW,
        )
        .expect_err("controller");
        assert_eq!(err.code(), "not_lab");
    }

    fn forge(key: &KeyPair, cert: &Certificate, json: &[u8]) -> Vec<u8> {
        sign1_with_header(
            key,
            json,
            EXTERNAL_AAD,
            &protected_header(NOW, std::slice::from_ref(cert)),
        )
        .expect("sign")
    }

    #[test]
    fn other_root_rejected() {
        let pki = test_pki();
        let other = test_pki();
        let (_, cose) = signed(&pki);
        let err = verify_report(&cose, &trust(&other), NOW).expect_err("other root");
        assert_eq!(err.step(), 3);
        assert_eq!(err.code(), "untrusted_issuer");
    }

    #[test]
    fn time_checks() {
        let (pki, cose, t) = signed_and_trusted();
        // Signed in the verifier's future.
        let err = verify_report(&cose, &t, NOW - 1).expect_err("future");
        assert_eq!(err.step(), 6);
        // Validated at the signing time: still valid long after the lab certificate expired.
        let late = NOW + 20 * 365 * 86_400;
        let v = verify_report(&cose, &t, late).expect("valid at iat");
        assert_eq!(v.validated_at, NOW);
        // --at-now gives the stricter answer.
        let err = verify_report_with(
            &cose,
            &t,
            &VerifyOptions {
                now: late,
                at_now: true,
                revocation_lists: &[],
            },
        )
        .expect_err("expired today");
        assert_eq!(err.code(), "expired");
        // A signing time before the run finished.
        let json = sample_report().to_json_bytes();
        let finished = parse_ms(&sample_report().finished).expect("finished") / 1000;
        assert!(matches!(
            sign_report(
                &json,
                &pki.lab.key,
                std::slice::from_ref(&pki.lab.cert),
                finished - 1
            ),
            Err(SignError::BeforeFinished { .. })
        ));
        assert!(sign_report(
            &json,
            &pki.lab.key,
            std::slice::from_ref(&pki.lab.cert),
            finished
        )
        .is_ok());
    }

    #[test]
    fn revoked_lab_rejected() {
        let pki = test_pki();
        let (_, cose) = signed(&pki);
        let list = RevocationList {
            issuer: pki.root.cert.claims().subject.clone(),
            this_update: NOW,
            next_update: NOW + 86_400,
            revoked: [*pki.lab.cert.subject_kid()].into_iter().collect(),
        }
        .issue(&pki.root.cert, &pki.root.key)
        .expect("crl");
        let lists: &[&[u8]] = &[&list];
        let err = verify_report_with(
            &cose,
            &trust(&pki),
            &VerifyOptions {
                now: NOW + 10,
                at_now: false,
                revocation_lists: lists,
            },
        )
        .expect_err("revoked");
        assert_eq!(err.code(), "revoked");
    }

    // HRT-CONF-092
    #[test]
    fn refuses_to_sign_partial_or_non_spec_runs() {
        let pki = test_pki();
        let chain = [pki.lab.cert.clone()];
        let mut r = sample_report();
        r.partial = true;
        assert_eq!(
            sign_report(&r.to_json_bytes(), &pki.lab.key, &chain, NOW),
            Err(SignError::Partial)
        );
        let mut r = sample_report();
        r.spec_parameters = false;
        assert_eq!(
            sign_report(&r.to_json_bytes(), &pki.lab.key, &chain, NOW),
            Err(SignError::NonSpecParameters)
        );
        assert!(matches!(
            sign_report(b"{}", &pki.lab.key, &chain, NOW),
            Err(SignError::NotAReport(_))
        ));
        assert!(matches!(
            sign_report(&sample_report().to_json_bytes(), &pki.root.key, &chain, NOW),
            Err(SignError::KeyMismatch { .. })
        ));
        assert!(matches!(
            sign_report(&sample_report().to_json_bytes(), &pki.lab.key, &[], NOW),
            Err(SignError::ChainLength { .. })
        ));
    }

    #[test]
    fn unknown_keys_and_formats_rejected() {
        let pki = test_pki();
        let mut value = serde_json::to_value(sample_report()).expect("value");
        value["extra"] = serde_json::Value::Bool(true);
        let json = serde_json::to_vec(&value).expect("json");
        let cose = forge(&pki.lab.key, &pki.lab.cert, &json);
        let err = verify_report(&cose, &trust(&pki), NOW).expect_err("extra key");
        assert_eq!(err.code(), "not_a_report");
        let mut r: Report = sample_report();
        r.format_version = 2;
        let cose = forge(&pki.lab.key, &pki.lab.cert, &r.to_json_bytes());
        let err = verify_report(&cose, &trust(&pki), NOW).expect_err("version");
        assert_eq!(err.code(), "unknown_format");
    }

    #[test]
    fn envelope_variants_rejected() {
        let (_, cose, t) = signed_and_trusted();
        // Untagged.
        assert_eq!(
            verify_report(&cose[1..], &t, NOW).map_err(|e| e.step()),
            Err(1)
        );
        // Non-empty unprotected header: replace a0 by {4: h'00'}.
        let Value::Tag(_, inner) = strict::decode(&cose, Some(18), 8).expect("cbor") else {
            panic!("tag")
        };
        let Value::Array(mut items) = *inner else {
            panic!("array")
        };
        items[1] = Value::Map(vec![(int(4), Value::Bytes(vec![0]))]);
        let mut bad = Vec::new();
        ciborium::ser::into_writer(
            &Value::Tag(18, Box::new(Value::Array(items.clone()))),
            &mut bad,
        )
        .expect("encode");
        assert_eq!(verify_report(&bad, &t, NOW).map_err(|e| e.step()), Err(2));
        // Detached payload.
        items[1] = Value::Map(vec![]);
        items[2] = Value::Null;
        let mut bad = Vec::new();
        ciborium::ser::into_writer(&Value::Tag(18, Box::new(Value::Array(items))), &mut bad)
            .expect("encode");
        assert_eq!(
            verify_report(&bad, &t, NOW).map_err(|e| e.code()),
            Err("malformed")
        );
        // Huge declared lengths, trailing bytes, indefinite lengths.
        for bad in [
            &[
                0xd2, 0x84, 0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ][..],
            &[0xd2, 0x84, 0x5a, 0xff, 0xff, 0xff, 0xff][..],
            &[0xd2, 0x9f, 0xff][..],
            &[0xd2, 0x84, 0x5f, 0xff][..],
            &[0xd2][..],
            &[][..],
        ] {
            assert_eq!(
                verify_report(bad, &t, NOW).map_err(|e| e.step()),
                Err(1),
                "{bad:02x?}"
            );
        }
        let mut trailing = cose.clone();
        trailing.push(0);
        assert_eq!(
            verify_report(&trailing, &t, NOW).map_err(|e| e.code()),
            Err("malformed")
        );
        // Too large.
        let huge = vec![0u8; MAX_SIGNED_REPORT_SIZE + 1];
        assert_eq!(
            verify_report(&huge, &t, NOW).map_err(|e| e.code()),
            Err("too_large")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let pki = FIXTURE.with(|f| f.0.root.cert.clone());
            let mut t = TrustStore::new();
            t.add_root(pki).expect("root");
            prop_assert!(verify_report(&bytes, &t, NOW).is_err());
        }

        #[test]
        fn never_panics_on_cose_shaped_bytes(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
            FIXTURE.with(|f| {
                let t = trust(&f.0);
                let mut bytes = vec![0xd2, 0x84];
                bytes.extend_from_slice(&tail);
                prop_assert!(verify_report(&bytes, &t, NOW).is_err());
                // A valid prefix followed by junk.
                let cut = tail.len() % f.1.len();
                let mut bytes = f.1[..cut].to_vec();
                bytes.extend_from_slice(&tail);
                prop_assert!(verify_report(&bytes, &t, NOW).is_err());
                Ok(())
            })?;
        }

        #[test]
        fn any_flipped_byte_rejected(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            FIXTURE.with(|f| {
                let (pki, cose) = (&f.0, &f.1);
                let mut bad = cose.clone();
                let i = pos.index(bad.len());
                bad[i] ^= 1 << bit;
                prop_assert!(verify_report(&bad, &trust(pki), NOW).is_err(), "flip at {}", i);
                Ok(())
            })?;
        }
    }

    thread_local! {
        static FIXTURE: (TestPki, Vec<u8>) = {
            let pki = test_pki();
            let (_, cose) = signed(&pki);
            (pki, cose)
        };
    }

    #[test]
    fn every_single_byte_change_rejected() {
        let (_, cose, t) = signed_and_trusted();
        for i in 0..cose.len() {
            let mut bad = cose.clone();
            bad[i] ^= 0x01;
            assert!(verify_report(&bad, &t, NOW).is_err(), "byte {i}");
        }
    }
}
