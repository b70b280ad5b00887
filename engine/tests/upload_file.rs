//! The engine's upload of one file against the real local server: round trips, retries,
//! faults, resume, pause and abort, with outcomes read back from the server.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tos_crc64 as crc64;
use tosupload_engine::checkpoint;
use tosupload_engine::{
    CancelHook, CancelKind, Client, ClientConfig, ErrorKind, Observers, Permit, ProgressKind,
    ProgressStatus, TokenBucket, UploadEvent, UploadEventKind, UploadFileRequest,
};

#[derive(Default, Clone)]
struct Recorder {
    progress: Arc<Mutex<Vec<ProgressStatus>>>,
    events: Arc<Mutex<Vec<UploadEvent>>>,
}

impl Recorder {
    fn observers(&self) -> Observers {
        let progress = Arc::clone(&self.progress);
        let events = Arc::clone(&self.events);
        Observers {
            progress: Some(Box::new(move |p| progress.lock().unwrap().push(*p))),
            event: Some(Box::new(move |e| events.lock().unwrap().push(e.clone()))),
            ..Observers::default()
        }
    }

    fn event_kinds(&self) -> Vec<UploadEventKind> {
        self.events.lock().unwrap().iter().map(|e| e.kind).collect()
    }

    fn count(&self, kind: UploadEventKind) -> usize {
        self.event_kinds().iter().filter(|k| **k == kind).count()
    }

    /// Progress must be exact: monotonic, never past the total, increments adding up.
    fn assert_progress_exact(&self, total: u64, expect_succeed: bool) {
        let progress = self.progress.lock().unwrap();
        assert_eq!(
            progress.first().map(|p| p.kind),
            Some(ProgressKind::Started)
        );
        let mut last = progress[0].consumed_bytes;
        for p in progress.iter() {
            assert_eq!(p.total_bytes, total);
            assert!(
                p.consumed_bytes >= last,
                "progress went backwards: {progress:?}"
            );
            assert!(p.consumed_bytes <= total, "progress passed the total");
            if p.kind == ProgressKind::ReadWrite {
                assert_eq!(p.consumed_bytes - last, p.rw_once_bytes);
            }
            last = p.consumed_bytes;
        }
        let succeeded = progress
            .iter()
            .filter(|p| p.kind == ProgressKind::Succeeded)
            .count();
        assert_eq!(succeeded, usize::from(expect_succeed));
        if expect_succeed {
            assert_eq!(progress.last().unwrap().kind, ProgressKind::Succeeded);
            assert_eq!(last, total);
        }
    }
}

fn request(file: &Path, key: &str, part_mib: u64, tasks: u32) -> UploadFileRequest {
    let mut request = UploadFileRequest::new(BUCKET, key, file);
    request.part_size = part_mib * MIB;
    request.task_num = tasks;
    request
}

fn checkpoint_path(file: &Path, key: &str) -> PathBuf {
    file.with_file_name(checkpoint::file_name(file, BUCKET, key))
}

/// Pauses through the cancel hook once `parts` part-success events have been seen.
fn pause_after_parts(recorder: &Recorder, hook: &CancelHook, parts: usize) -> Observers {
    let mut observers = recorder.observers();
    let mut inner = observers.event.take().unwrap();
    let hook = hook.clone();
    let mut seen = 0;
    observers.event = Some(Box::new(move |e| {
        if e.kind == UploadEventKind::UploadPartSucceeded {
            seen += 1;
            if seen == parts {
                hook.cancel(CancelKind::Pause);
            }
        }
        inner(e)
    }));
    observers
}

#[test]
fn multipart_upload_round_trips_with_exact_progress() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(12 * MIB + 3, 1);
    let file = write_file(dir.path(), "f12.bin", &content);
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    let out = client
        .upload_file(request(&file, "dir/obj.bin", 5, 3), recorder.observers())
        .unwrap();
    assert_eq!(server.get_object("dir/obj.bin"), content);
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert!(out.etag.ends_with("-3\""), "multipart ETag {}", out.etag);
    assert_eq!(out.part_size, 5 * MIB);
    assert_eq!(
        out.location,
        format!("{}/{BUCKET}/dir/obj.bin", server.endpoint)
    );
    let mut parts = server.parts_uploaded();
    parts.sort();
    assert_eq!(parts, vec![1, 2, 3]);
    assert!(
        !checkpoint_path(&file, "dir/obj.bin").exists(),
        "checkpoint left behind"
    );
    recorder.assert_progress_exact(content.len() as u64, true);
    assert_eq!(
        recorder.count(UploadEventKind::CreateMultipartUploadSucceeded),
        1
    );
    assert_eq!(recorder.count(UploadEventKind::UploadPartSucceeded), 3);
    assert_eq!(
        recorder.count(UploadEventKind::CompleteMultipartUploadSucceeded),
        1
    );
    assert!(server.open_uploads().is_empty());
}

