//! The one seam between the upload logic and a wire protocol. The upload logic speaks only
//! `Operation` and the receipts of `messages`. Both protocols are shaped as S3 is: the same
//! operations, addressed, paged and signed the same way, built once here (`Protocol`'s
//! provided methods) from what each protocol names or encodes its own way: its `Dialect`
//! (names, rules, document format, error documents, signing scheme) and, for S3, how bodies
//! are framed.

use super::aws_chunked;
use super::documents::{bad_body, Documents, ErrorHeaders};
use super::endpoint::{check_key_segments, invalid_key, Endpoint};
// Re-exported: the upload logic names these types by their old home, `wire::protocol`.
use super::credentials_cache::SigningCredentials;
pub use super::messages::{
    BodyFraming, CompletedPart, ListedObject, ListedPart, ListedUpload, ObjectHead, ObjectReceipt,
    ObjectsPage, Operation, PartReceipt, PartsPage, PayloadCheck, Response, SignedRequest,
    UploadsMarker, UploadsPage,
};
use super::object_headers::{
    create_headers, ssec_headers, traffic_limit_header, ObjectHeaderNames,
};
use super::signer::{Signer, Signing};
use crate::attributes::CreateAttributes;
use crate::config::ClientConfig;
use crate::error::{ErrorKind, Result, UploadError};
use std::time::SystemTime;

/// What a protocol names its own way, read by the operations `Protocol` builds.
pub struct Dialect {
    /// "tos" or "s3": recorded in checkpoints, so an upload is resumed only over its own
    /// protocol.
    pub name: &'static str,
    /// The response header with the server's id of the request (logs, receipts).
    pub request_id_header: &'static str,
    pub version_id_header: &'static str,
    /// Where an error's ids are looked for when its document has none.
    pub error_headers: ErrorHeaders,
    /// Turns an unexpected response to an operation (named) into an error carrying every
    /// server detail.
    pub parse_error: fn(&str, &Response) -> UploadError,
    /// Refuses, before anything is sent, attributes this protocol cannot express.
    pub check_attributes: fn(&CreateAttributes) -> Result<()>,
    /// The server's CRC-64/XZ of what it stored (TOS).
    pub crc64_header: Option<&'static str>,
    /// A store's CRC-64/NVME of a whole object, when HeadObject asks for it (S3).
    pub crc64_nvme_header: Option<&'static str>,
    /// Sent with HeadObject.
    pub head_object_headers: &'static [(&'static str, &'static str)],
    pub object_headers: ObjectHeaderNames,
    pub documents: &'static dyn Documents,
    pub signing: Signing,
    /// Whose rules bucket names and object keys follow (the local server applies the same).
    pub names: tos_names::Dialect,
    /// Whether `Addressing::Auto` addresses `localhost` path-style.
    pub localhost_path_style: bool,
}

/// The store a protocol talks to: its dialect, its endpoint and the client's credentials.
pub struct Site {
    pub dialect: &'static Dialect,
    pub endpoint: Endpoint,
    pub signer: Signer,
}

impl Site {
    pub fn new(dialect: &'static Dialect, config: &ClientConfig, region: String) -> Result<Site> {
        Ok(Site {
            dialect,
            endpoint: Endpoint::new(config, dialect.localhost_path_style)?,
            signer: Signer::new(&dialect.signing, config, region),
        })
    }
}

fn content_length(length: u64) -> Vec<(String, String)> {
    vec![("Content-Length".to_string(), length.to_string())]
}

/// Operations are built, signed and read by the provided methods, the same for every
/// protocol; an implementation supplies its `Site` and overrides the payload hooks where its
/// bodies are framed or checked differently. The provided methods are not overridden.
pub trait Protocol: Send + Sync {
    fn site(&self) -> &Site;

    /// Whether bodies carry a `PayloadCheck` the store verifies (S3); without, every body is
    /// sent plain with `PayloadCheck::None`.
    fn checks_payloads(&self) -> bool {
        false
    }

    /// The headers that say how long a part's or a PutObject's body is and how it is framed
    /// and checked; `check` is `PayloadCheck::None` unless `checks_payloads`.
    fn payload_headers(&self, content_length: u64, _check: PayloadCheck) -> Vec<(String, String)> {
        self::content_length(content_length)
    }

    /// An error the store sent under a success status.
    fn error_in_success(&self, _operation: &str, _response: &Response) -> Option<UploadError> {
        None
    }

