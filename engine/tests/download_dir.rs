//! Folder download against the real local server: a tree uploaded with `upload_dir` comes
//! back byte-exact; patterns, skip_existing, pause and resume from the journal, hostile keys
//! and the error policies; a listing that repeats its token, from a stand-in server. (The
//! other paging checks of a hostile listing are unit tests of `wire::objects`; the key
//! checker's refusals of keys the client cannot even upload, such as `../escape`, are unit
//! tests of `download_dir::local_path`.)

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tosupload_engine::{
    CancelHook, CancelKind, Client, DirEvent, DirEventKind, DirObservers, DirProgress,
    DownloadDirOutput, DownloadDirRequest, ErrorKind, ErrorPolicy, Observers, UploadDirRequest,
    UploadFileRequest,
};

#[derive(Default, Clone)]
struct Recorder {
    progress: Arc<Mutex<Vec<DirProgress>>>,
    events: Arc<Mutex<Vec<DirEvent>>>,
}

impl Recorder {
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
        let mut keys: Vec<String> = (self.events.lock().unwrap().iter())
            .filter(|e| e.kind == kind)
            .map(|e| e.key.clone())
            .collect();
        keys.sort();
        keys
    }
}

struct Setup {
    server: TestServer,
    client: Client,
    /// Holds the upload source, the download folder and the checkpoints, side by side.
    work: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let server = TestServer::start();
        let client = Client::new(server.config()).unwrap();
        Setup {
            server,
            client,
            work: tempfile::tempdir().unwrap(),
        }
    }

    /// Uploads `files` (relative path → content) under `prefix` with the folder upload.
    fn upload_tree(&self, prefix: &str, files: &BTreeMap<String, Vec<u8>>) {
        let source = tempfile::tempdir().unwrap();
        for (relative, content) in files {
            let path = source.path().join(relative);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        let mut request = UploadDirRequest::new(BUCKET, prefix, source.path());
        request.part_size = 5 * MIB;
        let output = self
            .client
            .upload_dir(request, DirObservers::default())
            .unwrap();
        assert!(output.failures.is_empty(), "{:?}", output.failures);
        assert_eq!(output.files_uploaded, files.len() as u64);
    }

    /// One object, sent with `upload_file` (for keys a folder walk cannot produce).
    fn put(&self, key: &str, content: &[u8]) {
        let source = write_file(self.work.path(), "put-source", content);
        let mut request = UploadFileRequest::new(BUCKET, key, &source);
        request.enable_checkpoint = false;
        self.client
            .upload_file(request, Observers::default())
            .unwrap();
        std::fs::remove_file(source).unwrap();
    }

    fn local(&self) -> std::path::PathBuf {
        self.work.path().join("local")
    }

    fn checkpoints(&self) -> std::path::PathBuf {
        self.work.path().join("checkpoints")
    }

    fn request(&self, prefix: &str) -> DownloadDirRequest {
        let mut request = DownloadDirRequest::new(BUCKET, prefix, self.local());
        request.part_size = 5 * MIB;
        request
    }

    fn download(&self, request: DownloadDirRequest) -> DownloadDirOutput {
        self.client
            .download_dir(request, DirObservers::default())
            .unwrap()
    }

    /// Keys of the successful GETs logged after `seq`, sorted (a key once per GET).
    fn gets_since(&self, seq: u64) -> Vec<String> {
        let mut keys: Vec<String> = (self.server.log().into_iter())
            .filter(|e| e["op"] == "GetObject" && e["seq"].as_u64().unwrap() > seq)
            .filter(|e| e["status"].as_u64().is_some_and(|s| s == 200 || s == 206))
            .map(|e: Value| e["key"].as_str().unwrap().to_string())
            .collect();
        keys.sort();
        keys
    }
}

