//! The wire layer: typed object-storage operations in, typed results or typed errors out.
//! Everything the uploads know of the network goes through `Wire`. Both protocols are
//! shaped as S3 is, so the skeleton lives here once: addressing and URLs (`endpoint`),
//! signing (`signer`, `sigv4`), the operations (`protocol::Protocol`'s provided methods),
//! their attribute headers (`object_headers`), documents (`documents`) and paging (`parts`,
//! `uploads`). `tos/` and `s3/` keep what each names or encodes its own way. Every
//! operation runs under the one retry policy of `transport::Transport`.

mod answers;
pub(crate) mod aws_chunked;
mod checksum_mode;
mod clock;
mod congestion;
pub(crate) mod content_type;
mod credentials_cache;
mod documents;
mod endpoint;
pub(crate) mod file_range;
mod foreign_answer;
pub(crate) mod get_object;
mod messages;
mod network_error;
mod object_headers;
pub(crate) mod objects;
mod parts;
#[cfg(test)]
mod proptests;
pub(crate) mod protocol;
mod proxy;
#[cfg(test)]
mod put_checksum_tests;
mod redact;
pub(crate) mod request_cap;
pub(crate) mod s3;
mod signer;
mod sigv4;
pub(crate) mod tos;
mod transport;
mod trust;
pub(crate) mod uploads;

use crate::attributes::CreateAttributes;
use crate::cancel::{CancelHook, CancelKind};
use crate::config::{ClientConfig, WireProtocol};
use crate::error::{ErrorKind, Result, UploadError};
use checksum_mode::{ChecksumChoice, Mode};
use file_range::{Feed, FileRange};
use protocol::{
    BodyFraming, CompletedPart, ObjectHead, ObjectReceipt, Operation, PartReceipt, PayloadCheck,
    Protocol, Response,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use transport::Transport;
pub(crate) use transport::{classify, FailureClass};

/// A proxy setting as it may be shown: `scheme://host:port`, never its credentials.
pub(crate) fn shown_proxy(proxy: &str) -> Option<String> {
    proxy::shown(proxy)
}

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
    /// The part's CRC-64/NVME the store verified (its trailer or header), on S3 under the
    /// modes that send one.
    pub crc64_nvme: Option<u64>,
}

/// A multipart upload just created.
#[derive(Debug, Clone)]
pub(crate) struct Created {
    pub upload_id: String,
    /// Created with `x-amz-checksum-algorithm: CRC64NVME`: Complete must list each part's
    /// CRC-64/NVME, and the store answers with the whole object's (docs/s3-stores.md).
    pub crc64_nvme: bool,
}

pub(crate) struct Wire {
    transport: Transport,
    protocol: Arc<dyn Protocol>,
    verify_crc: bool,
    endpoint: String,
    /// How S3 bodies are checked (`None` for TOS, whose bodies carry no check).
    checksums: Option<ChecksumChoice>,
}

