//! The buffers a body reads a file into, reused block after block, and the reads that fill
//! them without stalling the runtime on a slow disk.

use super::body::CHUNK;
use super::source::read_exact_at;
use super::{FileRange, RangeSource};
use bytes::Bytes;
use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, Weak};

/// Buffers a body keeps for reuse: the connection holds a few while it writes them, and
/// one is being read.
const POOLED_BLOCKS: usize = 4;

/// The buffers of one body, and how its blocks are read. A block handed to the connection
/// comes back here when the connection drops it, so a part is read into the same few buffers
/// over and over: no fresh pages to fault in, no zeroing, and the buffers stay warm in the
/// cache for the CRC and the socket's copy.
pub(super) struct BlockPool {
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    /// The file system refused non-blocking reads once: do not ask again.
    no_nowait: bool,
    /// The file has fewer blocks on disk than its size needs: it may have holes.
    sparse: bool,
}

/// What a chunk inside a hole is sent from. Never written, so its pages are the kernel's one
/// zero page: no memory of ours, and always in the cache.
static ZEROS: [u8; CHUNK] = [0; CHUNK];

impl BlockPool {
    pub(super) fn for_range(range: &FileRange) -> BlockPool {
        use std::os::unix::fs::MetadataExt;
        // A range of one chunk is not worth a stat (folders of small files send many).
        let sparse = match &range.source {
            RangeSource::File(file) => {
                range.size > CHUNK as u64
                    && file
                        .metadata()
                        .is_ok_and(|m| m.blocks().saturating_mul(512) < m.size())
            }
            RangeSource::Memory(_) => false,
        };
        BlockPool {
            spare: Arc::default(),
            no_nowait: false,
            sparse,
        }
    }

    /// Whether `len` bytes at `offset` lie in a hole. Reading a hole makes the kernel
    /// allocate, zero and cache a page for every 4 KiB of it (and evict as many of other
    /// data), which made a sparse file cost twice a dense one per GiB.
    fn in_hole(&self, file: &File, offset: u64, len: usize) -> bool {
        use rustix::fs::{seek, SeekFrom};
        if !self.sparse || len > ZEROS.len() {
            return false;
        }
        match seek(file, SeekFrom::Data(offset)) {
            Ok(data) => data >= offset + len as u64,
            // No data at or after `offset`: a hole up to the end of the file, or `offset` is
            // past the end because the file shrank, which the read must report.
            Err(rustix::io::Errno::NXIO) => file
                .metadata()
                .is_ok_and(|m| m.len() >= offset + len as u64),
            Err(_) => false,
        }
    }

    /// `len` bytes of the file at `offset`, as a block that returns its buffer on drop.
    /// What the page cache holds is read right here, on the connection's thread (no hand-off
    /// to another thread and back, and the bytes land in the cache of the core that sends
    /// them); only what would wait for the disk goes to the blocking pool, so a slow or
    /// hung disk never stalls the runtime and a cancel still drops the request at once.
    pub(super) async fn read_at(
        &mut self,
        file: &Arc<File>,
        offset: u64,
        len: usize,
    ) -> io::Result<Bytes> {
        if self.in_hole(file, offset, len) {
            return Ok(Bytes::from_static(&ZEROS[..len]));
        }
        let reused = self.spare.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buf = reused.unwrap_or_default();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let cached = if self.no_nowait {
            0
        } else {
            match read_cached_at(file, offset, &mut buf[..len]) {
                Ok(n) => n,
                Err(_) => {
                    self.no_nowait = true;
                    0
                }
            }
        };
        if cached < len {
            let file = Arc::clone(file);
            buf = tokio::task::spawn_blocking(move || {
                read_exact_at(&file, offset + cached as u64, &mut buf[cached..len]).map(|()| buf)
            })
            .await
            .map_err(io::Error::other)
            .and_then(|r| r)?;
        }
        Ok(Bytes::from_owner(Block {
            buf,
            len,
            home: Arc::downgrade(&self.spare),
        }))
    }
}

/// Reads what can be read without waiting for the disk (`RWF_NOWAIT`): how many bytes were
/// read, short at the first byte that is not in the page cache. An error means the file
/// system (or the kernel, before 4.14) cannot read this way.
fn read_cached_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    use rustix::io::{preadv2, Errno, ReadWriteFlags};
    let mut filled = 0;
    while filled < buf.len() {
        let mut slice = [io::IoSliceMut::new(&mut buf[filled..])];
        match preadv2(
            file,
            &mut slice,
            offset + filled as u64,
            ReadWriteFlags::NOWAIT,
        ) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(Errno::AGAIN) => break,
            Err(Errno::INTR) => {}
            Err(e @ (Errno::OPNOTSUPP | Errno::INVAL)) if filled == 0 => return Err(e.into()),
            // The blocking read that follows meets the error again and reports it.
            Err(_) => break,
        }
    }
    Ok(filled)
}

struct Block {
    buf: Vec<u8>,
    len: usize,
    /// Weak, so that a block still queued in a connection after its body has ended (or was
    /// dropped) just frees its buffer.
    home: Weak<Mutex<Vec<Vec<u8>>>>,
}

impl AsRef<[u8]> for Block {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if let Some(home) = self.home.upgrade() {
            let mut spare = home.lock().unwrap_or_else(|e| e.into_inner());
            if spare.len() < POOLED_BLOCKS {
                spare.push(std::mem::take(&mut self.buf));
            }
        }
    }
}
