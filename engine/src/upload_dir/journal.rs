//! The directory journal: which files of a directory upload are done, so a rerun after a
//! crash or pause skips them without listing the bucket. Append-only lines, each carrying
//! its own CRC so a line torn by a crash is ignored; compacted atomically (temp file,
//! fsync, rename) when opened.

use crate::checkpoint_lock::CheckpointLock;
use crate::error::{ErrorKind, Result, UploadError};
use crate::state_file::{self, Lines, Refused};
use crate::upload::checkpoint::FileInfo;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tos_crc64 as crc64;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DoneFile {
    pub relative: String,
    pub size: u64,
    pub mtime: i64,
    pub mtime_nanos: u32,
    pub etag: String,
    pub crc64: u64,
}

impl DoneFile {
    pub fn still_matches(&self, identity: &FileInfo) -> bool {
        self.size == identity.size
            && self.mtime == identity.last_modified
            && Some(self.mtime_nanos) == identity.last_modified_nanos
    }
}

pub struct Journal {
    path: PathBuf,
    file: File,
    done: Finished,
    /// Encoded entries not yet written, and since when the oldest has waited.
    pending: Vec<u8>,
    pending_since: Option<Instant>,
    pending_files: usize,
    /// Dropped after the last flush (fields drop after `Drop::drop`).
    _lock: CheckpointLock,
}

/// Entries wait in memory this long (or until this many bytes) before one write appends them
/// all: a write per file cost a folder of 1 KiB files a system call each. The folder loop
/// checks on its 100 ms tick, so an entry waits up to about twice this. A kill loses at most
/// the entries waiting, and a rerun sends their files again; no file the journal records is
/// ever sent twice.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
const FLUSH_BYTES: usize = 64 * 1024;

/// One journal per (bucket, prefix, local directory).
pub fn journal_path(checkpoint_dir: &Path, bucket: &str, prefix: &str, dir: &Path) -> PathBuf {
    let digest = Md5::digest(format!("{bucket}\n{prefix}\n{}", dir.display()).as_bytes());
    checkpoint_dir.join(format!("dir-{}.journal", hex::encode(digest)))
}

/// One journal per (bucket, prefix, local directory) of a folder download: named apart from
/// the upload's, so an upload and a download of the same pair never read each other's.
pub fn download_journal_path(
    checkpoint_dir: &Path,
    bucket: &str,
    prefix: &str,
    dir: &Path,
) -> PathBuf {
    let digest = Md5::digest(format!("download\n{bucket}\n{prefix}\n{}", dir.display()).as_bytes());
    checkpoint_dir.join(format!("download-dir-{}.journal", hex::encode(digest)))
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> UploadError {
    UploadError::new(
        ErrorKind::CheckpointIo,
        format!("{what} directory journal {}", path.display()),
    )
    .with_cause(e)
}

fn encode(entry: &DoneFile) -> String {
    let json = serde_json::to_string(entry).expect("plain struct serializes");
    format!("{:016x} {json}\n", crc64::checksum(json.as_bytes()))
}

/// Past this the journal is not read but started afresh: a million files fit in ~200 MiB.
pub const MAX_JOURNAL_BYTES: u64 = 256 * 1024 * 1024;
/// Longest relative path and ETag an entry may hold; longer ones were not written by us.
const MAX_RELATIVE_LEN: usize = 16 * 1024;
const MAX_ETAG_LEN: usize = 256;

/// An entry whose CRC matches and whose fields are ones the engine could have written.
pub(crate) fn decode(line: &str) -> Option<DoneFile> {
    let (crc, json) = line.split_once(' ')?;
    if crc.len() != 16 {
        return None;
    }
    let crc = u64::from_str_radix(crc, 16).ok()?;
    if crc64::checksum(json.as_bytes()) != crc {
        return None;
    }
    let entry: DoneFile = serde_json::from_str(json).ok()?;
    plausible(&entry).then_some(entry)
}

/// A relative path the walk produces (no empty, `.` or `..` segment, no leading `/`), a
/// quoted-or-bare ETag of printable ASCII, and nanoseconds below a second.
fn plausible(entry: &DoneFile) -> bool {
    let relative = &entry.relative;
    let path_ok = !relative.is_empty()
        && relative.len() <= MAX_RELATIVE_LEN
        && !relative.contains('\0')
        && relative
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."));
    let etag_ok = !entry.etag.is_empty()
        && entry.etag.len() <= MAX_ETAG_LEN
        && entry.etag.bytes().all(|b| b.is_ascii_graphic());
    path_ok && etag_ok && entry.mtime_nanos < 1_000_000_000
}

/// The entries an earlier run finished, as loaded when the journal was opened (entries
/// recorded since are not added: the walk meets each file once).
#[derive(Debug, Clone, Default)]
pub struct Finished(Arc<HashSet<ByRelative>>);

impl Finished {
    pub fn contains(&self, relative: &str) -> bool {
        self.0.contains(relative)
    }
}

/// An entry looked up by its relative path, which it holds once (a map keyed by a copy of the
/// path cost a resume of 100,000 files a few MiB more).
#[derive(Debug)]
struct ByRelative(DoneFile);

impl Hash for ByRelative {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.relative.as_str().hash(state)
    }
}

