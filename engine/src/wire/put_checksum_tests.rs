//! The checksum an S3 PutObject declares up front, and what a refusal of it means.

use super::checksum_mode::{check_unchanged, refused_digest, refused_trailer};
use super::file_range::{crc64_nvme, FileRange, RangeSource};
use super::protocol::PayloadCheck;
use crate::error::{ErrorKind, ServerErrorDetail, UploadError};
use bytes::Bytes;
use std::io::Write;
use std::sync::Arc;

/// CRC-64/NVME of "123456789" (the algorithm's check value).
const CHECK: u64 = 0xae8b_1486_0a79_9888;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn file_with(content: &[u8]) -> (tempfile::NamedTempFile, Arc<std::fs::File>) {
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(content).unwrap();
    let file = Arc::new(std::fs::File::open(tmp.path()).unwrap());
    (tmp, file)
}

#[test]
fn the_digest_covers_the_range_of_a_file_or_a_buffer() {
    let memory = FileRange {
        source: RangeSource::Memory(Bytes::from_static(b"xx123456789yy")),
        offset: 2,
        size: 9,
    };
    assert_eq!(crc64_nvme(&memory).unwrap(), CHECK);
    let (_tmp, file) = file_with(b"xx123456789yy");
    let range = FileRange {
        source: RangeSource::File(file),
        offset: 2,
        size: 9,
    };
    assert_eq!(crc64_nvme(&range).unwrap(), CHECK);
    // A range past the end is the file having shrunk, not a short digest.
    let past = FileRange { size: 20, ..range };
    assert_eq!(
        crc64_nvme(&past).unwrap_err().kind(),
        std::io::ErrorKind::UnexpectedEof
    );
    let past = FileRange { size: 20, ..memory };
    assert!(crc64_nvme(&past).is_err());
}

#[test]
fn a_refused_body_of_a_changed_file_is_file_changed_not_retried() {
    let (tmp, file) = file_with(b"123456789");
    let range = FileRange {
        source: RangeSource::File(file),
        offset: 0,
        size: 9,
    };
    let rt = runtime();
    // Unchanged: the refusal was corruption on the way, and the retry goes ahead.
    assert!(rt
        .block_on(check_unchanged("k", &range, PayloadCheck::Crc64Nvme(CHECK)))
        .is_ok());
    // Changed after the digest was taken: no retry can succeed.
    std::fs::write(tmp.path(), b"123456780").unwrap();
    let error = rt
        .block_on(check_unchanged("k", &range, PayloadCheck::Crc64Nvme(CHECK)))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::FileChanged);
    assert_eq!(
        crate::wire::classify(&error),
        crate::wire::FailureClass::GiveUp
    );
    // Shrunk: the read itself says so.
    std::fs::write(tmp.path(), b"1234").unwrap();
    let error = rt
        .block_on(check_unchanged("k", &range, PayloadCheck::Crc64Nvme(CHECK)))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::FileChanged);
}

#[test]
fn only_a_checksum_refusal_counts_as_one() {
    let refusal = |status: u16, code: &str| {
        UploadError::server(
            ServerErrorDetail {
                status,
                code: code.to_string(),
                ..ServerErrorDetail::default()
            },
            "PutObject",
        )
    };
    assert!(refused_digest(&refusal(400, "BadDigest")));
    assert!(refused_digest(&refusal(400, "InvalidDigest")));
    assert!(!refused_digest(&refusal(400, "InvalidArgument")));
    assert!(!refused_digest(&refusal(500, "BadDigest")));
    assert!(!refused_digest(&UploadError::new(
        ErrorKind::Network,
        "reset"
    )));
}

#[test]
fn a_trailer_refusal_is_a_501_or_a_400_naming_the_framing() {
    let refusal = |status: u16, code: &str, message: &str| {
        UploadError::server(
            ServerErrorDetail {
                status,
                code: code.to_string(),
                message: message.to_string(),
                ..ServerErrorDetail::default()
            },
            "UploadPart",
        )
    };
    assert!(refused_trailer(&refusal(501, "NotImplemented", "")));
    assert!(refused_trailer(&refusal(
        400,
        "InvalidRequest",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER is not supported"
    )));
    assert!(refused_trailer(&refusal(
        400,
        "InvalidArgument",
        "Unsupported header x-amz-trailer"
    )));
    assert!(!refused_trailer(&refusal(
        400,
        "InvalidArgument",
        "bad part number"
    )));
    assert!(!refused_trailer(&refusal(400, "BadDigest", "trailer")));
    assert!(!refused_trailer(&refusal(500, "InternalError", "")));
}

#[test]
fn the_md5_covers_the_range() {
    let (_tmp, file) = file_with(b"xxabcyy");
    let range = FileRange {
        source: RangeSource::File(file),
        offset: 2,
        size: 3,
    };
    // MD5("abc"), RFC 1321's test suite.
    assert_eq!(
        hex::encode(super::file_range::md5(&range).unwrap()),
        "900150983cd24fb0d6963f7d28e17f72"
    );
}
