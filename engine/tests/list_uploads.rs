//! Listing and aborting the multipart uploads left open in a bucket, against the local
//! server (its request log and its own list of open uploads are the judges), and against a
//! loopback server that pages forever.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use tosupload_engine::{
    AbortUploadRequest, CancelHook, CancelKind, Client, ClientConfig, ErrorKind, ListUploadsRequest,
};

fn listing(prefix: &str, page_size: u32) -> ListUploadsRequest {
    ListUploadsRequest {
        bucket: BUCKET.into(),
        prefix: prefix.into(),
        page_size,
        ..ListUploadsRequest::default()
    }
}

/// Opens a multipart upload through the engine's own upload: paused at once by its hook,
/// it leaves its upload on the server as a paused `tosput put` does.
fn leave_upload(client: &Client, dir: &std::path::Path, key: &str) {
    let file = write_file(dir, &key.replace('/', "_"), &pattern(6 * MIB, 7));
    let mut request = tosupload_engine::UploadFileRequest::new(BUCKET, key, &file);
    request.part_size = 5 * MIB;
    // Without a checkpoint, a second upload of one key makes a second upload, not a resume.
    request.enable_checkpoint = false;
    let hook = CancelHook::new();
    request.cancel = Some(hook.clone());
    let observers = tosupload_engine::Observers {
        event: Some(Box::new(move |event| {
            if event.kind == tosupload_engine::UploadEventKind::CreateMultipartUploadSucceeded {
                hook.cancel(CancelKind::Pause);
            }
        })),
        ..Default::default()
    };
    let error = client.upload_file(request, observers).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Paused);
}

#[test]
fn more_uploads_than_a_page_are_all_listed_then_aborted() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for key in ["logs/a", "logs/b", "logs/c", "logs/d", "logs/e", "other"] {
        leave_upload(&client, dir.path(), key);
    }
    let open = server.open_uploads();
    assert_eq!(open.len(), 6);

    let before = server.log_of("ListMultipartUploads", 200).len();
    let listed = client.list_multipart_uploads(listing("logs/", 2)).unwrap();
    let keys: Vec<&str> = listed.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["logs/a", "logs/b", "logs/c", "logs/d", "logs/e"]);
    assert!(listed.iter().all(|u| open.contains(&u.upload_id)));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(listed
        .iter()
        .all(|u| u.initiated.is_some_and(|t| (now - t).abs() < 120)));
    // Five uploads two to a page: three requests.
    assert_eq!(server.log_of("ListMultipartUploads", 200).len() - before, 3);

    let first_two = client
        .list_multipart_uploads(ListUploadsRequest {
            limit: 2,
            ..listing("logs/", 0)
        })
        .unwrap();
    assert_eq!(first_two, listed[..2]);

    for upload in &listed {
        client
            .abort_multipart_upload(AbortUploadRequest {
                bucket: BUCKET.into(),
                key: upload.key.clone(),
                upload_id: upload.upload_id.clone(),
                cancel: None,
            })
            .unwrap();
    }
    let left = server.open_uploads();
    assert_eq!(left.len(), 1, "only the upload outside the prefix stays");
    assert!(client
        .list_multipart_uploads(listing("logs/", 0))
        .unwrap()
        .is_empty());
}

#[test]
fn the_s3_protocol_pages_through_an_s3_listing_too() {
    let server = TestServer::start_with(&["--s3", "--discard"]);
    let config = ClientConfig {
        protocol: tosupload_engine::WireProtocol::S3,
        ..server.config()
    };
    let client = Client::new(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for key in ["s3/a", "s3/b", "s3/b", "s3/c", "t"] {
        leave_upload(&client, dir.path(), key);
    }
    let listed = client.list_multipart_uploads(listing("s3/", 1)).unwrap();
    let keys: Vec<&str> = listed.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(keys, ["s3/a", "s3/b", "s3/b", "s3/c"]);
    assert_ne!(listed[1].upload_id, listed[2].upload_id);
    assert!(listed.iter().all(|u| u.initiated.is_some()));
    assert_eq!(server.log_of("ListMultipartUploads", 200).len(), 4);
    for upload in &listed {
        client
            .abort_multipart_upload(AbortUploadRequest {
                bucket: BUCKET.into(),
                key: upload.key.clone(),
                upload_id: upload.upload_id.clone(),
                cancel: None,
            })
            .unwrap();
    }
    assert!(client
        .list_multipart_uploads(listing("s3/", 0))
        .unwrap()
        .is_empty());
    assert_eq!(
        client.list_multipart_uploads(listing("", 0)).unwrap().len(),
        1
    );
}

#[test]
fn bad_requests_are_refused_before_anything_is_sent() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let error = |request| client.list_multipart_uploads(request).unwrap_err().kind;
    let bad_bucket = ListUploadsRequest {
        bucket: "Bad_Bucket".into(),
        ..listing("", 0)
    };
    assert_eq!(error(bad_bucket), ErrorKind::InvalidBucket);
    assert_eq!(error(listing("", 1001)), ErrorKind::InvalidArgument);
    let abort = |key: &str, id: &str| {
        client
            .abort_multipart_upload(AbortUploadRequest {
                bucket: BUCKET.into(),
                key: key.into(),
                upload_id: id.into(),
                cancel: None,
            })
            .unwrap_err()
    };
    assert_eq!(abort("k", "").kind, ErrorKind::InvalidArgument);
    assert_eq!(abort("", "id").kind, ErrorKind::InvalidKey);
    assert!(server.log().is_empty(), "nothing reached the server");
    let gone = abort("k", "no-such-upload");
    assert_eq!(gone.server.unwrap().code, "NoSuchUpload");
}

#[test]
fn a_stalled_listing_answers_its_cancel_hook_at_once() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"ListMultipartUploads","action":{"kind":"stall","ms":20000}}"#);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let pulled = hook.clone();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        pulled.cancel(CancelKind::Abort);
        Instant::now()
    });
    let error = client
        .list_multipart_uploads(ListUploadsRequest {
            cancel: Some(hook),
            ..listing("", 0)
        })
        .unwrap_err();
    let returned = Instant::now();
    let cancelled = stopper.join().unwrap();
    assert_eq!(error.kind, ErrorKind::Aborted);
    assert!(returned.duration_since(cancelled) < CANCEL_RETURNS_WITHIN);
}

/// A server that answers every request with a truncated page of one upload and the same
/// next marker: a client that trusted it would page forever. Each connection is served on a
/// thread of its own: the client's pool may open a second connection for the next page before
/// the first is back in the pool, and one thread serving connections in turn left that one in
/// the listen backlog until the first was closed (seen once: over 5 s on an idle machine).
fn looping_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || answer_with_the_same_marker(stream));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn answer_with_the_same_marker(mut stream: std::net::TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if line != "\r\n" {
            continue;
        }
        let body = r#"{"IsTruncated":true,"NextKeyMarker":"k","NextUploadIdMarker":"u","Uploads":[{"Key":"k","UploadId":"u","Initiated":"2026-01-01T00:00:00.000Z"}]}"#;
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(reply.as_bytes()).is_err() {
            break;
        }
    }
}

#[test]
fn a_server_that_repeats_its_marker_is_an_error_not_a_loop() {
    let config = ClientConfig {
        endpoint: looping_server(),
        region: "cn-beijing".into(),
        access_key: "AKTEST".into(),
        secret_key: "SKTEST".into(),
        ..ClientConfig::new()
    };
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let error = client.list_multipart_uploads(listing("", 1)).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server);
    assert!(error.message.contains("marker"), "{}", error.message);
    assert!(started.elapsed() < Duration::from_secs(5));
}
