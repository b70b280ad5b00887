//! Presigned URLs: a query-string signature stands for the Authorization header
//! (docs/protocol.md §8.5).

mod common;

use common::*;

#[test]
fn presigned_put_and_get_round_trip() {
    let s = Server::start(&[]);
    for c in [s.client(), s.path_client()] {
        let data = pattern(3000, 7);
        let put = c.presign("PUT", "dir/p q.bin", "", 300, 0);
        let r = c.send_unsigned("PUT", &put, &data);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.crc(), crc64(&data));

        let get = c.presign(
            "GET",
            "dir/p q.bin",
            "response-content-type=text%2Fplain",
            300,
            0,
        );
        let g = c.send_unsigned("GET", &get, b"");
        assert_eq!(g.status, 200, "{}", g.text());
        assert_eq!(g.body, data);
        assert_eq!(g.header("content-type"), Some("text/plain"));
    }
    // The request log names the URL's access key.
    let log = s.log();
    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|e| e["access_key"] == AK), "{log:?}");
}

#[test]
fn wrong_expired_or_altered_urls_are_refused() {
    let s = Server::start(&[]);
    let c = s.client();
    assert_eq!(c.call("PUT", "k", "", &[], b"secret").status, 200);

    let mut wrong = s.client();
    wrong.sk = "not-the-key".into();
    let g = c.send_unsigned("GET", &wrong.presign("GET", "k", "", 300, 0), b"");
    assert_eq!(
        (g.status, g.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );

    let mut stranger = s.client();
    stranger.ak = "AKNOBODY".into();
    let g = c.send_unsigned("GET", &stranger.presign("GET", "k", "", 300, 0), b"");
    assert_eq!((g.status, g.code().as_str()), (403, "InvalidAccessKeyId"));

    // Signed two minutes ago for one minute.
    let g = c.send_unsigned("GET", &c.presign("GET", "k", "", 60, 120), b"");
    assert_eq!(
        (g.status, g.code().as_str()),
        (403, "AccessDenied"),
        "{}",
        g.text()
    );
    assert!(g.text().contains("expired"), "{}", g.text());

    // A URL for GET does not PUT, and a parameter added after signing breaks it.
    let url = c.presign("GET", "k", "", 300, 0);
    let p = c.send_unsigned("PUT", &url, b"overwritten");
    assert_eq!(
        (p.status, p.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let g = c.send_unsigned("GET", &format!("{url}&response-content-type=x%2Fy"), b"");
    assert_eq!(
        (g.status, g.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let g = c.send_unsigned(
        "GET",
        &url.replacen("X-Tos-Expires=300", "X-Tos-Expires=999999", 1),
        b"",
    );
    assert_eq!(g.status, 403);

    // Nothing above changed the object.
    assert_eq!(c.call("GET", "k", "", &[], b"").body, b"secret");
    assert_eq!(c.send_unsigned("GET", &url, b"").body, b"secret");
}
