//! Record ids: the `kind:id` text naming a record behind an indicator's figures
//! (`call:123`, `order:BS202611270001`, `order:BS202611270001#2`, `complaint:7`), held
//! without a heap allocation where that is possible.
//!
//! A province year names millions of calls, up to four times each (offered, answered, rated,
//! rated good), so a `String` per id was millions of allocations. [`RecordId`] keeps a call
//! id as its number, any other id of up to 23 bytes inline, and only longer ids on the heap.
//! It is 24 bytes, like a `String`, and is serialized as the same JSON string.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// The longest id kept inline, in bytes.
const INLINE: usize = 23;

/// The prefix of call ids kept as a number.
const CALL: &str = "call:";

/// The id of a record behind an indicator: text such as `call:123` or
/// `order:BS202610010001`, serialized as that JSON string.
///
/// Every text has exactly one representation (a canonical `call:N` is always the number,
/// other text up to 23 bytes without NUL always inline), so equality and hashing are those
/// of the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RecordId(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    /// `call:N`, N written as Rust writes an `i64`.
    Call(i64),
    /// The text's bytes, padded with NUL (the text has no NUL).
    Inline([u8; INLINE]),
    Heap(Box<str>),
}

impl RecordId {
    /// `call:{id}`.
    pub fn call(id: i64) -> RecordId {
        RecordId(Repr::Call(id))
    }

    /// The id written by `args` (`format_args!("order:{number}")`), without a temporary
    /// `String` when it is short.
    pub fn from_fmt(args: fmt::Arguments<'_>) -> RecordId {
        let mut buf = StackText::<INLINE>::new();
        if fmt::Write::write_fmt(&mut buf, args).is_ok() {
            RecordId::from(buf.as_str())
        } else {
            RecordId::from(fmt::format(args))
        }
    }

    /// The call number of a `call:N` id.
    pub fn as_call(&self) -> Option<i64> {
        match self.0 {
            Repr::Call(n) => Some(n),
            _ => None,
        }
    }

    /// The text, when it is stored as text (every id but `call:N`).
    fn stored(&self) -> Option<&str> {
        match &self.0 {
            Repr::Call(_) => None,
            Repr::Inline(bytes) => {
                let len = bytes.iter().position(|b| *b == 0).unwrap_or(INLINE);
                // Cut at a NUL of the padding: the prefix of valid UTF-8 before a NUL byte
                // is valid UTF-8 (NUL is never part of a multi-byte sequence).
                std::str::from_utf8(&bytes[..len]).ok()
            }
            Repr::Heap(text) => Some(text),
        }
    }

    /// Calls `f` with the text (formatted on the stack for `call:N`).
    fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self.0 {
            Repr::Call(n) => {
                let mut buf = StackText::<32>::new();
                // "call:" and an i64 fit in 32 bytes.
                let _ = fmt::Write::write_fmt(&mut buf, format_args!("{CALL}{n}"));
                f(buf.as_str())
            }
            _ => f(self.stored().unwrap_or_default()),
        }
    }
}

/// The number of a canonical `call:N` text: N as Rust writes an `i64` (no `+`, no leading
/// zero, no `-0`), so that the number gives back the same text.
fn call_number(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(CALL)?;
    let unsigned = digits.strip_prefix('-').unwrap_or(digits);
    let canonical = match unsigned.as_bytes() {
        [] => false,
        [b'0'] => unsigned.len() == digits.len(),
        [first, rest @ ..] => {
            first.is_ascii_digit() && *first != b'0' && rest.iter().all(u8::is_ascii_digit)
        }
    };
    if canonical { digits.parse().ok() } else { None }
}

impl From<&str> for RecordId {
    fn from(text: &str) -> RecordId {
        if let Some(n) = call_number(text) {
            return RecordId(Repr::Call(n));
        }
        let bytes = text.as_bytes();
        if bytes.len() <= INLINE && !bytes.contains(&0) {
            let mut inline = [0u8; INLINE];
            inline[..bytes.len()].copy_from_slice(bytes);
            RecordId(Repr::Inline(inline))
        } else {
            RecordId(Repr::Heap(text.into()))
        }
    }
}

impl From<String> for RecordId {
    fn from(text: String) -> RecordId {
        if text.len() > INLINE && call_number(&text).is_none() {
            // Keeps the allocation.
            RecordId(Repr::Heap(text.into_boxed_str()))
        } else {
            RecordId::from(text.as_str())
        }
    }
}

impl From<&String> for RecordId {
    fn from(text: &String) -> RecordId {
        RecordId::from(text.as_str())
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::Call(n) => write!(f, "{CALL}{n}"),
            _ => f.write_str(self.stored().unwrap_or_default()),
        }
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_text(|t| fmt::Debug::fmt(t, f))
    }
}