/// Every regular file under `root`: relative path → content.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, into);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy();
                into.insert(relative.into_owned(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    files
}

fn tree(count: usize) -> BTreeMap<String, Vec<u8>> {
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

#[test]
fn a_tree_comes_back_byte_exact_with_empty_objects_and_folder_markers() {
    let s = Setup::new();
    let mut files = tree(30);
    files.insert("empty.txt".into(), Vec::new());
    files.insert("big/large.bin".into(), pattern(11 * MIB + 7, 9));
    s.upload_tree("tree/", &files);
    s.put("tree/only a marker/", b"");
    s.put("treetop/not under the prefix", b"x");
    let recorder = Recorder::default();
    let mut request = s.request("tree/");
    request.task_num = 2;
    request.list_page_size = 5;
    let output = s
        .client
        .download_dir(request, recorder.observers())
        .unwrap();
    assert!(output.failures.is_empty(), "{:?}", output.failures);
    assert_eq!(output.files_downloaded, files.len() as u64);
    let bytes: u64 = files.values().map(|c| c.len() as u64).sum();
    assert_eq!(output.bytes_downloaded, bytes);
    assert_eq!(output.dirs_created, 1);
    assert_eq!(output.files_skipped, 0);
    assert_eq!(read_tree(&s.local()), files);
    assert!(s.local().join("only a marker").is_dir());
    // Nothing but the folder's own files was ever in it: no temp file is left behind.
    let last = *recorder.progress.lock().unwrap().last().unwrap();
    assert!(last.walk_complete);
    assert_eq!(last.files_total, files.len() as u64 + 1);
    assert_eq!(last.files_done, last.files_total);
    assert_eq!(last.bytes_done, bytes);
    assert_eq!(last.bytes_total, bytes);
    let mut expected: Vec<String> = files.keys().map(|k| format!("tree/{k}")).collect();
    expected.push("tree/only a marker/".into());
    expected.sort();
    assert_eq!(recorder.keys_with(DirEventKind::FileSucceeded), expected);
    assert_eq!(recorder.keys_with(DirEventKind::FileStarted), expected);
    // 33 keys under the prefix in pages of 5 (the server names both versions ListObjects).
    assert_eq!(s.server.log_of("ListObjects", 200).len(), 7);
}

#[test]
fn include_and_exclude_patterns_match_the_key_without_the_prefix() {
    let s = Setup::new();
    let files = tree(12);
    s.upload_tree("p/", &files);
    let mut request = s.request("p/");
    request.include = vec!["a/**".into(), "c/**".into()];
    request.exclude = vec!["**/*+x.dat".into()];
    let output = s.download(request);
    assert!(output.failures.is_empty(), "{:?}", output.failures);
    let expected: BTreeMap<String, Vec<u8>> = files
        .into_iter()
        .filter(|(k, _)| k.starts_with("a/"))
        .collect();
    assert_eq!(output.files_downloaded, expected.len() as u64);
    assert_eq!(read_tree(&s.local()), expected);
}

#[test]
fn skip_existing_downloads_nothing_twice_but_a_changed_file_again() {
    let s = Setup::new();
    let files = tree(9);
    s.upload_tree("p/", &files);
    let first = s.download(s.request("p/"));
    assert_eq!(first.files_downloaded, 9);

    let seq = s.server.last_seq();
    let mut request = s.request("p/");
    request.skip_existing = true;
    let recorder = Recorder::default();
    let second = s
        .client
        .download_dir(request.clone(), recorder.observers())
        .unwrap();
    assert_eq!(second.files_downloaded, 0);
    assert_eq!(second.files_skipped, 9);
    let bytes: u64 = files.values().map(|c| c.len() as u64).sum();
    assert_eq!(second.bytes_skipped, bytes);
    assert_eq!(s.gets_since(seq), Vec::<String>::new());
    assert_eq!(recorder.keys_with(DirEventKind::FileSkipped).len(), 9);
    // The listing carried each object's CRC-64: no HEAD was needed either.
    let heads = (s.server.log().into_iter())
        .filter(|e| e["op"] == "HeadObject" && e["seq"].as_u64().unwrap() > seq)
        .count();
    assert_eq!(heads, 0);

    // Same size, other bytes: downloaded again, and only that one.
    let (changed, content) = files.iter().next().unwrap();
    let mut other = content.clone();
    other[0] ^= 0xff;
    std::fs::write(s.local().join(changed), &other).unwrap();
    let seq = s.server.last_seq();
    let third = s.download(request);
    assert_eq!(third.files_downloaded, 1);
    assert_eq!(third.files_skipped, 8);
    assert_eq!(s.gets_since(seq), vec![format!("p/{changed}")]);
    assert_eq!(read_tree(&s.local()), files);
}

#[test]
fn a_paused_download_resumes_from_its_journal_without_fetching_finished_files() {
    let s = Setup::new();
    let files = tree(24);
    s.upload_tree("p/", &files);
    let hook = CancelHook::new();
    let pauser = hook.clone();
    let succeeded = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&succeeded);
    let observers = DirObservers {
        event: Some(Box::new(move |e: &DirEvent| {
            if e.kind == DirEventKind::FileSucceeded {
                let mut seen = seen.lock().unwrap();
                seen.push(e.key.clone());
                if seen.len() == 8 {
                    pauser.cancel(CancelKind::Pause);
                }
            }
        })),
        ..DirObservers::default()
    };
    let mut request = s.request("p/");
    request.checkpoint_dir = Some(s.checkpoints());
    request.file_concurrency = 2;
    request.cancel = Some(hook);
    let error = s
        .client
        .download_dir(request.clone(), observers)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Paused);
    let done_before: Vec<String> = succeeded.lock().unwrap().clone();
    assert!(done_before.len() >= 8 && done_before.len() < 24);
    let journals = std::fs::read_dir(s.checkpoints()).unwrap().count();
    assert!(journals >= 1, "the journal is kept on pause");

    let seq = s.server.last_seq();
    request.cancel = None;
    let output = s.download(request);
    assert!(output.failures.is_empty(), "{:?}", output.failures);
    let fetched = s.gets_since(seq);
    for key in &done_before {
        assert!(!fetched.contains(key), "{key} fetched again");
    }
    assert_eq!(output.files_skipped, done_before.len() as u64);
    assert_eq!(
        output.files_downloaded + output.files_skipped,
        files.len() as u64
    );
    // A file whose bytes were all in when the pause came resumes from its own checkpoint
    // with no GET at all: at most one GET per file left.
    assert!(fetched.len() as u64 <= output.files_downloaded);
    assert_eq!(read_tree(&s.local()), files);
    // Done: the journal is gone.
    assert_eq!(std::fs::read_dir(s.checkpoints()).unwrap().count(), 0);
}

