//! S3's names for the object's attributes, and the refusal of what S3 cannot express.

use crate::attributes::{is_token_byte, CreateAttributes};
use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::object_headers::ObjectHeaderNames;

pub(super) const NAMES: ObjectHeaderNames = ObjectHeaderNames {
    acl: "x-amz-acl",
    storage_class: "x-amz-storage-class",
    tagging: "x-amz-tagging",
    forbid_overwrite: None,
    website_redirect_location: "x-amz-website-redirect-location",
    server_side_encryption: "x-amz-server-side-encryption",
    server_side_encryption_key_id: "x-amz-server-side-encryption-aws-kms-key-id",
    ssec_algorithm: "x-amz-server-side-encryption-customer-algorithm",
    ssec_key: "x-amz-server-side-encryption-customer-key",
    ssec_key_md5: "x-amz-server-side-encryption-customer-key-MD5",
    meta_prefix: "x-amz-meta-",
    // Raw header text, which `check_attributes` makes sure a header can carry.
    meta_text: str::to_string,
    traffic_limit: None,
};

/// Canned ACLs of the S3 API reference (PutObject `x-amz-acl`).
const ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// Storage classes of the S3 API reference (`x-amz-storage-class`).
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
];

fn refuse(message: String) -> Result<()> {
    Err(UploadError::new(ErrorKind::InvalidArgument, message))
}

/// Everything is checked before a request is sent: a TOS-only attribute silently dropped
/// would leave an object without the protection or limit the caller asked for.
pub(super) fn check_attributes(attrs: &CreateAttributes) -> Result<()> {
    if attrs.traffic_limit.is_some_and(|limit| limit > 0) {
        return refuse(
            "traffic_limit is a TOS extension that S3 stores do not support; \
             use the client's rate limiter instead"
                .into(),
        );
    }
    if attrs.forbid_overwrite {
        return refuse(
            "forbid_overwrite is a TOS extension that the S3 protocol of this library does not support"
                .into(),
        );
    }
    if let Some(acl) = set(&attrs.acl).filter(|v| !ACLS.contains(v)) {
        return refuse(format!(
            "acl {acl:?} is not an S3 canned ACL (one of {})",
            ACLS.join(", ")
        ));
    }
    if let Some(class) = set(&attrs.storage_class).filter(|v| !STORAGE_CLASSES.contains(v)) {
        return refuse(format!(
            "storage class {class:?} is not an S3 storage class (one of {})",
            STORAGE_CLASSES.join(", ")
        ));
    }
    for (name, value) in &attrs.meta {
        // S3 sends metadata as raw header text; TOS's percent-encoding would be stored
        // literally, so anything a header cannot carry as-is is refused.
        if !name.bytes().all(is_token_byte) {
            return refuse(format!(
                "user metadata name {name:?}: S3 allows only ASCII letters, digits and !#$%&'*+-.^_`|~"
            ));
        }
        if !value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return refuse(format!(
                "user metadata {name:?}: S3 metadata values must be printable ASCII"
            ));
        }
    }
    Ok(())
}

fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::object_headers::{create_headers, ssec_headers};

    #[test]
    fn every_attribute_becomes_its_s3_header() {
        let attrs = CreateAttributes {
            cache_control: Some("no-cache".into()),
            content_disposition: Some("attachment".into()),
            content_encoding: Some("gzip".into()),
            content_language: Some("en".into()),
            expires: Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(784_111_777)),
            acl: Some("public-read".into()),
            storage_class: Some("STANDARD".into()),
            meta: vec![("Project".into(), "x y".into())],
            tagging: Some("a=1&b=2".into()),
            ssec_algorithm: Some("AES256".into()),
            ssec_key: Some("a2V5".into()),
            ssec_key_md5: Some("bWQ1".into()),
            website_redirect_location: Some("/other".into()),
            ..CreateAttributes::default()
        };
        let h = create_headers(&NAMES, "photo.JPG", &attrs);
        let get = |name: &str| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("content-type"), Some("image/jpeg"));
        assert_eq!(get("expires"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(get("x-amz-acl"), Some("public-read"));
        assert_eq!(get("x-amz-meta-Project"), Some("x y"));
        assert_eq!(get("x-amz-tagging"), Some("a=1&b=2"));
        assert_eq!(get("x-amz-website-redirect-location"), Some("/other"));
        assert_eq!(
            get("x-amz-server-side-encryption-customer-key-md5"),
            Some("bWQ1")
        );
        assert!(!h.iter().any(|(k, _)| k.starts_with("x-tos")));
        assert_eq!(ssec_headers(&NAMES, &attrs).len(), 3);
    }

    #[test]
    fn tos_only_attributes_are_refused_before_sending() {
        let refused = |attrs: CreateAttributes| {
            let err = check_attributes(&attrs).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidArgument);
            err.message
        };
        assert!(refused(CreateAttributes {
            traffic_limit: Some(800_000),
            ..Default::default()
        })
        .contains("traffic_limit"));
        assert!(refused(CreateAttributes {
            forbid_overwrite: true,
            ..Default::default()
        })
        .contains("forbid_overwrite"));
        for acl in ["bucket-owner-entrusted", "default"] {
            refused(CreateAttributes {
                acl: Some(acl.into()),
                ..Default::default()
            });
        }
        for class in [
            "IA",
            "ARCHIVE_FR",
            "COLD_ARCHIVE",
            "ARCHIVE",
            "DEEP_COLD_ARCHIVE",
        ] {
            refused(CreateAttributes {
                storage_class: Some(class.into()),
                ..Default::default()
            });
        }
        refused(CreateAttributes {
            meta: vec![("名".into(), "v".into())],
            ..Default::default()
        });
        refused(CreateAttributes {
            meta: vec![("k".into(), "中文".into())],
            ..Default::default()
        });
        assert!(check_attributes(&CreateAttributes {
            traffic_limit: Some(0),
            acl: Some("bucket-owner-full-control".into()),
            storage_class: Some("INTELLIGENT_TIERING".into()),
            meta: vec![("k-1".into(), "plain value".into())],
            ..Default::default()
        })
        .is_ok());
    }
}
