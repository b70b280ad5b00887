mod common;

use common::*;

#[test]
fn range_get_and_head() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(1000, 5);
    let r = c.call("PUT", "r.bin", "", &[], &data);
    assert_eq!(r.status, 200);
    assert_eq!(r.crc(), crc64(&data));
    assert_eq!(r.etag(), format!("\"{}\"", md5_hex(&data)));
    assert!(r.header("x-tos-request-id").is_some() && r.header("x-tos-id-2").is_some());

    let g = c.call("GET", "r.bin", "", &[("range", "bytes=10-19")], b"");
    assert_eq!(g.status, 206);
    assert_eq!(g.body, &data[10..20]);
    assert_eq!(g.header("content-range"), Some("bytes 10-19/1000"));
    let g = c.call("GET", "r.bin", "", &[("range", "bytes=990-")], b"");
    assert_eq!((g.status, g.body.as_slice()), (206, &data[990..]));
    let g = c.call("GET", "r.bin", "", &[("range", "bytes=-3")], b"");
    assert_eq!(g.body, &data[997..]);
    let g = c.call("GET", "r.bin", "", &[("range", "bytes=2000-")], b"");
    assert_eq!(g.status, 416);

    let h = c.call("HEAD", "missing", "", &[], b"");
    assert_eq!(h.status, 404);
    assert!(h.body.is_empty());
    assert_eq!(c.call("DELETE", "r.bin", "", &[], b"").status, 204);
    let g = c.call("GET", "r.bin", "", &[], b"");
    assert_eq!((g.status, g.code().as_str()), (404, "NoSuchKey"));
}

#[test]
fn special_key_round_trips_in_all_addressing_modes() {
    let key = "a b+c/中文?x&y=1.txt";
    let s = Server::start(&[]);
    for (i, c) in [s.client(), s.path_client()].into_iter().enumerate() {
        let body = format!("content {i}");
        let r = c.call("PUT", key, "", &[], body.as_bytes());
        assert_eq!(r.status, 200, "{}", r.text());
        let g = c.call("GET", key, "", &[], b"");
        assert_eq!(g.body, body.as_bytes());
        // Strictly encoded on the wire works as well.
        let strict = Req {
            method: "HEAD",
            path: "/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt".into(),
            query: "",
            headers: vec![],
            body: b"",
        };
        let h = c.send(strict).unwrap();
        assert_eq!(h.status, 200);
        let id = c.create(key, &[]);
        let r = c.call("GET", "", "uploads=&prefix=a+b%2Bc", &[], b"");
        assert_eq!(r.json()["Uploads"][0]["Key"], key, "{}", r.text());
        assert_eq!(
            c.call("DELETE", key, &format!("uploadId={id}"), &[], b"")
                .status,
            204
        );
    }

    let c = s.client();
    for k in ["100%/x=y", "%25 literal", "semi;colon,comma"] {
        assert_eq!(c.call("PUT", k, "", &[], k.as_bytes()).status, 200, "{k}");
        assert_eq!(c.call("GET", k, "", &[], b"").body, k.as_bytes(), "{k}");
    }
    // A tab is a control character, which TOS keys may not contain (tests/names.rs).
    let r = c.call("PUT", "tab\there", "", &[], b"x");
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidObjectName"));

    let cd = Server::start(&["--custom-domain", "cd-bucket"]);
    let mut c = cd.client();
    c.host = "cdn.example.com".into();
    assert_eq!(c.call("PUT", key, "", &[], b"cd").status, 200);
    assert_eq!(c.call("GET", key, "", &[], b"").body, b"cd");
    let log = cd.log();
    assert_eq!(log[0]["bucket"], "cd-bucket");
    assert_eq!(log[0]["key"], key);
}

