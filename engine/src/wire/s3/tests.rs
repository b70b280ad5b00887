use super::errors::retry_after_secs;
use super::*;
use crate::attributes::CreateAttributes;
use crate::config::Addressing;
use crate::error::ErrorKind;
use crate::wire::protocol::{CompletedPart, ObjectHead, Operation, SignedRequest};
use std::time::Duration;
use std::time::SystemTime;

fn protocol(endpoint: &str, addressing: Addressing) -> S3Protocol {
    let config = ClientConfig {
        endpoint: endpoint.to_string(),
        region: "cn-beijing".to_string(),
        access_key: "AKTEST".to_string(),
        secret_key: "SKTEST".to_string(),
        security_token: "TOKEN".to_string(),
        addressing,
        ..ClientConfig::new()
    };
    S3Protocol::new(&config).unwrap()
}

const NOW: Duration = Duration::from_secs(1_764_000_000);

fn signed(p: &S3Protocol, op: &Operation) -> SignedRequest {
    p.sign(op, std::time::UNIX_EPOCH + NOW).unwrap()
}

fn header<'a>(s: &'a SignedRequest, name: &str) -> Option<&'a str> {
    s.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn auto_addressing_is_virtual_hosted_except_for_ips_and_localhost() {
    let url = |endpoint: &str, addressing| {
        let p = protocol(endpoint, addressing);
        signed(
            &p,
            &p.abort_multipart_upload("mybucket", "a b+c/中?x&y=1.txt", "u/1="),
        )
        .url
    };
    assert_eq!(
        url("https://tos-s3-cn-beijing.volces.com", Addressing::Auto),
        "https://mybucket.tos-s3-cn-beijing.volces.com/a%20b%2Bc/%E4%B8%AD%3Fx%26y%3D1.txt?uploadId=u%2F1%3D"
    );
    assert_eq!(
        url("http://127.0.0.1:8333", Addressing::Auto),
        "http://127.0.0.1:8333/mybucket/a%20b%2Bc/%E4%B8%AD%3Fx%26y%3D1.txt?uploadId=u%2F1%3D"
    );
    assert!(url("http://localhost:8333/", Addressing::Auto)
        .starts_with("http://localhost:8333/mybucket/a%20b"));
    assert!(url("http://[::1]:8333", Addressing::Auto).starts_with("http://[::1]:8333/mybucket/"));
    assert!(url("https://s3.example.com:443", Addressing::PathStyle)
        .starts_with("https://s3.example.com/mybucket/a%20b"));
    assert!(url("http://cdn.example.com", Addressing::CustomDomain)
        .starts_with("http://cdn.example.com/a%20b"));
}

#[test]
fn dotted_buckets_stay_path_style_over_https() {
    let p = protocol("https://s3.example.com", Addressing::Auto);
    let op = p.head_object("my.bucket", "k");
    assert_eq!(signed(&p, &op).url, "https://s3.example.com/my.bucket/k");
}

#[test]
fn bad_endpoints_are_refused() {
    for endpoint in ["ftp://h", "http://h/path", "", "http://user@h"] {
        let config = ClientConfig {
            endpoint: endpoint.into(),
            ..ClientConfig::new()
        };
        let err = S3Protocol::new(&config).err().unwrap();
        assert_eq!(err.kind, ErrorKind::InvalidEndpoint, "{endpoint}");
    }
}

#[test]
fn create_signs_empty_payload_and_the_uploads_query() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let op = p.create_multipart_upload("mybucket", "dir/obj.bin", &CreateAttributes::default());
    let s = signed(&p, &op);
    assert_eq!(s.url, "http://127.0.0.1:8333/mybucket/dir/obj.bin?uploads=");
    assert_eq!(header(&s, "x-amz-date"), Some("20251124T160000Z"));
    assert_eq!(
        header(&s, "x-amz-content-sha256"),
        Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
    assert_eq!(header(&s, "x-amz-security-token"), Some("TOKEN"));
    let auth = header(&s, "authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKTEST/20251124/cn-beijing/s3/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="),
        "{auth}"
    );
    assert!(!s.headers.iter().any(|(_, v)| v.contains("SKTEST")));
}

