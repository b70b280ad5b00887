//! The inputs and outputs of a file upload, in engine terms (owned Rust values).

use crate::attributes::CreateAttributes;
use crate::cancel::CancelHook;
use crate::error::{ErrorKind, Result, UploadError};
use std::path::PathBuf;

pub const MIB: u64 = 1024 * 1024;
pub const DEFAULT_PART_SIZE: u64 = 20 * MIB;
pub const MIN_PART_SIZE: u64 = 5 * MIB;
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
pub const MAX_PARTS: u64 = 10_000;
/// The most one PutObject may carry (TOS and S3 alike).
pub const MAX_PUT_OBJECT_SIZE: u64 = 5 * 1024 * MIB;
/// `task_num` 0: the number of parts at once is found while the upload runs (`auto_tasks`).
pub const AUTO_TASK_NUM: u32 = 0;
pub const MAX_TASK_NUM: u32 = 1000;

/// The part size a request asks for: 0 means the default; anything outside the protocol's
/// limits is refused before anything is sent.
pub(crate) fn resolve_part_size(asked: u64) -> Result<u64> {
    match asked {
        0 => Ok(DEFAULT_PART_SIZE),
        size if (MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) => Ok(size),
        size => Err(UploadError::new(
            ErrorKind::InvalidPartSize,
            format!("invalid part size {size}: it must be in [{MIN_PART_SIZE}, {MAX_PART_SIZE}]"),
        )),
    }
}

/// `task_num` as asked: 0 stays `AUTO_TASK_NUM`; 1..=1000 as it is; anything above is
/// refused before anything is sent, as every out-of-range value is (never clamped silently).
pub(crate) fn resolve_task_num(asked: u32) -> Result<u32> {
    if asked > MAX_TASK_NUM {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            format!("invalid task_num {asked}: it must be 0 (automatic) or in [1, {MAX_TASK_NUM}]"),
        ));
    }
    Ok(asked)
}

#[derive(Debug, Clone)]
pub struct UploadFileRequest {
    pub bucket: String,
    pub key: String,
    pub file_path: PathBuf,
    /// 0 means 20 MiB.
    pub part_size: u64,
    /// 0 (`AUTO_TASK_NUM`, the default) = found by measuring; otherwise 1..=1000 (more is refused).
    pub task_num: u32,
    pub enable_checkpoint: bool,
    /// A directory or a file, by the Go SDK's rules; `None` = beside the file.
    pub checkpoint_file: Option<PathBuf>,
    pub attributes: CreateAttributes,
    pub cancel: Option<CancelHook>,
    /// Files smaller than this go up in one PutObject; 0 means the part size; at most 5 GiB.
    pub multipart_threshold: u64,
    /// Always a multipart upload, whatever the size.
    pub force_multipart: bool,
}

impl UploadFileRequest {
    pub fn new(bucket: &str, key: &str, file_path: impl Into<PathBuf>) -> Self {
        UploadFileRequest {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            file_path: file_path.into(),
            part_size: 0,
            task_num: 0,
            enable_checkpoint: true,
            checkpoint_file: None,
            attributes: CreateAttributes::default(),
            cancel: None,
            multipart_threshold: 0,
            force_multipart: false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadFileOutput {
    pub bucket: String,
    pub key: String,
    /// Empty when the file went up in one PutObject.
    pub upload_id: String,
    /// As the server sent it (quoted).
    pub etag: String,
    pub location: String,
    pub version_id: String,
    pub crc64: u64,
    pub request_id: String,
    /// The part size actually used (after defaults, resume, or the 10,000-part rule); 0 when
    /// the file went up in one PutObject.
    pub part_size: u64,
    /// Bytes this call sent (excluding parts found already on the server).
    pub bytes_sent: u64,
}
