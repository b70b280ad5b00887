//! Where requests go: the endpoint's scheme and host, checked when the client is made; how a
//! bucket and a key are addressed on it (`Style`) and the URL of each request; and the rules
//! for bucket and object names. Both protocols address requests the same way.

use super::protocol::Operation;
use super::sigv4;
use crate::config::{Addressing, ClientConfig};
use crate::error::{ErrorKind, Result, UploadError};
use std::net::IpAddr;
use url::Url;

/// How a request names its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `bucket.host/key`
    VirtualHosted,
    /// `host/bucket/key`
    Path,
    /// `host/key`: the host is the bucket's own domain.
    CustomDomain,
}

/// The endpoint of a client and how it addresses buckets on it.
pub struct Endpoint {
    /// `scheme://host[:port]/`, parsed once; every request's URL starts from it.
    base: Url,
    /// `host[:port]` exactly as it goes in the Host header.
    host: String,
    style: Style,
}

/// Where one request goes.
pub struct Location {
    /// The Host header, which the signature covers.
    pub host: String,
    /// The path as sent and as signed (`sigv4::encode_path`).
    pub canonical_path: String,
    pub url: String,
}

impl Endpoint {
    /// `localhost_path_style`: whether `Addressing::Auto` addresses `localhost` path-style,
    /// as the S3 stores that run there (MinIO, SeaweedFS) expect.
    pub fn new(config: &ClientConfig, localhost_path_style: bool) -> Result<Endpoint> {
        let (scheme, host) = parse_endpoint(&config.endpoint)?;
        let path_style_host =
            host_is_ip_literal(&host) || (localhost_path_style && host_is_localhost(&host));
        let style = match config.addressing {
            Addressing::CustomDomain => Style::CustomDomain,
            Addressing::PathStyle => Style::Path,
            Addressing::Auto if path_style_host => Style::Path,
            Addressing::Auto => Style::VirtualHosted,
        };
        let base = Url::parse(&format!("{scheme}://{host}/")).map_err(|e| {
            UploadError::new(
                ErrorKind::InvalidEndpoint,
                format!("endpoint {:?} is not a host[:port]", config.endpoint),
            )
            .with_cause(e)
        })?;
        Ok(Endpoint { base, host, style })
    }

    /// The Host header, path and URL of `operation`; its query goes in the URL exactly as it
    /// is signed (`sigv4::canonical_query`), so the two cannot differ.
    pub fn locate(&self, operation: &Operation) -> Result<Location> {
        check_key_segments(&operation.key)?;
        let (bucket, key) = (operation.bucket.as_str(), operation.key.as_str());
        let (virtual_host, path) = match self.style {
            // A dotted bucket cannot be a virtual host under a wildcard TLS certificate.
            Style::VirtualHosted if bucket.contains('.') && self.base.scheme() == "https" => {
                (false, format!("/{bucket}/{key}"))
            }
            Style::VirtualHosted => (true, format!("/{key}")),
            Style::Path => (false, format!("/{bucket}/{key}")),
            Style::CustomDomain => (false, format!("/{key}")),
        };
        let canonical_path = sigv4::encode_path(&path);
        let mut url = self.base.clone();
        let host = if virtual_host {
            let name = format!("{bucket}.{}", self.base.host_str().unwrap_or_default());
            url.set_host(Some(&name)).map_err(|e| {
                UploadError::new(
                    ErrorKind::InvalidBucket,
                    format!("bucket {bucket:?} cannot be a host name"),
                )
                .with_cause(e)
            })?;
            format!("{bucket}.{}", self.host)
        } else {
            self.host.clone()
        };
        url.set_path(&canonical_path);
        let query = sigv4::canonical_query(&operation.query);
        if !query.is_empty() {
            url.set_query(Some(&query));
        }
        Ok(Location {
            host,
            canonical_path,
            url: url.into(),
        })
    }

    /// A bucket name by the rules of `names` (`tos_names`); a custom domain names its bucket
    /// itself, so anything goes there.
    pub fn check_bucket(&self, bucket: &str, names: tos_names::Dialect) -> Result<()> {
        if self.style == Style::CustomDomain {
            return Ok(());
        }
        match tos_names::bucket_problem(bucket, names) {
            Some(why) => Err(UploadError::new(
                ErrorKind::InvalidBucket,
                format!("invalid bucket name {bucket:?}: {why}"),
            )),
            None => Ok(()),
        }
    }
}

/// `(scheme, host[:port])` of an endpoint such as `https://tos-cn-beijing.volces.com` or
/// `http://127.0.0.1:9000`; a default port is dropped, since the signed Host header omits it.
pub fn parse_endpoint(endpoint: &str) -> Result<(&'static str, String)> {
    let endpoint = endpoint.trim();
    // The scheme first: trimming slashes off "http://" would leave a host named "http:".
    let (scheme, rest) = if let Some(rest) = endpoint.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = endpoint.strip_prefix("http://") {
        ("http", rest)
    } else if endpoint.contains("://") {
        return Err(UploadError::new(
            ErrorKind::InvalidEndpoint,
            format!("endpoint {endpoint:?}: only http:// and https:// are supported"),
        ));
    } else {
        ("https", endpoint)
    };
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains(['/', '@', ' ', '?', '#']) {
        return Err(UploadError::new(
            ErrorKind::InvalidEndpoint,
            format!("endpoint {endpoint:?} is not a host[:port]"),
        ));
    }
    // The URL parser refuses what cannot be connected to: a port past 65535, an empty or
    // malformed host.
    match Url::parse(&format!("{scheme}://{rest}/")) {
        Ok(url) if url.host_str().is_some_and(|h| !h.is_empty()) => {}
        Ok(_) | Err(_) => {
            return Err(UploadError::new(
                ErrorKind::InvalidEndpoint,
                format!("endpoint {endpoint:?}: invalid host or port (a port is 1-65535)"),
            ))
        }
    }
    // The Host header omits a default port, and the signature covers the Host header.
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = rest.strip_suffix(default_port).unwrap_or(rest).to_string();
    Ok((scheme, host))
}

/// An IP literal has no per-bucket DNS names: both protocols address it path-style.
pub fn host_is_ip_literal(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[') {
        return inner
            .split(']')
            .next()
            .is_some_and(|ip| ip.parse::<IpAddr>().is_ok());
    }
    let without_port = host.rsplit_once(':').map_or(host, |(h, _)| h);
    without_port.parse::<IpAddr>().is_ok() || host.parse::<IpAddr>().is_ok()
}

/// `localhost[:port]`: S3 stores on it (MinIO, SeaweedFS) expect path-style requests.
pub fn host_is_localhost(host: &str) -> bool {
    let without_port = host.rsplit_once(':').map_or(host, |(h, _)| h);
    without_port.eq_ignore_ascii_case("localhost")
}

/// The URL parser drops `.` and `..` segments, which would send (and sign) another key.
pub fn check_key_segments(key: &str) -> Result<()> {
    if key.split('/').any(|s| s == "." || s == "..") {
        return Err(invalid_key(
            key,
            "\".\" and \"..\" path segments cannot be sent",
        ));
    }
    Ok(())
}

pub fn invalid_key(key: &str, why: &str) -> UploadError {
    UploadError::new(
        ErrorKind::InvalidKey,
        format!("invalid object name {key:?}: {why}"),
    )
}
