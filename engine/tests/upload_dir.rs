//! Directory upload against the real local server: a big tree read back, resume after a
//! pause without re-sending finished files, error policies, symlinks, patterns.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tosupload_engine::{CancelHook, CancelKind, Client, ErrorKind};
use tosupload_engine::{
    DirEvent, DirEventKind, DirObservers, DirProgress, ErrorPolicy, SymlinkPolicy, UploadDirRequest,
};

#[derive(Default, Clone)]
struct DirRecorder {
    progress: Arc<Mutex<Vec<DirProgress>>>,
    events: Arc<Mutex<Vec<DirEvent>>>,
}

impl DirRecorder {
    fn observers(&self) -> DirObservers {
        let progress = Arc::clone(&self.progress);
        let events = Arc::clone(&self.events);
        DirObservers {
            progress: Some(Box::new(move |p| progress.lock().unwrap().push(*p))),
            event: Some(Box::new(move |e| events.lock().unwrap().push(e.clone()))),
            ..DirObservers::default()
        }
    }

    fn keys_with(&self, kind: DirEventKind) -> Vec<String> {
        let mut keys: Vec<String> = self
            .events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.key.clone())
            .collect();
        keys.sort();
        keys
    }
}

/// Writes `files` (relative path → content) under `root`.
fn make_tree(root: &Path, files: &BTreeMap<String, Vec<u8>>) {
    for (relative, content) in files {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

fn small_tree(count: usize) -> BTreeMap<String, Vec<u8>> {
    (0..count)
        .map(|i| {
            let name = match i % 3 {
                0 => format!("a/file {i}.txt"),
                1 => format!("b/深/文件-{i}.bin"),
                _ => format!("c/d/e/{i}+x.dat"),
            };
            (name, pattern(100 + (i as u64 * 37) % 3000, i as u64))
        })
        .collect()
}

fn request(dir: &Path, prefix: &str) -> UploadDirRequest {
    let mut request = UploadDirRequest::new(BUCKET, prefix, dir);
    request.part_size = 5 * MIB;
    request
}

#[test]
fn a_tree_of_a_thousand_files_and_some_large_ones_reads_back() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut files = small_tree(1000);
    files.insert("big/one.bin".into(), pattern(6 * MIB, 1));
    files.insert("big/two words.bin".into(), pattern(11 * MIB + 7, 2));
    make_tree(dir.path(), &files);
    let client = Client::new(server.config()).unwrap();
    let recorder = DirRecorder::default();
    let mut req = request(dir.path(), "up/");
    req.file_concurrency = 8;
    let out = client.upload_dir(req, recorder.observers()).unwrap();
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.files_uploaded, 1002);
    let total: u64 = files.values().map(|c| c.len() as u64).sum();
    assert_eq!(out.bytes_uploaded, total);
    for (relative, content) in &files {
        assert_eq!(
            &server.get_object(&format!("up/{relative}")),
            content,
            "{relative}"
        );
    }
    // Small files went up in one request each, the large ones in parts.
    assert_eq!(server.log_of("PutObject", 200).len(), 1000);
    assert_eq!(server.log_of("CompleteMultipartUpload", 200).len(), 2);
    let progress = recorder.progress.lock().unwrap();
    let last = progress.last().unwrap();
    assert!(last.walk_complete);
    assert_eq!((last.files_done, last.files_total), (1002, 1002));
    assert_eq!((last.bytes_done, last.bytes_total), (total, total));
    assert!(progress
        .windows(2)
        .all(|w| w[1].bytes_done >= w[0].bytes_done));
}

#[test]
fn a_paused_directory_upload_resumes_without_resending_finished_files() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let checkpoints = tempfile::tempdir().unwrap();
    let mut files = small_tree(300);
    files.insert("big.bin".into(), pattern(16 * MIB, 3));
    make_tree(dir.path(), &files);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let recorder = DirRecorder::default();
    let mut observers = recorder.observers();
    let mut inner = observers.event.take().unwrap();
    let pause = hook.clone();
    let mut done = 0;
    observers.event = Some(Box::new(move |e| {
        if e.kind == DirEventKind::FileSucceeded {
            done += 1;
            if done == 100 {
                pause.cancel(CancelKind::Pause);
            }
        }
        inner(e)
    }));
    let mut req = request(dir.path(), "");
    req.checkpoint_dir = Some(checkpoints.path().to_path_buf());
    req.cancel = Some(hook);
    let err = client.upload_dir(req.clone(), observers).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Paused);
    let finished_first = recorder.keys_with(DirEventKind::FileSucceeded);
    assert!(finished_first.len() >= 100 && finished_first.len() < files.len());
    let paused_at = server.last_seq();

    let second = DirRecorder::default();
    req.cancel = None;
    let out = client.upload_dir(req, second.observers()).unwrap();
    assert!(out.failures.is_empty());
    assert_eq!(out.files_skipped as usize, finished_first.len());
    for (relative, content) in &files {
        assert_eq!(&server.get_object(relative), content, "{relative}");
    }
    let resent: Vec<String> = server
        .log()
        .iter()
        .filter(|e| e["seq"].as_u64().unwrap() > paused_at && e["op"] == "PutObject")
        .map(|e| e["key"].as_str().unwrap().to_string())
        .collect();
    for key in &resent {
        assert!(!finished_first.contains(key), "{key} was uploaded twice");
    }
    // The journal is gone once everything is up.
    assert_eq!(std::fs::read_dir(checkpoints.path()).unwrap().count(), 0);
}

