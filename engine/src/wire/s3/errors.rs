//! S3 error responses as `UploadError`s carrying every server detail.

use super::xml::Xml;
use super::S3;
use crate::error::UploadError;
use crate::wire::documents::{body_text, Documents, ErrorDoc};
use crate::wire::protocol::Response;

pub(super) fn server_error(operation: &str, response: &Response) -> UploadError {
    let doc = Xml.error(&response.body).unwrap_or_else(|| {
        let text = body_text(&response.body);
        let text = text.trim();
        if text.is_empty() && response.status == 404 && operation.starts_with("Head") {
            // No code and no message: `UploadError::server` names a HEAD's bodiless 404
            // (NoSuchKey, as S3 SDKs do), so a missing object has the same code on S3 as on
            // TOS. Giving it "NotFound" here hid it from that naming (tosput get said
            // "NotFound" for a missing key on SeaweedFS).
            return ErrorDoc::default();
        }
        ErrorDoc {
            code: code_for_bodiless(response.status).to_string(),
            message: match text {
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
