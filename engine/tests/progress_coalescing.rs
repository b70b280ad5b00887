//! A folder upload's progress callback is coalesced, not one call per file: at most every
//! 100 ms while it changes, plus once when the walk completes and once at the end (the
//! header's promise). Counted against the bound that rule allows over the call's measured
//! duration, so a slow machine only loosens it, with every file still accounted for.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tosupload_engine::{Client, DirObservers, DirProgress, UploadDirRequest};

/// The documented interval: what the bound below is made of.
const COALESCED_INTERVAL: Duration = Duration::from_millis(100);

fn intervals_in(elapsed: Duration) -> u64 {
    (elapsed.as_secs_f64() / COALESCED_INTERVAL.as_secs_f64()).ceil() as u64
}

#[test]
fn folder_progress_comes_at_most_every_tenth_of_a_second() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let files = 400u64;
    for i in 0..files {
        write_file(dir.path(), &format!("f{i:03}"), &pattern(100 + i, i));
    }
    let client = Client::new(server.config()).unwrap();
    let calls = Arc::new(Mutex::new(Vec::<DirProgress>::new()));
    let seen = Arc::clone(&calls);
    let observers = DirObservers {
        progress: Some(Box::new(move |p| seen.lock().unwrap().push(*p))),
        ..DirObservers::default()
    };
    let started = Instant::now();
    let out = client
        .upload_dir(
            UploadDirRequest::new(BUCKET, "coalesced/", dir.path()),
            observers,
        )
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(out.files_uploaded, files);

    let calls = calls.lock().unwrap();
    assert_eq!(calls.last().unwrap().files_done, files);
    assert!(calls.windows(2).all(|w| w[0].files_done <= w[1].files_done));
    // One per 100 ms, the walk's completion, the end.
    let bound = intervals_in(elapsed) + 2;
    assert!(
        calls.len() as u64 <= bound,
        "{} progress calls for {files} files in {elapsed:?}: more than {bound}",
        calls.len()
    );
}
