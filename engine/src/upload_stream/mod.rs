//! The upload of a stream of unknown size (standard input, a pipe, a generator): parts are
//! filled from the caller's reader and sent in parallel, each kept in memory until the
//! server confirms it, so a retry resends it without reading the stream again. Memory is
//! bounded by about `part_size × (task_num + 1)`: reading waits while every buffer is in
//! flight. A stream shorter than one part goes up in one PutObject. Nothing is resumable:
//! a stream cannot be rewound, so a pause aborts like an abort.

mod complete;
mod multipart;

use crate::attributes::CreateAttributes;
use crate::cancel::{CancelHook, CancelKind};
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::Observers;
use crate::parts::upload_reporter::{PartProgress, Reporter};
use crate::upload::file_request::{
    resolve_part_size, resolve_task_num, UploadFileOutput, AUTO_TASK_NUM,
};

/// `task_num` 0 for a stream: a fixed count, not the file upload's automatic search, because
/// every task holds a part in memory and the search would grow memory to find the rate.
const DEFAULT_STREAM_TASK_NUM: u32 = 4;
use crate::cancel::stopped_before_start;
use crate::parts::whole_object::{self, SinglePut};
use crate::wire::file_range::RangeSource;
use crate::wire::{Object, Wire};
use bytes::Bytes;
use std::io::{self, Read};
use std::sync::Arc;
use tos_crc64::Crc64;

/// The most one call of the reader is asked for, so progress and the workers are served
/// while a large part fills.
const READ_CHUNK: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct UploadStreamRequest {
    pub bucket: String,
    pub key: String,
    /// 0 means 20 MiB. Also the unit of memory: about `part_size × (task_num + 1)` is held.
    pub part_size: u64,
    /// 0 means the default; at most 1000 (more is refused).
    pub task_num: u32,
    pub attributes: CreateAttributes,
    pub cancel: Option<CancelHook>,
}

impl UploadStreamRequest {
    pub fn new(bucket: &str, key: &str) -> Self {
        UploadStreamRequest {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            part_size: 0,
            task_num: 0,
            attributes: CreateAttributes::default(),
            cancel: None,
        }
    }
}

/// Uploads everything `reader` yields until it reports the end. The reader is called on the
/// thread that runs this future (the caller's, under `Client::upload_stream`), like every
/// callback in `observers`.
pub(crate) async fn upload_stream(
    wire: Arc<Wire>,
    request: UploadStreamRequest,
    reader: &mut dyn Read,
    observers: Observers,
) -> Result<UploadFileOutput> {
    wire.check_object(&request.bucket, &request.key, &request.attributes)?;
    let part_size = resolve_part_size(request.part_size)?;
    let task_num = match resolve_task_num(request.task_num)? {
        AUTO_TASK_NUM => DEFAULT_STREAM_TASK_NUM,
        n => n,
    };
    let cancel = request.cancel.clone().unwrap_or_default();
    if let Some(kind) = cancel.requested() {
        // A stream cannot be resumed, so even a pause that came first ends it as an abort.
        let mut error = stopped_before_start(kind);
        error.kind = ErrorKind::Aborted;
        return Err(error);
    }
    let reporter = Reporter::new(observers, &request.bucket, &request.key, 0);
    let mut session = StreamSession {
        wire,
        attributes: Arc::new(request.attributes.clone()),
        request,
        cancel,
        part_size,
        task_num,
        reporter,
        reader,
        read_so_far: 0,
        whole_crc: Crc64::new(),
        ended: false,
    };
    log::info!(
        "stream upload to {}/{}: parts of {} bytes, {} tasks",
        session.request.bucket,
        session.request.key,
        part_size,
        task_num
    );
    session.reporter.started(0, 0);
    // Whatever stopped on a pause (a request, the Create) ends as an abort: a stream cannot
    // be resumed, and nothing of it is kept.
    let result = session.run().await.map_err(|error| match error.kind {
        ErrorKind::Paused => UploadError {
            kind: ErrorKind::Aborted,
            ..error
        },
        _ => error,
    });
    match &result {
        Ok(out) => log::info!(
            "stream upload of {}/{} done: {} bytes, CRC-64 {}",
            out.bucket,
            out.key,
            session.read_so_far,
            out.crc64
        ),
        Err(error) => {
            log::info!(
                "stream upload of {}/{} stopped: {error}",
                session.request.bucket,
                session.request.key
            );
            session.reporter.failed();
        }
    }
    result
}

struct StreamSession<'r> {
    wire: Arc<Wire>,
    request: UploadStreamRequest,
    attributes: Arc<CreateAttributes>,
    cancel: CancelHook,
    part_size: u64,
    task_num: u32,
    reporter: Reporter,
    reader: &'r mut dyn Read,
    read_so_far: u64,
    /// Of every byte read, in order: checked against the server's CRC of the object.
    whole_crc: Crc64,
    ended: bool,
}

