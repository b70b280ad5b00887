//! One congestion controller per client, shared by every call of it (docs/throttling.md).
//!
//! Each request attempt holds a slot while it is in flight. A throttling answer (429, 503)
//! cuts the number of slots in half, once per round (answers to requests that started
//! before the cut do not cut again, as TCP treats one window's losses as one), and a
//! `Retry-After` holds every new request until it elapses. Every other answer from the
//! server grows the limit by one slot per round, so the client recovers when the
//! throttling stops. Before the first throttling answer the limit is open: the callers'
//! own bounds (files, connections) apply. An optional request-rate cap takes a token per
//! attempt as it leaves.
//!
//! All waits are async and re-checked at least every `RECHECK`, so a pause or abort (which
//! drops the waiting future) is answered at once, and the callers' request budget bounds
//! the whole wait.

use crate::error::UploadError;
use crate::rate_limit::{Permit, RateLimiter, TokenBucket};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;
// The runtime's clock, so that paused-time tests see the holds elapse.
use tokio::time::Instant;

/// Cut factor on a throttling answer (the classic AIMD half).
const DECREASE: f64 = 0.5;
/// Past this the limit opens again: no caller runs this many requests at once.
const OPEN_AGAIN: f64 = 4096.0;
/// Longest a waiter sleeps before looking again (a missed wake costs no more).
const RECHECK: Duration = Duration::from_millis(50);
/// The longest `Retry-After` honoured for the whole client.
const HOLD_CAP: Duration = Duration::from_secs(60);
/// The request bucket counts in these units so that it can share `TokenBucket` (whose
/// floors are 1,024 units a second and a burst of 10,240): one request is 1,024 units,
/// which makes the floors one request a second and a burst of ten requests.
const UNITS_PER_REQUEST: u64 = 1024;

pub(crate) struct Congestion {
    state: Mutex<State>,
    wake: Notify,
    requests: Option<TokenBucket>,
}

struct State {
    /// Requests allowed in flight; infinite until the first throttling answer.
    limit: f64,
    in_flight: usize,
    /// No request starts before this (the latest `Retry-After`).
    hold_until: Option<Instant>,
    /// Counts cuts; a slot remembers the round it started in.
    round: u64,
}

/// What an attempt's answer says about the server's load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    /// The server answered (success or an ordinary error).
    Served,
    /// 429 or 503, with the `Retry-After` it asked for.
    Throttled(Option<Duration>),
    /// No answer (network error, timeout): says nothing about throttling.
    Unknown,
}

impl Load {
    pub(crate) fn of<T>(result: &Result<T, UploadError>) -> Load {
        match result {
            Ok(_) => Load::Served,
            Err(error) => Load::of_error(error),
        }
    }

    pub(crate) fn of_error(error: &UploadError) -> Load {
        match &error.server {
            Some(s) if s.status == 429 || s.status == 503 => {
                Load::Throttled(s.retry_after_secs.map(Duration::from_secs))
            }
            Some(_) => Load::Served,
            None => Load::Unknown,
        }
    }
}

/// One request in flight; its drop frees the place (an attempt cancelled by pause or abort).
pub(crate) struct Slot<'a> {
    owner: &'a Congestion,
    round: u64,
    load: Load,
}

impl Slot<'_> {
    /// Records what the answer said; taken into account when the slot is dropped.
    pub(crate) fn answered(&mut self, load: Load) {
        self.load = load;
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.owner.release(self.round, self.load);
    }
}

/// Gives a reserved token back unless forgotten.
struct Refund<'a>(&'a TokenBucket);

impl Drop for Refund<'_> {
    fn drop(&mut self) {
        self.0.refund(UNITS_PER_REQUEST);
    }
}

impl Congestion {
    /// `max_requests_per_second` 0 = no cap.
    pub(crate) fn new(max_requests_per_second: u32) -> Congestion {
        let requests = (max_requests_per_second > 0)
            .then(|| TokenBucket::new(u64::from(max_requests_per_second) * UNITS_PER_REQUEST, 0));
        Congestion {
            state: Mutex::new(State {
                limit: f64::INFINITY,
                in_flight: 0,
                hold_until: None,
                round: 0,
            }),
            wake: Notify::new(),
            requests,
        }
    }

