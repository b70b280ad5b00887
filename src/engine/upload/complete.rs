//! Completing the upload: re-check the file, complete with every part, and verify the
//! whole object's CRC-64 before the checkpoint is deleted.

use super::Session;
use crate::engine::checkpoint::FileInfo;
use crate::engine::crc64;
use crate::engine::error::{ErrorKind, Result, UploadError};
use crate::engine::events::UploadEventKind;
use crate::engine::protocol::CompletedPart;
use crate::engine::request::UploadFileOutput;
use std::sync::Arc;

impl Session {
    pub(super) async fn complete(&mut self) -> Result<UploadFileOutput> {
        let now = std::fs::metadata(&self.request.file_path)
            .map(|m| FileInfo::of(&m))
            .ok();
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
        let protocol = Arc::clone(&self.transport.protocol);
        let op = protocol.complete_multipart_upload(
            &self.request.bucket,
            &self.request.key,
            &self.checkpoint.upload_id,
            &parts,
        );
        let receipt = match self.transport.execute(&op).await {
            Ok(response) => protocol.parse_complete_multipart_upload(&response),
            Err(error) => Err(error),
        };
        let receipt = match receipt {
            Ok(receipt) => receipt,
            Err(error) => {
                if matches!(error.http_status(), Some(404 | 203)) {
                    self.remove_checkpoint();
                }
                self.reporter.event(
                    UploadEventKind::CompleteMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        };
        let local_crc = self.whole_crc()?;
        if self.enable_crc {
            if let Some(server_crc) = receipt.crc64.filter(|crc| *crc != local_crc) {
                // The object exists but is not what we sent; keep the checkpoint as evidence.
                let error = UploadError::new(
                    ErrorKind::CrcMismatch,
                    format!(
                        "CRC-64 of the whole object mismatch: expected {local_crc}, the server has {server_crc}"
                    ),
                );
                self.reporter.event(
                    UploadEventKind::CompleteMultipartUploadFailed,
                    None,
                    Some(error.clone()),
                );
                return Err(error);
            }
        }
        self.remove_checkpoint();
        self.reporter
            .event(UploadEventKind::CompleteMultipartUploadSucceed, None, None);
        self.reporter.succeed();
        Ok(UploadFileOutput {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: self.checkpoint.upload_id.clone(),
            etag: receipt.etag,
            location: receipt.location,
            version_id: receipt.version_id,
            crc64: receipt.crc64.unwrap_or(local_crc),
            request_id: receipt.request_id,
            part_size: self.part_size,
            bytes_sent: self.bytes_sent,
        })
    }

    /// CRC of the whole file from the parts' CRCs; a part without one (from a Go checkpoint
    /// written without CRC) is read back from the file.
    fn whole_crc(&self) -> Result<u64> {
        use std::os::unix::fs::FileExt;
        let mut whole = 0;
        for part in &self.checkpoint.parts {
            let crc = if part.crc64 == 0 && part.part_size > 0 {
                let mut buf = vec![0u8; part.part_size as usize];
                self.file
                    .read_exact_at(&mut buf, part.offset)
                    .map_err(|e| {
                        UploadError::new(ErrorKind::FileUnreadable, "cannot re-read a part")
                            .with_cause(e)
                    })?;
                crc64::checksum(&buf)
            } else {
                part.crc64
            };
            whole = crc64::combine(whole, crc, part.part_size);
        }
        Ok(whole)
    }
}
