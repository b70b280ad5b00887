//! `tos_set_log_callback`: the library's diagnostics (one line per request with its
//! operation, key, status, request id and timing at debug level; retries and failures at
//! warn / error; the HTTP and TLS crates' own lines at debug and trace) delivered to the
//! caller through the engine's `log` logger. Never a header, a signature or a secret.

use super::reentrancy::in_callback;
use super::result::tos_result;
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use tosupload_engine::logger::{self, Level, Sink};

/// `max_level` of `tos_set_log_callback` and the `level` passed to `tos_log_cb`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_log_level {
    /// Errors only.
    Error = 1,
    /// Trouble the library works around (a checkpoint discarded, ...).
    Warn = 2,
    /// Uploads starting, completing or stopping, and retries.
    Info = 3,
    /// Also one line per HTTP request: operation, bucket/key, part, HTTP status, request id,
    /// time taken, attempt; and connections made and reused, as the HTTP crates log them.
    Debug = 4,
    /// Everything the library logs, with the HTTP and TLS crates' traces (handshakes,
    /// connection pool).
    Trace = 5,
}

/// Receives one log line. `level` is a `TOS_LOG_LEVEL_*` value; `message` is a
/// NUL-terminated UTF-8 line without a trailing newline, valid only during the call. A line
/// of one of the HTTP or TLS crates starts with its source and a colon
/// (`hyper_util::client::legacy::pool: ...`, `rustls::...`).
///
/// Threading contract: unlike the upload callbacks, this one may be called from any thread
/// of the library (runtime workers, the threads that called `tos_upload_file` /
/// `tos_upload_dir`, ...) and from several threads at once, also after an upload call has
/// returned: it must be thread-safe, quick, and must not call back into the library except
/// `tos_result_name` and `tos_version`. `user_data` is the one given to
/// `tos_set_log_callback`.
pub type tos_log_cb =
    Option<unsafe extern "C" fn(level: u32, message: *const c_char, user_data: *mut c_void)>;

/// The caller's `user_data`, shared with every library thread: the callback's contract says
/// it must be thread-safe.
struct SharedUserData(*mut c_void);
// SAFETY: see above; the pointer is only handed back to the caller's thread-safe callback.
unsafe impl Send for SharedUserData {}
// SAFETY: as for Send.
unsafe impl Sync for SharedUserData {}

impl SharedUserData {
    fn get(&self) -> *mut c_void {
        self.0
    }
}

/// Sends the library's log lines with level `<= max_level` (`TOS_LOG_LEVEL_ERROR` = 1 ..
/// `TOS_LOG_LEVEL_TRACE` = 5; a larger number is `TOS_ERR_INVALID_ARGUMENT`, nothing changed) to `cb`, process-wide,
/// replacing any earlier callback and the `TOS_LOG` stderr logger. `cb` NULL or `max_level`
/// 0 turns logging off. A line already being delivered when the callback is replaced may
/// still reach the old callback, so keep the old `user_data` valid a moment longer (or for
/// the life of the process).
///
/// Without a callback, `TOS_LOG=error|warn|info|debug|trace` in the environment (read when
/// the first client is created) prints the lines to stderr. Requests are logged by
/// operation, key, status and request id: never a header, a signature or a key, also not by
/// the HTTP and TLS crates (tested at trace level).
///
/// Thread-safe. Returns `TOS_OK`, or `TOS_ERR_INVALID_ARGUMENT` for a `max_level` above 5.
#[no_mangle]
pub unsafe extern "C" fn tos_set_log_callback(
    cb: tos_log_cb,
    max_level: u32,
    user_data: *mut c_void,
) -> tos_result {
    ffi_panic_boundary! {
        if max_level > tos_log_level::Trace as u32 {
            return tos_result::TOS_ERR_INVALID_ARGUMENT;
        }
        // Read TOS_LOG first, so a later first client does not replace this callback.
        logger::init_from_env();
        let level = logger::level_from_number(max_level);
        match (cb, level) {
            (Some(cb), Some(level)) => {
                let user_data = SharedUserData(user_data);
                let sink: Sink = Arc::new(move |level: Level, message: &str| {
                    let line = CString::new(message.replace('\0', "\u{fffd}"))
                        .unwrap_or_default();
                    // SAFETY: the caller's callback, called as its typedef documents.
                    in_callback(|| unsafe { cb(level as u32, line.as_ptr(), user_data.get()) });
                });
                logger::set_sink(Some(sink), level);
            }
            _ => logger::set_sink(None, Level::Error),
        }
        tos_result::TOS_OK
    }
}
