//! Query-string signatures (presigned URLs, docs/protocol.md §8.5): the same
//! `TOS4-HMAC-SHA256` signer as header signatures, its inputs taken from `X-Tos-*` query
//! parameters, the payload signed as `UNSIGNED-PAYLOAD`, and a lifetime of its own.

use crate::sign::{
    canonical_request_with, parse_query, sign, string_to_sign, uri_encode, AuthError, Request,
    ALGORITHM, MAX_SKEW_SECS,
};
use crate::util::parse_tos_date;

/// As TOS: a URL may be valid for at most seven days.
pub const MAX_EXPIRES_SECS: i64 = 7 * 24 * 3600;

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A request is presigned when its query carries a signature; it then has no
/// `Authorization` header to fall back on.
pub fn is_presigned(raw_query: &str) -> bool {
    parse_query(raw_query)
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-tos-signature"))
}

/// The security token of a presigned URL, for the STS credential lookup.
pub fn security_token(raw_query: &str) -> Option<String> {
    param(&parse_query(raw_query), "x-tos-security-token").map(str::to_string)
}

/// The access key a presigned URL names, for the request log.
pub fn access_key(raw_query: &str) -> Option<String> {
    let query = parse_query(raw_query);
    let credential = param(&query, "x-tos-credential")?;
    Some(credential.split('/').next()?.to_string())
}

/// Verifies a presigned request. `secret_of` is the header path's lookup (secret key and
/// region of an access key, or a refusal of the key).
pub fn verify_query(
    req: &Request,
    now_secs: i64,
    secret_of: impl FnOnce(&str) -> Result<Option<(String, String)>, AuthError>,
) -> Result<(), AuthError> {
    let query = parse_query(req.raw_query);
    let need = |name: &str| {
        param(&query, name).ok_or_else(|| AuthError::Malformed(format!("missing {name}")))
    };
    if need("X-Tos-Algorithm")? != ALGORITHM {
        return Err(AuthError::Malformed("unsupported algorithm".into()));
    }
    let credential = need("X-Tos-Credential")?;
    let date = need("X-Tos-Date")?;
    let expires = need("X-Tos-Expires")?;
    let signed: Vec<&str> = need("X-Tos-SignedHeaders")?.split(';').collect();
    let signature = need("X-Tos-Signature")?;

    let scope: Vec<&str> = credential.split('/').collect();
    if scope.len() != 5 || scope[3] != "tos" || scope[4] != "request" {
        return Err(AuthError::Malformed("bad credential scope".into()));
    }
    let (ak, short_date, region) = (scope[0], scope[1], scope[2]);
    let expires: i64 = expires
        .parse()
        .ok()
        .filter(|e| (1..=MAX_EXPIRES_SECS).contains(e))
        .ok_or_else(|| {
            AuthError::Malformed(format!(
                "X-Tos-Expires must be 1 to {MAX_EXPIRES_SECS} seconds"
            ))
        })?;
    let signed_at =
        parse_tos_date(date).ok_or_else(|| AuthError::Malformed("bad X-Tos-Date".into()))?;
    // Judged before the key or signature, as TOS does: an expired URL says only that.
    if now_secs > signed_at + expires {
        return Err(AuthError::Expired);
    }
    if signed_at - now_secs > MAX_SKEW_SECS {
        return Err(AuthError::Skewed);
    }
    if short_date.len() != 8 || !date.starts_with(short_date) {
        return Err(AuthError::Mismatch(
            "credential date differs from X-Tos-Date".into(),
        ));
    }
    if !signed.contains(&"host") {
        return Err(AuthError::Malformed(
            "X-Tos-SignedHeaders must include host".into(),
        ));
    }
    let Some((secret_key, own_region)) = secret_of(ak)? else {
        return Err(AuthError::UnknownKey);
    };
    if region != own_region {
        return Err(AuthError::Mismatch(format!(
            "credential region {region} is not {own_region}"
        )));
    }
    let scope = format!("{short_date}/{region}/tos/request");
    let payload = req
        .headers
        .get("x-tos-content-sha256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(UNSIGNED_PAYLOAD);
    let mut last = String::new();
    for collapse in [true, false] {
        let creq = canonical_request_with(req, &signed, collapse, payload);
        let sts = string_to_sign(date, &scope, &creq);
        if sign(&secret_key, short_date, region, &sts) == signature {
            return Ok(());
        }
        last = creq;
    }
    // The canonical request goes back in the error; a token is a credential.
    if let Some(token) = param(&query, "x-tos-security-token").filter(|t| !t.is_empty()) {
        last = last.replace(&uri_encode(token.as_bytes(), false), "<token>");
    }
    Err(AuthError::Mismatch(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::canonical_query;
    use hyper::header::HeaderValue;
    use hyper::HeaderMap;

    /// Builds a presigned query the way the format asks, independently of `verify_query`'s
    /// parsing: every parameter but the signature is signed.
    fn presign(path: &str, extra: &str, date: &str, expires: i64, sk: &str) -> String {
        let credential = uri_encode(
            format!("AK/{}/cn-beijing/tos/request", &date[..8]).as_bytes(),
            false,
        );
        let base = format!(
            "{extra}X-Tos-Algorithm={ALGORITHM}&X-Tos-Credential={credential}&X-Tos-Date={date}\
             &X-Tos-Expires={expires}&X-Tos-SignedHeaders=host"
        );
        let creq = format!(
            "GET\n{path}\n{}\nhost:127.0.0.1:9000\n\nhost\nUNSIGNED-PAYLOAD",
            canonical_query(&base)
        );
        let scope = format!("{}/cn-beijing/tos/request", &date[..8]);
        let sig = sign(
            sk,
            &date[..8],
            "cn-beijing",
            &string_to_sign(date, &scope, &creq),
        );
        format!("{base}&X-Tos-Signature={sig}")
    }

    fn check(query: &str, now: i64) -> Result<(), AuthError> {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:9000"));
        let req = Request {
            method: "GET",
            raw_path: "/b/k",
            raw_query: query,
            headers: &h,
        };
        verify_query(&req, now, |ak| {
            Ok((ak == "AK").then(|| ("SK".to_string(), "cn-beijing".to_string())))
        })
    }

    #[test]
    fn presigned_queries() {
        let date = "20261125T082352Z";
        let at = parse_tos_date(date).unwrap();
        let q = presign("/b/k", "versionId=v1&", date, 60, "SK");
        assert!(is_presigned(&q));
        assert_eq!(check(&q, at + 30), Ok(()));
        assert_eq!(check(&q, at + 61), Err(AuthError::Expired));
        assert_eq!(check(&q, at - 16 * 60), Err(AuthError::Skewed));
        let wrong = presign(
            "/b/k",
            "X-Tos-Security-Token=TOKEN%2BSECRET&",
            date,
            60,
            "nope",
        );
        match check(&wrong, at) {
            Err(AuthError::Mismatch(creq)) => {
                assert!(
                    !creq.contains("TOKEN") && creq.contains("<token>"),
                    "{creq}"
                )
            }
            other => panic!("{other:?}"),
        }
        // A parameter added after signing is part of what was signed.
        assert!(matches!(
            check(&format!("{q}&versions="), at),
            Err(AuthError::Mismatch(_))
        ));
        let long = presign("/b/k", "", date, MAX_EXPIRES_SECS + 1, "SK");
        assert!(matches!(check(&long, at), Err(AuthError::Malformed(_))));
        assert!(!is_presigned("versioning="));
    }
}