/// Holes are sent from zeros without being read, and the data between them is read: the
/// object must be the file, byte for byte, with islands of data at chunk and part borders.
#[test]
fn a_sparse_file_round_trips_holes_and_data() {
    use std::os::unix::fs::FileExt;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sparse.bin");
    let size = 11 * MIB + 7;
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(size).unwrap();
    let islands = [
        (0, 3000),
        (MIB - 5, 10),
        (5 * MIB - 100, 200),
        (9 * MIB, 70_000),
    ];
    for (i, (at, len)) in islands.iter().enumerate() {
        file.write_all_at(&pattern(*len, i as u64 + 1), *at)
            .unwrap();
    }
    file.write_all_at(b"end", size - 3).unwrap();
    drop(file);
    let content = std::fs::read(&path).unwrap();
    let client = Client::new(server.config()).unwrap();
    let out = client
        .upload_file(request(&path, "sparse.bin", 5, 2), Observers::default())
        .unwrap();
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert!(server.get_object("sparse.bin") == content, "object differs");

    // All hole: every chunk is past the last data (SEEK_DATA answers ENXIO).
    let empty = dir.path().join("holes.bin");
    std::fs::File::create(&empty)
        .unwrap()
        .set_len(6 * MIB + 1)
        .unwrap();
    let out = client
        .upload_file(request(&empty, "holes.bin", 5, 2), Observers::default())
        .unwrap();
    let zeros = vec![0u8; (6 * MIB + 1) as usize];
    assert_eq!(out.crc64, crc64::checksum(&zeros));
    assert!(server.get_object("holes.bin") == zeros, "object differs");
}

#[test]
fn empty_file_uploads_as_one_empty_part() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "empty", b"");
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    let mut request = request(&file, "empty.txt", 5, 4);
    request.force_multipart = true;
    let out = client.upload_file(request, recorder.observers()).unwrap();
    assert_eq!(out.crc64, 0);
    assert_eq!(server.get_object("empty.txt"), b"");
    let parts = server.log_of("UploadPart", 200);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0]["body_bytes"], 0);
    let head = server.head_object("empty.txt").unwrap();
    assert_eq!(head["content-type"], "text/plain");
    recorder.assert_progress_exact(0, true);
}

#[test]
fn a_part_that_fails_twice_with_500_is_retried_in_place() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":2,"times":2,"action":{"kind":"status","status":500,"code":"InternalError"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 2);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    client
        .upload_file(request(&file, "retry.bin", 5, 2), recorder.observers())
        .unwrap();
    assert_eq!(server.get_object("retry.bin"), content);
    assert_eq!(server.log_of("UploadPart", 500).len(), 2);
    assert_eq!(recorder.count(UploadEventKind::UploadPartRetry), 2);
    // The retried part is counted once.
    recorder.assert_progress_exact(content.len() as u64, true);
}

#[test]
fn a_connection_reset_mid_part_is_retried() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":1,"times":1,"action":{"kind":"reset","after_bytes":1048576}}"#);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(6 * MIB, 3);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    client
        .upload_file(request(&file, "reset.bin", 5, 2), recorder.observers())
        .unwrap();
    assert_eq!(server.get_object("reset.bin"), content);
    assert!(server.log().iter().any(|e| e["fault"] == "reset"));
    assert_eq!(recorder.count(UploadEventKind::UploadPartRetry), 1);
    recorder.assert_progress_exact(content.len() as u64, true);
}

#[test]
fn a_bad_part_crc_fails_keeps_the_checkpoint_and_starts_no_other_part() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":1,"action":{"kind":"bad_crc"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(7 * MIB, 4));
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    let err = client
        .upload_file(request(&file, "crc.bin", 5, 1), recorder.observers())
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::CrcMismatch, "{err}");
    let cp_path = checkpoint_path(&file, "crc.bin");
    let checkpoint::Loaded::Found(cp) = checkpoint::load(&cp_path) else {
        panic!("checkpoint not kept")
    };
    assert!(!cp.parts[0].is_completed);
    // One part at a time: once part 1 failed for good, part 2 waited in the queue and is not
    // started (engine/tests/give_up.rs has why).
    assert!(!cp.parts[1].is_completed);
    assert!(server
        .log()
        .iter()
        .all(|e| e["op"] != "UploadPart" || e["part_number"] == 1));
    assert!(server.log_of("AbortMultipartUpload", 204).is_empty());
    assert_eq!(server.open_uploads(), vec![cp.upload_id]);
    assert!(server.head_object("crc.bin").is_none());
}

