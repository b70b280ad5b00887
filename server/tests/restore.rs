//! Archive storage classes and RestoreObject (docs/protocol.md §7.12): an archive object
//! is read only after a restore of it has completed, which takes the server 3 s.

mod common;

use std::time::{Duration, Instant};

use common::*;

const RESTORE: &[u8] = br#"{"Days":10,"RestoreJobParameters":{"Tier":"Expedited"}}"#;

#[test]
fn archive_objects_are_read_after_a_restore() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(1024, 3);
    let class = [("x-tos-storage-class", "COLD_ARCHIVE")];
    assert_eq!(c.call("PUT", "cold", "", &class, &data).status, 200);
    let g = c.call("GET", "cold", "", &[], b"");
    assert_eq!(
        (g.status, g.code().as_str()),
        (403, "InvalidObjectState"),
        "{}",
        g.text()
    );
    let h = c.call("HEAD", "cold", "", &[], b"");
    assert_eq!(h.status, 200);
    assert_eq!(h.header("x-tos-storage-class"), Some("COLD_ARCHIVE"));
    assert_eq!(h.header("x-tos-restore"), None);

    let r = c.call("POST", "cold", "restore=", &[], RESTORE);
    assert_eq!(r.status, 202, "{}", r.text());
    let h = c.call("HEAD", "cold", "", &[], b"");
    assert_eq!(h.header("x-tos-restore"), Some("ongoing-request=\"true\""));
    assert_eq!(h.header("x-tos-restore-expiry-days"), Some("10"));
    assert_eq!(h.header("x-tos-restore-tier"), Some("Expedited"));
    assert!(h.header("x-tos-restore-request-date").is_some());
    let again = c.call("POST", "cold", "restore=", &[], RESTORE);
    assert_eq!(
        (again.status, again.code().as_str()),
        (409, "RestoreAlreadyInProgress")
    );
    assert_eq!(c.call("GET", "cold", "", &[], b"").status, 403);

    let start = Instant::now();
    let done = loop {
        let h = c.call("HEAD", "cold", "", &[], b"");
        let state = h.header("x-tos-restore").unwrap_or_default().to_string();
        if state.starts_with("ongoing-request=\"false\", expiry-date=\"") {
            break state;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{state}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(done.ends_with("GMT\""), "{done}");
    let g = c.call("GET", "cold", "", &[], b"");
    assert_eq!((g.status, g.body.as_slice()), (200, data.as_slice()));
    // A restored copy's days can be renewed.
    assert_eq!(c.call("POST", "cold", "restore=", &[], RESTORE).status, 200);

    // The restore outlives a restart.
    let s = Server::start_in(s.stop(), &[]);
    let c = s.client();
    assert_eq!(c.call("GET", "cold", "", &[], b"").body, data);

    assert_eq!(c.call("PUT", "warm", "", &[], b"x").status, 200);
    let r = c.call("POST", "warm", "restore=", &[], RESTORE);
    assert_eq!((r.status, r.code().as_str()), (400, "NotArchiveObject"));
    let r = c.call("POST", "none", "restore=", &[], RESTORE);
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchKey"));
}
