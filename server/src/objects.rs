//! Bucket and single-object operations.

use hyper::http::response::Builder;
use hyper::{Method, Response};

use crate::body::{empty, FileBody, RespBody};
use crate::conditions::{self, Precondition, RangeAsk};
use crate::errors::TosError;
use crate::names;
use crate::service::Ctx;
use crate::sse;
use crate::storage::{ObjectMeta, Store};
use crate::util::http_date;

/// Headers recorded at PutObject/CreateMultipartUpload time and echoed on GET/HEAD.
pub fn stored_attrs(ctx: &Ctx) -> (Vec<(String, String)>, bool) {
    const PLAIN: &[&str] = &[
        "content-type",
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "expires",
        "x-tos-storage-class",
        "x-tos-acl",
        "x-tos-tagging",
        "x-tos-website-redirect-location",
        "x-tos-object-expires",
    ];
    let mut attrs = Vec::new();
    for (name, value) in ctx.headers.iter() {
        let n = name.as_str();
        // The SSE-C key itself must never be echoed back.
        let keep = PLAIN.contains(&n)
            || n.starts_with("x-tos-meta-")
            || n.starts_with("x-tos-grant-")
            || (n.starts_with("x-tos-server-side-encryption")
                && n != "x-tos-server-side-encryption-customer-key");
        if keep {
            attrs.push((
                n.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
    }
    let forbid = ctx
        .header("x-tos-forbid-overwrite")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    (attrs, forbid)
}

pub fn with_attrs(mut b: Builder, meta: &ObjectMeta) -> Builder {
    let mut has_type = false;
    for (k, v) in &meta.attrs {
        // Grants are ACL input, reported by GetObjectAcl rather than on the object.
        if k.starts_with("x-tos-grant-") {
            continue;
        }
        has_type |= k == "content-type";
        b = b.header(k.as_str(), v.as_str());
        if k == "x-tos-tagging" {
            let count = v.split('&').filter(|s| !s.is_empty()).count();
            b = b.header("x-tos-tagging-count", count);
        }
    }
    if !has_type {
        b = b.header("content-type", "application/octet-stream");
    }
    b
}

pub async fn create_bucket(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let name = ctx
        .target
        .bucket
        .clone()
        .ok_or_else(|| TosError::new(400, "InvalidBucketName", "no bucket in request"))?;
    names::check_bucket(&name, names::Dialect::Tos)?;
    if !ctx.state.store.create_bucket(&name)? {
        return Err(TosError::new(
            409,
            "BucketAlreadyOwnedByYou",
            "bucket already exists",
        ));
    }
    Ok(ctx
        .base(200)
        .header("location", format!("/{name}"))
        .header("content-length", 0)
        .body(empty())
        .expect("valid response"))
}

pub async fn head_bucket(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    Ok(ctx
        .base(200)
        .header("x-tos-bucket-region", &ctx.state.cfg.region)
        .header("x-tos-storage-class", "STANDARD")
        .body(empty())
        .expect("valid response"))
}

pub async fn delete_bucket(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    ctx.state.store.delete_bucket(&ctx.bucket)?;
    Ok(ctx.base(204).body(empty()).expect("valid response"))
}

pub async fn put_object(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    sse::check_write(&ctx.headers)?;
    let (attrs, forbid) = stored_attrs(ctx);
    let data = ctx.ingest().await?;
    let meta = ctx
        .state
        .store
        .put_object(&ctx.bucket, ctx.key(), data, attrs, forbid)?;
    let b = crate::versioning::version_header(ctx.base(200), &meta);
    Ok(sse::echo(b, &meta.attrs)
        .header("etag", format!("\"{}\"", meta.etag))
        .header("x-tos-hash-crc64ecma", ctx.crc_value(meta.crc))
        .header("content-length", 0)
        .body(empty())
        .expect("valid response"))
}

pub async fn get_object(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let meta = match ctx.target.param("versionId").filter(|v| !v.is_empty()) {
        Some(v) => ctx.state.store.get_version(&ctx.bucket, ctx.key(), v)?,
        None => ctx.state.store.get_object(&ctx.bucket, ctx.key())?,
    };
    sse::check_read(&ctx.headers, &meta)?;
    if ctx.method == Method::GET {
        crate::restore::check_readable(&meta)?;
    }
    let validators = |b: Builder| {
        b.header("etag", format!("\"{}\"", meta.etag))
            .header("last-modified", http_date(meta.last_modified_ms))
    };
    match conditions::evaluate(&ctx.headers, &meta.etag, meta.last_modified_ms) {
        Precondition::Proceed => {}
        Precondition::Failed => return Err(TosError::precondition_failed()),
        Precondition::NotModified => {
            return Ok(validators(ctx.base(304))
                .body(empty())
                .expect("valid response"))
        }
    }
    let (status, start, len) = match conditions::range(&ctx.headers, meta.size) {
        RangeAsk::Whole => (200, 0, meta.size),
        RangeAsk::Part { start, len } => (206, start, len),
        RangeAsk::Unsatisfiable => return Err(TosError::invalid_range(meta.size)),
    };
    let mut b = validators(ctx.base(status))
        .header("accept-ranges", "bytes")
        .header(
            "x-tos-object-type",
            if meta.etag.contains('-') {
                "Multipart"
            } else {
                "Normal"
            },
        )
        .header("content-length", len);
    if status == 206 {
        b = b.header(
            "content-range",
            format!("bytes {start}-{}/{}", start + len - 1, meta.size),
        );
    } else {
        // The whole object's CRC only: TOS sends none with a part of it.
        b = b.header("x-tos-hash-crc64ecma", ctx.crc_value(meta.crc));
    }
    b = response_overrides(with_attrs(b, &meta), ctx);
    b = crate::restore::headers(crate::versioning::version_header(b, &meta), &meta);
    if ctx.method == Method::HEAD || len == 0 {
        return Ok(b.body(empty()).expect("valid response"));
    }
    let body = object_body(&ctx.state.store, &ctx.bucket, &meta, start, len).await?;
    Ok(b.body(body).expect("valid response"))
}

/// `response-content-type` and its kind on a GET or HEAD replace the stored header in this
/// answer only, as on TOS (the Go SDK's TestGetObjectWithResponseParams).
fn response_overrides(mut b: Builder, ctx: &Ctx) -> Builder {
    const OVERRIDES: &[(&str, &str)] = &[
        ("response-cache-control", "cache-control"),
        ("response-content-disposition", "content-disposition"),
        ("response-content-encoding", "content-encoding"),
        ("response-content-language", "content-language"),
        ("response-content-type", "content-type"),
        ("response-expires", "expires"),
    ];
    if let Some(headers) = b.headers_mut() {
        for (param, header) in OVERRIDES {
            let value = ctx.target.param(param).filter(|v| !v.is_empty());
            if let Some(v) = value.and_then(|v| v.parse().ok()) {
                headers.insert(*header, v);
            }
        }
    }
    b
}

/// Streams `len` bytes of a stored object from `start`. Shared by GetObject and
/// the admin API's `GET /__admin/object`; fails with 501 in --discard mode.
pub async fn object_body(
    store: &Store,
    bucket: &str,
    meta: &ObjectMeta,
    start: u64,
    len: u64,
) -> Result<RespBody, TosError> {
    let Some(path) = store.data_path(bucket, meta) else {
        return Err(TosError::new(
            501,
            "NotImplemented",
            "object data is not kept in --discard mode",
        ));
    };
    if len == 0 {
        return Ok(empty());
    }
    let file = FileBody::open(&path, start, len).await?;
    Ok(http_body_util::BodyExt::boxed(file))
}

pub async fn delete_object(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let version = ctx.target.param("versionId").filter(|v| !v.is_empty());
    let deleted = ctx
        .state
        .store
        .delete_object(&ctx.bucket, ctx.key(), version)?;
    let mut b = ctx.base(204);
    if let Some(v) = &deleted.version_id {
        b = b.header("x-tos-version-id", v.as_str());
    }
    if deleted.delete_marker {
        b = b.header("x-tos-delete-marker", "true");
    }
    Ok(b.body(empty()).expect("valid response"))
}

/// DeleteMultiObjects (`POST /?delete`): TOS's JSON body `{"Objects": [{"Key", "VersionId"}],
/// "Quiet"}`, at most 1000 keys. A key that is not there counts as deleted, as a single
/// DeleteObject's 204 does; `Quiet` leaves the deleted keys out of the answer. The body's
/// Content-MD5 is checked when sent (the Go SDK always sends one).
pub async fn delete_multi_objects(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    use serde_json::{json, Value};
    let doc = ctx.json_body(2 << 20).await?;
    let malformed = |m: &str| TosError::new(400, "MalformedBody", m);
    let objects = doc
        .get("Objects")
        .and_then(Value::as_array)
        .filter(|o| !o.is_empty())
        .ok_or_else(|| malformed("Objects must list at least one object"))?;
    if objects.len() > 1000 {
        return Err(TosError::invalid_argument(
            "DeleteMultiObjects takes at most 1000 objects",
        ));
    }
    let quiet = doc.get("Quiet").and_then(Value::as_bool).unwrap_or(false);
    let (mut deleted, mut errors) = (Vec::new(), Vec::new());
    for o in objects {
        let key = o
            .get("Key")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("an object has no Key"))?;
        let version = o
            .get("VersionId")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty());
        let outcome = names::check_key(key.as_bytes(), names::Dialect::Tos)
            .and_then(|()| ctx.state.store.delete_object(&ctx.bucket, key, version));
        let mut entry = json!({ "Key": key });
        if let Some(v) = version {
            entry["VersionId"] = json!(v);
        }
        match outcome {
            Ok(_) if quiet => {}
            Ok(d) => {
                if d.delete_marker {
                    entry["DeleteMarker"] = json!(true);
                    entry["DeleteMarkerVersionId"] = json!(d.version_id);
                }
                deleted.push(entry)
            }
            Err(e) => {
                entry["Code"] = json!(e.code);
                entry["Message"] = json!(e.message);
                errors.push(entry);
            }
        }
    }
    Ok(ctx.finish_json(
        ctx.base(200),
        &json!({ "Deleted": deleted, "Error": errors }),
    ))
}