#[test]
fn a_403_on_a_part_aborts_the_upload() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":2,"action":{"kind":"status","status":403,"code":"AccessDenied"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(11 * MIB, 5));
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    let err = client
        .upload_file(request(&file, "denied.bin", 5, 1), recorder.observers())
        .unwrap_err();
    assert_eq!(err.http_status(), Some(403));
    assert_eq!(err.server.as_ref().unwrap().code, "AccessDenied");
    assert_eq!(server.log_of("AbortMultipartUpload", 204).len(), 1);
    assert!(server.open_uploads().is_empty());
    assert!(!checkpoint_path(&file, "denied.bin").exists());
    assert_eq!(recorder.count(UploadEventKind::UploadPartAborted), 1);
    // Not retried: a 403 will not change.
    assert_eq!(server.log_of("UploadPart", 403).len(), 1);
}

#[test]
fn pause_then_resume_sends_no_part_twice() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(26 * MIB, 6);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let first = Recorder::default();
    let mut req = request(&file, "paused.bin", 5, 1);
    req.cancel = Some(hook.clone());
    let err = client
        .upload_file(req, pause_after_parts(&first, &hook, 2))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Paused);
    let cp_path = checkpoint_path(&file, "paused.bin");
    let checkpoint::Loaded::Found(cp) = checkpoint::load(&cp_path) else {
        panic!("checkpoint missing after pause")
    };
    assert_eq!(cp.parts.iter().filter(|p| p.is_completed).count(), 2);
    first.assert_progress_exact(content.len() as u64, false);
    let paused_at = server.last_seq();

    let second = Recorder::default();
    let out = client
        .upload_file(request(&file, "paused.bin", 5, 1), second.observers())
        .unwrap();
    assert_eq!(out.upload_id, cp.upload_id);
    assert_eq!(server.get_object("paused.bin"), content);
    // Parts recorded as done are never sent again, and a part that reached the server
    // just as the pause came (unrecorded) is recognised by its MD5 rather than re-sent.
    let resent = server.parts_uploaded_since(paused_at);
    assert!(!resent.contains(&1) && !resent.contains(&2), "{resent:?}");
    assert_eq!(
        server.parts_uploaded(),
        vec![1, 2, 3, 4, 5, 6],
        "a part was sent twice"
    );
    assert_eq!(second.count(UploadEventKind::UploadResumed), 1);
    assert_eq!(
        second.count(UploadEventKind::CreateMultipartUploadSucceeded),
        0
    );
    // The resumed call starts from the bytes already on the server.
    assert_eq!(second.progress.lock().unwrap()[0].consumed_bytes, 10 * MIB);
    second.assert_progress_exact(content.len() as u64, true);
    assert!(!cp_path.exists());
}

#[test]
fn abort_deletes_the_upload_and_the_checkpoint() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(16 * MIB, 7));
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let recorder = Recorder::default();
    let mut observers = recorder.observers();
    let abort = hook.clone();
    observers.event = Some(Box::new(move |e| {
        if e.kind == UploadEventKind::UploadPartSucceeded {
            abort.cancel(CancelKind::Abort);
        }
    }));
    let mut req = request(&file, "aborted.bin", 5, 1);
    req.cancel = Some(hook);
    let err = client.upload_file(req, observers).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Aborted);
    assert_eq!(server.log_of("AbortMultipartUpload", 204).len(), 1);
    assert!(server.open_uploads().is_empty());
    assert!(!checkpoint_path(&file, "aborted.bin").exists());
    assert!(server.head_object("aborted.bin").is_none());
}

#[test]
fn a_changed_file_aborts_the_old_upload_and_starts_fresh() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(12 * MIB, 8));
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request(&file, "changed.bin", 5, 1);
    req.cancel = Some(hook.clone());
    let err = client
        .upload_file(req, pause_after_parts(&Recorder::default(), &hook, 1))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Paused);
    let old_upload = server.open_uploads();
    assert_eq!(old_upload.len(), 1);

    let new_content = pattern(13 * MIB, 9);
    std::fs::write(&file, &new_content).unwrap();
    let recorder = Recorder::default();
    let out = client
        .upload_file(request(&file, "changed.bin", 5, 1), recorder.observers())
        .unwrap();
    assert_ne!(out.upload_id, old_upload[0]);
    assert_eq!(server.get_object("changed.bin"), new_content);
    let aborted = server.log_of("AbortMultipartUpload", 204);
    assert_eq!(aborted.len(), 1);
    assert_eq!(aborted[0]["upload_id"], old_upload[0].as_str());
    assert_eq!(recorder.count(UploadEventKind::CheckpointDiscarded), 1);
    assert!(server.open_uploads().is_empty());
}

