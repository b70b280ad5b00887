//! Completing a stream's upload: Complete, then proof that the object is the stream's, since
//! a stream cannot be sent again.

use super::multipart::Part;
use super::StreamSession;
use crate::error::{Result, UploadError};
use crate::events::UploadEventKind;
use crate::upload::complete::combine_nvme;
use crate::upload::file_request::UploadFileOutput;
use crate::wire::protocol::{CompletedPart, ObjectReceipt};
use crate::wire::WholeChecksum;

impl StreamSession<'_> {
    pub(super) async fn complete(
        &mut self,
        upload_id: &str,
        parts: &[Part],
        declared_nvme: bool,
    ) -> Result<UploadFileOutput> {
        // Created with CRC64NVME, Complete lists each part's (which every part sent under
        // the modes that declare it has: its trailer's or its header's).
        let completed: Vec<CompletedPart> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| CompletedPart {
                part_number: (i + 1) as u32,
                etag: p.done.as_ref().map(|d| d.0.clone()).unwrap_or_default(),
                crc64_nvme: p.crc64_nvme.filter(|_| declared_nvme),
            })
            .collect();
        let local_crc = self.whole_crc.value();
        let local_nvme = declared_nvme.then(|| {
            combine_nvme(
                parts
                    .iter()
                    .map(|p| (p.crc64_nvme.unwrap_or_default(), p.size)),
            )
        });
        let receipt = match self
            .wire
            .complete_multipart_upload(self.object(), upload_id, &completed)
            .await
        {
            Ok(receipt) => self.confirmed(receipt, local_crc, local_nvme).await,
            Err(error) => self.completed_anyway(error, local_crc).await,
        };
        let receipt = match receipt {
            Ok(receipt) => receipt,
            Err(error) => {
                let kind = UploadEventKind::CompleteMultipartUploadFailed;
                self.reporter.event(kind, None, Some(error.clone()));
                return Err(error);
            }
        };
        self.reporter.event(
            UploadEventKind::CompleteMultipartUploadSucceeded,
            None,
            None,
        );
        self.reporter.succeed();
        Ok(UploadFileOutput {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: upload_id.to_string(),
            etag: receipt.etag,
            location: receipt.location,
            version_id: receipt.version_id,
            crc64: receipt.crc64.unwrap_or(local_crc),
            request_id: receipt.request_id,
            part_size: self.part_size,
            bytes_sent: self.read_so_far,
        })
    }

    /// Complete's receipt once its CRC-64 is confirmed. A stream cannot be sent again, so an
    /// object proven not to be the stream's is deleted rather than left under the key, and the
    /// error says which happened.
    async fn confirmed(
        &self,
        receipt: ObjectReceipt,
        local_crc: u64,
        local_nvme: Option<u64>,
    ) -> Result<ObjectReceipt> {
        let what = "the whole stream";
        let checked = self
            .wire
            .check_completed(
                self.object(),
                what,
                WholeChecksum::Crc64,
                local_crc,
                receipt.crc64,
            )
            .await;
        let checked = match (checked, local_nvme) {
            (Ok(crc64), Some(local)) => self
                .wire
                .check_completed(
                    self.object(),
                    what,
                    WholeChecksum::Crc64Nvme,
                    local,
                    receipt.crc64_nvme,
                )
                .await
                .map(|_| crc64),
            (checked, _) => checked,
        };
        let mut error = match checked {
            Ok(crc64) => return Ok(ObjectReceipt { crc64, ..receipt }),
            Err(error) => error,
        };
        let outcome = match self.wire.delete_object(self.object()).await {
            Ok(()) => "the object it made was deleted (a stream cannot be sent again)".to_string(),
            Err(e) => format!(
                "deleting the object it made failed, so the object under the key is NOT the stream's content: {e}"
            ),
        };
        error.message = format!("{}; {outcome}", error.message);
        Err(error)
    }

    /// Complete failed with 404: its reply may have been lost after the server completed the
    /// upload (the retry then finds no upload). The object decides: the stream's size and
    /// CRC-64 mean it is done, as a file's upload does (upload/complete.rs).
    async fn completed_anyway(&self, error: UploadError, local_crc: u64) -> Result<ObjectReceipt> {
        if error.http_status() != Some(404) {
            return Err(error);
        }
        match self.wire.head_object(self.object()).await {
            Ok(head) if head.size == self.read_so_far && head.crc64 == Some(local_crc) => {
                log::info!(
                    "{}/{}: the upload is gone but the object is there with the stream's size and CRC-64; taking it as complete",
                    self.request.bucket,
                    self.request.key
                );
                Ok(ObjectReceipt {
                    etag: head.etag,
                    crc64: Some(local_crc),
                    ..ObjectReceipt::default()
                })
            }
            _ => Err(error),
        }
    }
}
