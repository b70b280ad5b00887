//! A response body on its way out: counts the bytes it carries, logs the request once its
//! last byte has been handed over (or when it is dropped half-sent), and carries out the
//! faults that act on a response body (docs: server/README.md, fault rules).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use crate::body::RespBody;
use crate::faults::Action;
use crate::service::ConnCtx;

/// Time for what was handed to hyper to reach the socket before the connection is cut:
/// hyper flushes its buffer when the body has nothing ready.
const FLUSH_GRACE: Duration = Duration::from_millis(100);

/// What happens when a fault's pause ends.
enum AfterPause {
    Continue,
    /// Close the connection: with an RST (`reset`), or an ordinary FIN.
    Close {
        reset: bool,
    },
}

/// A response-body fault waiting for its byte count.
struct Armed {
    after_bytes: u64,
    pause: Duration,
    then: AfterPause,
}

impl Armed {
    fn from_action(action: Action) -> Option<Armed> {
        let (after_bytes, pause, then) = match action {
            Action::ResetResponse { after_bytes } => {
                (after_bytes, FLUSH_GRACE, AfterPause::Close { reset: true })
            }
            Action::TruncateResponse { after_bytes } => {
                (after_bytes, FLUSH_GRACE, AfterPause::Close { reset: false })
            }
            Action::StallResponse { ms, after_bytes } => {
                (after_bytes, Duration::from_millis(ms), AfterPause::Continue)
            }
            _ => return None,
        };
        Some(Armed {
            after_bytes,
            pause,
            then,
        })
    }
}

type OnDone = Box<dyn FnOnce(u64) + Send + Sync>;

pub struct SentBody {
    inner: RespBody,
    sent: u64,
    /// The rest of a frame cut where a fault fires.
    held: Option<Bytes>,
    armed: Option<Armed>,
    pause: Option<(Pin<Box<Sleep>>, AfterPause)>,
    /// A fault has closed the connection: nothing more goes out.
    closed: bool,
    conn: ConnCtx,
    /// Called once with the bytes carried: the request's log entry.
    on_done: Option<OnDone>,
}

impl SentBody {
    /// `fault` is kept only when it is one of the response-body actions.
    pub fn new(inner: RespBody, fault: Option<Action>, conn: ConnCtx, on_done: OnDone) -> Self {
        SentBody {
            inner,
            sent: 0,
            held: None,
            armed: fault.and_then(Armed::from_action),
            pause: None,
            closed: false,
            conn,
            on_done: Some(on_done),
        }
    }

    fn done(&mut self) {
        if let Some(f) = self.on_done.take() {
            f(self.sent);
        }
    }

    fn fault_due(&self) -> bool {
        self.armed
            .as_ref()
            .is_some_and(|a| self.sent >= a.after_bytes)
    }
}

impl Drop for SentBody {
    fn drop(&mut self) {
        self.done();
    }
}

impl Body for SentBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if this.closed {
            // The connection task may poll once more before it sees the close.
            return Poll::Pending;
        }
        loop {
            if let Some((sleep, _)) = this.pause.as_mut() {
                ready!(sleep.as_mut().poll(cx));
                let (_, then) = this.pause.take().expect("pause present");
                if let AfterPause::Close { reset } = then {
                    this.closed = true;
                    this.held = None;
                    this.done();
                    if reset {
                        this.conn.reset();
                    } else {
                        this.conn.kill.notify_one();
                    }
                    // The connection task drops this body when it ends.
                    return Poll::Pending;
                }
            }
            if this.fault_due() {
                let armed = this.armed.take().expect("armed fault");
                this.pause = Some((Box::pin(tokio::time::sleep(armed.pause)), armed.then));
                continue;
            }
            let mut data = match this.held.take() {
                Some(b) => b,
                None => match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                    None => {
                        this.done();
                        return Poll::Ready(None);
                    }
                    Some(Err(e)) => {
                        this.done();
                        return Poll::Ready(Some(Err(e)));
                    }
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => data,
                        Err(other) => return Poll::Ready(Some(Ok(other))),
                    },
                },
            };
            if let Some(armed) = &this.armed {
                let room = (armed.after_bytes - this.sent) as usize;
                if data.len() > room {
                    this.held = Some(data.split_off(room));
                }
            }
            this.sent += data.len() as u64;
            // Logged as the last byte is handed over, so a client that has read the whole
            // body finds the entry in the log.
            if this.held.is_none() && this.inner.is_end_stream() && !this.fault_due() {
                this.done();
            }
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
    }

    fn is_end_stream(&self) -> bool {
        !self.closed
            && self.held.is_none()
            && self.pause.is_none()
            && !self.fault_due()
            && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let held = self.held.as_ref().map_or(0, |b| b.len() as u64);
        let inner = self.inner.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + held);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + held);
        }
        hint
    }
}
