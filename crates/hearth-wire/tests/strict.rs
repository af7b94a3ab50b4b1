//! One reading only (HRT-MSG-100 … HRT-MSG-104): a payload that a general-purpose CBOR decoder
//! reads as some message, but that is outside the profile's data model — a bignum, a tag, an
//! indefinite length, `undefined`, a float, a repeated key of any type — is a typed decoding
//! error wherever it sits, never a panic; longer forms and unsorted keys, which have one
//! reading, still decode to the same message.

use ciborium::value::{Integer, Value as Cbor};
use hearth_model::{Path, Value};
use hearth_security::strict::StrictError;
use hearth_wire::codec::{decode, encode, Limits};
use hearth_wire::{Body, DecodeError, Message};
use proptest::prelude::*;

const L: &Limits = &Limits::STANDARD;

/// A write of 4.00 to component 1's setpoint, as a controller sends it.
fn write() -> Message {
    Message {
        request_id: Some(9),
        target: Some("fridge-1".into()),
        ..Message::new(
            "ctl-1",
            300,
            Body::Write(vec![(Path::new(1, 3, 1), Value::Int(400))]),
        )
    }
}

/// The message as ciborium's `Value`, for surgery.
fn tree(msg: &Message) -> Vec<(Cbor, Cbor)> {
    match ciborium::de::from_reader::<Cbor, _>(encode(msg).as_slice()) {
        Ok(Cbor::Map(m)) => m,
        other => panic!("not a map: {other:?}"),
    }
}

fn bytes(map: Vec<(Cbor, Cbor)>) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(&Cbor::Map(map), &mut out).expect("encode");
    out
}

fn int(i: u64) -> Cbor {
    Cbor::Integer(i.into())
}

/// The value of top-level key `key`.
fn at(map: &mut [(Cbor, Cbor)], key: u64) -> &mut Cbor {
    map.iter_mut()
        .find(|(k, _)| *k == int(key))
        .map(|(_, v)| v)
        .expect("key")
}

/// `n` as a bignum: tag 2 over its big-endian bytes without leading zeros.
fn bignum(n: u64) -> Cbor {
    let be = n.to_be_bytes();
    let first = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    Cbor::Tag(2, Box::new(Cbor::Bytes(be[first..].to_vec())))
}

fn outside(bytes: &[u8]) -> StrictError {
    match decode(bytes, L) {
        Err(DecodeError::OutsideProfile(e)) => e,
        other => panic!("expected a profile error, got {other:?}"),
    }
}

/// What a general-purpose decoder makes of the bytes: the same message as `msg`, so only the
/// strict rules tell the forms apart.
fn lax_reads_as(bytes: &[u8], msg: &Message) {
    let item: Cbor = ciborium::de::from_reader(bytes).expect("well-formed CBOR");
    assert_eq!(
        &hearth_wire::codec::decode_item(&item, L).expect("lax"),
        msg
    );
}

// HRT-MSG-102: the counter as a bignum is the same number to ciborium, and refused here.
#[test]
fn a_bignum_counter_is_refused() {
    let msg = write();
    let mut map = tree(&msg);
    *at(&mut map, 4) = bignum(300);
    let b = bytes(map);
    lax_reads_as(&b, &msg);
    assert!(matches!(outside(&b), StrictError::Tag { tag: 2, .. }));
}

// HRT-MSG-102: a bignum value (positive or negative) is not an integer value of the profile.
#[test]
fn a_bignum_value_is_refused() {
    let msg = write();
    for (big, tag) in [
        (bignum(400), 2),
        (Cbor::Tag(3, Box::new(Cbor::Bytes(vec![0x01, 0x8f]))), 3),
    ] {
        let mut map = tree(&msg);
        let Cbor::Map(body) = at(&mut map, 5) else {
            panic!("body")
        };
        let Cbor::Array(values) = &mut body[0].1 else {
            panic!("values")
        };
        let Cbor::Array(entry) = &mut values[0] else {
            panic!("entry")
        };
        entry[3] = big;
        let b = bytes(map);
        assert!(
            matches!(decode(&b, L), Err(DecodeError::OutsideProfile(StrictError::Tag { tag: t, .. })) if t == tag)
        );
    }
}

