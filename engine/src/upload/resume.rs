//! Resuming from a checkpoint: validate it against the file, then reconcile it with the
//! server's own list of parts.

use super::checkpoint::{self, Checkpoint, Loaded};
use super::file_request::UploadFileOutput;
use super::{part_layout, unquote, Session};
use crate::cancel::CancelKind;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::UploadEventKind;
use crate::file_system::off_caller;
use crate::wire::file_range::{for_each_block, FileRange};
use crate::wire::protocol::ListedPart;
use std::sync::Arc;

/// Where a checkpoint leaves the upload.
pub(super) enum Resumed {
    /// No usable checkpoint: create a new upload.
    Fresh,
    /// The recorded upload goes on.
    Continue,
    /// The server had already completed the recorded upload.
    Finished(UploadFileOutput),
}

impl Session {
    /// Tries to continue the upload recorded in the checkpoint; a checkpoint found unusable
    /// is reported and removed.
    pub(super) async fn resume(&mut self) -> Result<Resumed> {
        let Some(path) = self.checkpoint_path.clone() else {
            return Ok(Resumed::Fresh);
        };
        let load_path = path.clone();
        let loaded = off_caller(&self.cancel, "reading the checkpoint", move || {
            checkpoint::remove_stale_temp(&load_path);
            Ok(checkpoint::load(&load_path))
        })
        .await?;
        let (saved, invalid) = match loaded {
            Loaded::Missing => return Ok(Resumed::Fresh),
            Loaded::Refused(error) => return Err(error),
            Loaded::Corrupt {
                why,
                salvaged: Some(saved),
            } => (saved, Some(why)),
            Loaded::Corrupt {
                why,
                salvaged: None,
            } => {
                self.discard_checkpoint(UploadError::new(
                    ErrorKind::CheckpointIo,
                    format!("checkpoint discarded: {why}"),
                ));
                return Ok(Resumed::Fresh);
            }
            Loaded::Found(saved) => (saved, None),
        };
        let saved_protocol = match saved.protocol.as_str() {
            "" => "tos",
            other => other,
        };
        let same_server = saved_protocol == self.wire.protocol_name()
            && (saved.endpoint.is_empty() || saved.endpoint == self.wire.endpoint());
        let ours =
            same_server && saved.bucket == self.request.bucket && saved.key == self.request.key;
        let why = if let Some(invalid) = invalid {
            Some((ErrorKind::CheckpointIo, invalid))
        } else if !same_server {
            Some((
                ErrorKind::CheckpointIo,
                format!(
                    "it records an upload over {saved_protocol} at {:?}, not {} at {:?}",
                    saved.endpoint,
                    self.wire.protocol_name(),
                    self.wire.endpoint()
                ),
            ))
        } else if !ours {
            Some((
                ErrorKind::CheckpointIo,
                "it records another bucket or key".to_string(),
            ))
        } else if saved.file_path != self.file_path_text() {
            Some((
                ErrorKind::CheckpointIo,
                format!("it records another file path {:?}", saved.file_path),
            ))
        } else if !saved.file_info.matches(&self.identity) {
            Some((
                ErrorKind::FileChanged,
                "the local file changed since the checkpoint was written".to_string(),
            ))
        } else if !part_layout::tiles_file(&saved.parts, self.identity.size) {
            Some((
                ErrorKind::CheckpointIo,
                "its parts do not match the file's size".to_string(),
            ))
        } else {
            None
        };
        if let Some((kind, why)) = why {
            if ours && checkpoint::plausible_upload_id(&saved.upload_id) {
                // The old upload can never complete: free its parts on the server.
                self.abort_upload(&saved.upload_id).await;
            }
            self.discard_checkpoint(UploadError::new(
                kind,
                format!("checkpoint {} discarded: {why}", path.display()),
            ));
            return Ok(Resumed::Fresh);
        }
        self.checkpoint = *saved;
        self.reporter.upload_id = Some(self.checkpoint.upload_id.clone());
        match self.reconcile_with_server().await {
            Ok(()) => {}
            Err(error) if error.http_status() == Some(404) => {
                if let Some(out) = self.finished_by_server(true).await {
                    return Ok(Resumed::Finished(out));
                }
                self.reporter.upload_id = None;
                self.discard_checkpoint(UploadError::new(
                    ErrorKind::Server,
                    format!(
                        "checkpoint {} discarded: the server no longer has upload {}",
                        path.display(),
                        self.checkpoint.upload_id
                    ),
                ));
                self.checkpoint = Checkpoint::default();
                return Ok(Resumed::Fresh);
            }
            Err(error) => return Err(error),
        }
        self.part_size = self.checkpoint.part_size;
        self.save_checkpoint()?;
        self.reporter
            .event(UploadEventKind::UploadResumed, None, None);
        Ok(Resumed::Continue)
    }

