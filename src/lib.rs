//! The C ABI: `extern "C"` functions, argument conversion and guards, nothing else.
//!
//! One file per C object family (after rustls-ffi), named for its call: `client`,
//! `upload_file`, `upload_stream`, `upload_dir` (a folder: input, `events`, `output`),
//! `multipart_uploads` (listing and aborting open multipart uploads), `error`, `callbacks`,
//! `cancel`, `rate_limiter`, `log`, `crc`, `version`; plus `attributes` (the object attributes
//! embedded in the upload inputs), `stored_object` (what the file and stream outputs hold),
//! `result` (the stable result codes), `guard` (the panic boundary and the NULL / struct_size
//! / UTF-8 checks), `reentrancy` (the one rule for calls made from inside callbacks) and
//! `signals` (SIGPIPE blocked on every thread that runs our I/O). Every rule about what an
//! upload accepts lives in the engine; this layer only turns C values into engine values and
//! engine errors into `tos_result` codes and `tos_error` objects.
//!
//! `include/tosupload.h` is generated from these files by cbindgen (see `cbindgen.toml`);
//! the `///` docs below are the header's documentation.

// C names (`tos_client`, `TOS_OK`) are the API; Rust naming rules do not apply to them.
#![allow(non_camel_case_types)]
// The safety contract of each function is its C contract, stated in its doc in C terms
// (which pointers may be NULL, how long they must stay valid); a Rust-only "# Safety"
// section would be noise in the generated header.
#![allow(clippy::missing_safety_doc)]

#[macro_use]
mod guard;

pub mod attributes;
#[macro_use]
pub mod callbacks;
pub mod cancel;
pub mod client;
pub mod crc;
pub mod credentials;
pub mod download_dir;
pub mod download_file;
pub mod error;
mod folder;
pub mod log;
pub mod multipart_uploads;
pub mod rate_limiter;
mod reentrancy;
pub mod result;
mod signals;
mod stored_object;
pub mod upload_dir;
pub mod upload_file;
pub mod upload_stream;
pub mod version;

#[cfg(test)]
mod tests;
