//! The resumable download of one object to one file, after the Go SDK's `DownloadFile`
//! without its defects (docs/download.md): validate, HEAD, resume from a checkpoint proven
//! against the temp file or start afresh, GET the missing ranges in parallel straight into
//! the temp file, verify the whole object's CRC-64, then rename the temp over the destination.
//! The destination never holds a partial file.

pub mod checkpoint;
mod coordinator;
mod destination;
pub mod events;
pub(crate) mod fetch;
mod plan;
mod renamed;
pub mod request;
pub(crate) mod temp_file;

use crate::cancel::{stopped_before_start, CancelHook, CancelKind};
use crate::checkpoint_lock::CheckpointLock;
use crate::error::{ErrorKind, Result, UploadError};
use crate::file_system::off_caller;
use crate::wire::get_object::{ReadHead, ReadOptions};
use crate::wire::{Object, Wire};
use checkpoint::DownloadCheckpoint;
use destination::{local_write, Destination};
use events::{DownloadEvent, DownloadEventKind, DownloadObservers, Reporter};
use request::{DownloadFileOutput, DownloadFileRequest};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) async fn download_file(
    wire: Arc<Wire>,
    request: DownloadFileRequest,
    observers: DownloadObservers,
) -> Result<DownloadFileOutput> {
    download_file_asking(wire, request, observers, None, false)
        .await
        .map(|(output, _)| output)
}

/// As `download_file`, but the ranges ask `limiter_asks` for their bytes instead of a
/// callback in `observers`: a folder download serves its user's limiter on the calling
/// thread, away from the file's own task. With `keep_checkpoint`, a finished file's
/// checkpoint is left for the caller, whose path comes back with the output: a folder removes
/// it only once its journal has the file on disk, so a kill between the two costs a rerun
/// nothing (the checkpoint proves the rename, `renamed.rs`).
pub(crate) async fn download_file_asking(
    wire: Arc<Wire>,
    request: DownloadFileRequest,
    observers: DownloadObservers,
    limiter_asks: Option<tokio::sync::mpsc::UnboundedSender<fetch::AcquireAsk>>,
    keep_checkpoint: bool,
) -> Result<(DownloadFileOutput, Option<PathBuf>)> {
    // Every file-system call of the download answers the hook (a hung mount must not hold a
    // pause), the folder's as well when it runs inside one.
    let cancel = request.cancel.clone().unwrap_or_default();
    let download = download_in_scope(wire, request, observers, limiter_asks, keep_checkpoint);
    temp_file::answering(cancel, download).await
}

async fn download_in_scope(
    wire: Arc<Wire>,
    request: DownloadFileRequest,
    observers: DownloadObservers,
    limiter_asks: Option<tokio::sync::mpsc::UnboundedSender<fetch::AcquireAsk>>,
    keep_checkpoint: bool,
) -> Result<(DownloadFileOutput, Option<PathBuf>)> {
    let checked = request::check(&request)?;
    wire.check_bucket(&request.bucket)?;
    wire.check_key(&request.key)?;
    // The key is checked before the file system is asked anything.
    destination::resolve(&request.file_path, &request.key, false)?;
    let cancel = request.cancel.clone().unwrap_or_default();
    if let Some(kind) = cancel.requested() {
        return Err(stopped_before_start(kind));
    }
    let path = request.file_path.clone();
    let is_dir = off_caller(&cancel, "looking at the destination", move || {
        Ok(path.is_dir())
    });
    let destination = destination::resolve(&request.file_path, &request.key, is_dir.await?)?;
    // The checkpoint is locked before any request: a second run of the same download must
    // fail before it sends or writes anything (docs/download.md §3.4).
    if let Destination::File(target) = &destination {
        prepare_target(target).await?;
    }
    let checkpoint_path = match (&destination, request.enable_checkpoint) {
        (Destination::File(target), true) => {
            let name = checkpoint::file_name(
                target,
                &request.bucket,
                &request.key,
                request.version_id.as_deref(),
            );
            let (asked, target) = (request.checkpoint_file.clone(), target.clone());
            Some(
                off_caller(&cancel, "checking the checkpoint path", move || {
                    checkpoint::resolve_path(asked.as_deref(), &target, &name)
                })
                .await?,
            )
        }
        _ => None,
    };
    let lock = match &checkpoint_path {
        Some(path) => {
            let path = path.clone();
            Some(
                off_caller(&cancel, "locking the checkpoint", move || {
                    CheckpointLock::acquire(&path)
                })
                .await?,
            )
        }
        None => None,
    };
    let options = request::read_options(&request);
    let object = Object {
        bucket: &request.bucket,
        key: &request.key,
    };
    // A HEAD against a slow server must not hold back a pause or abort.
    let head = tokio::select! {
        head = wire.head_for_read(object, &options) => head?,
        () = cancel.cancelled() => {
            return Err(match cancel.requested().unwrap_or(CancelKind::Pause) {
                CancelKind::Pause => UploadError::new(
                    ErrorKind::Paused,
                    "download paused during the HEAD; nothing was written",
                ),
                CancelKind::Abort => UploadError::new(
                    ErrorKind::Aborted,
                    "download aborted during the HEAD; nothing was written",
                ),
            });
        }
    };
    let target = match destination {
        Destination::Directory(dir) => {
            return make_directory(&request, &head, dir)
                .await
                .map(|output| (output, None))
        }
        Destination::File(target) => target,
    };
    let template = DownloadEvent {
        kind: DownloadEventKind::DownloadResumed,
        bucket: request.bucket.clone(),
        key: request.key.clone(),
        version_id: request.version_id.clone(),
        file_path: target.clone(),
        temp_file_path: None,
        checkpoint_file: checkpoint_path.clone(),
        part: None,
        error: None,
        task_num: None,
    };
    let mut session = Session {
        options: ReadOptions {
            // Every GET is pinned to the object HEAD saw: a replacement fails it with 412.
            if_match: options.if_match.clone().or_else(|| Some(head.etag.clone())),
            ..options
        },
        wire,
        reporter: Reporter::new(observers, template, limiter_asks),
        cancel,
        part_size: checked.part_size,
        task_num: checked.task_num,
        checkpoint_path,
        target,
        head,
        checkpoint: DownloadCheckpoint::default(),
        temp: None,
        bytes_received: 0,
        renamed_earlier: false,
        keep_checkpoint,
        request,
        _lock: lock,
    };
    log::info!(
        "download {}/{} to {}: {} bytes in ranges of {} bytes, {} at once (0 = automatic)",
        session.request.bucket,
        session.request.key,
        session.target.display(),
        session.head.size,
        session.part_size,
        session.task_num
    );
    let result = session
        .run()
        .await
        .map_err(|e| temp_file::explained_by_cancel(e, &session.cancel));
    if let Err(error) = &result {
        log::info!(
            "download of {}/{} stopped: {error}",
            session.request.bucket,
            session.request.key
        );
        session.after_failure(error).await;
    }
    let kept = session
        .checkpoint_path
        .clone()
        .filter(|_| session.keep_checkpoint);
    result.map(|output| (output, kept))
}

