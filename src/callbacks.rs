//! The C callbacks of an upload (progress, events, rate limiter), adapted into the engine's
//! closures (the directory upload's own progress and event callbacks are in `upload_dir`).
//! All of them run on the thread that called `tos_upload_file`, one at a time,
//! and never after it returns (the engine's `Observers` contract), so `user_data` needs no
//! locking and may be freed once `tos_upload_file` has returned.

use super::error::{cstring, tos_error};
use super::rate_limiter::tos_rate_limiter;
use super::reentrancy::in_callback;
use std::ffi::{c_char, c_int, c_void, CString};
use std::os::unix::ffi::OsStrExt;
use std::ptr;
use std::sync::Arc;
use std::time::Duration;
use tosupload_engine::AcquireFn;
use tosupload_engine::{
    Observers, Permit, ProgressKind, ProgressStatus, RateLimiter, UploadEvent, UploadEventKind,
};

/// `tos_upload_progress.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_upload_progress_kind {
    /// The upload started (first call).
    Started = 1,
    /// More bytes were sent.
    ReadWrite = 2,
    /// The upload completed (last call on success).
    Succeeded = 3,
    /// The upload failed or was aborted (last call then, once `STARTED` was sent: a call
    /// refused before it starts sends no progress; a pause has no final call).
    Failed = 4,
}

/// Progress of an upload, passed to `tos_upload_progress_cb`.
#[repr(C)]
pub struct tos_upload_progress {
    /// `sizeof` this struct in the library that made it. A program compiled against a newer
    /// header reads a field only when `TOS_FIELD_PRESENT(ptr, type, field)` says the library
    /// wrote it.
    pub struct_size: usize,
    /// A `TOS_UPLOAD_PROGRESS_KIND_*` value.
    pub kind: u32,
    /// Bytes of the file sent so far (handed to the connection), counting each byte once
    /// even when its part is retried; never decreases within a call, never exceeds
    /// `total_bytes`. After a pause, the next call starts from the parts the server
    /// confirmed, which may be less than the last value seen before the pause.
    pub consumed_bytes: u64,
    /// The size of the file. For `tos_upload_stream`, whose size is known only at its end:
    /// the bytes read from the stream so far.
    pub total_bytes: u64,
    /// Bytes added since the previous call.
    pub rw_once_bytes: u64,
}

/// `tos_upload_event.kind`. 1-7 are the Go SDK's upload event types; 8 and up are ours.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_upload_event_kind {
    CreateMultipartUploadSucceeded = 1,
    CreateMultipartUploadFailed = 2,
    /// `part` describes the part sent, with its ETag and CRC-64.
    UploadPartSucceeded = 3,
    UploadPartFailed = 4,
    /// The upload was aborted: by `tos_abort(hook)`, or because a part got HTTP 403,
    /// 404 or 405 (`part` and `error` then say which and why).
    UploadPartAborted = 5,
    CompleteMultipartUploadSucceeded = 6,
    CompleteMultipartUploadFailed = 7,
    /// A part attempt failed and will be retried; `error` says why.
    UploadPartRetry = 8,
    /// An upload id from the checkpoint was confirmed with the server and is being continued.
    UploadResumed = 9,
    /// The checkpoint was unusable and a fresh upload starts; `error` says why.
    CheckpointDiscarded = 10,
    /// The part size was raised so the file fits in 10,000 parts; `part.size` is the new size.
    PartSizeAdjusted = 11,
    /// Automatic concurrency (`task_num` 0) now sends `task_num` parts at once: once at the
    /// start, then at each change its search makes.
    TaskNumChanged = 12,
}

impl From<UploadEventKind> for tos_upload_event_kind {
    fn from(kind: UploadEventKind) -> Self {
        match kind {
            UploadEventKind::CreateMultipartUploadSucceeded => Self::CreateMultipartUploadSucceeded,
            UploadEventKind::CreateMultipartUploadFailed => Self::CreateMultipartUploadFailed,
            UploadEventKind::UploadPartSucceeded => Self::UploadPartSucceeded,
            UploadEventKind::UploadPartFailed => Self::UploadPartFailed,
            UploadEventKind::UploadPartAborted => Self::UploadPartAborted,
            UploadEventKind::CompleteMultipartUploadSucceeded => {
                Self::CompleteMultipartUploadSucceeded
            }
            UploadEventKind::CompleteMultipartUploadFailed => Self::CompleteMultipartUploadFailed,
            UploadEventKind::UploadPartRetry => Self::UploadPartRetry,
            UploadEventKind::UploadResumed => Self::UploadResumed,
            UploadEventKind::CheckpointDiscarded => Self::CheckpointDiscarded,
            UploadEventKind::PartSizeAdjusted => Self::PartSizeAdjusted,
            UploadEventKind::TaskNumChanged => Self::TaskNumChanged,
        }
    }
}

