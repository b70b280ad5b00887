//! The resumable upload of one file, after the Go SDK's `UploadFile`: validate, resume from
//! the checkpoint (reconciled with the server) or create a new upload, stream the parts in
//! parallel, complete, and verify the whole object's CRC-64.

mod messages;
mod part_body;
mod plan;
mod reporter;
mod validate;
mod workers;

use crate::engine::cancel::{CancelHook, CancelKind};
use crate::engine::checkpoint::{self, Checkpoint, FileInfo, Loaded};
use crate::engine::crc64;
use crate::engine::error::{ErrorKind, Result, UploadError};
use crate::engine::events::{Observers, PartInfo, UploadEventKind};
use crate::engine::protocol::CompletedPart;
use crate::engine::request::{CreateAttributes, UploadFileOutput, UploadFileRequest};
use crate::engine::transport::Transport;
use messages::{Limiter, WorkerMsg};
use reporter::Reporter;
use std::collections::VecDeque;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use workers::{PartJob, WorkerContext};

pub async fn run(
    transport: Arc<Transport>,
    enable_crc: bool,
    request: UploadFileRequest,
    observers: Observers,
) -> Result<UploadFileOutput> {
    let source = validate::check(transport.protocol.as_ref(), &request)?;
    let mut reporter = Reporter::new(
        observers,
        &request.bucket,
        &request.key,
        source.identity.size,
    );
    reporter.checkpoint_file = source.checkpoint_path.clone();
    let mut session = Session {
        transport,
        enable_crc,
        attributes: Arc::new(request.attributes.clone()),
        cancel: request.cancel.clone().unwrap_or_default(),
        file: Arc::new(source.file),
        identity: source.identity,
        part_size: source.part_size,
        task_num: source.task_num,
        checkpoint_path: source.checkpoint_path,
        checkpoint: Checkpoint::default(),
        reporter,
        bytes_sent: 0,
        request,
    };
    let result = session.run().await;
    if let Err(error) = &result {
        if error.kind != ErrorKind::Paused {
            session.reporter.failed();
        }
    }
    result
}

struct Session {
    transport: Arc<Transport>,
    enable_crc: bool,
    request: UploadFileRequest,
    attributes: Arc<CreateAttributes>,
    cancel: CancelHook,
    file: Arc<File>,
    identity: FileInfo,
    part_size: u64,
    task_num: u32,
    checkpoint_path: Option<PathBuf>,
    checkpoint: Checkpoint,
    reporter: Reporter,
    bytes_sent: u64,
}

impl Session {
    async fn run(&mut self) -> Result<UploadFileOutput> {
        if let Some(kind) = self.cancel.requested() {
            return Err(stopped_before_start(kind));
        }
        if !self.resume().await? {
            self.create().await?;
        }
        if let Some(kind) = self.cancel.requested() {
            return Err(self.stop(kind).await);
        }
        self.upload_parts().await?;
        if let Some(kind) = self.cancel.requested() {
            return Err(self.stop(kind).await);
        }
        self.complete().await
    }

    fn save_checkpoint(&self) -> Result<()> {
        match &self.checkpoint_path {
            Some(path) => checkpoint::save(path, &self.checkpoint),
            None => Ok(()),
        }
    }

    fn remove_checkpoint(&self) {
        if let Some(path) = &self.checkpoint_path {
            checkpoint::remove(path);
        }
    }

    fn file_path_text(&self) -> String {
        self.request.file_path.to_string_lossy().into_owned()
    }

