//! The object's attributes, sent with CreateMultipartUpload or PutObject; shared by the file
//! and the folder uploads and turned into headers by each wire protocol.

use crate::error::{ErrorKind, Result, UploadError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `at` as an HTTP date (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`), for `Expires`: its
/// range is checked by `CreateAttributes::check`, so the empty string is never sent.
pub(crate) fn http_date(at: SystemTime) -> String {
    jiff::Timestamp::try_from(at)
        .and_then(|t| jiff::fmt::rfc2822::DateTimePrinter::new().timestamp_to_rfc9110_string(&t))
        .unwrap_or_default()
}

/// Headers sent with CreateMultipartUpload (and PutObject), as in the Go SDK's
/// `CreateMultipartUploadV2Input`. Empty strings mean "not set".
#[derive(Debug, Clone, Default)]
pub struct CreateAttributes {
    /// Guessed from the key's extension when unset.
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<SystemTime>,
    pub acl: Option<String>,
    pub storage_class: Option<String>,
    pub meta: Vec<(String, String)>,
    pub tagging: Option<String>,
    pub forbid_overwrite: bool,
    pub ssec_algorithm: Option<String>,
    pub ssec_key: Option<String>,
    pub ssec_key_md5: Option<String>,
    pub server_side_encryption: Option<String>,
    pub server_side_encryption_key_id: Option<String>,
    pub website_redirect_location: Option<String>,
    /// Bits per second, sent as `x-tos-traffic-limit` on every part.
    pub traffic_limit: Option<u64>,
}

impl CreateAttributes {
    /// What any protocol needs: header values that cannot split or end a header line, and
    /// SSE-C given whole. Each refusal names the field.
    pub(crate) fn check(&self) -> Result<()> {
        let values = [
            ("content_type", &self.content_type),
            ("cache_control", &self.cache_control),
            ("content_disposition", &self.content_disposition),
            ("content_encoding", &self.content_encoding),
            ("content_language", &self.content_language),
            ("acl", &self.acl),
            ("storage_class", &self.storage_class),
            ("tagging", &self.tagging),
            ("ssec_algorithm", &self.ssec_algorithm),
            ("ssec_key", &self.ssec_key),
            ("ssec_key_md5", &self.ssec_key_md5),
            ("server_side_encryption", &self.server_side_encryption),
            (
                "server_side_encryption_key_id",
                &self.server_side_encryption_key_id,
            ),
            ("website_redirect_location", &self.website_redirect_location),
        ];
        for (field, value) in values {
            if let Some(value) = value {
                check_header_value(field, value)?;
            }
        }
        for (name, value) in &self.meta {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(invalid(format!(
                    "invalid meta name {name:?}: it must be a non-empty HTTP token (letters, digits, !#$%&'*+-.^_`|~)"
                )));
            }
            check_header_value(&format!("meta {name:?}"), value)?;
        }
        if let Some(expires) = self.expires {
            // HTTP dates lie between 1970 and 9999 (RFC 9110 writes the year in 4 digits).
            let last = UNIX_EPOCH + Duration::from_secs(253_402_300_799);
            if expires < UNIX_EPOCH || expires > last {
                return Err(invalid(
                    "invalid expires: an HTTP date lies between 1970 and 9999".into(),
                ));
            }
        }
        let ssec = [&self.ssec_algorithm, &self.ssec_key, &self.ssec_key_md5];
        let set = ssec.iter().filter(|f| f.is_some()).count();
        if set != 0 && set != 3 {
            return Err(invalid(
                "SSE-C needs ssec_algorithm, ssec_key and ssec_key_md5 together".into(),
            ));
        }
        Ok(())
    }
}

fn invalid(message: String) -> UploadError {
    UploadError::new(ErrorKind::InvalidArgument, message)
}

/// A control character (CR and LF above all) would end or split the header line on the wire.
fn check_header_value(field: &str, value: &str) -> Result<()> {
    match value.chars().find(|c| c.is_control() && *c != '\t') {
        Some(c) => Err(invalid(format!(
            "invalid {field}: it contains the control character {:?}, which a header cannot carry",
            c
        ))),
        None => Ok(()),
    }
}

/// RFC 9110 token characters, the only ones a header name may hold.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
