//! The engine's upload of a stream of unknown size against the real local server: parts
//! read from a reader and sent from memory, one PutObject for a short stream, retries that
//! resend the buffered part, a failing reader, a cancel, and memory that does not grow with
//! the stream.

mod common;

use common::*;
use std::io::{self, Read};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use tos_crc64 as crc64;
use tosupload_engine::{
    CancelHook, CancelKind, Client, ErrorKind, Observers, ProgressKind, ProgressStatus,
    UploadStreamRequest,
};

/// Yields `content` in reads of at most `chunk` bytes, then fails with `fail_at_end` if set;
/// records the thread of each read and how far ahead of the server it got.
struct Source {
    content: Vec<u8>,
    at: usize,
    chunk: usize,
    fail_at_end: Option<io::ErrorKind>,
    threads: Vec<ThreadId>,
    on_read: Option<Box<dyn FnMut(usize)>>,
}

impl Source {
    fn new(content: Vec<u8>, chunk: usize) -> Source {
        Source {
            content,
            at: 0,
            chunk,
            fail_at_end: None,
            threads: Vec::new(),
            on_read: None,
        }
    }
}

impl Read for Source {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.threads.push(std::thread::current().id());
        if self.at == self.content.len() {
            if let Some(kind) = self.fail_at_end {
                return Err(io::Error::new(kind, "the producer died"));
            }
        }
        let n = buf.len().min(self.chunk).min(self.content.len() - self.at);
        buf[..n].copy_from_slice(&self.content[self.at..self.at + n]);
        self.at += n;
        if let Some(on_read) = self.on_read.as_mut() {
            on_read(self.at);
        }
        Ok(n)
    }
}

fn request(key: &str, part_mib: u64, tasks: u32) -> UploadStreamRequest {
    let mut request = UploadStreamRequest::new(BUCKET, key);
    request.part_size = part_mib * MIB;
    request.task_num = tasks;
    request
}

fn recording_progress() -> (Observers, Arc<Mutex<Vec<ProgressStatus>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let observers = Observers {
        progress: Some(Box::new(move |p| sink.lock().unwrap().push(*p))),
        ..Observers::default()
    };
    (observers, seen)
}

#[test]
fn a_stream_of_several_parts_arrives_byte_exact_with_its_crc() {
    let server = TestServer::start();
    let content = pattern(12 * MIB + 3, 1);
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(content.clone(), 100_003);
    let (observers, progress) = recording_progress();
    let out = client
        .upload_stream(request("stream.bin", 5, 2), &mut source, observers)
        .unwrap();
    assert_eq!(server.get_object("stream.bin"), content);
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert!(!out.upload_id.is_empty());
    assert_eq!(out.bytes_sent, content.len() as u64);
    assert_eq!(server.parts_uploaded(), vec![1, 2, 3]);
    assert!(server.log_of("PutObject", 200).is_empty());
    // Every read ran on the calling thread, like the callbacks.
    let me = std::thread::current().id();
    assert!(source.threads.iter().all(|t| *t == me));
    let progress = progress.lock().unwrap();
    let last = progress.last().unwrap();
    assert_eq!(last.kind, ProgressKind::Succeeded);
    assert_eq!(last.consumed_bytes, content.len() as u64);
    assert_eq!(last.total_bytes, content.len() as u64);
    assert!(progress.windows(2).all(|w| {
        w[0].consumed_bytes <= w[1].consumed_bytes && w[1].consumed_bytes <= w[1].total_bytes
    }));
}

#[test]
fn a_stream_shorter_than_a_part_goes_up_in_one_put_object() {
    let server = TestServer::start();
    let content = pattern(MIB + 17, 2);
    let client = Client::new(server.config()).unwrap();
    let out = client
        .upload_stream(
            request("small.bin", 5, 4),
            &mut Source::new(content.clone(), 4096),
            Observers::default(),
        )
        .unwrap();
    assert_eq!(server.get_object("small.bin"), content);
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert_eq!(server.log_of("PutObject", 200).len(), 1);
    assert!(server.log_of("CreateMultipartUpload", 200).is_empty());
    assert!(out.upload_id.is_empty());
    // As a small file sent in one PutObject reports it: no parts.
    assert_eq!(out.part_size, 0);
    assert_eq!(out.bytes_sent, content.len() as u64);
}