/// A key ending in '/' into a directory destination: the directory is made, nothing else.
async fn make_directory(
    request: &DownloadFileRequest,
    head: &ReadHead,
    dir: PathBuf,
) -> Result<DownloadFileOutput> {
    let made = dir.clone();
    temp_file::blocking(move || std::fs::create_dir_all(made))
        .await
        .map_err(|e| local_write(&dir, "cannot create the directory", e))?;
    Ok(output(request, head, 0, dir, None))
}

/// Missing parent directories are made; a directory in the target's place is refused
/// before any GET (the final rename could not replace it).
async fn prepare_target(target: &Path) -> Result<()> {
    let owned = target.to_path_buf();
    let is_dir = temp_file::blocking(move || {
        let parent = destination::parent_of(&owned);
        std::fs::create_dir_all(parent)?;
        Ok(owned.is_dir())
    })
    .await
    .map_err(|e| local_write(target, "cannot create the directory of", e))?;
    if is_dir {
        return Err(UploadError::new(
            ErrorKind::FileIsDirectory,
            format!("the destination {} is a directory", target.display()),
        ));
    }
    Ok(())
}

fn output(
    request: &DownloadFileRequest,
    head: &ReadHead,
    bytes_received: u64,
    destination: PathBuf,
    crc64: Option<u64>,
) -> DownloadFileOutput {
    DownloadFileOutput {
        bucket: request.bucket.clone(),
        key: request.key.clone(),
        etag: head.etag.clone(),
        version_id: Some(head.version_id.clone()).filter(|v| !v.is_empty()),
        size: head.size,
        crc64,
        bytes_received,
        destination,
    }
}

pub(crate) struct Session {
    wire: Arc<Wire>,
    request: DownloadFileRequest,
    options: ReadOptions,
    reporter: Reporter,
    cancel: CancelHook,
    part_size: u64,
    /// 0 = automatic.
    task_num: usize,
    checkpoint_path: Option<PathBuf>,
    target: PathBuf,
    head: ReadHead,
    checkpoint: DownloadCheckpoint,
    /// The temp file once created or reopened, and its path.
    temp: Option<(Arc<File>, PathBuf)>,
    bytes_received: u64,
    /// The checkpoint's run had renamed the finished file into place (renamed.rs).
    renamed_earlier: bool,
    /// A finished file's checkpoint is the caller's to remove (`download_file_asking`).
    keep_checkpoint: bool,
    /// Released when the session ends, after the checkpoint's last save or removal.
    _lock: Option<CheckpointLock>,
}

impl Session {
    async fn run(&mut self) -> Result<DownloadFileOutput> {
        let already = self.plan().await?;
        if let Some(kind) = self.cancel.requested() {
            return Err(self.stop(kind).await);
        }
        self.reporter.started(self.head.size, already);
        if self.renamed_earlier {
            return Ok(self.finish_renamed_earlier());
        }
        self.fetch_missing().await?;
        if let Some(kind) = self.cancel.requested() {
            return Err(self.stop(kind).await);
        }
        self.finish().await
    }

