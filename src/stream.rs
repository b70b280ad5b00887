//! `tos_upload_stream`: the upload of a stream of unknown size (standard input, a pipe, a
//! generator) read through the caller's callback.

use super::attributes::{create_attributes, tos_object_attributes};
use super::callbacks::{tos_event_cb, tos_progress_cb, tos_rate_limiter_cb, UserData};
use super::cancel::tos_cancel_hook;
use super::client::tos_client;
use super::error::tos_error;
use super::guard::{
    clone_arc, init_versioned, null_error, read_versioned, required_string, Versioned,
};
use super::rate_limiter::tos_rate_limiter;
use super::result::tos_result;
use super::upload::tos_upload_output;
use std::ffi::{c_char, c_void};
use std::io;
use tosupload_engine::UploadStreamRequest;

/// Called for the next bytes of a `tos_upload_stream`: write at most `capacity` bytes into
/// `buf` and return how many were written; return 0 at the end of the stream (only then:
/// a reader with nothing yet should wait), or a negative value for an error of yours, which
/// fails the upload with `TOS_ERR_STREAM_READ` (the value is in the message). A negative value
/// returned after `tos_cancel` was called on the upload's hook ends it as the cancel does
/// (`TOS_ABORTED`), so a callback waiting for input may give up when told to stop.
///
/// Threading contract: like every callback of an upload, it runs on the thread that called
/// `tos_upload_stream`, one at a time with the others, and never after it returns. It may
/// block (reading a pipe), but a cancel is acted on only when it returns: return promptly
/// (for example with a short read) if the upload must answer `tos_cancel` quickly.
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
    pub progress_cb: tos_progress_cb,
    /// Passed to `progress_cb`.
    pub progress_user_data: *mut c_void,
    /// Optional: event callback (`checkpoint_file` is always NULL).
    pub event_cb: tos_event_cb,
    /// Passed to `event_cb`.
    pub event_user_data: *mut c_void,
    /// Optional: the caller's rate limiter callback (takes precedence over `rate_limiter`).
    pub rate_limiter_cb: tos_rate_limiter_cb,
    /// Passed to `rate_limiter_cb`.
    pub rate_limiter_user_data: *mut c_void,
    /// Optional: a token bucket, possibly shared with other uploads.
    pub rate_limiter: *const tos_rate_limiter,
    /// Optional: a cancel hook to stop this upload with `tos_cancel` (pause and abort both
    /// abort it: see `tos_upload_stream`).
    pub cancel_hook: *const tos_cancel_hook,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value (NULL pointers,
// `None` callbacks, zeros).
unsafe impl Versioned for tos_upload_stream_input {
    // `sizeof(tos_upload_stream_input)` in its first release (64-bit targets). Must never
    // change.
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
        let n = unsafe { (self.read)(buf.as_mut_ptr(), buf.len(), self.user_data.get()) };
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
/// object is created. `tos_cancel(hook, true)` returns `TOS_ABORTED`; so does
/// `tos_cancel(hook, false)`, since a paused stream could never be resumed: the multipart
/// upload is aborted too, and the message says it was a pause.
///
/// Outputs and errors as `tos_upload_file` (`tos_upload_output_free`, `tos_error_free`);
/// input errors are found before anything is read or sent. Must not be called from inside a
/// callback. SIGPIPE is blocked on the calling thread during the call, as by
/// `tos_upload_file`.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_stream(
    client: *const tos_client,
    input: *const tos_upload_stream_input,
    output_out: *mut *mut tos_upload_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        // Keep the client alive for the whole upload, even if another thread frees it.
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        let input = read_versioned(input, "input")?;
        let (request, mut reader) = request_from(&input)?;
        let callbacks = c_callbacks_of!(input);
        let _sigpipe = super::signals::CallerGuard::new();
        let output =
            client
                .client
                .upload_stream(request, &mut reader, callbacks.into_observers())?;
        if !output_out.is_null() {
            output_out.write(Box::into_raw(Box::new(tos_upload_output::from(output))));
        }
        Ok(())
    })
}
