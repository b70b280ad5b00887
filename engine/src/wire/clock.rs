//! The time requests are signed with: this machine's clock plus the offset to the server's,
//! learnt from the server's `Date` header when it refused a request as signed at the wrong
//! time (docs/protocol.md §8.1 item 7). A machine whose clock is off by more than the 15
//! minutes stores allow can still upload; every later request of the client uses the offset.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

/// A refusal without an error code (HEAD answers have no body) is taken for a clock refusal
/// when the server's `Date` is at least this far from the time the request was signed with.
const SKEW_WITHOUT_CODE: Duration = Duration::from_secs(10 * 60);

#[derive(Default)]
pub(crate) struct Clock {
    /// Milliseconds to add to this machine's clock.
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> SystemTime {
        shift(SystemTime::now(), self.offset_ms.load(Ordering::Relaxed))
    }

    /// After a 403 to a request signed at `signed_at`: whether the server refused it for its
    /// time (its error `code`; for an answer without an error document, `None`, the distance
    /// to `date`, the server's `Date` header). If so the offset is corrected and returned, in
    /// milliseconds.
    pub fn learn(
        &self,
        code: Option<&str>,
        date: Option<&str>,
        signed_at: SystemTime,
    ) -> Option<i64> {
        let server_now = parse_http_date(date?)?;
        let local_now = SystemTime::now();
        let distance = match server_now.duration_since(signed_at) {
            Ok(ahead) => ahead,
            Err(behind) => behind.duration(),
        };
        let refused_for_time = match code {
            Some(code) => code == "RequestTimeTooSkewed",
            None => distance >= SKEW_WITHOUT_CODE,
        };
        if !refused_for_time {
            return None;
        }
        let offset_ms = match server_now.duration_since(local_now) {
            Ok(ahead) => ahead.as_millis() as i64,
            Err(behind) => -(behind.duration().as_millis() as i64),
        };
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
        Some(offset_ms)
    }
}

fn shift(at: SystemTime, offset_ms: i64) -> SystemTime {
    let by = Duration::from_millis(offset_ms.unsigned_abs());
    if offset_ms >= 0 {
        at.checked_add(by).unwrap_or(at)
    } else {
        at.checked_sub(by).unwrap_or(at)
    }
}

/// An HTTP date (`Sat, 05 Dec 2026 22:22:36 GMT`); `None` for anything else.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()?;
    SystemTime::try_from(at).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_refusal_sets_the_offset_from_the_servers_date() {
        let clock = Clock::default();
        let ahead = SystemTime::now() + Duration::from_secs(3600);
        let date = jiff::fmt::rfc2822::DateTimePrinter::new()
            .timestamp_to_rfc9110_string(&jiff::Timestamp::try_from(ahead).unwrap())
            .unwrap();
        let signed_at = SystemTime::now();
        let skewed = Some("RequestTimeTooSkewed");
        assert_eq!(
            clock.learn(Some("AccessDenied"), Some(&date), signed_at),
            None
        );
        assert_eq!(clock.learn(skewed, None, signed_at), None);
        let offset = clock.learn(skewed, Some(&date), signed_at).unwrap();
        assert!((3_598_000..=3_600_000).contains(&offset), "{offset}");
        let now = clock.now().duration_since(ahead).unwrap_or_default();
        assert!(now < Duration::from_secs(2));
        // A body-less refusal (HEAD) is one when the dates are far apart.
        assert!(clock.learn(None, Some(&date), signed_at).is_some());
        assert!(clock.learn(None, Some(&date), ahead).is_none());
        assert!(clock.learn(skewed, Some("yesterday"), signed_at).is_none());
    }
}
