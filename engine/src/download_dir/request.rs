//! Inputs and outputs of a folder download. Its callbacks, events and progress are the
//! folder upload's (`DirObservers`, `DirEvent`, `DirProgress`): the same questions are asked
//! of the same files, only in the other direction.

use crate::cancel::CancelHook;
use crate::upload_dir::dir_request::{DirObservers, ErrorPolicy, FileFailure};
use std::path::PathBuf;

/// Every callback runs on the thread that called `download_dir`, one at a time. In its
/// `DirProgress`, `walk_complete` means the listing is complete (totals are final); in its
/// `DirEvent`s, `path` is the local file and `key` the object.
pub type DownloadDirObservers = DirObservers;

/// `file_concurrency` 0: files at once are found while the download runs, by the folder
/// upload's search, up to this many.
pub const MAX_AUTO_DOWNLOAD_FILES: usize = 16;

#[derive(Debug, Clone)]
pub struct DownloadDirRequest {
    pub bucket: String,
    /// Every object whose key starts with it is downloaded; its local path is `dir` joined
    /// with the rest of the key (when the prefix does not end in '/', a '/' right after it
    /// is taken as the separator and dropped).
    pub prefix: String,
    /// Made when missing. Nothing is ever written outside it.
    pub dir: PathBuf,
    /// Glob patterns (the folder upload's) matched against the key without the prefix;
    /// empty = every key.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Files downloaded at once; 0 (the default) = found by measuring, up to 16.
    pub file_concurrency: u32,
    /// Ranges per file fetched at once; 0 = automatic (as `download_file`).
    pub task_num: u32,
    /// Bytes per ranged GET; 0 = 20 MiB (as `download_file`).
    pub part_size: u64,
    /// Holds the folder's journal of finished files and the large files' checkpoints;
    /// `None` = not resumable.
    pub checkpoint_dir: Option<PathBuf>,
    pub error_policy: ErrorPolicy,
    /// A local file of the object's size whose CRC-64 is the object's is left as it is.
    pub skip_existing: bool,
    pub cancel: Option<CancelHook>,
    /// Keys asked per ListObjectsV2 page: 0 = 1,000 (the most both stores give).
    pub list_page_size: u32,
}

impl DownloadDirRequest {
    pub fn new(bucket: &str, prefix: &str, dir: impl Into<PathBuf>) -> Self {
        DownloadDirRequest {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            dir: dir.into(),
            include: Vec::new(),
            exclude: Vec::new(),
            file_concurrency: 0,
            task_num: 0,
            part_size: 0,
            checkpoint_dir: None,
            error_policy: ErrorPolicy::StopOnFirst,
            skip_existing: false,
            cancel: None,
            list_page_size: 0,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct DownloadDirOutput {
    pub files_downloaded: u64,
    /// Body bytes fetched by this run for the files downloaded: a file resumed from its
    /// checkpoint counts only the ranges fetched now, as `DownloadFileOutput::bytes_received`.
    pub bytes_downloaded: u64,
    /// Files left as they were: done by an earlier run (journal) or, with `skip_existing`,
    /// already identical locally.
    pub files_skipped: u64,
    pub bytes_skipped: u64,
    /// Folder markers (keys ending in '/') made into directories.
    pub dirs_created: u64,
    /// `path` is the local path the object would have had (`dir` when the key has none),
    /// `key` the object's key.
    pub failures: Vec<FileFailure>,
}
