//! The C ABI: `extern "C"` functions, argument conversion and guards, nothing else.
//!
//! One file per C object family (after rustls-ffi): `client`, `upload`, `error`, `callbacks`,
//! `cancel`, `rate_limiter`, `upload_dir`, `stream`, `uploads` (listing and aborting open
//! multipart uploads), `log`, `crc`, `version`, plus `attributes` (the
//! object attributes embedded in both upload inputs), `result` (the stable result codes), `guard`
//! (the panic boundary and the NULL / struct_size / UTF-8 checks) and `signals` (SIGPIPE
//! blocked on every thread that runs our I/O). Every rule about what an
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
pub mod error;
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
