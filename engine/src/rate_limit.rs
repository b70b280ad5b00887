//! Client-side rate limiting: the user's own limiter (Go SDK meaning: asked for `want` bytes
//! before they are sent, answers ok or a time to wait) and a built-in token bucket that can be
//! shared by many uploads so that the limit is global, not per connection.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The answer to "may I send `want` bytes now?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Send now.
    Granted,
    /// The bytes are reserved; send them after this delay (no need to ask again).
    GrantedAfter(Duration),
    /// Not granted; ask again after this delay.
    RetryAfter(Duration),
}

/// A limiter consulted before each chunk of part data is sent.
pub trait RateLimiter: Send + Sync {
    fn acquire(&self, want: u64) -> Permit;
}

/// Token bucket in bytes per second. It reserves bytes ahead (the balance may go negative),
/// so concurrent parts are served in arrival order and the long-run rate is exact.
#[derive(Debug)]
pub struct TokenBucket {
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    rate: u64,
    capacity: u64,
    tokens: f64,
    last_refill: Instant,
}

/// Below these the bucket would wake a task for every few bytes.
const MIN_RATE: u64 = 1024;
const MIN_CAPACITY: u64 = 10 * 1024;

impl TokenBucket {
    /// Refuses a rate or burst below the bucket's floor (0 for either means its default), so
    /// that callers are told instead of getting a different limit than they asked for.
    pub fn check(rate: u64, capacity: u64) -> crate::error::Result<()> {
        use crate::error::{ErrorKind, UploadError};
        if (1..MIN_RATE).contains(&rate) {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                format!("invalid rate {rate} bytes/s: 0 (unlimited) or at least {MIN_RATE}"),
            ));
        }
        if (1..MIN_CAPACITY).contains(&capacity) {
            return Err(UploadError::new(
                ErrorKind::InvalidArgument,
                format!(
                    "invalid burst {capacity} bytes: 0 (the default) or at least {MIN_CAPACITY}"
                ),
            ));
        }
        Ok(())
    }

    /// `rate` bytes per second (0 = unlimited), `capacity` = the largest burst in bytes
    /// (0 = a tenth of a second of `rate`; at least 10 KiB). The bucket starts full.
    pub fn new(rate: u64, capacity: u64) -> Self {
        let capacity = Self::effective_capacity(rate, capacity);
        TokenBucket {
            state: Mutex::new(BucketState {
                rate: Self::effective_rate(rate),
                capacity,
                tokens: capacity as f64,
                last_refill: Instant::now(),
            }),
        }
    }

    fn effective_rate(rate: u64) -> u64 {
        if rate == 0 {
            0
        } else {
            rate.max(MIN_RATE)
        }
    }

    /// The default burst is a tenth of a second of the rate: a full second (the Go SDK's
    /// habit) lets a 10-second transfer run 10 % over the limit.
    fn effective_capacity(rate: u64, capacity: u64) -> u64 {
        if capacity == 0 {
            (rate / 10).max(MIN_CAPACITY)
        } else {
            capacity.max(MIN_CAPACITY)
        }
    }

    /// Changes the rate (and capacity) while uploads are running.
    pub fn set_rate(&self, rate: u64, capacity: u64) {
        let mut state = self.lock();
        state.refill(Instant::now());
        state.rate = Self::effective_rate(rate);
        state.capacity = Self::effective_capacity(rate, capacity);
        state.tokens = state.tokens.min(state.capacity as f64);
    }

    /// Gives back a reservation that will not be used (its request was cancelled), so that
    /// the next ones do not wait for it.
    pub(crate) fn refund(&self, want: u64) {
        let mut state = self.lock();
        state.tokens = (state.tokens + want as f64).min(state.capacity as f64);
    }

    pub fn rate(&self) -> u64 {
        self.lock().rate
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // A panic while holding this lock cannot leave the state inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl BucketState {
    fn refill(&mut self, now: Instant) {
        let elapsed = now
            .saturating_duration_since(self.last_refill)
            .as_secs_f64();
        self.last_refill = now;
        self.tokens = (self.tokens + elapsed * self.rate as f64).min(self.capacity as f64);
    }
}

impl RateLimiter for TokenBucket {
    fn acquire(&self, want: u64) -> Permit {
        let mut state = self.lock();
        if state.rate == 0 {
            return Permit::Granted;
        }
        state.refill(Instant::now());
        state.tokens -= want as f64;
        if state.tokens >= 0.0 {
            Permit::Granted
        } else {
            Permit::GrantedAfter(Duration::from_secs_f64(-state.tokens / state.rate as f64))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_bucket_always_grants() {
        let bucket = TokenBucket::new(0, 0);
        for _ in 0..1000 {
            assert_eq!(bucket.acquire(1 << 30), Permit::Granted);
        }
    }

    #[test]
    fn reservations_beyond_the_burst_wait_in_proportion() {
        let bucket = TokenBucket::new(1 << 20, 1 << 20);
        assert_eq!(bucket.acquire(1 << 20), Permit::Granted);
        // The next MiB is reserved and may go after about one second; the one after, two.
        let Permit::GrantedAfter(first) = bucket.acquire(1 << 20) else {
            panic!("expected a delay")
        };
        let Permit::GrantedAfter(second) = bucket.acquire(1 << 20) else {
            panic!("expected a delay")
        };
        assert!((0.9..=1.01).contains(&first.as_secs_f64()), "{first:?}");
        assert!((1.9..=2.01).contains(&second.as_secs_f64()), "{second:?}");
    }

    #[test]
    fn the_default_burst_is_a_tenth_of_a_second() {
        let bucket = TokenBucket::new(10 << 20, 0);
        assert_eq!(bucket.acquire(1 << 20), Permit::Granted);
        let Permit::GrantedAfter(wait) = bucket.acquire(1 << 20) else {
            panic!("expected a delay")
        };
        assert!((0.09..=0.11).contains(&wait.as_secs_f64()), "{wait:?}");
    }

    #[test]
    fn set_rate_takes_effect_for_the_next_reservation() {
        let bucket = TokenBucket::new(1 << 20, 1 << 20);
        bucket.acquire(1 << 20);
        bucket.set_rate(4 << 20, 1 << 20);
        let Permit::GrantedAfter(wait) = bucket.acquire(1 << 20) else {
            panic!("expected a delay")
        };
        assert!(wait.as_secs_f64() <= 0.26, "{wait:?}");
        assert_eq!(bucket.rate(), 4 << 20);
    }
}