    fn save_checkpoint(&self) {
        if let Some(path) = &self.checkpoint_path {
            if let Err(error) = checkpoint::save(path, &self.checkpoint) {
                // A later save, or the resume's re-fetch of unrecorded ranges, makes up for it.
                log::warn!("{error}");
            }
        }
    }

    fn remove_finished_checkpoint(&self) {
        if let (Some(path), false) = (&self.checkpoint_path, self.keep_checkpoint) {
            checkpoint::remove(path);
        }
    }

    /// Removes the temp file and the checkpoint: what a failure no rerun could mend needs.
    async fn discard_all(&mut self) {
        if let Some((_, path)) = self.temp.take() {
            temp_file::remove(&path).await;
        }
        if let Some(path) = &self.checkpoint_path {
            checkpoint::remove(path);
        }
    }

    async fn after_failure(&mut self, error: &UploadError) {
        if error.kind != ErrorKind::Paused {
            self.reporter.failed();
        }
        let hopeless = matches!(
            error.kind,
            ErrorKind::ObjectChanged | ErrorKind::CrcMismatch | ErrorKind::Aborted
        ) || matches!(error.http_status(), Some(403..=405));
        if hopeless || self.checkpoint_path.is_none() {
            self.discard_all().await;
        }
    }

    /// Acts on a pause or abort once the range workers are gone.
    async fn stop(&mut self, kind: CancelKind) -> UploadError {
        self.reporter.flush();
        match kind {
            CancelKind::Pause => {
                self.save_checkpoint();
                let resume = match &self.checkpoint_path {
                    Some(path) => format!("; checkpoint {} resumes it", path.display()),
                    None => "; checkpointing was off, so it cannot be resumed".into(),
                };
                UploadError::new(ErrorKind::Paused, format!("download paused{resume}"))
            }
            CancelKind::Abort => {
                let error =
                    UploadError::new(ErrorKind::Aborted, "download aborted by the cancel hook");
                self.reporter.event(
                    DownloadEventKind::DownloadPartAborted,
                    None,
                    Some(error.clone()),
                );
                error
            }
        }
    }

    /// Whole-object check, then the temp file becomes the destination.
    async fn finish(&mut self) -> Result<DownloadFileOutput> {
        let (file, temp_path) = self.temp.clone().expect("planned before fetching");
        let mut combined: Option<u64> = None;
        for range in &self.checkpoint.parts {
            combined = Some(match combined {
                None => range.crc64,
                Some(acc) => tos_crc64::combine(acc, range.crc64, range.byte_count()),
            });
        }
        let combined = combined.unwrap_or(0);
        let checked = self.wire.verifies_crc() && self.verify_whole(&file, combined).await?;
        let (target, temp) = (self.target.clone(), temp_path.clone());
        let renamed = temp_file::blocking(move || {
            file.sync_all()?;
            std::fs::rename(&temp, &target)?;
            File::open(destination::parent_of(&target))?.sync_all()
        })
        .await;
        if let Err(e) = renamed {
            let error = local_write(&self.target, "cannot move the temp file over", e);
            self.reporter.event(
                DownloadEventKind::RenameTempFileFailed,
                None,
                Some(error.clone()),
            );
            return Err(error);
        }
        self.temp = None;
        self.remove_finished_checkpoint();
        self.reporter
            .event(DownloadEventKind::RenameTempFileSucceeded, None, None);
        self.reporter.succeeded();
        Ok(output(
            &self.request,
            &self.head,
            self.bytes_received,
            self.target.clone(),
            // The output's CRC-64 says the file was checked against the server's: over S3
            // without a full-object checksum (or with CRC checks off) nothing was, and
            // `tosput get` would print "CRC-64 verified" for an unchecked file.
            checked.then_some(combined),
        ))
    }

    /// TOS: the combined range CRCs against HEAD's CRC-64. S3: the file's CRC-64/NVME
    /// against the store's full-object checksum when it keeps one; without one, only the
    /// byte counts of the ranges vouch for the file. True when a server checksum was there to
    /// compare with (and matched).
    async fn verify_whole(&self, file: &Arc<File>, combined: u64) -> Result<bool> {
        let mismatch = |local: u64, server: u64, what: &str| {
            UploadError::new(
                ErrorKind::CrcMismatch,
                format!(
                    "{}/{}: the downloaded bytes have {what} {local}, the server's object has \
                     {server}; the temp file and checkpoint were removed, so the next call \
                     downloads afresh",
                    self.request.bucket, self.request.key
                ),
            )
        };
        if let Some(server) = self.head.crc64 {
            if server != combined {
                return Err(mismatch(combined, server, "CRC-64"));
            }
        } else if let Some(server) = self.head.crc64_nvme {
            let local = temp_file::crc64_nvme_of(file, self.head.size)
                .await
                .map_err(|e| local_write(&self.target, "cannot read back the temp file of", e))?;
            if server != local {
                return Err(mismatch(local, server, "CRC-64/NVME"));
            }
        } else {
            return Ok(false);
        }
        Ok(true)
    }
}
