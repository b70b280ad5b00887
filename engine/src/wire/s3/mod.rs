//! The S3 protocol (SigV4, XML bodies) for S3-compatible stores: AWS, MinIO, SeaweedFS and
//! TOS's own S3 endpoint (`https://tos-s3-<region>.volces.com`, virtual-hosted only).
//!
//! Integrity. The engine compares each part's CRC-64/XZ with TOS's `x-tos-hash-crc64ecma`;
//! S3 stores send no such header, so `crc64` is always `None` here and that check is
//! skipped. Measured against SeaweedFS 4.48 (`weed mini`, 2026-11):
//! - `x-amz-content-sha256` is NOT verified: a signed but wrong SHA-256 of a part or of a
//!   PutObject body is accepted with 200. `UNSIGNED-PAYLOAD` therefore loses nothing there.
//! - `Content-MD5` is verified (400 `BadDigest`), and so are the `x-amz-checksum-crc32`,
//!   `-crc32c`, `-crc64nvme`, `-sha1`, `-sha256` headers (400 `BadDigest`), echoed back on
//!   success. All of these need the body hashed before it is sent.
//! - Trailing checksums (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `x-amz-trailer:
//!   x-amz-checksum-crc32|crc64nvme`, with or without `Content-Encoding: aws-chunked`) are
//!   decoded and verified (400 `InvalidDigest` on a wrong trailer): a checksum computed while
//!   streaming, sent last. A PutObject's `Content-Encoding` is stored verbatim, `aws-chunked`
//!   included, so PutObject is not framed at all (see `plain_payload`).
//! - A part's ETag is the hex MD5 of its bytes (also in ListParts), so an MD5 computed while
//!   streaming can be compared with the ETag after the fact, as resume already does.
//!
//! Chosen for parts: trailing CRC-64/NVME. For PutObject (one object under the part size):
//! a plain body with `x-amz-checksum-crc64nvme`, computed in a read before sending. For
//! parts, the trailer's CRC is computed while streaming (about 8 GB/s on one core
//! with SIMD, so a few per cent of the CPU a part costs), the store verifies it before it
//! keeps the part, and a refused part (400 BadDigest or InvalidDigest) is retried like any
//! corrupted transfer. Content-MD5 would cost a second read of each part before sending
//! and MD5's ~0.5 GB/s.

mod endpoint;
mod errors;
mod headers;
mod xml;

#[cfg(test)]
mod tests;

use crate::attributes::CreateAttributes;
use crate::config::{Addressing, ClientConfig};
use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::aws_chunked;
use crate::wire::endpoint::{check_key_segments, host_is_ip_literal, host_is_localhost};
use crate::wire::protocol::{
    BodyFraming, CompletedPart, ObjectHead, ObjectReceipt, Operation, PartReceipt, PartsPage,
    Protocol, Response, SignedRequest, UploadsPage,
};
use crate::wire::sigv4;
use std::time::SystemTime;

/// What stores without a region of their own (MinIO, SeaweedFS) expect in the scope.
const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    VirtualHosted,
    Path,
    CustomDomain,
}

pub struct S3Protocol {
    scheme: &'static str,
    /// `host[:port]` exactly as it goes in the Host header.
    host: String,
    style: Style,
    access_key: String,
    secret_key: String,
    security_token: String,
    key_cache: sigv4::SigningKeyCache,
    region: String,
}

impl S3Protocol {
    pub fn new(config: &ClientConfig) -> Result<Self> {
        let (scheme, host) = crate::wire::endpoint::parse_endpoint(&config.endpoint)?;
        let style = match config.addressing {
            Addressing::CustomDomain => Style::CustomDomain,
            Addressing::PathStyle => Style::Path,
            Addressing::Auto if host_is_ip_literal(&host) || host_is_localhost(&host) => {
                Style::Path
            }
            Addressing::Auto => Style::VirtualHosted,
        };
        let region = match config.region.trim() {
            "" => DEFAULT_REGION.to_string(),
            region => region.to_string(),
        };
        Ok(S3Protocol {
            scheme,
            host,
            style,
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
            security_token: config.security_token.clone(),
            key_cache: Default::default(),
            region,
        })
    }

    /// Host and unencoded path of an object.
    fn address(&self, bucket: &str, key: &str) -> (String, String) {
        match self.style {
            // A dotted bucket cannot be a virtual host under a wildcard TLS certificate.
            Style::VirtualHosted if bucket.contains('.') && self.scheme == "https" => {
                (self.host.clone(), format!("/{bucket}/{key}"))
            }
            Style::VirtualHosted => (format!("{bucket}.{}", self.host), format!("/{key}")),
            Style::Path => (self.host.clone(), format!("/{bucket}/{key}")),
            Style::CustomDomain => (self.host.clone(), format!("/{key}")),
        }
    }

