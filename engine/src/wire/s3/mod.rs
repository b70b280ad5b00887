//! The S3 protocol (SigV4, XML bodies) for S3-compatible stores: AWS, MinIO, SeaweedFS and
//! TOS's own S3 endpoint (`https://tos-s3-<region>.volces.com`, virtual-hosted only).
//!
//! Integrity. The engine compares each part's CRC-64/XZ with TOS's `x-tos-hash-crc64ecma`;
//! S3 stores send no such header, so `crc64` is always `None` here and that check is
//! skipped. The whole object is checked by CRC-64/NVME instead, where the upload was created
//! with that algorithm (`Wire::create_multipart_upload`, docs/s3-stores.md). Measured against SeaweedFS 4.48 (`weed mini`, 2026-11):
//! - `x-amz-content-sha256` is NOT verified: a signed but wrong SHA-256 of a part or of a
//!   PutObject body is accepted with 200. `UNSIGNED-PAYLOAD` therefore loses nothing there.
//! - `Content-MD5` is verified (400 `BadDigest`), and so are the `x-amz-checksum-crc32`,
//!   `-crc32c`, `-crc64nvme`, `-sha1`, `-sha256` headers (400 `BadDigest`), echoed back on
//!   success. All of these need the body hashed before it is sent.
//! - Trailing checksums (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `x-amz-trailer:
//!   x-amz-checksum-crc32|crc64nvme`, with or without `Content-Encoding: aws-chunked`) are
//!   decoded and verified (400 `InvalidDigest` on a wrong trailer): a checksum computed while
//!   streaming, sent last. A PutObject's `Content-Encoding` is stored verbatim, `aws-chunked`
//!   included, so PutObject is not framed at all (see `put_payload_headers`).
//! - A part's ETag is the hex MD5 of its bytes (also in ListParts), so an MD5 computed while
//!   streaming can be compared with the ETag after the fact, as resume already does.
//!
//! The client option `s3_checksum` chooses (see `wire::checksum_mode`); by default, for
//! parts: trailing CRC-64/NVME, falling back to the header form for a store that refuses
//! trailers. For PutObject (one object under the part size):
//! a plain body with `x-amz-checksum-crc64nvme`, computed in a read before sending. For
//! parts, the trailer's CRC is computed while streaming (about 8 GB/s on one core
//! with SIMD, so a few per cent of the CPU a part costs), the store verifies it before it
//! keeps the part, and a refused part (400 BadDigest or InvalidDigest) is retried like any
//! corrupted transfer. Content-MD5 would cost a second read of each part before sending
//! and MD5's ~0.5 GB/s.

mod errors;
mod headers;
mod xml;

#[cfg(test)]
mod tests;

use crate::config::ClientConfig;
use crate::error::{Result, UploadError};
use crate::wire::aws_chunked;
use crate::wire::documents::ErrorHeaders;
use crate::wire::protocol::{Dialect, PayloadCheck, Protocol, Response, Site};
use crate::wire::signer::Signing;
use crate::wire::sigv4;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// What stores without a region of their own (MinIO, SeaweedFS) expect in the scope.
const DEFAULT_REGION: &str = "us-east-1";

static S3: Dialect = Dialect {
    name: "s3",
    request_id_header: "x-amz-request-id",
    version_id_header: "x-amz-version-id",
    error_headers: ErrorHeaders {
        request_id: &["x-amz-request-id", "x-tos-request-id"],
        host_id: &["x-amz-id-2", "x-tos-id-2"],
    },
    parse_error: errors::server_error,
    check_attributes: headers::check_attributes,
    crc64_header: None,
    crc64_nvme_header: Some(aws_chunked::TRAILER_HEADER),
    // Without it, stores leave out the object's checksum.
    head_object_headers: &[("x-amz-checksum-mode", "ENABLED")],
    object_headers: headers::NAMES,
    documents: &xml::Xml,
    signing: Signing {
        scheme: &sigv4::AWS4,
        service: "s3",
        date_header: "x-amz-date",
        security_token_header: "x-amz-security-token",
        content_sha256_header: "x-amz-content-sha256",
        signs_header: None,
        hash_undeclared_body: true,
    },
    names: tos_names::Dialect::S3,
    localhost_path_style: true,
};

pub struct S3Protocol {
    site: Site,
}

impl S3Protocol {
    pub fn new(config: &ClientConfig) -> Result<Self> {
        let region = match config.region.trim() {
            "" => DEFAULT_REGION.to_string(),
            region => region.to_string(),
        };
        Ok(S3Protocol {
            site: Site::new(&S3, config, region)?,
        })
    }
}

impl Protocol for S3Protocol {
    fn site(&self) -> &Site {
        &self.site
    }

    fn checks_payloads(&self) -> bool {
        true
    }

    /// `PayloadCheck::Trailer`: the body travels aws-chunked with a CRC-64/NVME trailer that
    /// the store verifies (see `wire::aws_chunked`), announced by `Content-Encoding:
    /// aws-chunked` as well as by the payload marker, so that any store recognises the
    /// framing; only parts are sent so (a part's encoding is never stored, the object's comes
    /// from CreateMultipartUpload). Every other check sends the plain bytes with
    /// `UNSIGNED-PAYLOAD` (a signed SHA-256 would cost a third read of the body, and stores
    /// do not verify it: docs/s3-stores.md) and the digest computed before the send in its
    /// header, which the store verifies before it keeps the body. A PutObject is never
    /// aws-chunked: its `Content-Encoding` is stored as the object's, `aws-chunked` included
    /// by SeaweedFS 4.48, and a store that recognised the framing only by that header would
    /// store the frames as the object's bytes. `x-amz-sdk-checksum-algorithm` is what the AWS
    /// SDKs send beside the checksum header.
    fn payload_headers(&self, content_length: u64, check: PayloadCheck) -> Vec<(String, String)> {
        let header = |name: &str, value: String| (name.to_string(), value);
        if check == PayloadCheck::Trailer {
            let encoded_length = aws_chunked::encoded_len(content_length);
            return vec![
                header("Content-Length", encoded_length.to_string()),
                header("Content-Encoding", "aws-chunked".to_string()),
                header("x-amz-decoded-content-length", content_length.to_string()),
                header("x-amz-trailer", aws_chunked::TRAILER_HEADER.to_string()),
                header(
                    "x-amz-content-sha256",
                    sigv4::STREAMING_UNSIGNED_TRAILER.to_string(),
                ),
            ];
        }
        let mut headers = vec![
            header("Content-Length", content_length.to_string()),
            header("x-amz-content-sha256", sigv4::UNSIGNED_PAYLOAD.to_string()),
        ];
        match check {
            PayloadCheck::Crc64Nvme(crc) => {
                let checksum = aws_chunked::checksum_text(crc);
                headers.push(header(aws_chunked::TRAILER_HEADER, checksum));
                headers.push(header("x-amz-sdk-checksum-algorithm", "CRC64NVME".into()));
            }
            PayloadCheck::ContentMd5(md5) => {
                headers.push(header("Content-MD5", STANDARD.encode(md5)));
            }
            PayloadCheck::Trailer | PayloadCheck::None => {}
        }
        headers
    }

    /// S3 may fail a Complete after sending 200: the error is then in the body.
    fn error_in_success(&self, operation: &str, response: &Response) -> Option<UploadError> {
        let failed = xml::root_name(&response.body).as_deref() == Some("Error");
        failed.then(|| errors::server_error(operation, response))
    }
}
