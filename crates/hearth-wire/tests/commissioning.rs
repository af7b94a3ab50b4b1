//! The commissioning kinds 11 to 21 (`spec/07-commissioning.md` §6, §12): their codes and
//! names, which of them are requests and responses, and strict decoding of their bodies —
//! every size and range of the chapter's CDDL refused with a typed error (HRT-COM-044).

use ciborium::value::{Integer, Value as Cbor};
use hearth_model::{Privilege, StatusCode};
use hearth_security::{AclEntry, AclSubject, KeyId};
use hearth_wire::codec::{check_header, decode, encode, Limits};
use hearth_wire::commissioning::{
    AclOperation, Confirmation, PakeConfirm, Share, WindowControl, WindowState,
};
use hearth_wire::{Body, DecodeError, Kind, Message};

fn int(i: u64) -> Cbor {
    Cbor::Integer(Integer::from(i))
}

fn map(entries: Vec<(u64, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (int(k), v)).collect())
}

/// A message of `kind` with `body`, addressed, as bytes.
fn message(kind: u64, body: Cbor) -> Vec<u8> {
    let item = map(vec![
        (1, int(1)),
        (2, int(kind)),
        (3, Cbor::Text("app-1".into())),
        (4, int(7)),
        (5, body),
        (7, int(42)),
        (8, Cbor::Text("fan-1".into())),
    ]);
    let mut out = Vec::new();
    ciborium::ser::into_writer(&item, &mut out).expect("encodes");
    out
}

fn decoded(kind: u64, body: Cbor) -> Result<Body, DecodeError> {
    decode(&message(kind, body), &Limits::STANDARD).map(|m| m.body)
}

fn bytes(n: usize) -> Cbor {
    Cbor::Bytes(vec![0x04; n])
}

/// The map `base` with the keys of `changes` replaced or added.
fn with(base: Vec<(u64, Cbor)>, changes: &[(u64, Cbor)]) -> Cbor {
    let mut m = base;
    for (k, v) in changes {
        m.retain(|(key, _)| key != k);
        m.push((*k, v.clone()));
    }
    map(m)
}

/// An open window's map: key 1 true, the window parameters (discriminator, a salt of
/// `salt_len` bytes, iterations), then `more`, changed by `changes`.
fn opened(
    (discriminator, salt_len, iterations): (u64, usize, u64),
    more: Vec<(u64, Cbor)>,
    changes: &[(u64, Cbor)],
) -> Cbor {
    let base = vec![
        (1, Cbor::Bool(true)),
        (2, int(discriminator)),
        (3, bytes(salt_len)),
        (4, int(iterations)),
    ];
    with([base, more].concat(), changes)
}

/// A valid open `window` body, changed by `changes`.
fn open_window(changes: &[(u64, Cbor)]) -> Cbor {
    opened((3840, 16, 1000), vec![(5, int(900)), (6, int(1))], changes)
}

/// A valid `window-control` body opening a window, changed by `changes`.
fn window_control(changes: &[(u64, Cbor)]) -> Cbor {
    let more = vec![(5, bytes(97)), (6, int(180)), (7, int(3))];
    opened((1, 32, 100_000), more, changes)
}

/// The codes, names and roles of Table 4.
#[test]
fn kinds_11_to_21_have_the_chapter_codes() {
    let names = [
        "window",
        "pake-start",
        "pake-response",
        "pake-confirm",
        "commission-result",
        "acl-read",
        "acl-read-response",
        "acl-change",
        "acl-change-response",
        "window-control",
        "window-control-response",
    ];
    for (code, name) in (11u64..).zip(names) {
        let kind = Kind::from_code(code).expect("defined");
        assert_eq!(kind.name(), name);
        assert!(kind.is_commissioning() && !kind.is_data_request());
    }
    assert_eq!(Kind::from_code(22), None);
    assert!(!Kind::InvokeResponse.is_commissioning());
    assert!(!Kind::Window.is_request() && !Kind::Window.is_response());
    for (request, response) in [
        (Kind::PakeStart, Kind::PakeResponse),
        (Kind::PakeConfirm, Kind::CommissionResult),
        (Kind::AclRead, Kind::AclReadResponse),
        (Kind::AclChange, Kind::AclChangeResponse),
        (Kind::WindowControl, Kind::WindowControlResponse),
    ] {
        assert_eq!(request.response(), Some(response));
        assert!(request.is_request() && response.is_response());
        assert!(!request.is_response() && !response.is_request());
    }
    assert_eq!(
        decode(&message(22, map(vec![])), &Limits::STANDARD).map(|_| ()),
        Err(DecodeError::UnknownKind(22))
    );
}

