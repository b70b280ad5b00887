//! Part workers: each takes the next part from a shared queue and uploads it, retrying in
//! place (a fresh stream from the file, re-signed) on network errors, 5xx, 429, 408 and
//! CRC mismatches.

use super::messages::{Limiter, WorkerMsg};
use super::part_body::{PartBody, PartDigest};
use crate::engine::error::{ErrorKind, Result, UploadError};
use crate::engine::protocol::PartReceipt;
use crate::engine::request::CreateAttributes;
use crate::engine::transport::{classify, FailureClass, Transport};
use bytes::Bytes;
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

#[derive(Debug, Clone, Copy)]
pub struct PartJob {
    pub part_index: usize,
    pub part_number: u32,
    pub offset: u64,
    pub size: u64,
}

pub struct WorkerContext {
    pub transport: Arc<Transport>,
    pub bucket: String,
    pub key: String,
    pub upload_id: String,
    pub attributes: Arc<CreateAttributes>,
    pub file: Arc<File>,
    pub limiter: Limiter,
    pub chunk: usize,
    pub enable_crc: bool,
    pub to_coordinator: mpsc::UnboundedSender<WorkerMsg>,
    pub queue: Mutex<VecDeque<PartJob>>,
    pub connections: Option<Arc<tokio::sync::Semaphore>>,
}

pub async fn run_worker(ctx: Arc<WorkerContext>) {
    loop {
        let Some(job) = ctx
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        else {
            return;
        };
        let message = match upload_with_retry(&ctx, &job).await {
            Ok((receipt, crc64)) => WorkerMsg::Done {
                part_index: job.part_index,
                receipt,
                crc64,
            },
            Err((error, fatal)) => WorkerMsg::Failed {
                part_index: job.part_index,
                error,
                fatal,
            },
        };
        let fatal = matches!(message, WorkerMsg::Failed { fatal: true, .. });
        if ctx.to_coordinator.send(message).is_err() || fatal {
            return;
        }
    }
}

async fn upload_with_retry(
    ctx: &WorkerContext,
    job: &PartJob,
) -> std::result::Result<(PartReceipt, u64), (UploadError, bool)> {
    let mut attempt = 0;
    loop {
        let error = match upload_once(ctx, job, attempt).await {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        match classify(&error) {
            FailureClass::Fatal => return Err((error, true)),
            FailureClass::GiveUp => return Err((error, false)),
            FailureClass::Retry if attempt >= ctx.transport.max_retry_count => {
                return Err((error, false))
            }
            FailureClass::Retry => {
                attempt += 1;
                let delay = ctx.transport.backoff(attempt, &error);
                let _ = ctx.to_coordinator.send(WorkerMsg::Retry {
                    part_index: job.part_index,
                    error,
                });
                tokio::time::sleep(delay).await;
            }
        }
    }
}

async fn upload_once(
    ctx: &WorkerContext,
    job: &PartJob,
    attempt: u32,
) -> Result<(PartReceipt, u64)> {
    // Held for the whole request, so a directory upload's connection cap is global.
    let _permit = match &ctx.connections {
        Some(connections) => Some(connections.acquire().await.map_err(|e| {
            UploadError::new(ErrorKind::Internal, "connection limit closed").with_cause(e)
        })?),
        None => None,
    };
    let protocol = &ctx.transport.protocol;
    let operation = protocol.upload_part(
        &ctx.bucket,
        &ctx.key,
        &ctx.upload_id,
        job.part_number,
        job.size,
        &ctx.attributes,
    );
    let digest = Arc::new(Mutex::new(PartDigest::default()));
    let body = if job.size == 0 {
        reqwest::Body::from(Bytes::new())
    } else {
        let stream = PartBody {
            file: Arc::clone(&ctx.file),
            part_index: job.part_index,
            offset: job.offset,
            size: job.size,
            chunk: ctx.chunk,
            limiter: ctx.limiter.clone(),
            to_coordinator: ctx.to_coordinator.clone(),
            digest: Arc::clone(&digest),
        }
        .into_stream();
        reqwest::Body::wrap_stream(stream)
    };
    let sent = ctx
        .transport
        .send_once(&operation, Some(body), attempt)
        .await;
    let mut digest = digest.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(read_error) = digest.read_error.take() {
        return Err(file_error(job, read_error));
    }
    let receipt = protocol.parse_upload_part(&sent?)?;
    let local = digest.crc.value();
    if ctx.enable_crc {
        if let Some(server) = receipt.crc64.filter(|server| *server != local) {
            return Err(UploadError::new(
                ErrorKind::CrcMismatch,
                format!(
                    "part {}: CRC-64 mismatch, sent {local}, the server computed {server}",
                    job.part_number
                ),
            ));
        }
    }
    Ok((receipt, local))
}

fn file_error(job: &PartJob, error: io::Error) -> UploadError {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        UploadError::new(
            ErrorKind::FileChanged,
            format!(
                "part {}: the local file changed during the upload (it is shorter than planned)",
                job.part_number
            ),
        )
    } else {
        UploadError::new(
            ErrorKind::FileUnreadable,
            format!("part {}: cannot read the local file", job.part_number),
        )
        .with_cause(error)
    }
}
