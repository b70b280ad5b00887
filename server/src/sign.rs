//! Verification of `TOS4-HMAC-SHA256` header signatures (docs/protocol.md §8),
//! written independently of the client library so each can catch the other's bugs.

use hmac::{Hmac, Mac};
use hyper::HeaderMap;
use sha2::{Digest, Sha256};

use crate::util::{hex, parse_tos_date};

pub const ALGORITHM: &str = "TOS4-HMAC-SHA256";
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
pub const MAX_SKEW_SECS: i64 = 15 * 60;

#[derive(Debug, PartialEq)]
pub enum AuthError {
    Missing,
    Malformed(String),
    UnknownKey,
    Skewed,
    Mismatch(String),
    /// Refused before its signature was looked at, with this code (`sts::refusal`).
    Refused(&'static str),
    /// A presigned URL used after its `X-Tos-Date` + `X-Tos-Expires`.
    Expired,
}

/// Percent-decodes once. `+` stays `+`: TOS paths never use form encoding.
pub fn percent_decode(s: &str) -> Vec<u8> {
    percent_encoding::percent_decode_str(s).collect()
}

/// Strict UriEncode: only unreserved characters (and `/` when asked) stay raw.
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        let raw = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/');
        if raw {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Clients put looser encodings on the wire than they sign (Go leaves `+&=` raw),
/// so normalise by decoding once and re-encoding strictly.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_string();
    }
    uri_encode(&percent_decode(raw_path), true)
}

/// Query strings are form-encoded by the SDKs, so `+` means space here.
pub fn decode_query_part(s: &str) -> Vec<u8> {
    percent_decode(&s.replace('+', " "))
}

pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&decode_query_part(k)).into_owned(),
                String::from_utf8_lossy(&decode_query_part(v)).into_owned(),
            )
        })
        .collect()
}

