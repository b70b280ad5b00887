//! Bucket versioning's requests (docs/protocol.md §7.11): `PUT/GET /?versioning` and
//! ListObjectVersions of a versioned bucket. The store keeps the versions
//! (storage/versions.rs).

use hyper::http::response::Builder;
use hyper::Response;
use serde_json::{json, Value};

use crate::body::{empty, RespBody};
use crate::errors::TosError;
use crate::service::Ctx;
use crate::storage::{versions_name, ObjectMeta};
use crate::util::iso8601;

/// `x-tos-version-id` on the answers about a version a versioned bucket made.
pub fn version_header(b: Builder, meta: &ObjectMeta) -> Builder {
    match &meta.version_id {
        Some(v) => b.header("x-tos-version-id", v.as_str()),
        None => b,
    }
}

/// `{"Status": "Enabled" | "Suspended"}`; a bucket cannot go back to never versioned.
pub async fn put_bucket_versioning(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let doc = ctx.json_body(64 << 10).await?;
    let status = doc.get("Status").and_then(Value::as_str).unwrap_or("");
    if !matches!(status, "Enabled" | "Suspended") {
        return Err(TosError::invalid_argument(
            "Status must be Enabled or Suspended",
        ));
    }
    ctx.state.store.set_versioning(&ctx.bucket, status)?;
    Ok(ctx
        .base(200)
        .header("content-length", 0)
        .body(empty())
        .expect("valid response"))
}

pub async fn get_bucket_versioning(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let body = match ctx.state.store.versioning(&ctx.bucket)? {
        Some(status) => json!({ "Status": status }),
        None => json!({}),
    };
    Ok(ctx.finish_json(ctx.base(200), &body))
}

/// The JSON of one entry of ListObjectVersions: a version or a delete marker.
pub fn version_json(mut v: Value, meta: &ObjectMeta, latest: bool) -> Value {
    v["VersionId"] = json!(versions_name(&meta.version_id));
    v["IsLatest"] = json!(latest);
    v
}

pub fn delete_marker_json(meta: &ObjectMeta, latest: bool, owner: Value) -> Value {
    json!({
        "Key": meta.key,
        "VersionId": versions_name(&meta.version_id),
        "IsLatest": latest,
        "LastModified": iso8601(meta.last_modified_ms),
        "Owner": owner,
    })
}
