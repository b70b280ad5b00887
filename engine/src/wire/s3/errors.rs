//! S3 error responses as `UploadError`s carrying every server detail.

use super::xml;
use crate::error::{ServerErrorDetail, UploadError};
use crate::wire::protocol::Response;

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
    let at = parse_http_date(value)?;
    let wait = at.as_second() - jiff::Timestamp::now().as_second();
    Some(u64::try_from(wait).unwrap_or(0))
}

/// The three forms RFC 9110 has recipients accept: IMF-fixdate, and the obsolete RFC 850 and
/// asctime forms that old servers and proxies still send.
fn parse_http_date(value: &str) -> Option<jiff::Timestamp> {
    if let Ok(at) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value) {
        return Some(at);
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| jiff::civil::DateTime::strptime(format, value).ok())
        .and_then(|utc| jiff::tz::Offset::UTC.to_timestamp(utc).ok())
}