impl StreamSession<'_> {
    async fn run(&mut self) -> Result<UploadFileOutput> {
        let first = self.read_part(|_| Ok(()))?;
        if self.ended {
            return self.put_whole(first).await;
        }
        self.multipart(first).await
    }

    /// Fills one part from the reader: `part_size` bytes, or fewer when the stream ends.
    /// `between_reads` runs after each read, so the caller can serve the workers (progress,
    /// the user's limiter) while a slow stream trickles in; its error, or a cancel, stops
    /// the reading at once.
    fn read_part(
        &mut self,
        mut between_reads: impl FnMut(&mut Self) -> Result<()>,
    ) -> Result<Bytes> {
        let part_size = self.part_size as usize;
        // Reserved, not allocated with the allocator's abort on failure: parts of 5 GiB times
        // many tasks may not fit, which must be an error, not the end of the host process.
        // Pages are touched only as the stream fills them.
        let mut buf: Vec<u8> = Vec::new();
        buf.try_reserve_exact(part_size).map_err(|_| {
            UploadError::new(
                ErrorKind::InvalidPartSize,
                format!(
                    "cannot allocate a part buffer of {part_size} bytes (a stream holds \
                     part size x (tasks + 1) in memory): use a smaller part size or fewer tasks"
                ),
            )
        })?;
        while buf.len() < part_size {
            if let Some(kind) = self.cancel.requested() {
                return Err(cancelled(kind));
            }
            let filled = buf.len();
            let asked = (part_size - filled).min(READ_CHUNK);
            buf.resize(filled + asked, 0);
            let read = self.reader.read(&mut buf[filled..]);
            // What the reader did not fill is not part of the stream.
            buf.truncate(filled + read.as_ref().map_or(0, |n| *n.min(&asked)));
            match read {
                Ok(0) => {
                    self.ended = true;
                    break;
                }
                Ok(n) if n <= asked => {
                    self.whole_crc.update(&buf[filled..]);
                    self.read_so_far += n as u64;
                }
                Ok(n) => {
                    return Err(UploadError::new(
                        ErrorKind::StreamRead,
                        format!("the stream's reader returned {n} bytes for a buffer of {asked}"),
                    ))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A reader waiting for input may give up once told to stop: that is the
                // cancel's doing, not a broken stream.
                Err(e) => {
                    return Err(match self.cancel.requested() {
                        Some(kind) => cancelled(kind),
                        None => read_error(self.read_so_far, e),
                    })
                }
            }
            between_reads(self)?;
        }
        Ok(Bytes::from(buf))
    }

    /// The whole stream, shorter than a part, in one PutObject (retried from memory), sent
    /// by the same single PutObject as a small file's.
    async fn put_whole(&mut self, bytes: Bytes) -> Result<UploadFileOutput> {
        let size = bytes.len() as u64;
        let index = self.reporter.add_part(size);
        let put = SinglePut {
            wire: &self.wire,
            object: Object {
                bucket: &self.request.bucket,
                key: &self.request.key,
            },
            attributes: &self.attributes,
            source: RangeSource::Memory(bytes),
            size,
            connections: None,
            cancel: &self.cancel,
        };
        // The short stream is the reporter's only part.
        let mut progress = PartProgress::new(&mut self.reporter, index);
        let receipt = match whole_object::put_object(put, &mut progress).await {
            Ok(receipt) => receipt,
            // A cancel stops the request with `Paused`; a stream reports it as `cancelled`.
            Err(error) => {
                return Err(match self.cancel.requested() {
                    Some(kind) => cancelled(kind),
                    None if error.kind == ErrorKind::Paused => cancelled(CancelKind::Abort),
                    None => error,
                })
            }
        };
        self.reporter.part_done(index, size);
        self.reporter.succeed();
        Ok(UploadFileOutput {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: String::new(),
            etag: receipt.etag,
            location: receipt.location,
            version_id: receipt.version_id,
            crc64: receipt.crc64.unwrap_or_else(|| self.whole_crc.value()),
            request_id: receipt.request_id,
            // As for a small file in one PutObject: no parts.
            part_size: 0,
            bytes_sent: size,
        })
    }

    fn object(&self) -> Object<'_> {
        Object {
            bucket: &self.request.bucket,
            key: &self.request.key,
        }
    }
}

/// What a cancel returns for a stream. A pause cannot keep anything resumable (the bytes
/// read are gone with this call), so it ends like an abort, saying so.
fn cancelled(kind: CancelKind) -> UploadError {
    let message = match kind {
        CancelKind::Abort => "stream upload aborted by the cancel hook",
        CancelKind::Pause => {
            "stream upload paused by the cancel hook: a stream cannot be resumed, so the upload was aborted"
        }
    };
    UploadError::new(ErrorKind::Aborted, message)
}

fn read_error(read_so_far: u64, error: io::Error) -> UploadError {
    UploadError::new(
        ErrorKind::StreamRead,
        // The reader's own words (for the C API: the value its callback returned) belong in
        // the message, where the header promises them, not only in the cause.
        format!(
            "reading the stream failed after {read_so_far} bytes ({error}); the upload was aborted"
        ),
    )
    .with_cause(error)
}
