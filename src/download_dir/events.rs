//! The folder download's callbacks: its aggregate progress and per-file events as C structs,
//! and the engine observers that call the caller's functions with them.

use super::tos_download_dir_input;
use crate::callbacks::{acquire_fn, UserData};
use crate::error::tos_error;
use crate::folder::EventStrings;
use crate::guard::clone_arc;
use crate::reentrancy::in_callback;
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use tosupload_engine::{DirEvent, DirEventKind, DirObservers, DirProgress, RateLimiter};

/// The progress of a folder download, passed to `tos_download_dir_progress_cb`. The totals
/// grow while the bucket is still being listed (`listing_complete` false) and are final after.
#[repr(C)]
pub struct tos_download_dir_progress {
    /// `sizeof` this struct in the library that made it (see `TOS_FIELD_PRESENT`).
    pub struct_size: usize,
    /// Bytes of the objects done so far (written now, or found done by an earlier run).
    pub bytes_done: u64,
    /// Bytes of every object listed so far.
    pub bytes_total: u64,
    /// Objects done (downloaded, or found done by an earlier run).
    pub files_done: u64,
    /// Objects listed so far.
    pub files_total: u64,
    /// Of `files_done`, those not fetched: journal, or `skip_existing`.
    pub files_skipped: u64,
    /// Objects that failed.
    pub files_failed: u64,
    /// True once the whole prefix has been listed.
    pub listing_complete: bool,
}

/// `tos_download_dir_event.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_download_dir_event_kind {
    /// An object's download starts. Exactly one SUCCEEDED, FAILED or SKIPPED follows for the
    /// same key. An object the journal skips gets SKIPPED alone.
    FileStarted = 1,
    /// An object is in place at `path` (or, for a key ending in `/`, the directory was made).
    FileSucceeded = 2,
    /// An object failed (a refused key, a local write error, the network...); `error` says why.
    FileFailed = 3,
    /// An object is not fetched: done by an earlier run (journal), or a local file of the same
    /// size and CRC-64 is there (`skip_existing`); `reason` says.
    FileSkipped = 4,
    /// Automatic file concurrency (`file_concurrency` 0) now downloads `file_concurrency`
    /// objects at once. `path` and `key` are empty.
    FileConcurrencyChanged = 5,
}

impl From<DirEventKind> for tos_download_dir_event_kind {
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

/// A per-object event of a folder download, passed to `tos_download_dir_event_cb`. Every
/// pointer in it is valid only during the callback: copy what you keep. Fields may be
/// appended in later versions: see `struct_size`.
#[repr(C)]
pub struct tos_download_dir_event {
    /// `sizeof` this struct in the library that made it (see `TOS_FIELD_PRESENT`).
    pub struct_size: usize,
    /// A `TOS_DOWNLOAD_DIR_EVENT_KIND_*` value.
    pub kind: u32,
    /// The local path: `dir` joined with the key's part after `prefix`.
    pub path: *const c_char,
    /// The object key.
    pub key: *const c_char,
    /// The object's size in bytes.
    pub size: u64,
    /// The object's ETag (quoted) when known; NULL otherwise.
    pub etag: *const c_char,
    /// True when `crc64` is set.
    pub has_crc64: bool,
    /// The object's CRC-64/XZ (ECMA-182), when `has_crc64`.
    pub crc64: u64,
    /// Why an object was skipped; NULL otherwise.
    pub reason: *const c_char,
    /// Why an object failed; NULL otherwise. Lent: do not free.
    pub error: *const tos_error,
    /// For `TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED`: the objects now fetched at
    /// once; 0 otherwise.
    pub file_concurrency: u32,
}

/// Called with the aggregate progress of a folder download: at most every 100 ms while it
/// changes, once when the listing completes, and once at the end. Threading contract as every
/// callback: the calling thread, one at a time, never after `tos_download_dir` returns; a call
/// that sends requests returns `TOS_ERR_REENTRANT_CALL` here.
pub type tos_download_dir_progress_cb = Option<
    unsafe extern "C" fn(progress: *const tos_download_dir_progress, user_data: *mut c_void),
>;

/// Called for each object of a folder download: started, succeeded, failed, skipped. Events
/// arrive in batches, a few milliseconds after they happen. Threading contract as
/// `tos_download_dir_progress_cb`; `event` and its pointers are valid only during the call.
pub type tos_download_dir_event_cb =
    Option<unsafe extern "C" fn(event: *const tos_download_dir_event, user_data: *mut c_void)>;

pub(super) fn observers_from(input: &tos_download_dir_input) -> DirObservers {
    let mut observers = DirObservers::default();
    if let Some(cb) = input.progress_cb {
        let user_data = UserData(input.progress_user_data);
        observers.progress = Some(Box::new(move |p: &DirProgress| {
            let progress = tos_download_dir_progress {
                struct_size: std::mem::size_of::<tos_download_dir_progress>(),
                bytes_done: p.bytes_done,
                bytes_total: p.bytes_total,
                files_done: p.files_done,
                files_total: p.files_total,
                files_skipped: p.files_skipped,
                files_failed: p.files_failed,
                listing_complete: p.walk_complete,
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
    cb: unsafe extern "C" fn(*const tos_download_dir_event, *mut c_void),
    user_data: *mut c_void,
    event: &DirEvent,
) {
    // Owned C copies that live until the callback returns.
    let strings = EventStrings::of(event);
    let c_event = tos_download_dir_event {
        struct_size: std::mem::size_of::<tos_download_dir_event>(),
        kind: tos_download_dir_event_kind::from(event.kind) as u32,
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
