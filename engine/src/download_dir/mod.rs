//! Download of every object under a prefix into a local folder (docs/download_dir.md): the
//! listing streams pages into downloads as they come, each file goes through
//! `download_file` (temp file, If-Match, CRC-64, rename), a journal lets a rerun skip
//! finished files, hostile keys fail their file without writing anything, and callbacks
//! run on the caller's thread through the folder upload's queue.

mod local_path;
mod one_file;
pub mod request;

use crate::cancel::{CancelHook, CancelKind};
use crate::download::temp_file;
use crate::error::{ErrorKind, Result, UploadError};
use crate::upload::checkpoint::FileInfo;
use crate::upload_dir::caller_queue::ToCaller;
use crate::upload_dir::dir_reporter::{lock, DirCallbacks, DirReporter, SharedReporter};
use crate::upload_dir::dir_request::{DirEvent, DirEventKind, ErrorPolicy, FileFailure};
use crate::upload_dir::glob::Patterns;
use crate::upload_dir::journal::{self, DoneFile, Journal};
use crate::wire::file_range::AcquireRequest;
use crate::wire::objects::ObjectsPaging;
use crate::wire::protocol::ListedObject;
use crate::wire::Wire;
use futures_util::stream::{FuturesUnordered, StreamExt};
use local_path::Entry;
use request::{DownloadDirOutput, DownloadDirRequest, MAX_AUTO_DOWNLOAD_FILES};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Pages listed but not yet started: bounds the listing's lead over the downloads (4,000
/// objects with pages of 1,000).
const LISTING_QUEUE: usize = 4;

pub(crate) struct FileTask {
    key: String,
    relative: String,
    path: PathBuf,
    object: ListedObject,
    is_directory: bool,
    started: Instant,
}

pub(crate) enum Fetched {
    Downloaded(Downloaded),
    /// With `skip_existing`: the local file already had the object's size and CRC-64.
    AlreadyThere(FileInfo),
    /// A folder marker's directory.
    DirectoryMade,
}

/// A file downloaded now.
pub(crate) struct Downloaded {
    /// The local file's identity after the rename.
    identity: FileInfo,
    /// The body bytes this run fetched (a file resumed from its checkpoint fetched only its
    /// missing ranges).
    received: u64,
    /// Its checkpoint, removed only once the journal has the file on disk: a run killed
    /// between the two would otherwise fetch the whole file again.
    checkpoint: Option<PathBuf>,
}

type FileFuture = Pin<Box<dyn Future<Output = (FileTask, Result<Fetched>)> + Send>>;

pub(crate) async fn download_dir(
    wire: Arc<Wire>,
    request: DownloadDirRequest,
    callbacks: DirCallbacks,
) -> Result<DownloadDirOutput> {
    // Its file-system calls answer the hook, as a file's do (`temp_file::answering`).
    let cancel = request.cancel.clone().unwrap_or_default();
    let download = download_dir_in_scope(wire, request, callbacks);
    temp_file::answering(cancel, download).await
}

