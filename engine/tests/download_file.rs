//! The engine's resumable download against the real local server: byte-exact results,
//! destinations, hostile keys, pause and resume (checked in the server's request log),
//! faults in the middle of a body, CRC and object changes, untrusted checkpoints.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tos_crc64 as crc64;
use tosupload_engine::download_checkpoint;
use tosupload_engine::{
    CancelHook, CancelKind, Client, DownloadEvent, DownloadEventKind, DownloadFileRequest,
    DownloadObservers, ErrorKind, Observers, Permit, ProgressKind, ProgressStatus,
    UploadFileRequest,
};

#[derive(Default, Clone)]
struct Recorder {
    progress: Arc<Mutex<Vec<ProgressStatus>>>,
    events: Arc<Mutex<Vec<DownloadEvent>>>,
}

impl Recorder {
    fn observers(&self) -> DownloadObservers {
        let progress = Arc::clone(&self.progress);
        let events = Arc::clone(&self.events);
        DownloadObservers {
            progress: Some(Box::new(move |p| progress.lock().unwrap().push(*p))),
            event: Some(Box::new(move |e| events.lock().unwrap().push(e.clone()))),
            ..DownloadObservers::default()
        }
    }

    fn kinds(&self) -> Vec<DownloadEventKind> {
        self.events.lock().unwrap().iter().map(|e| e.kind).collect()
    }

    fn count(&self, kind: DownloadEventKind) -> usize {
        self.kinds().iter().filter(|k| **k == kind).count()
    }

    /// Inclusive ranges reported done.
    fn done_ranges(&self) -> Vec<(u64, u64)> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.kind == DownloadEventKind::DownloadPartSucceeded)
            .map(|e| {
                let part = e.part.unwrap();
                (part.range_start, part.range_end)
            })
            .collect()
    }

    fn assert_progress(&self, total: u64, starts_at: u64) {
        let progress = self.progress.lock().unwrap();
        assert_eq!(progress[0].kind, ProgressKind::Started);
        assert_eq!(progress[0].consumed_bytes, starts_at);
        let mut last = starts_at;
        for p in progress.iter() {
            assert_eq!(p.total_bytes, total);
            assert!(p.consumed_bytes >= last, "progress went backwards");
            last = p.consumed_bytes;
        }
        let succeeded: Vec<_> = progress
            .iter()
            .filter(|p| p.kind == ProgressKind::Succeeded)
            .collect();
        assert_eq!(succeeded.len(), 1);
        assert_eq!(progress.last().unwrap().kind, ProgressKind::Succeeded);
        assert_eq!(progress.last().unwrap().consumed_bytes, total);
    }
}

struct Setup {
    server: TestServer,
    client: Client,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let server = TestServer::start();
        let client = Client::new(server.config()).unwrap();
        Setup {
            server,
            client,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn put(&self, key: &str, content: &[u8]) {
        put_with(&self.client, self.dir.path(), key, content);
    }

    fn request(&self, key: &str, name: &str) -> DownloadFileRequest {
        let mut request = DownloadFileRequest::new(BUCKET, key, self.dir.path().join(name));
        request.part_size = 5 * MIB;
        request.task_num = 2;
        request
    }

    /// File names in the test directory, sorted, without the upload sources.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with("source-"))
            .collect();
        names.sort();
        names
    }

    fn gets_since(&self, seq: u64) -> Vec<Value> {
        self.server
            .log()
            .into_iter()
            .filter(|e| e["op"] == "GetObject" && e["seq"].as_u64().unwrap() > seq)
            .collect()
    }
}

fn put_with(client: &Client, dir: &Path, key: &str, content: &[u8]) {
    let source = write_file(dir, &format!("source-{}", key.replace('/', "_")), content);
    let mut request = UploadFileRequest::new(BUCKET, key, &source);
    request.enable_checkpoint = false;
    client.upload_file(request, Observers::default()).unwrap();
    std::fs::remove_file(source).unwrap();
}

/// `bytes=a-b` of a log entry.
fn range_of(entry: &Value) -> (u64, u64) {
    let text = entry["range"].as_str().expect("a ranged GET");
    let (a, b) = text
        .strip_prefix("bytes=")
        .unwrap()
        .split_once('-')
        .unwrap();
    (a.parse().unwrap(), b.parse().unwrap())
}

fn checkpoint_of(dir: &Path, name: &str, key: &str) -> PathBuf {
    let target = dir.join(name);
    dir.join(download_checkpoint::file_name(&target, BUCKET, key, None))
}

