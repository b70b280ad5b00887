//! ListObjects (V2 and V1), DeleteObject and DeleteBucket as TOS answers them.

mod common;

use common::*;
use serde_json::Value;

fn keys(page: &Value) -> Vec<String> {
    page["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap().to_string())
        .collect()
}

fn prefixes(page: &Value) -> Vec<String> {
    page["CommonPrefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Prefix"].as_str().unwrap().to_string())
        .collect()
}

fn list(c: &Client, query: &str) -> Value {
    let r = c.call("GET", "", query, &[], b"");
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    r.json()
}

#[test]
fn list_objects_v2_pages_prefixes_and_delimiters() {
    let s = Server::start(&[]);
    let c = s.client();
    for key in [
        "a.txt",
        "logs/1",
        "logs/2",
        "logs/deep/3",
        "photos/x.jpg",
        "z",
    ] {
        assert_eq!(c.call("PUT", key, "", &[], key.as_bytes()).status, 200);
    }
    let all = list(&c, "list-type=2");
    assert_eq!(keys(&all).len(), 6);
    assert_eq!(all["KeyCount"], 6);
    assert_eq!(all["IsTruncated"], false);
    let first = &all["Contents"][0];
    assert_eq!(first["Size"], 5);
    assert_eq!(first["ETag"], format!("\"{}\"", md5_hex(b"a.txt")));
    assert_eq!(first["HashCrc64ecma"], crc64(b"a.txt").to_string());

    let top = list(&c, "list-type=2&delimiter=%2F");
    assert_eq!(keys(&top), ["a.txt", "z"]);
    assert_eq!(prefixes(&top), ["logs/", "photos/"]);
    let logs = list(&c, "list-type=2&prefix=logs%2F&delimiter=%2F");
    assert_eq!(keys(&logs), ["logs/1", "logs/2"]);
    assert_eq!(prefixes(&logs), ["logs/deep/"]);

    // Pages of two through continuation tokens; a common prefix counts as one entry.
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let q = if token.is_empty() {
            "list-type=2&delimiter=%2F&max-keys=2".to_string()
        } else {
            format!("list-type=2&delimiter=%2F&max-keys=2&continuation-token={token}")
        };
        let page = list(&c, &q);
        pages += 1;
        assert!(page["KeyCount"].as_u64().unwrap() <= 2);
        seen.extend(keys(&page));
        seen.extend(prefixes(&page));
        if page["IsTruncated"] == false {
            assert!(page.get("NextContinuationToken").is_none());
            break;
        }
        token = page["NextContinuationToken"].as_str().unwrap().to_string();
    }
    assert_eq!(pages, 2);
    seen.sort();
    assert_eq!(seen, ["a.txt", "logs/", "photos/", "z"]);

    let after = list(&c, "list-type=2&start-after=logs%2F2");
    assert_eq!(keys(&after), ["logs/deep/3", "photos/x.jpg", "z"]);
    let r = c.call(
        "GET",
        "",
        "list-type=2&continuation-token=nonsense",
        &[],
        b"",
    );
    assert_eq!(r.status, 400);
}

#[test]
fn list_objects_v1_uses_markers() {
    let s = Server::start(&[]);
    let c = s.client();
    for key in ["k1", "k2", "k3"] {
        c.call("PUT", key, "", &[], b"x");
    }
    let page = list(&c, "max-keys=2");
    assert_eq!(keys(&page), ["k1", "k2"]);
    assert_eq!(
        (page["IsTruncated"].as_bool(), page["NextMarker"].as_str()),
        (Some(true), Some("k2"))
    );
    let page = list(&c, "marker=k2");
    assert_eq!(keys(&page), ["k3"]);
    assert_eq!(page["IsTruncated"], false);
}

#[test]
fn delete_object_and_delete_bucket() {
    let s = Server::start(&[]);
    let c = s.client();
    c.call("PUT", "gone", "", &[], b"x");
    assert_eq!(c.call("DELETE", "gone", "", &[], b"").status, 204);
    assert_eq!(c.call("HEAD", "gone", "", &[], b"").status, 404);
    // Deleting what is not there is a success too, as on TOS.
    assert_eq!(c.call("DELETE", "gone", "", &[], b"").status, 204);

    c.call("PUT", "kept", "", &[], b"x");
    let r = c.call("DELETE", "", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (409, "BucketNotEmpty"));
    c.call("DELETE", "kept", "", &[], b"");
    let id = c.create("open", &[]);
    assert_eq!(
        c.call("DELETE", "", "", &[], b"").status,
        409,
        "an open upload"
    );
    c.call("DELETE", "open", &format!("uploadId={id}"), &[], b"");
    assert_eq!(c.call("DELETE", "", "", &[], b"").status, 204);
    assert_eq!(c.call("HEAD", "", "", &[], b"").status, 404);
    let r = c.call("GET", "", "list-type=2", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchBucket"));
    assert!(!s.data_dir.join(BUCKET).exists(), "its folder is gone");
    let r = c.call("DELETE", "", "", &[], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchBucket"));
    assert_eq!(c.call("PUT", "", "", &[], b"").status, 200, "made again");
}
