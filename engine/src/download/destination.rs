//! Where a download writes. A key is chosen by whoever wrote the object, so it is hostile
//! input: only its last segment ever names a local file, and a segment that could climb out
//! of the destination directory ('..', '.', empty, NUL) is refused before any request.

use crate::error::{ErrorKind, Result, UploadError};
use std::path::{Path, PathBuf};

pub(crate) enum Destination {
    /// The object's bytes go to this file.
    File(PathBuf),
    /// A key ending in '/' downloaded into a directory: the directory is made, nothing else.
    Directory(PathBuf),
}

fn means_directory(file_path: &Path, is_dir: bool) -> bool {
    is_dir || file_path.as_os_str().as_encoded_bytes().ends_with(b"/")
}

/// The key's last segment, refused when it cannot safely name a file. A '.' or '..'
/// anywhere in the key is refused too, though only the last segment is used: such a key was
/// made to climb directories, and Go SDK users would expect it to.
fn last_segment(key: &str) -> Result<&str> {
    let refuse = |why: &str| {
        Err(UploadError::new(
            ErrorKind::InvalidKey,
            format!("key {key:?} cannot name a local file: {why}"),
        ))
    };
    if key.contains('\0') {
        return refuse("it contains a NUL character");
    }
    if key.split('/').any(|s| s == "." || s == "..") {
        return refuse("it has a '.' or '..' segment");
    }
    match key.rsplit('/').next().unwrap_or(key) {
        "" => refuse("its last segment is empty"),
        segment => Ok(segment),
    }
}

/// Settles the destination without touching the file system beyond a stat.
/// `is_dir`: whether `file_path` is an existing directory (asked by the caller off its thread:
/// the path may be on a hung file system).
pub(crate) fn resolve(file_path: &Path, key: &str, is_dir: bool) -> Result<Destination> {
    let into_directory = means_directory(file_path, is_dir);
    if key.ends_with('/') {
        if !into_directory {
            return Err(UploadError::new(
                ErrorKind::InvalidKey,
                format!(
                    "key {key:?} names a directory, but the destination {} is a file path",
                    file_path.display()
                ),
            ));
        }
        // As files take the key's last segment, a directory key makes its last directory.
        let segment = last_segment(key.trim_end_matches('/'))?;
        return Ok(Destination::Directory(file_path.join(segment)));
    }
    let segment = last_segment(key)?;
    if into_directory {
        Ok(Destination::File(file_path.join(segment)))
    } else {
        Ok(Destination::File(file_path.to_path_buf()))
    }
}

pub(crate) fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

pub(crate) fn local_write(path: &Path, what: &str, error: std::io::Error) -> UploadError {
    UploadError::new(
        ErrorKind::LocalWrite,
        format!("{what} {}: {error}", path.display()),
    )
    .with_cause(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_never_leave_the_directory() {
        for key in ["../x", "a/..", "a/.", "x\0y", "../", "/"] {
            let dir = Path::new("/tmp/d/");
            let refused = match resolve(dir, key, false) {
                Err(e) => e.kind == ErrorKind::InvalidKey,
                Ok(Destination::Directory(path)) => panic!("{key:?} made {}", path.display()),
                Ok(Destination::File(path)) => panic!("{key:?} gave {}", path.display()),
            };
            assert!(refused, "{key:?}");
        }
        match resolve(Path::new("/tmp/d/"), "a/b/x", false).unwrap() {
            Destination::File(path) => assert_eq!(path, Path::new("/tmp/d/x")),
            Destination::Directory(_) => panic!("a file key"),
        }
    }
}
