//! Where an object of a folder download is written. Keys are chosen by whoever wrote the
//! bucket, so they are hostile input: a key is refused unless every segment names a plain
//! entry inside the folder, and the directories on the way are checked one by one so that a
//! symbolic link inside the folder is never followed out of it.

use crate::error::{ErrorKind, Result, UploadError};
use std::io;
use std::path::{Path, PathBuf};

/// What a key names under the folder.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The key minus the prefix, checked: '/'-separated segments, none empty, '.' or '..'.
    File(String),
    /// A folder marker (a key ending in '/'), without its last '/'.
    Directory(String),
    /// The marker of the prefix itself: the folder, which exists already.
    Root,
}

fn refused(key: &str, why: &str) -> UploadError {
    UploadError::new(
        ErrorKind::InvalidKey,
        format!("key {key:?} is not downloaded: {why}"),
    )
}

/// The key's place under the folder, or why it has none that is safe.
pub(crate) fn entry_of(key: &str, prefix: &str) -> Result<Entry> {
    let Some(mut relative) = key.strip_prefix(prefix) else {
        return Err(refused(
            key,
            "it is not under the prefix the listing asked for",
        ));
    };
    // "data" lists "data/x": the '/' after a prefix that lacks one separates, as in "data/".
    if !prefix.is_empty() && !prefix.ends_with('/') {
        relative = relative.strip_prefix('/').unwrap_or(relative);
    }
    if relative.is_empty() {
        return match key.ends_with('/') {
            true => Ok(Entry::Root),
            false => Err(refused(key, "it is the prefix itself, which names no file")),
        };
    }
    if relative.contains('\0') {
        return Err(refused(key, "it contains a NUL character"));
    }
    if relative.contains('\\') {
        return Err(refused(key, "it contains a backslash"));
    }
    if relative.starts_with('/') {
        return Err(refused(key, "its local path would start with '/'"));
    }
    let (path, directory) = match relative.strip_suffix('/') {
        Some(dir) => (dir, true),
        None => (relative, false),
    };
    for segment in path.split('/') {
        match segment {
            "" => return Err(refused(key, "it has an empty segment ('//')")),
            "." | ".." => return Err(refused(key, "it has a '.' or '..' segment")),
            _ => {}
        }
    }
    Ok(match directory {
        true => Entry::Directory(path.to_string()),
        false => Entry::File(path.to_string()),
    })
}

fn in_the_way(path: &Path, what: &str) -> io::Error {
    io::Error::other(format!("{} is {what}", path.display()))
}

/// Makes the directories of `relative` under `dir` one level at a time, refusing a symbolic
/// link or a non-directory on the way; returns the full path. With `last_is_dir` the last
/// segment is made a directory too; otherwise it must be absent, or a regular file (which
/// the download replaces).
pub(crate) fn prepare(dir: &Path, relative: &str, last_is_dir: bool) -> io::Result<PathBuf> {
    let segments: Vec<&str> = relative.split('/').collect();
    let (last, parents) = segments.split_last().expect("split yields a segment");
    let mut path = dir.to_path_buf();
    let directories = parents.iter().chain(last_is_dir.then_some(last));
    for segment in directories {
        path.push(segment);
        make_one_directory(&path)?;
    }
    if last_is_dir {
        return Ok(path);
    }
    path.push(last);
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(in_the_way(&path, "a symbolic link")),
        Ok(meta) if meta.is_dir() => Err(in_the_way(&path, "a directory")),
        Ok(meta) if !meta.is_file() => Err(in_the_way(&path, "not a regular file")),
        Ok(_) => Ok(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(path),
        Err(e) => Err(e),
    }
}

fn make_one_directory(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(in_the_way(path, "a symbolic link"))
        }
        Ok(_) => return Err(in_the_way(path, "not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    match std::fs::create_dir(path) {
        Ok(()) => Ok(()),
        // Another file of the folder made it at the same moment: check what is there now.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.is_dir() => Ok(()),
                _ => Err(in_the_way(path, "not a directory")),
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_keys_are_refused() {
        for key in [
            "p/../escape",
            "p/a/../../b",
            "p//abs",
            "p/x//y",
            "p/.",
            "p/./a",
            "p/a/..",
            "p/a\\..\\b",
            "p/a\0b",
            "p/..",
            "p/../",
            "p/a//",
            "other/x",
        ] {
            let error = entry_of(key, "p/").unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidKey, "{key:?}");
        }
        for key in ["../escape", "a/../../b", "/abs", "x//y", "..", "a/./b"] {
            assert!(entry_of(key, "").is_err(), "{key:?}");
        }
        assert!(entry_of("data", "data").is_err());
    }

    #[test]
    fn keys_map_to_their_place_under_the_folder() {
        assert_eq!(
            entry_of("p/a/b.txt", "p/").unwrap(),
            Entry::File("a/b.txt".into())
        );
        assert_eq!(
            entry_of("p/a/", "p/").unwrap(),
            Entry::Directory("a".into())
        );
        assert_eq!(entry_of("p/", "p/").unwrap(), Entry::Root);
        assert_eq!(entry_of("data/x", "data").unwrap(), Entry::File("x".into()));
        assert_eq!(
            entry_of("data2/y", "data").unwrap(),
            Entry::File("2/y".into())
        );
        assert_eq!(
            entry_of("..a/b..", "").unwrap(),
            Entry::File("..a/b..".into())
        );
    }

    #[test]
    fn a_symbolic_link_inside_the_folder_is_never_followed() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
        assert!(prepare(root.path(), "link/x", false).is_err());
        assert!(prepare(root.path(), "link/deeper/x", false).is_err());
        assert!(prepare(root.path(), "link", false).is_err());
        assert!(prepare(root.path(), "link", true).is_err());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        let made = prepare(root.path(), "a/b/c", false).unwrap();
        assert_eq!(made, root.path().join("a/b/c"));
        assert!(root.path().join("a/b").is_dir());
        std::fs::create_dir(root.path().join("d")).unwrap();
        assert!(
            prepare(root.path(), "d", false).is_err(),
            "a directory in the way"
        );
    }
}
