//! Per-request pipeline: admin short-cut, addressing, signature check, fault
//! injection, dispatch to the operation, request logging.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::header::HOST;
use hyper::http::response::Builder;
use hyper::{HeaderMap, Method, Request, Response};
use tokio::sync::Notify;

use crate::body::{empty, full, ReqBody, RespBody};
use crate::config::Config;
use crate::errors::TosError;
use crate::faults::{Action, Faults};
use crate::reqlog::{Entry, RequestLog};
use crate::routing::{self, operation, resolve, Target};
use crate::sent_body::SentBody;
use crate::sign::{self, AuthError};
use crate::storage::{Ingested, Store};
use crate::throttle::Refused;
use crate::util::{now_ms, unique_id};
use crate::{admin, multipart, names, objects};

pub struct AppState {
    pub cfg: Config,
    pub sts: crate::sts::Sts,
    pub store: Store,
    pub faults: Faults,
    pub log: RequestLog,
    pub link: crate::link::Link,
    pub throttle: crate::throttle::Throttle,
    pub acls: crate::acl::Acls,
}

/// What a request handler may do to its own connection (for the reset fault).
#[derive(Clone)]
pub struct ConnCtx {
    pub peer: SocketAddr,
    pub fd: RawFd,
    pub kill: Arc<Notify>,
    pub link: Arc<std::sync::Mutex<crate::link::ConnLink>>,
}

impl ConnCtx {
    /// A request body reader paced by the emulated link, if one is set.
    pub fn body(&self, state: &AppState, incoming: Incoming) -> ReqBody {
        let pacer = self
            .link
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pacer(&state.link);
        ReqBody::new(incoming).paced(pacer)
    }

    /// SO_LINGER 0 makes the close send RST, which is what a real network failure
    /// looks like to the client; then the connection task drops the socket.
    pub fn reset(&self) {
        // SAFETY: the connection task owns the socket and outlives this request,
        // so the descriptor is open for the duration of this borrow.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(self.fd) };
        let _ = socket2::SockRef::from(&fd).set_linger(Some(Duration::ZERO));
        self.kill.notify_one();
    }

    fn half_close(&self) {
        // SAFETY: as in `reset`.
        let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(self.fd) };
        let _ = socket2::SockRef::from(&fd).shutdown(std::net::Shutdown::Write);
    }
}

/// Logs the request even if hyper drops the handler because the client went away.
struct LogGuard {
    state: Arc<AppState>,
    entry: Option<Entry>,
    received: Arc<std::sync::atomic::AtomicU64>,
}

impl LogGuard {
    fn push(&mut self, status: u16) {
        if let Some(mut e) = self.entry.take() {
            e.status = status;
            e.body_bytes = self.received.load(std::sync::atomic::Ordering::Relaxed);
            e.time_ms = now_ms();
            self.state.log.push(e);
        }
    }
}

impl LogGuard {
    /// Hands the log entry to the response body, which writes it once its last byte has gone
    /// out (with the bytes it carried), and arms a response-body fault.
    fn attach(
        &mut self,
        resp: Response<RespBody>,
        fault: Option<Action>,
        conn: &ConnCtx,
    ) -> Response<RespBody> {
        use http_body_util::BodyExt;
        use hyper::body::Body;
        let mut resp = resp;
        crate::sts::set_date(&self.state.cfg, &mut resp);
        let Some(mut entry) = self.entry.take() else {
            return resp;
        };
        entry.status = resp.status().as_u16();
        entry.body_bytes = self.received.load(std::sync::atomic::Ordering::Relaxed);
        let (parts, body) = resp.into_parts();
        if body.is_end_stream() && fault.is_none() {
            entry.time_ms = now_ms();
            self.state.log.push(entry);
            return Response::from_parts(parts, body);
        }
        let state = self.state.clone();
        let on_done = move |sent: u64| {
            entry.response_bytes = sent;
            entry.time_ms = now_ms();
            state.log.push(entry);
        };
        let body = SentBody::new(body, fault, conn.clone(), Box::new(on_done));
        Response::from_parts(parts, body.boxed())
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // Status 0: no response was sent.
        self.push(0);
    }
}

pub struct Ctx<'a> {
    pub state: &'a AppState,
    pub method: Method,
    pub headers: HeaderMap,
    pub target: Target,
    pub bucket: String,
    pub request_id: String,
    pub bad_crc: bool,
    pub body: ReqBody,
}

