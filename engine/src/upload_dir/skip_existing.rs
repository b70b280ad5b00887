//! `skip_existing`: a file whose key already holds the same content is not sent again. Same
//! content is proved only by the size and a checksum the server computed itself (TOS's
//! CRC-64/XZ, or an S3 store's CRC-64/NVME) equal to the file's; without one the file is
//! uploaded, since an ETag is not a content hash for multipart objects.

use super::{FileTask, Shared};
use crate::cancel::CancelHook;
use crate::error::{ErrorKind, Result, UploadError};
use crate::upload::validate::open_source;
use crate::wire::file_range::{for_each_block, FileRange};
use crate::wire::protocol::ObjectHead;
use crate::wire::Object;
use std::sync::Arc;

/// The file is read in slices this big, so a cancel request is seen between two of them.
const SLICE: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Checksum {
    Crc64Xz(u64),
    Crc64Nvme(u64),
}

impl Shared {
    /// The object at the task's key when it provably holds the file's content; `None` when
    /// the file must be uploaded (no object, another size, no checksum, another checksum).
    pub(super) async fn existing_copy(&self, task: &FileTask) -> Result<Option<ObjectHead>> {
        let object = Object {
            bucket: &self.request.bucket,
            key: &task.key,
        };
        let head = tokio::select! {
            head = async {
                // A HEAD is a request in flight like any other under the connection cap.
                let _permit = self.connections.acquire(0).await?;
                self.wire.head_object(object).await
            } => head,
            _ = self.cancel.cancelled() => return Err(cancelled()),
        };
        let head = match head {
            Ok(head) => head,
            Err(error) if error.http_status() == Some(404) => return Ok(None),
            Err(error) => return Err(error),
        };
        let theirs = match (head.crc64, head.crc64_nvme) {
            (Some(crc), _) => Checksum::Crc64Xz(crc),
            (None, Some(crc)) => Checksum::Crc64Nvme(crc),
            (None, None) => return Ok(None),
        };
        if head.size != task.identity.size {
            return Ok(None);
        }
        let (file, identity) = open_source(&task.path)?;
        if identity.size != head.size {
            return Ok(None);
        }
        let range = FileRange {
            source: Arc::new(file).into(),
            offset: 0,
            size: identity.size,
        };
        let cancel = self.cancel.clone();
        let ours = tokio::task::spawn_blocking(move || checksum_like(theirs, &range, &cancel))
            .await
            .map_err(|e| {
                UploadError::new(ErrorKind::Internal, "checksum task failed").with_cause(e)
            })?
            .map_err(|e| {
                UploadError::new(
                    ErrorKind::FileUnreadable,
                    format!("cannot read {}", task.path.display()),
                )
                .with_cause(e)
            })?;
        match ours {
            None => Err(cancelled()),
            Some(ours) => Ok((ours == theirs).then_some(head)),
        }
    }
}

/// The file's checksum of the same kind as `theirs`; `None` once the cancel hook fired.
fn checksum_like(
    theirs: Checksum,
    range: &FileRange,
    cancel: &CancelHook,
) -> std::io::Result<Option<Checksum>> {
    let mut xz = tos_crc64::Crc64::new();
    let mut nvme = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    let mut offset = 0;
    while offset < range.size {
        if cancel.requested().is_some() {
            return Ok(None);
        }
        let slice = FileRange {
            source: range.source.clone(),
            offset,
            size: SLICE.min(range.size - offset),
        };
        for_each_block(&slice, |block| match theirs {
            Checksum::Crc64Xz(_) => xz.update(block),
            Checksum::Crc64Nvme(_) => nvme.update(block),
        })?;
        offset += slice.size;
    }
    Ok(Some(match theirs {
        Checksum::Crc64Xz(_) => Checksum::Crc64Xz(xz.value()),
        Checksum::Crc64Nvme(_) => Checksum::Crc64Nvme(nvme.finalize()),
    }))
}

fn cancelled() -> UploadError {
    UploadError::new(ErrorKind::Paused, "stopped by the cancel hook")
}
