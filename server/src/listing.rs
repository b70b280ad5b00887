//! ListObjects (V1, `marker`) and ListObjectsV2 (`list-type=2`, `continuation-token`): keys
//! in byte order under a prefix, rolled up into common prefixes at a delimiter, in pages of
//! `max-keys`, answered with TOS's JSON.

use hyper::Response;
use serde_json::{json, Value};

use crate::body::RespBody;
use crate::errors::TosError;
use crate::multipart::MAX_LIST;
use crate::service::Ctx;
use crate::storage::ObjectMeta;
use crate::util::{hex, iso8601};
use crate::versioning::{delete_marker_json, version_json};

/// One entry of a page: an object, or a common prefix standing for all the keys under it.
#[derive(Debug)]
enum Entry<'a> {
    Object(&'a ObjectMeta),
    Prefix(String),
}

/// Where a page starts: after a key, or after every key under a common prefix.
#[derive(Debug, PartialEq, Clone)]
enum After {
    Key(String),
    Prefix(String),
}

impl After {
    fn skips(&self, key: &str) -> bool {
        match self {
            After::Key(k) => key <= k.as_str(),
            After::Prefix(p) => key <= p.as_str() || key.starts_with(p.as_str()),
        }
    }

    /// Opaque to clients, as TOS's is, and round-tripping any key.
    fn token(&self) -> String {
        let (tag, text) = match self {
            After::Key(k) => ("k", k),
            After::Prefix(p) => ("p", p),
        };
        hex(format!("{tag}{text}").as_bytes())
    }

    fn from_token(token: &str) -> Result<After, TosError> {
        let bad = || TosError::invalid_argument("The continuation token provided is incorrect");
        let bytes = hex::decode(token).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        match text.split_at_checked(1) {
            Some(("k", key)) => Ok(After::Key(key.to_string())),
            Some(("p", prefix)) => Ok(After::Prefix(prefix.to_string())),
            _ => Err(bad()),
        }
    }
}

struct Page<'a> {
    entries: Vec<Entry<'a>>,
    /// Where the next page starts, when there is one.
    next: Option<After>,
}

fn page<'a>(
    objects: &'a [ObjectMeta],
    prefix: &str,
    delimiter: &str,
    after: Option<&After>,
    max: usize,
) -> Page<'a> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut last: Option<After> = None;
    for meta in objects.iter().filter(|m| m.key.starts_with(prefix)) {
        if after.is_some_and(|a| a.skips(&meta.key))
            || last.as_ref().is_some_and(|l| l.skips(&meta.key))
        {
            continue;
        }
        if entries.len() == max {
            return Page {
                entries,
                next: last,
            };
        }
        let rest = &meta.key[prefix.len()..];
        match rest.find(delimiter).filter(|_| !delimiter.is_empty()) {
            Some(i) => {
                let common = format!("{prefix}{}", &rest[..i + delimiter.len()]);
                last = Some(After::Prefix(common.clone()));
                entries.push(Entry::Prefix(common));
            }
            None => {
                last = Some(After::Key(meta.key.clone()));
                entries.push(Entry::Object(meta));
            }
        }
    }
    Page {
        entries,
        next: None,
    }
}

fn object_json(meta: &ObjectMeta, owner: bool) -> Value {
    let storage_class = meta
        .attrs
        .iter()
        .find(|(k, _)| k == "x-tos-storage-class")
        .map_or("STANDARD", |(_, v)| v.as_str());
    let mut v = json!({
        "Key": meta.key,
        "LastModified": iso8601(meta.last_modified_ms),
        "ETag": format!("\"{}\"", meta.etag),
        "Size": meta.size,
        "StorageClass": storage_class,
        "HashCrc64ecma": meta.crc.to_string(),
    });
    if owner {
        v["Owner"] = json!({"ID": "local", "DisplayName": "local"});
    }
    v
}

