//! Keys, certificates, chains, signatures, replay windows and access-control lists:
//! `hearth-security` and the sealing and opening of `hearth-wire`, with credentials read from
//! a PKI folder (`hearth pki init`, or the one a simulated fleet writes).

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use hearth_mqtt::identity::{unix_now, DynStore};
use hearth_security::acl::{Acl as RustAcl, Operation};
use hearth_security::cert::{
    validate_chain, CertClaims, Certificate as RustCert, Role, TrustStore, ValidatedChain,
};
use hearth_security::fs::{
    read_any, read_cert, read_chain as rust_read_chain, read_key, FileCounterStore,
};
use hearth_security::key::{KeyId, KeyPair, PublicKey};
use hearth_security::replay::{
    MemoryCounterStore, ReplayWindow as RustWindow, SendCounter, DEFAULT_BLOCK,
};
use hearth_security::revocation::RevocationSet;
use hearth_security::verify_sign1 as rust_verify_sign1;
use hearth_wire::seal::{seal as rust_seal, Envelope};
use hearth_wire::{Limits, Receiver as RustReceiver, Sender as RustSender};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::convert::{body_from_py, invalid, kind_from_name, message_from_py, message_to_py};
use crate::errors::{raise, Detail, HearthError, VerifyError};
use crate::lock;

/// A [`VerifyError`] with a short code and a requirement.
fn verify_error(message: impl Into<String>, code: &str, requirement: Option<&str>) -> PyErr {
    raise::<VerifyError>(
        message,
        Detail {
            code: Some(code.to_owned()),
            requirement: requirement.map(str::to_owned),
            ..Detail::default()
        },
    )
}

/// A [`HearthError`] for a file that could not be read.
pub(crate) fn fs_error(e: &hearth_security::fs::FsError) -> PyErr {
    raise::<HearthError>(e.to_string(), Detail::default())
}

/// A certificate error as a [`VerifyError`] (`HRT-SEC-064`: chains are validated).
fn cert_error(e: &hearth_security::cert::CertError) -> PyErr {
    verify_error(e.to_string(), e.code(), Some("HRT-SEC-064"))
}

fn hex_kid(k: &KeyId) -> String {
    k.to_hex()
}

fn parse_kid(s: &str) -> PyResult<KeyId> {
    KeyId::from_hex(s)
        .ok_or_else(|| invalid(format!("{s:?} is not a key id of 32 hexadecimal digits")))
}

/// A CWT certificate: a subject bound to a key by its issuer (`spec/03-security.md` §6).
#[pyclass(module = "hearth._hearth", frozen)]
#[derive(Clone)]
pub(crate) struct Certificate {
    pub(crate) inner: RustCert,
}

impl From<RustCert> for Certificate {
    fn from(inner: RustCert) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl Certificate {
    /// Parse an encoded certificate (a COSE_Sign1 over the CWT claims).
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        RustCert::from_bytes(data)
            .map(Self::from)
            .map_err(|e| raise::<crate::errors::DecodeError>(e.to_string(), Detail::code(e.code())))
    }

    /// Read a certificate file (`root.cert`, `devices/fan-1.cert`, …).
    #[staticmethod]
    fn load(path: PathBuf) -> PyResult<Self> {
        read_cert(&path).map(Self::from).map_err(|e| fs_error(&e))
    }

