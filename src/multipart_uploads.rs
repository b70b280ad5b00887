//! `tos_list_multipart_uploads` and `tos_abort_multipart_upload`: finding and removing the
//! multipart uploads left open on the server (by paused uploads never resumed, or by
//! processes that died), and the list object the first returns.

use super::cancel::tos_cancel_hook;
use super::client::tos_client;
use super::error::{cstring, tos_error};
use super::guard::{
    check_out, clone_arc, init_versioned, null_error, read_versioned, required_string,
    string_or_empty, Versioned,
};
use super::reentrancy::refuse_inside_callback;
use super::result::tos_result;
use std::ffi::{c_char, CString};
use std::ptr;
use tosupload_engine::{AbortUploadRequest, ListUploadsRequest};

/// The input of `tos_list_multipart_uploads`. Initialise with `tos_list_multipart_uploads_input_init`
/// (or zero it and set `struct_size = sizeof(tos_list_multipart_uploads_input)`), then set `bucket`;
/// every zero field means its default. Copied before the call returns.
#[repr(C)]
pub struct tos_list_multipart_uploads_input {
    /// Required: `sizeof(tos_list_multipart_uploads_input)`, set by `tos_list_multipart_uploads_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Optional: list only keys starting with it; NULL or "" = every key.
    pub prefix: *const c_char,
    /// Optional: a cancel hook; `tos_pause` or `tos_abort` stops the listing within milliseconds, and the
    /// call returns `TOS_PAUSED` or `TOS_ABORTED` (as the hook was pulled).
    pub cancel_hook: *const tos_cancel_hook,
    /// Optional: stop after this many uploads; 0 = all of them. Without a limit, a listing
    /// of more than 1,000,000 uploads fails with `TOS_ERR_SERVER` rather than grow without
    /// bound.
    pub limit: u64,
    /// Optional: uploads asked for per request, 1..=1000; 0 = 1000.
    pub page_size: u32,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value (NULL pointers,
// zeros).
unsafe impl Versioned for tos_list_multipart_uploads_input {
    // `sizeof(tos_list_multipart_uploads_input)` in 1.0.0 (64-bit targets): programs built then pass it. Must
    // never change.
    const MIN_SIZE: usize = 48;
    const NAME: &'static str = "tos_list_multipart_uploads_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size = sizeof(tos_list_multipart_uploads_input)`.
/// Returns `TOS_ERR_NULL_ARGUMENT` if `input` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads_input_init(
    input: *mut tos_list_multipart_uploads_input,
) -> tos_result {
    init_versioned(input)
}

struct ListedUpload {
    key: CString,
    upload_id: CString,
    initiated: i64,
}

/// The multipart uploads a listing found, sorted by key as the server sent them. Made by
/// `tos_list_multipart_uploads`, freed by `tos_list_multipart_uploads_output_free`; read with the
/// `tos_list_multipart_uploads_output_*` getters, whose strings live as long as the list.
pub struct tos_list_multipart_uploads_output {
    uploads: Vec<ListedUpload>,
}

/// Lists the multipart uploads open in `input->bucket` under `input->prefix`, every page of
/// them (ListMultipartUploads with key and upload-id markers). Blocks the calling thread.
///
/// `client`, `input`, `input->bucket` and `output_out` are required. On success returns
/// `TOS_OK` and stores a `tos_list_multipart_uploads_output` in `*output_out` (free it with
/// `tos_list_multipart_uploads_output_free`; an empty listing is a list of count 0). On failure
/// returns the code and, when `error_out` is not NULL, stores a `tos_error` there: bad input
/// (1xx) before anything is sent; `TOS_ERR_SERVER` for an error answer, or for a listing
/// that cannot be trusted (an unreadable page, a page larger than asked for, a marker sent
/// twice, an empty page that claims more follow); `TOS_PAUSED` / `TOS_ABORTED` when the
/// cancel hook was pulled. From inside a callback: `TOS_ERR_REENTRANT_CALL`.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads(
    client: *const tos_client,
    input: *const tos_list_multipart_uploads_input,
    output_out: *mut *mut tos_list_multipart_uploads_output,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        refuse_inside_callback("tos_list_multipart_uploads")?;
        check_out(output_out, "output_out")?;
        let input = read_versioned(input, "input")?;
        let request = ListUploadsRequest {
            bucket: required_string(input.bucket, "input->bucket")?,
            prefix: string_or_empty(input.prefix, "input->prefix")?,
            limit: usize::try_from(input.limit).unwrap_or(usize::MAX),
            page_size: input.page_size,
            cancel: clone_arc(input.cancel_hook).map(|h| h.hook.clone()),
        };
        let _sigpipe = super::signals::CallerGuard::new();
        let uploads = client.client.list_multipart_uploads(request)?;
        let list = tos_list_multipart_uploads_output {
            uploads: uploads
                .into_iter()
                .map(|u| ListedUpload {
                    key: cstring(&u.key),
                    upload_id: cstring(&u.upload_id),
                    initiated: u.initiated.unwrap_or(0),
                })
                .collect(),
        };
        output_out.write(Box::into_raw(Box::new(list)));
        Ok(())
    })
}

