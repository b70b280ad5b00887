//! One object of a folder download: its place made safely, the `skip_existing` comparison,
//! then `download_file` with the folder's settings.

use super::{local_path, Downloaded, Fetched, FileTask, Shared};
use crate::cancel::CancelHook;
use crate::download::events::DownloadObservers;
use crate::download::request::DownloadFileRequest;
use crate::download::temp_file::blocking;
use crate::error::{ErrorKind, Result, UploadError};
use crate::events::{ProgressKind, ProgressStatus};
use crate::upload::checkpoint::FileInfo;
use crate::upload_dir::dir_reporter::lock;
use crate::wire::Object;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn local_error(path: &Path, what: &str, e: std::io::Error) -> UploadError {
    UploadError::new(
        ErrorKind::LocalWrite,
        format!("{what} {}: {e}", path.display()),
    )
    .with_cause(e)
}

/// The identity of the regular file at `path` (not followed if a link).
fn identity_of(path: &Path) -> std::io::Result<FileInfo> {
    let meta = std::fs::symlink_metadata(path)?;
    Ok(FileInfo::of(&meta))
}

/// The CRC-64 (ECMA) of the file's bytes; `None` once the cancel hook fired.
fn crc64_of(path: &Path, cancel: &CancelHook) -> std::io::Result<Option<u64>> {
    let mut file = std::fs::File::open(path)?;
    let mut crc = tos_crc64::Crc64::new();
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        if cancel.requested().is_some() {
            return Ok(None);
        }
        match file.read(&mut buffer)? {
            0 => return Ok(Some(crc.value())),
            n => crc.update(&buffer[..n]),
        }
    }
}

impl Shared {
    pub(super) async fn fetch(&self, task: &FileTask) -> Result<Fetched> {
        let (dir, relative, is_directory) = (
            self.request.dir.clone(),
            task.relative.clone(),
            task.is_directory,
        );
        let target = blocking(move || local_path::prepare(&dir, &relative, is_directory))
            .await
            .map_err(|e| {
                UploadError::new(
                    ErrorKind::LocalWrite,
                    format!(
                        "key {:?} cannot be written under {}: {e}",
                        task.key,
                        self.request.dir.display()
                    ),
                )
                .with_cause(e)
            })?;
        if task.is_directory {
            return Ok(Fetched::DirectoryMade);
        }
        if self.request.skip_existing {
            if let Some(identity) = self.identical_local_file(task, &target).await? {
                return Ok(Fetched::AlreadyThere(identity));
            }
        }
        let (received, checkpoint) = self.download(task, target.clone()).await?;
        let identity = blocking(move || identity_of(&target))
            .await
            .map_err(|e| local_error(&task.path, "cannot read back", e))?;
        Ok(Fetched::Downloaded(Downloaded {
            identity,
            received,
            checkpoint,
        }))
    }

    /// With `skip_existing`: the local file's identity when it has the object's size and
    /// CRC-64 (the listing's, else a HEAD's). Without a CRC from the server nothing proves
    /// the file the same, so it is downloaded.
    async fn identical_local_file(
        &self,
        task: &FileTask,
        target: &Path,
    ) -> Result<Option<FileInfo>> {
        let owned = target.to_path_buf();
        let local = match blocking(move || identity_of(&owned)).await {
            Ok(identity) if identity.size == task.object.size => identity,
            _ => return Ok(None),
        };
        let server_crc = match task.object.crc64 {
            Some(crc) => Some(crc),
            None => {
                let object = Object {
                    bucket: &self.request.bucket,
                    key: &task.key,
                };
                let head = self.wire.head_object(object).await?;
                (head.size == task.object.size)
                    .then_some(head.crc64)
                    .flatten()
            }
        };
        let Some(server_crc) = server_crc else {
            return Ok(None);
        };
        let (owned, cancel) = (target.to_path_buf(), self.cancel.clone());
        let local_crc = blocking(move || crc64_of(&owned, &cancel))
            .await
            .map_err(|e| local_error(target, "cannot read", e))?;
        Ok((local_crc == Some(server_crc)).then_some(local))
    }

    /// The body bytes fetched (`DownloadFileOutput::bytes_received`), and the file's
    /// checkpoint, left for the journal's record to outlive.
    async fn download(&self, task: &FileTask, target: PathBuf) -> Result<(u64, Option<PathBuf>)> {
        let request = DownloadFileRequest {
            part_size: self.request.part_size,
            task_num: self.request.task_num,
            enable_checkpoint: self.request.checkpoint_dir.is_some(),
            // A directory: each file's checkpoint under its own default name there.
            checkpoint_file: self.request.checkpoint_dir.clone(),
            cancel: Some(self.cancel.clone()),
            ..DownloadFileRequest::new(&self.request.bucket, &task.key, target)
        };
        let reporter = Arc::clone(&self.reporter);
        let observers = DownloadObservers {
            // Bytes kept by a resume count as done at the start, then as they are written.
            progress: Some(Box::new(move |status: &ProgressStatus| match status.kind {
                ProgressKind::Started => lock(&reporter).add_bytes(status.consumed_bytes),
                ProgressKind::ReadWrite => lock(&reporter).add_bytes(status.rw_once_bytes),
                ProgressKind::Succeeded | ProgressKind::Failed => {}
            })),
            event: None,
            acquire: None,
            shared_limiter: lock(&self.reporter).shared_limiter(),
        };
        crate::download::download_file_asking(
            Arc::clone(&self.wire),
            request,
            observers,
            self.limiter_asks.clone(),
            true,
        )
        .await
        .map(|(output, checkpoint)| (output.bytes_received, checkpoint))
    }
}
