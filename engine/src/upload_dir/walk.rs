//! Walks the local directory on a blocking thread and streams what it finds, so uploads
//! start before a huge tree is fully listed. Symlinks are skipped unless followed; when
//! followed, a link back to an ancestor directory is reported as a loop, not descended
//! (`walkdir` detects it). The cancel hook is checked between entries, so a cancel ends even
//! a walk that finds nothing to upload.

use super::glob::Patterns;
use crate::cancel::CancelHook;
use crate::error::{ErrorKind, UploadError};
use crate::upload::checkpoint::FileInfo;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;
use walkdir::{DirEntry, WalkDir};

pub struct WalkOptions {
    pub recursive: bool,
    pub follow_symlinks: bool,
    pub include: Patterns,
    pub exclude: Patterns,
}

pub enum WalkItem {
    File {
        path: PathBuf,
        relative: String,
        identity: FileInfo,
        /// A small file opened ahead, off the runtime's workers (`upload_dir::open_ahead`).
        opened: Option<Result<(std::fs::File, FileInfo), UploadError>>,
    },
    /// Seen but deliberately not uploaded (a symlink not followed, a FIFO...).
    Skipped {
        path: PathBuf,
        relative: String,
        reason: String,
    },
    Failed {
        path: PathBuf,
        relative: String,
        error: UploadError,
    },
}

/// Items travel in batches: one hand-off per file cost a folder of small files a thread
/// wake-up each. A batch leaves early when the uploads have taken everything sent, so they
/// never wait on a slow walk for a full batch.
const BATCH: usize = 64;

/// Returns when the walk is done, the receiver is gone or the cancel hook fired.
pub fn walk(
    root: &Path,
    options: &WalkOptions,
    out: &mpsc::Sender<Vec<WalkItem>>,
    cancel: &CancelHook,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let stop = || cancel.requested().is_some() || out.is_closed();
    walk_into(root, options, stop, |item| {
        batch.push(item);
        let taken_all = out.capacity() == out.max_capacity();
        if batch.len() < BATCH && !taken_all {
            return true;
        }
        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
        out.blocking_send(full).is_ok()
    });
    if !batch.is_empty() {
        let _ = out.blocking_send(batch);
    }
}

/// Hands each item to `send` until it returns false, the walk is done or `stop` says so
/// (checked between entries, so even a walk that sends nothing ends).
fn walk_into(
    root: &Path,
    options: &WalkOptions,
    stop: impl Fn() -> bool,
    mut send: impl FnMut(WalkItem) -> bool,
) {
    let mut entries = WalkDir::new(root)
        .min_depth(1)
        .max_depth(if options.recursive { usize::MAX } else { 1 })
        .follow_links(options.follow_symlinks)
        .sort_by_file_name()
        .into_iter();
    loop {
        if stop() {
            return;
        }
        let item = match entries.next() {
            None => return,
            Some(Ok(entry)) => {
                if entry.file_type().is_dir() {
                    match relative_of(root, entry.path()) {
                        Ok(_) => continue,
                        // Nothing under a directory with such a name could get a key.
                        Err(error) => {
                            entries.skip_current_dir();
                            failed(entry.path(), "", error)
                        }
                    }
                } else {
                    match classify(root, &entry, options) {
                        Some(item) => item,
                        None => continue,
                    }
                }
            }
            Some(Err(error)) => walk_error(root, error),
        };
        if !send(item) {
            return;
        }
    }
}

fn classify(root: &Path, entry: &DirEntry, options: &WalkOptions) -> Option<WalkItem> {
    let path = entry.path();
    let relative = match relative_of(root, path) {
        Ok(relative) => relative,
        Err(error) => return Some(failed(path, "", error)),
    };
    if entry.path_is_symlink() && !options.follow_symlinks {
        return Some(WalkItem::Skipped {
            path: path.to_path_buf(),
            relative,
            reason: "symbolic link not followed".into(),
        });
    }
    let included = options.include.is_empty() || options.include.matches(&relative);
    if !included || options.exclude.matches(&relative) {
        return None;
    }
    let meta = match entry.metadata() {
        Ok(meta) => meta,
        Err(e) => return Some(vanished(path, relative, e.into())),
    };
    if !meta.is_file() {
        return Some(WalkItem::Skipped {
            path: path.to_path_buf(),
            relative,
            reason: "not a regular file".into(),
        });
    }
    Some(WalkItem::File {
        path: path.to_path_buf(),
        relative,
        identity: FileInfo::of(&meta),
        opened: None,
    })
}

/// The path under `root` with `/` separators, the object key's tail.
fn relative_of(root: &Path, path: &Path) -> Result<String, UploadError> {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative.to_str().map(str::to_owned).ok_or_else(|| {
        UploadError::new(
            ErrorKind::InvalidKey,
            // Debug shows the bytes that are not UTF-8 as \xNN escapes.
            format!("{path:?}: the file name is not valid UTF-8"),
        )
    })
}

fn walk_error(root: &Path, error: walkdir::Error) -> WalkItem {
    let path = error.path().unwrap_or(root).to_path_buf();
    let relative = relative_of(root, &path).unwrap_or_default();
    if error.loop_ancestor().is_some() {
        let error = UploadError::new(
            ErrorKind::InvalidArgument,
            format!(
                "{}: symbolic link loop (it leads back to an ancestor directory)",
                path.display()
            ),
        );
        return failed(&path, &relative, error);
    }
    let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    let io_error: std::io::Error = error.into();
    if is_link {
        let error = UploadError::new(
            ErrorKind::FileNotFound,
            format!("{}: the symbolic link points nowhere", path.display()),
        )
        .with_cause(io_error);
        return failed(&path, &relative, error);
    }
    if io_error.kind() == std::io::ErrorKind::NotFound {
        return vanished(&path, relative, io_error);
    }
    let error = UploadError::new(
        ErrorKind::FileUnreadable,
        format!("cannot list directory {}", path.display()),
    )
    .with_cause(io_error);
    failed(&path, &relative, error)
}

fn vanished(path: &Path, relative: String, e: std::io::Error) -> WalkItem {
    let error = UploadError::new(
        ErrorKind::FileNotFound,
        format!("{} vanished during the walk", path.display()),
    )
    .with_cause(e);
    failed(path, &relative, error)
}

fn failed(path: &Path, relative: &str, error: UploadError) -> WalkItem {
    WalkItem::Failed {
        path: path.to_path_buf(),
        relative: relative.to_string(),
        error,
    }
}