impl From<ProgressKind> for tos_upload_progress_kind {
    fn from(kind: ProgressKind) -> Self {
        match kind {
            ProgressKind::Started => Self::Started,
            ProgressKind::ReadWrite => Self::ReadWrite,
            ProgressKind::Succeeded => Self::Succeeded,
            ProgressKind::Failed => Self::Failed,
        }
    }
}

/// One part of a multipart upload, in `tos_upload_event.part`.
#[repr(C)]
pub struct tos_part_info {
    /// 1-based part number.
    pub number: u32,
    /// Bytes in the part.
    pub size: u64,
    /// Where the part starts in the file.
    pub offset: u64,
    /// The part's ETag as the server sent it (quoted); NULL unless the part succeeded.
    pub etag: *const c_char,
    /// True when `crc64` is set (part success).
    pub has_crc64: bool,
    /// The part's CRC-64/XZ (ECMA-182), when `has_crc64`.
    pub crc64: u64,
}

/// An upload event, passed to `tos_upload_event_cb`. Every pointer in it (strings, `error`) is valid
/// only during the callback: copy what you keep. Fields may be appended in later versions: see `struct_size`.
#[repr(C)]
pub struct tos_upload_event {
    /// `sizeof` this struct in the library that made it. A program compiled against a newer
    /// header reads a field only when `TOS_FIELD_PRESENT(ptr, type, field)` says the library
    /// wrote it.
    pub struct_size: usize,
    /// A `TOS_UPLOAD_EVENT_KIND_*` value.
    pub kind: u32,
    pub bucket: *const c_char,
    pub key: *const c_char,
    /// The multipart upload id; NULL before one exists.
    pub upload_id: *const c_char,
    /// The checkpoint file's path; NULL when checkpointing is off.
    pub checkpoint_file: *const c_char,
    /// True when `part` describes a part.
    pub has_part: bool,
    /// The part the event is about, when `has_part`.
    pub part: tos_part_info,
    /// Why it failed (failure, retry and discard events); NULL otherwise. Lent: do not free.
    pub error: *const tos_error,
    /// For `TOS_UPLOAD_EVENT_KIND_TASK_NUM_CHANGED`: the parts now sent at once; 0 otherwise.
    pub task_num: u32,
}

/// Called with the progress of an upload.
///
/// Threading contract: all callbacks of one upload run on the thread that called
/// `tos_upload_file`, one at a time, and never after it returns (so `user_data` may be freed
/// then). A call that sends requests
/// or makes or frees a client returns `TOS_ERR_REENTRANT_CALL` here; `tos_pause`, `tos_abort`,
/// `tos_rate_limiter_set_rate` and getters may be called. `progress` is valid only during the call. `user_data` is
/// `tos_upload_file_input.progress_user_data`.
pub type tos_upload_progress_cb =
    Option<unsafe extern "C" fn(progress: *const tos_upload_progress, user_data: *mut c_void)>;

/// Called for each upload event (part done, retry, resume, ...).
///
/// Threading contract: all callbacks of one upload run on the thread that called
/// `tos_upload_file`, one at a time, and never after it returns (so `user_data` may be freed
/// then). A call that sends requests
/// or makes or frees a client returns `TOS_ERR_REENTRANT_CALL` here; `tos_pause`, `tos_abort`,
/// `tos_rate_limiter_set_rate` and getters may be called. `event` and every pointer in it are valid only during the call. `user_data` is
/// `tos_upload_file_input.event_user_data`.
pub type tos_upload_event_cb =
    Option<unsafe extern "C" fn(event: *const tos_upload_event, user_data: *mut c_void)>;

/// The caller's own rate limiter, asked before `want` bytes of object data are sent (uploads)
/// or written (downloads). Return nonzero to let them go now; return 0 to refuse, after
/// setting `*wait_ms_out` to the milliseconds to wait before asking again (0 is read as 1).
///
/// Threading contract: like every callback of a call, it runs on the thread that made the
/// call, one at a time with the others, and never after it returns (so `user_data` may be
/// freed then). A call that sends requests or makes or frees a client returns
/// `TOS_ERR_REENTRANT_CALL` here; `tos_pause`, `tos_abort`, `tos_rate_limiter_set_rate` and
/// getters may be called. `user_data` is the input's `rate_limiter_user_data`. When set, it
/// is used instead of the input's `rate_limiter`.
pub type tos_rate_limiter_cb =
    Option<unsafe extern "C" fn(want: u64, wait_ms_out: *mut u64, user_data: *mut c_void) -> c_int>;

/// The caller's `user_data`, carried into the engine's `Send` closures. Sound because the
/// engine runs every callback of an upload on the thread that called `tos_upload_file`,
/// while that call is running.
pub(crate) struct UserData(pub(crate) *mut c_void);
// SAFETY: see above; the pointer is only handed back to the caller's own callback.
unsafe impl Send for UserData {}
// SAFETY: the engine keeps it only inside `FnMut` closures, which can be called through
// `&mut` alone; a shared reference to one cannot reach the caller's callback.
unsafe impl Sync for UserData {}

