//! Faults on the way back: a GET's body cut by a reset, stalled, truncated, or sent with a
//! wrong CRC-64 header. Matched and counted like every fault rule.

mod common;

use std::time::{Duration, Instant};

use common::*;

const SIZE: usize = 1 << 20;

fn server_with_object() -> (Server, Vec<u8>) {
    let s = Server::start(&[]);
    let data = pattern(SIZE, 21);
    assert_eq!(s.client().call("PUT", "obj", "", &[], &data).status, 200);
    s.admin_json("DELETE", "log", "");
    (s, data)
}

fn last_get(s: &Server) -> serde_json::Value {
    s.log()
        .into_iter()
        .rev()
        .find(|e| e["op"] == "GetObject")
        .expect("a GetObject entry")
}

#[test]
fn reset_response_cuts_the_body_after_n_bytes() {
    let (s, data) = server_with_object();
    s.admin_json(
        "POST",
        "faults",
        r#"{"op":"GetObject","key":"obj","times":1,"action":{"kind":"reset_response","after_bytes":100000}}"#,
    );
    let cut = s.client().send_until_cut("GET", "obj", &[]);
    assert_eq!(cut.resp.status, 200);
    assert_eq!(cut.resp.header("content-length"), Some("1048576"));
    assert_eq!(cut.error, Some(std::io::ErrorKind::ConnectionReset));
    assert_eq!(cut.resp.body.len(), 100_000);
    assert_eq!(cut.resp.body, &data[..100_000]);
    let e = last_get(&s);
    assert_eq!(
        (e["fault"].as_str(), e["response_bytes"].as_u64()),
        (Some("reset_response"), Some(100_000))
    );
    // Its one firing is spent; a ranged retry of the rest goes through.
    let rest = s
        .client()
        .call("GET", "obj", "", &[("range", "bytes=100000-")], b"");
    assert_eq!((rest.status, rest.body.as_slice()), (206, &data[100_000..]));
}

#[test]
fn truncate_response_closes_after_n_bytes_without_error() {
    let (s, data) = server_with_object();
    s.admin_json(
        "POST",
        "faults",
        r#"{"op":"GetObject","times":1,"action":{"kind":"truncate_response","after_bytes":5000}}"#,
    );
    // On a ranged GET the count is of the range's bytes.
    let cut = s
        .client()
        .send_until_cut("GET", "obj", &[("range", "bytes=1000-")]);
    assert_eq!(cut.resp.status, 206);
    assert_eq!(
        cut.resp.header("content-length"),
        Some((SIZE - 1000).to_string().as_str())
    );
    assert_eq!(cut.error, None, "an orderly close");
    assert_eq!(cut.resp.body, &data[1000..6000]);
    let e = last_get(&s);
    assert_eq!(e["fault"], "truncate_response");
    assert_eq!(e["response_bytes"], 5000);
    assert_eq!(e["range"], "bytes=1000-");
}

#[test]
fn stall_response_pauses_mid_body_then_finishes() {
    let (s, data) = server_with_object();
    s.admin_json(
        "POST",
        "faults",
        r#"{"op":"GetObject","key":"obj","times":1,"action":{"kind":"stall_response","ms":600,"after_bytes":65536}}"#,
    );
    let c = s.client();
    let t = Instant::now();
    let g = c.call("GET", "obj", "", &[], b"");
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(g.body, data);
    assert_eq!(last_get(&s)["response_bytes"], SIZE as u64);
    let t = Instant::now();
    c.call("GET", "obj", "", &[], b"");
    assert!(t.elapsed() < Duration::from_millis(600));
}

#[test]
fn bad_crc_on_get_and_head_corrupts_only_the_header() {
    let (s, data) = server_with_object();
    s.admin_json(
        "POST",
        "faults",
        r#"[{"op":"GetObject","times":1,"action":{"kind":"bad_crc"}},
            {"op":"HeadObject","times":1,"action":{"kind":"bad_crc"}}]"#,
    );
    let c = s.client();
    let g = c.call("GET", "obj", "", &[], b"");
    assert_eq!(g.body, data);
    assert_ne!(g.crc(), crc64(&data));
    assert_ne!(c.call("HEAD", "obj", "", &[], b"").crc(), crc64(&data));
    assert_eq!(c.call("GET", "obj", "", &[], b"").crc(), crc64(&data));
}

#[test]
fn response_faults_match_by_key_and_spare_other_objects() {
    let (s, data) = server_with_object();
    let c = s.client();
    assert_eq!(c.call("PUT", "other", "", &[], b"other bytes").status, 200);
    s.admin_json(
        "POST",
        "faults",
        r#"{"op":"GetObject","key":"obj","times":2,"action":{"kind":"truncate_response","after_bytes":10}}"#,
    );
    assert_eq!(c.call("GET", "other", "", &[], b"").body, b"other bytes");
    for _ in 0..2 {
        assert_eq!(c.send_until_cut("GET", "obj", &[]).resp.body, &data[..10]);
    }
    assert_eq!(c.call("GET", "obj", "", &[], b"").body, data);
}
