//! TOS naming rules for buckets and object keys. The server applies the same rules
//! as the client library so a test against it fails the way real TOS would, instead
//! of storing a name that TOS refuses.

use crate::errors::TosError;

/// TOS counts the limit in bytes of UTF-8, not in characters: 232 CJK characters
/// already fill it.
pub const MAX_KEY_BYTES: usize = 696;

/// 3-63 of `a-z`, `0-9` and `-`, with no `-` at either end.
pub fn check_bucket(name: &str) -> Result<(), TosError> {
    let bad = |why: &str| {
        Err(TosError::new(
            400,
            "InvalidBucketName",
            format!("The specified bucket is not valid: {why}."),
        ))
    };
    if !(3..=63).contains(&name.len()) {
        return bad("the length must be 3 to 63 characters");
    }
    if !name
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return bad("only lowercase letters, digits and '-' are allowed");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return bad("it must neither start nor end with '-'");
    }
    Ok(())
}

/// `raw` is the percent-decoded key as it came off the wire, before any lossy
/// conversion, so that invalid UTF-8 is caught rather than mapped to U+FFFD.
pub fn check_key(raw: &[u8]) -> Result<(), TosError> {
    let bad = |why: &str| {
        Err(TosError::new(
            400,
            "InvalidObjectName",
            format!("The specified object key is not valid: {why}."),
        ))
    };
    if raw.is_empty() || raw.len() > MAX_KEY_BYTES {
        return bad("the length must be 1 to 696 bytes");
    }
    if std::str::from_utf8(raw).is_err() {
        return bad("it must be UTF-8");
    }
    if matches!(raw[0], b'/' | b'\\') {
        return bad("it must not start with '/' or '\\'");
    }
    if raw.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return bad("it must not contain control characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_ok(k: &[u8]) -> bool {
        check_key(k).is_ok()
    }

    #[test]
    fn keys() {
        assert!(key_ok(b"a"));
        assert!(key_ok("dir/a b 中文.txt".as_bytes()));
        assert!(key_ok(&[b'k'; 696]));
        assert!(key_ok("中".repeat(232).as_bytes()));
        assert!(!key_ok(format!("{}a", "中".repeat(232)).as_bytes()));
        assert!(!key_ok(&[b'k'; 697]));
        assert!(!key_ok(b""));
        assert!(!key_ok(b"/a"));
        assert!(!key_ok(b"\\a"));
        assert!(!key_ok(b"a\x01b"));
        assert!(!key_ok(b"a\x1fb"));
        assert!(!key_ok(b"a\x7fb"));
        assert!(!key_ok(b"a\nb"));
        assert!(!key_ok(b"bad-\xc3\x28"));
        // Only a leading separator is refused; one later in the key is a "directory".
        assert!(key_ok(b"a/b\\c"));
        let e = check_key(b"/a").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidObjectName"));
    }

    #[test]
    fn buckets() {
        for ok in ["abc", "a-b", "0bucket9", &"a".repeat(63)] {
            assert!(check_bucket(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(64),
            "-ab",
            "ab-",
            "Abc",
            "a_b",
            "a.b",
            "中文桶",
        ] {
            let e = check_bucket(bad).unwrap_err();
            assert_eq!(
                (e.status, e.code.as_str()),
                (400, "InvalidBucketName"),
                "{bad}"
            );
        }
    }
}
