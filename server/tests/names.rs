//! TOS naming rules, checked over real HTTP: bad bucket names and object keys are
//! refused with 400 before anything is stored, good ones (including UTF-8) work.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const MIB: usize = 1024 * 1024;

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Every object operation, addressed at the already wire-encoded `path`.
fn each_object_op(c: &Client, path: &str) -> Vec<(&'static str, Resp)> {
    let complete = r#"{"Parts":[{"PartNumber":1,"ETag":"x"}]}"#;
    let ops: [(&str, &str, &str, &[u8]); 9] = [
        ("PutObject", "PUT", "", b"data"),
        ("CreateMultipartUpload", "POST", "uploads=", b""),
        ("UploadPart", "PUT", "partNumber=1&uploadId=u1", b"part"),
        (
            "CompleteMultipartUpload",
            "POST",
            "uploadId=u1",
            complete.as_bytes(),
        ),
        ("ListParts", "GET", "uploadId=u1", b""),
        ("AbortMultipartUpload", "DELETE", "uploadId=u1", b""),
        ("GetObject", "GET", "", b""),
        ("HeadObject", "HEAD", "", b""),
        ("DeleteObject", "DELETE", "", b""),
    ];
    ops.iter()
        .map(|(op, method, query, body)| {
            let req = Req {
                method,
                path: path.to_string(),
                query,
                headers: vec![],
                body,
            };
            (*op, c.send(req).expect("request"))
        })
        .collect()
}

fn assert_refused(resps: &[(&str, Resp)], code: &str, what: &str) {
    for (op, r) in resps {
        assert_eq!(r.status, 400, "{op} {what}: {}", r.text());
        assert!(r.header("x-tos-request-id").is_some(), "{op} {what}");
        if *op == "HeadObject" {
            assert!(r.body.is_empty(), "{what}: HEAD errors carry no body");
            continue;
        }
        let j = r.json();
        assert_eq!(j["Code"], code, "{op} {what}");
        assert!(j["Message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(j["RequestId"].as_str().is_some_and(|m| !m.is_empty()));
        assert_eq!(j["EC"].as_str(), r.header("x-tos-ec"), "{op} {what}");
    }
}

#[test]
fn bad_keys_are_refused_on_every_object_operation() {
    let s = Server::start(&[]);
    let before = files_under(&s.data_dir);
    let bad: [(&str, String); 5] = [
        ("697 bytes", "k".repeat(697)),
        ("697 bytes of UTF-8", format!("{}a", "中".repeat(232))),
        ("control character", "/ctl%01x".into()),
        ("line break", "/line%0Abreak".into()),
        ("invalid UTF-8", "/bad-%C3%28".into()),
    ];
    for client in [s.client(), s.path_client()] {
        for (what, key) in &bad {
            let path = if key.starts_with('/') {
                key.clone()
            } else {
                format!("/{}", wire_key(key))
            };
            assert_refused(&each_object_op(&client, &path), "InvalidObjectName", what);
        }
    }
    // Nothing reached storage: no file, no upload, and every request was answered 400.
    assert_eq!(files_under(&s.data_dir), before);
    let c = s.client();
    let uploads = c.call("GET", "", "uploads=", &[], b"").json();
    assert!(uploads["Uploads"].as_array().is_none_or(|u| u.is_empty()));
    let log = s.log();
    assert_eq!(log.len(), 2 * bad.len() * 9 + 1);
    assert!(log[..log.len() - 1].iter().all(|e| e["status"] == 400));
}

#[test]
fn keys_the_go_sdk_stores_on_tos_are_accepted() {
    let s = Server::start(&[]);
    for c in [s.client(), s.path_client()] {
        for key in ["/key 123", "\\lead", "del\u{7f}x", "  a", "a?ac=asd"] {
            let r = c.call("PUT", key, "", &[], b"stored");
            assert_eq!(r.status, 200, "{key:?}: {}", r.text());
            assert_eq!(c.call("GET", key, "", &[], b"").body, b"stored", "{key:?}");
            assert_eq!(c.call("DELETE", key, "", &[], b"").status, 204, "{key:?}");
        }
    }
}

#[test]
fn key_length_is_counted_in_bytes() {
    let s = Server::start(&[]);
    let c = s.client();
    // 696 one-byte characters, and 232 three-byte ones: both exactly at the limit.
    for key in ["k".repeat(696), "中".repeat(232)] {
        let r = c.call("PUT", &key, "", &[], b"at the limit");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(c.call("GET", &key, "", &[], b"").body, b"at the limit");
        assert_eq!(c.call("DELETE", &key, "", &[], b"").status, 204);
    }
    for key in ["k".repeat(697), format!("{}a", "中".repeat(232))] {
        let r = c.call("PUT", &key, "", &[], b"x");
        assert_eq!((r.status, r.code().as_str()), (400, "InvalidObjectName"));
        assert_eq!(c.call("HEAD", &key, "", &[], b"").status, 400);
    }
}

#[test]
fn utf8_key_with_spaces_and_chinese_works_end_to_end() {
    let s = Server::start(&[]);
    for c in [s.client(), s.path_client()] {
        let key = "目录 a/文件 名 with spaces.bin";
        let r = c.call("PUT", key, "", &[], b"small");
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(c.call("GET", key, "", &[], b"").body, b"small");

        let id = c.create(key, &[]);
        let (p1, p2) = (pattern(5 * MIB, 7), pattern(100, 8));
        let e1 = md5_hex(&p1);
        let e2 = md5_hex(&p2);
        assert_eq!(c.part(key, &id, 1, &p1).status, 200);
        assert_eq!(c.part(key, &id, 2, &p2).status, 200);
        let r = c.complete(key, &id, &[(1, &e1), (2, &e2)]);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["Key"], key);
        let h = c.call("HEAD", key, "", &[], b"");
        assert_eq!(h.header("content-length"), Some("5242980"));
        assert_eq!(c.call("DELETE", key, "", &[], b"").status, 204);
        assert_eq!(c.call("GET", key, "", &[], b"").status, 404);
    }
}

#[test]
fn bad_bucket_names_are_refused() {
    let s = Server::start(&[]);
    let long = "b".repeat(64);
    for name in ["ab", long.as_str(), "-abc", "abc-", "ab_c", "Abc"] {
        let mut c = s.client();
        c.host = format!("{name}.tos.local");
        let r = c.call("PUT", "", "", &[], b"");
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "InvalidBucketName"),
            "{name}"
        );
        // An object request names the bad bucket first, so it is refused the same way.
        let r = c.call("PUT", "k", "", &[], b"v");
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "InvalidBucketName"),
            "{name}"
        );
    }
    let mut c = s.client();
    c.host = format!("{}.tos.local", "b".repeat(63));
    assert_eq!(c.call("PUT", "", "", &[], b"").status, 200);
}

#[test]
fn server_refuses_to_start_with_a_bad_bucket_name() {
    for args in [["--bucket", "Bad_Bucket"], ["--custom-domain", "-cd"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_tos-local-server"))
            .args(["--port", "0", "--discard"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run server");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "must not start listening");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with(&format!("{} {}: ", args[0], args[1])),
            "{err}"
        );
    }
}
