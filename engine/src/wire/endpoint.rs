//! Where requests go: the endpoint's scheme and host, checked when the client is made, and
//! the addressing decisions both protocols share.

use crate::error::{ErrorKind, Result, UploadError};
use std::net::IpAddr;

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
    match reqwest::Url::parse(&format!("{scheme}://{rest}/")) {
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
        return Err(UploadError::new(
            ErrorKind::InvalidKey,
            format!("invalid object name {key:?}: \".\" and \"..\" path segments cannot be sent"),
        ));
    }
    Ok(())
}
