//! `tos_object_attributes`: the object attributes sent with CreateMultipartUpload / PutObject
//! (`Content-Type`, ACL, metadata, SSE...), embedded by value in `tos_upload_file_input` and
//! `tos_upload_dir_input` as their `attributes` field, and converted here, once, for both.

use super::error::tos_error;
use super::guard::{null_error, optional_string, required_string};
use std::ffi::c_char;
use std::time::{Duration, UNIX_EPOCH};
use tosupload_engine::CreateAttributes;

/// One user metadata entry (`x-tos-meta-<key>: <value>`).
#[repr(C)]
pub struct tos_meta_entry {
    /// Required: the name without the `x-tos-meta-` prefix.
    pub key: *const c_char,
    /// Required.
    pub value: *const c_char,
}

/// The attributes of the objects an upload creates, the `attributes` field of
/// `tos_upload_file_input` and `tos_upload_dir_input`. All zero (as the inputs' `_init`
/// functions leave it) means nothing is set: every field is optional, strings may be NULL or
/// "" for "not set", numbers 0.
///
/// It is embedded by value in the input structs, so its layout is fixed: it never gains
/// fields (an attribute added later is appended to the input structs instead).
#[repr(C)]
pub struct tos_object_attributes {
    /// `Content-Type`; NULL = guessed from the key's extension.
    pub content_type: *const c_char,
    /// `Cache-Control`.
    pub cache_control: *const c_char,
    /// `Content-Disposition`.
    pub content_disposition: *const c_char,
    /// `Content-Encoding`.
    pub content_encoding: *const c_char,
    /// `Content-Language`.
    pub content_language: *const c_char,
    /// `Expires`, in seconds since the Unix epoch; 0 = not set.
    pub expires: i64,
    /// Canned ACL (`private`, `public-read`, ...).
    pub acl: *const c_char,
    /// Storage class (`STANDARD`, `IA`, ...).
    pub storage_class: *const c_char,
    /// User metadata, `meta_count` entries (may be NULL when `meta_count` is 0).
    pub meta: *const tos_meta_entry,
    /// The number of entries in `meta`.
    pub meta_count: usize,
    /// Object tagging, URL-encoded (`k1=v1&k2=v2`).
    pub tagging: *const c_char,
    /// Fail instead of replacing an existing object with the same key (for a directory
    /// upload: fail that file).
    pub forbid_overwrite: bool,
    /// SSE-C: the algorithm (`AES256`).
    pub ssec_algorithm: *const c_char,
    /// SSE-C: the base64 key.
    pub ssec_key: *const c_char,
    /// SSE-C: the base64 MD5 of the key.
    pub ssec_key_md5: *const c_char,
    /// Server-side encryption (`AES256`, `kms`).
    pub server_side_encryption: *const c_char,
    /// The KMS key id for `kms`.
    pub server_side_encryption_key_id: *const c_char,
    /// `x-tos-website-redirect-location`.
    pub website_redirect_location: *const c_char,
    /// Server-side traffic limit in bits per second (`x-tos-traffic-limit`); 0 = none.
    pub traffic_limit: u64,
}

/// Converts the C attributes (strings validated as UTF-8, NULL/"" = not set). `what` names
/// the struct in error messages (`"input->attributes"`).
pub(crate) unsafe fn create_attributes(
    a: &tos_object_attributes,
    what: &str,
) -> Result<CreateAttributes, tos_error> {
    let field = |name: &str| format!("{what}.{name}");
    let meta = if a.meta_count == 0 {
        &[][..]
    } else if a.meta.is_null() {
        return Err(null_error(&field("meta")));
    } else {
        std::slice::from_raw_parts(a.meta, a.meta_count)
    };
    let mut pairs = Vec::with_capacity(meta.len());
    for (i, entry) in meta.iter().enumerate() {
        pairs.push((
            required_string(entry.key, &field(&format!("meta[{i}].key")))?,
            required_string(entry.value, &field(&format!("meta[{i}].value")))?,
        ));
    }
    // Dates an HTTP header cannot carry are refused by the engine, naming the field; one
    // SystemTime cannot even hold is passed on as the earliest time, refused the same way.
    let expires = match a.expires {
        0 => None,
        s if s > 0 => UNIX_EPOCH.checked_add(Duration::from_secs(s.unsigned_abs())),
        s => UNIX_EPOCH.checked_sub(Duration::from_secs(s.unsigned_abs())),
    }
    .or((a.expires != 0).then(|| UNIX_EPOCH - Duration::from_secs(1)));
    let text = |ptr: *const c_char, name: &str| optional_string(ptr, &field(name));
    Ok(CreateAttributes {
        content_type: text(a.content_type, "content_type")?,
        cache_control: text(a.cache_control, "cache_control")?,
        content_disposition: text(a.content_disposition, "content_disposition")?,
        content_encoding: text(a.content_encoding, "content_encoding")?,
        content_language: text(a.content_language, "content_language")?,
        expires,
        acl: text(a.acl, "acl")?,
        storage_class: text(a.storage_class, "storage_class")?,
        meta: pairs,
        tagging: text(a.tagging, "tagging")?,
        forbid_overwrite: a.forbid_overwrite,
        ssec_algorithm: text(a.ssec_algorithm, "ssec_algorithm")?,
        ssec_key: text(a.ssec_key, "ssec_key")?,
        ssec_key_md5: text(a.ssec_key_md5, "ssec_key_md5")?,
        server_side_encryption: text(a.server_side_encryption, "server_side_encryption")?,
        server_side_encryption_key_id: text(
            a.server_side_encryption_key_id,
            "server_side_encryption_key_id",
        )?,
        website_redirect_location: text(a.website_redirect_location, "website_redirect_location")?,
        traffic_limit: (a.traffic_limit != 0).then_some(a.traffic_limit),
    })
}
