//! `tos_upload_dir_output`: what a directory upload did, with the list of the files that
//! failed, and its getters.

use crate::error::tos_error;
use crate::folder::{self, Failure};
use std::ffi::c_char;
use std::ptr;
use tosupload_engine::UploadDirOutput;

/// The result of a directory upload. Made by `tos_upload_dir` (on `TOS_OK` and on
/// `TOS_ERR_SOME_FILES_FAILED`), freed by `tos_upload_dir_output_free`; read with the
/// `tos_upload_dir_output_*` getters, whose strings and errors are owned by the output and
/// valid until it is freed. Immutable: the getters may run on several threads at once;
/// `tos_upload_dir_output_free` must not overlap any other use.
pub struct tos_upload_dir_output {
    files_uploaded: u64,
    bytes_uploaded: u64,
    files_skipped: u64,
    files_left_out: u64,
    bytes_skipped: u64,
    failures: Vec<Failure>,
}

impl From<&UploadDirOutput> for tos_upload_dir_output {
    fn from(o: &UploadDirOutput) -> Self {
        tos_upload_dir_output {
            files_uploaded: o.files_uploaded,
            bytes_uploaded: o.bytes_uploaded,
            files_skipped: o.files_skipped,
            files_left_out: o.files_left_out,
            bytes_skipped: o.bytes_skipped,
            failures: folder::failures_of(&o.failures),
        }
    }
}

/// The error of `TOS_ERR_SOME_FILES_FAILED`: the first failure's details, retitled.
pub(super) fn some_files_failed(output: &UploadDirOutput) -> Option<tos_error> {
    folder::some_files_failed(&output.failures, output.files_uploaded, "uploaded")
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
    get: impl FnOnce(&Failure) -> T,
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

/// Entries the walk found and left out by policy: symbolic links not followed
/// (`follow_symlinks` false) and what is not a regular file (a FIFO, a socket, a device). Each
/// was also a `TOS_UPLOAD_DIR_EVENT_KIND_FILE_SKIPPED` event with its reason. Not counted in
/// `tos_upload_dir_output_files_skipped`. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_upload_dir_output_files_left_out(
    output: *const tos_upload_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.files_left_out) }
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
