//! `tos_client`: one connection pool and runtime, shared by every upload. An `Arc` behind a
//! `const` pointer: safe to use from many threads at once.

use super::error::tos_error;
use super::guard::{check_out, init_versioned, read_versioned, string_or_empty, Versioned};
use super::result::tos_result;
use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;
use tosupload_engine::{Addressing, Client, ClientConfig, WireProtocol};

/// A client: the endpoint, credentials, retry policy and connection pool shared by every
/// upload made with it. Thread-safe: any number of threads may call `tos_upload_file` on
/// one client at once. Made by `tos_client_new`, freed by `tos_client_free`.
pub struct tos_client {
    pub(crate) client: Client,
}

/// How bucket names go into URLs (`tos_client_options.addressing`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_addressing {
    /// Virtual-hosted (`bucket.host/key`), or path-style when the host is an IP address.
    Auto = 0,
    /// Always `host/bucket/key`.
    PathStyle = 1,
    /// The endpoint serves one bucket: `host/key`; bucket names are not checked.
    CustomDomain = 2,
}

/// The wire protocol (`tos_client_options.protocol`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_protocol {
    /// TOS's native protocol. Empty option fields come from `TOS_ENDPOINT`, `TOS_REGION`,
    /// `TOS_ACCESS_KEY`, `TOS_SECRET_KEY`, `TOS_SECURITY_TOKEN`.
    Tos = 0,
    /// The S3 protocol (AWS Signature V4), for TOS's S3 endpoints
    /// (`https://tos-s3-<region>.volces.com`) and any S3-compatible store. Empty option
    /// fields come from `AWS_ENDPOINT_URL`, `AWS_REGION` (default `us-east-1`),
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; an endpoint is
    /// required. TOS-only attributes (`traffic_limit`, `forbid_overwrite`) are refused.
    S3 = 1,
}

impl TryFrom<u32> for tos_addressing {
    type Error = tos_error;

    fn try_from(value: u32) -> Result<Self, tos_error> {
        match value {
            0 => Ok(tos_addressing::Auto),
            1 => Ok(tos_addressing::PathStyle),
            2 => Ok(tos_addressing::CustomDomain),
            other => Err(tos_error::new(
                tos_result::TOS_ERR_INVALID_ARGUMENT,
                format!("`options->addressing` is {other}, not one of the TOS_ADDRESSING_* values"),
            )),
        }
    }
}

/// Options of `tos_client_new`. Initialise with `tos_client_options_init` (or zero it and set
/// `struct_size = sizeof(tos_client_options)`); every zero field means its default. Strings are
/// copied by `tos_client_new`.
#[repr(C)]
pub struct tos_client_options {
    /// Required: `sizeof(tos_client_options)`, set by `tos_client_options_init`.
    pub struct_size: usize,
    /// Optional: `http://host:port` or `https://host`. NULL or "" = `TOS_ENDPOINT` from the
    /// environment, else `https://tos-<region>.volces.com`.
    pub endpoint: *const c_char,
    /// Optional: the region, e.g. `cn-beijing`. NULL or "" = `TOS_REGION`.
    pub region: *const c_char,
    /// Optional: NULL or "" = `TOS_ACCESS_KEY` (none there: anonymous requests).
    pub access_key: *const c_char,
    /// Optional: NULL or "" = `TOS_SECRET_KEY`.
    pub secret_key: *const c_char,
    /// Optional STS token: NULL or "" = `TOS_SECURITY_TOKEN`.
    pub security_token: *const c_char,
    /// A `TOS_ADDRESSING_*` value; 0 = `TOS_ADDRESSING_AUTO`.
    pub addressing: u32,
    /// Retries after the first attempt of each request: 0 = the default (3), negative = none.
    pub max_retry_count: i32,
    /// Connection timeout in milliseconds; 0 = the default (10 s).
    pub connect_timeout_ms: u32,
    /// The longest time, in milliseconds, no byte moves in either direction while a request
    /// is under way (waiting for the response included); 0 = the default (30 s).
    pub idle_timeout_ms: u32,
    /// false (default): every part and the whole object are checked with CRC-64.
    pub disable_crc: bool,
    /// false (default): TLS certificates are verified. true is for test servers only.
    pub insecure_skip_tls_verify: bool,
    // Fields past this point were appended after the first release; a caller compiled
    // against an older header passes a smaller `struct_size` and gets their defaults.
    /// The longest one request may take, in milliseconds, including its retries and the waits
    /// between them; 0 = the default (120 s). A request with a body gets one more second per
    /// MiB of body. (64-bit, so that it starts past the whole first-release struct, tail
    /// padding included.)
    pub request_budget_ms: u64,
    /// A `TOS_PROTOCOL_*` value; 0 = `TOS_PROTOCOL_TOS`.
    pub protocol: u32,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value.
unsafe impl Versioned for tos_client_options {
    // `sizeof(tos_client_options)` in the first release (through `insecure_skip_tls_verify`,
    // 64-bit targets): programs built then pass it. Must never change.
    const MIN_SIZE: usize = 72;
    const NAME: &'static str = "tos_client_options";
}

/// Sets every field of `*options` to its default (zero) and `struct_size` to
/// `sizeof(tos_client_options)`. Returns `TOS_ERR_NULL_ARGUMENT` if `options` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_client_options_init(options: *mut tos_client_options) -> tos_result {
    init_versioned(options)
}

