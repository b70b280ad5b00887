//! The download's callbacks: its progress and events as C structs, and the engine observers
//! that call the caller's functions with them.

use super::tos_download_file_input;
use crate::callbacks::{acquire_fn, UserData};
use crate::error::{cstring, path_cstring, tos_error};
use crate::guard::clone_arc;
use crate::reentrancy::in_callback;
use std::ffi::{c_char, c_void};
use std::ptr;
use std::sync::Arc;
use tosupload_engine::{
    DownloadEvent, DownloadEventKind, DownloadObservers, ProgressKind, ProgressStatus, RateLimiter,
};

/// `tos_download_progress.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_download_progress_kind {
    /// The download started (first call; `consumed_bytes` is what an earlier run kept).
    Started = 1,
    /// More bytes were written to the temporary file.
    ReadWrite = 2,
    /// The file is in place at its destination (last call on success).
    Succeeded = 3,
    /// The download failed or was aborted (last call then, once `STARTED` was sent: a download
    /// that fails at its first request, the HEAD, sends no progress; a pause has no final call).
    Failed = 4,
}

/// Progress of a download, passed to `tos_download_progress_cb`.
#[repr(C)]
pub struct tos_download_progress {
    /// `sizeof` this struct in the library that made it. A program compiled against a newer
    /// header reads a field only when `TOS_FIELD_PRESENT(ptr, type, field)` says the library
    /// wrote it.
    pub struct_size: usize,
    /// A `TOS_DOWNLOAD_PROGRESS_KIND_*` value.
    pub kind: u32,
    /// Bytes of the object in the temporary file so far (ranges kept from an earlier run
    /// included); never decreases within a call, never exceeds `total_bytes`.
    pub consumed_bytes: u64,
    /// The object's size.
    pub total_bytes: u64,
    /// Bytes added since the previous call.
    pub rw_once_bytes: u64,
}

/// `tos_download_event.kind`. 1-7 are the Go SDK's download event types; 8 and up are ours.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_download_event_kind {
    /// A new temporary file was made beside the destination (`temp_file`).
    CreateTempFileSucceeded = 1,
    /// The temporary file could not be made; `error` says why.
    CreateTempFileFailed = 2,
    /// A range is in the temporary file, synced, and recorded; `part` says which.
    DownloadPartSucceeded = 3,
    /// A range failed after its retries; `error` says why.
    DownloadPartFailed = 4,
    /// The download was aborted (`tos_abort`, or HTTP 403/404/405 on a range).
    DownloadPartAborted = 5,
    /// The temporary file was renamed over the destination.
    RenameTempFileSucceeded = 6,
    /// The rename failed; `error` says why.
    RenameTempFileFailed = 7,
    /// A range attempt failed and is retried from its last byte written; `error` says why.
    DownloadPartRetry = 8,
    /// The checkpoint was found valid: its ranges (each checked against the temporary file)
    /// are kept.
    DownloadResumed = 9,
    /// The checkpoint or a range it records was unusable (`error` says why): a fresh start.
    CheckpointDiscarded = 10,
    /// Automatic concurrency (`task_num` 0) now fetches `task_num` ranges at once: once at the
    /// start, then at each change its search makes.
    TaskNumChanged = 11,
}

impl From<DownloadEventKind> for tos_download_event_kind {
    fn from(kind: DownloadEventKind) -> Self {
        match kind {
            DownloadEventKind::CreateTempFileSucceeded => Self::CreateTempFileSucceeded,
            DownloadEventKind::CreateTempFileFailed => Self::CreateTempFileFailed,
            DownloadEventKind::DownloadPartSucceeded => Self::DownloadPartSucceeded,
            DownloadEventKind::DownloadPartFailed => Self::DownloadPartFailed,
            DownloadEventKind::DownloadPartAborted => Self::DownloadPartAborted,
            DownloadEventKind::RenameTempFileSucceeded => Self::RenameTempFileSucceeded,
            DownloadEventKind::RenameTempFileFailed => Self::RenameTempFileFailed,
            DownloadEventKind::DownloadPartRetry => Self::DownloadPartRetry,
            DownloadEventKind::DownloadResumed => Self::DownloadResumed,
            DownloadEventKind::CheckpointDiscarded => Self::CheckpointDiscarded,
            DownloadEventKind::TaskNumChanged => Self::TaskNumChanged,
        }
    }
}

/// One range of the object, in `tos_download_event.part`.
#[repr(C)]
pub struct tos_download_part_info {
    /// 1-based part number.
    pub number: u32,
    /// The range's first byte in the object.
    pub range_start: u64,
    /// The range's last byte (inclusive, as in the Go SDK's checkpoint).
    pub range_end: u64,
    /// True when `crc64` is set (a range written).
    pub has_crc64: bool,
    /// The range's CRC-64/XZ (ECMA-182), when `has_crc64`.
    pub crc64: u64,
}

