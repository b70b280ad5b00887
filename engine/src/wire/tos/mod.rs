//! The TOS native protocol: virtual-hosted / path-style / custom-domain addressing,
//! TOS4-HMAC-SHA256 signing, JSON bodies (docs/protocol.md §7–8).

pub(crate) mod signing;
mod uploads;

use crate::attributes::CreateAttributes;
use crate::config::{Addressing, ClientConfig};
use crate::error::{ErrorKind, Result, ServerErrorDetail, UploadError};
use crate::wire::content_type::guess_from_key;
use crate::wire::endpoint::{check_key_segments, host_is_ip_literal, parse_endpoint};
use crate::wire::protocol::{
    CompletedPart, ListedPart, ObjectHead, ObjectReceipt, Operation, PartReceipt, PartsPage,
    Protocol, Response, SignedRequest, UploadsPage,
};
use crate::wire::sigv4;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use signing::{authorization, Credentials, SignInput};
use std::time::SystemTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    VirtualHosted,
    Path,
    CustomDomain,
}

pub struct TosProtocol {
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

impl TosProtocol {
    pub fn new(config: &ClientConfig) -> Result<Self> {
        let (scheme, host) = parse_endpoint(&config.endpoint)?;
        let style = match config.addressing {
            Addressing::CustomDomain => Style::CustomDomain,
            Addressing::PathStyle => Style::Path,
            Addressing::Auto if host_is_ip_literal(&host) => Style::Path,
            Addressing::Auto => Style::VirtualHosted,
        };
        Ok(TosProtocol {
            scheme,
            host,
            style,
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
            security_token: config.security_token.clone(),
            key_cache: Default::default(),
            region: config.region.clone(),
        })
    }
}

fn push(headers: &mut Vec<(String, String)>, name: &str, value: Option<&String>) {
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        headers.push((name.to_string(), value.clone()));
    }
}

fn create_headers(key: &str, attrs: &CreateAttributes) -> Vec<(String, String)> {
    let mut h = Vec::new();
    let content_type = attrs
        .content_type
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| guess_from_key(key).to_string());
    h.push(("Content-Type".to_string(), content_type));
    push(&mut h, "Cache-Control", attrs.cache_control.as_ref());
    push(
        &mut h,
        "Content-Disposition",
        attrs.content_disposition.as_ref(),
    );
    push(&mut h, "Content-Encoding", attrs.content_encoding.as_ref());
    push(&mut h, "Content-Language", attrs.content_language.as_ref());
    if let Some(expires) = attrs.expires {
        h.push(("Expires".to_string(), crate::attributes::http_date(expires)));
    }
    push(&mut h, "x-tos-acl", attrs.acl.as_ref());
    push(&mut h, "x-tos-storage-class", attrs.storage_class.as_ref());
    push(&mut h, "x-tos-tagging", attrs.tagging.as_ref());
    h.push((
        "x-tos-forbid-overwrite".to_string(),
        attrs.forbid_overwrite.to_string(),
    ));
    push(
        &mut h,
        "x-tos-website-redirect-location",
        attrs.website_redirect_location.as_ref(),
    );
    push(
        &mut h,
        "x-tos-server-side-encryption",
        attrs.server_side_encryption.as_ref(),
    );
    push(
        &mut h,
        "x-tos-server-side-encryption-kms-key-id",
        attrs.server_side_encryption_key_id.as_ref(),
    );
    h.extend(ssec_headers(attrs));
    for (name, value) in &attrs.meta {
        h.push((
            format!("x-tos-meta-{}", sigv4::encode(name)),
            sigv4::encode(value),
        ));
    }
    h
}

