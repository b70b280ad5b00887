//! The one seam between the upload logic and a wire protocol: addressing, signing, request
//! and response formats. The upload logic speaks only `Operation` and the receipts below, so
//! an S3-compatible protocol (SigV4, XML bodies) is another implementation of `Protocol`.

use crate::attributes::CreateAttributes;
use crate::error::{Result, UploadError};
use bytes::Bytes;
use reqwest::header::HeaderMap;
use std::time::SystemTime;

/// One request of the protocol before addressing and signing.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Used in error messages and logs, e.g. "UploadPart".
    pub name: &'static str,
    pub method: &'static str,
    pub bucket: String,
    pub key: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Small in-memory bodies only (Complete); part data is streamed separately.
    pub body: Bytes,
    pub expected_status: u16,
}

impl Operation {
    /// An operation on an object with no query, headers or body yet.
    pub fn new(
        name: &'static str,
        method: &'static str,
        bucket: &str,
        key: &str,
        expected_status: u16,
    ) -> Operation {
        Operation {
            name,
            method,
            bucket: bucket.to_string(),
            key: key.to_string(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
            expected_status,
        }
    }
}

/// A request ready to send: absolute URL and every header, signed.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// A response with its (small) body read. The headers stay in the map the HTTP client built
/// (copying each into a pair of Strings cost every small file a dozen allocations).
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    /// A header's value, looked up case-insensitively; None for a value that is not text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// A response built from name/value pairs, as tests write them; a pair that is not a
    /// valid header is left out, as it could not have come off the wire.
    #[cfg(test)]
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        status: u16,
        pairs: impl IntoIterator<Item = (K, V)>,
        body: Bytes,
    ) -> Response {
        use reqwest::header::{HeaderName, HeaderValue};
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            let name = HeaderName::from_bytes(name.as_ref().as_bytes());
            let value = HeaderValue::from_bytes(value.as_ref().as_bytes());
            if let (Ok(name), Ok(value)) = (name, value) {
                headers.append(name, value);
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartReceipt {
    /// As the server sent it (quoted).
    pub etag: String,
    pub crc64: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPart {
    pub part_number: u32,
    pub size: u64,
    pub etag: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartsPage {
    pub parts: Vec<ListedPart>,
    /// The marker for the next page, when the listing is truncated.
    pub next_marker: Option<u32>,
}

/// A multipart upload still open on the server, as ListMultipartUploads lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedUpload {
    pub key: String,
    pub upload_id: String,
    /// When it was created, in Unix seconds; `None` when the server sent no readable time.
    pub initiated: Option<i64>,
}

/// Where the next page of ListMultipartUploads starts: after this key and upload id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UploadsMarker {
    pub key: String,
    pub upload_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadsPage {
    pub uploads: Vec<ListedUpload>,
    /// The marker for the next page, when the listing is truncated.
    pub next_marker: Option<UploadsMarker>,
}

/// What the server says of a whole object it now holds (Complete or PutObject).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectReceipt {
    pub etag: String,
    pub location: String,
    pub version_id: String,
    pub crc64: Option<u64>,
    pub request_id: String,
}

/// What HeadObject says of an object: enough to tell whether it is the one we uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectHead {
    pub size: u64,
    pub etag: String,
    /// TOS's CRC-64/XZ of the object.
    pub crc64: Option<u64>,
    /// An S3 store's CRC-64/NVME of the whole object (sent when asked for).
    pub crc64_nvme: Option<u64>,
}

/// A part to list in Complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub part_number: u32,
    pub etag: String,
}

/// How a streamed body (a part, a small object) travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// The bytes as they are.
    Plain,
    /// aws-chunked frames with a CRC-64/NVME trailer that the store verifies.
    AwsChunkedCrc64Nvme,
}

pub trait Protocol: Send + Sync {
    /// How part and object bodies are sent; the operations' headers must agree with it.
    fn body_framing(&self) -> BodyFraming {
        BodyFraming::Plain
    }

    /// Whether PutObject goes as a plain body with the whole object's CRC-64/NVME in a
    /// header (computed before sending and passed to `put_object`), rather than framed as
    /// parts are.
    fn put_object_checksum(&self) -> bool {
        false
    }

    /// "tos" or "s3": recorded in checkpoints, so an upload is resumed only over its own
    /// protocol.
    fn name(&self) -> &'static str;

    fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        attrs: &CreateAttributes,
    ) -> Operation;
    fn parse_create_multipart_upload(&self, response: &Response) -> Result<String>;

    /// The caller streams `content_length` bytes of body.
    fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: u32,
        content_length: u64,
        attrs: &CreateAttributes,
    ) -> Operation;
    fn parse_upload_part(&self, response: &Response) -> Result<PartReceipt>;

    fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Operation;
    fn parse_complete_multipart_upload(&self, response: &Response) -> Result<ObjectReceipt>;

    fn abort_multipart_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Operation;

    /// A single-request upload of `content_length` bytes, streamed by the caller;
    /// `crc64_nvme` is the body's CRC-64/NVME when `put_object_checksum` asked for it.
    fn put_object(
        &self,
        bucket: &str,
        key: &str,
        content_length: u64,
        crc64_nvme: Option<u64>,
        attrs: &CreateAttributes,
    ) -> Operation;
    fn parse_put_object(&self, response: &Response) -> Result<ObjectReceipt>;

    /// One page of ListParts starting after `marker` (0 = from the start).
    fn list_parts(&self, bucket: &str, key: &str, upload_id: &str, marker: u32) -> Operation;
    fn parse_list_parts(&self, response: &Response) -> Result<PartsPage>;

    /// One page of ListMultipartUploads of the keys under `prefix`, starting after `marker`
    /// (the default marker = from the start), at most `max_uploads` long. The request is the
    /// same in both protocols; only its answer is parsed differently.
    fn list_multipart_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        marker: &UploadsMarker,
        max_uploads: u32,
    ) -> Operation {
        crate::wire::uploads::operation(bucket, prefix, marker, max_uploads)
    }
    fn parse_list_multipart_uploads(&self, response: &Response) -> Result<UploadsPage>;

    fn head_object(&self, bucket: &str, key: &str) -> Operation;
    fn parse_head_object(&self, response: &Response) -> Result<ObjectHead>;

    /// Turns an unexpected response into an error carrying every server detail.
    fn parse_error(&self, operation: &Operation, response: &Response) -> UploadError;

    /// Addresses and signs `operation` for sending at `now` (called again on every retry).
    fn sign(&self, operation: &Operation, now: SystemTime) -> Result<SignedRequest>;

    /// Validates a bucket name before anything is sent.
    fn check_bucket(&self, bucket: &str) -> Result<()>;

    /// Validates an object name (or a key prefix) before anything is sent.
    fn check_key(&self, key: &str) -> Result<()>;

    /// Refuses, before anything is sent, attributes this protocol cannot express.
    fn check_attributes(&self, attrs: &CreateAttributes) -> Result<()>;
}