unsafe fn config_from(options: &tos_client_options) -> Result<ClientConfig, tos_error> {
    let mut config = ClientConfig::new();
    config.endpoint = string_or_empty(options.endpoint, "options->endpoint")?;
    config.region = string_or_empty(options.region, "options->region")?;
    config.access_key = string_or_empty(options.access_key, "options->access_key")?;
    config.secret_key = string_or_empty(options.secret_key, "options->secret_key")?;
    config.security_token = string_or_empty(options.security_token, "options->security_token")?;
    config.addressing = match tos_addressing::try_from(options.addressing)? {
        tos_addressing::Auto => Addressing::Auto,
        tos_addressing::PathStyle => Addressing::PathStyle,
        tos_addressing::CustomDomain => Addressing::CustomDomain,
    };
    match options.max_retry_count {
        0 => {}
        n if n < 0 => config.max_retry_count = 0,
        n => config.max_retry_count = n.unsigned_abs(),
    }
    if options.connect_timeout_ms != 0 {
        config.connect_timeout = Duration::from_millis(options.connect_timeout_ms.into());
    }
    if options.idle_timeout_ms != 0 {
        config.idle_timeout = Duration::from_millis(options.idle_timeout_ms.into());
    }
    if options.request_budget_ms != 0 {
        config.request_budget = Duration::from_millis(options.request_budget_ms);
    }
    config.protocol = match options.protocol {
        0 => WireProtocol::Tos,
        1 => WireProtocol::S3,
        other => {
            return Err(tos_error::new(
                tos_result::TOS_ERR_INVALID_ARGUMENT,
                format!("`options->protocol` is {other}, not one of the TOS_PROTOCOL_* values"),
            ))
        }
    };
    config.enable_crc = !options.disable_crc;
    config.verify_tls = !options.insecure_skip_tls_verify;
    Ok(config)
}

/// Makes a client. `options` is required (copied; it may be freed on return). On success
/// `*client_out` receives the client, to free with `tos_client_free`. On failure returns the
/// code (`TOS_ERR_INVALID_ENDPOINT`, `TOS_ERR_MISSING_CREDENTIALS`, ...) and, when
/// `error_out` is not NULL, stores a `tos_error` in `*error_out` (free it with
/// `tos_error_free`). Outputs are written only on success, errors only on failure.
///
/// The client starts its own I/O threads, which block SIGPIPE: a connection reset is an
/// error code, never a signal in the host, whose signal dispositions are left untouched.
/// The threads do not survive fork(): in a child process, make a new client.
#[no_mangle]
pub unsafe extern "C" fn tos_client_new(
    options: *const tos_client_options,
    client_out: *mut *const tos_client,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        check_out(client_out, "client_out")?;
        let options = read_versioned(options, "options")?;
        let mut config = config_from(&options)?;
        config.on_thread_start = Some(Arc::new(super::signals::block_on_this_thread));
        let client = Client::new(config)?;
        client_out.write(Arc::into_raw(Arc::new(tos_client { client })));
        Ok(())
    })
}

/// Frees a client. Accepts NULL. Uploads running on other threads keep the client alive
/// until they return; no new upload may start with a freed client. Must not be called from
/// inside a callback. Returns within about 500 ms even when a thread of the library is stuck
/// in a system call (a read from a hung network file system): that thread is left to finish
/// on its own.
#[no_mangle]
pub unsafe extern "C" fn tos_client_free(client: *const tos_client) {
    ffi_panic_boundary! {
        if !client.is_null() {
            drop(Arc::from_raw(client));
        }
    }
}
