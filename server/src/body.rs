//! Request-body reading (with byte counting and stall hooks) and a streaming
//! file body for GET responses.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{combinators::BoxBody, BodyExt, Empty, Full};
use hyper::body::{Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncSeekExt, ReadBuf};

use crate::errors::TosError;

pub type RespBody = BoxBody<Bytes, io::Error>;

pub fn full(data: impl Into<Bytes>) -> RespBody {
    Full::new(data.into())
        .map_err(|never| match never {})
        .boxed()
}

pub fn empty() -> RespBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

pub struct ReqBody {
    inner: Incoming,
    pub received: u64,
    /// Mirror of `received` readable after the request future is dropped.
    pub counter: Arc<AtomicU64>,
    /// Pause once after this many bytes (fault injection).
    stall: Option<(u64, Duration)>,
    pacer: Option<crate::link::BodyPacer>,
}

impl ReqBody {
    pub fn new(inner: Incoming) -> ReqBody {
        ReqBody {
            inner,
            received: 0,
            counter: Arc::new(AtomicU64::new(0)),
            stall: None,
            pacer: None,
        }
    }

    pub fn paced(mut self, pacer: Option<crate::link::BodyPacer>) -> ReqBody {
        self.pacer = pacer;
        self
    }

    /// Caps this body's rate at `rate` B/s, under the link's caps if any.
    pub fn cap(&mut self, rate: u64) {
        self.pacer = Some(crate::link::BodyPacer::capped(self.pacer.take(), rate));
    }

    pub fn stall_after(&mut self, bytes: u64, ms: u64) {
        self.stall = Some((bytes, Duration::from_millis(ms)));
    }

    async fn maybe_stall(&mut self) {
        if let Some((after, d)) = self.stall {
            if self.received >= after {
                self.stall = None;
                tokio::time::sleep(d).await;
            }
        }
    }

    pub async fn chunk(&mut self) -> Result<Option<Bytes>, TosError> {
        self.maybe_stall().await;
        loop {
            let Some(frame) = self.inner.frame().await else {
                return Ok(None);
            };
            let frame = frame.map_err(|e| TosError::new(400, "IncompleteBody", e.to_string()))?;
            if let Ok(data) = frame.into_data() {
                self.received += data.len() as u64;
                self.counter.store(self.received, Ordering::Relaxed);
                if let Some(pacer) = &mut self.pacer {
                    pacer.pace(data.len() as u64).await;
                }
                self.maybe_stall().await;
                return Ok(Some(data));
            }
        }
    }

    /// Reads and discards, so an error reply leaves the connection reusable.
    pub async fn drain(&mut self, limit: Option<u64>) -> Result<(), TosError> {
        while limit.is_none_or(|l| self.received < l) {
            if self.chunk().await?.is_none() {
                break;
            }
        }
        Ok(())
    }

    pub async fn read_all(&mut self, max: usize) -> Result<Bytes, TosError> {
        let mut buf = BytesMut::new();
        while let Some(c) = self.chunk().await? {
            if buf.len() + c.len() > max {
                return Err(TosError::new(
                    400,
                    "EntityTooLarge",
                    "request body too large",
                ));
            }
            buf.extend_from_slice(&c);
        }
        Ok(buf.freeze())
    }
}

/// Streams `len` bytes of a file from `offset`, in fixed chunks.
pub struct FileBody {
    file: tokio::fs::File,
    remaining: u64,
    buf: Vec<u8>,
}

impl FileBody {
    pub async fn open(path: &std::path::Path, offset: u64, len: u64) -> io::Result<FileBody> {
        let mut file = tokio::fs::File::open(path).await?;
        file.seek(io::SeekFrom::Start(offset)).await?;
        Ok(FileBody {
            file,
            remaining: len,
            buf: vec![0; 256 * 1024],
        })
    }
}

impl hyper::body::Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = this.buf.len().min(this.remaining as usize);
        let mut rb = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(&mut this.file).poll_read(cx, &mut rb) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "object file shorter than recorded",
                    ))));
                }
                this.remaining -= n as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
                    &this.buf[..n],
                )))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
