//! Pause or abort an upload from any thread, including from inside a callback.

use crate::error::{ErrorKind, UploadError};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelKind {
    /// Stop, keep the multipart upload and the checkpoint for a later resume.
    Pause,
    /// Stop, abort the multipart upload and delete the checkpoint.
    Abort,
}

const PAUSE: u8 = 1;
const ABORT: u8 = 2;

/// Cheap to clone; all clones share one state. The first `cancel` wins, as in the Go SDK,
/// except that an abort may follow a pause that has not yet been acted on.
#[derive(Debug, Clone, Default)]
pub struct CancelHook {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    kind: AtomicU8,
    token: CancellationToken,
}

impl CancelHook {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self, kind: CancelKind) {
        let wanted = match kind {
            CancelKind::Pause => PAUSE,
            CancelKind::Abort => ABORT,
        };
        // Upgrade NONE or PAUSE to the requested kind, never downgrade ABORT.
        let _ = self
            .inner
            .kind
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |current| {
                (current < wanted).then_some(wanted)
            });
        self.inner.token.cancel();
    }

    pub fn requested(&self) -> Option<CancelKind> {
        match self.inner.kind.load(Ordering::Acquire) {
            PAUSE => Some(CancelKind::Pause),
            ABORT => Some(CancelKind::Abort),
            _ => None,
        }
    }

    /// Resolves once `cancel` has been called.
    pub async fn cancelled(&self) {
        self.inner.token.cancelled().await
    }
}

/// The error of an upload whose cancel hook was pulled before it sent anything.
pub(crate) fn stopped_before_start(kind: CancelKind) -> UploadError {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abort_overrides_pause_but_not_the_reverse() {
        let hook = CancelHook::new();
        assert_eq!(hook.requested(), None);
        hook.cancel(CancelKind::Pause);
        assert_eq!(hook.requested(), Some(CancelKind::Pause));
        hook.cancel(CancelKind::Abort);
        assert_eq!(hook.requested(), Some(CancelKind::Abort));
        hook.cancel(CancelKind::Pause);
        assert_eq!(hook.requested(), Some(CancelKind::Abort));
    }
}
