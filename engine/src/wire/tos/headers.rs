//! TOS's names for the object's attributes, and what TOS refuses in them and in keys.

use crate::attributes::CreateAttributes;
use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::object_headers::ObjectHeaderNames;
use crate::wire::sigv4;

pub(super) const NAMES: ObjectHeaderNames = ObjectHeaderNames {
    acl: "x-tos-acl",
    storage_class: "x-tos-storage-class",
    tagging: "x-tos-tagging",
    forbid_overwrite: Some("x-tos-forbid-overwrite"),
    website_redirect_location: "x-tos-website-redirect-location",
    server_side_encryption: "x-tos-server-side-encryption",
    server_side_encryption_key_id: "x-tos-server-side-encryption-kms-key-id",
    ssec_algorithm: "x-tos-server-side-encryption-customer-algorithm",
    ssec_key: "x-tos-server-side-encryption-customer-key",
    ssec_key_md5: "x-tos-server-side-encryption-customer-key-md5",
    meta_prefix: "x-tos-meta-",
    // TOS decodes percent-encoded metadata, so any text can be stored.
    meta_text: sigv4::encode,
    traffic_limit: Some("x-tos-traffic-limit"),
};

/// The enumerations the Go SDK checks, refused here rather than by the server.
const ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
    "bucket-owner-entrusted",
    "default",
];
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "IA",
    "ARCHIVE_FR",
    "INTELLIGENT_TIERING",
    "COLD_ARCHIVE",
    "ARCHIVE",
    "DEEP_COLD_ARCHIVE",
];

pub(super) fn check_attributes(attrs: &CreateAttributes) -> Result<()> {
    let invalid = |what: &str, value: &str| {
        Err(UploadError::new(
            ErrorKind::InvalidArgument,
            format!("invalid {what} {value:?}"),
        ))
    };
    if let Some(acl) = attrs.acl.as_deref().filter(|v| !ACLS.contains(v)) {
        return invalid("acl type", acl);
    }
    let class = attrs.storage_class.as_deref();
    if let Some(class) = class.filter(|v| !STORAGE_CLASSES.contains(v)) {
        return invalid("storage class", class);
    }
    if let Some(algorithm) = attrs.ssec_algorithm.as_deref().filter(|v| *v != "AES256") {
        return invalid("SSE-C algorithm (only AES256 is supported)", algorithm);
    }
    Ok(())
}
