//! The client: one connection pool and one runtime, shared by every upload and safe to use
//! from many threads at once.

use crate::config::ClientConfig;
use crate::download::{
    self,
    events::DownloadObservers,
    request::{DownloadFileOutput, DownloadFileRequest},
};
use crate::download_dir::{
    self,
    request::{DownloadDirObservers, DownloadDirOutput, DownloadDirRequest},
};
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::Observers;
use crate::open_uploads::{self, AbortUploadRequest, ListUploadsRequest, MultipartUpload};
use crate::upload::{self, file_request::UploadFileOutput, file_request::UploadFileRequest};
use crate::upload_dir::{
    self,
    caller_queue::{CallerQueue, FinishOnDrop},
    dir_reporter::DirCallbacks,
    dir_request::{DirObservers, UploadDirOutput, UploadDirRequest},
};
use crate::upload_stream::{self, UploadStreamRequest};
use crate::wire::Wire;
use std::sync::Arc;
use std::time::Duration;

/// How long dropping a client waits for the runtime's threads (`OwnedRuntime`).
pub const SHUTDOWN_WAIT: Duration = Duration::from_millis(500);

pub struct Client {
    wire: Arc<Wire>,
    runtime: OwnedRuntime,
}

/// The client's runtime, whose drop waits at most `SHUTDOWN_WAIT` for its threads. tokio's
/// own drop waits for every blocking task to return, so one stuck in the kernel (a read from
/// a hung network file system, the walk of a FUSE mount that never answers) would hang
/// `tos_client_free` for good. Such a thread is left to finish on its own: it owns what it
/// uses, and no callback of the caller's runs on it.
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for OwnedRuntime {
    type Target = tokio::runtime::Runtime;
    fn deref(&self) -> &tokio::runtime::Runtime {
        self.0.as_ref().expect("the runtime is taken only by drop")
    }
}

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_timeout(SHUTDOWN_WAIT);
        }
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client> {
        super::logger::init_from_env();
        let config = config.resolve_env()?;
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(8);
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder
            .worker_threads(threads)
            .max_blocking_threads(64)
            .thread_name("tosupload-worker")
            .enable_all();
        if let Some(hook) = config.on_thread_start.clone() {
            builder.on_thread_start(move || hook());
        }
        let runtime = builder.build().map_err(|e| {
            UploadError::new(ErrorKind::Internal, "cannot start the runtime").with_cause(e)
        })?;
        // reqwest's client must be built inside a runtime context for its timers.
        let wire = {
            let _guard = runtime.enter();
            Arc::new(Wire::new(&config)?)
        };
        Ok(Client {
            wire,
            runtime: OwnedRuntime(Some(runtime)),
        })
    }

    /// Uploads a folder tree, blocking like `upload_file`; every callback runs on this thread.
    /// Per-file failures are listed in the output (the call itself fails only on bad input,
    /// pause or abort). The upload itself runs on the runtime's threads
    /// (`upload_dir::caller_queue` says why).
    pub fn upload_dir(
        &self,
        request: UploadDirRequest,
        observers: DirObservers,
    ) -> Result<UploadDirOutput> {
        self.refuse_nested_call()?;
        self.run_folder(observers, "the directory upload", |callbacks| {
            upload_dir::upload_dir(Arc::clone(&self.wire), request, callbacks)
        })
    }

    /// A folder call: its loop runs on the runtime beside its connections while this thread
    /// serves its callbacks from the queue (`upload_dir::caller_queue` says why), until the
    /// loop ends.
    fn run_folder<T, F>(
        &self,
        mut observers: DirObservers,
        what: &str,
        start: impl FnOnce(DirCallbacks) -> F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let queue = Arc::new(CallerQueue::default());
        let callbacks = DirCallbacks {
            queue: Arc::clone(&queue),
            wants_events: observers.event.is_some(),
            wants_progress: observers.progress.is_some(),
            has_acquire: observers.acquire.is_some(),
            shared_limiter: observers.shared_limiter.clone(),
        };
        let work = start(callbacks);
        let finish = FinishOnDrop(Arc::clone(&queue));
        let task = self.runtime.spawn(async move {
            let _finish = finish;
            work.await
        });
        // A callback that panics unwinds out of `serve`: the work must not go on alone.
        let mut stop = AbortOnDrop(Some(task.abort_handle()));
        queue.serve(&mut observers);
        stop.0 = None;
        // The task is aborted only while unwinding, so a join error here is a panic of ours.
        self.runtime.block_on(task).unwrap_or_else(|e| {
            Err(UploadError::new(ErrorKind::Panic, format!("{what} panicked")).with_cause(e))
        })
    }

    fn refuse_nested_call(&self) -> Result<()> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                "an upload cannot be started from inside an upload callback or an async runtime thread",
            ));
        }
        Ok(())
    }

    /// Uploads one file, blocking the calling thread until it is done, paused or aborted.
    /// Every callback in `observers` runs on this thread, one at a time.
    pub fn upload_file(
        &self,
        request: UploadFileRequest,
        observers: Observers,
    ) -> Result<UploadFileOutput> {
        self.refuse_nested_call()?;
        self.runtime.block_on(upload::upload_file(
            Arc::clone(&self.wire),
            request,
            observers,
            upload::SharedLimits::default(),
        ))
    }

    /// Uploads everything `reader` yields, blocking the calling thread until the stream has
    /// ended and the object is complete, or the upload failed or was cancelled. `reader`
    /// and every callback in `observers` run on this thread, one at a time. Not resumable.
    pub fn upload_stream(
        &self,
        request: UploadStreamRequest,
        reader: &mut dyn std::io::Read,
        observers: Observers,
    ) -> Result<UploadFileOutput> {
        self.refuse_nested_call()?;
        self.runtime.block_on(upload_stream::upload_stream(
            Arc::clone(&self.wire),
            request,
            reader,
            observers,
        ))
    }

    /// Downloads one object to a file, resumably, blocking the calling thread until it is
    /// done, paused or aborted. Every callback in `observers` runs on this thread, one at a
    /// time.
    pub fn download_file(
        &self,
        request: DownloadFileRequest,
        observers: DownloadObservers,
    ) -> Result<DownloadFileOutput> {
        self.refuse_nested_call()?;
        self.runtime.block_on(download::download_file(
            Arc::clone(&self.wire),
            request,
            observers,
        ))
    }

    /// Downloads every object under a prefix into a folder, blocking like `download_file`;
    /// every callback runs on this thread. Per-file failures (hostile keys among them) are
    /// listed in the output; the call itself fails on bad input, a failed listing, pause or
    /// abort. Runs on the runtime's threads, as `upload_dir` does.
    pub fn download_dir(
        &self,
        request: DownloadDirRequest,
        observers: DownloadDirObservers,
    ) -> Result<DownloadDirOutput> {
        self.refuse_nested_call()?;
        self.run_folder(observers, "the directory download", |callbacks| {
            download_dir::download_dir(Arc::clone(&self.wire), request, callbacks)
        })
    }

    /// Lists the multipart uploads open under a prefix, page by page, blocking the calling
    /// thread.
    pub fn list_multipart_uploads(
        &self,
        request: ListUploadsRequest,
    ) -> Result<Vec<MultipartUpload>> {
        self.refuse_nested_call()?;
        self.runtime
            .block_on(open_uploads::list(&self.wire, request))
    }

    /// Aborts one multipart upload (its parts are deleted), blocking the calling thread.
    pub fn abort_multipart_upload(&self, request: AbortUploadRequest) -> Result<()> {
        self.refuse_nested_call()?;
        self.runtime
            .block_on(open_uploads::abort(&self.wire, request))
    }
}

