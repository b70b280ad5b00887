//! `tos_upload_stream`: the upload of a stream of unknown size (standard input, a pipe, a
//! generator) read through the caller's callback.

use super::attributes::{create_attributes, tos_object_attributes};
use super::callbacks::{
    tos_rate_limiter_cb, tos_upload_event_cb, tos_upload_progress_cb, UserData,
};
use super::cancel::tos_cancel_hook;
use super::client::tos_client;
use super::error::tos_error;
use super::guard::{
    check_out, clone_arc, init_versioned, null_error, read_versioned, required_string, Versioned,
};
use super::rate_limiter::tos_rate_limiter;
use super::reentrancy::in_callback;
use super::reentrancy::refuse_inside_callback;
use super::result::tos_result;
use super::stored_object::StoredObject;
use std::ffi::{c_char, c_void};
use std::io;
use std::ptr;
use tosupload_engine::UploadStreamRequest;

/// Called for the next bytes of a `tos_upload_stream`: write at most `capacity` bytes into
/// `buf` and return how many were written; return 0 at the end of the stream (only then:
/// a reader with nothing yet should wait), or a negative value for an error of yours, which
/// fails the upload with `TOS_ERR_STREAM_READ` (the value is in the message). A negative value
/// returned after the upload's hook was pulled (`tos_pause` or `tos_abort`) ends it as the cancel does
/// (`TOS_ABORTED`), so a callback waiting for input may give up when told to stop.
///
/// Threading contract: like every callback of an upload, it runs on the thread that called
/// `tos_upload_stream`, one at a time with the others, and never after it returns. It may
/// block (reading a pipe), but a cancel is acted on only when it returns: return promptly
/// (for example with a short read) if the upload must answer its hook quickly.
/// `user_data` is `tos_upload_stream_input.read_user_data`.
pub type tos_read_cb =
    Option<unsafe extern "C" fn(buf: *mut u8, capacity: usize, user_data: *mut c_void) -> i64>;

/// The input of `tos_upload_stream`. Initialise with `tos_upload_stream_input_init` (or zero
/// it and set `struct_size = sizeof(tos_upload_stream_input)`), then set the required fields:
/// every zero field means its default. Everything is copied before `tos_upload_stream`
/// returns; handles (`rate_limiter`, `cancel_hook`) are referenced, not consumed.
#[repr(C)]
pub struct tos_upload_stream_input {
    /// Required: `sizeof(tos_upload_stream_input)`, set by `tos_upload_stream_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Required: the object key.
    pub key: *const c_char,
    /// Required: where the bytes come from.
    pub read_cb: tos_read_cb,
    /// Passed to `read_cb`.
    pub read_user_data: *mut c_void,
    /// Optional: bytes per part, 5 MiB ..= 5 GiB; 0 = 20 MiB. The stream's size is not known,
    /// so it is never raised: a stream longer than 10,000 parts fails with
    /// `TOS_ERR_TOO_MANY_PARTS` (choose a part size of at least the stream's size / 10,000).
    /// Memory held is about `part_size * (task_num + 1)`; a part buffer that cannot be
    /// allocated fails the upload with `TOS_ERR_INVALID_PART_SIZE`.
    pub part_size: u64,
    /// Optional: parts sent at once; 0 = 4 (no automatic search here, unlike files: each
    /// task holds a part in memory); at most 1000.
    pub task_num: u32,
    /// Optional: the attributes of the object (all zero = none set).
    pub attributes: tos_object_attributes,
    /// Optional: progress callback. `total_bytes` is the bytes read from the stream so far
    /// (its size is known only at its end), so it grows during the upload.
    pub progress_cb: tos_upload_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: event callback (`checkpoint_file` is always NULL).
    pub event_cb: tos_upload_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback (takes precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket, possibly shared with other uploads.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to stop this upload with `tos_pause` or `tos_abort` (both
    /// abort it: see `tos_upload_stream`).
    pub cancel_hook: *const tos_cancel_hook,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value (NULL pointers,
// `None` callbacks, zeros).
unsafe impl Versioned for tos_upload_stream_input {
    // `sizeof(tos_upload_stream_input)` in 1.0.0 (64-bit targets): programs built then pass it. Must
    // never change.
    const MIN_SIZE: usize = 272;
    const NAME: &'static str = "tos_upload_stream_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_upload_stream_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_input_init(
    input: *mut tos_upload_stream_input,
) -> tos_result {
    init_versioned(input)
}

/// The caller's read callback as the engine's reader.
struct CallbackReader {
    read: unsafe extern "C" fn(*mut u8, usize, *mut c_void) -> i64,
    user_data: UserData,
}

impl io::Read for CallbackReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: the caller's callback, called as its typedef documents, with a buffer of
        // `buf.len()` writable bytes.
        let n = in_callback(|| unsafe {
            (self.read)(buf.as_mut_ptr(), buf.len(), self.user_data.get())
        });
        // More than asked for is passed on: the engine refuses it with a clear message.
        usize::try_from(n).map_err(|_| {
            io::Error::other(format!(
                "the read callback returned {n} (an error of the caller)"
            ))
        })
    }
}

unsafe fn request_from(
    input: &tos_upload_stream_input,
) -> Result<(UploadStreamRequest, CallbackReader), tos_error> {
    let bucket = required_string(input.bucket, "input->bucket")?;
    let key = required_string(input.key, "input->key")?;
    let read = input.read_cb.ok_or_else(|| null_error("input->read_cb"))?;
    let mut request = UploadStreamRequest::new(&bucket, &key);
    request.part_size = input.part_size;
    request.task_num = input.task_num;
    request.cancel = clone_arc(input.cancel_hook).map(|h| h.hook.clone());
    request.attributes = create_attributes(&input.attributes, "input->attributes")?;
    let reader = CallbackReader {
        read,
        user_data: UserData(input.read_user_data),
    };
    Ok((request, reader))
}

/// Uploads a stream of unknown size, read through `input->read_cb` until it returns 0: parts
/// of `part_size` are filled from the stream and sent by up to `task_num` parallel requests,
/// each kept in memory until the server confirms it (so a retry resends it without reading
/// the stream again); reading waits while every buffer is in flight, so memory stays about
/// `part_size * (task_num + 1)`. A stream that ends before one part is full goes up in one
/// PutObject, as a small file does (the output's upload id is then "" and its part size 0).
/// The CRC-64 of the whole stream, computed as it is read, is checked against the server's.
/// Blocks the calling thread; `read_cb` and every other callback run on it.
///
/// Not resumable, not even within one process: the bytes read are not kept. Every failure
/// (a negative `read_cb` result: `TOS_ERR_STREAM_READ`; more than 10,000 parts:
/// `TOS_ERR_TOO_MANY_PARTS`; a part or Complete failing) aborts the multipart upload, and no
/// object is created. `tos_abort(hook)` returns `TOS_ABORTED`; so does
/// `tos_pause(hook)`, since a paused stream could never be resumed: the multipart
/// upload is aborted too, and the message says it was a pause.
///
/// `client`, `input` and `output_out` are required. On success stores a
/// `tos_upload_stream_output` in `*output_out` (free it with `tos_upload_stream_output_free`);
/// errors as `tos_upload_file`; input errors are found before anything is read or sent. From
/// inside a callback: `TOS_ERR_REENTRANT_CALL`. SIGPIPE is blocked on the calling thread during the call, as by
/// `tos_upload_file`.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream(
    client: *const tos_client,
    input: *const tos_upload_stream_input,
    output_out: *mut *mut tos_upload_stream_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        // Keep the client alive for the whole upload, even if another thread frees it.
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        refuse_inside_callback("tos_upload_stream")?;
        check_out(output_out, "output_out")?;
        let input = read_versioned(input, "input")?;
        let (request, mut reader) = request_from(&input)?;
        let callbacks = c_callbacks_of!(input);
        let _sigpipe = super::signals::CallerGuard::new();
        let output =
            client
                .client
                .upload_stream(request, &mut reader, callbacks.into_observers())?;
        output_out.write(Box::into_raw(Box::new(tos_upload_stream_output(
            StoredObject::from(output),
        ))));
        Ok(())
    })
}

