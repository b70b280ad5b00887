//! `tos_rate_limiter`: a token bucket shared by any number of uploads, so the limit is global.

use super::error::tos_error;
use super::guard::check_out;
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

/// Makes a token bucket of `rate_bytes_per_sec` bytes per second (0 = unlimited, else at
/// least 1024) with a burst of `capacity_bytes` (0 = a tenth of a second of the rate but at
/// least 10 KiB, else at least 10,240). The bucket starts full. On success stores it in
/// `*limiter_out` (free it with `tos_rate_limiter_free`); a value out of range is
/// `TOS_ERR_INVALID_ARGUMENT` (with `*error_out` when not NULL), a NULL `limiter_out`
/// `TOS_ERR_NULL_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn tos_rate_limiter_new(
    rate_bytes_per_sec: u64,
    capacity_bytes: u64,
    limiter_out: *mut *const tos_rate_limiter,
    error_out: *mut *mut tos_error,
) -> tos_result {
    ffi_boundary_with_error!(error_out, {
        check_out(limiter_out, "limiter_out")?;
        TokenBucket::check(rate_bytes_per_sec, capacity_bytes)?;
        limiter_out.write(Arc::into_raw(Arc::new(tos_rate_limiter {
            bucket: TokenBucket::new(rate_bytes_per_sec, capacity_bytes),
        })));
        Ok(())
    })
}

/// Changes the rate and burst (same meaning and ranges as in `tos_rate_limiter_new`) while
/// uploads run; from any thread, also inside a callback. Returns `TOS_ERR_NULL_ARGUMENT` if
/// `limiter` is NULL and `TOS_ERR_INVALID_ARGUMENT` (the limit unchanged) for a value out of
/// range.
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
        if TokenBucket::check(rate_bytes_per_sec, capacity_bytes).is_err() {
            return tos_result::TOS_ERR_INVALID_ARGUMENT;
        }
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
