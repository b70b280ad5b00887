//! HeadObject and GetObject of the S3 front end: the same ranges and preconditions as the
//! TOS front end (`conditions`), with S3's headers. Discard mode keeps no data, so a GET that
//! passes its conditions answers 501; HEAD (ranged too) answers as S3 would.

use hyper::http::response::Builder;
use hyper::{HeaderMap, Response};

use crate::body::{empty, RespBody};
use crate::conditions::{self, Precondition, RangeAsk};
use crate::errors::TosError;
use crate::util::http_date;

/// What the discard mode remembers of an object.
pub struct StoredObject {
    pub size: u64,
    /// Quoted, as sent.
    pub etag: String,
    pub modified_ms: u64,
    /// `x-amz-checksum-*` values the upload declared (PutObject headers or trailers, or the
    /// full-object checksum given to CompleteMultipartUpload).
    pub checksums: Vec<(String, String)>,
}

/// S3 returns the stored checksums only when asked with `x-amz-checksum-mode: ENABLED`, and
/// only for the whole object.
fn wants_checksums(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-checksum-mode")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("enabled"))
}

pub fn head_or_get(
    headers: &HeaderMap,
    object: &StoredObject,
    base: Builder,
    is_get: bool,
) -> Result<Response<RespBody>, TosError> {
    let etag = object.etag.trim_matches('"');
    let validators = base
        .header("etag", &object.etag)
        .header("last-modified", http_date(object.modified_ms));
    match conditions::evaluate(headers, etag, object.modified_ms) {
        Precondition::Proceed => {}
        Precondition::Failed => return Err(TosError::precondition_failed()),
        Precondition::NotModified => {
            return Ok(validators
                .status(304)
                .body(empty())
                .expect("valid response"))
        }
    }
    let mut b = validators
        .header("content-type", "application/octet-stream")
        .header("accept-ranges", "bytes");
    match conditions::range(headers, object.size) {
        RangeAsk::Unsatisfiable => return Err(TosError::invalid_range(object.size)),
        RangeAsk::Part { start, len } => {
            b = b.status(206).header("content-length", len).header(
                "content-range",
                format!("bytes {start}-{}/{}", start + len - 1, object.size),
            );
        }
        RangeAsk::Whole => {
            b = b.header("content-length", object.size);
            if wants_checksums(headers) {
                for (name, value) in &object.checksums {
                    b = b.header(name.as_str(), value.as_str());
                }
                if !object.checksums.is_empty() {
                    b = b.header("x-amz-checksum-type", "FULL_OBJECT");
                }
            }
        }
    }
    if is_get {
        return Err(TosError::new(
            501,
            "NotImplemented",
            "discard mode keeps no object data",
        ));
    }
    Ok(b.body(empty()).expect("valid response"))
}
