//! What part workers tell the coordinator, which owns every callback and the checkpoint.

use crate::engine::error::UploadError;
use crate::engine::protocol::PartReceipt;
use crate::engine::rate_limit::{Permit, RateLimiter};
use std::sync::Arc;
use tokio::sync::oneshot;

#[derive(Clone)]
pub enum Limiter {
    None,
    Shared(Arc<dyn RateLimiter>),
    /// Ask the coordinator, which calls the user's callback.
    Callback,
}

pub enum WorkerMsg {
    /// High-water mark of bytes handed to the connection for this part in this attempt.
    Sent {
        part_index: usize,
        bytes_in_part: u64,
    },
    Acquire {
        want: u64,
        reply: oneshot::Sender<Permit>,
    },
    Retry {
        part_index: usize,
        error: UploadError,
    },
    Done {
        part_index: usize,
        receipt: PartReceipt,
        crc64: u64,
    },
    Failed {
        part_index: usize,
        error: UploadError,
        fatal: bool,
    },
}
