//! Upload of a whole folder tree: a walk that streams files as it finds them, small files in
//! one PutObject, large ones through the resumable multipart path with their own checkpoint,
//! a journal so a rerun skips finished files, aggregate progress, one connection cap.

pub(crate) mod auto_files;
pub(crate) mod caller_queue;
mod connection_bound;
pub(crate) mod dir_reporter;
pub mod dir_request;
pub(crate) mod glob;
pub(crate) mod journal;
mod one_file;
mod open_ahead;
mod skip_existing;
mod walk;

use crate::cancel::{CancelHook, CancelKind};
use crate::error::{ErrorKind, Result, UploadError};
use crate::upload::checkpoint;
use crate::upload::file_request::{resolve_part_size, resolve_task_num};
use crate::wire::protocol::ObjectReceipt;
use crate::wire::request_cap::RequestCap;
use crate::wire::Wire;
use dir_reporter::{lock, DirCallbacks, DirReporter};
use dir_request::*;
use futures_util::stream::{FuturesUnordered, StreamExt};
use journal::{DoneFile, Journal};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::mpsc;
use walk::{WalkItem, WalkOptions};

/// Batches of files found but not yet started; bounds the walker's lead over the uploads
/// (at most 2,048 files: 0.1 s at 20,000 files/s, and a walk of a local disk refills it many
/// times faster). At 256 batches the queued items held 1.7 MB of a 100,000-file upload's
/// 33 MiB peak (valgrind --tool=massif).
const WALK_QUEUE: usize = 32;

struct FileTask {
    path: PathBuf,
    relative: String,
    key: String,
    identity: crate::upload::checkpoint::FileInfo,
    /// The small file opened ahead (`open_ahead`), taken by its upload.
    opened: Mutex<Option<Result<(std::fs::File, crate::upload::checkpoint::FileInfo)>>>,
    started: std::time::Instant,
}

/// How a file ended: sent now, or (with `skip_existing`) found on the server already.
enum Sent {
    Uploaded(ObjectReceipt),
    AlreadyThere(ObjectReceipt),
}

type FileFuture = Pin<Box<dyn Future<Output = (FileTask, Result<Sent>)> + Send>>;

