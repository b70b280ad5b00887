//! Finding and removing multipart uploads left open on the server: a paused upload that is
//! never resumed, or one whose process died, keeps its parts (and their cost) until it is
//! aborted.

use crate::cancel::{CancelHook, CancelKind};
use crate::error::{ErrorKind, Result, UploadError};
use crate::wire::{Object, Wire};
use std::future::Future;

/// What `Client::list_multipart_uploads` lists.
#[derive(Debug, Clone, Default)]
pub struct ListUploadsRequest {
    pub bucket: String,
    /// Only keys starting with it; empty = every key.
    pub prefix: String,
    /// Stop after this many uploads; 0 = all of them (up to a bound of a million).
    pub limit: usize,
    /// Uploads asked for per request, 1..=1000; 0 = 1000.
    pub page_size: u32,
    /// Stops the listing: it then fails with `Paused` or `Aborted`, as the hook was pulled.
    pub cancel: Option<CancelHook>,
}

/// A multipart upload still open on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartUpload {
    pub key: String,
    pub upload_id: String,
    /// When it was created, in Unix seconds; `None` when the server sent no readable time.
    pub initiated: Option<i64>,
}

/// What `Client::abort_multipart_upload` removes.
#[derive(Debug, Clone, Default)]
pub struct AbortUploadRequest {
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub cancel: Option<CancelHook>,
}

pub(crate) async fn list(wire: &Wire, request: ListUploadsRequest) -> Result<Vec<MultipartUpload>> {
    wire.check_bucket(&request.bucket)?;
    wire.check_prefix(&request.prefix)?;
    if request.page_size > crate::wire::uploads::MAX_PAGE {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            format!(
                "page size {} is above the servers' maximum of 1000",
                request.page_size
            ),
        ));
    }
    let page_size = match request.page_size {
        0 => crate::wire::uploads::MAX_PAGE,
        size => size,
    };
    let listing =
        wire.list_multipart_uploads(&request.bucket, &request.prefix, page_size, request.limit);
    let listed = cancellable(request.cancel.as_ref(), "listing", listing).await?;
    Ok(listed
        .into_iter()
        .map(|u| MultipartUpload {
            key: u.key,
            upload_id: u.upload_id,
            initiated: u.initiated,
        })
        .collect())
}

pub(crate) async fn abort(wire: &Wire, request: AbortUploadRequest) -> Result<()> {
    wire.check_bucket(&request.bucket)?;
    wire.check_key(&request.key)?;
    if request.upload_id.trim().is_empty() {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            "the upload id is empty",
        ));
    }
    let object = Object {
        bucket: &request.bucket,
        key: &request.key,
    };
    let aborting = wire.abort_multipart_upload(object, &request.upload_id);
    cancellable(request.cancel.as_ref(), "abort", aborting).await
}

/// Runs `work` until it ends or the hook is pulled; the request in flight is dropped then.
async fn cancellable<T>(
    hook: Option<&CancelHook>,
    what: &str,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    let Some(hook) = hook else {
        return work.await;
    };
    let stopped = |kind| {
        let (kind, how) = match kind {
            Some(CancelKind::Abort) => (ErrorKind::Aborted, "aborted"),
            _ => (ErrorKind::Paused, "paused"),
        };
        UploadError::new(kind, format!("the {what} was {how} by its cancel hook"))
    };
    if hook.requested().is_some() {
        return Err(stopped(hook.requested()));
    }
    tokio::select! {
        done = work => done,
        _ = hook.cancelled() => Err(stopped(hook.requested())),
    }
}