#[test]
fn absolute_form_target_like_a_proxy_client() {
    let s = Server::start(&[]);
    let c = s.client();
    let head = c.signed_head(&Req {
        method: "PUT",
        path: "/p/q.txt".into(),
        query: "",
        headers: vec![],
        body: b"",
    });
    let head = head.replacen("PUT /p/q.txt", &format!("PUT http://{}/p/q.txt", c.host), 1);
    let r = raw(
        s.port,
        format!("{head}Content-Length: 2\r\n\r\nhi").as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(c.call("GET", "p/q.txt", "", &[], b"").body, b"hi");
}

#[test]
fn signature_errors() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.sk = "wrong".into();
    let r = c.call("PUT", "k", "", &[], b"data");
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
    assert!(r.header("x-tos-ec").is_some());
    assert!(r.json()["RequestId"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));

    let mut c = s.client();
    c.ak = "NOBODY".into();
    let r = c.call("GET", "k", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (403, "InvalidAccessKeyId"));

    let mut c = s.client();
    c.date_offset_secs = -20 * 60;
    let r = c.call("GET", "k", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (403, "RequestTimeTooSkewed"));
    c.date_offset_secs = 10 * 60;
    assert_eq!(c.call("GET", "k", "", &[], b"").status, 404);

    let r = raw(
        s.port,
        b"GET /k HTTP/1.1\r\nHost: test-bucket.x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    assert_eq!((r.status, r.code().as_str()), (403, "AccessDenied"));

    // STS token and Python's UNSIGNED-PAYLOAD are signed headers like any other.
    let c = s.client();
    let r = c.call(
        "PUT",
        "sts",
        "",
        &[
            ("x-tos-security-token", "tok"),
            ("x-tos-content-sha256", "UNSIGNED-PAYLOAD"),
        ],
        b"x",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // Nothing was stored by the rejected requests.
    assert_eq!(c.call("GET", "k", "", &[], b"").status, 404);
}

/// Every server here runs with the foreign `TOS_*`/`AWS_*` credentials of
/// `FOREIGN_CREDENTIALS` in its environment; only its flags (or the built-in test keys)
/// may decide what it accepts.
#[test]
fn keys_come_from_flags_never_from_the_environment() {
    let s = Server::start_with_default_keys(&[]);
    let c = s.client();
    assert_eq!(c.call("PUT", "k", "", &[], b"x").status, 200);
    let mut foreign = s.client();
    foreign.ak = "AKFOREIGN".into();
    foreign.sk = "SKFOREIGN".into();
    let r = foreign.call("GET", "k", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (403, "InvalidAccessKeyId"));

    let s = Server::start(&["--access-key", "AK2", "--secret-key", "SK2"]);
    let mut c = s.client();
    (c.ak, c.sk) = ("AK2".into(), "SK2".into());
    assert_eq!(c.call("PUT", "k", "", &[], b"x").status, 200);
    let r = s.client().call("GET", "k", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (403, "InvalidAccessKeyId"));
}

#[test]
fn buckets() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.host = "fresh-bucket.tos.local".into();
    assert_eq!(c.call("HEAD", "", "", &[], b"").status, 404);
    assert_eq!(c.call("PUT", "", "", &[], b"").status, 200);
    assert_eq!(c.call("HEAD", "", "", &[], b"").status, 200);
    assert_eq!(c.call("PUT", "k", "", &[], b"v").status, 200);
    let mut other = s.client();
    other.host = "nope-bucket.tos.local".into();
    let r = other.call("PUT", "k", "", &[], b"v");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchBucket"));
}

/// The two EC codes an SDK acts on: the Go SDK's `DoesBucketExist` looks for 0006-00000001 and
/// its `DoesObjectExist` for 0017-00000003 (HEAD answers carry them in `x-tos-ec` only).
#[test]
fn missing_buckets_and_keys_carry_toss_ec_codes() {
    let s = Server::start(&[]);
    let c = s.client();
    let r = c.call("HEAD", "no-such-key", "", &[], b"");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-tos-ec"), Some("0017-00000003"));
    let r = c.call("GET", "no-such-key", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchKey"));
    assert_eq!(r.json()["EC"], "0017-00000003");
    let mut other = s.client();
    other.host = "no-such-bucket.tos-cn-beijing.volces.com".into();
    let r = other.call("HEAD", "", "", &[], b"");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-tos-ec"), Some("0006-00000001"));
    let r = other.call("GET", "k", "", &[], b"");
    assert_eq!(r.json()["EC"], "0006-00000001");
}