#[test]
fn a_corrupt_checkpoint_is_reported_and_replaced() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(6 * MIB, 10);
    let file = write_file(dir.path(), "f", &content);
    let cp_path = checkpoint_path(&file, "corrupt.bin");
    std::fs::write(&cp_path, b"{\"Bucket\": \"test-bucket\", truncated").unwrap();
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    client
        .upload_file(request(&file, "corrupt.bin", 5, 2), recorder.observers())
        .unwrap();
    assert_eq!(server.get_object("corrupt.bin"), content);
    let events = recorder.events.lock().unwrap();
    let discarded = events
        .iter()
        .find(|e| e.kind == UploadEventKind::CheckpointDiscarded)
        .expect("no CheckpointDiscarded event");
    assert_eq!(
        discarded.error.as_ref().unwrap().kind,
        ErrorKind::CheckpointIo
    );
}

#[test]
fn resume_reconciles_with_the_server_and_resends_parts_it_lacks() {
    let server = TestServer::start();
    // Part 3's first attempt stalls, so it is not on the server when the pause comes.
    server.add_fault(
        r#"{"op":"UploadPart","part_number":3,"times":1,"action":{"kind":"stall","ms":30000}}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(21 * MIB, 11);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request(&file, "reconcile.bin", 5, 1);
    req.cancel = Some(hook.clone());
    client
        .upload_file(req, pause_after_parts(&Recorder::default(), &hook, 2))
        .unwrap_err();
    // The checkpoint claims part 3 too, with an ETag the server never gave.
    let cp_path = checkpoint_path(&file, "reconcile.bin");
    let checkpoint::Loaded::Found(mut cp) = checkpoint::load(&cp_path) else {
        panic!()
    };
    cp.parts[2].is_completed = true;
    cp.parts[2].etag = "\"0123456789abcdef0123456789abcdef\"".into();
    cp.parts[2].crc64 = 42;
    checkpoint::save(&cp_path, &cp).unwrap();
    let paused_at = server.last_seq();

    client
        .upload_file(request(&file, "reconcile.bin", 5, 1), Observers::default())
        .unwrap();
    assert_eq!(server.get_object("reconcile.bin"), content);
    assert_eq!(server.parts_uploaded_since(paused_at), vec![3, 4, 5]);
    assert_eq!(server.log_of("ListParts", 200).len(), 1);
}

#[test]
fn a_vanished_upload_on_resume_starts_fresh() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 12);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request(&file, "gone.bin", 5, 1);
    req.cancel = Some(hook.clone());
    client
        .upload_file(req, pause_after_parts(&Recorder::default(), &hook, 1))
        .unwrap_err();
    server.add_fault(r#"{"op":"ListParts","times":1,"action":{"kind":"status","status":404,"code":"NoSuchUpload"}}"#);
    let recorder = Recorder::default();
    client
        .upload_file(request(&file, "gone.bin", 5, 1), recorder.observers())
        .unwrap();
    assert_eq!(server.get_object("gone.bin"), content);
    assert_eq!(recorder.count(UploadEventKind::CheckpointDiscarded), 1);
    assert_eq!(
        recorder.count(UploadEventKind::CreateMultipartUploadSucceeded),
        1
    );
}

/// Pauses an upload of 11 MiB after one part, lets `change` replace the file's bytes (same
/// size, and the same mtime seconds), and resumes: the checkpoint must be found stale, so the
/// new bytes go up whole under a new upload, never spliced onto the paused one's parts.
fn resume_after_a_change_only_the_checkpoint_can_see(key: &str, change: impl FnOnce(&Path, &[u8])) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(11 * MIB, 21));
    // A whole second plus nanoseconds, so the change below can keep the seconds.
    let recorded = std::time::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(recorded)
        .unwrap();
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request(&file, key, 5, 1);
    req.cancel = Some(hook.clone());
    client
        .upload_file(req, pause_after_parts(&Recorder::default(), &hook, 1))
        .unwrap_err();
    assert!(checkpoint_path(&file, key).exists());
    let paused_upload = server.open_uploads();
    let new_content = pattern(11 * MIB, 22);
    change(&file, &new_content);

    let recorder = Recorder::default();
    client
        .upload_file(request(&file, key, 5, 1), recorder.observers())
        .unwrap();
    // Not assert_eq: 11 MiB printed twice says less than this.
    assert!(
        server.get_object(key) == new_content,
        "the object is not the new file: the old upload's parts were kept"
    );
    assert_eq!(recorder.count(UploadEventKind::CheckpointDiscarded), 1);
    assert_eq!(
        recorder.count(UploadEventKind::CreateMultipartUploadSucceeded),
        1
    );
    // The stale upload is not left open beside the new object.
    for upload in paused_upload {
        assert!(
            !server.open_uploads().contains(&upload),
            "{upload} left open"
        );
    }
}

