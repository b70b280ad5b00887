//! What a download reports while it runs, and the one owner of its callbacks: the
//! coordinator, which runs on the calling thread, so callbacks never overlap and never run
//! after `download_file` returns.

use crate::error::UploadError;
use crate::events::{AcquireFn, ProgressKind, ProgressStatus};
use crate::rate_limit::{Permit, RateLimiter};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first seven are the Go SDK's `enum.DownloadEventType` (numbers 1-7 in order); the
/// rest are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadEventKind {
    CreateTempFileSucceeded,
    CreateTempFileFailed,
    DownloadPartSucceeded,
    DownloadPartFailed,
    DownloadPartAborted,
    RenameTempFileSucceeded,
    RenameTempFileFailed,
    /// A range attempt failed and will be retried from its last byte written.
    DownloadPartRetry,
    /// A checkpoint was found valid: its completed ranges are kept.
    DownloadResumed,
    /// The checkpoint (or a range it records) was unusable; `error` says why. Its temp file
    /// is removed and the download starts afresh.
    CheckpointDiscarded,
    /// Automatic concurrency (`task_num` 0) set the number of ranges fetched at once to
    /// `task_num`: once at the start, then each time its search changes it.
    TaskNumChanged,
}

impl DownloadEventKind {
    /// The Go SDK's number for its seven, then ours from 8.
    pub fn number(self) -> u32 {
        self as u32 + 1
    }
}

/// One range of the object (inclusive bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DownloadPartInfo {
    pub part_number: u32,
    pub range_start: u64,
    pub range_end: u64,
    /// The range's CRC-64 (ECMA), on success.
    pub crc64: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct DownloadEvent {
    pub kind: DownloadEventKind,
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub file_path: PathBuf,
    pub temp_file_path: Option<PathBuf>,
    pub checkpoint_file: Option<PathBuf>,
    pub part: Option<DownloadPartInfo>,
    pub error: Option<UploadError>,
    /// Only for `TaskNumChanged`.
    pub task_num: Option<u32>,
}

pub type DownloadProgressFn = Box<dyn FnMut(&ProgressStatus) + Send + Sync>;
pub type DownloadEventFn = Box<dyn FnMut(&DownloadEvent) + Send + Sync>;

/// Everything a download calls back into, as `Observers` is for an upload: all on the
/// thread that called `download_file`, one at a time.
#[derive(Default)]
pub struct DownloadObservers {
    pub progress: Option<DownloadProgressFn>,
    pub event: Option<DownloadEventFn>,
    /// Asked for body bytes before they are written, like an upload's limiter.
    pub acquire: Option<AcquireFn>,
    /// A shared limiter (for example one `TokenBucket` for many transfers).
    pub shared_limiter: Option<Arc<dyn RateLimiter>>,
}

pub(crate) const RW_BYTES: u64 = 512 * 1024;
const RW_INTERVAL: Duration = Duration::from_millis(100);

pub(crate) struct Reporter {
    observers: DownloadObservers,
    /// Where the ranges ask for bytes instead of the observers' callback.
    pub limiter_asks: Option<tokio::sync::mpsc::UnboundedSender<super::fetch::AcquireAsk>>,
    pub template: DownloadEvent,
    total: u64,
    consumed: u64,
    pending: u64,
    last_emit: Instant,
}

impl Reporter {
    pub fn new(
        observers: DownloadObservers,
        template: DownloadEvent,
        limiter_asks: Option<tokio::sync::mpsc::UnboundedSender<super::fetch::AcquireAsk>>,
    ) -> Reporter {
        Reporter {
            observers,
            limiter_asks,
            template,
            total: 0,
            consumed: 0,
            pending: 0,
            last_emit: Instant::now(),
        }
    }

    pub fn has_acquire(&self) -> bool {
        self.observers.acquire.is_some()
    }

    pub fn shared_limiter(&self) -> Option<Arc<dyn RateLimiter>> {
        self.observers.shared_limiter.clone()
    }

    pub fn acquire(&mut self, want: u64) -> Permit {
        match self.observers.acquire.as_mut() {
            Some(callback) => callback(want),
            None => Permit::Granted,
        }
    }

    pub fn event(
        &mut self,
        kind: DownloadEventKind,
        part: Option<DownloadPartInfo>,
        error: Option<UploadError>,
    ) {
        if let Some(callback) = self.observers.event.as_mut() {
            let event = DownloadEvent {
                kind,
                part,
                error,
                ..self.template.clone()
            };
            callback(&event);
        }
    }

    pub fn tasks_changed(&mut self, tasks: usize) {
        if let Some(callback) = self.observers.event.as_mut() {
            let event = DownloadEvent {
                kind: DownloadEventKind::TaskNumChanged,
                task_num: u32::try_from(tasks).ok(),
                ..self.template.clone()
            };
            callback(&event);
        }
    }

    fn progress(&mut self, kind: ProgressKind, rw_once_bytes: u64) {
        if let Some(callback) = self.observers.progress.as_mut() {
            callback(&ProgressStatus {
                kind,
                consumed_bytes: self.consumed,
                total_bytes: self.total,
                rw_once_bytes,
            });
        }
        self.last_emit = Instant::now();
    }

    /// Starts at the bytes a resume kept.
    pub fn started(&mut self, total: u64, already: u64) {
        self.total = total;
        self.consumed = already.min(total);
        self.progress(ProgressKind::Started, 0);
    }

    /// Bytes newly written; a retried range's bytes are counted once by the caller.
    pub fn received(&mut self, bytes: u64) {
        let bytes = bytes.min(self.total - self.consumed);
        self.consumed += bytes;
        self.pending += bytes;
        if self.pending >= RW_BYTES || self.last_emit.elapsed() >= RW_INTERVAL {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if self.pending > 0 {
            let once = std::mem::take(&mut self.pending);
            self.progress(ProgressKind::ReadWrite, once);
        }
    }

    pub fn succeeded(&mut self) {
        let rest = self.total - self.consumed;
        self.consumed = self.total;
        self.pending += rest;
        self.flush();
        self.progress(ProgressKind::Succeeded, 0);
    }

    pub fn failed(&mut self) {
        self.flush();
        self.progress(ProgressKind::Failed, 0);
    }
}