pub fn canonical_query(raw: &str) -> String {
    let mut pairs: Vec<(String, String)> = parse_query(raw)
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("x-tos-signature"))
        .map(|(k, v)| {
            (
                uri_encode(k.as_bytes(), false),
                uri_encode(v.as_bytes(), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("hmac takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn signing_key(sk: &str, short_date: &str, region: &str) -> Vec<u8> {
    let k = hmac(sk.as_bytes(), short_date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, b"tos");
    hmac(&k, b"request")
}

pub fn string_to_sign(date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    )
}

pub fn sign(sk: &str, short_date: &str, region: &str, sts: &str) -> String {
    hex(&hmac(&signing_key(sk, short_date, region), sts.as_bytes()))
}

fn header_values(headers: &HeaderMap, name: &str, collapse: bool) -> String {
    headers
        .get_all(name)
        .iter()
        .map(|v| {
            let s = String::from_utf8_lossy(v.as_bytes());
            if collapse {
                s.split_whitespace().collect::<Vec<_>>().join(" ")
            } else {
                s.trim().to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub struct Request<'a> {
    pub method: &'a str,
    pub raw_path: &'a str,
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
}

pub fn canonical_request(req: &Request, signed: &[&str], collapse: bool) -> String {
    let payload = req
        .headers
        .get("x-tos-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(EMPTY_SHA256);
    canonical_request_with(req, signed, collapse, payload)
}

/// The canonical request with the payload hash given: a presigned URL signs
/// `UNSIGNED-PAYLOAD` where a header signature signs `x-tos-content-sha256`.
pub fn canonical_request_with(
    req: &Request,
    signed: &[&str],
    collapse: bool,
    payload: &str,
) -> String {
    let mut headers = String::new();
    for name in signed {
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&header_values(req.headers, name, collapse));
        headers.push('\n');
    }
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.raw_path),
        canonical_query(req.raw_query),
        headers,
        signed.join(";"),
        payload
    )
}

#[cfg(test)]
pub struct Credentials<'a> {
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
}

struct ParsedAuth<'a> {
    ak: &'a str,
    date: &'a str,
    region: &'a str,
    signed: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<ParsedAuth<'_>, AuthError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .ok_or_else(|| AuthError::Malformed("unsupported algorithm".into()))?;
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for item in rest.split(',') {
        let item = item.trim();
        if let Some(v) = item.strip_prefix("Credential=") {
            cred = Some(v);
        } else if let Some(v) = item.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = item.strip_prefix("Signature=") {
            sig = Some(v);
        }
    }
    let missing = || AuthError::Malformed("incomplete Authorization header".into());
    let (cred, signed, signature) = (
        cred.ok_or_else(missing)?,
        signed.ok_or_else(missing)?,
        sig.ok_or_else(missing)?,
    );
    let parts: Vec<&str> = cred.split('/').collect();
    if parts.len() != 5 || parts[3] != "tos" || parts[4] != "request" {
        return Err(AuthError::Malformed("bad credential scope".into()));
    }
    Ok(ParsedAuth {
        ak: parts[0],
        date: parts[1],
        region: parts[2],
        signed: signed.split(';').collect(),
        signature,
    })
}

#[cfg(test)]
pub fn verify(req: &Request, creds: &Credentials, now_secs: i64) -> Result<(), AuthError> {
    verify_with(req, now_secs, |ak| {
        Ok((ak == creds.access_key)
            .then(|| (creds.secret_key.to_string(), creds.region.to_string())))
    })
}

/// `verify` with the secret key (and region) of each access key looked up by `secret_of`,
/// which may refuse the key itself (an expired token).
pub fn verify_with(
    req: &Request,
    now_secs: i64,
    secret_of: impl FnOnce(&str) -> Result<Option<(String, String)>, AuthError>,
) -> Result<(), AuthError> {
    let auth = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Missing)?;
    let parsed = parse_authorization(auth)?;
    let Some((secret_key, region)) = secret_of(parsed.ak)? else {
        return Err(AuthError::UnknownKey);
    };
    let creds = (secret_key.as_str(), region.as_str());
    let date = req
        .headers
        .get("x-tos-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AuthError::Malformed("missing x-tos-date".into()))?;
    let secs = parse_tos_date(date).ok_or_else(|| AuthError::Malformed("bad x-tos-date".into()))?;
    if (secs - now_secs).abs() > MAX_SKEW_SECS {
        return Err(AuthError::Skewed);
    }
    if !date.starts_with(parsed.date) || parsed.date.len() != 8 {
        return Err(AuthError::Mismatch(
            "credential date differs from x-tos-date".into(),
        ));
    }
    if parsed.region != creds.1 {
        return Err(AuthError::Mismatch(format!(
            "credential region {} is not {}",
            parsed.region, creds.1
        )));
    }
    let scope = format!("{}/{}/tos/request", parsed.date, parsed.region);
    // Go collapses whitespace inside header values before signing, Python does not;
    // try both rather than reject one SDK.
    let mut last = String::new();
    for collapse in [true, false] {
        let creq = canonical_request(req, &parsed.signed, collapse);
        let sts = string_to_sign(date, &scope, &creq);
        if sign(creds.0, parsed.date, parsed.region, &sts) == parsed.signature {
            return Ok(());
        }
        last = creq;
    }
    Err(AuthError::Mismatch(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    fn sig_for(req: &Request, signed: &[&str], sk: &str, date: &str, region: &str) -> String {
        let creq = canonical_request(req, signed, true);
        let scope = format!("{}/{region}/tos/request", &date[..8]);
        sign(sk, &date[..8], region, &string_to_sign(date, &scope, &creq))
    }

    #[test]
    fn vector_a() {
        let h = headers(&[
            ("host", "test.tos.com:8080"),
            ("x-tos-date", "20210721T104454Z"),
        ]);
        let req = Request {
            method: "GET",
            raw_path: "/test.txt",
            raw_query: "",
            headers: &h,
        };
        let signed = ["host", "x-tos-date"];
        assert_eq!(
            canonical_request(&req, &signed, true),
            "GET\n/test.txt\n\nhost:test.tos.com:8080\nx-tos-date:20210721T104454Z\n\nhost;x-tos-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let sk = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let sig = sig_for(&req, &signed, sk, "20210721T104454Z", "cn-north-1");
        assert_eq!(
            sig,
            "3453b54ecfc50e6ed3fc15cbdb82f8a18d644063302080fb18ee10daa4f1a23f"
        );

        let mut h2 = h.clone();
        let auth = format!(
            "TOS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20210721/cn-north-1/tos/request,SignedHeaders=host;x-tos-date,Signature={sig}"
        );
        h2.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        let req2 = Request {
            headers: &h2,
            ..req
        };
        let creds = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: sk,
            region: "cn-north-1",
        };
        let at = parse_tos_date("20210721T104454Z").unwrap();
        assert_eq!(verify(&req2, &creds, at), Ok(()));
        assert_eq!(verify(&req2, &creds, at + 16 * 60), Err(AuthError::Skewed));
        let wrong = Credentials {
            secret_key: "nope",
            ..creds
        };
        assert!(matches!(
            verify(&req2, &wrong, at),
            Err(AuthError::Mismatch(_))
        ));
        let other = Credentials {
            access_key: "OTHER",
            ..wrong
        };
        assert_eq!(verify(&req2, &other, at), Err(AuthError::UnknownKey));
    }

    #[test]
    fn vector_b_python_style() {
        let date = "20261125T082352Z";
        let h = headers(&[
            ("content-type", "application/octet-stream"),
            ("host", "mybucket.tos-cn-beijing.example.com"),
            ("x-tos-content-sha256", "UNSIGNED-PAYLOAD"),
            ("x-tos-date", date),
        ]);
        let req = Request {
            method: "POST",
            raw_path: "/dir/obj.bin",
            raw_query: "uploads=",
            headers: &h,
        };
        let signed = ["content-type", "host", "x-tos-content-sha256", "x-tos-date"];
        assert_eq!(
            canonical_request(&req, &signed, true),
            "POST\n/dir/obj.bin\nuploads=\ncontent-type:application/octet-stream\n\
             host:mybucket.tos-cn-beijing.example.com\nx-tos-content-sha256:UNSIGNED-PAYLOAD\n\
             x-tos-date:20261125T082352Z\n\ncontent-type;host;x-tos-content-sha256;x-tos-date\nUNSIGNED-PAYLOAD"
        );
        assert_eq!(
            sig_for(&req, &signed, "SKTEST", date, "cn-beijing"),
            "753e9bc9a198d06edfc3ade5dfd3b32b32a8e1c5bcb2c977011fd16c61c39056"
        );
        // Python's separator style is ", ".
        let mut h2 = h.clone();
        let auth = format!(
            "TOS4-HMAC-SHA256 Credential=AKTEST/20261125/cn-beijing/tos/request, SignedHeaders={}, Signature=753e9bc9a198d06edfc3ade5dfd3b32b32a8e1c5bcb2c977011fd16c61c39056",
            signed.join(";")
        );
        h2.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        let creds = Credentials {
            access_key: "AKTEST",
            secret_key: "SKTEST",
            region: "cn-beijing",
        };
        let req2 = Request {
            headers: &h2,
            ..req
        };
        assert_eq!(verify(&req2, &creds, parse_tos_date(date).unwrap()), Ok(()));
    }

    #[test]
    fn vector_c_go_path_style() {
        let date = "20261125T082533Z";
        let h = headers(&[
            ("content-type", "application/octet-stream"),
            ("host", "127.0.0.1:18086"),
            ("x-tos-date", date),
            ("x-tos-forbid-overwrite", "false"),
        ]);
        let req = Request {
            method: "POST",
            raw_path: "/mybucket/dir/obj.bin",
            raw_query: "uploads=",
            headers: &h,
        };
        let signed = [
            "content-type",
            "host",
            "x-tos-date",
            "x-tos-forbid-overwrite",
        ];
        assert_eq!(
            sig_for(&req, &signed, "SKTEST", date, "cn-beijing"),
            "024d96eb9a496fccd841f9839d9e5e4c509f36c72ef2d92ad78ea0e3fb45f5fc"
        );
    }

    #[test]
    fn canonical_uri_normalises_wire_encoding() {
        assert_eq!(
            canonical_uri("/mybucket/a%20b+c/%E4%B8%AD%E6%96%87%3Fx&y=1.txt"),
            "/mybucket/a%20b%2Bc/%E4%B8%AD%E6%96%87%3Fx%26y%3D1.txt"
        );
        assert_eq!(canonical_uri("/a%2fb"), "/a/b");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/~a_b-c.d"), "/~a_b-c.d");
        assert_eq!(uri_encode("a/b c".as_bytes(), false), "a%2Fb%20c");
    }

    #[test]
    fn canonical_query_sorts_and_encodes() {
        assert_eq!(
            canonical_query("uploadId=abc&partNumber=1"),
            "partNumber=1&uploadId=abc"
        );
        assert_eq!(canonical_query("uploads"), "uploads=");
        assert_eq!(canonical_query("prefix=a+b%2Fc"), "prefix=a%20b%2Fc");
    }
}
