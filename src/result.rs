//! `tos_result`: the stable result codes of every fallible function.

use std::ffi::{c_char, CStr};
use tosupload_engine::ErrorKind;

/// The result of a call. `TOS_OK` is 0; the other codes are grouped by hundreds: 1xx the
/// input was refused before anything was sent, 2xx the upload failed while running, 3xx the
/// upload was stopped on request, 9xx a bug in the library. The numbers are part of the ABI
/// and never change; new codes may be added.
///
/// cbindgen:prefix-with-name=false
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum tos_result {
    /// Success.
    TOS_OK = 0,
    /// A required pointer argument or field was NULL.
    TOS_ERR_NULL_ARGUMENT = 100,
    /// An options or input struct's `struct_size` does not match this library: the header
    /// used to compile the caller and the library do not match, or `struct_size` was not set
    /// (use the struct's `_init` function).
    TOS_ERR_STRUCT_SIZE = 101,
    /// A string argument is not valid UTF-8.
    TOS_ERR_INVALID_UTF8 = 102,
    /// An argument is out of range (an unknown enum value, a bad header value, ...).
    TOS_ERR_INVALID_ARGUMENT = 103,
    /// The endpoint is missing or not a valid URL.
    TOS_ERR_INVALID_ENDPOINT = 104,
    /// The credentials are incomplete (an access key without a secret key, no region, ...).
    TOS_ERR_MISSING_CREDENTIALS = 105,
    /// The bucket name breaks the TOS naming rules.
    TOS_ERR_INVALID_BUCKET = 106,
    /// The object key is empty, too long, or has characters TOS refuses.
    TOS_ERR_INVALID_KEY = 107,
    /// The part size is outside 5 MiB ..= 5 GiB.
    TOS_ERR_INVALID_PART_SIZE = 108,
    /// The file would need more than 10,000 parts of the requested size; or, for
    /// `tos_upload_stream`, the stream ran past 10,000 parts (found while uploading: the
    /// multipart upload was aborted; use a larger part size).
    TOS_ERR_TOO_MANY_PARTS = 109,
    /// The file does not exist.
    TOS_ERR_FILE_NOT_FOUND = 110,
    /// The path names a directory, not a file.
    TOS_ERR_FILE_IS_DIRECTORY = 111,
    /// The file exists but cannot be opened or read.
    TOS_ERR_FILE_UNREADABLE = 112,
    /// The checkpoint location cannot be used (its directory cannot be created or written).
    TOS_ERR_CHECKPOINT_PATH = 113,
    /// A call that sends requests, or makes or frees a client, was made from inside one of
    /// the library's callbacks (see "Callbacks" in the README); nothing was done.
    TOS_ERR_REENTRANT_CALL = 114,
    /// A network failure (connection refused or reset, DNS, TLS) after all retries.
    TOS_ERR_NETWORK = 200,
    /// The server did not answer in time, after all retries.
    TOS_ERR_TIMEOUT = 201,
    /// The server answered with an error; see `tos_error_http_status` and `tos_error_code`.
    TOS_ERR_SERVER = 202,
    /// A CRC-64 sent by the server does not match the data sent.
    TOS_ERR_CRC_MISMATCH = 203,
    /// The file changed while it was being uploaded.
    TOS_ERR_FILE_CHANGED = 204,
    /// The checkpoint file could not be written or removed.
    TOS_ERR_CHECKPOINT_IO = 205,
    /// `tos_upload_dir` only: the directory was walked and uploaded, but some files failed.
    /// Unlike every other failure, the output is written too: it lists the failures, and
    /// the `tos_error` describes the first of them.
    TOS_ERR_SOME_FILES_FAILED = 206,
    /// `tos_upload_stream` only: the read callback returned a negative value (or more bytes
    /// than asked for). The multipart upload was aborted; no object was created.
    TOS_ERR_STREAM_READ = 207,
    /// `tos_download_file` only: the object was replaced on the server during the download
    /// (a ranged GET no longer matched the ETag it started with). Nothing is at the
    /// destination, the temporary file and checkpoint are removed; the next call downloads
    /// the new object from the start.
    TOS_ERR_OBJECT_CHANGED = 208,
    /// `tos_download_file` only: a local file could not be written, synced or renamed (no
    /// space left, a read-only directory, permission denied); the message names the path and
    /// the system's error. The checkpoint stays usable: after the cause is fixed, the same
    /// call resumes.
    TOS_ERR_LOCAL_WRITE = 209,
    /// Another run (another process, or another call in this one) is working on the same
    /// checkpoint or folder journal: the same `tos_download_file`, `tos_upload_file`,
    /// `tos_download_dir` or `tos_upload_dir` with checkpointing on. This call failed at once,
    /// before any request, and touched nothing; the message names the checkpoint. It holds an
    /// exclusive lock on `<checkpoint>.lock` while it runs; a lock file left by a killed
    /// process does not block (since 1.2.0).
    TOS_ERR_CHECKPOINT_IN_USE = 210,
    /// Paused by `tos_pause(hook)`: what lets the call resume is kept (an upload's multipart
    /// upload and checkpoint; a download's temporary file and checkpoint; a folder's journal),
    /// and the same call with checkpointing on resumes it.
    TOS_PAUSED = 300,
    /// Aborted by `tos_abort(hook)`: what the call had made is removed (an upload's multipart
    /// upload on the server and its checkpoint; a download's temporary file and checkpoint).
    TOS_ABORTED = 301,
    /// An unexpected internal failure (for example the runtime could not start).
    TOS_ERR_INTERNAL = 900,
    /// A bug in the library: a Rust panic, caught at the C boundary or in one of the upload's
    /// worker tasks. The library object involved may be in an inconsistent state; free it.
    TOS_ERR_PANIC = 901,
}