    /// "tos" or "s3".
    fn name(&self) -> &'static str {
        self.site().dialect.name
    }

    fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: &CreateAttributes,
    ) -> Operation {
        let mut op = Operation::new("CreateMultipartUpload", "POST", bucket, key, 200);
        op.query.push(("uploads".to_string(), String::new()));
        op.headers = create_headers(&self.site().dialect.object_headers, key, attrs);
        op
    }

    fn parse_create_multipart_upload(&self, response: &Response) -> Result<String> {
        self.site().dialect.documents.upload_id(&response.body)
    }

    /// The caller streams `content_length` bytes of body, framed as `check` says.
    #[allow(clippy::too_many_arguments)]
    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        check: PayloadCheck,
        attrs: &CreateAttributes,
    ) -> Operation {
        let names = &self.site().dialect.object_headers;
        let mut op = Operation::new("UploadPart", "PUT", bucket, key, 200);
        op.query
            .push(("partNumber".to_string(), part_number.to_string()));
        op.query
            .push(("uploadId".to_string(), upload_id.to_string()));
        op.headers = self.payload_headers(content_length, check);
        op.headers.extend(ssec_headers(names, attrs));
        op.headers.extend(traffic_limit_header(names, attrs));
        op
    }

    fn parse_upload_part(&self, response: &Response) -> Result<PartReceipt> {
        let etag = response
            .header("etag")
            .ok_or_else(|| bad_body("UploadPart", "no ETag header"))?;
        Ok(PartReceipt {
            etag: etag.to_string(),
            crc64: server_crc64(self.site().dialect, response, "UploadPart")?,
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
        let (body, content_type) = self.site().dialect.documents.complete_request(parts);
        op.body = body;
        op.headers
            .push(("Content-Type".to_string(), content_type.to_string()));
        op
    }

    fn parse_complete_multipart_upload(&self, response: &Response) -> Result<ObjectReceipt> {
        const OPERATION: &str = "CompleteMultipartUpload";
        if let Some(error) = self.error_in_success(OPERATION, response) {
            return Err(error);
        }
        let completed = self.site().dialect.documents.completed(&response.body)?;
        let crc64_nvme = completed.crc64_nvme();
        let receipt = object_receipt(self.site().dialect, response, completed.etag, OPERATION)?;
        Ok(ObjectReceipt {
            location: completed.location,
            crc64_nvme,
            ..receipt
        })
    }

    fn abort_multipart_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Operation {
        let mut op = Operation::new("AbortMultipartUpload", "DELETE", bucket, key, 204);
        op.query
            .push(("uploadId".to_string(), upload_id.to_string()));
        op
    }

    /// A single-request upload of `content_length` bytes, streamed by the caller and
    /// checked as `check` says.
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        content_length: u64,
        check: PayloadCheck,
        attrs: &CreateAttributes,
    ) -> Operation {
        let names = &self.site().dialect.object_headers;
        let mut op = Operation::new("PutObject", "PUT", bucket, key, 200);
        // The caller's Content-Encoding, if any, goes out as given: it is the object's.
        op.headers = create_headers(names, key, attrs);
        op.headers
            .extend(self.payload_headers(content_length, check));
        op.headers.extend(traffic_limit_header(names, attrs));
        op
    }

    fn parse_put_object(&self, response: &Response) -> Result<ObjectReceipt> {
        object_receipt(self.site().dialect, response, String::new(), "PutObject")
    }

    /// One page of ListParts starting after `marker` (0 = from the start).
    fn list_parts(&self, bucket: &str, key: &str, upload_id: &str, marker: u32) -> Operation {
        super::parts::operation(bucket, key, upload_id, marker)
    }

    fn parse_list_parts(&self, response: &Response) -> Result<PartsPage> {
        self.site().dialect.documents.parts_page(&response.body)
    }

    /// One page of ListMultipartUploads of the keys under `prefix`, starting after `marker`
    /// (the default marker = from the start), at most `max_uploads` long.
    fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        marker: &UploadsMarker,
        max_uploads: u32,
    ) -> Operation {
        super::uploads::operation(bucket, prefix, marker, max_uploads)
    }

    fn parse_list_multipart_uploads(&self, response: &Response) -> Result<UploadsPage> {
        self.site().dialect.documents.uploads_page(&response.body)
    }

    /// One page of ListObjectsV2 of the keys under `prefix`, from the start or from
    /// `continuation_token`, at most `max_keys` long.
    fn list_objects_v2(
        &self,
        bucket: &str,
        prefix: &str,
        continuation_token: Option<&str>,
        max_keys: u32,
    ) -> Operation {
        super::objects::operation(bucket, prefix, continuation_token, max_keys)
    }

    fn parse_list_objects_v2(&self, response: &Response) -> Result<ObjectsPage> {
        self.site().dialect.documents.objects_page(&response.body)
    }

    fn delete_object(&self, bucket: &str, key: &str) -> Operation {
        Operation::new("DeleteObject", "DELETE", bucket, key, 204)
    }

    fn head_object(&self, bucket: &str, key: &str) -> Operation {
        let mut op = Operation::new("HeadObject", "HEAD", bucket, key, 200);
        let extra = self.site().dialect.head_object_headers.iter();
        op.headers
            .extend(extra.map(|(name, value)| (name.to_string(), value.to_string())));
        op
    }

    fn parse_head_object(&self, response: &Response) -> Result<ObjectHead> {
        let dialect = self.site().dialect;
        let size = response
            .header("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| bad_body("HeadObject", "no valid Content-Length header"))?;
        let crc64_nvme = dialect
            .crc64_nvme_header
            .and_then(|name| response.header(name));
        Ok(ObjectHead {
            size,
            etag: response.header("etag").unwrap_or_default().to_string(),
            // HEAD is only ever asked "is this our object?": an unreadable CRC cannot prove it
            // is, which is all a caller needs to know.
            crc64: server_crc64(dialect, response, "HeadObject").ok().flatten(),
            crc64_nvme: crc64_nvme.and_then(aws_chunked::parse_checksum),
        })
    }

    /// Addresses and signs `operation` for sending at `now` with the configuration's
    /// credentials (the tests' way; requests sign with the client's current ones).
    #[cfg(test)]
    fn sign(&self, operation: &Operation, now: SystemTime) -> Result<SignedRequest> {
        self.sign_with(operation, now, self.site().signer.fixed_credentials())
    }

    /// Addresses and signs `operation` for sending at `now` with `creds` (called again on
    /// every retry).
    fn sign_with(
        &self,
        operation: &Operation,
        now: SystemTime,
        creds: &SigningCredentials,
    ) -> Result<SignedRequest> {
        let site = self.site();
        let location = site.endpoint.locate(operation)?;
        let headers = site.signer.headers(operation, &location, now, creds)?;
        Ok(SignedRequest {
            url: location.url,
            headers,
        })
    }

    /// Validates a bucket name before anything is sent.
    fn check_bucket(&self, bucket: &str) -> Result<()> {
        let site = self.site();
        site.endpoint.check_bucket(bucket, site.dialect.names)
    }

    /// Validates an object name (or a key prefix) before anything is sent.
    fn check_key(&self, key: &str) -> Result<()> {
        if let Some(why) = tos_names::key_problem(key.as_bytes(), self.site().dialect.names) {
            return Err(invalid_key(key, &why));
        }
        check_key_segments(key)
    }

    /// Refuses, before anything is sent, attributes this protocol cannot express.
    fn check_attributes(&self, attrs: &CreateAttributes) -> Result<()> {
        (self.site().dialect.check_attributes)(attrs)
    }

    /// Turns an unexpected response into an error carrying every server detail.
    fn parse_error(&self, operation: &Operation, response: &Response) -> UploadError {
        (self.site().dialect.parse_error)(operation.name, response)
    }
}

/// The server's CRC-64/XZ of what it stored, where the protocol sends one.
fn server_crc64(dialect: &Dialect, response: &Response, operation: &str) -> Result<Option<u64>> {
    let Some(text) = dialect.crc64_header.and_then(|name| response.header(name)) else {
        return Ok(None);
    };
    text.trim().parse::<u64>().map(Some).map_err(|_| {
        UploadError::new(
            ErrorKind::Server,
            format!("{operation}: the server returned an invalid CRC-64 header {text:?}"),
        )
    })
}

/// What Complete or PutObject says of the object; `etag` from the body, else the header.
fn object_receipt(
    dialect: &Dialect,
    response: &Response,
    etag: String,
    operation: &str,
) -> Result<ObjectReceipt> {
    let header = |name: &str| response.header(name).unwrap_or_default().to_string();
    Ok(ObjectReceipt {
        etag: if etag.is_empty() {
            header("etag")
        } else {
            etag
        },
        location: String::new(),
        version_id: header(dialect.version_id_header),
        crc64: server_crc64(dialect, response, operation)?,
        crc64_nvme: None,
        request_id: header(dialect.request_id_header),
    })
}
