//! Sends protocol operations over HTTP: signing each attempt afresh, reading small response
//! bodies, classifying failures and retrying with exponential backoff, jitter and Retry-After.

use super::answers::Answers;
use super::clock::Clock;
use super::congestion::{Congestion, Load};
use super::credentials_cache::{CredentialsCache, SigningCredentials};
use super::foreign_answer;
use super::network_error::{default_endpoint_note, host_of, network_error, proxy_refused};
use super::protocol::{Operation, Protocol, Response, SignedRequest};
use crate::config::ClientConfig;
use crate::error::{ErrorKind, Result, UploadError};
use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Largest control-response body we read; TOS answers are a few KiB at most.
const MAX_RESPONSE_BODY: usize = 4 << 20;
const BACKOFF_BASE: Duration = Duration::from_millis(100);
const BACKOFF_CAP: Duration = Duration::from_secs(10);
const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// Retries after throttling answers (429, 503), besides `max_retry_count`.
const THROTTLED_RETRIES: u32 = 10;

pub(crate) struct Transport {
    http: reqwest::Client,
    protocol: Arc<dyn Protocol>,
    max_retry_count: u32,
    idle_timeout: Duration,
    request_budget: Duration,
    /// `host:port` of the endpoint (and whether it is the default), for messages about
    /// requests that never got an answer.
    endpoint_host: String,
    default_note: String,
    /// The jitter's random numbers, one generator per client so that clients started at once
    /// do not retry in step. Seeded from std's `RandomState` (OS randomness, fresh keys on
    /// each call), not `Rng::new()`: its seeding makes std record a thread handle for the
    /// calling thread, which on a C caller's main thread is never freed.
    jitter: Mutex<fastrand::Rng>,
    credentials: CredentialsCache,
    clock: Clock,
    /// Counts the corrections learnt from refusals (the clock, expired credentials): a
    /// request refused while the count moved may succeed signed again (`retry_loop`).
    corrections: AtomicU64,
    /// Shared by every call of the client: throttling slows all of them down.
    congestion: Congestion,
}

/// How many times one request is signed again after a correction, beyond its retries: two,
/// so a first request that meets both a clock and credentials to correct keeps its retries.
const MAX_RESIGNS: u32 = 2;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureClass {
    Retry,
    /// Stop this request; other requests of the upload may go on.
    GiveUp,
    /// 403/404/405 on a part: the upload cannot succeed (the Go SDK aborts it).
    Fatal,
}