/// An observer that pauses the download once `ranges` ranges are done.
fn pause_after(recorder: &Recorder, hook: &CancelHook, ranges: usize) -> DownloadObservers {
    let mut observers = recorder.observers();
    let mut inner = observers.event.take().unwrap();
    let hook = hook.clone();
    let mut seen = 0;
    observers.event = Some(Box::new(move |e| {
        if e.kind == DownloadEventKind::DownloadPartSucceeded {
            seen += 1;
            if seen == ranges {
                hook.cancel(CancelKind::Pause);
            }
        }
        inner(e);
    }));
    observers
}

#[test]
fn a_multi_range_object_arrives_byte_exact_with_its_crc() {
    let s = Setup::new();
    let data = pattern(13 * MIB + 3, 1);
    s.put("dir/big.bin", &data);
    let recorder = Recorder::default();
    let mut request = s.request("dir/big.bin", "out.bin");
    request.task_num = 3;
    let out = s
        .client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("out.bin")).unwrap(), data);
    assert_eq!(out.size, data.len() as u64);
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
    assert_eq!(out.bytes_received, data.len() as u64);
    assert_eq!(out.destination, s.dir.path().join("out.bin"));
    assert!(out.etag.starts_with('"'));
    assert_eq!(recorder.count(DownloadEventKind::DownloadPartSucceeded), 3);
    assert_eq!(
        recorder.count(DownloadEventKind::CreateTempFileSucceeded),
        1
    );
    assert_eq!(
        recorder.kinds().last(),
        Some(&DownloadEventKind::RenameTempFileSucceeded)
    );
    recorder.assert_progress(data.len() as u64, 0);
    // Nothing but the destination is left: no temp, no checkpoint.
    assert_eq!(s.files(), ["out.bin"]);
    let mut ranges: Vec<_> = s.gets_since(0).iter().map(range_of).collect();
    ranges.sort();
    assert_eq!(
        ranges,
        [
            (0, 5 * MIB - 1),
            (5 * MIB, 10 * MIB - 1),
            (10 * MIB, 13 * MIB + 2)
        ]
    );
    for get in s.gets_since(0) {
        assert_eq!(get["status"], 206);
    }
}

#[test]
fn empty_and_one_byte_objects() {
    let s = Setup::new();
    s.put("empty", b"");
    s.put("one", b"x");
    let out = s
        .client
        .download_file(
            s.request("empty", "empty.out"),
            DownloadObservers::default(),
        )
        .unwrap();
    assert_eq!(out.size, 0);
    assert_eq!(std::fs::read(s.dir.path().join("empty.out")).unwrap(), b"");
    assert!(s.gets_since(0).is_empty(), "no GET for an empty object");
    let out = s
        .client
        .download_file(s.request("one", "one.out"), DownloadObservers::default())
        .unwrap();
    assert_eq!(out.crc64, Some(crc64::checksum(b"x")));
    assert_eq!(std::fs::read(s.dir.path().join("one.out")).unwrap(), b"x");
    let gets = s.gets_since(0);
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0]["range"], "bytes=0-0");
    assert_eq!(s.files(), ["empty.out", "one.out"]);
}

/// The output's CRC-64 means "checked against the server's": with nothing compared (CRC
/// checks off here; over S3, a store that keeps no full-object checksum) there is none, so
/// `tos_download_file_output_has_crc64` is false and `tosput get` does not say "verified".
#[test]
fn no_crc64_is_reported_when_nothing_was_checked() {
    let s = Setup::new();
    let data = pattern(6 * MIB + 1, 7);
    s.put("unchecked", &data);
    let mut config = s.server.config();
    config.enable_crc = false;
    let unchecked = Client::new(config).unwrap();
    let out = unchecked
        .download_file(
            s.request("unchecked", "unchecked.out"),
            DownloadObservers::default(),
        )
        .unwrap();
    assert_eq!(
        std::fs::read(s.dir.path().join("unchecked.out")).unwrap(),
        data
    );
    assert_eq!(out.crc64, None);
    let out = s
        .client
        .download_file(
            s.request("unchecked", "checked.out"),
            DownloadObservers::default(),
        )
        .unwrap();
    assert_eq!(out.crc64, Some(crc64::checksum(&data)));
}

