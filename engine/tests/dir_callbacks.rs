//! A folder upload runs on the runtime's threads while its callbacks are served on the
//! calling thread through a queue: every callback still runs on that thread, the user's
//! limiter is asked for small files and for parts, a slow callback holds the upload back
//! without losing an event, and a callback that panics stops the upload.

mod common;

use common::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;
use tosupload_engine::{Client, DirEvent, DirEventKind, DirObservers, Permit, UploadDirRequest};

fn small_files(root: &std::path::Path, count: usize) {
    for i in 0..count {
        let dir = root.join(format!("d{}", i % 7));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("f{i}")),
            pattern(200 + i as u64 % 900, i as u64),
        )
        .unwrap();
    }
}

/// Records the thread of every callback, and whether any ran after the call returned.
#[derive(Clone)]
struct Witness {
    caller: ThreadId,
    wrong_thread: Arc<AtomicU64>,
    after_return: Arc<AtomicU64>,
    returned: Arc<AtomicBool>,
}

impl Witness {
    fn new() -> Witness {
        Witness {
            caller: thread::current().id(),
            wrong_thread: Arc::default(),
            after_return: Arc::default(),
            returned: Arc::default(),
        }
    }

    fn check(&self) {
        if thread::current().id() != self.caller {
            self.wrong_thread.fetch_add(1, Ordering::SeqCst);
        }
        if self.returned.load(Ordering::SeqCst) {
            self.after_return.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn every_callback_runs_on_the_calling_thread_and_the_limiter_is_asked_for_every_body() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    small_files(dir.path(), 300);
    std::fs::write(dir.path().join("big.bin"), pattern(6 * MIB, 9)).unwrap();
    let client = Client::new(server.config()).unwrap();
    let witness = Witness::new();
    let events = Arc::new(Mutex::new(Vec::<DirEvent>::new()));
    let asked = Arc::new(AtomicU64::new(0));
    let progress_calls = Arc::new(AtomicU64::new(0));
    let observers = {
        let (w1, w2, w3) = (witness.clone(), witness.clone(), witness.clone());
        let (events, asked, progress_calls) =
            (events.clone(), asked.clone(), progress_calls.clone());
        DirObservers {
            progress: Some(Box::new(move |_| {
                w1.check();
                progress_calls.fetch_add(1, Ordering::SeqCst);
            })),
            event: Some(Box::new(move |e| {
                w2.check();
                events.lock().unwrap().push(e.clone());
            })),
            acquire: Some(Box::new(move |want| {
                w3.check();
                asked.fetch_add(want, Ordering::SeqCst);
                Permit::Granted
            })),
            shared_limiter: None,
        }
    };
    let mut request = UploadDirRequest::new(BUCKET, "cb/", dir.path());
    request.part_size = 5 * MIB;
    let out = client.upload_dir(request, observers).unwrap();
    witness.returned.store(true, Ordering::SeqCst);
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.files_uploaded, 301);
    thread::sleep(Duration::from_millis(200));
    assert_eq!(witness.wrong_thread.load(Ordering::SeqCst), 0);
    assert_eq!(witness.after_return.load(Ordering::SeqCst), 0);
    assert!(progress_calls.load(Ordering::SeqCst) >= 1);
    // The limiter was asked for at least every byte sent (retries would ask again).
    assert!(asked.load(Ordering::SeqCst) >= out.bytes_uploaded);
    let events = events.lock().unwrap();
    let succeeded = events
        .iter()
        .filter(|e| e.kind == DirEventKind::FileSucceeded)
        .count();
    assert_eq!(succeeded, 301);
    assert_eq!(server.log_of("PutObject", 200).len(), 300);
    assert_eq!(server.log_of("CompleteMultipartUpload", 200).len(), 1);
}

#[test]
fn a_slow_event_callback_holds_the_upload_back_and_loses_nothing() {
    let server = Arc::new(TestServer::start());
    let dir = tempfile::tempdir().unwrap();
    // 3,000 files make 6,000 events: more than may wait for the caller at once.
    small_files(dir.path(), 3000);
    let client = Client::new(server.config()).unwrap();
    let events = Arc::new(Mutex::new(Vec::<(DirEventKind, String)>::new()));
    // Files the server had stored when the upload, its first event held, stood still.
    let stored_while_held = Arc::new(AtomicU64::new(u64::MAX));
    let observers = {
        let events = events.clone();
        let server = server.clone();
        let stored_while_held = stored_while_held.clone();
        DirObservers {
            event: Some(Box::new(move |e| {
                if events.lock().unwrap().is_empty() {
                    // The first event blocks until the server's count of stored files has
                    // not moved for half a second: the upload has stopped, or finished.
                    let mut last = u64::MAX;
                    let mut still_since = std::time::Instant::now();
                    let deadline = std::time::Instant::now() + Duration::from_secs(30);
                    while still_since.elapsed() < Duration::from_millis(500)
                        && std::time::Instant::now() < deadline
                    {
                        let stored = server.log_of("PutObject", 200).len() as u64;
                        if stored != last {
                            last = stored;
                            still_since = std::time::Instant::now();
                        }
                        thread::sleep(Duration::from_millis(50));
                    }
                    stored_while_held.store(last, Ordering::SeqCst);
                }
                thread::sleep(Duration::from_micros(100));
                events.lock().unwrap().push((e.kind, e.key.clone()));
            })),
            ..DirObservers::default()
        }
    };
    let request = UploadDirRequest::new(BUCKET, "slow/", dir.path());
    let out = client.upload_dir(request, observers).unwrap();
    assert_eq!(out.files_uploaded, 3000);
    // Held back: with the caller stuck on its first event, the events waiting for it filled
    // the queue and the upload stopped starting files well before the end of the folder.
    let stored = stored_while_held.load(Ordering::SeqCst);
    println!("{stored} of 3,000 files stored while the first event was held");
    assert!(
        stored < 3000,
        "the upload ran on to {stored} of 3,000 files while the event callback was stuck"
    );
    let events = events.lock().unwrap();
    let started: std::collections::HashSet<&String> = events
        .iter()
        .filter(|(k, _)| *k == DirEventKind::FileStarted)
        .map(|(_, key)| key)
        .collect();
    let mut seen_started = std::collections::HashSet::new();
    for (kind, key) in events.iter() {
        match kind {
            DirEventKind::FileStarted => {
                seen_started.insert(key);
            }
            // Each file's start is reported before its end.
            DirEventKind::FileSucceeded => assert!(seen_started.contains(key), "{key}"),
            _ => {}
        }
    }
    assert_eq!(started.len(), 3000);
    let succeeded = events
        .iter()
        .filter(|(k, _)| *k == DirEventKind::FileSucceeded)
        .count();
    assert_eq!(succeeded, 3000);
}

#[test]
fn a_callback_that_panics_stops_the_upload() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    small_files(dir.path(), 3000);
    let client = Client::new(server.config()).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let observers = {
        let seen = seen.clone();
        DirObservers {
            event: Some(Box::new(move |_| {
                if seen.fetch_add(1, Ordering::SeqCst) == 20 {
                    panic!("a callback that panics (expected by this test)");
                }
            })),
            ..DirObservers::default()
        }
    };
    let mut request = UploadDirRequest::new(BUCKET, "panic/", dir.path());
    request.file_concurrency = 4;
    let outcome = catch_unwind(AssertUnwindSafe(|| client.upload_dir(request, observers)));
    assert!(outcome.is_err());
    // Requests already in flight may finish; then nothing more is sent.
    thread::sleep(Duration::from_millis(300));
    let puts = server.log_of("PutObject", 200).len();
    thread::sleep(Duration::from_millis(500));
    assert_eq!(server.log_of("PutObject", 200).len(), puts);
    assert!(puts < 3000, "{puts} files went up after the panic");
}
