//! The directory upload's callbacks: its aggregate progress and per-file events, as C
//! structs, and the engine observers that call the caller's functions with them.

use super::tos_upload_dir_input;
use crate::callbacks::{acquire_fn, UserData};
use crate::error::tos_error;
use crate::folder::EventStrings;
use crate::guard::clone_arc;
use crate::reentrancy::in_callback;
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use tosupload_engine::{DirEvent, DirEventKind, DirObservers, DirProgress, RateLimiter};

/// The progress of a directory upload, passed to `tos_upload_dir_progress_cb`. The totals grow
/// while the directory is still being walked (`walk_complete` false) and are final after.
#[repr(C)]
pub struct tos_upload_dir_progress {
    /// `sizeof` this struct in the library that made it. A program compiled against a newer
    /// header reads a field only when `TOS_FIELD_PRESENT(ptr, type, field)` says the library
    /// wrote it.
    pub struct_size: usize,
    /// Bytes of the files done so far (sent now, or found uploaded by an earlier run).
    pub bytes_done: u64,
    /// Bytes of every file found so far.
    pub bytes_total: u64,
    /// Files done (uploaded, or found uploaded by an earlier run).
    pub files_done: u64,
    /// Files found so far.
    pub files_total: u64,
    /// Of `files_done`, the files found uploaded by an earlier run (checkpoint journal, or
    /// `skip_existing`).
    pub files_skipped: u64,
    /// Files that failed.
    pub files_failed: u64,
    /// True once the whole tree has been walked.
    pub walk_complete: bool,
}

/// `tos_upload_dir_event.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_upload_dir_event_kind {
    /// A file's upload starts. Exactly one SUCCEEDED, FAILED or SKIPPED follows for the same
    /// path: SKIPPED when `skip_existing` then finds the file on the server. A file the
    /// journal or a policy skips gets SKIPPED alone, without STARTED.
    FileStarted = 1,
    /// A file was uploaded; `etag` and `crc64` are set.
    FileSucceeded = 2,
    /// A file failed (or could not be read or listed); `error` says why.
    FileFailed = 3,
    /// A file is not uploaded: already uploaded by an earlier run (per the journal, or found on
    /// the server by `skip_existing`; `etag` set, `crc64` when known), or left out by policy (a symbolic link not followed, not a regular file); `reason` says.
    FileSkipped = 4,
    /// Automatic file concurrency (`file_concurrency` 0) now uploads `file_concurrency` files
    /// at once: once at the start, then at each change. `path` and `key` are empty.
    FileConcurrencyChanged = 5,
}

impl From<DirEventKind> for tos_upload_dir_event_kind {
    fn from(kind: DirEventKind) -> Self {
        match kind {
            DirEventKind::FileStarted => Self::FileStarted,
            DirEventKind::FileSucceeded => Self::FileSucceeded,
            DirEventKind::FileFailed => Self::FileFailed,
            DirEventKind::FileSkipped => Self::FileSkipped,
            DirEventKind::FileConcurrencyChanged => Self::FileConcurrencyChanged,
        }
    }
}

/// A per-file event of a directory upload, passed to `tos_upload_dir_event_cb`. Every pointer in it
/// is valid only during the callback: copy what you keep. Fields may be appended in later versions: see `struct_size`.
#[repr(C)]
pub struct tos_upload_dir_event {
    /// `sizeof` this struct in the library that made it. A program compiled against a newer
    /// header reads a field only when `TOS_FIELD_PRESENT(ptr, type, field)` says the library
    /// wrote it.
    pub struct_size: usize,
    /// A `TOS_UPLOAD_DIR_EVENT_KIND_*` value.
    pub kind: u32,
    /// The local path (as found by the walk: `dir` joined with the relative path).
    pub path: *const c_char,
    /// The object key (`prefix` + the path relative to `dir`, with `/` separators).
    pub key: *const c_char,
    /// The file's size in bytes (0 when it could not be read).
    pub size: u64,
    /// The object's ETag (quoted, as the server sent it) on success or "already uploaded";
    /// NULL otherwise.
    pub etag: *const c_char,
    /// True when `crc64` is set.
    pub has_crc64: bool,
    /// The object's CRC-64/XZ (ECMA-182), when `has_crc64`.
    pub crc64: u64,
    /// Why a file was skipped; NULL otherwise.
    pub reason: *const c_char,
    /// Why a file failed; NULL otherwise. Lent: do not free.
    pub error: *const tos_error,
    /// For `TOS_UPLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED`: the files now uploaded at once;
    /// 0 otherwise.
    pub file_concurrency: u32,
}

