//! `tos_cancel_hook`: pause or abort an upload from any thread, including from inside one of
//! its callbacks.

use super::result::tos_result;
use std::sync::Arc;
use tosupload_engine::{CancelHook, CancelKind};

/// A switch that stops the uploads it is given to (`tos_upload_file_input.cancel_hook`).
/// Thread-safe; one hook may be shared by several uploads. Made by `tos_cancel_hook_new`,
/// freed by `tos_cancel_hook_free`.
pub struct tos_cancel_hook {
    pub(crate) hook: CancelHook,
}

/// Makes a cancel hook. Returns NULL only if memory ran out (or on an internal error).
#[no_mangle]
pub extern "C" fn tos_cancel_hook_new() -> *const tos_cancel_hook {
    ffi_panic_boundary! {
        Arc::into_raw(Arc::new(tos_cancel_hook { hook: CancelHook::new() }))
    }
}

/// Stops every upload using `hook`, now and later. `is_abort` false pauses: the upload returns
/// `TOS_PAUSED` and keeps its multipart upload and checkpoint, so the same call resumes it.
/// `is_abort` true aborts: the upload returns `TOS_ABORTED` after aborting the multipart upload
/// on the server and deleting the checkpoint. The first request wins, except that an abort
/// may follow a pause not yet acted on. `tos_upload_stream` cannot be paused: there both abort
/// and return `TOS_ABORTED`. Returns at once; may be called from any thread and
/// from inside a callback. Returns `TOS_ERR_NULL_ARGUMENT` if `hook` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_cancel(hook: *const tos_cancel_hook, is_abort: bool) -> tos_result {
    ffi_panic_boundary! {
        let Some(hook) = hook.as_ref() else {
            return tos_result::TOS_ERR_NULL_ARGUMENT;
        };
        hook.hook.cancel(if is_abort { CancelKind::Abort } else { CancelKind::Pause });
        tos_result::TOS_OK
    }
}

/// Frees a cancel hook. Accepts NULL. Uploads still using it keep their own reference, so it
/// may be freed as soon as `tos_upload_file` has started (but then nothing can cancel them).
#[no_mangle]
pub unsafe extern "C" fn tos_cancel_hook_free(hook: *const tos_cancel_hook) {
    ffi_panic_boundary! {
        if !hook.is_null() {
            drop(Arc::from_raw(hook));
        }
    }
}