#[test]
fn destinations_directory_existing_file_and_missing_parents() {
    let s = Setup::new();
    let data = pattern(100_000, 2);
    s.put("a/b/name.txt", &data);
    // An existing directory: the key's last segment inside it.
    let inside = s.dir.path().join("into");
    std::fs::create_dir(&inside).unwrap();
    let mut request = s.request("a/b/name.txt", "into");
    request.file_path = inside.clone();
    let out = s
        .client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(out.destination, inside.join("name.txt"));
    assert_eq!(std::fs::read(inside.join("name.txt")).unwrap(), data);
    // A path ending in '/' that does not exist yet: made, then the same.
    let mut request = s.request("a/b/name.txt", "");
    request.file_path = PathBuf::from(format!("{}/new/dir/", s.dir.path().display()));
    let out = s
        .client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(std::fs::read(&out.destination).unwrap(), data);
    assert!(out.destination.ends_with("new/dir/name.txt"));
    // An existing file is replaced.
    std::fs::write(
        s.dir.path().join("old.txt"),
        b"old contents, longer than nothing",
    )
    .unwrap();
    s.client
        .download_file(
            s.request("a/b/name.txt", "old.txt"),
            DownloadObservers::default(),
        )
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("old.txt")).unwrap(), data);
    // Missing parents of a file path are made.
    s.client
        .download_file(
            s.request("a/b/name.txt", "p/q/r.txt"),
            DownloadObservers::default(),
        )
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("p/q/r.txt")).unwrap(), data);
}

#[test]
fn a_key_ending_in_a_slash() {
    let s = Setup::new();
    s.put("folder/", b"");
    let mut request = s.request("folder/", "");
    request.file_path = PathBuf::from(format!("{}/", s.dir.path().display()));
    let out = s
        .client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(out.destination, s.dir.path().join("folder"));
    assert!(s.dir.path().join("folder").is_dir());
    let error = s
        .client
        .download_file(
            s.request("folder/", "file.out"),
            DownloadObservers::default(),
        )
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidKey);
    assert!(!s.dir.path().join("file.out").exists());
}

#[test]
fn hostile_keys_and_bad_numbers_are_refused_before_any_request() {
    let s = Setup::new();
    let into_dir = PathBuf::from(format!("{}/d/", s.dir.path().display()));
    for key in ["../x", "a/..", "a/../../x", "x\0y", "."] {
        let mut request = s.request(key, "");
        request.file_path = into_dir.clone();
        let error = s
            .client
            .download_file(request, DownloadObservers::default())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidKey, "{key:?}: {error}");
    }
    let mut request = s.request("k", "k.out");
    request.task_num = 1001;
    let error = s
        .client
        .download_file(request, DownloadObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidArgument);
    let mut request = s.request("k", "k.out");
    request.part_size = MIB;
    let error = s
        .client
        .download_file(request, DownloadObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidPartSize);
    assert!(s.server.log().is_empty(), "a request was sent");
    assert!(s.files().is_empty());
}

#[test]
fn pause_then_resume_fetches_no_completed_range_again() {
    let s = Setup::new();
    let data = pattern(20 * MIB + 17, 3);
    s.put("big", &data);
    let hook = CancelHook::new();
    let first = Recorder::default();
    let mut request = s.request("big", "big.out");
    request.task_num = 1;
    request.cancel = Some(hook.clone());
    let error = s
        .client
        .download_file(request.clone(), pause_after(&first, &hook, 2))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Paused);
    assert!(!s.dir.path().join("big.out").exists());
    assert!(checkpoint_of(s.dir.path(), "big.out", "big").exists());
    let done = first.done_ranges();
    assert!(done.len() >= 2);
    let mark = s.server.last_seq();
    let second = Recorder::default();
    request.cancel = None;
    let out = s.client.download_file(request, second.observers()).unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("big.out")).unwrap(), data);
    assert_eq!(second.count(DownloadEventKind::DownloadResumed), 1);
    assert_eq!(second.count(DownloadEventKind::CheckpointDiscarded), 0);
    let kept: u64 = done.iter().map(|(a, b)| b + 1 - a).sum();
    second.assert_progress(data.len() as u64, kept);
    assert_eq!(out.bytes_received, data.len() as u64 - kept);
    for get in s.gets_since(mark) {
        let (a, b) = range_of(&get);
        for (da, db) in &done {
            assert!(b < *da || a > *db, "range {a}-{b} fetched again");
        }
    }
    let fetched: u64 = s
        .gets_since(0)
        .iter()
        .map(|e| e["response_bytes"].as_u64().unwrap())
        .sum();
    assert!(fetched < 2 * data.len() as u64, "fetched {fetched}");
    assert_eq!(s.files(), ["big.out"]);
}

