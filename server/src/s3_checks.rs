//! The checks an S3 body declares (`Content-MD5`, `x-amz-checksum-crc64nvme` in a header or
//! in an aws-chunked trailer), verified against the bytes received as S3 stores do
//! (docs/s3-stores.md: SeaweedFS answers 400 `BadDigest`, or `InvalidDigest` for a wrong
//! trailer), and `--reject-trailers`, which refuses trailers as Cloudflare R2 does.

use hyper::HeaderMap;
use md5::{Digest as _, Md5};

use crate::digest::{bad_digest, base64_decode, declared_content_md5};
use crate::errors::TosError;

const CRC64NVME: &str = "x-amz-checksum-crc64nvme";

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn trailer_names_crc64nvme(h: &HeaderMap) -> bool {
    header(h, "x-amz-trailer").is_some_and(|v| v.split(',').any(|n| n.trim() == CRC64NVME))
}

/// What the request's headers say it declared, for the request log.
pub fn declared(h: &HeaderMap) -> Option<String> {
    let mut seen = Vec::new();
    if let Some(names) = header(h, "x-amz-trailer") {
        seen.extend(names.split(',').map(|n| format!("trailer:{}", n.trim())));
    }
    for (name, _) in h.iter() {
        let name = name.as_str();
        if name.starts_with("x-amz-checksum-") && name != "x-amz-checksum-algorithm" {
            seen.push(format!("header:{name}"));
        }
    }
    if h.contains_key("content-md5") {
        seen.push("content-md5".into());
    }
    (!seen.is_empty()).then(|| seen.join(","))
}

/// `--reject-trailers`: the answer R2 gives an aws-chunked body, before it is read.
pub fn refuse_trailer() -> TosError {
    TosError::new(
        501,
        "NotImplemented",
        "Header 'x-amz-content-sha256' with value 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' not implemented",
    )
}

/// The digests a body needs, fed as it arrives: a CRC-64/NVME when one is declared, an MD5
/// when `Content-MD5` is sent or the ETag is to be the MD5.
pub struct BodyDigests {
    crc: Option<crc_fast::Digest>,
    md5: Option<Md5>,
}

/// What the body's digests came to.
pub struct Digests {
    pub crc64nvme: Option<u64>,
    pub md5: Option<[u8; 16]>,
}

impl BodyDigests {
    /// `crc64nvme`: computed even when the body declares none (a part of an upload created
    /// with that algorithm, whose checksum the store keeps for Complete).
    pub fn for_request(h: &HeaderMap, md5_etags: bool, crc64nvme: bool) -> BodyDigests {
        let crc = crc64nvme || h.contains_key(CRC64NVME) || trailer_names_crc64nvme(h);
        BodyDigests {
            crc: crc.then(|| crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme)),
            md5: (md5_etags || h.contains_key("content-md5")).then(Md5::new),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        if let Some(crc) = &mut self.crc {
            crc.update(data);
        }
        if let Some(md5) = &mut self.md5 {
            md5.update(data);
        }
    }

    pub fn finish(self) -> Digests {
        Digests {
            crc64nvme: self.crc.map(|c| c.finalize()),
            md5: self.md5.map(|m| m.finalize().into()),
        }
    }
}