impl UserData {
    // A method, so closures capture the whole `UserData` (which is `Send`), not its field.
    pub(crate) fn get(&self) -> *mut c_void {
        self.0
    }
}

/// The `CCallbacks` of an input struct with the callback fields of `tos_upload_file_input`
/// (`tos_upload_stream_input` has the same ones).
macro_rules! c_callbacks_of {
    ($input:expr) => {
        $crate::callbacks::CCallbacks {
            progress: $input.progress_cb,
            progress_user_data: $input.progress_user_data,
            event: $input.event_cb,
            event_user_data: $input.event_user_data,
            rate_limiter: $input.rate_limiter_cb,
            rate_limiter_user_data: $input.rate_limiter_user_data,
            shared_limiter: $crate::guard::clone_arc($input.rate_limiter),
        }
    };
}

/// The callbacks and limiter of one upload, copied out of `tos_upload_file_input`.
pub(crate) struct CCallbacks {
    pub progress: tos_upload_progress_cb,
    pub progress_user_data: *mut c_void,
    pub event: tos_upload_event_cb,
    pub event_user_data: *mut c_void,
    pub rate_limiter: tos_rate_limiter_cb,
    pub rate_limiter_user_data: *mut c_void,
    pub shared_limiter: Option<Arc<tos_rate_limiter>>,
}

impl CCallbacks {
    pub(crate) fn into_observers(self) -> Observers {
        let mut observers = Observers::default();
        if let Some(cb) = self.progress {
            let user_data = UserData(self.progress_user_data);
            observers.progress = Some(Box::new(move |status: &ProgressStatus| {
                let progress = tos_upload_progress {
                    struct_size: std::mem::size_of::<tos_upload_progress>(),
                    kind: tos_upload_progress_kind::from(status.kind) as u32,
                    consumed_bytes: status.consumed_bytes,
                    total_bytes: status.total_bytes,
                    rw_once_bytes: status.rw_once_bytes,
                };
                // SAFETY: the caller's callback, called as its typedef documents.
                in_callback(|| unsafe { cb(&progress, user_data.get()) });
            }));
        }
        if let Some(cb) = self.event {
            let user_data = UserData(self.event_user_data);
            observers.event = Some(Box::new(move |event: &UploadEvent| {
                call_event(cb, user_data.get(), event)
            }));
        }
        observers.acquire = acquire_fn(self.rate_limiter, self.rate_limiter_user_data);
        observers.shared_limiter = self
            .shared_limiter
            .map(|limiter| limiter as Arc<dyn RateLimiter>);
        observers
    }
}

/// The engine's limiter closure for a `tos_rate_limiter_cb` (shared by `tos_upload_file`
/// and `tos_upload_dir`).
pub(crate) fn acquire_fn(cb: tos_rate_limiter_cb, user_data: *mut c_void) -> Option<AcquireFn> {
    let cb = cb?;
    let user_data = UserData(user_data);
    Some(Box::new(move |want: u64| {
        let mut wait_ms: u64 = 0;
        // SAFETY: the caller's callback, called as its typedef documents.
        let ok = in_callback(|| unsafe { cb(want, &mut wait_ms, user_data.get()) });
        if ok != 0 {
            Permit::Granted
        } else {
            Permit::RetryAfter(Duration::from_millis(wait_ms.max(1)))
        }
    }))
}

fn call_event(
    cb: unsafe extern "C" fn(*const tos_upload_event, *mut c_void),
    user_data: *mut c_void,
    event: &UploadEvent,
) {
    // Owned C copies that live until the callback returns.
    let bucket = cstring(&event.bucket);
    let key = cstring(&event.key);
    let upload_id = event.upload_id.as_deref().map(cstring);
    let checkpoint = event
        .checkpoint_file
        .as_ref()
        .and_then(|p| CString::new(p.as_os_str().as_bytes()).ok());
    let etag = event
        .part
        .as_ref()
        .and_then(|p| p.etag.as_deref())
        .map(cstring);
    let error = event.error.as_ref().map(tos_error::from_upload_error);
    let part = event.part.as_ref();
    let c_event = tos_upload_event {
        struct_size: std::mem::size_of::<tos_upload_event>(),
        kind: tos_upload_event_kind::from(event.kind) as u32,
        bucket: bucket.as_ptr(),
        key: key.as_ptr(),
        upload_id: upload_id.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        checkpoint_file: checkpoint.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        has_part: part.is_some(),
        part: tos_part_info {
            number: part.map_or(0, |p| p.part_number),
            size: part.map_or(0, |p| p.size),
            offset: part.map_or(0, |p| p.offset),
            etag: etag.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
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