fn mid_body_fault_is_retried_for_the_rest_of_the_range(kind: &str) {
    let s = Setup::new();
    let data = pattern(12 * MIB, 4);
    s.put("f", &data);
    s.server.add_fault(&format!(
        r#"{{"op":"GetObject","times":1,"action":{{"kind":"{kind}","after_bytes":1048576}}}}"#
    ));
    let recorder = Recorder::default();
    let mut request = s.request("f", "f.out");
    request.task_num = 1;
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("f.out")).unwrap(), data);
    assert_eq!(recorder.count(DownloadEventKind::DownloadPartRetry), 1);
    let gets = s.gets_since(0);
    let faulted = gets.iter().find(|e| !e["fault"].is_null()).unwrap();
    let (a, b) = range_of(faulted);
    let rest = gets
        .iter()
        .find(|e| e["seq"].as_u64() > faulted["seq"].as_u64() && range_of(e).1 == b)
        .unwrap();
    assert_eq!(
        range_of(rest),
        (a + MIB, b),
        "the retry asks only for the rest"
    );
    recorder.assert_progress(data.len() as u64, 0);
}

#[test]
fn a_reset_in_the_middle_of_a_body_is_retried_from_the_last_byte() {
    mid_body_fault_is_retried_for_the_rest_of_the_range("reset_response");
}

#[test]
fn a_truncated_body_is_retried_from_the_last_byte() {
    mid_body_fault_is_retried_for_the_rest_of_the_range("truncate_response");
}

#[test]
fn a_crc_mismatch_leaves_nothing_behind() {
    let s = Setup::new();
    let data = pattern(6 * MIB, 5);
    s.put("c", &data);
    s.server
        .add_fault(r#"{"op":"HeadObject","times":1,"action":{"kind":"bad_crc"}}"#);
    let error = s
        .client
        .download_file(s.request("c", "c.out"), DownloadObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::CrcMismatch, "{error}");
    assert!(s.files().is_empty(), "left: {:?}", s.files());
    // Not stuck: the next call downloads afresh.
    s.client
        .download_file(s.request("c", "c.out"), DownloadObservers::default())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("c.out")).unwrap(), data);
}

#[test]
fn an_object_replaced_between_runs_starts_afresh() {
    let s = Setup::new();
    let old = pattern(12 * MIB, 6);
    s.put("r", &old);
    let hook = CancelHook::new();
    let mut request = s.request("r", "r.out");
    request.task_num = 1;
    request.cancel = Some(hook.clone());
    let error = s
        .client
        .download_file(request.clone(), pause_after(&Recorder::default(), &hook, 1))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Paused);
    let new = pattern(11 * MIB, 7);
    s.put("r", &new);
    let recorder = Recorder::default();
    request.cancel = None;
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(recorder.kinds()[0], DownloadEventKind::CheckpointDiscarded);
    assert_eq!(std::fs::read(s.dir.path().join("r.out")).unwrap(), new);
    assert_eq!(s.files(), ["r.out"], "the old temp file is removed");
}

#[test]
fn an_object_replaced_during_the_download_fails_with_object_changed() {
    let s = Setup::new();
    s.put("x", &pattern(16 * MIB, 8));
    // Held here too: a client must not be dropped inside another's runtime, where the
    // callback (and so its captures) ends.
    let other = Arc::new(Client::new(s.server.config()).unwrap());
    let replacer = Arc::clone(&other);
    let scratch = tempfile::tempdir().unwrap();
    let recorder = Recorder::default();
    let mut observers = recorder.observers();
    let mut inner = observers.event.take().unwrap();
    let mut replaced = false;
    observers.event = Some(Box::new(move |e| {
        if e.kind == DownloadEventKind::DownloadPartSucceeded && !replaced {
            replaced = true;
            // Callbacks run inside the client's runtime: the replacing upload runs on a
            // thread of its own.
            std::thread::scope(|scope| {
                scope
                    .spawn(|| put_with(&replacer, scratch.path(), "x", &pattern(16 * MIB, 9)))
                    .join()
                    .unwrap()
            });
        }
        inner(e);
    }));
    // Every body chunk asks the coordinator first, so no range moves on while the
    // replacement runs.
    observers.acquire = Some(Box::new(|_| Permit::Granted));
    let mut request = s.request("x", "x.out");
    request.task_num = 1;
    let error = s.client.download_file(request, observers).unwrap_err();
    assert_eq!(error.kind, ErrorKind::ObjectChanged, "{error}");
    assert!(error.message.contains("changed on the server"));
    assert!(s.files().is_empty(), "left: {:?}", s.files());
    assert_eq!(recorder.count(DownloadEventKind::DownloadPartFailed), 1);
    drop(other);
}

