//! What a device keeps of its access control across restarts (`spec/07-commissioning.md`
//! HRT-COM-065): its access-control list and the trust anchors commissioning added to the
//! ones it left the factory with (HRT-COM-055). Without those roots the entries of another
//! ecosystem's controllers would admit nobody after a restart: their chains would no longer
//! validate.
//!
//! [`AccessState`] is the value, with a bounded CBOR form; [`AccessStore`] is where a
//! device keeps it, as [`crate::replay::CounterStore`] is where it keeps its send counter. A
//! firmware implements the store on its flash; [`crate::fs::FileAccessStore`] keeps it in a
//! file, written atomically; [`MemoryAccessStore`] in memory for tests.

use ciborium::value::Value;

use crate::acl::Acl;
use crate::cbor;
use crate::cert::Certificate;
use crate::limits::{MAX_ACL_ENTRIES, MAX_CERT_SIZE, MAX_TRUST_ANCHORS};

/// The largest encoded [`AccessState`]: a full ACL (a key id, a privilege and a CA flag per
/// entry) and a full set of roots, with room for the CBOR heads.
pub const MAX_ACCESS_STATE_SIZE: usize =
    16 + MAX_ACL_ENTRIES * 32 + MAX_TRUST_ANCHORS * (MAX_CERT_SIZE + 4);

/// A device's access control as it persists it: the ACL and the roots commissioning added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessState {
    /// The access-control list.
    pub acl: Acl,
    /// The trust anchors commissioning added (HRT-COM-055), not those of the factory.
    pub roots: Vec<Certificate>,
}

/// Why an [`AccessState`] could not be read or kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessStoreError {
    /// Reading or writing the backing storage failed.
    #[error("access-control store I/O: {0}")]
    Io(#[from] std::io::Error),
    /// What the store holds is not an access state (with what and where).
    #[error("access-control store damaged: {0}")]
    Corrupt(String),
}

impl AccessState {
    /// The state of a device whose ACL was written before it started and to which
    /// commissioning added nothing.
    pub fn new(acl: Acl) -> Self {
        Self {
            acl,
            roots: Vec::new(),
        }
    }

    /// Encode as `{1: bstr .cbor hearth-acl, 2: [* bstr .cbor certificate]}`.
    pub fn to_cbor(&self) -> Vec<u8> {
        let roots = self
            .roots
            .iter()
            .map(|r| Value::Bytes(r.as_bytes().to_vec()))
            .collect();
        cbor::encode(&Value::Map(vec![
            (cbor::int(1), Value::Bytes(self.acl.to_cbor())),
            (cbor::int(2), Value::Array(roots)),
        ]))
    }

    /// Decode the form of [`to_cbor`](Self::to_cbor), bounded by
    /// [`MAX_ACCESS_STATE_SIZE`]; every root must be a certificate of role root.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() > MAX_ACCESS_STATE_SIZE {
            return Err(format!("larger than {MAX_ACCESS_STATE_SIZE} bytes"));
        }
        let (mut acl, mut roots) = (None, None);
        for (k, v) in cbor::int_map(cbor::decode(bytes)?, "access state")? {
            match (k, v) {
                (1, Value::Bytes(b)) => {
                    acl = Some(Acl::from_cbor(&b).map_err(|e| e.to_string())?);
                }
                (2, Value::Array(items)) => {
                    if items.len() > MAX_TRUST_ANCHORS {
                        return Err(format!("more than {MAX_TRUST_ANCHORS} roots"));
                    }
                    let mut certs = Vec::with_capacity(items.len());
                    for item in items {
                        let Value::Bytes(b) = item else {
                            return Err("a root is not a byte string".into());
                        };
                        let cert = Certificate::from_bytes(&b).map_err(|e| e.to_string())?;
                        if cert.claims().role != crate::cert::Role::Root {
                            return Err("a root is not a root certificate".into());
                        }
                        certs.push(cert);
                    }
                    roots = Some(certs);
                }
                _ => return Err("unknown or mistyped access state field".into()),
            }
        }
        Ok(Self {
            acl: acl.ok_or("no access-control list")?,
            roots: roots.ok_or("no roots")?,
        })
    }
}

/// Where a device keeps its [`AccessState`] (HRT-COM-065).
pub trait AccessStore {
    /// The kept state, `None` if nothing was ever stored (the device is as it left the
    /// factory). Damaged contents are an error, never an empty ACL.
    fn load(&mut self) -> Result<Option<AccessState>, AccessStoreError>;
    /// Keep `state` durably before returning: a device stores it before it answers the
    /// request that changed it.
    fn store(&mut self, state: &AccessState) -> Result<(), AccessStoreError>;
}

/// Any boxed store is a store, so runtimes can hold one without a type parameter.
impl<S: AccessStore + ?Sized> AccessStore for Box<S> {
    fn load(&mut self) -> Result<Option<AccessState>, AccessStoreError> {
        (**self).load()
    }

    fn store(&mut self, state: &AccessState) -> Result<(), AccessStoreError> {
        (**self).store(state)
    }
}

/// An access store in memory, shared by its clones: what one runtime stored, the next one
/// started with a clone loads, as a restart would.
#[derive(Debug, Clone, Default)]
pub struct MemoryAccessStore {
    state: std::sync::Arc<std::sync::Mutex<Option<AccessState>>>,
}

impl MemoryAccessStore {
    /// What the store holds.
    pub fn get(&self) -> Option<AccessState> {
        self.state.lock().ok().and_then(|s| s.clone())
    }
}

impl AccessStore for MemoryAccessStore {
    fn load(&mut self) -> Result<Option<AccessState>, AccessStoreError> {
        Ok(self.get())
    }

    fn store(&mut self, state: &AccessState) -> Result<(), AccessStoreError> {
        let mut held = self
            .state
            .lock()
            .map_err(|_| AccessStoreError::Corrupt("poisoned".into()))?;
        *held = Some(state.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acl::{AclEntry, AclSubject, Privilege};
    use crate::key::KeyId;
    use crate::pki::{SystemRandom, TestPki};

    fn state() -> AccessState {
        let pki = TestPki::generate(1_800_000_000, &SystemRandom::new()).expect("pki");
        let acl = Acl::from_entries(vec![
            AclEntry {
                subject: AclSubject::Key(KeyId([1; 16])),
                privilege: Privilege::Manage,
            },
            AclEntry {
                subject: AclSubject::Ca(KeyId([2; 16])),
                privilege: Privilege::View,
            },
        ])
        .expect("acl");
        AccessState {
            acl,
            roots: vec![pki.root.cert],
        }
    }

    /// HRT-COM-065: the state round-trips through its encoding.
    #[test]
    fn access_state_round_trips() {
        let s = state();
        assert_eq!(AccessState::from_cbor(&s.to_cbor()).expect("decodes"), s);
        let empty = AccessState::default();
        assert_eq!(
            AccessState::from_cbor(&empty.to_cbor()).expect("empty"),
            empty
        );
    }

    /// Damaged bytes are an error with a reason, never a panic nor an empty ACL.
    #[test]
    fn damaged_access_state_is_an_error() {
        let bytes = state().to_cbor();
        for cut in 0..bytes.len() {
            assert!(
                AccessState::from_cbor(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        for junk in [&b"junk"[..], &[0xa0], &[0x80], &[0xa1, 0x01, 0x40]] {
            assert!(AccessState::from_cbor(junk).is_err(), "{junk:?}");
        }
    }

    proptest::proptest! {
        /// No panic on arbitrary bytes.
        #[test]
        fn access_state_decoding_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = AccessState::from_cbor(&bytes);
        }
    }
}
