//! Streams a range of a file as a request body: bounded chunks read at an offset, the CRC-64
//! computed on the way, tokens taken from the rate limiter before each chunk is sent, and
//! progress reported per chunk. No range is ever held whole in memory, so a part of 5 GiB
//! costs what a part of 5 MiB costs.

use super::aws_chunked;
use super::protocol::BodyFraming;
use super::range_source::read_exact_at;
pub(crate) use super::range_source::RangeSource;
use crate::rate_limit::{Permit, RateLimiter};
use bytes::Bytes;
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use tos_crc64::Crc64;

/// Chunk size without a user limiter: large enough that per-chunk costs vanish, small
/// enough that memory stays within about a MiB per task and a chunk is still in the cache when
/// the socket copies it.
const CHUNK: usize = 256 * 1024;
/// With a user limiter, ask in the sizes the Go SDK asks in.
const LIMITED_CHUNK: usize = 32 * 1024;
/// Reads that only compute digests (no sending) use larger blocks.
const DIGEST_CHUNK: usize = 1 << 20;
/// How often an unpaced body reports the bytes sent (see `report_every`).
const REPORT_EVERY: u64 = 1024 * 1024;
/// A body lets the other connections on its thread have a turn this often. While the socket
/// takes data, the connection writes on, and tokio's budget (128 writes) let one connection
/// send several MiB per turn: with 32 parts in flight, a small request (creating or
/// completing another upload) waited 25-35 ms for its turn, which made concurrent uploads
/// unequal.
const YIELD_EVERY: u64 = 1 << 20;
const REPORT_WITHIN: Duration = Duration::from_millis(100);
/// Buffers a body keeps for reuse: the connection holds a few while it writes them, and
/// one is being read.
const POOLED_BLOCKS: usize = 4;

/// Bytes `offset..offset + size` of an open file (or of a stream's part held in memory).
#[derive(Clone)]
pub(crate) struct FileRange {
    pub source: RangeSource,
    pub offset: u64,
    pub size: u64,
}

/// A request for tokens from the user's limiter callback, answered on the thread that runs
/// the upload's callbacks.
pub(crate) struct AcquireRequest {
    pub want: u64,
    pub reply: oneshot::Sender<Permit>,
}

#[derive(Clone)]
pub(crate) enum Limiter {
    None,
    Shared(Arc<dyn RateLimiter>),
    Callback(mpsc::UnboundedSender<AcquireRequest>),
}

/// Called with the bytes of the range handed to the connection so far in this attempt.
pub(crate) type SentFn = Arc<dyn Fn(u64) + Send + Sync>;

/// How a body is paced and observed, shared by every attempt of a request.
#[derive(Clone)]
pub(crate) struct Feed {
    pub limiter: Limiter,
    pub on_sent: SentFn,
    /// One permit per request in flight (a folder upload's connection cap).
    pub connections: Option<Arc<tokio::sync::Semaphore>>,
}

/// The CRC of what was streamed, and the file error that cut the stream short, if any
/// (the HTTP layer reports that only as a generic body error).
#[derive(Default)]
pub(crate) struct Digest {
    pub crc: Crc64,
    pub read_error: Option<io::Error>,
}

struct State {
    range: FileRange,
    feed: Feed,
    chunk: usize,
    digest: Arc<Mutex<Digest>>,
    pool: BlockPool,
    sent: u64,
    /// `sent` when this body last let the other tasks of its runtime thread run.
    yielded_at: u64,
    /// `sent` when `on_sent` was last called, and when; how many bytes may pass between calls.
    reported: u64,
    reported_at: Instant,
    report_every: u64,
    /// Set when the body is aws-chunked: the frame pieces still to yield, and the trailer's
    /// checksum so far.
    framing: Option<Framing>,
}

struct Framing {
    queued: VecDeque<Bytes>,
    nvme: crc_fast::Digest,
    ended: bool,
}

