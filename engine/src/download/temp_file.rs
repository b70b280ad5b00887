//! The temp file a download fills before it becomes the destination: sized up front,
//! written at positions by every range at once, synced before a range counts as done, and
//! read back to prove what a checkpoint claims. Opens, syncs and read-backs run on the
//! blocking pool. A body chunk is written on the runtime thread that received it while the
//! download's writes stay quick: handing each chunk to the blocking pool and back cost two
//! cross-thread wakes per chunk, about a quarter of the download's CPU. The first slow write
//! sends the rest of the download's writes to the pool, and a cancel never waits for a write
//! (the coordinator's join is bounded).

use super::destination::local_write;
use crate::cancel::{CancelHook, CancelKind};
use crate::error::{ErrorKind, Result, UploadError};
use bytes::Bytes;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tos_crc64::Crc64;

/// The block size of read-backs (a resume's range checks, S3's whole-file CRC).
const READ_BLOCK: usize = 1 << 20;

tokio::task_local! {
    /// The cancel hook of the download this task runs (`answering`), which `blocking` answers.
    static CANCEL: CancelHook;
}

/// How long a file-system call is still waited for once the download is paused or aborted:
/// on a working disk it ends well within this (the cleanup of an abort stays complete), on a
/// hung one the call is given up on and left on its thread (docs/robustness.md, "Hung file
/// systems").
const GRACE_AFTER_CANCEL: Duration = Duration::from_millis(100);

/// Runs `work` on the blocking pool and waits for it, cancel or not: for the range writers,
/// whose tasks the coordinator stops waiting for 100 ms after a cancel (`coordinator.rs`).
async fn on_pool<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Runs a download with `cancel` as the hook its file-system calls answer (`blocking`), and
/// reports a write that failed after the hook was pulled as the pause or abort it was.
pub(crate) async fn answering<T>(
    cancel: CancelHook,
    download: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    CANCEL
        .scope(cancel.clone(), download)
        .await
        .map_err(|e| explained_by_cancel(e, &cancel))
}

/// Runs a file-system call on the blocking pool. Within `answering`, once the hook is pulled
/// the call is waited for `GRACE_AFTER_CANCEL` more, then given up on with a `TimedOut` error.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let joined = |r: std::result::Result<io::Result<T>, tokio::task::JoinError>| {
        r.unwrap_or_else(|e| Err(io::Error::other(e)))
    };
    let task = tokio::task::spawn_blocking(work);
    let Ok(cancel) = CANCEL.try_with(CancelHook::clone) else {
        return joined(task.await);
    };
    tokio::pin!(task);
    tokio::select! {
        biased;
        r = &mut task => return joined(r),
        () = cancel.cancelled() => {}
    }
    match tokio::time::timeout(GRACE_AFTER_CANCEL, &mut task).await {
        Ok(r) => joined(r),
        Err(_) => {
            log::warn!("a file-system call of a download was given up on at a cancel, still waiting in the file system");
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "given up on at the cancel: the file system gave no answer",
            ))
        }
    }
}

/// A download that failed writing after its hook was pulled was stopped by the hook: a call
/// given up on (`blocking`) fails as a local write, and the caller asked for a pause or abort.
pub(crate) fn explained_by_cancel(error: UploadError, cancel: &CancelHook) -> UploadError {
    match cancel.requested() {
        Some(kind) if error.kind == ErrorKind::LocalWrite => {
            let (kind, verb) = match kind {
                CancelKind::Pause => (ErrorKind::Paused, "paused"),
                CancelKind::Abort => (ErrorKind::Aborted, "aborted"),
            };
            UploadError::new(kind, format!("download {verb} while {}", error.message))
        }
        _ => error,
    }
}

/// `<target>.temp.<unix nanos>`, beside the target.
pub(crate) fn fresh_path(target: &Path) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut name = target.as_os_str().to_owned();
    name.push(format!(".temp.{nanos}"));
    PathBuf::from(name)
}

