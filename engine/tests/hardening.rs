//! What the engine does when the world misbehaves: replies lost, processes killed at the
//! worst moment, recorded state that cannot be trusted. Each test checks the outcome on the
//! server (its request log and stored bytes) and on disk.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tosupload_engine::checkpoint;
use tosupload_engine::{
    Client, DirObservers, ErrorKind, Observers, UploadDirRequest, UploadFileRequest,
};

fn request(file: &Path, key: &str) -> UploadFileRequest {
    let mut request = UploadFileRequest::new(BUCKET, key, file);
    request.part_size = 5 * MIB;
    request.task_num = 3;
    request
}

fn checkpoint_path(file: &Path, key: &str) -> PathBuf {
    file.with_file_name(checkpoint::file_name(file, BUCKET, key))
}

#[test]
fn a_lost_complete_reply_ends_in_success_without_resending() {
    let server = TestServer::start();
    server
        .add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"drop_reply"}}"#);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(12 * MIB, 31);
    let file = write_file(dir.path(), "f", &content);
    let client = Client::new(server.config()).unwrap();
    let out = client
        .upload_file(request(&file, "lost.bin"), Observers::default())
        .unwrap();
    assert_eq!(server.get_object("lost.bin"), content);
    assert_eq!(out.crc64, tos_crc64::checksum(&content));
    assert_eq!(
        server.parts_uploaded(),
        vec![1, 2, 3],
        "each part sent once"
    );
    assert!(!checkpoint_path(&file, "lost.bin").exists());
    assert!(server.open_uploads().is_empty());
}

#[test]
fn a_crash_while_the_server_completes_resumes_with_nothing_resent() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 32);
    let file = write_file(dir.path(), "f", &content);
    let cp_path = checkpoint_path(&file, "crash.bin");
    let client = Client::new(server.config()).unwrap();
    // Every part sent and recorded, Complete refused: the checkpoint a crash during Complete
    // leaves behind.
    server.add_fault(r#"{"op":"CompleteMultipartUpload","action":{"kind":"status","status":400,"code":"InvalidRequest"}}"#);
    client
        .upload_file(request(&file, "crash.bin"), Observers::default())
        .unwrap_err();
    let recorded = std::fs::read(&cp_path).unwrap();
    server.clear_faults();
    // The server completes it; the process "dies" before removing its checkpoint.
    client
        .upload_file(request(&file, "crash.bin"), Observers::default())
        .unwrap();
    std::fs::write(&cp_path, recorded).unwrap();
    let seq = server.last_seq();

    let out = client
        .upload_file(request(&file, "crash.bin"), Observers::default())
        .unwrap();
    assert_eq!(out.bytes_sent, 0);
    assert_eq!(out.crc64, tos_crc64::checksum(&content));
    assert!(
        server.parts_uploaded_since(seq).is_empty(),
        "no part re-sent"
    );
    let completes = server
        .log_of("CompleteMultipartUpload", 200)
        .iter()
        .filter(|e| e["seq"].as_u64().unwrap() > seq)
        .count();
    assert_eq!(completes, 0, "nothing completed again");
    assert!(!cp_path.exists());
    assert_eq!(server.get_object("crash.bin"), content);
}

#[test]
fn a_gone_upload_whose_object_differs_starts_over() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(11 * MIB, 33));
    let cp_path = checkpoint_path(&file, "other.bin");
    let client = Client::new(server.config()).unwrap();
    server.add_fault(r#"{"op":"CompleteMultipartUpload","action":{"kind":"status","status":400,"code":"InvalidRequest"}}"#);
    client
        .upload_file(request(&file, "other.bin"), Observers::default())
        .unwrap_err();
    server.clear_faults();
    // Someone else's object under the key, and the recorded upload gone.
    let checkpoint::Loaded::Found(mut cp) = checkpoint::load(&cp_path) else {
        panic!("no checkpoint");
    };
    cp.upload_id = "f".repeat(32);
    checkpoint::save(&cp_path, &cp).unwrap();
    let other = write_file(dir.path(), "g", &pattern(11 * MIB, 34));
    client
        .upload_file(request(&other, "other.bin"), Observers::default())
        .unwrap();
    let seq = server.last_seq();
    let out = client
        .upload_file(request(&file, "other.bin"), Observers::default())
        .unwrap();
    assert_eq!(server.parts_uploaded_since(seq), vec![1, 2, 3]);
    assert_eq!(out.bytes_sent, 11 * MIB);
    assert_eq!(
        server.get_object("other.bin"),
        std::fs::read(&file).unwrap()
    );
}

