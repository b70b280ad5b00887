mod common;

use std::time::{Duration, Instant};

use common::*;

#[test]
fn status_fault_with_retry_after_and_times() {
    let s = Server::start(&[]);
    let c = s.client();
    let ids = s.admin_json(
        "POST",
        "faults",
        r#"{"op":"PutObject","key":"k","times":2,"action":{"kind":"status","status":503,"code":"ServiceUnavailable","message":"slow down","retry_after":2}}"#,
    );
    assert_eq!(ids["ids"].as_array().unwrap().len(), 1);
    let big = pattern(200_000, 1);
    let r = c.call("PUT", "k", "", &[], &big);
    assert_eq!((r.status, r.code().as_str()), (503, "ServiceUnavailable"));
    assert_eq!(r.header("retry-after"), Some("2"));
    let rules = s.admin_json("GET", "faults", "");
    assert_eq!(rules[0]["times"], 1);
    // Other keys are not affected.
    assert_eq!(c.call("PUT", "other", "", &[], b"x").status, 200);
    assert_eq!(c.call("PUT", "k", "", &[], &big).status, 503);
    assert_eq!(
        s.admin_json("GET", "faults", "").as_array().unwrap().len(),
        0
    );
    let r = c.call("PUT", "k", "", &[], &big);
    assert_eq!(r.status, 200);

    let log = s.log();
    let faulted: Vec<_> = log.iter().filter(|e| e["fault"] == "status").collect();
    assert_eq!(faulted.len(), 2);
    assert!(faulted
        .iter()
        .all(|e| e["status"] == 503 && e["body_bytes"] == 200_000));
}

#[test]
fn status_500_on_one_part_only() {
    let rules = write_rules();
    let s = Server::start(&["--faults", &rules.to_string_lossy()]);
    // Read at start; the folder is not needed any more.
    std::fs::remove_dir_all(rules.parent().unwrap()).unwrap();
    let c = s.client();
    let id = c.create("f", &[]);
    assert_eq!(c.part("f", &id, 1, b"one").status, 200);
    let r = c.part("f", &id, 2, b"two");
    assert_eq!((r.status, r.code().as_str()), (500, "InternalError"));
    assert_eq!(c.part("f", &id, 2, b"two").status, 200);
    let r = c.call("GET", "f", &format!("uploadId={id}"), &[], b"");
    assert_eq!(r.json()["Parts"].as_array().unwrap().len(), 2);
}

fn write_rules() -> std::path::PathBuf {
    let dir = temp_dir("rules");
    let p = dir.join("faults.json");
    std::fs::write(
        &p,
        r#"[{"op":"UploadPart","part_number":2,"times":1,"action":{"kind":"status","status":500,"code":"InternalError","message":"boom"}}]"#,
    )
    .unwrap();
    p
}

#[test]
fn reset_drops_connection_and_stores_nothing() {
    let s = Server::start(&[]);
    let c = s.client();
    s.admin_json(
        "POST",
        "faults",
        r#"[{"op":"PutObject","times":1,"action":{"kind":"reset","after_bytes":1000}}]"#,
    );
    let data = pattern(4 * 1024 * 1024, 3);
    let result = c.send(Req {
        method: "PUT",
        path: "/gone".into(),
        query: "",
        headers: vec![],
        body: &data,
    });
    assert!(
        result.is_err(),
        "expected a connection error, got {result:?}"
    );
    let h = c.call("HEAD", "gone", "", &[], b"");
    assert_eq!(h.status, 404);
    let log = s.log();
    let e = log.iter().find(|e| e["op"] == "PutObject").unwrap();
    assert_eq!(e["fault"], "reset");
    assert!(e["body_bytes"].as_u64().unwrap() >= 1000);
    assert!(e["body_bytes"].as_u64().unwrap() < data.len() as u64);
    // The budget was one: the next attempt goes through.
    assert_eq!(c.call("PUT", "gone", "", &[], &data).status, 200);
}