    /// Tries to continue the upload recorded in the checkpoint. Returns false when a fresh
    /// upload must be created; a checkpoint found unusable is reported and removed.
    async fn resume(&mut self) -> Result<bool> {
        let Some(path) = self.checkpoint_path.clone() else {
            return Ok(false);
        };
        let saved = match checkpoint::load(&path) {
            Loaded::Missing => return Ok(false),
            Loaded::Corrupt(why) => {
                self.discard_checkpoint(UploadError::new(ErrorKind::CheckpointIo, why));
                return Ok(false);
            }
            Loaded::Found(saved) => saved,
        };
        let ours = saved.bucket == self.request.bucket && saved.key == self.request.key;
        let why = if !ours {
            Some((
                ErrorKind::CheckpointIo,
                "it records another bucket or key".to_string(),
            ))
        } else if saved.upload_id.is_empty() {
            Some((ErrorKind::CheckpointIo, "it holds no upload id".to_string()))
        } else if saved.file_path != self.file_path_text() {
            Some((
                ErrorKind::CheckpointIo,
                format!("it records another file path {:?}", saved.file_path),
            ))
        } else if !saved.file_info.matches(&self.identity) {
            Some((
                ErrorKind::FileChanged,
                "the local file changed since the checkpoint was written".to_string(),
            ))
        } else if !plan::tiles_file(&saved.parts, self.identity.size) {
            Some((
                ErrorKind::CheckpointIo,
                "its parts do not match the file's size".to_string(),
            ))
        } else {
            None
        };
        if let Some((kind, why)) = why {
            if ours && !saved.upload_id.is_empty() {
                // The old upload can never complete: free its parts on the server.
                self.abort_upload(&saved.upload_id).await;
            }
            self.discard_checkpoint(UploadError::new(
                kind,
                format!("checkpoint {} discarded: {why}", path.display()),
            ));
            return Ok(false);
        }
        self.checkpoint = *saved;
        self.reporter.upload_id = Some(self.checkpoint.upload_id.clone());
        match self.reconcile_with_server().await {
            Ok(()) => {}
            Err(error) if error.http_status() == Some(404) => {
                self.reporter.upload_id = None;
                self.discard_checkpoint(UploadError::new(
                    ErrorKind::Server,
                    format!(
                        "checkpoint {} discarded: the server no longer has upload {}",
                        path.display(),
                        self.checkpoint.upload_id
                    ),
                ));
                self.checkpoint = Checkpoint::default();
                return Ok(false);
            }
            Err(error) => return Err(error),
        }
        self.part_size = self.checkpoint.part_size;
        self.save_checkpoint()?;
        self.reporter
            .event(UploadEventKind::UploadResumed, None, None);
        Ok(true)
    }

    fn discard_checkpoint(&mut self, reason: UploadError) {
        self.remove_checkpoint();
        self.reporter
            .event(UploadEventKind::CheckpointDiscarded, None, Some(reason));
    }

    /// Keeps as done only the parts the server holds with the same size and ETag.
    async fn reconcile_with_server(&mut self) -> Result<()> {
        let protocol = Arc::clone(&self.transport.protocol);
        let mut on_server = std::collections::HashMap::new();
        let mut marker = 0;
        loop {
            let op = protocol.list_parts(
                &self.request.bucket,
                &self.request.key,
                &self.checkpoint.upload_id,
                marker,
            );
            let response = tokio::select! {
                response = self.transport.execute(&op) => response?,
                _ = self.cancel.cancelled() => {
                    let kind = self.cancel.requested().unwrap_or(CancelKind::Pause);
                    return Err(self.stop(kind).await);
                }
            };
            let page = protocol.parse_list_parts(&response)?;
            for part in page.parts {
                on_server.insert(part.part_number, part);
            }
            match page.next_marker {
                Some(next) if next > marker => marker = next,
                _ => break,
            }
        }
        for part in &mut self.checkpoint.parts {
            let confirmed = on_server.get(&part.part_number).is_some_and(|listed| {
                listed.size == part.part_size && unquote(&listed.etag) == unquote(&part.etag)
            });
            if part.is_completed && !confirmed {
                part.is_completed = false;
                part.etag.clear();
                part.crc64 = 0;
            }
        }
        Ok(())
    }