// HRT-MSG-102: a tag is refused even in an entry the decoder would ignore (HRT-MSG-041).
#[test]
fn a_tag_in_an_ignored_entry_is_refused() {
    let msg = write();
    let mut map = tree(&msg);
    map.push((int(99), Cbor::Tag(1, Box::new(int(0)))));
    assert!(matches!(
        outside(&bytes(map)),
        StrictError::Tag { tag: 1, .. }
    ));
    // Without the tag the same entry is ignored.
    let mut map = tree(&msg);
    map.push((int(99), int(0)));
    assert_eq!(decode(&bytes(map), L), Ok(msg));
}

// HRT-MSG-104: a text key twice in the header (ignored keys both), or in the body.
#[test]
fn duplicate_text_keys_are_refused() {
    let msg = write();
    let mut map = tree(&msg);
    map.push((Cbor::Text("x".into()), int(1)));
    map.push((Cbor::Text("x".into()), int(2)));
    let b = bytes(map);
    lax_reads_as(&b, &msg);
    assert_eq!(outside(&b), StrictError::DuplicateKey { offset: 0 });

    let mut map = tree(&msg);
    let Cbor::Map(body) = at(&mut map, 5) else {
        panic!("body")
    };
    body.push((Cbor::Text("v".into()), Cbor::Null));
    body.push((Cbor::Text("v".into()), Cbor::Null));
    assert!(matches!(
        outside(&bytes(map)),
        StrictError::DuplicateKey { .. }
    ));
}

// HRT-MSG-104: an integer key twice, once in a longer form, is the same key.
#[test]
fn a_key_twice_in_two_forms_is_refused() {
    let msg = write();
    let mut b = bytes(tree(&msg));
    // Top-level map head a5..; append 18 04 (key 4 in two bytes) and a counter.
    b[0] += 1;
    b.extend_from_slice(&[0x18, 0x04, 0x01]);
    assert_eq!(outside(&b), StrictError::DuplicateKey { offset: 0 });
}

// HRT-MSG-103: `undefined` is not null; a float is no value, even where it would be ignored.
#[test]
fn undefined_and_floats_are_refused() {
    let msg = write();
    let mut map = tree(&msg);
    map.push((int(99), Cbor::Float(1.5)));
    assert!(matches!(outside(&bytes(map)), StrictError::Float { .. }));
    let mut b = bytes(tree(&msg));
    b[0] += 1;
    b.extend_from_slice(&[0x18, 0x63, 0xf7]);
    assert!(matches!(outside(&b), StrictError::Simple { value: 23, .. }));
}

/// `value` written with every array and map of indefinite length.
fn indefinite(value: &Cbor, out: &mut Vec<u8>) {
    match value {
        Cbor::Array(items) => {
            out.push(0x9f);
            items.iter().for_each(|i| indefinite(i, out));
            out.push(0xff);
        }
        Cbor::Map(entries) => {
            out.push(0xbf);
            for (k, v) in entries {
                indefinite(k, out);
                indefinite(v, out);
            }
            out.push(0xff);
        }
        other => ciborium::ser::into_writer(other, &mut *out).expect("encode"),
    }
}

// HRT-MSG-101
#[test]
fn indefinite_lengths_are_refused() {
    let msg = write();
    let mut b = Vec::new();
    indefinite(&Cbor::Map(tree(&msg)), &mut b);
    lax_reads_as(&b, &msg);
    assert_eq!(outside(&b), StrictError::Indefinite { offset: 0 });
    // An indefinite-length text string, chunked: the sender id.
    let mut map = tree(&msg);
    *at(&mut map, 3) = Cbor::Text("__chunk__".into());
    let b = bytes(map);
    let pos = b
        .windows(10)
        .position(|w| w == b"\x69__chunk__")
        .expect("sender");
    let chunked = [&b[..pos], b"\x7f\x63ctl\x62-1\xff", &b[pos + 10..]].concat();
    lax_reads_as(&chunked, &msg);
    assert!(matches!(outside(&chunked), StrictError::Indefinite { .. }));
}

// HRT-MSG-100: longer forms and another key order decode to the same message.
#[test]
fn longer_forms_and_other_orders_decode_the_same() {
    let msg = write();
    let mut map = tree(&msg);
    map.reverse();
    assert_eq!(decode(&bytes(map), L), Ok(msg.clone()));
    let b = encode(&msg);
    // The counter 300 (19 01 2c) in eight bytes instead of two.
    let pos = b
        .windows(4)
        .position(|w| w == [0x04, 0x19, 0x01, 0x2c])
        .expect("counter");
    let long = [
        &b[..=pos],
        &[0x1b, 0, 0, 0, 0, 0, 0, 0x01, 0x2c][..],
        &b[pos + 4..],
    ]
    .concat();
    assert_eq!(decode(&long, L), Ok(msg));
}

