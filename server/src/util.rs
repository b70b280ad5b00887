//! Small helpers: clock, date formatting and unique ids. Dates go through `jiff`, as in
//! the engine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Parses the `x-tos-date` form `yyyyMMddTHHmmssZ` into unix seconds.
pub fn parse_tos_date(s: &str) -> Option<i64> {
    // strptime takes fewer digits than a field's width; the signed form has all of them.
    if s.len() != 16 {
        return None;
    }
    let utc = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", s).ok()?;
    Some(jiff::tz::Offset::UTC.to_timestamp(utc).ok()?.as_second())
}

fn timestamp(ms: u64) -> jiff::Timestamp {
    i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or(jiff::Timestamp::MAX)
}

/// ISO 8601 with milliseconds, the form TOS uses in JSON listings.
pub fn iso8601(ms: u64) -> String {
    timestamp(ms).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// RFC 1123 form for `Last-Modified`.
pub fn http_date(ms: u64) -> String {
    jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_rfc9110_string(&timestamp(ms))
        .unwrap_or_default()
}

pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique 32-hex-digit id. Hashing time, pid and a counter avoids pulling in a
/// random-number crate while keeping ids unguessable enough for a test server.
pub fn unique_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let digest = Sha256::digest(format!("{nanos}/{}/{n}", std::process::id()));
    hex(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let secs = parse_tos_date("20210721T104454Z").unwrap();
        assert_eq!(secs, 1626864294);
        assert_eq!(iso8601(secs as u64 * 1000 + 5), "2021-07-21T10:44:54.005Z");
        assert_eq!(iso8601(secs as u64 * 1000), "2021-07-21T10:44:54.000Z");
        assert_eq!(iso8601(951_868_799_000), "2000-02-29T23:59:59.000Z");
        assert_eq!(
            http_date(secs as u64 * 1000),
            "Wed, 21 Jul 2021 10:44:54 GMT"
        );
        assert_eq!(
            http_date(secs as u64 * 1000 + 999),
            "Wed, 21 Jul 2021 10:44:54 GMT"
        );
        assert!(parse_tos_date("2021-07-21").is_none());
        assert!(parse_tos_date("2021721T104454Z").is_none());
        assert!(parse_tos_date("20211321T104454Z").is_none());
    }
}