async fn download_dir_in_scope(
    wire: Arc<Wire>,
    request: DownloadDirRequest,
    callbacks: DirCallbacks,
) -> Result<DownloadDirOutput> {
    wire.check_bucket(&request.bucket)?;
    if !request.prefix.is_empty() {
        wire.check_key(&request.prefix)?;
    }
    let compile = |patterns: &[String]| {
        Patterns::new(patterns).map_err(|why| UploadError::new(ErrorKind::InvalidArgument, why))
    };
    let include = compile(&request.include)?;
    let exclude = compile(&request.exclude)?;
    // `download_file`'s own checks, once for every file.
    let mut probe = crate::download::request::DownloadFileRequest::new(&request.bucket, "k", "f");
    (probe.part_size, probe.task_num) = (request.part_size, request.task_num);
    crate::download::request::check(&probe)?;
    if request.dir.as_os_str().is_empty() {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            "the local directory is empty",
        ));
    }
    let dir = request.dir.clone();
    temp_file::blocking(move || std::fs::create_dir_all(&dir))
        .await
        .map_err(|e| {
            UploadError::new(
                ErrorKind::LocalWrite,
                format!("cannot create the directory {}: {e}", request.dir.display()),
            )
            .with_cause(e)
        })?;
    let mut journal = match &request.checkpoint_dir {
        Some(checkpoints) => {
            std::fs::create_dir_all(checkpoints).map_err(|e| {
                UploadError::new(
                    ErrorKind::CheckpointPathInvalid,
                    format!(
                        "cannot create checkpoint directory {}",
                        checkpoints.display()
                    ),
                )
                .with_cause(e)
            })?;
            let path = journal::download_journal_path(
                checkpoints,
                &request.bucket,
                &request.prefix,
                &request.dir,
            );
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
    let limiter_asks = callbacks
        .has_acquire
        .then(|| forward_limiter_asks(&callbacks));
    let reporter = DirReporter::new(callbacks);
    let mut auto_files = (request.file_concurrency == 0)
        .then(|| crate::upload_dir::auto_files::FileTuner::new(MAX_AUTO_DOWNLOAD_FILES, &reporter));
    let mut file_concurrency = match &auto_files {
        Some(tuner) => tuner.files(),
        None => request.file_concurrency as usize,
    };
    let shared = Arc::new(Shared {
        wire: Arc::clone(&wire),
        reporter: Arc::clone(&reporter),
        cancel: cancel.clone(),
        limiter_asks,
        include,
        exclude,
        request,
    });

    let (pages_tx, mut pages) = mpsc::channel(LISTING_QUEUE);
    let lister = tokio::spawn(list_all(Arc::clone(&shared), pages_tx));

    let mut listed = Vec::new().into_iter();
    let mut output = DownloadDirOutput::default();
    let mut running: FuturesUnordered<FileFuture> = FuturesUnordered::new();
    let mut listing_done = false;
    let mut stopping = false;
    let mut listing_failure: Option<UploadError> = None;
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    loop {
        if (listing_done || stopping) && running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled(), if !stopping => stopping = true,
            // The caller's thread is behind with the events: start nothing until it catches up.
            _ = queue.room(), if !queue.has_room() => {}
            item = next_listed(&mut pages, &mut listed), if !listing_done && !stopping && running.len() < file_concurrency && queue.has_room() => {
                match item {
                    None => {
                        listing_done = true;
                        lock(&reporter).walk_complete();
                    }
                    Some(Err(error)) => {
                        listing_failure = Some(error);
                        stopping = true;
                    }
                    Some(Ok(object)) => {
                        if let Some(task) = shared.admit(object, journal.as_ref(), &mut output) {
                            running.push(shared.start(task));
                        }
                    }
                }
                if shared.request.error_policy == ErrorPolicy::StopOnFirst && !output.failures.is_empty() {
                    stopping = true;
                }
            }
            Some((task, result)) = running.next() => {
                if let (Some(tuner), Ok(Fetched::Downloaded(..))) = (auto_files.as_mut(), &result) {
                    file_concurrency = tuner.file_done(task.object.size, task.started, listing_done, &reporter);
                }
                shared.finish(task, result, journal.as_mut(), &mut output);
                if shared.request.error_policy == ErrorPolicy::StopOnFirst && !output.failures.is_empty() {
                    stopping = true;
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
    drop(pages);
    lister.abort();
    let _ = lister.await;
    lock(&reporter).emit();
    if let Some(journal) = journal.as_mut() {
        record_journal_failure(journal.sync(), journal, &mut output);
    }
    if let Some(kind) = cancel.requested() {
        if kind == CancelKind::Abort {
            if let Some(journal) = journal {
                journal.remove();
            }
        }
        return Err(stopped(kind));
    }
    if let Some(error) = listing_failure {
        return Err(error);
    }
    if output.failures.is_empty() && listing_done {
        if let Some(journal) = journal {
            journal.remove();
        }
    }
    Ok(output)
}

/// The user's limiter callback is served on the caller's thread, with the folder's other
/// callbacks: each file's ranges ask through this channel.
fn forward_limiter_asks(
    callbacks: &DirCallbacks,
) -> mpsc::UnboundedSender<crate::download::fetch::AcquireAsk> {
    let (asks_tx, mut asks) = mpsc::unbounded_channel::<crate::download::fetch::AcquireAsk>();
    let queue = Arc::clone(&callbacks.queue);
    tokio::spawn(async move {
        while let Some(ask) = asks.recv().await {
            queue.push(ToCaller::Acquire(AcquireRequest {
                want: ask.want,
                reply: ask.reply,
            }));
        }
    });
    asks_tx
}

/// Lists every page in turn, each handed on as it comes; a listing error ends the listing
/// and is handed on last.
async fn list_all(shared: Arc<Shared>, pages: mpsc::Sender<Result<Vec<ListedObject>>>) {
    let page_size = match shared.request.list_page_size {
        0 => crate::wire::objects::MAX_PAGE,
        n => n,
    };
    let mut paging = ObjectsPaging::new(page_size);
    let (bucket, prefix) = (&shared.request.bucket, &shared.request.prefix);
    while !paging.finished() {
        let page = tokio::select! {
            page = shared.wire.list_objects_page(bucket, prefix, &mut paging) => page,
            () = shared.cancel.cancelled() => return,
        };
        let failed = page.is_err();
        if pages.send(page).await.is_err() || failed {
            return;
        }
    }
}

async fn next_listed(
    pages: &mut mpsc::Receiver<Result<Vec<ListedObject>>>,
    listed: &mut std::vec::IntoIter<ListedObject>,
) -> Option<Result<ListedObject>> {
    loop {
        if let Some(object) = listed.next() {
            return Some(Ok(object));
        }
        match pages.recv().await? {
            Ok(page) => *listed = page.into_iter(),
            Err(error) => return Some(Err(error)),
        }
    }
}

/// The files were downloaded; only their record is lost, so the call reports a failure that
/// names the journal rather than failing files that are on disk.
fn record_journal_failure(written: Result<()>, journal: &Journal, output: &mut DownloadDirOutput) {
    if let Err(error) = written {
        output.failures.push(FileFailure {
            path: journal.path().to_path_buf(),
            key: String::new(),
            error,
        });
    }
}

fn stopped(kind: CancelKind) -> UploadError {
    match kind {
        CancelKind::Pause => UploadError::new(
            ErrorKind::Paused,
            "directory download paused; run it again with the same checkpoint directory to resume",
        ),
        CancelKind::Abort => UploadError::new(ErrorKind::Aborted, "directory download aborted"),
    }
}

pub(crate) struct Shared {
    wire: Arc<Wire>,
    reporter: SharedReporter,
    cancel: CancelHook,
    limiter_asks: Option<mpsc::UnboundedSender<crate::download::fetch::AcquireAsk>>,
    include: Patterns,
    exclude: Patterns,
    request: DownloadDirRequest,
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
            size: task.object.size,
            etag: Some(task.object.etag.clone()).filter(|e| !e.is_empty()),
            crc64: task.object.crc64,
            reason: None,
            error: None,
            file_concurrency: None,
        };
        f(&mut event);
        lock(&self.reporter).event(event);
    }

    fn fail(&self, task: FileTask, error: UploadError, output: &mut DownloadDirOutput) {
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

    fn skip(&self, task: &FileTask, reason: &str, output: &mut DownloadDirOutput) {
        output.files_skipped += 1;
        output.bytes_skipped += task.object.size;
        lock(&self.reporter).file_skipped(task.object.size);
        self.event(DirEventKind::FileSkipped, task, |e| {
            e.reason = Some(reason.into())
        });
    }

    /// Decides what to do with a listed object; returns the ones to fetch (or make).
    fn admit(
        &self,
        object: ListedObject,
        journal: Option<&Journal>,
        output: &mut DownloadDirOutput,
    ) -> Option<FileTask> {
        let entry = local_path::entry_of(&object.key, &self.request.prefix);
        let (relative, is_directory) = match &entry {
            Ok(Entry::Root) => return None,
            Ok(Entry::File(relative)) => (relative.clone(), false),
            Ok(Entry::Directory(relative)) => (relative.clone(), true),
            Err(_) => (String::new(), false),
        };
        let included = self.include.is_empty() || self.include.matches(&relative);
        if entry.is_ok() && (!included || self.exclude.matches(&relative)) {
            return None;
        }
        lock(&self.reporter).found(object.size);
        let task = FileTask {
            key: object.key.clone(),
            path: match relative.is_empty() {
                true => self.request.dir.clone(),
                false => self.request.dir.join(&relative),
            },
            relative,
            object,
            is_directory,
            started: Instant::now(),
        };
        if let Err(error) = entry {
            self.fail(task, error, output);
            return None;
        }
        if !task.is_directory {
            let done = journal.and_then(|j| j.done(&task.relative));
            if done.is_some_and(|done| self.still_done(done, &task)) {
                self.skip(&task, "already downloaded", output);
                return None;
            }
        }
        self.event(DirEventKind::FileStarted, &task, |_| {});
        Some(task)
    }

    /// The journal's entry stands for the object as listed now, and the local file is still
    /// the one written then.
    fn still_done(&self, done: &DoneFile, task: &FileTask) -> bool {
        let same_object = done.etag == task.object.etag && done.size == task.object.size;
        let local = std::fs::symlink_metadata(&task.path)
            .ok()
            .filter(|meta| meta.is_file());
        same_object && local.is_some_and(|meta| done.still_matches(&FileInfo::of(&meta)))
    }

    fn start(self: &Arc<Self>, task: FileTask) -> FileFuture {
        let shared = Arc::clone(self);
        Box::pin(async move {
            let result = shared.fetch(&task).await;
            (task, result)
        })
    }

    fn finish(
        &self,
        task: FileTask,
        result: Result<Fetched>,
        journal: Option<&mut Journal>,
        output: &mut DownloadDirOutput,
    ) {
        let identity = match result {
            Ok(Fetched::DirectoryMade) => {
                output.dirs_created += 1;
                lock(&self.reporter).file_done();
                self.event(DirEventKind::FileSucceeded, &task, |_| {});
                return;
            }
            Ok(Fetched::AlreadyThere(identity)) => {
                self.skip(
                    &task,
                    "the local file has the object's size and CRC-64",
                    output,
                );
                (identity, None)
            }
            Ok(Fetched::Downloaded(done)) => {
                output.files_downloaded += 1;
                output.bytes_downloaded += done.received;
                lock(&self.reporter).file_done();
                self.event(DirEventKind::FileSucceeded, &task, |_| {});
                (done.identity, done.checkpoint)
            }
            // Stopped by the cancel hook: neither done nor failed.
            Err(_) if self.cancel.requested().is_some() => return,
            Err(error) => return self.fail(task, error, output),
        };
        let (identity, checkpoint) = identity;
        if let Some(journal) = journal {
            let entry = DoneFile {
                relative: task.relative.clone(),
                size: task.object.size,
                mtime: identity.last_modified,
                mtime_nanos: identity.last_modified_nanos.unwrap_or_default(),
                etag: task.object.etag.clone(),
                crc64: task.object.crc64.unwrap_or_default(),
            };
            let recorded = match journal.record(entry) {
                Ok(()) if checkpoint.is_some() => journal.flush(),
                other => other,
            };
            match (recorded, checkpoint) {
                (Ok(()), Some(path)) => crate::download::checkpoint::remove(&path),
                (Ok(()), None) => {}
                (Err(error), _) => output.failures.push(FileFailure {
                    path: task.path,
                    key: task.key,
                    error,
                }),
            }
        } else if let Some(path) = checkpoint {
            crate::download::checkpoint::remove(&path);
        }
    }
}
