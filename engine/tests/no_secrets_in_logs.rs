//! At the most verbose level the log sink gets the lines of the HTTP and TLS crates as well
//! as the engine's, and none of them may carry a credential. A test binary of its own: the
//! logger is process-wide, so no other test's lines mix in.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use tosupload_engine::logger::{set_sink, Level};
use tosupload_engine::{Client, ClientConfig, Observers, UploadFileRequest};

const SECRET_KEY: &str = "SK-never-in-a-log-line";
const SECURITY_TOKEN: &str = "STS-token-never-in-a-log-line";

type Lines = Arc<Mutex<Vec<(Level, String)>>>;

fn capture(max_level: Level) -> Lines {
    let lines: Lines = Arc::default();
    let sink_lines = Arc::clone(&lines);
    set_sink(
        Some(Arc::new(move |level, message: &str| {
            sink_lines
                .lock()
                .unwrap()
                .push((level, message.to_string()))
        })),
        max_level,
    );
    lines
}

/// An 11 MiB multipart upload with STS credentials, its first part refused once.
fn upload(server: &TestServer, endpoint: &str, key: &str) {
    server.add_fault(r#"{"op":"UploadPart","part_number":1,"times":1,"action":{"kind":"status","status":503,"code":"ServiceUnavailable"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(11 * MIB, 40));
    let client = Client::new(ClientConfig {
        endpoint: endpoint.into(),
        secret_key: SECRET_KEY.into(),
        security_token: SECURITY_TOKEN.into(),
        verify_tls: false,
        ..server.config()
    })
    .unwrap();
    let mut request = UploadFileRequest::new(BUCKET, key, &file);
    request.part_size = 5 * MIB;
    request.task_num = 2;
    client.upload_file(request, Observers::default()).unwrap();
}

/// Forwards loopback connections to `target` (`host:port`) and keeps every byte the client
/// sent: the test then knows the exact signatures of the upload's requests.
fn recording_proxy(target: &str) -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let sent: Arc<Mutex<Vec<u8>>> = Arc::default();
    let (target, record) = (target.to_string(), Arc::clone(&sent));
    thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let mut server = TcpStream::connect(&target).unwrap();
            let (mut answers, mut to_client) =
                (server.try_clone().unwrap(), client.try_clone().unwrap());
            thread::spawn(move || std::io::copy(&mut answers, &mut to_client));
            let record = Arc::clone(&record);
            thread::spawn(move || {
                let mut buffer = vec![0; 64 * 1024];
                while let Ok(n @ 1..) = client.read(&mut buffer) {
                    record.lock().unwrap().extend_from_slice(&buffer[..n]);
                    if server.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                let _ = server.shutdown(Shutdown::Write);
            });
        }
    });
    (format!("http://{address}"), sent)
}

/// The hex signatures of the `Authorization` headers in `requests`.
fn signatures(requests: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(requests);
    text.split("Signature=")
        .skip(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_hexdigit).collect())
        .collect()
}

fn assert_no_credential(lines: &[(Level, String)], signatures: &[String]) {
    for (_, line) in lines {
        assert!(!line.contains(SECRET_KEY), "secret key in log: {line}");
        assert!(
            !line.contains(SECURITY_TOKEN),
            "security token in log: {line}"
        );
        let lower = line.to_ascii_lowercase();
        for word in [
            "authorization",
            "signature=",
            "credential=",
            "security-token",
        ] {
            assert!(!lower.contains(word), "{word} in log: {line}");
        }
        for signature in signatures {
            assert!(
                !line.contains(signature.as_str()),
                "a signature in log: {line}"
            );
        }
    }
}

#[test]
fn the_most_verbose_level_logs_the_http_and_tls_crates_but_no_credential() {
    let server = TestServer::start_with(&["--secret-key", SECRET_KEY]);
    let (endpoint, sent) = recording_proxy(server.endpoint.trim_start_matches("http://"));
    let lines = capture(Level::Trace);
    upload(&server, &endpoint, "traced.bin");
    let lines = std::mem::take(&mut *lines.lock().unwrap());
    let signatures = signatures(&sent.lock().unwrap());
    // Create, 3 parts, a part resent after the 503, Complete.
    assert!(signatures.len() >= 6, "{signatures:?}");
    assert!(signatures.iter().all(|s| s.len() == 64), "{signatures:?}");
    assert!(lines.iter().any(|(_, l)| l.starts_with("reqwest::")));
    assert!(lines.iter().any(|(_, l)| l.starts_with("hyper_util::")));
    assert!(lines
        .iter()
        .any(|(_, l)| l.contains("traced.bin") && l.contains("request id")));
    assert!(lines.iter().any(|(_, l)| l.contains("will be retried")));
    assert_no_credential(&lines, &signatures);

    // Over TLS the handshake is logged too.
    let tls = TestServer::start_with(&["--tls-self-signed", "--secret-key", SECRET_KEY]);
    let lines = capture(Level::Trace);
    upload(&tls, &tls.endpoint, "traced-tls.bin");
    let lines = std::mem::take(&mut *lines.lock().unwrap());
    assert!(lines.iter().any(|(_, l)| l.starts_with("rustls::")));
    assert_no_credential(&lines, &[]);

    // A quieter level holds for the other crates' lines too.
    let lines = capture(Level::Info);
    upload(&server, &endpoint, "quiet.bin");
    let lines = lines.lock().unwrap();
    assert!(!lines.is_empty());
    assert!(
        lines.iter().all(|(level, _)| *level <= Level::Info),
        "{lines:?}"
    );
    set_sink(None, Level::Error);
}
