//! Aggregate progress and per-file events for a directory upload, behind one lock that
//! every file's future shares (they all run on the caller's thread, so it is uncontended).

use super::dir_request::{DirEvent, DirObservers, DirProgress};
use crate::rate_limit::Permit;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_millis(100);

pub struct DirReporter {
    observers: DirObservers,
    progress: DirProgress,
    reported: DirProgress,
    last_emit: Instant,
}

pub type SharedReporter = Arc<Mutex<DirReporter>>;

pub fn lock(reporter: &SharedReporter) -> std::sync::MutexGuard<'_, DirReporter> {
    reporter.lock().unwrap_or_else(|e| e.into_inner())
}

impl DirReporter {
    pub fn new(observers: DirObservers) -> SharedReporter {
        Arc::new(Mutex::new(DirReporter {
            observers,
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

    pub fn event(&mut self, event: &DirEvent) {
        if let Some(callback) = self.observers.event.as_mut() {
            callback(event);
        }
    }

    pub fn has_acquire(&self) -> bool {
        self.observers.acquire.is_some()
    }

    pub fn shared_limiter(&self) -> Option<Arc<dyn crate::RateLimiter>> {
        self.observers.shared_limiter.clone()
    }

    pub fn acquire(&mut self, want: u64) -> Permit {
        self.observers
            .acquire
            .as_mut()
            .map_or(Permit::Granted, |callback| callback(want))
    }

    /// Reports when something changed and 100 ms have passed.
    pub fn tick(&mut self) {
        if self.progress != self.reported && self.last_emit.elapsed() >= INTERVAL {
            self.emit();
        }
    }

    pub fn emit(&mut self) {
        if let Some(callback) = self.observers.progress.as_mut() {
            callback(&self.progress);
        }
        self.reported = self.progress;
        self.last_emit = Instant::now();
    }
}

/// A small file's PutObject reports into the folder's aggregate.
pub struct PutProgress<'a>(pub &'a SharedReporter);

impl crate::upload::single_put::PutObserver for PutProgress<'_> {
    fn add_bytes(&mut self, bytes: u64) {
        lock(self.0).add_bytes(bytes);
    }

    fn has_acquire(&self) -> bool {
        lock(self.0).has_acquire()
    }

    fn shared_limiter(&self) -> Option<Arc<dyn crate::RateLimiter>> {
        lock(self.0).shared_limiter()
    }

    fn acquire(&mut self, want: u64) -> Permit {
        lock(self.0).acquire(want)
    }
}
