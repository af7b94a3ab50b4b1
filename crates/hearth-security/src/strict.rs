//! Strict decoding of CBOR in the Hearth profile (`spec/04-messages.md` §10.2,
//! `HRT-MSG-101` … `HRT-MSG-104`): one reading for every byte string a receiver accepts.
//!
//! A general-purpose CBOR decoder is lenient where a signed-message format must not be:
//! ciborium's `Value` decoder reads a bignum (tag 2 or 3) as a plain integer, `undefined` as
//! `null`, takes indefinite-length strings, arrays and maps, and keeps a map's duplicate
//! keys for whoever looks first or last. Two receivers that read the same signed bytes
//! differently can be made to disagree on what was signed, so [`decode`] admits only the
//! profile's data model:
//!
//! - unsigned and negative integers (major types 0 and 1), byte and text strings, arrays and
//!   maps, each of **definite** length;
//! - the simple values `false`, `true` and `null` in their one-byte form, nothing else of
//!   major type 7 (no `undefined`, no floating-point numbers);
//! - **no tag**, except the one an envelope opens with ([`decode`]'s `outer_tag`);
//! - no map with two keys that are the same data item, whatever their type;
//! - at most `max_depth` nested arrays and maps (the outermost counts 1), and no bytes after
//!   the item.
//!
//! What it still accepts, because it has one reading: integers and lengths in a longer form
//! than necessary, and map keys in any order (`HRT-MSG-100`). Heads are read with
//! `ciborium-ll`, the low-level half of ciborium; every length is checked against the bytes
//! that remain before anything is allocated for it (`HRT-SEC-134`), so the work and the
//! memory are bounded by the input's size. No input panics.

use ciborium::value::{Integer, Value};
use ciborium_ll::{Decoder, Header};

/// Why bytes are not one CBOR item in the Hearth profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrictError {
    /// Not well-formed CBOR (RFC 8949 §3): truncated, a reserved head, a stray break code, a
    /// simple value in a two-byte head, or a text string that is not UTF-8.
    #[error("not well-formed CBOR at byte {offset}")]
    NotWellFormed {
        /// Where the item that is not well-formed starts.
        offset: usize,
    },
    /// Bytes after the end of the item.
    #[error("{count} bytes after the end of the CBOR item")]
    Trailing {
        /// How many.
        count: usize,
    },
    /// Arrays and maps nested deeper than the limit.
    #[error("nested deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// The limit.
        max: usize,
        /// Where the array or map beyond it starts.
        offset: usize,
    },
    /// A string, array or map of indefinite length (`HRT-MSG-101`).
    #[error("indefinite-length item at byte {offset}")]
    Indefinite {
        /// Where it starts.
        offset: usize,
    },
    /// A tag the profile does not allow there: a bignum, or any tag but an envelope's own
    /// (`HRT-MSG-102`).
    #[error("tag {tag} at byte {offset}")]
    Tag {
        /// The tag number.
        tag: u64,
        /// Where it starts.
        offset: usize,
    },
    /// A floating-point number (`HRT-MSG-103`).
    #[error("floating-point number at byte {offset}")]
    Float {
        /// Where it starts.
        offset: usize,
    },
    /// A simple value other than `false`, `true` and `null`, such as `undefined`
    /// (`HRT-MSG-103`).
    #[error("simple value {value} at byte {offset}")]
    Simple {
        /// The simple value.
        value: u8,
        /// Where it starts.
        offset: usize,
    },
    /// A map with two equal keys (`HRT-MSG-104`).
    #[error("map at byte {offset} has a key twice")]
    DuplicateKey {
        /// Where the map starts.
        offset: usize,
    },
}

impl StrictError {
    /// The requirement of `spec/04-messages.md` a rejection for this reason enforces.
    pub const fn requirement(&self) -> &'static str {
        match self {
            Self::NotWellFormed { .. } | Self::Trailing { .. } => "HRT-MSG-040",
            Self::TooDeep { .. } => "HRT-MSG-030",
            Self::Indefinite { .. } => "HRT-MSG-101",
            Self::Tag { .. } => "HRT-MSG-102",
            Self::Float { .. } | Self::Simple { .. } => "HRT-MSG-103",
            Self::DuplicateKey { .. } => "HRT-MSG-104",
        }
    }

    /// Whether the bytes are well-formed CBOR within the depth limit that a general-purpose
    /// decoder would read, but outside the profile: an indefinite length, a tag, a float, a
    /// simple value other than `false`, `true` and `null`, or a repeated map key.
    pub const fn is_outside_profile(&self) -> bool {
        matches!(
            self,
            Self::Indefinite { .. }
                | Self::Tag { .. }
                | Self::Float { .. }
                | Self::Simple { .. }
                | Self::DuplicateKey { .. }
        )
    }
}