/// SSE-C headers go on Create and on every part.
fn ssec_headers(attrs: &CreateAttributes) -> Vec<(String, String)> {
    let mut h = Vec::new();
    push(
        &mut h,
        "x-tos-server-side-encryption-customer-algorithm",
        attrs.ssec_algorithm.as_ref(),
    );
    push(
        &mut h,
        "x-tos-server-side-encryption-customer-key",
        attrs.ssec_key.as_ref(),
    );
    push(
        &mut h,
        "x-tos-server-side-encryption-customer-key-md5",
        attrs.ssec_key_md5.as_ref(),
    );
    h
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateBody {
    upload_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CompleteBody<'a> {
    parts: Vec<CompletePartBody<'a>>,
}

#[derive(Serialize)]
struct CompletePartBody<'a> {
    #[serde(rename = "PartNumber")]
    part_number: u32,
    #[serde(rename = "ETag")]
    etag: &'a str,
}

#[derive(Deserialize, Default)]
struct CompleteResult {
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(rename = "Location", default)]
    location: String,
}

#[derive(Deserialize)]
struct ListPartsBody {
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "NextPartNumberMarker", default)]
    next_part_number_marker: u32,
    #[serde(rename = "Parts", default)]
    parts: Option<Vec<ListPartsEntry>>,
}

#[derive(Deserialize)]
struct ListPartsEntry {
    #[serde(rename = "PartNumber")]
    part_number: u32,
    #[serde(rename = "ETag", default)]
    etag: String,
    #[serde(rename = "Size", default)]
    size: u64,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
    #[serde(rename = "RequestId", default)]
    request_id: String,
    #[serde(rename = "HostId", default)]
    host_id: String,
    #[serde(rename = "EC", default)]
    ec: String,
}

fn parse_crc(response: &Response, operation: &str) -> Result<Option<u64>> {
    match response.header("x-tos-hash-crc64ecma") {
        None => Ok(None),
        Some(text) => text.trim().parse::<u64>().map(Some).map_err(|_| {
            UploadError::new(
                ErrorKind::Server,
                format!("{operation}: the server returned an invalid CRC-64 header {text:?}"),
            )
        }),
    }
}

fn bad_body(operation: &str, err: impl std::fmt::Display) -> UploadError {
    UploadError::new(
        ErrorKind::Server,
        format!("{operation}: the server returned a body that could not be read"),
    )
    .with_cause(err)
}

/// The enumerations the Go SDK checks, refused here rather than by the server.
const ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
    "bucket-owner-entrusted",
    "default",
];
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "IA",
    "ARCHIVE_FR",
    "INTELLIGENT_TIERING",
    "COLD_ARCHIVE",
    "ARCHIVE",
    "DEEP_COLD_ARCHIVE",
];

/// TOS's limit on an object name, in bytes of UTF-8.
const MAX_KEY_BYTES: usize = 696;

