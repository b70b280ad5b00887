//! The wire layer: typed object-storage operations in, typed results or typed errors out.
//! Everything the uploads know of the network goes through `Wire`. Both protocols are
//! shaped as S3 is, so the skeleton lives here once: addressing and URLs (`endpoint`),
//! signing (`signer`, `sigv4`), the operations (`protocol::Protocol`'s provided methods),
//! their attribute headers (`object_headers`), documents (`documents`) and paging (`parts`,
//! `uploads`). `tos/` and `s3/` keep what each names or encodes its own way. Every
//! operation runs under the one retry policy of `transport::Transport`.

pub(crate) mod aws_chunked;
mod congestion;
pub(crate) mod content_type;
mod documents;
mod endpoint;
pub(crate) mod file_range;
pub(crate) mod get_object;
mod messages;
mod network_error;
mod object_headers;
pub(crate) mod objects;
mod parts;
#[cfg(test)]
mod proptests;
pub(crate) mod protocol;
#[cfg(test)]
mod put_checksum_tests;
pub(crate) mod request_cap;
pub(crate) mod s3;
mod signer;
mod sigv4;
pub(crate) mod tos;
mod transport;
pub(crate) mod uploads;

use crate::attributes::CreateAttributes;
use crate::config::{ClientConfig, WireProtocol};
use crate::error::{ErrorKind, Result, UploadError};
use file_range::{Feed, FileRange};
use protocol::{
    BodyFraming, CompletedPart, ObjectHead, ObjectReceipt, Operation, PartReceipt, Protocol,
    Response,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use transport::Transport;
pub(crate) use transport::{classify, FailureClass};

/// The object an operation is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Object<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
}

/// A part the server accepted, with the CRC-64 of the bytes we streamed.
#[derive(Debug, Clone)]
pub(crate) struct SentPart {
    pub receipt: PartReceipt,
    pub crc64: u64,
}

pub(crate) struct Wire {
    transport: Transport,
    protocol: Arc<dyn Protocol>,
    verify_crc: bool,
    endpoint: String,
}

impl Wire {
    /// Must run inside the client's runtime (the HTTP client needs its timers).
    pub(crate) fn new(config: &ClientConfig) -> Result<Wire> {
        let protocol: Arc<dyn Protocol> = match config.protocol {
            WireProtocol::Tos => Arc::new(tos::TosProtocol::new(config)?),
            WireProtocol::S3 => Arc::new(s3::S3Protocol::new(config)?),
        };
        Ok(Wire {
            transport: Transport::new(config, Arc::clone(&protocol))?,
            protocol,
            verify_crc: config.enable_crc,
            endpoint: config.endpoint.clone(),
        })
    }