#[test]
fn a_file_changed_within_the_same_second_is_not_resumed() {
    resume_after_a_change_only_the_checkpoint_can_see("nanos.bin", |file, content| {
        std::fs::write(file, content).unwrap();
        // Same size, same inode, same mtime seconds: only the nanoseconds tell.
        let same_second = std::time::UNIX_EPOCH + Duration::new(1_700_000_000, 987_654_321);
        std::fs::File::options()
            .write(true)
            .open(file)
            .unwrap()
            .set_modified(same_second)
            .unwrap();
    });
}

#[test]
fn a_file_replaced_by_another_with_the_same_size_and_mtime_is_not_resumed() {
    resume_after_a_change_only_the_checkpoint_can_see("inode.bin", |file, content| {
        // Written beside and renamed over, with the very mtime of the first: only the inode
        // tells.
        let mtime = std::fs::metadata(file).unwrap().modified().unwrap();
        let replacement = file.with_extension("new");
        std::fs::write(&replacement, content).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&replacement)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        std::fs::rename(&replacement, file).unwrap();
        assert_eq!(std::fs::metadata(file).unwrap().modified().unwrap(), mtime);
    });
}

#[test]
fn a_go_sdk_checkpoint_resumes() {
    let server = TestServer::start();
    // Part 2's first attempt stalls, so only part 1 is on the server when the pause comes.
    server.add_fault(
        r#"{"op":"UploadPart","part_number":2,"times":1,"action":{"kind":"stall","ms":30000}}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(12 * MIB + 3, 13);
    let file = write_file(dir.path(), "f12.bin", &content);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request(&file, "dir/obj.bin", 5, 1);
    req.cancel = Some(hook.clone());
    client
        .upload_file(req, pause_after_parts(&Recorder::default(), &hook, 1))
        .unwrap_err();
    let cp_path = checkpoint_path(&file, "dir/obj.bin");
    let checkpoint::Loaded::Found(ours) = checkpoint::load(&cp_path) else {
        panic!()
    };
    // Rewrite it exactly as the Go SDK v2.9.9 writes it (engine/tests/fixtures/go_checkpoint.json).
    let meta = std::fs::metadata(&file).unwrap();
    let go = include_str!("fixtures/go_checkpoint.json")
        .replace("@UPLOAD_ID@", &ours.upload_id)
        .replace("@FILE_PATH@", file.to_str().unwrap())
        .replace(
            "@MTIME@",
            &std::os::unix::fs::MetadataExt::mtime(&meta).to_string(),
        )
        .replace("@ETAG1@", &ours.parts[0].etag.replace('"', "\\\""))
        .replace("@CRC1@", &ours.parts[0].crc64.to_string());
    assert!(!go.contains("LastModifiedNanos"));
    std::fs::write(&cp_path, go).unwrap();
    let paused_at = server.last_seq();

    let recorder = Recorder::default();
    let out = client
        .upload_file(request(&file, "dir/obj.bin", 5, 1), recorder.observers())
        .unwrap();
    assert_eq!(out.upload_id, ours.upload_id);
    assert_eq!(server.get_object("dir/obj.bin"), content);
    assert_eq!(server.parts_uploaded_since(paused_at), vec![2, 3]);
}

#[test]
fn a_file_changed_during_the_upload_is_never_completed() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(11 * MIB, 14));
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    let mut observers = recorder.observers();
    let target = file.clone();
    let mut touched = false;
    observers.event = Some(Box::new(move |e| {
        if e.kind == UploadEventKind::UploadPartSucceeded && !touched {
            touched = true;
            // Same size, new content and mtime.
            std::fs::write(&target, pattern(11 * MIB, 15)).unwrap();
        }
    }));
    let err = client
        .upload_file(request(&file, "mixed.bin", 5, 1), observers)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::FileChanged, "{err}");
    assert!(server.log_of("CompleteMultipartUpload", 200).is_empty());
    assert!(server.head_object("mixed.bin").is_none());
    assert!(
        server.open_uploads().is_empty(),
        "the mixed upload was left open"
    );
}

