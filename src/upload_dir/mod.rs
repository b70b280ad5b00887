//! `tos_upload_dir`: the upload of a whole folder tree. Its input and the call are here; its
//! callbacks' structs in `events`, its output object in `output`.

mod events;
mod output;

pub use events::*;
pub use output::*;

use crate::attributes::{create_attributes, tos_object_attributes};
use crate::callbacks::tos_rate_limiter_cb;
use crate::cancel::tos_cancel_hook;
use crate::client::tos_client;
use crate::error::tos_error;
use crate::guard::{
    check_out, clone_arc, init_versioned, null_error, optional_path, read_versioned,
    required_string, string_array, string_or_empty, Versioned,
};
use crate::rate_limiter::tos_rate_limiter;
use crate::reentrancy::refuse_inside_callback;
use crate::result::tos_result;
use std::ffi::{c_char, c_void};
use tosupload_engine::{ErrorPolicy, SymlinkPolicy, UploadDirRequest};

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
    /// false (default): symbolic links are skipped (a `TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED`
    /// event). true: what they point to is uploaded; a dangling link is a failed file and a
    /// link back to an ancestor directory is a failed "loop", not descended.
    pub follow_symlinks: bool,
    /// Optional: files uploaded at once; 0 (the default) = automatic: the search of
    /// `tos_upload_file_input.task_num` over whole files, at most `max_connections`; each choice
    /// is a `TOS_UPLOAD_DIR_EVENT_KIND_FILE_CONCURRENCY_CHANGED` event and a debug log line.
    pub file_concurrency: u32,
    /// Optional: parts sent at once per large file; 0 (the default) = automatic, as
    /// `tos_upload_file_input.task_num`, within `max_connections`.
    pub task_num: u32,
    /// Optional: requests in flight at once over all files. 0 = automatic: with automatic
    /// `file_concurrency`, up to 256, and within the soft `RLIMIT_NOFILE` (three descriptors a
    /// request, 64 kept free), large parts taking a share that keeps 32 of them in flight at
    /// most; with a fixed `file_concurrency`, 16.
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
    pub progress_cb: tos_upload_dir_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: per-file event callback.
    pub event_cb: tos_upload_dir_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback, for the data of every file (takes
    /// precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket for the data of every file, possibly shared with other uploads.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to pause or abort the whole directory upload with `tos_pause` or
    /// `tos_abort`.
    pub cancel_hook: *const tos_cancel_hook,
    /// true: before a file is uploaded, its key is checked with HeadObject; an object of the
    /// same size whose checksum proves the same content is not sent again
    /// (`TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED`, reason "already on the server with the same size and
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
    // `sizeof(tos_upload_dir_input)` in 1.0.0 (64-bit targets): programs built then pass it. Must
    // never change.
    const MIN_SIZE: usize = 336;
    const NAME: &'static str = "tos_upload_dir_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_upload_dir_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_input_init(input: *mut tos_upload_dir_input) -> tos_result {
    init_versioned(input)
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

/// Uploads the files under `input->dir` as objects named `input->prefix` + their path
/// relative to `dir`: a walk streamed to the uploads, small files in one PutObject each,
/// large ones by resumable multipart upload, `file_concurrency` files at once under one cap
/// of `max_connections` requests. Blocks the calling thread until every file is done, or the
/// upload is paused or aborted through `input->cancel_hook`; every callback runs on this
/// thread.
///
/// `client`, `input` and `output_out` are required; `input` is copied (it may be freed on
/// return). `error_out` may be NULL. What is written depends on the result:
/// - `TOS_OK`: every file found went up (or was already up, per the checkpoint journal).
///   `*output_out` receives a `tos_upload_dir_output`; `*error_out` is not written.
/// - `TOS_ERR_SOME_FILES_FAILED`: the walk and the uploads ran, but some files failed (all
///   that could be tried were, with `continue_on_error`; otherwise no new file was started
///   after the first failure). The one exception to "outputs only on success": BOTH are
///   written. `*output_out` receives a `tos_upload_dir_output` with the counts and the list of
///   failures (`tos_upload_dir_output_failure_*`), and `*error_out` a `tos_error` describing
///   the first failure (its server details and cause included). Free both. With
///   `checkpoint_dir`, running the same call again retries only what is not done.
/// - `TOS_PAUSED` / `TOS_ABORTED`: stopped through the cancel hook; a pause keeps the journal and the
///   large files' checkpoints in `checkpoint_dir` so the same call resumes, an abort removes
///   the journal. `*output_out` is not written (files that failed before the stop were
///   reported only by `TOS_UPLOAD_DIR_EVENT_KIND_FILE_FAILED` events); `*error_out` receives the
///   error.
/// - any other code: `*output_out` is not written; `*error_out` says why. Mostly the input
///   was refused before anything was sent (bad bucket, part size or pattern: the code says;
///   `dir` missing: `TOS_ERR_FILE_NOT_FOUND`; `dir` not a directory:
///   `TOS_ERR_INVALID_ARGUMENT`; `checkpoint_dir` unusable: `TOS_ERR_CHECKPOINT_PATH`).
///
/// From inside a callback: `TOS_ERR_REENTRANT_CALL`. SIGPIPE is handled as in
/// `tos_upload_file`.
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
        refuse_inside_callback("tos_upload_dir")?;
        check_out(output_out, "output_out")?;
        let input = read_versioned(input, "input")?;
        let request = request_from(&input)?;
        let _sigpipe = crate::signals::CallerGuard::new();
        let output = client
            .client
            .upload_dir(request, events::observers_from(&input))?;
        let failed = output::some_files_failed(&output);
        output_out.write(Box::into_raw(Box::new(tos_upload_dir_output::from(
            &output,
        ))));
        match failed {
            Some(error) => Err(error),
            None => Ok(()),
        }
    })
}
