//! `--s3 --discard`: a multipart upload whose parts arrive aws-chunked (as libtosupload,
//! boto3 and the CRT send them) and plain (as rclone does), checked through the sizes the
//! server logs and reports.

mod common;

use common::{pattern, raw, Resp, Server, BUCKET};

fn send(port: u16, method: &str, target: &str, headers: &[(&str, String)], body: &[u8]) -> Resp {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(port, &bytes).unwrap()
}

fn between<'a>(text: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = text.find(&open).unwrap() + open.len();
    &text[start..start + text[start..].find("</").unwrap()]
}

/// An aws-chunked body in uneven chunks with a CRC-64/NVME trailer.
/// S3's text of the CRC-64/NVME of `data`: base64 of its 8 big-endian bytes.
fn crc64nvme(data: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let crc = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, data).to_be_bytes();
    let bits = u128::from_be_bytes([&crc[..], &[0u8; 8]].concat().try_into().unwrap());
    let mut text: String = (0..11)
        .map(|i| ALPHABET[((bits >> (122 - 6 * i)) & 63) as usize] as char)
        .collect();
    text.push('=');
    text
}

fn aws_chunked(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in data.chunks(65_521) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    let trailer = format!("0\r\nx-amz-checksum-crc64nvme:{}\r\n\r\n", crc64nvme(data));
    out.extend_from_slice(trailer.as_bytes());
    out
}

#[test]
fn multipart_with_aws_chunked_and_plain_parts() {
    let s = Server::start(&["--discard", "--s3"]);
    let port = s.port;
    let obj = format!("/{BUCKET}/dir/obj.bin");

    let r = send(port, "POST", &format!("{obj}?uploads"), &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let id = between(&r.text(), "UploadId").to_string();

    let part1 = pattern(300_001, 7);
    let wire = aws_chunked(&part1);
    let r = send(
        port,
        "PUT",
        &format!("{obj}?partNumber=1&uploadId={id}"),
        &[
            ("Content-Encoding", "aws-chunked".into()),
            (
                "x-amz-content-sha256",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
            ),
            ("x-amz-decoded-content-length", part1.len().to_string()),
            ("x-amz-trailer", "x-amz-checksum-crc64nvme".into()),
        ],
        &wire,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let etag1 = r.etag();
    assert_eq!(
        r.header("x-amz-checksum-crc64nvme"),
        Some(crc64nvme(&part1).as_str())
    );

    let part2 = pattern(1234, 8);
    let r = send(
        port,
        "PUT",
        &format!("{obj}?partNumber=2&uploadId={id}"),
        &[],
        &part2,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let etag2 = r.etag();
    assert_ne!(etag1, etag2);

    // A decoded length that disagrees with the chunks is refused.
    let r = send(
        port,
        "PUT",
        &format!("{obj}?partNumber=3&uploadId={id}"),
        &[
            ("Content-Encoding", "aws-chunked".into()),
            ("x-amz-decoded-content-length", "10".into()),
        ],
        &aws_chunked(&[1u8; 9]),
    );
    assert_eq!(r.status, 400, "{}", r.text());

    let log = s.log();
    let parts: Vec<_> = log.iter().filter(|e| e["op"] == "UploadPart").collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[0]["body_bytes"],
        part1.len() as u64,
        "decoded, not wire, size"
    );
    assert!(wire.len() > part1.len());
    assert_eq!(parts[1]["body_bytes"], part2.len() as u64);

    // A wrong ETag in Complete is caught, the right ones complete the object.
    let xml = |e2: &str| {
        format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag1}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{e2}</ETag></Part></CompleteMultipartUpload>"
        )
    };
    let r = send(
        port,
        "POST",
        &format!("{obj}?uploadId={id}"),
        &[],
        xml("\"0\"").as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(between(&r.text(), "Code"), "InvalidPart");
    let r = send(
        port,
        "POST",
        &format!("{obj}?uploadId={id}"),
        &[],
        xml(&etag2).as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        between(&r.text(), "ETag").ends_with("-2&quot;"),
        "{}",
        r.text()
    );

    let r = send(port, "HEAD", &obj, &[], b"");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-length"),
        Some((part1.len() + part2.len()).to_string().as_str())
    );
    let r = send(
        port,
        "POST",
        &format!("{obj}?uploadId={id}"),
        &[],
        xml(&etag2).as_bytes(),
    );
    assert_eq!(between(&r.text(), "Code"), "NoSuchUpload");
    assert_eq!(
        send(port, "HEAD", &format!("/{BUCKET}/nope"), &[], b"").status,
        404
    );
    assert_eq!(send(port, "HEAD", "/no-such-bucket", &[], b"").status, 404);
}

