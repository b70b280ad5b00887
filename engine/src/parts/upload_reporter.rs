//! Owns the user's callbacks for one upload and turns worker messages into exact,
//! coalesced progress and upload events. It lives on the coordinator, so callbacks never
//! run concurrently and stop when the upload returns.

use super::whole_object::PutObserver;
use crate::error::UploadError;
use crate::events::{
    Observers, PartInfo, ProgressKind, ProgressStatus, UploadEvent, UploadEventKind,
};
use crate::rate_limit::Permit;
use crate::wire::file_range::{AcquireRequest, Limiter};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Coalescing thresholds: the Go SDK reports every 512 KiB; we also flush every 100 ms.
const RW_BYTES: u64 = 512 * 1024;
const RW_INTERVAL: Duration = Duration::from_millis(100);

pub struct Reporter {
    observers: Observers,
    pub bucket: String,
    pub key: String,
    pub upload_id: Option<String>,
    pub checkpoint_file: Option<PathBuf>,
    total: u64,
    consumed: u64,
    pending: u64,
    last_emit: Instant,
    /// Per part: the most bytes ever handed over in any attempt, so retries count once.
    high_water: Vec<u64>,
    /// Set when the user's limiter callback is served elsewhere (see `SharedLimits`).
    pub acquire_sink: Option<mpsc::UnboundedSender<AcquireRequest>>,
}

impl Reporter {
    pub fn new(observers: Observers, bucket: &str, key: &str, total: u64) -> Self {
        Reporter {
            observers,
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id: None,
            checkpoint_file: None,
            total,
            consumed: 0,
            pending: 0,
            last_emit: Instant::now(),
            high_water: Vec::new(),
            acquire_sink: None,
        }
    }

    pub fn has_acquire_callback(&self) -> bool {
        self.observers.acquire.is_some()
    }

    pub fn shared_limiter(&self) -> Option<std::sync::Arc<dyn crate::RateLimiter>> {
        self.observers.shared_limiter.clone()
    }

    /// Automatic concurrency now runs `tasks` parts at once.
    pub fn tasks_changed(&mut self, tasks: usize) {
        let Some(callback) = self.observers.event.as_mut() else {
            return;
        };
        callback(&UploadEvent {
            kind: UploadEventKind::TaskNumChanged,
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            upload_id: self.upload_id.clone(),
            checkpoint_file: self.checkpoint_file.clone(),
            part: None,
            error: None,
            task_num: u32::try_from(tasks).ok(),
        });
    }

    /// The limiter that part bodies consult, and where their requests for the user's limiter
    /// callback arrive, to be answered with `acquire` on the thread that runs the callbacks.
    pub fn limiter(&self) -> (Limiter, mpsc::UnboundedReceiver<AcquireRequest>) {
        let (ask_limiter, acquire_requests) = mpsc::unbounded_channel();
        let limiter = match (&self.acquire_sink, self.shared_limiter()) {
            (Some(sink), _) => Limiter::Callback(sink.clone()),
            _ if self.has_acquire_callback() => Limiter::Callback(ask_limiter),
            (None, Some(shared)) => Limiter::Shared(shared),
            (None, None) => Limiter::None,
        };
        (limiter, acquire_requests)
    }

    pub fn event(
        &mut self,
        kind: UploadEventKind,
        part: Option<PartInfo>,
        error: Option<UploadError>,
    ) {
        let Some(callback) = self.observers.event.as_mut() else {
            return;
        };
        let event = UploadEvent {
            kind,
            bucket: self.bucket.clone(),
            key: self.key.clone(),
            upload_id: self.upload_id.clone(),
            checkpoint_file: self.checkpoint_file.clone(),
            part,
            error,
            task_num: None,
        };
        callback(&event);
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

    /// `already_done`: bytes of parts the server already holds (on resume).
    pub fn started(&mut self, part_count: usize, already_done: u64) {
        self.high_water = vec![0; part_count];
        self.consumed = already_done.min(self.total);
        self.progress(ProgressKind::Started, 0);
    }

    /// Returns how many bytes this adds to what was handed to the connections (a retry's
    /// bytes up to the previous attempt's high-water mark add nothing).
    pub fn sent(&mut self, part_index: usize, bytes_in_part: u64) -> u64 {
        let Some(mark) = self.high_water.get_mut(part_index) else {
            return 0;
        };
        if bytes_in_part <= *mark {
            return 0;
        }
        let delta = bytes_in_part - *mark;
        *mark = bytes_in_part;
        let delta = delta.min(self.total - self.consumed);
        self.consumed += delta;
        self.pending += delta;
        if self.pending >= RW_BYTES {
            self.flush();
        }
        delta
    }

    /// A stream's part of `size` bytes was read: the total grows with the stream, since its
    /// size is known only at its end. Returns the part's index for `sent`.
    pub fn add_part(&mut self, size: u64) -> usize {
        self.total += size;
        self.high_water.push(0);
        self.high_water.len() - 1
    }

    /// A part is confirmed: count any of its bytes not yet counted.
    pub fn part_done(&mut self, part_index: usize, part_size: u64) {
        self.sent(part_index, part_size);
    }

    pub fn tick(&mut self) {
        if self.pending > 0 && self.last_emit.elapsed() >= RW_INTERVAL {
            self.flush();
        }
    }

    pub fn flush(&mut self) {
        if self.pending > 0 {
            let once = std::mem::take(&mut self.pending);
            self.progress(ProgressKind::ReadWrite, once);
        }
    }

    pub fn succeed(&mut self) {
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

    pub fn acquire(&mut self, want: u64) -> Permit {
        match self.observers.acquire.as_mut() {
            Some(callback) => callback(want),
            None => Permit::Granted,
        }
    }
}

/// One PutObject reported as part `index` of the reporter, whose high-water mark counts a
/// retried attempt's bytes once (a small file's whole body, or a short stream's).
pub(crate) struct PartProgress<'a> {
    reporter: &'a mut Reporter,
    index: usize,
    sent: u64,
}

impl<'a> PartProgress<'a> {
    pub fn new(reporter: &'a mut Reporter, index: usize) -> Self {
        PartProgress {
            reporter,
            index,
            sent: 0,
        }
    }
}

impl PutObserver for PartProgress<'_> {
    fn add_bytes(&mut self, bytes: u64) {
        self.sent += bytes;
        self.reporter.sent(self.index, self.sent);
    }

    fn has_acquire(&self) -> bool {
        self.reporter.has_acquire_callback()
    }

    fn shared_limiter(&self) -> Option<std::sync::Arc<dyn crate::RateLimiter>> {
        self.reporter.shared_limiter()
    }

    fn answer_acquire(&mut self, ask: AcquireRequest) {
        let _ = ask.reply.send(self.reporter.acquire(ask.want));
    }
}
