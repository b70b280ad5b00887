//! Reading objects for a download: a HEAD that says what the object is now, and ranged GETs
//! whose bodies are streamed to the caller chunk by chunk (never held whole), each attempt
//! asking only for the bytes the previous attempts did not deliver.
//!
//! Both protocols share the requests: they differ only in the prefix of the SSE-C and
//! version headers (`x-tos-` or `x-amz-`), and TOS alone has a traffic limit header.

use super::protocol::Operation;
use super::{Object, Wire};
use crate::error::{ErrorKind, Result, UploadError};
use bytes::Bytes;
use std::future::Future;
use std::time::SystemTime;

/// What every request of one download carries besides the range. Never logged: it holds
/// the SSE-C key.
#[derive(Clone, Default)]
pub(crate) struct ReadOptions {
    pub version_id: Option<String>,
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<SystemTime>,
    pub if_unmodified_since: Option<SystemTime>,
    pub ssec_algorithm: Option<String>,
    pub ssec_key: Option<String>,
    pub ssec_key_md5: Option<String>,
    /// Bits per second, TOS only.
    pub traffic_limit: Option<u64>,
}

/// The object as HEAD describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReadHead {
    pub size: u64,
    /// Quoted, as the server sent it.
    pub etag: String,
    /// TOS's CRC-64/XZ (ECMA) of the whole object.
    pub crc64: Option<u64>,
    /// An S3 store's CRC-64/NVME of the whole object, when it keeps one.
    pub crc64_nvme: Option<u64>,
    /// The `Last-Modified` header as sent (an HTTP date), empty when absent.
    pub last_modified: String,
    pub version_id: String,
}

/// Where a ranged GET's body goes, chunk by chunk, with each chunk's object offset.
pub(crate) trait BodySink: Send {
    fn accept(&mut self, offset: u64, chunk: Bytes) -> impl Future<Output = Result<()>> + Send;
}

/// Inclusive byte range `first..=last` of an object of `total` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub first: u64,
    pub last: u64,
    pub total: u64,
}

impl Wire {
    fn header_prefix(&self) -> &'static str {
        if self.protocol.name() == "s3" {
            "x-amz-"
        } else {
            "x-tos-"
        }
    }

    fn add_read_options(&self, op: &mut Operation, options: &ReadOptions, with_limit: bool) {
        let prefix = self.header_prefix();
        if let Some(version) = options.version_id.as_deref().filter(|v| !v.is_empty()) {
            op.query.push(("versionId".into(), version.into()));
        }
        let mut push = |name: String, value: Option<&str>| {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                op.headers.push((name, value.to_string()));
            }
        };
        push("If-Match".into(), options.if_match.as_deref());
        push("If-None-Match".into(), options.if_none_match.as_deref());
        let date = |at: Option<SystemTime>| at.map(crate::attributes::http_date);
        push(
            "If-Modified-Since".into(),
            date(options.if_modified_since).as_deref(),
        );
        push(
            "If-Unmodified-Since".into(),
            date(options.if_unmodified_since).as_deref(),
        );
        let ssec = format!("{prefix}server-side-encryption-customer-");
        push(
            format!("{ssec}algorithm"),
            options.ssec_algorithm.as_deref(),
        );
        push(format!("{ssec}key"), options.ssec_key.as_deref());
        let md5_name = if prefix == "x-amz-" {
            "key-MD5"
        } else {
            "key-md5"
        };
        push(format!("{ssec}{md5_name}"), options.ssec_key_md5.as_deref());
        if with_limit && prefix == "x-tos-" {
            let limit = options
                .traffic_limit
                .filter(|l| *l > 0)
                .map(|l| l.to_string());
            push("x-tos-traffic-limit".into(), limit.as_deref());
        }
    }

    /// HEAD with the download's version, conditions and SSE-C key.
    pub(crate) async fn head_for_read(
        &self,
        object: Object<'_>,
        options: &ReadOptions,
    ) -> Result<ReadHead> {
        let mut op = self.protocol.head_object(object.bucket, object.key);
        self.add_read_options(&mut op, options, false);
        let response = self.transport.execute(&op).await?;
        let head = self.protocol.parse_head_object(&response)?;
        let text = |name: &str| response.header(name).unwrap_or_default().to_string();
        Ok(ReadHead {
            size: head.size,
            etag: head.etag,
            crc64: head.crc64,
            crc64_nvme: head.crc64_nvme,
            last_modified: text("last-modified"),
            version_id: text(&format!("{}version-id", self.header_prefix())),
        })
    }

    /// Whether whole-object CRCs are compared (the client's CRC option).
    pub(crate) fn verifies_crc(&self) -> bool {
        self.verify_crc
    }

    /// GETs `range`, handing each chunk of the body with its object offset to `sink`, under
    /// the retry policy. After a failure in the middle of the body the next attempt asks only
    /// for the bytes not yet handed over. The sink failing (a local write error) ends the
    /// request at once; `on_retry` hears of each attempt that will be retried.
    pub(crate) async fn get_range<S: BodySink>(
        &self,
        object: Object<'_>,
        options: &ReadOptions,
        range: ByteRange,
        sink: &mut S,
        on_retry: &(dyn Fn(&UploadError) + Sync),
    ) -> Result<()> {
        let delivered = std::sync::atomic::AtomicU64::new(range.first);
        let sink = tokio::sync::Mutex::new(sink);
        let attempt = |number: u32| {
            let (sink, delivered) = (&sink, &delivered);
            async move {
                let mut sink = sink.lock().await;
                let from = delivered.load(std::sync::atomic::Ordering::SeqCst);
                let mut op = Operation::new("GetObject", "GET", object.bucket, object.key, 206);
                self.add_read_options(&mut op, options, true);
                op.headers
                    .push(("Range".into(), format!("bytes={from}-{}", range.last)));
                let mut response = self.transport.open_body(&op, number).await?;
                check_content_range(&response, from, range)?;
                let mut at = from;
                loop {
                    let chunk = response
                        .chunk()
                        .await
                        .map_err(|e| self.transport.body_error("GetObject", e))?;
                    let Some(chunk) = chunk else { break };
                    let room = range.last + 1 - at;
                    if chunk.len() as u64 > room {
                        return Err(bad_answer(format!(
                            "the body of bytes={from}-{} is longer than asked",
                            range.last
                        )));
                    }
                    let len = chunk.len() as u64;
                    sink.accept(at, chunk).await?;
                    at += len;
                    delivered.store(at, std::sync::atomic::Ordering::SeqCst);
                }
                if at != range.last + 1 {
                    return Err(UploadError::new(
                        ErrorKind::Network,
                        format!(
                            "GetObject {}: the body of bytes={from}-{} ended after {} bytes",
                            object.key,
                            range.last,
                            at - from
                        ),
                    ));
                }
                Ok(())
            }
        };
        let size = range.last + 1 - range.first;
        self.transport
            .with_retries("GetObject", size, attempt, on_retry)
            .await
    }
}

