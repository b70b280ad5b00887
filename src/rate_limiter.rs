//! `tos_rate_limiter`: a token bucket shared by any number of uploads, so the limit is global.

use super::result::tos_result;
use std::sync::Arc;
use tosupload_engine::{Permit, RateLimiter, TokenBucket};

/// A token bucket in bytes per second, shared by every upload it is given to
/// (`tos_upload_file_input.rate_limiter`), so their total rate stays under the limit.
/// Thread-safe. Made by `tos_rate_limiter_new`, freed by `tos_rate_limiter_free`.
pub struct tos_rate_limiter {
    bucket: TokenBucket,
}

impl RateLimiter for tos_rate_limiter {
    fn acquire(&self, want: u64) -> Permit {
        self.bucket.acquire(want)
    }
}

/// Makes a token bucket of `rate_bytes_per_sec` bytes per second (0 = unlimited; at least
/// 1 KiB/s otherwise) with a burst of `capacity_bytes` (0 = a tenth of a second of the
/// rate; at least 10 KiB). The bucket starts full. Returns NULL only if memory ran out.
#[no_mangle]
pub extern "C" fn tos_rate_limiter_new(
    rate_bytes_per_sec: u64,
    capacity_bytes: u64,
) -> *const tos_rate_limiter {
    ffi_panic_boundary! {
        Arc::into_raw(Arc::new(tos_rate_limiter {
            bucket: TokenBucket::new(rate_bytes_per_sec, capacity_bytes),
        }))
    }
}

/// Changes the rate and burst (same meaning as in `tos_rate_limiter_new`) while uploads run;
/// from any thread, also inside a callback. Returns `TOS_ERR_NULL_ARGUMENT` if `limiter` is NULL.
#[no_mangle]
pub unsafe extern "C" fn tos_rate_limiter_set_rate(
    limiter: *const tos_rate_limiter,
    rate_bytes_per_sec: u64,
    capacity_bytes: u64,
) -> tos_result {
    ffi_panic_boundary! {
        let Some(limiter) = limiter.as_ref() else {
            return tos_result::TOS_ERR_NULL_ARGUMENT;
        };
        limiter.bucket.set_rate(rate_bytes_per_sec, capacity_bytes);
        tos_result::TOS_OK
    }
}

/// Frees a rate limiter. Accepts NULL. Uploads still using it keep their own reference.
#[no_mangle]
pub unsafe extern "C" fn tos_rate_limiter_free(limiter: *const tos_rate_limiter) {
    ffi_panic_boundary! {
        if !limiter.is_null() {
            drop(Arc::from_raw(limiter));
        }
    }
}