impl PartialEq<str> for RecordId {
    fn eq(&self, other: &str) -> bool {
        match self.0 {
            Repr::Call(n) => call_number(other) == Some(n),
            _ => self.stored() == Some(other),
        }
    }
}

impl PartialEq<&str> for RecordId {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<String> for RecordId {
    fn eq(&self, other: &String) -> bool {
        *self == *other.as_str()
    }
}

impl PartialEq<RecordId> for &str {
    fn eq(&self, other: &RecordId) -> bool {
        *other == **self
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| serializer.serialize_str(t))
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<RecordId, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = RecordId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record id string such as \"call:123\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RecordId, E> {
                Ok(RecordId::from(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RecordId, E> {
                Ok(RecordId::from(v))
            }
        }
        deserializer.deserialize_str(IdVisitor)
    }
}

/// Text written into a fixed buffer; writing more than `N` bytes fails.
struct StackText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackText<N> {
    fn new() -> Self {
        StackText {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so this is valid UTF-8.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl<const N: usize> fmt::Write for StackText<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// Ids of every representation, with texts next to the boundaries.
    const TEXTS: [&str; 22] = [
        "call:0",
        "call:123",
        "call:-5",
        "call:9223372036854775807",
        "call:-9223372036854775808",
        // Not canonical numbers: kept as text, given back unchanged.
        "call:007",
        "call:-0",
        "call:+5",
        "call:",
        "call:12a",
        "call:99999999999999999999",
        "calls:5",
        "order:BS202611270001",
        "order:WZS202611270001#2",
        "order:WZS202611270001#12",
        "complaint:7",
        "staff:3",
        "",
        "投诉:七",
        "order:海口202611270001号",
        "a\u{0}b",
        "x\"quoted\"\\",
    ];

    #[test]
    fn json_round_trip_gives_back_the_same_text() {
        for text in TEXTS {
            let id = RecordId::from(text);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap(), "{text:?}");
            let back: RecordId = serde_json::from_str(&json).unwrap();
            assert_eq!(back, id, "{text:?}");
            assert_eq!(back.to_string(), text);
            assert_eq!(format!("{back:?}"), format!("{text:?}"));
            // Through a JSON value (the web crate's path) too.
            let value = serde_json::to_value(&id).unwrap();
            assert_eq!(value, serde_json::Value::String(text.to_owned()));
            let back: RecordId = serde_json::from_value(value).unwrap();
            assert_eq!(back, id);
        }
    }

    #[test]
    fn a_list_serializes_as_the_list_of_strings() {
        let texts = ["call:1", "call:22", "order:HK202601010004#2", "complaint:7"];
        let ids: Vec<RecordId> = texts.iter().map(|t| RecordId::from(*t)).collect();
        assert_eq!(
            serde_json::to_string(&ids).unwrap(),
            serde_json::to_string(&texts).unwrap()
        );
        let back: Vec<RecordId> = serde_json::from_str(r#"["call:1","call:22"]"#).unwrap();
        assert_eq!(back, [RecordId::call(1), RecordId::call(22)]);
    }

    #[test]
    fn equality_and_hashing_follow_the_text() {
        let mut seen = HashSet::new();
        for text in TEXTS {
            assert!(seen.insert(RecordId::from(text)), "{text:?} twice");
            assert_eq!(RecordId::from(text), RecordId::from(text.to_owned()));
            assert_eq!(RecordId::from(text), text);
            assert_eq!(
                RecordId::from(text),
                RecordId::from_fmt(format_args!("{text}"))
            );
        }
        assert_eq!(RecordId::call(123), RecordId::from("call:123"));
        assert_eq!(RecordId::call(123), "call:123");
        assert_ne!(RecordId::call(123), "call:0123");
        assert_ne!(RecordId::call(0), "call:-0");
        assert!(seen.contains(&RecordId::call(-5)));
        assert_eq!(RecordId::from("call:42").as_call(), Some(42));
        assert_eq!(RecordId::from("call:042").as_call(), None);
        let number = "BS202611270001";
        assert_eq!(
            RecordId::from_fmt(format_args!("order:{number}#{}", 2)),
            "order:BS202611270001#2"
        );
    }

    #[test]
    fn ids_are_as_small_as_a_string() {
        assert_eq!(std::mem::size_of::<RecordId>(), 24);
    }

    #[test]
    fn a_long_id_is_kept_whole() {
        let long = format!("order:{}", "9".repeat(100));
        let id = RecordId::from_fmt(format_args!("order:{}", "9".repeat(100)));
        assert_eq!(id.to_string(), long);
        assert_eq!(serde_json::to_value(&id).unwrap(), long.as_str());
    }
}
