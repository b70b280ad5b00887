//! Reads of a whole range for checksums computed apart from sending (before a body that
//! needs one up front, or after the fact when resuming), in bounded blocks.

use super::{FileRange, RangeSource};
use std::io;

/// Reads that only compute digests (no sending) use larger blocks than a body's chunks.
const DIGEST_CHUNK: usize = 1 << 20;

/// Feeds the range to `each` in blocks of at most a MiB (for digests computed without
/// sending, so memory stays bounded whatever the range's size).
pub(crate) fn for_each_block(range: &FileRange, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    let mut buf = vec![0u8; DIGEST_CHUNK.min(range.size as usize)];
    let mut done = 0;
    while done < range.size {
        let want = (range.size - done).min(buf.len() as u64) as usize;
        range
            .source
            .read_exact_at(&mut buf[..want], range.offset + done)?;
        each(&buf[..want]);
        done += want as u64;
    }
    Ok(())
}

/// Feeds the range to `each`: a buffer in memory where it lies, a file by `for_each_block`,
/// on the calling thread (call it off the async threads).
fn digest_range(range: &FileRange, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    match &range.source {
        RangeSource::Memory(bytes) => {
            let start = usize::try_from(range.offset).unwrap_or(usize::MAX);
            let end = usize::try_from(range.size)
                .ok()
                .and_then(|size| start.checked_add(size))
                .filter(|end| *end <= bytes.len())
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "a range past the end of the buffered part",
                    )
                })?;
            each(&bytes[start..end]);
            Ok(())
        }
        RangeSource::File(_) => for_each_block(range, each),
    }
}

/// The CRC-64/NVME of the range, read once before a body that needs it up front is sent
/// (an S3 checksum header).
pub(crate) fn crc64_nvme(range: &FileRange) -> io::Result<u64> {
    let mut nvme = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
    digest_range(range, |block| nvme.update(block))?;
    Ok(nvme.finalize())
}

/// The MD5 of the range, read once before a body sent with `Content-MD5`.
pub(crate) fn md5(range: &FileRange) -> io::Result<[u8; 16]> {
    use md5::Digest as _;
    let mut md5 = md5::Md5::new();
    digest_range(range, |block| md5.update(block))?;
    Ok(md5.finalize().into())
}
