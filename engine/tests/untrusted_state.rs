//! Nothing found on disk is trusted and nothing on disk can hang the caller: corrupt
//! checkpoints start afresh on the first run, special files are refused before any request,
//! patterns and walks cannot be made to take forever. Outcomes are checked on the server.

mod common;

use common::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tosupload_engine::checkpoint;
use tosupload_engine::{
    CancelHook, CancelKind, Client, DirObservers, ErrorKind, Observers, SymlinkPolicy,
    UploadDirRequest, UploadError, UploadEventKind, UploadFileRequest,
};

fn request(file: &Path, key: &str) -> UploadFileRequest {
    let mut request = UploadFileRequest::new(BUCKET, key, file);
    request.part_size = 5 * MIB;
    request.task_num = 2;
    request
}

fn checkpoint_path(file: &Path, key: &str) -> PathBuf {
    file.with_file_name(checkpoint::file_name(file, BUCKET, key))
}

/// Observers that record the kinds of upload events seen.
fn recording() -> (Observers, Arc<Mutex<Vec<UploadEventKind>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let observers = Observers {
        event: Some(Box::new(move |e| sink.lock().unwrap().push(e.kind))),
        ..Observers::default()
    };
    (observers, seen)
}

/// A real checkpoint of `file`: every part sent, Complete refused once.
fn recorded_checkpoint(server: &TestServer, client: &Client, file: &Path, key: &str) -> Value {
    server.add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"status","status":400,"code":"InvalidRequest"}}"#);
    client
        .upload_file(request(file, key), Observers::default())
        .unwrap_err();
    server.clear_faults();
    serde_json::from_slice(&std::fs::read(checkpoint_path(file, key)).unwrap()).unwrap()
}

fn part(number: u64, size: u64, offset: u64) -> Value {
    json!({"PartNumber": number, "PartSize": size, "Offset": offset, "IsCompleted": false})
}

/// Each corruption, applied to a real checkpoint of an 11 MiB file, as the bytes to write
/// and whether the recorded upload is still named (so it can be aborted).
fn corruptions(cp: &Value) -> Vec<(&'static str, Vec<u8>, bool)> {
    let size = 11 * MIB;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut cp = cp.clone();
        change(&mut cp);
        cp.to_string().into_bytes()
    };
    let text = cp.to_string();
    vec![
        (
            "parts below the minimum",
            with(&|cp| {
                cp["PartSize"] = json!(MIB);
                cp["PartsInfo"] = (0..11).map(|i| part(i + 1, MIB, i * MIB)).collect();
            }),
            true,
        ),
        (
            "20,000 parts",
            with(&|cp| {
                let each = 576;
                let mut parts: Vec<Value> =
                    (0..19_999).map(|i| part(i + 1, each, i * each)).collect();
                parts.push(part(20_000, size - 19_999 * each, 19_999 * each));
                cp["PartsInfo"] = parts.into();
            }),
            true,
        ),
        (
            "sizes that overflow",
            with(&|cp| {
                // Wrapping arithmetic would find these tile the file exactly.
                cp["PartsInfo"] = json!([part(1, u64::MAX, 0), part(2, size + 1, u64::MAX)]);
            }),
            true,
        ),
        (
            "wrong tiling",
            with(&|cp| cp["PartsInfo"][1]["Offset"] = json!(5 * MIB + 1)),
            true,
        ),
        (
            "wrong JSON types",
            with(&|cp| cp["PartSize"] = json!("5242880")),
            true,
        ),
        ("garbage", pattern(4096, 7), false),
        (
            "truncated JSON",
            text.as_bytes()[..text.len() / 2].to_vec(),
            false,
        ),
    ]
}

