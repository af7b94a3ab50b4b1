//! The bodies of the commissioning and access-control management messages, kinds 11 to 21
//! (`spec/07-commissioning.md` §6, §8, §9; CDDL in §12), and their CBOR encoding.
//!
//! The types carry exactly what the wire carries and nothing derived: a share is its 65
//! bytes, a confirmation its 32, the verifier record of an enhanced window its 97. Decoding
//! checks every size and range the chapter's CDDL gives (a discriminator of 12 bits, a salt of
//! 16 to 32 bytes, 1000 to 100000 iterations, a window of at most 900 seconds, at most 64 ACL
//! operations) and refuses anything else with a [`DecodeError`], so a body that decodes is one
//! the chapter allows. What the bytes *mean* — whether a share is a point of P-256, whether a
//! confirmation is right — is for `hearth_security::pake` to say; whether a change leaves the
//! ACL a manager — for the device that applies it. Like every body but the description,
//! these ignore map keys they do not know (HRT-MSG-041).

use core::fmt;

use ciborium::value::Value as Cbor;
use hearth_model::{Privilege, StatusCode};
use hearth_security::{AclEntry, AclSubject, KeyId};

use crate::codec::{
    as_array, as_bool, as_u16, as_u32, as_u64, int, map, status_of, DecodeError, Fields,
};

/// Length of a share: an uncompressed SEC1 point of P-256.
pub const SHARE_LEN: usize = 65;
/// Length of a confirmation MAC (HMAC-SHA256).
pub const CONFIRM_LEN: usize = 32;
/// Length of a verifier record: `w0` (32 bytes) then `L` (65 bytes).
pub const RECORD_LEN: usize = 97;
/// The largest discriminator (12 bits).
pub const MAX_DISCRIMINATOR: u16 = 0x0FFF;
/// Salt lengths allowed, in bytes.
pub const SALT_LEN: core::ops::RangeInclusive<usize> = 16..=32;
/// PBKDF2 iteration counts allowed.
pub const ITERATIONS: core::ops::RangeInclusive<u32> = 1_000..=100_000;
/// The longest a window stays open, in seconds.
pub const MAX_WINDOW_SECS: u16 = 900;
/// The shortest window a manager may open, in seconds.
pub const MIN_WINDOW_SECS: u16 = 180;
/// Failed sessions a window admits.
pub const MAX_SESSIONS: u8 = 20;
/// Most operations in one `acl-change`.
pub const MAX_ACL_OPERATIONS: usize = 64;
/// Most entries of an access-control list.
pub const MAX_ACL_ENTRIES: usize = 64;

/// `shareP` or `shareV` as it travels. Whether it is a point of the curve is checked by the
/// key exchange, not by the codec.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Share(pub [u8; SHARE_LEN]);

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_hex(f, "Share", &self.0)
    }
}

/// `confirmP` or `confirmV` as it travels.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Confirmation(pub [u8; CONFIRM_LEN]);

impl fmt::Debug for Confirmation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_hex(f, "Confirmation", &self.0)
    }
}

/// Writes `name(bytes)` with the bytes in lower-case hexadecimal.
fn debug_hex(f: &mut fmt::Formatter<'_>, name: &str, bytes: &[u8]) -> fmt::Result {
    write!(f, "{name}(")?;
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))?;
    f.write_str(")")
}

/// The verifier record `w0 || L` of an enhanced window. It lets its holder test passcode
/// guesses offline, so its `Debug` does not show it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifierBytes(pub [u8; RECORD_LEN]);

impl fmt::Debug for VerifierBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifierBytes(..)")
    }
}

/// What a commissioner needs to derive `w0` and `w1` and find the device: the discriminator,
/// the salt and the iteration count of a window's verifier record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowParams {
    /// The 12-bit discriminator.
    pub discriminator: u16,
    /// The PBKDF2 salt, 16 to 32 bytes.
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count, 1000 to 100000.
    pub iterations: u32,
}

/// Which verifier record a window uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowType {
    /// The factory's verifier record.
    Basic = 1,
    /// A temporary verifier record from a manager's `window-control`.
    Enhanced = 2,
}