fn entry<T>(
    output: *const tos_list_multipart_uploads_output,
    index: usize,
    if_none: T,
    get: impl FnOnce(&ListedUpload) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_list_multipart_uploads_output`, per the getters' contract.
    let output = unsafe { output.as_ref() };
    output
        .and_then(|l| l.uploads.get(index))
        .map_or(if_none, get)
}

/// How many uploads the output holds. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads_output_count(
    output: *const tos_list_multipart_uploads_output,
) -> usize {
    ffi_panic_boundary! { output.as_ref().map_or(0, |l| l.uploads.len()) }
}

/// The object key of upload `index`. NULL for a NULL output or an index past the count.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads_output_key(
    output: *const tos_list_multipart_uploads_output,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! { entry(output, index, ptr::null(), |u| u.key.as_ptr()) }
}

/// The upload id of upload `index` (what `tos_abort_multipart_upload` takes). NULL for a
/// NULL output or an index past the count.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads_output_upload_id(
    output: *const tos_list_multipart_uploads_output,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! { entry(output, index, ptr::null(), |u| u.upload_id.as_ptr()) }
}

/// When upload `index` was created, in Unix seconds (UTC). 0 when the server sent no
/// readable time, for a NULL output, or an index past the count.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads_output_initiated(
    output: *const tos_list_multipart_uploads_output,
    index: usize,
) -> i64 {
    ffi_panic_boundary! { entry(output, index, 0, |u| u.initiated) }
}

/// Frees a output. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_list_multipart_uploads_output_free(
    output: *mut tos_list_multipart_uploads_output,
) {
    ffi_panic_boundary! {
        if !output.is_null() {
            drop(Box::from_raw(output));
        }
    }
}

/// The input of `tos_abort_multipart_upload`. Initialise with
/// `tos_abort_multipart_upload_input_init` (or zero it and set `struct_size`), then set
/// `bucket`, `key` and `upload_id`. Copied before the call returns.
#[repr(C)]
pub struct tos_abort_multipart_upload_input {
    /// Required: `sizeof(tos_abort_multipart_upload_input)`, set by
    /// `tos_abort_multipart_upload_input_init`.
    pub struct_size: usize,
    /// Required: the bucket name.
    pub bucket: *const c_char,
    /// Required: the object key.
    pub key: *const c_char,
    /// Required: the upload id (as `tos_list_multipart_uploads_output_upload_id` gives it).
    pub upload_id: *const c_char,
    /// Optional: a cancel hook; pulling it stops the request, and the call returns
    /// `TOS_PAUSED` or `TOS_ABORTED` (as the hook was pulled).
    pub cancel_hook: *const tos_cancel_hook,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value.
unsafe impl Versioned for tos_abort_multipart_upload_input {
    // `sizeof(tos_abort_multipart_upload_input)` in 1.0.0 (64-bit targets). Must never change.
    const MIN_SIZE: usize = 40;
    const NAME: &'static str = "tos_abort_multipart_upload_input";
}

/// Sets `*input` to its defaults: all zero, `struct_size =
/// sizeof(tos_abort_multipart_upload_input)`. Returns `TOS_ERR_NULL_ARGUMENT` if `input` is
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_abort_multipart_upload_input_init(
    input: *mut tos_abort_multipart_upload_input,
) -> tos_result {
    init_versioned(input)
}

/// Aborts the multipart upload `input->upload_id` of `input->key` in `input->bucket`: the
/// server deletes its parts, and the upload can no longer be resumed or completed (a
/// checkpoint naming it then starts afresh). Blocks the calling thread.
///
/// `client`, `input`, and its `bucket`, `key` and `upload_id` are required (NULL is
/// `TOS_ERR_NULL_ARGUMENT`; an empty `upload_id` is `TOS_ERR_INVALID_ARGUMENT`). Returns
/// `TOS_OK` once the server confirmed; otherwise the code and, when `error_out` is not NULL,
/// a `tos_error` in `*error_out`: `TOS_ERR_SERVER` with code `NoSuchUpload` when no such
/// upload is open, `TOS_PAUSED` / `TOS_ABORTED` when the hook was pulled first. From inside a
/// callback: `TOS_ERR_REENTRANT_CALL`.
#[no_mangle]
pub unsafe extern "C" fn tos_abort_multipart_upload(
    client: *const tos_client,
    input: *const tos_abort_multipart_upload_input,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        let client = clone_arc(client).ok_or_else(|| null_error("client"))?;
        refuse_inside_callback("tos_abort_multipart_upload")?;
        let input = read_versioned(input, "input")?;
        let request = AbortUploadRequest {
            bucket: required_string(input.bucket, "input->bucket")?,
            key: required_string(input.key, "input->key")?,
            upload_id: required_string(input.upload_id, "input->upload_id")?,
            cancel: clone_arc(input.cancel_hook).map(|h| h.hook.clone()),
        };
        let _sigpipe = super::signals::CallerGuard::new();
        client.client.abort_multipart_upload(request)?;
        Ok(())
    })
}