#[test]
fn each_corrupt_checkpoint_gives_a_fresh_successful_upload_on_the_first_run() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 51);
    let file = write_file(dir.path(), "f", &content);
    let template = recorded_checkpoint(&server, &client, &file, "template.bin");
    for (i, (case, _, _)) in corruptions(&template).iter().enumerate() {
        let key = format!("corrupt-{i}.bin");
        let cp = recorded_checkpoint(&server, &client, &file, &key);
        let upload_id = cp["UploadID"].as_str().unwrap().to_string();
        let (_, bytes, names_upload) = corruptions(&cp).swap_remove(i);
        std::fs::write(checkpoint_path(&file, &key), bytes).unwrap();

        let (observers, seen) = recording();
        let out = client.upload_file(request(&file, &key), observers);
        let out = out.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(server.get_object(&key), content, "{case}");
        assert_ne!(out.upload_id, upload_id, "{case}: a fresh upload");
        assert!(
            seen.lock()
                .unwrap()
                .contains(&UploadEventKind::CheckpointDiscarded),
            "{case}: no CheckpointDiscarded event"
        );
        assert!(!checkpoint_path(&file, &key).exists(), "{case}");
        if names_upload {
            assert!(
                !server.open_uploads().contains(&upload_id),
                "{case}: the recorded upload was not aborted"
            );
        }
    }
}

#[test]
fn a_complete_refused_for_the_recorded_parts_discards_the_checkpoint() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 52);
    let file = write_file(dir.path(), "f", &content);
    server.add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"status","status":400,"code":"EntityTooSmall"}}"#);
    let (observers, seen) = recording();
    client
        .upload_file(request(&file, "small.bin"), observers)
        .unwrap_err();
    assert!(seen
        .lock()
        .unwrap()
        .contains(&UploadEventKind::CheckpointDiscarded));
    assert!(!checkpoint_path(&file, "small.bin").exists());
    assert!(server.open_uploads().is_empty(), "the upload was aborted");
    let out = client
        .upload_file(request(&file, "small.bin"), Observers::default())
        .unwrap();
    assert_eq!(out.bytes_sent, 11 * MIB, "the next run starts afresh");
    assert_eq!(server.get_object("small.bin"), content);
}

#[test]
fn a_stale_temp_file_of_a_killed_save_is_removed() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(MIB, 53));
    let mut tmp = checkpoint_path(&file, "tmp.bin").into_os_string();
    tmp.push(".tmp");
    std::fs::write(&tmp, b"{\"Bucket\":").unwrap();
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    let handle = std::fs::File::options().write(true).open(&tmp).unwrap();
    handle.set_modified(long_ago).unwrap();
    drop(handle);
    client
        .upload_file(request(&file, "tmp.bin"), Observers::default())
        .unwrap();
    assert!(!Path::new(&tmp).exists());
}

/// Runs `call` on a thread; fails the test instead of hanging when it does not return.
fn within<T: Send + 'static>(limit: Duration, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(call()).unwrap());
    rx.recv_timeout(limit).expect("the call hung")
}

fn refused_at_once(server: &TestServer, checkpoint_file: PathBuf) -> UploadError {
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(MIB, 54));
    let mut req = request(&file, "special.bin");
    req.checkpoint_file = Some(checkpoint_file.clone());
    let started = Instant::now();
    let result = within(Duration::from_secs(10), move || {
        client.upload_file(req, Observers::default())
    });
    assert!(started.elapsed() < Duration::from_secs(1));
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::CheckpointPathInvalid, "{error}");
    assert!(error
        .message
        .contains(&checkpoint_file.display().to_string()));
    assert!(error.message.contains("not a regular file"), "{error}");
    assert!(server.log().is_empty(), "a request reached the server");
    error
}

#[test]
fn a_fifo_as_checkpoint_path_is_refused_at_once_without_a_request() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("cp.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    refused_at_once(&server, fifo);
}

#[test]
fn dev_zero_as_checkpoint_path_is_refused_at_once_without_a_request() {
    let server = TestServer::start();
    refused_at_once(&server, PathBuf::from("/dev/zero"));
}

#[test]
fn a_proc_file_is_refused_not_uploaded_empty() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let mut req = UploadFileRequest::new(BUCKET, "proc.txt", "/proc/version");
    req.enable_checkpoint = false;
    let error = client.upload_file(req, Observers::default()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::FileUnreadable, "{error}");
    assert!(error.message.contains("/proc/version"), "{error}");
    assert!(error.message.contains("size of 0"), "{error}");
    assert!(server.head_object("proc.txt").is_none());
    assert!(server.log().is_empty());
}

#[test]
fn a_pathological_pattern_over_long_names_is_quick_and_matches_nothing() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..20 {
        let name = format!("{}{}", "a".repeat(200 - i), "c".repeat(i));
        write_file(dir.path(), &name, b"x");
    }
    let mut req = UploadDirRequest::new(BUCKET, "p/", dir.path());
    req.include = vec!["a*a*a*a*a*a*a*a*a*b".into()];
    let started = Instant::now();
    let out = within(Duration::from_secs(30), move || {
        client.upload_dir(req, DirObservers::default())
    })
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.files_uploaded, 0);
    assert!(out.failures.is_empty());
}

