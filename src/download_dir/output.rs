//! `tos_download_dir_output`: what a folder download did, with the list of the objects that
//! failed, and its getters.

use crate::error::tos_error;
use crate::folder::{self, Failure};
use std::ffi::c_char;
use std::ptr;
use tosupload_engine::DownloadDirOutput;

/// The result of a folder download. Made by `tos_download_dir` (on `TOS_OK` and on
/// `TOS_ERR_SOME_FILES_FAILED`), freed by `tos_download_dir_output_free`; read with the
/// `tos_download_dir_output_*` getters, whose strings and errors are owned by the output and
/// valid until it is freed. Immutable: the getters may run on several threads at once;
/// `tos_download_dir_output_free` must not overlap any other use.
pub struct tos_download_dir_output {
    files_downloaded: u64,
    bytes_downloaded: u64,
    files_skipped: u64,
    bytes_skipped: u64,
    dirs_created: u64,
    failures: Vec<Failure>,
}

impl From<&DownloadDirOutput> for tos_download_dir_output {
    fn from(o: &DownloadDirOutput) -> Self {
        tos_download_dir_output {
            files_downloaded: o.files_downloaded,
            bytes_downloaded: o.bytes_downloaded,
            files_skipped: o.files_skipped,
            bytes_skipped: o.bytes_skipped,
            dirs_created: o.dirs_created,
            failures: folder::failures_of(&o.failures),
        }
    }
}

/// The error of `TOS_ERR_SOME_FILES_FAILED`: the first failure's details, retitled.
pub(super) fn some_files_failed(output: &DownloadDirOutput) -> Option<tos_error> {
    folder::some_files_failed(&output.failures, output.files_downloaded, "downloaded")
}

fn getter<T>(
    output: *const tos_download_dir_output,
    if_null: T,
    get: impl FnOnce(&tos_download_dir_output) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_download_dir_output`, per the getters' contract.
    unsafe { output.as_ref() }.map_or(if_null, get)
}

fn failure<T>(
    output: *const tos_download_dir_output,
    index: usize,
    if_none: T,
    get: impl FnOnce(&Failure) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_download_dir_output`, per the getters' contract.
    match unsafe { output.as_ref() }.and_then(|o| o.failures.get(index)) {
        Some(f) => get(f),
        None => if_none,
    }
}

/// Objects downloaded by this call (folder markers not counted). 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_files_downloaded(
    output: *const tos_download_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.files_downloaded) }
}

/// Body bytes this call fetched for the objects it downloaded: an object resumed from its
/// checkpoint counts only the ranges fetched now (as `tos_download_file_output_bytes_received`).
/// 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_bytes_downloaded(
    output: *const tos_download_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.bytes_downloaded) }
}

/// Objects not fetched: the checkpoint journal shows an earlier run wrote them (the object and
/// the local file unchanged since), or `skip_existing` found a local file of the same size
/// and CRC-64. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_files_skipped(
    output: *const tos_download_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.files_skipped) }
}

/// Bytes of the objects counted by `tos_download_dir_output_files_skipped`. 0 for a NULL
/// output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_bytes_skipped(
    output: *const tos_download_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.bytes_skipped) }
}

/// Directories made for keys ending in `/` (folder markers). 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_dirs_created(
    output: *const tos_download_dir_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.dirs_created) }
}

/// The number of files that failed (0 on `TOS_OK`). 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_failure_count(
    output: *const tos_download_dir_output,
) -> usize {
    ffi_panic_boundary! { getter(output, 0, |o| o.failures.len()) }
}

/// The local path of failure `index` (0-based, in the order they happened). NULL for a NULL
/// output or an index `>= tos_download_dir_output_failure_count`.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_failure_path(
    output: *const tos_download_dir_output,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! { failure(output, index, ptr::null(), |f| f.path.as_ptr()) }
}

/// The object key of failure `index`. NULL for a NULL output or an index out of range.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_failure_key(
    output: *const tos_download_dir_output,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! { failure(output, index, ptr::null(), |f| f.key.as_ptr()) }
}

/// Why file `index` failed: an error owned by the output (read it with the `tos_error_*`
/// getters; do not free it), valid until the output is freed. NULL for a NULL output or an
/// index out of range.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_failure_error(
    output: *const tos_download_dir_output,
    index: usize,
) -> *const tos_error {
    ffi_panic_boundary! {
        failure(output, index, ptr::null(), |f| &f.error as *const tos_error)
    }
}

/// Frees an output. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_download_dir_output_free(output: *mut tos_download_dir_output) {
    ffi_panic_boundary! {
        if !output.is_null() {
            drop(Box::from_raw(output));
        }
    }
}
