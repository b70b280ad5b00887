//! TOS4-HMAC-SHA256 request signing (header form), docs/protocol.md §8: Signature V4 under
//! TOS's names (`wire::sigv4`), signing only `host`, `content-type` and the `x-tos-*` headers,
//! with the payload hash the request declares in `x-tos-content-sha256`.

use crate::wire::sigv4::{self, EMPTY_PAYLOAD_SHA256, TOS4};

pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    pub key_cache: Option<&'a sigv4::SigningKeyCache>,
}

pub struct SignInput<'a> {
    pub method: &'a str,
    /// Already encoded (`sigv4::encode_path`).
    pub canonical_path: &'a str,
    pub query: &'a [(String, String)],
    /// Every header of the request; the ones TOS signs are picked here.
    pub headers: &'a [(&'a str, &'a str)],
    pub date: &'a str,
}

fn is_signed_header(lower_name: &str) -> bool {
    lower_name == "host" || lower_name == "content-type" || lower_name.starts_with("x-tos")
}

pub fn authorization(creds: &Credentials<'_>, input: &SignInput<'_>) -> String {
    let signed: Vec<(&str, &str)> = input
        .headers
        .iter()
        .filter(|(name, _)| is_signed_header(&name.to_ascii_lowercase()))
        .copied()
        .collect();
    let payload = signed
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-tos-content-sha256"))
        .map_or(EMPTY_PAYLOAD_SHA256, |(_, value)| *value);
    let creds = sigv4::Credentials {
        access_key: creds.access_key,
        secret_key: creds.secret_key,
        region: creds.region,
        service: "tos",
        key_cache: creds.key_cache,
    };
    let input = sigv4::SignInput {
        method: input.method,
        canonical_path: input.canonical_path,
        query: input.query,
        headers: &signed,
        payload_hash: payload,
        date: input.date,
    };
    sigv4::sign(&TOS4, &creds, &input).authorization
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_a_go_test_alg_v4() {
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "cn-north-1",
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