    /// The encoded certificate.
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.as_bytes())
    }

    /// The subject: a device id, a vendor or lab name, a controller id.
    #[getter]
    fn subject(&self) -> String {
        self.inner.claims().subject.clone()
    }

    /// The issuer's subject.
    #[getter]
    fn issuer(&self) -> String {
        self.inner.claims().issuer.clone()
    }

    /// `root`, `vendor`, `device`, `lab` or `controller`.
    #[getter]
    fn role(&self) -> &'static str {
        self.inner.claims().role.name()
    }

    /// The vendor id claim, if any.
    #[getter]
    fn vendor_id(&self) -> Option<u16> {
        self.inner.claims().vendor_id
    }

    /// The device type claim (devices), if any.
    #[getter]
    fn device_type(&self) -> Option<String> {
        self.inner.claims().device_type.clone()
    }

    /// The model claim (devices), if any.
    #[getter]
    fn model(&self) -> Option<String> {
        self.inner.claims().model.clone()
    }

    /// When it was issued, seconds since the Unix epoch.
    #[getter]
    fn issued_at(&self) -> u64 {
        self.inner.claims().issued_at
    }

    /// Valid from, seconds since the Unix epoch.
    #[getter]
    fn not_before(&self) -> u64 {
        self.inner.claims().not_before
    }

    /// Valid until (exclusive), seconds since the Unix epoch.
    #[getter]
    fn expires(&self) -> u64 {
        self.inner.claims().expires
    }

    /// The subject key's id, 32 hexadecimal digits.
    #[getter]
    fn key_id(&self) -> String {
        hex_kid(self.inner.subject_kid())
    }

    /// The issuer key's id, 32 hexadecimal digits.
    #[getter]
    fn issuer_key_id(&self) -> String {
        hex_kid(self.inner.issuer_kid())
    }

    /// Whether it is self-signed (a root).
    fn is_self_signed(&self) -> bool {
        self.inner.is_self_signed()
    }

    fn __repr__(&self) -> String {
        let c = self.inner.claims();
        format!(
            "Certificate({} {:?} issued by {:?}, key id {})",
            c.role,
            c.subject,
            c.issuer,
            self.inner.subject_kid()
        )
    }

    fn __eq__(&self, other: &Self) -> bool {
        self.inner.as_bytes() == other.inner.as_bytes()
    }

    fn __hash__(&self) -> u64 {
        let b = self.inner.subject_kid().0;
        u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
    }
}

/// A certificate from a `Certificate`, encoded bytes, or a path to a file.
pub(crate) fn cert_from_py(obj: &Bound<'_, PyAny>) -> PyResult<RustCert> {
    if let Ok(c) = obj.cast::<Certificate>() {
        return Ok(c.get().inner.clone());
    }
    if let Ok(b) = obj.extract::<Vec<u8>>() {
        if !obj.is_instance_of::<pyo3::types::PyString>() {
            return RustCert::from_bytes(&b).map_err(|e| cert_error(&e));
        }
    }
    let path: PathBuf = obj
        .extract()
        .map_err(|_| invalid("a certificate is a Certificate, its bytes, or a path to its file"))?;
    read_cert(&path).map_err(|e| fs_error(&e))
}

/// A trust store of the roots given.
pub(crate) fn trust_from_py(roots: &Bound<'_, PyAny>) -> PyResult<TrustStore> {
    let mut trust = TrustStore::new();
    // One root or several.
    let single = roots.cast::<Certificate>().is_ok()
        || roots.is_instance_of::<PyBytes>()
        || roots.is_instance_of::<pyo3::types::PyString>()
        || roots.hasattr("__fspath__")?;
    if single {
        trust
            .add_root(cert_from_py(roots)?)
            .map_err(|e| cert_error(&e))?;
        return Ok(trust);
    }
    for r in roots.try_iter()? {
        trust
            .add_root(cert_from_py(&r?)?)
            .map_err(|e| cert_error(&e))?;
    }
    Ok(trust)
}

/// Every certificate of a chain file, leaf first.
#[pyfunction]
pub(crate) fn read_chain(path: PathBuf) -> PyResult<Vec<Certificate>> {
    rust_read_chain(&path)
        .map(|c| c.into_iter().map(Certificate::from).collect())
        .map_err(|e| fs_error(&e))
}

fn chain_to_py(py: Python<'_>, v: &ValidatedChain) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("role", v.role().name())?;
    d.set_item("subject", &v.leaf.subject)?;
    d.set_item("leaf_kid", hex_kid(&v.leaf_kid))?;
    d.set_item("ca_kids", v.ca_kids.iter().map(hex_kid).collect::<Vec<_>>())?;
    d.set_item("valid_from", v.valid_from)?;
    d.set_item("valid_until", v.valid_until)?;
    d.set_item("vendor_id", v.leaf.vendor_id)?;
    d.set_item("device_type", &v.leaf.device_type)?;
    d.set_item("model", &v.leaf.model)?;
    Ok(d.into_any().unbind())
}

