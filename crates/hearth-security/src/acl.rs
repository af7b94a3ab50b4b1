//! Access control (`HRT-SEC-110` … `HRT-SEC-121`): a device's list of entries, each naming
//! a key id or a CA key id with a privilege; view < operate < manage.

use ciborium::value::Value;

use crate::cbor;
use crate::cert::{Role, ValidatedChain};
use crate::key::KeyId;
use crate::limits::MAX_ACL_ENTRIES;

/// A privilege: view < operate < manage, each including the ones below it. The one type
/// of the model layer, re-exported here where access-control lists grant it (wire code by
/// [`Privilege::code`]).
pub use hearth_model::Privilege;

/// What a request does, for the privilege table of `HRT-SEC-119` (Table 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `read` request.
    Read,
    /// `write` request to an ordinary property.
    Write,
    /// `invoke` request of an ordinary action.
    Invoke,
    /// Any change of the access-control list.
    ManageAcl,
    /// Any change of the trust store or revocation lists.
    ManageTrust,
    /// Any firmware update action.
    ManageFirmware,
}

impl Operation {
    /// The privilege the operation requires (`HRT-SEC-119`).
    pub const fn required_privilege(self) -> Privilege {
        match self {
            Self::Read => Privilege::View,
            Self::Write | Self::Invoke => Privilege::Operate,
            Self::ManageAcl | Self::ManageTrust | Self::ManageFirmware => Privilege::Manage,
        }
    }
}

/// Whom an entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclSubject {
    /// The signer's own key id.
    Key(KeyId),
    /// A CA key id: matches controllers whose chain passes through that CA or root.
    Ca(KeyId),
}

/// One ACL entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AclEntry {
    /// Whom it names.
    pub subject: AclSubject,
    /// What it grants.
    pub privilege: Privilege,
}

/// Why access was refused, or an ACL is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AclError {
    /// No entry names the signer.
    #[error("no ACL entry names the signer {0}")]
    NotAuthorized(String),
    /// Entries name the signer but grant less than required.
    #[error("privilege {granted} granted, {required} required")]
    InsufficientPrivilege {
        /// Highest privilege granted.
        granted: Privilege,
        /// Privilege required.
        required: Privilege,
    },
    /// More than [`MAX_ACL_ENTRIES`] entries.
    #[error("ACL exceeds {MAX_ACL_ENTRIES} entries")]
    TooManyEntries,
    /// The ACL encoding is not valid (with detail).
    #[error("malformed ACL: {0}")]
    Malformed(String),
    /// A replacement ACL would leave nobody with the manage privilege.
    #[error("the ACL must keep at least one entry with the manage privilege")]
    NoManager,
    /// The signer's role or identity does not fit the message (with detail).
    #[error("wrong signer: {0}")]
    WrongSigner(String),
}

impl AclError {
    /// Stable short code used in vectors and reports.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::NotAuthorized(_) => "unauthorized",
            Self::InsufficientPrivilege { .. } => "insufficient_privilege",
            Self::TooManyEntries => "too_many_entries",
            Self::Malformed(_) => "malformed",
            Self::NoManager => "no_manager",
            Self::WrongSigner(_) => "wrong_signer",
        }
    }
}

/// An access-control list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    entries: Vec<AclEntry>,
}

impl Acl {
    /// An empty ACL (denies everything).
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Build from entries, bounded by [`MAX_ACL_ENTRIES`].
    pub fn from_entries(entries: Vec<AclEntry>) -> Result<Self, AclError> {
        if entries.len() > MAX_ACL_ENTRIES {
            return Err(AclError::TooManyEntries);
        }
        Ok(Self { entries })
    }

