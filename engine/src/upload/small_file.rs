//! A file under the multipart threshold goes up in one PutObject: one request instead of
//! Create, UploadPart and Complete. There is no upload id and no checkpoint (a rerun simply
//! sends the file again); progress, the rate limiter and the cancel hook work as for parts.

use super::file_request::UploadFileOutput;
use super::Session;
use crate::cancel::CancelKind;
use crate::error::{ErrorKind, Result, UploadError};
use crate::parts::upload_reporter::PartProgress;
use crate::parts::whole_object::{self, SinglePut};
use crate::wire::Object;
use std::sync::Arc;

impl Session {
    pub(super) async fn put_whole_file(&mut self) -> Result<UploadFileOutput> {
        self.reporter.started(1, 0);
        let put = SinglePut {
            wire: &self.wire,
            object: Object {
                bucket: &self.request.bucket,
                key: &self.request.key,
            },
            attributes: &self.attributes,
            source: Arc::clone(&self.file).into(),
            size: self.identity.size,
            connections: self.limits.connections.clone(),
            cancel: &self.cancel,
        };
        // The whole file is "part" 0 of the reporter.
        let mut progress = PartProgress::new(&mut self.reporter, 0);
        let receipt = match whole_object::put_object(put, &mut progress).await {
            Ok(receipt) => receipt,
            Err(error) => {
                self.reporter.flush();
                return Err(match self.cancel.requested() {
                    Some(kind) => stopped_put(kind),
                    None => error,
                });
            }
        };
        self.reporter.succeed();
        Ok(UploadFileOutput {
            bucket: self.request.bucket.clone(),
            key: self.request.key.clone(),
            upload_id: String::new(),
            etag: receipt.etag,
            location: receipt.location,
            version_id: receipt.version_id,
            crc64: receipt.crc64.unwrap_or_default(),
            request_id: receipt.request_id,
            part_size: 0,
            bytes_sent: self.identity.size,
        })
    }
}

/// Nothing was stored and nothing is kept: both a pause and an abort leave no trace, and the
/// next call sends the file again.
fn stopped_put(kind: CancelKind) -> UploadError {
    match kind {
        CancelKind::Pause => UploadError::new(
            ErrorKind::Paused,
            "upload paused: the single PutObject was stopped before the object was stored; \
             there is nothing to resume, the next call sends the file again",
        ),
        CancelKind::Abort => UploadError::new(
            ErrorKind::Aborted,
            "upload aborted: the single PutObject was stopped before the object was stored",
        ),
    }
}