impl PartialEq for ByRelative {
    fn eq(&self, other: &Self) -> bool {
        self.0.relative == other.0.relative
    }
}

impl Eq for ByRelative {}

impl Borrow<str> for ByRelative {
    fn borrow(&self) -> &str {
        &self.0.relative
    }
}

impl Journal {
    /// Loads the finished files and rewrites the journal with only the valid entries, so an
    /// unreadable or tampered line is reported once and gone, never a failure that repeats.
    pub fn open(path: &Path) -> Result<Journal> {
        // Before reading: two runs compacting and appending to one journal lose entries.
        let lock = CheckpointLock::acquire(path)?;
        let shown = path.display();
        let mut done = HashSet::new();
        let mut dropped = 0usize;
        // Streamed line by line: the whole text beside the entries it holds doubled the peak
        // memory of a resume (the journal of 100,000 files is ~16 MB).
        let read = state_file::read_lines_bounded(path, MAX_JOURNAL_BYTES, |line| {
            if line.is_empty() {
                return;
            }
            match decode(line) {
                Some(entry) => {
                    done.replace(ByRelative(entry));
                }
                None => dropped += 1,
            }
        });
        match read {
            Ok(Lines::Read | Lines::Missing) => {}
            Ok(Lines::TooLarge(size)) => {
                log::warn!("directory journal {shown} has {size} bytes, more than {MAX_JOURNAL_BYTES}: replaced by an empty one (finished files will be sent again)"
                );
                done = HashSet::new();
                dropped = 0;
            }
            Err(Refused::NotRegular(what)) => {
                return Err(UploadError::new(
                    ErrorKind::CheckpointPathInvalid,
                    format!(
                        "invalid directory journal path {shown}: it is not a regular file ({what})"
                    ),
                ))
            }
            Err(Refused::Io(e)) => return Err(io_error(path, "cannot read", e)),
        }
        if dropped > 0 {
            log::warn!("directory journal {shown}: {dropped} torn or invalid lines dropped (their files will be sent again)"
            );
        }
        // Compact: rewrite the valid entries, dropping torn or duplicate lines.
        let tmp = path.with_extension("journal.tmp");
        let mut entries: Vec<&DoneFile> = done.iter().map(|d| &d.0).collect();
        entries.sort_by(|a, b| a.relative.cmp(&b.relative));
        let write = || -> std::io::Result<()> {
            // Streamed, not built in memory first (it is as large as the journal).
            let mut file = std::io::BufWriter::new(state_file::create_temp(&tmp)?);
            for entry in entries {
                file.write_all(encode(entry).as_bytes())?;
            }
            file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            fs::rename(&tmp, path)
        };
        write().map_err(|e| io_error(path, "cannot write", e))?;
        let file = OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| io_error(path, "cannot open", e))?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            done: Finished(Arc::new(done)),
            pending: Vec::new(),
            pending_since: None,
            pending_files: 0,
            _lock: lock,
        })
    }

    pub fn done(&self, relative: &str) -> Option<&DoneFile> {
        self.done.0.get(relative).map(|d| &d.0)
    }

    /// The files an earlier run finished, shared rather than copied (a copy of 50,000 names
    /// cost a resume about 4 MiB).
    pub fn finished(&self) -> Finished {
        self.done.clone()
    }

    /// Queues the entry; it reaches the file within `FLUSH_INTERVAL` (see `flush_if_due`),
    /// at the next `flush`, or sooner when enough entries wait.
    pub fn record(&mut self, entry: DoneFile) -> Result<()> {
        // Not added to `done`: the walk meets each file once, so only the entries loaded at
        // open are ever looked up, and keeping every new one made memory grow with the
        // folder (25 MiB more for 100,000 files).
        self.pending.extend_from_slice(encode(&entry).as_bytes());
        self.pending_since.get_or_insert_with(Instant::now);
        self.pending_files += 1;
        if self.pending.len() >= FLUSH_BYTES {
            return self.flush();
        }
        Ok(())
    }

    pub fn flush_if_due(&mut self) -> Result<()> {
        match self.pending_since {
            Some(since) if since.elapsed() >= FLUSH_INTERVAL => self.flush(),
            _ => Ok(()),
        }
    }

    /// Appends the waiting entries: then they survive the process being killed (`sync`
    /// makes them survive a machine crash too). A failed append drops them, so their files
    /// are sent again by a rerun, and says how many.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let written = self.file.write_all(&self.pending);
        let files = self.pending_files;
        self.pending.clear();
        self.pending_since = None;
        self.pending_files = 0;
        written.map_err(|e| {
            let error = io_error(&self.path, "cannot append to", e);
            UploadError {
                message: format!(
                    "{}: {files} finished files are not recorded and a rerun sends them again",
                    error.message
                ),
                ..error
            }
        })
    }

    pub fn sync(&mut self) -> Result<()> {
        self.flush()?;
        let _ = self.file.sync_data();
        Ok(())
    }

    pub fn remove(mut self) {
        self.pending.clear();
        let _ = fs::remove_file(&self.path);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Journal {
    /// An upload that ends early (an error of the call itself) still records what finished.
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str) -> DoneFile {
        DoneFile {
            relative: name.into(),
            size: 5,
            mtime: 1,
            mtime_nanos: 2,
            etag: "\"e\"".into(),
            crc64: 9,
        }
    }

    #[test]
    fn entries_survive_reopen_and_torn_lines_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        let mut journal = Journal::open(&path).unwrap();
        journal.record(entry("a/b.txt")).unwrap();
        journal.record(entry("中文 c.txt")).unwrap();
        drop(journal);
        // A crash in mid-append leaves half a line.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"00000000deadbeef {\"relative\":\"half")
            .unwrap();
        drop(file);
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.done("a/b.txt"), Some(&entry("a/b.txt")));
        assert!(journal.done("中文 c.txt").is_some());
        assert_eq!(journal.done.0.len(), 2);
        assert!(!fs::read_to_string(&path).unwrap().contains("half"));
    }

    #[test]
    fn entries_wait_in_memory_until_due_full_flushed_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        let lines = || fs::read_to_string(&path).unwrap().lines().count();
        let mut journal = Journal::open(&path).unwrap();
        journal.record(entry("one")).unwrap();
        journal.flush_if_due().unwrap();
        assert_eq!(lines(), 0, "written before it was due");
        std::thread::sleep(FLUSH_INTERVAL);
        journal.flush_if_due().unwrap();
        assert_eq!(lines(), 1);
        // Enough waiting bytes are written at once, without waiting for the interval.
        let long = "x".repeat(1000);
        let mut recorded = 1;
        while lines() == 1 {
            journal.record(entry(&format!("{long}{recorded}"))).unwrap();
            recorded += 1;
            assert!(recorded < 1000, "never written");
        }
        journal.record(entry("last")).unwrap();
        journal.flush().unwrap();
        assert_eq!(lines(), recorded + 1);
        journal.record(entry("dropped, not lost")).unwrap();
        drop(journal);
        assert_eq!(lines(), recorded + 2);
        let journal = Journal::open(&path).unwrap();
        assert!(journal.done("dropped, not lost").is_some());
    }

    #[test]
    fn tampered_and_garbage_lines_are_dropped_and_the_journal_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        let mut journal = Journal::open(&path).unwrap();
        journal.record(entry("ok.txt")).unwrap();
        drop(journal);
        // Lines whose CRC matches but whose fields the engine never writes.
        let mut text = fs::read_to_string(&path).unwrap();
        for bad in [entry("../escape"), entry("/abs"), entry("a//b"), entry("")] {
            text.push_str(&encode(&bad));
        }
        let mut no_etag = entry("no-etag");
        no_etag.etag.clear();
        text.push_str(&encode(&no_etag));
        text.push_str("\u{1}\u{ff}garbage without a crc\n");
        fs::write(&path, text).unwrap();
        let journal = Journal::open(&path).unwrap();
        let names: Vec<&str> = journal
            .done
            .0
            .iter()
            .map(|d| d.0.relative.as_str())
            .collect();
        assert_eq!(names, vec!["ok.txt"]);
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 1);
    }

    #[test]
    fn a_fifo_as_journal_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.journal");
        assert!(std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success());
        let error = Journal::open(&path).err().expect("refused");
        assert_eq!(error.kind, ErrorKind::CheckpointPathInvalid);
        assert!(error.message.contains("not a regular file"));
    }
}
