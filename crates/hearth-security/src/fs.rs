//! The only module of this crate that touches the file system: key and certificate
//! files, the test PKI directory, a file-backed [`CounterStore`] and a file-backed
//! [`AccessStore`].
//!
//! Private key files are created with mode 0600 on Unix (`HRT-SEC-016`). Every read is
//! bounded. Both stores write atomically ([`write_atomic`]): temporary file, flush to disk, rename.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::access::{AccessState, AccessStore, AccessStoreError, MAX_ACCESS_STATE_SIZE};
use crate::acl::{AclEntry, Privilege};
use crate::cert::{CertError, Certificate};
use crate::key::{KeyError, KeyPair};
use crate::limits::{MAX_CERT_SIZE, MAX_KEY_SIZE, MAX_REVOCATION_LIST_SIZE};
use crate::pki::{lab_acl, Credential, LabCredentials, TestPki};
use crate::replay::{CounterStore, StoreError};

/// Errors of file operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than the bound for its kind.
    #[error("{path}: larger than {max} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Limit.
        max: usize,
    },
    /// The file does not hold a valid key.
    #[error("{path}: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: KeyError,
    },
    /// The file does not hold a valid certificate.
    #[error("{path}: {source}")]
    Cert {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: CertError,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FsError + '_ {
    move |source| FsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Read a whole file of at most `max` bytes.
pub fn read_bounded(path: &Path, max: usize) -> Result<Vec<u8>, FsError> {
    let file = File::open(path).map_err(io(path))?;
    let mut buf = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(io(path))?;
    if buf.len() > max {
        return Err(FsError::TooLarge {
            path: path.to_owned(),
            max,
        });
    }
    Ok(buf)
}

/// Read any Hearth security file (certificate, revocation list or key) for display.
pub fn read_any(path: &Path) -> Result<Vec<u8>, FsError> {
    read_bounded(path, MAX_REVOCATION_LIST_SIZE)
}

/// Read a certificate file.
pub fn read_cert(path: &Path) -> Result<Certificate, FsError> {
    let bytes = read_bounded(path, MAX_CERT_SIZE)?;
    Certificate::from_bytes(&bytes).map_err(|source| FsError::Cert {
        path: path.to_owned(),
        source,
    })
}

/// Most certificates in a chain file.
pub const MAX_CHAIN_CERTS: usize = 4;

/// Read a certificate chain file (`03-security.md` §13.5): a CBOR array of certificates, leaf
/// first. A file holding a single certificate is read as a chain of one.
pub fn read_chain(path: &Path) -> Result<Vec<Certificate>, FsError> {
    let bytes = read_bounded(path, MAX_CERT_SIZE * MAX_CHAIN_CERTS + 16)?;
    let malformed = |why: &str| FsError::Cert {
        path: path.to_owned(),
        source: CertError::Malformed(why.to_owned()),
    };
    match ciborium::de::from_reader::<ciborium::Value, _>(bytes.as_slice()) {
        Ok(ciborium::Value::Array(items)) => {
            if items.is_empty() || items.len() > MAX_CHAIN_CERTS {
                return Err(malformed("a chain file holds 1 to 4 certificates"));
            }
            items
                .iter()
                .map(|item| match item {
                    ciborium::Value::Bytes(b) => {
                        Certificate::from_bytes(b).map_err(|source| FsError::Cert {
                            path: path.to_owned(),
                            source,
                        })
                    }
                    _ => Err(malformed("a chain file is an array of byte strings")),
                })
                .collect()
        }
        _ => Certificate::from_bytes(&bytes)
            .map(|c| vec![c])
            .map_err(|source| FsError::Cert {
                path: path.to_owned(),
                source,
            }),
    }
}

/// The certificates in the bytes of a certificate file or of a chain file, leaf first, as
/// bytes: the items of a chain file (a CBOR array of 1 to [`MAX_CHAIN_CERTS`] byte
/// strings), or the bytes themselves, which a chain validation then parses and judges.
pub fn chain_items(bytes: &[u8]) -> Vec<Vec<u8>> {
    if let Ok(ciborium::Value::Array(items)) =
        ciborium::de::from_reader::<ciborium::Value, _>(bytes)
    {
        if (1..=MAX_CHAIN_CERTS).contains(&items.len())
            && items.iter().all(|i| matches!(i, ciborium::Value::Bytes(_)))
        {
            return items
                .into_iter()
                .filter_map(|i| i.into_bytes().ok())
                .collect();
        }
    }
    vec![bytes.to_vec()]
}

/// Write a certificate chain file: a CBOR array of the certificates, leaf first.
pub fn write_chain(path: &Path, chain: &[&Certificate]) -> Result<(), FsError> {
    let items = chain
        .iter()
        .map(|c| ciborium::Value::Bytes(c.as_bytes().to_vec()))
        .collect();
    let mut out = Vec::new();
    ciborium::ser::into_writer(&ciborium::Value::Array(items), &mut out).map_err(|e| {
        FsError::Cert {
            path: path.to_owned(),
            source: CertError::Malformed(e.to_string()),
        }
    })?;
    write_public(path, &out)
}

/// Read a private key file.
pub fn read_key(path: &Path) -> Result<KeyPair, FsError> {
    let bytes = read_bounded(path, MAX_KEY_SIZE)?;
    KeyPair::from_cose_key(&bytes).map_err(|source| FsError::Key {
        path: path.to_owned(),
        source,
    })
}

/// Write a public file (certificate, public key).
pub fn write_public(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    fs::write(path, bytes).map_err(io(path))
}

/// Write a private key file, readable and writable by the owner only.
pub fn write_key(path: &Path, key: &KeyPair) -> Result<(), FsError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io(path))?;
    // The mode only applies on creation; tighten a pre-existing file too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io(path))?;
    }
    f.write_all(&key.to_cose_key()).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Write `PREFIX.cert` and `PREFIX.key`.
