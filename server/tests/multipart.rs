mod common;

use common::*;

const MIB: usize = 1024 * 1024;

#[test]
fn round_trip_with_unsorted_unquoted_complete() {
    let s = Server::start(&[]);
    let c = s.client();
    let key = "dir/obj.bin";
    let id = c.create(
        key,
        &[
            ("content-type", "text/plain"),
            ("cache-control", "no-cache"),
            ("x-tos-meta-color", "blue"),
            ("x-tos-storage-class", "IA"),
        ],
    );
    let p1 = pattern(5 * MIB, 1);
    let p2 = pattern(5 * MIB, 2);
    let p3 = pattern(1234, 3);
    let mut etags = Vec::new();
    for (n, data) in [(1, &p1), (2, &p2), (3, &p3)] {
        let r = c.part(key, &id, n, data);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.etag(), format!("\"{}\"", md5_hex(data)));
        assert_eq!(r.crc(), crc64(data));
        etags.push(md5_hex(data));
    }
    let r = c.complete(key, &id, &[(3, &etags[2]), (1, &etags[0]), (2, &etags[1])]);
    assert_eq!(r.status, 200, "{}", r.text());
    let whole: Vec<u8> = [p1.clone(), p2.clone(), p3.clone()].concat();
    assert_eq!(r.crc(), crc64(&whole));
    let body = r.json();
    assert_eq!(body["Key"], key);
    assert_eq!(body["Bucket"], BUCKET);
    assert_eq!(body["CompletedParts"].as_array().unwrap().len(), 3);
    let mut cat = Vec::new();
    for e in &etags {
        cat.extend((0..16).map(|i| u8::from_str_radix(&e[2 * i..2 * i + 2], 16).unwrap()));
    }
    let expected_etag = format!("\"{}-3\"", md5_hex(&cat));
    assert_eq!(r.etag(), expected_etag);
    assert_eq!(body["ETag"], expected_etag);

    let g = c.call("GET", key, "", &[], b"");
    assert_eq!(g.status, 200);
    assert!(g.body == whole, "content differs");
    assert_eq!(g.crc(), crc64(&whole));
    let h = c.call("HEAD", key, "", &[], b"");
    assert_eq!(h.status, 200);
    assert_eq!(
        h.header("content-length"),
        Some(whole.len().to_string().as_str())
    );
    assert_eq!(h.header("content-type"), Some("text/plain"));
    assert_eq!(h.header("cache-control"), Some("no-cache"));
    assert_eq!(h.header("x-tos-meta-color"), Some("blue"));
    assert_eq!(h.header("x-tos-storage-class"), Some("IA"));
    assert!(h.body.is_empty());

    // The upload is gone once completed.
    let r = c.call("GET", key, &format!("uploadId={id}"), &[], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchUpload"));
}

