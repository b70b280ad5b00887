//! `tos_upload_dir`: the upload of a whole folder tree, its progress and per-file events, and
//! its output object (with the list of files that failed).

use super::attributes::{create_attributes, tos_object_attributes};
use super::callbacks::{acquire_fn, tos_rate_limiter_cb, UserData};
use super::cancel::tos_cancel_hook;
use super::client::tos_client;
use super::error::{cstring, tos_error};
use super::guard::{
    clone_arc, init_versioned, null_error, optional_path, read_versioned, required_string,
    string_or_empty, Versioned,
};
use super::rate_limiter::tos_rate_limiter;
use super::result::tos_result;
use std::ffi::{c_char, c_void, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::Arc;
use tosupload_engine::RateLimiter;
use tosupload_engine::{
    DirEvent, DirEventKind, DirObservers, DirProgress, ErrorPolicy, SymlinkPolicy, UploadDirOutput,
    UploadDirRequest,
};

/// The progress of a directory upload, passed to `tos_dir_progress_cb`. The totals grow
/// while the directory is still being walked (`walk_complete` false) and are final after.
#[repr(C)]
pub struct tos_dir_progress {
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

/// `tos_dir_event.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_dir_event_kind {
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

impl From<DirEventKind> for tos_dir_event_kind {
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

/// A per-file event of a directory upload, passed to `tos_dir_event_cb`. Every pointer in it
/// is valid only during the callback: copy what you keep. Fields may be appended later.
#[repr(C)]
pub struct tos_dir_event {
    /// A `TOS_DIR_EVENT_KIND_*` value.
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
    /// For `TOS_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED`: the files now uploaded at once;
    /// 0 otherwise.
    pub file_concurrency: u32,
}

/// Called with the aggregate progress of a directory upload: at most every 100 ms while it
/// changes, once when the walk completes, and once at the end.
///
/// Threading contract: all callbacks of one directory upload run on the thread that called
/// `tos_upload_dir`, one at a time, and never after it returns (so `user_data` may be freed
/// then). Inside a callback only `tos_cancel`, `tos_rate_limiter_set_rate` and getters may be
/// called. `progress` is valid only during the call. `user_data` is
/// `tos_upload_dir_input.progress_user_data`.
pub type tos_dir_progress_cb =
    Option<unsafe extern "C" fn(progress: *const tos_dir_progress, user_data: *mut c_void)>;

/// Called for each file of a directory upload: started, succeeded, failed, skipped. Events
/// arrive in batches, at most about 5 ms after they happen; while this callback is 4,096
/// events behind, no new file starts.
///
/// Threading contract: as `tos_dir_progress_cb` (the calling thread, one at a time, never
/// after `tos_upload_dir` returns). `event` and every pointer in it are valid only during the
/// call. `user_data` is `tos_upload_dir_input.event_user_data`.
pub type tos_dir_event_cb =
    Option<unsafe extern "C" fn(event: *const tos_dir_event, user_data: *mut c_void)>;

/// The input of `tos_upload_dir`. Initialise with `tos_upload_dir_input_init` (or zero it and
/// set `struct_size = sizeof(tos_upload_dir_input)`), then set the required fields: every zero
/// field means its default. Strings are NUL-terminated UTF-8 (paths: any bytes); optional
/// strings may be NULL or "" for "not set".
/// Everything is copied before `tos_upload_dir` returns; handles (`rate_limiter`,
/// `cancel_hook`) are referenced, not consumed.
///
/// Files smaller than `part_size` go up in one PutObject; larger ones by a resumable
/// multipart upload (with their own checkpoint in `checkpoint_dir`).
#[repr(C)]
pub struct tos_upload_dir_input {
    /// Required: `sizeof(tos_upload_dir_input)`, set by `tos_upload_dir_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Optional: prepended to each file's relative path to make its key, as is (end it with
    /// `/` for a "folder"); NULL or "" = none.
    pub prefix: *const c_char,
    /// Required: the local directory to upload.
    pub dir: *const c_char,
    /// false (default): the whole tree under `dir` is uploaded. true: only the files directly
    /// in `dir`; subdirectories are not descended.
    pub top_level_only: bool,
    /// Optional: `include_count` glob patterns; when any are given only matching files go up.
    /// `*` matches within one path segment, `**` across segments, `?` one character,
    /// `[a-z]` / `[!a-z]` a class. A pattern with a `/` matches the path relative to `dir`, one
    /// without matches the file name.
    pub include: *const *const c_char,
    /// The number of entries in `include`.
    pub include_count: usize,
    /// Optional: `exclude_count` glob patterns (as `include`); matching files are left out
    /// (without an event).
    pub exclude: *const *const c_char,
    /// The number of entries in `exclude`.
    pub exclude_count: usize,
    /// false (default): symbolic links are skipped (a `TOS_DIR_EVENT_KIND_FILE_SKIPPED`
    /// event). true: what they point to is uploaded; a dangling link is a failed file and a
    /// link back to an ancestor directory is a failed "loop", not descended.
    pub follow_symlinks: bool,
    /// Optional: files uploaded at once; 0 (the default) = automatic: the search of
    /// `tos_upload_file_input.task_num` over whole files, at most `max_connections`; each choice
    /// is a `TOS_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED` event and a debug log line.
    pub file_concurrency: u32,
    /// Optional: parts sent at once per large file; 0 (the default) = automatic, as
    /// `tos_upload_file_input.task_num`, within `max_connections`.
    pub task_num: u32,
    /// Optional: requests in flight at once over all files; 0 = 16.
    pub max_connections: u32,
    /// Optional: the multipart threshold and part size, 5 MiB ..= 5 GiB; 0 = 20 MiB.
    pub part_size: u64,
    /// Optional: a directory (created if needed) for the journal of finished files and the
    /// large files' checkpoints, so a paused, failed or killed upload resumes and skips what
    /// is done. NULL or "" = not resumable. The journal is removed when every file went up.
    pub checkpoint_dir: *const c_char,
    /// false (default): start no new file after the first failure (files in flight finish).
    /// true: upload everything that can be, and report every failure.
    pub continue_on_error: bool,
    /// Optional: the attributes of every object (all zero = none set).
    pub attributes: tos_object_attributes,
    /// Optional: aggregate progress callback.
    pub progress_cb: tos_dir_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: per-file event callback.
    pub event_cb: tos_dir_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback, for the data of every file (takes
    /// precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket for the data of every file, possibly shared with other uploads.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to pause or abort the whole directory upload with `tos_cancel`.
    pub cancel_hook: *const tos_cancel_hook,
    /// true: before a file is uploaded, its key is checked with HeadObject; an object of the
    /// same size whose checksum proves the same content is not sent again
    /// (`TOS_DIR_EVENT_KIND_FILE_SKIPPED`, reason "already on the server with the same size and
    /// checksum", counted in `files_skipped` / `bytes_skipped`). TOS: the object's CRC-64
    /// (`x-tos-hash-crc64ecma`) against the file's. S3: the object's CRC-64/NVME
    /// (`x-amz-checksum-crc64nvme`, asked for with `x-amz-checksum-mode: ENABLED`) against the
    /// file's; a store that returns no such checksum gets the file uploaded. The HEADs run
    /// within `file_concurrency` and `max_connections`; a 404 means upload, other failures
    /// follow the usual retries and error policy. Costs a read of each file for its CRC.
    pub skip_existing: bool,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value (NULL pointers,
// `None` callbacks, zeros, false).
unsafe impl Versioned for tos_upload_dir_input {
    // `sizeof(tos_upload_dir_input)` in the first release (64-bit targets): programs built
    // then pass it. Must never change.
    const MIN_SIZE: usize = 328;
    const NAME: &'static str = "tos_upload_dir_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_upload_dir_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_input_init(input: *mut tos_upload_dir_input) -> tos_result {
    init_versioned(input)
}

/// `count` strings at `array` (NULL with count 0 = none); every entry required.
unsafe fn string_array(
    array: *const *const c_char,
    count: usize,
    what: &str,
) -> Result<Vec<String>, tos_error> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if array.is_null() {
        return Err(null_error(what));
    }
    std::slice::from_raw_parts(array, count)
        .iter()
        .enumerate()
        .map(|(i, s)| required_string(*s, &format!("{what}[{i}]")))
        .collect()
}

unsafe fn request_from(input: &tos_upload_dir_input) -> Result<UploadDirRequest, tos_error> {
    let bucket = required_string(input.bucket, "input->bucket")?;
    let prefix = string_or_empty(input.prefix, "input->prefix")?;
    if input.dir.is_null() {
        return Err(null_error("input->dir"));
    }
    let dir = optional_path(input.dir).unwrap_or_default();
    let mut request = UploadDirRequest::new(&bucket, &prefix, dir);
    request.recursive = !input.top_level_only;
    request.include = string_array(input.include, input.include_count, "input->include")?;
    request.exclude = string_array(input.exclude, input.exclude_count, "input->exclude")?;
    request.symlinks = if input.follow_symlinks {
        SymlinkPolicy::Follow
    } else {
        SymlinkPolicy::Skip
    };
    request.file_concurrency = input.file_concurrency;
    request.task_num = input.task_num;
    request.max_connections = input.max_connections;
    request.part_size = input.part_size;
    request.checkpoint_dir = optional_path(input.checkpoint_dir);
    request.error_policy = if input.continue_on_error {
        ErrorPolicy::Continue
    } else {
        ErrorPolicy::StopOnFirst
    };
    request.attributes = create_attributes(&input.attributes, "input->attributes")?;
    request.cancel = clone_arc(input.cancel_hook).map(|h| h.hook.clone());
    request.skip_existing = input.skip_existing;
    Ok(request)
}

fn path_cstring(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap_or_else(|_| cstring(&path.to_string_lossy()))
}

fn observers_from(input: &tos_upload_dir_input) -> DirObservers {
    let mut observers = DirObservers::default();
    if let Some(cb) = input.progress_cb {
        let user_data = UserData(input.progress_user_data);
        observers.progress = Some(Box::new(move |p: &DirProgress| {
            let progress = tos_dir_progress {
                bytes_done: p.bytes_done,
                bytes_total: p.bytes_total,
                files_done: p.files_done,
                files_total: p.files_total,
                files_skipped: p.files_skipped,
                files_failed: p.files_failed,
                walk_complete: p.walk_complete,
            };
            // SAFETY: the caller's callback, called as its typedef documents.
            unsafe { cb(&progress, user_data.get()) };
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
    cb: unsafe extern "C" fn(*const tos_dir_event, *mut c_void),
    user_data: *mut c_void,
    event: &DirEvent,
) {
    // Owned C copies that live until the callback returns.
    let path = path_cstring(&event.path);
    let key = cstring(&event.key);
    let etag = event.etag.as_deref().map(cstring);
    let reason = event.reason.as_deref().map(cstring);
    let error = event.error.as_ref().map(tos_error::from_upload_error);
    let c_event = tos_dir_event {
        kind: tos_dir_event_kind::from(event.kind) as u32,
        path: path.as_ptr(),
        key: key.as_ptr(),
        size: event.size,
        etag: etag.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        has_crc64: event.crc64.is_some(),
        crc64: event.crc64.unwrap_or(0),
        reason: reason.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
        error: error
            .as_ref()
            .map_or(ptr::null(), |e| e as *const tos_error),
        file_concurrency: event.file_concurrency.unwrap_or(0),
    };
    // SAFETY: the caller's callback, called as its typedef documents.
    unsafe { cb(&c_event, user_data) };
}

struct DirFailure {
    path: CString,
    key: CString,
    error: tos_error,
}

/// The result of a directory upload. Made by `tos_upload_dir` (on `TOS_OK` and on
/// `TOS_ERR_SOME_FILES_FAILED`), freed by `tos_upload_dir_output_free`; read with the
/// `tos_upload_dir_output_*` getters, whose strings and errors are owned by the output and
/// valid until it is freed. Immutable: the getters may run on several threads at once;
/// `tos_upload_dir_output_free` must not overlap any other use.
pub struct tos_upload_dir_output {
    files_uploaded: u64,
    bytes_uploaded: u64,
    files_skipped: u64,
    bytes_skipped: u64,
    failures: Vec<DirFailure>,
}

impl From<&UploadDirOutput> for tos_upload_dir_output {
    fn from(o: &UploadDirOutput) -> Self {
        tos_upload_dir_output {
            files_uploaded: o.files_uploaded,
            bytes_uploaded: o.bytes_uploaded,
            files_skipped: o.files_skipped,
            bytes_skipped: o.bytes_skipped,
            failures: o
                .failures
                .iter()
                .map(|f| DirFailure {
                    path: path_cstring(&f.path),
                    key: cstring(&f.key),
                    error: tos_error::from_upload_error(&f.error),
                })
                .collect(),
        }
    }
}

/// The error of `TOS_ERR_SOME_FILES_FAILED`: the first failure's details, retitled.
fn some_files_failed(output: &UploadDirOutput) -> Option<tos_error> {
    let first = output.failures.first()?;
    let count = output.failures.len();
    let path = first.path.display().to_string();
    let what = first.error.to_string();
    // Most engine messages already name the file.
    let first_text = if what.contains(&path) {
        what
    } else {
        format!("{path}: {what}")
    };
    let message = format!(
        "{count} file{} failed ({} uploaded); the first: {first_text}",
        if count == 1 { "" } else { "s" },
        output.files_uploaded,
    );
    Some(
        tos_error::from_upload_error(&first.error)
            .retitled(tos_result::TOS_ERR_SOME_FILES_FAILED, &message),
    )
}

/// Uploads the files under `input->dir` as objects named `input->prefix` + their path
/// relative to `dir`: a walk streamed to the uploads, small files in one PutObject each,
/// large ones by resumable multipart upload, `file_concurrency` files at once under one cap
/// of `max_connections` requests. Blocks the calling thread until every file is done, or the
/// upload is paused or aborted through `input->cancel_hook`; every callback runs on this
/// thread. Must not be called from inside a callback.
///
/// `client` and `input` are required; `input` is copied (it may be freed on return).
/// `output_out` and `error_out` may be NULL; what is written through them depends on the
/// result:
/// - `TOS_OK`: every file found went up (or was already up, per the checkpoint journal).
///   `*output_out` receives a `tos_upload_dir_output`; `*error_out` is not written.
/// - `TOS_ERR_SOME_FILES_FAILED`: the walk and the uploads ran, but some files failed (all
///   that could be tried were, with `continue_on_error`; otherwise no new file was started
///   after the first failure). The one exception to "outputs only on success": BOTH are
///   written. `*output_out` receives a `tos_upload_dir_output` with the counts and the list of
///   failures (`tos_upload_dir_output_failure_*`), and `*error_out` a `tos_error` describing
///   the first failure (its server details and cause included). Free both. With
///   `checkpoint_dir`, running the same call again retries only what is not done.
/// - `TOS_PAUSED` / `TOS_ABORTED`: stopped by `tos_cancel`; a pause keeps the journal and the
///   large files' checkpoints in `checkpoint_dir` so the same call resumes, an abort removes
///   the journal. `*output_out` is not written (files that failed before the stop were
///   reported only by `TOS_DIR_EVENT_KIND_FILE_FAILED` events); `*error_out` receives the
///   error.
/// - any other code: `*output_out` is not written; `*error_out` says why. Mostly the input
///   was refused before anything was sent (bad bucket, part size or pattern: the code says;
///   `dir` missing: `TOS_ERR_FILE_NOT_FOUND`; `dir` not a directory:
///   `TOS_ERR_INVALID_ARGUMENT`; `checkpoint_dir` unusable: `TOS_ERR_CHECKPOINT_PATH`).
///
/// `error_out` and `output_out` may be NULL. SIGPIPE is handled as in `tos_upload_file`.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir(
    client: *const tos_client,
    input: *const tos_upload_dir_input,
    output_out: *mut *mut tos_upload_dir_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        // Keep the client alive for the whole upload, even if another thread frees it.
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        let input = read_versioned(input, "input")?;
        let request = request_from(&input)?;
        let _sigpipe = super::signals::CallerGuard::new();
        let output = client.client.upload_dir(request, observers_from(&input))?;
        let failed = some_files_failed(&output);
        if !output_out.is_null() {
            output_out.write(Box::into_raw(Box::new(tos_upload_dir_output::from(
                &output,
            ))));
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(()),
        }
    })
}

fn getter<T>(
    output: *const tos_upload_dir_output,
    if_null: T,
    get: impl FnOnce(&tos_upload_dir_output) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_upload_dir_output`, per the getters' contract.
    unsafe { output.as_ref() }.map_or(if_null, get)
}

fn failure<T>(
    output: *const tos_upload_dir_output,
    index: usize,
    if_none: T,
    get: impl FnOnce(&DirFailure) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_upload_dir_output`, per the getters' contract.
    match unsafe { output.as_ref() }.and_then(|o| o.failures.get(index)) {
        Some(f) => get(f),
        None => if_none,
    }
}

/// Files uploaded by this call. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_files_uploaded(
    output: *const tos_upload_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.files_uploaded) }
}

/// Bytes of the files uploaded by this call. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_bytes_uploaded(
    output: *const tos_upload_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.bytes_uploaded) }
}

