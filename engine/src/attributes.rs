//! The object's attributes, sent with CreateMultipartUpload or PutObject; shared by the file
//! and the folder uploads and turned into headers by each wire protocol.

use std::time::SystemTime;

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
