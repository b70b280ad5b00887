//! `tos_download_file_output`: what a download wrote, and its getters.

use crate::error::{cstring, path_cstring};
use std::ffi::{c_char, CString};
use std::ptr;
use tosupload_engine::DownloadFileOutput;

/// The result of a completed `tos_download_file`, freed by `tos_download_file_output_free`;
/// read with the `tos_download_file_output_*` getters, whose strings are owned by the output
/// and valid until it is freed. Immutable: the getters may run on several threads at once;
/// `tos_download_file_output_free` must not overlap any other use.
pub struct tos_download_file_output {
    bucket: CString,
    key: CString,
    etag: CString,
    version_id: CString,
    file_path: CString,
    size: u64,
    crc64: Option<u64>,
    bytes_received: u64,
}

impl From<DownloadFileOutput> for tos_download_file_output {
    fn from(o: DownloadFileOutput) -> Self {
        tos_download_file_output {
            bucket: cstring(&o.bucket),
            key: cstring(&o.key),
            etag: cstring(&o.etag),
            version_id: cstring(o.version_id.as_deref().unwrap_or("")),
            file_path: path_cstring(&o.destination),
            size: o.size,
            crc64: o.crc64,
            bytes_received: o.bytes_received,
        }
    }
}

fn getter<T>(
    output: *const tos_download_file_output,
    if_null: T,
    get: impl FnOnce(&tos_download_file_output) -> T,
) -> T {
    // SAFETY: NULL or a live `tos_download_file_output`, per the getters' contract.
    unsafe { output.as_ref() }.map_or(if_null, get)
}

/// The bucket. NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_bucket(
    output: *const tos_download_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.bucket.as_ptr()) }
}

/// The object key. NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_key(
    output: *const tos_download_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.key.as_ptr()) }
}

/// The object's ETag as the server sent it (quoted). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_etag(
    output: *const tos_download_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.etag.as_ptr()) }
}

/// The version id ("" when the bucket is not versioned). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_version_id(
    output: *const tos_download_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.version_id.as_ptr()) }
}

/// The file written: the destination, or inside it when it named a directory (for a key
/// ending in `/`, the directory made). NULL for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_file_path(
    output: *const tos_download_file_output,
) -> *const c_char {
    ffi_panic_boundary! { getter(output, ptr::null(), |o| o.file_path.as_ptr()) }
}

/// The object's size in bytes. 0 for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_size(
    output: *const tos_download_file_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.size) }
}

/// True when the server gave the object's CRC-64 and the file was checked against it.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_has_crc64(
    output: *const tos_download_file_output,
) -> bool {
    ffi_panic_boundary! { getter(output, false, |o| o.crc64.is_some()) }
}

/// The object's CRC-64/XZ (ECMA-182), which the file matched, when
/// `tos_download_file_output_has_crc64`; 0 otherwise and for a NULL output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_crc64(
    output: *const tos_download_file_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.crc64.unwrap_or(0)) }
}

/// Body bytes this call received (ranges kept from an earlier run not counted). 0 for a NULL
/// output.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_bytes_received(
    output: *const tos_download_file_output,
) -> u64 {
    ffi_panic_boundary! { getter(output, 0, |o| o.bytes_received) }
}

/// Frees an output. Accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_download_file_output_free(output: *mut tos_download_file_output) {
    ffi_panic_boundary! {
        if !output.is_null() {
            drop(Box::from_raw(output));
        }
    }
}
