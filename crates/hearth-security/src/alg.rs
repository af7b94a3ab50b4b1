//! Signature algorithms of the Hearth profile (`HRT-SEC-001` … `HRT-SEC-008`).

use core::fmt;

/// A signature algorithm Hearth accepts.
///
/// Senders label their signatures with the polymorphic COSE identifiers (−8 EdDSA, −7 ES256,
/// RFC 9053 §2); verifiers also accept the fully-specified −19 (Ed25519) and −9 (ESP256)
/// (RFC 9864) on receipt. Every other value is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// EdDSA with Ed25519 (RFC 8032), the mandatory algorithm.
    EdDsa,
    /// ECDSA with P-256 and SHA-256, for keys held in secure elements.
    Es256,
}

/// COSE algorithm identifier of EdDSA (RFC 9053 §2.2).
pub const COSE_EDDSA: i64 = -8;
/// COSE algorithm identifier of ES256 (RFC 9053 §2.1).
pub const COSE_ES256: i64 = -7;
/// Fully-specified COSE algorithm identifier of Ed25519.
pub const COSE_ED25519: i64 = -19;
/// Fully-specified COSE algorithm identifier of ESP256 (ECDSA P-256 with SHA-256).
pub const COSE_ESP256: i64 = -9;

impl Algorithm {
    /// The identifier a sender puts in the protected header (−8 or −7).
    pub const fn cose_id(self) -> i64 {
        match self {
            Self::EdDsa => COSE_EDDSA,
            Self::Es256 => COSE_ES256,
        }
    }

    /// Map a received COSE algorithm identifier to an accepted algorithm: −8 and −19 are
    /// EdDSA/Ed25519, −7 and −9 are ES256. Anything else is `None` (rejected).
    pub const fn from_cose_id(id: i64) -> Option<Self> {
        match id {
            COSE_EDDSA | COSE_ED25519 => Some(Self::EdDsa),
            COSE_ES256 | COSE_ESP256 => Some(Self::Es256),
            _ => None,
        }
    }

    /// Length in bytes of a signature made with this algorithm.
    pub const fn signature_len(self) -> usize {
        64
    }

    /// Stable lower-case name (`ed25519`, `p256`) used in files and the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::EdDsa => "ed25519",
            Self::Es256 => "p256",
        }
    }

    /// Parse a name as produced by [`Algorithm::name`] (also accepts `eddsa` and `es256`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "ed25519" | "eddsa" => Some(Self::EdDsa),
            "p256" | "p-256" | "es256" => Some(Self::Es256),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EdDsa => f.write_str("EdDSA (Ed25519)"),
            Self::Es256 => f.write_str("ES256 (P-256)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // HRT-SEC-003, HRT-SEC-004, HRT-SEC-005
    #[test]
    fn accepted_identifiers() {
        assert_eq!(Algorithm::from_cose_id(-8), Some(Algorithm::EdDsa));
        assert_eq!(Algorithm::from_cose_id(-19), Some(Algorithm::EdDsa));
        assert_eq!(Algorithm::from_cose_id(-7), Some(Algorithm::Es256));
        assert_eq!(Algorithm::from_cose_id(-9), Some(Algorithm::Es256));
        for other in [-35, -36, -37, -47, -257, 0, 1, -999] {
            assert_eq!(Algorithm::from_cose_id(other), None);
        }
        assert_eq!(Algorithm::EdDsa.cose_id(), -8);
        assert_eq!(Algorithm::Es256.cose_id(), -7);
    }
}
