//! The parts phase: workers stream parts in parallel while the coordinator (this thread)
//! records each one in the checkpoint and runs the callbacks.

use super::messages::WorkerMsg;
use super::workers::{self, PartJob, WorkerContext};
use super::Session;
use crate::cancel::CancelKind;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::{PartInfo, UploadEventKind};
use crate::log::{log, Level};
use crate::wire::file_range::FileRange;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

enum Stop {
    Fatal(UploadError),
    Checkpoint(UploadError),
}

/// Cancels in-flight part requests (dropping their connections) and waits until every
/// worker is gone, so no callback can follow.
pub(crate) async fn stop_workers(workers: &mut JoinSet<()>) {
    workers.abort_all();
    while workers.join_next().await.is_some() {}
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
        if jobs.is_empty() {
            return Ok(());
        }
        let (limiter, mut acquire_requests) = self.reporter.limiter();
        let (to_coordinator, mut inbox) = mpsc::unbounded_channel();
        let mut outstanding = jobs.len();
        let worker_count = (self.task_num as usize).min(jobs.len());
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
        });
        let mut workers = JoinSet::new();
        for _ in 0..worker_count {
            workers.spawn(workers::run_worker(Arc::clone(&context)));
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
                    match self.handle(message, &mut outstanding, &mut first_failure) {
                        Ok(()) => {}
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
        match first_failure {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn handle(
        &mut self,
        message: WorkerMsg,
        outstanding: &mut usize,
        first_failure: &mut Option<UploadError>,
    ) -> std::result::Result<(), Stop> {
        match message {
            WorkerMsg::Sent {
                part_index,
                bytes_in_part,
            } => self.reporter.sent(part_index, bytes_in_part),
            WorkerMsg::Retry { part_index, error } => {
                let info = self.part_info(part_index);
                log!(
                    Level::Info,
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
            } => {
                *outstanding -= 1;
                let crc64 = sent.receipt.crc64.unwrap_or(sent.crc64);
                let part = &mut self.checkpoint.parts[part_index];
                part.etag = sent.receipt.etag;
                part.crc64 = crc64;
                part.is_completed = true;
                let size = part.part_size;
                self.bytes_sent += size;
                self.save_checkpoint().map_err(Stop::Checkpoint)?;
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
        Ok(())
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
