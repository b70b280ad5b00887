//! `tos_upload_file`: the resumable, parallel upload of one file, and its output object.

use super::attributes::{create_attributes, tos_object_attributes};
use super::callbacks::{tos_rate_limiter_cb, tos_upload_event_cb, tos_upload_progress_cb};
use super::cancel::tos_cancel_hook;
use super::client::tos_client;
use super::error::tos_error;
use super::guard::{
    check_out, clone_arc, init_versioned, null_error, optional_path, read_versioned,
    required_string, Versioned,
};
use super::rate_limiter::tos_rate_limiter;
use super::reentrancy::refuse_inside_callback;
use super::result::tos_result;
use super::stored_object::StoredObject;
use std::ffi::{c_char, c_void};
use std::ptr;
use tosupload_engine::UploadFileRequest;

/// The input of `tos_upload_file`. Initialise with `tos_upload_file_input_init` (or zero it
/// and set `struct_size = sizeof(tos_upload_file_input)`), then set the required fields: every
/// zero field means its default. Strings are NUL-terminated UTF-8 (paths: any bytes); optional
/// strings may be NULL or "" for "not set". Everything is copied before `tos_upload_file` returns; handles (`rate_limiter`,
/// `cancel_hook`) are referenced, not consumed.
#[repr(C)]
pub struct tos_upload_file_input {
    /// Required: `sizeof(tos_upload_file_input)`, set by `tos_upload_file_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Required: the object key.
    pub key: *const c_char,
    /// Required: the local file to upload.
    pub file_path: *const c_char,
    /// Optional: bytes per part, 5 MiB ..= 5 GiB; 0 = 20 MiB. Raised (with a
    /// `TOS_UPLOAD_EVENT_KIND_PART_SIZE_ADJUSTED` event) if the file would need more than 10,000 parts.
    pub part_size: u64,
    /// Optional: parts sent at once, at most 1000; 0 (the default) = automatic: it starts at
    /// 4, doubles while a doubling raises the measured upload rate by 10 % or more, and goes
    /// back to the count before the first doubling that does not (at most 64, never more than
    /// the parts left). Each choice is a `TOS_UPLOAD_EVENT_KIND_TASK_NUM_CHANGED` event and a debug
    /// log line with the rate measured.
    pub task_num: u32,
    /// false (default): progress is recorded in a checkpoint file, so a paused, failed or
    /// killed upload resumes where it stopped; the file is removed when the upload completes.
    /// true: no checkpoint; a stopped upload starts over.
    pub disable_checkpoint: bool,
    /// Optional: the checkpoint file, or a directory to put it in; NULL = beside the file.
    /// Ignored with `disable_checkpoint`.
    pub checkpoint_file: *const c_char,
    /// Optional: the attributes of the object (all zero = none set).
    pub attributes: tos_object_attributes,
    /// Optional: progress callback.
    pub progress_cb: tos_upload_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: event callback.
    pub event_cb: tos_upload_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback (takes precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket, possibly shared with other uploads.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to pause or abort this upload with `tos_pause` or `tos_abort`.
    pub cancel_hook: *const tos_cancel_hook,
    /// Optional: a file smaller than this many bytes goes up in one PutObject (one request,
    /// CRC-64 checked, with the attributes, progress, rate limiter and cancel hook) instead of
    /// a multipart upload; a file of exactly this size or more goes multipart. 0 = the part
    /// size; at most 5 GiB (`TOS_ERR_INVALID_ARGUMENT` above). A single PutObject has no
    /// upload id (`tos_upload_file_output_upload_id` is "", `tos_upload_file_output_part_size` 0) and
    /// writes no checkpoint: pausing or aborting it stops the request, stores nothing, and
    /// returns `TOS_PAUSED` or `TOS_ABORTED`; the next call sends the file again. A checkpoint
    /// left by an earlier multipart attempt of the same unchanged file is still resumed (its
    /// parts are on the server); one that no longer applies is discarded as usual
    /// (`TOS_UPLOAD_EVENT_KIND_CHECKPOINT_DISCARDED`, its upload aborted) before the PutObject.
    pub multipart_threshold: u64,
    /// true: always a multipart upload, whatever the file's size (the behaviour before
    /// `multipart_threshold` existed).
    pub force_multipart: bool,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value (NULL pointers,
// `None` callbacks, zeros, false).
unsafe impl Versioned for tos_upload_file_input {
    // `sizeof(tos_upload_file_input)` in 1.0.0 (64-bit targets): programs built then pass it. Must
    // never change.
    const MIN_SIZE: usize = 288;
    const NAME: &'static str = "tos_upload_file_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_upload_file_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_input_init(
    input: *mut tos_upload_file_input,
) -> tos_result {
    init_versioned(input)
}

/// The result of a completed `tos_upload_file`, freed by `tos_upload_file_output_free`; read
/// with the `tos_upload_file_output_*` getters, whose strings are owned by the output and
/// valid until it is freed. Immutable: the getters may run on several threads at once;
/// `tos_upload_file_output_free` must not overlap any other use.
pub struct tos_upload_file_output(pub(crate) StoredObject);

unsafe fn request_from(input: &tos_upload_file_input) -> Result<UploadFileRequest, tos_error> {
    let bucket = required_string(input.bucket, "input->bucket")?;
    let key = required_string(input.key, "input->key")?;
    if input.file_path.is_null() {
        return Err(null_error("input->file_path"));
    }
    let file_path = optional_path(input.file_path).unwrap_or_default();
    let mut request = UploadFileRequest::new(&bucket, &key, file_path);
    request.part_size = input.part_size;
    request.task_num = input.task_num;
    request.enable_checkpoint = !input.disable_checkpoint;
    request.checkpoint_file = optional_path(input.checkpoint_file);
    request.cancel = clone_arc(input.cancel_hook).map(|h| h.hook.clone());
    request.attributes = create_attributes(&input.attributes, "input->attributes")?;
    request.multipart_threshold = input.multipart_threshold;
    request.force_multipart = input.force_multipart;
    Ok(request)
}

/// Uploads one file with a multipart upload: parts in parallel, each verified with CRC-64,
/// resumable from a checkpoint; or, when it is smaller than `input->multipart_threshold` (by
/// default the part size), with one PutObject. Blocks the calling thread until the upload completes, fails,
/// or is paused or aborted through `input->cancel_hook`; every callback runs on this thread.
///
/// `client`, `input` and `output_out` are required; `input` is copied (it may be freed on
/// return). On success returns `TOS_OK` and stores a `tos_upload_file_output` in
/// `*output_out` (free it with `tos_upload_file_output_free`). On failure returns the code
/// (`TOS_PAUSED` and `TOS_ABORTED` included) and, when `error_out` is not NULL, stores a
/// `tos_error` in `*error_out` (free it with `tos_error_free`). Input errors are found
/// before anything is sent. From inside a callback: `TOS_ERR_REENTRANT_CALL`.
///
/// SIGPIPE is blocked on the calling thread during the call (so also in callbacks: a write to
/// a closed pipe there fails with EPIPE instead of raising it); the previous mask is restored
/// on return, a SIGPIPE raised on this thread meanwhile discarded.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file(
    client: *const tos_client,
    input: *const tos_upload_file_input,
    output_out: *mut *mut tos_upload_file_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        // Keep the client alive for the whole upload, even if another thread frees it.
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        refuse_inside_callback("tos_upload_file")?;
        check_out(output_out, "output_out")?;
        let input = read_versioned(input, "input")?;
        let request = request_from(&input)?;
        let callbacks = c_callbacks_of!(input);
        let _sigpipe = super::signals::CallerGuard::new();
        let output = client
            .client
            .upload_file(request, callbacks.into_observers())?;
        output_out.write(Box::into_raw(Box::new(tos_upload_file_output(
            StoredObject::from(output),
        ))));
        Ok(())
    })
}