/// The result of a completed `tos_upload_stream`, freed by `tos_upload_stream_output_free`;
/// read with the `tos_upload_stream_output_*` getters, whose strings are owned by the output
/// and valid until it is freed. Immutable: the getters may run on several threads at once;
/// `tos_upload_stream_output_free` must not overlap any other use.
pub struct tos_upload_stream_output(StoredObject);

fn getter<T>(
    output: *const tos_upload_stream_output,
    if_null: T,
    get: impl FnOnce(&tos_upload_stream_output) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_upload_stream_output`, per the getters' contract.
    unsafe { output.as_ref() }.map_or(if_null, get)
}

/// The bucket. NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_bucket(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.bucket.as_ptr()) }
}

/// The object key. NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_key(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.key.as_ptr()) }
}

/// The multipart upload id ("" when the stream went up in one PutObject). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_upload_id(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.upload_id.as_ptr()) }
}

/// The object's ETag as the server sent it (quoted). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_etag(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.etag.as_ptr()) }
}

/// The object's URL as the server sent it ("" if none). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_location(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.location.as_ptr()) }
}

/// The version id ("" when the bucket is not versioned). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_version_id(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.version_id.as_ptr()) }
}

/// The request id of CompleteMultipartUpload (or of the PutObject). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_request_id(
    output: *const tos_upload_stream_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.0.request_id.as_ptr()) }
}

/// The whole object's CRC-64/XZ (ECMA-182). 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_crc64(
    output: *const tos_upload_stream_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.0.crc64) }
}

/// The part size used; 0 when the stream went up in one PutObject. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_part_size(
    output: *const tos_upload_stream_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.0.part_size) }
}

/// Bytes this call sent (the stream's size). 0 for a
/// NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_bytes_sent(
    output: *const tos_upload_stream_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.0.bytes_sent) }
}

/// Frees an output. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream_output_free(output: *mut tos_upload_stream_output) {
    ffi_panic_boundary! {
        if !output.is_null() {
            drop(Box::from_raw(output));
        }
    }
}
