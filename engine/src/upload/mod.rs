//! The resumable upload of one file, after the Go SDK's `UploadFile`: validate, resume from
//! the checkpoint (reconciled with the server) or create a new upload, stream the parts in
//! parallel, complete, and verify the whole object's CRC-64.

pub mod checkpoint;
mod checkpoint_rules;
mod checkpoint_saves;
pub(crate) mod complete;
pub mod file_request;
pub(crate) mod part_layout;
mod resume;
mod send_parts;
mod small_file;
pub(crate) mod validate;

use crate::attributes::CreateAttributes;
use crate::cancel::{stopped_before_start, CancelHook, CancelKind};
use crate::checkpoint_lock::CheckpointLock;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::{Observers, PartInfo, UploadEventKind};
use crate::file_system::off_caller;
use crate::parts::upload_reporter::Reporter;
use crate::wire::{Object, Wire};
use checkpoint::{Checkpoint, FileInfo};
use file_request::{UploadFileOutput, UploadFileRequest};
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;

/// Limits shared by several uploads running together (a directory upload).
#[derive(Clone, Default)]
pub(crate) struct SharedLimits {
    /// One permit per request in flight.
    pub connections: Option<Arc<crate::wire::request_cap::RequestCap>>,
    /// How many permits `connections` has: automatic concurrency never runs more parts
    /// than could have a connection. 0 = no cap.
    pub connection_cap: usize,
    /// Leave the checkpoint after success: the folder upload removes it once its journal
    /// records the file, so a kill in between costs a HEAD on the rerun, not the whole file.
    pub leave_checkpoint: bool,
    /// Where the user's limiter callback is asked, when it runs elsewhere than this
    /// upload's coordinator (a folder upload's callbacks run on the caller's thread).
    pub acquire_sink:
        Option<tokio::sync::mpsc::UnboundedSender<crate::wire::file_range::AcquireRequest>>,
}

pub(crate) async fn upload_file(
    wire: Arc<Wire>,
    request: UploadFileRequest,
    observers: Observers,
    limits: SharedLimits,
) -> Result<UploadFileOutput> {
    let source = validate::check(&wire, &request).await?;
    // Before any request: a second run of the same upload fails here (docs/download.md §3.4).
    let lock = match &source.checkpoint_path {
        Some(path) => {
            let (path, cancel) = (path.clone(), request.cancel.clone().unwrap_or_default());
            let acquire = move || CheckpointLock::acquire(&path);
            Some(off_caller(&cancel, "locking the checkpoint", acquire).await?)
        }
        None => None,
    };
    let mut reporter = Reporter::new(
        observers,
        &request.bucket,
        &request.key,
        source.identity.size,
    );
    reporter.checkpoint_file = source.checkpoint_path.clone();
    reporter.acquire_sink = limits.acquire_sink.clone();
    let mut session = Session {
        wire,
        attributes: Arc::new(request.attributes.clone()),
        cancel: request.cancel.clone().unwrap_or_default(),
        file: Arc::new(source.file),
        identity: source.identity,
        part_size: source.part_size,
        task_num: source.task_num,
        checkpoint_path: source.checkpoint_path,
        one_put: source.one_put,
        checkpoint: Checkpoint::default(),
        reporter,
        bytes_sent: 0,
        saves: checkpoint_saves::SavePolicy::new(0, std::time::Instant::now()),
        limits,
        request,
        _lock: lock,
    };
    let plan = if session.one_put {
        "one PutObject unless a checkpoint resumes".to_string()
    } else {
        format!(
            "parts of {} bytes, {} tasks (0 = automatic)",
            session.part_size, session.task_num
        )
    };
    log::info!(
        "upload {} to {}/{}: {} bytes, {plan}",
        session.request.file_path.display(),
        session.request.bucket,
        session.request.key,
        session.identity.size,
    );
    let started = std::time::Instant::now();
    let result = session.run().await;
    match &result {
        Ok(out) => log::info!(
            "upload of {}/{} done in {:.3} s: upload id {}, CRC-64 {}, request id {}",
            out.bucket,
            out.key,
            started.elapsed().as_secs_f64(),
            out.upload_id,
            out.crc64,
            out.request_id
        ),
        Err(error) => {
            log::info!(
                "upload of {}/{} stopped: {error}",
                session.request.bucket,
                session.request.key
            );
            if error.kind != ErrorKind::Paused {
                session.reporter.failed();
            }
        }
    }
    result
}

