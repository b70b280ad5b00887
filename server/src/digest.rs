//! Digests clients declare in headers: `Content-MD5` and the SSE-C key and its MD5, all
//! base64 (standard alphabet, `=` padding).

use hyper::HeaderMap;
use md5::{Digest, Md5};

use crate::errors::TosError;

/// Standard base64, padding optional; `None` for any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | v as u32;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
        }
    }
    Some(out)
}

pub fn md5(data: &[u8]) -> [u8; 16] {
    Md5::digest(data).into()
}

/// The `Content-MD5` a request declared: `Ok(None)` without one, 400 InvalidDigest when it is
/// not the base64 of 16 bytes (as TOS and S3 answer).
pub fn declared_content_md5(headers: &HeaderMap) -> Result<Option<[u8; 16]>, TosError> {
    let Some(value) = headers.get("content-md5") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(base64_decode)
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
        .map(Some)
        .ok_or_else(|| {
            TosError::new(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified is not valid.",
            )
        })
}

pub fn bad_digest() -> TosError {
    TosError::new(
        400,
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_content_md5() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64_decode("a-b"), None);
        let mut h = HeaderMap::new();
        assert!(declared_content_md5(&h).unwrap().is_none());
        h.insert("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==".parse().unwrap());
        assert_eq!(declared_content_md5(&h).unwrap(), Some(md5(b"")));
        h.insert("content-md5", "short".parse().unwrap());
        assert_eq!(declared_content_md5(&h).unwrap_err().code, "InvalidDigest");
    }
}
