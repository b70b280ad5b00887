//! CopyObject and UploadPartCopy: a PutObject or UploadPart whose data is (a range of) a
//! stored object named by `x-tos-copy-source`, answered with TOS's JSON `{ETag, LastModified}`.

use std::io::{Read, Seek, SeekFrom};

use hyper::Response;
use serde_json::json;

use crate::body::RespBody;
use crate::errors::TosError;
use crate::objects::stored_attrs;
use crate::service::Ctx;
use crate::sign::percent_decode;
use crate::sse;
use crate::storage::{Ingested, ObjectMeta};
use crate::util::iso8601;

fn not_implemented(what: &str) -> TosError {
    TosError::new(501, "NotImplemented", format!("{what} is not implemented"))
}

/// `/bucket/key` (the key query-escaped, `+` for a space, as the Go SDK's `url.QueryEscape`
/// writes it), optionally `?versionId=`.
fn source(ctx: &Ctx) -> Result<(String, String, Option<String>), TosError> {
    let raw = ctx.header("x-tos-copy-source").unwrap_or("");
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let version = query
        .strip_prefix("versionId=")
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(&percent_decode(v)).into_owned());
    let decoded = percent_decode(&path.replace('+', "%20"));
    let text = String::from_utf8(decoded)
        .map_err(|_| TosError::invalid_argument("x-tos-copy-source is not UTF-8"))?;
    let text = text.strip_prefix('/').unwrap_or(&text);
    match text.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => {
            Ok((b.to_string(), k.to_string(), version))
        }
        _ => Err(TosError::invalid_argument(
            "x-tos-copy-source must be /bucket/key",
        )),
    }
}

/// The source's metadata, after the checks a read of it would make.
fn source_meta(ctx: &Ctx) -> Result<(String, ObjectMeta), TosError> {
    if ctx
        .headers
        .keys()
        .any(|k| k.as_str().starts_with("x-tos-copy-source-if-"))
    {
        return Err(not_implemented("a conditional copy"));
    }
    let (bucket, key, version) = source(ctx)?;
    let meta = match &version {
        Some(v) => ctx.state.store.get_version(&bucket, &key, v)?,
        None => ctx.state.store.get_object(&bucket, &key)?,
    };
    // An SSE-C source is read with its key given as `x-tos-copy-source-server-side-
    // encryption-customer-*`: the same check as a GET's, on those headers renamed.
    let mut read_headers = hyper::HeaderMap::new();
    for (name, value) in &ctx.headers {
        if let Some(rest) = name.as_str().strip_prefix("x-tos-copy-source-server-side-") {
            let renamed = format!("x-tos-server-side-{rest}");
            if let Ok(n) = hyper::header::HeaderName::from_bytes(renamed.as_bytes()) {
                read_headers.insert(n, value.clone());
            }
        }
    }
    sse::check_read(&read_headers, &meta)?;
    Ok((bucket, meta))
}

/// Copies `len` bytes from `start` of the source into a new sink of `dst_bucket`. Reads
/// block the worker briefly, as the sink's writes already do: copies here are test-sized.
fn copy_data(
    ctx: &Ctx,
    src_bucket: &str,
    meta: &ObjectMeta,
    start: u64,
    len: u64,
) -> Result<Ingested, TosError> {
    let Some(path) = ctx.state.store.data_path(src_bucket, meta) else {
        return Err(TosError::new(
            501,
            "NotImplemented",
            "object data is not kept in --discard mode",
        ));
    };
    let mut sink = ctx.state.store.new_sink(&ctx.bucket, false)?;
    if len > 0 {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut left = len;
        let mut buf = vec![0u8; 1 << 20];
        while left > 0 {
            let want = buf.len().min(left as usize);
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                return Err(TosError::new(
                    500,
                    "InternalError",
                    "source object is short",
                ));
            }
            sink.write(&buf[..n])?;
            left -= n as u64;
        }
    }
    Ok(sink.finish()?)
}

fn answer(
    ctx: &Ctx,
    b: hyper::http::response::Builder,
    etag: &str,
    source: &ObjectMeta,
) -> Response<RespBody> {
    let body = json!({
        "ETag": format!("\"{etag}\""),
        "LastModified": iso8601(crate::util::now_ms()),
    });
    let source_version = crate::storage::versions_name(&source.version_id);
    ctx.finish_json(
        b.header("x-tos-copy-source-version-id", source_version),
        &body,
    )
}

/// `x-tos-metadata-directive: REPLACE` takes the request's attributes; COPY (the default)
/// keeps the source's.
pub async fn copy_object(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let (src_bucket, meta) = source_meta(ctx)?;
    sse::check_write(&ctx.headers)?;
    let (request_attrs, forbid) = stored_attrs(ctx);
    // The copy's encryption is the request's, never the source's.
    let is_sse = |k: &str| k.starts_with("x-tos-server-side-encryption");
    let attrs = match ctx.header("x-tos-metadata-directive") {
        None | Some("COPY") => meta
            .attrs
            .iter()
            .filter(|(k, _)| !is_sse(k))
            .chain(request_attrs.iter().filter(|(k, _)| is_sse(k)))
            .cloned()
            .collect(),
        Some("REPLACE") => request_attrs,
        Some(_) => {
            return Err(TosError::invalid_argument(
                "x-tos-metadata-directive must be COPY or REPLACE",
            ))
        }
    };
    let data = copy_data(ctx, &src_bucket, &meta, 0, meta.size)?;
    let stored = ctx
        .state
        .store
        .put_object(&ctx.bucket, ctx.key(), data, attrs, forbid)?;
    let b = sse::echo(ctx.base(200), &stored.attrs)
        .header("x-tos-hash-crc64ecma", ctx.crc_value(stored.crc));
    let b = crate::versioning::version_header(b, &stored);
    Ok(answer(ctx, b, &stored.etag, &meta))
}

/// `x-tos-copy-source-range: bytes=a-b` (both ends given, within the source) or the whole
/// source.
pub async fn upload_part_copy(ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    let n = crate::multipart::part_number(ctx)?;
    let id = ctx.target.param("uploadId").unwrap_or("").to_string();
    ctx.state.store.check_upload(&ctx.bucket, ctx.key(), &id)?;
    let (src_bucket, meta) = source_meta(ctx)?;
    sse::check_write(&ctx.headers)?;
    let (start, len) = match ctx.header("x-tos-copy-source-range") {
        None => (0, meta.size),
        Some(r) => {
            let range = r
                .trim()
                .strip_prefix("bytes=")
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                .filter(|(a, b)| a <= b && *b < meta.size);
            let (a, b) = range.ok_or_else(|| TosError::invalid_range(meta.size))?;
            (a, b - a + 1)
        }
    };
    let data = copy_data(ctx, &src_bucket, &meta, start, len)?;
    let part = ctx
        .state
        .store
        .put_part(&ctx.bucket, ctx.key(), &id, n, data)?;
    let b = ctx.base(200);
    Ok(answer(ctx, b, &part.etag, &meta))
}
