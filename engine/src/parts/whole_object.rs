//! A whole object in one PutObject, through the same range sender as a part (rate limited,
//! CRC checked, retried in place). Used by the file upload for files under its threshold, by
//! the folder upload for its small files (both read from the file on each attempt) and by the
//! stream upload for a stream shorter than one part (resent from memory). Progress and the
//! user's limiter are served here, on the thread that runs the upload's callbacks, through
//! `PutObserver`.

use crate::attributes::CreateAttributes;
use crate::cancel::CancelHook;
use crate::error::{ErrorKind, Result, UploadError};
use crate::rate_limit::RateLimiter;
use crate::wire::file_range::{AcquireRequest, Feed, FileRange, Limiter, RangeSource};
use crate::wire::protocol::ObjectReceipt;
use crate::wire::{Object, Wire};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Whoever owns the upload's callbacks.
pub(crate) trait PutObserver: Send {
    /// `bytes` more of the object were sent; a retried attempt's bytes are counted once.
    fn add_bytes(&mut self, bytes: u64);
    fn has_acquire(&self) -> bool;
    fn shared_limiter(&self) -> Option<Arc<dyn RateLimiter>>;
    /// Has the user's limiter callback answer `ask`, on the thread that runs the callbacks.
    fn answer_acquire(&mut self, ask: AcquireRequest);
}

pub(crate) struct SinglePut<'a> {
    pub wire: &'a Wire,
    pub object: Object<'a>,
    pub attributes: &'a CreateAttributes,
    /// The object's bytes: the file, or a stream's bytes already in memory.
    pub source: RangeSource,
    pub size: u64,
    pub connections: Option<Arc<crate::wire::request_cap::RequestCap>>,
    pub cancel: &'a CancelHook,
}

/// Sends the object. A cancel request drops the request in flight and returns `Paused`: there
/// is no upload id to keep or abort, so the caller decides what to report.
pub(crate) async fn put_object(
    put: SinglePut<'_>,
    observer: &mut dyn PutObserver,
) -> Result<ObjectReceipt> {
    let range = FileRange {
        source: put.source,
        offset: 0,
        size: put.size,
    };
    let (ask_limiter, mut acquire_requests) = mpsc::unbounded_channel();
    let limiter = if observer.has_acquire() {
        Limiter::Callback(ask_limiter)
    } else {
        observer
            .shared_limiter()
            .map_or(Limiter::None, Limiter::Shared)
    };
    let (report_sent, mut sent) = mpsc::unbounded_channel();
    let feed = Feed {
        limiter,
        on_sent: Arc::new(move |bytes| {
            let _ = report_sent.send(bytes);
        }),
        connections: put.connections,
    };
    let request = put
        .wire
        .put_object(put.object, put.attributes, &range, &feed);
    tokio::pin!(request);
    // Bytes of this object already reported, so a retried attempt counts once.
    let mut counted = 0;
    let receipt = loop {
        tokio::select! {
            receipt = &mut request => break receipt?,
            Some(bytes) = sent.recv() => {
                if bytes > counted {
                    observer.add_bytes(bytes - counted);
                    counted = bytes;
                }
            }
            Some(ask) = acquire_requests.recv() => {
                observer.answer_acquire(ask);
            }
            _ = put.cancel.cancelled() => {
                return Err(UploadError::new(ErrorKind::Paused, "stopped by the cancel hook"));
            }
        }
    };
    if put.size > counted {
        observer.add_bytes(put.size - counted);
    }
    Ok(receipt)
}