#[test]
fn hostile_keys_and_symbolic_links_fail_their_file_and_write_nothing_outside() {
    let s = Setup::new();
    // The client refuses '.' and '..' segments even on upload (unit tests cover them); an
    // empty segment and a backslash are stored by the server.
    s.put("h/x//y", b"empty segment");
    s.put("h/a\\b", b"backslash");
    s.put("h/link/inside", b"through a link");
    s.put("h/ok", b"fine");
    let outside = s.work.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(s.local()).unwrap();
    std::os::unix::fs::symlink(&outside, s.local().join("link")).unwrap();
    let mut request = s.request("h/");
    request.error_policy = ErrorPolicy::Continue;
    let recorder = Recorder::default();
    let output = s
        .client
        .download_dir(request, recorder.observers())
        .unwrap();
    assert_eq!(output.files_downloaded, 1);
    let mut failed: Vec<(&str, ErrorKind)> = output
        .failures
        .iter()
        .map(|f| (f.key.as_str(), f.error.kind))
        .collect();
    failed.sort_by_key(|f| f.0);
    assert_eq!(
        failed,
        [
            ("h/a\\b", ErrorKind::InvalidKey),
            ("h/link/inside", ErrorKind::LocalWrite),
            ("h/x//y", ErrorKind::InvalidKey),
        ]
    );
    for failure in &output.failures {
        assert!(!failure.error.message.is_empty());
    }
    assert_eq!(
        recorder.keys_with(DirEventKind::FileFailed),
        ["h/a\\b", "h/link/inside", "h/x//y"]
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    let mut top: Vec<String> = std::fs::read_dir(s.work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["local", "outside"]);
    assert_eq!(std::fs::read(s.local().join("ok")).unwrap(), b"fine");
    assert!(!s.local().join("x").exists());
}

#[test]
fn stop_on_first_starts_nothing_after_a_failure_continue_downloads_the_rest() {
    let s = Setup::new();
    // Keys list in byte order: the hostile one comes first.
    s.put("e/a//bad", b"x");
    for i in 0..6 {
        s.put(&format!("e/f{i}"), &pattern(100, i));
    }
    let mut request = s.request("e/");
    request.file_concurrency = 1;
    let stopped = s.download(request.clone());
    assert_eq!(stopped.failures.len(), 1);
    assert_eq!(stopped.files_downloaded, 0);
    assert!(!s.local().join("f0").exists());

    request.error_policy = ErrorPolicy::Continue;
    let continued = s.download(request);
    assert_eq!(continued.failures.len(), 1);
    assert_eq!(continued.failures[0].key, "e/a//bad");
    assert_eq!(continued.files_downloaded, 6);
}

#[test]
fn a_missing_bucket_fails_the_call() {
    let s = Setup::new();
    let request = DownloadDirRequest::new("no-such-bucket", "", s.local());
    let error = s
        .client
        .download_dir(request, DirObservers::default())
        .unwrap_err();
    assert_eq!(error.http_status(), Some(404), "{error}");
}

/// `bytes=a-b` of a log entry, as (a, b).
fn range_of(entry: &Value) -> (u64, u64) {
    let text = entry["range"].as_str().expect("a ranged GET");
    let (first, last) = text
        .strip_prefix("bytes=")
        .unwrap()
        .split_once('-')
        .unwrap();
    (first.parse().unwrap(), last.parse().unwrap())
}

#[test]
fn a_large_object_paused_mid_way_resumes_through_its_own_checkpoint() {
    let s = Setup::new();
    let big = pattern(15 * MIB, 4);
    s.put("p/big.bin", &big);
    let hook = CancelHook::new();
    let pauser = hook.clone();
    // Slow enough (8 MiB/s) that the pause lands while the second or third range is read.
    let observers = DirObservers {
        progress: Some(Box::new(move |p: &DirProgress| {
            if p.bytes_done >= 6 * MIB {
                pauser.cancel(CancelKind::Pause);
            }
        })),
        shared_limiter: Some(Arc::new(tosupload_engine::TokenBucket::new(8 * MIB, 0))),
        ..DirObservers::default()
    };
    let mut request = s.request("p/");
    request.checkpoint_dir = Some(s.checkpoints());
    request.task_num = 1;
    request.cancel = Some(hook);
    let error = s
        .client
        .download_dir(request.clone(), observers)
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Paused);
    assert!(!s.local().join("big.bin").exists(), "never a partial file");
    let kept: Vec<String> = std::fs::read_dir(s.checkpoints())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        kept.iter().any(|n| n.ends_with(".download")),
        "the file's checkpoint is kept: {kept:?}"
    );

    let seq = s.server.last_seq();
    request.cancel = None;
    let output = s.download(request);
    assert_eq!(output.files_downloaded, 1);
    let ranges: Vec<(u64, u64)> = (s.server.log().into_iter())
        .filter(|e| e["op"] == "GetObject" && e["seq"].as_u64().unwrap() > seq)
        .map(|e| range_of(&e))
        .collect();
    assert!(
        ranges.iter().all(|(first, _)| *first >= 5 * MIB),
        "the first range was fetched again: {ranges:?}"
    );
    // bytes_downloaded counts what this run fetched, not the resumed file whole.
    let served: u64 = (s.server.log().into_iter())
        .filter(|e| e["op"] == "GetObject" && e["seq"].as_u64().unwrap() > seq)
        .map(|e| e["response_bytes"].as_u64().unwrap())
        .sum();
    assert!(
        served < 15 * MIB,
        "{served} bytes served to the resumed run"
    );
    assert_eq!(output.bytes_downloaded, served);
    assert_eq!(std::fs::read(s.local().join("big.bin")).unwrap(), big);
    assert_eq!(std::fs::read_dir(s.checkpoints()).unwrap().count(), 0);
}