/// Whether `path` has the name this engine gives temp files of `target`
/// (`<target>.temp.<digits>`): only such files are swept. `<target>.temp` alone (Go before
/// 2.8) may be a user's own file, and is touched only when a checkpoint names it.
pub(crate) fn named_by_us(path: &Path, target: &Path) -> bool {
    belongs_to(path, target) && path.as_os_str().len() > target.as_os_str().len() + ".temp".len()
}

/// Whether `path` can be a temp file of `target` (`<target>.temp` or `<target>.temp.<digits>`):
/// a checkpoint is untrusted, so a path it names is used or deleted only when it is one.
pub(crate) fn belongs_to(path: &Path, target: &Path) -> bool {
    let (path, target) = (
        path.as_os_str().as_encoded_bytes(),
        target.as_os_str().as_encoded_bytes(),
    );
    let Some(rest) = path
        .strip_prefix(target)
        .and_then(|r| r.strip_prefix(b".temp"))
    else {
        return false;
    };
    rest.is_empty()
        || rest
            .strip_prefix(b".")
            .is_some_and(|digits| !digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
}

/// A new temp file of `size` bytes (sparse until written).
pub(crate) async fn create(path: &Path, size: u64) -> Result<Arc<File>> {
    let owned = path.to_path_buf();
    blocking(move || {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&owned)?;
        if let Err(e) = file.set_len(size) {
            let _ = std::fs::remove_file(&owned);
            return Err(e);
        }
        Ok(file)
    })
    .await
    .map(Arc::new)
    .map_err(|e| local_write(path, "cannot create the temp file", e))
}

/// An existing temp file, only if it is a regular file of exactly `size` bytes.
pub(crate) async fn reopen(path: &Path, size: u64) -> std::result::Result<Arc<File>, String> {
    let owned = path.to_path_buf();
    let opened = blocking(move || {
        let metadata = std::fs::symlink_metadata(&owned)?;
        if !metadata.file_type().is_file() {
            return Err(io::Error::other("not a regular file"));
        }
        let file = OpenOptions::new().read(true).write(true).open(&owned)?;
        Ok((file.metadata()?.len(), file))
    })
    .await;
    match opened {
        Ok((len, file)) if len == size => Ok(Arc::new(file)),
        Ok((len, _)) => Err(format!(
            "the temp file {} has {len} bytes, not {size}",
            path.display()
        )),
        Err(e) => Err(format!("the temp file {} is unusable: {e}", path.display())),
    }
}

pub(crate) async fn remove(path: &Path) {
    let owned = path.to_path_buf();
    let _ = blocking(move || std::fs::remove_file(owned)).await;
}

/// The CRC-64 of `len` bytes at `offset`, read back from the file.
pub(crate) async fn crc_of(file: &Arc<File>, offset: u64, len: u64) -> io::Result<u64> {
    let file = Arc::clone(file);
    blocking(move || {
        let mut crc = Crc64::new();
        let mut block = vec![0u8; READ_BLOCK];
        let mut done = 0;
        while done < len {
            let want = (len - done).min(READ_BLOCK as u64) as usize;
            file.read_exact_at(&mut block[..want], offset + done)?;
            crc.update(&block[..want]);
            done += want as u64;
        }
        Ok(crc.value())
    })
    .await
}

/// The CRC-64/NVME of the whole file, for an S3 store's full-object checksum.
pub(crate) async fn crc64_nvme_of(file: &Arc<File>, len: u64) -> io::Result<u64> {
    let file = Arc::clone(file);
    blocking(move || {
        let mut nvme = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
        let mut block = vec![0u8; READ_BLOCK];
        let mut done = 0;
        while done < len {
            let want = (len - done).min(READ_BLOCK as u64) as usize;
            file.read_exact_at(&mut block[..want], done)?;
            nvme.update(&block[..want]);
            done += want as u64;
        }
        Ok(nvme.finalize())
    })
    .await
}

/// A body chunk at least this big is written as it came, from hyper's own read buffer: no
/// copy, and as it is dropped before the next read, hyper reuses that buffer instead of
/// allocating (and faulting in) a fresh one for every read. On loopback or a fast link hyper
/// hands over chunks of a few hundred KiB, so this is the common path.
const DIRECT: usize = 64 * 1024;
/// Smaller chunks (a slow link, TLS records) are copied into one reused buffer of up to
/// about this size and written together: one system call per 256 KiB, not per few KiB.
const GATHER: usize = 256 * 1024;

