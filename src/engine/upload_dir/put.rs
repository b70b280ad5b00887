//! A small file in one PutObject: streamed like a part (rate limited, CRC on the way),
//! checked against the server's CRC-64, retried in place like a part.

use super::reporter::{lock, SharedReporter};
use crate::engine::cancel::CancelHook;
use crate::engine::error::{ErrorKind, Result, UploadError};
use crate::engine::protocol::ObjectReceipt;
use crate::engine::request::CreateAttributes;
use crate::engine::transport::{classify, FailureClass, Transport};
use crate::engine::upload::messages::{Limiter, WorkerMsg};
use crate::engine::upload::part_body::{PartBody, PartDigest, CHUNK, LIMITED_CHUNK};
use bytes::Bytes;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Semaphore};

pub struct PutContext {
    pub transport: Arc<Transport>,
    pub bucket: String,
    pub attributes: CreateAttributes,
    pub enable_crc: bool,
    pub connections: Arc<Semaphore>,
    pub reporter: SharedReporter,
    pub cancel: CancelHook,
}

pub async fn put_file(ctx: &PutContext, path: &Path, key: &str) -> Result<ObjectReceipt> {
    let file = File::open(path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::FileNotFound
        } else {
            ErrorKind::FileUnreadable
        };
        UploadError::new(kind, format!("cannot open {}", path.display())).with_cause(e)
    })?;
    let size = file
        .metadata()
        .map_err(|e| UploadError::new(ErrorKind::FileUnreadable, "cannot stat").with_cause(e))?
        .len();
    let file = Arc::new(file);
    let mut counted = 0;
    let mut attempt = 0;
    loop {
        let error = match put_once(ctx, &file, size, key, attempt, &mut counted).await {
            Ok(receipt) => return Ok(receipt),
            Err(error) => error,
        };
        if classify(&error) != FailureClass::Retry || attempt >= ctx.transport.max_retry_count {
            return Err(error);
        }
        attempt += 1;
        tokio::time::sleep(ctx.transport.backoff(attempt, &error)).await;
    }
}

/// `counted`: bytes of this file already added to the aggregate, so a retry counts once.
async fn put_once(
    ctx: &PutContext,
    file: &Arc<File>,
    size: u64,
    key: &str,
    attempt: u32,
    counted: &mut u64,
) -> Result<ObjectReceipt> {
    let _permit = ctx.connections.acquire().await.map_err(|e| {
        UploadError::new(ErrorKind::Internal, "connection limit closed").with_cause(e)
    })?;
    let (limiter, chunk) = {
        let reporter = lock(&ctx.reporter);
        if reporter.has_acquire() {
            (Limiter::Callback, LIMITED_CHUNK)
        } else {
            (
                reporter
                    .shared_limiter()
                    .map_or(Limiter::None, Limiter::Shared),
                CHUNK,
            )
        }
    };
    let operation = ctx
        .transport
        .protocol
        .put_object(&ctx.bucket, key, size, &ctx.attributes);
    let digest = Arc::new(Mutex::new(PartDigest::default()));
    let (to_me, mut inbox) = mpsc::unbounded_channel();
    let body = if size == 0 {
        reqwest::Body::from(Bytes::new())
    } else {
        reqwest::Body::wrap_stream(
            PartBody {
                file: Arc::clone(file),
                part_index: 0,
                offset: 0,
                size,
                chunk,
                limiter,
                to_coordinator: to_me,
                digest: Arc::clone(&digest),
            }
            .into_stream(),
        )
    };
    let send = ctx.transport.send_once(&operation, Some(body), attempt);
    tokio::pin!(send);
    let response = loop {
        tokio::select! {
            response = &mut send => break response,
            Some(message) = inbox.recv() => match message {
                WorkerMsg::Sent { bytes_in_part, .. } if bytes_in_part > *counted => {
                    lock(&ctx.reporter).add_bytes(bytes_in_part - *counted);
                    *counted = bytes_in_part;
                }
                WorkerMsg::Acquire { want, reply } => {
                    let _ = reply.send(lock(&ctx.reporter).acquire(want));
                }
                _ => {}
            },
            _ = ctx.cancel.cancelled() => {
                return Err(UploadError::new(ErrorKind::Paused, "stopped by the cancel hook"));
            }
        }
    };
    let mut digest = digest.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(read_error) = digest.read_error.take() {
        let kind = if read_error.kind() == std::io::ErrorKind::UnexpectedEof {
            ErrorKind::FileChanged
        } else {
            ErrorKind::FileUnreadable
        };
        return Err(UploadError::new(
            kind,
            format!("{key}: the local file could not be read whole"),
        )
        .with_cause(read_error));
    }
    let receipt = ctx.transport.protocol.parse_put_object(&response?)?;
    let local = digest.crc.value();
    if ctx.enable_crc {
        if let Some(server) = receipt.crc64.filter(|crc| *crc != local) {
            return Err(UploadError::new(
                ErrorKind::CrcMismatch,
                format!("{key}: CRC-64 mismatch, sent {local}, the server computed {server}"),
            ));
        }
    }
    if size > *counted {
        lock(&ctx.reporter).add_bytes(size - *counted);
        *counted = size;
    }
    Ok(ObjectReceipt {
        crc64: Some(local),
        ..receipt
    })
}
