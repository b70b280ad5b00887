//! ListObjects (V2 and V1), ListObjectVersions, DeleteObject, DeleteMultiObjects and
//! DeleteBucket as TOS answers them.

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

/// An unversioned bucket lists each object as its one version, "null", latest, with no delete
/// markers: the Go SDK's test clean-up lists these before DeleteMultiObjects (it was 501).
#[test]
fn list_object_versions_of_an_unversioned_bucket() {
    let s = Server::start(&[]);
    let c = s.client();
    for key in ["key-a-1", "key-a-2", "key-b-3"] {
        assert_eq!(c.call("PUT", key, "", &[], key.as_bytes()).status, 200);
    }
    let versions = |v: &Value| -> Vec<String> {
        v["Versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["Key"].as_str().unwrap().to_string())
            .collect()
    };
    let all = list(&c, "versions");
    assert_eq!(versions(&all), ["key-a-1", "key-a-2", "key-b-3"]);
    let first = &all["Versions"][0];
    assert_eq!(
        (&first["VersionId"], &first["IsLatest"], &first["Size"]),
        (&Value::from("null"), &Value::from(true), &Value::from(7))
    );
    assert_eq!(first["ETag"], format!("\"{}\"", md5_hex(b"key-a-1")));
    assert_eq!(all["DeleteMarkers"], Value::Array(vec![]));
    assert_eq!(all["IsTruncated"], false);

    let page = list(&c, "versions&max-keys=2");
    assert_eq!(versions(&page), ["key-a-1", "key-a-2"]);
    assert_eq!(
        (&page["IsTruncated"], &page["NextKeyMarker"]),
        (&Value::from(true), &Value::from("key-a-2"))
    );
    let rest = list(&c, "versions&key-marker=key-a-2&version-id-marker=null");
    assert_eq!(versions(&rest), ["key-b-3"]);
    assert_eq!(versions(&list(&c, "versions&prefix=key-a-")).len(), 2);
    let top = list(&c, "versions&delimiter=-a-");
    assert_eq!(versions(&top), ["key-b-3"]);
    assert_eq!(prefixes(&top), ["key-a-"]);
}

/// DeleteMultiObjects takes TOS's JSON, counts a missing key as deleted, leaves deleted keys
/// out when quiet, and refuses a body whose Content-MD5 does not match (it was 501).
#[test]
fn delete_multi_objects() {
    let s = Server::start(&[]);
    let c = s.client();
    for key in ["k0", "k1", "k2"] {
        c.call("PUT", key, "", &[], b"x");
    }
    let body = br#"{"Objects":[{"Key":"k0"},{"Key":"k1","VersionId":"null"},{"Key":"absent"}],"Quiet":false}"#;
    let r = c.call("POST", "", "delete", &[], body);
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    let deleted: Vec<&str> = answer["Deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Key"].as_str().unwrap())
        .collect();
    assert_eq!(deleted, ["k0", "k1", "absent"]);
    assert_eq!(answer["Deleted"][1]["VersionId"], "null");
    assert_eq!(c.call("HEAD", "k0", "", &[], b"").status, 404);
    assert_eq!(c.call("HEAD", "k1", "", &[], b"").status, 404);

    let wrong_md5 = ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==");
    let quiet = br#"{"Objects":[{"Key":"k2"}],"Quiet":true}"#;
    let r = c.call("POST", "", "delete", &[wrong_md5], quiet);
    assert_eq!((r.status, r.code().as_str()), (400, "BadDigest"));
    assert_eq!(c.call("HEAD", "k2", "", &[], b"").status, 200, "kept");
    let r = c.call("POST", "", "delete", &[], quiet);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["Deleted"], Value::Array(vec![]));
    assert_eq!(c.call("HEAD", "k2", "", &[], b"").status, 404);
    let r = c.call("POST", "", "delete", &[], br#"{"Objects":[]}"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        c.call("DELETE", "", "", &[], b"").status,
        204,
        "bucket empty"
    );
}

/// The Go SDK sends `fetch-meta` on every listing (`false` unless asked): it was 501, and
/// every ListObjects and ListObjectVersions of that SDK failed. `true` adds `UserMeta`.
#[test]
fn listings_take_fetch_meta() {
    let s = Server::start(&[]);
    let c = s.client();
    c.call("PUT", "m", "", &[("x-tos-meta-colour", "blue")], b"x");
    for query in [
        "fetch-meta=false",
        "list-type=2&fetch-meta=false",
        "versions&fetch-meta=false",
    ] {
        let page = list(&c, query);
        let first = page["Contents"]
            .get(0)
            .or_else(|| page["Versions"].get(0))
            .unwrap();
        assert_eq!(first["Key"], "m", "{query}");
        assert!(first.get("UserMeta").is_none(), "{query}");
    }
    for query in ["list-type=2&fetch-meta=true", "versions&fetch-meta=true"] {
        let page = list(&c, query);
        let first = page["Contents"]
            .get(0)
            .or_else(|| page["Versions"].get(0))
            .unwrap();
        let want = serde_json::json!([{"Key": "colour", "Value": "blue"}]);
        assert_eq!(first["UserMeta"], want, "{query}");
    }
}