/// With `fetch-meta=true` TOS lists each object's user metadata as `UserMeta`, `[{Key,
/// Value}]` with the `x-tos-meta-` prefix taken off. The Go SDK sends `fetch-meta` on every
/// listing, `false` by default, so the parameter must at least be understood.
fn add_user_meta(v: &mut Value, meta: &ObjectMeta, ctx: &Ctx) {
    if ctx.target.param("fetch-meta") != Some("true") {
        return;
    }
    let user: Vec<Value> = meta
        .attrs
        .iter()
        .filter_map(|(k, val)| {
            let name = k.strip_prefix("x-tos-meta-")?;
            Some(json!({"Key": name, "Value": val}))
        })
        .collect();
    v["UserMeta"] = json!(user);
}

pub async fn list_objects(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let param = |name: &str| ctx.target.param(name).unwrap_or("").to_string();
    let v2 = match ctx.target.param("list-type") {
        None => false,
        Some("2") => true,
        Some(_) => return Err(TosError::invalid_argument("list-type must be 2")),
    };
    let (prefix, delimiter) = (param("prefix"), param("delimiter"));
    let max = max_keys(ctx)?;
    let after = if v2 {
        match ctx
            .target
            .param("continuation-token")
            .filter(|t| !t.is_empty())
        {
            Some(token) => Some(After::from_token(token)?),
            None => {
                Some(After::Key(param("start-after"))).filter(|_| ctx.target.has("start-after"))
            }
        }
    } else {
        Some(After::Key(param("marker"))).filter(|_| ctx.target.has("marker"))
    };
    let objects = ctx.state.store.list_objects(&ctx.bucket)?;
    let page = page(&objects, &prefix, &delimiter, after.as_ref(), max);
    let owner = !v2 || ctx.target.param("fetch-owner") == Some("true");
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    for entry in &page.entries {
        match entry {
            Entry::Object(meta) => {
                let mut v = object_json(meta, owner);
                add_user_meta(&mut v, meta, ctx);
                contents.push(v);
            }
            Entry::Prefix(p) => prefixes.push(json!({ "Prefix": p })),
        }
    }
    let mut body = json!({
        "Name": ctx.bucket,
        "Prefix": prefix,
        "Delimiter": delimiter,
        "MaxKeys": max,
        "IsTruncated": page.next.is_some(),
        "CommonPrefixes": prefixes,
        "Contents": contents,
    });
    if let Some(enc) = ctx.target.param("encoding-type") {
        body["EncodingType"] = json!(enc);
    }
    if v2 {
        body["KeyCount"] = json!(page.entries.len());
        body["ContinuationToken"] = json!(param("continuation-token"));
        body["StartAfter"] = json!(param("start-after"));
        if let Some(next) = &page.next {
            body["NextContinuationToken"] = json!(next.token());
        }
    } else {
        body["Marker"] = json!(param("marker"));
        if let Some(After::Key(k) | After::Prefix(k)) = &page.next {
            body["NextMarker"] = json!(k);
        }
    }
    Ok(ctx.finish_json(ctx.base(200), &body))
}

