//! `tos_cancel_hook`: pause or abort a call from any thread, including from inside one of
//! its callbacks.

use super::result::tos_result;
use std::sync::Arc;
use tosupload_engine::{CancelHook, CancelKind};

/// A switch that stops the calls it is given to (the `cancel_hook` field of every input).
/// Thread-safe; one hook may be shared by several uploads. Made by `tos_cancel_hook_new`,
/// freed by `tos_cancel_hook_free`.
pub struct tos_cancel_hook {
    pub(crate) hook: CancelHook,
}

/// Makes a cancel hook. Never returns NULL (when memory runs out the process aborts, as Rust's
/// allocator does; the library makes no attempt to report it).
#[no_mangle]
pub extern "C" fn tos_cancel_hook_new() -> *const tos_cancel_hook {
    ffi_panic_boundary! {
        Arc::into_raw(Arc::new(tos_cancel_hook { hook: CancelHook::new() }))
    }
}

/// Pauses every call using `hook`, now and later: it returns `TOS_PAUSED` and keeps what
/// lets it resume (a multipart upload and its checkpoint), so the same call made again
/// continues where it stopped. A single PutObject stores nothing and is sent again next time;
/// `tos_upload_stream`, which cannot be resumed, aborts instead (`TOS_ABORTED`); a listing
/// stops. Returns at once; may be called from any thread and from inside a callback. Once
/// pulled, a hook stays pulled: use a new one for the next call. An abort may still follow a
/// pause not yet acted on. Returns `TOS_ERR_NULL_ARGUMENT` if `hook` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_pause(hook: *const tos_cancel_hook) -> tos_result {
    pull(hook, CancelKind::Pause)
}

/// Aborts every call using `hook`, now and later: it returns `TOS_ABORTED` after deleting what
/// it had made (the multipart upload on the server, the checkpoint). Returns at once; may be
/// called from any thread and from inside a callback. A pause not yet acted on is turned into
/// an abort. Returns `TOS_ERR_NULL_ARGUMENT` if `hook` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_abort(hook: *const tos_cancel_hook) -> tos_result {
    pull(hook, CancelKind::Abort)
}

/// The 0.x spelling of `tos_pause` (`is_abort` false) and `tos_abort` (`is_abort` true), kept
/// as an alias.
#[no_mangle]
pub unsafe extern "C" fn tos_cancel(hook: *const tos_cancel_hook, is_abort: bool) -> tos_result {
    pull(
        hook,
        if is_abort {
            CancelKind::Abort
        } else {
            CancelKind::Pause
        },
    )
}

unsafe fn pull(hook: *const tos_cancel_hook, kind: CancelKind) -> tos_result {
    ffi_panic_boundary! {
        let Some(hook) = hook.as_ref() else {
            return tos_result::TOS_ERR_NULL_ARGUMENT;
        };
        hook.hook.cancel(kind);
        tos_result::TOS_OK
    }
}

/// Frees a cancel hook. Accepts NULL. Uploads still using it keep their own reference, so it
/// may be freed as soon as the call using it has started (but then nothing can cancel them).
#[no_mangle]
pub unsafe extern "C" fn tos_cancel_hook_free(hook: *const tos_cancel_hook) {
    ffi_panic_boundary! {
        if !hook.is_null() {
            drop(Arc::from_raw(hook));
        }
    }
}
