//! Everything about the input that can be checked before a byte is sent.

use crate::error::{ErrorKind, Result, UploadError};
use crate::file_system::off_caller;
use crate::upload::checkpoint::{self, FileInfo};
use crate::upload::file_request::{
    resolve_part_size, resolve_task_num, UploadFileRequest, MAX_PUT_OBJECT_SIZE,
};
use crate::wire::Wire;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;

/// The checked input: an open file, its identity, and resolved settings.
pub struct Source {
    pub file: File,
    pub identity: FileInfo,
    pub part_size: u64,
    /// `AUTO_TASK_NUM` or 1..=1000.
    pub task_num: u32,
    pub checkpoint_path: Option<PathBuf>,
    /// Small enough for one PutObject (and not forced through multipart).
    pub one_put: bool,
}

pub(super) async fn check(wire: &Wire, request: &UploadFileRequest) -> Result<Source> {
    wire.check_object(&request.bucket, &request.key, &request.attributes)?;
    let part_size = resolve_part_size(request.part_size)?;
    let task_num = resolve_task_num(request.task_num)?;
    let threshold = match request.multipart_threshold {
        0 => part_size,
        size if size <= MAX_PUT_OBJECT_SIZE => size,
        size => {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "invalid multipart threshold {size}: one PutObject takes at most {MAX_PUT_OBJECT_SIZE} bytes"
                ),
            ))
        }
    };
    // Both touch the file system, which may be a hung network mount.
    let cancel = request.cancel.clone().unwrap_or_default();
    let path = request.file_path.clone();
    let what = format!("opening {}", path.display());
    let (file, identity) = off_caller(&cancel, &what, move || open_source(&path)).await?;
    let checkpoint_path = if request.enable_checkpoint {
        let (explicit, path) = (request.checkpoint_file.clone(), request.file_path.clone());
        let (bucket, key) = (request.bucket.clone(), request.key.clone());
        let resolve = move || checkpoint::resolve_path(explicit.as_deref(), &path, &bucket, &key);
        Some(off_caller(&cancel, "finding the checkpoint's folder", resolve).await?)
    } else {
        None
    };
    Ok(Source {
        file,
        identity,
        part_size,
        task_num,
        checkpoint_path,
        one_put: !request.force_multipart && identity.size < threshold,
    })
}

pub(crate) fn open_source(path: &std::path::Path) -> Result<(File, FileInfo)> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => UploadError::new(
            ErrorKind::FileNotFound,
            format!("invalid file path {shown}: the file does not exist"),
        ),
        _ => UploadError::new(ErrorKind::FileUnreadable, format!("cannot stat {shown}"))
            .with_cause(e),
    })?;
    if metadata.is_dir() {
        return Err(UploadError::new(
            ErrorKind::FileIsDirectory,
            format!("{shown} is a directory: upload a file (or use the directory upload)"),
        ));
    }
    if !metadata.is_file() {
        // A FIFO or device has no stable size to cut into parts.
        return Err(UploadError::new(
            ErrorKind::FileUnreadable,
            format!("{shown} is not a regular file"),
        ));
    }
    open_regular(path)
}

/// Opens what a stat just found to be a regular file (`open_source`'s, or a folder walk's,
/// which spares each small file a second stat) and checks again on the open descriptor.
pub(crate) fn open_regular(path: &std::path::Path) -> Result<(File, FileInfo)> {
    let shown = path.display();
    let unreadable = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => UploadError::new(
            ErrorKind::FileNotFound,
            format!("invalid file path {shown}: the file does not exist"),
        ),
        _ => UploadError::new(ErrorKind::FileUnreadable, format!("cannot read {shown}"))
            .with_cause(e),
    };
    // Without blocking: the path may have been replaced by a FIFO since the stat.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(UploadError::new(
            ErrorKind::FileUnreadable,
            format!("{shown} is not a regular file"),
        ));
    }
    // Only a size of 0 is suspect; a read per file would cost folders of small files a
    // system call each.
    let mut probe = [0u8; 1];
    if metadata.len() == 0 && file.read_at(&mut probe, 0).map_err(unreadable)? > 0 {
        // /proc and /sys files say 0 bytes and generate their content when read: uploaded
        // by their size, they would become an empty object reported as a success.
        return Err(UploadError::new(
            ErrorKind::FileUnreadable,
            format!(
                "{shown} reports a size of 0 but has content (a /proc or /sys file?): \
                 its size cannot be trusted, so it is not uploaded"
            ),
        ));
    }
    Ok((file, FileInfo::of(&metadata)))
}
