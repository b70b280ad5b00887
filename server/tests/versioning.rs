//! Bucket versioning (docs/protocol.md §7.11): version ids on every write, reads and
//! deletes by version, delete markers, ListObjectVersions, copies of a version, and the
//! versions kept across a restart.

mod common;

use common::*;

fn versions(c: &Client, prefix: &str) -> serde_json::Value {
    let r = c.call("GET", "", &format!("versions=&prefix={prefix}"), &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn version_of(r: &Resp) -> String {
    r.header("x-tos-version-id")
        .unwrap_or_else(|| panic!("no version id: {}", r.text()))
        .to_string()
}

#[test]
fn versions_are_kept_read_deleted_and_copied() {
    let s = Server::start(&[]);
    let c = s.client();
    let r = c.call("GET", "", "versioning=", &[], b"");
    assert_eq!(r.json(), serde_json::json!({}));
    // Written before versioning: the "null" version.
    assert_eq!(c.call("PUT", "k", "", &[], b"v0").status, 200);
    let r = c.call("PUT", "", "versioning=", &[], br#"{"Status":"Enabled"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        c.call("GET", "", "versioning=", &[], b"").json()["Status"],
        "Enabled"
    );

    let ids: Vec<String> = (1..=3)
        .map(|i| version_of(&c.call("PUT", "k", "", &[], format!("v{i}").as_bytes())))
        .collect();
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    let listed = versions(&c, "k");
    let got: Vec<(&str, bool)> = listed["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["VersionId"].as_str().unwrap(),
                v["IsLatest"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        (ids[2].as_str(), true),
        (ids[1].as_str(), false),
        (ids[0].as_str(), false),
        ("null", false),
    ];
    assert_eq!(got, want);
    for (i, id) in ids.iter().enumerate() {
        let g = c.call("GET", "k", &format!("versionId={id}"), &[], b"");
        assert_eq!(g.body, format!("v{}", i + 1).as_bytes());
        assert_eq!(g.header("x-tos-version-id"), Some(id.as_str()));
    }
    assert_eq!(c.call("GET", "k", "versionId=null", &[], b"").body, b"v0");
    assert_eq!(c.call("GET", "k", "", &[], b"").body, b"v3");

    // A copy of an older version, by `?versionId=` in the source.
    let src = format!("/{BUCKET}/k?versionId={}", ids[0]);
    let r = c.call("PUT", "copy", "", &[("x-tos-copy-source", &src)], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-tos-copy-source-version-id"),
        Some(ids[0].as_str())
    );
    assert!(r.header("x-tos-version-id").is_some());
    assert_eq!(c.call("GET", "copy", "", &[], b"").body, b"v1");

    // A delete writes a marker; the versions stay.
    let d = c.call("DELETE", "k", "", &[], b"");
    assert_eq!(
        (d.status, d.header("x-tos-delete-marker")),
        (204, Some("true"))
    );
    let marker = version_of(&d);
    let g = c.call("GET", "k", "", &[], b"");
    assert_eq!(
        (g.status, g.header("x-tos-delete-marker")),
        (404, Some("true"))
    );
    let listed = versions(&c, "k");
    assert_eq!(listed["DeleteMarkers"][0]["VersionId"], marker.as_str());
    assert_eq!(listed["DeleteMarkers"][0]["IsLatest"], true);
    assert_eq!(listed["Versions"].as_array().unwrap().len(), 4);
    // ListObjects sees no key under a marker.
    let l = c.call("GET", "", "prefix=k", &[], b"").json();
    assert_eq!(l["Contents"].as_array().map_or(0, Vec::len), 0, "{l}");

    // Removing the marker brings the last version back; removing a version drops it.
    let d = c.call("DELETE", "k", &format!("versionId={marker}"), &[], b"");
    assert_eq!(
        (d.status, d.header("x-tos-delete-marker")),
        (204, Some("true"))
    );
    assert_eq!(c.call("GET", "k", "", &[], b"").body, b"v3");
    assert_eq!(
        c.call("DELETE", "k", &format!("versionId={}", ids[1]), &[], b"")
            .status,
        204
    );
    let g = c.call("GET", "k", &format!("versionId={}", ids[1]), &[], b"");
    assert_eq!((g.status, g.code().as_str()), (404, "NoSuchVersion"));
    assert_eq!(
        c.call("DELETE", "k", &format!("versionId={}", ids[2]), &[], b"")
            .status,
        204
    );
    assert_eq!(c.call("GET", "k", "", &[], b"").body, b"v1");

    // A multipart upload's object has a version too.
    let id = c.create("mp", &[]);
    let etag = c.part("mp", &id, 1, b"part").etag();
    let r = c.complete("mp", &id, &[(1, &etag)]);
    assert!(r.header("x-tos-version-id").is_some(), "{}", r.text());

    // The versions outlive a restart, data and all.
    let dir = s.stop();
    let s = Server::start_in(dir, &[]);
    let c = s.client();
    assert_eq!(
        c.call("GET", "", "versioning=", &[], b"").json()["Status"],
        "Enabled"
    );
    let listed = versions(&c, "k");
    let got: Vec<&str> = listed["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), "null"]);
    assert_eq!(c.call("GET", "k", "versionId=null", &[], b"").body, b"v0");
    assert_eq!(c.call("GET", "k", "", &[], b"").body, b"v1");

    // The bucket empties only once every version is gone (a clean-up's DeleteMultiObjects).
    let mut objects = Vec::new();
    for v in versions(&c, "")["Versions"].as_array().unwrap() {
        objects.push(serde_json::json!({"Key": v["Key"], "VersionId": v["VersionId"]}));
    }
    let body = serde_json::json!({ "Objects": objects, "Quiet": true }).to_string();
    assert_eq!(
        c.call("POST", "", "delete=", &[], body.as_bytes()).status,
        200
    );
    let v = versions(&c, "");
    assert_eq!(v["Versions"].as_array().unwrap().len(), 0, "{v}");
}

#[test]
fn suspended_versioning_writes_the_null_version() {
    let s = Server::start(&[]);
    let c = s.client();
    let enable = br#"{"Status":"Enabled"}"#;
    assert_eq!(c.call("PUT", "", "versioning=", &[], enable).status, 200);
    let kept = version_of(&c.call("PUT", "k", "", &[], b"kept"));
    let r = c.call("PUT", "", "versioning=", &[], br#"{"Status":"Suspended"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(c.call("PUT", "k", "", &[], b"n1").status, 200);
    assert_eq!(c.call("PUT", "k", "", &[], b"n2").status, 200);
    let got: Vec<String> = versions(&c, "k")["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["null".to_string(), kept.clone()]);
    assert_eq!(c.call("GET", "k", "versionId=null", &[], b"").body, b"n2");
    let bad = c.call("PUT", "", "versioning=", &[], br#"{"Status":"Off"}"#);
    assert_eq!(bad.status, 400);
}

/// The Go SDK's tests enable versioning with a presigned `PUT /?versioning`.
#[test]
fn versioning_is_enabled_by_a_presigned_url() {
    let s = Server::start(&[]);
    let c = s.path_client();
    let url = c.presign("PUT", "", "versioning=", 3600, 0);
    let r = c.send_unsigned("PUT", &url, br#"{"Status":"Enabled"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(c
        .call("PUT", "k", "", &[], b"x")
        .header("x-tos-version-id")
        .is_some());
}
