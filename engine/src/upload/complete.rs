//! Completing the upload: re-check the file, complete with every part, and verify the
//! whole object's CRC-64 before the checkpoint is deleted.

use super::checkpoint::FileInfo;
use super::file_request::UploadFileOutput;
use super::Session;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::UploadEventKind;
use crate::file_system::off_caller;
use crate::wire::file_range::{for_each_block, FileRange};
use crate::wire::protocol::{CompletedPart, ObjectReceipt};
use std::sync::Arc;
use tos_crc64 as crc64;

impl Session {
    pub(super) async fn complete(&mut self) -> Result<UploadFileOutput> {
        let path = self.request.file_path.clone();
        let stat = move || Ok(std::fs::metadata(&path).map(|m| FileInfo::of(&m)).ok());
        let now = match off_caller(&self.cancel, "checking the file before Complete", stat).await {
            Ok(now) => now,
            Err(error) => match self.cancel.requested() {
                Some(kind) => return Err(self.stop(kind).await),
                None => return Err(error),
            },
        };
        if now.is_none_or(|now| now != self.identity) {
            let error = UploadError::new(
                ErrorKind::FileChanged,
                format!(
                    "{} changed during the upload; the upload was aborted rather than completed with mixed content",
                    self.request.file_path.display()
                ),
            );
            return Err(self.abort_after_fatal(error).await);
        }
        let parts: Vec<CompletedPart> = self
            .checkpoint
            .parts
            .iter()
            .map(|p| CompletedPart {
                part_number: p.part_number,
                etag: p.etag.clone(),
            })
            .collect();
        let receipt = self
            .wire
            .complete_multipart_upload(self.object(), &self.checkpoint.upload_id, &parts)
            .await;
        let receipt = match receipt {
            Ok(receipt) => receipt,
            Err(error) => {
                if error.http_status() == Some(404) {
                    // A lost reply to an earlier attempt: the server may have completed it.
                    if let Some(out) = self.finished_by_server(false).await {
                        return Ok(out);
                    }
                }
                if matches!(error.http_status(), Some(404 | 203)) {
                    self.remove_checkpoint();
                }
                self.forget_refused_state(&error).await;
                self.reporter.event(
                    UploadEventKind::CompleteMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        let local_crc = self.whole_crc()?;
        let checked = self
            .wire
            .check_completed_crc(self.object(), "the whole object", local_crc, receipt.crc64)
            .await;
        let object_crc = match checked {
            Ok(crc) => crc,
            Err(mut error) => {
                // The object exists but is not what we sent; keep the checkpoint as evidence.
                error.message = format!(
                "{}; the object now under the key is not the file's content and was left there, with the checkpoint",
                error.message
            );
                self.reporter.event(
                    UploadEventKind::CompleteMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        Ok(self.succeeded(ObjectReceipt {
            crc64: object_crc.or(Some(local_crc)),
            ..receipt
        }))
    }

    fn succeeded(&mut self, receipt: ObjectReceipt) -> UploadFileOutput {
        if !self.limits.leave_checkpoint {
            self.remove_checkpoint();
        }
        self.reporter.event(
            UploadEventKind::CompleteMultipartUploadSucceeded,
            None,
            None,
        );
        self.reporter.succeed();
        UploadFileOutput {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: self.checkpoint.upload_id.clone(),
            etag: receipt.etag,
            location: receipt.location,
            version_id: receipt.version_id,
            crc64: receipt.crc64.unwrap_or_default(),
            request_id: receipt.request_id,
            part_size: self.part_size,
            bytes_sent: self.bytes_sent,
        }
    }

    /// The recorded upload is gone after every part was sent: the process may have died while
    /// the server was completing it, or Complete's reply was lost. If the object is there with
    /// the size and CRC-64 the checkpoint predicts, the upload is done; nothing is re-sent.
    /// `before_parts`: called on resume, before progress has started.
    pub(super) async fn finished_by_server(
        &mut self,
        before_parts: bool,
    ) -> Option<UploadFileOutput> {
        if !self.checkpoint.parts.iter().all(|p| p.is_completed) {
            return None;
        }
        let expected = self.whole_crc().ok()?;
        let head = self.wire.head_object(self.object()).await.ok()?;
        if head.size != self.identity.size || head.crc64 != Some(expected) {
            return None;
        }
        log::info!("{}/{}: upload {} is gone but the object is there with the expected size and CRC-64; taking it as complete",
            self.request.bucket,
            self.request.key,
            self.checkpoint.upload_id
        );
        if before_parts {
            let parts = self.checkpoint.parts.len();
            self.reporter.started(parts, self.identity.size);
        }
        Some(self.succeeded(ObjectReceipt {
            etag: head.etag,
            crc64: Some(expected),
            ..ObjectReceipt::default()
        }))
    }

    /// CRC of the whole file from the parts' CRCs; a part without one (from a Go checkpoint
    /// written without CRC) is read back from the file, a block at a time.
    fn whole_crc(&self) -> Result<u64> {
        let mut whole = 0;
        for part in &self.checkpoint.parts {
            let crc = if part.crc64 == 0 && part.part_size > 0 {
                let range = FileRange {
                    source: Arc::clone(&self.file).into(),
                    offset: part.offset,
                    size: part.part_size,
                };
                let mut digest = crc64::Crc64::new();
                for_each_block(&range, |block| digest.update(block)).map_err(|e| {
                    UploadError::new(ErrorKind::FileUnreadable, "cannot re-read a part")
                        .with_cause(e)
                })?;
                digest.value()
            } else {
                part.crc64
            };
            whole = crc64::combine(whole, crc, part.part_size);
        }
        Ok(whole)
    }
}