/// The body for one attempt, and where its digest can be read once the request is done.
pub(crate) fn body(
    range: &FileRange,
    feed: &Feed,
    framing: BodyFraming,
) -> (reqwest::Body, Arc<Mutex<Digest>>) {
    let digest = Arc::new(Mutex::new(Digest::default()));
    let framing = match framing {
        BodyFraming::Plain if range.size == 0 => {
            return (reqwest::Body::from(Bytes::new()), digest)
        }
        BodyFraming::Plain => None,
        BodyFraming::AwsChunkedCrc64Nvme => Some(Framing {
            queued: VecDeque::new(),
            nvme: crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme),
            ended: false,
        }),
    };
    let chunk = match (&feed.limiter, &framing) {
        // Frames have one size, so the encoded length is known up front.
        (_, Some(_)) => aws_chunked::FRAME as usize,
        (Limiter::Callback(_), None) => LIMITED_CHUNK,
        (_, None) => CHUNK,
    };
    // Each call is a message to the thread that runs the callbacks, a wake-up; unpaced
    // bodies report per MiB (the progress callback is coalesced further anyway), paced ones
    // per chunk so that a slow rate still shows progress often. Either reports a chunk that
    // comes 100 ms after the last report, so the idle watchdog (which listens to these
    // calls) sees a slow connection as it did when every chunk was reported.
    let report_every = match feed.limiter {
        Limiter::None => REPORT_EVERY,
        _ => 1,
    };
    let state = State {
        range: range.clone(),
        feed: feed.clone(),
        chunk,
        digest: Arc::clone(&digest),
        pool: BlockPool::for_range(range),
        sent: 0,
        yielded_at: 0,
        reported: 0,
        reported_at: Instant::now(),
        report_every,
        framing,
    };
    let stream = futures_util::stream::try_unfold(state, |mut state| async move {
        if let Some(framing) = state.framing.as_mut() {
            if let Some(piece) = framing.queued.pop_front() {
                return Ok(Some((piece, state)));
            }
            if state.sent >= state.range.size {
                if framing.ended {
                    return Ok(None);
                }
                framing.ended = true;
                let end = aws_chunked::end(framing.nvme.finalize());
                return Ok(Some((end, state)));
            }
        }
        let range = &state.range;
        if state.sent >= range.size {
            return Ok(None);
        }
        if state.sent - state.yielded_at >= YIELD_EVERY {
            state.yielded_at = state.sent;
            tokio::task::yield_now().await;
        }
        let want = (range.size - state.sent).min(state.chunk as u64);
        acquire(&state.feed.limiter, want).await;
        let at = range.offset + state.sent;
        let read = match &range.source {
            RangeSource::File(file) => state.pool.read_at(file, at, want as usize).await,
            RangeSource::Memory(_) => range.source.read(at, want as usize).await,
        };
        let mut digest = state.digest.lock().unwrap_or_else(|e| e.into_inner());
        let chunk = match read {
            Ok(chunk) => chunk,
            Err(e) => {
                let for_caller = io::Error::new(e.kind(), e.to_string());
                digest.read_error = Some(e);
                return Err(for_caller);
            }
        };
        digest.crc.update(&chunk);
        drop(digest);
        state.sent += want;
        if state.sent - state.reported >= state.report_every
            || state.sent == range.size
            || state.reported_at.elapsed() >= REPORT_WITHIN
        {
            state.reported = state.sent;
            state.reported_at = Instant::now();
            (state.feed.on_sent)(state.sent);
        }
        if let Some(framing) = state.framing.as_mut() {
            framing.nvme.update(&chunk);
            framing.queued.push_back(chunk);
            framing
                .queued
                .push_back(Bytes::from_static(aws_chunked::FRAME_TAIL));
            let head = aws_chunked::frame_head(want as usize);
            return Ok(Some((head, state)));
        }
        Ok(Some((chunk, state)))
    });
    (reqwest::Body::wrap_stream(stream), digest)
}

/// The buffers of one body, and how its blocks are read. A block handed to the connection
/// comes back here when the connection drops it, so a part is read into the same few buffers
/// over and over: no fresh pages to fault in, no zeroing, and the buffers stay warm in the
/// cache for the CRC and the socket's copy.
struct BlockPool {
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
    fn for_range(range: &FileRange) -> BlockPool {
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
    async fn read_at(&mut self, file: &Arc<File>, offset: u64, len: usize) -> io::Result<Bytes> {
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

/// The CRC-64/NVME of the range, read once before a body that needs it up front is sent
/// (an S3 PutObject's checksum header). A buffer in memory is digested where it lies; a file
/// is read by `for_each_block`, on the calling thread (call it off the async threads).
pub(crate) fn crc64_nvme(range: &FileRange) -> io::Result<u64> {
    let mut nvme = crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme);
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
            nvme.update(&bytes[start..end]);
        }
        RangeSource::File(_) => for_each_block(range, |block| nvme.update(block))?,
    }
    Ok(nvme.finalize())
}

async fn acquire(limiter: &Limiter, want: u64) {
    loop {
        let permit = match limiter {
            Limiter::None => Permit::Granted,
            Limiter::Shared(bucket) => bucket.acquire(want),
            Limiter::Callback(ask) => {
                let (reply, answer) = oneshot::channel();
                if ask.send(AcquireRequest { want, reply }).is_err() {
                    return;
                }
                answer.await.unwrap_or(Permit::Granted)
            }
        };
        match permit {
            Permit::Granted => return,
            Permit::GrantedAfter(wait) => {
                tokio::time::sleep(wait).await;
                return;
            }
            Permit::RetryAfter(wait) => tokio::time::sleep(wait).await,
        }
    }
}