/// Decode `bytes` as exactly one CBOR item in the Hearth profile, at most `max_depth` arrays
/// and maps deep. `outer_tag` is the one tag allowed, and only as the outermost item (18 for
/// a COSE_Sign1 envelope); `None` allows none. An untagged item is accepted either way: whether
/// the tag is required is the caller's rule.
pub fn decode(
    bytes: &[u8],
    outer_tag: Option<u64>,
    max_depth: usize,
) -> Result<Value, StrictError> {
    let mut walk = Walk {
        bytes,
        pos: 0,
        max_depth,
    };
    let (head, at) = walk.head()?;
    let value = match head {
        Header::Tag(tag) if Some(tag) == outer_tag => {
            let (inner, at) = walk.head()?;
            Value::Tag(tag, Box::new(walk.item(inner, at, 0)?))
        }
        head => walk.item(head, at, 0)?,
    };
    match bytes.len() - walk.pos {
        0 => Ok(value),
        count => Err(StrictError::Trailing { count }),
    }
}

/// A cursor over the input: where the next head starts.
struct Walk<'a> {
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl Walk<'_> {
    /// Bytes left after the cursor.
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Read the head at the cursor: the head and where it started.
    fn head(&mut self) -> Result<(Header, usize), StrictError> {
        let at = self.pos;
        let rest = self.bytes.get(at..).unwrap_or_default();
        let mut decoder = Decoder::from(rest);
        let head = decoder
            .pull()
            .map_err(|_| StrictError::NotWellFormed { offset: at })?;
        self.pos = at + decoder.offset();
        Ok((head, at))
    }

    /// The `len` bytes of a string's content, checked against what is left before anything
    /// is allocated.
    fn content(&mut self, len: usize, at: usize) -> Result<Vec<u8>, StrictError> {
        if len > self.left() {
            return Err(StrictError::NotWellFormed { offset: at });
        }
        let start = self.pos;
        self.pos += len;
        Ok(self.bytes[start..self.pos].to_vec())
    }

    /// The depth of a container at `depth` enclosing ones, if within the limit.
    fn deeper(&self, depth: usize, at: usize) -> Result<usize, StrictError> {
        let depth = depth + 1;
        if depth > self.max_depth {
            return Err(StrictError::TooDeep {
                max: self.max_depth,
                offset: at,
            });
        }
        Ok(depth)
    }

    /// The item whose head (started at `at`) was just read, inside `depth` arrays and maps.
    fn item(&mut self, head: Header, at: usize, depth: usize) -> Result<Value, StrictError> {
        Ok(match head {
            Header::Positive(n) => Value::Integer(n.into()),
            // -1 - n spans -2^64 … -1, all of which a ciborium integer holds.
            Header::Negative(n) => Value::Integer(
                Integer::try_from(-1 - i128::from(n))
                    .map_err(|_| StrictError::NotWellFormed { offset: at })?,
            ),
            Header::Bytes(Some(len)) => Value::Bytes(self.content(len, at)?),
            Header::Text(Some(len)) => Value::Text(
                String::from_utf8(self.content(len, at)?)
                    .map_err(|_| StrictError::NotWellFormed { offset: at })?,
            ),
            Header::Bytes(None) | Header::Text(None) | Header::Array(None) | Header::Map(None) => {
                return Err(StrictError::Indefinite { offset: at })
            }
            Header::Array(Some(len)) => {
                let depth = self.deeper(depth, at)?;
                // Every element takes at least one byte.
                if len > self.left() {
                    return Err(StrictError::NotWellFormed { offset: at });
                }
                let mut items = Vec::with_capacity(len);
                for _ in 0..len {
                    let (head, start) = self.head()?;
                    items.push(self.item(head, start, depth)?);
                }
                Value::Array(items)
            }
            Header::Map(Some(len)) => {
                let depth = self.deeper(depth, at)?;
                // Every entry takes at least two bytes.
                if len > self.left() / 2 {
                    return Err(StrictError::NotWellFormed { offset: at });
                }
                let mut entries = Vec::with_capacity(len);
                for _ in 0..len {
                    let (head, start) = self.head()?;
                    let key = self.item(head, start, depth)?;
                    let (head, start) = self.head()?;
                    entries.push((key, self.item(head, start, depth)?));
                }
                if has_duplicate_key(&entries) {
                    return Err(StrictError::DuplicateKey { offset: at });
                }
                Value::Map(entries)
            }
            Header::Tag(tag) => return Err(StrictError::Tag { tag, offset: at }),
            Header::Float(_) => return Err(StrictError::Float { offset: at }),
            // A simple value below 32 has exactly one form, the one-byte head (RFC 8949 §3.3).
            Header::Simple(value) if value < 32 && self.pos - at != 1 => {
                return Err(StrictError::NotWellFormed { offset: at })
            }
            Header::Simple(20) => Value::Bool(false),
            Header::Simple(21) => Value::Bool(true),
            Header::Simple(22) => Value::Null,
            Header::Simple(value) => return Err(StrictError::Simple { value, offset: at }),
            Header::Break => return Err(StrictError::NotWellFormed { offset: at }),
        })
    }
}

