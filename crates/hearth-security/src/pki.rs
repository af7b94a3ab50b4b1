//! Building blocks of a test PKI (the `hearth pki` command): a complete root / vendor /
//! lab / controller hierarchy and issuing of further certificates. Times come in as
//! arguments; files are written by [`crate::fs`].

pub use ring::rand::{SecureRandom, SystemRandom};

use crate::acl::{AclEntry, AclSubject, Privilege};
use crate::alg::Algorithm;
use crate::cert::{CertClaims, CertError, Certificate, Role, TrustStore, ValidatedChain};
use crate::key::KeyPair;
use crate::revocation::{RevocationError, RevocationList, RevocationSet};

/// Seconds per day.
pub const DAY: u64 = 86_400;
/// Default validity of a root: 10 years.
pub const ROOT_DAYS: u64 = 3_653;
/// Default validity of every other certificate: 5 years.
pub const CERT_DAYS: u64 = 1_826;
/// How far in the past `nbf` is set, to tolerate clock skew: one hour.
pub const BACKDATE: u64 = 3_600;
/// Vendor id of the test vendor (in the test range 0xFFF1–0xFFF4).
pub const TEST_VENDOR_ID: u16 = 0xFFF1;
/// The vendor ids reserved for testing; never used by a product.
pub const TEST_VENDOR_IDS: core::ops::RangeInclusive<u16> = 0xFFF1..=0xFFF4;

/// A certificate and its private key.
#[derive(Debug)]
pub struct Credential {
    /// The certificate.
    pub cert: Certificate,
    /// The private key.
    pub key: KeyPair,
}

/// The files of `hearth pki init`.
#[derive(Debug)]
pub struct TestPki {
    /// Self-signed root.
    pub root: Credential,
    /// Vendor CA with vendor id [`TEST_VENDOR_ID`].
    pub vendor: Credential,
    /// Test lab.
    pub lab: Credential,
    /// Controller issued by the root.
    pub controller: Credential,
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// Role of the new certificate.
    pub role: Role,
    /// Subject name.
    pub subject: String,
    /// Vendor id (vendor, device; controller issued by a vendor — defaults to the issuer's).
    pub vendor_id: Option<u16>,
    /// Device type (devices).
    pub device_type: Option<String>,
    /// Model (devices).
    pub model: Option<String>,
    /// Validity in days from `now` (`nbf` is [`BACKDATE`] before `now`).
    pub days: u64,
    /// Key algorithm of the new key.
    pub alg: Algorithm,
}

impl IssueRequest {
    /// A device certificate for `subject`, of `device_type` and `model`, valid ten years
    /// with an Ed25519 key: what an appliance receives at manufacture. Its vendor id is the
    /// issuing vendor's.
    pub fn device(subject: &str, device_type: &str, model: &str) -> Self {
        Self {
            role: Role::Device,
            subject: subject.to_owned(),
            vendor_id: None,
            device_type: Some(device_type.to_owned()),
            model: Some(model.to_owned()),
            days: 3650,
            alg: Algorithm::EdDsa,
        }
    }
}

/// Issue a certificate for a fresh key, following the chain rules.
pub fn issue(
    req: &IssueRequest,
    issuer: &Credential,
    now: u64,
    rng: &dyn SecureRandom,
) -> Result<Credential, CertError> {
    let key = KeyPair::generate(req.alg, rng)?;
    let vendor_id = match (req.vendor_id, issuer.cert.claims().role) {
        (Some(v), _) => Some(v),
        (None, Role::Vendor) => issuer.cert.claims().vendor_id,
        (None, _) => None,
    };
    let claims = CertClaims {
        issuer: issuer.cert.claims().subject.clone(),
        subject: req.subject.clone(),
        issued_at: now,
        not_before: now.saturating_sub(BACKDATE),
        expires: now.saturating_add(req.days.saturating_mul(DAY)),
        key: *key.public_key(),
        role: req.role,
        vendor_id,
        device_type: req.device_type.clone(),
        model: req.model.clone(),
    };
    let cert = Certificate::issue(&claims, Some(&issuer.cert), &issuer.key)?;
    Ok(Credential { cert, key })
}