/// An open window, as its `window` message announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenWindow {
    /// Discriminator, salt and iteration count.
    pub params: WindowParams,
    /// Whole seconds until the window closes at the latest (at most 900).
    pub closes_in: u16,
    /// Basic or enhanced.
    pub window_type: WindowType,
}

/// The body of a `window` message (kind 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowState {
    /// A window is open.
    Open(OpenWindow),
    /// No window is open.
    Closed,
}

/// The body of a `pake-response` (kind 13): `shareV` and `confirmV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PakeResponse {
    /// `shareV`.
    pub share: Share,
    /// `confirmV`.
    pub confirm: Confirmation,
}

/// Why a commissioner abandons a session instead of sending `confirmP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PakeAbort {
    /// `confirmV` did not match (most often: a wrong passcode).
    ConfirmationMismatch = 1,
    /// `shareV` was refused (not a point, the identity, the password's mask).
    RefusedShare = 2,
}

/// The body of a `pake-confirm` (kind 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PakeConfirm {
    /// `confirmP`.
    Confirm(Confirmation),
    /// The session is abandoned.
    Abort(PakeAbort),
}

/// The body of a `commission-result` (kind 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommissionResult {
    /// How the session ended (Table 5 of the chapter).
    pub status: StatusCode,
    /// Sessions the window still admits, unless the session succeeded (at most 20).
    pub sessions_left: Option<u8>,
}

/// The body of an `acl-read-response` (kind 17).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclReadResponse {
    /// Every entry, in the device's order.
    pub entries: Vec<AclEntry>,
    /// The most entries the device supports (at most 64).
    pub max_entries: u8,
}

/// One operation of an `acl-change` (kind 18). Entries are named by key id and CA flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclOperation {
    /// Add an entry.
    Add(AclEntry),
    /// Change the privilege of an entry.
    Set {
        /// The entry's key id and CA flag.
        subject: AclSubject,
        /// Its new privilege.
        privilege: Privilege,
    },
    /// Remove an entry.
    Remove(AclSubject),
}

/// The body of an `acl-change-response` (kind 19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AclChangeResponse {
    /// `success`, or why the change was refused.
    pub status: StatusCode,
    /// The index of the first operation that failed (at most 63).
    pub failed_at: Option<u8>,
}

/// An enhanced window a manager asks for (`spec/07-commissioning.md` §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnhancedWindow {
    /// Discriminator, salt and iteration count of the temporary verifier record.
    pub params: WindowParams,
    /// The temporary verifier record `w0 || L`.
    pub verifier: VerifierBytes,
    /// Seconds the window stays open at the latest, 180 to 900.
    pub duration: u16,
    /// The privilege the controller commissioned in it gets: operate or manage.
    pub privilege: Privilege,
}

/// The body of a `window-control` (kind 20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowControl {
    /// Open an enhanced window (boxed: it is the largest body by far).
    Open(Box<EnhancedWindow>),
    /// Close the open window.
    Close,
}

// ---------------------------------------------------------------------------------------------
// Encoding.

fn params(p: &WindowParams) -> [(u64, Cbor); 3] {
    [
        (2, int(p.discriminator)),
        (3, Cbor::Bytes(p.salt.clone())),
        (4, int(p.iterations)),
    ]
}

fn acl_entry(e: &AclEntry) -> Cbor {
    let (kid, ca) = subject_parts(&e.subject);
    let mut m = vec![
        (1, Cbor::Bytes(kid.0.to_vec())),
        (2, int(e.privilege.code())),
    ];
    if ca {
        m.push((3, Cbor::Bool(true)));
    }
    map(m)
}

const fn subject_parts(s: &AclSubject) -> (KeyId, bool) {
    match *s {
        AclSubject::Key(k) => (k, false),
        AclSubject::Ca(k) => (k, true),
    }
}

/// A window's state or control: key 1 whether it is open; an open one's parameters, then
/// `more` (keys 5 on).
fn window(open: Option<(&WindowParams, Vec<(u64, Cbor)>)>) -> Cbor {
    let Some((p, more)) = open else {
        return map(vec![(1, Cbor::Bool(false))]);
    };
    let mut m = vec![(1, Cbor::Bool(true))];
    m.extend(params(p));
    m.extend(more);
    map(m)
}

