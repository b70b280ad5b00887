//! Signature Version 4, header form, for both protocols: S3's `AWS4-HMAC-SHA256` and TOS's
//! `TOS4-HMAC-SHA256`, which is the same algorithm under other names (docs/protocol.md §8).
//! The path is encoded once per segment and never normalised, and the payload hash is what
//! the caller declares (`x-amz-content-sha256` / `x-tos-content-sha256`).

use crate::error::{ErrorKind, Result, UploadError};
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::time::SystemTime;

/// What tells the two protocols' signatures apart.
pub struct Scheme {
    pub algorithm: &'static str,
    /// Prepended to the secret key before the first HMAC.
    pub secret_prefix: &'static str,
    /// The last element of the credential scope.
    pub terminator: &'static str,
    /// Between the parts of the Authorization header.
    pub separator: &'static str,
}

pub const AWS4: Scheme = Scheme {
    algorithm: "AWS4-HMAC-SHA256",
    secret_prefix: "AWS4",
    terminator: "aws4_request",
    separator: ", ",
};

pub const TOS4: Scheme = Scheme {
    algorithm: "TOS4-HMAC-SHA256",
    secret_prefix: "",
    terminator: "request",
    separator: ",",
};

/// SHA-256 of the empty string: the payload hash when none is declared.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// An aws-chunked body whose frames are not signed, with a checksum trailer.
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// The payload is not hashed into the signature (a store does not verify it anyway; a
/// checksum header protects the bytes instead).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// RFC 3986 unreserved characters stay; everything else, UTF-8 encoded, becomes `%XX`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// AWS `UriEncode` for one path segment, a query key or a query value.
pub fn encode(input: &str) -> String {
    utf8_percent_encode(input, UNRESERVED).to_string()
}

/// The canonical (and sent) path: every segment encoded once, `/` kept, nothing normalised,
/// because S3 keys may contain `//` and the signature must cover the key as stored.
pub fn encode_path(path: &str) -> String {
    let encoded: Vec<String> = path.split('/').map(encode).collect();
    let joined = encoded.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// The query string exactly as signed; the URL uses the same text so the two cannot differ.
pub fn canonical_query(query: &[(String, String)]) -> String {
    if query.is_empty() {
        return String::new();
    }
    let mut pairs: Vec<(String, String)> =
        query.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    /// `s3` or `tos` in production; the published test suite uses `service`.
    pub service: &'a str,
    /// Where the day's signing key is kept between requests made with these credentials.
    pub key_cache: Option<&'a SigningKeyCache>,
}

/// The signing key derived for one day. Deriving it takes four HMACs, more than the rest of
/// a small request's signature, and it changes only with the date, so every request of a
/// client with fixed credentials reuses it (the AWS SDKs keep it the same way). One cache
/// belongs to one set of credentials: the protocol that owns both.
#[derive(Default)]
pub struct SigningKeyCache {
    day: Mutex<Option<(String, [u8; 32])>>,
}

impl SigningKeyCache {
    fn key(&self, derive: impl FnOnce() -> [u8; 32], short_date: &str) -> [u8; 32] {
        let mut day = self.day.lock().unwrap_or_else(|e| e.into_inner());
        match &*day {
            Some((date, key)) if date == short_date => *key,
            _ => {
                let key = derive();
                *day = Some((short_date.to_string(), key));
                key
            }
        }
    }
}

pub struct SignInput<'a> {
    pub method: &'a str,
    /// Already encoded with `encode_path`.
    pub canonical_path: &'a str,
    /// Unencoded pairs.
    pub query: &'a [(String, String)],
    /// Every header to sign; must include `host` and `x-amz-date`.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload_hash: &'a str,
    /// `yyyyMMddTHHmmssZ`
    pub date: &'a str,
}

/// Every intermediate of a signature, so tests can compare each against the published suite.
pub struct Signature {
    // The intermediate strings are compared with the published test-suite vectors.
    #[cfg_attr(not(test), allow(dead_code))]
    pub canonical_request: String,
    #[cfg_attr(not(test), allow(dead_code))]
    pub string_to_sign: String,
    pub authorization: String,
}