pub(crate) async fn upload_dir(
    wire: Arc<Wire>,
    request: UploadDirRequest,
    callbacks: DirCallbacks,
) -> Result<UploadDirOutput> {
    wire.check_bucket(&request.bucket)?;
    wire.check_prefix(&request.prefix)?;
    wire.check_attributes(&request.attributes)?;
    let part_size = resolve_part_size(request.part_size)?;
    resolve_task_num(request.task_num)?;
    let walk_options = walk_options(&request)?;
    match std::fs::metadata(&request.dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                format!("{} is not a directory", request.dir.display()),
            ))
        }
        Err(e) => {
            return Err(UploadError::new(
                ErrorKind::FileNotFound,
                format!("directory {} does not exist", request.dir.display()),
            )
            .with_cause(e))
        }
    }
    let mut journal = match &request.checkpoint_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                UploadError::new(
                    ErrorKind::CheckpointPathInvalid,
                    format!("cannot create checkpoint directory {}", dir.display()),
                )
                .with_cause(e)
            })?;
            let path = journal::journal_path(dir, &request.bucket, &request.prefix, &request.dir);
            Some(Journal::open(&path).map_err(|e| UploadError {
                kind: match e.kind {
                    ErrorKind::CheckpointInUse => e.kind,
                    _ => ErrorKind::CheckpointPathInvalid,
                },
                ..e
            })?)
        }
        None => None,
    };
    let cancel = request.cancel.clone().unwrap_or_default();
    if let Some(kind) = cancel.requested() {
        return Err(stopped(kind));
    }
    let queue = Arc::clone(&callbacks.queue);
    let reporter = DirReporter::new(callbacks);
    let max_connections = match request.max_connections {
        // Fixed files keep the former default; automatic ones may grow to the bound.
        0 if request.file_concurrency == AUTO_FILE_CONCURRENCY => {
            connection_bound::automatic_connections()
        }
        0 => DEFAULT_MAX_CONNECTIONS as usize,
        n => n as usize,
    };
    let connections = Arc::new(RequestCap::new(
        max_connections,
        connection_bound::large_body_share(request.max_connections, max_connections),
    ));
    let mut auto_files = (request.file_concurrency == AUTO_FILE_CONCURRENCY)
        .then(|| auto_files::FileTuner::new(max_connections, &reporter));
    let mut file_concurrency = match &auto_files {
        Some(tuner) => tuner.files(),
        None => request.file_concurrency as usize,
    };
    let shared = Arc::new(Shared {
        wire: Arc::clone(&wire),
        connections: Arc::clone(&connections),
        reporter: Arc::clone(&reporter),
        cancel: cancel.clone(),
        part_size,
        max_connections,
        request,
    });

    let (found_tx, mut found) = mpsc::channel(WALK_QUEUE);
    let root = shared.request.dir.clone();
    let walk_cancel = cancel.clone();
    let walker = tokio::task::spawn_blocking(move || {
        walk::walk(&root, &walk_options, &found_tx, &walk_cancel)
    });

    let mut found_batch = open_ahead::Found::default();
    let finished = journal.as_ref().map(Journal::finished).unwrap_or_default();
    let mut output = UploadDirOutput::default();
    let mut running: FuturesUnordered<FileFuture> = FuturesUnordered::new();
    let mut walk_done = false;
    let mut stopping = false;
    // An answer that will be the same for every file (no such bucket) ends the whole call.
    let mut folder_failure: Option<UploadError> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    loop {
        if (walk_done || stopping) && running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled(), if !stopping => stopping = true,
            // The caller's thread is behind with the events: start nothing until it catches up.
            _ = queue.room(), if !queue.has_room() => {}
            item = open_ahead::next_found(&mut found, &mut found_batch, shared.part_size, &finished), if !walk_done && !stopping && running.len() < file_concurrency && queue.has_room() => {
                let Some(item) = item else {
                    walk_done = true;
                    lock(&reporter).walk_complete();
                    continue;
                };
                if let Some(task) = shared.admit(item, journal.as_ref(), &mut output) {
                    running.push(shared.start(task, connections.clone()));
                }
                if shared.request.error_policy == ErrorPolicy::StopOnFirst && !output.failures.is_empty() {
                    stopping = true;
                }
            }
            Some((task, result)) = running.next() => {
                if let (Some(tuner), Ok(_)) = (auto_files.as_mut(), &result) {
                    file_concurrency = tuner.file_done(task.identity.size, task.started, walk_done, &reporter);
                }
                shared.finish(task, result, journal.as_mut(), &mut output, &cancel);
                if shared.request.error_policy == ErrorPolicy::StopOnFirst && !output.failures.is_empty() {
                    stopping = true;
                }
                if folder_failure.is_none() {
                    folder_failure = output.failures.last().and_then(|f| fails_every_file(&shared.request.bucket, &f.error));
                    stopping |= folder_failure.is_some();
                }
            }
            _ = ticker.tick() => {
                lock(&reporter).tick();
                if let Some(journal) = journal.as_mut() {
                    record_journal_failure(journal.flush_if_due(), journal, &mut output);
                }
            }
        }
    }
    drop(found);
    let _ = walker.await;
    lock(&reporter).emit();
    if let Some(journal) = journal.as_mut() {
        record_journal_failure(journal.sync(), journal, &mut output);
    }
    if let Some(error) = folder_failure {
        return Err(error);
    }
    if let Some(kind) = cancel.requested() {
        if kind == CancelKind::Abort {
            if let Some(journal) = journal {
                journal.remove();
            }
        }
        return Err(stopped(kind));
    }
    if output.failures.is_empty() && walk_done {
        if let Some(journal) = journal {
            journal.remove();
        }
    }
    Ok(output)
}

