//! Giving up on a server that fails every part: once a part has failed for good, no part
//! still waiting is started, so the time to give up does not grow with the number of parts.
//! (Before, every queued part went on to spend its own whole retry budget: with a stalled
//! server, tosput took 241 s to give up on a file whose first part had failed long before.)

mod common;

use common::*;
use std::collections::BTreeSet;
use tosupload_engine::{Client, ErrorKind, Observers, UploadFileRequest};

#[test]
fn parts_waiting_in_the_queue_are_not_started_after_a_part_failed_for_good() {
    let server = TestServer::start();
    let mut config = server.config();
    config.max_retry_count = 1;
    let client = Client::new(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let parts = 12u64;
    let file = write_file(
        dir.path(),
        "twelve-parts.bin",
        &pattern(parts * 5 * MIB, 21),
    );
    server.add_fault(r#"{"op":"UploadPart","action":{"kind":"status","status":500,"code":"InternalError","message":"down"}}"#);

    let mut request = UploadFileRequest::new(BUCKET, "give-up.bin", &file);
    request.part_size = 5 * MIB;
    request.task_num = 2;
    request.checkpoint_file = Some(dir.path().join("give-up.checkpoint"));
    let error = client
        .upload_file(request, Observers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Server, "{error}");

    let tried: BTreeSet<u64> = server
        .log_of("UploadPart", 500)
        .iter()
        .filter_map(|entry| entry["part_number"].as_u64())
        .collect();
    // The two in flight when the first failed: a worker whose part failed takes no other,
    // and the coordinator empties the queue. Never all twelve.
    assert!(
        !tried.is_empty() && tried.len() <= 2,
        "parts tried against a failing server: {tried:?}"
    );
    // What was started stays resumable: the checkpoint and the multipart upload are kept.
    assert!(dir.path().join("give-up.checkpoint").exists());
    assert_eq!(server.open_uploads().len(), 1);
}
