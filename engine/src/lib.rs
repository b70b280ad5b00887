//! The upload engine of libtosupload: safe, async Rust that knows nothing of C. The C ABI
//! crate (the workspace's top level) turns C calls into these types and these errors into C
//! result codes.
//!
//! Layout: `client` owns the runtime and the wire; `upload` is the resumable upload of one
//! file (checkpoint, resume, parts, complete); `upload_dir` uploads a folder tree on top of
//! it; `upload_stream` uploads a stream of unknown size; `parts` is what the three share to
//! send bytes (part workers, automatic concurrency, progress, one-request puts);
//! `download` is the resumable download of one object to a file (ranged GETs into a temp
//! file, checkpoint, rename); `download_dir` downloads every object under a prefix into a
//! folder on top of it; `open_uploads` lists and aborts multipart uploads left open on
//! the server; `state_file` reads and writes the engine's own files (checkpoints, journals)
//! safely; `wire` turns typed operations into signed HTTP requests under one retry policy,
//! with each protocol behind `wire::protocol::Protocol`. The rest is shared by all of them.
#![forbid(unsafe_code)]

mod attributes;
mod cancel;
mod checkpoint_lock;
mod client;
mod config;
mod credentials;
mod download;
mod download_dir;
/// The download checkpoint file (the TOS Go SDK's format), public for tools and tests.
pub use download::checkpoint as download_checkpoint;
mod error;
mod events;
mod file_system;
pub mod logger;
mod open_uploads;
mod parts;
mod rate_limit;
mod state_file;
mod upload;
/// The checkpoint file (the TOS Go SDK's format), public so that tools and tests can read it.
pub use upload::checkpoint;
mod upload_dir;
mod upload_stream;
mod wire;

#[cfg(test)]
mod proptests;

pub use attributes::CreateAttributes;
pub use cancel::{CancelHook, CancelKind};
pub use client::Client;
pub use config::{
    Addressing, ClientConfig, CredentialsSource, S3Checksum, ThreadStartHook, WireProtocol,
};
pub use credentials::{CredentialsProvider, ProvidedCredentials, StaticCredentials};
pub use download::events::{DownloadEvent, DownloadEventKind, DownloadObservers, DownloadPartInfo};
pub use download::request::{DownloadFileOutput, DownloadFileRequest};
pub use download_dir::request::{
    DownloadDirObservers, DownloadDirOutput, DownloadDirRequest, MAX_AUTO_DOWNLOAD_FILES,
};
pub use error::{ErrorKind, ServerErrorDetail, UploadError};
pub use events::{
    AcquireFn, Observers, PartInfo, ProgressKind, ProgressStatus, UploadEvent, UploadEventKind,
};
pub use open_uploads::{AbortUploadRequest, ListUploadsRequest, MultipartUpload};
pub use rate_limit::{Permit, RateLimiter, TokenBucket};
pub use upload::file_request::{UploadFileOutput, UploadFileRequest};
pub use upload_dir::dir_request::{
    DirEvent, DirEventKind, DirObservers, DirProgress, ErrorPolicy, FileFailure, SymlinkPolicy,
    UploadDirOutput, UploadDirRequest,
};
pub use upload_stream::UploadStreamRequest;