#[test]
fn abort_removes_the_journal() {
    let s = Setup::new();
    s.upload_tree("p/", &tree(10));
    let hook = CancelHook::new();
    let aborter = hook.clone();
    let observers = DirObservers {
        event: Some(Box::new(move |e: &DirEvent| {
            if e.kind == DirEventKind::FileSucceeded {
                aborter.cancel(CancelKind::Abort);
            }
        })),
        ..DirObservers::default()
    };
    let mut request = s.request("p/");
    request.checkpoint_dir = Some(s.checkpoints());
    request.file_concurrency = 1;
    request.cancel = Some(hook);
    let error = s.client.download_dir(request, observers).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Aborted);
    assert_eq!(std::fs::read_dir(s.checkpoints()).unwrap().count(), 0);
}

#[test]
fn the_limiter_callback_is_asked_for_every_byte_on_the_calling_thread() {
    let s = Setup::new();
    let files = tree(6);
    s.upload_tree("p/", &files);
    let caller = std::thread::current().id();
    let asked = Arc::new(Mutex::new((0u64, true)));
    let record = Arc::clone(&asked);
    let observers = DirObservers {
        acquire: Some(Box::new(move |want| {
            let mut asked = record.lock().unwrap();
            asked.0 += want;
            asked.1 &= std::thread::current().id() == caller;
            tosupload_engine::Permit::Granted
        })),
        ..DirObservers::default()
    };
    let output = s.client.download_dir(s.request("p/"), observers).unwrap();
    assert_eq!(output.files_downloaded, 6);
    let (bytes, on_caller) = *asked.lock().unwrap();
    assert!(on_caller, "a limiter question was asked on another thread");
    assert_eq!(bytes, output.bytes_downloaded);
    assert_eq!(read_tree(&s.local()), files);
}