impl Ctx<'_> {
    pub fn key(&self) -> &str {
        &self.target.key
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn base(&self, status: u16) -> Builder {
        Response::builder()
            .status(status)
            .header("x-tos-request-id", &self.request_id)
            .header("x-tos-id-2", format!("{}-local", self.request_id))
            .header("server", "tos-local-server")
    }

    /// A JSON request document of at most `limit` bytes, checked against its Content-MD5 when
    /// one is sent (the Go SDK sends one with each).
    pub async fn json_body(&mut self, limit: usize) -> Result<serde_json::Value, TosError> {
        let declared = crate::digest::declared_content_md5(&self.headers)?;
        let raw = self.body.read_all(limit).await?;
        if declared.is_some_and(|want| crate::digest::md5(&raw) != want) {
            return Err(crate::digest::bad_digest());
        }
        serde_json::from_slice(&raw)
            .map_err(|_| TosError::new(400, "MalformedBody", "body is not JSON"))
    }

    /// The CRC header, deliberately corrupted when a bad_crc fault fired.
    pub fn crc_value(&self, crc: u64) -> String {
        let crc = if self.bad_crc { crc ^ 1 } else { crc };
        crc.to_string()
    }

    pub fn finish_json(&self, b: Builder, value: &serde_json::Value) -> Response<RespBody> {
        let text = value.to_string();
        b.header("content-type", "application/json")
            .header("content-length", text.len())
            .body(full(text))
            .expect("valid response")
    }

    pub async fn ingest(&mut self) -> Result<Ingested, TosError> {
        // A malformed Content-MD5 is refused before the body is read (then drained).
        let declared = crate::digest::declared_content_md5(&self.headers)?;
        let mut sink = self
            .state
            .store
            .new_sink(&self.bucket, declared.is_some())?;
        while let Some(chunk) = self.body.chunk().await? {
            sink.write(&chunk)?;
        }
        let data = sink.finish()?;
        match declared {
            Some(want) if data.md5 != Some(want) => Err(crate::digest::bad_digest()),
            _ => Ok(data),
        }
    }
}

fn error_response(
    e: &TosError,
    head: bool,
    request_id: &str,
    resource: &str,
) -> Response<RespBody> {
    let mut b = Response::builder()
        .status(e.status)
        .header("x-tos-request-id", request_id)
        .header("x-tos-id-2", format!("{request_id}-local"))
        .header("x-tos-ec", e.ec())
        .header("server", "tos-local-server");
    if let Some(s) = e.retry_after {
        b = b.header("retry-after", s.to_string());
    }
    for (name, value) in &e.headers {
        b = b.header(*name, value.as_str());
    }
    if head {
        // HEAD errors carry no body, as on real TOS.
        return b.body(empty()).expect("valid response");
    }
    let text = e.body(request_id, resource);
    b.header("content-type", "application/json")
        .header("content-length", text.len())
        .body(full(text))
        .expect("valid response")
}

fn auth_error(e: AuthError) -> TosError {
    match e {
        AuthError::Missing => TosError::new(403, "AccessDenied", "missing Authorization header"),
        AuthError::Malformed(m) => TosError::new(403, "AccessDenied", m),
        AuthError::UnknownKey => TosError::new(
            403,
            "InvalidAccessKeyId",
            "The access key id you provided does not exist in our records.",
        ),
        AuthError::Skewed => crate::sts::skewed(),
        AuthError::Expired => TosError::new(403, "AccessDenied", "Request has expired"),
        AuthError::Refused(code) => crate::sts::refusal(code),
        AuthError::Mismatch(creq) => TosError::new(
            403,
            "SignatureDoesNotMatch",
            format!("The request signature we calculated does not match the signature you provided. Canonical request: {creq:?}"),
        ),
    }
}

fn check_names(t: &Target) -> Result<(), TosError> {
    if let Some(b) = &t.bucket {
        names::check_bucket(b, names::Dialect::Tos)?;
    }
    if t.raw_key.is_empty() {
        return Ok(());
    }
    names::check_key(&t.raw_key, names::Dialect::Tos)
}