#[test]
fn a_server_that_stops_reading_a_part_is_reported_after_the_idle_timeouts() {
    let server = TestServer::start();
    server.add_fault(
        r#"{"op":"UploadPart","action":{"kind":"stall","ms":60000,"after_bytes":1048576}}"#,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(6 * MIB, 35));
    let mut config = server.config();
    config.idle_timeout = Duration::from_secs(1);
    config.max_retry_count = 1;
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let err = client
        .upload_file(request(&file, "stall.bin"), Observers::default())
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(err.message.contains("UploadPart"), "{err}");
    assert!(err.message.contains("127.0.0.1:"), "names the host: {err}");
    // Two attempts of one idle second each, plus one backoff; far below the stall.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(checkpoint_path(&file, "stall.bin").exists());
}

#[test]
fn a_server_that_never_answers_is_reported_within_the_request_budget() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"CompleteMultipartUpload","action":{"kind":"stall","ms":60000}}"#);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "f", &pattern(MIB, 36));
    let mut config = server.config();
    config.idle_timeout = Duration::from_secs(10);
    config.request_budget = Duration::from_secs(2);
    let client = Client::new(config).unwrap();
    let started = Instant::now();
    let mut request = request(&file, "silent.bin");
    request.force_multipart = true;
    let err = client
        .upload_file(request, Observers::default())
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert!(
        err.message.contains("CompleteMultipartUpload") && err.message.contains("budget"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn a_folder_rerun_after_a_kill_between_complete_and_journal_resends_nothing() {
    let server = TestServer::start();
    let tree = tempfile::tempdir().unwrap();
    let checkpoints = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 37);
    let big = write_file(tree.path(), "big.bin", &content);
    let client = Client::new(server.config()).unwrap();
    let mut dir_request = UploadDirRequest::new(BUCKET, "tree/", tree.path());
    dir_request.part_size = 5 * MIB;
    dir_request.checkpoint_dir = Some(checkpoints.path().to_path_buf());

    // A folder upload leaves no checkpoint beside its journal once it is done.
    client
        .upload_dir(dir_request.clone(), DirObservers::default())
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(checkpoints.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".upload"))
        .collect();
    assert!(left.is_empty(), "checkpoints left: {left:?}");

    // The state a kill between Complete and the journal's record leaves: the object is there,
    // its checkpoint too, and the journal does not know the file.
    let cp_name = checkpoint::file_name(&big, BUCKET, "tree/big.bin");
    let mut file_request = request(&big, "tree/big.bin");
    file_request.checkpoint_file = Some(checkpoints.path().join(&cp_name));
    server.add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"status","status":400,"code":"InvalidRequest"}}"#);
    client
        .upload_file(file_request.clone(), Observers::default())
        .unwrap_err();
    let recorded = std::fs::read(checkpoints.path().join(&cp_name)).unwrap();
    client
        .upload_file(file_request, Observers::default())
        .unwrap();
    std::fs::write(checkpoints.path().join(&cp_name), recorded).unwrap();
    for entry in std::fs::read_dir(checkpoints.path()).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".upload") {
            std::fs::remove_file(path).unwrap(); // the journal: it never recorded the file
        }
    }
    let seq = server.last_seq();
    let out = client
        .upload_dir(dir_request, DirObservers::default())
        .unwrap();
    assert_eq!(out.files_uploaded, 1);
    assert!(
        server.parts_uploaded_since(seq).is_empty(),
        "no part re-sent"
    );
    assert_eq!(server.get_object("tree/big.bin"), content);
}
