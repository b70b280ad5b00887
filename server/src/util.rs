//! Small helpers: clock, date formatting and unique ids. HTTP dates go through
//! `httpdate`; the compact `x-tos-date` and the ISO 8601 listing form are TOS's own
//! and no small crate covers them, so they stay here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses the `x-tos-date` form `yyyyMMddTHHmmssZ` into unix seconds.
pub fn parse_tos_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo as u32, d as u32) * 86400 + h * 3600 + mi * 60 + se)
}

fn split_ms(ms: u64) -> (i64, u32, u32, u64, u64, u64, u64) {
    let secs = (ms / 1000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let sod = secs.rem_euclid(86400) as u64;
    (y, m, d, sod / 3600, sod % 3600 / 60, sod % 60, ms % 1000)
}

/// ISO 8601 with milliseconds, the form TOS uses in JSON listings.
pub fn iso8601(ms: u64) -> String {
    let (y, m, d, h, mi, s, frac) = split_ms(ms);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// RFC 1123 form for `Last-Modified`.
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
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
        assert_eq!(
            http_date(secs as u64 * 1000),
            "Wed, 21 Jul 2021 10:44:54 GMT"
        );
        assert_eq!(
            http_date(secs as u64 * 1000 + 999),
            "Wed, 21 Jul 2021 10:44:54 GMT"
        );
        assert!(parse_tos_date("2021-07-21").is_none());
    }
}