/// Requests and responses of the chapter need a request id and a target; `window` does not.
#[test]
fn commissioning_requests_are_addressed() {
    let mut msg = Message::new("app-1", 1, Body::AclRead);
    assert_eq!(check_header(&msg), Err(DecodeError::Missing("request id")));
    msg.request_id = Some(1);
    msg.target = Some("fan-1".into());
    assert_eq!(check_header(&msg), Ok(()));
    let window = Message::new("fan-1", 1, Body::Window(WindowState::Closed));
    assert_eq!(check_header(&window), Ok(()));
    let back = decode(&encode(&msg), &Limits::STANDARD).expect("round trip");
    assert_eq!(back, msg);
}

/// A `window` message: closed needs nothing else; open needs every field, in range.
#[test]
fn window_bodies_are_checked() {
    assert_eq!(
        decoded(11, map(vec![(1, Cbor::Bool(false))])),
        Ok(Body::Window(WindowState::Closed))
    );
    assert!(matches!(
        decoded(11, open_window(&[])),
        Ok(Body::Window(WindowState::Open(_)))
    ));
    for (entries, error) in [
        (
            vec![(2, int(4096))],
            DecodeError::OutOfRange("discriminator"),
        ),
        (vec![(3, bytes(15))], DecodeError::OutOfRange("salt")),
        (vec![(3, bytes(33))], DecodeError::OutOfRange("salt")),
        (vec![(4, int(999))], DecodeError::OutOfRange("iterations")),
        (
            vec![(4, int(100_001))],
            DecodeError::OutOfRange("iterations"),
        ),
        (vec![(5, int(901))], DecodeError::OutOfRange("closes in")),
        (vec![(6, int(3))], DecodeError::OutOfRange("window type")),
        (
            vec![(3, Cbor::Text("salt".into()))],
            DecodeError::WrongType {
                field: "salt",
                expected: "byte string",
            },
        ),
    ] {
        assert_eq!(
            decoded(11, open_window(&entries)),
            Err(error),
            "{entries:?}"
        );
    }
    assert_eq!(
        decoded(11, map(vec![])),
        Err(DecodeError::Missing("window open"))
    );
    // Unknown keys are ignored (HRT-MSG-041).
    assert!(decoded(11, open_window(&[(99, int(1))])).is_ok());
}

/// Shares are 65 bytes and confirmations 32; `pake-confirm` carries one of confirmP and an
/// abort.
#[test]
fn pake_bodies_are_checked() {
    let confirm = PakeConfirm::Confirm(Confirmation([0x04; 32]));
    for (kind, entries, expected) in [
        (
            12,
            vec![(1, bytes(65))],
            Ok(Body::PakeStart(Share([0x04; 65]))),
        ),
        (
            12,
            vec![(1, bytes(64))],
            Err(DecodeError::OutOfRange("shareP")),
        ),
        (
            13,
            vec![(1, bytes(65)), (2, bytes(33))],
            Err(DecodeError::OutOfRange("confirmV")),
        ),
        (14, vec![(1, bytes(32))], Ok(Body::PakeConfirm(confirm))),
        (14, vec![], Err(DecodeError::Missing("confirmP or abort"))),
        (14, vec![(2, int(3))], Err(DecodeError::OutOfRange("abort"))),
        (
            15,
            vec![(1, int(3)), (2, int(21))],
            Err(DecodeError::OutOfRange("sessions left")),
        ),
    ] {
        let text = format!("{kind}: {entries:?}");
        assert_eq!(decoded(kind, map(entries)), expected, "{text}");
    }
    assert!(matches!(
        decoded(14, map(vec![(1, bytes(32)), (2, int(1))])),
        Err(DecodeError::WrongType { .. })
    ));
}

fn entry(kid: u8, privilege: u64, ca: Option<Cbor>) -> Cbor {
    let mut m = vec![(1, Cbor::Bytes(vec![kid; 16])), (2, int(privilege))];
    if let Some(ca) = ca {
        m.push((3, ca));
    }
    map(m)
}

