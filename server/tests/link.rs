//! Link emulation (`--link-*`, `/__admin/link`): the server paces request bodies and delays
//! responses. The pacing guarantees lower bounds on time, which a loaded machine cannot break,
//! so those are asserted tightly; upper bounds (that a cap is per connection, not shared) only
//! with a wide margin.

mod common;

use std::time::{Duration, Instant};

use common::*;

const MB: usize = 1_000_000;

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn put(s: &Server, key: &str, body: &[u8]) -> Duration {
    let c = s.client();
    let (r, took) = timed(|| c.call("PUT", key, "", &[], body));
    assert_eq!(r.status, 200, "{}", r.text());
    took
}

#[test]
fn round_trips_delay_each_request_and_connection() {
    let s = Server::start(&["--discard", "--link-rtt-ms", "100"]);
    // Each call is a new connection: a handshake round trip, then the request's.
    let (_, took) = timed(|| {
        for i in 0..3 {
            put(&s, &format!("small-{i}"), b"hello");
        }
    });
    assert!(took >= Duration::from_millis(600), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_window_per_round_trip_bounds_one_connection() {
    let s = Server::start(&[
        "--discard",
        "--link-rtt-ms",
        "50",
        "--link-window",
        "256KiB",
    ]);
    // 2 MiB = 8 windows: at least 7 waits for a round trip, plus handshake and response.
    let took = put(&s, "windowed", &pattern(2 << 20, 1));
    assert!(took >= Duration::from_millis(450), "{took:?}");
    let log = s.log();
    assert_eq!(log.last().unwrap()["body_bytes"], 2 << 20);
}

#[test]
fn the_connection_cap_is_per_connection() {
    let s = Server::start(&["--discard", "--link-conn-rate", "32Mbit"]);
    // 4 MB/s: 2 MB takes at least 0.5 s less the 50 ms burst the bucket starts with.
    let took = put(&s, "one", &pattern(2 * MB, 2));
    assert!(took >= Duration::from_millis(400), "{took:?}");

    s.admin_json("DELETE", "stats", "");
    let (_, took) = timed(|| {
        std::thread::scope(|scope| {
            for i in 0..3 {
                let s = &s;
                scope.spawn(move || put(s, &format!("par-{i}"), &pattern(2 * MB, 3 + i)));
            }
        })
    });
    // A shared cap would need 1.5 s for the three.
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(1200), "{took:?}");
    let stats = s.admin_json("GET", "stats", "");
    assert_eq!(stats["max_requests_in_flight"], 3, "{stats}");
    assert_eq!(stats["requests"], 3, "{stats}");
}

#[test]
fn the_total_cap_is_shared_and_changes_at_run_time() {
    let s = Server::start(&["--link-conn-rate", "100MB/s"]);
    let settings = s.admin_json("GET", "link", "");
    assert_eq!(settings["conn_rate"], 100 * MB, "{settings}");
    assert_eq!(settings["total_rate"], 0, "{settings}");

    let settings = s.admin_json("POST", "link", r#"{"total_rate": "4MB/s"}"#);
    assert_eq!(settings["total_rate"], 4 * MB, "{settings}");
    assert_eq!(
        settings["conn_rate"],
        100 * MB,
        "absent fields keep their value"
    );
    let bodies: Vec<Vec<u8>> = (0..2).map(|i| pattern(MB, 10 + i)).collect();
    let (_, took) = timed(|| {
        std::thread::scope(|scope| {
            for (i, body) in bodies.iter().enumerate() {
                let s = &s;
                scope.spawn(move || put(s, &format!("shared-{i}"), body));
            }
        })
    });
    // 2 MB at 4 MB/s in total, less the initial burst.
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // Disk mode: the paced bytes are the stored bytes.
    for (i, body) in bodies.iter().enumerate() {
        let g = s.admin("GET", &format!("object?bucket={BUCKET}&key=shared-{i}"), "");
        assert!(g.body == *body, "object shared-{i} differs");
    }

    let r = s.admin("POST", "link", r#"{"total_rate": "4Mb"}"#);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("total_rate"), "{}", r.text());
    let r = s.admin("POST", "link", r#"{"rtt": 5}"#);
    assert_eq!(r.status, 400, "unknown fields are refused: {}", r.text());
    let settings = s.admin_json("POST", "link", r#"{"total_rate": 0, "conn_rate": "off"}"#);
    assert_eq!(settings["total_rate"], 0);
    assert_eq!(settings["conn_rate"], 0);
}

#[test]
fn s3_discard_mode_is_paced_too() {
    let s = Server::start(&["--s3", "--discard", "--link-conn-rate", "4MB/s"]);
    let body = pattern(2 * MB, 20);
    let mut req = format!(
        "PUT /{BUCKET}/paced HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.port,
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let (r, took) = timed(|| raw(s.port, &req).unwrap());
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert_eq!(s.log().last().unwrap()["body_bytes"], 2 * MB);
}
