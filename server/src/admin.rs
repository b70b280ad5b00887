//! Unsigned control API under `/__admin/`, for tests to inject faults and read
//! the request log. `__admin` is not a valid bucket name, so it cannot clash.

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::json;

use crate::body::{full, RespBody};
use crate::faults::OneOrMany;
use crate::objects::object_body;
use crate::service::{AppState, ConnCtx};
use crate::sign::parse_query;

fn reply(status: u16, content_type: &str, text: String) -> Response<RespBody> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("content-length", text.len())
        .body(full(text))
        .expect("valid response")
}

fn json_reply(status: u16, v: serde_json::Value) -> Response<RespBody> {
    reply(status, "application/json", v.to_string())
}

pub async fn handle(
    state: &AppState,
    conn: &ConnCtx,
    req: Request<Incoming>,
) -> Response<RespBody> {
    if !conn.peer.ip().is_loopback() {
        return json_reply(403, json!({"error": "admin API is loopback-only"}));
    }
    let method = req.method().clone();
    let path = req.uri().path().trim_end_matches('/').to_string();
    let query = parse_query(req.uri().query().unwrap_or(""));
    let body = match Limited::new(req.into_body(), 1 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return json_reply(400, json!({"error": e.to_string()})),
    };
    match (method, path.as_str()) {
        (Method::GET, "/__admin/health") => reply(200, "text/plain", "ok".into()),
        (Method::GET, "/__admin/log") => {
            let since = query
                .iter()
                .find(|(k, _)| k == "since")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            json_reply(200, json!(state.log.since(since)))
        }
        (Method::DELETE, "/__admin/log") => {
            state.log.clear();
            json_reply(200, json!({"cleared": true}))
        }
        (Method::GET, "/__admin/faults") => json_reply(200, json!(state.faults.list())),
        (Method::DELETE, "/__admin/faults") => {
            state.faults.clear();
            json_reply(200, json!({"cleared": true}))
        }
        (Method::POST, "/__admin/faults") => match serde_json::from_slice::<OneOrMany>(&body) {
            Ok(rules) => json_reply(200, json!({"ids": state.faults.add(rules.into_vec())})),
            Err(e) => json_reply(400, json!({"error": format!("bad fault rule: {e}")})),
        },
        (Method::GET, "/__admin/object") => object(state, &query).await,
        (Method::GET, "/__admin/uploads") => uploads(state, &query),
        (Method::GET, "/__admin/link") => json_reply(200, json!(state.link.settings())),
        (Method::POST, "/__admin/link") => {
            let change = serde_json::from_slice::<crate::link::LinkChange>(&body)
                .map_err(|e| format!("bad link settings: {e}"))
                .and_then(|c| state.link.change(&c));
            match change {
                Ok(settings) => json_reply(200, json!(settings)),
                Err(e) => json_reply(400, json!({ "error": e })),
            }
        }
        (Method::POST, "/__admin/sts") => match state.sts.mint(&state.cfg) {
            Some(minted) => json_reply(200, json!(minted)),
            None => json_reply(
                404,
                json!({"error": "no STS credentials: start the server with --sts-token-lifetime-s"}),
            ),
        },
        (Method::GET, "/__admin/stats") => json_reply(200, json!(state.link.stats.view())),
        (Method::DELETE, "/__admin/stats") => {
            state.link.stats.reset();
            json_reply(200, json!(state.link.stats.view()))
        }
        _ => json_reply(404, json!({"error": "unknown admin endpoint"})),
    }
}

/// `GET /__admin/object?bucket=B&key=K`: the stored bytes of an object, unsigned,
/// so tests can compare what arrived with what they sent.
async fn object(state: &AppState, query: &[(String, String)]) -> Response<RespBody> {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(bucket), Some(key)) = (param("bucket"), param("key")) else {
        return json_reply(400, json!({"error": "bucket and key are required"}));
    };
    let error = |e: crate::errors::TosError| {
        json_reply(e.status, json!({"error": e.message, "code": e.code}))
    };
    let meta = match state.store.get_object(bucket, key) {
        Ok(m) => m,
        Err(e) => return error(e),
    };
    match object_body(&state.store, bucket, &meta, 0, meta.size).await {
        Ok(body) => {
            // The stored attributes too, so tests can check them without signing a HEAD.
            let mut response = Response::builder()
                .status(200)
                .header("content-length", meta.size)
                .header("etag", format!("\"{}\"", meta.etag))
                .header("x-tos-hash-crc64ecma", meta.crc);
            let mut has_type = false;
            for (name, value) in &meta.attrs {
                has_type |= name == "content-type";
                response = response.header(name.as_str(), value.as_str());
            }
            if !has_type {
                response = response.header("content-type", "application/octet-stream");
            }
            response.body(body).expect("valid response")
        }
        Err(e) => error(e),
    }
}

/// `GET /__admin/uploads?bucket=B`: the multipart uploads still open, unsigned, so tests
/// can check that nothing leaked.
fn uploads(state: &AppState, query: &[(String, String)]) -> Response<RespBody> {
    let Some(bucket) = query.iter().find(|(k, _)| k == "bucket").map(|(_, v)| v) else {
        return json_reply(400, json!({"error": "bucket is required"}));
    };
    match state.store.list_uploads(bucket, "") {
        Ok(uploads) => json_reply(
            200,
            json!(uploads.iter().map(|u| &u.upload_id).collect::<Vec<_>>()),
        ),
        Err(e) => json_reply(e.status, json!({"error": e.message, "code": e.code})),
    }
}