struct Session {
    wire: Arc<Wire>,
    request: UploadFileRequest,
    attributes: Arc<CreateAttributes>,
    cancel: CancelHook,
    file: Arc<File>,
    identity: FileInfo,
    part_size: u64,
    task_num: u32,
    checkpoint_path: Option<PathBuf>,
    one_put: bool,
    checkpoint: Checkpoint,
    reporter: Reporter,
    bytes_sent: u64,
    limits: SharedLimits,
    saves: checkpoint_saves::SavePolicy,
    /// Released when the session ends, after the checkpoint's last save or removal.
    _lock: Option<CheckpointLock>,
}

impl Session {
    async fn run(&mut self) -> Result<UploadFileOutput> {
        if let Some(kind) = self.cancel.requested() {
            return Err(stopped_before_start(kind));
        }
        // A checkpoint of an earlier multipart attempt of the same unchanged file is resumed
        // even under the threshold: its parts are on the server already. One that no longer
        // applies is discarded (its upload aborted) before the file goes in one PutObject.
        match self.resume().await? {
            resume::Resumed::Fresh if self.one_put => return self.put_whole_file().await,
            resume::Resumed::Fresh => self.create().await?,
            resume::Resumed::Continue => {}
            resume::Resumed::Finished(out) => return Ok(out),
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

    fn save_checkpoint(&mut self) -> Result<()> {
        let saved = match &self.checkpoint_path {
            Some(path) => checkpoint::save(path, &self.checkpoint),
            None => Ok(()),
        };
        if saved.is_ok() {
            self.saves.saved(std::time::Instant::now());
        }
        saved
    }

    fn remove_checkpoint(&self) {
        if let Some(path) = &self.checkpoint_path {
            checkpoint::remove(path);
        }
    }

    fn file_path_text(&self) -> String {
        self.request.file_path.to_string_lossy().into_owned()
    }

    async fn create(&mut self) -> Result<()> {
        let (part_size, raised) = part_layout::fit_part_size(self.identity.size, self.part_size)?;
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
        let created = self
            .wire
            .create_when_signable(self.object(), &self.attributes, &self.cancel)
            .await;
        let upload_id = match created {
            Ok(created) => created,
            Err(kind) => return Err(self.stop(kind.unwrap_or(CancelKind::Pause)).await),
        };
        let created = match upload_id {
            Ok(created) => created,
            Err(error) => {
                self.reporter.event(
                    UploadEventKind::CreateMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        let upload_id = created.upload_id;
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
            parts: part_layout::layout(self.identity.size, part_size),
            protocol: self.wire.protocol_name().to_string(),
            endpoint: self.wire.endpoint().to_string(),
            checksum_algorithm: match created.crc64_nvme {
                true => checkpoint::CRC64NVME.to_string(),
                false => String::new(),
            },
        };
        // Published at once, then made durable, before any part: a kill from here on never
        // leaks the upload.
        let saved = match &self.checkpoint_path {
            Some(path) => checkpoint::publish(path, &self.checkpoint)
                .and_then(|()| checkpoint::save(path, &self.checkpoint)),
            None => Ok(()),
        };
        if let Err(error) = saved {
            self.abort_upload(&upload_id).await;
            return Err(error);
        }
        self.reporter.upload_id = Some(upload_id);
        self.reporter
            .event(UploadEventKind::CreateMultipartUploadSucceeded, None, None);
        Ok(())
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
                if self.saves.unsaved() {
                    if let Err(error) = self.save_checkpoint() {
                        // The resume finds those parts with ListParts instead.
                        log::warn!("{error}");
                    }
                }
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
        let _ = self
            .wire
            .abort_multipart_upload(self.object(), upload_id)
            .await;
    }

    fn object(&self) -> Object<'_> {
        Object {
            bucket: &self.request.bucket,
            key: &self.request.key,
        }
    }
}

fn unquote(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}