/// Validate a certificate chain — trust-anchor side first, leaf last — against the trusted
/// roots at `now` (seconds; the system clock if omitted), after applying each revocation
/// list `(issuer certificate, list bytes)`. Returns the validated chain; raises
/// `VerifyError` whose `code` is that of the security vectors.
#[pyfunction]
#[pyo3(signature = (trust, chain, revocation_lists = None, now = None))]
pub(crate) fn verify_chain(
    py: Python<'_>,
    trust: &Bound<'_, PyAny>,
    chain: &Bound<'_, PyAny>,
    revocation_lists: Option<&Bound<'_, PyAny>>,
    now: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let now = now.unwrap_or_else(unix_now);
    let trust = trust_from_py(trust)?;
    let mut revoked = RevocationSet::new();
    if let Some(lists) = revocation_lists {
        for entry in lists.try_iter()? {
            let (issuer, list): (Bound<'_, PyAny>, Vec<u8>) = entry?.extract().map_err(|_| {
                invalid("revocation lists are (issuer certificate, list bytes) pairs")
            })?;
            let issuer = cert_from_py(&issuer)?;
            revoked
                .add(&list, &issuer, now)
                .map_err(|e| verify_error(e.to_string(), e.code(), Some("HRT-SEC-082")))?;
        }
    }
    let mut certs = Vec::new();
    for c in chain.try_iter()? {
        certs.push(cert_from_py(&c?)?);
    }
    let v = validate_chain(&trust, &certs, now, &revoked).map_err(|e| cert_error(&e))?;
    chain_to_py(py, &v)
}

/// Verify a Hearth COSE_Sign1 (`HRT-SEC-030`…`HRT-SEC-036`) with `aad` (the topic below the
/// root) against known public keys (COSE_Key bytes). Returns `kid` (hex), `alg` (COSE id)
/// and `payload`; raises `VerifyError` with the vectors' `code`.
#[pyfunction]
pub(crate) fn verify_sign1(
    py: Python<'_>,
    message: &[u8],
    aad: &[u8],
    keys: Vec<Vec<u8>>,
) -> PyResult<Py<PyAny>> {
    let mut known = HashMap::new();
    for k in &keys {
        let key = PublicKey::from_cose_key(k).map_err(|e| {
            raise::<crate::errors::DecodeError>(format!("COSE_Key: {e}"), Detail::code("malformed"))
        })?;
        known.insert(key.key_id(), key);
    }
    let v = rust_verify_sign1(message, aad, &known).map_err(|e| {
        let requirement = match e {
            hearth_security::VerifyError::BadSignature => "HRT-SEC-034",
            hearth_security::VerifyError::UnknownKid(_) => "HRT-SEC-033",
            hearth_security::VerifyError::UnsupportedAlgorithm(_)
            | hearth_security::VerifyError::AlgorithmMismatch => "HRT-SEC-031",
            _ => "HRT-SEC-030",
        };
        verify_error(e.to_string(), e.code(), Some(requirement))
    })?;
    let d = PyDict::new(py);
    d.set_item("kid", hex_kid(&v.kid))?;
    d.set_item("alg", v.alg.cose_id())?;
    d.set_item("payload", PyBytes::new(py, &v.payload))?;
    Ok(d.into_any().unbind())
}

/// The 64-entry sliding replay window of one sender (`HRT-SEC-096`…`HRT-SEC-100`).
#[pyclass(module = "hearth._hearth")]
pub(crate) struct ReplayWindow {
    inner: Mutex<RustWindow>,
}

fn replay_error(e: &hearth_security::ReplayError) -> PyErr {
    let requirement = if e.code() == "counter_too_old" {
        "HRT-SEC-098"
    } else {
        "HRT-SEC-097"
    };
    verify_error(e.to_string(), e.code(), Some(requirement))
}

#[pymethods]
impl ReplayWindow {
    /// A fresh window: the first counter may take any value.
    #[new]
    fn new() -> Self {
        Self {
            inner: Mutex::new(RustWindow::new()),
        }
    }

    /// Accept `counter` (the window moves) or raise `VerifyError` (`replayed`,
    /// `counter_too_old`) and leave it unchanged.
    fn accept(&self, counter: u64) -> PyResult<()> {
        lock(&self.inner)
            .accept(counter)
            .map_err(|e| replay_error(&e))
    }

    /// Whether `counter` would be accepted, without moving the window.
    fn check(&self, counter: u64) -> PyResult<()> {
        lock(&self.inner)
            .check(counter)
            .map_err(|e| replay_error(&e))
    }
}

/// A device's access-control list (`spec/03-security.md` §13).
#[pyclass(module = "hearth._hearth", frozen)]
pub(crate) struct Acl {
    inner: RustAcl,
}

fn acl_error(e: &hearth_security::AclError) -> PyErr {
    verify_error(e.to_string(), e.code(), Some("HRT-SEC-119"))
}