/// A tree that is tiny on disk but huge to walk: each level links to the next `FAN` times,
/// so following links visits FAN^DEPTH directories (2 million here).
fn fan_out_tree(root: &Path) {
    const FAN: usize = 8;
    const DEPTH: usize = 7;
    for level in 0..DEPTH {
        let here = root.join(format!("level{level}"));
        std::fs::create_dir_all(&here).unwrap();
        for link in 0..FAN {
            let target = format!("../level{}", level + 1);
            std::os::unix::fs::symlink(target, here.join(format!("l{link}"))).unwrap();
        }
    }
    std::fs::create_dir_all(root.join(format!("level{DEPTH}"))).unwrap();
    std::fs::write(root.join(format!("level{DEPTH}/leaf")), b"x").unwrap();
}

#[test]
fn a_cancel_ends_a_huge_walk_promptly() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fan_out_tree(dir.path());
    let hook = CancelHook::new();
    let mut req = UploadDirRequest::new(BUCKET, "walk/", dir.path().join("level0"));
    req.symlinks = SymlinkPolicy::Follow;
    req.exclude = vec!["*".into()]; // nothing to upload: only the walk runs
    req.cancel = Some(hook.clone());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = client.upload_dir(req, DirObservers::default());
        tx.send((result, Instant::now())).unwrap();
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "the walk ended before the cancel");
    let cancelled = Instant::now();
    hook.cancel(CancelKind::Pause);
    let (result, returned) = rx.recv_timeout(Duration::from_secs(20)).expect("not ended");
    let took = returned.duration_since(cancelled);
    assert!(
        took < CANCEL_RETURNS_WITHIN,
        "returned {took:?} after the cancel"
    );
    assert_eq!(result.unwrap_err().kind, ErrorKind::Paused);
}

#[test]
fn a_tampered_journal_is_replaced_and_the_rerun_finishes_the_folder() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    for name in ["a.txt", "b.txt", "c.txt"] {
        write_file(dir.path(), name, name.as_bytes());
    }
    let folder_request = || {
        let mut req = UploadDirRequest::new(BUCKET, "j/", dir.path());
        req.checkpoint_dir = Some(state.path().to_path_buf());
        req.error_policy = tosupload_engine::ErrorPolicy::Continue;
        req
    };
    server.add_fault(r#"{"op":"PutObject","key":"j/c.txt","action":{"kind":"status","status":403,"code":"AccessDenied"}}"#);
    let out = client
        .upload_dir(folder_request(), DirObservers::default())
        .unwrap();
    assert_eq!(out.failures.len(), 1);
    server.clear_faults();
    let journal = std::fs::read_dir(state.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "journal"))
        .expect("a journal is kept while a file is missing");
    let mut text = std::fs::read(&journal).unwrap();
    text.extend_from_slice(b"\xff\xfe not a line\n0123456789abcdef {\"relative\":\"../x\"}\n");
    std::fs::write(&journal, text).unwrap();

    let out = client
        .upload_dir(folder_request(), DirObservers::default())
        .unwrap();
    assert!(out.failures.is_empty());
    assert_eq!((out.files_uploaded, out.files_skipped), (1, 2));
    assert_eq!(server.get_object("j/c.txt"), b"c.txt");
    assert!(!journal.exists(), "done, the journal goes");
}

#[test]
fn a_proc_file_in_a_folder_fails_alone_and_is_not_uploaded_empty() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "plain.txt", b"plain");
    std::os::unix::fs::symlink("/proc/version", dir.path().join("version")).unwrap();
    let mut req = UploadDirRequest::new(BUCKET, "f/", dir.path());
    req.symlinks = SymlinkPolicy::Follow;
    req.error_policy = tosupload_engine::ErrorPolicy::Continue;
    let out = client.upload_dir(req, DirObservers::default()).unwrap();
    assert_eq!(out.files_uploaded, 1);
    assert_eq!(out.failures.len(), 1);
    assert!(out.failures[0].error.message.contains("size of 0"));
    assert!(server.head_object("f/version").is_none());
}
