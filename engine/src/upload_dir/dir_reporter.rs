//! Aggregate progress and per-file events for a directory upload, behind one lock that the
//! file futures share. The callbacks themselves run on the caller's thread: what they are
//! asked travels through the `CallerQueue`.

use super::caller_queue::{CallerQueue, ToCaller};
use super::dir_request::{DirEvent, DirProgress};
use crate::wire::file_range::AcquireRequest;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const INTERVAL: Duration = Duration::from_millis(100);

/// Which callbacks the caller has, and where to reach them.
pub struct DirCallbacks {
    pub queue: Arc<CallerQueue>,
    pub wants_events: bool,
    pub wants_progress: bool,
    pub has_acquire: bool,
    pub shared_limiter: Option<Arc<dyn crate::RateLimiter>>,
}

pub struct DirReporter {
    callbacks: DirCallbacks,
    /// Where part and object bodies ask the user's limiter callback, when there is one.
    acquire_sink: Option<mpsc::UnboundedSender<AcquireRequest>>,
    progress: DirProgress,
    reported: DirProgress,
    last_emit: Instant,
}

pub type SharedReporter = Arc<Mutex<DirReporter>>;

pub fn lock(reporter: &SharedReporter) -> std::sync::MutexGuard<'_, DirReporter> {
    reporter.lock().unwrap_or_else(|e| e.into_inner())
}

impl DirReporter {
    /// Runs on the runtime: forwards the limiter's questions to the caller's thread.
    pub fn new(callbacks: DirCallbacks) -> SharedReporter {
        let acquire_sink = callbacks.has_acquire.then(|| {
            let (sink, mut asks) = mpsc::unbounded_channel::<AcquireRequest>();
            let queue = Arc::clone(&callbacks.queue);
            tokio::spawn(async move {
                while let Some(ask) = asks.recv().await {
                    queue.push(ToCaller::Acquire(ask));
                }
            });
            sink
        });
        Arc::new(Mutex::new(DirReporter {
            callbacks,
            acquire_sink,
            progress: DirProgress::default(),
            reported: DirProgress::default(),
            last_emit: Instant::now(),
        }))
    }

    pub fn found(&mut self, size: u64) {
        self.progress.files_total += 1;
        self.progress.bytes_total += size;
    }

    pub fn walk_complete(&mut self) {
        self.progress.walk_complete = true;
        self.emit();
    }

    pub fn add_bytes(&mut self, bytes: u64) {
        self.progress.bytes_done += bytes;
    }

    pub fn file_done(&mut self) {
        self.progress.files_done += 1;
    }

    pub fn file_skipped(&mut self, size: u64) {
        self.progress.files_skipped += 1;
        self.progress.files_done += 1;
        self.progress.bytes_done += size;
    }

    pub fn file_failed(&mut self) {
        self.progress.files_failed += 1;
    }

    pub fn wants_events(&self) -> bool {
        self.callbacks.wants_events
    }

    pub fn event(&mut self, event: DirEvent) {
        if self.callbacks.wants_events {
            self.callbacks.queue.push(ToCaller::Event(event));
        }
    }

    pub fn acquire_sink(&self) -> Option<mpsc::UnboundedSender<AcquireRequest>> {
        self.acquire_sink.clone()
    }

    pub fn shared_limiter(&self) -> Option<Arc<dyn crate::RateLimiter>> {
        self.callbacks.shared_limiter.clone()
    }

    /// Reports when something changed and 100 ms have passed.
    pub fn tick(&mut self) {
        if self.progress != self.reported && self.last_emit.elapsed() >= INTERVAL {
            self.emit();
        }
    }

    pub fn emit(&mut self) {
        if self.callbacks.wants_progress {
            self.callbacks.queue.push(ToCaller::Progress(self.progress));
        }
        self.reported = self.progress;
        self.last_emit = Instant::now();
    }
}

/// A small file's PutObject reports into the folder's aggregate.
pub struct PutProgress<'a>(pub &'a SharedReporter);

impl crate::parts::whole_object::PutObserver for PutProgress<'_> {
    fn add_bytes(&mut self, bytes: u64) {
        lock(self.0).add_bytes(bytes);
    }

    fn has_acquire(&self) -> bool {
        lock(self.0).callbacks.has_acquire
    }

    fn shared_limiter(&self) -> Option<Arc<dyn crate::RateLimiter>> {
        lock(self.0).shared_limiter()
    }

    fn answer_acquire(&mut self, ask: AcquireRequest) {
        lock(self.0).callbacks.queue.push(ToCaller::Acquire(ask));
    }
}
