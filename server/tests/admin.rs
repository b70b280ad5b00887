mod common;

use common::*;

const MIB: usize = 1024 * 1024;

#[test]
fn object_endpoint_returns_stored_bytes() {
    let s = Server::start(&[]);
    let c = s.client();
    // A key that needs percent-encoding in the query: space, plus, slash, UTF-8.
    let key = "dir/a b+c é.bin";
    let id = c.create(key, &[]);
    let p1 = pattern(5 * MIB, 11);
    let p2 = pattern(777, 12);
    let mut etags = Vec::new();
    for (n, data) in [(1, &p1), (2, &p2)] {
        let r = c.part(key, &id, n, data);
        assert_eq!(r.status, 200, "{}", r.text());
        etags.push(md5_hex(data));
    }
    let r = c.complete(key, &id, &[(1, &etags[0]), (2, &etags[1])]);
    assert_eq!(r.status, 200, "{}", r.text());
    let whole = [p1, p2].concat();

    let q = format!(
        "object?bucket={BUCKET}&key={}",
        percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC)
    );
    let g = s.admin("GET", &q, "");
    assert_eq!(g.status, 200, "{}", g.text());
    assert_eq!(
        g.header("content-length"),
        Some(whole.len().to_string().as_str())
    );
    assert!(g.body == whole, "admin object bytes differ from upload");

    // A single-part object, and an empty one.
    assert_eq!(c.call("PUT", "small", "", &[], b"hello").status, 200);
    let g = s.admin("GET", &format!("object?bucket={BUCKET}&key=small"), "");
    assert_eq!((g.status, g.body.as_slice()), (200, &b"hello"[..]));
    assert_eq!(c.call("PUT", "empty", "", &[], b"").status, 200);
    let g = s.admin("GET", &format!("object?bucket={BUCKET}&key=empty"), "");
    assert_eq!((g.status, g.body.len()), (200, 0));
    assert_eq!(g.header("content-length"), Some("0"));

    // Reading through the admin API is unsigned and not a TOS request: no log entry.
    assert!(s.log().iter().all(|e| e["op"] != "GetObject"));
}

#[test]
fn object_endpoint_404_and_400() {
    let s = Server::start(&[]);
    let r = s.admin("GET", &format!("object?bucket={BUCKET}&key=missing"), "");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["code"], "NoSuchKey");
    assert!(r.json()["error"].is_string());

    let r = s.admin("GET", "object?bucket=no-such-bucket&key=k", "");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["code"], "NoSuchBucket");

    let r = s.admin("GET", &format!("object?bucket={BUCKET}"), "");
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn object_endpoint_501_in_discard_mode() {
    let s = Server::start(&["--discard"]);
    let c = s.client();
    assert_eq!(c.call("PUT", "k", "", &[], b"data").status, 200);
    let r = s.admin("GET", &format!("object?bucket={BUCKET}&key=k"), "");
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(r.json()["error"].is_string());
}