/// ACL entries and operations as `spec/03-security.md` §13.4 and the chapter's CDDL give
/// them.
#[test]
fn acl_bodies_are_checked() {
    let add = Cbor::Array(vec![int(1), entry(1, 3, Some(Cbor::Bool(true)))]);
    let set = Cbor::Array(vec![
        int(2),
        Cbor::Bytes(vec![2; 16]),
        Cbor::Bool(false),
        int(2),
    ]);
    let remove = Cbor::Array(vec![int(3), Cbor::Bytes(vec![3; 16]), Cbor::Bool(false)]);
    assert_eq!(
        decoded(18, map(vec![(1, Cbor::Array(vec![add, set, remove]))])),
        Ok(Body::AclChange(vec![
            AclOperation::Add(AclEntry {
                subject: AclSubject::Ca(KeyId([1; 16])),
                privilege: Privilege::Manage,
            }),
            AclOperation::Set {
                subject: AclSubject::Key(KeyId([2; 16])),
                privilege: Privilege::Operate,
            },
            AclOperation::Remove(AclSubject::Key(KeyId([3; 16]))),
        ]))
    );
    let change = |op: Cbor| decoded(18, map(vec![(1, Cbor::Array(vec![op]))]));
    assert_eq!(
        decoded(18, map(vec![(1, Cbor::Array(vec![]))])),
        Err(DecodeError::OutOfRange("ACL operations"))
    );
    let many = Cbor::Array(vec![Cbor::Array(vec![int(1), entry(1, 1, None)]); 65]);
    assert_eq!(
        decoded(18, map(vec![(1, many)])),
        Err(DecodeError::TooMany {
            field: "ACL operations",
            max: 64
        })
    );
    assert_eq!(
        change(Cbor::Array(vec![int(4), entry(1, 1, None)])),
        Err(DecodeError::OutOfRange("ACL operation"))
    );
    assert!(matches!(
        change(Cbor::Array(vec![int(3), Cbor::Bytes(vec![3; 16])])),
        Err(DecodeError::WrongType { .. })
    ));
    assert_eq!(
        change(Cbor::Array(vec![int(1), entry(1, 4, None)])),
        Err(DecodeError::OutOfRange("ACL entry privilege"))
    );
    assert_eq!(
        change(Cbor::Array(vec![
            int(1),
            entry(1, 1, Some(Cbor::Bool(false)))
        ])),
        Err(DecodeError::OutOfRange("ACL entry CA flag"))
    );
    assert_eq!(
        change(Cbor::Array(vec![
            int(3),
            Cbor::Bytes(vec![3; 15]),
            Cbor::Bool(true)
        ])),
        Err(DecodeError::OutOfRange("ACL operation key id"))
    );
    assert_eq!(decoded(16, map(vec![])), Ok(Body::AclRead));
    assert_eq!(
        decoded(
            17,
            map(vec![
                (1, Cbor::Array(vec![entry(1, 3, None)])),
                (2, int(65))
            ])
        ),
        Err(DecodeError::OutOfRange("max entries"))
    );
    assert_eq!(
        decoded(19, map(vec![(1, int(9)), (2, int(64))])),
        Err(DecodeError::OutOfRange("failed operation"))
    );
}

/// An enhanced window needs a 97-byte verifier record, 180 to 900 seconds and operate or
/// manage (HRT-COM-072's ranges, checked where they are decoded).
#[test]
fn window_control_bodies_are_checked() {
    assert!(matches!(
        decoded(20, window_control(&[])),
        Ok(Body::WindowControl(WindowControl::Open(_)))
    ));
    assert_eq!(
        decoded(20, map(vec![(1, Cbor::Bool(false))])),
        Ok(Body::WindowControl(WindowControl::Close))
    );
    for (entries, error) in [
        (
            vec![(5, bytes(96))],
            DecodeError::OutOfRange("verifier record"),
        ),
        (
            vec![(6, int(179))],
            DecodeError::OutOfRange("window duration"),
        ),
        (
            vec![(6, int(901))],
            DecodeError::OutOfRange("window duration"),
        ),
        (vec![(7, int(1))], DecodeError::OutOfRange("privilege")),
        (vec![(7, int(0))], DecodeError::OutOfRange("privilege")),
        (
            vec![(2, int(5000))],
            DecodeError::OutOfRange("discriminator"),
        ),
    ] {
        assert_eq!(
            decoded(20, window_control(&entries)),
            Err(error),
            "{entries:?}"
        );
    }
    assert_eq!(
        decoded(21, map(vec![(1, int(12))])),
        Ok(Body::WindowControlResponse(StatusCode::Busy))
    );
}

/// A verifier record in a `window-control` is not shown by `Debug`.
#[test]
fn debug_hides_the_verifier_record() {
    let Ok(body) = decoded(20, window_control(&[(5, Cbor::Bytes(vec![0xab; 97]))])) else {
        panic!("decodes");
    };
    let text = format!("{body:?}");
    assert!(text.contains("VerifierBytes(..)"), "{text}");
    assert!(!text.contains("171"), "{text}");
}