#[pymethods]
impl Acl {
    /// Decode an encoded `hearth-acl`.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        RustAcl::from_cbor(data)
            .map(|inner| Self { inner })
            .map_err(|e| acl_error(&e))
    }

    /// Whether a requester whose validated chain has `leaf_kid`, `role` and `ca_kids`
    /// (nearest first) may do `operation` (`read`, `write`, `invoke`, `manage-acl`,
    /// `manage-trust`, `manage-firmware`); raises `VerifyError` (`unauthorized`,
    /// `insufficient_privilege`, `wrong_signer`) if not.
    fn authorize(
        &self,
        leaf_kid: &str,
        role: &str,
        ca_kids: Vec<String>,
        operation: &str,
    ) -> PyResult<()> {
        let op = match operation {
            "read" => Operation::Read,
            "write" => Operation::Write,
            "invoke" => Operation::Invoke,
            "manage-acl" => Operation::ManageAcl,
            "manage-trust" => Operation::ManageTrust,
            "manage-firmware" => Operation::ManageFirmware,
            other => return Err(invalid(format!("unknown operation {other:?}"))),
        };
        let role =
            Role::from_name(role).ok_or_else(|| invalid(format!("unknown role {role:?}")))?;
        // Only the chain's key ids and role matter to the check; the rest is placeholder.
        let placeholder = KeyPair::from_ed25519_seed(&[0; 32])
            .map_err(|e| raise::<HearthError>(e.to_string(), Detail::default()))?;
        let chain = ValidatedChain {
            leaf: CertClaims {
                issuer: String::new(),
                subject: String::new(),
                issued_at: 0,
                not_before: 0,
                expires: 1,
                key: *placeholder.public_key(),
                role,
                vendor_id: None,
                device_type: None,
                model: None,
            },
            leaf_kid: parse_kid(leaf_kid)?,
            ca_kids: ca_kids
                .iter()
                .map(|k| parse_kid(k))
                .collect::<PyResult<_>>()?,
            valid_from: 0,
            valid_until: 1,
        };
        self.inner.authorize(&chain, op).map_err(|e| acl_error(&e))
    }

    fn __len__(&self) -> usize {
        self.inner.entries().len()
    }
}

/// A signing key with its certificate chain (leaf first, without the root).
#[pyclass(module = "hearth._hearth", frozen)]
pub(crate) struct Credential {
    pub(crate) key: Arc<KeyPair>,
    pub(crate) chain: Vec<RustCert>,
    /// The counter file beside the key (`name.counter`), as the suite and the Controller
    /// keep it for this credential.
    pub(crate) counter_file: Option<PathBuf>,
}

impl Credential {
    /// The credential `name` of a PKI folder: `name.key` with `name.chain` if present, else
    /// `name.cert`.
    pub(crate) fn from_pki(pki: &FsPath, name: &str) -> PyResult<Self> {
        let key = read_key(&pki.join(format!("{name}.key"))).map_err(|e| fs_error(&e))?;
        let chain_file = pki.join(format!("{name}.chain"));
        let chain = if chain_file.exists() {
            rust_read_chain(&chain_file).map_err(|e| fs_error(&e))?
        } else {
            vec![read_cert(&pki.join(format!("{name}.cert"))).map_err(|e| fs_error(&e))?]
        };
        let mut cred = Self::checked(key, chain)?;
        cred.counter_file = Some(pki.join(format!("{name}.counter")));
        Ok(cred)
    }

    fn checked(key: KeyPair, chain: Vec<RustCert>) -> PyResult<Self> {
        let Some(leaf) = chain.first() else {
            return Err(invalid("a credential needs a certificate"));
        };
        if leaf.subject_kid() != &key.public_key().key_id() {
            return Err(invalid("the certificate is not for this key"));
        }
        Ok(Self {
            key: Arc::new(key),
            chain,
            counter_file: None,
        })
    }

    /// The chain as bytes, leaf first.
    pub(crate) fn chain_bytes(&self) -> Vec<Vec<u8>> {
        self.chain.iter().map(|c| c.as_bytes().to_vec()).collect()
    }

    /// The subject of the leaf.
    pub(crate) fn subject(&self) -> String {
        self.chain
            .first()
            .map(|c| c.claims().subject.clone())
            .unwrap_or_default()
    }
}

#[pymethods]
impl Credential {
    /// Load credential `name` (`controller`, `lab`, `vendor`, `devices/fan-1`, …) of a PKI
    /// folder.
    #[staticmethod]
    #[pyo3(signature = (pki, name = "controller"))]
    fn load(pki: PathBuf, name: &str) -> PyResult<Self> {
        Self::from_pki(&pki, name)
    }

