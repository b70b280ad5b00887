//! The upload engine: safe, async Rust. It never sees a raw pointer; the `ffi` module
//! translates C calls into these types.

pub mod cancel;
pub mod checkpoint;
pub mod client;
pub mod config;
pub mod crc64;
pub mod error;
pub mod events;
pub mod log;
pub mod rate_limit;
pub mod request;

pub use cancel::{CancelHook, CancelKind};
pub use client::Client;
pub use config::{Addressing, ClientConfig};
pub use error::{ErrorKind, ServerErrorDetail, UploadError};
pub use events::{Observers, PartInfo, ProgressKind, ProgressStatus, UploadEvent, UploadEventKind};
pub use rate_limit::{Permit, RateLimiter, TokenBucket};
pub use request::{CreateAttributes, UploadFileOutput, UploadFileRequest};
pub mod protocol;
pub mod transport;
mod upload;
pub mod upload_dir;
