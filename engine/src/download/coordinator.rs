//! Runs the range workers and owns everything they report: progress, events, the user's
//! limiter callback and the checkpoint. It runs on the calling thread (inside `block_on`),
//! so callbacks are called one at a time; workers run on the runtime's threads.

use super::events::{DownloadEventKind, DownloadPartInfo};
use super::fetch::{self, FetchContext, Pacer, RangeJob, RangeMsg};
use super::{temp_file, Session};
use crate::error::{ErrorKind, Result, UploadError};
use crate::file_system::off_caller;
use crate::parts::auto_tasks::{Decision, TaskTuner, MAX_AUTO_TASKS};
use crate::wire::get_object::ByteRange;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Up to this many ranges the checkpoint is rewritten after each one; above, at most once
/// a second (and at the end, on pause and on failure): rewriting a checkpoint of 100,000
/// ranges after each would write gigabytes, and a kill then costs at most a second of
/// ranges, fetched again.
const SAVE_EVERY_RANGE_UP_TO: usize = 1000;
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);
/// Within the 200 ms a pause or abort is answered in.
const STOP_JOIN_WAIT: Duration = Duration::from_millis(100);

/// Joins the aborted workers, or gives up after `wait`. The deadline comes from a plain
/// thread: a runtime timer would not fire while the runtime's threads are in the kernel.
async fn join_within(workers: &mut JoinSet<()>, wait: Duration) {
    while workers.try_join_next().is_some() {}
    if workers.is_empty() {
        return;
    }
    let deadline = Arc::new(tokio::sync::Notify::new());
    let timer = Arc::clone(&deadline);
    let spawned = std::thread::Builder::new()
        .name("tosupload-stop".into())
        .spawn(move || {
            std::thread::sleep(wait);
            timer.notify_one();
        });
    if spawned.is_err() {
        // No thread for the deadline: wait for the workers, as before writes moved inline.
        while workers.join_next().await.is_some() {}
        return;
    }
    tokio::select! {
        () = async { while workers.join_next().await.is_some() {} } => {}
        () = deadline.notified() => log::debug!("stopping without waiting for a write in progress"),
    }
}

impl Session {
    fn part_info(&self, index: usize, crc64: Option<u64>) -> DownloadPartInfo {
        let range = &self.checkpoint.parts[index];
        DownloadPartInfo {
            part_number: range.part_number,
            range_start: range.range_start,
            range_end: range.range_end,
            crc64,
        }
    }

