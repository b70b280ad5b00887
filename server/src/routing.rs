//! Addressing (virtual-hosted, path-style, absolute-form, custom domain) and
//! mapping of method + query to a TOS operation name.

use std::net::IpAddr;

use hyper::Method;

use crate::sign::{parse_query, percent_decode};

#[derive(Debug, Clone, Default)]
pub struct Target {
    pub bucket: Option<String>,
    /// Decoded key; empty for bucket-level requests.
    pub key: String,
    /// The key's bytes before the lossy UTF-8 conversion, for the naming check.
    pub raw_key: Vec<u8>,
    pub query: Vec<(String, String)>,
}

impl Target {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn has(&self, name: &str) -> bool {
        self.param(name).is_some()
    }
}

fn host_is_ip(host: &str) -> bool {
    let h = host.trim();
    if let Some(rest) = h.strip_prefix('[') {
        return rest
            .split(']')
            .next()
            .is_some_and(|ip| ip.parse::<IpAddr>().is_ok());
    }
    let no_port = h.rsplit_once(':').map_or(h, |(a, _)| a);
    no_port.parse::<IpAddr>().is_ok() || h.parse::<IpAddr>().is_ok()
}

fn target(bucket: Option<&[u8]>, key: &[u8], query: Vec<(String, String)>) -> Target {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    Target {
        bucket: bucket.map(text),
        key: text(key),
        raw_key: key.to_vec(),
        query,
    }
}

pub fn resolve(host: &str, raw_path: &str, raw_query: &str, custom_domain: Option<&str>) -> Target {
    let decoded = percent_decode(raw_path);
    let path = decoded.strip_prefix(b"/").unwrap_or(&decoded);
    let query = parse_query(raw_query);
    if let Some(b) = custom_domain {
        return target(Some(b.as_bytes()), path, query);
    }
    let vhost_bucket = host
        .split_once('.')
        .map(|(b, _)| b)
        .filter(|b| !b.is_empty() && !host_is_ip(host));
    match vhost_bucket {
        Some(b) => target(Some(b.as_bytes()), path, query),
        // IP literals (and dot-less names like `localhost`) mean path-style.
        None => {
            let (bucket, key) = match path.iter().position(|&c| c == b'/') {
                Some(i) => (&path[..i], &path[i + 1..]),
                None => (path, &[][..]),
            };
            target((!bucket.is_empty()).then_some(bucket), key, query)
        }
    }
}

pub fn operation(method: &Method, t: &Target) -> &'static str {
    if t.bucket.is_none() {
        return if method == Method::GET {
            "ListBuckets"
        } else {
            "Unknown"
        };
    }
    if t.key.is_empty() {
        return match *method {
            Method::PUT if t.has("versioning") => "PutBucketVersioning",
            Method::GET if t.has("versioning") => "GetBucketVersioning",
            Method::PUT => "CreateBucket",
            Method::HEAD => "HeadBucket",
            Method::DELETE => "DeleteBucket",
            Method::GET if t.has("uploads") => "ListMultipartUploads",
            Method::GET if t.has("versions") => "ListObjectVersions",
            Method::GET => "ListObjects",
            Method::POST if t.has("delete") => "DeleteMultiObjects",
            _ => "Unknown",
        };
    }
    match *method {
        Method::POST if t.has("uploads") => "CreateMultipartUpload",
        Method::POST if t.has("uploadId") => "CompleteMultipartUpload",
        Method::POST if t.has("restore") => "RestoreObject",
        Method::PUT if t.has("uploadId") && t.has("partNumber") => "UploadPart",
        Method::DELETE if t.has("uploadId") => "AbortMultipartUpload",
        Method::GET if t.has("uploadId") => "ListParts",
        Method::PUT => "PutObject",
        Method::GET => "GetObject",
        Method::HEAD => "HeadObject",
        Method::DELETE => "DeleteObject",
        _ => "Unknown",
    }
}

