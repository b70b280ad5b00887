//! What a caller asks of a download and what it gets back, and the checks done on the
//! request before anything is sent.

use crate::cancel::CancelHook;
use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::get_object::ReadOptions;
use std::path::PathBuf;
use std::time::SystemTime;

pub const DEFAULT_PART_SIZE: u64 = 20 * 1024 * 1024;
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
pub const MAX_TASK_NUM: u32 = 1000;

#[derive(Clone)]
pub struct DownloadFileRequest {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// The destination file; an existing directory, or a path ending in '/', means the
    /// key's last segment inside it.
    pub file_path: PathBuf,
    /// Bytes per ranged GET: 0 = 20 MiB; otherwise 5 MiB..=5 GiB.
    pub part_size: u64,
    /// Ranges fetched at once: 0 = automatic (the uploads' search); at most 1000.
    pub task_num: u32,
    pub enable_checkpoint: bool,
    /// A file, or a directory to hold the checkpoint under its default name.
    pub checkpoint_file: Option<PathBuf>,
    pub cancel: Option<CancelHook>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<SystemTime>,
    pub if_unmodified_since: Option<SystemTime>,
    pub ssec_algorithm: Option<String>,
    /// Base64 of the key; sent on every request, never stored or logged.
    pub ssec_key: Option<String>,
    pub ssec_key_md5: Option<String>,
    /// Server-side limit in bits per second (TOS's `x-tos-traffic-limit`); 0 = none.
    pub traffic_limit: u64,
}

impl Default for DownloadFileRequest {
    fn default() -> Self {
        DownloadFileRequest {
            bucket: String::new(),
            key: String::new(),
            version_id: None,
            file_path: PathBuf::new(),
            part_size: 0,
            task_num: 0,
            enable_checkpoint: true,
            checkpoint_file: None,
            cancel: None,
            if_match: None,
            if_none_match: None,
            if_modified_since: None,
            if_unmodified_since: None,
            ssec_algorithm: None,
            ssec_key: None,
            ssec_key_md5: None,
            traffic_limit: 0,
        }
    }
}

impl DownloadFileRequest {
    pub fn new(bucket: &str, key: &str, file_path: impl Into<PathBuf>) -> Self {
        DownloadFileRequest {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            file_path: file_path.into(),
            ..DownloadFileRequest::default()
        }
    }
}

impl std::fmt::Debug for DownloadFileRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SSE-C key is a secret: shown only as whether it is set.
        f.debug_struct("DownloadFileRequest")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("version_id", &self.version_id)
            .field("file_path", &self.file_path)
            .field("part_size", &self.part_size)
            .field("task_num", &self.task_num)
            .field("enable_checkpoint", &self.enable_checkpoint)
            .field("checkpoint_file", &self.checkpoint_file)
            .field("ssec_key", &self.ssec_key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadFileOutput {
    pub bucket: String,
    pub key: String,
    /// Quoted, as the server sent it.
    pub etag: String,
    pub version_id: Option<String>,
    pub size: u64,
    /// The file's CRC-64/XZ (ECMA), only when the file was checked against a checksum the
    /// server gave (TOS's CRC-64, or an S3 store's full-object CRC-64/NVME); `None` when
    /// nothing was compared (no server checksum, or CRC checks off).
    pub crc64: Option<u64>,
    /// Body bytes received by this call (a resumed call counts only what it fetched).
    pub bytes_received: u64,
    /// The file written (or the directory made, for a key ending in '/').
    pub destination: PathBuf,
}

/// The request's numbers, settled.
pub(crate) struct Checked {
    pub part_size: u64,
    /// 0 = automatic.
    pub task_num: usize,
}

pub(crate) fn check(request: &DownloadFileRequest) -> Result<Checked> {
    if request.key.is_empty() {
        return Err(UploadError::new(ErrorKind::InvalidKey, "the key is empty"));
    }
    if request.file_path.as_os_str().is_empty() {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            "the destination file path is empty",
        ));
    }
    let part_size = match request.part_size {
        0 => DEFAULT_PART_SIZE,
        size if (MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) => size,
        size => {
            return Err(UploadError::new(
                ErrorKind::InvalidPartSize,
                format!(
                "invalid part size {size}: 0 (20 MiB) or {MIN_PART_SIZE}..={MAX_PART_SIZE} bytes"
            ),
            ))
        }
    };
    let task_num = match request.task_num {
        n if n <= MAX_TASK_NUM => n,
        n => {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                format!("invalid task_num {n}: 0 (automatic) or 1..={MAX_TASK_NUM}"),
            ))
        }
    };
    let ssec_given = [
        &request.ssec_algorithm,
        &request.ssec_key,
        &request.ssec_key_md5,
    ]
    .iter()
    .filter(|v| v.as_deref().is_some_and(|v| !v.is_empty()))
    .count();
    if ssec_given != 0 && ssec_given != 3 {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            "SSE-C needs the algorithm, the key and the key MD5 together",
        ));
    }
    Ok(Checked {
        part_size,
        task_num: task_num as usize,
    })
}

pub(crate) fn read_options(request: &DownloadFileRequest) -> ReadOptions {
    ReadOptions {
        version_id: request.version_id.clone(),
        if_match: request.if_match.clone(),
        if_none_match: request.if_none_match.clone(),
        if_modified_since: request.if_modified_since,
        if_unmodified_since: request.if_unmodified_since,
        ssec_algorithm: request.ssec_algorithm.clone(),
        ssec_key: request.ssec_key.clone(),
        ssec_key_md5: request.ssec_key_md5.clone(),
        traffic_limit: Some(request.traffic_limit).filter(|l| *l > 0),
    }
}