/// Only the asked range of an object of the expected size is accepted: a 200 (range
/// ignored) never gets here, and a `Content-Range` of another range or total means the
/// object is not the one the download is writing.
fn check_content_range(response: &reqwest::Response, from: u64, range: ByteRange) -> Result<()> {
    let header = response
        .headers()
        .get("content-range")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let expected = format!("bytes {from}-{}/{}", range.last, range.total);
    if header.trim() == expected {
        Ok(())
    } else {
        Err(UploadError::new(
            ErrorKind::ObjectChanged,
            format!(
                "GetObject answered Content-Range {header:?} where {expected:?} was asked: the \
                 object changed on the server during the download; the next call starts afresh"
            ),
        ))
    }
}

fn bad_answer(what: String) -> UploadError {
    UploadError::new(ErrorKind::Network, format!("GetObject: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClientConfig, WireProtocol};

    fn get_headers(protocol: WireProtocol) -> Operation {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _inside = runtime.enter();
        let mut config = ClientConfig::new();
        config.endpoint = "http://127.0.0.1:9".into();
        config.region = "cn-beijing".into();
        config.protocol = protocol;
        let wire = Wire::new(&config).unwrap();
        let options = ReadOptions {
            version_id: Some("v1".into()),
            if_match: Some("\"e\"".into()),
            ssec_algorithm: Some("AES256".into()),
            ssec_key: Some("a2V5".into()),
            ssec_key_md5: Some("bWQ1".into()),
            traffic_limit: Some(819_200),
            ..ReadOptions::default()
        };
        let mut op = Operation::new("GetObject", "GET", "b", "k", 206);
        wire.add_read_options(&mut op, &options, true);
        op
    }

    fn names(op: &Operation) -> Vec<&str> {
        op.headers.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn each_protocol_gets_its_own_header_names() {
        let tos = get_headers(WireProtocol::Tos);
        assert_eq!(tos.query, [("versionId".to_string(), "v1".to_string())]);
        assert_eq!(
            names(&tos),
            [
                "If-Match",
                "x-tos-server-side-encryption-customer-algorithm",
                "x-tos-server-side-encryption-customer-key",
                "x-tos-server-side-encryption-customer-key-md5",
                "x-tos-traffic-limit",
            ]
        );
        let s3 = get_headers(WireProtocol::S3);
        assert_eq!(
            names(&s3),
            [
                "If-Match",
                "x-amz-server-side-encryption-customer-algorithm",
                "x-amz-server-side-encryption-customer-key",
                "x-amz-server-side-encryption-customer-key-MD5",
            ]
        );
    }
}