/// The query parameters each operation understands. Any other names a sub-resource or option
/// this server does not implement (`?acl`, `?tagging`, `?lifecycle`, `reverse`...): answering
/// such a request as the plain operation (`PUT /key?acl` as a PutObject!) would hide the
/// client's mistake, so it is refused with 501.
fn understood(op: &str) -> &'static [&'static str] {
    match op {
        "CreateMultipartUpload" => &["uploads"],
        "UploadPart" => &["partNumber", "uploadId"],
        "CompleteMultipartUpload" | "AbortMultipartUpload" => &["uploadId"],
        "ListParts" => &["uploadId", "max-parts", "part-number-marker"],
        "ListMultipartUploads" => &[
            "uploads",
            "prefix",
            "delimiter",
            "key-marker",
            "upload-id-marker",
            "max-uploads",
        ],
        "ListObjectVersions" => &[
            "versions",
            "prefix",
            "delimiter",
            "max-keys",
            "key-marker",
            "version-id-marker",
            "fetch-meta",
        ],
        "DeleteMultiObjects" => &["delete"],
        "PutBucketVersioning" | "GetBucketVersioning" => &["versioning"],
        "RestoreObject" => &["restore"],
        "ListObjects" => &[
            "list-type",
            "prefix",
            "delimiter",
            "max-keys",
            "marker",
            "continuation-token",
            "start-after",
            "fetch-owner",
            "fetch-meta",
        ],
        _ => &[],
    }
}

/// The first query parameter of the request that `op` does not understand, if any.
pub fn unimplemented_parameter<'a>(op: &str, t: &'a Target) -> Option<&'a str> {
    t.query.iter().map(|(k, _)| k.as_str()).find(|k| {
        let generic = *k == "encoding-type"
            || *k == "versionId"
            || k.starts_with("response-")
            // Presigned-URL parameters, judged by the signature check.
            || k.to_ascii_lowercase().starts_with("x-tos-");
        !generic && !understood(op).contains(k)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addressing_modes() {
        let t = resolve(
            "mybucket.tos-cn-beijing.volces.com",
            "/a%20b+c/x",
            "uploads=",
            None,
        );
        assert_eq!(t.bucket.as_deref(), Some("mybucket"));
        assert_eq!(t.key, "a b+c/x");
        assert_eq!(t.raw_key, b"a b+c/x");
        assert!(t.has("uploads"));
        let t = resolve("127.0.0.1:9000", "/b/dir/k%3F.txt", "", None);
        assert_eq!(
            (t.bucket.as_deref(), t.key.as_str()),
            (Some("b"), "dir/k?.txt")
        );
        let t = resolve("127.0.0.1", "/b/bad-%C3%28", "", None);
        assert_eq!(t.raw_key, b"bad-\xc3\x28");
        assert_eq!(t.key, "bad-\u{fffd}(");
        let t = resolve("[::1]:9000", "/b", "", None);
        assert_eq!((t.bucket.as_deref(), t.key.as_str()), (Some("b"), ""));
        let t = resolve("cdn.example.com", "/k", "", Some("cd"));
        assert_eq!((t.bucket.as_deref(), t.key.as_str()), (Some("cd"), "k"));
        assert_eq!(
            operation(
                &Method::PUT,
                &resolve("b.h", "/k", "partNumber=1&uploadId=x", None)
            ),
            "UploadPart"
        );
        assert_eq!(
            operation(&Method::GET, &resolve("b.h", "/", "uploads", None)),
            "ListMultipartUploads"
        );
    }

    #[test]
    fn unimplemented_sub_resources() {
        let check = |method: Method, path: &str, query: &str| {
            let t = resolve("b.h", path, query, None);
            unimplemented_parameter(operation(&method, &t), &t).map(str::to_string)
        };
        assert_eq!(check(Method::PUT, "/k", "acl"), Some("acl".into()));
        assert_eq!(check(Method::GET, "/k", "acl="), Some("acl".into()));
        assert_eq!(
            check(Method::GET, "/", "lifecycle"),
            Some("lifecycle".into())
        );
        assert_eq!(check(Method::GET, "/", "versions&key-marker=a"), None);
        assert_eq!(check(Method::POST, "/", "delete"), None);
        assert_eq!(
            check(Method::DELETE, "/k", "tagging"),
            Some("tagging".into())
        );
        assert_eq!(check(Method::PUT, "/k", "partNumber=1&uploadId=x"), None);
        assert_eq!(
            check(Method::GET, "/", "list-type=2&max-keys=5&fetch-owner=true"),
            None
        );
        assert_eq!(
            check(Method::GET, "/k", "response-content-type=a%2Fb"),
            None
        );
        assert_eq!(
            check(Method::GET, "/k", "partNumber=1"),
            Some("partNumber".into())
        );
    }
}
