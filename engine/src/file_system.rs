//! File-system calls made where a hung file system cannot hold the caller: a stat or open on
//! a network file system whose server is gone sits in the kernel, deaf to any signal of ours,
//! for as long as the mount's own timeouts say (minutes, or forever on a "hard" NFS mount).
//! Such a call runs on the runtime's blocking pool while the caller waits for it, for the cancel
//! hook, or for `FILE_SYSTEM_TIMEOUT`, whichever comes first; a call given up on is left to
//! finish on its own thread (docs/robustness.md, "Hung file systems").

use crate::cancel::{CancelHook, CancelKind};
use crate::error::{ErrorKind, Result, UploadError};
use std::time::Duration;

/// How long one file-system call may take before the upload gives up on it.
pub const FILE_SYSTEM_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `work` off the calling thread. A pause or abort answers at once with the error of an
/// upload stopped before it started (`Paused`, `Aborted`): callers that have started, and so
/// have something to keep or clean up, check the hook and stop as they always do.
pub(crate) async fn off_caller<T: Send + 'static>(
    cancel: &CancelHook,
    what: &str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    if let Some(kind) = cancel.requested() {
        return Err(stopped(kind, what));
    }
    let task = tokio::task::spawn_blocking(work);
    tokio::select! {
        biased;
        _ = cancel.cancelled() => {
            let kind = cancel.requested().expect("cancelled() resolved");
            log::warn!("{what}: given up on at a cancel, still waiting in the file system");
            Err(stopped(kind, what))
        }
        joined = task => joined.map_err(|e| {
            UploadError::new(ErrorKind::Internal, format!("{what}: the file-system task failed"))
                .with_cause(e)
        })?,
        _ = tokio::time::sleep(FILE_SYSTEM_TIMEOUT) => Err(UploadError::new(
            ErrorKind::FileUnreadable,
            format!(
                "{what}: the file system gave no answer in {} s (a hung network mount?)",
                FILE_SYSTEM_TIMEOUT.as_secs()
            ),
        )),
    }
}

fn stopped(kind: CancelKind, what: &str) -> UploadError {
    let (kind, verb) = match kind {
        CancelKind::Pause => (ErrorKind::Paused, "paused"),
        CancelKind::Abort => (ErrorKind::Aborted, "aborted"),
    };
    UploadError::new(kind, format!("{verb} while {what}; nothing was sent"))
}