/// Create a self-signed root.
pub fn create_root(
    subject: &str,
    days: u64,
    alg: Algorithm,
    now: u64,
    rng: &dyn SecureRandom,
) -> Result<Credential, CertError> {
    let key = KeyPair::generate(alg, rng)?;
    let claims = CertClaims {
        issuer: subject.to_owned(),
        subject: subject.to_owned(),
        issued_at: now,
        not_before: now.saturating_sub(BACKDATE),
        expires: now.saturating_add(days.saturating_mul(DAY)),
        key: *key.public_key(),
        role: Role::Root,
        vendor_id: None,
        device_type: None,
        model: None,
    };
    let cert = Certificate::issue(&claims, None, &key)?;
    Ok(Credential { cert, key })
}

impl TestPki {
    /// Generate the test hierarchy at time `now` (Ed25519 keys).
    pub fn generate(now: u64, rng: &dyn SecureRandom) -> Result<Self, CertError> {
        let root = create_root("hearth-test-root", ROOT_DAYS, Algorithm::EdDsa, now, rng)?;
        let req = |role, subject: &str| IssueRequest {
            role,
            subject: subject.to_owned(),
            vendor_id: None,
            device_type: None,
            model: None,
            days: CERT_DAYS,
            alg: Algorithm::EdDsa,
        };
        let vendor = issue(
            &IssueRequest {
                vendor_id: Some(TEST_VENDOR_ID),
                ..req(Role::Vendor, "hearth-test-vendor-fff1")
            },
            &root,
            now,
            rng,
        )?;
        let lab = issue(&req(Role::Lab, "hearth-test-lab"), &root, now, rng)?;
        let controller = issue(
            &req(Role::Controller, "hearth-test-controller"),
            &root,
            now,
            rng,
        )?;
        Ok(Self {
            root,
            vendor,
            lab,
            controller,
        })
    }
}

/// Vendor id of the lab's test CA ([`LabCredentials::authority`]), in the test range.
pub const AUTHORITY_VENDOR_ID: u16 = 0xFFF4;

/// The credentials a lab provisions for testing a device and names in its ICS
/// (`spec/06-conformance.md` §3.8 and §3.9): a test CA under the root (the `[authority]`),
/// a controller of each privilege that CA issued (`[[controllers]]` with `manage`, `operate`
/// and `view`), and a stranger the root issued, trusted by the device but admitted by no
/// entry of its access-control list (privilege `none`). [`LabCredentials::acl`] is what the
/// device's commissioning puts in its access-control list so that every privilege the ICS
/// states holds.
#[derive(Debug)]
pub struct LabCredentials {
    /// The test CA (role vendor, vendor id [`AUTHORITY_VENDOR_ID`]) issued by the root.
    pub authority: Credential,
    /// The controllers by name (`manage`, `operate`, `view`, `stranger`), in that order.
    pub controllers: Vec<LabController>,
}

/// One controller of [`LabCredentials`].
#[derive(Debug)]
pub struct LabController {
    /// Its file name without extension, which is the privilege it is admitted with or
    /// `stranger`.
    pub name: &'static str,
    /// The privilege the device grants it; `None` for the stranger.
    pub privilege: Option<Privilege>,
    /// Its certificate and key.
    pub credential: Credential,
    /// Its chain, leaf first, without the root: the leaf and, but for the stranger, the
    /// authority.
    pub chain: Vec<Certificate>,
}

