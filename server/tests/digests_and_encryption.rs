//! Content-MD5 checked as TOS checks it, and server-side encryption headers: SSE echoed,
//! SSE-C objects readable only with the key they were stored with.

mod common;

use common::*;
use md5::Digest as _;

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &b| acc << 8 | b as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        out.push_str(&"=".repeat(3 - chunk.len()));
    }
    out
}

fn md5_b64(data: &[u8]) -> String {
    base64(&md5::Md5::digest(data))
}

#[test]
fn content_md5_is_checked() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(100_000, 31);
    let good = md5_b64(&data);
    let r = c.call("PUT", "m", "", &[("content-md5", &good)], &data);
    assert_eq!(r.status, 200, "{}", r.text());
    let wrong = md5_b64(b"something else");
    let r = c.call("PUT", "m2", "", &[("content-md5", &wrong)], &data);
    assert_eq!((r.status, r.code().as_str()), (400, "BadDigest"));
    assert_eq!(
        c.call("HEAD", "m2", "", &[], b"").status,
        404,
        "nothing stored"
    );
    let r = c.call("PUT", "m2", "", &[("content-md5", "not-base64!")], &data);
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidDigest"));
    let r = c.call("PUT", "m2", "", &[("content-md5", "c2hvcnQ=")], &data);
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidDigest"));
    // Parts too, and the upload keeps no part for a bad one.
    let id = c.create("mp", &[]);
    let q = format!("partNumber=1&uploadId={id}");
    let r = c.call("PUT", "mp", &q, &[("content-md5", &wrong)], &data);
    assert_eq!((r.status, r.code().as_str()), (400, "BadDigest"));
    let listed = c.call("GET", "mp", &format!("uploadId={id}"), &[], b"");
    assert_eq!(listed.json()["Parts"], serde_json::json!([]));
    assert_eq!(
        c.call("PUT", "mp", &q, &[("content-md5", &good)], &data)
            .status,
        200
    );
}

#[test]
fn content_md5_in_discard_mode() {
    let s = Server::start(&["--discard"]);
    let c = s.client();
    let r = c.call(
        "PUT",
        "d",
        "",
        &[("content-md5", &md5_b64(b"other"))],
        b"data",
    );
    assert_eq!((r.status, r.code().as_str()), (400, "BadDigest"));
    let r = c.call(
        "PUT",
        "d",
        "",
        &[("content-md5", &md5_b64(b"data"))],
        b"data",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn server_side_encryption_is_echoed() {
    let s = Server::start(&[]);
    let c = s.client();
    let sse = ("x-tos-server-side-encryption", "AES256");
    let r = c.call("PUT", "e", "", &[sse], b"secret");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-tos-server-side-encryption"), Some("AES256"));
    let h = c.call("HEAD", "e", "", &[], b"");
    assert_eq!(h.header("x-tos-server-side-encryption"), Some("AES256"));
    let r = c.call("POST", "mpe", "uploads=", &[sse], b"");
    assert_eq!(r.header("x-tos-server-side-encryption"), Some("AES256"));
    let r = c.call(
        "PUT",
        "e2",
        "",
        &[("x-tos-server-side-encryption", "DES")],
        b"x",
    );
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidArgument"));
    assert_eq!(
        c.call("PUT", "plain", "", &[], b"x")
            .header("x-tos-server-side-encryption"),
        None
    );
}

#[test]
fn sse_c_objects_need_their_key_to_be_read() {
    let s = Server::start(&[]);
    let c = s.client();
    let key = [7u8; 32];
    let (key_b64, key_md5) = (base64(&key), md5_b64(&key));
    let ssec = [
        ("x-tos-server-side-encryption-customer-algorithm", "AES256"),
        (
            "x-tos-server-side-encryption-customer-key",
            key_b64.as_str(),
        ),
        (
            "x-tos-server-side-encryption-customer-key-md5",
            key_md5.as_str(),
        ),
    ];
    let r = c.call("PUT", "c", "", &ssec, b"customer data");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-tos-server-side-encryption-customer-key-md5"),
        Some(key_md5.as_str())
    );
    assert_eq!(r.header("x-tos-server-side-encryption-customer-key"), None);

    let g = c.call("GET", "c", "", &ssec, b"");
    assert_eq!((g.status, g.body.as_slice()), (200, &b"customer data"[..]));
    assert_eq!(c.call("HEAD", "c", "", &ssec, b"").status, 200);
    for method in ["GET", "HEAD"] {
        let r = c.call(method, "c", "", &[], b"");
        assert_eq!(r.status, 400, "{method} without the key");
        if method == "GET" {
            assert_eq!(r.code(), "InvalidRequest");
            assert!(r.body.len() < 400, "no object bytes in the answer");
        }
    }
    let other = [9u8; 32];
    let (other_b64, other_md5) = (base64(&other), md5_b64(&other));
    let wrong = [
        ssec[0],
        (
            "x-tos-server-side-encryption-customer-key",
            other_b64.as_str(),
        ),
        (
            "x-tos-server-side-encryption-customer-key-md5",
            other_md5.as_str(),
        ),
    ];
    let r = c.call("GET", "c", "", &wrong, b"");
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));
    // A key MD5 that does not belong to the key, or half the trio, is refused on writes.
    let mismatched = [
        ssec[0],
        ssec[1],
        (
            "x-tos-server-side-encryption-customer-key-md5",
            other_md5.as_str(),
        ),
    ];
    assert_eq!(c.call("PUT", "c2", "", &mismatched, b"x").status, 400);
    assert_eq!(c.call("PUT", "c2", "", &ssec[..2], b"x").status, 400);
    // SSE-C headers for a plain object are refused.
    c.call("PUT", "plain", "", &[], b"x");
    assert_eq!(c.call("GET", "plain", "", &ssec, b"").status, 400);
}

