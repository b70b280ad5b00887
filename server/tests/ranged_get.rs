//! GetObject and HeadObject as a resumable download needs them: ranges, preconditions,
//! validators and the CRC-64 header, and what the request log records of each GET.

mod common;

use common::*;

fn put(c: &Client, key: &str, data: &[u8]) -> Resp {
    let r = c.call("PUT", key, "", &[], data);
    assert_eq!(r.status, 200, "{}", r.text());
    r
}

#[test]
fn ranges_answer_206_with_content_range_and_no_crc() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(1000, 11);
    put(&c, "r.bin", &data);
    for (range, first, last) in [
        ("bytes=10-19", 10, 19),
        ("bytes=990-", 990, 999),
        ("bytes=-3", 997, 999),
        ("bytes=995-5000", 995, 999),
        ("bytes=-5000", 0, 999),
        ("bytes=0-", 0, 999),
    ] {
        let g = c.call("GET", "r.bin", "", &[("range", range)], b"");
        assert_eq!(g.status, 206, "{range}");
        assert_eq!(g.body, &data[first..=last], "{range}");
        assert_eq!(
            g.header("content-range"),
            Some(format!("bytes {first}-{last}/1000").as_str())
        );
        assert_eq!(
            g.header("content-length"),
            Some((last - first + 1).to_string().as_str())
        );
        assert_eq!(g.header("x-tos-hash-crc64ecma"), None, "{range}");
        assert_eq!(g.etag(), format!("\"{}\"", md5_hex(&data)));
        assert!(g.header("last-modified").is_some());
    }
    // Malformed or several ranges: ignored, the whole object (as S3).
    for ignored in ["bytes=9-3", "bytes=x-1", "bytes=0-1,5-6", "items=0-1"] {
        let g = c.call("GET", "r.bin", "", &[("range", ignored)], b"");
        assert_eq!((g.status, g.body.len()), (200, 1000), "{ignored}");
    }
    // A ranged HEAD describes the range.
    let h = c.call("HEAD", "r.bin", "", &[("range", "bytes=100-199")], b"");
    assert_eq!(h.status, 206);
    assert_eq!(h.header("content-range"), Some("bytes 100-199/1000"));
    assert_eq!(h.header("content-length"), Some("100"));
}

#[test]
fn unsatisfiable_range_is_416_with_the_size() {
    let s = Server::start(&[]);
    let c = s.client();
    put(&c, "r.bin", &pattern(1000, 12));
    put(&c, "empty", b"");
    for (key, range, size) in [
        ("r.bin", "bytes=1000-", 1000),
        ("r.bin", "bytes=2000-3000", 1000),
        ("r.bin", "bytes=-0", 1000),
        ("empty", "bytes=0-", 0),
    ] {
        let g = c.call("GET", key, "", &[("range", range)], b"");
        assert_eq!(
            (g.status, g.code().as_str()),
            (416, "InvalidRange"),
            "{range}"
        );
        assert_eq!(
            g.header("content-range"),
            Some(format!("bytes */{size}").as_str())
        );
        let h = c.call("HEAD", key, "", &[("range", range)], b"");
        assert_eq!(h.status, 416);
        assert!(h.body.is_empty());
    }
}

#[test]
fn whole_object_get_and_head_carry_crc_etag_and_last_modified() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(70_000, 13);
    put(&c, "w.bin", &data);
    for method in ["GET", "HEAD"] {
        let r = c.call(method, "w.bin", "", &[], b"");
        assert_eq!(r.status, 200);
        assert_eq!(r.crc(), crc64(&data), "{method}");
        assert_eq!(r.etag(), format!("\"{}\"", md5_hex(&data)));
        assert_eq!(r.header("content-length"), Some("70000"));
        assert_eq!(r.header("accept-ranges"), Some("bytes"));
        let lm = r.header("last-modified").expect("last-modified");
        assert!(lm.ends_with(" GMT"), "{lm}");
    }
    assert_eq!(c.call("GET", "w.bin", "", &[], b"").body, data);
}

