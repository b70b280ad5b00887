//! `skip_existing`: a second folder upload of an unchanged tree sends no object body, only
//! HEADs; a file changed with the same size is sent again. Checked in the server's log.

mod common;

use common::*;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tos_crc64 as crc64;
use tosupload_engine::{Client, DirEvent, DirEventKind, DirObservers, UploadDirRequest};

fn request(dir: &Path) -> UploadDirRequest {
    let mut request = UploadDirRequest::new(BUCKET, "t/", dir);
    request.part_size = 5 * MIB;
    request.skip_existing = true;
    request
}

fn recording() -> (DirObservers, Arc<Mutex<Vec<DirEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let observers = DirObservers {
        event: Some(Box::new(move |e| sink.lock().unwrap().push(e.clone()))),
        ..DirObservers::default()
    };
    (observers, events)
}

/// Operations logged after `seq`, sorted (the HEADs and uploads run in parallel).
fn ops_since(server: &TestServer, seq: u64) -> Vec<String> {
    let mut ops: Vec<String> = server
        .log()
        .iter()
        .filter(|e| e["seq"].as_u64().unwrap() > seq)
        .map(|e| format!("{} {}", e["op"].as_str().unwrap(), e["status"]))
        .collect();
    ops.sort();
    ops
}

#[test]
fn an_unchanged_tree_is_only_headed_and_a_same_size_change_is_sent_again() {
    let server = TestServer::start();
    let tree = tempfile::tempdir().unwrap();
    let small: Vec<_> = (0..5)
        .map(|i| write_file(tree.path(), &format!("s{i}.txt"), &pattern(1000 + i, i)))
        .collect();
    let big_content = pattern(6 * MIB, 9);
    write_file(tree.path(), "big.bin", &big_content);
    let total = (0..5).map(|i| 1000 + i).sum::<u64>() + 6 * MIB;
    let client = Client::new(server.config()).unwrap();

    // First run: every key is missing (HEAD 404), so everything goes up.
    let out = client
        .upload_dir(request(tree.path()), DirObservers::default())
        .unwrap();
    assert_eq!((out.files_uploaded, out.files_skipped), (6, 0));
    assert_eq!(server.log_of("HeadObject", 404).len(), 6);

    // Second run, nothing changed: six HEADs and nothing else.
    let seq = server.last_seq();
    let (observers, events) = recording();
    let out = client.upload_dir(request(tree.path()), observers).unwrap();
    assert_eq!(ops_since(&server, seq), vec!["HeadObject 200"; 6]);
    assert_eq!((out.files_uploaded, out.bytes_uploaded), (0, 0));
    assert_eq!((out.files_skipped, out.bytes_skipped), (6, total));
    let events = events.lock().unwrap();
    let skipped: Vec<&DirEvent> = events
        .iter()
        .filter(|e| e.kind == DirEventKind::FileSkipped)
        .collect();
    assert_eq!(skipped.len(), 6);
    for event in &skipped {
        let reason = event.reason.as_deref().unwrap();
        assert!(reason.contains("already on the server"), "{reason}");
    }
    let big = skipped.iter().find(|e| e.key == "t/big.bin").unwrap();
    assert_eq!(big.crc64, Some(crc64::checksum(&big_content)));
    // The documented sequence: each file STARTED (the HEAD is work done), then SKIPPED, and
    // nothing else.
    for event in &skipped {
        let of_key: Vec<DirEventKind> = events
            .iter()
            .filter(|e| e.key == event.key)
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            of_key,
            [DirEventKind::FileStarted, DirEventKind::FileSkipped],
            "{}",
            event.key
        );
    }
    drop(events);

    // One byte changed, same size: only that file is sent again.
    let mut changed = std::fs::read(&small[2]).unwrap();
    changed[500] ^= 0xff;
    std::fs::write(&small[2], &changed).unwrap();
    let seq = server.last_seq();
    let out = client
        .upload_dir(request(tree.path()), DirObservers::default())
        .unwrap();
    let mut expected = vec!["HeadObject 200"; 6];
    expected.push("PutObject 200");
    assert_eq!(ops_since(&server, seq), expected);
    assert_eq!((out.files_uploaded, out.files_skipped), (1, 5));
    assert_eq!(server.get_object("t/s2.txt"), changed);
}

#[test]
fn a_failed_head_is_retried_and_an_object_of_another_size_is_replaced() {
    let server = TestServer::start();
    let tree = tempfile::tempdir().unwrap();
    let file = write_file(tree.path(), "a.txt", b"short");
    let client = Client::new(server.config()).unwrap();
    let mut plain = request(tree.path());
    plain.skip_existing = false;
    client.upload_dir(plain, DirObservers::default()).unwrap();
    std::fs::write(&file, b"longer now").unwrap();
    server.add_fault(
        r#"{"op":"HeadObject","times":1,"action":{"kind":"status","status":503,"code":"ServiceUnavailable"}}"#,
    );
    let seq = server.last_seq();
    let out = client
        .upload_dir(request(tree.path()), DirObservers::default())
        .unwrap();
    assert_eq!(
        ops_since(&server, seq),
        ["HeadObject 200", "HeadObject 503", "PutObject 200"]
    );
    assert_eq!((out.files_uploaded, out.files_skipped), (1, 0));
    assert_eq!(server.get_object("t/a.txt"), b"longer now");
}