impl Protocol for TosProtocol {
    fn name(&self) -> &'static str {
        "tos"
    }

    fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: &CreateAttributes,
    ) -> Operation {
        let mut op = Operation::new("CreateMultipartUpload", "POST", bucket, key, 200);
        op.query.push(("uploads".to_string(), String::new()));
        op.headers = create_headers(key, attrs);
        op
    }

    fn parse_create_multipart_upload(&self, response: &Response) -> Result<String> {
        let body: CreateBody = serde_json::from_slice(&response.body)
            .map_err(|e| bad_body("CreateMultipartUpload", e))?;
        if body.upload_id.is_empty() {
            return Err(bad_body("CreateMultipartUpload", "empty UploadId"));
        }
        Ok(body.upload_id)
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
        op.headers
            .push(("Content-Length".to_string(), content_length.to_string()));
        op.headers.extend(ssec_headers(attrs));
        if let Some(limit) = attrs.traffic_limit.filter(|l| *l > 0) {
            op.headers
                .push(("x-tos-traffic-limit".to_string(), limit.to_string()));
        }
        op
    }

    fn parse_upload_part(&self, response: &Response) -> Result<PartReceipt> {
        let etag = response
            .header("etag")
            .ok_or_else(|| bad_body("UploadPart", "no ETag header"))?
            .to_string();
        Ok(PartReceipt {
            etag,
            crc64: parse_crc(response, "UploadPart")?,
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
        let body = CompleteBody {
            parts: parts
                .iter()
                .map(|p| CompletePartBody {
                    part_number: p.part_number,
                    etag: &p.etag,
                })
                .collect(),
        };
        op.body = Bytes::from(serde_json::to_vec(&body).expect("plain structs serialize"));
        op.headers
            .push(("Content-Type".to_string(), "application/json".to_string()));
        op
    }

    fn parse_complete_multipart_upload(&self, response: &Response) -> Result<ObjectReceipt> {
        let body: CompleteResult = if response.body.is_empty() {
            CompleteResult::default()
        } else {
            serde_json::from_slice(&response.body)
                .map_err(|e| bad_body("CompleteMultipartUpload", e))?
        };
        let etag = if body.etag.is_empty() {
            response.header("etag").unwrap_or_default().to_string()
        } else {
            body.etag
        };
        Ok(ObjectReceipt {
            etag,
            location: body.location,
            version_id: response
                .header("x-tos-version-id")
                .unwrap_or_default()
                .to_string(),
            crc64: parse_crc(response, "CompleteMultipartUpload")?,
            request_id: response
                .header("x-tos-request-id")
                .unwrap_or_default()
                .to_string(),
        })
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
        // TOS checks the body by the CRC-64/XZ it returns; nothing is asked for up front.
        _crc64_nvme: Option<u64>,
        attrs: &CreateAttributes,
    ) -> Operation {
        let mut op = Operation::new("PutObject", "PUT", bucket, key, 200);
        op.headers = create_headers(key, attrs);
        op.headers
            .push(("Content-Length".to_string(), content_length.to_string()));
        if let Some(limit) = attrs.traffic_limit.filter(|l| *l > 0) {
            op.headers
                .push(("x-tos-traffic-limit".to_string(), limit.to_string()));
        }
        op
    }

    fn parse_put_object(&self, response: &Response) -> Result<ObjectReceipt> {
        Ok(ObjectReceipt {
            etag: response.header("etag").unwrap_or_default().to_string(),
            location: String::new(),
            version_id: response
                .header("x-tos-version-id")
                .unwrap_or_default()
                .to_string(),
            crc64: parse_crc(response, "PutObject")?,
            request_id: response
                .header("x-tos-request-id")
                .unwrap_or_default()
                .to_string(),
        })
    }

    fn head_object(&self, bucket: &str, key: &str) -> Operation {
        Operation::new("HeadObject", "HEAD", bucket, key, 200)
    }

    fn parse_head_object(&self, response: &Response) -> Result<ObjectHead> {
        let size = response
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| bad_body("HeadObject", "no valid Content-Length"))?;
        Ok(ObjectHead {
            size,
            etag: response.header("etag").unwrap_or_default().to_string(),
            // HEAD is only ever asked "is this our object?": an unreadable CRC cannot prove it
            // is, which is all a caller needs to know.
            crc64: parse_crc(response, "HeadObject").ok().flatten(),
            crc64_nvme: None,
        })
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
        let body: ListPartsBody =
            serde_json::from_slice(&response.body).map_err(|e| bad_body("ListParts", e))?;
        let parts: Vec<ListedPart> = body
            .parts
            .unwrap_or_default()
            .into_iter()
            .map(|p| ListedPart {
                part_number: p.part_number,
                size: p.size,
                etag: p.etag,
            })
            .collect();
        let next_marker = if body.is_truncated {
            let last = parts.last().map_or(0, |p| p.part_number);
            Some(body.next_part_number_marker.max(last))
        } else {
            None
        };
        Ok(PartsPage { parts, next_marker })
    }

    fn parse_list_multipart_uploads(&self, response: &Response) -> Result<UploadsPage> {
        uploads::parse(&response.body)
    }

    fn parse_error(&self, operation: &Operation, response: &Response) -> UploadError {
        let body: ErrorBody =
            serde_json::from_slice(&response.body).unwrap_or_else(|_| ErrorBody {
                message: String::from_utf8_lossy(&response.body[..response.body.len().min(512)])
                    .into_owned(),
                ..ErrorBody::default()
            });
        let header = |name: &str| response.header(name).unwrap_or_default().to_string();
        let detail = ServerErrorDetail {
            status: response.status,
            code: body.code,
            message: body.message,
            request_id: if body.request_id.is_empty() {
                header("x-tos-request-id")
            } else {
                body.request_id
            },
            host_id: if body.host_id.is_empty() {
                header("x-tos-id-2")
            } else {
                body.host_id
            },
            ec: if body.ec.is_empty() {
                header("x-tos-ec")
            } else {
                body.ec
            },
            retry_after_secs: response
                .header("retry-after")
                .and_then(|v| v.trim().parse().ok()),
        };
        UploadError::server(detail, operation.name)
    }

    fn sign(&self, operation: &Operation, now: SystemTime) -> Result<SignedRequest> {
        let (host, path) = match self.style {
            Style::VirtualHosted => (
                format!("{}.{}", operation.bucket, self.host),
                format!("/{}", operation.key),
            ),
            Style::Path => (
                self.host.clone(),
                format!("/{}/{}", operation.bucket, operation.key),
            ),
            Style::CustomDomain => (self.host.clone(), format!("/{}", operation.key)),
        };
        let encoded_path = sigv4::encode_path(&path);
        let mut url = format!("{}://{}{}", self.scheme, host, encoded_path);
        if !operation.query.is_empty() {
            let query: Vec<String> = operation
                .query
                .iter()
                .map(|(k, v)| format!("{}={}", sigv4::encode(k), sigv4::encode(v)))
                .collect();
            url.push('?');
            url.push_str(&query.join("&"));
        }
        let mut headers = operation.headers.clone();
        if self.access_key.is_empty() {
            return Ok(SignedRequest { url, headers });
        }
        let date = sigv4::request_date(now)?;
        headers.push(("x-tos-date".to_string(), date.clone()));
        if !self.security_token.is_empty() {
            headers.push((
                "x-tos-security-token".to_string(),
                self.security_token.clone(),
            ));
        }
        let to_sign: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain([("host", host.as_str())])
            .collect();
        let creds = Credentials {
            access_key: &self.access_key,
            secret_key: &self.secret_key,
            region: &self.region,
            key_cache: Some(&self.key_cache),
        };
        let input = SignInput {
            method: operation.method,
            canonical_path: &encoded_path,
            query: &operation.query,
            headers: &to_sign,
            date: &date,
        };
        headers.push(("Authorization".to_string(), authorization(&creds, &input)));
        Ok(SignedRequest { url, headers })
    }

    fn check_key(&self, key: &str) -> Result<()> {
        let invalid = |why: &str| {
            Err(UploadError::new(
                ErrorKind::InvalidKey,
                format!("invalid object name {key:?}: {why}"),
            ))
        };
        if key.is_empty() || key.len() > MAX_KEY_BYTES {
            return invalid("a key is 1 to 696 bytes of UTF-8");
        }
        if key.starts_with(['/', '\\']) {
            return invalid("a key must not start with '/' or '\\'");
        }
        if key.chars().any(|c| c.is_control()) {
            return invalid("a key must not contain control characters");
        }
        check_key_segments(key)
    }

    fn check_attributes(&self, attrs: &CreateAttributes) -> Result<()> {
        let invalid = |what: &str, value: &str| {
            Err(UploadError::new(
                ErrorKind::InvalidArgument,
                format!("invalid {what} {value:?}"),
            ))
        };
        if let Some(acl) = attrs.acl.as_deref().filter(|v| !ACLS.contains(v)) {
            return invalid("acl type", acl);
        }
        let class = attrs.storage_class.as_deref();
        if let Some(class) = class.filter(|v| !STORAGE_CLASSES.contains(v)) {
            return invalid("storage class", class);
        }
        if let Some(algorithm) = attrs.ssec_algorithm.as_deref().filter(|v| *v != "AES256") {
            return invalid("SSE-C algorithm (only AES256 is supported)", algorithm);
        }
        Ok(())
    }

    fn check_bucket(&self, bucket: &str) -> Result<()> {
        if self.style == Style::CustomDomain {
            return Ok(());
        }
        let invalid = |why: &str| {
            Err(UploadError::new(
                ErrorKind::InvalidBucket,
                format!("invalid bucket name {bucket:?}: {why}"),
            ))
        };
        if !(3..=63).contains(&bucket.len()) {
            return invalid("the length must be [3, 63]");
        }
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return invalid("only lowercase letters, digits and '-' are allowed");
        }
        if bucket.starts_with('-') || bucket.ends_with('-') {
            return invalid("it can neither start nor end with '-'");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol(endpoint: &str, addressing: Addressing) -> TosProtocol {
        let config = ClientConfig {
            endpoint: endpoint.to_string(),
            region: "cn-beijing".to_string(),
            access_key: "AKTEST".to_string(),
            secret_key: "SKTEST".to_string(),
            addressing,
            ..ClientConfig::new()
        };
        TosProtocol::new(&config).unwrap()
    }

    #[test]
    fn ip_endpoints_use_path_style_and_names_use_virtual_hosts() {
        let op = |p: &TosProtocol| {
            let op = p.abort_multipart_upload("mybucket", "a b+c/中文?x&y=1.txt", "u1");
            p.sign(
                &op,
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000),
            )
            .unwrap()
            .url
        };
        assert_eq!(
            op(&protocol("http://127.0.0.1:9000", Addressing::Auto)),
            "http://127.0.0.1:9000/mybucket/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt?uploadId=u1"
        );
        assert_eq!(
            op(&protocol("tos-cn-beijing.volces.com", Addressing::Auto)),
            "https://mybucket.tos-cn-beijing.volces.com/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt?uploadId=u1"
        );
        assert!(op(&protocol("http://[::1]:9000", Addressing::Auto))
            .starts_with("http://[::1]:9000/mybucket/"));
        assert!(op(&protocol(
            "http://cdn.example.com",
            Addressing::CustomDomain
        ))
        .starts_with("http://cdn.example.com/a%20b"));
        assert!(
            op(&protocol("http://localhost:9000", Addressing::PathStyle))
                .starts_with("http://localhost:9000/mybucket/")
        );
    }

    #[test]
    fn signed_requests_carry_date_and_authorization_but_no_secret() {
        let p = protocol("http://127.0.0.1:9000", Addressing::Auto);
        let op = p.create_multipart_upload("mybucket", "dir/obj.bin", &CreateAttributes::default());
        let signed = p.sign(&op, SystemTime::now()).unwrap();
        let auth = &signed
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .unwrap()
            .1;
        assert!(auth.starts_with("TOS4-HMAC-SHA256 Credential=AKTEST/"));
        assert!(auth.contains("SignedHeaders=content-type;host;x-tos-date;x-tos-forbid-overwrite,"));
        assert!(!signed.headers.iter().any(|(_, v)| v.contains("SKTEST")));
    }

    #[test]
    fn bucket_names_follow_the_go_sdk_rules() {
        let p = protocol("http://127.0.0.1:9000", Addressing::Auto);
        assert!(p.check_bucket("my-bucket-1").is_ok());
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "Upper",
            "under_score",
            &"a".repeat(64),
        ] {
            assert_eq!(
                p.check_bucket(bad).unwrap_err().kind,
                ErrorKind::InvalidBucket,
                "{bad}"
            );
        }
        let custom = protocol("http://cdn.example.com", Addressing::CustomDomain);
        assert!(custom.check_bucket("").is_ok());
    }

    #[test]
    fn error_bodies_keep_every_field() {
        let p = protocol("http://127.0.0.1:9000", Addressing::Auto);
        let op = p.abort_multipart_upload("b", "k", "u");
        let response = Response::from_pairs(
            404,
            [("x-tos-request-id", "req-1"), ("Retry-After", "2")],
            Bytes::from_static(
                br#"{"Code":"NoSuchUpload","Message":"gone","HostId":"h","EC":"0005-00000044"}"#,
            ),
        );
        let err = p.parse_error(&op, &response);
        let detail = err.server.unwrap();
        assert_eq!(detail.status, 404);
        assert_eq!(detail.code, "NoSuchUpload");
        assert_eq!(detail.request_id, "req-1");
        assert_eq!(detail.ec, "0005-00000044");
        assert_eq!(detail.retry_after_secs, Some(2));
    }
}