    /// "tos" or "s3", as recorded in checkpoints.
    pub(crate) fn protocol_name(&self) -> &'static str {
        self.protocol.name()
    }

    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub(crate) fn check_bucket(&self, bucket: &str) -> Result<()> {
        self.protocol.check_bucket(bucket)
    }

    /// Everything about an object's name and attributes that can be refused before a
    /// request is sent.
    pub(crate) fn check_object(
        &self,
        bucket: &str,
        key: &str,
        attrs: &CreateAttributes,
    ) -> Result<()> {
        self.protocol.check_bucket(bucket)?;
        self.protocol.check_key(key)?;
        self.check_attributes(attrs)
    }

    /// Attributes shared by many objects (a folder upload's), checked once.
    pub(crate) fn check_attributes(&self, attrs: &CreateAttributes) -> Result<()> {
        attrs.check()?;
        self.protocol.check_attributes(attrs)
    }

    pub(crate) fn check_key(&self, key: &str) -> Result<()> {
        self.protocol.check_key(key)
    }

    /// A folder upload's key prefix: empty, or the start of valid keys.
    pub(crate) fn check_prefix(&self, prefix: &str) -> Result<()> {
        if prefix.is_empty() {
            return Ok(());
        }
        self.protocol.check_key(prefix)
    }

    pub(crate) async fn create_multipart_upload(
        &self,
        object: Object<'_>,
        attrs: &CreateAttributes,
    ) -> Result<String> {
        let op = self
            .protocol
            .create_multipart_upload(object.bucket, object.key, attrs);
        let response = self.transport.execute(&op).await?;
        self.protocol.parse_create_multipart_upload(&response)
    }

    /// Streams one part from the file, retried in place; `on_retry` hears of each failed
    /// attempt that will be retried.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn upload_part(
        &self,
        object: Object<'_>,
        upload_id: &str,
        part_number: u32,
        attrs: &CreateAttributes,
        range: &FileRange,
        feed: &Feed,
        on_retry: &(dyn Fn(&UploadError) + Sync),
    ) -> Result<SentPart> {
        let op = self.protocol.upload_part(
            object.bucket,
            object.key,
            upload_id,
            part_number,
            range.size,
            attrs,
        );
        let (op, what) = (&op, &format!("part {part_number}"));
        let attempt = |number| async move {
            let framing = self.protocol.body_framing();
            let (response, crc64) = self
                .send_range(op, range, feed, number, what, framing)
                .await?;
            let receipt = self.protocol.parse_upload_part(&response)?;
            self.check_crc(what, crc64, receipt.crc64)?;
            Ok(SentPart { receipt, crc64 })
        };
        self.transport
            .with_retries(op.name, range.size, attempt, on_retry)
            .await
    }

    /// The whole file range in one PutObject, retried in place.
    ///
    /// When the protocol wants the object's CRC-64/NVME up front (S3), the range is read
    /// once for it before the first attempt and the body goes plain. A store that refuses
    /// the body for a checksum mismatch gets it again (corrupted on the way) unless the
    /// range no longer has that checksum: then the file changed after the digest was taken,
    /// no attempt can succeed, and the upload fails with `FileChanged` at once.
    pub(crate) async fn put_object(
        &self,
        object: Object<'_>,
        attrs: &CreateAttributes,
        range: &FileRange,
        feed: &Feed,
    ) -> Result<ObjectReceipt> {
        let (crc64_nvme, framing) = if self.protocol.put_object_checksum() {
            let crc = range_crc64_nvme(range)
                .await
                .map_err(|e| file_error(object.key, e))?;
            (Some(crc), BodyFraming::Plain)
        } else {
            (None, self.protocol.body_framing())
        };
        let op = self
            .protocol
            .put_object(object.bucket, object.key, range.size, crc64_nvme, attrs);
        let op = &op;
        let attempt = |number| async move {
            let sent = self
                .send_range(op, range, feed, number, object.key, framing)
                .await;
            let (response, crc64) = match (sent, crc64_nvme) {
                (Err(error), Some(digested)) if refused_digest(&error) => {
                    return Err(check_unchanged(object.key, range, digested)
                        .await
                        .err()
                        .unwrap_or(error));
                }
                (sent, _) => sent?,
            };
            let receipt = self.protocol.parse_put_object(&response)?;
            self.check_crc(object.key, crc64, receipt.crc64)?;
            Ok(ObjectReceipt {
                crc64: Some(crc64),
                ..receipt
            })
        };
        self.transport
            .with_retries(op.name, range.size, attempt, &|_| {})
            .await
    }

    pub(crate) async fn complete_multipart_upload(
        &self,
        object: Object<'_>,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<ObjectReceipt> {
        let op =
            self.protocol
                .complete_multipart_upload(object.bucket, object.key, upload_id, parts);
        let response = self.transport.execute(&op).await?;
        self.protocol.parse_complete_multipart_upload(&response)
    }

    pub(crate) async fn abort_multipart_upload(
        &self,
        object: Object<'_>,
        upload_id: &str,
    ) -> Result<()> {
        let op = self
            .protocol
            .abort_multipart_upload(object.bucket, object.key, upload_id);
        self.transport.execute(&op).await.map(|_| ())
    }

    pub(crate) async fn head_object(&self, object: Object<'_>) -> Result<ObjectHead> {
        let op = self.protocol.head_object(object.bucket, object.key);
        let response = self.transport.execute(&op).await?;
        self.protocol.parse_head_object(&response)
    }

    /// One attempt at sending a file range: the response, and the CRC-64 of what was sent.
    async fn send_range(
        &self,
        op: &Operation,
        range: &FileRange,
        feed: &Feed,
        attempt: u32,
        what: &str,
        framing: BodyFraming,
    ) -> Result<(Response, u64)> {
        // Held for the whole request, so a folder upload's connection cap is global.
        let _permit = match &feed.connections {
            Some(connections) => Some(connections.acquire(range.size).await?),
            None => None,
        };
        // The watchdog sees every chunk handed to the connection; a server that stops reading
        // (or, once the body is sent, stops answering) is given up on after the idle timeout.
        let started = Instant::now();
        let last_moved = Arc::new(AtomicU64::new(0));
        let mut watched = feed.clone();
        let (inner, moved) = (Arc::clone(&feed.on_sent), Arc::clone(&last_moved));
        watched.on_sent = Arc::new(move |bytes| {
            moved.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            inner(bytes)
        });
        let (body, digest) = file_range::body(range, &watched, framing);
        let idle = self.transport.idle_timeout();
        let send = self.transport.send_once(op, Some(body), attempt);
        tokio::pin!(send);
        let mut check = tokio::time::interval(idle / 8);
        let sent = loop {
            tokio::select! {
                sent = &mut send => break sent,
                _ = check.tick() => {
                    let quiet = started.elapsed().saturating_sub(Duration::from_millis(
                        last_moved.load(Ordering::Relaxed),
                    ));
                    if quiet >= idle {
                        return Err(UploadError::new(
                            ErrorKind::Timeout,
                            format!(
                                "{} {what} to {}: no byte moved for {} s",
                                op.name,
                                self.transport.endpoint_host(),
                                idle.as_secs_f64()
                            ),
                        ));
                    }
                }
            }
        };
        let mut digest = digest.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(read_error) = digest.read_error.take() {
            return Err(file_error(what, read_error));
        }
        Ok((sent?, digest.crc.value()))
    }

    /// Compares the CRC-64 we computed with the server's, when both exist and CRC checking
    /// is on.
    pub(crate) fn check_crc(&self, what: &str, local: u64, server: Option<u64>) -> Result<()> {
        match server {
            Some(server) if self.verify_crc && server != local => Err(UploadError::new(
                ErrorKind::CrcMismatch,
                format!("{what}: CRC-64 mismatch, sent {local}, the server computed {server}"),
            )),
            _ => Ok(()),
        }
    }
}

