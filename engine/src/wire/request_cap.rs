//! A folder upload's cap on its requests in flight, shared by all its files. With automatic
//! connections (docs/throttling.md) the cap is wide for small files, and a request whose body
//! streams more than one read buffer (about a MiB of buffers each, `file_range::body`) takes
//! several places, so that large parts stay within a memory bound.

use crate::error::{ErrorKind, Result, UploadError};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Bodies larger than this hold a large body's share of the cap.
const SMALL_BODY: u64 = 256 * 1024;

pub(crate) struct RequestCap {
    permits: Semaphore,
    large_body: u32,
}

impl RequestCap {
    /// `requests` places; a large body takes `large_body` of them (at least 1, at most all).
    pub(crate) fn new(requests: usize, large_body: u32) -> RequestCap {
        let total = u32::try_from(requests).unwrap_or(u32::MAX).max(1);
        RequestCap {
            permits: Semaphore::new(total as usize),
            large_body: large_body.clamp(1, total),
        }
    }

    /// A place for a request with a body of `body_bytes` (0 for none), held while the permit
    /// lives.
    pub(crate) async fn acquire(&self, body_bytes: u64) -> Result<SemaphorePermit<'_>> {
        let weight = if body_bytes > SMALL_BODY {
            self.large_body
        } else {
            1
        };
        self.permits.acquire_many(weight).await.map_err(|e| {
            UploadError::new(ErrorKind::Internal, "connection limit closed").with_cause(e)
        })
    }

    #[cfg(test)]
    fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_bodies_take_their_share_and_never_more_than_all() {
        let cap = RequestCap::new(256, 8);
        let small = cap.acquire(4096).await.unwrap();
        let large = cap.acquire(5 << 20).await.unwrap();
        assert_eq!(cap.available(), 256 - 1 - 8);
        drop((small, large));
        let tiny = RequestCap::new(2, 8);
        let _all = tiny.acquire(5 << 20).await.unwrap();
        assert_eq!(tiny.available(), 0);
    }
}
