//! The README's ±5 % for the rate limiter, also after `set_rate` changes it mid-upload: one
//! upload through a shared token bucket at 4 MiB/s, raised to 8 MiB/s after 3 s; the rate
//! the progress callbacks show over a 2 s window in each phase (half a second after its start,
//! so the change has settled) must be within 5 % of the bucket's rate. Rates this low are far
//! below what loopback carries on a loaded machine, so the limiter, not the machine, sets
//! them; the object is then read back byte-exact.

mod common;

use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tosupload_engine::{Client, Observers, TokenBucket, UploadFileRequest};

const FIRST: u64 = 4 * MIB;
const SECOND: u64 = 8 * MIB;
const CHANGE_AT: Duration = Duration::from_secs(3);
const SETTLE: Duration = Duration::from_millis(500);
const WINDOW: Duration = Duration::from_secs(2);

/// Bytes per second between the progress reports nearest to `from` and `from + WINDOW`
/// (reports come every chunk, far more often than the window is long).
fn rate_in(samples: &[(Duration, u64)], from: Duration) -> f64 {
    let first = samples.iter().find(|(t, _)| *t >= from).unwrap();
    let last = samples
        .iter()
        .rev()
        .find(|(t, _)| *t <= from + WINDOW)
        .unwrap();
    assert!(
        last.0 - first.0 >= WINDOW * 9 / 10,
        "progress reports too sparse to measure a window: {first:?} .. {last:?}"
    );
    (last.1 - first.1) as f64 / (last.0 - first.0).as_secs_f64()
}

#[test]
fn the_rate_is_within_5_percent_before_and_after_set_rate() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // 12 MiB at the first rate, 2.5 s and more at the second, and some to spare.
    let data = pattern(48 * MIB, 11);
    let file = write_file(dir.path(), "rate.bin", &data);
    let client = Client::new(server.config()).unwrap();
    let bucket = Arc::new(TokenBucket::new(FIRST, 0));
    let samples = Arc::new(Mutex::new(Vec::<(Duration, u64)>::new()));
    let started = Instant::now();
    let seen = Arc::clone(&samples);
    let observers = Observers {
        progress: Some(Box::new(move |p| {
            seen.lock()
                .unwrap()
                .push((started.elapsed(), p.consumed_bytes))
        })),
        shared_limiter: Some(bucket.clone()),
        ..Observers::default()
    };
    let mut request = UploadFileRequest::new(BUCKET, "rate/changed.bin", &file);
    request.part_size = 5 * MIB;
    request.task_num = 4;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(CHANGE_AT);
            bucket.set_rate(SECOND, 0);
        });
        client.upload_file(request, observers).unwrap();
    });
    assert_eq!(server.get_object("rate/changed.bin"), data);

    let samples = samples.lock().unwrap();
    for (rate, from) in [(FIRST, SETTLE), (SECOND, CHANGE_AT + SETTLE)] {
        let got = rate_in(&samples, from);
        let error = got / rate as f64 - 1.0;
        assert!(
            error.abs() <= 0.05,
            "from {from:?} for {WINDOW:?}: {:.3} MiB/s, the limiter's rate {} MiB/s ({:+.1} %)",
            got / MIB as f64,
            rate / MIB,
            error * 100.0
        );
        eprintln!(
            "from {from:?}: {:.3} MiB/s at a rate of {} MiB/s ({:+.2} %)",
            got / MIB as f64,
            rate / MIB,
            error * 100.0
        );
    }
}