/// A download event, passed to `tos_download_event_cb`. Every pointer in it is valid only
/// during the callback: copy what you keep. Fields may be appended in later versions: see
/// `struct_size`.
#[repr(C)]
pub struct tos_download_event {
    /// `sizeof` this struct in the library that made it (see `TOS_FIELD_PRESENT`).
    pub struct_size: usize,
    /// A `TOS_DOWNLOAD_EVENT_KIND_*` value.
    pub kind: u32,
    pub bucket: *const c_char,
    pub key: *const c_char,
    /// The version downloaded; NULL when none was asked for.
    pub version_id: *const c_char,
    /// The destination file.
    pub file_path: *const c_char,
    /// The temporary file beside it; NULL before one exists.
    pub temp_file: *const c_char,
    /// The checkpoint file; NULL when checkpointing is off.
    pub checkpoint_file: *const c_char,
    /// True when `part` describes a range.
    pub has_part: bool,
    /// The range the event is about, when `has_part`.
    pub part: tos_download_part_info,
    /// Why it failed (failure, retry, discard events); NULL otherwise. Lent: do not free.
    pub error: *const tos_error,
    /// For `TOS_DOWNLOAD_EVENT_KIND_TASK_NUM_CHANGED`: the ranges now fetched at once.
    pub task_num: u32,
}

/// Called with the progress of a download.
///
/// Threading contract: all callbacks of one download run on the thread that called
/// `tos_download_file`, one at a time, and never after it returns (so `user_data` may be
/// freed then). A call that sends requests or makes or frees a client returns
/// `TOS_ERR_REENTRANT_CALL` here; `tos_pause`, `tos_abort`, `tos_rate_limiter_set_rate` and
/// getters may be called. `progress` is valid only during the call.
pub type tos_download_progress_cb =
    Option<unsafe extern "C" fn(progress: *const tos_download_progress, user_data: *mut c_void)>;

/// Called for each download event (temp file made, range done, retry, resume, rename, ...).
/// Threading contract as `tos_download_progress_cb`; `event` and every pointer in it are
/// valid only during the call. Events are delivered in order but may lag the transfer by a
/// few ranges on a busy machine: to act at an exact byte, use the rate limiter callback,
/// which is asked before bytes are written.
pub type tos_download_event_cb =
    Option<unsafe extern "C" fn(event: *const tos_download_event, user_data: *mut c_void)>;

impl From<ProgressKind> for tos_download_progress_kind {
    fn from(kind: ProgressKind) -> Self {
        match kind {
            ProgressKind::Started => Self::Started,
            ProgressKind::ReadWrite => Self::ReadWrite,
            ProgressKind::Succeeded => Self::Succeeded,
            ProgressKind::Failed => Self::Failed,
        }
    }
}

pub(super) fn observers_from(input: &tos_download_file_input) -> DownloadObservers {
    let mut observers = DownloadObservers::default();
    if let Some(cb) = input.progress_cb {
        let user_data = UserData(input.progress_user_data);
        observers.progress = Some(Box::new(move |status: &ProgressStatus| {
            let progress = tos_download_progress {
                struct_size: std::mem::size_of::<tos_download_progress>(),
                kind: tos_download_progress_kind::from(status.kind) as u32,
                consumed_bytes: status.consumed_bytes,
                total_bytes: status.total_bytes,
                rw_once_bytes: status.rw_once_bytes,
            };
            // SAFETY: the caller's callback, called as its typedef documents.
            in_callback(|| unsafe { cb(&progress, user_data.get()) });
        }));
    }
    if let Some(cb) = input.event_cb {
        let user_data = UserData(input.event_user_data);
        observers.event = Some(Box::new(move |event: &DownloadEvent| {
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
    cb: unsafe extern "C" fn(*const tos_download_event, *mut c_void),
    user_data: *mut c_void,
    event: &DownloadEvent,
) {
    // Owned C copies that live until the callback returns.
    let bucket = cstring(&event.bucket);
    let key = cstring(&event.key);
    let version_id = event.version_id.as_deref().map(cstring);
    let file_path = path_cstring(&event.file_path);
    let temp_file = event.temp_file_path.as_deref().map(path_cstring);
    let checkpoint = event.checkpoint_file.as_deref().map(path_cstring);
    let error = event.error.as_ref().map(tos_error::from_upload_error);
    let part = event.part.as_ref();
    let c_event = tos_download_event {
        struct_size: std::mem::size_of::<tos_download_event>(),
        kind: tos_download_event_kind::from(event.kind) as u32,
        bucket: bucket.as_ptr(),
        key: key.as_ptr(),
        version_id: version_id.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        file_path: file_path.as_ptr(),
        temp_file: temp_file.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        checkpoint_file: checkpoint.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        has_part: part.is_some(),
        part: tos_download_part_info {
            number: part.map_or(0, |p| p.part_number),
            range_start: part.map_or(0, |p| p.range_start),
            range_end: part.map_or(0, |p| p.range_end),
            has_crc64: part.is_some_and(|p| p.crc64.is_some()),
            crc64: part.and_then(|p| p.crc64).unwrap_or(0),
        },
        error: error
            .as_ref()
            .map_or(ptr::null(), |e| e as *const tos_error),
        task_num: event.task_num.unwrap_or(0),
    };
    // SAFETY: the caller's callback, called as its typedef documents.
    in_callback(|| unsafe { cb(&c_event, user_data) });
}