#[test]
fn a_corrupt_checkpoint_is_discarded_with_its_temp_file() {
    let s = Setup::new();
    let data = pattern(12 * MIB, 10);
    s.put("k", &data);
    let hook = CancelHook::new();
    let mut request = s.request("k", "k.out");
    request.task_num = 1;
    request.cancel = Some(hook.clone());
    s.client
        .download_file(request.clone(), pause_after(&Recorder::default(), &hook, 1))
        .unwrap_err();
    let checkpoint = checkpoint_of(s.dir.path(), "k.out", "k");
    std::fs::write(&checkpoint, b"{\"Bucket\": [not json").unwrap();
    let recorder = Recorder::default();
    request.cancel = None;
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(recorder.kinds()[0], DownloadEventKind::CheckpointDiscarded);
    assert_eq!(std::fs::read(s.dir.path().join("k.out")).unwrap(), data);
    assert_eq!(s.files(), ["k.out"]);
}

#[test]
fn a_tampered_range_of_the_temp_file_is_fetched_again() {
    let s = Setup::new();
    let data = pattern(16 * MIB, 11);
    s.put("t", &data);
    let hook = CancelHook::new();
    let first = Recorder::default();
    let mut request = s.request("t", "t.out");
    request.task_num = 1;
    request.cancel = Some(hook.clone());
    s.client
        .download_file(request.clone(), pause_after(&first, &hook, 2))
        .unwrap_err();
    let temp = s
        .files()
        .into_iter()
        .find(|n| n.starts_with("t.out.temp."))
        .unwrap();
    let (start, _) = first.done_ranges()[0];
    let mut bytes = std::fs::read(s.dir.path().join(&temp)).unwrap();
    bytes[start as usize + 100] ^= 0xff;
    std::fs::write(s.dir.path().join(&temp), bytes).unwrap();
    let mark = s.server.last_seq();
    let recorder = Recorder::default();
    request.cancel = None;
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("t.out")).unwrap(), data);
    assert_eq!(recorder.count(DownloadEventKind::CheckpointDiscarded), 1);
    assert_eq!(recorder.count(DownloadEventKind::DownloadResumed), 1);
    let refetched: Vec<_> = s.gets_since(mark).iter().map(range_of).collect();
    assert!(refetched.iter().any(|(a, _)| *a == start), "{refetched:?}");
    let (second_start, _) = first.done_ranges()[1];
    assert!(
        !refetched.iter().any(|(a, _)| *a == second_start),
        "an intact range was fetched again"
    );
    assert_eq!(s.files(), ["t.out"]);
}

#[test]
fn abort_removes_the_temp_file_and_the_checkpoint() {
    let s = Setup::new();
    s.put("a", &pattern(12 * MIB, 12));
    let hook = CancelHook::new();
    let mut observers = DownloadObservers::default();
    let aborter = hook.clone();
    observers.event = Some(Box::new(move |e| {
        if e.kind == DownloadEventKind::DownloadPartSucceeded {
            aborter.cancel(CancelKind::Abort);
        }
    }));
    let mut request = s.request("a", "a.out");
    request.task_num = 1;
    request.cancel = Some(hook);
    let error = s.client.download_file(request, observers).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Aborted);
    assert!(s.files().is_empty(), "left: {:?}", s.files());
}

#[test]
fn a_stalled_body_is_retried_from_the_last_byte_after_the_idle_timeout() {
    let server = TestServer::start();
    let mut config = server.config();
    config.idle_timeout = std::time::Duration::from_secs(1);
    let client = Client::new(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(6 * MIB, 13);
    put_with(&client, dir.path(), "s", &data);
    server.add_fault(
        r#"{"op":"GetObject","times":1,"action":{"kind":"stall_response","ms":4000,"after_bytes":1048576}}"#,
    );
    let mut request = DownloadFileRequest::new(BUCKET, "s", dir.path().join("s.out"));
    request.part_size = 5 * MIB;
    request.task_num = 1;
    client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("s.out")).unwrap(), data);
    let gets: Vec<_> = server
        .log()
        .into_iter()
        .filter(|e| e["op"] == "GetObject")
        .map(|e| range_of(&e))
        .collect();
    assert!(gets.contains(&(MIB, 5 * MIB - 1)), "{gets:?}");
}