/// The CRC-64/NVME of a range, read off the async threads.
async fn range_crc64_nvme(range: &FileRange) -> std::io::Result<u64> {
    let range = range.clone();
    tokio::task::spawn_blocking(move || file_range::crc64_nvme(&range))
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
}

/// The store refused a body because it did not match the checksum sent with it.
fn refused_digest(error: &UploadError) -> bool {
    error.http_status() == Some(400)
        && error
            .server
            .as_ref()
            .is_some_and(|s| s.code == "BadDigest" || s.code == "InvalidDigest")
}

/// After a refused body: whether the range still has the checksum the request declared.
/// If not, the file changed after it was digested (retrying would be refused forever), so
/// the error is `FileChanged`; if it has, the bytes were corrupted on the way and the
/// caller's retry sends them again.
async fn check_unchanged(what: &str, range: &FileRange, declared: u64) -> Result<()> {
    match range_crc64_nvme(range).await {
        Ok(now) if now == declared => Ok(()),
        Ok(_) => Err(UploadError::new(
            ErrorKind::FileChanged,
            format!(
                "{what}: the local file changed during the upload (its CRC-64/NVME is not the \
                 one computed before sending, and the store refused the body for it)"
            ),
        )),
        Err(e) => Err(file_error(what, e)),
    }
}

fn file_error(what: &str, error: std::io::Error) -> UploadError {
    if error.kind() == std::io::ErrorKind::UnexpectedEof {
        UploadError::new(
            ErrorKind::FileChanged,
            format!(
                "{what}: the local file changed during the upload (it is shorter than planned)"
            ),
        )
    } else {
        UploadError::new(
            ErrorKind::FileUnreadable,
            format!("{what}: cannot read the local file"),
        )
        .with_cause(error)
    }
}
