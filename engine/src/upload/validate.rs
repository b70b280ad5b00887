//! Everything about the input that can be checked before a byte is sent.

use crate::attributes::CreateAttributes;
use crate::error::{ErrorKind, Result, UploadError};
use crate::upload::checkpoint::{self, FileInfo};
use crate::upload::file_request::{
    UploadFileRequest, DEFAULT_PART_SIZE, DEFAULT_TASK_NUM, MAX_PART_SIZE, MAX_TASK_NUM,
    MIN_PART_SIZE,
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
    pub task_num: u32,
    pub checkpoint_path: Option<PathBuf>,
}

pub(super) fn check(wire: &Wire, request: &UploadFileRequest) -> Result<Source> {
    wire.check_bucket(&request.bucket)?;
    if request.key.is_empty() {
        return Err(UploadError::new(
            ErrorKind::InvalidKey,
            "invalid object name: the key must not be empty",
        ));
    }
    let part_size = match request.part_size {
        0 => DEFAULT_PART_SIZE,
        size if (MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) => size,
        size => {
            return Err(UploadError::new(
                ErrorKind::InvalidPartSize,
                format!("invalid part size {size}: it must be in [5242880, 5368709120]"),
            ))
        }
    };
    check_attributes(&request.attributes)?;
    let task_num = match request.task_num {
        0 => DEFAULT_TASK_NUM,
        n => n.clamp(1, MAX_TASK_NUM),
    };
    let (file, identity) = open_source(&request.file_path)?;
    let checkpoint_path = if request.enable_checkpoint {
        Some(checkpoint::resolve_path(
            request.checkpoint_file.as_deref(),
            &request.file_path,
            &request.bucket,
            &request.key,
        )?)
    } else {
        None
    };
    Ok(Source {
        file,
        identity,
        part_size,
        task_num,
        checkpoint_path,
    })
}

/// The enumerations the Go SDK checks (`check.go`), refused here rather than by the server.
const ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
    "bucket-owner-entrusted",
    "default",
];
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "IA",
    "ARCHIVE_FR",
    "INTELLIGENT_TIERING",
    "COLD_ARCHIVE",
    "ARCHIVE",
    "DEEP_COLD_ARCHIVE",
];

fn check_attributes(attrs: &CreateAttributes) -> Result<()> {
    let invalid = |what: &str, value: &str| {
        Err(UploadError::new(
            ErrorKind::InvalidArgument,
            format!("invalid {what} {value:?}"),
        ))
    };
    if let Some(acl) = attrs.acl.as_deref().filter(|v| !ACLS.contains(v)) {
        return invalid("acl type", acl);
    }
    if let Some(class) = attrs
        .storage_class
        .as_deref()
        .filter(|v| !STORAGE_CLASSES.contains(v))
    {
        return invalid("storage class", class);
    }
    if let Some(algorithm) = attrs.ssec_algorithm.as_deref().filter(|v| *v != "AES256") {
        return invalid("SSE-C algorithm (only AES256 is supported)", algorithm);
    }
    let ssec_fields = [&attrs.ssec_algorithm, &attrs.ssec_key, &attrs.ssec_key_md5];
    let set = ssec_fields.iter().filter(|f| f.is_some()).count();
    if set != 0 && set != 3 {
        return Err(UploadError::new(
            ErrorKind::InvalidArgument,
            "SSE-C needs the algorithm, the key and the key's MD5 together",
        ));
    }
    for (name, _) in &attrs.meta {
        if name.is_empty() {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                "user metadata names must not be empty",
            ));
        }
    }
    Ok(())
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
    let unreadable = |e: io::Error| {
        UploadError::new(ErrorKind::FileUnreadable, format!("cannot read {shown}")).with_cause(e)
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
    let mut probe = [0u8; 1];
    let read = file.read_at(&mut probe, 0).map_err(unreadable)?;
    if metadata.len() == 0 && read > 0 {
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