/// Every unsigned integer in `value`, by a path of child indexes (map entries count keys
/// and values as children 2i and 2i+1).
fn integers(value: &Cbor, path: &mut Vec<usize>, found: &mut Vec<Vec<usize>>) {
    match value {
        Cbor::Integer(i) if u64::try_from(*i).is_ok() => found.push(path.clone()),
        Cbor::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                path.push(n);
                integers(item, path, found);
                path.pop();
            }
        }
        Cbor::Map(entries) => {
            for (n, (k, v)) in entries.iter().enumerate() {
                for (side, item) in [(0, k), (1, v)] {
                    path.push(2 * n + side);
                    integers(item, path, found);
                    path.pop();
                }
            }
        }
        _ => {}
    }
}

fn node<'a>(value: &'a mut Cbor, path: &[usize]) -> &'a mut Cbor {
    match (value, path) {
        (v, []) => v,
        (Cbor::Array(items), [n, rest @ ..]) => node(&mut items[*n], rest),
        (Cbor::Map(entries), [n, rest @ ..]) => {
            let (k, v) = &mut entries[n / 2];
            node(if n % 2 == 0 { k } else { v }, rest)
        }
        (v, _) => v,
    }
}

fn message() -> impl Strategy<Value = Message> {
    (
        any::<u64>(),
        any::<u64>(),
        proptest::collection::vec(
            (any::<u16>(), any::<u16>(), any::<u16>(), any::<i64>()),
            1..5,
        ),
    )
        .prop_map(|(counter, request_id, writes)| Message {
            request_id: Some(request_id),
            target: Some("dev-1".into()),
            ..Message::new(
                "ctl-1",
                counter,
                Body::Write(
                    writes
                        .into_iter()
                        .map(|(c, cap, m, v)| (Path::new(c, cap, m), Value::Int(v)))
                        .collect(),
                ),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// HRT-MSG-102: any unsigned integer of a message, key or value, written as a bignum,
    /// makes it undecodable — with the tag's offset — never a panic.
    #[test]
    fn any_integer_as_a_bignum_is_refused(msg in message(), pick in any::<proptest::sample::Index>()) {
        let mut item = Cbor::Map(tree(&msg));
        let mut found = Vec::new();
        integers(&item, &mut Vec::new(), &mut found);
        let path = pick.get(&found).clone();
        let target = node(&mut item, &path);
        let Cbor::Integer(i) = target.clone() else { unreachable!() };
        let n = u64::try_from(i).unwrap_or_default();
        *target = bignum(n);
        let mut b = Vec::new();
        ciborium::ser::into_writer(&item, &mut b).expect("encode");
        let got = decode(&b, L);
        let refused = matches!(
            got,
            Err(DecodeError::OutsideProfile(StrictError::Tag { tag: 2, offset })) if b.get(offset) == Some(&0xc2)
        );
        prop_assert!(refused, "{:?}", got);
    }

    /// HRT-MSG-101: the same message with indefinite lengths throughout is refused.
    #[test]
    fn indefinite_forms_of_any_message_are_refused(msg in message()) {
        let mut b = Vec::new();
        indefinite(&Cbor::Map(tree(&msg)), &mut b);
        prop_assert_eq!(decode(&b, L), Err(DecodeError::OutsideProfile(StrictError::Indefinite { offset: 0 })));
    }

    /// HRT-MSG-104: any entry of the top map repeated, under any key type, is refused.
    #[test]
    fn any_entry_twice_is_refused(msg in message(), pick in any::<proptest::sample::Index>(), text in proptest::option::of("[a-z]{1,4}")) {
        let mut map = tree(&msg);
        let entry = match text {
            Some(t) => (Cbor::Text(t), Cbor::Integer(Integer::from(0))),
            None => pick.get(&map).clone(),
        };
        map.push(entry.clone());
        map.push(entry);
        prop_assert_eq!(decode(&bytes(map), L), Err(DecodeError::OutsideProfile(StrictError::DuplicateKey { offset: 0 })));
    }

    /// No byte string, however it breaks the rules, panics the strict decoder.
    #[test]
    fn strict_decoding_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = hearth_security::strict::decode(&bytes, Some(18), 16);
        let _ = decode(&bytes, L);
    }
}
