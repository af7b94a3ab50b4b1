//! Who a runtime is: its certificate chain and key, the roots it trusts, its counter store.
//!
//! Files follow the layout `hearth pki init` writes (`root.cert`, `vendor.cert`,
//! `vendor.key`, `controller.cert`, `controller.key`, …). Devices keep their own credential
//! under `devices/` in the same folder; [`Identity::provision_device`] issues one from the
//! vendor CA when it is missing, as a factory would.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hearth_security::cert::TrustStore;
use hearth_security::fs::{self, FsError};
use hearth_security::key::KeyPair;
use hearth_security::pki::{self, IssueRequest};
use hearth_security::replay::{CounterStore, StoreError};

/// Why an identity could not be loaded or issued.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A file could not be read or written.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A certificate could not be issued.
    #[error("issuing a certificate: {0}")]
    Issue(#[from] hearth_security::cert::CertError),
    /// The folder could not be created.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The seconds since the Unix epoch, for certificate and time checks.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The milliseconds since the Unix epoch, for the informative message time.
pub fn unix_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A signing identity with its chain and the roots it trusts.
#[derive(Clone)]
pub struct Identity {
    /// The certificate's subject: the id this identity signs as.
    pub id: String,
    /// The certificate's vendor id claim, if any.
    pub vendor_id: Option<u16>,
    /// The signing key.
    pub key: Arc<KeyPair>,
    /// The certificate chain, leaf first, without the root.
    pub chain: Vec<Vec<u8>>,
    /// The trust anchors for everything this identity receives.
    pub trust: TrustStore,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("id", &self.id)
            .field("vendor_id", &self.vendor_id)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// Load a leaf credential, the intermediate certificates above it (nearest first) and the
    /// trusted roots.
    pub fn load(
        cert: &Path,
        key: &Path,
        intermediates: &[PathBuf],
        roots: &[PathBuf],
    ) -> Result<Self, IdentityError> {
        let cred = fs::read_credential(cert, key)?;
        let mut chain = vec![cred.cert.as_bytes().to_vec()];
        for path in intermediates {
            chain.push(fs::read_cert(path)?.as_bytes().to_vec());
        }
        let mut trust = TrustStore::new();
        for path in roots {
            trust.add_root(fs::read_cert(path)?)?;
        }
        let claims = cred.cert.claims();
        Ok(Self {
            id: claims.subject.clone(),
            vendor_id: claims.vendor_id,
            key: Arc::new(cred.key),
            chain,
            trust,
        })
    }

    /// The controller of a PKI folder written by `hearth pki init`.
    pub fn controller(dir: &Path) -> Result<Self, IdentityError> {
        Self::load(
            &dir.join("controller.cert"),
            &dir.join("controller.key"),
            &[],
            &[dir.join("root.cert")],
        )
    }

    /// A device of a PKI folder: `devices/{id}.cert` and `.key`, issued by `vendor.cert`. If
    /// the credential does not exist yet, it is issued now from `vendor.key` (factory
    /// provisioning) and written there.
    pub fn provision_device(
        dir: &Path,
        device_id: &str,
        device_type: &str,
        model: &str,
    ) -> Result<Self, IdentityError> {
        let devices = dir.join("devices");
        let cert = devices.join(format!("{device_id}.cert"));
        let key = devices.join(format!("{device_id}.key"));
        if !cert.exists() || !key.exists() {
            std::fs::create_dir_all(&devices).map_err(|source| IdentityError::Io {
                path: devices.clone(),
                source,
            })?;
            let vendor = fs::read_credential(&dir.join("vendor.cert"), &dir.join("vendor.key"))?;
            let request = IssueRequest::device(device_id, device_type, model);
            let issued = pki::issue(
                &request,
                &vendor,
                unix_now(),
                &ring::rand::SystemRandom::new(),
            )?;
            fs::write_credential(&devices.join(device_id), &issued)?;
        }
        Self::load(
            &cert,
            &key,
            &[dir.join("vendor.cert")],
            &[dir.join("root.cert")],
        )
    }

    /// What a protocol core needs of this identity: id, vendor id, chain, key and roots.
    pub fn credential(&self) -> hearth_node::Credential {
        let signer = self.key.clone();
        let chain = self.chain.clone();
        hearth_node::Credential::new(&self.id, self.vendor_id, chain, signer, self.trust.clone())
    }

    /// The counter file next to a device credential, or next to the controller's.
    pub fn counter_path(dir: &Path, id: &str, device: bool) -> PathBuf {
        if device {
            dir.join("devices").join(format!("{id}.counter"))
        } else {
            dir.join(format!("{id}.counter"))
        }
    }
}

impl Identity {
    /// The file next to a device's counter file where it keeps its ACL and the roots
    /// commissioning added (HRT-COM-065).
    pub fn access_path(dir: &Path, id: &str) -> PathBuf {
        dir.join("devices").join(format!("{id}.acl"))
    }
}

/// A counter store of any kind, boxed so runtimes need no type parameter.
pub struct DynStore(pub Box<dyn CounterStore + Send>);

impl CounterStore for DynStore {
    fn load(&mut self) -> Result<Option<u64>, StoreError> {
        self.0.load()
    }

    fn store(&mut self, reserved_until: u64) -> Result<(), StoreError> {
        self.0.store(reserved_until)
    }
}
