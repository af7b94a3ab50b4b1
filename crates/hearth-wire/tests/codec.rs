//! Codec properties: every message kind round-trips byte-exactly, and no input panics the
//! decoder (HRT-MSG-020, HRT-MSG-030, HRT-MSG-040), the commissioning kinds 11 to 21
//! included (HRT-COM-044).

use hearth_model::{Description, Path, Privilege, StatusCode, Value};
use hearth_security::{AclEntry, AclSubject, KeyId};
use hearth_testkit::arb::{self, DescriptionSpace, Ids, ValueSpace};
use hearth_wire::codec::{decode, encode, Limits};
use hearth_wire::commissioning::{
    AclChangeResponse, AclOperation, AclReadResponse, CommissionResult, Confirmation,
    EnhancedWindow, OpenWindow, PakeAbort, PakeConfirm, PakeResponse, Share, VerifierBytes,
    WindowControl, WindowParams, WindowState, WindowType,
};
use hearth_wire::{
    Availability, Body, DecodeError, EventBody, InvokeResult, Message, ReadResult, Report, Status,
    PROTOCOL_VERSION,
};
use proptest::prelude::*;

/// Small values with any field ids: every shape the codec must carry.
fn value() -> impl Strategy<Value = Value> {
    arb::value(ValueSpace {
        depth: 4,
        nodes: 32,
        width: 4,
        text: 20,
        field_ids: 0..=u16::MAX,
    })
}

fn path() -> impl Strategy<Value = Path> {
    (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(a, b, c)| Path::new(a, b, c))
}

fn status() -> impl Strategy<Value = StatusCode> {
    proptest::sample::select(StatusCode::ALL.to_vec())
}

/// Descriptions with any ids and numbers: valid or not, they must round-trip.
fn description() -> impl Strategy<Value = Description> {
    arb::description(&DescriptionSpace {
        ids: Ids::Any,
        component_ids: 0..=u16::MAX,
        device_types: 0..=u16::MAX,
        spec_versions: 0..=u16::MAX,
        device_id: "[a-z0-9-]{1,20}",
        label: ".{1,10}",
        members: 4,
        values: 4,
        capabilities: 4,
        components: 3,
    })
}

/// A message from `sender` with counter 1, no time and no chain, addressed with a request id
/// and a target when `addressed` names them.
fn simple(sender: &str, addressed: Option<(u64, &str)>, body: Body) -> Message {
    let (request_id, target) = addressed.map_or((None, None), |(r, t)| (Some(r), Some(t.into())));
    Message {
        version: PROTOCOL_VERSION,
        sender: sender.into(),
        counter: 1,
        time_ms: None,
        request_id,
        target,
        chain: vec![],
        body,
    }
}

/// `bytes` with the (short) map whose encoding starts with `map` grown by `entry`, which
/// goes first.
fn with_entry(bytes: &[u8], map: &[u8], entry: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(map.len())
        .position(|w| w == map)
        .expect("the map in the encoding");
    let mut out = bytes.to_vec();
    out[at] += 1;
    out.splice(at + 1..at + 1, entry.iter().copied());
    out
}

fn online() -> Body {
    Body::Status(Status {
        availability: Availability::Online,
        boot_id: 7,
    })
}

fn window_params() -> impl Strategy<Value = WindowParams> {
    (
        0u16..=0x0FFF,
        proptest::collection::vec(any::<u8>(), 16..=32),
        1_000u32..=100_000,
    )
        .prop_map(|(discriminator, salt, iterations)| WindowParams {
            discriminator,
            salt,
            iterations,
        })
}

fn privilege() -> impl Strategy<Value = Privilege> {
    prop_oneof![
        Just(Privilege::View),
        Just(Privilege::Operate),
        Just(Privilege::Manage)
    ]
}

fn subject() -> impl Strategy<Value = AclSubject> {
    (any::<[u8; 16]>(), any::<bool>()).prop_map(|(kid, ca)| {
        if ca {
            AclSubject::Ca(KeyId(kid))
        } else {
            AclSubject::Key(KeyId(kid))
        }
    })
}

