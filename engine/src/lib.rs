//! The upload engine of libtosupload: safe, async Rust that knows nothing of C. The C ABI
//! crate (the workspace's top level) turns C calls into these types and these errors into C
//! result codes.
//!
//! Layout: `client` owns the runtime and the wire; `upload` is the resumable upload of one
//! file (checkpoint, resume, parts, complete); `upload_dir` uploads a folder tree on top of
//! it; `upload_stream` uploads a stream of unknown size with the same part workers; `wire` turns typed operations into signed HTTP requests under one retry policy, with
//! each protocol behind `wire::protocol::Protocol`. The rest is shared by all of them.
#![forbid(unsafe_code)]

mod attributes;
mod cancel;
mod client;
mod config;
mod error;
mod events;
mod local_file;
pub mod log;
mod rate_limit;
mod upload;
/// The checkpoint file (the TOS Go SDK's format), public so that tools and tests can read it.
pub use upload::checkpoint;
mod upload_dir;
mod upload_stream;
mod uploads;
mod wire;

#[cfg(test)]
mod proptests;

pub use attributes::CreateAttributes;
pub use cancel::{CancelHook, CancelKind};
pub use client::Client;
pub use config::{Addressing, ClientConfig, CredentialsSource, ThreadStartHook, WireProtocol};
pub use error::{ErrorKind, ServerErrorDetail, UploadError};
pub use events::{
    AcquireFn, Observers, PartInfo, ProgressKind, ProgressStatus, UploadEvent, UploadEventKind,
};
pub use rate_limit::{Permit, RateLimiter, TokenBucket};
pub use upload::file_request::{UploadFileOutput, UploadFileRequest};
pub use upload_dir::dir_request::{
    DirEvent, DirEventKind, DirObservers, DirProgress, ErrorPolicy, FileFailure, SymlinkPolicy,
    UploadDirOutput, UploadDirRequest,
};
pub use upload_stream::UploadStreamRequest;
pub use uploads::{AbortUploadRequest, ListUploadsRequest, MultipartUpload};
