//! Streams a range of a file as a request body: bounded chunks read at an offset, the CRC-64
//! computed on the way, tokens taken from the rate limiter before each chunk is sent, and
//! progress reported per chunk. No range is ever held whole in memory, so a part of 5 GiB
//! costs what a part of 5 MiB costs.

use super::aws_chunked;
use super::protocol::BodyFraming;
pub(crate) use super::range_source::RangeSource;
use crate::rate_limit::{Permit, RateLimiter};
use bytes::Bytes;
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tos_crc64::Crc64;

/// Chunk size without a user limiter: large enough that per-chunk costs vanish, small
/// enough that memory stays within about a MiB per task.
const CHUNK: usize = 256 * 1024;
/// With a user limiter, ask in the sizes the Go SDK asks in.
const LIMITED_CHUNK: usize = 32 * 1024;
/// Reads that only compute digests (no sending) use larger blocks.
const DIGEST_CHUNK: usize = 1 << 20;

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
    sent: u64,
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
    let state = State {
        range: range.clone(),
        feed: feed.clone(),
        chunk,
        digest: Arc::clone(&digest),
        sent: 0,
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
        let want = (range.size - state.sent).min(state.chunk as u64);
        acquire(&state.feed.limiter, want).await;
        let at = range.offset + state.sent;
        let read = range.source.read(at, want as usize).await;
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
        (state.feed.on_sent)(state.sent);
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