#[test]
fn a_pause_is_answered_at_once_even_while_a_body_stalls() {
    let s = Setup::new();
    let data = pattern(12 * MIB, 14);
    s.put("p", &data);
    s.server.add_fault(
        r#"{"op":"GetObject","times":1,"action":{"kind":"stall_response","ms":5000,"after_bytes":1048576}}"#,
    );
    let hook = CancelHook::new();
    let mut request = s.request("p", "p.out");
    request.task_num = 1;
    request.cancel = Some(hook.clone());
    let cancelled_at = Arc::new(Mutex::new(None));
    let pauser = {
        let cancelled_at = Arc::clone(&cancelled_at);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(500));
            *cancelled_at.lock().unwrap() = Some(std::time::Instant::now());
            hook.cancel(CancelKind::Pause);
        })
    };
    let error = s
        .client
        .download_file(request.clone(), DownloadObservers::default())
        .unwrap_err();
    let answered = cancelled_at.lock().unwrap().unwrap().elapsed();
    pauser.join().unwrap();
    assert_eq!(error.kind, ErrorKind::Paused);
    assert!(
        answered < std::time::Duration::from_millis(200),
        "{answered:?}"
    );
    assert!(checkpoint_of(s.dir.path(), "p.out", "p").exists());
    assert!(s.files().iter().any(|n| n.starts_with("p.out.temp.")));
    request.cancel = None;
    s.client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("p.out")).unwrap(), data);
    assert_eq!(s.files(), ["p.out"]);
}

#[test]
fn a_destination_that_cannot_be_written_is_a_local_write_error() {
    let s = Setup::new();
    s.put("w", b"data");
    std::fs::write(s.dir.path().join("plain"), b"a file, not a directory").unwrap();
    let error = s
        .client
        .download_file(s.request("w", "plain/w.out"), DownloadObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::LocalWrite, "{error}");
    assert!(error.message.contains("plain"), "{error}");
}

/// A small tmpfs mounted for one test (root only), unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&at)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk(at))
    }

    fn grow(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_the_checkpoint_usable_for_a_rerun() {
    let s = Setup::new();
    let data = pattern(12 * MIB, 15);
    s.put("full", &data);
    let Some(disk) = SmallDisk::mount(s.dir.path().join("disk"), "8m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let target = disk.0.join("full.out");
    let mut request = DownloadFileRequest::new(BUCKET, "full", &target);
    request.part_size = 5 * MIB;
    request.task_num = 1;
    // The checkpoint lives off the full disk, as it would on another volume.
    request.checkpoint_file = Some(s.dir.path().join("cp/"));
    let error = s
        .client
        .download_file(request.clone(), DownloadObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::LocalWrite, "{error}");
    assert!(error.message.contains("full.out.temp."), "{error}");
    assert!(!target.exists());
    disk.grow("32m");
    let recorder = Recorder::default();
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(recorder.count(DownloadEventKind::DownloadResumed), 1);
    assert_eq!(recorder.count(DownloadEventKind::CheckpointDiscarded), 0);
    assert_eq!(std::fs::read(&target).unwrap(), data);
}

#[test]
fn sse_c_keys_are_sent_but_only_their_md5_is_stored() {
    use base64::Engine;
    use md5::Digest;
    let s = Setup::new();
    let key_bytes = [7u8; 32];
    let key = base64::engine::general_purpose::STANDARD.encode(key_bytes);
    let key_md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(key_bytes));
    let data = pattern(11 * MIB, 16);
    let source = write_file(s.dir.path(), "source-sse", &data);
    let mut upload = UploadFileRequest::new(BUCKET, "sse", &source);
    upload.enable_checkpoint = false;
    upload.attributes.ssec_algorithm = Some("AES256".into());
    upload.attributes.ssec_key = Some(key.clone());
    upload.attributes.ssec_key_md5 = Some(key_md5.clone());
    s.client.upload_file(upload, Observers::default()).unwrap();
    // Without the key the object cannot be read: refused by the HEAD, nothing written.
    let error = s
        .client
        .download_file(s.request("sse", "sse.out"), DownloadObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server, "{error}");
    assert!(s.files().is_empty());
    let hook = CancelHook::new();
    let mut request = s.request("sse", "sse.out");
    request.task_num = 1;
    request.ssec_algorithm = Some("AES256".into());
    request.ssec_key = Some(key.clone());
    request.ssec_key_md5 = Some(key_md5.clone());
    request.cancel = Some(hook.clone());
    s.client
        .download_file(request.clone(), pause_after(&Recorder::default(), &hook, 1))
        .unwrap_err();
    let checkpoint =
        std::fs::read_to_string(checkpoint_of(s.dir.path(), "sse.out", "sse")).unwrap();
    assert!(!checkpoint.contains(&key), "the SSE-C key was stored");
    assert!(checkpoint.contains(&key_md5));
    assert!(!format!("{request:?}").contains(&key));
    request.cancel = None;
    s.client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("sse.out")).unwrap(), data);
}