#[test]
fn parts_travel_aws_chunked_with_a_checksum_trailer_and_ssec_headers() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let attrs = CreateAttributes {
        ssec_algorithm: Some("AES256".into()),
        ssec_key: Some("a2V5".into()),
        ssec_key_md5: Some("bWQ1".into()),
        ..CreateAttributes::default()
    };
    let s = signed(
        &p,
        &p.upload_part("mybucket", "k", "up", 3, 5, PayloadCheck::Trailer, &attrs),
    );
    assert!(s.url.ends_with("/mybucket/k?partNumber=3&uploadId=up"));
    assert_eq!(
        header(&s, "x-amz-content-sha256"),
        Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    );
    assert_eq!(header(&s, "x-amz-decoded-content-length"), Some("5"));
    assert_eq!(header(&s, "content-encoding"), Some("aws-chunked"));
    assert_eq!(
        header(&s, "x-amz-trailer"),
        Some("x-amz-checksum-crc64nvme")
    );
    // "5\r\n" + 5 bytes + "\r\n" + "0\r\n" + trailer line (25 + 12 + 2) + "\r\n"
    assert_eq!(header(&s, "content-length"), Some("54"));
    // The checksum comes last, in the trailer, not up front.
    assert_eq!(header(&s, "x-amz-checksum-crc64nvme"), None);
    assert_eq!(
        header(&s, "x-amz-server-side-encryption-customer-algorithm"),
        Some("AES256")
    );
}

/// Every mode but the trailer sends the plain bytes, unsigned, with its digest (if any) in a
/// signed header.
#[test]
fn parts_in_the_header_modes_go_plain_with_their_digest() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let attrs = CreateAttributes::default();
    let part = |check| {
        signed(
            &p,
            &p.upload_part("mybucket", "k", "up", 1, 9, check, &attrs),
        )
    };
    for check in [
        PayloadCheck::Crc64Nvme(0xae8b_1486_0a79_9888),
        PayloadCheck::ContentMd5([0x25; 16]),
        PayloadCheck::None,
    ] {
        let s = part(check);
        assert_eq!(header(&s, "content-length"), Some("9"));
        assert_eq!(header(&s, "x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
        for framing in [
            "content-encoding",
            "x-amz-trailer",
            "x-amz-decoded-content-length",
        ] {
            assert_eq!(header(&s, framing), None, "{check:?} {framing}");
        }
        let crc = header(&s, "x-amz-checksum-crc64nvme");
        let md5 = header(&s, "content-md5");
        match check {
            PayloadCheck::Crc64Nvme(_) => {
                assert_eq!((crc, md5), (Some("rosUhgp5mIg="), None));
                assert!(header(&s, "authorization")
                    .unwrap()
                    .contains("x-amz-checksum-crc64nvme"));
            }
            PayloadCheck::ContentMd5(_) => {
                assert_eq!((crc, md5), (None, Some("JSUlJSUlJSUlJSUlJSUlJQ==")));
                assert!(header(&s, "authorization").unwrap().contains("content-md5"));
            }
            _ => assert_eq!((crc, md5), (None, None)),
        }
    }
}

/// A PutObject goes plain (its Content-Encoding is the object's, so no aws-chunked token,
/// and no framing a store could take for the object's bytes), with the whole object's
/// CRC-64/NVME in a header for the store to verify; the caller's encoding goes out as given.
#[test]
fn put_object_is_plain_with_the_crc64_nvme_in_a_header() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    // CRC-64/NVME of "123456789" (its check value), base64 of its big-endian bytes.
    let crc = PayloadCheck::Crc64Nvme(0xae8b_1486_0a79_9888);
    let s = signed(
        &p,
        &p.put_object("mybucket", "k", 9, crc, &CreateAttributes::default()),
    );
    assert_eq!(header(&s, "content-encoding"), None);
    assert_eq!(header(&s, "x-amz-content-sha256"), Some("UNSIGNED-PAYLOAD"));
    assert_eq!(header(&s, "content-length"), Some("9"));
    assert_eq!(header(&s, "x-amz-checksum-crc64nvme"), Some("rosUhgp5mIg="));
    assert_eq!(
        header(&s, "x-amz-sdk-checksum-algorithm"),
        Some("CRC64NVME")
    );
    for framing in ["x-amz-decoded-content-length", "x-amz-trailer"] {
        assert_eq!(header(&s, framing), None, "{framing}");
    }
    // The checksum is signed, so a proxy cannot swap it along with the body.
    assert!(header(&s, "authorization").unwrap().contains(
        "content-length;content-type;host;x-amz-checksum-crc64nvme;x-amz-content-sha256"
    ));

    let gzip = CreateAttributes {
        content_encoding: Some("gzip".into()),
        ..CreateAttributes::default()
    };
    let s = signed(&p, &p.put_object("mybucket", "k", 9, crc, &gzip));
    let encodings: Vec<_> = s
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(encodings, ["gzip"]);
    assert!(p.checks_payloads());
}