/// A failure that every other file would meet too: the bucket does not exist. Reported once,
/// for the whole call, instead of once per file.
fn fails_every_file(bucket: &str, error: &UploadError) -> Option<UploadError> {
    let server = error.server.as_ref()?;
    (server.code == "NoSuchBucket").then(|| UploadError {
        message: format!("bucket {bucket} does not exist (NoSuchBucket)"),
        ..error.clone()
    })
}

/// The files were uploaded; only their record is lost, so the call reports a failure that
/// names the journal rather than failing files that are on the server.
fn record_journal_failure(written: Result<()>, journal: &Journal, output: &mut UploadDirOutput) {
    if let Err(error) = written {
        output.failures.push(FileFailure {
            path: journal.path().to_path_buf(),
            key: String::new(),
            error,
        });
    }
}

fn walk_options(request: &UploadDirRequest) -> Result<WalkOptions> {
    let compile = |patterns: &[String]| {
        glob::Patterns::new(patterns)
            .map_err(|why| UploadError::new(ErrorKind::InvalidArgument, why))
    };
    Ok(WalkOptions {
        recursive: request.recursive,
        follow_symlinks: request.symlinks == SymlinkPolicy::Follow,
        include: compile(&request.include)?,
        exclude: compile(&request.exclude)?,
    })
}

fn stopped(kind: CancelKind) -> UploadError {
    match kind {
        CancelKind::Pause => UploadError::new(
            ErrorKind::Paused,
            "directory upload paused; run it again with the same checkpoint directory to resume",
        ),
        CancelKind::Abort => UploadError::new(ErrorKind::Aborted, "directory upload aborted"),
    }
}

struct Shared {
    wire: Arc<Wire>,
    /// One permit per request in flight, over all files.
    connections: Arc<RequestCap>,
    reporter: dir_reporter::SharedReporter,
    cancel: CancelHook,
    part_size: u64,
    max_connections: usize,
    request: UploadDirRequest,
}

impl Shared {
    fn event(&self, kind: DirEventKind, task: &FileTask, f: impl FnOnce(&mut DirEvent)) {
        if !lock(&self.reporter).wants_events() {
            return;
        }
        let mut event = DirEvent {
            kind,
            path: task.path.clone(),
            key: task.key.clone(),
            size: task.identity.size,
            etag: None,
            crc64: None,
            reason: None,
            error: None,
            file_concurrency: None,
        };
        f(&mut event);
        lock(&self.reporter).event(event);
    }

    /// Decides what to do with what the walk found; returns the files to upload.
    fn admit(
        &self,
        item: WalkItem,
        journal: Option<&Journal>,
        output: &mut UploadDirOutput,
    ) -> Option<FileTask> {
        let reporter = &self.reporter;
        let key_of = |relative: &str| format!("{}{relative}", self.request.prefix);
        match item {
            WalkItem::File {
                path,
                relative,
                identity,
                opened,
            } => {
                lock(reporter).found(identity.size);
                let task = FileTask {
                    key: key_of(&relative),
                    path,
                    relative,
                    identity,
                    opened: Mutex::new(opened),
                    started: std::time::Instant::now(),
                };
                let done = journal
                    .and_then(|j| j.done(&task.relative))
                    .filter(|d| d.still_matches(&identity));
                if let Some(done) = done {
                    output.files_skipped += 1;
                    output.bytes_skipped += identity.size;
                    lock(reporter).file_skipped(identity.size);
                    let etag = done.etag.clone();
                    let crc = done.crc64;
                    self.event(DirEventKind::FileSkipped, &task, |e| {
                        e.etag = Some(etag);
                        e.crc64 = Some(crc);
                        e.reason = Some("already uploaded".into());
                    });
                    return None;
                }
                self.event(DirEventKind::FileStarted, &task, |_| {});
                Some(task)
            }
            WalkItem::Skipped {
                path,
                relative,
                reason,
            } => {
                let task = FileTask {
                    key: key_of(&relative),
                    path,
                    relative,
                    identity: Default::default(),
                    opened: Mutex::new(None),
                    started: std::time::Instant::now(),
                };
                output.files_left_out += 1;
                self.event(DirEventKind::FileSkipped, &task, |e| {
                    e.reason = Some(reason)
                });
                None
            }
            WalkItem::Failed {
                path,
                relative,
                error,
            } => {
                let task = FileTask {
                    key: key_of(&relative),
                    path,
                    relative,
                    identity: Default::default(),
                    opened: Mutex::new(None),
                    started: std::time::Instant::now(),
                };
                lock(reporter).file_failed();
                self.event(DirEventKind::FileFailed, &task, |e| {
                    e.error = Some(error.clone())
                });
                output.failures.push(FileFailure {
                    path: task.path,
                    key: task.key,
                    error,
                });
                None
            }
        }
    }