impl Wire {
    /// Must run inside the client's runtime (the HTTP client needs its timers).
    pub(crate) fn new(config: &ClientConfig) -> Result<Wire> {
        let protocol: Arc<dyn Protocol> = match config.protocol {
            WireProtocol::Tos => Arc::new(tos::TosProtocol::new(config)?),
            WireProtocol::S3 => Arc::new(s3::S3Protocol::new(config)?),
        };
        let checksums = protocol
            .checks_payloads()
            .then(|| ChecksumChoice::new(config.s3_checksum));
        Ok(Wire {
            transport: Transport::new(config, Arc::clone(&protocol))?,
            checksums,
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

    /// CreateMultipartUpload once the client has credentials to sign with. The wait for them
    /// (a provider may take long) answers `cancel`, with `Err` of the kind asked; Create
    /// itself is not dropped, since a Create in flight would leak its upload.
    pub(crate) async fn create_when_signable(
        &self,
        object: Object<'_>,
        attrs: &CreateAttributes,
        cancel: &CancelHook,
    ) -> std::result::Result<Result<Created>, Option<CancelKind>> {
        let ready = tokio::select! {
            ready = self.transport.credentials_ready() => ready,
            () = cancel.cancelled() => return Err(cancel.requested()),
        };
        Ok(match ready {
            Ok(()) => self.create_multipart_upload(object, attrs).await,
            Err(error) => Err(error),
        })
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

    /// On S3, under the modes that send each part's CRC-64/NVME, the upload is created with
    /// `x-amz-checksum-algorithm: CRC64NVME`, so that the store gives the whole object's
    /// CRC-64/NVME in Complete's answer (CRC-64/NVME has only the full-object type, so
    /// `x-amz-checksum-type` is left to its default). A store that refuses the header gets the
    /// Create again without it, and this client never sends it again.
    pub(crate) async fn create_multipart_upload(
        &self,
        object: Object<'_>,
        attrs: &CreateAttributes,
    ) -> Result<Created> {
        let mut op = self
            .protocol
            .create_multipart_upload(object.bucket, object.key, attrs);
        let choice = self.checksums.as_ref().filter(|c| c.declares_full_object());
        if choice.is_some() {
            op.headers.push((
                checksum_mode::ALGORITHM_HEADER.to_string(),
                checksum_mode::CRC64NVME.to_string(),
            ));
        }
        let mut declared = choice.is_some();
        let response = match (self.transport.execute(&op).await, choice) {
            (Err(error), Some(choice)) if checksum_mode::refused_checksum_algorithm(&error) => {
                choice.full_object_refused(&error, self.transport.endpoint_host());
                op.headers
                    .retain(|(name, _)| name != checksum_mode::ALGORITHM_HEADER);
                declared = false;
                self.transport.execute(&op).await?
            }
            (response, _) => response?,
        };
        Ok(Created {
            upload_id: self.protocol.parse_create_multipart_upload(&response)?,
            crc64_nvme: declared,
        })
    }

    /// Streams one part from the file, retried in place; `on_retry` hears of each failed
    /// attempt that will be retried. Under `S3Checksum::Auto`, a part whose trailer the store
    /// refuses is sent again at once with the header check (see `checksum_mode`).
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
        let part = PartRequest {
            object,
            upload_id,
            part_number,
            attrs,
            range,
            feed,
            on_retry,
        };
        let Some(choice) = &self.checksums else {
            return self.send_part(&part, Mode::None).await;
        };
        let (mode, probe) = choice.for_part().await;
        let sent = self.send_part(&part, mode).await;
        if mode != Mode::Trailer {
            return sent;
        }
        let refused = choice.learn_from(&sent, self.transport.endpoint_host());
        drop(probe);
        match sent {
            _ if refused => self.send_part(&part, Mode::Header).await,
            Err(error) if checksum_mode::refused_trailer(&error) => Err(
                checksum_mode::trailer_refused_error(error, &format!("part {part_number}")),
            ),
            sent => sent,
        }
    }

    /// One part under the retry policy, checked as `mode` says (its digest read first).
    async fn send_part(&self, part: &PartRequest<'_>, mode: Mode) -> Result<SentPart> {
        let what = &format!("part {}", part.part_number);
        let range = part.range;
        let check = checksum_mode::declared(mode, range)
            .await
            .map_err(|e| file_error(what, e))?;
        let op = self.protocol.upload_part(
            part.object.bucket,
            part.object.key,
            part.upload_id,
            part.part_number,
            range.size,
            check,
            part.attrs,
        );
        let op = &op;
        let attempt = |number| async move {
            let (response, sent) = self
                .send_checked(op, range, part.feed, number, what, check)
                .await?;
            let receipt = self.protocol.parse_upload_part(&response)?;
            self.check_crc(what, sent.crc64, receipt.crc64)?;
            let crc64_nvme = match check {
                PayloadCheck::Crc64Nvme(crc) => Some(crc),
                PayloadCheck::Trailer => sent.trailer_nvme,
                PayloadCheck::ContentMd5(_) | PayloadCheck::None => None,
            };
            Ok(SentPart {
                receipt,
                crc64: sent.crc64,
                crc64_nvme,
            })
        };
        self.transport
            .with_retries(op.name, range.size, attempt, part.on_retry)
            .await
    }

    /// The whole file range in one PutObject, retried in place.
    ///
    /// On S3 the digest the mode asks for is read before the first attempt and the body goes
    /// plain (never aws-chunked: see `S3Protocol::payload_headers`).
    pub(crate) async fn put_object(
        &self,
        object: Object<'_>,
        attrs: &CreateAttributes,
        range: &FileRange,
        feed: &Feed,
    ) -> Result<ObjectReceipt> {
        let mode = self
            .checksums
            .as_ref()
            .map_or(Mode::None, |c| c.for_object());
        let check = checksum_mode::declared(mode, range)
            .await
            .map_err(|e| file_error(object.key, e))?;
        let op = self
            .protocol
            .put_object(object.bucket, object.key, range.size, check, attrs);
        let op = &op;
        let attempt = |number| async move {
            let (response, sent) = self
                .send_checked(op, range, feed, number, object.key, check)
                .await?;
            let receipt = self.protocol.parse_put_object(&response)?;
            self.check_crc(object.key, sent.crc64, receipt.crc64)?;
            Ok(ObjectReceipt {
                crc64: Some(sent.crc64),
                ..receipt
            })
        };
        self.transport
            .with_retries(op.name, range.size, attempt, &|_| {})
            .await
    }

    /// One attempt at a body sent with `check`. A store that refuses the body for a digest
    /// mismatch gets it again (corrupted on the way) unless the range no longer has the
    /// digest declared: then the file changed after it was read for it, no attempt can
    /// succeed, and the upload fails with `FileChanged` at once.
    async fn send_checked(
        &self,
        op: &Operation,
        range: &FileRange,
        feed: &Feed,
        attempt: u32,
        what: &str,
        check: PayloadCheck,
    ) -> Result<(Response, Streamed)> {
        match self
            .send_range(op, range, feed, attempt, what, check.framing())
            .await
        {
            Err(error) if checksum_mode::refused_digest(&error) => {
                Err(checksum_mode::check_unchanged(what, range, check)
                    .await
                    .err()
                    .unwrap_or(error))
            }
            sent => sent,
        }
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

    /// Only ever a stream's object that is proven corrupt: nothing else is deleted.
    pub(crate) async fn delete_object(&self, object: Object<'_>) -> Result<()> {
        let op = self.protocol.delete_object(object.bucket, object.key);
        self.transport.execute(&op).await.map(|_| ())
    }

    /// Complete's checksum of the whole object against ours: TOS's CRC-64, or S3's
    /// CRC-64/NVME (an upload created with that algorithm, ours combined from the parts').
    /// A mismatch is believed only once HeadObject confirms it: a reply damaged on the way (a
    /// proxy, a flipped bit) must not fail an upload whose object is intact, nor make a stream
    /// delete a good object. Returns the object's checksum as established (the reply's, or
    /// HeadObject's when the reply was wrong); `None` when the store gave none, so only the
    /// parts were checked.
    pub(crate) async fn check_completed(
        &self,
        object: Object<'_>,
        what: &str,
        checksum: WholeChecksum,
        local: u64,
        reported: Option<u64>,
    ) -> Result<Option<u64>> {
        let Some(reported) = reported else {
            return Ok(None);
        };
        if !self.verify_crc || reported == local {
            return Ok(Some(reported));
        }
        let mismatch = UploadError::new(
            ErrorKind::CrcMismatch,
            format!(
                "{what}: {} mismatch, sent {}, the server computed {}",
                checksum.name(),
                checksum.show(local),
                checksum.show(reported)
            ),
        );
        match self.head_object(object).await {
            Ok(head) if checksum.of(&head) == Some(local) => {
                log::warn!(
                    "{}/{}: {what}: Complete's reply gave {} {}, but the stored object has {}, as sent: the reply was damaged, the object is intact",
                    object.bucket,
                    object.key,
                    checksum.name(),
                    checksum.show(reported),
                    checksum.show(local)
                );
                Ok(Some(local))
            }
            _ => Err(mismatch),
        }
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
    ) -> Result<(Response, Streamed)> {
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
        let streamed = Streamed {
            crc64: digest.crc.value(),
            trailer_nvme: digest.trailer_nvme,
        };
        Ok((sent?, streamed))
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

/// A whole object's checksum, as Complete and HeadObject give it.
#[derive(Clone, Copy)]
pub(crate) enum WholeChecksum {
    /// TOS's CRC-64/XZ, in decimal.
    Crc64,
    /// S3's CRC-64/NVME, in base64.
    Crc64Nvme,
}

impl WholeChecksum {
    fn of(self, head: &ObjectHead) -> Option<u64> {
        match self {
            WholeChecksum::Crc64 => head.crc64,
            WholeChecksum::Crc64Nvme => head.crc64_nvme,
        }
    }

    fn name(self) -> &'static str {
        match self {
            WholeChecksum::Crc64 => "CRC-64",
            WholeChecksum::Crc64Nvme => "CRC-64/NVME",
        }
    }

    fn show(self, crc: u64) -> String {
        match self {
            WholeChecksum::Crc64 => crc.to_string(),
            WholeChecksum::Crc64Nvme => aws_chunked::checksum_text(crc),
        }
    }
}

/// What one attempt streamed: the CRC-64/XZ of the bytes, and the CRC-64/NVME its trailer
/// carried when it was aws-chunked.
struct Streamed {
    crc64: u64,
    trailer_nvme: Option<u64>,
}

/// One UploadPart's arguments, kept together across its attempts and modes.
struct PartRequest<'a> {
    object: Object<'a>,
    upload_id: &'a str,
    part_number: u32,
    attrs: &'a CreateAttributes,
    range: &'a FileRange,
    feed: &'a Feed,
    on_retry: &'a (dyn Fn(&UploadError) + Sync),
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
