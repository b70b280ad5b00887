//! The whole object's CRC-64/NVME of multipart S3 uploads, against the local server's S3
//! front end, which answers as SeaweedFS does (docs/s3-stores.md): an upload created with
//! `x-amz-checksum-algorithm: CRC64NVME` must list each part's checksum in Complete, whose
//! reply (and HEAD) carries the whole object's, which the client compares with the one
//! combined from its parts'.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use tosupload_engine::checkpoint;
use tosupload_engine::{
    CancelHook, CancelKind, Client, ClientConfig, ErrorKind, Observers, S3Checksum,
    UploadEventKind, UploadFileRequest, UploadStreamRequest, WireProtocol,
};

fn s3_config(server: &TestServer, mode: S3Checksum) -> ClientConfig {
    ClientConfig {
        protocol: WireProtocol::S3,
        s3_checksum: mode,
        ..server.config()
    }
}

fn request(file: &Path, key: &str) -> UploadFileRequest {
    let mut request = UploadFileRequest::new(BUCKET, key, file);
    request.part_size = 5 * MIB;
    request.task_num = 2;
    request
}

fn nvme_text(data: &[u8]) -> String {
    use base64::Engine;
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, data);
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// HEAD's `x-amz-checksum-crc64nvme`, when the object has one.
fn stored_nvme(server: &TestServer, key: &str) -> Option<String> {
    let (status, headers) = server.s3_head(key);
    assert_eq!(status, 200, "HEAD {key}");
    let value = headers.get("x-amz-checksum-crc64nvme")?;
    Some(value.to_str().unwrap().to_string())
}

fn checkpoint_path(file: &Path, key: &str) -> PathBuf {
    file.with_file_name(checkpoint::file_name(file, BUCKET, key))
}

/// Uploads `file` one part at a time and pauses it once `parts` parts have succeeded.
fn pause_after_parts(client: &Client, file: &Path, key: &str, parts: usize) {
    let hook = CancelHook::new();
    let mut req = request(file, key);
    req.task_num = 1;
    req.cancel = Some(hook.clone());
    let mut seen = 0;
    let observers = Observers {
        event: Some(Box::new(move |e| {
            if e.kind == UploadEventKind::UploadPartSucceeded {
                seen += 1;
                if seen == parts {
                    hook.cancel(CancelKind::Pause);
                }
            }
        })),
        ..Observers::default()
    };
    let error = client.upload_file(req, observers).unwrap_err();
    assert_eq!(error.kind, ErrorKind::Paused);
}

/// Under every mode that sends each part's CRC-64/NVME, a file's and a stream's multipart
/// uploads declare the algorithm, so the object the store keeps has the file's CRC-64/NVME;
/// under CONTENT_MD5 and NONE nothing is declared (the store would require part checksums
/// the client does not have).
#[test]
fn multipart_uploads_declare_crc64nvme_and_the_object_keeps_the_files() {
    let server = TestServer::start_with(&["--s3", "--discard"]);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(12 * MIB + 3, 41);
    let file = write_file(dir.path(), "f.bin", &content);
    for (mode, declared) in [
        (S3Checksum::Auto, true),
        (S3Checksum::Trailer, true),
        (S3Checksum::Header, true),
        (S3Checksum::ContentMd5, false),
        (S3Checksum::None, false),
    ] {
        let client = Client::new(s3_config(&server, mode)).unwrap();
        let key = format!("file-{mode:?}");
        client
            .upload_file(request(&file, &key), Observers::default())
            .unwrap();
        let want = declared.then(|| nvme_text(&content));
        assert_eq!(stored_nvme(&server, &key), want, "{mode:?}");

        let key = format!("stream-{mode:?}");
        let mut stream = UploadStreamRequest::new(BUCKET, &key);
        stream.part_size = 5 * MIB;
        client
            .upload_stream(stream, &mut &content[..], Observers::default())
            .unwrap();
        assert_eq!(stored_nvme(&server, &key), want, "stream {mode:?}");
    }
    // Every Complete of a declared upload listed the parts' checksums (the server refuses
    // it otherwise), and none was refused.
    assert!(server.log_of("CompleteMultipartUpload", 400).is_empty());
    assert_eq!(server.log_of("CompleteMultipartUpload", 200).len(), 10);
}

