//! The documents in response bodies. TOS writes them in JSON and S3 in XML, under the same
//! field names, so one set of shapes (here, in `parts` and in `uploads`) serves both, and a
//! protocol brings only its `Format`.

use super::objects::{self, ObjectsListing};
use super::parts::{self, PartsListing};
use super::protocol::{CompletedPart, ObjectsPage, PartsPage, Response, UploadsPage};
use super::uploads::{self, UploadsListing};
use crate::error::{ErrorKind, Result, ServerErrorDetail, UploadError};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How a protocol writes its documents.
pub trait Format: Send + Sync + 'static {
    /// The Content-Type of the documents sent.
    const CONTENT_TYPE: &'static str;

    /// `Err` carries why the body is not the document.
    fn decode<T: DeserializeOwned>(body: &[u8]) -> std::result::Result<T, String>;

    /// The body of CompleteMultipartUpload.
    fn complete_body(parts: &[CompletedPart]) -> Bytes;

    /// `None` when the body is not an error document.
    fn decode_error(body: &[u8]) -> Option<ErrorDoc> {
        Self::decode(body).ok()
    }
}

/// The documents the upload reads and writes, in a protocol's format.
pub trait Documents: Send + Sync {
    /// The UploadId of a CreateMultipartUpload answer.
    fn upload_id(&self, body: &[u8]) -> Result<String>;
    /// The body and Content-Type of CompleteMultipartUpload.
    fn complete_request(&self, parts: &[CompletedPart]) -> (Bytes, &'static str);
    fn completed(&self, body: &[u8]) -> Result<Completed>;
    fn parts_page(&self, body: &[u8]) -> Result<PartsPage>;
    fn uploads_page(&self, body: &[u8]) -> Result<UploadsPage>;
    fn objects_page(&self, body: &[u8]) -> Result<ObjectsPage>;
    /// `None` when the body is not an error document.
    fn error(&self, body: &[u8]) -> Option<ErrorDoc>;
}

impl<F: Format> Documents for F {
    fn upload_id(&self, body: &[u8]) -> Result<String> {
        const OPERATION: &str = "CreateMultipartUpload";
        let doc: Initiated = decode::<F, _>(OPERATION, body)?;
        if doc.upload_id.is_empty() {
            return Err(bad_body(OPERATION, "empty UploadId"));
        }
        Ok(doc.upload_id)
    }

    fn complete_request(&self, parts: &[CompletedPart]) -> (Bytes, &'static str) {
        (F::complete_body(parts), F::CONTENT_TYPE)
    }

    fn completed(&self, body: &[u8]) -> Result<Completed> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Completed::default());
        }
        decode::<F, _>("CompleteMultipartUpload", body)
    }

    fn parts_page(&self, body: &[u8]) -> Result<PartsPage> {
        let listing: PartsListing = decode::<F, _>("ListParts", body)?;
        Ok(parts::page(listing))
    }

    fn uploads_page(&self, body: &[u8]) -> Result<UploadsPage> {
        const OPERATION: &str = "ListMultipartUploads";
        let listing: UploadsListing = decode::<F, _>(OPERATION, body)?;
        uploads::page(listing).map_err(|why| bad_body(OPERATION, why))
    }

    fn objects_page(&self, body: &[u8]) -> Result<ObjectsPage> {
        const OPERATION: &str = "ListObjectsV2";
        let listing: ObjectsListing = decode::<F, _>(OPERATION, body)?;
        objects::page(listing).map_err(|why| bad_body(OPERATION, why))
    }

    fn error(&self, body: &[u8]) -> Option<ErrorDoc> {
        F::decode_error(body)
    }
}

fn decode<F: Format, T: DeserializeOwned>(operation: &str, body: &[u8]) -> Result<T> {
    F::decode(body).map_err(|why| bad_body(operation, why))
}