/// A write into the page cache takes microseconds; one this slow means the kernel is
/// throttling the writer or the disk is slow, and a runtime thread must not wait for it again.
/// Not less: a write that updates the file's mtime waits for the journal commit of another
/// range's sync, 25-65 ms on a loaded machine, and 20 ms sent every other download to the
/// blocking pool.
const SLOW_WRITE: Duration = Duration::from_millis(100);

/// Whether a page-cache write to `file` can be trusted to return at once. Only on local disk
/// file systems: over NFS, SMB, FUSE or any other, a write can wait for a server or a daemon
/// that no longer answers, and a runtime thread stuck there would stall every call of the
/// client; their writes always go to the blocking pool (docs/download.md §5). Asked on the
/// blocking pool, as `fstatfs` of such a file system can hang too.
pub(crate) fn writes_in_place(file: &File) -> bool {
    // Magic numbers of statfs(2)'s f_type: ext2/3/4, XFS, Btrfs, tmpfs, F2FS, overlayfs.
    const LOCAL: [u64; 6] = [
        0xEF53,
        0x5846_5342,
        0x9123_683E,
        0x0102_1994,
        0xF2F5_2010,
        0x794C_7630,
    ];
    rustix::fs::fstatfs(file).is_ok_and(|s| LOCAL.contains(&(s.f_type as u64)))
}

/// Writes one range in order, computing its CRC-64 on the way. What it holds is bounded:
/// at most one chunk and a buffer of under 2 x `GATHER`, whatever the range's size.
pub(crate) struct RangeWriter {
    file: Arc<File>,
    path: Arc<PathBuf>,
    /// Shared by the download's ranges: set by the first slow write.
    slow_disk: Arc<AtomicBool>,
    gathered: Vec<u8>,
    /// File offset of `gathered[0]`.
    at: u64,
    crc: Crc64,
}

impl RangeWriter {
    pub fn new(
        file: Arc<File>,
        path: Arc<PathBuf>,
        slow_disk: Arc<AtomicBool>,
        start: u64,
    ) -> RangeWriter {
        RangeWriter {
            file,
            path,
            slow_disk,
            gathered: Vec::new(),
            at: start,
            crc: Crc64::new(),
        }
    }

    /// Body bytes at `offset`, which must follow the previous ones.
    pub async fn write(&mut self, offset: u64, chunk: Bytes) -> Result<()> {
        if offset != self.at + self.gathered.len() as u64 {
            return Err(UploadError::new(
                ErrorKind::Internal,
                "a range's bytes arrived out of order",
            ));
        }
        self.crc.update(&chunk);
        if chunk.len() >= DIRECT {
            return self.put(Some(chunk)).await;
        }
        // Grown as needed, not reserved: every response starts with a few small chunks
        // (hyper's read buffer starts at 8 KiB), and a fast link never needs the rest.
        self.gathered.extend_from_slice(&chunk);
        if self.gathered.len() >= GATHER {
            self.put(None).await?;
        }
        Ok(())
    }

    /// Writes what was gathered, then `chunk`, and drops the chunk; the buffer is kept for
    /// reuse.
    async fn put(&mut self, chunk: Option<Bytes>) -> Result<()> {
        if self.gathered.is_empty() && chunk.is_none() {
            return Ok(());
        }
        let len = (self.gathered.len() + chunk.as_ref().map_or(0, Bytes::len)) as u64;
        if self.slow_disk.load(Ordering::Relaxed) {
            let mut gathered = std::mem::take(&mut self.gathered);
            let (file, at) = (Arc::clone(&self.file), self.at);
            self.gathered = on_pool(move || {
                write_at(&file, &gathered, chunk.as_deref(), at)?;
                gathered.clear();
                Ok(gathered)
            })
            .await
            .map_err(|e| local_write(&self.path, "cannot write", e))?;
        } else {
            let started = Instant::now();
            let written = write_at(&self.file, &self.gathered, chunk.as_deref(), self.at);
            if started.elapsed() >= SLOW_WRITE {
                log::debug!(
                    "a write to {} took {:?}: later writes go to the blocking pool",
                    self.path.display(),
                    started.elapsed()
                );
                self.slow_disk.store(true, Ordering::Relaxed);
            }
            written.map_err(|e| local_write(&self.path, "cannot write", e))?;
            self.gathered.clear();
        }
        self.at += len;
        Ok(())
    }