/// Whether two keys of a map are the same data item. Keys are compared in their shortest
/// encoding, so `1` written in one byte and in two is the same key; the cost is one encoding
/// per key and a sort, whatever the map's size.
fn has_duplicate_key(entries: &[(Value, Value)]) -> bool {
    if entries.len() < 2 {
        return false;
    }
    let mut keys: Vec<Vec<u8>> = entries
        .iter()
        .map(|(k, _)| crate::cbor::encode(k))
        .collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(bytes: &[u8]) -> Result<Value, StrictError> {
        decode(bytes, None, 16)
    }

    #[test]
    fn the_profile_data_model_decodes() {
        // {1: [false, true, null, -1, h'00', "a"]}
        let v = strict(&[
            0xa1, 0x01, 0x86, 0xf4, 0xf5, 0xf6, 0x20, 0x41, 0x00, 0x61, b'a',
        ])
        .expect("profile item");
        let Value::Map(m) = v else { panic!("map") };
        assert_eq!(m.len(), 1);
        // -2^64, the most negative CBOR integer.
        assert!(strict(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_ok());
    }

    // HRT-MSG-100: longer forms and unsorted keys have one reading and are accepted.
    #[test]
    fn longer_forms_and_key_order_are_accepted() {
        assert_eq!(strict(&[0x18, 0x01]), Ok(Value::Integer(1.into())));
        assert_eq!(
            strict(&[0x1b, 0, 0, 0, 0, 0, 0, 0, 0x05]),
            Ok(Value::Integer(5.into()))
        );
        assert!(strict(&[0xa2, 0x02, 0x00, 0x01, 0x00]).is_ok());
        assert!(strict(&[0x78, 0x01, b'a']).is_ok());
    }

    // HRT-MSG-101
    #[test]
    fn indefinite_lengths_are_rejected() {
        for (bytes, at) in [
            (&[0x9f, 0x01, 0xff][..], 0),
            (&[0xbf, 0x01, 0x02, 0xff], 0),
            (&[0x5f, 0x41, 0x00, 0xff], 0),
            (&[0x7f, 0x61, b'a', 0xff], 0),
            (&[0x82, 0x01, 0x9f, 0xff], 2),
        ] {
            assert_eq!(
                strict(bytes),
                Err(StrictError::Indefinite { offset: at }),
                "{bytes:02x?}"
            );
        }
    }

    // HRT-MSG-102: a bignum is not an integer of the profile.
    #[test]
    fn tags_are_rejected_bignums_included() {
        assert_eq!(
            strict(&[0xc2, 0x41, 0x05]),
            Err(StrictError::Tag { tag: 2, offset: 0 })
        );
        assert_eq!(
            strict(&[0xa1, 0x04, 0xc3, 0x41, 0x05]),
            Err(StrictError::Tag { tag: 3, offset: 2 })
        );
        // The outer tag only where it is allowed, and only outermost.
        assert!(decode(&[0xd2, 0x80], Some(18), 16).is_ok());
        assert!(decode(&[0x80], Some(18), 16).is_ok());
        assert_eq!(
            decode(&[0xd1, 0x80], Some(18), 16),
            Err(StrictError::Tag { tag: 17, offset: 0 })
        );
        assert_eq!(
            decode(&[0x81, 0xd2, 0x80], Some(18), 16),
            Err(StrictError::Tag { tag: 18, offset: 1 })
        );
        assert_eq!(
            decode(&[0xd2, 0xd2, 0x80], Some(18), 16),
            Err(StrictError::Tag { tag: 18, offset: 1 })
        );
    }

    // HRT-MSG-103
    #[test]
    fn floats_and_other_simple_values_are_rejected() {
        assert_eq!(
            strict(&[0xf7]),
            Err(StrictError::Simple {
                value: 23,
                offset: 0
            })
        );
        assert_eq!(
            strict(&[0xe0]),
            Err(StrictError::Simple {
                value: 0,
                offset: 0
            })
        );
        assert_eq!(
            strict(&[0xf8, 0xff]),
            Err(StrictError::Simple {
                value: 255,
                offset: 0
            })
        );
        // false in a two-byte head is not well-formed.
        assert_eq!(
            strict(&[0xf8, 0x14]),
            Err(StrictError::NotWellFormed { offset: 0 })
        );
        for f in [
            &[0xf9, 0x3c, 0x00][..],
            &[0xfa, 0, 0, 0, 0],
            &[0xfb, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(strict(f), Err(StrictError::Float { offset: 0 }));
        }
    }

    // HRT-MSG-104: duplicate keys of any type, in any form.
    #[test]
    fn duplicate_keys_are_rejected() {
        for bytes in [
            &[0xa2, 0x01, 0x00, 0x01, 0x00][..],
            &[0xa2, 0x01, 0x00, 0x18, 0x01, 0x01],
            &[0xa2, 0x61, b'x', 0x00, 0x61, b'x', 0x01],
            &[0xa2, 0x41, 0x00, 0x00, 0x41, 0x00, 0x01],
            &[0xa2, 0x81, 0x01, 0x00, 0x81, 0x01, 0x01],
            &[0xa2, 0xf6, 0x00, 0xf6, 0x01],
        ] {
            assert_eq!(
                strict(bytes),
                Err(StrictError::DuplicateKey { offset: 0 }),
                "{bytes:02x?}"
            );
        }
        // A text key and a byte-string key with the same bytes differ.
        assert!(strict(&[0xa2, 0x61, b'x', 0x00, 0x41, b'x', 0x01]).is_ok());
        // The nested map's duplicate is found at its own offset.
        assert_eq!(
            strict(&[0x81, 0xa2, 0x20, 0x00, 0x20, 0x00]),
            Err(StrictError::DuplicateKey { offset: 1 })
        );
    }

    #[test]
    fn malformed_input_is_a_typed_error() {
        for bytes in [
            &[][..],
            &[0x1c],
            &[0x1f],
            &[0xff],
            &[0x82, 0x01],
            &[0x62, b'a'],
            &[0x61, 0xff],
            &[0xdf],
        ] {
            assert!(
                matches!(strict(bytes), Err(StrictError::NotWellFormed { .. })),
                "{bytes:02x?}"
            );
        }
        assert_eq!(
            strict(&[0x01, 0x02]),
            Err(StrictError::Trailing { count: 1 })
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut sixteen = vec![0x81u8; 15];
        sixteen.push(0x80);
        assert!(strict(&sixteen).is_ok());
        let mut seventeen = vec![0x81u8; 16];
        seventeen.push(0x80);
        assert_eq!(
            strict(&seventeen),
            Err(StrictError::TooDeep {
                max: 16,
                offset: 16
            })
        );
        let mut deep = vec![0x81u8; 100_000];
        deep.push(0x00);
        assert!(matches!(strict(&deep), Err(StrictError::TooDeep { .. })));
    }

    #[test]
    fn declared_lengths_beyond_the_input_allocate_nothing() {
        for bytes in [
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff][..],
            &[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0x7a, 0xff, 0xff, 0xff, 0xff],
            &[0xa1, 0x01],
        ] {
            assert!(
                matches!(strict(bytes), Err(StrictError::NotWellFormed { .. })),
                "{bytes:02x?}"
            );
        }
    }
}
