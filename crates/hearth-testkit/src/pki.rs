//! A test PKI in a temporary folder, as `hearth pki init` writes it: root, vendor CA of the
//! test vendor, lab and controller credentials (`root.cert`, `root.key`, …), plus access lists
//! for its root and device credentials issued by its vendor.
//!
//! Not the `hearth pki` command (the CLI's tests run that binary); this is the same library
//! code, called in-process, with keys from the system's randomness and the clock's time.

use std::ops::Deref;
use std::path::Path;

use hearth_security::acl::{Acl, AclEntry, AclSubject, Privilege};
use hearth_security::cert::Certificate;
use hearth_security::fs::{read_cert, write_test_pki};
use hearth_security::pki::{issue, Credential, IssueRequest, TestPki};
use ring::rand::SystemRandom;
use tempfile::TempDir;

/// A test PKI written into a temporary folder that lives as long as this value. It derefs
/// to the [`TestPki`] it holds, so `pki.root.cert` names the root certificate.
#[derive(Debug)]
pub struct Pki {
    dir: TempDir,
    pki: TestPki,
}

/// A fresh test PKI valid from now, in a new temporary folder.
pub fn pki() -> Pki {
    let dir = tempfile::tempdir().expect("temporary folder");
    let pki = write_pki(dir.path());
    Pki { dir, pki }
}

impl Pki {
    /// The folder holding the credentials (and whatever a test provisions next to them).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// An access list that grants `privilege` to every controller under this root.
    pub fn acl(&self, privilege: Privilege) -> Acl {
        root_acl(&self.pki.root.cert, privilege)
    }
}

impl Deref for Pki {
    type Target = TestPki;
    fn deref(&self) -> &TestPki {
        &self.pki
    }
}

/// A test PKI valid from `now` (Unix seconds), held in memory only.
pub fn generate(now: u64) -> TestPki {
    TestPki::generate(now, &SystemRandom::new()).expect("test PKI")
}

/// A fresh test PKI valid from now, written into `dir` (created if missing) as
/// `hearth pki init` writes it.
pub fn write_pki(dir: &Path) -> TestPki {
    let pki = generate(crate::unix_now());
    write_test_pki(dir, &pki).expect("write the test PKI");
    pki
}

/// An access list that grants `privilege` to every controller certified under `root`.
pub fn root_acl(root: &Certificate, privilege: Privilege) -> Acl {
    Acl::from_entries(vec![AclEntry {
        subject: AclSubject::Ca(*root.subject_kid()),
        privilege,
    }])
    .expect("a one-entry access list")
}

/// [`root_acl`] for the root certificate written in `dir` (`root.cert`).
pub fn root_acl_in(dir: &Path, privilege: Privilege) -> Acl {
    let root = read_cert(&dir.join("root.cert")).expect("root certificate");
    root_acl(&root, privilege)
}

/// A device credential of the PKI's vendor: `subject` of `device_type` and `model`, valid
/// for `days` from `now`, with an Ed25519 key.
pub fn issue_device(
    pki: &TestPki,
    subject: &str,
    (device_type, model): (&str, &str),
    days: u64,
    now: u64,
) -> Credential {
    let request = IssueRequest {
        days,
        ..IssueRequest::device(subject, device_type, model)
    };
    issue(&request, &pki.vendor, now, &SystemRandom::new()).expect("device certificate")
}

/// A controller of an ecosystem of its own, as commissioning tests need one: a fresh root
/// `{name}-root` and a controller certificate `name` under it, both valid for `days` from
/// `now`, with Ed25519 keys. Returns the root, then the controller.
pub fn foreign_controller(name: &str, days: u64, now: u64) -> (Credential, Credential) {
    let rng = SystemRandom::new();
    let root = hearth_security::pki::create_root(
        &format!("{name}-root"),
        days,
        hearth_security::alg::Algorithm::EdDsa,
        now,
        &rng,
    )
    .expect("root");
    let request = IssueRequest {
        role: hearth_security::cert::Role::Controller,
        subject: name.to_owned(),
        vendor_id: None,
        device_type: None,
        model: None,
        days,
        alg: hearth_security::alg::Algorithm::EdDsa,
    };
    let controller = issue(&request, &root, now, &rng).expect("controller");
    (root, controller)
}

#[cfg(feature = "mqtt")]
/// The identity of a [`foreign_controller`] `name`, valid 30 days from now, trusting its own
/// root and `device_root` (to attest the devices it commissions).
#[cfg(feature = "mqtt")]
pub fn foreign_identity(name: &str, device_root: &Certificate) -> hearth_mqtt::Identity {
    let (root, issued) = foreign_controller(name, 30, crate::unix_now());
    let mut trust = hearth_security::cert::TrustStore::new();
    trust.add_root(root.cert).expect("own root");
    trust
        .add_root(device_root.clone())
        .expect("the devices' root");
    hearth_mqtt::Identity {
        id: name.to_owned(),
        vendor_id: None,
        key: std::sync::Arc::new(issued.key),
        chain: vec![issued.cert.as_bytes().to_vec()],
        trust,
    }
}
