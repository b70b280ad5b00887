//! The parts phase: workers stream parts in parallel while the coordinator (this thread)
//! records each one in the checkpoint and runs the callbacks.

use super::checkpoint_saves::SavePolicy;
use super::file_request::AUTO_TASK_NUM;
use super::Session;
use crate::cancel::CancelKind;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::{PartInfo, UploadEventKind};
use crate::parts::auto_tasks::{Decision, TaskTuner, MAX_AUTO_TASKS};
use crate::parts::messages::WorkerMsg;
use crate::parts::workers::{self, stop_workers, PartJob, WorkerContext};
use crate::wire::file_range::FileRange;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What automatic concurrency hears of a message from the workers.
enum Heard {
    Nothing,
    /// Bytes newly handed to the connections.
    Sent(u64),
    Confirmed {
        part_index: usize,
        started: Instant,
    },
}

enum Stop {
    Fatal(UploadError),
    Checkpoint(UploadError),
}

/// Starts workers until `target` run (none when more already run: those retire by themselves).
fn spawn_up_to(target: usize, context: &Arc<WorkerContext>, workers: &mut JoinSet<()>) {
    while context.running.load(Ordering::SeqCst) < target {
        context.running.fetch_add(1, Ordering::SeqCst);
        workers.spawn(workers::run_worker(Arc::clone(context)));
    }
}

