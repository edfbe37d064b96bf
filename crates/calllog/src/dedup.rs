//! Dedup keys: `<source>[:<instance>]:<id...>`. The same log line or call always gives the
//! same key, on any machine, in any run, so the store can ignore what it already has.

use crate::model::SourceKind;

/// Build a key from its parts.
pub(crate) fn key(source: SourceKind, instance: Option<&str>, parts: &[&str]) -> String {
    let mut key = String::with_capacity(64);
    key.push_str(source.code());
    if let Some(instance) = instance {
        key.push(':');
        key.push_str(instance);
    }
    for part in parts {
        key.push(':');
        key.push_str(part);
    }
    key
}

/// 64-bit FNV-1a: tiny, stable across platforms and releases (unlike `std`'s hasher), and
/// enough to tell log lines apart where the log has no id of its own.
pub(crate) fn line_hash<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            // Field separator, so ("ab","c") and ("a","bc") differ.
            hash ^= 0x1f;
            hash = hash.wrapping_mul(PRIME);
        }
        for byte in part.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_the_published_test_vectors() {
        assert_eq!(line_hash([""]), "cbf29ce484222325");
        assert_eq!(line_hash(["a"]), "af63dc4c8601ec8c");
        assert_eq!(line_hash(["foobar"]), "85944171f73967e8");
        assert_ne!(line_hash(["ab", "c"]), line_hash(["a", "bc"]));
    }

    #[test]
    fn keys_name_source_and_instance() {
        assert_eq!(
            key(SourceKind::AsteriskCdr, None, &["1700000000.12"]),
            "asterisk_cdr:1700000000.12"
        );
        assert_eq!(
            key(SourceKind::FreeswitchCdr, Some("fs2"), &["abc"]),
            "freeswitch_cdr:fs2:abc"
        );
    }
}
