//! Signing a request, the one procedure both protocols follow: the date and the session
//! token go in headers, the payload hash is the one the request declares, and the
//! Authorization header carries a Signature V4 (`sigv4`) over the headers the protocol signs.
//! `Signing` is what the two protocols name or choose differently.

use super::credentials_cache::SigningCredentials;
use super::endpoint::Location;
use super::protocol::Operation;
use super::sigv4::{self, Credentials, Scheme, SignInput, EMPTY_PAYLOAD_SHA256};
use crate::config::ClientConfig;
use crate::error::Result;
use std::time::SystemTime;

pub struct Signing {
    pub scheme: &'static Scheme,
    /// The service in the credential scope.
    pub service: &'static str,
    pub date_header: &'static str,
    pub security_token_header: &'static str,
    /// Where a request declares the hash of its payload.
    pub content_sha256_header: &'static str,
    /// Whether a header (named in lower case) is signed; `None`: every header is.
    pub signs_header: Option<fn(&str) -> bool>,
    /// For a request that declares no payload hash: sign (and declare) the SHA-256 of its
    /// in-memory body, or sign the hash of an empty payload.
    pub hash_undeclared_body: bool,
}

/// How a client signs: the protocol's rules, the region and the credentials of the
/// configuration's fields (those of a provider come with each request, `headers`).
pub struct Signer {
    signing: &'static Signing,
    region: String,
    #[cfg(test)]
    fixed: SigningCredentials,
}

impl Signer {
    #[cfg_attr(not(test), allow(unused_variables))]
    pub fn new(signing: &'static Signing, config: &ClientConfig, region: String) -> Signer {
        Signer {
            signing,
            region,
            #[cfg(test)]
            fixed: SigningCredentials::fixed(config),
        }
    }

    /// The credentials of the configuration's fields.
    #[cfg(test)]
    pub fn fixed_credentials(&self) -> &SigningCredentials {
        &self.fixed
    }

    /// The headers `operation` is sent with to `location` at `now`, signed with `creds`:
    /// its own and, unless the credentials are empty (anonymous), the declared payload hash,
    /// the date, the session token and the Authorization, in that order.
    pub fn headers(
        &self,
        operation: &Operation,
        location: &Location,
        now: SystemTime,
        creds: &SigningCredentials,
    ) -> Result<Vec<(String, String)>> {
        let mut headers = operation.headers.clone();
        if creds.access_key.is_empty() {
            return Ok(headers);
        }
        let signing = self.signing;
        let declared = operation
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(signing.content_sha256_header));
        let payload_hash = match declared {
            Some((_, declared)) => declared.clone(),
            None if signing.hash_undeclared_body => {
                let hash = sigv4::sha256_hex(&operation.body);
                headers.push((signing.content_sha256_header.to_string(), hash.clone()));
                hash
            }
            None => EMPTY_PAYLOAD_SHA256.to_string(),
        };
        let date = sigv4::request_date(now)?;
        headers.push((signing.date_header.to_string(), date.clone()));
        if !creds.security_token.is_empty() {
            headers.push((
                signing.security_token_header.to_string(),
                creds.security_token.clone(),
            ));
        }
        let every_header: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .chain([("host", location.host.as_str())])
            .collect();
        let creds = Credentials {
            access_key: &creds.access_key,
            secret_key: &creds.secret_key,
            region: &self.region,
            service: signing.service,
            key_cache: Some(&creds.key_cache),
        };
        let input = SignInput {
            method: operation.method,
            canonical_path: &location.canonical_path,
            query: &operation.query,
            headers: &every_header,
            payload_hash: &payload_hash,
            date: &date,
        };
        headers.push((
            "Authorization".to_string(),
            authorization(signing, &creds, &input),
        ));
        Ok(headers)
    }
}

/// The Authorization header of a request; `input.headers` are all of the request's, and the
/// ones the protocol signs are picked here.
pub fn authorization(signing: &Signing, creds: &Credentials<'_>, input: &SignInput<'_>) -> String {
    let Some(signs_header) = signing.signs_header else {
        return sigv4::sign(signing.scheme, creds, input).authorization;
    };
    let signed: Vec<(&str, &str)> = input
        .headers
        .iter()
        .filter(|(name, _)| signs_header(&name.to_ascii_lowercase()))
        .copied()
        .collect();
    let input = SignInput {
        headers: &signed,
        ..*input
    };
    sigv4::sign(signing.scheme, creds, &input).authorization
}