pub(crate) fn classify(error: &UploadError) -> FailureClass {
    match error.kind {
        ErrorKind::Network | ErrorKind::Timeout | ErrorKind::CrcMismatch => FailureClass::Retry,
        ErrorKind::Server => match error.http_status() {
            // 501: the store does not implement what the request asked for; asking again
            // changes nothing (the S3 checksum trailer fallback relies on hearing it once).
            Some(501) => FailureClass::GiveUp,
            Some(status) if status >= 500 || status == 429 || status == 408 => FailureClass::Retry,
            // TOS's "please retry" code for a 400.
            Some(400)
                if error
                    .server
                    .as_ref()
                    .is_some_and(|s| s.ec == "0005-00000044") =>
            {
                FailureClass::Retry
            }
            // The store refused a body whose checksum did not match: corrupted on the way.
            Some(400)
                if error
                    .server
                    .as_ref()
                    .is_some_and(|s| s.code == "BadDigest" || s.code == "InvalidDigest") =>
            {
                FailureClass::Retry
            }
            Some(403..=405) => FailureClass::Fatal,
            // A 2xx body we could not read: another attempt may read a good one.
            None => FailureClass::Retry,
            _ => FailureClass::GiveUp,
        },
        _ => FailureClass::GiveUp,
    }
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig, protocol: Arc<dyn Protocol>) -> Result<Self> {
        let proxies = super::proxy::choose(config, |name| std::env::var(name).ok());
        let builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.idle_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("libtosupload/", env!("CARGO_PKG_VERSION")))
            .tls_danger_accept_invalid_certs(!config.verify_tls);
        let builder = super::proxy::apply(&proxies, builder)?;
        let builder = super::trust::apply(config, builder)?;
        let http = builder
            .build()
            .map_err(|e| super::trust::build_error(config, e))?;
        // A request that gets no answer may have failed at the proxy: its messages say so.
        let default_note = format!(
            "{}{}",
            default_endpoint_note(config),
            super::proxy::proxy_for(&proxies, &config.endpoint)
                .map_or(String::new(), |p| format!(" (through the proxy {p})"))
        );
        Ok(Transport {
            http,
            protocol,
            max_retry_count: config.max_retry_count,
            idle_timeout: config.idle_timeout,
            request_budget: config.request_budget,
            endpoint_host: format!("{}{default_note}", host_of(&config.endpoint)),
            default_note,
            jitter: Mutex::new(fastrand::Rng::with_seed(
                RandomState::new().build_hasher().finish(),
            )),
            credentials: CredentialsCache::new(config),
            clock: Clock::default(),
            corrections: AtomicU64::new(0),
            congestion: Congestion::new(config.max_requests_per_second),
        })
    }

    /// One attempt. `body` streams part data; `None` sends `operation.body`.
    pub(crate) async fn send_once(
        &self,
        operation: &Operation,
        body: Option<reqwest::Body>,
        attempt: u32,
    ) -> Result<Response> {
        let urgent = operation.name == "AbortMultipartUpload";
        let mut slot = self.congestion.acquire(urgent).await;
        let started = std::time::Instant::now();
        let result = self.send_signed(operation, body, attempt).await;
        slot.answered(Load::of(&result));
        drop(slot);
        if log::log_enabled!(log::Level::Debug) {
            let part = operation
                .query
                .iter()
                .find(|(k, _)| k == "partNumber")
                .map_or(String::new(), |(_, v)| format!(" part {v}"));
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            match &result {
                Ok(r) => log::debug!(
                    "{} {}/{}{part}: HTTP {} request id {} in {ms:.1} ms (attempt {})",
                    operation.name,
                    operation.bucket,
                    operation.key,
                    r.status,
                    r.header(self.protocol.site().dialect.request_id_header)
                        .unwrap_or("-"),
                    attempt + 1
                ),
                Err(e) => log::debug!(
                    "{} {}/{}{part}: failed in {ms:.1} ms (attempt {}): {e}{}",
                    operation.name,
                    operation.bucket,
                    operation.key,
                    attempt + 1,
                    e.server
                        .as_ref()
                        .map_or(String::new(), |s| format!(" request id {}", s.request_id))
                ),
            }
        }
        result
    }

    async fn send_signed(
        &self,
        operation: &Operation,
        body: Option<reqwest::Body>,
        attempt: u32,
    ) -> Result<Response> {
        let (mut request, signed, answers) = self.signed_request(operation, attempt).await?;
        request = match body {
            Some(body) => request.body(body),
            None => {
                // Control requests are small; bound their whole duration.
                request
                    .timeout(self.idle_timeout)
                    .body(operation.body.clone())
            }
        };
        // Only a failure needs the host named; parsing it for every request cost folders of
        // small files about 2 % of their CPU.
        let failed =
            |e| network_error(operation.name, &host_of(&signed.url), &self.default_note, e);
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let body = read_limited(response).await.map_err(failed)?;
        let response = Response {
            status,
            headers,
            body,
        };
        if status == 407 {
            return Err(self.proxy_refused(operation, &signed.url));
        }
        if status != operation.expected_status {
            return Err(answers.refused(&signed, &response));
        }
        if foreign_answer::is_foreign_success(operation.method, &response) {
            return Err(answers.foreign(&signed, &response));
        }
        Ok(response)
    }

    /// One attempt whose successful answer keeps its body unread, for the caller to stream
    /// (a download's range); an unexpected status has its small body read for the error.
    pub(crate) async fn open_body(
        &self,
        operation: &Operation,
        attempt: u32,
    ) -> Result<reqwest::Response> {
        // Held until the answer's head arrives: the body is then the download's to stream.
        let mut slot = self.congestion.acquire(false).await;
        let result = self.open_body_once(operation, attempt).await;
        slot.answered(Load::of(&result));
        result
    }

    async fn open_body_once(
        &self,
        operation: &Operation,
        attempt: u32,
    ) -> Result<reqwest::Response> {
        let (request, signed, answers) = self.signed_request(operation, attempt).await?;
        let failed =
            |e| network_error(operation.name, &host_of(&signed.url), &self.default_note, e);
        let mut response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        if status == operation.expected_status {
            return Ok(response);
        }
        if status == 407 {
            return Err(self.proxy_refused(operation, &signed.url));
        }
        let headers = std::mem::take(response.headers_mut());
        // An error document is small; a 200 to a ranged GET may be a whole object, which is
        // not read past the bound.
        let mut body = bytes::BytesMut::new();
        while body.len() < MAX_RESPONSE_BODY {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(MAX_RESPONSE_BODY);
        let response = Response {
            status,
            headers,
            body: body.freeze(),
        };
        Err(answers.refused(&signed, &response))
    }

    pub(super) fn protocol(&self) -> &dyn Protocol {
        self.protocol.as_ref()
    }

    /// Said after the host in messages when the endpoint was made from the region.
    pub(super) fn default_note(&self) -> &str {
        &self.default_note
    }

    fn proxy_refused(&self, operation: &Operation, url: &str) -> UploadError {
        proxy_refused(operation.name, &host_of(url), &self.default_note)
    }

    /// The request of one attempt, signed with the current credentials at the server's time,
    /// and what turns an unexpected answer into its error (learning from it on the way).
    async fn signed_request<'a>(
        &'a self,
        operation: &'a Operation,
        attempt: u32,
    ) -> Result<(reqwest::RequestBuilder, SignedRequest, Answers<'a>)> {
        let creds = self.credentials.get().await?;
        let signed_at = self.clock.now();
        let signed = self.protocol.sign_with(operation, signed_at, &creds)?;
        let method = reqwest::Method::from_bytes(operation.method.as_bytes())
            .map_err(|e| UploadError::new(ErrorKind::Internal, "bad HTTP method").with_cause(e))?;
        let mut request = self.http.request(method, &signed.url);
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if attempt > 0 {
            request = request.header(
                "x-sdk-retry-count",
                format!("attempt={attempt}; max={}", self.max_retry_count),
            );
        }
        let answers = Answers {
            transport: self,
            operation,
            creds,
            signed_at,
        };
        Ok((request, signed, answers))
    }

    /// A 403 may say the request was signed at the wrong time (the clock is corrected) or
    /// with expired credentials (the provider is asked again); either way the request is
    /// worth signing again, which `retry_loop` does once.
    pub(super) fn learn_from_refusal(
        &self,
        response: &Response,
        error: &UploadError,
        creds: &SigningCredentials,
        signed_at: SystemTime,
    ) {
        if response.status != 403 {
            return;
        }
        let code = error.server.as_ref().map_or("", |s| s.code.as_str());
        // Without a document (a HEAD's answer) the code is only the status's name.
        let document_code = (!response.body.is_empty()).then_some(code);
        let date = response.header("date");
        if let Some(offset_ms) = self.clock.learn(document_code, date, signed_at) {
            self.corrections.fetch_add(1, Ordering::Relaxed);
            log::warn!(
                "{}: the server's clock is {:+.1} s from this machine's; this client now signs \
                 its requests with the server's time",
                self.endpoint_host,
                offset_ms as f64 / 1000.0
            );
            return;
        }
        let expired = code == "ExpiredToken" || creds.has_expired(SystemTime::now());
        if expired && self.credentials.invalidate(creds) {
            self.corrections.fetch_add(1, Ordering::Relaxed);
            log::info!(
                "{}: the server refused expired credentials (access key {}); asking the \
                 credentials provider for new ones",
                self.endpoint_host,
                creds.access_key
            );
        }
    }

    /// Turns a failure while reading a streamed body into the error a request failure gets.
    pub(crate) fn body_error(&self, operation: &str, error: reqwest::Error) -> UploadError {
        network_error(operation, &self.endpoint_host, "", error)
    }

    /// The one retry policy: runs `attempt` (numbered from 0) until it succeeds, fails in a
    /// way a retry cannot mend, or the retries run out; waits with backoff between attempts
    /// and tells `on_retry` of each failure that will be retried.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        name: &str,
        body_bytes: u64,
        attempt: F,
        on_retry: &(dyn Fn(&UploadError) + Sync),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let budget = self.request_budget + Duration::from_secs(body_bytes >> 20);
        match tokio::time::timeout(budget, self.retry_loop(name, attempt, on_retry)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(UploadError::new(
                ErrorKind::Timeout,
                format!(
                    "{name} to {}: no success within its budget of {} s, retries included",
                    self.endpoint_host,
                    budget.as_secs()
                ),
            )),
        }
    }

    /// The credentials are at hand (asked of the provider if need be).
    pub(crate) async fn credentials_ready(&self) -> Result<()> {
        self.credentials.get().await.map(drop)
    }

    /// How long no byte may move while a request is under way.
    pub(crate) fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    pub(crate) fn endpoint_host(&self) -> &str {
        &self.endpoint_host
    }

    async fn retry_loop<T, F, Fut>(
        &self,
        name: &str,
        mut attempt: F,
        on_retry: &(dyn Fn(&UploadError) + Sync),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let (mut number, mut resigns, mut throttled) = (0, 0, 0);
        loop {
            let corrections = self.corrections.load(Ordering::Relaxed);
            let error = match attempt(number).await {
                Ok(done) => return Ok(done),
                Err(error) => error,
            };
            // Not a retry: the refusal taught the client what it did wrong, and the request
            // goes again at once, signed anew.
            let corrected = self.corrections.load(Ordering::Relaxed) != corrections;
            if corrected && error.http_status() == Some(403) && resigns < MAX_RESIGNS {
                resigns += 1;
                log::info!("{name} will be signed again and sent at once: {error}");
                on_retry(&error);
                continue;
            }
            // A throttling answer is the store asking to wait, not a failure of the request:
            // it has an allowance of its own (docs/throttling.md), within the budget.
            let was_throttled = matches!(Load::of_error(&error), Load::Throttled(_));
            throttled += u32::from(was_throttled);
            // No retries asked for means none, throttled or not.
            let spent = if was_throttled {
                self.max_retry_count == 0 || throttled > THROTTLED_RETRIES
            } else {
                number - throttled >= self.max_retry_count
            };
            if classify(&error) != FailureClass::Retry || spent {
                return Err(error);
            }
            number += 1;
            let delay = self.backoff(number, &error);
            log::info!(
                "{name} will be retried in {} ms: {error}",
                delay.as_millis()
            );
            on_retry(&error);
            tokio::time::sleep(delay).await;
        }
    }

    /// A request with an in-memory body, under the retry policy.
    pub(crate) async fn execute(&self, operation: &Operation) -> Result<Response> {
        self.with_retries(
            operation.name,
            0,
            |attempt| self.send_once(operation, None, attempt),
            &|_| {},
        )
        .await
    }

    /// Delay before retry number `attempt` (1-based): 100 ms doubling, ±25 % jitter, at
    /// most 10 s; a server's Retry-After wins when it asks for longer (up to 60 s).
    ///
    /// Hand-written rather than taken from a crate: `backon` adds jitter of up to a whole
    /// delay (not ±25 %) and runs a retry loop of its own beside ours, which owns the attempt
    /// numbers sent in `x-sdk-retry-count`, the budget and Retry-After, and `backoff` is
    /// unmaintained (RUSTSEC-2025-0012).
    fn backoff(&self, attempt: u32, error: &UploadError) -> Duration {
        let exp = BACKOFF_BASE
            .saturating_mul(1 << (attempt.saturating_sub(1)).min(16))
            .min(BACKOFF_CAP);
        let unit = self.jitter.lock().unwrap_or_else(|e| e.into_inner()).f64();
        let jitter = 0.75 + 0.5 * unit;
        let delay = exp.mul_f64(jitter);
        let retry_after = error
            .server
            .as_ref()
            .and_then(|s| s.retry_after_secs)
            .map(|secs| Duration::from_secs(secs).min(RETRY_AFTER_CAP));
        retry_after.map_or(delay, |ra| ra.max(delay))
    }
}

async fn read_limited(mut response: reqwest::Response) -> reqwest::Result<bytes::Bytes> {
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() < MAX_RESPONSE_BODY {
            body.extend_from_slice(&chunk[..chunk.len().min(MAX_RESPONSE_BODY - body.len())]);
        }
    }
    Ok(body.freeze())
}
