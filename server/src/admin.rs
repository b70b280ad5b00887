//! Unsigned control API under `/__admin/`, for tests to inject faults and read
//! the request log. `__admin` is not a valid bucket name, so it cannot clash.

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::json;

use crate::body::{full, RespBody};
use crate::faults::OneOrMany;
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
        _ => json_reply(404, json!({"error": "unknown admin endpoint"})),
    }
}