/// A listing that hands back the same continuation token ends the call with an error after
/// two pages, instead of looping: a stand-in server that answers every request with a
/// truncated page and the token "same".
#[test]
fn a_listing_that_repeats_its_continuation_token_is_an_error_not_a_loop() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&requests);
    std::thread::spawn(move || {
        for (page, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            seen.lock()
                .unwrap()
                .push(head.lines().next().unwrap_or("").to_string());
            let body = format!(
                r#"{{"IsTruncated":true,"NextContinuationToken":"same","Contents":[{{"Key":"p/k{page}","Size":1,"ETag":"\"e\"","HashCrc64ecma":"1"}}]}}"#
            );
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    let config = tosupload_engine::ClientConfig {
        endpoint: format!("http://{address}"),
        region: "cn-beijing".into(),
        access_key: "AKTEST".into(),
        secret_key: "SKTEST".into(),
        ..tosupload_engine::ClientConfig::new()
    };
    let client = Client::new(config).unwrap();
    let local = tempfile::tempdir().unwrap();
    let mut request = DownloadDirRequest::new(BUCKET, "p/", local.path());
    // Nothing listed is downloaded: only the listing talks to the stand-in.
    request.include = vec!["nothing".into()];
    let error = client
        .download_dir(request, DirObservers::default())
        .unwrap_err();
    assert!(error.message.contains("again"), "{error}");
    let requests = requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0].contains("list-type=2"), "{requests:?}");
    assert!(
        requests[1].contains("continuation-token=same"),
        "{requests:?}"
    );
}

#[test]
fn the_s3_protocol_lists_signed_and_reads_its_xml() {
    // The S3 front end keeps no data and lists nothing: the request is signed with SigV4
    // and its XML answer read.
    let server = TestServer::start_with(&["--s3", "--discard"]);
    let config = tosupload_engine::ClientConfig {
        protocol: tosupload_engine::WireProtocol::S3,
        ..server.config()
    };
    let client = Client::new(config).unwrap();
    let local = tempfile::tempdir().unwrap();
    let request = DownloadDirRequest::new(BUCKET, "p/", local.path());
    let output = client
        .download_dir(request, DirObservers::default())
        .unwrap();
    assert_eq!(output.files_downloaded, 0);
    assert!(output.failures.is_empty());
    assert_eq!(server.log_of("ListObjects", 200).len(), 1);
}