#[test]
fn a_shared_token_bucket_paces_the_body() {
    let s = Setup::new();
    let data = pattern(6 * MIB, 17);
    s.put("slow", &data);
    let observers = DownloadObservers {
        shared_limiter: Some(Arc::new(tosupload_engine::TokenBucket::new(8 * MIB, 0))),
        ..DownloadObservers::default()
    };
    let started = std::time::Instant::now();
    s.client
        .download_file(s.request("slow", "slow.out"), observers)
        .unwrap();
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_millis(600), "{took:?}");
    assert_eq!(std::fs::read(s.dir.path().join("slow.out")).unwrap(), data);
}

#[test]
fn the_checkpoint_is_the_go_sdks_and_a_go_checkpoint_resumes() {
    let s = Setup::new();
    let data = pattern(12 * MIB, 18);
    s.put("go", &data);
    let hook = CancelHook::new();
    let first = Recorder::default();
    let mut request = s.request("go", "go.out");
    request.task_num = 1;
    request.cancel = Some(hook.clone());
    s.client
        .download_file(request.clone(), pause_after(&first, &hook, 1))
        .unwrap_err();
    let path = checkpoint_of(s.dir.path(), "go.out", "go");
    let text = std::fs::read_to_string(&path).unwrap();
    // The Go SDK's keys, in its order.
    let order = [
        "\"Bucket\"",
        "\"Key\"",
        "\"PartSize\"",
        "\"IfModifiedSince\":\"0001-01-01T00:00:00Z\"",
        "\"IfUnmodifiedSince\":\"0001-01-01T00:00:00Z\"",
        "\"ObjectInfo\":{\"Etag\":\"\\\"",
        "\"HashCrc64Ecma\"",
        "\"LastModified\"",
        "\"ObjectSize\"",
        "\"FileInfo\":{\"FilePath\"",
        "\"PartsInfo\":[{\"PartNumber\":1,\"RangeStart\":0,\"RangeEnd\":5242879,\"HashCrc64Ecma\"",
        "\"IsCompleted\":true",
        "\"IsCompleted\":false",
        "}],\"TempFilePath\"",
    ];
    let positions: Vec<_> = order
        .iter()
        .map(|k| {
            text.find(k)
                .unwrap_or_else(|| panic!("{k} missing in {text}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    // As Go before 2.8 wrote it (no top-level TempFilePath), with times in another zone.
    let value: Value = serde_json::from_str(&text).unwrap();
    let modified: jiff::Timestamp = value["ObjectInfo"]["LastModified"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let local = modified
        .display_with_offset(jiff::tz::offset(8))
        .to_string();
    let cut = text.rfind(",\"TempFilePath\"").unwrap();
    let legacy = format!("{}}}", &text[..cut]).replace(
        value["ObjectInfo"]["LastModified"].as_str().unwrap(),
        &local,
    );
    std::fs::write(&path, legacy).unwrap();
    let mark = s.server.last_seq();
    let second = Recorder::default();
    request.cancel = None;
    s.client.download_file(request, second.observers()).unwrap();
    assert_eq!(second.count(DownloadEventKind::CheckpointDiscarded), 0);
    assert_eq!(second.count(DownloadEventKind::DownloadResumed), 1);
    assert!(s.gets_since(mark).iter().all(|g| range_of(g).0 != 0));
    assert_eq!(std::fs::read(s.dir.path().join("go.out")).unwrap(), data);
}

#[test]
fn automatic_concurrency_reports_its_task_count() {
    let s = Setup::new();
    let data = pattern(21 * MIB, 19);
    s.put("auto", &data);
    let recorder = Recorder::default();
    let mut request = s.request("auto", "auto.out");
    request.task_num = 0;
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    assert_eq!(std::fs::read(s.dir.path().join("auto.out")).unwrap(), data);
    let events = recorder.events.lock().unwrap();
    let first_tasks = events
        .iter()
        .find(|e| e.kind == DownloadEventKind::TaskNumChanged)
        .and_then(|e| e.task_num);
    // The uploads' search starts at 4 ranges (here 5 ranges exist).
    assert_eq!(first_tasks, Some(4));
    assert_eq!(
        events.last().unwrap().kind,
        DownloadEventKind::RenameTempFileSucceeded
    );
}

#[test]
fn the_sse_c_key_is_in_no_log_line_error_or_event() {
    use base64::Engine;
    use md5::Digest;
    use tosupload_engine::logger::{set_sink, Level};
    let s = Setup::new();
    let key_bytes = [42u8; 32];
    let key = base64::engine::general_purpose::STANDARD.encode(key_bytes);
    let key_md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(key_bytes));
    let source = write_file(s.dir.path(), "source-log", &pattern(6 * MIB, 20));
    let mut upload = UploadFileRequest::new(BUCKET, "log", &source);
    upload.attributes.ssec_algorithm = Some("AES256".into());
    upload.attributes.ssec_key = Some(key.clone());
    upload.attributes.ssec_key_md5 = Some(key_md5.clone());
    s.client.upload_file(upload, Observers::default()).unwrap();
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink_lines = Arc::clone(&lines);
    set_sink(
        Some(Arc::new(move |_, message: &str| {
            sink_lines.lock().unwrap().push(message.to_string())
        })),
        Level::Trace,
    );
    // One GET refused and retried, so error paths log too, then a successful run.
    s.server
        .add_fault(r#"{"op":"GetObject","times":1,"action":{"kind":"status","status":503,"code":"ServiceUnavailable"}}"#);
    let recorder = Recorder::default();
    let mut request = s.request("log", "log.out");
    request.ssec_algorithm = Some("AES256".into());
    request.ssec_key = Some(key.clone());
    request.ssec_key_md5 = Some(key_md5);
    s.client
        .download_file(request, recorder.observers())
        .unwrap();
    set_sink(None, Level::Trace);
    let lines = lines.lock().unwrap();
    assert!(!lines.is_empty());
    for line in lines.iter() {
        assert!(!line.contains(&key), "the key in a log line: {line}");
    }
    for event in recorder.events.lock().unwrap().iter() {
        assert!(!format!("{event:?}").contains(&key));
    }
    assert_eq!(recorder.count(DownloadEventKind::DownloadPartRetry), 1);
}

/// A run stopped after its rename but before it removed the checkpoint leaves a checkpoint
/// recording every range, whose temp file is gone: the rerun finds the destination holding
/// the recorded CRC-64s and fetches nothing. A destination changed since is downloaded again.
#[test]
fn a_checkpoint_left_after_the_rename_fetches_nothing_again() {
    let s = Setup::new();
    let data = pattern(12 * MIB + 5, 9);
    s.put("renamed", &data);
    let checkpoint = checkpoint_of(s.dir.path(), "renamed.out", "renamed");
    let last_saved = Arc::new(Mutex::new(Vec::new()));
    let (copy, path) = (Arc::clone(&last_saved), checkpoint.clone());
    let observers = DownloadObservers {
        event: Some(Box::new(move |e| {
            if e.kind == DownloadEventKind::DownloadPartSucceeded {
                *copy.lock().unwrap() = std::fs::read(&path).unwrap();
            }
        })),
        ..DownloadObservers::default()
    };
    let mut request = s.request("renamed", "renamed.out");
    request.task_num = 1;
    s.client.download_file(request.clone(), observers).unwrap();
    let saved = last_saved.lock().unwrap().clone();
    assert!(!checkpoint.exists());

    std::fs::write(&checkpoint, &saved).unwrap();
    let mark = s.server.last_seq();
    let out = s
        .client
        .download_file(request.clone(), DownloadObservers::default())
        .unwrap();
    assert_eq!(out.bytes_received, 0);
    assert!(s.gets_since(mark).is_empty(), "{:?}", s.gets_since(mark));
    assert_eq!(
        std::fs::read(s.dir.path().join("renamed.out")).unwrap(),
        data
    );
    assert_eq!(s.files(), ["renamed.out"], "the checkpoint is removed");

    let mut changed = data.clone();
    changed[6 * MIB as usize] ^= 1;
    std::fs::write(s.dir.path().join("renamed.out"), &changed).unwrap();
    std::fs::write(&checkpoint, &saved).unwrap();
    let mark = s.server.last_seq();
    let out = s
        .client
        .download_file(request, DownloadObservers::default())
        .unwrap();
    assert_eq!(out.bytes_received, data.len() as u64);
    assert!(!s.gets_since(mark).is_empty());
    assert_eq!(
        std::fs::read(s.dir.path().join("renamed.out")).unwrap(),
        data
    );
    assert_eq!(s.files(), ["renamed.out"]);
}