impl LabCredentials {
    /// The controllers' names, in the order of [`LabCredentials::controllers`].
    pub const CONTROLLERS: [&'static str; 4] = ["manage", "operate", "view", "stranger"];

    /// Issue the lab's credentials under `root` at time `now` (Ed25519 keys, five years).
    pub fn generate(
        root: &Credential,
        now: u64,
        rng: &dyn SecureRandom,
    ) -> Result<Self, CertError> {
        let req = |role, subject: &str, vendor_id| IssueRequest {
            role,
            subject: subject.to_owned(),
            vendor_id,
            device_type: None,
            model: None,
            days: CERT_DAYS,
            alg: Algorithm::EdDsa,
        };
        let authority = issue(
            &req(
                Role::Vendor,
                "hearth-lab-authority",
                Some(AUTHORITY_VENDOR_ID),
            ),
            root,
            now,
            rng,
        )?;
        let mut controllers = Vec::with_capacity(Self::CONTROLLERS.len());
        for (name, privilege) in Self::CONTROLLERS.into_iter().zip([
            Some(Privilege::Manage),
            Some(Privilege::Operate),
            Some(Privilege::View),
            None,
        ]) {
            let subject = format!("hearth-lab-{name}");
            // The stranger comes from the root: trusted, but under no CA the list names.
            let issuer = if privilege.is_some() {
                &authority
            } else {
                root
            };
            let credential = issue(&req(Role::Controller, &subject, None), issuer, now, rng)?;
            let mut chain = vec![credential.cert.clone()];
            if privilege.is_some() {
                chain.push(authority.cert.clone());
            }
            controllers.push(LabController {
                name,
                privilege,
                credential,
                chain,
            });
        }
        Ok(Self {
            authority,
            controllers,
        })
    }

    /// The access-control entries that admit these credentials as the ICS states: each
    /// controller's key with its privilege, and every controller the authority issues with
    /// `view` (the `[authority]` privilege), so that two entries match the controllers of
    /// the authority and the higher counts (HRT-SEC-113).
    pub fn acl(&self) -> Vec<AclEntry> {
        lab_acl(
            &self.authority.cert,
            self.controllers
                .iter()
                .filter_map(|c| Some((&c.credential.cert, c.privilege?))),
        )
    }
}

/// [`LabCredentials::acl`] from the certificates alone: the authority's, and each admitted
/// controller's with its privilege.
pub fn lab_acl<'a>(
    authority: &Certificate,
    controllers: impl IntoIterator<Item = (&'a Certificate, Privilege)>,
) -> Vec<AclEntry> {
    let mut entries: Vec<AclEntry> = controllers
        .into_iter()
        .map(|(cert, privilege)| AclEntry {
            subject: AclSubject::Key(*cert.subject_kid()),
            privilege,
        })
        .collect();
    entries.push(AclEntry {
        subject: AclSubject::Ca(*authority.subject_kid()),
        privilege: Privilege::View,
    });
    entries
}

/// Validate encoded certificates (trust-anchor side first, leaf last) against encoded
/// roots at time `now`, without revocation lists.
pub fn verify_chain_bytes(
    roots: &[&[u8]],
    chain: &[&[u8]],
    now: u64,
) -> Result<ValidatedChain, CertError> {
    let (trust, certs) = parse_chain(roots, chain)?;
    crate::cert::validate_chain(&trust, &certs, now, &RevocationSet::new())
}

/// The trust store of encoded `roots` and the parsed certificates of `chain`, which holds at
/// most [`MAX_CHAIN_LEN`](crate::limits::MAX_CHAIN_LEN) certificates besides a leading copy
/// of a trust anchor.
fn parse_chain(
    roots: &[&[u8]],
    chain: &[&[u8]],
) -> Result<(TrustStore, Vec<Certificate>), CertError> {
    let mut trust = TrustStore::new();
    for r in roots {
        trust.add_root_bytes(r)?;
    }
    if chain.len() > crate::limits::MAX_CHAIN_LEN + 1 {
        return Err(CertError::ChainLength {
            len: chain.len(),
            max: crate::limits::MAX_CHAIN_LEN,
        });
    }
    let certs = chain
        .iter()
        .map(|c| Certificate::from_bytes(c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((trust, certs))
}

/// Errors of [`verify_chain_with_revocations`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The chain is invalid.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// A revocation list is invalid.
    #[error("revocation list: {0}")]
    Revocation(#[from] RevocationError),
}

impl PkiError {
    /// Stable short code (that of the wrapped error).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Cert(e) => e.code(),
            Self::Revocation(e) => e.code(),
        }
    }
}

/// Like [`verify_chain_bytes`], applying signed revocation lists. Each list is verified
/// against the CA that signed it, which has to be a trust anchor or a CA of the chain.
pub fn verify_chain_with_revocations(
    roots: &[&[u8]],
    chain: &[&[u8]],
    lists: &[&[u8]],
    now: u64,
) -> Result<ValidatedChain, PkiError> {
    let (trust, certs) = parse_chain(roots, chain)?;
    // Validate first without lists, so that the CAs the lists are checked against are
    // known to be trustworthy.
    crate::cert::validate_chain(&trust, &certs, now, &RevocationSet::new())?;
    let mut revoked = RevocationSet::new();
    for list in lists {
        let kid = RevocationList::signer_kid(list)?;
        let issuer = trust
            .get(&kid)
            .or_else(|| certs.iter().find(|c| *c.subject_kid() == kid))
            .ok_or_else(|| {
                RevocationError::UntrustedIssuer(format!(
                    "signer {kid} is neither a trust anchor nor a CA of the chain"
                ))
            })?;
        revoked.add(list, issuer, now)?;
    }
    Ok(crate::cert::validate_chain(&trust, &certs, now, &revoked)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    /// The lab's controllers chain to the root, and the access-control entries grant each
    /// the privilege it is named for; the stranger is trusted and admitted by none
    /// (spec 06 §3.8, §3.9; HRT-SEC-113: the highest matching entry counts).
    #[test]
    fn lab_credentials_hold_the_privileges_they_are_named_for() {
        let rng = SystemRandom::new();
        let pki = TestPki::generate(NOW, &rng).expect("pki");
        let lab = LabCredentials::generate(&pki.root, NOW, &rng).expect("lab");
        let mut trust = TrustStore::new();
        trust.add_root(pki.root.cert.clone()).expect("root");
        let acl = crate::acl::Acl::from_entries(lab.acl()).expect("acl");
        let names: Vec<&str> = lab.controllers.iter().map(|c| c.name).collect();
        assert_eq!(names, LabCredentials::CONTROLLERS);
        for c in &lab.controllers {
            let mut chain = c.chain.clone();
            chain.reverse();
            let valid = crate::cert::validate_chain(&trust, &chain, NOW, &RevocationSet::new())
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            assert_eq!(acl.granted(&valid), c.privilege, "{}", c.name);
            assert_eq!(valid.leaf.role, Role::Controller);
        }
        assert_eq!(
            lab.authority.cert.claims().vendor_id,
            Some(AUTHORITY_VENDOR_ID)
        );
    }

    // HRT-SEC-060, HRT-SEC-064
    #[test]
    fn test_pki_validates() {
        let rng = SystemRandom::new();
        let pki = TestPki::generate(NOW, &rng).expect("pki");
        let root = pki.root.cert.as_bytes();
        for c in [&pki.vendor, &pki.lab, &pki.controller] {
            verify_chain_bytes(&[root], &[c.cert.as_bytes()], NOW).expect("valid");
        }
        let fridge = |vendor_id| IssueRequest {
            role: Role::Device,
            subject: "fridge-0001".into(),
            vendor_id,
            device_type: Some("refrigerator".into()),
            model: Some("RF-100".into()),
            days: 30,
            alg: Algorithm::Es256,
        };
        let device = issue(&fridge(None), &pki.vendor, NOW, &rng).expect("device");
        assert_eq!(device.cert.claims().vendor_id, Some(TEST_VENDOR_ID));
        let v = verify_chain_bytes(
            &[root],
            &[pki.vendor.cert.as_bytes(), device.cert.as_bytes()],
            NOW,
        )
        .expect("valid device chain");
        assert_eq!(v.role(), Role::Device);
        // A lab issues nothing.
        assert!(issue(&fridge(Some(TEST_VENDOR_ID)), &pki.lab, NOW, &rng).is_err());
    }
}