fn getter<T>(
    output: *const tos_upload_file_output,
    if_null: T,
    get: impl FnOnce(&tos_upload_file_output) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_upload_file_output`, per the getters' contract.
    unsafe { output.as_ref() }.map_or(if_null, get)
}

/// The bucket. NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_bucket(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.bucket.as_ptr()) }
}

/// The object key. NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_key(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.key.as_ptr()) }
}

/// The multipart upload id ("" when the file went up in one PutObject). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_upload_id(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.upload_id.as_ptr()) }
}

/// The object's ETag as the server sent it (quoted). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_etag(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.etag.as_ptr()) }
}

/// The object's URL as the server sent it ("" if none). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_location(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.location.as_ptr()) }
}

/// The version id ("" when the bucket is not versioned). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_version_id(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.version_id.as_ptr()) }
}

/// The request id of CompleteMultipartUpload (or of the PutObject). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_request_id(
    output: *const tos_upload_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.request_id.as_ptr()) }
}

/// The whole object's CRC-64/XZ (ECMA-182). 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_crc64(
    output: *const tos_upload_file_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.0.crc64) }
}

/// The part size actually used (after defaults, resume, or the 10,000-part rule); 0 when the
/// file went up in one PutObject. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_part_size(
    output: *const tos_upload_file_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.0.part_size) }
}

/// Bytes this call sent (parts already on the server from an earlier run not counted). 0 for a
/// NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_bytes_sent(
    output: *const tos_upload_file_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.0.bytes_sent) }
}

/// Frees an output. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_file_output_free(output: *mut tos_upload_file_output) {
    ffi_panic_boundary! {
        if !output.is_null() {
            drop(Box::from_raw(output));
        }
    }
}