/// A PutObject may announce aws-chunked by the payload marker alone, without
/// `Content-Encoding: aws-chunked` (as libtosupload did before its PutObject went plain), and
/// carry the caller's own encoding instead: the body is still decoded, not counted raw.
#[test]
fn put_object_aws_chunked_without_the_content_encoding_token() {
    let s = Server::start(&["--discard", "--s3"]);
    let port = s.port;
    let data = pattern(200_003, 9);
    let wire = aws_chunked(&data);
    for (name, encoding) in [("plain", None), ("gzipped", Some("gzip"))] {
        let mut headers = vec![
            (
                "x-amz-content-sha256",
                "STREAMING-UNSIGNED-PAYLOAD-TRAILER".to_string(),
            ),
            ("x-amz-decoded-content-length", data.len().to_string()),
            ("x-amz-trailer", "x-amz-checksum-crc64nvme".to_string()),
        ];
        if let Some(encoding) = encoding {
            headers.push(("Content-Encoding", encoding.to_string()));
        }
        let obj = format!("/{BUCKET}/{name}.bin");
        let r = send(port, "PUT", &obj, &headers, &wire);
        assert_eq!(r.status, 200, "{name}: {}", r.text());
        assert_eq!(
            r.header("x-amz-checksum-crc64nvme"),
            Some(crc64nvme(&data).as_str())
        );
        let r = send(port, "HEAD", &obj, &[], b"");
        assert_eq!(
            r.header("content-length"),
            Some(data.len().to_string().as_str()),
            "{name}: decoded size, not the {} bytes of framing",
            wire.len()
        );
    }
    let log = s.log();
    let puts: Vec<_> = log.iter().filter(|e| e["op"] == "PutObject").collect();
    assert_eq!(puts.len(), 2);
    assert!(puts.iter().all(|e| e["body_bytes"] == data.len() as u64));
}

/// libtosupload's PutObject: a plain body (`UNSIGNED-PAYLOAD`, Content-Length = the size)
/// with the object's CRC-64/NVME in `x-amz-checksum-crc64nvme`, echoed as S3 does, and the
/// caller's Content-Encoding, if any. The body is counted as it is, not decoded.
#[test]
fn put_object_plain_with_a_checksum_header() {
    let s = Server::start(&["--discard", "--s3"]);
    let port = s.port;
    let data = pattern(200_003, 7);
    for (name, encoding) in [("plain", None), ("gzipped", Some("gzip"))] {
        let mut headers = vec![
            ("x-amz-content-sha256", "UNSIGNED-PAYLOAD".to_string()),
            ("x-amz-checksum-crc64nvme", crc64nvme(&data)),
            ("x-amz-sdk-checksum-algorithm", "CRC64NVME".to_string()),
        ];
        if let Some(encoding) = encoding {
            headers.push(("Content-Encoding", encoding.to_string()));
        }
        let obj = format!("/{BUCKET}/{name}.bin");
        let r = send(port, "PUT", &obj, &headers, &data);
        assert_eq!(r.status, 200, "{name}: {}", r.text());
        assert_eq!(
            r.header("x-amz-checksum-crc64nvme"),
            Some(crc64nvme(&data).as_str())
        );
        let r = send(port, "HEAD", &obj, &[], b"");
        assert_eq!(
            r.header("content-length"),
            Some(data.len().to_string().as_str())
        );
    }
    let log = s.log();
    let puts: Vec<_> = log.iter().filter(|e| e["op"] == "PutObject").collect();
    assert_eq!(puts.len(), 2);
    assert!(puts.iter().all(|e| e["body_bytes"] == data.len() as u64));
}

