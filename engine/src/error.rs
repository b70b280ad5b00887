//! One error type for the whole engine. The FFI layer maps `ErrorKind` to the
//! stable C result codes; nothing here knows about C.

use std::fmt;

/// What went wrong, grouped so a caller can decide what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    // Bad input, found before anything is sent.
    InvalidArgument,
    InvalidEndpoint,
    MissingCredentials,
    InvalidBucket,
    InvalidKey,
    InvalidPartSize,
    TooManyParts,
    FileNotFound,
    FileIsDirectory,
    FileUnreadable,
    CheckpointPathInvalid,
    // Failures while uploading.
    Network,
    Timeout,
    Server,
    CrcMismatch,
    FileChanged,
    CheckpointIo,
    /// The caller's stream reader reported an error.
    StreamRead,
    /// A download found the object replaced on the server while it ran (a ranged GET
    /// answered 412 to the ETag the download started with, or another size).
    ObjectChanged,
    /// A download could not write, sync or rename its local files (no space, read-only,
    /// permission denied); the message names the path and the OS error.
    LocalWrite,
    /// Another run (another process, or another call in this one) holds the lock of the same
    /// checkpoint or folder journal; nothing was sent (docs/download.md §3.4).
    CheckpointInUse,
    Paused,
    Aborted,
    Internal,
    /// A worker task panicked: a bug in the engine, not a failure of the upload itself.
    Panic,
}

/// A 404 to a HEAD has no body, so no code: say which thing is missing, from the EC header
/// where the server sent one (TOS's and the local server's bucket codes), else the object, as
/// S3 SDKs do. Callers then tell a missing object from other failures by its code.
fn name_a_bodiless_not_found(detail: &mut ServerErrorDetail, operation: &str) {
    if detail.status != 404 || !detail.code.is_empty() || !operation.starts_with("Head") {
        return;
    }
    let bucket_missing = matches!(detail.ec.as_str(), "0006-00000001" | "0404-00000001");
    let (code, message) = if bucket_missing {
        ("NoSuchBucket", "the bucket does not exist")
    } else {
        ("NoSuchKey", "the object does not exist")
    };
    detail.code = code.to_string();
    if detail.message.is_empty() {
        detail.message = format!("{message} (a HEAD answer has no body; the code is inferred)");
    }
}

/// Detail of an error response from the server, for support tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerErrorDetail {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: String,
    pub host_id: String,
    pub ec: String,
    /// Seconds from a `Retry-After` header, when the server sent one.
    pub retry_after_secs: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct UploadError {
    pub kind: ErrorKind,
    pub message: String,
    pub server: Option<Box<ServerErrorDetail>>,
    /// Text of the underlying cause (I/O or transport error), if any.
    pub cause: Option<String>,
}

impl UploadError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        UploadError {
            kind,
            message: message.into(),
            server: None,
            cause: None,
        }
    }

    pub fn with_cause(mut self, cause: impl fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    pub fn server(mut detail: ServerErrorDetail, operation: &str) -> Self {
        name_a_bodiless_not_found(&mut detail, operation);
        let message = format!(
            "{operation} failed: HTTP {} {}: {}",
            detail.status, detail.code, detail.message
        );
        UploadError {
            kind: ErrorKind::Server,
            message,
            server: Some(Box::new(detail)),
            cause: None,
        }
    }

    /// True when the error came from the server's answer rather than from this side.
    pub fn is_server_error(&self) -> bool {
        self.server.is_some()
    }

    pub fn http_status(&self) -> Option<u16> {
        self.server.as_ref().map(|s| s.status)
    }
}

impl fmt::Display for UploadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(cause) = &self.cause {
            write!(f, " (cause: {cause})")?;
        }
        Ok(())
    }
}

impl std::error::Error for UploadError {}

pub type Result<T, E = UploadError> = std::result::Result<T, E>;