    /// Load a key file and a certificate or chain file (leaf first).
    #[staticmethod]
    fn load_files(key: PathBuf, chain: PathBuf) -> PyResult<Self> {
        let key = read_key(&key).map_err(|e| fs_error(&e))?;
        let chain = rust_read_chain(&chain).map_err(|e| fs_error(&e))?;
        Self::checked(key, chain)
    }

    /// The leaf certificate's subject: the id this credential signs as.
    #[getter(subject)]
    fn py_subject(&self) -> String {
        self.subject()
    }

    /// The key's id, 32 hexadecimal digits.
    #[getter]
    fn key_id(&self) -> String {
        hex_kid(&self.key.public_key().key_id())
    }

    /// The certificates, leaf first.
    #[getter]
    fn chain(&self) -> Vec<Certificate> {
        self.chain.iter().cloned().map(Certificate::from).collect()
    }

    /// The leaf certificate.
    #[getter]
    fn certificate(&self) -> Option<Certificate> {
        self.chain.first().cloned().map(Certificate::from)
    }

    fn __repr__(&self) -> String {
        format!(
            "Credential({:?}, key id {})",
            self.subject(),
            self.key.public_key().key_id()
        )
    }
}

fn seal_error(e: &hearth_wire::SealError) -> PyErr {
    raise::<HearthError>(e.to_string(), Detail::default())
}

