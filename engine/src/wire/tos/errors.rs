//! TOS error responses: a JSON document, or whatever text came instead of one.

use super::json::Json;
use super::TOS;
use crate::error::UploadError;
use crate::wire::documents::{body_text, Documents, ErrorDoc};
use crate::wire::protocol::Response;

pub(super) fn server_error(operation: &str, response: &Response) -> UploadError {
    let doc = Json.error(&response.body).unwrap_or_else(|| ErrorDoc {
        message: body_text(&response.body),
        ..ErrorDoc::default()
    });
    // TOS sends Retry-After in seconds only.
    let retry_after = response.header("retry-after");
    let retry_after_secs = retry_after.and_then(|v| v.trim().parse().ok());
    doc.into_error(operation, response, &TOS.error_headers, retry_after_secs)
}