/// Aborts the task when dropped while still armed.
struct AbortOnDrop(Option<tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn client() -> Client {
        let mut config = ClientConfig::new();
        config.endpoint = "http://127.0.0.1:9".into();
        config.region = "cn-beijing".into();
        config.access_key = "AK".into();
        config.secret_key = "SK".into();
        Client::new(config).unwrap()
    }

    #[test]
    fn dropping_an_idle_client_returns_at_once() {
        let client = client();
        client
            .runtime
            .block_on(async { tokio::task::yield_now().await });
        let freeing = Instant::now();
        drop(client);
        let took = freeing.elapsed();
        assert!(took < Duration::from_millis(200), "the drop took {took:?}");
    }

    #[test]
    fn dropping_the_client_does_not_wait_for_a_stuck_blocking_task() {
        let client = client();
        // As a read from a hung network file system would be: stuck in the kernel, deaf to
        // any cancel.
        let (started, running) = std::sync::mpsc::channel();
        client.runtime.spawn_blocking(move || {
            started.send(()).unwrap();
            std::thread::sleep(Duration::from_secs(20));
        });
        running.recv().unwrap();
        let freeing = Instant::now();
        drop(client);
        let took = freeing.elapsed();
        assert!(
            took < SHUTDOWN_WAIT + Duration::from_secs(1),
            "the drop took {took:?}"
        );
    }
}
