//! What part workers tell the coordinator, which owns every callback and the checkpoint.

use crate::error::UploadError;
use crate::wire::SentPart;

pub(crate) enum WorkerMsg {
    /// High-water mark of bytes handed to the connection for this part in this attempt.
    Sent {
        part_index: usize,
        bytes_in_part: u64,
    },
    Retry {
        part_index: usize,
        error: UploadError,
    },
    Done {
        part_index: usize,
        part: SentPart,
        /// When the worker began sending the part (its first attempt).
        started: std::time::Instant,
    },
    Failed {
        part_index: usize,
        error: UploadError,
        fatal: bool,
    },
}
