//! TOS4-HMAC-SHA256 request signing (header form), docs/protocol.md §8.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "TOS4-HMAC-SHA256";
/// SHA-256 of the empty string: the payload hash when no `x-tos-content-sha256` is sent.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Percent-encodes everything except `A-Z a-z 0-9 - _ . ~` (and `/` when `keep_slash`),
/// with uppercase hex, as TOS's UriEncode.
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len() * 3 / 2);
    for &byte in input.as_bytes() {
        let unreserved = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && byte == b'/') {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[(byte >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(byte & 15) as usize]));
        }
    }
    out
}

pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
}

/// What is signed: the method, the already-encoded canonical path, the query pairs
/// (unencoded) and the headers to sign (lower-case names; must include `host` and `x-tos-date`).
pub struct SignInput<'a> {
    pub method: &'a str,
    pub canonical_path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    /// `yyyyMMddTHHmmssZ`
    pub date: &'a str,
}

/// Headers TOS expects to be signed: `host`, `content-type` and every `x-tos-*`.
pub fn is_signed_header(lower_name: &str) -> bool {
    lower_name == "host" || lower_name == "content-type" || lower_name.starts_with("x-tos")
}

pub fn canonical_request(input: &SignInput<'_>) -> (String, String) {
    let mut query: Vec<(String, String)> = input
        .query
        .iter()
        .filter(|(k, _)| k != "x-tos-signature")
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), collapse_whitespace(v)))
        .filter(|(k, _)| is_signed_header(k))
        .collect();
    headers.sort();
    let mut canonical_headers = String::new();
    for (name, value) in &headers {
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value);
        canonical_headers.push('\n');
    }
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let payload = headers
        .iter()
        .find(|(k, _)| k == "x-tos-content-sha256")
        .map(|(_, v)| v.as_str())
        .unwrap_or(EMPTY_PAYLOAD_SHA256);
    let path = if input.canonical_path.is_empty() {
        "/"
    } else {
        input.canonical_path
    };
    let request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method, path, canonical_query, canonical_headers, signed_headers, payload
    );
    (request, signed_headers)
}

fn collapse_whitespace(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Returns the `Authorization` header value.
pub fn authorization(creds: &Credentials<'_>, input: &SignInput<'_>) -> String {
    let (request, signed_headers) = canonical_request(input);
    let short_date = &input.date[..8.min(input.date.len())];
    let scope = format!("{short_date}/{}/tos/request", creds.region);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        input.date,
        hex(&Sha256::digest(request.as_bytes()))
    );
    let k_date = hmac(creds.secret_key.as_bytes(), short_date.as_bytes());
    let k_region = hmac(&k_date, creds.region.as_bytes());
    let k_service = hmac(&k_region, b"tos");
    let k_signing = hmac(&k_service, b"request");
    let signature = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
    format!(
        "{ALGORITHM} Credential={}/{scope},SignedHeaders={signed_headers},Signature={signature}",
        creds.access_key
    )
}

/// `yyyyMMddTHHmmssZ` for a Unix time, without pulling in a date crate.
pub fn format_tos_date(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let secs = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn vector_a_go_test_alg_v4() {
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "cn-north-1",
        };
        let hdrs = headers(&[
            ("Host", "test.tos.com:8080"),
            ("X-Tos-Date", "20210721T104454Z"),
        ]);
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
        };
        let hdrs = headers(&[
            ("Content-Type", "application/octet-stream"),
            ("Host", "mybucket.tos-cn-beijing.example.com"),
            ("x-tos-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-tos-date", "20261125T082352Z"),
            ("User-Agent", "not signed"),
        ]);
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
        };
        let hdrs = headers(&[
            ("Content-Type", "application/octet-stream"),
            ("Host", "127.0.0.1:18086"),
            ("X-Tos-Date", "20261125T082533Z"),
            ("X-Tos-Forbid-Overwrite", "false"),
        ]);
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
    fn uri_encode_is_strict_and_keeps_slash_only_in_paths() {
        assert_eq!(
            uri_encode("/mybucket/a b+c/中文?x&y=1.txt", true),
            "/mybucket/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt"
        );
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }

    #[test]
    fn tos_date_formatting() {
        assert_eq!(format_tos_date(0), "19700101T000000Z");
        assert_eq!(format_tos_date(1_626_864_294), "20210721T104454Z");
        assert_eq!(format_tos_date(1_951_460_632), "20311103T082352Z");
    }
}
