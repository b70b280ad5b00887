//! Credentials that can change while a client runs: STS tokens that expire during a long
//! upload are fetched again from a `CredentialsProvider` instead of failing the upload.
//! How and when the provider is asked is the wire layer's business
//! (`wire::credentials_cache`, docs/protocol.md §8.4).

use crate::error::Result;
use std::time::SystemTime;

/// One set of credentials, as a provider hands them over.
#[derive(Clone, Default)]
pub struct ProvidedCredentials {
    pub access_key: String,
    pub secret_key: String,
    /// The STS session token; empty for none.
    pub security_token: String,
    /// When these credentials stop working; `None`: they do not expire.
    pub expires_at: Option<SystemTime>,
}

// The secret and the token never reach a log, even through `{:?}`.
impl std::fmt::Debug for ProvidedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvidedCredentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Supplies credentials to a client (`ClientConfig::credentials_provider`). Asked before
/// the first signed request, again shortly before the credentials it gave expire, and again
/// after the server refuses them as expired. Calls come one at a time, each on a thread
/// that may block (the C library's provider calls the program's callback there); an `Err`
/// fails the requests that needed the credentials, never the process.
pub trait CredentialsProvider: Send + Sync {
    fn credentials(&self) -> Result<ProvidedCredentials>;
}

/// Credentials that never change: what the access key fields of a client give.
pub struct StaticCredentials(pub ProvidedCredentials);

impl CredentialsProvider for StaticCredentials {
    fn credentials(&self) -> Result<ProvidedCredentials> {
        Ok(self.0.clone())
    }
}