#[test]
fn pause_and_abort_stop_in_flight_parts_quickly() {
    let server = TestServer::start();
    // Every part stalls in mid-body, so requests are in flight when the cancel comes.
    server.add_fault(
        r#"{"op":"UploadPart","action":{"kind":"stall","ms":30000,"after_bytes":65536}}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(20 * MIB, 16));
    let client = Arc::new(Client::new(server.config()).unwrap());
    for kind in [CancelKind::Pause, CancelKind::Abort] {
        let hook = CancelHook::new();
        let canceller = hook.clone();
        let cancelled_at = Arc::new(Mutex::new(None));
        let stamp = Arc::clone(&cancelled_at);
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            *stamp.lock().unwrap() = Some(Instant::now());
            canceller.cancel(kind);
        });
        let mut req = request(&file, "stalled.bin", 5, 4);
        req.cancel = Some(hook);
        let err = client.upload_file(req, Observers::default()).unwrap_err();
        let returned = Instant::now();
        thread.join().unwrap();
        let latency = returned - cancelled_at.lock().unwrap().unwrap();
        let expected = if kind == CancelKind::Pause {
            ErrorKind::Paused
        } else {
            ErrorKind::Aborted
        };
        assert_eq!(err.kind, expected);
        assert!(latency < CANCEL_RETURNS_WITHIN, "{kind:?} took {latency:?}");
    }
    assert!(server.open_uploads().is_empty());
}

#[test]
fn a_shared_token_bucket_limits_the_rate() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(12 * MIB, 17);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    // 4 MiB/s with a 1 MiB burst: 12 MiB needs at least about 2.75 s.
    let bucket = Arc::new(TokenBucket::new(4 * MIB, MIB));
    let observers = Observers {
        shared_limiter: Some(bucket),
        ..Observers::default()
    };
    let started = Instant::now();
    client
        .upload_file(request(&file, "limited.bin", 5, 3), observers)
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    assert!((2.6..6.0).contains(&elapsed), "took {elapsed:.2} s");
    assert_eq!(server.get_object("limited.bin"), content);
}

#[test]
fn the_limiter_callback_is_asked_before_every_byte() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(6 * MIB + 5, 18);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&asked);
    let mut first = true;
    let observers = Observers {
        acquire: Some(Box::new(move |want| {
            log.lock().unwrap().push(want);
            if std::mem::take(&mut first) {
                Permit::RetryAfter(Duration::from_millis(5))
            } else {
                Permit::Granted
            }
        })),
        ..Observers::default()
    };
    client
        .upload_file(request(&file, "asked.bin", 5, 2), observers)
        .unwrap();
    let asked = asked.lock().unwrap();
    // The first ask was refused and repeated; every other ask was granted once.
    let granted: u64 = asked.iter().skip(1).sum();
    assert_eq!(granted, content.len() as u64);
    assert!(asked.iter().all(|w| *w <= 32 * 1024));
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", b"hello");
    std::fs::write(dir.path().join("plain"), b"x").unwrap();
    let client = Client::new(server.config()).unwrap();
    let cases: Vec<(UploadFileRequest, ErrorKind)> = vec![
        (
            UploadFileRequest::new("Bad_Bucket", "k", &file),
            ErrorKind::InvalidBucket,
        ),
        (
            UploadFileRequest::new(BUCKET, "", &file),
            ErrorKind::InvalidKey,
        ),
        (request(&file, "k", 4, 1), ErrorKind::InvalidPartSize),
        (
            request(&file, "k", 5 * 1024 + 1, 1),
            ErrorKind::InvalidPartSize,
        ),
        (
            UploadFileRequest::new(BUCKET, "k", dir.path().join("missing")),
            ErrorKind::FileNotFound,
        ),
        (
            UploadFileRequest::new(BUCKET, "k", dir.path()),
            ErrorKind::FileIsDirectory,
        ),
        (
            {
                let mut r = UploadFileRequest::new(BUCKET, "k", &file);
                r.checkpoint_file = Some(dir.path().join("plain/cp"));
                r
            },
            ErrorKind::CheckpointPathInvalid,
        ),
        (
            {
                let mut r = UploadFileRequest::new(BUCKET, "k", &file);
                r.attributes.acl = Some("everyone".into());
                r
            },
            ErrorKind::InvalidArgument,
        ),
        (
            {
                let mut r = UploadFileRequest::new(BUCKET, "k", &file);
                r.attributes.ssec_algorithm = Some("AES256".into());
                r
            },
            ErrorKind::InvalidArgument,
        ),
    ];
    for (req, expected) in cases {
        let err = client.upload_file(req, Observers::default()).unwrap_err();
        assert_eq!(err.kind, expected, "{err}");
        assert!(!err.message.is_empty());
    }
    assert!(server.log().is_empty(), "a request reached the server");
}

