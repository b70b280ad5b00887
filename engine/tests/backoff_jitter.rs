//! The retry delays the README promises (100 ms doubling, ±25 % jitter), seen from the
//! server: two clients upload at the same time while the server answers each one's PutObject
//! 500 five times; the gaps between the arrivals in its request log must double from about
//! 100 ms, must spread by the jitter, and must differ between the two clients (clients that
//! failed together must not retry together: each has its own generator). Bounds are
//! generous for a loaded machine: a gap may be late by scheduling, never early.

mod common;

use common::*;
use tosupload_engine::{Client, Observers, UploadFileRequest};

const REFUSALS: usize = 5;
/// The nominal delay before retry `n` (1-based).
fn nominal(n: usize) -> f64 {
    100.0 * f64::from(1u32 << (n - 1))
}

/// The gaps, in ms, between successive PutObjects of `key` in the server's log.
fn gaps(server: &TestServer, key: &str) -> Vec<f64> {
    let times: Vec<u64> = server
        .log()
        .iter()
        .filter(|e| e["op"] == "PutObject" && e["key"] == key)
        .map(|e| e["time_ms"].as_u64().unwrap())
        .collect();
    assert_eq!(times.len(), REFUSALS + 1, "PutObjects of {key}: {times:?}");
    times.windows(2).map(|w| (w[1] - w[0]) as f64).collect()
}

#[test]
fn retry_delays_double_and_differ_between_clients() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "small.bin", &pattern(4096, 7));
    let keys = ["jitter/a.bin", "jitter/b.bin"];
    for key in keys {
        server.add_fault(&format!(
            r#"{{"op":"PutObject","key":"{key}","times":{REFUSALS},"action":{{"kind":"status","status":500,"code":"InternalError"}}}}"#
        ));
    }
    std::thread::scope(|scope| {
        for key in keys {
            let (server, file) = (&server, &file);
            scope.spawn(move || {
                let mut config = server.config();
                config.max_retry_count = REFUSALS as u32;
                let client = Client::new(config).unwrap();
                let request = UploadFileRequest::new(BUCKET, key, file);
                client.upload_file(request, Observers::default()).unwrap();
            });
        }
    });
    let mut ratios = Vec::new();
    let mut both = Vec::new();
    for key in keys {
        assert_eq!(server.get_object(key), pattern(4096, 7), "{key}");
        let gaps = gaps(&server, key);
        eprintln!("{key}: gaps between attempts {gaps:?} ms");
        for (i, gap) in gaps.iter().enumerate() {
            let want = nominal(i + 1);
            // Never early (the log's times are whole ms), late by at most 300 ms of load.
            assert!(
                *gap >= 0.75 * want - 2.0 && *gap <= 1.25 * want + 300.0,
                "{key}: gap {} of {gaps:?} ms; want {}..{} ms (+ load)",
                i + 1,
                0.75 * want,
                1.25 * want
            );
            if i >= 2 {
                ratios.push(gap / want);
            }
        }
        both.push(gaps);
    }
    // Clients that failed together must not retry together: some of the four longer gaps
    // differ by more than 2 % of their nominal delay (independent ±25 % draws all within 2 %
    // of each other: about 1 in 40,000; clients seeded alike differ by a few ms).
    assert!(
        (1..REFUSALS).any(|i| (both[0][i] - both[1][i]).abs() > 0.02 * nominal(i + 1)),
        "the two clients retried in step: {both:?} ms"
    );
    // The three longest gaps of both clients, as fractions of their nominal delay: with
    // ±25 % jitter they spread over up to 0.5; without it they sit within a few ms of 1.0
    // (six uniform draws all within 0.05 of each other: about 1 in 10,000).
    let spread = ratios.iter().cloned().fold(f64::MIN, f64::max)
        - ratios.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        spread >= 0.05,
        "gaps / nominal delay {ratios:?}: spread {spread:.3}, no jitter"
    );
}