#[test]
fn an_empty_stream_is_an_empty_object() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    client
        .upload_stream(
            request("empty.bin", 5, 4),
            &mut Source::new(Vec::new(), 1),
            Observers::default(),
        )
        .unwrap();
    assert_eq!(server.get_object("empty.bin"), Vec::<u8>::new());
}

#[test]
fn a_failed_part_is_resent_from_memory() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":2,"times":2,"action":{"kind":"status","status":500,"code":"InternalError"}}"#);
    let content = pattern(11 * MIB, 3);
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(content.clone(), 1 << 20);
    client
        .upload_stream(
            request("retry.bin", 5, 2),
            &mut source,
            Observers::default(),
        )
        .unwrap();
    assert_eq!(server.get_object("retry.bin"), content);
    assert_eq!(server.log_of("UploadPart", 500).len(), 2);
    // The stream was read once: the retries came from the buffered part.
    assert_eq!(source.at, content.len());
}

#[test]
fn a_reader_error_aborts_the_upload_and_creates_nothing() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(pattern(7 * MIB, 4), 1 << 20);
    source.fail_at_end = Some(io::ErrorKind::BrokenPipe);
    let error = client
        .upload_stream(
            request("broken.bin", 5, 2),
            &mut source,
            Observers::default(),
        )
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::StreamRead, "{error}");
    assert!(error.message.contains(&(7 * MIB).to_string()), "{error}");
    assert!(server.head_object("broken.bin").is_none());
    assert!(server.open_uploads().is_empty());
    assert_eq!(server.log_of("AbortMultipartUpload", 204).len(), 1);
}

#[test]
fn a_pause_aborts_a_stream_since_nothing_can_resume_it() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request("paused.bin", 5, 2);
    req.cancel = Some(hook.clone());
    let mut source = Source::new(pattern(30 * MIB, 5), 1 << 20);
    source.on_read = Some(Box::new(move |at| {
        if at >= 12 * MIB as usize {
            hook.cancel(CancelKind::Pause);
        }
    }));
    let error = client
        .upload_stream(req, &mut source, Observers::default())
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Aborted, "{error}");
    assert!(error.message.contains("cannot be resumed"), "{error}");
    assert!(server.head_object("paused.bin").is_none());
    assert!(server.open_uploads().is_empty());
}

#[test]
fn reading_waits_while_every_buffer_is_in_flight() {
    // The server holds each part for a while; the reader must never get more than
    // (tasks + 1) parts ahead of what the server confirmed.
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","action":{"kind":"stall","ms":150}}"#);
    let client = Client::new(server.config()).unwrap();
    let (part, tasks) = (5 * MIB as usize, 2usize);
    let content = pattern(40 * MIB, 6);
    let confirmed = Arc::new(Mutex::new(0usize));
    let ahead = Arc::new(Mutex::new(0usize));
    let mut source = Source::new(content.clone(), 1 << 20);
    let (seen_confirmed, worst) = (Arc::clone(&confirmed), Arc::clone(&ahead));
    source.on_read = Some(Box::new(move |at| {
        let parts_read = at.div_ceil(part);
        let mut worst = worst.lock().unwrap();
        *worst = (*worst).max(parts_read - *seen_confirmed.lock().unwrap());
    }));
    let counter = Arc::clone(&confirmed);
    let observers = Observers {
        event: Some(Box::new(move |e| {
            if e.kind == tosupload_engine::UploadEventKind::UploadPartSucceeded {
                *counter.lock().unwrap() += 1;
            }
        })),
        ..Observers::default()
    };
    client
        .upload_stream(
            request("bounded.bin", 5, tasks as u32),
            &mut source,
            observers,
        )
        .unwrap();
    assert_eq!(server.get_object("bounded.bin"), content);
    let worst = *ahead.lock().unwrap();
    assert!(worst <= tasks + 1, "read {worst} parts ahead of the server");
}