/// Called with the aggregate progress of a directory upload: at most every 100 ms while it
/// changes, once when the walk completes, and once at the end.
///
/// Threading contract: all callbacks of one directory upload run on the thread that called
/// `tos_upload_dir`, one at a time, and never after it returns (so `user_data` may be freed
/// then). A call that sends requests
/// or makes or frees a client returns `TOS_ERR_REENTRANT_CALL` here; `tos_pause`, `tos_abort`,
/// `tos_rate_limiter_set_rate` and getters may be called. `progress` is valid only during the call. `user_data` is
/// `tos_upload_dir_input.progress_user_data`.
pub type tos_upload_dir_progress_cb =
    Option<unsafe extern "C" fn(progress: *const tos_upload_dir_progress, user_data: *mut c_void)>;

/// Called for each file of a directory upload: started, succeeded, failed, skipped. Events
/// arrive in batches, at most about 5 ms after they happen; while this callback is 4,096
/// events behind, no new file starts.
///
/// Threading contract: as `tos_upload_dir_progress_cb` (the calling thread, one at a time, never
/// after `tos_upload_dir` returns). `event` and every pointer in it are valid only during the
/// call. `user_data` is `tos_upload_dir_input.event_user_data`.
pub type tos_upload_dir_event_cb =
    Option<unsafe extern "C" fn(event: *const tos_upload_dir_event, user_data: *mut c_void)>;

pub(super) fn observers_from(input: &tos_upload_dir_input) -> DirObservers {
    let mut observers = DirObservers::default();
    if let Some(cb) = input.progress_cb {
        let user_data = UserData(input.progress_user_data);
        observers.progress = Some(Box::new(move |p: &DirProgress| {
            let progress = tos_upload_dir_progress {
                struct_size: std::mem::size_of::<tos_upload_dir_progress>(),
                bytes_done: p.bytes_done,
                bytes_total: p.bytes_total,
                files_done: p.files_done,
                files_total: p.files_total,
                files_skipped: p.files_skipped,
                files_failed: p.files_failed,
                walk_complete: p.walk_complete,
            };
            // SAFETY: the caller's callback, called as its typedef documents.
            in_callback(|| unsafe { cb(&progress, user_data.get()) });
        }));
    }
    if let Some(cb) = input.event_cb {
        let user_data = UserData(input.event_user_data);
        observers.event = Some(Box::new(move |event: &DirEvent| {
            call_event(cb, user_data.get(), event)
        }));
    }
    observers.acquire = acquire_fn(input.rate_limiter_cb, input.rate_limiter_user_data);
    // SAFETY: NULL or a live limiter, per the field's contract.
    observers.shared_limiter =
        unsafe { clone_arc(input.rate_limiter) }.map(|l| l as Arc<dyn RateLimiter>);
    observers
}

fn call_event(
    cb: unsafe extern "C" fn(*const tos_upload_dir_event, *mut c_void),
    user_data: *mut c_void,
    event: &DirEvent,
) {
    // Owned C copies that live until the callback returns.
    let strings = EventStrings::of(event);
    let c_event = tos_upload_dir_event {
        struct_size: std::mem::size_of::<tos_upload_dir_event>(),
        kind: tos_upload_dir_event_kind::from(event.kind) as u32,
        path: strings.path.as_ptr(),
        key: strings.key.as_ptr(),
        size: event.size,
        etag: strings.etag(),
        has_crc64: event.crc64.is_some(),
        crc64: event.crc64.unwrap_or(0),
        reason: strings.reason(),
        error: strings.error(),
        file_concurrency: event.file_concurrency.unwrap_or(0),
    };
    // SAFETY: the caller's callback, called as its typedef documents.
    in_callback(|| unsafe { cb(&c_event, user_data) });
}
