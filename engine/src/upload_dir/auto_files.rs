//! Automatic file concurrency for the folder upload (`file_concurrency` 0): the search that
//! picks a file's parts at once (`upload::auto_tasks`), fed with whole files instead of parts.
//! Across a WAN small files are bound by round trips, so files at once decide the speed as
//! parts do for one big file.

use super::dir_reporter::{lock, SharedReporter};
use super::dir_request::{DirEvent, DirEventKind};
use crate::parts::auto_tasks::{Decision, TaskTuner};
use std::path::PathBuf;
use std::time::Instant;

/// 16, 64, 256: across a 40 ms link 2,000 small files are over in about ten round trips at
/// the best count, so a search in doublings from 4 (six steps) cost half the speed
/// (docs/throttling.md, "Automatic connections"). On loopback 16 small files at once cost
/// nothing more than 4.
const START_FILES: usize = 32;
const GROWTH: usize = 8;

pub(crate) struct FileTuner {
    tuner: TaskTuner,
}

impl FileTuner {
    /// At most `max_connections` files: each needs at least one request slot.
    pub fn new(max_connections: usize, reporter: &SharedReporter) -> FileTuner {
        let tuner = TaskTuner::with_steps(max_connections, Instant::now(), START_FILES, GROWTH)
            .with_queue_check();
        announce(reporter, tuner.tasks());
        FileTuner { tuner }
    }

    pub fn files(&self) -> usize {
        self.tuner.tasks()
    }

    /// A file of `size` bytes that started at `started` was uploaded; returns the files to
    /// run at once from now on. Once the walk is over no file is left to start, so the
    /// search stops growing.
    pub fn file_done(
        &mut self,
        size: u64,
        started: Instant,
        walk_done: bool,
        reporter: &SharedReporter,
    ) -> usize {
        let before = self.tuner.tasks();
        let files_left = if walk_done { 0 } else { usize::MAX / 2 };
        // An empty file still costs a request: count it as one byte so its rate is not zero.
        let decision = self
            .tuner
            .part_done(size.max(1), started, Instant::now(), files_left);
        let (files, rate, settled) = match decision {
            Decision::Keep => return before,
            Decision::Change { tasks, rate } => (tasks, rate, false),
            Decision::Settled { tasks, rate } => (tasks, rate, true),
        };
        log::debug!("folder upload: automatic file concurrency: {before} files moved {:.1} MB/s; {} {files} files",
            rate / 1e6,
            if settled { "settled at" } else { "trying" }
        );
        if files != before {
            announce(reporter, files);
        }
        files
    }
}

fn announce(reporter: &SharedReporter, files: usize) {
    lock(reporter).event(DirEvent {
        kind: DirEventKind::FileConcurrencyChanged,
        path: PathBuf::new(),
        key: String::new(),
        size: 0,
        etag: None,
        crc64: None,
        reason: None,
        error: None,
        file_concurrency: u32::try_from(files).ok(),
    });
}