pub(crate) fn encode_window(w: &WindowState) -> Cbor {
    match w {
        WindowState::Closed => window(None),
        WindowState::Open(o) => window(Some((
            &o.params,
            vec![(5, int(o.closes_in)), (6, int(o.window_type as u8))],
        ))),
    }
}

pub(crate) fn encode_share(s: &Share) -> Cbor {
    map(vec![(1, Cbor::Bytes(s.0.to_vec()))])
}

pub(crate) fn encode_pake_response(r: &PakeResponse) -> Cbor {
    map(vec![
        (1, Cbor::Bytes(r.share.0.to_vec())),
        (2, Cbor::Bytes(r.confirm.0.to_vec())),
    ])
}

pub(crate) fn encode_pake_confirm(c: &PakeConfirm) -> Cbor {
    match c {
        PakeConfirm::Confirm(c) => map(vec![(1, Cbor::Bytes(c.0.to_vec()))]),
        PakeConfirm::Abort(a) => map(vec![(2, int(*a as u8))]),
    }
}

fn status_and_index(status: StatusCode, index: Option<u8>) -> Cbor {
    let mut m = vec![(1, int(status.code()))];
    if let Some(i) = index {
        m.push((2, int(i)));
    }
    map(m)
}

pub(crate) fn encode_commission_result(r: &CommissionResult) -> Cbor {
    status_and_index(r.status, r.sessions_left)
}

pub(crate) fn encode_acl_read_response(r: &AclReadResponse) -> Cbor {
    map(vec![
        (1, Cbor::Array(r.entries.iter().map(acl_entry).collect())),
        (2, int(r.max_entries)),
    ])
}

pub(crate) fn encode_acl_change(ops: &[AclOperation]) -> Cbor {
    let op = |o: &AclOperation| -> Cbor {
        Cbor::Array(match o {
            AclOperation::Add(e) => vec![int(1u8), acl_entry(e)],
            AclOperation::Set { subject, privilege } => {
                let (kid, ca) = subject_parts(subject);
                vec![
                    int(2u8),
                    Cbor::Bytes(kid.0.to_vec()),
                    Cbor::Bool(ca),
                    int(privilege.code()),
                ]
            }
            AclOperation::Remove(subject) => {
                let (kid, ca) = subject_parts(subject);
                vec![int(3u8), Cbor::Bytes(kid.0.to_vec()), Cbor::Bool(ca)]
            }
        })
    };
    map(vec![(1, Cbor::Array(ops.iter().map(op).collect()))])
}

pub(crate) fn encode_acl_change_response(r: &AclChangeResponse) -> Cbor {
    status_and_index(r.status, r.failed_at)
}

pub(crate) fn encode_window_control(w: &WindowControl) -> Cbor {
    match w {
        WindowControl::Close => window(None),
        WindowControl::Open(o) => window(Some((
            &o.params,
            vec![
                (5, Cbor::Bytes(o.verifier.0.to_vec())),
                (6, int(o.duration)),
                (7, int(o.privilege.code())),
            ],
        ))),
    }
}

pub(crate) fn encode_status(status: StatusCode) -> Cbor {
    map(vec![(1, int(status.code()))])
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/// A byte string of exactly `N` bytes.
fn fixed<const N: usize>(item: &Cbor, field: &'static str) -> Result<[u8; N], DecodeError> {
    match item {
        Cbor::Bytes(b) => b
            .as_slice()
            .try_into()
            .map_err(|_| DecodeError::OutOfRange(field)),
        _ => Err(DecodeError::WrongType {
            field,
            expected: "byte string",
        }),
    }
}

/// An unsigned integer in `range`.
fn bounded_u16(
    item: &Cbor,
    field: &'static str,
    range: core::ops::RangeInclusive<u16>,
) -> Result<u16, DecodeError> {
    let v = as_u16(item, field)?;
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(DecodeError::OutOfRange(field))
    }
}