    /// Writes what is left and makes the range durable: only then may it be recorded done.
    pub async fn finish(mut self) -> Result<u64> {
        self.put(None).await?;
        let file = Arc::clone(&self.file);
        on_pool(move || file.sync_data())
            .await
            .map_err(|e| local_write(&self.path, "cannot sync", e))?;
        Ok(self.crc.value())
    }
}

fn write_at(file: &File, gathered: &[u8], chunk: Option<&[u8]>, at: u64) -> io::Result<()> {
    file.write_all_at(gathered, at)?;
    match chunk {
        Some(chunk) => file.write_all_at(chunk, at + gathered.len() as u64),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_targets_own_temp_names_belong_to_it() {
        let target = Path::new("/d/a.bin");
        assert!(belongs_to(Path::new("/d/a.bin.temp.123"), target));
        assert!(belongs_to(Path::new("/d/a.bin.temp"), target));
        assert!(!belongs_to(Path::new("/d/a.bin.temp.12x"), target));
        assert!(!belongs_to(Path::new("/etc/passwd"), target));
        assert!(!belongs_to(Path::new("/d/a.bin"), target));
        assert!(named_by_us(Path::new("/d/a.bin.temp.123"), target));
        assert!(!named_by_us(Path::new("/d/a.bin.temp"), target));
    }

    /// Small chunks gathered, big ones written in place, in every order between them: the
    /// file holds the bytes where they belong and the CRC is theirs, on the runtime thread
    /// and on the blocking pool alike.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mixed_chunks_land_in_order_with_their_crc() {
        let dir = tempfile::tempdir().unwrap();
        let sizes = [
            10, 70_000, 5, 60_000, 60_000, 60_000, 60_000, 60_000, 300_000, 1, 65_536,
        ];
        let data: Vec<u8> = (0..sizes.iter().sum::<usize>())
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        for slow in [false, true] {
            let path = dir.path().join(format!("t{slow}"));
            let start = 100;
            let file = create(&path, start + data.len() as u64 + 7).await.unwrap();
            let mut writer = RangeWriter::new(
                Arc::clone(&file),
                Arc::new(path.clone()),
                Arc::new(AtomicBool::new(slow)),
                start,
            );
            let mut at = 0;
            for size in sizes {
                let chunk = Bytes::copy_from_slice(&data[at..at + size]);
                writer.write(start + at as u64, chunk).await.unwrap();
                at += size;
            }
            assert_eq!(writer.finish().await.unwrap(), tos_crc64::checksum(&data));
            let on_disk = std::fs::read(&path).unwrap();
            assert_eq!(
                &on_disk[start as usize..start as usize + data.len()],
                &data[..]
            );
            assert!(on_disk[..start as usize].iter().all(|b| *b == 0));
        }
    }

    #[tokio::test]
    async fn bytes_out_of_order_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let file = create(&path, 1000).await.unwrap();
        let mut writer = RangeWriter::new(file, Arc::new(path), Arc::default(), 0);
        writer.write(0, Bytes::from_static(b"abc")).await.unwrap();
        let error = writer.write(4, Bytes::from_static(b"e")).await.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Internal);
    }

    #[test]
    fn only_local_disks_take_writes_on_a_runtime_thread() {
        let dir = tempfile::tempdir().unwrap();
        let local = File::create(dir.path().join("t")).unwrap();
        assert!(
            writes_in_place(&local),
            "the test's temp dir is on a local disk"
        );
        // procfs stands for every file system not known to be a local disk.
        let proc_file = File::open("/proc/self/status").unwrap();
        assert!(!writes_in_place(&proc_file));
    }
}
