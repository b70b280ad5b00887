//! Multipart upload operations (§7.1–7.5).

use hyper::Response;
use serde_json::{json, Value};

use crate::body::{empty, RespBody};
use crate::errors::TosError;
use crate::objects::stored_attrs;
use crate::service::Ctx;
use crate::sse;
use crate::storage::UploadMeta;
use crate::util::iso8601;

pub const MAX_LIST: usize = 1000;

fn upload_id(ctx: &Ctx) -> String {
    ctx.target.param("uploadId").unwrap_or_default().to_string()
}

fn owner() -> Value {
    json!({"ID": "local", "DisplayName": "local"})
}

pub async fn create(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    sse::check_write(&ctx.headers)?;
    let (attrs, forbid) = stored_attrs(ctx);
    let meta = ctx
        .state
        .store
        .create_upload(&ctx.bucket, ctx.key(), attrs, forbid)?;
    let mut body = json!({"Bucket": ctx.bucket, "Key": meta.key, "UploadId": meta.upload_id});
    if let Some(enc) = ctx.target.param("encoding-type") {
        body["EncodingType"] = json!(enc);
    }
    Ok(ctx.finish_json(sse::echo(ctx.base(200), &meta.attrs), &body))
}

/// The request's `partNumber`, 1 to 10000.
pub fn part_number(ctx: &Ctx) -> Result<u32, TosError> {
    ctx.target
        .param("partNumber")
        .and_then(|p| p.parse().ok())
        .filter(|n| (1..=10000).contains(n))
        .ok_or_else(|| TosError::invalid_argument("partNumber must be in [1, 10000]"))
}

pub async fn upload_part(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let n = part_number(ctx)?;
    sse::check_write(&ctx.headers)?;
    let id = upload_id(ctx);
    // Reject before reading (and storing) a body that has nowhere to go.
    ctx.state.store.check_upload(&ctx.bucket, ctx.key(), &id)?;
    let data = ctx.ingest().await?;
    let part = ctx
        .state
        .store
        .put_part(&ctx.bucket, ctx.key(), &id, n, data)?;
    Ok(ctx
        .base(200)
        .header("etag", format!("\"{}\"", part.etag))
        .header("x-tos-hash-crc64ecma", ctx.crc_value(part.crc))
        .header("content-length", 0)
        .body(empty())
        .expect("valid response"))
}

fn parse_complete_body(raw: &[u8]) -> Result<Vec<(u32, String)>, TosError> {
    let malformed = |m: &str| TosError::new(400, "MalformedJSON", m.to_string());
    let v: Value = serde_json::from_slice(raw).map_err(|e| malformed(&e.to_string()))?;
    let parts = v
        .get("Parts")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("missing Parts"))?;
    parts
        .iter()
        .map(|p| {
            let n = p
                .get("PartNumber")
                .and_then(|n| {
                    n.as_u64()
                        .or_else(|| n.as_str().and_then(|s| s.parse().ok()))
                })
                .ok_or_else(|| malformed("bad PartNumber"))?;
            let etag = p
                .get("ETag")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("bad ETag"))?;
            Ok((n as u32, etag.to_string()))
        })
        .collect()
}

pub async fn complete(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let id = upload_id(ctx);
    let all = ctx
        .header("x-tos-complete-all")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"));
    let raw = ctx.body.read_all(8 << 20).await?;
    let requested = if all {
        if !raw.is_empty() {
            return Err(TosError::invalid_argument(
                "x-tos-complete-all must not be combined with a part list",
            ));
        }
        None
    } else {
        Some(parse_complete_body(&raw)?)
    };
    let (obj, parts) = ctx
        .state
        .store
        .complete(&ctx.bucket, ctx.key(), &id, requested)
        .await?;
    let host = ctx.header("host").unwrap_or("localhost").to_string();
    // Path-style requests (IP hosts) name the bucket in the path, so the location must too.
    let virtual_hosted = host.starts_with(&format!("{}.", ctx.bucket));
    let location = if virtual_hosted || ctx.state.cfg.custom_domain.is_some() {
        format!("http://{host}/{}", obj.key)
    } else {
        format!("http://{host}/{}/{}", ctx.bucket, obj.key)
    };
    let completed: Vec<Value> = parts
        .iter()
        .map(|p| json!({"PartNumber": p.part_number, "ETag": format!("\"{}\"", p.etag)}))
        .collect();
    let body = json!({
        "Bucket": ctx.bucket,
        "Key": obj.key,
        "ETag": format!("\"{}\"", obj.etag),
        "Location": location,
        "CompletedParts": completed,
    });
    let b = sse::echo(ctx.base(200), &obj.attrs)
        .header("etag", format!("\"{}\"", obj.etag))
        .header("x-tos-hash-crc64ecma", ctx.crc_value(obj.crc));
    let b = crate::versioning::version_header(b, &obj);
    Ok(ctx.finish_json(b, &body))
}

