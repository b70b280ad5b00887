//! What the two folder calls (`tos_upload_dir`, `tos_download_dir`) share in the C layer: the
//! owned C copies of a per-file event's strings, the list of failed files their outputs hold,
//! and the error of `TOS_ERR_SOME_FILES_FAILED`. Their C structs stay separate, named for
//! their call (the 1.0 naming rule); only what fills them lives here once.

use crate::error::{cstring, path_cstring, tos_error};
use crate::result::tos_result;
use std::ffi::{c_char, CString};
use std::ptr;
use tosupload_engine::{DirEvent, FileFailure};

/// The C strings of one `DirEvent`, alive while the caller's callback runs.
pub(crate) struct EventStrings {
    pub path: CString,
    pub key: CString,
    etag: Option<CString>,
    reason: Option<CString>,
    error: Option<tos_error>,
}

impl EventStrings {
    pub fn of(event: &DirEvent) -> EventStrings {
        EventStrings {
            path: path_cstring(&event.path),
            key: cstring(&event.key),
            etag: event.etag.as_deref().map(cstring),
            reason: event.reason.as_deref().map(cstring),
            error: event.error.as_ref().map(tos_error::from_upload_error),
        }
    }

    pub fn etag(&self) -> *const c_char {
        self.etag.as_ref().map_or(ptr::null(), |s| s.as_ptr())
    }

    pub fn reason(&self) -> *const c_char {
        self.reason.as_ref().map_or(ptr::null(), |s| s.as_ptr())
    }

    pub fn error(&self) -> *const tos_error {
        self.error
            .as_ref()
            .map_or(ptr::null(), |e| e as *const tos_error)
    }
}

/// One failed file of a folder call, as its output keeps it.
pub(crate) struct Failure {
    pub path: CString,
    pub key: CString,
    pub error: tos_error,
}

pub(crate) fn failures_of(failures: &[FileFailure]) -> Vec<Failure> {
    failures
        .iter()
        .map(|f| Failure {
            path: path_cstring(&f.path),
            key: cstring(&f.key),
            error: tos_error::from_upload_error(&f.error),
        })
        .collect()
}

/// The error of `TOS_ERR_SOME_FILES_FAILED`: the first failure's details, retitled with the
/// count (`done` files were `verb`, e.g. "uploaded").
pub(crate) fn some_files_failed(
    failures: &[FileFailure],
    done: u64,
    verb: &str,
) -> Option<tos_error> {
    let first = failures.first()?;
    let count = failures.len();
    // A name that is not UTF-8 as Debug shows it (\xFF), as the engine's messages do.
    let path = match first.path.to_str() {
        Some(path) => path.to_string(),
        None => format!("{:?}", first.path),
    };
    let what = first.error.to_string();
    // Most engine messages already name the file.
    let first_text = if what.contains(&path) {
        what
    } else {
        format!("{path}: {what}")
    };
    let message = format!(
        "{count} file{} failed ({done} {verb}); the first: {first_text}",
        if count == 1 { "" } else { "s" },
    );
    Some(
        tos_error::from_upload_error(&first.error)
            .retitled(tos_result::TOS_ERR_SOME_FILES_FAILED, &message),
    )
}
