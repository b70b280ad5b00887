//! The multipart side of a stream upload: the coordinator (the caller's thread) reads the
//! next part whenever fewer than `task_num` are in flight, hands it to a part worker (the
//! shared ones of `crate::parts`, sending from memory), and runs every callback; then completes the upload
//! and checks the whole stream's CRC-64 against the server's.

use super::{cancelled, StreamSession};
use crate::cancel::CancelKind;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::{PartInfo, UploadEventKind};
use crate::parts::messages::WorkerMsg;
use crate::parts::workers::stop_workers;
use crate::parts::workers::{run_worker, PartJob, WorkerContext};
use crate::upload::file_request::{UploadFileOutput, MAX_PARTS};
use crate::wire::file_range::{AcquireRequest, FileRange, RangeSource};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{self, UnboundedReceiver};
use tokio::task::JoinSet;

/// What the coordinator knows of one part.
pub(super) struct Part {
    offset: u64,
    pub(super) size: u64,
    /// Set once the server confirmed the part: its ETag and CRC-64.
    pub(super) done: Option<(String, u64)>,
    /// The part's CRC-64/NVME the store verified, on S3 under the modes that send one.
    pub(super) crc64_nvme: Option<u64>,
}

/// The coordinator's side of the workers' channels.
struct Inboxes {
    messages: UnboundedReceiver<WorkerMsg>,
    acquire: UnboundedReceiver<AcquireRequest>,
}

