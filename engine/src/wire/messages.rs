//! What goes to the store and what comes back, in the terms the upload logic speaks: an
//! `Operation` before it is addressed and signed, the `Response`, and the receipts read
//! from it.

use bytes::Bytes;
use reqwest::header::HeaderMap;

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

/// An object as ListObjectsV2 lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    /// Quoted, as the server sent it.
    pub etag: String,
    /// TOS's CRC-64 (ECMA) of the object, when the listing carries it (`HashCrc64ecma`).
    pub crc64: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectsPage {
    pub objects: Vec<ListedObject>,
    /// Where the next page starts, when the listing is truncated.
    pub next_token: Option<String>,
}

/// What the server says of a whole object it now holds (Complete or PutObject).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectReceipt {
    pub etag: String,
    pub location: String,
    pub version_id: String,
    pub crc64: Option<u64>,
    /// An S3 store's CRC-64/NVME of the whole object, from Complete's `ChecksumCRC64NVME`
    /// (only for an upload created with `x-amz-checksum-algorithm: CRC64NVME`).
    pub crc64_nvme: Option<u64>,
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
    /// The part's CRC-64/NVME, listed as `ChecksumCRC64NVME` (S3 uploads created with that
    /// algorithm, whose Complete requires it).
    pub crc64_nvme: Option<u64>,
}

/// How an S3 body (a part, a small object) proves its bytes to the store, which refuses a
/// body that does not match (docs/s3-stores.md). TOS bodies carry none of these: TOS answers
/// with its CRC-64 of what it stored, which the client compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadCheck {
    /// aws-chunked, with the CRC-64/NVME computed while streaming in a trailer.
    Trailer,
    /// The CRC-64/NVME computed before sending, in `x-amz-checksum-crc64nvme`.
    Crc64Nvme(u64),
    /// The MD5 computed before sending, in `Content-MD5`.
    ContentMd5([u8; 16]),
    /// Nothing: the plain body.
    None,
}

impl PayloadCheck {
    pub fn framing(self) -> BodyFraming {
        match self {
            PayloadCheck::Trailer => BodyFraming::AwsChunkedCrc64Nvme,
            _ => BodyFraming::Plain,
        }
    }
}

/// How a streamed body (a part, a small object) travels on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// The bytes as they are.
    Plain,
    /// aws-chunked frames with a CRC-64/NVME trailer that the store verifies.
    AwsChunkedCrc64Nvme,
}