    async fn create(&mut self) -> Result<()> {
        let (part_size, raised) = plan::fit_part_size(self.identity.size, self.part_size)?;
        if raised {
            self.reporter.event(
                UploadEventKind::PartSizeAdjusted,
                Some(PartInfo {
                    size: part_size,
                    ..PartInfo::default()
                }),
                None,
            );
        }
        self.part_size = part_size;
        let protocol = Arc::clone(&self.transport.protocol);
        let op = protocol.create_multipart_upload(
            &self.request.bucket,
            &self.request.key,
            &self.attributes,
        );
        let upload_id = match self.transport.execute(&op).await {
            Ok(response) => protocol.parse_create_multipart_upload(&response),
            Err(error) => Err(error),
        };
        let upload_id = match upload_id {
            Ok(id) => id,
            Err(error) => {
                self.reporter.event(
                    UploadEventKind::CreateMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        self.checkpoint = Checkpoint {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: upload_id.clone(),
            part_size,
            ssec_algorithm: self.attributes.ssec_algorithm.clone().unwrap_or_default(),
            ssec_key_md5: self.attributes.ssec_key_md5.clone().unwrap_or_default(),
            encoding_type: self.attributes.content_encoding.clone().unwrap_or_default(),
            file_path: self.file_path_text(),
            file_info: self.identity,
            parts: plan::layout(self.identity.size, part_size),
        };
        // Saved before any part, so a crash from here on never leaks the upload.
        if let Err(error) = self.save_checkpoint() {
            self.abort_upload(&upload_id).await;
            return Err(error);
        }
        self.reporter.upload_id = Some(upload_id);
        self.reporter
            .event(UploadEventKind::CreateMultipartUploadSucceed, None, None);
        Ok(())
    }

    async fn upload_parts(&mut self) -> Result<()> {
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
                offset: p.offset,
                size: p.part_size,
            })
            .collect();
        self.reporter.started(parts.len(), already_done);
        for (index, part) in self.checkpoint.parts.iter().enumerate() {
            if part.is_completed {
                self.reporter.part_done(index, 0);
            }
        }
        if jobs.is_empty() {
            return Ok(());
        }
        let limiter = match self.reporter.take_shared_limiter() {
            _ if self.reporter.has_acquire_callback() => Limiter::Callback,
            Some(shared) => Limiter::Shared(shared),
            None => Limiter::None,
        };
        let chunk = if matches!(limiter, Limiter::Callback) {
            part_body::LIMITED_CHUNK
        } else {
            part_body::CHUNK
        };
        let (to_coordinator, mut inbox) = mpsc::unbounded_channel();
        let mut outstanding = jobs.len();
        let worker_count = (self.task_num as usize).min(jobs.len());
        let context = Arc::new(WorkerContext {
            transport: Arc::clone(&self.transport),
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: self.checkpoint.upload_id.clone(),
            attributes: Arc::clone(&self.attributes),
            file: Arc::clone(&self.file),
            limiter,
            chunk,
            enable_crc: self.enable_crc,
            to_coordinator,
            queue: Mutex::new(jobs),
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
                Some(joined) = workers.join_next() => {
                    if let Err(panic) = joined {
                        stop_workers(&mut workers).await;
                        return Err(UploadError::new(ErrorKind::Internal, "a part worker failed").with_cause(panic));
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
            WorkerMsg::Acquire { want, reply } => {
                let _ = reply.send(self.reporter.acquire(want));
            }
            WorkerMsg::Retry { part_index, error } => {
                let info = self.part_info(part_index);
                self.reporter
                    .event(UploadEventKind::UploadPartRetry, Some(info), Some(error));
            }
            WorkerMsg::Done {
                part_index,
                receipt,
                crc64,
            } => {
                *outstanding -= 1;
                let part = &mut self.checkpoint.parts[part_index];
                part.etag = receipt.etag;
                part.crc64 = receipt.crc64.unwrap_or(crc64);
                part.is_completed = true;
                let size = part.part_size;
                self.bytes_sent += size;
                self.save_checkpoint().map_err(Stop::Checkpoint)?;
                self.reporter.part_done(part_index, size);
                let info = self.part_info(part_index);
                self.reporter
                    .event(UploadEventKind::UploadPartSucceed, Some(info), None);
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

    /// A part failure that the upload cannot survive (403/404/405, or the file changed):
    /// abort it on the server and drop the checkpoint, as the Go SDK does.
    async fn abort_after_fatal(&mut self, error: UploadError) -> UploadError {
        let upload_id = self.checkpoint.upload_id.clone();
        self.abort_upload(&upload_id).await;
        self.remove_checkpoint();
        error
    }

    /// Acts on a pause or abort request: parts have stopped by now.
    async fn stop(&mut self, kind: CancelKind) -> UploadError {
        self.reporter.flush();
        match kind {
            CancelKind::Pause => {
                let where_ = self
                    .checkpoint_path
                    .as_ref()
                    .map(|p| format!("; checkpoint {} resumes it", p.display()))
                    .unwrap_or_else(|| "; checkpointing was off, so it cannot be resumed".into());
                UploadError::new(
                    ErrorKind::Paused,
                    format!(
                        "upload paused (upload id {}){where_}",
                        self.checkpoint.upload_id
                    ),
                )
            }
            CancelKind::Abort => {
                let upload_id = self.checkpoint.upload_id.clone();
                if !upload_id.is_empty() {
                    self.abort_upload(&upload_id).await;
                }
                self.remove_checkpoint();
                let error =
                    UploadError::new(ErrorKind::Aborted, "upload aborted by the cancel hook");
                self.reporter.event(
                    UploadEventKind::UploadPartAborted,
                    None,
                    Some(error.clone()),
                );
                error
            }
        }
    }

    /// Best effort: a failure leaves the upload for the bucket's lifecycle rules.
    async fn abort_upload(&self, upload_id: &str) {
        let op = self.transport.protocol.abort_multipart_upload(
            &self.request.bucket,
            &self.request.key,
            upload_id,
        );
        let _ = self.transport.execute(&op).await;
    }

    async fn complete(&mut self) -> Result<UploadFileOutput> {
        let now = std::fs::metadata(&self.request.file_path)
            .map(|m| FileInfo::of(&m))
            .ok();
        if now.is_none_or(|now| now != self.identity) {
            let error = UploadError::new(
                ErrorKind::FileChanged,
                format!(
                    "{} changed during the upload; the upload was aborted rather than completed with mixed content",
                    self.request.file_path.display()
                ),
            );
            return Err(self.abort_after_fatal(error).await);
        }
        let parts: Vec<CompletedPart> = self
            .checkpoint
            .parts
            .iter()
            .map(|p| CompletedPart {
                part_number: p.part_number,
                etag: p.etag.clone(),
            })
            .collect();
        let protocol = Arc::clone(&self.transport.protocol);
        let op = protocol.complete_multipart_upload(
            &self.request.bucket,
            &self.request.key,
            &self.checkpoint.upload_id,
            &parts,
        );
        let receipt = match self.transport.execute(&op).await {
            Ok(response) => protocol.parse_complete_multipart_upload(&response),
            Err(error) => Err(error),
        };
        let receipt = match receipt {
            Ok(receipt) => receipt,
            Err(error) => {
                if matches!(error.http_status(), Some(404 | 203)) {
                    self.remove_checkpoint();
                }
                self.reporter.event(
                    UploadEventKind::CompleteMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        let local_crc = self.whole_crc()?;
        if self.enable_crc {
            if let Some(server_crc) = receipt.crc64.filter(|crc| *crc != local_crc) {
                // The object exists but is not what we sent; keep the checkpoint as evidence.
                let error = UploadError::new(
                    ErrorKind::CrcMismatch,
                    format!(
                        "CRC-64 of the whole object mismatch: expected {local_crc}, the server has {server_crc}"
                    ),
                );
                self.reporter.event(
                    UploadEventKind::CompleteMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        }
        self.remove_checkpoint();
        self.reporter
            .event(UploadEventKind::CompleteMultipartUploadSucceed, None, None);
        self.reporter.succeed();
        Ok(UploadFileOutput {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: self.checkpoint.upload_id.clone(),
            etag: receipt.etag,
            location: receipt.location,
            version_id: receipt.version_id,
            crc64: receipt.crc64.unwrap_or(local_crc),
            request_id: receipt.request_id,
            part_size: self.part_size,
            bytes_sent: self.bytes_sent,
        })
    }

    /// CRC of the whole file from the parts' CRCs; a part without one (from a Go checkpoint
    /// written without CRC) is read back from the file.
    fn whole_crc(&self) -> Result<u64> {
        use std::os::unix::fs::FileExt;
        let mut whole = 0;
        for part in &self.checkpoint.parts {
            let crc = if part.crc64 == 0 && part.part_size > 0 {
                let mut buf = vec![0u8; part.part_size as usize];
                self.file
                    .read_exact_at(&mut buf, part.offset)
                    .map_err(|e| {
                        UploadError::new(ErrorKind::FileUnreadable, "cannot re-read a part")
                            .with_cause(e)
                    })?;
                crc64::checksum(&buf)
            } else {
                part.crc64
            };
            whole = crc64::combine(whole, crc, part.part_size);
        }
        Ok(whole)
    }
}

enum Stop {
    Fatal(UploadError),
    Checkpoint(UploadError),
}

/// Cancels in-flight part requests (dropping their connections) and waits until every
/// worker is gone, so no callback can follow.
async fn stop_workers(workers: &mut JoinSet<()>) {
    workers.abort_all();
    while workers.join_next().await.is_some() {}
}

fn stopped_before_start(kind: CancelKind) -> UploadError {
    match kind {
        CancelKind::Pause => UploadError::new(
            ErrorKind::Paused,
            "the cancel hook was already triggered (pause); nothing was sent",
        ),
        CancelKind::Abort => UploadError::new(
            ErrorKind::Aborted,
            "the cancel hook was already triggered (abort); nothing was sent",
        ),
    }
}

fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}
