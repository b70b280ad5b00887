//! The S3 XML documents the upload needs, via quick-xml's serde support. Unknown elements
//! and the `xmlns` attribute are ignored, so stores that add fields (TOS, MinIO) still parse.

use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::protocol::{CompletedPart, ListedPart, PartsPage, UploadsPage};
use crate::wire::uploads::{page, PageFields, UploadEntry};
use bytes::Bytes;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::{Deserialize, Serialize};

const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub fn bad_body(operation: &str, err: impl std::fmt::Display) -> UploadError {
    UploadError::new(
        ErrorKind::Server,
        format!("{operation}: the server returned a body that could not be read"),
    )
    .with_cause(err)
}

fn from_body<'a, T: Deserialize<'a>>(operation: &str, body: &'a [u8]) -> Result<T> {
    let text = std::str::from_utf8(body).map_err(|e| bad_body(operation, e))?;
    quick_xml::de::from_str(text).map_err(|e| bad_body(operation, e))
}

/// The name of the document's root element, if the body is XML at all.
pub fn root_name(body: &[u8]) -> Option<String> {
    let mut reader = Reader::from_reader(body);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::Eof => return None,
            _ => buf.clear(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InitiateResult {
    #[serde(default)]
    upload_id: String,
}

pub fn parse_upload_id(body: &[u8]) -> Result<String> {
    let doc: InitiateResult = from_body("CreateMultipartUpload", body)?;
    if doc.upload_id.is_empty() {
        return Err(bad_body("CreateMultipartUpload", "empty UploadId"));
    }
    Ok(doc.upload_id)
}

#[derive(Serialize)]
#[serde(rename = "CompleteMultipartUpload")]
struct CompleteRequest<'a> {
    #[serde(rename = "@xmlns")]
    xmlns: &'a str,
    #[serde(rename = "Part")]
    parts: Vec<CompleteRequestPart<'a>>,
}

#[derive(Serialize)]
struct CompleteRequestPart<'a> {
    #[serde(rename = "PartNumber")]
    part_number: u32,
    #[serde(rename = "ETag")]
    etag: &'a str,
}

/// Parts must be listed in ascending order; the caller's order is kept when already sorted.
pub fn complete_body(parts: &[CompletedPart]) -> Bytes {
    let mut sorted: Vec<&CompletedPart> = parts.iter().collect();
    sorted.sort_by_key(|p| p.part_number);
    let doc = CompleteRequest {
        xmlns: S3_NAMESPACE,
        parts: sorted
            .into_iter()
            .map(|p| CompleteRequestPart {
                part_number: p.part_number,
                etag: &p.etag,
            })
            .collect(),
    };
    let xml = quick_xml::se::to_string(&doc).expect("plain structs serialize");
    Bytes::from(xml)
}

#[derive(Deserialize, Default)]
pub struct CompleteResult {
    #[serde(rename = "Location", default)]
    pub location: String,
    #[serde(rename = "ETag", default)]
    pub etag: String,
}

pub fn parse_complete(body: &[u8]) -> Result<CompleteResult> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CompleteResult::default());
    }
    from_body("CompleteMultipartUpload", body)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListPartsResult {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_part_number_marker: Option<u32>,
    #[serde(rename = "Part", default)]
    parts: Vec<ListPartsEntry>,
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

pub fn parse_list_parts(body: &[u8]) -> Result<PartsPage> {
    let doc: ListPartsResult = from_body("ListParts", body)?;
    let parts: Vec<ListedPart> = doc
        .parts
        .into_iter()
        .map(|p| ListedPart {
            part_number: p.part_number,
            size: p.size,
            etag: p.etag,
        })
        .collect();
    // A truncated page without a marker would loop forever; the last part listed is the
    // marker S3 would have sent.
    let next_marker = doc.is_truncated.then(|| {
        let last = parts.last().map_or(0, |p| p.part_number);
        doc.next_part_number_marker.unwrap_or(0).max(last)
    });
    Ok(PartsPage { parts, next_marker })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUploadsResult {
    #[serde(default)]
    is_truncated: bool,
    #[serde(default)]
    next_key_marker: Option<String>,
    #[serde(default)]
    next_upload_id_marker: Option<String>,
    #[serde(rename = "Upload", default)]
    uploads: Vec<UploadEntry>,
}

pub fn parse_list_uploads(body: &[u8]) -> Result<UploadsPage> {
    const OPERATION: &str = "ListMultipartUploads";
    let doc: ListUploadsResult = from_body(OPERATION, body)?;
    page(PageFields {
        is_truncated: doc.is_truncated,
        next_key_marker: doc.next_key_marker,
        next_upload_id_marker: doc.next_upload_id_marker,
        uploads: doc.uploads,
    })
    .map_err(|why| bad_body(OPERATION, why))
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
}

/// `None` when the body is not an S3 `<Error>` document (HEAD responses, proxies' HTML).
pub fn parse_error(body: &[u8]) -> Option<ErrorDoc> {
    if root_name(body).as_deref() != Some("Error") {
        return None;
    }
    from_body("error", body).ok()
}

#[cfg(test)]
#[path = "xml_tests.rs"]
mod tests;