#[test]
fn preconditions_answer_412_and_304() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(500, 14);
    let etag = put(&c, "p.bin", &data).etag();
    let lm = c
        .call("HEAD", "p.bin", "", &[], b"")
        .header("last-modified")
        .unwrap()
        .to_string();
    let long_ago = "Mon, 01 Jan 2001 00:00:00 GMT";
    let far_ahead = "Fri, 01 Jan 2100 00:00:00 GMT";
    for method in ["GET", "HEAD"] {
        let call = |h: &[(&str, &str)]| c.call(method, "p.bin", "", h, b"");
        let r = call(&[("if-match", "\"0123\"")]);
        assert_eq!(r.status, 412, "{method}");
        if method == "GET" {
            assert_eq!(r.code(), "PreconditionFailed");
        }
        assert_eq!(call(&[("if-match", &etag)]).status, 200);
        assert_eq!(call(&[("if-unmodified-since", long_ago)]).status, 412);
        assert_eq!(call(&[("if-unmodified-since", &lm)]).status, 200);

        let r = call(&[("if-none-match", &etag)]);
        assert_eq!(r.status, 304, "{method}");
        assert!(r.body.is_empty());
        assert_eq!(r.etag(), etag);
        assert_eq!(r.header("last-modified"), Some(lm.as_str()));
        assert_eq!(call(&[("if-none-match", "\"0123\"")]).status, 200);
        assert_eq!(call(&[("if-modified-since", &lm)]).status, 304);
        assert_eq!(call(&[("if-modified-since", far_ahead)]).status, 304);
        assert_eq!(call(&[("if-modified-since", long_ago)]).status, 200);
        // If-None-Match decides when both are there (RFC 9110, S3).
        let r = call(&[("if-none-match", "\"0123\""), ("if-modified-since", &lm)]);
        assert_eq!(r.status, 200);
    }
    // Preconditions come before the range.
    let r = c.call(
        "GET",
        "p.bin",
        "",
        &[("if-match", &etag), ("range", "bytes=0-9")],
        b"",
    );
    assert_eq!((r.status, r.body.as_slice()), (206, &data[..10]));
    let r = c.call(
        "GET",
        "p.bin",
        "",
        &[("if-none-match", &etag), ("range", "bytes=9000-")],
        b"",
    );
    assert_eq!(r.status, 304);
}

#[test]
fn request_log_records_response_bytes_and_range() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(300_000, 15);
    let etag = put(&c, "l.bin", &data).etag();
    s.admin_json("DELETE", "log", "");
    assert_eq!(c.call("GET", "l.bin", "", &[], b"").body.len(), 300_000);
    c.call("GET", "l.bin", "", &[("range", "bytes=1000-1999")], b"");
    c.call("GET", "l.bin", "", &[("range", "bytes=-10")], b"");
    c.call("HEAD", "l.bin", "", &[], b"");
    c.call("GET", "l.bin", "", &[("if-none-match", &etag)], b"");
    c.call("GET", "l.bin", "", &[("range", "bytes=400000-")], b"");
    let log = s.log();
    let got: Vec<_> = log
        .iter()
        .map(|e| {
            (
                e["op"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
                e["response_bytes"].as_u64().unwrap(),
                e["range"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("GetObject", 200, 300_000, None),
            ("GetObject", 206, 1000, Some("bytes=1000-1999")),
            ("GetObject", 206, 10, Some("bytes=-10")),
            ("HeadObject", 200, 0, None),
            ("GetObject", 304, 0, None),
            // The 416's error document.
            (
                "GetObject",
                416,
                log[5]["response_bytes"].as_u64().unwrap(),
                Some("bytes=400000-")
            ),
        ]
    );
    assert!(log[5]["response_bytes"].as_u64().unwrap() > 0);
}

/// `response-*` parameters replace the stored headers in one answer (the Go SDK's
/// TestGetObjectWithResponseParams); they were accepted and ignored.
#[test]
fn response_parameters_override_headers() {
    let s = Server::start(&[]);
    let c = s.client();
    c.call("PUT", "k", "", &[("content-type", "text/plain")], b"x");
    let query = "response-content-type=application%2Fjson&response-content-language=zh-cn\
                 &response-cache-control=10&response-content-disposition=abc%3Bdef\
                 &response-content-encoding=deflate";
    for method in ["GET", "HEAD"] {
        let r = c.call(method, "k", query, &[], b"");
        assert_eq!(r.status, 200, "{method}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("content-language"), Some("zh-cn"));
        assert_eq!(r.header("cache-control"), Some("10"));
        assert_eq!(r.header("content-disposition"), Some("abc;def"));
        assert_eq!(r.header("content-encoding"), Some("deflate"));
    }
    let plain = c.call("GET", "k", "", &[], b"");
    assert_eq!(plain.header("content-type"), Some("text/plain"));
    assert_eq!(plain.header("content-language"), None);
}