// Written out rather than derived (strum and the like): the names must be static
// NUL-terminated C strings, and cbindgen must see a plain enum with its doc comments; a test
// (src/tests.rs) checks that `ALL` and `name` cover every code.
impl tos_result {
    /// Every code, for tests and for `tos_result_name`.
    pub const ALL: [tos_result; 31] = [
        tos_result::TOS_OK,
        tos_result::TOS_ERR_NULL_ARGUMENT,
        tos_result::TOS_ERR_STRUCT_SIZE,
        tos_result::TOS_ERR_INVALID_UTF8,
        tos_result::TOS_ERR_INVALID_ARGUMENT,
        tos_result::TOS_ERR_INVALID_ENDPOINT,
        tos_result::TOS_ERR_MISSING_CREDENTIALS,
        tos_result::TOS_ERR_INVALID_BUCKET,
        tos_result::TOS_ERR_INVALID_KEY,
        tos_result::TOS_ERR_INVALID_PART_SIZE,
        tos_result::TOS_ERR_TOO_MANY_PARTS,
        tos_result::TOS_ERR_FILE_NOT_FOUND,
        tos_result::TOS_ERR_FILE_IS_DIRECTORY,
        tos_result::TOS_ERR_FILE_UNREADABLE,
        tos_result::TOS_ERR_CHECKPOINT_PATH,
        tos_result::TOS_ERR_REENTRANT_CALL,
        tos_result::TOS_ERR_NETWORK,
        tos_result::TOS_ERR_TIMEOUT,
        tos_result::TOS_ERR_SERVER,
        tos_result::TOS_ERR_CRC_MISMATCH,
        tos_result::TOS_ERR_FILE_CHANGED,
        tos_result::TOS_ERR_CHECKPOINT_IO,
        tos_result::TOS_ERR_SOME_FILES_FAILED,
        tos_result::TOS_ERR_STREAM_READ,
        tos_result::TOS_ERR_OBJECT_CHANGED,
        tos_result::TOS_ERR_LOCAL_WRITE,
        tos_result::TOS_ERR_CHECKPOINT_IN_USE,
        tos_result::TOS_PAUSED,
        tos_result::TOS_ABORTED,
        tos_result::TOS_ERR_INTERNAL,
        tos_result::TOS_ERR_PANIC,
    ];

    pub fn from_kind(kind: ErrorKind) -> tos_result {
        match kind {
            ErrorKind::InvalidArgument => tos_result::TOS_ERR_INVALID_ARGUMENT,
            ErrorKind::InvalidEndpoint => tos_result::TOS_ERR_INVALID_ENDPOINT,
            ErrorKind::MissingCredentials => tos_result::TOS_ERR_MISSING_CREDENTIALS,
            ErrorKind::InvalidBucket => tos_result::TOS_ERR_INVALID_BUCKET,
            ErrorKind::InvalidKey => tos_result::TOS_ERR_INVALID_KEY,
            ErrorKind::InvalidPartSize => tos_result::TOS_ERR_INVALID_PART_SIZE,
            ErrorKind::TooManyParts => tos_result::TOS_ERR_TOO_MANY_PARTS,
            ErrorKind::FileNotFound => tos_result::TOS_ERR_FILE_NOT_FOUND,
            ErrorKind::FileIsDirectory => tos_result::TOS_ERR_FILE_IS_DIRECTORY,
            ErrorKind::FileUnreadable => tos_result::TOS_ERR_FILE_UNREADABLE,
            ErrorKind::CheckpointPathInvalid => tos_result::TOS_ERR_CHECKPOINT_PATH,
            ErrorKind::Network => tos_result::TOS_ERR_NETWORK,
            ErrorKind::Timeout => tos_result::TOS_ERR_TIMEOUT,
            ErrorKind::Server => tos_result::TOS_ERR_SERVER,
            ErrorKind::CrcMismatch => tos_result::TOS_ERR_CRC_MISMATCH,
            ErrorKind::FileChanged => tos_result::TOS_ERR_FILE_CHANGED,
            ErrorKind::CheckpointIo => tos_result::TOS_ERR_CHECKPOINT_IO,
            ErrorKind::StreamRead => tos_result::TOS_ERR_STREAM_READ,
            ErrorKind::ObjectChanged => tos_result::TOS_ERR_OBJECT_CHANGED,
            ErrorKind::LocalWrite => tos_result::TOS_ERR_LOCAL_WRITE,
            ErrorKind::CheckpointInUse => tos_result::TOS_ERR_CHECKPOINT_IN_USE,
            ErrorKind::Paused => tos_result::TOS_PAUSED,
            ErrorKind::Aborted => tos_result::TOS_ABORTED,
            ErrorKind::Internal => tos_result::TOS_ERR_INTERNAL,
            ErrorKind::Panic => tos_result::TOS_ERR_PANIC,
        }
    }

