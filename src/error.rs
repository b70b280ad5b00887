//! `tos_error`: an owned error object with the details of a failure. There is no
//! thread-local "last error": failures happen on worker threads, and the object carries
//! everything.

use super::result::tos_result;
use std::any::Any;
use std::ffi::{c_char, CString};
use std::ptr;
use tosupload_engine::UploadError;

/// The details of a failure. Made by the library and returned through `tos_error **error_out`
/// (the caller owns it and frees it with `tos_error_free`), or lent to an event callback
/// (valid only during the callback; do not free). Read it with the `tos_error_*` getters;
/// every string getter returns a string owned by the error, valid until it is freed, never
/// NULL for a non-NULL error ("" when the detail is absent). Immutable: the getters may run on
/// several threads at once; `tos_error_free` must not overlap any other use.
pub struct tos_error {
    result: tos_result,
    message: CString,
    server: Option<Box<ServerStrings>>,
    cause: CString,
}

struct ServerStrings {
    status: u16,
    code: CString,
    message: CString,
    request_id: CString,
    ec: CString,
    host_id: CString,
}

/// A C string from Rust text; interior NULs (never expected) become U+FFFD.
pub(crate) fn cstring(text: &str) -> CString {
    CString::new(text)
        .unwrap_or_else(|_| CString::new(text.replace('\0', "\u{fffd}")).expect("no NUL left"))
}

/// A C string of message text made one line (`logger::one_line`): a line break in a file
/// name, a key or a server's body cannot split the line a program logs.
pub(crate) fn message_cstring(text: &str) -> CString {
    cstring(&tosupload_engine::logger::one_line(text))
}

/// A local path as the C string of its bytes (paths need not be UTF-8).
pub(crate) fn path_cstring(path: &std::path::Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes()).unwrap_or_else(|_| cstring(&path.to_string_lossy()))
}

impl tos_error {
    pub(crate) fn new(result: tos_result, message: impl Into<String>) -> tos_error {
        tos_error {
            result,
            message: message_cstring(&message.into()),
            server: None,
            cause: CString::default(),
        }
    }

    pub(crate) fn from_upload_error(error: &UploadError) -> tos_error {
        tos_error {
            result: tos_result::from_kind(error.kind),
            message: message_cstring(&error.message),
            server: error.server.as_ref().map(|s| {
                Box::new(ServerStrings {
                    status: s.status,
                    code: message_cstring(&s.code),
                    message: message_cstring(&s.message),
                    request_id: message_cstring(&s.request_id),
                    ec: message_cstring(&s.ec),
                    host_id: message_cstring(&s.host_id),
                })
            }),
            cause: message_cstring(error.cause.as_deref().unwrap_or("")),
        }
    }

    pub(crate) fn from_panic(payload: Box<dyn Any + Send>) -> tos_error {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        tos_error::new(
            tos_result::TOS_ERR_PANIC,
            format!("internal error (a bug in tosupload, please report it): {what}"),
        )
    }

    /// The same details under another code and message (server fields and cause kept).
    pub(crate) fn retitled(mut self, result: tos_result, message: &str) -> tos_error {
        self.result = result;
        self.message = message_cstring(message);
        self
    }

    pub fn result(&self) -> tos_result {
        self.result
    }

    pub fn message(&self) -> &str {
        self.message.to_str().unwrap_or_default()
    }
}

impl From<UploadError> for tos_error {
    fn from(error: UploadError) -> tos_error {
        tos_error::from_upload_error(&error)
    }
}

/// Stores `error` in `*error_out` when `error_out` is not NULL, and returns its code.
pub(crate) fn store_error(error_out: *mut *mut tos_error, error: tos_error) -> tos_result {
    let result = error.result;
    if !error_out.is_null() {
        // SAFETY: the C contract of every function with an `error_out` parameter: NULL or a
        // valid `tos_error *` slot.
        unsafe { error_out.write(Box::into_raw(Box::new(error))) };
    }
    result
}

fn str_or_null(
    error: *const tos_error,
    get: impl FnOnce(&tos_error) -> *const c_char,
) -> *const c_char {
    // SAFETY: NULL or a live `tos_error`, per the getters' contract.
    match unsafe { error.as_ref() } {
        Some(error) => get(error),
        None => ptr::null(),
    }
}

fn server_str(
    error: *const tos_error,
    get: impl FnOnce(&ServerStrings) -> &CString,
) -> *const c_char {
    str_or_null(error, |e| match &e.server {
        Some(server) => get(server).as_ptr(),
        None => c"".as_ptr(),
    })
}

/// The result code of the failure (never `TOS_OK`); `TOS_ERR_NULL_ARGUMENT` for a NULL error.
#[no_mangle]
pub unsafe extern "C" fn tos_error_result(error: *const tos_error) -> tos_result {
    ffi_panic_boundary! {
        error.as_ref().map_or(tos_result::TOS_ERR_NULL_ARGUMENT, |e| e.result)
    }
}

/// A description of the failure for people, in English; never empty. NULL for a NULL error.
#[no_mangle]
pub unsafe extern "C" fn tos_error_message(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { str_or_null(error, |e| e.message.as_ptr()) }
}

/// True when the failure is an error response from the server (then the HTTP status, Code,
/// server Message, RequestId, EC and HostId getters have the server's values).
#[no_mangle]
pub unsafe extern "C" fn tos_error_is_server_error(error: *const tos_error) -> bool {
    ffi_panic_boundary! { error.as_ref().is_some_and(|e| e.server.is_some()) }
}

/// The HTTP status of the server's error response; 0 when it is not a server error.
#[no_mangle]
pub unsafe extern "C" fn tos_error_http_status(error: *const tos_error) -> u16 {
    ffi_panic_boundary! {
        error.as_ref().and_then(|e| e.server.as_ref()).map_or(0, |s| s.status)
    }
}

/// The TOS error `Code` (`"NoSuchBucket"`, ...); "" when it is not a server error.
#[no_mangle]
pub unsafe extern "C" fn tos_error_code(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { server_str(error, |s| &s.code) }
}

/// The `Message` of the server's error response; "" when it is not a server error.
#[no_mangle]
pub unsafe extern "C" fn tos_error_server_message(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { server_str(error, |s| &s.message) }
}

/// The server's request id (`x-tos-request-id`), for support tickets; "" if none.
#[no_mangle]
pub unsafe extern "C" fn tos_error_request_id(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { server_str(error, |s| &s.request_id) }
}

/// The server's detailed error code `EC`; "" if none.
#[no_mangle]
pub unsafe extern "C" fn tos_error_ec(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { server_str(error, |s| &s.ec) }
}

/// The server's `HostId`; "" if none.
#[no_mangle]
pub unsafe extern "C" fn tos_error_host_id(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { server_str(error, |s| &s.host_id) }
}

/// The underlying cause (an I/O or transport error text); "" if none.
#[no_mangle]
pub unsafe extern "C" fn tos_error_cause(error: *const tos_error) -> *const c_char {
    ffi_panic_boundary! { str_or_null(error, |e| e.cause.as_ptr()) }
}

/// Frees an error returned through an `error_out` parameter. Accepts NULL. Never free the
/// error lent to an event callback.
#[no_mangle]
pub unsafe extern "C" fn tos_error_free(error: *mut tos_error) {
    ffi_panic_boundary! {
        if !error.is_null() {
            drop(Box::from_raw(error));
        }
    }
}
