//! Property tests of everything in the wire layer that reads untrusted bytes (response bodies
//! and headers from the server, endpoints from the caller) or writes headers from the
//! caller's values: nothing panics, and what is accepted is well-formed.

use super::aws_chunked;
use super::protocol::{Protocol, Response};
use super::s3::S3Protocol;
use super::tos::TosProtocol;
use crate::attributes::CreateAttributes;
use crate::config::{Addressing, ClientConfig};
use bytes::Bytes;
use proptest::prelude::*;
use std::time::SystemTime;

fn config(endpoint: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.endpoint = endpoint.into();
    config.region = "cn-beijing".into();
    config.access_key = "AK".into();
    config.secret_key = "SK".into();
    config.addressing = Addressing::Auto;
    config
}

fn protocols() -> Vec<Box<dyn Protocol>> {
    let config = config("http://127.0.0.1:9000");
    vec![
        Box::new(TosProtocol::new(&config).unwrap()),
        Box::new(S3Protocol::new(&config).unwrap()),
    ]
}

fn response() -> impl Strategy<Value = Response> {
    let header = (
        prop::sample::select(vec![
            "etag",
            "x-tos-hash-crc64ecma",
            "content-length",
            "x-tos-request-id",
            "x-amz-request-id",
            "retry-after",
            "x-tos-version-id",
        ]),
        ".{0,40}",
    )
        .prop_map(|(k, v)| (k.to_string(), v));
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\\{\"[A-Za-z]{1,12}\":(\"[^\"]{0,20}\"|[0-9]{1,25}|null|\\[\\]|\\{\\})\\}"
            .prop_map(String::into_bytes),
        "<[A-Za-z]{1,20}>(<[A-Za-z]{1,12}>[^<]{0,20}</[A-Za-z]{1,12}>){0,4}</[A-Za-z]{1,20}>"
            .prop_map(String::into_bytes),
    ];
    (100u16..600, prop::collection::vec(header, 0..5), body).prop_map(|(status, headers, body)| {
        Response::from_pairs(status, headers, Bytes::from(body))
    })
}

fn attributes() -> impl Strategy<Value = CreateAttributes> {
    let text = || prop::option::of(".{0,24}");
    (
        text(),
        text(),
        text(),
        prop::collection::vec(("[ -~]{0,8}", ".{0,16}"), 0..3),
        text(),
    )
        .prop_map(
            |(content_type, cache_control, disposition, meta, tagging)| CreateAttributes {
                content_type,
                cache_control,
                content_disposition: disposition,
                meta,
                tagging,
                ..CreateAttributes::default()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn response_parsers_never_panic(response in response()) {
        for protocol in protocols() {
            let _ = protocol.parse_create_multipart_upload(&response);
            let _ = protocol.parse_upload_part(&response);
            let _ = protocol.parse_complete_multipart_upload(&response);
            let _ = protocol.parse_put_object(&response);
            let _ = protocol.parse_list_parts(&response);
            let _ = protocol.parse_head_object(&response);
            let op = protocol.abort_multipart_upload("bucket", "key", "id");
            let error = protocol.parse_error(&op, &response);
            prop_assert_eq!(error.http_status(), Some(response.status));
        }
    }

    #[test]
    fn accepted_attributes_make_only_valid_headers(attrs in attributes(), key in "[a-z/ ]{1,30}") {
        for protocol in protocols() {
            if attrs.check().and_then(|()| protocol.check_attributes(&attrs)).is_err() {
                continue;
            }
            let op = protocol.create_multipart_upload("bucket", &key, &attrs);
            let signed = protocol.sign(&op, SystemTime::now()).unwrap();
            for (name, value) in &signed.headers {
                prop_assert!(reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok(), "{name}");
                prop_assert!(reqwest::header::HeaderValue::from_str(value).is_ok(), "{name}: {value:?}");
            }
        }
    }

    #[test]
    fn endpoints_are_accepted_only_when_they_can_be_connected_to(endpoint in ".{0,40}") {
        let config = config(&endpoint);
        if TosProtocol::new(&config).is_ok() {
            // Surrounding whitespace is trimmed, as from a pasted environment variable.
            let trimmed = endpoint.trim();
            let url = if trimmed.contains("://") { trimmed.to_string() } else { format!("https://{trimmed}") };
            prop_assert!(reqwest::Url::parse(&url).is_ok(), "{endpoint:?}");
        }
    }

    #[test]
    fn aws_chunked_length_matches_the_frames(size in 0u64..(3 * aws_chunked::FRAME + 17)) {
        let frames = size.div_ceil(aws_chunked::FRAME);
        let mut encoded = 0u64;
        let mut left = size;
        for _ in 0..frames {
            let len = left.min(aws_chunked::FRAME);
            encoded += aws_chunked::frame_head(len as usize).len() as u64 + len + 2;
            left -= len;
        }
        encoded += aws_chunked::end(size).len() as u64;
        prop_assert_eq!(aws_chunked::encoded_len(size), encoded);
    }
}
