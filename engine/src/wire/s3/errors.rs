//! S3 error responses as `UploadError`s carrying every server detail.

use super::xml;
use crate::error::{ServerErrorDetail, UploadError};
use crate::wire::protocol::Response;
use std::time::SystemTime;

pub fn server_error(operation: &str, response: &Response) -> UploadError {
    let header = |name: &str| response.header(name).unwrap_or_default().to_string();
    let doc = xml::parse_error(&response.body).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&response.body[..response.body.len().min(512)]);
        xml::ErrorDoc {
            code: code_for_bodiless(response.status).to_string(),
            message: match text.trim() {
                // HEAD answers never carry an error document.
                "" => "the response carried no error document".to_string(),
                text => text.to_string(),
            },
            ..xml::ErrorDoc::default()
        }
    });
    let or_header = |value: String, names: &[&str]| {
        if value.is_empty() {
            names
                .iter()
                .map(|n| header(n))
                .find(|v| !v.is_empty())
                .unwrap_or_default()
        } else {
            value
        }
    };
    let detail = ServerErrorDetail {
        status: response.status,
        code: doc.code,
        message: doc.message,
        request_id: or_header(doc.request_id, &["x-amz-request-id", "x-tos-request-id"]),
        host_id: or_header(doc.host_id, &["x-amz-id-2", "x-tos-id-2"]),
        // TOS's S3 endpoint still sends its error code, which the retry policy reads.
        ec: header("x-tos-ec"),
        retry_after_secs: response.header("retry-after").and_then(retry_after_secs),
    };
    UploadError::server(detail, operation)
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