/// Files not sent because the checkpoint journal shows an earlier run uploaded them (and
/// they have not changed since), or because `skip_existing` found them on the server. Files left out by policy (symbolic links not followed,
/// excluded) are not counted. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_files_skipped(
    output: *const tos_upload_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.files_skipped) }
}

/// Bytes of the files counted by `tos_upload_dir_output_files_skipped`. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_bytes_skipped(
    output: *const tos_upload_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.bytes_skipped) }
}

/// The number of files that failed (0 on `TOS_OK`). 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_failure_count(
    output: *const tos_upload_dir_output,
) -> usize {
    ffi_panic_boundary! { getter(output, 0, |o| o.failures.len()) }
}

/// The local path of failure `index` (0-based, in the order they happened). NULL for a NULL
/// output or an index `>= tos_upload_dir_output_failure_count`.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_failure_path(
    output: *const tos_upload_dir_output,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! { failure(output, index, ptr::null(), |f| f.path.as_ptr()) }
}

/// The object key of failure `index`. NULL for a NULL output or an index out of range.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_failure_key(
    output: *const tos_upload_dir_output,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! { failure(output, index, ptr::null(), |f| f.key.as_ptr()) }
}

/// Why file `index` failed: an error owned by the output (read it with the `tos_error_*`
/// getters; do not free it), valid until the output is freed. NULL for a NULL output or an
/// index out of range.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_failure_error(
    output: *const tos_upload_dir_output,
    index: usize,
) -> *const tos_error {
    ffi_panic_boundary! {
        failure(output, index, ptr::null(), |f| &f.error as *const tos_error)
    }
}

/// Frees an output. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_free(output: *mut tos_upload_dir_output) {
    ffi_panic_boundary! {
        if !output.is_null() {
            drop(Box::from_raw(output));
        }
    }
}