/// A copy of an SSE-C object names the source's key in `x-tos-copy-source-server-side-
/// encryption-customer-*` (the Go SDK's TestPutWithAllParams); without it the copy is refused
/// as a GET without it is, and the copy is encrypted as the request says.
#[test]
fn sse_c_sources_are_copied_with_their_key() {
    let s = Server::start(&[]);
    let c = s.client();
    let (src_key, dst_key) = ([1u8; 32], [2u8; 32]);
    fn borrow(h: &[(String, String)]) -> Vec<(&str, &str)> {
        h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
    }
    let headers = |prefix: &str, key: &[u8]| -> Vec<(String, String)> {
        vec![
            (format!("{prefix}algorithm"), "AES256".to_string()),
            (format!("{prefix}key"), base64(key)),
            (format!("{prefix}key-md5"), md5_b64(key)),
        ]
    };
    let plain_prefix = "x-tos-server-side-encryption-customer-";
    let src = headers(plain_prefix, &src_key);
    assert_eq!(
        c.call("PUT", "src", "", &borrow(&src), b"secret").status,
        200
    );

    let source = ("x-tos-copy-source", "/test-bucket/src");
    let r = c.call("PUT", "dst", "", &[source], b"");
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidRequest"));

    let mut copy = headers(
        "x-tos-copy-source-server-side-encryption-customer-",
        &src_key,
    );
    copy.extend(headers(plain_prefix, &dst_key));
    let mut with_source = borrow(&copy);
    with_source.push(source);
    let r = c.call("PUT", "dst", "", &with_source, b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let dst = headers(plain_prefix, &dst_key);
    let g = c.call("GET", "dst", "", &borrow(&dst), b"");
    assert_eq!((g.status, g.body.as_slice()), (200, &b"secret"[..]));
    assert_eq!(c.call("GET", "dst", "", &borrow(&src), b"").status, 403);

    let id = c.create("mp", &borrow(&dst));
    let q = format!("partNumber=1&uploadId={id}");
    assert_eq!(c.call("PUT", "mp", &q, &with_source, b"").status, 200);
}
