//! Walks the local directory on a blocking thread and streams what it finds, so uploads
//! start before a huge tree is fully listed. Symlinks are skipped unless followed; when
//! followed, a link back to an ancestor directory is reported as a loop, not descended.

use super::glob::Pattern;
use crate::error::{ErrorKind, UploadError};
use crate::upload::checkpoint::FileInfo;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use tokio::sync::mpsc;

pub struct WalkOptions {
    pub recursive: bool,
    pub follow_symlinks: bool,
    pub include: Vec<Pattern>,
    pub exclude: Vec<Pattern>,
}

pub enum WalkItem {
    File {
        path: PathBuf,
        relative: String,
        identity: FileInfo,
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

struct PendingDir {
    path: PathBuf,
    relative: String,
    /// (device, inode) of this directory and its ancestors, for loop detection.
    ancestors: Vec<(u64, u64)>,
}

/// Returns when the walk is done or the receiver is gone.
pub fn walk(root: &Path, options: &WalkOptions, out: &mpsc::Sender<WalkItem>) {
    let Ok(meta) = fs::metadata(root) else {
        return;
    };
    let mut stack = vec![PendingDir {
        path: root.to_path_buf(),
        relative: String::new(),
        ancestors: vec![(meta.dev(), meta.ino())],
    }];
    while let Some(dir) = stack.pop() {
        let mut entries = match fs::read_dir(&dir.path) {
            Ok(iter) => iter.filter_map(|e| e.ok()).collect::<Vec<_>>(),
            Err(e) => {
                let error = UploadError::new(
                    ErrorKind::FileUnreadable,
                    format!("cannot list directory {}", dir.path.display()),
                )
                .with_cause(e);
                if !send(out, failed(&dir.path, &dir.relative, error)) {
                    return;
                }
                continue;
            }
        };
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                let error = UploadError::new(
                    ErrorKind::InvalidKey,
                    format!("{}: the file name is not valid UTF-8", path.display()),
                );
                if !send(out, failed(&path, &dir.relative, error)) {
                    return;
                }
                continue;
            };
            let relative = if dir.relative.is_empty() {
                name
            } else {
                format!("{}/{name}", dir.relative)
            };
            let item = classify(&path, relative, &dir, options, &mut subdirs);
            if let Some(item) = item {
                if !send(out, item) {
                    return;
                }
            }
        }
        // Reverse so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
}

fn classify(
    path: &Path,
    relative: String,
    dir: &PendingDir,
    options: &WalkOptions,
    subdirs: &mut Vec<PendingDir>,
) -> Option<WalkItem> {
    let link_meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) => return Some(vanished(path, relative, e)),
    };
    let meta = if link_meta.file_type().is_symlink() {
        if !options.follow_symlinks {
            return Some(WalkItem::Skipped {
                path: path.to_path_buf(),
                relative,
                reason: "symbolic link not followed".into(),
            });
        }
        match fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) => {
                let error = UploadError::new(
                    ErrorKind::FileNotFound,
                    format!("{}: the symbolic link points nowhere", path.display()),
                )
                .with_cause(e);
                return Some(failed(path, &relative, error));
            }
        }
    } else {
        link_meta
    };
    if meta.is_dir() {
        let id = (meta.dev(), meta.ino());
        if dir.ancestors.contains(&id) {
            let error = UploadError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "{}: symbolic link loop (it leads back to an ancestor directory)",
                    path.display()
                ),
            );
            return Some(failed(path, &relative, error));
        }
        if options.recursive {
            let mut ancestors = dir.ancestors.clone();
            ancestors.push(id);
            subdirs.push(PendingDir {
                path: path.to_path_buf(),
                relative,
                ancestors,
            });
        }
        return None;
    }
    let included =
        options.include.is_empty() || options.include.iter().any(|p| p.matches(&relative));
    if !included || options.exclude.iter().any(|p| p.matches(&relative)) {
        return None;
    }
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
    })
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

fn send(out: &mpsc::Sender<WalkItem>, item: WalkItem) -> bool {
    out.blocking_send(item).is_ok()
}
