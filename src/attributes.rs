//! The object attributes sent with CreateMultipartUpload / PutObject (`Content-Type`, ACL,
//! metadata, SSE...), shared by `tos_upload_file_input` and `tos_upload_dir_input`: both
//! structs carry the same flat fields, and this file is the one place that converts them.

use super::error::tos_error;
use super::guard::{null_error, optional_string, required_string};
use super::upload::tos_meta_entry;
use std::ffi::c_char;
use std::time::{Duration, UNIX_EPOCH};
use tosupload_engine::CreateAttributes;

/// The attribute fields of an input struct, copied out by `create_attribute_fields!`.
pub(crate) struct CreateAttributeFields {
    /// How the struct is named in error messages (`"input"`).
    pub what: &'static str,
    pub content_type: *const c_char,
    pub cache_control: *const c_char,
    pub content_disposition: *const c_char,
    pub content_encoding: *const c_char,
    pub content_language: *const c_char,
    pub expires: i64,
    pub acl: *const c_char,
    pub storage_class: *const c_char,
    pub meta: *const tos_meta_entry,
    pub meta_count: usize,
    pub tagging: *const c_char,
    pub forbid_overwrite: bool,
    pub ssec_algorithm: *const c_char,
    pub ssec_key: *const c_char,
    pub ssec_key_md5: *const c_char,
    pub server_side_encryption: *const c_char,
    pub server_side_encryption_key_id: *const c_char,
    pub website_redirect_location: *const c_char,
    pub traffic_limit: u64,
}

/// `create_attribute_fields!(input, "input")`: the attribute fields of any input struct that
/// has them under the usual names.
macro_rules! create_attribute_fields {
    ($input:expr, $what:expr) => {{
        let input = &$input;
        $crate::attributes::CreateAttributeFields {
            what: $what,
            content_type: input.content_type,
            cache_control: input.cache_control,
            content_disposition: input.content_disposition,
            content_encoding: input.content_encoding,
            content_language: input.content_language,
            expires: input.expires,
            acl: input.acl,
            storage_class: input.storage_class,
            meta: input.meta,
            meta_count: input.meta_count,
            tagging: input.tagging,
            forbid_overwrite: input.forbid_overwrite,
            ssec_algorithm: input.ssec_algorithm,
            ssec_key: input.ssec_key,
            ssec_key_md5: input.ssec_key_md5,
            server_side_encryption: input.server_side_encryption,
            server_side_encryption_key_id: input.server_side_encryption_key_id,
            website_redirect_location: input.website_redirect_location,
            traffic_limit: input.traffic_limit,
        }
    }};
}

/// Converts the C attribute fields (strings validated as UTF-8, NULL/"" = not set).
pub(crate) unsafe fn create_attributes(
    f: &CreateAttributeFields,
) -> Result<CreateAttributes, tos_error> {
    let what = f.what;
    let field = |name: &str| format!("{what}->{name}");
    let meta = if f.meta_count == 0 {
        &[][..]
    } else if f.meta.is_null() {
        return Err(null_error(&field("meta")));
    } else {
        std::slice::from_raw_parts(f.meta, f.meta_count)
    };
    let mut pairs = Vec::with_capacity(meta.len());
    for (i, entry) in meta.iter().enumerate() {
        pairs.push((
            required_string(entry.key, &field(&format!("meta[{i}].key")))?,
            required_string(entry.value, &field(&format!("meta[{i}].value")))?,
        ));
    }
    let expires = match f.expires {
        0 => None,
        s if s > 0 => UNIX_EPOCH.checked_add(Duration::from_secs(s.unsigned_abs())),
        s => UNIX_EPOCH.checked_sub(Duration::from_secs(s.unsigned_abs())),
    }
    .or((f.expires != 0).then_some(UNIX_EPOCH));
    let text = |ptr: *const c_char, name: &str| optional_string(ptr, &field(name));
    Ok(CreateAttributes {
        content_type: text(f.content_type, "content_type")?,
        cache_control: text(f.cache_control, "cache_control")?,
        content_disposition: text(f.content_disposition, "content_disposition")?,
        content_encoding: text(f.content_encoding, "content_encoding")?,
        content_language: text(f.content_language, "content_language")?,
        expires,
        acl: text(f.acl, "acl")?,
        storage_class: text(f.storage_class, "storage_class")?,
        meta: pairs,
        tagging: text(f.tagging, "tagging")?,
        forbid_overwrite: f.forbid_overwrite,
        ssec_algorithm: text(f.ssec_algorithm, "ssec_algorithm")?,
        ssec_key: text(f.ssec_key, "ssec_key")?,
        ssec_key_md5: text(f.ssec_key_md5, "ssec_key_md5")?,
        server_side_encryption: text(f.server_side_encryption, "server_side_encryption")?,
        server_side_encryption_key_id: text(
            f.server_side_encryption_key_id,
            "server_side_encryption_key_id",
        )?,
        website_redirect_location: text(f.website_redirect_location, "website_redirect_location")?,
        traffic_limit: (f.traffic_limit != 0).then_some(f.traffic_limit),
    })
}
