//! Archive storage classes and RestoreObject (`POST /key?restore`, docs/protocol.md §7.12).
//! An object stored as ARCHIVE, COLD_ARCHIVE or DEEP_COLD_ARCHIVE cannot be read until a
//! restore of it has completed. A restore here completes `RESTORE_MS` after it was asked
//! for, whatever the tier: long enough for a client to see it in progress, short enough
//! for a test to wait for it.

use hyper::http::response::Builder;
use hyper::Response;
use serde_json::Value;

use crate::body::{empty, RespBody};
use crate::errors::TosError;
use crate::service::Ctx;
use crate::storage::{ObjectMeta, Restore};
use crate::util::{http_date, now_ms};

pub const RESTORE_MS: u64 = 3000;
const DAY_MS: u64 = 24 * 3600 * 1000;

fn storage_class(meta: &ObjectMeta) -> &str {
    meta.attrs
        .iter()
        .find(|(k, _)| k == "x-tos-storage-class")
        .map_or("STANDARD", |(_, v)| v.as_str())
}

fn is_archive(meta: &ObjectMeta) -> bool {
    matches!(
        storage_class(meta).to_ascii_uppercase().as_str(),
        "ARCHIVE" | "COLD_ARCHIVE" | "DEEP_COLD_ARCHIVE"
    )
}

/// When the restore finishes and until when the copy stays readable.
fn timeline(r: &Restore) -> (u64, u64) {
    let done = r.requested_ms + RESTORE_MS;
    (done, done + u64::from(r.days) * DAY_MS)
}

fn readable_now(r: &Restore) -> bool {
    let (done, expiry) = timeline(r);
    (done..expiry).contains(&now_ms())
}

/// A GET of an archive object is refused until a restore of it has completed.
pub fn check_readable(meta: &ObjectMeta) -> Result<(), TosError> {
    if !is_archive(meta) || meta.restore.as_ref().is_some_and(readable_now) {
        return Ok(());
    }
    Err(TosError::new(
        403,
        "InvalidObjectState",
        "The operation is not valid for the object's storage class; restore it first.",
    ))
}

/// `x-tos-restore` and the request's parameters, on the GET and HEAD of a restored or
/// restoring object.
pub fn headers(mut b: Builder, meta: &ObjectMeta) -> Builder {
    let Some(r) = &meta.restore else {
        return b;
    };
    let (done, expiry) = timeline(r);
    let state = if now_ms() < done {
        "ongoing-request=\"true\"".to_string()
    } else {
        format!(
            "ongoing-request=\"false\", expiry-date=\"{}\"",
            http_date(expiry)
        )
    };
    b = b
        .header("x-tos-restore", state)
        .header("x-tos-restore-request-date", http_date(r.requested_ms))
        .header("x-tos-restore-expiry-days", r.days)
        .header("x-tos-restore-tier", r.tier.as_str());
    b
}

/// `{"Days": n, "RestoreJobParameters": {"Tier": "Expedited" | "Standard" | "Bulk"}}`.
/// 202 starts a restore, 200 renews the days of a completed one, 409 while one runs.
pub async fn restore_object(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let doc = ctx.json_body(64 << 10).await?;
    let days = doc
        .get("Days")
        .and_then(Value::as_u64)
        .filter(|d| (1..=365).contains(d))
        .ok_or_else(|| TosError::invalid_argument("Days must be 1 to 365"))? as u32;
    let tier = doc
        .pointer("/RestoreJobParameters/Tier")
        .and_then(Value::as_str)
        .unwrap_or("Standard");
    if !matches!(tier, "Expedited" | "Standard" | "Bulk") {
        return Err(TosError::invalid_argument(
            "Tier must be Expedited, Standard or Bulk",
        ));
    }
    let version = ctx
        .target
        .param("versionId")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let status =
        ctx.state
            .store
            .update_meta(&ctx.bucket, ctx.key(), version.as_deref(), |meta| {
                if !is_archive(meta) {
                    return Err(TosError::new(
                        400,
                        "NotArchiveObject",
                        "Only archive objects can be restored.",
                    ));
                }
                let now = now_ms();
                match &mut meta.restore {
                    Some(r) if now < timeline(r).0 => Err(TosError::new(
                        409,
                        "RestoreAlreadyInProgress",
                        "Object restore is already in progress.",
                    )),
                    Some(r) if now < timeline(r).1 => {
                        r.days = days;
                        Ok(200)
                    }
                    _ => {
                        meta.restore = Some(Restore {
                            requested_ms: now,
                            days,
                            tier: tier.to_string(),
                        });
                        Ok(202)
                    }
                }
            })?;
    Ok(ctx
        .base(status)
        .header("content-length", 0)
        .body(empty())
        .expect("valid response"))
}
