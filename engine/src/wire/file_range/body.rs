//! Streams a range of a file as a request body: bounded chunks read at an offset, the CRC-64
//! computed on the way, tokens taken from the rate limiter before each chunk is sent, and
//! progress reported per chunk. No range is ever held whole in memory, so a part of 5 GiB
//! costs what a part of 5 MiB costs.

use super::block_pool::BlockPool;
use super::limiter::{acquire, Limiter};
use super::{Digest, Feed, FileRange, RangeSource};
use crate::wire::aws_chunked;
use crate::wire::protocol::BodyFraming;
use bytes::Bytes;
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Chunk size without a user limiter: large enough that per-chunk costs vanish, small
/// enough that memory stays within about a MiB per task and a chunk is still in the cache when
/// the socket copies it.
pub(super) const CHUNK: usize = 256 * 1024;
/// With a user limiter, ask in the sizes the Go SDK asks in.
const LIMITED_CHUNK: usize = 32 * 1024;
/// How often an unpaced body reports the bytes sent (see `report_every`).
const REPORT_EVERY: u64 = 1024 * 1024;
/// A body lets the other connections on its thread have a turn this often. While the socket
/// takes data, the connection writes on, and tokio's budget (128 writes) let one connection
/// send several MiB per turn: with 32 parts in flight, a small request (creating or
/// completing another upload) waited 25-35 ms for its turn, which made concurrent uploads
/// unequal.
const YIELD_EVERY: u64 = 1 << 20;
const REPORT_WITHIN: Duration = Duration::from_millis(100);

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
                let nvme = framing.nvme.finalize();
                let mut digest = state.digest.lock().unwrap_or_else(|e| e.into_inner());
                digest.trailer_nvme = Some(nvme);
                drop(digest);
                let end = aws_chunked::end(nvme);
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