/// A CRC-64/NVME as S3 writes it (base64 of 8 big-endian bytes); `None` for anything else.
pub fn parse_crc64nvme(text: &str) -> Option<u64> {
    let bytes = base64_decode(text)?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

/// A CRC-64/NVME as S3 writes it: base64 of its 8 big-endian bytes.
pub fn crc64nvme_text(crc: u64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = crc.to_be_bytes();
    let mut out = String::with_capacity(12);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let n = u32::from_be_bytes([0, group[0], group[1], group[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The whole object's CRC-64/NVME from its parts' (each CRC and length, in order): what a
/// store with full-object checksums answers Complete with (docs/s3-stores.md).
pub fn combine_crc64nvme(parts: impl IntoIterator<Item = (u64, u64)>) -> u64 {
    parts.into_iter().fold(0, |whole, (crc, len)| {
        crc_fast::checksum_combine(crc_fast::CrcAlgorithm::Crc64Nvme, whole, crc, len)
    })
}

/// Compares every declared check with the bytes received.
pub fn verify(h: &HeaderMap, trailers: &[(String, String)], got: &Digests) -> Result<(), TosError> {
    if let (Some(want), Some(md5)) = (declared_content_md5(h)?, got.md5) {
        if want != md5 {
            return Err(bad_digest());
        }
    }
    if let (Some(text), Some(crc)) = (header(h, CRC64NVME), got.crc64nvme) {
        let want = parse_crc64nvme(text).ok_or_else(|| {
            TosError::new(
                400,
                "InvalidDigest",
                "The x-amz-checksum-crc64nvme you specified is not valid.",
            )
        })?;
        if want != crc {
            return Err(TosError::new(
                400,
                "BadDigest",
                "The x-amz-checksum-crc64nvme you specified did not match the calculated checksum.",
            ));
        }
    }
    let trailer = trailers.iter().find(|(k, _)| k == CRC64NVME);
    if let (Some((_, text)), Some(crc)) = (trailer, got.crc64nvme) {
        if parse_crc64nvme(text) != Some(crc) {
            return Err(TosError::new(
                400,
                "InvalidDigest",
                "The x-amz-checksum-crc64nvme trailer did not match the calculated checksum.",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn digests(h: &HeaderMap, data: &[u8]) -> Digests {
        let mut d = BodyDigests::for_request(h, false, false);
        d.update(data);
        d.finish()
    }

    #[test]
    fn declared_checks_are_verified() {
        // CRC-64/NVME and MD5 of "123456789".
        let right = with(&[(CRC64NVME, "rosUhgp5mIg=")]);
        assert!(verify(&right, &[], &digests(&right, b"123456789")).is_ok());
        let e = verify(&right, &[], &digests(&right, b"123456780")).unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "BadDigest"));
        let md5 = with(&[("content-md5", "JfnnlDI7RTiF9RgfG2JNCw==")]);
        assert!(verify(&md5, &[], &digests(&md5, b"123456789")).is_ok());
        let e = verify(&md5, &[], &digests(&md5, b"x")).unwrap_err();
        assert_eq!(e.code, "BadDigest");
        let trailer = with(&[("x-amz-trailer", CRC64NVME)]);
        let sent = [(CRC64NVME.to_string(), "rosUhgp5mIg=".to_string())];
        assert!(verify(&trailer, &sent, &digests(&trailer, b"123456789")).is_ok());
        let e = verify(&trailer, &sent, &digests(&trailer, b"x")).unwrap_err();
        assert_eq!(e.code, "InvalidDigest");
        assert_eq!(
            declared(&with(&[("x-amz-trailer", CRC64NVME), ("content-md5", "x")])).unwrap(),
            "trailer:x-amz-checksum-crc64nvme,content-md5"
        );
        assert_eq!(declared(&HeaderMap::new()), None);
    }

    #[test]
    fn a_crc64nvme_is_written_and_combined_as_s3_does() {
        // CRC-64/NVME of "123456789" (its check value), as aws_chunked.rs writes it.
        assert_eq!(crc64nvme_text(0xae8b_1486_0a79_9888), "rosUhgp5mIg=");
        assert_eq!(parse_crc64nvme("rosUhgp5mIg="), Some(0xae8b_1486_0a79_9888));
        let nvme = |b: &[u8]| crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, b);
        let data = b"0123456789abcdefghij";
        let parts = [
            (nvme(&data[..7]), 7),
            (nvme(&data[7..8]), 1),
            (nvme(&data[8..]), 12),
        ];
        assert_eq!(combine_crc64nvme(parts), nvme(data));
    }
}
