//! One run at a time per checkpoint or journal (docs/download.md §3.4). Two processes (or two
//! calls) resuming the same state would both write its temp file and its checkpoint and
//! corrupt each other, so each run holds an exclusive advisory lock on `<state>.lock` while it
//! works, and a second run fails at once with `CheckpointInUse`, before any request.
//!
//! The lock is on a file of its own, not on the checkpoint: a checkpoint is saved by renaming a
//! new file over it, and a lock on the old inode would protect nothing after the first save.
//! The lock file is removed when the run ends; one left by a killed process is harmless, since
//! the kernel dropped its lock with the process: the lock, not the file, is what counts.
//!
//! Removing the file races with a second run that opened it just before: that run could then
//! lock an unlinked inode while a third run creates and locks a fresh file, and both would
//! work. So a run that got the lock checks that the path still names the inode it locked, and
//! otherwise starts over; the holder unlinks the file while it still holds the lock. Only
//! `try_lock` is used: a run never waits for another, and a lock on a hung file system costs
//! at most the caller's file-system bound (`file_system::off_caller`).

use crate::error::{ErrorKind, Result, UploadError};
use crate::state_file;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Rounds of open, lock, check before giving up: each lost round means another run removed
/// the file in between, which only a run that ends (or starts) at that very moment does.
const ATTEMPTS: usize = 8;

/// Held for as long as a run works on one checkpoint or journal.
#[derive(Debug)]
pub struct CheckpointLock {
    path: PathBuf,
    file: File,
}

/// `<state>.lock`, beside the state file.
pub fn lock_path(state: &Path) -> PathBuf {
    let mut name = OsString::from(state.as_os_str());
    name.push(".lock");
    PathBuf::from(name)
}

impl CheckpointLock {
    /// Takes the lock of `state` (a checkpoint or journal path), or fails with
    /// `CheckpointInUse` when another run holds it. Blocking file-system calls: run it off
    /// the caller's thread.
    pub fn acquire(state: &Path) -> Result<CheckpointLock> {
        let path = lock_path(state);
        for _ in 0..ATTEMPTS {
            let file = open(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Err(in_use(state)),
                Err(TryLockError::Error(e)) => return Err(io_error(&path, "cannot lock", e)),
            }
            let locked = file
                .metadata()
                .map_err(|e| io_error(&path, "cannot stat", e))?;
            if same_inode(&path, &locked) {
                return Ok(CheckpointLock { path, file });
            }
            // The holder removed the file after we opened it: ours is a dead inode.
        }
        Err(in_use(state))
    }
}

impl Drop for CheckpointLock {
    /// Unlinked while still locked, so a run that opened the file meanwhile finds its inode
    /// gone from the path and starts over; only our own inode is removed.
    fn drop(&mut self) {
        if let Ok(ours) = self.file.metadata() {
            if same_inode(&self.path, &ours) {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

fn same_inode(path: &Path, held: &fs::Metadata) -> bool {
    fs::symlink_metadata(path).is_ok_and(|now| now.dev() == held.dev() && now.ino() == held.ino())
}

fn open(path: &Path) -> Result<File> {
    // Never through a planted symlink, never blocking on a FIFO put there.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| io_error(path, "cannot open", e))?;
    let metadata = file
        .metadata()
        .map_err(|e| io_error(path, "cannot stat", e))?;
    match state_file::not_regular(&metadata) {
        None => Ok(file),
        Some(what) => Err(UploadError::new(
            ErrorKind::CheckpointPathInvalid,
            format!("the lock file {} is {what}", path.display()),
        )),
    }
}

fn in_use(state: &Path) -> UploadError {
    UploadError::new(
        ErrorKind::CheckpointInUse,
        format!(
            "checkpoint {} is in use by another running transfer (it holds {}); nothing was sent",
            state.display(),
            lock_path(state).display()
        ),
    )
}

fn io_error(path: &Path, what: &str, e: io::Error) -> UploadError {
    UploadError::new(
        ErrorKind::CheckpointPathInvalid,
        format!("{what} the checkpoint's lock file {}: {e}", path.display()),
    )
    .with_cause(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_the_file_goes_with_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("x.download");
        let first = CheckpointLock::acquire(&state).unwrap();
        assert!(lock_path(&state).exists());
        let second = CheckpointLock::acquire(&state).unwrap_err();
        assert_eq!(second.kind, ErrorKind::CheckpointInUse, "{second}");
        assert!(second.message.contains("x.download"), "{second}");
        drop(first);
        assert!(!lock_path(&state).exists());
        drop(CheckpointLock::acquire(&state).unwrap());
    }

    #[test]
    fn a_lock_file_left_over_does_not_block() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("x.journal");
        fs::write(lock_path(&state), b"").unwrap();
        let lock = CheckpointLock::acquire(&state).unwrap();
        drop(lock);
        assert!(!lock_path(&state).exists());
    }

    #[test]
    fn a_lock_on_a_removed_inode_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("x.download");
        // Another run opened the file, then its holder removed it.
        let stale = open(&lock_path(&state)).unwrap();
        fs::remove_file(lock_path(&state)).unwrap();
        stale.try_lock().unwrap();
        let lock = CheckpointLock::acquire(&state).unwrap();
        assert!(lock_path(&state).exists(), "a fresh file, locked");
        assert!(CheckpointLock::acquire(&state).is_err());
        drop(lock);
        drop(stale);
    }
}