#[test]
fn complete_carries_the_sha256_of_its_xml_body() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let parts = [CompletedPart {
        part_number: 1,
        etag: "\"e1\"".into(),
        crc64_nvme: None,
    }];
    let op = p.complete_multipart_upload("mybucket", "k", "up", &parts);
    let s = signed(&p, &op);
    assert_eq!(
        header(&s, "x-amz-content-sha256"),
        Some(sigv4::sha256_hex(&op.body).as_str())
    );
    assert_ne!(op.body.len(), 0);
}

#[test]
fn list_parts_pages_by_marker() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    assert!(signed(&p, &p.list_parts("mybucket", "k", "up", 0))
        .url
        .ends_with("?max-parts=1000&uploadId=up"));
    assert!(signed(&p, &p.list_parts("mybucket", "k", "up", 1000))
        .url
        .ends_with("?max-parts=1000&part-number-marker=1000&uploadId=up"));
}

#[test]
fn dot_segments_are_refused_rather_than_sent_as_another_key() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    for key in ["a/../b", "./a", "a/."] {
        let err = p.sign(&p.head_object("mybucket", key), SystemTime::now());
        assert_eq!(err.unwrap_err().kind, ErrorKind::InvalidKey, "{key}");
    }
    assert!(p
        .sign(&p.head_object("mybucket", "a/.b/..c"), SystemTime::now())
        .is_ok());
}

#[test]
fn anonymous_requests_are_not_signed() {
    let config = ClientConfig {
        endpoint: "http://127.0.0.1:8333".into(),
        ..ClientConfig::new()
    };
    let p = S3Protocol::new(&config).unwrap();
    let s = signed(&p, &p.head_object("mybucket", "k"));
    assert!(header(&s, "authorization").is_none());
}

fn response(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> Response {
    Response::from_pairs(
        status,
        headers.iter().copied(),
        bytes::Bytes::from_static(body),
    )
}

#[test]
fn error_documents_keep_every_field() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let op = p.abort_multipart_upload("b", "k", "u");
    let err = p.parse_error(
        &op,
        &response(
            503,
            &[("x-amz-request-id", "hdr-req"), ("Retry-After", "3")],
            b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message><RequestId>doc-req</RequestId><HostId>doc-host</HostId></Error>",
        ),
    );
    let d = err.server.unwrap();
    assert_eq!(
        (d.status, d.code.as_str(), d.message.as_str()),
        (503, "SlowDown", "Reduce your request rate.")
    );
    assert_eq!(
        (d.request_id.as_str(), d.host_id.as_str()),
        ("doc-req", "doc-host")
    );
    assert_eq!(d.retry_after_secs, Some(3));
}