#[test]
fn a_failed_part_stops_the_reading_of_a_slow_stream() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"UploadPart","part_number":1,"action":{"kind":"status","status":403,"code":"AccessDenied"}}"#);
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(pattern(30 * MIB, 7), 64 * 1024);
    // About 80 ms per 5 MiB part: part 1's refusal comes back while part 2 is being read.
    source.on_read = Some(Box::new(|_| {
        std::thread::sleep(std::time::Duration::from_millis(1))
    }));
    let error = client
        .upload_stream(
            request("denied.bin", 5, 2),
            &mut source,
            Observers::default(),
        )
        .unwrap_err();
    assert_eq!(error.http_status(), Some(403), "{error}");
    assert!(
        source.at < 10 * MIB as usize,
        "read {} bytes after the failure instead of stopping",
        source.at
    );
    assert!(server.head_object("denied.bin").is_none());
    assert!(server.open_uploads().is_empty());
}

#[test]
fn the_user_limiter_is_asked_for_every_byte_on_the_calling_thread() {
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let content = pattern(11 * MIB, 8);
    let asked = Arc::new(Mutex::new((0u64, 0usize)));
    let seen = Arc::clone(&asked);
    let me = std::thread::current().id();
    let observers = Observers {
        acquire: Some(Box::new(move |want| {
            let mut seen = seen.lock().unwrap();
            seen.0 += want;
            seen.1 += usize::from(std::thread::current().id() != me);
            tosupload_engine::Permit::Granted
        })),
        ..Observers::default()
    };
    client
        .upload_stream(
            request("limited.bin", 5, 2),
            &mut Source::new(content.clone(), 300_000),
            observers,
        )
        .unwrap();
    assert_eq!(server.get_object("limited.bin"), content);
    let (bytes, off_thread) = *asked.lock().unwrap();
    assert_eq!(bytes, content.len() as u64);
    assert_eq!(off_thread, 0, "limiter calls off the calling thread");
}

#[test]
fn a_pause_during_the_single_put_object_of_a_short_stream_aborts_it() {
    // The short stream goes through the small file's PutObject, which stops with `Paused`
    // on a cancel: the stream must still report `Aborted`, and nothing may be stored.
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    let mut req = request("short-paused.bin", 5, 2);
    req.cancel = Some(hook.clone());
    let observers = Observers {
        acquire: Some(Box::new(move |_| {
            hook.cancel(CancelKind::Pause);
            tosupload_engine::Permit::GrantedAfter(std::time::Duration::from_millis(50))
        })),
        ..Observers::default()
    };
    let error = client
        .upload_stream(
            req,
            &mut Source::new(pattern(2 * MIB, 9), 1 << 20),
            observers,
        )
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Aborted, "{error}");
    assert!(error.message.contains("cannot be resumed"), "{error}");
    assert!(server.head_object("short-paused.bin").is_none());
    assert!(server.log_of("CreateMultipartUpload", 200).is_empty());
}

