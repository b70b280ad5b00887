//! A file under the multipart threshold goes up in one PutObject; `force_multipart` keeps the
//! multipart path. Outcomes are read from the server: its request log and the stored bytes.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tos_crc64 as crc64;
use tosupload_engine::checkpoint;
use tosupload_engine::{
    CancelHook, CancelKind, Client, CreateAttributes, ErrorKind, Observers, ProgressKind,
    ProgressStatus, TokenBucket, UploadEventKind, UploadFileRequest,
};

fn request(file: &Path, key: &str) -> UploadFileRequest {
    let mut request = UploadFileRequest::new(BUCKET, key, file);
    request.part_size = 5 * MIB;
    request
}

fn checkpoint_path(file: &Path, key: &str) -> PathBuf {
    file.with_file_name(checkpoint::file_name(file, BUCKET, key))
}

/// The operations the server saw after log entry `seq`, in order (the admin API is not
/// logged).
fn ops_since(server: &TestServer, seq: u64) -> Vec<String> {
    server
        .log()
        .iter()
        .filter(|e| e["seq"].as_u64().unwrap() > seq)
        .map(|e| e["op"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn object_ops(server: &TestServer) -> Vec<String> {
    ops_since(server, 0)
}

#[test]
fn a_small_file_is_one_put_object_byte_exact_with_progress_and_no_checkpoint() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "six.txt", b"hello\n");
    let client = Client::new(server.config()).unwrap();
    let progress: Arc<Mutex<Vec<ProgressStatus>>> = Arc::default();
    let events = Arc::new(Mutex::new(Vec::new()));
    let (p, e) = (Arc::clone(&progress), Arc::clone(&events));
    let observers = Observers {
        progress: Some(Box::new(move |s| p.lock().unwrap().push(*s))),
        event: Some(Box::new(move |ev| e.lock().unwrap().push(ev.kind))),
        ..Observers::default()
    };
    let out = client
        .upload_file(request(&file, "six.txt"), observers)
        .unwrap();
    assert_eq!(object_ops(&server), ["PutObject"]);
    assert_eq!(server.log_of("PutObject", 200).len(), 1);
    assert_eq!(server.get_object("six.txt"), b"hello\n");
    assert_eq!(out.upload_id, "");
    assert_eq!(out.part_size, 0);
    assert_eq!(out.bytes_sent, 6);
    assert_eq!(out.crc64, crc64::checksum(b"hello\n"));
    assert!(!out.etag.is_empty());
    assert!(!checkpoint_path(&file, "six.txt").exists());
    let progress = progress.lock().unwrap();
    assert_eq!(progress.first().unwrap().kind, ProgressKind::Started);
    assert_eq!(progress.last().unwrap().kind, ProgressKind::Succeeded);
    assert!(progress.iter().all(|s| s.total_bytes == 6));
    assert_eq!(progress.last().unwrap().consumed_bytes, 6);
    assert!(events.lock().unwrap().is_empty(), "no multipart events");
}

#[test]
fn an_empty_file_is_one_empty_put_object() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "empty", b"");
    let client = Client::new(server.config()).unwrap();
    let out = client
        .upload_file(request(&file, "empty.txt"), Observers::default())
        .unwrap();
    assert_eq!(object_ops(&server), ["PutObject"]);
    assert_eq!(server.log_of("PutObject", 200)[0]["body_bytes"], 0);
    assert_eq!(out.crc64, 0);
    assert_eq!(server.get_object("empty.txt"), b"");
}

#[test]
fn force_multipart_sends_create_part_complete() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "six.txt", b"hello\n");
    let client = Client::new(server.config()).unwrap();
    let mut request = request(&file, "six.txt");
    request.force_multipart = true;
    let out = client.upload_file(request, Observers::default()).unwrap();
    assert_eq!(
        object_ops(&server),
        [
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload"
        ]
    );
    assert_eq!(server.get_object("six.txt"), b"hello\n");
    assert!(!out.upload_id.is_empty());
    assert_eq!(out.crc64, crc64::checksum(b"hello\n"));
}

