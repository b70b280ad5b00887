//! `x-tos-traffic-limit` (docs/protocol.md §7.13): a PutObject's, UploadPart's or
//! GetObject's body paced to the rate asked for, in bits per second, with the link
//! emulation's token bucket (link.rs). TOS takes 819200 to 838860800 (100 KiB/s to
//! 100 MiB/s) and refuses other values.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::Response;
use tokio::time::Sleep;

use crate::body::RespBody;
use crate::errors::TosError;
use crate::link::{limiter, Pacer};

pub const MIN_BITS: u64 = 819_200;
pub const MAX_BITS: u64 = 838_860_800;

/// The byte rate a request asked for, if it did and `op` honours it.
pub fn limit(op: &str, headers: &hyper::HeaderMap) -> Result<Option<u64>, TosError> {
    if !matches!(op, "PutObject" | "UploadPart" | "GetObject") {
        return Ok(None);
    }
    let Some(v) = headers.get("x-tos-traffic-limit") else {
        return Ok(None);
    };
    let bits = v
        .to_str()
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|b| (MIN_BITS..=MAX_BITS).contains(b))
        .ok_or_else(|| {
            TosError::invalid_argument(format!(
                "x-tos-traffic-limit must be {MIN_BITS} to {MAX_BITS} bits/s"
            ))
        })?;
    Ok(Some(bits / 8))
}

/// The response with its body sent no faster than `rate` B/s.
pub fn paced(resp: Response<RespBody>, rate: u64) -> Response<RespBody> {
    let Some(pacer) = limiter(rate) else {
        return resp;
    };
    let (parts, inner) = resp.into_parts();
    let body = PacedBody {
        inner,
        pacer,
        held: None,
    };
    Response::from_parts(parts, body.boxed())
}

/// Holds each frame until the bucket has let its bytes through: the last byte leaves no
/// sooner than the limit allows (a client reading by `Content-Length` stops there).
struct PacedBody {
    inner: RespBody,
    pacer: Arc<Pacer>,
    held: Option<(Frame<Bytes>, Pin<Box<Sleep>>)>,
}

impl Body for PacedBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.held.is_none() {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Some(len) = frame.data_ref().map(|d| d.len() as u64) else {
                        return Poll::Ready(Some(Ok(frame)));
                    };
                    let due = this.pacer.reserve(len);
                    this.held = Some((frame, Box::pin(tokio::time::sleep_until(due))));
                }
                other => return other,
            }
        }
        let Some((_, wait)) = this.held.as_mut() else {
            return Poll::Pending;
        };
        if wait.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(this.held.take().map(|(frame, _)| Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
