//! What an upload reports while it runs: progress (the Go SDK's DataTransferStatus) and
//! upload events (the Go SDK's UploadEvent types 1-7 plus our own).

use super::error::UploadError;
use super::rate_limit::RateLimiter;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressKind {
    Started,
    ReadWrite,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressStatus {
    pub kind: ProgressKind,
    /// Bytes of the file sent so far (handed to the connection), counting each byte once
    /// even when its part is retried; never decreases within a call, never exceeds
    /// `total_bytes`. A resumed call starts from the parts the server confirmed.
    pub consumed_bytes: u64,
    pub total_bytes: u64,
    /// Bytes added since the previous progress call.
    pub rw_once_bytes: u64,
}

/// The first seven are the Go SDK's `enum.UploadEventType`; the rest are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadEventKind {
    CreateMultipartUploadSucceeded,
    CreateMultipartUploadFailed,
    UploadPartSucceeded,
    UploadPartFailed,
    UploadPartAborted,
    CompleteMultipartUploadSucceeded,
    CompleteMultipartUploadFailed,
    /// A part attempt failed and will be retried; `error` says why.
    UploadPartRetry,
    /// An upload id from the checkpoint was confirmed with the server and is being continued.
    UploadResumed,
    /// The checkpoint was unusable (corrupt, invalid, foreign, stale, or its upload is gone)
    /// and a fresh upload starts, or Complete refused its parts and the next run starts
    /// afresh; `error` says why. The checkpoint file is removed, not kept aside.
    CheckpointDiscarded,
    /// The part size was raised so the file fits in 10,000 parts; `part.size` is the new size.
    PartSizeAdjusted,
    /// Automatic concurrency (`task_num` 0) set the number of parts sent at once to
    /// `task_num`: once at the start, then each time its search changes it.
    TaskNumChanged,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartInfo {
    pub part_number: u32,
    pub size: u64,
    pub offset: u64,
    /// Only for part success: the ETag as the server sent it (quoted).
    pub etag: Option<String>,
    /// Only for part success: the part's CRC-64/XZ.
    pub crc64: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct UploadEvent {
    pub kind: UploadEventKind,
    pub bucket: String,
    pub key: String,
    pub upload_id: Option<String>,
    pub checkpoint_file: Option<PathBuf>,
    pub part: Option<PartInfo>,
    pub error: Option<UploadError>,
    /// Only for `TaskNumChanged`: the parts now sent at once.
    pub task_num: Option<u32>,
}

pub type ProgressFn = Box<dyn FnMut(&ProgressStatus) + Send + Sync>;
pub type EventFn = Box<dyn FnMut(&UploadEvent) + Send + Sync>;

/// The user's limiter callback; answers like `RateLimiter::acquire`. It is called on the
/// same thread as the other callbacks of the upload, so it needs no locking of its own.
pub type AcquireFn = Box<dyn FnMut(u64) -> super::rate_limit::Permit + Send + Sync>;

/// Everything an upload calls back into. All callbacks of one upload run on the thread that
/// called `upload_file`, one at a time, and never after it returns.
#[derive(Default)]
pub struct Observers {
    pub progress: Option<ProgressFn>,
    pub event: Option<EventFn>,
    pub acquire: Option<AcquireFn>,
    /// A shared limiter (for example one `TokenBucket` for many uploads).
    pub shared_limiter: Option<Arc<dyn RateLimiter>>,
}
