//! A range of a file (or of a stream's part held in memory) and how it travels: `body`
//! streams it as a request body, `block_pool` reads it into reused buffers, `limiter` paces
//! it by the user's rate limit, `digest` reads it whole for checksums computed apart from
//! sending, and `source` is where its bytes come from.

mod block_pool;
mod body;
mod digest;
mod limiter;
mod source;

pub(crate) use body::body;
pub(crate) use digest::{crc64_nvme, for_each_block, md5};
pub(crate) use limiter::{AcquireRequest, Limiter};
pub(crate) use source::RangeSource;

use std::io;
use std::sync::Arc;
use tos_crc64::Crc64;

/// Bytes `offset..offset + size` of an open file (or of a stream's part held in memory).
#[derive(Clone)]
pub(crate) struct FileRange {
    pub source: RangeSource,
    pub offset: u64,
    pub size: u64,
}

/// Called with the bytes of the range handed to the connection so far in this attempt.
pub(crate) type SentFn = Arc<dyn Fn(u64) + Send + Sync>;

/// How a body is paced and observed, shared by every attempt of a request.
#[derive(Clone)]
pub(crate) struct Feed {
    pub limiter: Limiter,
    pub on_sent: SentFn,
    /// One permit per request in flight (a folder upload's connection cap).
    pub connections: Option<Arc<crate::wire::request_cap::RequestCap>>,
}

/// The CRC of what was streamed, and the file error that cut the stream short, if any
/// (the HTTP layer reports that only as a generic body error).
#[derive(Default)]
pub(crate) struct Digest {
    pub crc: Crc64,
    pub read_error: Option<io::Error>,
    /// The CRC-64/NVME sent in the aws-chunked trailer, once the body ended with one.
    pub trailer_nvme: Option<u64>,
}