    fn receipt(&self, response: &Response, etag: String, location: String) -> ObjectReceipt {
        let header = |name: &str| response.header(name).unwrap_or_default().to_string();
        ObjectReceipt {
            etag: if etag.is_empty() {
                header("etag")
            } else {
                etag
            },
            location,
            version_id: header("x-amz-version-id"),
            crc64: None,
            request_id: header("x-amz-request-id"),
        }
    }
}

/// Parts are streamed and not hashed before they are sent: they travel aws-chunked with a
/// CRC-64/NVME trailer that the store verifies (see `wire::aws_chunked`), announced by
/// `Content-Encoding: aws-chunked` as well as by the payload marker (`sign` takes it from
/// `x-amz-content-sha256`), so that any store recognises the framing. A part's encoding is
/// never stored (the object's comes from CreateMultipartUpload), so the token costs nothing.
fn aws_chunked_payload(op: &mut Operation, content_length: u64) {
    let headers = [
        (
            "Content-Length",
            aws_chunked::encoded_len(content_length).to_string(),
        ),
        ("Content-Encoding", "aws-chunked".to_string()),
        ("x-amz-decoded-content-length", content_length.to_string()),
        ("x-amz-trailer", aws_chunked::TRAILER_HEADER.to_string()),
        (
            "x-amz-content-sha256",
            sigv4::STREAMING_UNSIGNED_TRAILER.to_string(),
        ),
    ];
    op.headers
        .extend(headers.map(|(name, value)| (name.to_string(), value)));
}

/// A PutObject goes as the plain bytes with the object's CRC-64/NVME in a header, which the
/// store verifies before it keeps the object (SeaweedFS: 400 `BadDigest`). Not aws-chunked:
/// a PutObject's `Content-Encoding` is stored as the object's, so the `aws-chunked` token
/// would be stored verbatim by SeaweedFS 4.48, and without the token a store that
/// recognises the framing only by `Content-Encoding` would store the frames as the object's
/// bytes. A plain body means the same thing to every store. `x-amz-sdk-checksum-algorithm`
/// is what the AWS SDKs send beside the checksum header. docs/s3-stores.md has the
/// measurements.
fn plain_payload(op: &mut Operation, content_length: u64, crc64_nvme: Option<u64>) {
    op.headers
        .push(("Content-Length".to_string(), content_length.to_string()));
    op.headers.push((
        "x-amz-content-sha256".to_string(),
        sigv4::UNSIGNED_PAYLOAD.to_string(),
    ));
    if let Some(crc) = crc64_nvme {
        op.headers.push((
            aws_chunked::TRAILER_HEADER.to_string(),
            aws_chunked::checksum_text(crc),
        ));
        op.headers.push((
            "x-amz-sdk-checksum-algorithm".to_string(),
            "CRC64NVME".to_string(),
        ));
    }
}

