//! `tos_download_file`: the resumable, parallel download of one object to a file. Its input
//! and the call are here; its callbacks' structs in `events`, its output object in `output`.

mod events;
mod output;

pub use events::*;
pub use output::*;

use crate::callbacks::tos_rate_limiter_cb;
use crate::cancel::tos_cancel_hook;
use crate::client::tos_client;
use crate::error::tos_error;
use crate::guard::{
    check_out, clone_arc, init_versioned, null_error, optional_path, optional_string,
    read_versioned, required_string, Versioned,
};
use crate::rate_limiter::tos_rate_limiter;
use crate::reentrancy::refuse_inside_callback;
use crate::result::tos_result;
use std::ffi::{c_char, c_void};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tosupload_engine::DownloadFileRequest;

/// The input of `tos_download_file`. Initialise with `tos_download_file_input_init` (or zero
/// it and set `struct_size = sizeof(tos_download_file_input)`), then set the required fields:
/// every zero field means its default. Strings are NUL-terminated UTF-8 (paths: any bytes);
/// optional strings may be NULL or "" for "not set". Everything is copied before
/// `tos_download_file` returns; handles (`rate_limiter`, `cancel_hook`) are referenced.
#[repr(C)]
pub struct tos_download_file_input {
    /// Required: `sizeof(tos_download_file_input)`, set by `tos_download_file_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Required: the object key.
    pub key: *const c_char,
    /// Optional: the version to download; NULL = the latest.
    pub version_id: *const c_char,
    /// Required: the destination file, or a directory (one that exists, or a path ending in
    /// `/`) to put the key's last segment in. Missing parent directories are made. The file
    /// appears there only when the whole object is written and verified.
    pub file_path: *const c_char,
    /// Optional: bytes per ranged GET, 5 MiB ..= 5 GiB; 0 = 20 MiB.
    pub part_size: u64,
    /// Optional: ranges fetched at once, at most 1000; 0 (the default) = automatic, as for
    /// uploads: it starts at 4 and doubles while that raises the measured rate (at most 64);
    /// each choice is a `TOS_DOWNLOAD_EVENT_KIND_TASK_NUM_CHANGED` event.
    pub task_num: u32,
    /// false (default): finished ranges are recorded in a checkpoint file, so a paused, failed
    /// or killed download resumes where it stopped; true: none, a stopped download starts over.
    pub disable_checkpoint: bool,
    /// Optional: the checkpoint file, or a directory to put it in; NULL = beside the
    /// destination, named as the TOS Go SDK names it. Ignored with `disable_checkpoint`.
    pub checkpoint_file: *const c_char,
    /// Optional: `If-Match` on every request; NULL = the ETag the object has when the
    /// download starts, so a file never mixes two versions of the object.
    pub if_match: *const c_char,
    /// Optional: `If-None-Match`.
    pub if_none_match: *const c_char,
    /// Optional: `If-Modified-Since`, in seconds since the Unix epoch; 0 = not set.
    pub if_modified_since: i64,
    /// Optional: `If-Unmodified-Since`, in seconds since the Unix epoch; 0 = not set.
    pub if_unmodified_since: i64,
    /// SSE-C: the algorithm (`AES256`), for an object stored with a customer key.
    pub ssec_algorithm: *const c_char,
    /// SSE-C: the base64 key. Sent on every request; never logged or written to the
    /// checkpoint (which keeps only its MD5).
    pub ssec_key: *const c_char,
    /// SSE-C: the base64 MD5 of the key.
    pub ssec_key_md5: *const c_char,
    /// Optional: server-side traffic limit in bits per second (`x-tos-traffic-limit`); 0 = none.
    pub traffic_limit: u64,
    /// Optional: progress callback.
    pub progress_cb: tos_download_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: event callback.
    pub event_cb: tos_download_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback, asked before body bytes are written
    /// (takes precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket, possibly shared with other transfers.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to pause (`tos_pause`: the temporary file and checkpoint are
    /// kept) or abort (`tos_abort`: both removed) this download.
    pub cancel_hook: *const tos_cancel_hook,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value (NULL pointers,
// `None` callbacks, zeros, false).
unsafe impl Versioned for tos_download_file_input {
    // `sizeof(tos_download_file_input)` in 1.0.0 (64-bit targets): programs built then pass
    // it. Must never change.
    const MIN_SIZE: usize = 192;
    const NAME: &'static str = "tos_download_file_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_download_file_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_input_init(
    input: *mut tos_download_file_input,
) -> tos_result {
    init_versioned(input)
}

/// Seconds since the epoch as a time; 0 = not set, negative = refused.
fn instant(seconds: i64, what: &str) -> Result<Option<SystemTime>, tos_error> {
    match seconds {
        0 => Ok(None),
        s if s > 0 => Ok(Some(UNIX_EPOCH + Duration::from_secs(s.unsigned_abs()))),
        s => Err(tos_error::new(
            tos_result::TOS_ERR_INVALID_ARGUMENT,
            format!("`{what}` is {s}: seconds since the Unix epoch, or 0 for not set"),
        )),
    }
}

unsafe fn request_from(input: &tos_download_file_input) -> Result<DownloadFileRequest, tos_error> {
    let bucket = required_string(input.bucket, "input->bucket")?;
    let key = required_string(input.key, "input->key")?;
    if input.file_path.is_null() {
        return Err(null_error("input->file_path"));
    }
    let file_path = optional_path(input.file_path).unwrap_or_default();
    let mut request = DownloadFileRequest::new(&bucket, &key, file_path);
    request.version_id = optional_string(input.version_id, "input->version_id")?;
    request.part_size = input.part_size;
    request.task_num = input.task_num;
    request.enable_checkpoint = !input.disable_checkpoint;
    request.checkpoint_file = optional_path(input.checkpoint_file);
    request.cancel = clone_arc(input.cancel_hook).map(|h| h.hook.clone());
    request.if_match = optional_string(input.if_match, "input->if_match")?;
    request.if_none_match = optional_string(input.if_none_match, "input->if_none_match")?;
    request.if_modified_since = instant(input.if_modified_since, "input->if_modified_since")?;
    request.if_unmodified_since = instant(input.if_unmodified_since, "input->if_unmodified_since")?;
    request.ssec_algorithm = optional_string(input.ssec_algorithm, "input->ssec_algorithm")?;
    request.ssec_key = optional_string(input.ssec_key, "input->ssec_key")?;
    request.ssec_key_md5 = optional_string(input.ssec_key_md5, "input->ssec_key_md5")?;
    request.traffic_limit = input.traffic_limit;
    Ok(request)
}

/// Downloads one object to a file: ranged GETs in parallel into a temporary file beside the
/// destination, each range streamed to disk (memory does not grow with the object or the
/// range), checked for its length and synced before it is recorded in the checkpoint;
/// resumable after a pause, a network failure or a crash (completed ranges are checked
/// against the temporary file and never fetched again). The file appears at the destination
/// only when the whole object is written, its CRC-64 matches the server's, and it is synced:
/// never a partial or mixed file there. Every GET carries `If-Match` with the ETag the
/// download started with: an object replaced meanwhile fails the call with
/// `TOS_ERR_OBJECT_CHANGED` (its temporary file and checkpoint removed), and a change
/// between two calls is found by the next one, which starts afresh
/// (`TOS_DOWNLOAD_EVENT_KIND_CHECKPOINT_DISCARDED`). Blocks the calling thread; every
/// callback runs on it.
///
/// `client`, `input` and `output_out` are required; `input` is copied. On success stores a
/// `tos_download_file_output` in `*output_out` (free it with `tos_download_file_output_free`);
/// on failure returns the code and, when `error_out` is not NULL, a `tos_error`:
/// `TOS_ERR_LOCAL_WRITE` when the temporary file cannot be written, synced or renamed (no
/// space, a read-only directory; after space is freed the same call resumes),
/// `TOS_ERR_CRC_MISMATCH` when the whole file does not match the server's CRC-64 (nothing is
/// kept: the next call starts afresh), `TOS_PAUSED` / `TOS_ABORTED`. A hostile key (`..`, an
/// empty last segment) is refused before any request: nothing is ever written outside the
/// destination directory. From inside a callback: `TOS_ERR_REENTRANT_CALL`. SIGPIPE is
/// handled as in `tos_upload_file`.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file(
    client: *const tos_client,
    input: *const tos_download_file_input,
    output_out: *mut *mut tos_download_file_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        // Keep the client alive for the whole download, even if another thread frees it.
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        refuse_inside_callback("tos_download_file")?;
        check_out(output_out, "output_out")?;
        let input = read_versioned(input, "input")?;
        let request = request_from(&input)?;
        let _sigpipe = crate::signals::CallerGuard::new();
        let output = client
            .client
            .download_file(request, events::observers_from(&input))?;
        output_out.write(Box::into_raw(Box::new(tos_download_file_output::from(
            output,
        ))));
        Ok(())
    })
}
