//! Automatic concurrency (`task_num` 0) against the local server's link emulation: with a
//! per-connection cap well below the aggregate one, the search leaves its start. When it
//! goes back (a doubling that did not pay, halving after a jump) is judged by the unit tests
//! and by `bench/wan.py`: a debug build on a shared machine is CPU-bound near the rates at which
//! the difference would show, and 5 MiB parts at such rates would take minutes.

mod common;

use common::*;
use reqwest::Method;
use std::sync::{Arc, Mutex};
use tos_crc64 as crc64;
use tosupload_engine::{
    Client, DirEventKind, DirObservers, Observers, UploadDirRequest, UploadEventKind,
    UploadFileRequest,
};

const MIB: u64 = 1024 * 1024;

fn task_events(events: &Mutex<Vec<u32>>) -> Vec<u32> {
    events.lock().unwrap().clone()
}

fn upload_auto(server: &TestServer, size: u64, key: &str) -> Vec<u32> {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(size, 7);
    let file = write_file(dir.path(), "data.bin", &content);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let observers = Observers {
        event: Some(Box::new(move |e| {
            if e.kind == UploadEventKind::TaskNumChanged {
                seen.lock().unwrap().push(e.task_num.expect("task_num set"));
            }
        })),
        ..Observers::default()
    };
    let mut request = UploadFileRequest::new(BUCKET, key, &file);
    request.part_size = 5 * MIB;
    assert_eq!(request.task_num, 0, "automatic is the default");
    let client = Client::new(server.config()).unwrap();
    let out = client.upload_file(request, observers).unwrap();
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert!(
        server.get_object(key) == content,
        "object differs from the file"
    );
    task_events(&events)
}

#[test]
fn jumps_to_every_part_when_one_connection_is_slow() {
    // 3 MB/s per connection, 36 MB/s in all, 16 parts: the probe of the first 4 connections
    // sees 3 MB/s each, far below the link, and the count jumps at once to every part left
    // (`parts::auto_tasks`), where judging on confirmed parts alone grew 4, 8, 16 a part's time
    // apart (each part takes about 2 s here).
    let server = TestServer::start_with(&[
        "--link-rtt-ms",
        "20",
        "--link-conn-rate",
        "24Mbit",
        "--link-total-rate",
        "288Mbit",
    ]);
    server.admin_json(Method::DELETE, "stats", "");
    let tasks = upload_auto(&server, 16 * 5 * MIB, "auto/capped.bin");
    assert_eq!(tasks.first(), Some(&4), "{tasks:?}");
    assert_eq!(tasks.get(1), Some(&16), "no jump to every part: {tasks:?}");
    let stats = server.admin_json(Method::GET, "stats", "");
    let most = stats["max_requests_in_flight"].as_u64().unwrap();
    assert_eq!(most, 16, "{stats}");
}

#[test]
fn folder_grows_files_at_once_when_round_trips_bind() {
    // Small files over 40 ms round trips: each file is a round trip whatever its size, so
    // more files at once move more bytes, and the defaults are not held at 16 connections.
    let server = TestServer::start_with(&["--link-rtt-ms", "40"]);
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<Vec<u8>> = (0..96).map(|i| pattern(32 * 1024 + i, i)).collect();
    for (i, content) in files.iter().enumerate() {
        write_file(dir.path(), &format!("f{i:03}.bin"), content);
    }
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let observers = DirObservers {
        event: Some(Box::new(move |e| {
            if e.kind == DirEventKind::FileConcurrencyChanged {
                seen.lock()
                    .unwrap()
                    .push(e.file_concurrency.expect("count set"));
            }
        })),
        ..DirObservers::default()
    };
    let request = UploadDirRequest::new(BUCKET, "tree/", dir.path());
    assert_eq!(request.file_concurrency, 0, "automatic is the default");
    server.admin_json(Method::DELETE, "stats", "");
    let client = Client::new(server.config()).unwrap();
    let out = client.upload_dir(request, observers).unwrap();
    assert!(out.failures.is_empty());
    // It starts at 32 and may try 256 (automatic connections, docs/throttling.md), never
    // more; with 96 files no more than 96 are ever in flight. Whether it keeps 256 depends on
    // the throughput measured, which a loaded machine bends.
    let counts = task_events(&events);
    assert_eq!(counts.first(), Some(&32), "{counts:?}");
    assert!(counts.iter().all(|&n| n <= 256), "past 256: {counts:?}");
    let stats = server.admin_json(Method::GET, "stats", "");
    let most = stats["max_requests_in_flight"].as_u64().unwrap();
    assert!((32..=96).contains(&most), "{stats}");
    for i in [0usize, 47, 95] {
        let got = server.get_object(&format!("tree/f{i:03}.bin"));
        assert!(got == files[i], "tree/f{i:03}.bin differs");
    }
}