pub fn write_credential(prefix: &Path, cred: &Credential) -> Result<(), FsError> {
    let mut cert = prefix.as_os_str().to_owned();
    cert.push(".cert");
    let mut key = prefix.as_os_str().to_owned();
    key.push(".key");
    write_public(Path::new(&cert), cred.cert.as_bytes())?;
    write_key(Path::new(&key), &cred.key)
}

/// Read `PREFIX.cert` and `PREFIX.key`, checking that they belong together.
pub fn read_credential(cert: &Path, key: &Path) -> Result<Credential, FsError> {
    let c = read_cert(cert)?;
    let k = read_key(key)?;
    if c.claims().key != *k.public_key() {
        return Err(FsError::Key {
            path: key.to_owned(),
            source: KeyError::Rejected("the key does not match the certificate".into()),
        });
    }
    Ok(Credential { cert: c, key: k })
}

/// The file names `hearth pki init` writes.
pub const TEST_PKI_FILES: [&str; 8] = [
    "root.cert",
    "root.key",
    "vendor.cert",
    "vendor.key",
    "lab.cert",
    "lab.key",
    "controller.cert",
    "controller.key",
];

/// Write a test PKI into `dir` (created if missing).
pub fn write_test_pki(dir: &Path, pki: &TestPki) -> Result<(), FsError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    for (name, cred) in [
        ("root", &pki.root),
        ("vendor", &pki.vendor),
        ("lab", &pki.lab),
        ("controller", &pki.controller),
    ] {
        write_credential(&dir.join(name), cred)?;
    }
    Ok(())
}

/// The files [`write_lab_credentials`] writes: the authority's certificate and key, and a
/// key, a certificate and a chain (leaf first) for each controller of
/// [`LabCredentials::CONTROLLERS`]. An ICS names them (`spec/06-conformance.md` §3.8, §3.9).
pub const LAB_FILES: [&str; 14] = [
    "authority.cert",
    "authority.key",
    "manage.cert",
    "manage.key",
    "manage.chain",
    "operate.cert",
    "operate.key",
    "operate.chain",
    "view.cert",
    "view.key",
    "view.chain",
    "stranger.cert",
    "stranger.key",
    "stranger.chain",
];

