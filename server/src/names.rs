//! TOS and S3 naming rules for buckets and object keys: the client library's own rules
//! (the `tos-names` crate), so a test against this server fails exactly where the client,
//! and the store it stands in for, would (`docs/protocol.md`, "Names").

use crate::errors::TosError;
pub use tos_names::Dialect;

pub fn check_bucket(name: &str, dialect: Dialect) -> Result<(), TosError> {
    match tos_names::bucket_problem(name, dialect) {
        Some(why) => Err(TosError::new(
            400,
            "InvalidBucketName",
            format!("The specified bucket is not valid: {why}."),
        )),
        None => Ok(()),
    }
}

/// `raw` is the percent-decoded key as it came off the wire, before any lossy
/// conversion, so that invalid UTF-8 is caught rather than mapped to U+FFFD.
pub fn check_key(raw: &[u8], dialect: Dialect) -> Result<(), TosError> {
    match tos_names::key_problem(raw, dialect) {
        Some(why) => Err(TosError::new(
            400,
            "InvalidObjectName",
            format!("The specified object key is not valid: {why}."),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_ok(k: &[u8]) -> bool {
        check_key(k, Dialect::Tos).is_ok()
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
        assert!(!key_ok(b"a\x01b"));
        assert!(!key_ok(b"a\x1fb"));
        assert!(!key_ok(b"a\nb"));
        assert!(!key_ok(b"bad-\xc3\x28"));
        // The Go SDK's own tests store these on TOS.
        assert!(key_ok(b"/a"));
        assert!(key_ok(b"\\a"));
        assert!(key_ok(b"a\x7fb"));
        assert!(key_ok(b"a/b\\c"));
        let e = check_key(b"", Dialect::Tos).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidObjectName"));
    }

    #[test]
    fn buckets() {
        for ok in ["abc", "a-b", "0bucket9", &"a".repeat(63)] {
            assert!(check_bucket(ok, Dialect::Tos).is_ok(), "{ok}");
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
            let e = check_bucket(bad, Dialect::Tos).unwrap_err();
            assert_eq!(
                (e.status, e.code.as_str()),
                (400, "InvalidBucketName"),
                "{bad}"
            );
        }
        assert!(check_bucket("a.b", Dialect::S3).is_ok());
    }
}