    fn start(self: &Arc<Self>, task: FileTask, connections: Arc<RequestCap>) -> FileFuture {
        let shared = Arc::clone(self);
        Box::pin(async move {
            // A key too long or otherwise unsendable fails its file alone, before any request.
            let result = match shared.wire.check_key(&task.key) {
                Err(error) => Err(error),
                Ok(()) => shared.upload_unless_there(&task, connections).await,
            };
            (task, result)
        })
    }

    /// A multipart file's checkpoint outlives its upload until the journal has the file.
    fn remove_file_checkpoint(&self, task: &FileTask) {
        if task.identity.size < self.part_size {
            return;
        }
        if let Some(dir) = &self.request.checkpoint_dir {
            let name = checkpoint::file_name(&task.path, &self.request.bucket, &task.key);
            checkpoint::remove(&dir.join(name));
        }
    }

    fn finish(
        &self,
        task: FileTask,
        result: Result<Sent>,
        journal: Option<&mut Journal>,
        output: &mut UploadDirOutput,
        cancel: &CancelHook,
    ) {
        match result {
            Ok(sent) => {
                let (receipt, already_there) = match sent {
                    Sent::Uploaded(receipt) => (receipt, false),
                    Sent::AlreadyThere(receipt) => (receipt, true),
                };
                if already_there {
                    output.files_skipped += 1;
                    output.bytes_skipped += task.identity.size;
                    lock(&self.reporter).file_skipped(task.identity.size);
                } else {
                    output.files_uploaded += 1;
                    output.bytes_uploaded += task.identity.size;
                    lock(&self.reporter).file_done();
                }
                let crc = receipt.crc64.unwrap_or_default();
                if let Some(journal) = journal {
                    let entry = DoneFile {
                        relative: task.relative.clone(),
                        size: task.identity.size,
                        mtime: task.identity.last_modified,
                        mtime_nanos: task.identity.last_modified_nanos.unwrap_or_default(),
                        etag: receipt.etag.clone(),
                        crc64: crc,
                    };
                    // A multipart file's checkpoint goes only once its entry is on disk.
                    let recorded = match journal.record(entry) {
                        Ok(()) if task.identity.size >= self.part_size => journal.flush(),
                        other => other,
                    };
                    match recorded {
                        Ok(()) => self.remove_file_checkpoint(&task),
                        Err(error) => output.failures.push(FileFailure {
                            path: task.path.clone(),
                            key: task.key.clone(),
                            error,
                        }),
                    }
                }
                let kind = match already_there {
                    true => DirEventKind::FileSkipped,
                    false => DirEventKind::FileSucceeded,
                };
                self.event(kind, &task, |e| {
                    e.etag = Some(receipt.etag);
                    e.crc64 = receipt.crc64;
                    e.reason = already_there.then(|| {
                        "already on the server with the same size and checksum".to_string()
                    });
                });
            }
            // Stopped by the cancel hook: neither done nor failed.
            Err(_) if cancel.requested().is_some() => {}
            Err(error) => {
                lock(&self.reporter).file_failed();
                self.event(DirEventKind::FileFailed, &task, |e| {
                    e.error = Some(error.clone())
                });
                output.failures.push(FileFailure {
                    path: task.path,
                    key: task.key,
                    error,
                });
            }
        }
    }
}
