//! Words for requests that got no HTTP answer, in one place. The HTTP stack's own text names
//! neither the host nor what to check ("Connection refused (os error 111)", "received corrupt
//! message of type InvalidContentType"), so every message here names the operation and the
//! `host:port`, says what failed in plain words, and says when the host is the default
//! endpoint: a user who never set one does not know where the request went. The stack's text
//! stays as the cause. Nothing here can hold a secret: signing lives in headers, and URLs are
//! stripped from the errors.

use crate::config::{ClientConfig, WireProtocol};
use crate::error::{ErrorKind, ServerErrorDetail, UploadError};

/// `host:port` of a URL (or of an endpoint without a scheme, which means https).
pub(crate) fn host_of(url: &str) -> String {
    let url = if url.contains("://") {
        url.to_string()
    } else {
        format!("https://{url}")
    };
    match reqwest::Url::parse(&url) {
        Ok(url) => match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            _ => "?".into(),
        },
        Err(_) => "?".into(),
    }
}

/// Appended after the host in network messages: empty, or why that host was chosen.
pub(crate) fn default_endpoint_note(config: &ClientConfig) -> String {
    if !config.endpoint_is_default {
        return String::new();
    }
    let variable = match config.protocol {
        WireProtocol::Tos => "TOS_ENDPOINT",
        WireProtocol::S3 => "AWS_ENDPOINT_URL",
    };
    format!(
        " (the default endpoint for region {}, since no endpoint was given and {variable} is not set)",
        config.region
    )
}

/// The error for a request that failed before an HTTP answer was read.
pub(crate) fn network_error(
    operation: &str,
    host: &str,
    note: &str,
    error: reqwest::Error,
) -> UploadError {
    let (timeout, connect) = (error.is_timeout(), error.is_connect());
    let error = error.without_url();
    let cause = chain(&error);
    let refused =
        std::iter::successors(std::error::Error::source(&error), |e| e.source()).any(|e| {
            e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
        });
    // A CONNECT the proxy answered with 407: the same error as a 407 to a plain request.
    if cause.contains("proxy authorization required") {
        return proxy_refused(operation, host, note).with_cause(cause);
    }
    let kind = if timeout {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    // rustls reports plain-HTTP bytes where a TLS record was due as a corrupt message.
    let not_tls = cause.contains("InvalidContentType") || cause.contains("corrupt message");
    let not_http = cause.contains("invalid HTTP") || cause.contains("invalid status");
    let certificate = cause.contains("certificate");
    // The server's side of a handshake that failed, e.g. CertificateRequired or UnknownCA:
    // with TLS 1.3 the client hears of a refused client certificate only then.
    let alert = cause.contains("received fatal alert");
    let message = if not_tls {
        format!(
            "{operation}: TLS handshake with {host}{note} failed: the server did not answer in \
             TLS; is the endpoint http://?"
        )
    } else if certificate {
        format!(
            "{operation}: TLS handshake with {host}{note} failed: its certificate was not \
             accepted (see the cause)"
        )
    } else if alert {
        format!(
            "{operation}: TLS handshake with {host}{note} failed: the server refused it (see \
             the cause); a server that requires a client certificate (mutual TLS) does so when \
             none is given or it does not trust the one given"
        )
    } else if cause.contains("dns error") {
        format!("{operation} to {host}{note}: DNS lookup failed: the host name is not known")
    } else if connect && timeout {
        format!("{operation}: connecting to {host}{note} timed out")
    } else if refused {
        format!(
            "{operation}: cannot connect to {host}{note}: connection refused (nothing listens \
             on that port)"
        )
    } else if connect {
        format!("{operation}: cannot connect to {host}{note}")
    } else if timeout {
        format!("{operation} to {host}{note}: timed out")
    } else if not_http {
        format!(
            "{operation} to {host}{note}: the answer was not HTTP; is the endpoint https:// \
             (or another service on that port)?"
        )
    } else {
        format!("{operation} to {host}{note}: the connection failed before an answer")
    };
    UploadError::new(kind, message).with_cause(cause)
}

/// An error and its causes, `: `-separated.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// The proxy answered 407: it wants credentials it was not given, or refused the ones it got.
/// A server error with that status, so it is not retried (the same credentials would be sent)
/// and callers can tell it by the status. `note` names the proxy (without its credentials).
pub(crate) fn proxy_refused(operation: &str, host: &str, note: &str) -> UploadError {
    let mut error = UploadError::new(
        ErrorKind::Server,
        format!(
            "{operation} to {host}{note}: the proxy refused the request (HTTP 407 Proxy \
             Authentication Required): put its user and password in the proxy URL, \
             http://USER:PASSWORD@HOST:PORT, or check them"
        ),
    );
    error.server = Some(Box::new(ServerErrorDetail {
        status: 407,
        code: "ProxyAuthenticationRequired".into(),
        ..ServerErrorDetail::default()
    }));
    error
}