pub async fn abort(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let id = upload_id(ctx);
    ctx.state.store.abort_upload(&ctx.bucket, ctx.key(), &id)?;
    Ok(ctx.base(204).body(empty()).expect("valid response"))
}

fn int_param(ctx: &Ctx, name: &str, default: usize) -> Result<usize, TosError> {
    match ctx.target.param(name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| TosError::invalid_argument(format!("{name} must be an integer"))),
    }
}

pub async fn list_parts(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let id = upload_id(ctx);
    let max = int_param(ctx, "max-parts", MAX_LIST)?.clamp(1, MAX_LIST);
    let marker = int_param(ctx, "part-number-marker", 0)? as u32;
    let (meta, parts) = ctx.state.store.list_parts(&ctx.bucket, ctx.key(), &id)?;
    let after: Vec<_> = parts.iter().filter(|p| p.part_number > marker).collect();
    let page = &after[..after.len().min(max)];
    let truncated = after.len() > page.len();
    let next = page.last().map_or(marker, |p| p.part_number);
    let storage_class = meta
        .attrs
        .iter()
        .find(|(k, _)| k == "x-tos-storage-class")
        .map_or("STANDARD", |(_, v)| v.as_str());
    let body = json!({
        "Bucket": ctx.bucket,
        "Key": meta.key,
        "UploadId": meta.upload_id,
        "PartNumberMarker": marker,
        "NextPartNumberMarker": next,
        "MaxParts": max,
        "IsTruncated": truncated,
        "StorageClass": storage_class,
        "Owner": owner(),
        "Parts": page.iter().map(|p| json!({
            "PartNumber": p.part_number,
            "ETag": format!("\"{}\"", p.etag),
            "Size": p.size,
            "HashCrc64ecma": p.crc.to_string(),
            "LastModified": iso8601(p.last_modified_ms),
        })).collect::<Vec<_>>(),
    });
    Ok(ctx.finish_json(ctx.base(200), &body))
}

/// One page of ListMultipartUploads, in both front ends' order (key, then creation), and
/// whether more follow. The page starts after the upload named by both markers, or (S3's
/// rule, which TOS follows) after every key up to `key_marker` when `id_marker` is absent or
/// names no upload.
pub fn uploads_page(
    mut all: Vec<UploadMeta>,
    key_marker: &str,
    id_marker: &str,
    max: usize,
) -> (Vec<UploadMeta>, bool) {
    all.sort_by(|a, b| {
        (&a.key, a.initiated_ms, &a.upload_id).cmp(&(&b.key, b.initiated_ms, &b.upload_id))
    });
    let start = if key_marker.is_empty() {
        0
    } else {
        let exact = all
            .iter()
            .position(|u| u.key == key_marker && u.upload_id == id_marker);
        exact.map_or_else(
            || {
                all.iter()
                    .position(|u| {
                        u.key.as_str() > key_marker
                            || (u.key == key_marker
                                && !id_marker.is_empty()
                                && u.upload_id.as_str() > id_marker)
                    })
                    .unwrap_or(all.len())
            },
            |i| i + 1,
        )
    };
    let mut page: Vec<UploadMeta> = all.drain(start.min(all.len())..).collect();
    let truncated = page.len() > max;
    page.truncate(max);
    (page, truncated)
}

pub async fn list_uploads(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let param = |name: &str| ctx.target.param(name).unwrap_or("").to_string();
    let (prefix, key_marker, id_marker) = (
        param("prefix"),
        param("key-marker"),
        param("upload-id-marker"),
    );
    let max = int_param(ctx, "max-uploads", MAX_LIST)?.clamp(1, MAX_LIST);
    let all = ctx.state.store.list_uploads(&ctx.bucket, &prefix)?;
    let (page, truncated) = uploads_page(all, &key_marker, &id_marker, max);
    let next = page.last().filter(|_| truncated);
    let body = json!({
        "Bucket": ctx.bucket,
        "Prefix": prefix,
        "KeyMarker": key_marker,
        "UploadIdMarker": id_marker,
        "NextKeyMarker": next.map_or("", |u| u.key.as_str()),
        "NextUploadIdMarker": next.map_or("", |u| u.upload_id.as_str()),
        "MaxUploads": max,
        "IsTruncated": truncated,
        "CommonPrefixes": [],
        "Uploads": page.iter().map(|u| json!({
            "Key": u.key,
            "UploadId": u.upload_id,
            "Initiated": iso8601(u.initiated_ms),
            "StorageClass": "STANDARD",
            "Owner": owner(),
        })).collect::<Vec<_>>(),
    });
    Ok(ctx.finish_json(ctx.base(200), &body))
}
