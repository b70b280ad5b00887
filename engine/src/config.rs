//! Client configuration: where the server is, who we are, how hard to try.

use crate::credentials::CredentialsProvider;
use crate::error::{ErrorKind, Result, UploadError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Run first on every thread the client's runtime starts (workers and blocking pool).
pub type ThreadStartHook = Arc<dyn Fn() + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addressing {
    /// Virtual-hosted (`bucket.host/key`), or path-style when the host is an IP literal,
    /// as the Go SDK does.
    #[default]
    Auto,
    /// Always `host/bucket/key`.
    PathStyle,
    /// The endpoint serves one bucket: `host/key`, bucket names not checked.
    CustomDomain,
}

/// The wire protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WireProtocol {
    /// TOS's native protocol (TOS4-HMAC-SHA256, JSON bodies).
    #[default]
    Tos,
    /// The S3 protocol (AWS Signature V4, XML bodies): TOS's S3 endpoints and any
    /// S3-compatible store.
    S3,
}

/// How S3 bodies prove their bytes to the store (docs/s3-stores.md, "What libtosupload
/// sends"). TOS ignores it: TOS answers with its CRC-64 of what it stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum S3Checksum {
    /// Parts with a streamed trailer until the store refuses one; then `Header`, remembered
    /// for the client.
    #[default]
    Auto,
    /// Parts aws-chunked with a streamed CRC-64/NVME trailer (PutObject: as `Header`).
    Trailer,
    /// The CRC-64/NVME read before the send, in `x-amz-checksum-crc64nvme`.
    Header,
    /// The MD5 read before the send, in `Content-MD5`.
    ContentMd5,
    /// No checksum: the plain body.
    None,
}

/// Where the credentials come from. Only `Auto` reads the fields and then the environment;
/// the others let an embedder say exactly what it wants without touching its own process's
/// environment (which a library must never ask its host to change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialsSource {
    /// The fields when an access key is given, else the protocol's environment variables,
    /// else unsigned requests.
    #[default]
    Auto,
    /// Only the fields; the environment is not read; an access key is required.
    Static,
    /// Only the protocol's environment variables; the fields must be empty; an access key
    /// is required.
    Environment,
    /// Unsigned requests; the fields must be empty and the environment is not read.
    Anonymous,
    /// From `ClientConfig::credentials_provider` (required), asked again as they expire;
    /// the fields must be empty and the environment is not read.
    Provider,
}

/// Fields left empty fall back to the environment (see `resolve_env`).
#[derive(Clone, Default)]
pub struct ClientConfig {
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub security_token: String,
    pub credentials: CredentialsSource,
    /// With `CredentialsSource::Provider`: where the credentials come from.
    pub credentials_provider: Option<Arc<dyn CredentialsProvider>>,
    pub addressing: Addressing,
    pub protocol: WireProtocol,
    /// Retries after the first attempt of each request.
    pub max_retry_count: u32,
    pub connect_timeout: Duration,
    /// Longest time no byte moves, in either direction, while a request is under way.
    pub idle_timeout: Duration,
    /// Longest time one request may take, its retries and their waits included; a request
    /// with a body gets this plus a second per MiB of body (a floor of 1 MiB/s).
    pub request_budget: Duration,
    pub enable_crc: bool,
    pub verify_tls: bool,
    pub s3_checksum: S3Checksum,
    /// The most requests per second the client sends, all calls together; 0 = no cap
    /// (docs/throttling.md).
    pub max_requests_per_second: u32,
    /// Lets an embedder set up per-thread state the engine must not touch itself (the C
    /// library blocks SIGPIPE there, which takes `unsafe` code this crate forbids).
    pub on_thread_start: Option<ThreadStartHook>,
    /// Set by `resolve_env` when the endpoint was made from the region because none was
    /// given: messages about the network then say so, since the user never named that host.
    pub endpoint_is_default: bool,
    /// The proxy for every request, `http://[user:password@]host:port`; empty = the
    /// environment's (`wire/proxy.rs`). Its credentials are never shown.
    pub proxy: String,
    /// Hosts that bypass the proxy, as curl's `NO_PROXY` (`*` = all); empty = the
    /// environment's `NO_PROXY`.
    pub no_proxy: String,
    /// PEM CA certificates trusted instead of the system's (`wire/trust.rs`).
    pub ca_file: Option<PathBuf>,
    /// A PEM client certificate (chain) for mutual TLS, with `client_key_file`.
    pub client_cert_file: Option<PathBuf>,
    /// The PEM private key of `client_cert_file`.
    pub client_key_file: Option<PathBuf>,
}

