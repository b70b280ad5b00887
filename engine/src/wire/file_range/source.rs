//! Where the bytes of a `FileRange` come from: an open file (parts of a file upload, read at
//! their offset on each attempt) or bytes already in memory (parts of a stream, which cannot
//! be read twice, so every retry resends the same buffer).

use bytes::{Bytes, BytesMut};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

#[derive(Clone)]
pub(crate) enum RangeSource {
    File(Arc<File>),
    Memory(Bytes),
}

impl From<Arc<File>> for RangeSource {
    fn from(file: Arc<File>) -> Self {
        RangeSource::File(file)
    }
}

impl RangeSource {
    /// `len` bytes at `offset`, off the async threads when they come from disk (a body
    /// reads files through `file_range::block_pool::BlockPool`, which reuses its buffers).
    pub(crate) async fn read(&self, offset: u64, len: usize) -> io::Result<Bytes> {
        match self {
            RangeSource::Memory(bytes) => memory_slice(bytes, offset, len),
            RangeSource::File(file) => {
                let file = Arc::clone(file);
                tokio::task::spawn_blocking(move || {
                    let mut buf = BytesMut::zeroed(len);
                    read_exact_at(&file, offset, &mut buf).map(|()| buf.freeze())
                })
                .await
                .map_err(io::Error::other)
                .and_then(|r| r)
            }
        }
    }

    /// Fills `buf` from `offset`, on the calling thread.
    pub(crate) fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self {
            RangeSource::Memory(bytes) => {
                buf.copy_from_slice(&memory_slice(bytes, offset, buf.len())?);
                Ok(())
            }
            RangeSource::File(file) => file.read_exact_at(buf, offset),
        }
    }
}

fn memory_slice(bytes: &Bytes, offset: u64, len: usize) -> io::Result<Bytes> {
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    match start.checked_add(len) {
        Some(end) if end <= bytes.len() => Ok(bytes.slice(start..end)),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "a range past the end of the buffered part",
        )),
    }
}

/// Fills `buf` from the file at `offset`; a file that ends early has shrunk since the upload
/// was planned, which is an error of its own.
pub(crate) fn read_exact_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let len = buf.len();
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => {
                // The file is shorter than when the upload was planned.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being uploaded",
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
