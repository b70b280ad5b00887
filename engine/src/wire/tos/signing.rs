//! TOS4-HMAC-SHA256 request signing (header form), docs/protocol.md §8: Signature V4 under
//! TOS's names (`wire::sigv4`), signing only `host`, `content-type` and the `x-tos-*` headers,
//! with the payload hash the request declares in `x-tos-content-sha256` (else the empty one).

use crate::wire::signer::Signing;
use crate::wire::sigv4::TOS4;

pub(super) const SIGNING: Signing = Signing {
    scheme: &TOS4,
    service: "tos",
    date_header: "x-tos-date",
    security_token_header: "x-tos-security-token",
    content_sha256_header: "x-tos-content-sha256",
    signs_header: Some(is_signed_header),
    hash_undeclared_body: false,
};

fn is_signed_header(lower_name: &str) -> bool {
    lower_name == "host" || lower_name == "content-type" || lower_name.starts_with("x-tos")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::signer;
    use crate::wire::sigv4::{self, Credentials, SignInput, EMPTY_PAYLOAD_SHA256};

    fn authorization(creds: &Credentials<'_>, input: &SignInput<'_>) -> String {
        signer::authorization(&SIGNING, creds, input)
    }

    #[test]
    fn vector_a_go_test_alg_v4() {
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "cn-north-1",
            service: "tos",
            key_cache: None,
        };
        let hdrs = [
            ("Host", "test.tos.com:8080"),
            ("X-Tos-Date", "20210721T104454Z"),
        ];
        let input = SignInput {
            method: "GET",
            canonical_path: "/test.txt",
            query: &[],
            headers: &hdrs,
            payload_hash: EMPTY_PAYLOAD_SHA256,
            date: "20210721T104454Z",
        };
        assert_eq!(
            authorization(&creds, &input),
            "TOS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20210721/cn-north-1/tos/request,\
             SignedHeaders=host;x-tos-date,\
             Signature=3453b54ecfc50e6ed3fc15cbdb82f8a18d644063302080fb18ee10daa4f1a23f"
        );
    }

    #[test]
    fn vector_b_python_create_multipart_upload() {
        let creds = Credentials {
            access_key: "AKTEST",
            secret_key: "SKTEST",
            region: "cn-beijing",
            service: "tos",
            key_cache: None,
        };
        let hdrs = [
            ("Content-Type", "application/octet-stream"),
            ("Host", "mybucket.tos-cn-beijing.example.com"),
            ("x-tos-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-tos-date", "20261125T082352Z"),
            ("User-Agent", "not signed"),
        ];
        let query = vec![("uploads".to_string(), String::new())];
        let input = SignInput {
            method: "POST",
            canonical_path: "/dir/obj.bin",
            query: &query,
            headers: &hdrs,
            payload_hash: "UNSIGNED-PAYLOAD",
            date: "20261125T082352Z",
        };
        assert!(authorization(&creds, &input).ends_with(
            "Signature=753e9bc9a198d06edfc3ade5dfd3b32b32a8e1c5bcb2c977011fd16c61c39056"
        ));
    }

    #[test]
    fn vector_c_go_path_style() {
        let creds = Credentials {
            access_key: "AKTEST",
            secret_key: "SKTEST",
            region: "cn-beijing",
            service: "tos",
            key_cache: None,
        };
        let hdrs = [
            ("Content-Type", "application/octet-stream"),
            ("Host", "127.0.0.1:18086"),
            ("X-Tos-Date", "20261125T082533Z"),
            ("X-Tos-Forbid-Overwrite", "false"),
        ];
        let query = vec![("uploads".to_string(), String::new())];
        let input = SignInput {
            method: "POST",
            canonical_path: "/mybucket/dir/obj.bin",
            query: &query,
            headers: &hdrs,
            payload_hash: EMPTY_PAYLOAD_SHA256,
            date: "20261125T082533Z",
        };
        let auth = authorization(&creds, &input);
        assert!(auth.contains("SignedHeaders=content-type;host;x-tos-date;x-tos-forbid-overwrite,"));
        assert!(auth.ends_with(
            "Signature=024d96eb9a496fccd841f9839d9e5e4c509f36c72ef2d92ad78ea0e3fb45f5fc"
        ));
    }

    #[test]
    fn paths_are_encoded_strictly_keeping_only_the_slash() {
        assert_eq!(
            sigv4::encode_path("/mybucket/a b+c/中文?x&y=1.txt"),
            "/mybucket/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt"
        );
        assert_eq!(sigv4::encode("a/b"), "a%2Fb");
    }

    #[test]
    fn date_formatting() {
        assert_eq!(sigv4::format_date(0), "19700101T000000Z");
        assert_eq!(sigv4::format_date(1_626_864_294), "20210721T104454Z");
        assert_eq!(sigv4::format_date(1_951_460_632), "20311103T082352Z");
    }
}
