//! What a GET or HEAD asks for beyond the object itself: a byte range (`Range`) and the
//! preconditions (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`).
//! Both front ends answer them the same way, as TOS and S3 do (RFC 9110 §13 and §14).

use std::time::Duration;

use hyper::HeaderMap;

/// The part of the object a request asked for.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum RangeAsk {
    /// No `Range`, or one the server ignores: several ranges, or a malformed one (as S3).
    Whole,
    /// `start..start + len`, answered 206.
    Part { start: u64, len: u64 },
    /// Well formed but outside the object: 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// The outcome of the preconditions.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Precondition {
    Proceed,
    /// 304: the client's copy is current (`If-None-Match`, `If-Modified-Since`).
    NotModified,
    /// 412 PreconditionFailed (`If-Match`, `If-Unmodified-Since`).
    Failed,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub fn range(headers: &HeaderMap, size: u64) -> RangeAsk {
    match header(headers, "range") {
        Some(spec) => parse_range(spec, size),
        None => RangeAsk::Whole,
    }
}

/// One `bytes=` range against an object of `size` bytes.
pub fn parse_range(spec: &str, size: u64) -> RangeAsk {
    let Some(spec) = spec.trim().strip_prefix("bytes=") else {
        return RangeAsk::Whole;
    };
    if spec.contains(',') {
        return RangeAsk::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return RangeAsk::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => RangeAsk::Whole,
            Some(0) => RangeAsk::Unsatisfiable,
            Some(_) if size == 0 => RangeAsk::Unsatisfiable,
            Some(n) => RangeAsk::Part {
                start: size.saturating_sub(n),
                len: n.min(size),
            },
        },
        (start, end) => {
            let Some(start) = number(start) else {
                return RangeAsk::Whole;
            };
            let end = match end {
                "" => u64::MAX,
                e => match number(e) {
                    Some(e) if e >= start => e,
                    _ => return RangeAsk::Whole,
                },
            };
            if start >= size {
                return RangeAsk::Unsatisfiable;
            }
            let end = end.min(size - 1);
            RangeAsk::Part {
                start,
                len: end - start + 1,
            }
        }
    }
}

/// Whether `etag` (unquoted) is in an `If-Match`/`If-None-Match` list. Weak tags compare by
/// their value, as S3 does for GET.
fn etag_listed(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == etag.trim_matches('"')
    })
}

/// Seconds since the epoch of an HTTP date; an unreadable date is ignored, as RFC 9110 says.
fn http_date_secs(text: &str) -> Option<u64> {
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()?;
    u64::try_from(at.as_second()).ok()
}

/// RFC 9110 §13.2.2's order: `If-Match`, else `If-Unmodified-Since`; then `If-None-Match`,
/// else `If-Modified-Since`. `Last-Modified` has whole seconds, so the object's time is
/// compared at that precision.
pub fn evaluate(headers: &HeaderMap, etag: &str, last_modified_ms: u64) -> Precondition {
    let modified = Duration::from_millis(last_modified_ms).as_secs();
    if let Some(list) = header(headers, "if-match") {
        if !etag_listed(list, etag) {
            return Precondition::Failed;
        }
    } else if let Some(since) = header(headers, "if-unmodified-since").and_then(http_date_secs) {
        if modified > since {
            return Precondition::Failed;
        }
    }
    if let Some(list) = header(headers, "if-none-match") {
        if etag_listed(list, etag) {
            return Precondition::NotModified;
        }
    } else if let Some(since) = header(headers, "if-modified-since").and_then(http_date_secs) {
        if modified <= since {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeAsk::*;

    #[test]
    fn ranges() {
        let part = |start, len| Part { start, len };
        assert_eq!(parse_range("bytes=0-9", 100), part(0, 10));
        assert_eq!(parse_range("bytes=90-", 100), part(90, 10));
        assert_eq!(parse_range("bytes=-5", 100), part(95, 5));
        assert_eq!(parse_range("bytes=-500", 100), part(0, 100));
        assert_eq!(parse_range("bytes=95-200", 100), part(95, 5));
        assert_eq!(parse_range("bytes=99-99", 100), part(99, 1));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=100-200", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-0", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=-1", 0), Unsatisfiable);
        // Ignored, so the whole object: malformed, reversed, several ranges, other units.
        for ignored in [
            "bytes=9-3",
            "bytes=a-b",
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=",
            "bytes=-",
        ] {
            assert_eq!(parse_range(ignored, 100), Whole, "{ignored}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn preconditions() {
        // Last-Modified: Wed, 21 Jul 2021 10:44:54 GMT, plus some milliseconds.
        let lm = 1_626_864_294_500;
        let check = |pairs: &[(&'static str, &str)]| evaluate(&headers(pairs), "abc", lm);
        let (before, at, after) = (
            "Wed, 21 Jul 2021 10:44:53 GMT",
            "Wed, 21 Jul 2021 10:44:54 GMT",
            "Wed, 21 Jul 2021 10:44:55 GMT",
        );
        assert_eq!(check(&[]), Precondition::Proceed);
        assert_eq!(check(&[("if-match", "\"abc\"")]), Precondition::Proceed);
        assert_eq!(
            check(&[("if-match", "\"x\", \"abc\"")]),
            Precondition::Proceed
        );
        assert_eq!(check(&[("if-match", "*")]), Precondition::Proceed);
        assert_eq!(check(&[("if-match", "\"x\"")]), Precondition::Failed);
        assert_eq!(
            check(&[("if-none-match", "\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            check(&[("if-none-match", "W/\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(check(&[("if-none-match", "\"x\"")]), Precondition::Proceed);
        assert_eq!(
            check(&[("if-modified-since", at)]),
            Precondition::NotModified
        );
        assert_eq!(
            check(&[("if-modified-since", before)]),
            Precondition::Proceed
        );
        assert_eq!(check(&[("if-unmodified-since", at)]), Precondition::Proceed);
        assert_eq!(
            check(&[("if-unmodified-since", before)]),
            Precondition::Failed
        );
        assert_eq!(
            check(&[("if-unmodified-since", after)]),
            Precondition::Proceed
        );
        assert_eq!(
            check(&[("if-modified-since", "garbage")]),
            Precondition::Proceed
        );
        // S3's documented pairs: If-Match true wins over If-Unmodified-Since false, and
        // If-None-Match false (a different ETag) wins over If-Modified-Since.
        assert_eq!(
            check(&[("if-match", "\"abc\""), ("if-unmodified-since", before)]),
            Precondition::Proceed
        );
        assert_eq!(
            check(&[("if-none-match", "\"x\""), ("if-modified-since", after)]),
            Precondition::Proceed
        );
        assert_eq!(
            check(&[("if-none-match", "\"abc\""), ("if-modified-since", before)]),
            Precondition::NotModified
        );
        assert_eq!(
            check(&[("if-match", "\"x\""), ("if-none-match", "\"abc\"")]),
            Precondition::Failed
        );
    }
}