// Secrets stay out of logs even when a config is debug-printed.
impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("credentials", &self.credentials)
            .field("credentials_provider", &self.credentials_provider.is_some())
            .field("addressing", &self.addressing)
            .field("protocol", &self.protocol)
            .field("max_retry_count", &self.max_retry_count)
            .field("enable_crc", &self.enable_crc)
            .field("verify_tls", &self.verify_tls)
            .field("s3_checksum", &self.s3_checksum)
            .field("max_requests_per_second", &self.max_requests_per_second)
            .field("on_thread_start", &self.on_thread_start.is_some())
            .field("endpoint_is_default", &self.endpoint_is_default)
            .field("proxy", &crate::wire::shown_proxy(&self.proxy))
            .field("no_proxy", &self.no_proxy)
            .field("ca_file", &self.ca_file)
            .field("client_cert_file", &self.client_cert_file)
            .field("client_key_file", &self.client_key_file)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults of the Go SDK: 3 retries, CRC on, TLS verification on.
    pub fn new() -> Self {
        ClientConfig {
            max_retry_count: 3,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_budget: Duration::from_secs(120),
            enable_crc: true,
            verify_tls: true,
            ..Default::default()
        }
    }

    /// Fills every empty field from the environment, then checks what is required. TOS reads
    /// `TOS_ENDPOINT`, `TOS_REGION`, `TOS_ACCESS_KEY`, `TOS_SECRET_KEY`, `TOS_SECURITY_TOKEN`
    /// (an endpoint defaults to `https://tos-<region>.volces.com`); S3 reads the S3 world's
    /// `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`.
    pub fn resolve_env(mut self) -> Result<Self> {
        let names = match self.protocol {
            WireProtocol::Tos => [
                "TOS_ENDPOINT",
                "TOS_REGION",
                "TOS_ACCESS_KEY",
                "TOS_SECRET_KEY",
                "TOS_SECURITY_TOKEN",
            ],
            WireProtocol::S3 => [
                "AWS_ENDPOINT_URL",
                "AWS_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
            ],
        };
        fill_from_env(&mut self.endpoint, names[0]);
        fill_from_env(&mut self.region, names[1]);
        self.resolve_credentials(&names[2..])?;
        if self.protocol == WireProtocol::Tos && self.endpoint.is_empty() && !self.region.is_empty()
        {
            self.endpoint = format!("https://tos-{}.volces.com", self.region);
            self.endpoint_is_default = true;
        }
        if self.endpoint.is_empty() {
            return Err(UploadError::new(
                ErrorKind::InvalidEndpoint,
                format!(
                    "no endpoint: set it in the client options or in {}",
                    names[0]
                ),
            ));
        }
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            return Err(UploadError::new(
                ErrorKind::MissingCredentials,
                "access key and secret key must be given together",
            ));
        }
        // S3 stores without regions of their own take us-east-1 in the signature.
        let signs = !self.access_key.is_empty() || self.credentials_provider.is_some();
        if self.protocol == WireProtocol::Tos && signs && self.region.is_empty() {
            return Err(UploadError::new(
                ErrorKind::MissingCredentials,
                "a region is required to sign requests: set it in the client options or in TOS_REGION",
            ));
        }
        Ok(self)
    }
}

impl ClientConfig {
    /// Applies `credentials`: `names` are the access key, secret key and token variables.
    fn resolve_credentials(&mut self, names: &[&str]) -> Result<()> {
        let fields_given = !(self.access_key.is_empty()
            && self.secret_key.is_empty()
            && self.security_token.is_empty());
        let refuse_fields = |source: &str| {
            UploadError::new(
                ErrorKind::InvalidArgument,
                format!("credentials from {source}: the access key, secret key and security token fields must be empty"),
            )
        };
        match self.credentials {
            CredentialsSource::Auto => {
                if self.access_key.is_empty() {
                    fill_from_env(&mut self.access_key, names[0]);
                    fill_from_env(&mut self.secret_key, names[1]);
                    fill_from_env(&mut self.security_token, names[2]);
                }
            }
            CredentialsSource::Static => {
                if self.access_key.is_empty() {
                    return Err(UploadError::new(
                        ErrorKind::MissingCredentials,
                        "static credentials: the access key field is empty",
                    ));
                }
            }
            CredentialsSource::Environment => {
                if fields_given {
                    return Err(refuse_fields("the environment"));
                }
                fill_from_env(&mut self.access_key, names[0]);
                fill_from_env(&mut self.secret_key, names[1]);
                fill_from_env(&mut self.security_token, names[2]);
                if self.access_key.is_empty() {
                    return Err(UploadError::new(
                        ErrorKind::MissingCredentials,
                        format!("credentials from the environment: {} is not set", names[0]),
                    ));
                }
            }
            CredentialsSource::Anonymous => {
                if fields_given {
                    return Err(refuse_fields("nobody (anonymous)"));
                }
            }
            CredentialsSource::Provider => {
                if fields_given {
                    return Err(refuse_fields("a provider"));
                }
                if self.credentials_provider.is_none() {
                    return Err(UploadError::new(
                        ErrorKind::MissingCredentials,
                        "credentials from a provider: no provider was given",
                    ));
                }
            }
        }
        if self.credentials != CredentialsSource::Provider && self.credentials_provider.is_some() {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                "a credentials provider is given but the credentials do not come from it",
            ));
        }
        Ok(())
    }
}

fn fill_from_env(field: &mut String, name: &str) {
    if field.is_empty() {
        if let Ok(value) = std::env::var(name) {
            *field = value;
        }
    }
}