impl Session {
    pub(super) async fn upload_parts(&mut self) -> Result<()> {
        let parts = &self.checkpoint.parts;
        let already_done: u64 = parts
            .iter()
            .filter(|p| p.is_completed)
            .map(|p| p.part_size)
            .sum();
        let jobs: VecDeque<PartJob> = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.is_completed)
            .map(|(part_index, p)| PartJob {
                part_index,
                part_number: p.part_number,
                range: FileRange {
                    source: Arc::clone(&self.file).into(),
                    offset: p.offset,
                    size: p.part_size,
                },
            })
            .collect();
        self.reporter.started(parts.len(), already_done);
        self.saves = SavePolicy::new(parts.len(), Instant::now());
        if jobs.is_empty() {
            return Ok(());
        }
        let (limiter, mut acquire_requests) = self.reporter.limiter();
        let (to_coordinator, mut inbox) = mpsc::unbounded_channel();
        let mut outstanding = jobs.len();
        let connection_cap = match self.limits.connection_cap {
            0 => MAX_AUTO_TASKS,
            cap => cap.min(MAX_AUTO_TASKS),
        };
        let mut tuner = (self.task_num == AUTO_TASK_NUM)
            .then(|| TaskTuner::new(connection_cap.min(jobs.len()), Instant::now()));
        let worker_count = match &tuner {
            Some(tuner) => tuner.tasks(),
            None => (self.task_num as usize).min(jobs.len()),
        };
        let context = Arc::new(WorkerContext {
            wire: Arc::clone(&self.wire),
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: self.checkpoint.upload_id.clone(),
            attributes: Arc::clone(&self.attributes),
            limiter,
            to_coordinator,
            queue: Mutex::new(jobs),
            connections: self.limits.connections.clone(),
            target: AtomicUsize::new(worker_count),
            running: AtomicUsize::new(0),
        });
        let mut workers = JoinSet::new();
        spawn_up_to(worker_count, &context, &mut workers);
        if tuner.is_some() {
            self.reporter.tasks_changed(worker_count);
        }
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        let mut first_failure: Option<UploadError> = None;
        while outstanding > 0 {
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    stop_workers(&mut workers).await;
                    let kind = self.cancel.requested().unwrap_or(CancelKind::Pause);
                    return Err(self.stop(kind).await);
                }
                Some(message) = inbox.recv() => {
                    let confirmed = match &message {
                        WorkerMsg::Done { part_index, started, .. } => Some((*part_index, *started)),
                        _ => None,
                    };
                    let had_failed = first_failure.is_some();
                    let handled = self.handle(message, &mut outstanding, &mut first_failure);
                    if !had_failed && first_failure.is_some() {
                        // A part failed for good: the server or the network is likely down for
                        // all of them, so no part waiting in the queue is started (each would
                        // spend a whole retry budget); the parts in flight finish or fail, and
                        // the checkpoint keeps what is done for the next call. The time to give
                        // up no longer grows with the number of parts.
                        outstanding -= drain_queue(&context);
                    }
                    match handled {
                        Ok(newly_sent) => {
                            if let Some(tuner) = tuner.as_mut() {
                                let heard = match confirmed {
                                    Some((part_index, started)) => Heard::Confirmed { part_index, started },
                                    None if newly_sent > 0 => Heard::Sent(newly_sent),
                                    None => Heard::Nothing,
                                };
                                self.tune(tuner, heard, &context, &mut workers);
                            }
                        }
                        Err(Stop::Fatal(error)) => {
                            stop_workers(&mut workers).await;
                            return Err(self.abort_after_fatal(error).await);
                        }
                        Err(Stop::Checkpoint(error)) => {
                            stop_workers(&mut workers).await;
                            return Err(error);
                        }
                    }
                }
                Some(ask) = acquire_requests.recv() => {
                    let _ = ask.reply.send(self.reporter.acquire(ask.want));
                }
                Some(joined) = workers.join_next() => {
                    if let Err(panic) = joined {
                        stop_workers(&mut workers).await;
                        return Err(UploadError::new(ErrorKind::Panic, "a part worker panicked").with_cause(panic));
                    }
                }
                _ = ticker.tick() => self.reporter.tick(),
            }
        }
        stop_workers(&mut workers).await;
        self.reporter.flush();
        if self.saves.unsaved() {
            self.save_checkpoint()?;
        }
        match first_failure {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn tune(
        &mut self,
        tuner: &mut TaskTuner,
        heard: Heard,
        context: &Arc<WorkerContext>,
        workers: &mut JoinSet<()>,
    ) {
        let parts_left = context
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len();
        let before = tuner.tasks();
        let decision = match heard {
            Heard::Nothing => return,
            Heard::Sent(bytes) => tuner.sent(bytes, Instant::now(), parts_left),
            Heard::Confirmed {
                part_index,
                started,
            } => {
                let size = self.checkpoint.parts[part_index].part_size;
                tuner.part_done(size, started, Instant::now(), parts_left)
            }
        };
        let (tasks, rate, settled) = match decision {
            Decision::Keep => return,
            Decision::Change { tasks, rate } => (tasks, rate, false),
            Decision::Settled { tasks, rate } => (tasks, rate, true),
        };
        log::debug!(
            "{}/{}: automatic concurrency: {before} tasks sent {:.1} MB/s; {} {tasks} tasks",
            self.request.bucket,
            self.request.key,
            rate / 1e6,
            if settled { "settled at" } else { "trying" }
        );
        context.target.store(tasks, Ordering::SeqCst);
        spawn_up_to(tasks, context, workers);
        if tasks != before {
            self.reporter.tasks_changed(tasks);
        }
    }

    fn handle(
        &mut self,
        message: WorkerMsg,
        outstanding: &mut usize,
        first_failure: &mut Option<UploadError>,
    ) -> std::result::Result<u64, Stop> {
        match message {
            WorkerMsg::Sent {
                part_index,
                bytes_in_part,
            } => return Ok(self.reporter.sent(part_index, bytes_in_part)),
            WorkerMsg::Retry { part_index, error } => {
                let info = self.part_info(part_index);
                log::info!(
                    "{}/{}: part {} will be retried: {error}",
                    self.request.bucket,
                    self.request.key,
                    info.part_number
                );
                self.reporter
                    .event(UploadEventKind::UploadPartRetry, Some(info), Some(error));
            }
            WorkerMsg::Done {
                part_index,
                part: sent,
                ..
            } => {
                *outstanding -= 1;
                let crc64 = sent.receipt.crc64.unwrap_or(sent.crc64);
                let part = &mut self.checkpoint.parts[part_index];
                part.etag = sent.receipt.etag;
                part.crc64 = crc64;
                part.crc64_nvme = sent.crc64_nvme;
                part.is_completed = true;
                let size = part.part_size;
                self.bytes_sent += size;
                if self.saves.part_done(Instant::now()) {
                    self.save_checkpoint().map_err(Stop::Checkpoint)?;
                }
                self.reporter.part_done(part_index, size);
                let info = self.part_info(part_index);
                self.reporter
                    .event(UploadEventKind::UploadPartSucceeded, Some(info), None);
            }
            WorkerMsg::Failed {
                part_index,
                error,
                fatal,
            } => {
                *outstanding -= 1;
                let info = self.part_info(part_index);
                if fatal {
                    self.reporter.event(
                        UploadEventKind::UploadPartAborted,
                        Some(info),
                        Some(error.clone()),
                    );
                    return Err(Stop::Fatal(error));
                }
                self.reporter.event(
                    UploadEventKind::UploadPartFailed,
                    Some(info),
                    Some(error.clone()),
                );
                if error.kind == ErrorKind::FileChanged {
                    return Err(Stop::Fatal(error));
                }
                first_failure.get_or_insert(error);
            }
        }
        Ok(0)
    }

    fn part_info(&self, part_index: usize) -> PartInfo {
        let part = &self.checkpoint.parts[part_index];
        PartInfo {
            part_number: part.part_number,
            size: part.part_size,
            offset: part.offset,
            etag: (!part.etag.is_empty()).then(|| part.etag.clone()),
            crc64: part.is_completed.then_some(part.crc64),
        }
    }
}

/// Empties the queue of parts not yet started; returns how many there were.
fn drain_queue(context: &WorkerContext) -> usize {
    let mut queue = context.queue.lock().unwrap_or_else(|e| e.into_inner());
    let left = queue.len();
    queue.clear();
    left
}