#[test]
fn an_unreadable_file_fails_alone_under_continue_and_stops_under_stop_on_first() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let files = small_tree(30);
    make_tree(dir.path(), &files);
    // Tests run as root, who can read any mode; a link to nowhere cannot be read by anyone.
    std::os::unix::fs::symlink(dir.path().join("missing"), dir.path().join("a/broken")).unwrap();
    let client = Client::new(server.config()).unwrap();

    let mut req = request(dir.path(), "continue/");
    req.symlinks = SymlinkPolicy::Follow;
    req.error_policy = ErrorPolicy::Continue;
    let out = client.upload_dir(req, DirObservers::default()).unwrap();
    assert_eq!(out.failures.len(), 1);
    assert_eq!(out.failures[0].key, "continue/a/broken");
    assert_eq!(out.failures[0].error.kind, ErrorKind::FileNotFound);
    assert_eq!(out.files_uploaded, 30);

    let mut req = request(dir.path(), "stop/");
    req.symlinks = SymlinkPolicy::Follow;
    req.file_concurrency = 1;
    let out = client.upload_dir(req, DirObservers::default()).unwrap();
    assert_eq!(out.failures.len(), 1);
    assert!(
        out.files_uploaded < 30,
        "uploaded {} after the failure",
        out.files_uploaded
    );
}

#[test]
fn a_symlink_loop_is_reported_and_the_rest_uploads() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let files = small_tree(6);
    make_tree(dir.path(), &files);
    std::os::unix::fs::symlink("..", dir.path().join("c/d/up")).unwrap();
    let client = Client::new(server.config()).unwrap();
    let mut req = request(dir.path(), "");
    req.symlinks = SymlinkPolicy::Follow;
    req.error_policy = ErrorPolicy::Continue;
    let out = client.upload_dir(req, DirObservers::default()).unwrap();
    assert_eq!(out.failures.len(), 1);
    assert!(out.failures[0].error.message.contains("loop"));
    assert_eq!(out.files_uploaded, 6);

    // By default links are not followed at all, and reported as skipped.
    let recorder = DirRecorder::default();
    let out = client
        .upload_dir(request(dir.path(), "nofollow/"), recorder.observers())
        .unwrap();
    assert!(out.failures.is_empty());
    assert_eq!(
        recorder.keys_with(DirEventKind::FileSkipped),
        vec!["nofollow/c/d/up"]
    );
}

#[test]
fn an_empty_directory_uploads_nothing_and_succeeds() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(server.config()).unwrap();
    let recorder = DirRecorder::default();
    let out = client
        .upload_dir(request(dir.path(), "x/"), recorder.observers())
        .unwrap();
    assert_eq!(out.files_uploaded, 0);
    assert!(server.log().is_empty());
    assert!(
        recorder
            .progress
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .walk_complete
    );
}

#[test]
fn include_and_exclude_patterns_select_files() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let files: BTreeMap<String, Vec<u8>> = [
        "keep.txt",
        "skip.tmp",
        "cache/deep/x.txt",
        "src/main.rs",
        "src/lib.tmp",
    ]
    .iter()
    .map(|n| (n.to_string(), n.as_bytes().to_vec()))
    .collect();
    make_tree(dir.path(), &files);
    let client = Client::new(server.config()).unwrap();
    let mut req = request(dir.path(), "p/");
    req.exclude = vec!["*.tmp".into(), "cache/**".into()];
    let recorder = DirRecorder::default();
    client.upload_dir(req, recorder.observers()).unwrap();
    assert_eq!(
        recorder.keys_with(DirEventKind::FileSucceeded),
        vec!["p/keep.txt", "p/src/main.rs"]
    );
    let mut req = request(dir.path(), "q/");
    req.include = vec!["src/*".into()];
    req.exclude = vec!["*.tmp".into()];
    let recorder = DirRecorder::default();
    client.upload_dir(req, recorder.observers()).unwrap();
    assert_eq!(
        recorder.keys_with(DirEventKind::FileSucceeded),
        vec!["q/src/main.rs"]
    );
}

#[test]
fn bad_directory_input_is_refused() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", b"x");
    let client = Client::new(server.config()).unwrap();
    let cases = [
        (
            request(&dir.path().join("missing"), ""),
            ErrorKind::FileNotFound,
        ),
        (request(&file, ""), ErrorKind::InvalidArgument),
        (
            UploadDirRequest::new("Bad Bucket", "", dir.path()),
            ErrorKind::InvalidBucket,
        ),
        (
            {
                let mut r = request(dir.path(), "");
                r.exclude = vec!["[oops".into()];
                r
            },
            ErrorKind::InvalidArgument,
        ),
    ];
    for (req, kind) in cases {
        assert_eq!(
            client
                .upload_dir(req, DirObservers::default())
                .unwrap_err()
                .kind,
            kind
        );
    }
    assert!(server.log().is_empty());
}

#[test]
fn a_bucket_that_does_not_exist_ends_the_folder_once_not_file_by_file() {
    // Before, every file failed on its own ("0 uploaded, 40 failed", one line each) and the
    // call returned "some files failed"; the answer is the same for every file.
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write_file(dir.path(), &format!("f{i:02}.txt"), b"small");
    }
    let mut request = UploadDirRequest::new("no-such-bucket", "p/", dir.path());
    request.error_policy = ErrorPolicy::Continue;
    let error = client
        .upload_dir(request, DirObservers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server, "{error}");
    assert_eq!(error.server.as_ref().unwrap().code, "NoSuchBucket");
    assert!(error.message.contains("no-such-bucket"), "{error}");
    let tried = server.log_of("PutObject", 404).len();
    assert!(
        tried < 40,
        "{tried} files were still sent after the first NoSuchBucket"
    );
}
