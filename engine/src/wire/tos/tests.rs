use super::json::Json;
use super::*;
use crate::attributes::CreateAttributes;
use crate::config::Addressing;
use crate::error::ErrorKind;
use crate::wire::documents::Documents;
use crate::wire::protocol::Response;
use bytes::Bytes;
use std::time::SystemTime;

fn protocol(endpoint: &str, addressing: Addressing) -> TosProtocol {
    let config = ClientConfig {
        endpoint: endpoint.to_string(),
        region: "cn-beijing".to_string(),
        access_key: "AKTEST".to_string(),
        secret_key: "SKTEST".to_string(),
        addressing,
        ..ClientConfig::new()
    };
    TosProtocol::new(&config).unwrap()
}

#[test]
fn ip_endpoints_use_path_style_and_names_use_virtual_hosts() {
    let op = |p: &TosProtocol| {
        let op = p.abort_multipart_upload("mybucket", "a b+c/中文?x&y=1.txt", "u1");
        p.sign(
            &op,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000),
        )
        .unwrap()
        .url
    };
    assert_eq!(
        op(&protocol("http://127.0.0.1:9000", Addressing::Auto)),
        "http://127.0.0.1:9000/mybucket/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt?uploadId=u1"
    );
    assert_eq!(
        op(&protocol("tos-cn-beijing.volces.com", Addressing::Auto)),
        "https://mybucket.tos-cn-beijing.volces.com/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt?uploadId=u1"
    );
    assert!(op(&protocol("http://[::1]:9000", Addressing::Auto))
        .starts_with("http://[::1]:9000/mybucket/"));
    assert!(op(&protocol(
        "http://cdn.example.com",
        Addressing::CustomDomain
    ))
    .starts_with("http://cdn.example.com/a%20b"));
    assert!(
        op(&protocol("http://localhost:9000", Addressing::PathStyle))
            .starts_with("http://localhost:9000/mybucket/")
    );
}

#[test]
fn signed_requests_carry_date_and_authorization_but_no_secret() {
    let p = protocol("http://127.0.0.1:9000", Addressing::Auto);
    let op = p.create_multipart_upload("mybucket", "dir/obj.bin", &CreateAttributes::default());
    let signed = p.sign(&op, SystemTime::now()).unwrap();
    let auth = &signed
        .headers
        .iter()
        .find(|(k, _)| k == "Authorization")
        .unwrap()
        .1;
    assert!(auth.starts_with("TOS4-HMAC-SHA256 Credential=AKTEST/"));
    assert!(auth.contains("SignedHeaders=content-type;host;x-tos-date;x-tos-forbid-overwrite,"));
    assert!(!signed.headers.iter().any(|(_, v)| v.contains("SKTEST")));
}

#[test]
fn bucket_names_follow_the_go_sdk_rules() {
    let p = protocol("http://127.0.0.1:9000", Addressing::Auto);
    assert!(p.check_bucket("my-bucket-1").is_ok());
    for bad in [
        "ab",
        "-abc",
        "abc-",
        "Upper",
        "under_score",
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

#[test]
fn error_bodies_keep_every_field() {
    let p = protocol("http://127.0.0.1:9000", Addressing::Auto);
    let op = p.abort_multipart_upload("b", "k", "u");
    let response = Response::from_pairs(
        404,
        [("x-tos-request-id", "req-1"), ("Retry-After", "2")],
        Bytes::from_static(
            br#"{"Code":"NoSuchUpload","Message":"gone","HostId":"h","EC":"0005-00000044"}"#,
        ),
    );
    let err = p.parse_error(&op, &response);
    let detail = err.server.unwrap();
    assert_eq!(detail.status, 404);
    assert_eq!(detail.code, "NoSuchUpload");
    assert_eq!(detail.request_id, "req-1");
    assert_eq!(detail.ec, "0005-00000044");
    assert_eq!(detail.retry_after_secs, Some(2));
}

#[test]
fn a_tos_page_gives_keys_ids_times_and_the_next_marker() {
    let page = Json
        .uploads_page(
            br#"{"Bucket":"b","IsTruncated":true,"NextKeyMarker":"k2","NextUploadIdMarker":"u2",
            "Uploads":[{"Key":"k1","UploadId":"u1","Initiated":"2026-11-30T02:30:11.000Z",
            "StorageClass":"STANDARD","Owner":{"ID":"x"}},
            {"Key":"k2","UploadId":"u2","Initiated":"garbage"}]}"#,
        )
        .unwrap();
    assert_eq!(page.uploads.len(), 2);
    assert_eq!(page.uploads[0].initiated, Some(1_796_005_811));
    assert_eq!(page.uploads[1].initiated, None);
    assert_eq!(page.next_marker.unwrap().upload_id, "u2");
    assert!(Json
        .uploads_page(br#"{"Uploads":[{"Key":"","UploadId":"u"}]}"#)
        .is_err());
    assert!(Json.uploads_page(br#"{"Uploads":7}"#).is_err());
    assert!(Json.uploads_page(b"<xml/>").is_err());
    assert!(Json.uploads_page(b"{}").unwrap().uploads.is_empty());
}

#[test]
fn list_objects_v2_pages_are_read_from_json() {
    let body = br#"{"Name":"b","Prefix":"p/","KeyCount":2,"IsTruncated":true,
        "NextContinuationToken":"tok","CommonPrefixes":[],
        "Contents":[{"Key":"p/a","Size":3,"ETag":"\"e1\"","HashCrc64ecma":"123"},
                    {"Key":"p/b/","Size":0,"ETag":"\"e2\""}]}"#;
    let page = Json.objects_page(body).unwrap();
    assert_eq!(page.next_token.as_deref(), Some("tok"));
    assert_eq!(page.objects.len(), 2);
    assert_eq!(page.objects[0].key, "p/a");
    assert_eq!(page.objects[0].size, 3);
    assert_eq!(page.objects[0].etag, "\"e1\"");
    assert_eq!(page.objects[0].crc64, Some(123));
    assert_eq!(page.objects[1].crc64, None);
    let last = Json
        .objects_page(br#"{"IsTruncated":false,"Contents":null}"#)
        .unwrap();
    assert!(last.objects.is_empty() && last.next_token.is_none());
    assert!(Json.objects_page(br#"{"IsTruncated":true}"#).is_err());
    assert!(Json
        .objects_page(br#"{"Contents":[{"Key":"a","HashCrc64ecma":"x"}]}"#)
        .is_err());
    assert!(Json.objects_page(br#"{"Contents":[{"Size":1}]}"#).is_err());
    let bare = br#"{"Contents":[{"Key":"a","HashCrc64ecma":18446744073709551615},
                                {"Key":"b","HashCrc64ecma":null}]}"#;
    let crcs: Vec<Option<u64>> = (Json.objects_page(bare).unwrap().objects.iter())
        .map(|o| o.crc64)
        .collect();
    assert_eq!(crcs, [Some(u64::MAX), None]);
}
