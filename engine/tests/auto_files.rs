//! Automatic file concurrency against the real server (docs/throttling.md, "Automatic
//! connections"): on loopback, where the host is the limit, the search does not keep 256
//! small files at once (it did before the queue check, for no speed and twice the memory);
//! across an emulated 40 ms round trip it keeps far more than it starts with.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use tosupload_engine::{Client, DirEventKind, DirObservers, UploadDirRequest};

fn small_files(root: &std::path::Path, count: usize) {
    for i in 0..count {
        let dir = root.join(format!("d{}", i % 20));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("f{i}")), pattern(1024, i as u64)).unwrap();
    }
}

/// Uploads `count` files of 1 KiB with the defaults; returns every file concurrency the
/// search announced, in order.
fn announced_concurrency(server: &TestServer, prefix: &str, count: usize) -> Vec<u32> {
    let dir = tempfile::tempdir().unwrap();
    small_files(dir.path(), count);
    let client = Client::new(server.config()).unwrap();
    let announced = Arc::new(Mutex::new(Vec::new()));
    let observers = {
        let announced = Arc::clone(&announced);
        DirObservers {
            event: Some(Box::new(move |event| {
                if event.kind == DirEventKind::FileConcurrencyChanged {
                    announced
                        .lock()
                        .unwrap()
                        .push(event.file_concurrency.unwrap());
                }
            })),
            ..DirObservers::default()
        }
    };
    let request = UploadDirRequest::new(BUCKET, prefix, dir.path());
    assert_eq!(request.file_concurrency, 0, "the default is automatic");
    let output = client.upload_dir(request, observers).unwrap();
    assert_eq!(output.files_uploaded, count as u64);
    assert_eq!(server.log_of("PutObject", 200).len(), count);
    let announced = announced.lock().unwrap().clone();
    announced
}

#[test]
fn on_loopback_the_search_does_not_keep_256_files_at_once() {
    let server = TestServer::start();
    let announced = announced_concurrency(&server, "loopback/", 4000);
    assert_eq!(announced.first(), Some(&32), "{announced:?}");
    let settled = *announced.last().unwrap();
    assert!(
        settled < 256,
        "settled at {settled} files at once on loopback ({announced:?})"
    );
}

#[test]
fn across_a_round_trip_the_search_keeps_many_files_at_once() {
    let server = TestServer::start_with(&["--link-rtt-ms", "40"]);
    let announced = announced_concurrency(&server, "wan/", 1500);
    let settled = *announced.last().unwrap();
    assert!(
        settled >= 128,
        "settled at {settled} files at once across 40 ms ({announced:?})"
    );
}