pub fn bad_body(operation: &str, err: impl std::fmt::Display) -> UploadError {
    UploadError::new(
        ErrorKind::Server,
        format!("{operation}: the server returned a body that could not be read"),
    )
    .with_cause(err)
}

/// The start of a body that is not a document, as text for an error message.
pub fn body_text(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Initiated {
    #[serde(default)]
    upload_id: String,
}

/// A part as CompleteMultipartUpload lists it.
#[derive(Serialize)]
pub struct CompletedPartEntry<'a> {
    #[serde(rename = "PartNumber")]
    pub part_number: u32,
    #[serde(rename = "ETag")]
    pub etag: &'a str,
    /// base64 of the big-endian CRC, as S3 writes it (`aws_chunked::checksum_text`).
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    pub checksum_crc64_nvme: Option<String>,
}

impl<'a> From<&'a CompletedPart> for CompletedPartEntry<'a> {
    fn from(part: &'a CompletedPart) -> Self {
        CompletedPartEntry {
            part_number: part.part_number,
            etag: &part.etag,
            checksum_crc64_nvme: part.crc64_nvme.map(super::aws_chunked::checksum_text),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Completed {
    #[serde(rename = "Location", default)]
    pub location: String,
    #[serde(rename = "ETag", default)]
    pub etag: String,
    /// S3's checksum of the whole object, when the upload was created with an algorithm.
    #[serde(rename = "ChecksumCRC64NVME", default)]
    pub checksum_crc64_nvme: Option<String>,
    /// `FULL_OBJECT` or `COMPOSITE` (a checksum of the parts' checksums, not of the bytes).
    #[serde(rename = "ChecksumType", default)]
    pub checksum_type: Option<String>,
}

impl Completed {
    /// The whole object's CRC-64/NVME. A composite value, or one that is not base64 of 8
    /// bytes, says nothing of the bytes and is `None`.
    pub fn crc64_nvme(&self) -> Option<u64> {
        let full_object = self
            .checksum_type
            .as_deref()
            .is_none_or(|t| t.trim().eq_ignore_ascii_case("FULL_OBJECT"));
        let text = self.checksum_crc64_nvme.as_deref()?;
        full_object
            .then(|| super::aws_chunked::parse_checksum(text))
            .flatten()
    }
}

#[derive(Deserialize, Default, Debug, PartialEq, Eq)]
pub struct ErrorDoc {
    #[serde(rename = "Code", default)]
    pub code: String,
    #[serde(rename = "Message", default)]
    pub message: String,
    #[serde(rename = "RequestId", default)]
    pub request_id: String,
    #[serde(rename = "HostId", default)]
    pub host_id: String,
    /// TOS's error code, which the retry policy reads.
    #[serde(rename = "EC", default)]
    pub ec: String,
}

/// Where an error's ids are looked for when its document has none, first match wins.
pub struct ErrorHeaders {
    pub request_id: &'static [&'static str],
    pub host_id: &'static [&'static str],
}

impl ErrorDoc {
    /// The error of an unexpected response: the document's fields, and the response's headers
    /// where the document left one out.
    pub fn into_error(
        self,
        operation: &str,
        response: &Response,
        headers: &ErrorHeaders,
        retry_after_secs: Option<u64>,
    ) -> UploadError {
        let or_header = |value: String, names: &[&str]| {
            if !value.is_empty() {
                return value;
            }
            let mut present = names.iter().filter_map(|name| response.header(name));
            present
                .find(|v| !v.is_empty())
                .unwrap_or_default()
                .to_string()
        };
        let detail = ServerErrorDetail {
            status: response.status,
            code: self.code,
            message: self.message,
            request_id: or_header(self.request_id, headers.request_id),
            host_id: or_header(self.host_id, headers.host_id),
            // TOS's S3 endpoint sends it too.
            ec: or_header(self.ec, &["x-tos-ec"]),
            retry_after_secs,
        };
        UploadError::server(detail, operation)
    }
}
