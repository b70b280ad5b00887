//! Which bucket names and object keys a store accepts. The client library checks names with
//! these rules before it sends anything, and the local server refuses with them, so that a test
//! against the server fails exactly where the store would (`docs/protocol.md`, "Names").
//!
//! TOS's rules are those of its official Go and Python SDKs and what their integration tests
//! store on real TOS: keys starting with '/' or '\', keys with DEL (0x7f) and leading spaces
//! are accepted; a bucket is 3 to 63 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
//! S3's are AWS's rules for new buckets (dots allowed) and keys of up to 1024 bytes.

#![forbid(unsafe_code)]

/// Whose rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Tos,
    S3,
}

impl Dialect {
    /// The longest object key, in bytes of UTF-8.
    pub const fn max_key_bytes(self) -> usize {
        match self {
            Dialect::Tos => 696,
            Dialect::S3 => 1024,
        }
    }
}

/// Why `name` is not a bucket name of `dialect`, or `None` when it is one.
pub fn bucket_problem(name: &str, dialect: Dialect) -> Option<&'static str> {
    let dots_allowed = dialect == Dialect::S3;
    if !(3..=63).contains(&name.len()) {
        return Some("the length must be [3, 63]");
    }
    let allowed = |b: u8| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (dots_allowed && b == b'.')
    };
    if !name.bytes().all(allowed) {
        return Some(if dots_allowed {
            "only lowercase letters, digits, '.' and '-' are allowed"
        } else {
            "only lowercase letters, digits and '-' are allowed"
        });
    }
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !alnum(name.bytes().next()) || !alnum(name.bytes().last()) {
        return Some("it must start and end with a letter or a digit");
    }
    if name.contains("..") {
        return Some("it must not contain \"..\"");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some("it must not look like an IP address");
    }
    None
}

/// Why the raw (percent-decoded) key is not an object key of `dialect`, or `None`.
pub fn key_problem(raw: &[u8], dialect: Dialect) -> Option<String> {
    let max = dialect.max_key_bytes();
    if raw.is_empty() || raw.len() > max {
        return Some(format!("a key is 1 to {max} bytes of UTF-8"));
    }
    if std::str::from_utf8(raw).is_err() {
        return Some("a key must be UTF-8".to_string());
    }
    // Neither SDK refuses these and no test of theirs stores one on TOS; they are refused
    // because a line break in a key splits every log and listing that prints it.
    if dialect == Dialect::Tos && raw.iter().any(|&b| b < 0x20) {
        return Some("a key must not contain control characters (0x00-0x1f)".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets() {
        for ok in ["abc", "a-b-c", "0bucket9", &"a".repeat(63)] {
            assert_eq!(bucket_problem(ok, Dialect::Tos), None, "{ok}");
            assert_eq!(bucket_problem(ok, Dialect::S3), None, "{ok}");
        }
        for bad in ["ab", "-abc", "abc-", "Abc", "a_b", &"a".repeat(64), "a.b.c"] {
            assert!(bucket_problem(bad, Dialect::Tos).is_some(), "{bad}");
        }
        assert_eq!(bucket_problem("a.b.c", Dialect::S3), None);
        for bad in ["a..b", "192.168.1.1", ".abc", "abc."] {
            assert!(bucket_problem(bad, Dialect::S3).is_some(), "{bad}");
        }
    }

    #[test]
    fn keys_as_tos_stores_them() {
        // What the Go SDK's integration tests put on real TOS.
        for ok in [
            "/key 123",
            "a\\aa",
            "\\a",
            "a\u{7f}",
            "  a",
            "a?ac=asd",
            "ab·d/test.test",
        ] {
            assert_eq!(key_problem(ok.as_bytes(), Dialect::Tos), None, "{ok:?}");
        }
        assert!(key_problem(b"", Dialect::Tos).is_some());
        assert!(key_problem(&[b'a'; 697], Dialect::Tos).is_some());
        assert_eq!(key_problem(&[b'a'; 1024], Dialect::S3), None);
        assert!(key_problem(b"a\xff", Dialect::Tos).is_some());
        assert!(key_problem(b"a\nb", Dialect::Tos).is_some());
        assert_eq!(key_problem(b"a\nb", Dialect::S3), None);
    }
}