    pub(super) async fn fetch_missing(&mut self) -> Result<()> {
        let jobs: VecDeque<RangeJob> = self
            .checkpoint
            .parts
            .iter()
            .enumerate()
            .filter(|(_, range)| !range.is_completed)
            .map(|(index, range)| RangeJob {
                index,
                range: ByteRange {
                    first: range.range_start,
                    last: range.range_end,
                    total: self.head.size,
                },
            })
            .collect();
        let mut remaining = jobs.len();
        if remaining == 0 {
            return Ok(());
        }
        let (to_coordinator, mut messages) = mpsc::unbounded_channel();
        let (ask, mut asks) = mpsc::unbounded_channel();
        let pacer = match (
            self.reporter.limiter_asks.clone(),
            self.reporter.shared_limiter(),
        ) {
            (Some(forwarded), _) => Pacer::Callback(forwarded),
            _ if self.reporter.has_acquire() => Pacer::Callback(ask.clone()),
            (None, Some(shared)) => Pacer::Shared(shared),
            (None, None) => Pacer::None,
        };
        let (file, temp_path) = self.temp.clone().expect("planned before fetching");
        let probed = Arc::clone(&file);
        let in_place = off_caller(
            &self.cancel,
            "asking the temp file's file system",
            move || Ok(temp_file::writes_in_place(&probed)),
        )
        .await?;
        let ctx = Arc::new(FetchContext {
            wire: Arc::clone(&self.wire),
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            options: self.options.clone(),
            file,
            temp_path: Arc::new(temp_path),
            pacer,
            queue: Mutex::new(jobs),
            to_coordinator,
            target: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            received: AtomicU64::new(0),
            slow_disk: Arc::new(AtomicBool::new(!in_place)),
        });
        let mut tuner = (self.task_num == 0)
            .then(|| TaskTuner::new(MAX_AUTO_TASKS.min(remaining), Instant::now()));
        let tasks = tuner.as_ref().map_or(self.task_num, TaskTuner::tasks);
        ctx.target.store(tasks, Ordering::SeqCst);
        let mut workers = JoinSet::new();
        fetch::spawn_up_to(tasks, &ctx, &mut workers);
        if tuner.is_some() {
            self.reporter.tasks_changed(tasks);
        }
        let many = self.checkpoint.parts.len() > SAVE_EVERY_RANGE_UP_TO;
        let mut last_save = Instant::now();
        let mut unsaved = false;
        let mut tick = tokio::time::interval(TICK);
        let cancel = self.cancel.clone();
        let outcome = loop {
            if remaining == 0 {
                break Ok(());
            }
            tokio::select! {
                biased;
                () = cancel.cancelled() => break Err(None),
                Some(message) = messages.recv() => match message {
                    RangeMsg::Received => self.take_received(&ctx),
                    RangeMsg::Retry { index, error } => {
                        let part = self.part_info(index, None);
                        self.reporter
                            .event(DownloadEventKind::DownloadPartRetry, Some(part), Some(error));
                    }
                    RangeMsg::Done { index, crc64, started } => {
                        // The range's last bytes are counted before its success is told.
                        self.take_received(&ctx);
                        remaining -= 1;
                        if let Some(tuner) = tuner.as_mut() {
                            self.tune(tuner, index, started, &ctx, &mut workers);
                        }
                        let range = &mut self.checkpoint.parts[index];
                        range.is_completed = true;
                        range.crc64 = crc64;
                        if many && last_save.elapsed() < SAVE_INTERVAL {
                            unsaved = true;
                        } else {
                            self.save_checkpoint();
                            (last_save, unsaved) = (Instant::now(), false);
                        }
                        let part = self.part_info(index, Some(crc64));
                        self.reporter
                            .event(DownloadEventKind::DownloadPartSucceeded, Some(part), None);
                    }
                    RangeMsg::Failed { index, error } => break Err(Some((index, error))),
                },
                Some(ask) = asks.recv() => {
                    let permit = self.reporter.acquire(ask.want);
                    let _ = ask.reply.send(permit);
                }
                Some(joined) = workers.join_next() => {
                    if let Err(e) = joined {
                        if e.is_panic() {
                            break Err(Some((usize::MAX, UploadError::new(
                                ErrorKind::Panic,
                                "a range worker panicked",
                            ).with_cause(e))));
                        }
                    }
                }
                _ = tick.tick() => {
                    self.take_received(&ctx);
                    self.reporter.flush();
                    if unsaved && last_save.elapsed() >= SAVE_INTERVAL {
                        self.save_checkpoint();
                        (last_save, unsaved) = (Instant::now(), false);
                    }
                }
            }
        };
        // In-flight GETs are cancelled (their connections dropped) and joined: nothing of
        // this call reports after it returns. After a success every worker is past its last
        // write; after a stop, one may be inside a write on a runtime thread, and the answer
        // does not wait for a slow disk: that write finishes on its own into a range nobody
        // records, and the task ends at its next await.
        workers.abort_all();
        if outcome.is_ok() {
            while workers.join_next().await.is_some() {}
        } else {
            join_within(&mut workers, STOP_JOIN_WAIT).await;
        }
        drop(ask);
        // Ranges finished while the loop was stopping are recorded too, and reported like
        // the others: every range the checkpoint holds had its success event.
        self.take_received(&ctx);
        let mut late = Vec::new();
        while let Ok(message) = messages.try_recv() {
            if let RangeMsg::Done { index, crc64, .. } = message {
                let range = &mut self.checkpoint.parts[index];
                range.is_completed = true;
                range.crc64 = crc64;
                late.push((index, crc64));
            }
        }
        if unsaved || !late.is_empty() {
            self.save_checkpoint();
        }
        for (index, crc64) in late {
            let part = self.part_info(index, Some(crc64));
            self.reporter
                .event(DownloadEventKind::DownloadPartSucceeded, Some(part), None);
        }
        match outcome {
            Ok(()) => Ok(()),
            Err(None) => {
                let kind = cancel.requested().expect("cancelled() resolved");
                Err(self.stop(kind).await)
            }
            Err(Some((index, error))) => Err(self.range_failed(index, error)),
        }
    }

    /// Bytes the workers wrote since the last call: counted once, reported.
    fn take_received(&mut self, ctx: &FetchContext) {
        let bytes = ctx.take_received();
        if bytes > 0 {
            self.bytes_received += bytes;
            self.reporter.received(bytes);
        }
    }

    /// Automatic concurrency: the uploads' search, fed with the ranges' rates.
    fn tune(
        &mut self,
        tuner: &mut TaskTuner,
        index: usize,
        started: Instant,
        ctx: &Arc<FetchContext>,
        workers: &mut JoinSet<()>,
    ) {
        let waiting = ctx.queue.lock().unwrap_or_else(|e| e.into_inner()).len();
        let before = tuner.tasks();
        let size = self.checkpoint.parts[index].byte_count();
        let tasks = match tuner.part_done(size, started, Instant::now(), waiting) {
            Decision::Keep => return,
            Decision::Change { tasks, .. } | Decision::Settled { tasks, .. } => tasks,
        };
        ctx.target.store(tasks, Ordering::SeqCst);
        fetch::spawn_up_to(tasks, ctx, workers);
        if tasks != before {
            self.reporter.tasks_changed(tasks);
        }
    }

    /// The error a failed range ends the download with, and its event.
    fn range_failed(&mut self, index: usize, error: UploadError) -> UploadError {
        let part = (index < self.checkpoint.parts.len()).then(|| self.part_info(index, None));
        let error = if error.http_status() == Some(412) || error.kind == ErrorKind::ObjectChanged {
            let mut changed = UploadError::new(
                ErrorKind::ObjectChanged,
                format!(
                    "{}/{}: the object changed on the server during the download; the temp \
                     file and checkpoint were removed, so the next call starts afresh",
                    self.request.bucket, self.request.key
                ),
            );
            changed.server = error.server.clone();
            changed.cause = Some(error.to_string());
            changed
        } else {
            error
        };
        let kind = match error.http_status() {
            Some(403..=405) => DownloadEventKind::DownloadPartAborted,
            _ => DownloadEventKind::DownloadPartFailed,
        };
        self.reporter.event(kind, part, Some(error.clone()));
        error
    }
}