impl Protocol for S3Protocol {
    fn name(&self) -> &'static str {
        "s3"
    }

    fn body_framing(&self) -> BodyFraming {
        BodyFraming::AwsChunkedCrc64Nvme
    }

    fn put_object_checksum(&self) -> bool {
        true
    }

    fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: &CreateAttributes,
    ) -> Operation {
        let mut op = Operation::new("CreateMultipartUpload", "POST", bucket, key, 200);
        op.query.push(("uploads".to_string(), String::new()));
        op.headers = headers::create_headers(key, attrs);
        op
    }

    fn parse_create_multipart_upload(&self, response: &Response) -> Result<String> {
        xml::parse_upload_id(&response.body)
    }

    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        attrs: &CreateAttributes,
    ) -> Operation {
        let mut op = Operation::new("UploadPart", "PUT", bucket, key, 200);
        op.query
            .push(("partNumber".to_string(), part_number.to_string()));
        op.query
            .push(("uploadId".to_string(), upload_id.to_string()));
        aws_chunked_payload(&mut op, content_length);
        op.headers.extend(headers::ssec_headers(attrs));
        op
    }

    fn parse_upload_part(&self, response: &Response) -> Result<PartReceipt> {
        let etag = response
            .header("etag")
            .ok_or_else(|| xml::bad_body("UploadPart", "no ETag header"))?;
        Ok(PartReceipt {
            etag: etag.to_string(),
            crc64: None,
        })
    }

    fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Operation {
        let mut op = Operation::new("CompleteMultipartUpload", "POST", bucket, key, 200);
        op.query
            .push(("uploadId".to_string(), upload_id.to_string()));
        op.body = xml::complete_body(parts);
        op.headers
            .push(("Content-Type".to_string(), "application/xml".to_string()));
        op
    }

    fn parse_complete_multipart_upload(&self, response: &Response) -> Result<ObjectReceipt> {
        // S3 may fail a Complete after sending 200: the error is then in the body.
        if xml::root_name(&response.body).as_deref() == Some("Error") {
            return Err(errors::server_error("CompleteMultipartUpload", response));
        }
        let body = xml::parse_complete(&response.body)?;
        Ok(self.receipt(response, body.etag, body.location))
    }

    fn abort_multipart_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Operation {
        let mut op = Operation::new("AbortMultipartUpload", "DELETE", bucket, key, 204);
        op.query
            .push(("uploadId".to_string(), upload_id.to_string()));
        op
    }

    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        content_length: u64,
        crc64_nvme: Option<u64>,
        attrs: &CreateAttributes,
    ) -> Operation {
        let mut op = Operation::new("PutObject", "PUT", bucket, key, 200);
        // The caller's Content-Encoding, if any, goes out as given: it is the object's.
        op.headers = headers::create_headers(key, attrs);
        plain_payload(&mut op, content_length, crc64_nvme);
        op
    }

    fn parse_put_object(&self, response: &Response) -> Result<ObjectReceipt> {
        Ok(self.receipt(response, String::new(), String::new()))
    }

    fn list_parts(&self, bucket: &str, key: &str, upload_id: &str, marker: u32) -> Operation {
        let mut op = Operation::new("ListParts", "GET", bucket, key, 200);
        op.query
            .push(("uploadId".to_string(), upload_id.to_string()));
        op.query.push(("max-parts".to_string(), "1000".to_string()));
        if marker > 0 {
            op.query
                .push(("part-number-marker".to_string(), marker.to_string()));
        }
        op
    }

    fn parse_list_parts(&self, response: &Response) -> Result<PartsPage> {
        xml::parse_list_parts(&response.body)
    }

    fn parse_list_multipart_uploads(&self, response: &Response) -> Result<UploadsPage> {
        xml::parse_list_uploads(&response.body)
    }

    fn head_object(&self, bucket: &str, key: &str) -> Operation {
        let mut op = Operation::new("HeadObject", "HEAD", bucket, key, 200);
        // Without it, stores leave out the object's checksum.
        op.headers
            .push(("x-amz-checksum-mode".to_string(), "ENABLED".to_string()));
        op
    }

    fn parse_head_object(&self, response: &Response) -> Result<ObjectHead> {
        let size = response
            .header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| xml::bad_body("HeadObject", "no valid Content-Length header"))?;
        Ok(ObjectHead {
            size,
            etag: response.header("etag").unwrap_or_default().to_string(),
            crc64: None,
            crc64_nvme: response
                .header(aws_chunked::TRAILER_HEADER)
                .and_then(aws_chunked::parse_checksum),
        })
    }

    fn parse_error(&self, operation: &Operation, response: &Response) -> UploadError {
        errors::server_error(operation.name, response)
    }

    fn sign(&self, operation: &Operation, now: SystemTime) -> Result<SignedRequest> {
        check_key_segments(&operation.key)?;
        let (host, path) = self.address(&operation.bucket, &operation.key);
        let canonical_path = sigv4::encode_path(&path);
        let mut url = format!("{}://{host}{canonical_path}", self.scheme);
        let query = sigv4::canonical_query(&operation.query);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        let mut headers = operation.headers.clone();
        if self.access_key.is_empty() {
            return Ok(SignedRequest { url, headers });
        }
        let payload_hash = match operation
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-content-sha256"))
        {
            Some((_, declared)) => declared.clone(),
            None => {
                let hash = sigv4::sha256_hex(&operation.body);
                headers.push(("x-amz-content-sha256".to_string(), hash.clone()));
                hash
            }
        };
        let date = sigv4::request_date(now)?;
        headers.push(("x-amz-date".to_string(), date.clone()));
        if !self.security_token.is_empty() {
            headers.push((
                "x-amz-security-token".to_string(),
                self.security_token.clone(),
            ));
        }
        let to_sign: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain([("host", host.as_str())])
            .collect();
        let creds = sigv4::Credentials {
            access_key: &self.access_key,
            secret_key: &self.secret_key,
            region: &self.region,
            service: "s3",
            key_cache: Some(&self.key_cache),
        };
        let signature = sigv4::sign(
            &sigv4::AWS4,
            &creds,
            &sigv4::SignInput {
                method: operation.method,
                canonical_path: &canonical_path,
                query: &operation.query,
                headers: &to_sign,
                payload_hash: &payload_hash,
                date: &date,
            },
        );
        headers.push(("Authorization".to_string(), signature.authorization));
        Ok(SignedRequest { url, headers })
    }

    fn check_bucket(&self, bucket: &str) -> Result<()> {
        if self.style == Style::CustomDomain {
            return Ok(());
        }
        endpoint::check_bucket_name(bucket)
    }

    fn check_attributes(&self, attrs: &CreateAttributes) -> Result<()> {
        headers::check_attributes(attrs)
    }

    fn check_key(&self, key: &str) -> Result<()> {
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return Err(UploadError::new(
                ErrorKind::InvalidKey,
                format!("invalid object name {key:?}: a key is 1 to 1024 bytes of UTF-8"),
            ));
        }
        check_key_segments(key)
    }
}

/// S3's limit on an object name, in bytes of UTF-8.
const MAX_KEY_BYTES: usize = 1024;