#[test]
fn stall_delays_response() {
    let s = Server::start(&[]);
    let c = s.client();
    s.admin_json(
        "POST",
        "faults",
        r#"[{"op":"GetObject","times":1,"action":{"kind":"stall","ms":400}},
            {"op":"PutObject","key":"slow","times":1,"action":{"kind":"stall","ms":300,"after_bytes":10}}]"#,
    );
    assert_eq!(
        c.call("PUT", "slow", "", &[], b"0123456789abcdef").status,
        200
    );
    let t = Instant::now();
    let g = c.call("GET", "slow", "", &[], b"");
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(g.body, b"0123456789abcdef");
    let t = Instant::now();
    assert_eq!(c.call("GET", "slow", "", &[], b"").status, 200);
    assert!(t.elapsed() < Duration::from_millis(400));
    let t = Instant::now();
    assert_eq!(
        c.call("PUT", "slow", "", &[], b"0123456789abcdef").status,
        200
    );
    assert!(t.elapsed() < Duration::from_millis(300));
    let log = s.log();
    assert_eq!(log.iter().filter(|e| e["fault"] == "stall").count(), 2);
}

#[test]
fn stall_after_bytes_is_measured() {
    let s = Server::start(&[]);
    let c = s.client();
    s.admin_json(
        "POST",
        "faults",
        r#"{"op":"PutObject","action":{"kind":"stall","ms":300,"after_bytes":10}}"#,
    );
    let t = Instant::now();
    let r = c.call("PUT", "slow2", "", &[], &pattern(100_000, 1));
    assert_eq!(r.status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn bad_crc_corrupts_only_the_header() {
    let s = Server::start(&[]);
    let c = s.client();
    s.admin_json(
        "POST",
        "faults",
        r#"{"op":"UploadPart","times":1,"action":{"kind":"bad_crc"}}"#,
    );
    let id = c.create("bc", &[]);
    let data = pattern(5000, 8);
    let r = c.part("bc", &id, 1, &data);
    assert_eq!(r.status, 200);
    assert_ne!(r.crc(), crc64(&data));
    let r = c.part("bc", &id, 1, &data);
    assert_eq!(r.crc(), crc64(&data));
}

#[test]
fn request_log_contents_and_admin() {
    let s = Server::start(&[]);
    let c = s.client();
    assert_eq!(s.admin("GET", "health", "").text(), "ok");
    let id = c.create("lg", &[]);
    c.part("lg", &id, 3, b"abc");
    let log = s.log();
    assert_eq!(log.len(), 2, "admin calls are not logged: {log:?}");
    assert_eq!(log[0]["op"], "CreateMultipartUpload");
    assert_eq!(log[0]["upload_id"], serde_json::Value::Null);
    let e = &log[1];
    assert_eq!(e["op"], "UploadPart");
    assert_eq!(e["bucket"], BUCKET);
    assert_eq!(e["key"], "lg");
    assert_eq!(e["part_number"], 3);
    assert_eq!(e["upload_id"], id.as_str());
    assert_eq!(e["status"], 200);
    assert_eq!(e["body_bytes"], 3);
    assert_eq!(e["fault"], serde_json::Value::Null);
    assert!(e["time_ms"].as_u64().unwrap() > 1_600_000_000_000);
    let seq = log[0]["seq"].as_u64().unwrap();
    let since = s.admin_json("GET", &format!("log?since={seq}"), "");
    assert_eq!(since.as_array().unwrap().len(), 1);
    s.admin_json("DELETE", "log", "");
    assert!(s.log().is_empty());
    c.call("HEAD", "lg", "", &[], b"");
    let log = s.log();
    assert_eq!(log.len(), 1);
    assert!(log[0]["seq"].as_u64().unwrap() > seq + 1);
    assert_eq!(log[0]["status"], 404);

    assert_eq!(s.admin("POST", "faults", "{\"nonsense\":1}").status, 400);
    s.admin_json("POST", "faults", r#"{"action":{"kind":"bad_crc"}}"#);
    s.admin_json("DELETE", "faults", "");
    assert_eq!(s.admin_json("GET", "faults", ""), serde_json::json!([]));
}
