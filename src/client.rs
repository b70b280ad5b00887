//! `tos_client`: one connection pool and runtime, shared by every upload. An `Arc` behind a
//! `const` pointer: safe to use from many threads at once.

use super::credentials::{tos_credentials_cb, CallbackCredentials};
use super::error::tos_error;
use super::guard::{
    check_out, init_versioned, init_versioned_sized, optional_path, read_versioned,
    string_or_empty, Versioned,
};
use super::reentrancy::{inside_callback, refuse_inside_callback};
use super::result::tos_result;
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;
use tosupload_engine::{
    Addressing, Client, ClientConfig, CredentialsSource, S3Checksum, WireProtocol,
};

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

/// Where a client's credentials come from (`tos_client_options.credentials`). Only
/// `TOS_CREDENTIALS_AUTO` reads the environment when the fields are empty; the others let a
/// program say exactly what it wants without changing its own environment.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_credentials {
    /// `access_key`, `secret_key` and `security_token` when `access_key` is set; otherwise all
    /// three from the protocol's environment variables (`TOS_ACCESS_KEY`, `TOS_SECRET_KEY`,
    /// `TOS_SECURITY_TOKEN`; S3: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`); with none there, unsigned (anonymous) requests.
    Auto = 0,
    /// Only the fields; the environment is not read. An empty `access_key` is
    /// `TOS_ERR_MISSING_CREDENTIALS`.
    Static = 1,
    /// Only the environment variables named for `TOS_CREDENTIALS_AUTO`; the three fields must
    /// be empty (`TOS_ERR_INVALID_ARGUMENT`). No access key there is
    /// `TOS_ERR_MISSING_CREDENTIALS`.
    Environment = 2,
    /// Unsigned requests (for public-read buckets); the fields must be empty and the
    /// environment is not read.
    Anonymous = 3,
    /// Since 1.1. From `credentials_cb` (required); the three fields must be empty.
    Callback = 4,
}

/// How S3-mode uploads prove their bytes to the store (`tos_client_options.s3_checksum`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_s3_checksum {
    /// Parts with a streamed CRC-64/NVME trailer; when the store refuses trailers (501, or a
    /// 400 naming the framing), that part is sent again with `TOS_S3_CHECKSUM_HEADER`, which
    /// the client keeps for every later request (one log line says so). Until the store has
    /// answered the first trailer, the client's other parts wait for that answer. PutObject
    /// as `TOS_S3_CHECKSUM_HEADER`.
    Auto = 0,
    /// Parts always with the streamed trailer (aws-chunked); a store that refuses it fails the
    /// upload (`TOS_ERR_SERVER`, HTTP 501 or 400). PutObject as `TOS_S3_CHECKSUM_HEADER`.
    Trailer = 1,
    /// The CRC-64/NVME read from the file before the send, in an `x-amz-checksum-crc64nvme`
    /// header; the body goes plain with `x-amz-content-sha256: UNSIGNED-PAYLOAD`. Each part is
    /// read twice (the second read usually from the page cache).
    Header = 2,
    /// `Content-MD5`, read from the file before the send; the body as for `HEADER`.
    ContentMd5 = 3,
    /// No checksum sent (plain body, `UNSIGNED-PAYLOAD`): only TLS protects the bytes.
    None = 4,
}