/// HEAD and GET as S3 answers them: ranges, preconditions, and the stored CRC-64/NVME only
/// when asked for with `x-amz-checksum-mode: ENABLED`. No data is kept, so a GET that passes
/// its conditions is 501.
#[test]
fn head_and_get_ranges_preconditions_and_checksum() {
    let s = Server::start(&["--discard", "--s3"]);
    let port = s.port;
    let obj = format!("/{BUCKET}/c.bin");
    let sum = crc64nvme(&pattern(1000, 9));
    let put = send(
        port,
        "PUT",
        &obj,
        &[("x-amz-checksum-crc64nvme", sum.clone())],
        &pattern(1000, 9),
    );
    let etag = put.header("etag").unwrap().to_string();
    let head = |headers: &[(&str, String)]| send(port, "HEAD", &obj, headers, b"");
    let get = |headers: &[(&str, String)]| send(port, "GET", &obj, headers, b"");
    let with = |k: &'static str, v: &str| vec![(k, v.to_string())];

    let h = head(&[]);
    assert_eq!(h.status, 200);
    assert_eq!(h.header("etag"), Some(etag.as_str()));
    assert!(h.header("last-modified").is_some());
    assert_eq!(h.header("x-amz-checksum-crc64nvme"), None);
    let h = head(&with("x-amz-checksum-mode", "ENABLED"));
    assert_eq!(h.header("x-amz-checksum-crc64nvme"), Some(sum.as_str()));
    assert_eq!(h.header("x-amz-checksum-type"), Some("FULL_OBJECT"));

    let h = head(&with("range", "bytes=10-19"));
    assert_eq!(h.status, 206);
    assert_eq!(h.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(h.header("content-length"), Some("10"));
    let mut ranged_with_checksum = with("range", "bytes=10-19");
    ranged_with_checksum.push(("x-amz-checksum-mode", "ENABLED".into()));
    assert_eq!(
        head(&ranged_with_checksum).header("x-amz-checksum-crc64nvme"),
        None
    );
    let g = get(&with("range", "bytes=1000-"));
    assert_eq!(g.status, 416);
    assert!(
        g.text().contains("<Code>InvalidRange</Code>"),
        "{}",
        g.text()
    );
    assert_eq!(g.header("content-range"), Some("bytes */1000"));

    assert_eq!(head(&with("if-match", "\"other\"")).status, 412);
    assert!(get(&with("if-match", "\"other\""))
        .text()
        .contains("<Code>PreconditionFailed</Code>"));
    let r = get(&with("if-none-match", &etag));
    assert_eq!((r.status, r.body.len()), (304, 0));
    let lm = head(&[]).header("last-modified").unwrap().to_string();
    assert_eq!(head(&with("if-modified-since", &lm)).status, 304);
    assert_eq!(
        head(&with(
            "if-unmodified-since",
            "Mon, 01 Jan 2001 00:00:00 GMT"
        ))
        .status,
        412
    );
    assert_eq!(get(&with("if-match", &etag)).status, 501);

    let log = s.log();
    let ranged: Vec<_> = log.iter().filter(|e| !e["range"].is_null()).collect();
    assert_eq!(ranged.len(), 3);
    assert_eq!(ranged[0]["range"], "bytes=10-19");
}

#[test]
fn s3_needs_discard() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tos-local-server"))
        .arg("--s3")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every check a body declares is verified against its bytes, and the log says which it
/// declared; `--reject-trailers` answers an aws-chunked body 501 as R2 does, and
/// `--md5-etags` gives S3's ETags (MD5 of a part, MD5 of the parts' MD5s then `-N`).
#[test]
fn declared_checksums_are_verified_and_trailers_can_be_refused() {
    let s = Server::start(&["--discard", "--s3", "--reject-trailers", "--md5-etags"]);
    let port = s.port;
    let data = pattern(100_000, 3);
    let obj = format!("/{BUCKET}/checked.bin");
    let put = |headers: &[(&str, String)], body: &[u8]| send(port, "PUT", &obj, headers, body);
    let crc = |v: String| vec![("x-amz-checksum-crc64nvme", v)];
    assert_eq!(put(&crc(crc64nvme(&data)), &data).status, 200);
    let r = put(&crc(crc64nvme(b"other")), &data);
    assert_eq!((r.status, between(&r.text(), "Code")), (400, "BadDigest"));
    let r = put(&crc("not base64!".into()), &data);
    assert_eq!(
        (r.status, between(&r.text(), "Code")),
        (400, "InvalidDigest")
    );
    // MD5 of 100000 bytes of pattern 3 is unknown here; a wrong one is refused.
    let r = put(&[("Content-MD5", "JfnnlDI7RTiF9RgfG2JNCw==".into())], &data);
    assert_eq!((r.status, between(&r.text(), "Code")), (400, "BadDigest"));
    let r = put(
        &[("Content-MD5", "JfnnlDI7RTiF9RgfG2JNCw==".into())],
        b"123456789",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.etag(), "\"25f9e794323b453885f5181f1b624d0b\"");
    let chunked = [
        ("Content-Encoding", "aws-chunked".to_string()),
        (
            "x-amz-content-sha256",
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER".into(),
        ),
        ("x-amz-decoded-content-length", data.len().to_string()),
        ("x-amz-trailer", "x-amz-checksum-crc64nvme".into()),
    ];
    let r = put(&chunked, &aws_chunked(&data));
    assert_eq!(
        (r.status, between(&r.text(), "Code")),
        (501, "NotImplemented")
    );

    let r = send(port, "POST", &format!("{obj}?uploads"), &[], b"");
    let id = between(&r.text(), "UploadId").to_string();
    let part = format!("{obj}?partNumber=1&uploadId={id}");
    let r = send(port, "PUT", &part, &crc(crc64nvme(&data)), &data);
    assert_eq!(r.status, 200);
    let part_md5 = r.etag().trim_matches('"').to_string();
    assert_eq!(part_md5.len(), 32);
    let body = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part_md5}</ETag></Part></CompleteMultipartUpload>"
    );
    let r = send(
        port,
        "POST",
        &format!("{obj}?uploadId={id}"),
        &[],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let multipart = between(&r.text(), "ETag").replace("&quot;", "");
    let hex_md5 = |bytes: &[u8]| {
        use md5::Digest;
        hex::encode(md5::Md5::digest(bytes))
    };
    assert_eq!(
        multipart,
        format!("{}-1", hex_md5(&hex::decode(&part_md5).unwrap()))
    );

    let log = s.log();
    let declared: Vec<_> = log
        .iter()
        .filter(|e| e["op"] == "PutObject" || e["op"] == "UploadPart")
        .map(|e| {
            (
                e["status"].as_u64().unwrap(),
                e["checksum"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        declared,
        [
            (200, "header:x-amz-checksum-crc64nvme"),
            (400, "header:x-amz-checksum-crc64nvme"),
            (400, "header:x-amz-checksum-crc64nvme"),
            (400, "content-md5"),
            (200, "content-md5"),
            (501, "trailer:x-amz-checksum-crc64nvme"),
            (200, "header:x-amz-checksum-crc64nvme"),
        ]
    );
}

/// An upload created with `x-amz-checksum-algorithm: CRC64NVME` behaves as SeaweedFS's
/// (docs/s3-stores.md): each part's checksum is computed (and answered) even when the part
/// declared none, Complete requires every part's in its body (400 `InvalidRequest` without,
/// 400 `BadDigest` when wrong), and answers with the whole object's, `FULL_OBJECT`, which
/// HEAD gives when asked with `x-amz-checksum-mode: ENABLED`. Other algorithms are not
/// implemented, and CRC64NVME has no composite type.
#[test]
fn an_upload_created_with_crc64nvme_requires_part_checksums_and_answers_the_whole() {
    let s = Server::start(&["--discard", "--s3"]);
    let port = s.port;
    let obj = format!("/{BUCKET}/full.bin");
    let algorithm = |name: &str| vec![("x-amz-checksum-algorithm", name.to_string())];

    let r = send(
        port,
        "POST",
        &format!("{obj}?uploads"),
        &algorithm("CRC32C"),
        b"",
    );
    assert_eq!((r.status, r.text().contains("NotImplemented")), (501, true));
    let mut composite = algorithm("CRC64NVME");
    composite.push(("x-amz-checksum-type", "COMPOSITE".into()));
    let r = send(port, "POST", &format!("{obj}?uploads"), &composite, b"");
    assert_eq!((r.status, r.text().contains("InvalidRequest")), (400, true));

    let r = send(
        port,
        "POST",
        &format!("{obj}?uploads"),
        &algorithm("CRC64NVME"),
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let id = between(&r.text(), "UploadId").to_string();
    let (part1, part2) = (pattern(300_001, 8), pattern(1000, 9));
    let r = send(
        port,
        "PUT",
        &format!("{obj}?partNumber=1&uploadId={id}"),
        &[],
        &part1,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("x-amz-checksum-crc64nvme"),
        Some(crc64nvme(&part1).as_str())
    );
    let declared = [("x-amz-checksum-crc64nvme", crc64nvme(&part2))];
    let r = send(
        port,
        "PUT",
        &format!("{obj}?partNumber=2&uploadId={id}"),
        &declared,
        &part2,
    );
    assert_eq!(r.status, 200);
    let etag2 = r.header("etag").unwrap().to_string();
    let r = send(port, "GET", &format!("{obj}?uploadId={id}"), &[], b"");
    let etag1 = between(&r.text(), "ETag").replace("&quot;", "\"");

    let complete = |checksums: [Option<String>; 2]| {
        let parts: String = [(1, &etag1), (2, &etag2)]
            .iter()
            .zip(checksums)
            .map(|((n, etag), crc)| {
                let crc = crc.map_or(String::new(), |c| {
                    format!("<ChecksumCRC64NVME>{c}</ChecksumCRC64NVME>")
                });
                format!("<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag>{crc}</Part>")
            })
            .collect();
        let body = format!("<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>");
        send(
            port,
            "POST",
            &format!("{obj}?uploadId={id}"),
            &[],
            body.as_bytes(),
        )
    };
    let r = complete([Some(crc64nvme(&part1)), None]);
    assert_eq!(
        (r.status, r.text().contains("InvalidRequest")),
        (400, true),
        "{}",
        r.text()
    );
    let r = complete([Some(crc64nvme(&part1)), Some(crc64nvme(&part1))]);
    assert_eq!(
        (r.status, r.text().contains("BadDigest")),
        (400, true),
        "{}",
        r.text()
    );
    let r = complete([Some(crc64nvme(&part1)), Some(crc64nvme(&part2))]);
    assert_eq!(r.status, 200, "{}", r.text());
    let whole = crc64nvme(&[&part1[..], &part2[..]].concat());
    assert_eq!(between(&r.text(), "ChecksumCRC64NVME"), whole);
    assert_eq!(between(&r.text(), "ChecksumType"), "FULL_OBJECT");

    let mode = [("x-amz-checksum-mode", "ENABLED".to_string())];
    let r = send(port, "HEAD", &obj, &mode, b"");
    assert_eq!(r.header("x-amz-checksum-crc64nvme"), Some(whole.as_str()));
    assert_eq!(r.header("x-amz-checksum-type"), Some("FULL_OBJECT"));
    let r = send(port, "HEAD", &obj, &[], b"");
    assert_eq!(
        (r.status, r.header("x-amz-checksum-crc64nvme")),
        (200, None)
    );
}