/// ListObjectVersions (`GET /?versions`): every version and delete marker of each key,
/// newest first. A bucket never versioned has one version a key, `VersionId` "null", latest,
/// and no delete markers: what a client's clean-up (the Go SDK tests' `cleanBucket`) lists
/// before DeleteMultiObjects. Pages hold whole keys: `key-marker` pages as ListObjects'
/// `marker` does, and `version-id-marker` is not used to split a key's versions.
pub async fn list_object_versions(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let param = |name: &str| ctx.target.param(name).unwrap_or("").to_string();
    let (prefix, delimiter, key_marker) =
        (param("prefix"), param("delimiter"), param("key-marker"));
    let max = max_keys(ctx)?;
    let after = Some(After::Key(key_marker.clone())).filter(|_| !key_marker.is_empty());
    let all = ctx.state.store.list_versions(&ctx.bucket)?;
    let latest: Vec<ObjectMeta> = all.iter().map(|v| v[0].clone()).collect();
    let by_key: std::collections::BTreeMap<&str, &Vec<ObjectMeta>> =
        all.iter().map(|v| (v[0].key.as_str(), v)).collect();
    let page = page(&latest, &prefix, &delimiter, after.as_ref(), max);
    let mut versions = Vec::new();
    let mut markers = Vec::new();
    let mut prefixes = Vec::new();
    for entry in &page.entries {
        match entry {
            Entry::Object(first) => {
                let owner = json!({"ID": "local", "DisplayName": "local"});
                let key_versions = by_key.get(first.key.as_str()).into_iter().copied();
                for (i, meta) in key_versions.flatten().enumerate() {
                    if meta.delete_marker {
                        markers.push(delete_marker_json(meta, i == 0, owner.clone()));
                        continue;
                    }
                    let mut v = object_json(meta, true);
                    add_user_meta(&mut v, meta, ctx);
                    versions.push(version_json(v, meta, i == 0));
                }
            }
            Entry::Prefix(p) => prefixes.push(json!({ "Prefix": p })),
        }
    }
    let mut body = json!({
        "Name": ctx.bucket,
        "Prefix": prefix,
        "Delimiter": delimiter,
        "KeyMarker": key_marker,
        "VersionIdMarker": param("version-id-marker"),
        "MaxKeys": max,
        "IsTruncated": page.next.is_some(),
        "CommonPrefixes": prefixes,
        "Versions": versions,
        "DeleteMarkers": markers,
    });
    if let Some(enc) = ctx.target.param("encoding-type") {
        body["EncodingType"] = json!(enc);
    }
    if let Some(After::Key(k) | After::Prefix(k)) = &page.next {
        body["NextKeyMarker"] = json!(k);
        body["NextVersionIdMarker"] = json!("null");
    }
    Ok(ctx.finish_json(ctx.base(200), &body))
}

fn max_keys(ctx: &Ctx) -> Result<usize, TosError> {
    match ctx.target.param("max-keys") {
        None | Some("") => Ok(MAX_LIST),
        Some(v) => Ok(v
            .parse::<usize>()
            .map_err(|_| TosError::invalid_argument("max-keys must be an integer"))?
            .min(MAX_LIST)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(keys: &[&str]) -> Vec<ObjectMeta> {
        keys.iter()
            .map(|k| ObjectMeta {
                key: k.to_string(),
                size: 0,
                etag: String::new(),
                crc: 0,
                last_modified_ms: 0,
                attrs: Vec::new(),
                ..Default::default()
            })
            .collect()
    }

    fn names(p: &Page) -> Vec<String> {
        p.entries
            .iter()
            .map(|e| match e {
                Entry::Object(m) => m.key.clone(),
                Entry::Prefix(p) => format!("[{p}]"),
            })
            .collect()
    }

    #[test]
    fn pages_with_prefixes() {
        let all = objects(&["a", "d/1", "d/2", "d/x/3", "e", "f/1"]);
        let p = page(&all, "", "/", None, 2);
        assert_eq!(names(&p), ["a", "[d/]"]);
        let p = page(&all, "", "/", p.next.as_ref(), 2);
        assert_eq!(names(&p), ["e", "[f/]"]);
        assert_eq!(p.next, None);
        let p = page(&all, "d/", "/", None, 1000);
        assert_eq!(names(&p), ["d/1", "d/2", "[d/x/]"]);
        let p = page(&all, "", "", Some(&After::Key("d/2".into())), 1000);
        assert_eq!(names(&p), ["d/x/3", "e", "f/1"]);
        assert_eq!(page(&all, "", "", None, 0).next, None);
        let token = After::Prefix("d/".into()).token();
        assert_eq!(
            After::from_token(&token).unwrap(),
            After::Prefix("d/".into())
        );
        assert!(After::from_token("zz").is_err());
    }
}