#[test]
fn a_file_of_exactly_the_threshold_goes_multipart_one_byte_less_goes_in_one_put() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(server.config()).unwrap();
    let below = pattern(999, 1);
    let at = pattern(1000, 2);
    for (name, content) in [("below", &below), ("at", &at)] {
        let file = write_file(dir.path(), name, content);
        let mut request = request(&file, name);
        request.multipart_threshold = 1000;
        client.upload_file(request, Observers::default()).unwrap();
        assert_eq!(&server.get_object(name), content);
    }
    assert_eq!(
        object_ops(&server),
        [
            "PutObject",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload"
        ]
    );
    // The default threshold is the part size.
    let at_part_size = write_file(dir.path(), "five", &pattern(5 * MIB, 3));
    let seq = server.last_seq();
    client
        .upload_file(request(&at_part_size, "five"), Observers::default())
        .unwrap();
    assert_eq!(ops_since(&server, seq)[0], "CreateMultipartUpload");
    // A threshold above what one PutObject may carry is refused before any request.
    let mut too_big = request(&at_part_size, "x");
    too_big.multipart_threshold = 5 * 1024 * MIB + 1;
    let seq = server.last_seq();
    let error = client
        .upload_file(too_big, Observers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    assert!(error.message.contains("multipart threshold"), "{error}");
    assert_eq!(server.last_seq(), seq);
}

#[test]
fn the_single_put_carries_the_attributes_and_retries_a_bad_crc() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"PutObject","times":1,"action":{"kind":"bad_crc"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(300 * 1024, 5);
    let file = write_file(dir.path(), "a.bin", &content);
    let client = Client::new(server.config()).unwrap();
    let mut request = request(&file, "a.bin");
    request.attributes = CreateAttributes {
        content_type: Some("text/x-test".into()),
        meta: vec![("origin".into(), "small".into())],
        ..CreateAttributes::default()
    };
    let out = client.upload_file(request, Observers::default()).unwrap();
    // The first reply's CRC did not match what was sent: sent again, counted once.
    assert_eq!(object_ops(&server), ["PutObject", "PutObject"]);
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert_eq!(server.get_object("a.bin"), content);
    let head = server.head_object("a.bin").unwrap();
    assert_eq!(head["content-type"], "text/x-test");
    assert_eq!(head["x-tos-meta-origin"], "small");
}

#[test]
fn a_persistent_crc_mismatch_fails_the_single_put() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"PutObject","action":{"kind":"bad_crc"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "a.bin", &pattern(1000, 6));
    let client = Client::new(server.config()).unwrap();
    let error = client
        .upload_file(request(&file, "a.bin"), Observers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::CrcMismatch, "{error}");
    assert!(!checkpoint_path(&file, "a.bin").exists());
}

/// Pauses or aborts a rate-limited single PutObject mid-body: the call returns at once,
/// nothing is stored and nothing is left on disk.
#[test]
fn pause_and_abort_stop_a_single_put_within_200_ms() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(4 * MIB, 7);
    let file = write_file(dir.path(), "slow.bin", &content);
    let client = Client::new(server.config()).unwrap();
    for (kind, expected) in [
        (CancelKind::Pause, ErrorKind::Paused),
        (CancelKind::Abort, ErrorKind::Aborted),
    ] {
        let hook = CancelHook::new();
        let mut request = request(&file, "slow.bin");
        request.cancel = Some(hook.clone());
        let observers = Observers {
            shared_limiter: Some(Arc::new(TokenBucket::new(MIB, 256 * 1024))),
            ..Observers::default()
        };
        let fired = Arc::new(Mutex::new(None));
        let canceller = {
            let (hook, fired) = (hook.clone(), Arc::clone(&fired));
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(600));
                *fired.lock().unwrap() = Some(Instant::now());
                hook.cancel(kind);
            })
        };
        let error = client.upload_file(request, observers).unwrap_err();
        let returned = Instant::now();
        canceller.join().unwrap();
        let latency = returned - fired.lock().unwrap().unwrap();
        assert_eq!(error.kind, expected, "{error}");
        assert!(latency < CANCEL_RETURNS_WITHIN, "{latency:?}");
        assert!(server.head_object("slow.bin").is_none());
        assert!(!checkpoint_path(&file, "slow.bin").exists());
        assert!(server.open_uploads().is_empty());
    }
    // Nothing to resume: the next call sends it whole.
    client
        .upload_file(request(&file, "slow.bin"), Observers::default())
        .unwrap();
    assert_eq!(server.get_object("slow.bin"), content);
}