fn small(item: &Cbor, field: &'static str, max: u8) -> Result<u8, DecodeError> {
    u8::try_from(bounded_u16(item, field, 0..=u16::from(max))?)
        .map_err(|_| DecodeError::OutOfRange(field))
}

fn decode_params(f: &Fields<'_>) -> Result<WindowParams, DecodeError> {
    let discriminator = bounded_u16(
        f.req(2, "discriminator")?,
        "discriminator",
        0..=MAX_DISCRIMINATOR,
    )?;
    let salt = match f.req(3, "salt")? {
        Cbor::Bytes(b) if SALT_LEN.contains(&b.len()) => b.clone(),
        Cbor::Bytes(_) => return Err(DecodeError::OutOfRange("salt")),
        _ => {
            return Err(DecodeError::WrongType {
                field: "salt",
                expected: "byte string",
            })
        }
    };
    let iterations = as_u32(f.req(4, "iterations")?, "iterations")?;
    if !ITERATIONS.contains(&iterations) {
        return Err(DecodeError::OutOfRange("iterations"));
    }
    Ok(WindowParams {
        discriminator,
        salt,
        iterations,
    })
}

fn privilege_of(item: &Cbor, field: &'static str) -> Result<Privilege, DecodeError> {
    Privilege::from_code(as_u64(item, field)?).ok_or(DecodeError::OutOfRange(field))
}

fn key_id(item: &Cbor, field: &'static str) -> Result<KeyId, DecodeError> {
    Ok(KeyId(fixed(item, field)?))
}

fn subject(kid: KeyId, ca: bool) -> AclSubject {
    if ca {
        AclSubject::Ca(kid)
    } else {
        AclSubject::Key(kid)
    }
}

/// `{1: key-id, 2: privilege, ? 3: true}` (`spec/03-security.md` §13.4).
fn decode_acl_entry(item: &Cbor) -> Result<AclEntry, DecodeError> {
    let f = Fields::of(item, "ACL entry")?;
    let kid = key_id(f.req(1, "ACL entry key id")?, "ACL entry key id")?;
    let privilege = privilege_of(f.req(2, "ACL entry privilege")?, "ACL entry privilege")?;
    let ca = match f.get(3) {
        None => false,
        Some(Cbor::Bool(true)) => true,
        Some(_) => return Err(DecodeError::OutOfRange("ACL entry CA flag")),
    };
    Ok(AclEntry {
        subject: subject(kid, ca),
        privilege,
    })
}

fn decode_operation(item: &Cbor) -> Result<AclOperation, DecodeError> {
    const SHAPE: &str = "[1, entry] / [2, key id, ca, privilege] / [3, key id, ca]";
    let items = as_array(item, "ACL operation", 4)?;
    let code = items
        .first()
        .map(|c| as_u64(c, "ACL operation"))
        .transpose()?;
    let wrong = DecodeError::WrongType {
        field: "ACL operation",
        expected: SHAPE,
    };
    Ok(match (code, items) {
        (Some(1), [_, entry]) => AclOperation::Add(decode_acl_entry(entry)?),
        (Some(2), [_, kid, ca, privilege]) => AclOperation::Set {
            subject: subject(
                key_id(kid, "ACL operation key id")?,
                as_bool(ca, "CA flag")?,
            ),
            privilege: privilege_of(privilege, "ACL operation privilege")?,
        },
        (Some(3), [_, kid, ca]) => AclOperation::Remove(subject(
            key_id(kid, "ACL operation key id")?,
            as_bool(ca, "CA flag")?,
        )),
        (Some(1..=3), _) => return Err(wrong),
        _ => return Err(DecodeError::OutOfRange("ACL operation")),
    })
}

pub(crate) fn decode_window(f: &Fields<'_>) -> Result<WindowState, DecodeError> {
    if !as_bool(f.req(1, "window open")?, "window open")? {
        return Ok(WindowState::Closed);
    }
    Ok(WindowState::Open(OpenWindow {
        params: decode_params(f)?,
        closes_in: bounded_u16(f.req(5, "closes in")?, "closes in", 0..=MAX_WINDOW_SECS)?,
        window_type: match as_u64(f.req(6, "window type")?, "window type")? {
            1 => WindowType::Basic,
            2 => WindowType::Enhanced,
            _ => return Err(DecodeError::OutOfRange("window type")),
        },
    }))
}

