//! The one re-entrancy rule: while any callback of the library runs on a thread (the
//! callbacks of every call, and the log callback), that thread may not start another call
//! that sends requests or makes or frees a client. Such a call would block the callback's own
//! upload (its callbacks are served by that thread) or start and drop a runtime inside one.
//!
//! Enforced here, in the C layer, because only this layer sees every callback: the folder
//! upload serves its callbacks outside the engine's runtime, where the engine's own check
//! (a runtime context on the thread) cannot see them.

use super::error::tos_error;
use super::result::tos_result;
use std::cell::Cell;

thread_local! {
    /// How many library callbacks are running on this thread (nested: a log line written
    /// while a progress callback runs).
    static CALLBACKS_RUNNING: Cell<u32> = const { Cell::new(0) };
}

/// Runs one of the caller's callbacks, marking the thread as inside it (also if it unwinds,
/// which a C++ callback compiled with exceptions through C frames might).
pub(crate) fn in_callback<R>(call: impl FnOnce() -> R) -> R {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            CALLBACKS_RUNNING.with(|n| n.set(n.get().saturating_sub(1)));
        }
    }
    CALLBACKS_RUNNING.with(|n| n.set(n.get() + 1));
    let _leave = Leave;
    call()
}

/// True while a callback of the library runs on this thread.
pub(crate) fn inside_callback() -> bool {
    CALLBACKS_RUNNING.with(|n| n.get() > 0)
}

/// `TOS_ERR_REENTRANT_CALL` for `function` when called from inside a callback.
pub(crate) fn refuse_inside_callback(function: &str) -> Result<(), tos_error> {
    if inside_callback() {
        return Err(tos_error::new(
            tos_result::TOS_ERR_REENTRANT_CALL,
            format!(
                "{function} was called from inside a callback of the library; inside a callback \
                 only tos_pause, tos_abort, tos_cancel, tos_rate_limiter_set_rate, getters and \
                 other calls that send nothing may be made"
            ),
        ));
    }
    Ok(())
}