/// The wire protocol (`tos_client_options.protocol`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tos_protocol {
    /// TOS's native protocol. An empty endpoint or region comes from `TOS_ENDPOINT`,
    /// `TOS_REGION`; credentials as `credentials` says.
    Tos = 0,
    /// The S3 protocol (AWS Signature V4), for TOS's S3 endpoints
    /// (`https://tos-s3-<region>.volces.com`) and any S3-compatible store. An empty endpoint
    /// or region comes from `AWS_ENDPOINT_URL`, `AWS_REGION` (default `us-east-1`); an
    /// endpoint is required; credentials as `credentials` says. TOS-only attributes (`traffic_limit`, `forbid_overwrite`) are refused.
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
    /// The access key, for `TOS_CREDENTIALS_AUTO` and `TOS_CREDENTIALS_STATIC`.
    pub access_key: *const c_char,
    /// The secret key, with `access_key`.
    pub secret_key: *const c_char,
    /// Optional STS token, with `access_key`.
    pub security_token: *const c_char,
    /// A `TOS_CREDENTIALS_*` value: where the credentials come from; 0 =
    /// `TOS_CREDENTIALS_AUTO`.
    pub credentials: u32,
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
    /// The longest one request may take, in milliseconds, including its retries and the waits
    /// between them; 0 = the default (120 s). A request with a body gets one more second per
    /// MiB of body.
    pub request_budget_ms: u64,
    /// A `TOS_PROTOCOL_*` value; 0 = `TOS_PROTOCOL_TOS`.
    pub protocol: u32,
    // ---- added in 1.1 (read only when `struct_size` covers them; see `TOS_VERSION_NUM`) ----
    /// Since 1.1. The proxy for every request, `http://[user:password@]host:port`; overrides
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (and their lower-case forms). NULL or "" = those
    /// variables, as curl reads them. Proxy credentials never appear in messages or logs.
    pub proxy: *const c_char,
    /// Since 1.1. Hosts that bypass the proxy, as curl's `NO_PROXY`: comma-separated names
    /// (a name matches itself and its subdomains), IP addresses, CIDR ranges, or `*` for all.
    /// NULL or "" = `NO_PROXY`/`no_proxy` from the environment.
    pub no_proxy: *const c_char,
    /// Since 1.1. A PEM file of CA certificates to trust instead of the system's (as curl's
    /// `--cacert`). NULL or "" = `SSL_CERT_FILE` (or `SSL_CERT_DIR`) when set, else the
    /// system's roots. Read by `tos_client_new`: a missing file is `TOS_ERR_FILE_NOT_FOUND`,
    /// an unreadable one `TOS_ERR_FILE_UNREADABLE`, one without a valid PEM certificate
    /// `TOS_ERR_INVALID_ARGUMENT`, each message naming the file.
    pub ca_file: *const c_char,
    /// Since 1.1. A PEM client certificate (chain) for mutual TLS, with `client_key_file`:
    /// both or neither (`TOS_ERR_INVALID_ARGUMENT`). Read by `tos_client_new`, with the errors
    /// of `ca_file`; a key that does not match the certificate is `TOS_ERR_INVALID_ARGUMENT`.
    pub client_cert_file: *const c_char,
    /// Since 1.1. The PEM private key (PKCS#8, PKCS#1 or SEC1) of `client_cert_file`.
    pub client_key_file: *const c_char,
    /// Since 1.1. With `credentials = TOS_CREDENTIALS_CALLBACK`: called for credentials
    /// before the first request, before the ones it returned expire, and after a server
    /// answer that says the token expired. See `tos_credentials_cb`.
    pub credentials_cb: tos_credentials_cb,
    /// Since 1.1. Passed to `credentials_cb`.
    pub credentials_user_data: *mut c_void,
    /// Since 1.1. The most requests per second this client sends, all calls together
    /// (retries included), with a burst of a tenth of a second's worth (at least 10
    /// requests); 0 = no cap. Waiting for the cap answers pause and abort at once.
    pub max_requests_per_second: u32,
    /// Since 1.1. A `TOS_S3_CHECKSUM_*` value: how S3-mode uploads prove their bytes;
    /// 0 = `TOS_S3_CHECKSUM_AUTO`. Ignored by `TOS_PROTOCOL_TOS`.
    pub s3_checksum: u32,
}

// SAFETY: `#[repr(C)]`, starts with `struct_size`, all-zero is a valid value.
unsafe impl Versioned for tos_client_options {
    // `sizeof(tos_client_options)` in 1.0.0 (64-bit targets): programs built then pass it.
    // Must never change.
    const MIN_SIZE: usize = 88;
    const NAME: &'static str = "tos_client_options";
}

/// Sets every field of `*options` to its default (zero) and `struct_size` to
/// `sizeof(tos_client_options)`. Returns `TOS_ERR_NULL_ARGUMENT` if `options` is NULL.
///
/// Since 1.1 the header makes `tos_client_options_init(options)` a macro for
/// `tos_client_options_init_sized(options, sizeof *(options))`, since the struct grew. The
/// function itself initialises the 1.0 layout (88 bytes), what programs built against 1.0
/// pass; a binding that cannot expand C macros (cgo) calls `tos_client_options_init_sized`.
#[no_mangle]
pub unsafe extern "C" fn tos_client_options_init(options: *mut tos_client_options) -> tos_result {
    init_versioned(options)
}

/// Since 1.1. Sets the first `size` bytes of `*options` to their defaults (zero) and
/// `struct_size` to `size`: pass `sizeof(tos_client_options)` as the program sees it. Returns
/// `TOS_ERR_NULL_ARGUMENT` if `options` is NULL, `TOS_ERR_STRUCT_SIZE` if `size` is below 1.0's
/// size or above this library's.
#[no_mangle]
pub unsafe extern "C" fn tos_client_options_init_sized(
    options: *mut tos_client_options,
    size: usize,
) -> tos_result {
    init_versioned_sized(options, size)
}