pub(crate) fn decode_share(f: &Fields<'_>) -> Result<Share, DecodeError> {
    Ok(Share(fixed(f.req(1, "shareP")?, "shareP")?))
}

pub(crate) fn decode_pake_response(f: &Fields<'_>) -> Result<PakeResponse, DecodeError> {
    Ok(PakeResponse {
        share: Share(fixed(f.req(1, "shareV")?, "shareV")?),
        confirm: Confirmation(fixed(f.req(2, "confirmV")?, "confirmV")?),
    })
}

pub(crate) fn decode_pake_confirm(f: &Fields<'_>) -> Result<PakeConfirm, DecodeError> {
    match (f.get(1), f.get(2)) {
        (Some(c), None) => Ok(PakeConfirm::Confirm(Confirmation(fixed(c, "confirmP")?))),
        (None, Some(a)) => Ok(PakeConfirm::Abort(match as_u64(a, "abort")? {
            1 => PakeAbort::ConfirmationMismatch,
            2 => PakeAbort::RefusedShare,
            _ => return Err(DecodeError::OutOfRange("abort")),
        })),
        (None, None) => Err(DecodeError::Missing("confirmP or abort")),
        (Some(_), Some(_)) => Err(DecodeError::WrongType {
            field: "pake-confirm",
            expected: "confirmP or an abort, not both",
        }),
    }
}

pub(crate) fn decode_commission_result(f: &Fields<'_>) -> Result<CommissionResult, DecodeError> {
    Ok(CommissionResult {
        status: status_of(f.req(1, "commission status")?, "commission status")?,
        sessions_left: f
            .get(2)
            .map(|s| small(s, "sessions left", MAX_SESSIONS))
            .transpose()?,
    })
}

pub(crate) fn decode_acl_read_response(f: &Fields<'_>) -> Result<AclReadResponse, DecodeError> {
    Ok(AclReadResponse {
        entries: as_array(f.req(1, "ACL")?, "ACL", MAX_ACL_ENTRIES)?
            .iter()
            .map(decode_acl_entry)
            .collect::<Result<_, _>>()?,
        max_entries: small(f.req(2, "max entries")?, "max entries", 64)?,
    })
}

pub(crate) fn decode_acl_change(f: &Fields<'_>) -> Result<Vec<AclOperation>, DecodeError> {
    let ops = as_array(
        f.req(1, "ACL operations")?,
        "ACL operations",
        MAX_ACL_OPERATIONS,
    )?;
    if ops.is_empty() {
        return Err(DecodeError::OutOfRange("ACL operations"));
    }
    ops.iter().map(decode_operation).collect()
}

pub(crate) fn decode_acl_change_response(f: &Fields<'_>) -> Result<AclChangeResponse, DecodeError> {
    Ok(AclChangeResponse {
        status: status_of(f.req(1, "ACL change status")?, "ACL change status")?,
        failed_at: f
            .get(2)
            .map(|i| small(i, "failed operation", 63))
            .transpose()?,
    })
}

pub(crate) fn decode_window_control(f: &Fields<'_>) -> Result<WindowControl, DecodeError> {
    if !as_bool(f.req(1, "window open")?, "window open")? {
        return Ok(WindowControl::Close);
    }
    Ok(WindowControl::Open(Box::new(EnhancedWindow {
        params: decode_params(f)?,
        verifier: VerifierBytes(fixed(f.req(5, "verifier record")?, "verifier record")?),
        duration: bounded_u16(
            f.req(6, "window duration")?,
            "window duration",
            MIN_WINDOW_SECS..=MAX_WINDOW_SECS,
        )?,
        privilege: match privilege_of(f.req(7, "privilege")?, "privilege")? {
            Privilege::View => return Err(DecodeError::OutOfRange("privilege")),
            p => p,
        },
    })))
}

pub(crate) fn decode_status(f: &Fields<'_>) -> Result<StatusCode, DecodeError> {
    status_of(f.req(1, "status")?, "status")
}
