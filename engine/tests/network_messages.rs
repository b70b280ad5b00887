//! The messages of requests that get no HTTP answer: each names the operation and the
//! `host:port`, says in words what to check, notes a default endpoint, and never carries the
//! secret key. Real sockets on loopback: a port nothing listens on, and the local server
//! spoken to in TLS while it serves plain HTTP.

mod common;

use common::*;
use std::net::TcpListener;
use std::time::Duration;
use tosupload_engine::{
    Client, ClientConfig, ErrorKind, Observers, UploadError, UploadFileRequest,
};

const SECRET: &str = "SK-must-never-appear-in-a-message";

/// A port that was free a moment ago: connecting to it is refused.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(endpoint: &str) -> ClientConfig {
    ClientConfig {
        endpoint: endpoint.into(),
        region: "cn-beijing".into(),
        access_key: "AKTEST".into(),
        secret_key: SECRET.into(),
        // One attempt: the message is the same on every retry, and the tests stay quick.
        max_retry_count: 0,
        connect_timeout: Duration::from_secs(5),
        ..ClientConfig::new()
    }
}

fn upload_error(config: ClientConfig) -> UploadError {
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f.bin", &pattern(1000, 7));
    let client = Client::new(config).unwrap();
    let mut request = UploadFileRequest::new(BUCKET, "net/f.bin", &file);
    request.enable_checkpoint = false;
    let error = client
        .upload_file(request, Observers::default())
        .unwrap_err();
    let everything = format!("{error} {error:?}");
    assert!(
        !everything.contains(SECRET),
        "the secret leaked: {everything}"
    );
    error
}

/// The first word of every message is the operation that failed.
fn names_an_operation(error: &UploadError) -> bool {
    [
        "PutObject",
        "CreateMultipartUpload",
        "InitiateMultipartUpload",
        "HeadObject",
    ]
    .iter()
    .any(|op| error.message.starts_with(op))
}

#[test]
fn a_closed_port_is_named_with_the_operation_and_connection_refused() {
    let port = closed_port();
    let error = upload_error(config(&format!("http://127.0.0.1:{port}")));
    assert_eq!(error.kind, ErrorKind::Network, "{error}");
    assert!(names_an_operation(&error), "{error}");
    assert!(
        error.message.contains(&format!(
            "cannot connect to 127.0.0.1:{port}: connection refused"
        )),
        "{error}"
    );
    assert!(!error.message.contains("default endpoint"), "{error}");
}

#[test]
fn tls_to_a_plain_http_port_says_so_in_words() {
    let server = TestServer::start();
    let address = server.endpoint.strip_prefix("http://").unwrap().to_string();
    let error = upload_error(config(&format!("https://{address}")));
    assert_eq!(error.kind, ErrorKind::Network, "{error}");
    assert!(names_an_operation(&error), "{error}");
    assert!(
        error.message.contains(&format!(
            "TLS handshake with {address} failed: the server did not answer in TLS; is the endpoint http://?"
        )),
        "{error}"
    );
    // The stack's own words stay available as the cause.
    assert!(
        error
            .cause
            .as_deref()
            .unwrap_or("")
            .contains("InvalidContentType"),
        "{error:?}"
    );
}

#[test]
fn a_refused_certificate_and_plain_http_to_a_tls_port_are_told_apart() {
    let server = TestServer::start_with(&["--tls-self-signed"]);
    let address = server
        .endpoint
        .strip_prefix("https://")
        .unwrap()
        .to_string();
    let error = upload_error(config(&server.endpoint));
    assert!(
        error.message.contains(&format!(
            "TLS handshake with {address} failed: its certificate was not accepted"
        )),
        "{error}"
    );
    let error = upload_error(config(&format!("http://{address}")));
    assert_eq!(error.kind, ErrorKind::Network, "{error}");
    assert!(names_an_operation(&error), "{error}");
    assert!(error.message.contains(&address), "{error}");
    assert!(
        error.message.contains("is the endpoint https://"),
        "{error}"
    );
}

#[test]
fn a_default_endpoint_is_called_so() {
    // What resolve_env records when it made the endpoint from the region; a real default
    // endpoint is not on loopback, so the flag is set on a closed local port instead.
    let port = closed_port();
    let mut config = config(&format!("http://127.0.0.1:{port}"));
    config.endpoint_is_default = true;
    let error = upload_error(config);
    assert!(
        error.message.contains(&format!(
            "127.0.0.1:{port} (the default endpoint for region cn-beijing, since no endpoint was given and TOS_ENDPOINT is not set)"
        )),
        "{error}"
    );
}

#[test]
fn resolve_env_marks_an_endpoint_made_from_the_region() {
    let given = config("http://127.0.0.1:9").resolve_env().unwrap();
    assert!(!given.endpoint_is_default);
    if std::env::var_os("TOS_ENDPOINT").is_none() {
        let made = config("").resolve_env().unwrap();
        assert_eq!(made.endpoint, "https://tos-cn-beijing.volces.com");
        assert!(made.endpoint_is_default);
    }
}

#[test]
fn an_unknown_host_is_a_dns_failure_naming_it() {
    // .invalid never resolves (RFC 6761): the resolver answers without any server of ours.
    // The bucket is in the host name: a DNS name is addressed virtual-hosted.
    let error = upload_error(config("http://no-such-host.invalid:9000"));
    assert_eq!(error.kind, ErrorKind::Network, "{error}");
    assert!(
        error
            .message
            .contains("test-bucket.no-such-host.invalid:9000: DNS lookup failed"),
        "{error}"
    );
}