unsafe fn config_from(options: &tos_client_options) -> Result<ClientConfig, tos_error> {
    let mut config = ClientConfig::new();
    config.endpoint = string_or_empty(options.endpoint, "options->endpoint")?;
    config.region = string_or_empty(options.region, "options->region")?;
    config.access_key = string_or_empty(options.access_key, "options->access_key")?;
    config.secret_key = string_or_empty(options.secret_key, "options->secret_key")?;
    config.security_token = string_or_empty(options.security_token, "options->security_token")?;
    config.credentials = match options.credentials {
        0 => CredentialsSource::Auto,
        1 => CredentialsSource::Static,
        2 => CredentialsSource::Environment,
        3 => CredentialsSource::Anonymous,
        4 => CredentialsSource::Provider,
        other => {
            return Err(tos_error::new(
                tos_result::TOS_ERR_INVALID_ARGUMENT,
                format!(
                    "`options->credentials` is {other}, not one of the TOS_CREDENTIALS_* values"
                ),
            ))
        }
    };
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
    config.credentials_provider = match CallbackCredentials::new(
        options.credentials_cb,
        options.credentials_user_data,
    ) {
        Some(callback) => Some(Arc::new(callback)),
        None if config.credentials == CredentialsSource::Provider => {
            return Err(tos_error::new(
                tos_result::TOS_ERR_MISSING_CREDENTIALS,
                "`options->credentials` is TOS_CREDENTIALS_CALLBACK but `options->credentials_cb` is NULL",
            ))
        }
        None => None,
    };
    if config.credentials_provider.is_some() && config.credentials != CredentialsSource::Provider {
        return Err(tos_error::new(
            tos_result::TOS_ERR_INVALID_ARGUMENT,
            "`options->credentials_cb` is set but `options->credentials` is not TOS_CREDENTIALS_CALLBACK",
        ));
    }
    config.enable_crc = !options.disable_crc;
    config.verify_tls = !options.insecure_skip_tls_verify;
    // The 1.1 fields: zero in a 1.0 caller's struct, as `read_versioned` fills them.
    config.proxy = string_or_empty(options.proxy, "options->proxy")?;
    config.no_proxy = string_or_empty(options.no_proxy, "options->no_proxy")?;
    config.ca_file = optional_path(options.ca_file);
    config.client_cert_file = optional_path(options.client_cert_file);
    config.client_key_file = optional_path(options.client_key_file);
    config.s3_checksum = match options.s3_checksum {
        0 => S3Checksum::Auto,
        1 => S3Checksum::Trailer,
        2 => S3Checksum::Header,
        3 => S3Checksum::ContentMd5,
        4 => S3Checksum::None,
        other => {
            return Err(tos_error::new(
                tos_result::TOS_ERR_INVALID_ARGUMENT,
                format!(
                    "`options->s3_checksum` is {other}, not one of the TOS_S3_CHECKSUM_* values"
                ),
            ))
        }
    };
    config.max_requests_per_second = options.max_requests_per_second;
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
        refuse_inside_callback("tos_client_new")?;
        check_out(client_out, "client_out")?;
        let options = read_versioned(options, "options")?;
        let mut config = config_from(&options)?;
        config.on_thread_start = Some(Arc::new(super::signals::block_on_this_thread));
        let client = Client::new(config)?;
        client_out.write(Arc::into_raw(Arc::new(tos_client { client })));
        Ok(())
    })
}

/// Frees a client. Accepts NULL. Calls running on other threads keep the client alive until
/// they return; no new call may start with a freed client. Returns within about 500 ms even
/// when a thread of the library is stuck in a system call (a read from a hung network file
/// system): that thread is left to finish on its own. Called from inside a callback, it
/// returns at once and the client is freed on a thread of its own, since stopping a client's
/// threads must not wait inside one of them.
#[no_mangle]
pub unsafe extern "C" fn tos_client_free(client: *const tos_client) {
    ffi_panic_boundary! {
        if client.is_null() {
            return;
        }
        let client = Arc::from_raw(client);
        if inside_callback() {
            // Should no thread be available, the closure and so the client are dropped here.
            let _ = std::thread::Builder::new()
                .name("tos-client-free".into())
                .spawn(move || drop(client));
        } else {
            drop(client);
        }
    }
}