impl StreamSession<'_> {
    pub(super) async fn multipart(&mut self, first: Bytes) -> Result<UploadFileOutput> {
        let created = self
            .wire
            .create_when_signable(self.object(), &self.attributes, &self.cancel)
            .await
            .map_err(|kind| cancelled(kind.unwrap_or(CancelKind::Abort)))?;
        let (upload_id, declared_nvme) = match created {
            Ok(created) => (created.upload_id, created.crc64_nvme),
            Err(error) => {
                let kind = UploadEventKind::CreateMultipartUploadFailed;
                self.reporter.event(kind, None, Some(error.clone()));
                return Err(error);
            }
        };
        self.reporter.upload_id = Some(upload_id.clone());
        self.reporter
            .event(UploadEventKind::CreateMultipartUploadSucceeded, None, None);
        let mut parts = Vec::new();
        let mut workers = JoinSet::new();
        let result = self
            .send_parts(&upload_id, first, &mut parts, &mut workers)
            .await;
        stop_workers(&mut workers).await;
        self.reporter.flush();
        let completed = match result {
            Ok(()) => self.complete(&upload_id, &parts, declared_nvme).await,
            Err(error) => Err(error),
        };
        if let Err(error) = &completed {
            // Nothing of a stream can be resumed: leave no upload behind.
            let _ = self
                .wire
                .abort_multipart_upload(self.object(), &upload_id)
                .await;
            if error.kind == ErrorKind::Aborted {
                let kind = UploadEventKind::UploadPartAborted;
                self.reporter.event(kind, None, Some(error.clone()));
            }
        }
        completed
    }

    async fn send_parts(
        &mut self,
        upload_id: &str,
        first: Bytes,
        parts: &mut Vec<Part>,
        workers: &mut JoinSet<()>,
    ) -> Result<()> {
        let (limiter, acquire) = self.reporter.limiter();
        let (to_coordinator, messages) = mpsc::unbounded_channel();
        let mut inboxes = Inboxes { messages, acquire };
        let context = Arc::new(WorkerContext {
            wire: Arc::clone(&self.wire),
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: upload_id.to_string(),
            attributes: Arc::clone(&self.attributes),
            limiter,
            to_coordinator,
            queue: Mutex::new(VecDeque::new()),
            connections: None,
            // No automatic concurrency for a stream (each task holds a part in memory): no
            // worker is ever asked to retire.
            target: AtomicUsize::new(usize::MAX),
            running: AtomicUsize::new(0),
        });
        // A part read ahead, waiting for a free request: with `task_num` parts in flight it
        // is the "+ 1" of the memory bound, and it keeps the stream and the network both busy.
        let mut next = Some(first);
        let mut in_flight = 0usize;
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        loop {
            if in_flight < self.task_num as usize {
                if let Some(bytes) = next.take() {
                    self.queue_part(&context, parts, bytes, workers)?;
                    in_flight += 1;
                    continue;
                }
            }
            if next.is_none() && !self.ended {
                let bytes = self.read_serving(parts, &mut inboxes, &mut in_flight)?;
                // An empty read after a full part is the stream's end, not a part.
                next = (!bytes.is_empty()).then_some(bytes);
                continue;
            }
            if in_flight == 0 && next.is_none() {
                return Ok(());
            }
            tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    let kind = self.cancel.requested().unwrap_or(CancelKind::Abort);
                    return Err(cancelled(kind));
                }
                Some(message) = inboxes.messages.recv() => {
                    self.handle(message, parts, &mut in_flight)?;
                }
                Some(ask) = inboxes.acquire.recv() => {
                    let _ = ask.reply.send(self.reporter.acquire(ask.want));
                }
                Some(Err(panic)) = workers.join_next() => {
                    return Err(UploadError::new(ErrorKind::Panic, "a part worker panicked").with_cause(panic));
                }
                _ = ticker.tick() => self.reporter.tick(),
            }
        }
    }

    /// Reads the next part, answering the workers between reads (a part that finishes
    /// meanwhile frees its buffer at once). A worker's failure stops the reading.
    fn read_serving(
        &mut self,
        parts: &mut [Part],
        inboxes: &mut Inboxes,
        in_flight: &mut usize,
    ) -> Result<Bytes> {
        self.read_part(|session| {
            while let Ok(ask) = inboxes.acquire.try_recv() {
                let _ = ask.reply.send(session.reporter.acquire(ask.want));
            }
            while let Ok(message) = inboxes.messages.try_recv() {
                session.handle(message, parts, in_flight)?;
            }
            session.reporter.tick();
            Ok(())
        })
    }

    fn queue_part(
        &mut self,
        context: &Arc<WorkerContext>,
        parts: &mut Vec<Part>,
        bytes: Bytes,
        workers: &mut JoinSet<()>,
    ) -> Result<()> {
        room_for_another_part(parts.len(), self.part_size)?;
        let size = bytes.len() as u64;
        let offset = parts.last().map_or(0, |p: &Part| p.offset + p.size);
        let part_index = self.reporter.add_part(size);
        parts.push(Part {
            offset,
            size,
            done: None,
            crc64_nvme: None,
        });
        let job = PartJob {
            part_index,
            part_number: (part_index + 1) as u32,
            range: FileRange {
                source: RangeSource::Memory(bytes),
                offset: 0,
                size,
            },
        };
        context
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        // One worker per queued part: each takes whichever part is next, and the coordinator
        // never queues more than `task_num`, so that is the number of requests in flight.
        context.running.fetch_add(1, Ordering::SeqCst);
        workers.spawn(run_worker(Arc::clone(context)));
        Ok(())
    }

    fn handle(
        &mut self,
        message: WorkerMsg,
        parts: &mut [Part],
        in_flight: &mut usize,
    ) -> Result<()> {
        match message {
            WorkerMsg::Sent {
                part_index,
                bytes_in_part,
            } => {
                self.reporter.sent(part_index, bytes_in_part);
            }
            WorkerMsg::Retry { part_index, error } => {
                let info = part_info(parts, part_index);
                self.reporter
                    .event(UploadEventKind::UploadPartRetry, Some(info), Some(error));
            }
            WorkerMsg::Done {
                part_index, part, ..
            } => {
                *in_flight -= 1;
                let crc64 = part.receipt.crc64.unwrap_or(part.crc64);
                parts[part_index].done = Some((part.receipt.etag, crc64));
                parts[part_index].crc64_nvme = part.crc64_nvme;
                self.reporter.part_done(part_index, parts[part_index].size);
                let info = part_info(parts, part_index);
                self.reporter
                    .event(UploadEventKind::UploadPartSucceeded, Some(info), None);
            }
            WorkerMsg::Failed {
                part_index, error, ..
            } => {
                *in_flight -= 1;
                let info = part_info(parts, part_index);
                self.reporter.event(
                    UploadEventKind::UploadPartFailed,
                    Some(info),
                    Some(error.clone()),
                );
                return Err(error);
            }
        }
        Ok(())
    }
}
/// A stream's size is unknown, so its part size cannot be raised up front as a file's is:
/// the 10,001st part is refused, naming the fix.
fn room_for_another_part(parts_so_far: usize, part_size: u64) -> Result<()> {
    if (parts_so_far as u64) < MAX_PARTS {
        return Ok(());
    }
    Err(UploadError::new(
        ErrorKind::TooManyParts,
        format!(
            "the stream is longer than 10,000 parts of {part_size} bytes; the upload was \
             aborted: use a larger part size (at most 5 GiB per part)"
        ),
    ))
}

fn part_info(parts: &[Part], part_index: usize) -> PartInfo {
    let part = &parts[part_index];
    PartInfo {
        part_number: (part_index + 1) as u32,
        size: part.size,
        offset: part.offset,
        etag: part.done.as_ref().map(|d| d.0.clone()),
        crc64: part.done.as_ref().map(|d| d.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ten_thousand_and_first_part_is_refused_naming_the_fix() {
        assert!(room_for_another_part(9_999, 5 << 20).is_ok());
        let error = room_for_another_part(10_000, 5 << 20).unwrap_err();
        assert_eq!(error.kind, ErrorKind::TooManyParts);
        assert!(error.message.contains("larger part size"), "{error}");
        assert!(error.message.contains("5242880"), "{error}");
    }
}