    /// Waits for a place in flight, then for the request-rate cap. An `urgent` request (the
    /// AbortMultipartUpload of an abort, which the caller is waiting on and which lightens
    /// the server's load) skips the limit and the hold, not the cap.
    pub(crate) async fn acquire(&self, urgent: bool) -> Slot<'_> {
        let slot = loop {
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                match s.hold_until {
                    Some(until) if until > now && !urgent => Some(until - now),
                    _ => {
                        if (s.in_flight as f64) < s.limit.floor().max(1.0) || urgent {
                            s.in_flight += 1;
                            break Slot {
                                owner: self,
                                round: s.round,
                                load: Load::Unknown,
                            };
                        }
                        None
                    }
                }
            };
            match wait {
                Some(hold) => tokio::time::sleep(hold.min(RECHECK)).await,
                None => {
                    let _ = tokio::time::timeout(RECHECK, self.wake.notified()).await;
                }
            }
        };
        if let Some(bucket) = &self.requests {
            Self::take_token(bucket).await;
        }
        slot
    }

    async fn take_token(bucket: &TokenBucket) {
        loop {
            match bucket.acquire(UNITS_PER_REQUEST) {
                Permit::Granted => return,
                // Reserved: a pause that drops this future gives the reservation back, so
                // the requests after it (an abort's own) do not wait for it.
                Permit::GrantedAfter(wait) => {
                    let refund = Refund(bucket);
                    tokio::time::sleep(wait).await;
                    std::mem::forget(refund);
                    return;
                }
                Permit::RetryAfter(wait) => tokio::time::sleep(wait.min(RECHECK)).await,
            }
        }
    }

    fn release(&self, round: u64, load: Load) {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        match load {
            Load::Throttled(retry_after) => {
                if round == s.round {
                    // From what was really in flight: an open limit, or one grown while the
                    // callers ran fewer requests, would otherwise cut nothing.
                    let flying = (s.in_flight + 1) as f64;
                    let before = s.limit.min(flying);
                    s.limit = (before * DECREASE).floor().max(1.0);
                    s.round += 1;
                    log::info!(
                        "the server is throttling: at most {} requests in flight for this client (was {})",
                        s.limit,
                        before
                    );
                }
                if let Some(hold) = retry_after.filter(|d| !d.is_zero()) {
                    let until = Instant::now() + hold.min(HOLD_CAP);
                    s.hold_until = Some(s.hold_until.map_or(until, |h| h.max(until)));
                }
            }
            Load::Served if s.limit.is_finite() => {
                s.limit += 1.0 / s.limit;
                if s.limit >= OPEN_AGAIN {
                    s.limit = f64::INFINITY;
                }
            }
            _ => {}
        }
        drop(s);
        self.wake.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // No code under this lock can leave the state half-changed.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn limit(&self) -> f64 {
        self.lock().limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_throttle_halves_once_per_round_and_answers_grow_it_back() {
        let c = Congestion::new(0);
        let mut slots = Vec::new();
        for _ in 0..8 {
            slots.push(c.acquire(false).await);
        }
        assert!(c.limit().is_infinite());
        // Two refusals of the same round: one cut, from the 8 really in flight.
        for _ in 0..2 {
            let mut slot = slots.pop().unwrap();
            slot.answered(Load::Throttled(None));
        }
        assert_eq!(c.limit(), 4.0);
        drop(slots);
        // Four answers at limit 4 make one round: the limit grows by about one.
        for _ in 0..4 {
            let mut slot = c.acquire(false).await;
            slot.answered(Load::Served);
        }
        assert!((4.9..5.1).contains(&c.limit()), "{}", c.limit());
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_back_the_next_request_until_a_slot_frees() {
        let c = Congestion::new(0);
        let mut first = c.acquire(false).await;
        first.answered(Load::Throttled(None));
        drop(first);
        assert_eq!(c.limit(), 1.0);
        let held = c.acquire(false).await;
        let waiting = tokio::time::timeout(Duration::from_secs(5), c.acquire(false)).await;
        assert!(waiting.is_err(), "a second request started at limit 1");
        drop(held);
        let started = tokio::time::timeout(Duration::from_millis(100), c.acquire(false)).await;
        assert!(started.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_every_new_request() {
        let c = Congestion::new(0);
        let mut slot = c.acquire(false).await;
        slot.answered(Load::Throttled(Some(Duration::from_secs(2))));
        drop(slot);
        let t0 = Instant::now();
        let _next = c.acquire(false).await;
        assert!(
            t0.elapsed() >= Duration::from_millis(1950),
            "{:?}",
            t0.elapsed()
        );
    }

    // Real time: the bucket keeps the wall clock.
    #[tokio::test]
    async fn the_request_cap_spaces_requests_after_the_burst() {
        let c = Congestion::new(200);
        let t0 = Instant::now();
        for _ in 0..60 {
            drop(c.acquire(false).await);
        }
        // A burst of 20 (a tenth of a second), then 40 at 200 a second.
        let took = t0.elapsed().as_secs_f64();
        assert!((0.19..0.4).contains(&took), "{took}");
    }
}
