//! `x-tos-traffic-limit` (docs/protocol.md §7.13): a body is paced to the bits per second
//! asked for. 4 Mbit/s is 512 KiB/s, so 1 MiB takes 2 s; the bound asserted is lower.

mod common;

use std::time::{Duration, Instant};

use common::*;

const LIMIT: &str = "4194304";
const MIN: Duration = Duration::from_millis(1700);

#[test]
fn bodies_are_paced_to_the_traffic_limit() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(1 << 20, 9);
    let limit = [("x-tos-traffic-limit", LIMIT)];

    let t = Instant::now();
    let r = c.call("PUT", "slow", "", &limit, &data);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(t.elapsed() >= MIN, "PutObject took {:?}", t.elapsed());
    assert_eq!(r.crc(), crc64(&data));

    let t = Instant::now();
    let g = c.call("GET", "slow", "", &limit, b"");
    assert!(t.elapsed() >= MIN, "GetObject took {:?}", t.elapsed());
    assert_eq!(g.body, data);

    let id = c.create("mp", &[]);
    let t = Instant::now();
    let p = c.call(
        "PUT",
        "mp",
        &format!("partNumber=1&uploadId={id}"),
        &limit,
        &data,
    );
    assert_eq!(p.status, 200, "{}", p.text());
    assert!(t.elapsed() >= MIN, "UploadPart took {:?}", t.elapsed());

    // Outside TOS's range (100 KiB/s to 100 MiB/s in bits) is refused before any byte is kept.
    let r = c.call("PUT", "bad", "", &[("x-tos-traffic-limit", "1000")], b"x");
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));
    assert_eq!(c.call("HEAD", "bad", "", &[], b"").status, 404);
}