    /// Add an entry.
    pub fn push(&mut self, entry: AclEntry) -> Result<(), AclError> {
        if self.entries.len() >= MAX_ACL_ENTRIES {
            return Err(AclError::TooManyEntries);
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The entries.
    pub fn entries(&self) -> &[AclEntry] {
        &self.entries
    }

    /// The highest privilege the entries grant to the signer of `chain`: a `Key` entry
    /// matches the leaf key; a `Ca` entry matches a controller leaf whose chain contains
    /// that CA (`HRT-SEC-112`, `HRT-SEC-113`).
    pub fn granted(&self, chain: &ValidatedChain) -> Option<Privilege> {
        self.entries
            .iter()
            .filter(|e| match e.subject {
                AclSubject::Key(k) => k == chain.leaf_kid,
                AclSubject::Ca(k) => chain.role() == Role::Controller && chain.ca_kids.contains(&k),
            })
            .map(|e| e.privilege)
            .max()
    }

    /// Check that the signer of `chain` holds `required` (`HRT-SEC-114`).
    pub fn check(&self, chain: &ValidatedChain, required: Privilege) -> Result<(), AclError> {
        match self.granted(chain) {
            None => Err(AclError::NotAuthorized(chain.leaf_kid.to_hex())),
            Some(granted) if granted < required => {
                Err(AclError::InsufficientPrivilege { granted, required })
            }
            Some(_) => Ok(()),
        }
    }

    /// Authorize a request: the signer must be a controller (`HRT-SEC-120`) holding the
    /// privilege `op` requires (`HRT-SEC-114`, `HRT-SEC-119`).
    pub fn authorize(&self, chain: &ValidatedChain, op: Operation) -> Result<(), AclError> {
        if chain.role() != Role::Controller {
            return Err(AclError::WrongSigner(format!(
                "requests come from controllers, not a {}",
                chain.role()
            )));
        }
        self.check(chain, op.required_privilege())
    }

    /// Check that `new` may replace this ACL: it keeps a manage entry (`HRT-SEC-117`) and
    /// respects the size bound (`HRT-SEC-116`).
    pub fn check_replacement(new: &Self) -> Result<(), AclError> {
        if new.entries.len() > MAX_ACL_ENTRIES {
            return Err(AclError::TooManyEntries);
        }
        if !new.entries.iter().any(|e| e.privilege == Privilege::Manage) {
            return Err(AclError::NoManager);
        }
        Ok(())
    }

    /// Encode as `[* {1: kid, 2: privilege, ? 3: true}]` (3 marks a CA entry).
    pub fn to_cbor(&self) -> Vec<u8> {
        let items = self
            .entries
            .iter()
            .map(|e| {
                let (kid, ca) = match e.subject {
                    AclSubject::Key(k) => (k, false),
                    AclSubject::Ca(k) => (k, true),
                };
                let mut m = vec![
                    (cbor::int(1), Value::Bytes(kid.0.to_vec())),
                    (cbor::int(2), Value::from(e.privilege.code())),
                ];
                if ca {
                    m.push((cbor::int(3), Value::Bool(true)));
                }
                Value::Map(m)
            })
            .collect();
        cbor::encode(&Value::Array(items))
    }

    /// Decode the form of [`Acl::to_cbor`].
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, AclError> {
        let bad = |m: &str| AclError::Malformed(m.to_owned());
        let Value::Array(items) = cbor::decode(bytes).map_err(AclError::Malformed)? else {
            return Err(bad("expected an array"));
        };
        if items.len() > MAX_ACL_ENTRIES {
            return Err(AclError::TooManyEntries);
        }
        let mut entries = Vec::with_capacity(items.len());
        for item in items {
            let (mut kid, mut privilege, mut ca) = (None, None, false);
            for (k, v) in cbor::int_map(item, "ACL entry").map_err(AclError::Malformed)? {
                match (k, v) {
                    (1, Value::Bytes(b)) => kid = KeyId::from_slice(&b),
                    (2, v) => privilege = cbor::as_u64(&v).and_then(Privilege::from_code),
                    (3, Value::Bool(b)) => ca = b,
                    _ => return Err(bad("unknown or mistyped ACL entry field")),
                }
            }
            let kid = kid.ok_or_else(|| bad("entry without a 16-byte kid"))?;
            let privilege = privilege.ok_or_else(|| bad("entry without a valid privilege"))?;
            let subject = if ca {
                AclSubject::Ca(kid)
            } else {
                AclSubject::Key(kid)
            };
            entries.push(AclEntry { subject, privilege });
        }
        Ok(Self { entries })
    }
}

/// Check that a description, status, report, event or response comes from the device the
/// topic names: leaf role device, same vendor id and device id (`HRT-SEC-121`).
pub fn check_device_signer(
    chain: &ValidatedChain,
    vendor_id: u16,
    device_id: &str,
) -> Result<(), AclError> {
    let leaf = &chain.leaf;
    if leaf.role != Role::Device {
        return Err(AclError::WrongSigner(format!(
            "signed by a {}, not a device",
            leaf.role
        )));
    }
    if leaf.vendor_id != Some(vendor_id) || leaf.subject != device_id {
        return Err(AclError::WrongSigner(format!(
            "signed by device {:?} of vendor {}, topic names {device_id:?} of {}",
            leaf.subject,
            hearth_model::vendor::hex_or_none(leaf.vendor_id),
            hearth_model::vendor::Hex(vendor_id)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::CertClaims;
    use crate::key::KeyPair;

    fn chain(role: Role) -> ValidatedChain {
        let k = KeyPair::from_ed25519_seed(&[3; 32]).expect("seed");
        ValidatedChain {
            leaf: CertClaims {
                issuer: "v".into(),
                subject: "c".into(),
                issued_at: 0,
                not_before: 0,
                expires: 1,
                key: *k.public_key(),
                role,
                vendor_id: None,
                device_type: None,
                model: None,
            },
            leaf_kid: *k.key_id(),
            ca_kids: vec![KeyId([2; 16]), KeyId([1; 16])],
            valid_from: 0,
            valid_until: 1,
        }
    }

    // HRT-SEC-111, HRT-SEC-112, HRT-SEC-113, HRT-SEC-114
    #[test]
    fn key_and_ca_entries() {
        let c = chain(Role::Controller);
        let mut acl = Acl::new();
        assert_eq!(
            acl.check(&c, Privilege::View).map_err(|e| e.code()),
            Err("unauthorized")
        );
        acl.push(AclEntry {
            subject: AclSubject::Ca(KeyId([1; 16])),
            privilege: Privilege::View,
        })
        .expect("push");
        assert_eq!(acl.check(&c, Privilege::View), Ok(()));
        assert_eq!(
            acl.check(&c, Privilege::Operate),
            Err(AclError::InsufficientPrivilege {
                granted: Privilege::View,
                required: Privilege::Operate
            })
        );
        acl.push(AclEntry {
            subject: AclSubject::Key(c.leaf_kid),
            privilege: Privilege::Manage,
        })
        .expect("push");
        assert_eq!(acl.check(&c, Privilege::Manage), Ok(()));
        // A CA entry does not admit devices of that CA.
        let d = chain(Role::Device);
        let ca_only = Acl::from_entries(vec![acl.entries()[0]]).expect("acl");
        assert!(ca_only.check(&d, Privilege::View).is_err());
        assert_eq!(Acl::from_cbor(&acl.to_cbor()), Ok(acl));
    }

    // HRT-SEC-116, HRT-SEC-117, HRT-SEC-120, HRT-SEC-121
    #[test]
    fn signers_and_replacement() {
        let c = chain(Role::Controller);
        let acl = Acl::from_entries(vec![AclEntry {
            subject: AclSubject::Key(c.leaf_kid),
            privilege: Privilege::Operate,
        }])
        .expect("acl");
        assert_eq!(acl.authorize(&c, Operation::Write), Ok(()));
        assert_eq!(
            acl.authorize(&c, Operation::ManageAcl)
                .map_err(|e| e.code()),
            Err("insufficient_privilege")
        );
        let d = chain(Role::Device);
        let acl_d = Acl::from_entries(vec![AclEntry {
            subject: AclSubject::Key(d.leaf_kid),
            privilege: Privilege::Manage,
        }])
        .expect("acl");
        assert_eq!(
            acl_d.authorize(&d, Operation::Read).map_err(|e| e.code()),
            Err("wrong_signer")
        );
        assert_eq!(Acl::check_replacement(&acl), Err(AclError::NoManager));
        assert_eq!(Acl::check_replacement(&acl_d), Ok(()));
        let mut dev = chain(Role::Device);
        dev.leaf.vendor_id = Some(0xFFF1);
        dev.leaf.subject = "fridge-1".into();
        assert_eq!(check_device_signer(&dev, 0xFFF1, "fridge-1"), Ok(()));
        assert!(check_device_signer(&dev, 0xFFF1, "fridge-2").is_err());
        assert!(check_device_signer(&dev, 0xFFF2, "fridge-1").is_err());
        assert!(check_device_signer(&c, 0xFFF1, "c").is_err());
    }

    // HRT-SEC-119
    #[test]
    fn privilege_table() {
        assert_eq!(Operation::Read.required_privilege(), Privilege::View);
        assert_eq!(Operation::Write.required_privilege(), Privilege::Operate);
        assert_eq!(Operation::Invoke.required_privilege(), Privilege::Operate);
        assert_eq!(Operation::ManageAcl.required_privilege(), Privilege::Manage);
        assert_eq!(
            Operation::ManageFirmware.required_privilege(),
            Privilege::Manage
        );
        assert!(Privilege::View < Privilege::Operate && Privilege::Operate < Privilege::Manage);
    }
}