#[test]
fn create_attributes_reach_the_object() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(1024, 19));
    let client = Client::new(server.config()).unwrap();
    let mut req = request(&file, "report.pdf", 5, 1);
    req.attributes.cache_control = Some("no-cache".into());
    req.attributes.meta = vec![("owner".into(), "team a".into())];
    req.attributes.storage_class = Some("IA".into());
    client.upload_file(req, Observers::default()).unwrap();
    let head = server.head_object("report.pdf").unwrap();
    assert_eq!(head["content-type"], "application/pdf");
    assert_eq!(head["cache-control"], "no-cache");
    assert_eq!(head["x-tos-meta-owner"], "team%20a");
    assert_eq!(head["x-tos-storage-class"], "IA");
}

#[test]
fn debug_logs_carry_request_ids_but_never_secrets() {
    use tosupload_engine::logger::{set_sink, Level};
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_lines = Arc::clone(&lines);
    set_sink(
        Some(Arc::new(move |level, message: &str| {
            sink_lines
                .lock()
                .unwrap()
                .push(format!("{level:?} {message}"))
        })),
        Level::Trace,
    );
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":1,"times":1,"action":{"kind":"status","status":503,"code":"ServiceUnavailable"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(6 * MIB, 20));
    let client = Client::new(server.config()).unwrap();
    client
        .upload_file(request(&file, "logged.bin", 5, 1), Observers::default())
        .unwrap();
    let lines = lines.lock().unwrap().clone();
    let ours: Vec<&String> = lines.iter().filter(|l| l.contains("logged.bin")).collect();
    assert!(ours
        .iter()
        .any(|l| l.contains("UploadPart") && l.contains("request id")));
    assert!(ours.iter().any(|l| l.contains("will be retried")));
    for line in &lines {
        assert!(!line.contains("SKTEST"), "secret key in log: {line}");
        assert!(!line.contains("Signature="), "signature in log: {line}");
        assert!(!line.contains("Authorization"), "header in log: {line}");
    }
}

#[test]
fn tls_certificates_are_verified_unless_told_otherwise() {
    let server = TestServer::start_with(&["--tls-self-signed"]);
    assert!(server.endpoint.starts_with("https://"));
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(6 * MIB, 21);
    let file = write_file(dir.path(), "f", &content);

    // Verification is on by default: a self-signed certificate is refused before any request.
    let client = Client::new(server.config()).unwrap();
    let err = client
        .upload_file(request(&file, "tls.bin", 5, 2), Observers::default())
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Network, "{err}");
    let cause = err.cause.clone().unwrap_or_default().to_lowercase();
    assert!(cause.contains("certificate"), "{cause}");
    assert!(
        server.log().is_empty(),
        "a request got through: {:?}",
        server.log()
    );

    let insecure = Client::new(ClientConfig {
        verify_tls: false,
        ..server.config()
    })
    .unwrap();
    insecure
        .upload_file(request(&file, "tls.bin", 5, 2), Observers::default())
        .unwrap();
    assert_eq!(server.get_object("tls.bin"), content);
}

#[test]
fn the_upload_id_is_on_disk_before_any_part_is_sent() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(11 * MIB, 22));
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let pause = hook.clone();
    let observers = Observers {
        event: Some(Box::new(move |e| {
            if e.kind == UploadEventKind::CreateMultipartUploadSucceeded {
                pause.cancel(CancelKind::Pause);
            }
        })),
        ..Observers::default()
    };
    let mut req = request(&file, "early.bin", 5, 2);
    req.cancel = Some(hook);
    let err = client.upload_file(req, observers).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Paused);
    let checkpoint::Loaded::Found(cp) = checkpoint::load(&checkpoint_path(&file, "early.bin"))
    else {
        panic!("no checkpoint after Create")
    };
    assert_eq!(server.open_uploads(), vec![cp.upload_id.clone()]);
    assert!(cp.parts.iter().all(|p| !p.is_completed));
}

#[test]
fn retry_after_is_honoured() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":1,"times":1,"action":{"kind":"status","status":503,"code":"ServiceUnavailable","retry_after":1}}"#);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(1024, 23);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let started = Instant::now();
    let mut request = request(&file, "later.bin", 5, 1);
    request.force_multipart = true;
    client.upload_file(request, Observers::default()).unwrap();
    // Backoff alone would wait about 100 ms; the server asked for a second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.get_object("later.bin"), content);
}

