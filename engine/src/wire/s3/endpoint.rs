//! S3 bucket naming rules.

use crate::error::{ErrorKind, Result, UploadError};

/// S3's rules for new buckets.
pub fn check_bucket_name(bucket: &str) -> Result<()> {
    let invalid = |why: &str| {
        Err(UploadError::new(
            ErrorKind::InvalidBucket,
            format!("invalid bucket name {bucket:?}: {why}"),
        ))
    };
    if !(3..=63).contains(&bucket.len()) {
        return invalid("the length must be [3, 63]");
    }
    if !bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return invalid("only lowercase letters, digits, '.' and '-' are allowed");
    }
    let alnum = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    if !alnum(bucket.bytes().next()) || !alnum(bucket.bytes().last()) {
        return invalid("it must start and end with a letter or a digit");
    }
    if bucket.contains("..") {
        return invalid("it must not contain \"..\"");
    }
    if bucket.parse::<std::net::Ipv4Addr>().is_ok() {
        return invalid("it must not look like an IP address");
    }
    Ok(())
}