pub async fn handle(
    state: Arc<AppState>,
    conn: ConnCtx,
    req: Request<Incoming>,
) -> Result<Response<RespBody>, Infallible> {
    if req.uri().path().starts_with("/__admin/") {
        return Ok(admin::handle(&state, &conn, req).await);
    }
    let (parts, incoming) = req.into_parts();
    let host = parts
        .headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let raw_path = parts.uri.path();
    let raw_query = parts.uri.query().unwrap_or("");
    let target = resolve(
        &host,
        raw_path,
        raw_query,
        state.cfg.custom_domain.as_deref(),
    );
    let op = crate::acl::operation(&parts.method, &target)
        .unwrap_or_else(|| operation(&parts.method, &target));
    let request_id = unique_id()[..24].to_string();
    let head = parts.method == Method::HEAD;
    let resource = format!("/{}/{}", target.bucket.as_deref().unwrap_or(""), target.key);
    let part_number = target.param("partNumber").and_then(|p| p.parse().ok());
    let entry = Entry {
        seq: 0,
        time_ms: 0,
        op: op.to_string(),
        bucket: target.bucket.clone(),
        key: (!target.key.is_empty()).then(|| target.key.clone()),
        part_number,
        upload_id: target.param("uploadId").map(str::to_string),
        status: 0,
        body_bytes: 0,
        response_bytes: 0,
        range: parts
            .headers
            .get("range")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        fault: None,
        checksum: None,
        access_key: crate::sts::access_key_of(&parts.headers)
            .or_else(|| crate::presign::access_key(raw_query)),
    };

    let sreq = sign::Request {
        method: parts.method.as_str(),
        raw_path,
        raw_query,
        headers: &parts.headers,
    };
    // A throttled request is refused before anything else, as a busy store's front does.
    let refused = parts.extensions.get::<Refused>().map(|r| r.0.clone());
    // Names are judged only for signed requests, so an unsigned caller learns
    // nothing, and before faults or storage see them.
    let admitted = match refused {
        Some(e) => Err(e),
        None => {
            let now_secs = (crate::sts::server_now_ms(&state.cfg) / 1000) as i64;
            let verified = if crate::presign::is_presigned(raw_query) {
                let token = crate::presign::security_token(raw_query);
                crate::presign::verify_query(&sreq, now_secs, |ak| {
                    let secret = state.sts.secret_for(&state.cfg, ak, token.as_deref())?;
                    Ok(secret.map(|sk| (sk, state.cfg.region.clone())))
                })
            } else {
                let token = parts
                    .headers
                    .get("x-tos-security-token")
                    .and_then(|v| v.to_str().ok());
                sign::verify_with(&sreq, now_secs, |ak| {
                    let secret = state.sts.secret_for(&state.cfg, ak, token)?;
                    Ok(secret.map(|sk| (sk, state.cfg.region.clone())))
                })
                .or_else(|e| match e {
                    // Unsigned: admitted where the bucket's ACL lets everyone do `op`.
                    AuthError::Missing if state.acls.admits_anonymous(&target, op) => Ok(()),
                    e => Err(e),
                })
            };
            verified
                .map_err(auth_error)
                .and_then(|()| check_names(&target))
        }
    };

    let mut ctx = Ctx {
        state: &state,
        method: parts.method.clone(),
        headers: parts.headers.clone(),
        bucket: target.bucket.clone().unwrap_or_default(),
        target,
        request_id,
        bad_crc: false,
        body: conn.body(&state, incoming),
    };
    let mut guard = LogGuard {
        state: state.clone(),
        entry: Some(entry),
        received: ctx.body.counter.clone(),
    };

    let mut response_fault = None;
    let result = match admitted {
        Err(e) => Err(e),
        Ok(()) => {
            let key = (!ctx.target.key.is_empty()).then_some(ctx.target.key.as_str());
            let fault = state.faults.take(op, key, part_number);
            if let Some(e) = guard.entry.as_mut() {
                e.fault = fault.as_ref().map(|f| f.name().to_string());
            }
            match fault {
                Some(Action::Reset {
                    after_bytes,
                    fin_first,
                }) => {
                    let _ = ctx.body.drain(Some(after_bytes)).await;
                    guard.push(0);
                    if fin_first {
                        conn.half_close();
                    }
                    conn.reset();
                    return std::future::pending().await;
                }
                Some(Action::DropReply) => {
                    let _ = dispatch(op, &mut ctx).await;
                    guard.push(0);
                    conn.reset();
                    return std::future::pending().await;
                }
                Some(Action::Status {
                    status,
                    code,
                    message,
                    retry_after,
                }) => {
                    let _ = ctx.body.drain(None).await;
                    let mut e = TosError::new(
                        status,
                        code.as_deref().unwrap_or("InternalError"),
                        message.unwrap_or_else(|| "injected fault".into()),
                    );
                    e.retry_after = retry_after;
                    Err(e)
                }
                other => {
                    match &other {
                        Some(Action::Stall {
                            ms,
                            after_bytes: None,
                        }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                        Some(Action::Stall {
                            ms,
                            after_bytes: Some(n),
                        }) => ctx.body.stall_after(*n, *ms),
                        Some(Action::BadCrc) => ctx.bad_crc = true,
                        _ => response_fault = other.clone(),
                    }
                    dispatch(op, &mut ctx).await
                }
            }
        }
    };
    let resp = match result {
        Ok(r) => r,
        Err(e) => {
            // Unread body bytes would otherwise poison the keep-alive connection.
            let _ = ctx.body.drain(None).await;
            error_response(&e, head, &ctx.request_id, &resource)
        }
    };
    Ok(guard.attach(resp, response_fault, &conn))
}

async fn dispatch(op: &str, ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    if op == "PutBucketAcl" || op == "GetBucketAcl" {
        return acl_dispatch(op, ctx).await;
    }
    if let Some(name) = routing::unimplemented_parameter(op, &ctx.target) {
        return Err(not_implemented(format!(
            "{op} with ?{name} is not implemented by tos-local-server"
        )));
    }
    refuse_unimplemented_headers(op, ctx)?;
    let traffic = crate::traffic::limit(op, &ctx.headers)?;
    if let (Some(rate), true) = (traffic, op != "GetObject") {
        ctx.body.cap(rate);
    }
    let resp = route(op, ctx).await?;
    Ok(match traffic {
        Some(rate) if op == "GetObject" => crate::traffic::paced(resp, rate),
        _ => resp,
    })
}

async fn route(op: &str, ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    if op == "CreateBucket" {
        crate::acl::check_create(ctx)?;
        let created = objects::create_bucket(ctx).await?;
        crate::acl::created(ctx)?;
        return Ok(created);
    }
    if ctx.target.bucket.is_none() {
        return Err(TosError::new(
            400,
            "InvalidBucketName",
            "no bucket in request",
        ));
    }
    if !ctx.state.store.bucket_exists(&ctx.bucket) {
        return Err(TosError::no_such_bucket());
    }
    match op {
        "HeadBucket" => objects::head_bucket(ctx).await,
        "DeleteBucket" => objects::delete_bucket(ctx).await,
        "ListObjects" => crate::listing::list_objects(ctx).await,
        "ListObjectVersions" => crate::listing::list_object_versions(ctx).await,
        "DeleteMultiObjects" => objects::delete_multi_objects(ctx).await,
        "PutBucketVersioning" => crate::versioning::put_bucket_versioning(ctx).await,
        "GetBucketVersioning" => crate::versioning::get_bucket_versioning(ctx).await,
        "RestoreObject" => crate::restore::restore_object(ctx).await,
        "PutObject" if ctx.headers.contains_key("x-tos-copy-source") => {
            crate::copy::copy_object(ctx).await
        }
        "UploadPart" if ctx.headers.contains_key("x-tos-copy-source") => {
            crate::copy::upload_part_copy(ctx).await
        }
        "PutObject" => objects::put_object(ctx).await,
        "GetObject" | "HeadObject" => objects::get_object(ctx).await,
        "DeleteObject" => objects::delete_object(ctx).await,
        "CreateMultipartUpload" => multipart::create(ctx).await,
        "UploadPart" => multipart::upload_part(ctx).await,
        "CompleteMultipartUpload" => multipart::complete(ctx).await,
        "AbortMultipartUpload" => multipart::abort(ctx).await,
        "ListParts" => multipart::list_parts(ctx).await,
        "ListMultipartUploads" => multipart::list_uploads(ctx).await,
        _ => Err(not_implemented(format!("{op} is not implemented"))),
    }
}

async fn acl_dispatch(op: &str, ctx: &mut Ctx<'_>) -> Result<Response<RespBody>, TosError> {
    if let Some((name, _)) = ctx.target.query.iter().find(|(k, _)| k != "acl") {
        return Err(not_implemented(format!(
            "{op} with ?{name} is not implemented by tos-local-server"
        )));
    }
    if !ctx.state.store.bucket_exists(&ctx.bucket) {
        return Err(TosError::no_such_bucket());
    }
    match op {
        "PutBucketAcl" => crate::acl::put(ctx).await,
        _ => crate::acl::get(ctx),
    }
}

fn not_implemented(message: String) -> TosError {
    TosError::new(501, "NotImplemented", message)
}

/// Writes this server cannot carry out faithfully are refused rather than stored as plain
/// bytes: Go's trailer mode (the chunk framing and trailer would become the object).
fn refuse_unimplemented_headers(op: &str, ctx: &Ctx) -> Result<(), TosError> {
    if !matches!(op, "PutObject" | "UploadPart") {
        return Ok(());
    }
    let tos_chunked = ctx.header("content-encoding").is_some_and(|v| {
        v.split(',')
            .any(|e| e.trim().eq_ignore_ascii_case("tos-chunked"))
    }) || ctx
        .header("x-tos-content-sha256")
        .is_some_and(|v| v.starts_with("STREAMING-"));
    if tos_chunked {
        return Err(not_implemented(
            "tos-chunked bodies (trailer mode) are not implemented".into(),
        ));
    }
    Ok(())
}