/// Write the lab's credentials into `dir` (created if missing), named as [`LAB_FILES`].
pub fn write_lab_credentials(dir: &Path, lab: &LabCredentials) -> Result<(), FsError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    write_credential(&dir.join("authority"), &lab.authority)?;
    for c in &lab.controllers {
        write_credential(&dir.join(c.name), &c.credential)?;
        let chain: Vec<&Certificate> = c.chain.iter().collect();
        write_chain(&dir.join(format!("{}.chain", c.name)), &chain)?;
    }
    Ok(())
}

/// The access-control entries of a device commissioned in the lab of `dir`, a folder of
/// [`write_lab_credentials`]: [`LabCredentials::acl`], read back from the certificates.
pub fn read_lab_acl(dir: &Path) -> Result<Vec<AclEntry>, FsError> {
    let authority = read_cert(&dir.join("authority.cert"))?;
    let mut controllers = Vec::new();
    for (name, privilege) in [
        ("manage", Privilege::Manage),
        ("operate", Privilege::Operate),
        ("view", Privilege::View),
    ] {
        controllers.push((read_cert(&dir.join(format!("{name}.cert")))?, privilege));
    }
    Ok(lab_acl(
        &authority,
        controllers.iter().map(|(c, p)| (c, *p)),
    ))
}

/// `new` and `path` of a store kept in one file, the `path` field of the type.
macro_rules! file_store {
    ($store:ident) => {
        impl $store {
            /// A store at `path` (the file need not exist yet).
            pub fn new(path: impl Into<PathBuf>) -> Self {
                Self { path: path.into() }
            }

            /// The file path.
            pub fn path(&self) -> &Path {
                &self.path
            }
        }
    };
}

/// A [`CounterStore`] in a file holding the reservation as a CBOR unsigned integer.
#[derive(Debug, Clone)]
pub struct FileCounterStore {
    path: PathBuf,
}

file_store!(FileCounterStore);

impl CounterStore for FileCounterStore {
    fn load(&mut self) -> Result<Option<u64>, StoreError> {
        let bytes = match read_bounded(&self.path, 16) {
            Ok(b) => b,
            Err(FsError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(FsError::Io { source, .. }) => return Err(StoreError::Io(source)),
            Err(e) => return Err(StoreError::Corrupt(e.to_string())),
        };
        let value = crate::cbor::decode(&bytes).map_err(StoreError::Corrupt)?;
        crate::cbor::as_u64(&value)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt("not an unsigned integer".into()))
    }

    fn store(&mut self, reserved_until: u64) -> Result<(), StoreError> {
        let bytes = crate::cbor::encode(&ciborium::value::Value::from(reserved_until));
        Ok(write_atomic(&self.path, &bytes)?)
    }
}

/// Replace the file at `path` with `bytes` so that a reader, or a power loss, finds either
/// the old contents or the new, never a mix: temporary file, flush to disk, rename, and the
/// rename made durable where the platform allows opening a directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// An [`AccessStore`] in a file holding the CBOR of an [`AccessState`] (HRT-COM-065),
/// replaced atomically on every store. A missing file is a device as it left the factory;
/// a damaged one is an error that names the file.
#[derive(Debug, Clone)]
pub struct FileAccessStore {
    path: PathBuf,
}

file_store!(FileAccessStore);

impl AccessStore for FileAccessStore {
    fn load(&mut self) -> Result<Option<AccessState>, AccessStoreError> {
        let corrupt =
            |why: String| AccessStoreError::Corrupt(format!("{}: {why}", self.path.display()));
        let bytes = match read_bounded(&self.path, MAX_ACCESS_STATE_SIZE) {
            Ok(b) => b,
            Err(FsError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(None)
            }
            Err(FsError::Io { source, .. }) => {
                return Err(AccessStoreError::Io(std::io::Error::new(
                    source.kind(),
                    format!("{}: {source}", self.path.display()),
                )))
            }
            Err(e) => return Err(corrupt(e.to_string())),
        };
        AccessState::from_cbor(&bytes).map(Some).map_err(corrupt)
    }