pub fn sign(scheme: &Scheme, creds: &Credentials<'_>, input: &SignInput<'_>) -> Signature {
    // Every request is signed, small files' included: the strings are built in place, with
    // one allocation each, rather than through a `format!` per header.
    let headers = sorted_headers(input.headers);
    let mut canonical_request = String::with_capacity(256);
    for part in [input.method, "\n", input.canonical_path, "\n"] {
        canonical_request.push_str(part);
    }
    canonical_request.push_str(&canonical_query(input.query));
    canonical_request.push('\n');
    write_canonical_headers(&headers, &mut canonical_request);
    canonical_request.push('\n');
    let signed_headers_at = canonical_request.len();
    write_signed_headers(&headers, &mut canonical_request);
    let signed_headers_end = canonical_request.len();
    canonical_request.push('\n');
    canonical_request.push_str(input.payload_hash);

    let short_date = &input.date[..8.min(input.date.len())];
    let mut string_to_sign = String::with_capacity(160);
    for part in [scheme.algorithm, "\n", input.date, "\n"] {
        string_to_sign.push_str(part);
    }
    let scope_at = string_to_sign.len();
    for part in [short_date, "/", creds.region, "/", creds.service, "/"] {
        string_to_sign.push_str(part);
    }
    string_to_sign.push_str(scheme.terminator);
    let scope_end = string_to_sign.len();
    string_to_sign.push('\n');
    string_to_sign.push_str(&sha256_hex(canonical_request.as_bytes()));

    let derive = || signing_key(scheme, creds, short_date);
    let k_signing = match creds.key_cache {
        Some(cache) => cache.key(derive, short_date),
        None => derive(),
    };
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    let mut authorization = String::with_capacity(256);
    for part in [
        scheme.algorithm,
        " Credential=",
        creds.access_key,
        "/",
        &string_to_sign[scope_at..scope_end],
        scheme.separator,
        "SignedHeaders=",
        &canonical_request[signed_headers_at..signed_headers_end],
        scheme.separator,
        "Signature=",
        &signature,
    ] {
        authorization.push_str(part);
    }
    Signature {
        canonical_request,
        string_to_sign,
        authorization,
    }
}

/// Names lower-cased and sorted; a stable sort keeps repeated names in the order given.
fn sorted_headers<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(String, &'a str)> {
    let mut sorted: Vec<(String, &str)> = headers
        .iter()
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), *value))
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    sorted
}

/// `name:value\n` per name: values trimmed with inner runs of spaces collapsed, a repeated
/// name's values joined with `,`.
fn write_canonical_headers(sorted: &[(String, &str)], out: &mut String) {
    for (i, (name, value)) in sorted.iter().enumerate() {
        let repeats_previous = i > 0 && sorted[i - 1].0 == *name;
        if repeats_previous {
            out.pop(); // the previous value's '\n'
            out.push(',');
        } else {
            out.push_str(name);
            out.push(':');
        }
        for (n, word) in value.split_whitespace().enumerate() {
            if n > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
        out.push('\n');
    }
}

fn write_signed_headers(sorted: &[(String, &str)], out: &mut String) {
    for (i, (name, _)) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].0 == *name {
            continue;
        }
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
}

fn signing_key(scheme: &Scheme, creds: &Credentials<'_>, short_date: &str) -> [u8; 32] {
    let k_date = hmac(
        format!("{}{}", scheme.secret_prefix, creds.secret_key).as_bytes(),
        short_date.as_bytes(),
    );
    let k_region = hmac(&k_date, creds.region.as_bytes());
    let k_service = hmac(&k_region, creds.service.as_bytes());
    hmac(&k_service, scheme.terminator.as_bytes())
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The signing date (`yyyyMMddTHHmmssZ`, UTC) of a request made at `now`.
pub fn request_date(now: SystemTime) -> Result<String> {
    let at = jiff::Timestamp::try_from(now)
        .ok()
        .filter(|at| *at >= jiff::Timestamp::UNIX_EPOCH)
        .ok_or_else(|| {
            UploadError::new(
                ErrorKind::Internal,
                "the system clock is before 1970 or after 9999",
            )
        })?;
    Ok(at.strftime("%Y%m%dT%H%M%SZ").to_string())
}

/// The signing date of a Unix time, for the test vectors.
#[cfg(test)]
pub fn format_date(unix_secs: u64) -> String {
    request_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_secs))
        .expect("a test date lies within the years jiff knows")
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
