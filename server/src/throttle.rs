//! Throttling as a busy store does it (docs/throttling.md): a request beyond the in-flight cap
//! is refused at once with 503 SlowDown, one beyond the per-second cap with 429
//! TooManyRequests, each with `Retry-After` when one is configured. Refused requests reach
//! the request log with their status, so tests count them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::errors::TosError;
use crate::util::now_ms;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ThrottleSettings {
    /// 0 = no cap.
    pub max_in_flight: usize,
    /// Requests admitted per calendar second; 0 = no cap.
    pub max_qps: u32,
    /// Seconds sent in `Retry-After` with a refusal; `None` sends no header.
    pub retry_after_s: Option<u64>,
}

#[derive(Default)]
pub struct Throttle {
    settings: ThrottleSettings,
    in_flight: AtomicUsize,
    /// (second, requests admitted in it).
    second: Mutex<(u64, u32)>,
}

/// Put in a refused request's extensions by the connection's service, for the front (TOS or
/// S3) to answer in its own format and log.
#[derive(Clone)]
pub struct Refused(pub TosError);

/// Holds one of the in-flight places until the request's handler returns.
pub struct Admitted<'a>(Option<&'a Throttle>);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.0 {
            t.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

impl Throttle {
    pub fn new(settings: ThrottleSettings) -> Throttle {
        Throttle {
            settings,
            ..Default::default()
        }
    }

    pub fn admit(&self) -> Result<Admitted<'_>, TosError> {
        let s = self.settings;
        if s.max_qps > 0 {
            let now = now_ms() / 1000;
            let mut second = self.second.lock().unwrap_or_else(|e| e.into_inner());
            if second.0 != now {
                *second = (now, 0);
            }
            if second.1 >= s.max_qps {
                return Err(self.refusal(429, "TooManyRequests", "request rate"));
            }
            second.1 += 1;
        }
        if s.max_in_flight == 0 {
            return Ok(Admitted(None));
        }
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= s.max_in_flight {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(self.refusal(503, "SlowDown", "requests in flight"));
        }
        Ok(Admitted(Some(self)))
    }

    fn refusal(&self, status: u16, code: &str, what: &str) -> TosError {
        let e = TosError::new(
            status,
            code,
            format!("Please reduce your request rate: the server's cap on {what} is reached."),
        );
        match self.settings.retry_after_s {
            Some(s) => e.with_header("retry-after", s.to_string()),
            None => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_cap_refuses_beyond_and_frees_on_drop() {
        let t = Throttle::new(ThrottleSettings {
            max_in_flight: 2,
            retry_after_s: Some(3),
            ..Default::default()
        });
        let a = t.admit().unwrap();
        let _b = t.admit().unwrap();
        let e = t.admit().err().unwrap();
        assert_eq!((e.status, e.code.as_str()), (503, "SlowDown"));
        assert_eq!(e.headers, vec![("retry-after", "3".to_string())]);
        drop(a);
        assert!(t.admit().is_ok());
    }

    #[test]
    fn qps_cap_refuses_with_429_within_a_second() {
        let t = Throttle::new(ThrottleSettings {
            max_qps: 3,
            ..Default::default()
        });
        // Stay inside one calendar second so the window cannot roll over mid-test.
        while now_ms() % 1000 > 500 {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let admitted = (0..5).filter(|_| t.admit().is_ok()).count();
        assert_eq!(admitted, 3);
        let e = t.admit().err().unwrap();
        assert_eq!((e.status, e.code.as_str()), (429, "TooManyRequests"));
        assert!(e.headers.is_empty());
    }
}