    pub fn name(self) -> &'static CStr {
        match self {
            tos_result::TOS_OK => c"TOS_OK",
            tos_result::TOS_ERR_NULL_ARGUMENT => c"TOS_ERR_NULL_ARGUMENT",
            tos_result::TOS_ERR_STRUCT_SIZE => c"TOS_ERR_STRUCT_SIZE",
            tos_result::TOS_ERR_INVALID_UTF8 => c"TOS_ERR_INVALID_UTF8",
            tos_result::TOS_ERR_INVALID_ARGUMENT => c"TOS_ERR_INVALID_ARGUMENT",
            tos_result::TOS_ERR_INVALID_ENDPOINT => c"TOS_ERR_INVALID_ENDPOINT",
            tos_result::TOS_ERR_MISSING_CREDENTIALS => c"TOS_ERR_MISSING_CREDENTIALS",
            tos_result::TOS_ERR_INVALID_BUCKET => c"TOS_ERR_INVALID_BUCKET",
            tos_result::TOS_ERR_INVALID_KEY => c"TOS_ERR_INVALID_KEY",
            tos_result::TOS_ERR_INVALID_PART_SIZE => c"TOS_ERR_INVALID_PART_SIZE",
            tos_result::TOS_ERR_TOO_MANY_PARTS => c"TOS_ERR_TOO_MANY_PARTS",
            tos_result::TOS_ERR_FILE_NOT_FOUND => c"TOS_ERR_FILE_NOT_FOUND",
            tos_result::TOS_ERR_FILE_IS_DIRECTORY => c"TOS_ERR_FILE_IS_DIRECTORY",
            tos_result::TOS_ERR_FILE_UNREADABLE => c"TOS_ERR_FILE_UNREADABLE",
            tos_result::TOS_ERR_CHECKPOINT_PATH => c"TOS_ERR_CHECKPOINT_PATH",
            tos_result::TOS_ERR_REENTRANT_CALL => c"TOS_ERR_REENTRANT_CALL",
            tos_result::TOS_ERR_NETWORK => c"TOS_ERR_NETWORK",
            tos_result::TOS_ERR_TIMEOUT => c"TOS_ERR_TIMEOUT",
            tos_result::TOS_ERR_SERVER => c"TOS_ERR_SERVER",
            tos_result::TOS_ERR_CRC_MISMATCH => c"TOS_ERR_CRC_MISMATCH",
            tos_result::TOS_ERR_FILE_CHANGED => c"TOS_ERR_FILE_CHANGED",
            tos_result::TOS_ERR_CHECKPOINT_IO => c"TOS_ERR_CHECKPOINT_IO",
            tos_result::TOS_ERR_SOME_FILES_FAILED => c"TOS_ERR_SOME_FILES_FAILED",
            tos_result::TOS_ERR_STREAM_READ => c"TOS_ERR_STREAM_READ",
            tos_result::TOS_ERR_OBJECT_CHANGED => c"TOS_ERR_OBJECT_CHANGED",
            tos_result::TOS_ERR_LOCAL_WRITE => c"TOS_ERR_LOCAL_WRITE",
            tos_result::TOS_ERR_CHECKPOINT_IN_USE => c"TOS_ERR_CHECKPOINT_IN_USE",
            tos_result::TOS_PAUSED => c"TOS_PAUSED",
            tos_result::TOS_ABORTED => c"TOS_ABORTED",
            tos_result::TOS_ERR_INTERNAL => c"TOS_ERR_INTERNAL",
            tos_result::TOS_ERR_PANIC => c"TOS_ERR_PANIC",
        }
    }

    /// The code with this number, if there is one (C may pass any `uint32_t`).
    pub fn from_u32(value: u32) -> Option<tos_result> {
        tos_result::ALL.into_iter().find(|r| *r as u32 == value)
    }
}

/// The name of a result code as a static string (`"TOS_ERR_INVALID_KEY"`), or
/// `"TOS_UNKNOWN_RESULT"` for a number that is not a code. Never NULL; do not free.
#[no_mangle]
pub extern "C" fn tos_result_name(result: u32) -> *const c_char {
    let name: *const c_char = ffi_panic_boundary! {
        tos_result::from_u32(result)
            .map_or(c"TOS_UNKNOWN_RESULT", tos_result::name)
            .as_ptr()
    };
    // The boundary's answer to a panic is NULL; this function promises a string, always.
    if name.is_null() {
        c"TOS_UNKNOWN_RESULT".as_ptr()
    } else {
        name
    }
}
