//! CopyObject and UploadPartCopy (`x-tos-copy-source`), as the Go SDK's own tests use them
//! (TestCopyObject*, TestMultipartUpload, TestUploadPartCopyRange): they were refused with 501.

mod common;

use common::*;

#[test]
fn copy_object_keeps_or_replaces_attributes() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(3 << 20, 7);
    let put = c.call(
        "PUT",
        "src key",
        "",
        &[("content-type", "image/jpeg"), ("x-tos-meta-a", "1")],
        &data,
    );
    assert_eq!(put.status, 200);
    // The Go SDK query-escapes the key: a space is '+'.
    let source = ("x-tos-copy-source", "/test-bucket/src+key");
    let r = c.call("PUT", "dst", "", &[source], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["ETag"], format!("\"{}\"", md5_hex(&data)));
    assert!(r.json()["LastModified"].as_str().unwrap().ends_with('Z'));
    let g = c.call("GET", "dst", "", &[], b"");
    assert_eq!(g.body, data);
    assert_eq!(g.header("content-type"), Some("image/jpeg"));
    assert_eq!(g.header("x-tos-meta-a"), Some("1"));
    assert_eq!(g.crc(), crc64(&data));

    let replace = [
        source,
        ("x-tos-metadata-directive", "REPLACE"),
        ("content-type", "text/plain"),
    ];
    assert_eq!(c.call("PUT", "dst", "", &replace, b"").status, 200);
    let h = c.call("HEAD", "dst", "", &[], b"");
    assert_eq!(h.header("content-type"), Some("text/plain"));
    assert_eq!(h.header("x-tos-meta-a"), None);

    let missing = ("x-tos-copy-source", "/test-bucket/absent");
    let r = c.call("PUT", "dst2", "", &[missing], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchKey"));
    assert_eq!(c.call("HEAD", "dst2", "", &[], b"").status, 404);
}

#[test]
fn upload_part_copy_takes_ranges() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(6 << 20, 3);
    c.call("PUT", "src", "", &[], &data);
    let id = c.create("mp", &[]);
    let source = ("x-tos-copy-source", "/test-bucket/src");
    let split = 5 << 20;
    let first_range = format!("bytes=0-{}", split - 1);
    let second_range = format!("bytes={split}-{}", data.len() - 1);
    let mut etags = Vec::new();
    for (n, range) in [(1, &first_range), (2, &second_range)] {
        let q = format!("partNumber={n}&uploadId={id}");
        let r = c.call(
            "PUT",
            "mp",
            &q,
            &[source, ("x-tos-copy-source-range", range)],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        etags.push(
            r.json()["ETag"]
                .as_str()
                .unwrap()
                .trim_matches('"')
                .to_string(),
        );
    }
    assert_eq!(etags[0], md5_hex(&data[..split]));
    let done = c.complete("mp", &id, &[(1, &etags[0]), (2, &etags[1])]);
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(c.call("GET", "mp", "", &[], b"").body, data);

    let id = c.create("mp2", &[]);
    let q = format!("partNumber=1&uploadId={id}");
    let past_end = format!("bytes=0-{}", data.len());
    let r = c.call(
        "PUT",
        "mp2",
        &q,
        &[source, ("x-tos-copy-source-range", &past_end)],
        b"",
    );
    assert_eq!((r.status, r.code().as_str()), (416, "InvalidRange"));
}