#[test]
fn bodiless_errors_fall_back_to_headers() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let op = p.head_object("b", "k");
    let err = p.parse_error(
        &op,
        &response(
            404,
            &[("x-amz-request-id", "hdr-req"), ("x-amz-id-2", "hdr-host")],
            b"",
        ),
    );
    assert_eq!(err.kind, ErrorKind::Server);
    let d = err.server.unwrap();
    // A HEAD's 404 is a missing object, named as S3 SDKs name it (SeaweedFS sends no body).
    assert_eq!(d.code, "NoSuchKey");
    assert!(d.message.contains("does not exist"), "{}", d.message);
    assert_eq!(
        (d.request_id.as_str(), d.host_id.as_str()),
        ("hdr-req", "hdr-host")
    );
    // Other bodiless answers keep a code from their status.
    let err = p.parse_error(&op, &response(403, &[], b""));
    assert_eq!(err.server.unwrap().code, "Forbidden");
    let get = Operation::new("GetObject", "GET", "b", "k", 206);
    let err = p.parse_error(&get, &response(404, &[], b""));
    assert_eq!(err.server.unwrap().code, "NotFound");
    assert_eq!(retry_after_secs("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(
        retry_after_secs("Thursday, 01-Jan-70 00:00:00 GMT"),
        Some(0)
    );
    assert_eq!(retry_after_secs("Thu Jan  1 00:00:00 1970"), Some(0));
    assert_eq!(
        retry_after_secs("Fri, 01 Jan 2100 00:00:00 GMT").map(|s| s > 0),
        Some(true)
    );
    assert_eq!(retry_after_secs("soon"), None);
}

#[test]
fn complete_answered_200_with_an_error_body_is_an_error() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let err = p
        .parse_complete_multipart_upload(&response(
            200,
            &[],
            b"<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>r</RequestId><HostId>h</HostId></Error>",
        ))
        .unwrap_err();
    let d = err.server.unwrap();
    assert_eq!((d.status, d.code.as_str()), (200, "InternalError"));
    let ok = p
        .parse_complete_multipart_upload(&response(
            200,
            &[("x-amz-version-id", "v1"), ("x-amz-request-id", "r1")],
            b"<CompleteMultipartUploadResult><Location>l</Location><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>",
        ))
        .unwrap();
    assert_eq!(ok.etag, "\"e-2\"");
    assert_eq!(
        (ok.version_id.as_str(), ok.request_id.as_str()),
        ("v1", "r1")
    );
    assert_eq!(ok.crc64, None);
}

#[test]
fn head_object_reads_size_and_etag() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let head = p
        .parse_head_object(&response(
            200,
            &[("Content-Length", "10486784"), ("ETag", "\"abc-3\"")],
            b"",
        ))
        .unwrap();
    assert_eq!(
        head,
        ObjectHead {
            size: 10_486_784,
            etag: "\"abc-3\"".into(),
            crc64: None,
            crc64_nvme: None,
        }
    );
    assert!(p.parse_head_object(&response(200, &[], b"")).is_err());
}

#[test]
fn head_object_asks_for_the_checksum_and_reads_it() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    let op = p.head_object("bucket", "key");
    assert!(op
        .headers
        .contains(&("x-amz-checksum-mode".into(), "ENABLED".into())));
    let head = |checksum: &str| {
        p.parse_head_object(&response(
            200,
            &[
                ("Content-Length", "9"),
                ("x-amz-checksum-crc64nvme", checksum),
            ],
            b"",
        ))
        .unwrap()
        .crc64_nvme
    };
    assert_eq!(head("rosUhgp5mIg="), Some(0xae8b_1486_0a79_9888));
    // A composite multipart checksum or garbage proves nothing, and fails nothing.
    assert_eq!(head("rosUhgp5mIg=-2"), None);
    assert_eq!(head("%%%"), None);
}

#[test]
fn bucket_names_follow_s3_rules() {
    let p = protocol("http://127.0.0.1:8333", Addressing::Auto);
    for good in ["abc", "my-bucket.v2", "1bucket", &"a".repeat(63)] {
        assert!(p.check_bucket(good).is_ok(), "{good}");
    }
    for bad in [
        "ab",
        "-abc",
        "abc.",
        "a..b",
        "Upper",
        "under_score",
        "192.168.1.1",
        &"a".repeat(64),
    ] {
        assert_eq!(
            p.check_bucket(bad).unwrap_err().kind,
            ErrorKind::InvalidBucket,
            "{bad}"
        );
    }
    let custom = protocol("http://cdn.example.com", Addressing::CustomDomain);
    assert!(custom.check_bucket("").is_ok());
}
