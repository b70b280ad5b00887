//! Inputs, outputs and callbacks of a directory upload.

use crate::attributes::CreateAttributes;
use crate::cancel::CancelHook;
use crate::error::UploadError;
use crate::events::AcquireFn;
use crate::rate_limit::RateLimiter;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SymlinkPolicy {
    /// Report symbolic links as skipped.
    #[default]
    Skip,
    /// Upload what links point to; a link back to an ancestor is reported as a loop.
    Follow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorPolicy {
    /// Start no new file after the first failure (files in flight finish).
    #[default]
    StopOnFirst,
    /// Upload everything that can be, and report every failure.
    Continue,
}

/// `file_concurrency` 0: the files at once are found while the upload runs (`auto_files`).
pub const AUTO_FILE_CONCURRENCY: u32 = 0;
pub const DEFAULT_MAX_CONNECTIONS: u32 = 16;

#[derive(Debug, Clone)]
pub struct UploadDirRequest {
    pub bucket: String,
    /// Prepended to each file's path relative to `dir` (with `/` separators).
    pub prefix: String,
    pub dir: PathBuf,
    pub recursive: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub symlinks: SymlinkPolicy,
    /// Files uploaded at once; 0 (the default) = found by measuring (`auto_files`).
    pub file_concurrency: u32,
    /// Parallel parts per large file; 0 = the default.
    pub task_num: u32,
    /// Requests in flight at once over all files; 0 = automatic (`connection_bound`), or 16
    /// with a fixed `file_concurrency`.
    pub max_connections: u32,
    /// Files smaller than this go up in one PutObject; 0 = 20 MiB.
    pub part_size: u64,
    /// Holds the directory journal and the large files' checkpoints; `None` = not resumable.
    pub checkpoint_dir: Option<PathBuf>,
    pub error_policy: ErrorPolicy,
    pub attributes: CreateAttributes,
    pub cancel: Option<CancelHook>,
    /// HEAD each key first; an object with the same size and a checksum proving the same
    /// content is skipped.
    pub skip_existing: bool,
}

impl UploadDirRequest {
    pub fn new(bucket: &str, prefix: &str, dir: impl Into<PathBuf>) -> Self {
        UploadDirRequest {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            dir: dir.into(),
            recursive: true,
            include: Vec::new(),
            exclude: Vec::new(),
            symlinks: SymlinkPolicy::Skip,
            file_concurrency: 0,
            task_num: 0,
            max_connections: 0,
            part_size: 0,
            checkpoint_dir: None,
            error_policy: ErrorPolicy::StopOnFirst,
            attributes: CreateAttributes::default(),
            cancel: None,
            skip_existing: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirProgress {
    pub bytes_done: u64,
    /// Grows while the walk runs; final once `walk_complete`.
    pub bytes_total: u64,
    pub files_done: u64,
    pub files_total: u64,
    pub files_skipped: u64,
    pub files_failed: u64,
    pub walk_complete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirEventKind {
    FileStarted,
    FileSucceeded,
    FileFailed,
    /// Already uploaded (per the journal, or found by `skip_existing`), or not uploadable by
    /// policy (`reason` says).
    FileSkipped,
    /// Automatic file concurrency (`file_concurrency` 0) now uploads `file_concurrency`
    /// files at once: once at the start, then at each change (no path or key).
    FileConcurrencyChanged,
}

#[derive(Debug, Clone)]
pub struct DirEvent {
    pub kind: DirEventKind,
    pub path: PathBuf,
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub crc64: Option<u64>,
    pub reason: Option<String>,
    pub error: Option<UploadError>,
    /// Only for `FileConcurrencyChanged`: the files now uploaded at once.
    pub file_concurrency: Option<u32>,
}

pub type DirProgressFn = Box<dyn FnMut(&DirProgress) + Send + Sync>;
pub type DirEventFn = Box<dyn FnMut(&DirEvent) + Send + Sync>;

/// As `Observers`: every callback runs on the thread that called `upload_dir`, one at a time.
#[derive(Default)]
pub struct DirObservers {
    pub progress: Option<DirProgressFn>,
    pub event: Option<DirEventFn>,
    pub acquire: Option<AcquireFn>,
    pub shared_limiter: Option<Arc<dyn RateLimiter>>,
}

#[derive(Debug, Clone)]
pub struct FileFailure {
    pub path: PathBuf,
    pub key: String,
    pub error: UploadError,
}

#[derive(Debug, Clone, Default)]
pub struct UploadDirOutput {
    pub files_uploaded: u64,
    pub bytes_uploaded: u64,
    /// Files found already uploaded by an earlier run (journal or `skip_existing`).
    pub files_skipped: u64,
    pub bytes_skipped: u64,
    /// Entries the walk found and left out by policy: symbolic links not followed, and what
    /// is not a regular file (each also a `FileSkipped` event with its reason).
    pub files_left_out: u64,
    pub failures: Vec<FileFailure>,
}
