//! S3 error responses as `UploadError`s carrying every server detail.

use super::xml::Xml;
use super::S3;
use crate::error::UploadError;
use crate::wire::documents::{body_text, Documents, ErrorDoc};
use crate::wire::protocol::Response;
use std::time::SystemTime;

pub(super) fn server_error(operation: &str, response: &Response) -> UploadError {
    let doc = Xml.error(&response.body).unwrap_or_else(|| {
        let text = body_text(&response.body);
        ErrorDoc {
            code: code_for_bodiless(response.status).to_string(),
            message: match text.trim() {
                // HEAD answers never carry an error document.
                "" => "the response carried no error document".to_string(),
                text => text.to_string(),
            },
            ..ErrorDoc::default()
        }
    });
    let retry_after_secs = response.header("retry-after").and_then(retry_after_secs);
    doc.into_error(operation, response, &S3.error_headers, retry_after_secs)
}

fn code_for_bodiless(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        412 => "PreconditionFailed",
        _ => "",
    }
}

/// Delta-seconds or an HTTP date, both allowed by RFC 9110.
pub fn retry_after_secs(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse() {
        return Some(secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .map_or(0, |d| d.as_secs()),
    )
}