    /// Complete refused what the checkpoint records (parts too small, unknown or out of
    /// order, or the upload gone): resuming it would fail the same way on every run, so the
    /// upload is aborted and the next run starts afresh.
    pub(super) async fn forget_refused_state(&mut self, error: &UploadError) {
        const REFUSALS: &[&str] = &[
            "EntityTooSmall",
            "InvalidPart",
            "InvalidPartOrder",
            "NoSuchUpload",
            // A part's CRC-64/NVME listed is not the store's: the checkpoint recorded a wrong
            // one (it is untrusted), and every resume would list it again.
            "BadDigest",
        ];
        let Some(server) = &error.server else {
            return;
        };
        if !(400..500).contains(&server.status) || !REFUSALS.contains(&server.code.as_str()) {
            return;
        }
        let upload_id = self.checkpoint.upload_id.clone();
        if server.code != "NoSuchUpload" && !upload_id.is_empty() {
            self.abort_upload(&upload_id).await;
        }
        if let Some(path) = self.checkpoint_path.clone() {
            self.discard_checkpoint(UploadError::new(
                ErrorKind::Server,
                format!(
                    "checkpoint {} discarded: Complete refused upload {upload_id} ({}), so resuming it would fail again",
                    path.display(),
                    server.code
                ),
            ));
        }
    }

    /// The checkpoint is removed rather than kept aside: the reason is in the event and the
    /// Warn log line, and a file kept would only be found and refused again.
    fn discard_checkpoint(&mut self, reason: UploadError) {
        log::warn!("{reason}");
        self.remove_checkpoint();
        self.reporter
            .event(UploadEventKind::CheckpointDiscarded, None, Some(reason));
    }

    /// Keeps as done only the parts the server holds with the same size and ETag.
    async fn reconcile_with_server(&mut self) -> Result<()> {
        let listed = tokio::select! {
            listed = self.wire.list_parts(self.object(), &self.checkpoint.upload_id) => listed?,
            _ = self.cancel.cancelled() => {
                let kind = self.cancel.requested().unwrap_or(CancelKind::Pause);
                return Err(self.stop(kind).await);
            }
        };
        let on_server: std::collections::HashMap<u32, ListedPart> =
            listed.into_iter().map(|p| (p.part_number, p)).collect();
        for part in &mut self.checkpoint.parts {
            let confirmed = on_server.get(&part.part_number).is_some_and(|listed| {
                listed.size == part.part_size && unquote(&listed.etag) == unquote(&part.etag)
            });
            if part.is_completed && !confirmed {
                part.is_completed = false;
                part.etag.clear();
                part.crc64 = 0;
                part.crc64_nvme = None;
            }
        }
        self.adopt_unrecorded_parts(&on_server).await
    }

    /// A crash between a part's success and the checkpoint write leaves parts on the server
    /// that the checkpoint does not know. Where the server's ETag is the MD5 of the same bytes
    /// of the file, the part is taken as done instead of being sent again (reading it back
    /// costs far less than uploading it).
    async fn adopt_unrecorded_parts(
        &mut self,
        on_server: &std::collections::HashMap<u32, ListedPart>,
    ) -> Result<()> {
        for index in 0..self.checkpoint.parts.len() {
            let part = &self.checkpoint.parts[index];
            let Some(listed) = on_server.get(&part.part_number) else {
                continue;
            };
            let server_md5 = unquote(&listed.etag).to_ascii_lowercase();
            let looks_like_md5 =
                server_md5.len() == 32 && server_md5.bytes().all(|b| b.is_ascii_hexdigit());
            if part.is_completed || listed.size != part.part_size || !looks_like_md5 {
                continue;
            }
            let range = FileRange {
                source: Arc::clone(&self.file).into(),
                offset: part.offset,
                size: part.part_size,
            };
            let digests = tokio::task::spawn_blocking(move || md5_and_crc(&range))
                .await
                .map_err(|e| {
                    UploadError::new(ErrorKind::Internal, "part check failed").with_cause(e)
                })?;
            let Ok((md5, crc64)) = digests else {
                continue; // unreadable now: sending it will report the error
            };
            if md5 == server_md5 {
                let part = &mut self.checkpoint.parts[index];
                part.is_completed = true;
                part.etag = listed.etag.clone();
                part.crc64 = crc64;
                // Read again when Complete needs it (`Session::part_nvmes`).
                part.crc64_nvme = None;
                log::info!(
                    "part {} is on the server with the file's content; not sending it again",
                    part.part_number
                );
            }
        }
        Ok(())
    }
}

fn md5_and_crc(range: &FileRange) -> std::io::Result<(String, u64)> {
    use md5::{Digest, Md5};
    let mut md5 = Md5::new();
    let mut crc = tos_crc64::Crc64::new();
    for_each_block(range, |block| {
        md5.update(block);
        crc.update(block);
    })?;
    Ok((hex::encode(md5.finalize()), crc.value()))
}