/// A store whose whole-object checksum is not the parts' fails the upload with
/// `CrcMismatch`, once HeadObject confirms it; a reply damaged on the way (HEAD gives the
/// right value) does not.
#[test]
fn a_wrong_whole_object_checksum_is_caught_and_a_damaged_reply_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(11 * MIB, 42);
    let file = write_file(dir.path(), "f.bin", &content);

    let server = TestServer::start_with(&[
        "--s3",
        "--discard",
        "--wrong-full-object-checksum",
        "object",
    ]);
    let client = Client::new(s3_config(&server, S3Checksum::Auto)).unwrap();
    let error = client
        .upload_file(request(&file, "wrong"), Observers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::CrcMismatch, "{error}");
    assert!(error.message.contains("CRC-64/NVME"), "{error}");
    let mut stream = UploadStreamRequest::new(BUCKET, "wrong-stream");
    stream.part_size = 5 * MIB;
    let error = client
        .upload_stream(stream, &mut &content[..], Observers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::CrcMismatch, "{error}");
    // A stream cannot be sent again: its object, proven wrong, is deleted.
    assert_eq!(server.s3_head("wrong-stream").0, 404);

    let server =
        TestServer::start_with(&["--s3", "--discard", "--wrong-full-object-checksum", "reply"]);
    let client = Client::new(s3_config(&server, S3Checksum::Auto)).unwrap();
    client
        .upload_file(request(&file, "reply"), Observers::default())
        .unwrap();
    assert_eq!(stored_nvme(&server, "reply"), Some(nvme_text(&content)));
    assert_eq!(
        server.log_of("HeadObject", 200).len(),
        2,
        "HEAD confirmed the object"
    );
}

/// A store that refuses the algorithm at Create gets the Create again without it, once per
/// client: the upload succeeds with the parts' own checks, and the object has no checksum.
#[test]
fn a_store_refusing_the_algorithm_gets_uploads_without_it_once_per_client() {
    let server = TestServer::start_with(&["--s3", "--discard", "--refuse-checksum-algorithm"]);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(6 * MIB, 43);
    let file = write_file(dir.path(), "f.bin", &content);
    let client = Client::new(s3_config(&server, S3Checksum::Auto)).unwrap();
    for key in ["a", "b"] {
        client
            .upload_file(request(&file, key), Observers::default())
            .unwrap();
        assert_eq!(stored_nvme(&server, key), None);
    }
    assert_eq!(server.log_of("CreateMultipartUpload", 400).len(), 1);
    assert_eq!(server.log_of("CreateMultipartUpload", 200).len(), 2);
}

/// A checkpoint whose parts have no `HashCrc64Nvme` (written before the field existed, or
/// by the Go SDK) resumes: the parts are read again from the file for Complete, which the
/// store accepts, and the object has the file's CRC-64/NVME. A checkpoint of an upload
/// created without the algorithm completes without part checksums.
#[test]
fn a_checkpoint_without_part_checksums_resumes_and_completes_checked() {
    let server = TestServer::start_with(&["--s3", "--discard", "--md5-etags"]);
    let dir = tempfile::tempdir().unwrap();
    let content = pattern(16 * MIB + 5, 44);
    let file = write_file(dir.path(), "f.bin", &content);
    let client = Client::new(s3_config(&server, S3Checksum::Auto)).unwrap();
    let cp_path = checkpoint_path(&file, "resumed");

    pause_after_parts(&client, &file, "resumed", 2);
    let text = std::fs::read_to_string(&cp_path).unwrap();
    assert!(
        text.contains("\"ChecksumAlgorithm\":\"CRC64NVME\""),
        "{text}"
    );
    let mut saved: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut stripped = 0;
    for part in saved["PartsInfo"].as_array_mut().unwrap() {
        stripped += usize::from(
            part.as_object_mut()
                .unwrap()
                .remove("HashCrc64Nvme")
                .is_some(),
        );
    }
    assert_eq!(
        stripped, 2,
        "both parts done had their CRC-64/NVME recorded"
    );
    std::fs::write(&cp_path, saved.to_string()).unwrap();
    let paused_at = server.last_seq();
    let out = client
        .upload_file(request(&file, "resumed"), Observers::default())
        .unwrap();
    assert_eq!(out.crc64, tos_crc64::checksum(&content));
    let resent = server.parts_uploaded_since(paused_at);
    assert!(!resent.contains(&1) && !resent.contains(&2), "{resent:?}");
    assert_eq!(stored_nvme(&server, "resumed"), Some(nvme_text(&content)));

    // An upload created without the algorithm (CONTENT_MD5), resumed under AUTO.
    let md5_client = Client::new(s3_config(&server, S3Checksum::ContentMd5)).unwrap();
    pause_after_parts(&md5_client, &file, "old", 1);
    let text = std::fs::read_to_string(checkpoint_path(&file, "old")).unwrap();
    assert!(
        !text.contains("ChecksumAlgorithm") && !text.contains("HashCrc64Nvme"),
        "{text}"
    );
    client
        .upload_file(request(&file, "old"), Observers::default())
        .unwrap();
    assert_eq!(stored_nvme(&server, "old"), None);
}