#[test]
fn a_whole_object_crc_mismatch_keeps_the_checkpoint() {
    let server = TestServer::start();
    // Both Complete's reply and the stored object's CRC disagree with what was sent.
    server.add_fault(r#"{"op":"CompleteMultipartUpload","action":{"kind":"bad_crc"}}"#);
    server.add_fault(r#"{"op":"HeadObject","action":{"kind":"bad_crc"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(6 * MIB, 24));
    let client = Client::new(server.config()).unwrap();
    let recorder = Recorder::default();
    let err = client
        .upload_file(request(&file, "whole.bin", 5, 2), recorder.observers())
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::CrcMismatch, "{err}");
    assert!(err.message.contains("left there"), "{err}");
    assert!(checkpoint_path(&file, "whole.bin").exists());
    assert_eq!(
        recorder.count(UploadEventKind::CompleteMultipartUploadFailed),
        1
    );
    assert_eq!(
        recorder.count(UploadEventKind::CompleteMultipartUploadSucceeded),
        0
    );
    recorder.assert_progress_exact(6 * MIB, false);
}

#[test]
fn a_part_the_checkpoint_missed_is_recognised_not_resent() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(16 * MIB, 25);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request(&file, "adopted.bin", 5, 1);
    req.cancel = Some(hook.clone());
    client
        .upload_file(req, pause_after_parts(&Recorder::default(), &hook, 2))
        .unwrap_err();
    // As if the process died after part 2 succeeded but before the checkpoint said so.
    let cp_path = checkpoint_path(&file, "adopted.bin");
    let checkpoint::Loaded::Found(mut cp) = checkpoint::load(&cp_path) else {
        panic!()
    };
    cp.parts[1].is_completed = false;
    cp.parts[1].etag.clear();
    cp.parts[1].crc64 = 0;
    checkpoint::save(&cp_path, &cp).unwrap();
    let paused_at = server.last_seq();

    let out = client
        .upload_file(request(&file, "adopted.bin", 5, 1), Observers::default())
        .unwrap();
    assert_eq!(server.get_object("adopted.bin"), content);
    assert_eq!(out.crc64, crc64::checksum(&content));
    let resent = server.parts_uploaded_since(paused_at);
    assert!(!resent.contains(&2), "part 2 was sent again: {resent:?}");
    assert_eq!(server.parts_uploaded(), vec![1, 2, 3, 4]);
}

#[test]
fn one_client_serves_uploads_from_many_threads_with_callbacks_on_each_callers_thread() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let client = Arc::new(Client::new(server.config()).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|i| {
            let content = pattern(7 * MIB + i, 30 + i);
            let file = write_file(dir.path(), &format!("f{i}"), &content);
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                let caller = std::thread::current().id();
                let foreign = Arc::new(Mutex::new(0));
                let (on_progress, on_event) = (Arc::clone(&foreign), Arc::clone(&foreign));
                let observers = Observers {
                    progress: Some(Box::new(move |_| {
                        if std::thread::current().id() != caller {
                            *on_progress.lock().unwrap() += 1;
                        }
                    })),
                    event: Some(Box::new(move |_| {
                        if std::thread::current().id() != caller {
                            *on_event.lock().unwrap() += 1;
                        }
                    })),
                    ..Observers::default()
                };
                let key = format!("threads/{i}.bin");
                let out = client
                    .upload_file(request(&file, &key, 5, 2), observers)
                    .unwrap();
                assert_eq!(out.crc64, crc64::checksum(&content));
                let foreign_calls = *foreign.lock().unwrap();
                (key, content, foreign_calls)
            })
        })
        .collect();
    for thread in threads {
        let (key, content, foreign_calls) = thread.join().unwrap();
        assert_eq!(foreign_calls, 0, "{key}: callbacks ran on another thread");
        assert_eq!(server.get_object(&key), content);
    }
}

/// A CRC damaged in Complete's reply only is checked against the stored object (HeadObject),
/// which is intact: the upload succeeds.
#[test]
fn a_damaged_crc_in_completes_reply_is_checked_against_the_object() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"bad_crc"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(6 * MIB, 26);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let out = client
        .upload_file(request(&file, "damaged.bin", 5, 2), Observers::default())
        .unwrap();
    assert_eq!(out.crc64, tos_crc64::checksum(&content));
    assert_eq!(server.get_object("damaged.bin"), content);
    assert_eq!(server.log_of("HeadObject", 200).len(), 1);
    assert!(!checkpoint_path(&file, "damaged.bin").exists());
}