    fn store(&mut self, state: &AccessState) -> Result<(), AccessStoreError> {
        write_atomic(&self.path, &state.to_cbor()).map_err(|e| {
            AccessStoreError::Io(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", self.path.display()),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::SendCounter;

    // HRT-SEC-091, HRT-SEC-092, HRT-SEC-093
    #[test]
    fn file_counter_store_survives_reboot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("counter");
        let mut c = SendCounter::open(FileCounterStore::new(&path), 1000).expect("open");
        for want in 0..1500 {
            assert_eq!(c.next_value().expect("next"), want);
        }
        drop(c);
        let mut store = FileCounterStore::new(&path);
        assert_eq!(store.load().expect("load"), Some(2000));
        let mut c = SendCounter::open(store, 1000).expect("reopen");
        assert_eq!(c.next_value().expect("next"), 2000);
        fs::write(&path, b"junk").expect("write");
        assert!(matches!(
            FileCounterStore::new(&path).load(),
            Err(StoreError::Corrupt(_))
        ));
    }

    /// HRT-COM-065: what the store keeps is what the next start loads; no file is a device
    /// fresh from the factory, a damaged file an error naming it.
    #[test]
    fn file_access_store_survives_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fan.acl");
        assert!(FileAccessStore::new(&path)
            .load()
            .expect("no file")
            .is_none());
        let acl = crate::acl::Acl::from_entries(vec![AclEntry {
            subject: crate::acl::AclSubject::Key(crate::key::KeyId([7; 16])),
            privilege: Privilege::Manage,
        }])
        .expect("acl");
        let state = AccessState::new(acl);
        FileAccessStore::new(&path).store(&state).expect("store");
        assert_eq!(
            FileAccessStore::new(&path).load().expect("load"),
            Some(state)
        );
        assert!(
            !dir.path().join("fan.acl.tmp").exists(),
            "renamed into place"
        );
        fs::write(&path, b"junk").expect("write");
        let err = FileAccessStore::new(&path).load().expect_err("damaged");
        assert!(matches!(err, AccessStoreError::Corrupt(_)), "{err}");
        assert!(err.to_string().contains("fan.acl"), "{err}");
    }

    /// The lab's files are written under the names an ICS uses, read back as chains, and
    /// give back the access-control entries they were issued with.
    #[test]
    fn lab_credentials_round_trip_through_their_files() {
        let rng = crate::pki::SystemRandom::new();
        let now = 1_800_000_000;
        let pki = TestPki::generate(now, &rng).expect("pki");
        let lab = LabCredentials::generate(&pki.root, now, &rng).expect("lab");
        let dir = tempfile::tempdir().expect("tempdir");
        write_lab_credentials(dir.path(), &lab).expect("write");
        for name in LAB_FILES {
            assert!(dir.path().join(name).is_file(), "{name}");
        }
        for c in &lab.controllers {
            let chain = read_chain(&dir.path().join(format!("{}.chain", c.name))).expect("chain");
            assert_eq!(chain, c.chain, "{}", c.name);
            read_credential(
                &dir.path().join(format!("{}.cert", c.name)),
                &dir.path().join(format!("{}.key", c.name)),
            )
            .expect("the key belongs to the certificate");
        }
        assert_eq!(read_lab_acl(dir.path()).expect("acl"), lab.acl());
    }

    // HRT-SEC-016
    #[cfg(unix)]
    #[test]
    fn private_key_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("k.key");
        let k = KeyPair::from_ed25519_seed(&[1; 32]).expect("seed");
        write_key(&path, &k).expect("write");
        let mode = fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_key(&path).expect("read").public_key(), k.public_key());
    }
}
