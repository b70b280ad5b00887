//! `tos_download_dir`: every object under a prefix to a local folder. Its input and the call
//! are here; its callbacks' structs in `events`, its output object in `output`.

mod events;
mod output;

pub use events::*;
pub use output::*;

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
use tosupload_engine::{DownloadDirRequest, ErrorPolicy};

/// The input of `tos_download_dir`. Initialise with `tos_download_dir_input_init` (or zero it
/// and set `struct_size = sizeof(tos_download_dir_input)`), then set the required fields:
/// every zero field means its default. Strings are NUL-terminated UTF-8 (paths: any bytes);
/// optional strings may be NULL or "" for "not set". Everything is copied before
/// `tos_download_dir` returns; handles (`rate_limiter`, `cancel_hook`) are referenced.
#[repr(C)]
pub struct tos_download_dir_input {
    /// Required: `sizeof(tos_download_dir_input)`, set by `tos_download_dir_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Optional: download the objects whose keys start with it; NULL or "" = the whole bucket.
    /// The local path of an object is `dir` joined with its key after the prefix (a `/` right
    /// after a prefix that does not end in one is dropped).
    pub prefix: *const c_char,
    /// Required: the local folder (created if needed).
    pub dir: *const c_char,
    /// Optional: `include_count` glob patterns on the key after the prefix; when any are
    /// given only matching objects are downloaded (as `tos_upload_dir_input.include`).
    pub include: *const *const c_char,
    /// The number of entries in `include`.
    pub include_count: usize,
    /// Optional: `exclude_count` glob patterns; matching objects are left out.
    pub exclude: *const *const c_char,
    /// The number of entries in `exclude`.
    pub exclude_count: usize,
    /// Optional: objects downloaded at once; 0 (the default) = automatic, at most 16.
    pub file_concurrency: u32,
    /// Optional: ranges fetched at once per large object; 0 = automatic, as
    /// `tos_download_file_input.task_num`; at most 1000.
    pub task_num: u32,
    /// Optional: bytes per ranged GET, 5 MiB ..= 5 GiB; 0 = 20 MiB.
    pub part_size: u64,
    /// Optional: a directory (created if needed) for the journal of finished objects and the
    /// large objects' checkpoints, so a paused, failed or killed download resumes and fetches
    /// nothing twice. NULL or "" = not resumable. The journal is removed when every object
    /// is done.
    pub checkpoint_dir: *const c_char,
    /// false (default): start no new object after the first failure; true: download every
    /// object that can be, and report every failure.
    pub continue_on_error: bool,
    /// true: an object whose local file has the same size and the same CRC-64 as the object
    /// (the listing's `HashCrc64ecma`, else a HeadObject) is not fetched
    /// (`TOS_DOWNLOAD_DIR_EVENT_KIND_FILE_SKIPPED`). Costs a read of each such local file.
    pub skip_existing: bool,
    /// Optional: aggregate progress callback.
    pub progress_cb: tos_download_dir_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: per-object event callback.
    pub event_cb: tos_download_dir_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback for the bytes of every object (takes
    /// precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket for the bytes of every object, possibly shared.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to pause (journal and checkpoints kept) or abort (journal
    /// removed) the whole folder download.
    pub cancel_hook: *const tos_cancel_hook,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value.
unsafe impl Versioned for tos_download_dir_input {
    // `sizeof(tos_download_dir_input)` in 1.0.0 (64-bit targets): programs built then pass
    // it. Must never change.
    const MIN_SIZE: usize = 160;
    const NAME: &'static str = "tos_download_dir_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_download_dir_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_input_init(
    input: *mut tos_download_dir_input,
) -> tos_result {
    init_versioned(input)
}

unsafe fn request_from(input: &tos_download_dir_input) -> Result<DownloadDirRequest, tos_error> {
    let bucket = required_string(input.bucket, "input->bucket")?;
    let prefix = string_or_empty(input.prefix, "input->prefix")?;
    if input.dir.is_null() {
        return Err(null_error("input->dir"));
    }
    let dir = optional_path(input.dir).unwrap_or_default();
    let mut request = DownloadDirRequest::new(&bucket, &prefix, dir);
    request.include = string_array(input.include, input.include_count, "input->include")?;
    request.exclude = string_array(input.exclude, input.exclude_count, "input->exclude")?;
    request.file_concurrency = input.file_concurrency;
    request.task_num = input.task_num;
    request.part_size = input.part_size;
    request.checkpoint_dir = optional_path(input.checkpoint_dir);
    request.error_policy = if input.continue_on_error {
        ErrorPolicy::Continue
    } else {
        ErrorPolicy::StopOnFirst
    };
    request.skip_existing = input.skip_existing;
    request.cancel = clone_arc(input.cancel_hook).map(|h| h.hook.clone());
    Ok(request)
}

/// Downloads every object under `input->prefix` to `input->dir`: the listing (ListObjectsV2,
/// page by page, checked like every answer) feeds the downloads as it comes, each object by
/// `tos_download_file`'s machinery (temporary file, `If-Match`, CRC-64, rename: never a
/// partial file), several at once. A key that would lead outside `dir` (`..`, `.`, empty
/// segments, a leading `/`, a backslash, NUL, or a symbolic link on the way) is a failed
/// object, never a file written elsewhere. Blocks the calling thread; every callback runs on
/// it.
///
/// `client`, `input` and `output_out` are required. Results as `tos_upload_dir`: `TOS_OK`
/// writes `*output_out`; `TOS_ERR_SOME_FILES_FAILED` writes both `*output_out` (the counts and
/// the failures) and `*error_out` (the first failure); `TOS_PAUSED` / `TOS_ABORTED` and
/// every other code write only `*error_out` (when not NULL). A listing that fails (a missing
/// bucket, an answer that cannot be trusted) fails the call. From inside a callback:
/// `TOS_ERR_REENTRANT_CALL`. SIGPIPE is handled as in `tos_upload_file`.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir(
    client: *const tos_client,
    input: *const tos_download_dir_input,
    output_out: *mut *mut tos_download_dir_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        // Keep the client alive for the whole download, even if another thread frees it.
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        refuse_inside_callback("tos_download_dir")?;
        check_out(output_out, "output_out")?;
        let input = read_versioned(input, "input")?;
        let request = request_from(&input)?;
        let _sigpipe = crate::signals::CallerGuard::new();
        let output = client
            .client
            .download_dir(request, events::observers_from(&input))?;
        let failed = output::some_files_failed(&output);
        output_out.write(Box::into_raw(Box::new(tos_download_dir_output::from(
            &output,
        ))));
        match failed {
            Some(error) => Err(error),
            None => Ok(()),
        }
    })
}