/// Encode a message (its dict, counter included) and sign it with `credential` for `topic`
/// (below the root) as external AAD: the bytes to publish.
#[pyfunction]
pub(crate) fn seal<'py>(
    py: Python<'py>,
    message: &Bound<'py, PyAny>,
    topic: &str,
    credential: &Credential,
) -> PyResult<Bound<'py, PyBytes>> {
    let msg = message_from_py(message)?;
    hearth_wire::codec::check_header(&msg).map_err(|e| crate::model::decode_error(&e))?;
    let bytes = rust_seal(&msg, topic, credential.key.as_ref(), &Limits::STANDARD)
        .map_err(|e| seal_error(&e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Numbers and signs messages for one credential, its counter kept in a file (never
/// reused across runs) or, without one, in memory.
#[pyclass(module = "hearth._hearth")]
pub(crate) struct Sender {
    inner: Mutex<RustSender<DynStore>>,
}

#[pymethods]
impl Sender {
    /// A sender for `credential`; `counter_file` persists its counter (by default the file
    /// beside the credential's key in its PKI folder, `name.counter`; `False` for memory
    /// only).
    #[new]
    #[pyo3(signature = (credential, counter_file = None))]
    fn new(credential: &Credential, counter_file: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let subject = credential.subject();
        let file: Option<PathBuf> = match counter_file {
            Some(f) if f.is_instance_of::<pyo3::types::PyBool>() => {
                if f.extract::<bool>()? {
                    credential.counter_file.clone()
                } else {
                    None
                }
            }
            Some(f) => Some(f.extract()?),
            None => credential.counter_file.clone(),
        };
        let store = match file {
            Some(path) => DynStore(Box::new(FileCounterStore::new(path))),
            None => DynStore(Box::new(MemoryCounterStore::default())),
        };
        let counter = SendCounter::open(store, DEFAULT_BLOCK)
            .map_err(|e| raise::<HearthError>(format!("send counter: {e}"), Detail::default()))?;
        let signer: Arc<dyn hearth_security::Signer + Send + Sync> = credential.key.clone();
        Ok(Self {
            inner: Mutex::new(RustSender::new(
                subject,
                signer,
                credential.chain_bytes(),
                counter,
            )),
        })
    }

    /// Number, encode and sign a message of `kind` with `body` for `topic` (below the root).
    #[pyo3(signature = (kind, body, topic, request_id = None, target = None, time_ms = None, with_chain = false))]
    #[allow(clippy::too_many_arguments)]
    fn seal<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        body: &Bound<'py, PyAny>,
        topic: &str,
        request_id: Option<u64>,
        target: Option<String>,
        time_ms: Option<u64>,
        with_chain: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let body = body_from_py(kind_from_name(kind)?, body)?;
        let envelope = Envelope {
            request_id,
            target,
            time_ms,
            with_chain,
        };
        let bytes = lock(&self.inner)
            .seal(body, topic, &envelope)
            .map_err(|e| seal_error(&e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The id it signs as.
    #[getter]
    fn id(&self) -> String {
        lock(&self.inner).id().to_owned()
    }
}

/// An open error as a [`VerifyError`] (or [`crate::errors::DecodeError`] for a payload that
/// is not a message), with its requirement.
fn open_error(e: &hearth_wire::OpenError) -> PyErr {
    let code = match e {
        hearth_wire::OpenError::TooLarge { .. } => "too_large".to_owned(),
        hearth_wire::OpenError::Envelope(v) => v.code().to_owned(),
        hearth_wire::OpenError::Decode(_) => "malformed".to_owned(),
        hearth_wire::OpenError::UnknownSigner(_) => "unknown_kid".to_owned(),
        hearth_wire::OpenError::Certificate(c) => c.code().to_owned(),
        hearth_wire::OpenError::ChainKeyMismatch { .. } => "chain_key_mismatch".to_owned(),
        hearth_wire::OpenError::SenderMismatch { .. } => "sender_mismatch".to_owned(),
        hearth_wire::OpenError::Replay(r) => r.code().to_owned(),
        _ => "rejected".to_owned(),
    };
    let detail = Detail {
        code: Some(code),
        requirement: Some(e.requirement().to_owned()),
        ..Detail::default()
    };
    match e {
        hearth_wire::OpenError::Decode(_) => {
            raise::<crate::errors::DecodeError>(e.to_string(), detail)
        }
        _ => raise::<VerifyError>(e.to_string(), detail),
    }
}

/// Opens received messages: validates carried chains against the trusted roots, verifies
/// signatures with the topic as AAD, decodes, checks the sender and keeps a replay window
/// per sender key and topic.
#[pyclass(module = "hearth._hearth")]
pub(crate) struct Receiver {
    inner: Mutex<RustReceiver>,
}

fn opened_to_py(py: Python<'_>, o: &hearth_wire::Opened) -> PyResult<Py<PyAny>> {
    let d = PyDict::new(py);
    d.set_item("message", message_to_py(py, &o.message)?)?;
    d.set_item("signer", chain_to_py(py, &o.peer.chain)?)?;
    Ok(d.into_any().unbind())
}

#[pymethods]
impl Receiver {
    /// A receiver trusting `trust`: root certificates (objects, bytes or paths).
    #[new]
    fn new(trust: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            inner: Mutex::new(RustReceiver::new(trust_from_py(trust)?)),
        })
    }

    /// Authenticate and decode `data` received on `topic` (below the root) at `now`
    /// (seconds; the system clock if omitted): `{"message": …, "signer": …}`. Raises
    /// `VerifyError` (or `DecodeError`) with the requirement the rejection enforces.
    #[pyo3(signature = (data, topic, now = None))]
    fn open(
        &self,
        py: Python<'_>,
        data: &[u8],
        topic: &str,
        now: Option<u64>,
    ) -> PyResult<Py<PyAny>> {
        let now = now.unwrap_or_else(unix_now);
        let opened = lock(&self.inner)
            .open(data, topic, now)
            .map_err(|e| open_error(&e))?;
        opened_to_py(py, &opened)
    }
}

/// Open one message with a fresh receiver trusting `trust` (see `Receiver.open`).
#[pyfunction]
#[pyo3(signature = (data, topic, trust, now = None))]
pub(crate) fn open(
    py: Python<'_>,
    data: &[u8],
    topic: &str,
    trust: &Bound<'_, PyAny>,
    now: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let mut receiver = RustReceiver::new(trust_from_py(trust)?);
    let opened = receiver
        .open(data, topic, now.unwrap_or_else(unix_now))
        .map_err(|e| open_error(&e))?;
    opened_to_py(py, &opened)
}

/// Read any PKI file's bytes (certificate, chain, key, revocation list), bounded in size.
#[pyfunction]
pub(crate) fn read_file<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyBytes>> {
    read_any(&path)
        .map(|b| PyBytes::new(py, &b))
        .map_err(|e| fs_error(&e))
}

/// Register this module's classes and functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Certificate>()?;
    m.add_class::<Credential>()?;
    m.add_class::<Sender>()?;
    m.add_class::<Receiver>()?;
    m.add_class::<ReplayWindow>()?;
    m.add_class::<Acl>()?;
    m.add_function(wrap_pyfunction!(read_chain, m)?)?;
    m.add_function(wrap_pyfunction!(verify_chain, m)?)?;
    m.add_function(wrap_pyfunction!(verify_sign1, m)?)?;
    m.add_function(wrap_pyfunction!(seal, m)?)?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(read_file, m)?)?;
    Ok(())
}