#[test]
fn entity_too_small_and_invalid_part() {
    let s = Server::start(&[]);
    let c = s.client();
    let id = c.create("small", &[]);
    let a = pattern(1024, 1);
    let b = pattern(1024, 2);
    c.part("small", &id, 1, &a);
    c.part("small", &id, 2, &b);
    let r = c.complete("small", &id, &[(1, &md5_hex(&a)), (2, &md5_hex(&b))]);
    assert_eq!((r.status, r.code().as_str()), (400, "EntityTooSmall"));
    assert!(r.header("x-tos-ec").is_some());

    let r = c.complete("small", &id, &[(1, &md5_hex(&b))]);
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidPart"));
    let r = c.complete("small", &id, &[(7, &md5_hex(&a))]);
    assert_eq!((r.status, r.code().as_str()), (400, "InvalidPart"));
    // A single small part is allowed, and quoted ETags work too.
    let quoted = format!("\"{}\"", md5_hex(&a));
    let r = c.complete("small", &id, &[(1, &quoted)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(c.call("GET", "small", "", &[], b"").body, a);
}

#[test]
fn complete_all_and_empty_chunked_part() {
    let s = Server::start(&[]);
    let c = s.client();
    let id = c.create("empty", &[]);
    // A 0-byte part as the SDKs send it: chunked with no data, after 100-continue.
    let mut head = c
        .signed_head(&Req {
            method: "PUT",
            path: "/empty".into(),
            query: &format!("partNumber=1&uploadId={id}"),
            headers: vec![],
            body: b"",
        })
        .into_bytes();
    head.extend_from_slice(b"Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n0\r\n\r\n");
    let r = raw(s.port, &head).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.etag(), "\"d41d8cd98f00b204e9800998ecf8427e\"");
    assert_eq!(r.crc(), 0);
    let r = c.call(
        "POST",
        "empty",
        &format!("uploadId={id}"),
        &[("x-tos-complete-all", "yes")],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.crc(), 0);
    let g = c.call("GET", "empty", "", &[], b"");
    assert_eq!((g.status, g.body.len()), (200, 0));
}

#[test]
fn abort_then_list_uploads_empty() {
    let s = Server::start(&[]);
    let c = s.client();
    let a = c.create("logs/a", &[]);
    let b = c.create("logs/b", &[]);
    let other = c.create("zzz", &[]);
    let r = c.call("GET", "", "uploads=&prefix=logs%2F", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let ups = r.json()["Uploads"].as_array().unwrap().clone();
    assert_eq!(ups.len(), 2);
    assert!(ups
        .iter()
        .all(|u| u["Key"].as_str().unwrap().starts_with("logs/")));
    assert!(ups[0]["Initiated"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.json()["IsTruncated"], false);

    for (k, id) in [("logs/a", &a), ("logs/b", &b), ("zzz", &other)] {
        let r = c.call("DELETE", k, &format!("uploadId={id}"), &[], b"");
        assert_eq!(r.status, 204);
    }
    let r = c.call("DELETE", "logs/a", &format!("uploadId={a}"), &[], b"");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchUpload"));
    let r = c.part("logs/a", &a, 1, b"late");
    assert_eq!((r.status, r.code().as_str()), (404, "NoSuchUpload"));
    let r = c.call("GET", "", "uploads=", &[], b"");
    assert_eq!(r.json()["Uploads"].as_array().unwrap().len(), 0);
}

#[test]
fn list_uploads_pages_by_key_and_upload_id_marker() {
    let s = Server::start(&[]);
    let c = s.client();
    // Two uploads of one key, so a page can end between them.
    let mut made = vec![
        ("a".to_string(), c.create("a", &[])),
        ("b".to_string(), c.create("b", &[])),
        ("b".to_string(), c.create("b", &[])),
        ("c".to_string(), c.create("c", &[])),
    ];
    let mut seen = Vec::new();
    let mut query = "uploads=&max-uploads=1".to_string();
    for _ in 0..10 {
        let r = c.call("GET", "", &query, &[], b"");
        assert_eq!(r.status, 200, "{}", r.text());
        let doc = r.json();
        for u in doc["Uploads"].as_array().unwrap() {
            let pair = (u["Key"].as_str().unwrap(), u["UploadId"].as_str().unwrap());
            seen.push((pair.0.to_string(), pair.1.to_string()));
        }
        if doc["IsTruncated"] == false {
            assert_eq!(doc["NextKeyMarker"], "");
            break;
        }
        query = format!(
            "uploads=&max-uploads=1&key-marker={}&upload-id-marker={}",
            doc["NextKeyMarker"].as_str().unwrap(),
            doc["NextUploadIdMarker"].as_str().unwrap()
        );
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    made.sort();
    seen.sort();
    assert_eq!(seen, made);
    // A key marker alone skips every upload of that key.
    let r = c.call("GET", "", "uploads=&key-marker=b", &[], b"");
    let keys: Vec<_> = r.json()["Uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["Key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["c"]);
}

#[test]
fn list_parts_paging() {
    let s = Server::start(&[]);
    let c = s.client();
    let id = c.create("paged", &[]);
    for n in [5, 1, 3, 2, 4] {
        assert_eq!(
            c.part("paged", &id, n, &pattern(100 + n as usize, n as u64))
                .status,
            200
        );
    }
    let mut seen = Vec::new();
    let mut marker = 0;
    let mut pages = 0;
    loop {
        let r = c.call(
            "GET",
            "paged",
            &format!("uploadId={id}&max-parts=2&part-number-marker={marker}"),
            &[],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        assert_eq!(j["MaxParts"], 2);
        assert_eq!(j["UploadId"], id.as_str());
        for p in j["Parts"].as_array().unwrap() {
            let n = p["PartNumber"].as_u64().unwrap();
            assert_eq!(p["Size"].as_u64().unwrap(), 100 + n);
            assert_eq!(
                p["ETag"].as_str().unwrap(),
                format!("\"{}\"", md5_hex(&pattern(100 + n as usize, n)))
            );
            seen.push(n);
        }
        pages += 1;
        if !j["IsTruncated"].as_bool().unwrap() {
            break;
        }
        marker = j["NextPartNumberMarker"].as_u64().unwrap();
        assert_eq!(marker, *seen.last().unwrap());
    }
    assert_eq!(seen, [1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);
    let r = c.call(
        "GET",
        "paged",
        &format!("uploadId={id}&max-parts=5000"),
        &[],
        b"",
    );
    assert_eq!(r.json()["MaxParts"], 1000);
}

#[test]
fn disk_mode_survives_restart() {
    let s = Server::start(&[]);
    let c = s.client();
    let data = pattern(300_000, 9);
    assert_eq!(
        c.call("PUT", "keep/me", "", &[("x-tos-meta-a", "1")], &data)
            .status,
        200
    );
    let id = c.create("pending", &[]);
    let part = pattern(1000, 4);
    assert_eq!(c.part("pending", &id, 1, &part).status, 200);
    let dir = s.stop();

    let s = Server::start_in(dir, &[]);
    let c = s.client();
    let g = c.call("GET", "keep/me", "", &[], b"");
    assert_eq!(g.status, 200);
    assert!(g.body == data);
    assert_eq!(g.header("x-tos-meta-a"), Some("1"));
    let r = c.call("GET", "pending", &format!("uploadId={id}"), &[], b"");
    assert_eq!(r.json()["Parts"].as_array().unwrap().len(), 1);
    let r = c.complete("pending", &id, &[(1, &md5_hex(&part))]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(c.call("GET", "pending", "", &[], b"").body, part);
}

#[test]
fn discard_mode_counts_and_crcs() {
    let s = Server::start(&["--discard"]);
    let c = s.client();
    let id = c.create("d", &[]);
    let a = pattern(5 * MIB, 1);
    let b = pattern(77, 2);
    let ra = c.part("d", &id, 1, &a);
    let rb = c.part("d", &id, 2, &b);
    assert_eq!(ra.crc(), crc64(&a));
    assert_eq!(ra.etag(), format!("\"{:016x}\"", crc64(&a)));
    let ea = ra.etag();
    let eb = rb.etag();
    let r = c.complete(
        "d",
        &id,
        &[(2, eb.trim_matches('"')), (1, ea.trim_matches('"'))],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.crc(), crc64(&[a.clone(), b.clone()].concat()));
    let h = c.call("HEAD", "d", "", &[], b"");
    assert_eq!(
        h.header("content-length"),
        Some((a.len() + b.len()).to_string().as_str())
    );
    assert_eq!(c.call("GET", "d", "", &[], b"").status, 501);
}

#[test]
fn forbid_overwrite() {
    let s = Server::start(&[]);
    let c = s.client();
    assert_eq!(c.call("PUT", "x", "", &[], b"1").status, 200);
    let r = c.call("PUT", "x", "", &[("x-tos-forbid-overwrite", "True")], b"2");
    assert_eq!(r.status, 409);
    let id = c.create("x", &[("x-tos-forbid-overwrite", "true")]);
    c.part("x", &id, 1, b"3");
    let r = c.complete("x", &id, &[(1, &md5_hex(b"3"))]);
    assert_eq!(r.status, 409);
    assert_eq!(c.call("GET", "x", "", &[], b"").body, b"1");
}