#[test]
fn a_stream_paused_before_it_starts_or_during_its_create_ends_aborted() {
    // Before the fix both returned `Paused`, which promises a resume a stream cannot have.
    let server = TestServer::start();
    let client = Client::new(server.config()).unwrap();
    let hook = CancelHook::new();
    hook.cancel(CancelKind::Pause);
    let mut req = request("paused-first.bin", 5, 2);
    req.cancel = Some(hook);
    let error = client
        .upload_stream(
            req,
            &mut Source::new(pattern(MIB, 3), 1 << 20),
            Observers::default(),
        )
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Aborted, "{error}");

    // A stall on Create, then a pause while it waits. A Create is never cut short (its upload
    // id could be lost on the server), so the pause is acted on once it answers: the stream
    // must then end Aborted and abort the upload it just made, leaving nothing open.
    server.add_fault(r#"{"op":"CreateMultipartUpload","action":{"kind":"stall","ms":1000}}"#);
    let hook = CancelHook::new();
    let pauser = hook.clone();
    let mut req = request("paused-in-create.bin", 5, 2);
    req.cancel = Some(hook);
    // 300 ms in: while the first part is read, or while the Create waits (a loaded machine
    // decides which); either way the outcome must be the same.
    let timer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        pauser.cancel(CancelKind::Pause);
    });
    let error = client
        .upload_stream(
            req,
            &mut Source::new(pattern(12 * MIB, 4), 1 << 20),
            Observers::default(),
        )
        .unwrap_err();
    timer.join().unwrap();
    assert_eq!(error.kind, ErrorKind::Aborted, "{error}");
    assert!(
        server.open_uploads().is_empty(),
        "{:?}",
        server.open_uploads()
    );
    assert!(server.head_object("paused-in-create.bin").is_none());
}

/// Complete's reply lost after the server completed the upload: the retry finds no upload
/// (404), and HeadObject's size and CRC-64 prove the object is the stream's.
#[test]
fn a_lost_complete_reply_ends_in_success_proven_by_the_object() {
    let server = TestServer::start();
    server
        .add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"drop_reply"}}"#);
    let content = pattern(11 * MIB, 41);
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(content.clone(), 1 << 20);
    let out = client
        .upload_stream(request("lost.bin", 5, 2), &mut source, Observers::default())
        .unwrap();
    assert_eq!(server.get_object("lost.bin"), content);
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert_eq!(
        server.parts_uploaded(),
        vec![1, 2, 3],
        "each part sent once"
    );
    assert_eq!(
        server.log_of("HeadObject", 200).len(),
        1,
        "the object was asked"
    );
    assert!(server.open_uploads().is_empty());
}

/// A CRC damaged in Complete's reply only: the stored object's CRC, asked with HeadObject,
/// matches what was sent, so the upload succeeds and the object stays.
#[test]
fn a_damaged_crc_in_completes_reply_is_checked_against_the_object() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"CompleteMultipartUpload","times":1,"action":{"kind":"bad_crc"}}"#);
    let content = pattern(6 * MIB, 42);
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(content.clone(), 1 << 20);
    let out = client
        .upload_stream(
            request("damaged.bin", 5, 2),
            &mut source,
            Observers::default(),
        )
        .unwrap();
    assert_eq!(out.crc64, crc64::checksum(&content));
    assert_eq!(server.get_object("damaged.bin"), content);
    assert_eq!(server.log_of("HeadObject", 200).len(), 1);
}

/// The object really is not what was sent (its stored CRC disagrees too): a stream cannot be
/// sent again, so the object is deleted and the error says so, never left under the key.
#[test]
fn an_object_proven_wrong_is_deleted_and_the_error_says_so() {
    let server = TestServer::start();
    server.add_fault(r#"{"op":"CompleteMultipartUpload","action":{"kind":"bad_crc"}}"#);
    server.add_fault(r#"{"op":"HeadObject","action":{"kind":"bad_crc"}}"#);
    let content = pattern(6 * MIB, 43);
    let client = Client::new(server.config()).unwrap();
    let mut source = Source::new(content, 1 << 20);
    let err = client
        .upload_stream(
            request("wrong.bin", 5, 2),
            &mut source,
            Observers::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::CrcMismatch, "{err}");
    assert!(err.message.contains("was deleted"), "{err}");
    assert_eq!(server.log_of("DeleteObject", 204).len(), 1);
    assert!(
        server.head_object("wrong.bin").is_none(),
        "no corrupt object left"
    );
    assert!(server.open_uploads().is_empty());
}