fn acl_entry() -> impl Strategy<Value = AclEntry> {
    (subject(), privilege()).prop_map(|(subject, privilege)| AclEntry { subject, privilege })
}

fn bytes<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    proptest::collection::vec(any::<u8>(), N).prop_map(|b| {
        let mut out = [0u8; N];
        out.copy_from_slice(&b);
        out
    })
}

/// Every body of the commissioning kinds, within the chapter's ranges.
fn commissioning_body() -> impl Strategy<Value = Body> {
    let index = proptest::option::of(0u8..=20);
    prop_oneof![
        Just(Body::Window(WindowState::Closed)),
        (window_params(), 0u16..=900, any::<bool>()).prop_map(|(params, closes_in, basic)| {
            Body::Window(WindowState::Open(OpenWindow {
                params,
                closes_in,
                window_type: if basic {
                    WindowType::Basic
                } else {
                    WindowType::Enhanced
                },
            }))
        }),
        bytes::<65>().prop_map(|s| Body::PakeStart(Share(s))),
        (bytes::<65>(), bytes::<32>()).prop_map(|(s, c)| Body::PakeResponse(PakeResponse {
            share: Share(s),
            confirm: Confirmation(c)
        })),
        bytes::<32>().prop_map(|c| Body::PakeConfirm(PakeConfirm::Confirm(Confirmation(c)))),
        prop_oneof![
            Just(PakeAbort::ConfirmationMismatch),
            Just(PakeAbort::RefusedShare)
        ]
        .prop_map(|a| Body::PakeConfirm(PakeConfirm::Abort(a))),
        (status(), index.clone()).prop_map(|(status, sessions_left)| Body::CommissionResult(
            CommissionResult {
                status,
                sessions_left
            }
        )),
        Just(Body::AclRead),
        (proptest::collection::vec(acl_entry(), 0..6), 0u8..=64).prop_map(
            |(entries, max_entries)| Body::AclReadResponse(AclReadResponse {
                entries,
                max_entries
            })
        ),
        proptest::collection::vec(
            prop_oneof![
                acl_entry().prop_map(AclOperation::Add),
                (subject(), privilege())
                    .prop_map(|(subject, privilege)| AclOperation::Set { subject, privilege }),
                subject().prop_map(AclOperation::Remove),
            ],
            1..6
        )
        .prop_map(Body::AclChange),
        (status(), index).prop_map(|(status, failed_at)| Body::AclChangeResponse(
            AclChangeResponse { status, failed_at }
        )),
        Just(Body::WindowControl(WindowControl::Close)),
        (window_params(), bytes::<97>(), 180u16..=900, any::<bool>()).prop_map(
            |(params, verifier, duration, manage)| {
                Body::WindowControl(WindowControl::Open(Box::new(EnhancedWindow {
                    params,
                    verifier: VerifierBytes(verifier),
                    duration,
                    privilege: if manage {
                        Privilege::Manage
                    } else {
                        Privilege::Operate
                    },
                })))
            }
        ),
        status().prop_map(Body::WindowControlResponse),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        commissioning_body(),
        description().prop_map(Body::Description),
        (any::<bool>(), any::<u64>()).prop_map(|(online, boot_id)| Body::Status(Status {
            availability: if online {
                Availability::Online
            } else {
                Availability::Offline
            },
            boot_id
        })),
        (
            any::<bool>(),
            proptest::collection::vec((path(), value()), 0..5)
        )
            .prop_map(|(full, values)| Body::Report(Report { full, values })),
        (
            path(),
            any::<u64>(),
            proptest::collection::btree_map(any::<u16>(), value(), 0..4)
        )
            .prop_map(|(path, number, fields)| Body::Event(EventBody {
                path,
                number,
                fields: Value::Struct(fields)
            })),
        proptest::collection::vec(path(), 0..5).prop_map(Body::Read),
        proptest::collection::vec((path(), value()), 0..5).prop_map(Body::Write),
        (path(), value()).prop_map(|(path, args)| Body::Invoke { path, args }),
        proptest::collection::vec((path(), status(), value()), 0..5).prop_map(|rs| {
            Body::ReadResponse(
                rs.into_iter()
                    .map(|(path, status, v)| ReadResult {
                        path,
                        status,
                        value: (status == StatusCode::Success).then_some(v),
                    })
                    .collect(),
            )
        }),
        proptest::collection::vec((path(), status()), 0..5).prop_map(Body::WriteResponse),
        (
            path(),
            status(),
            proptest::option::of(proptest::collection::btree_map(any::<u16>(), value(), 0..4))
        )
            .prop_map(
                |(path, status, results)| Body::InvokeResponse(InvokeResult {
                    path,
                    status,
                    results: results.map(Value::Struct)
                }),
            ),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (
        "[a-z0-9.-]{1,30}",
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        any::<u64>(),
        "[a-z0-9.-]{1,30}",
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..40), 0..3),
        body(),
    )
        .prop_map(
            |(sender, counter, time_ms, request_id, target, chain, body)| {
                let addressed = body.kind().is_request() || body.kind().is_response();
                Message {
                    version: PROTOCOL_VERSION,
                    sender,
                    counter,
                    time_ms,
                    request_id: addressed.then_some(request_id),
                    target: addressed.then_some(target),
                    chain,
                    body,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// HRT-MSG-020: decode(encode(m)) == m, and encoding is deterministic.
    #[test]
    fn every_kind_round_trips(msg in message()) {
        let bytes = encode(&msg);
        let back = decode(&bytes, &Limits::STANDARD).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &msg);
        prop_assert_eq!(encode(&back), bytes);
    }

    /// HRT-MSG-040: arbitrary bytes produce a typed error or a message, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes, &Limits::STANDARD);
    }

    /// HRT-MSG-040: a valid message with bytes flipped or cut decodes or fails cleanly.
    #[test]
    fn damaged_messages_never_panic(msg in message(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in any::<usize>()) {
        let mut bytes = encode(&msg);
        for (i, x) in flips {
            let n = bytes.len();
            bytes[i % n] ^= x;
        }
        let _ = decode(&bytes, &Limits::STANDARD);
        let n = bytes.len();
        let _ = decode(&bytes[..cut % n], &Limits::STANDARD);
    }
}

#[test]
fn oversized_input_is_rejected_before_parsing() {
    let bytes = vec![0u8; Limits::STANDARD.max_message + 1];
    assert!(matches!(
        decode(&bytes, &Limits::STANDARD),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn deep_nesting_is_rejected() {
    // 10 000 nested arrays: [[[[...]]]]
    let mut bytes = vec![0x81u8; 10_000];
    bytes.push(0x00);
    assert!(matches!(
        decode(&bytes, &Limits::STANDARD),
        Err(DecodeError::Cbor(_))
    ));
}

#[test]
fn huge_declared_lengths_do_not_allocate_or_panic() {
    // A map claiming 2^32-1 entries, an array claiming 2^64-1, a text claiming 2^32 bytes.
    for bytes in [
        &[0xbau8, 0xff, 0xff, 0xff, 0xff][..],
        &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0x7a, 0xff, 0xff, 0xff, 0xff],
    ] {
        assert!(decode(bytes, &Limits::STANDARD).is_err());
    }
}

#[test]
fn unknown_kind_and_version_are_typed_errors() {
    let msg = simple("a", None, online());
    let bytes = encode(&msg);
    // The kind is the second map entry: a1 01 01 02 02 ... -> replace kind 2 with 99.
    let mut unknown = bytes.clone();
    let at = unknown
        .windows(2)
        .position(|w| w == [0x02, 0x02])
        .expect("kind entry");
    unknown[at + 1] = 0x18;
    unknown.insert(at + 2, 99);
    assert_eq!(
        decode(&unknown, &Limits::STANDARD),
        Err(DecodeError::UnknownKind(99))
    );
    let mut future = bytes;
    let at = future
        .windows(2)
        .position(|w| w == [0x01, 0x01])
        .expect("version entry");
    future[at + 1] = 0x02;
    assert_eq!(
        decode(&future, &Limits::STANDARD),
        Err(DecodeError::Version(2))
    );
}

#[test]
fn unknown_keys_in_a_description_make_it_invalid() {
    // HRT-MSG-051: the description is closed.
    let description = Description {
        spec_version: 1,
        vendor_id: 1,
        device_id: "x".into(),
        device_type: 1,
        components: vec![],
    };
    let msg = simple("d", None, Body::Description(description));
    // The body map {1: 1, 2: 1, 3: "x", 4: 1, 5: []} is a5 01 01 02 01 03 61 78 04 01 05 80;
    // it gains the entry 99: 0 first.
    let body = [0xa5, 0x01, 0x01, 0x02, 0x01, 0x03, 0x61, 0x78];
    let extended = with_entry(&encode(&msg), &body, &[0x18, 0x63, 0x00]);
    assert_eq!(
        decode(&extended, &Limits::STANDARD),
        Err(DecodeError::UnknownKey("description"))
    );
}

/// HRT-MOD-120, HRT-MOD-121: an optional list of a description is omitted, never sent empty;
/// a receiver refuses the empty list as it refuses an unknown key.
#[test]
fn an_empty_optional_list_in_a_description_does_not_decode() {
    let description = Description {
        spec_version: 1,
        vendor_id: 1,
        device_id: "x".into(),
        device_type: 1,
        components: vec![hearth_model::ComponentDescription {
            id: 0,
            label: None,
            capabilities: vec![hearth_model::CapabilityInstance {
                capability: 0x22,
                properties: vec![7],
                actions: vec![],
                events: vec![],
                constraints: vec![],
            }],
        }],
    };
    let msg = simple("d", None, Body::Description(description));
    let bytes = encode(&msg);
    // The instance {1: 0x22, 2: [7]} ends in 02 81 07; the empty list is 02 80.
    let at = bytes
        .windows(3)
        .position(|w| w == [0x02, 0x81, 0x07])
        .expect("the properties list");
    let mut empty = bytes[..at].to_vec();
    empty.extend_from_slice(&[0x02, 0x80]);
    empty.extend_from_slice(&bytes[at + 3..]);
    assert_eq!(
        decode(&empty, &Limits::STANDARD),
        Err(DecodeError::EmptyList("properties"))
    );
    assert!(decode(&bytes, &Limits::STANDARD).is_ok());
}

#[test]
fn an_unknown_status_code_counts_as_failure() {
    // HRT-MSG-071
    let busy = Body::WriteResponse(vec![(Path::new(0, 9, 1), StatusCode::Busy)]);
    let msg = simple("d", Some((1, "c")), busy);
    let mut bytes = encode(&msg);
    let at = bytes
        .windows(5)
        .position(|w| w == [0x84, 0x00, 0x09, 0x01, 0x0c])
        .expect("write result");
    bytes[at + 4] = 0x17; // status 23: not a code of the catalog
    match decode(&bytes, &Limits::STANDARD).expect("decodes").body {
        Body::WriteResponse(results) => {
            assert_eq!(results, vec![(Path::new(0, 9, 1), StatusCode::Failure)])
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn event_fields_must_be_a_map() {
    let event = Body::Event(EventBody {
        path: Path::new(0, 2, 1),
        number: 0,
        fields: Value::Int(5),
    });
    let msg = simple("d", None, event);
    assert_eq!(
        decode(&encode(&msg), &Limits::STANDARD),
        Err(DecodeError::WrongType {
            field: "event fields",
            expected: "map"
        })
    );
}

#[test]
fn unknown_keys_are_ignored() {
    let msg = simple("a", None, online());
    let bytes = encode(&msg);
    // Raise the outer map's size by one and append key 100 => "future".
    let mut extended = bytes.clone();
    assert_eq!(extended[0] & 0xe0, 0xa0);
    extended[0] += 1;
    extended.extend([0x18, 100, 0x66]);
    extended.extend(b"future");
    assert_eq!(decode(&extended, &Limits::STANDARD), Ok(msg));
}