/// Leaves a checkpoint of a forced multipart upload of `file`: every part sent, Complete
/// refused once.
fn leave_multipart_checkpoint(server: &TestServer, client: &Client, file: &Path, key: &str) {
    server.add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"status","status":400,"code":"InvalidRequest"}}"#);
    let mut request = request(file, key);
    request.force_multipart = true;
    client
        .upload_file(request, Observers::default())
        .unwrap_err();
    server.clear_faults();
    assert!(checkpoint_path(file, key).exists());
    assert_eq!(server.open_uploads().len(), 1);
}

#[test]
fn a_checkpoint_of_the_same_file_is_resumed_even_under_the_threshold() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(2 * MIB, 8);
    let file = write_file(dir.path(), "f.bin", &content);
    let client = Client::new(server.config()).unwrap();
    leave_multipart_checkpoint(&server, &client, &file, "f.bin");
    let seq = server.last_seq();
    let out = client
        .upload_file(request(&file, "f.bin"), Observers::default())
        .unwrap();
    let ops = ops_since(&server, seq);
    // The part is on the server: listed, not sent again, then completed.
    assert_eq!(ops, ["ListParts", "CompleteMultipartUpload"]);
    assert!(!out.upload_id.is_empty());
    assert_eq!(server.get_object("f.bin"), content);
    assert!(!checkpoint_path(&file, "f.bin").exists());
    assert!(server.open_uploads().is_empty());
}

#[test]
fn a_stale_checkpoint_is_discarded_and_its_upload_aborted_before_the_single_put() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f.bin", &pattern(2 * MIB, 9));
    let client = Client::new(server.config()).unwrap();
    leave_multipart_checkpoint(&server, &client, &file, "f.bin");
    let changed = pattern(3 * MIB, 10);
    std::fs::write(&file, &changed).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let observers = Observers {
        event: Some(Box::new(move |e| sink.lock().unwrap().push(e.kind))),
        ..Observers::default()
    };
    let seq = server.last_seq();
    let out = client
        .upload_file(request(&file, "f.bin"), observers)
        .unwrap();
    let ops = ops_since(&server, seq);
    assert_eq!(ops, ["AbortMultipartUpload", "PutObject"]);
    assert_eq!(
        *events.lock().unwrap(),
        [UploadEventKind::CheckpointDiscarded]
    );
    assert_eq!(out.upload_id, "");
    assert_eq!(server.get_object("f.bin"), changed);
    assert!(!checkpoint_path(&file, "f.bin").exists());
    assert!(server.open_uploads().is_empty());
}

/// Keys the TOS Go SDK's own tests store on TOS (docs/protocol.md, "Names"): a leading '/' or
/// '\' and DEL reach the server as they are, single and multipart, and come back byte-exact.
#[test]
fn keys_tos_accepts_go_up_as_they_are() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "data", b"root path\n");
    let client = Client::new(server.config()).unwrap();
    for key in ["/key 123", "\\lead", "del\u{7f}x"] {
        for force_multipart in [false, true] {
            let mut request = request(&file, key);
            request.force_multipart = force_multipart;
            client.upload_file(request, Observers::default()).unwrap();
            assert_eq!(server.get_object(key), b"root path\n", "{key:?}");
            let logged = server.log();
            let last = logged.last().unwrap();
            assert_eq!(last["key"], key, "{key:?}: the server saw another key");
        }
    }
    let mut request = request(&file, "line\nbreak");
    request.force_multipart = false;
    let err = client
        .upload_file(request, Observers::default())
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidKey);
    assert_eq!(
        server.log().last().unwrap()["key"],
        "del\u{7f}x",
        "nothing sent"
    );
}
