//! Completing the upload: re-check the file, complete with every part, and verify the
//! whole object's CRC-64 before the checkpoint is deleted.

use super::checkpoint::{self, FileInfo};
use super::file_request::UploadFileOutput;
use super::Session;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::UploadEventKind;
use crate::file_system::off_caller;
use crate::wire::file_range::{crc64_nvme, for_each_block, FileRange};
use crate::wire::protocol::{CompletedPart, ObjectReceipt};
use crate::wire::WholeChecksum;
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
        let nvmes = match self.part_nvmes().await {
            Ok(nvmes) => nvmes,
            // The upload stays, with its checkpoint, for a run that can read the file.
            Err(error) => return Err(error),
        };
        let parts: Vec<CompletedPart> = self
            .checkpoint
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| CompletedPart {
                part_number: p.part_number,
                etag: p.etag.clone(),
                crc64_nvme: nvmes.as_ref().map(|n| n[i]),
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
            .check_completed(
                self.object(),
                "the whole object",
                WholeChecksum::Crc64,
                local_crc,
                receipt.crc64,
            )
            .await;
        let checked = match (checked, nvmes) {
            (Ok(crc), Some(nvmes)) => {
                let local = combine_nvme(
                    nvmes
                        .iter()
                        .zip(&self.checkpoint.parts)
                        .map(|(c, p)| (*c, p.part_size)),
                );
                self.wire
                    .check_completed(
                        self.object(),
                        "the whole object",
                        WholeChecksum::Crc64Nvme,
                        local,
                        receipt.crc64_nvme,
                    )
                    .await
                    .map(|_| crc)
            }
            (checked, _) => checked,
        };
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

    /// Each part's CRC-64/NVME, when the upload was created with that algorithm (Complete
    /// then requires them): as the checkpoint records it, else (a part adopted from ListParts,
    /// a checkpoint written before the field existed) read again from the file.
    async fn part_nvmes(&self) -> Result<Option<Vec<u64>>> {
        if self.checkpoint.checksum_algorithm != checkpoint::CRC64NVME {
            return Ok(None);
        }
        let parts = self.checkpoint.parts.clone();
        let file = Arc::clone(&self.file);
        let read = move || {
            parts
                .iter()
                .map(|part| match part.crc64_nvme {
                    Some(crc) => Ok(crc),
                    None => crc64_nvme(&FileRange {
                        source: Arc::clone(&file).into(),
                        offset: part.offset,
                        size: part.part_size,
                    }),
                })
                .collect::<std::io::Result<Vec<u64>>>()
        };
        let nvmes = tokio::task::spawn_blocking(read)
            .await
            .map_err(|e| UploadError::new(ErrorKind::Internal, "part check failed").with_cause(e))?
            .map_err(|e| {
                UploadError::new(ErrorKind::FileUnreadable, "cannot re-read a part").with_cause(e)
            })?;
        Ok(Some(nvmes))
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

/// The CRC-64/NVME of consecutive pieces from each piece's CRC and length.
pub(crate) fn combine_nvme(pieces: impl IntoIterator<Item = (u64, u64)>) -> u64 {
    pieces.into_iter().fold(0, |whole, (crc, len)| {
        crc_fast::checksum_combine(crc_fast::CrcAlgorithm::Crc64Nvme, whole, crc, len)
    })
}

#[cfg(test)]
mod tests {
    use super::combine_nvme;

    #[test]
    fn the_parts_crc64_nvme_combine_into_the_whole_objects() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let nvme = |bytes: &[u8]| crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, bytes);
        for cuts in [
            vec![0, 100_000],
            vec![0, 1, 100_000],
            vec![0, 5_000, 5_001, 77_777, 100_000],
        ] {
            let pieces = cuts
                .windows(2)
                .map(|w| (nvme(&data[w[0]..w[1]]), (w[1] - w[0]) as u64));
            assert_eq!(combine_nvme(pieces), nvme(&data), "{cuts:?}");
        }
        assert_eq!(combine_nvme([]), nvme(b""));
    }
}
